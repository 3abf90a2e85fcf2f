package httpkit

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestHealthzShowsBuildInfo: the version and commit set at link time (make build, the images' -ldflags) are
// what /healthz answers.
func TestHealthzShowsBuildInfo(t *testing.T) {
	oldV, oldC := Version, Commit
	t.Cleanup(func() { Version, Commit = oldV, oldC })
	Version, Commit = "v1.2.3", "0123456789abcdef0123456789abcdef01234567"
	rt := NewRouter()
	Ops(rt, "svc", prometheus.NewRegistry())
	w := httptest.NewRecorder()
	rt.ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 200 {
		t.Fatalf("healthz %d %s", w.Code, w.Body)
	}
	if body["version"] != "v1.2.3" || body["commit"] != Commit || body["service"] != "svc" {
		t.Fatalf("healthz = %v", body)
	}
}

// TestBuildInfoFallsBack: without -ldflags the version stays "dev" (a test binary has no module version) and the
// commit is the toolchain's vcs.revision or "unknown", never empty.
func TestBuildInfoFallsBack(t *testing.T) {
	oldV, oldC := Version, Commit
	t.Cleanup(func() { Version, Commit = oldV, oldC })
	Version, Commit = "dev", ""
	v, c := BuildInfo()
	if v == "" || c == "" {
		t.Fatalf("BuildInfo() = %q, %q", v, c)
	}
}

func TestHealthcheck(t *testing.T) {
	rt := NewRouter()
	Ops(rt, "svc", prometheus.NewRegistry())
	ok := httptest.NewServer(rt)
	defer ok.Close()
	_, port, _ := net.SplitHostPort(ok.Listener.Addr().String())
	for _, addr := range []string{":" + port, "0.0.0.0:" + port, "127.0.0.1:" + port} {
		if err := Healthcheck(addr); err != nil {
			t.Errorf("Healthcheck(%q) = %v", addr, err)
		}
	}
	if code := HealthcheckExit(":" + port); code != 0 {
		t.Errorf("HealthcheckExit = %d", code)
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer down.Close()
	_, dport, _ := net.SplitHostPort(down.Listener.Addr().String())
	if err := Healthcheck(":" + dport); err == nil {
		t.Error("503 taken for healthy")
	}
	down.Close()
	if code := HealthcheckExit(":" + dport); code != 1 {
		t.Errorf("closed port: exit %d", code)
	}
	if err := Healthcheck("no-port"); err == nil {
		t.Error("bad address accepted")
	}
}
