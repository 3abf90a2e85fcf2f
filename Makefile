# Entraide — one workspace, several modules. Every target loops over the modules listed in go.work.
#   make run     the embedded default: every service + FerretDB + kfake in one process, web on http://localhost:8080
#   make test    every module's tests (embedded engines, or MONGO_URI / KAFKA_BROKERS when set)
#   make bench   benchmarks (BENCH_POSTGRES_URL adds FerretDB on PostgreSQL: eval "$(scripts/postgres.sh start)")
#   make bench-board  the decisions deadline board at 20,000 open files, FerretDB on PostgreSQL (throwaway cluster) and SQLite
#   make bench-payments  a payment run of BENCH_SIZE (100,000) payments through the payments service on the embedded FerretDB/SQLite
#   make lint    gofmt, go vet, staticcheck
#   make build   each module on its own (GOWORK=off) and the binaries into bin/
#   make images  one container image per service (deploy/images/<svc>.Dockerfile), tagged $(IMAGE_REPO)/<svc>:$(VERSION)

SHELL := /bin/bash
GO ?= go
MODULES := $(shell $(GO) list -m -f '{{.Dir}}' 2>/dev/null)
STATICCHECK_VERSION ?= v0.8.2
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/entraide/entraide/libs/httpkit.Version=$(VERSION) -X github.com/entraide/entraide/libs/httpkit.Commit=$(COMMIT)
# TESTFLAGS: extra flags for go test, e.g. make test TESTFLAGS=-race (CI sets it).
TESTFLAGS ?=
TEST_TIMEOUT ?= 20m
DATA_DIR ?= .data
BENCH_TIMEOUT ?= 60m

SERVICES := identity beneficiaries decisions payments web
IMAGE_REPO ?= entraide
DOCKER ?= docker

.PHONY: run test bench bench-board bench-payments lint build images fmt tidy kafka-start kafka-stop

run:
	$(GO) run -ldflags "$(LDFLAGS)" ./deploy/allinone/cmd/entraide -data-dir $(DATA_DIR)

test:
	@set -e; failed=0; \
	for m in $(MODULES); do \
	  echo "=== go test $${m#$(CURDIR)/}"; \
	  (cd $$m && $(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(TESTFLAGS) ./...) || failed=1; \
	done; \
	exit $$failed

bench:
	@set -e; for m in $(MODULES); do \
	  echo "=== go test -bench $${m#$(CURDIR)/}"; \
	  (cd $$m && $(GO) test -run '^$$' -bench . -benchmem -timeout $(BENCH_TIMEOUT) ./...); \
	done

# The deadline board benchmark (services/decisions/BENCHMARKS.md) on a throwaway PostgreSQL cluster and on SQLite.
bench-board:
	@set -e; eval "$$($(CURDIR)/scripts/postgres.sh start)"; trap '$(CURDIR)/scripts/postgres.sh stop' EXIT; \
	  cd services/decisions && $(GO) test -run '^$$' -bench '^BenchmarkBoard$$' -benchtime 1x -timeout $(BENCH_TIMEOUT) ./board

# A payment run of BENCH_SIZE (default 100,000) instalments through the payments service on the embedded default
# (FerretDB/SQLite; services/payments/BENCHMARKS.md); `make bench` runs it too, with the export against
# encoding/xml (services/payments/run) and the statement import.
bench-payments:
	@cd services/payments && BENCH_SIZE=$${BENCH_SIZE:-100000} $(GO) test -run '^$$' -bench '^BenchmarkPaymentRun$$' -benchtime 1x -timeout $(BENCH_TIMEOUT) .

lint:
	@set -e; out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@set -e; for m in $(MODULES); do echo "=== vet $${m#$(CURDIR)/}"; (cd $$m && $(GO) vet ./...); done
	@set -e; for m in $(MODULES); do echo "=== staticcheck $${m#$(CURDIR)/}"; \
	  (cd $$m && $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...); done

build:
	@set -e; for m in $(MODULES); do echo "=== GOWORK=off go build $${m#$(CURDIR)/}"; (cd $$m && GOWORK=off $(GO) build ./...); done
	@mkdir -p bin
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/ $(shell find services deploy -path '*/cmd/*' -name main.go -printf '%h\n' | sed 's|^|./|' | sort -u)

# Needs a Docker engine (BuildKit); where there is none it says so and does nothing. deploy/compose runs these
# tags: ENTRAIDE_VERSION=$(VERSION) in deploy/compose/.env.
images:
	@if ! command -v $(DOCKER) >/dev/null 2>&1 || ! $(DOCKER) info >/dev/null 2>&1; then \
	  echo "make images: no Docker engine here ($(DOCKER) info failed): skipped. Where Docker runs, this builds"; \
	  for s in $(SERVICES); do echo "  $(IMAGE_REPO)/$$s:$(VERSION) from deploy/images/$$s.Dockerfile"; done; \
	  exit 0; \
	fi; \
	set -e; for s in $(SERVICES); do \
	  echo "=== image $(IMAGE_REPO)/$$s:$(VERSION)"; \
	  DOCKER_BUILDKIT=1 $(DOCKER) build -f deploy/images/$$s.Dockerfile --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) \
	    -t $(IMAGE_REPO)/$$s:$(VERSION) .; \
	done

fmt:
	gofmt -w $(MODULES)

tidy:
	@set -e; for m in $(MODULES); do (cd $$m && GOWORK=off $(GO) mod tidy); done

kafka-start:
	scripts/kafka.sh start

kafka-stop:
	scripts/kafka.sh stop
