package idempotency

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entraide/entraide/libs/embedded/testkit"
)

func TestValidKey(t *testing.T) {
	cases := map[string]bool{
		"":                       false,
		"a":                      true,
		"6f1c7a52-0d1e-4a43":     true,
		"with space":             true,
		strings.Repeat("k", 255): true,
		strings.Repeat("k", 256): false,
		"tab\there":              false,
		"newline\n":              false,
		"é":                      false,
	}
	for key, want := range cases {
		if got := ValidKey(key); got != want {
			t.Errorf("ValidKey(%q) = %v, want %v", key, got, want)
		}
	}
}

type harness struct {
	server  *httptest.Server
	effects atomic.Int64
	block   chan struct{} // when set, the handler waits on it
	entered chan struct{}
	status  atomic.Int64
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	s, err := NewStore(context.Background(), testkit.Database(t).Collection("idempotency_keys"))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{}
	h.status.Store(http.StatusCreated)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.entered != nil {
			h.entered <- struct{}{}
		}
		if h.block != nil {
			<-h.block
		}
		body, _ := io.ReadAll(r.Body)
		status := int(h.status.Load())
		if status < 500 {
			n := h.effects.Add(1)
			w.Header().Set("Location", fmt.Sprintf("/payment-runs/%d", n))
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"run":%d,"echo":%q}`, h.effects.Load(), body)
	})
	principal := func(r *http.Request) (string, string, bool) {
		u := r.Header.Get("X-Test-User")
		return "t1", u, u != ""
	}
	onError := func(w http.ResponseWriter, _ *http.Request, err error) {
		status := http.StatusInternalServerError
		switch {
		case errors.Is(err, ErrKeyReused):
			status = http.StatusUnprocessableEntity
		case errors.Is(err, ErrInProgress):
			status = http.StatusConflict
		case errors.Is(err, ErrInvalidKey):
			status = http.StatusBadRequest
		case errors.Is(err, ErrNoPrincipal):
			status = http.StatusUnauthorized
		}
		w.WriteHeader(status)
	}
	h.server = httptest.NewServer(Middleware(s, principal, onError)(app))
	t.Cleanup(h.server.Close)
	return h
}

type answer struct {
	status   int
	location string
	replayed bool
	body     string
}

func (h *harness) post(t *testing.T, user, key, body string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.server.URL+"/payment-runs", strings.NewReader(body))
	if key != "" {
		req.Header.Set(HeaderKey, key)
	}
	if user != "" {
		req.Header.Set("X-Test-User", user)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header.Get("Location"), res.Header.Get(HeaderReplayed) == "true", string(b)}
}

func TestSameKeyTwiceOneEffectSameResponse(t *testing.T) {
	h := newHarness(t)
	first := h.post(t, "alice", "k1", `{"month":"2025-03"}`)
	second := h.post(t, "alice", "k1", `{"month":"2025-03"}`)
	if h.effects.Load() != 1 {
		t.Fatalf("effects = %d, want 1", h.effects.Load())
	}
	if first.status != http.StatusCreated || first.replayed {
		t.Fatalf("first = %+v", first)
	}
	if second.status != first.status || second.location != first.location || second.body != first.body || !second.replayed {
		t.Fatalf("retry = %+v, want the replay of %+v", second, first)
	}
	// Another principal's identical key is another key.
	if other := h.post(t, "bob", "k1", `{"month":"2025-03"}`); other.replayed || h.effects.Load() != 2 {
		t.Fatalf("bob's request was answered from alice's key: %+v", other)
	}
}

func TestKeyErrors(t *testing.T) {
	h := newHarness(t)
	h.post(t, "alice", "k1", `{"month":"2025-03"}`)
	cases := []struct {
		name, user, key, body string
		want                  int
	}{
		{"same key, other body", "alice", "k1", `{"month":"2025-04"}`, http.StatusUnprocessableEntity},
		{"invalid key", "alice", "clé-1", `{}`, http.StatusBadRequest},
		{"too long key", "alice", strings.Repeat("k", 256), `{}`, http.StatusBadRequest},
		{"no principal", "", "k2", `{}`, http.StatusUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := h.post(t, c.user, c.key, c.body); got.status != c.want {
				t.Fatalf("status = %d, want %d", got.status, c.want)
			}
		})
	}
	if h.effects.Load() != 1 {
		t.Fatalf("effects = %d, want 1", h.effects.Load())
	}
	// Without a key the middleware stays out of the way.
	h.post(t, "alice", "", `{"month":"2025-03"}`)
	if h.effects.Load() != 2 {
		t.Fatal("request without a key did not reach the handler")
	}
}

func TestConcurrentRetryWhilePending(t *testing.T) {
	h := newHarness(t)
	h.block, h.entered = make(chan struct{}), make(chan struct{}, 1)
	done := make(chan answer)
	go func() { done <- h.post(t, "alice", "k1", `{}`) }()
	<-h.entered // the first attempt is running
	if got := h.post(t, "alice", "k1", `{}`); got.status != http.StatusConflict {
		t.Fatalf("retry while pending: %d, want 409", got.status)
	}
	close(h.block)
	if first := <-done; first.status != http.StatusCreated {
		t.Fatalf("first = %+v", first)
	}
	h.entered = nil
	if again := h.post(t, "alice", "k1", `{}`); !again.replayed || h.effects.Load() != 1 {
		t.Fatalf("after completion: %+v, effects %d", again, h.effects.Load())
	}
}

func TestServerErrorReleasesKey(t *testing.T) {
	h := newHarness(t)
	h.status.Store(http.StatusServiceUnavailable)
	if got := h.post(t, "alice", "k1", `{}`); got.status != http.StatusServiceUnavailable {
		t.Fatalf("first = %d", got.status)
	}
	h.status.Store(http.StatusCreated)
	if got := h.post(t, "alice", "k1", `{}`); got.status != http.StatusCreated || got.replayed || h.effects.Load() != 1 {
		t.Fatalf("retry after 503 = %+v, effects %d; want a fresh run", got, h.effects.Load())
	}
}

func TestExpiredAndAbandonedKeys(t *testing.T) {
	ctx := context.Background()
	s, err := NewStore(ctx, testkit.Database(t).Collection("idempotency_keys"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	scope := Scope{Tenant: "t1", Principal: "alice", Key: "k"}
	if r, err := s.Reserve(ctx, scope, "h1"); r != nil || err != nil {
		t.Fatal(r, err)
	}
	now = now.Add(s.PendingTimeout + time.Second) // the first attempt died
	if r, err := s.Reserve(ctx, scope, "h1"); r != nil || err != nil {
		t.Fatalf("takeover of an abandoned key: %v %v", r, err)
	}
	if err := s.Complete(ctx, scope, Response{Status: 201}); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Reserve(ctx, scope, "h2"); !errors.Is(err, ErrKeyReused) {
		t.Fatalf("reuse: %v %v", r, err)
	}
	now = now.Add(s.TTL + time.Second)
	if r, err := s.Reserve(ctx, scope, "h2"); r != nil || err != nil {
		t.Fatalf("an expired key should be free: %v %v", r, err)
	}
	now = now.Add(s.TTL + time.Second)
	if n, err := s.DeleteExpired(ctx); err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v", n, err)
	}
}

func TestWriteProblemMapsEachRefusal(t *testing.T) {
	for err, want := range map[error]int{ErrKeyReused: 422, ErrInProgress: 409, ErrInvalidKey: 422, ErrNoPrincipal: 401, errors.New("db down"): 500} {
		w := httptest.NewRecorder()
		WriteProblem(w, httptest.NewRequest("POST", "/v1/things", nil), err)
		if w.Code != want || w.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%v: %d %q, want %d problem+json", err, w.Code, w.Header().Get("Content-Type"), want)
		}
	}
}
