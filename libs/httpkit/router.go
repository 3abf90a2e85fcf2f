package httpkit

import (
	"net/http"
	"strings"

	"github.com/entraide/entraide/libs/problem"
)

// Router is an http.ServeMux that records the matched route template in the request context and answers
// unknown routes and wrong methods with problem+json.
type Router struct {
	mux *http.ServeMux
}

// NewRouter returns an empty router.
func NewRouter() *Router { return &Router{mux: http.NewServeMux()} }

// Handle registers h for a pattern "METHOD /path/{var}". The mux serves it, so r.PathValue works as usual; the
// matched route reaches the context first.
func (rt *Router) Handle(pattern string, h http.Handler) {
	method, path, found := strings.Cut(pattern, " ")
	route := Route{Method: method, Template: path}
	if !found {
		route = Route{Template: pattern}
	}
	rt.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rr := route
		if rr.Method == "" {
			rr.Method = r.Method
		}
		reportRoute(r, rr)
		h.ServeHTTP(w, r.WithContext(WithRoute(r.Context(), rr)))
	}))
}

// HandleFunc registers f for a pattern "METHOD /path/{var}".
func (rt *Router) HandleFunc(pattern string, f http.HandlerFunc) { rt.Handle(pattern, f) }

func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := rt.mux.Handler(r)
	if pattern == "" {
		// The mux's own 404/405 answers are plain text: replace them, keeping the Allow header.
		cw := &captureStatus{header: http.Header{}}
		h.ServeHTTP(cw, r)
		if allow := cw.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		switch cw.status {
		case http.StatusMethodNotAllowed:
			problem.Write(w, r, problem.New(problem.MethodNotAllowed))
		case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			for k, v := range cw.header {
				w.Header()[k] = v
			}
			w.WriteHeader(cw.status)
		default:
			problem.Write(w, r, problem.New(problem.NotFound))
		}
		return
	}
	rt.mux.ServeHTTP(w, r)
}

// captureStatus records what the mux's fallback handlers would answer.
type captureStatus struct {
	header http.Header
	status int
}

func (c *captureStatus) Header() http.Header         { return c.header }
func (c *captureStatus) Write(b []byte) (int, error) { return len(b), nil }
func (c *captureStatus) WriteHeader(s int)           { c.status = s }
