# syntax=docker/dockerfile:1
# Image of the web service (services/web/cmd/web). Build from the repository root, which holds the Go workspace:
#   docker build -f deploy/images/web.Dockerfile --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse HEAD) -t entraide/web:<version> .
# (`make images` does this for every service.) A static binary on distroless, run as the nonroot user (65532),
# with a read-only root file system: it writes nothing but what a deployment mounts (tmpfs on /tmp).

FROM golang:1.26.8 AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOWORK=/src/go.work GOFLAGS=-buildvcs=false
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath \
      -ldflags "-s -w -X github.com/entraide/entraide/libs/httpkit.Version=${VERSION} -X github.com/entraide/entraide/libs/httpkit.Commit=${COMMIT}" \
      -o /out/web ./services/web/cmd/web

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG COMMIT=unknown
LABEL org.opencontainers.image.title="entraide-web" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"
COPY --from=build /out/web /usr/local/bin/web
ENV TMPDIR=/tmp
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["/usr/local/bin/web", "-healthcheck"]
ENTRYPOINT ["/usr/local/bin/web"]
