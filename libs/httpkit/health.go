package httpkit

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Build identifies the running binary; Version and Commit are set at link time
// (-ldflags "-X github.com/entraide/entraide/libs/httpkit.Version=... -X ...httpkit.Commit=...": `make build`
// and the images do). Unset, BuildInfo falls back to what the Go toolchain stamped (module version, vcs.revision).
var (
	Version = "dev"
	Commit  = ""
)

// BuildInfo returns the version and commit of the running binary, as /healthz shows them.
func BuildInfo() (version, commit string) {
	version, commit = Version, Commit
	bi, ok := debug.ReadBuildInfo()
	if version == "" || version == "dev" {
		if ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		} else if version == "" {
			version = "dev"
		}
	}
	if commit == "" && ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	if commit == "" {
		commit = "unknown"
	}
	return version, commit
}

// Check is a readiness probe of one dependency (MongoDB ping, Kafka metadata…).
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Ops mounts /healthz (the process runs), /readyz (every check passes) and /metrics on the router.
func Ops(rt *Router, service string, gatherer prometheus.Gatherer, checks ...Check) {
	rt.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		version, commit := BuildInfo()
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "service": service, "version": version, "commit": commit})
	})
	rt.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		results := map[string]string{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		ready := true
		for _, c := range checks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				state := "ok"
				if err := c.Fn(ctx); err != nil {
					state = "unavailable"
				}
				mu.Lock()
				defer mu.Unlock()
				results[c.Name] = state
				if state != "ok" {
					ready = false
				}
			}()
		}
		wg.Wait()
		status := http.StatusOK
		if !ready {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, map[string]any{"ready": ready, "service": service, "checks": results})
	})
	rt.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// NewRegistry returns a Prometheus registry with the Go runtime and process collectors, for a service's /metrics.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
