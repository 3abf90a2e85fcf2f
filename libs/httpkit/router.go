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

// Handle registers h for a pattern "METHOD /path/{var}".
func (rt *Router) Handle(pattern string, h http.Handler) { rt.mux.Handle(pattern, h) }

// HandleFunc registers f for a pattern "METHOD /path/{var}".
func (rt *Router) HandleFunc(pattern string, f http.HandlerFunc) { rt.mux.HandleFunc(pattern, f) }

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
	method, path, found := strings.Cut(pattern, " ")
	if !found {
		method, path = r.Method, pattern
	}
	route := Route{Method: method, Template: path}
	reportRoute(r, route)
	r = r.WithContext(WithRoute(r.Context(), route))
	h.ServeHTTP(w, r)
}

// captureStatus records what the mux's fallback handlers would answer.
type captureStatus struct {
	header http.Header
	status int
}

func (c *captureStatus) Header() http.Header         { return c.header }
func (c *captureStatus) Write(b []byte) (int, error) { return len(b), nil }
func (c *captureStatus) WriteHeader(s int)           { c.status = s }
