package httpkit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	kithttp "github.com/go-kit/kit/transport/http"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/entraide/entraide/libs/problem"
)

type greetRequest struct {
	Name string `json:"name"`
	Age  int    `json:"age"`
}

type greetResponse struct {
	Route string `json:"route"`
	Err   error  `json:"-"`
}

func (g greetResponse) Failed() error   { return g.Err }
func (g greetResponse) StatusCode() int { return http.StatusCreated }

func testServer(t *testing.T) http.Handler {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	rt := NewRouter()
	ep := func(ctx context.Context, req any) (any, error) {
		r := req.(greetRequest)
		if r.Name == "panic" {
			panic("boom")
		}
		if r.Name == "db" {
			return nil, errors.New("mongo: secret internals")
		}
		if r.Name == "" {
			return greetResponse{Err: problem.Invalid(problem.Field("name", "required"))}, nil
		}
		route, _ := RouteFrom(ctx)
		return greetResponse{Route: route.Method + " " + route.Template}, nil
	}
	dec := func(_ context.Context, r *http.Request) (any, error) {
		var req greetRequest
		return req, DecodeJSON(r, &req, 64)
	}
	rt.Handle("POST /v1/greet/{id}", kithttp.NewServer(ep, dec, EncodeJSON, ServerOptions(logger)...))
	Ops(rt, "test", prometheus.NewRegistry(), Check{Name: "always", Fn: func(context.Context) error { return nil }})
	return APIStack("test", rt, logger, prometheus.NewRegistry(), 1024)
}

func do(t *testing.T, h http.Handler, method, path, contentType, body string) (*http.Response, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Header.Set("Accept-Language", "fr-BE")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := w.Result()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return res, m
}

func TestEndpointSeesRouteTemplateNotPath(t *testing.T) {
	res, body := do(t, testServer(t), "POST", "/v1/greet/85071412330", "application/json", `{"name":"x"}`)
	if res.StatusCode != 201 || body["route"] != "POST /v1/greet/{id}" {
		t.Fatalf("status %d body %v", res.StatusCode, body)
	}
	if res.Header.Get("X-Request-Id") == "" {
		t.Error("no request id")
	}
}

func TestBadInputGetsProblems(t *testing.T) {
	h := testServer(t)
	for _, tc := range []struct {
		name, method, path, ctype, body string
		status                          int
		typ                             string
		field                           string
	}{
		{"unknown route", "GET", "/nope", "", "", 404, "not-found", ""},
		{"wrong method", "DELETE", "/v1/greet/1", "", "", 405, "method-not-allowed", ""},
		{"not json", "POST", "/v1/greet/1", "text/plain", "name=x", 415, "unsupported-media-type", ""},
		{"broken json", "POST", "/v1/greet/1", "application/json", `{"name":`, 400, "bad-request", ""},
		{"trailing data", "POST", "/v1/greet/1", "application/json", `{"name":"a"} {}`, 400, "bad-request", ""},
		{"unknown field", "POST", "/v1/greet/1", "application/json", `{"nom":"a"}`, 422, "validation", "nom"},
		{"wrong type", "POST", "/v1/greet/1", "application/json", `{"name":"a","age":"old"}`, 422, "validation", "age"},
		{"too large", "POST", "/v1/greet/1", "application/json", `{"name":"` + strings.Repeat("a", 2000) + `"}`, 413, "payload-too-large", ""},
		{"business failure", "POST", "/v1/greet/1", "application/json", `{"name":""}`, 422, "validation", "name"},
		{"internal", "POST", "/v1/greet/1", "application/json", `{"name":"db"}`, 500, "internal", ""},
		{"panic", "POST", "/v1/greet/1", "application/json", `{"name":"panic"}`, 500, "internal", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := do(t, h, tc.method, tc.path, tc.ctype, tc.body)
			if res.StatusCode != tc.status || body["type"] != "urn:entraide:problem:"+tc.typ {
				t.Fatalf("status %d body %v", res.StatusCode, body)
			}
			if ct := res.Header.Get("Content-Type"); ct != problem.ContentType {
				t.Errorf("content-type %q", ct)
			}
			if title, _ := body["title"].(string); title == "" || strings.Contains(title, "Malformed") {
				t.Errorf("title not in French: %q", title)
			}
			if strings.Contains(toJSON(body), "secret internals") {
				t.Error("internal error echoed")
			}
			if tc.field != "" {
				errs, _ := body["errors"].([]any)
				if len(errs) != 1 || errs[0].(map[string]any)["field"] != tc.field {
					t.Errorf("errors = %v", body["errors"])
				}
			}
		})
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestOpsEndpoints(t *testing.T) {
	h := testServer(t)
	res, body := do(t, h, "GET", "/healthz", "", "")
	if res.StatusCode != 200 || body["status"] != "ok" {
		t.Fatalf("healthz %d %v", res.StatusCode, body)
	}
	res, body = do(t, h, "GET", "/readyz", "", "")
	if res.StatusCode != 200 || body["ready"] != true {
		t.Fatalf("readyz %d %v", res.StatusCode, body)
	}
	r := httptest.NewRequest("GET", "/metrics", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("metrics %d", w.Code)
	}
}

func TestServeShutsDownGracefully(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, "127.0.0.1:0", http.NotFoundHandler(), 0, slog.New(slog.DiscardHandler)) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
}

func TestRouterFillsPathValuesAndRoute(t *testing.T) {
	rt := NewRouter()
	rt.HandleFunc("GET /v1/files/{id}/notes/{note}", func(w http.ResponseWriter, r *http.Request) {
		route, _ := RouteFrom(r.Context())
		_, _ = io.WriteString(w, r.PathValue("id")+"|"+r.PathValue("note")+"|"+route.Template)
	})
	w := httptest.NewRecorder()
	rt.ServeHTTP(w, httptest.NewRequest("GET", "/v1/files/2026-000123/notes/7", nil))
	if got := w.Body.String(); got != "2026-000123|7|/v1/files/{id}/notes/{note}" {
		t.Fatalf("got %q", got)
	}
}

func TestServeWithStopsWhenATaskFails(t *testing.T) {
	failure := errors.New("relay lost")
	started := make(chan struct{})
	err := ServeWith(context.Background(), mustListen(t), http.NotFoundHandler(), 0, slog.New(slog.DiscardHandler),
		func(ctx context.Context) error { close(started); <-ctx.Done(); return ctx.Err() },
		func(ctx context.Context) error { <-started; return failure },
	)
	if !errors.Is(err, failure) {
		t.Fatalf("ServeWith returned %v, want the task's failure", err)
	}
}

func TestServeWithStopsCleanlyOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { <-ran; cancel() }()
	err := ServeWith(ctx, mustListen(t), http.NotFoundHandler(), 0, slog.New(slog.DiscardHandler),
		func(ctx context.Context) error { close(ran); <-ctx.Done(); return nil })
	if err != nil {
		t.Fatalf("ServeWith returned %v", err)
	}
}

func mustListen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func TestEveryRunsAtOnceThenStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	runs := 0
	err := Every(time.Hour, func(context.Context) { runs++; cancel() })(ctx)
	if err != nil || runs != 1 {
		t.Fatalf("Every returned %v after %d runs, want nil after 1", err, runs)
	}
}
