package web

import (
	"fmt"
	"html/template"
	"net/http"
	"runtime/debug"

	"github.com/entraide/entraide/libs/httpkit"
)

// errorData is the page data of error.html.
type errorData struct {
	Message string
}

// errorPage shows an error page in the user's language; sess may be nil.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, sess *Session, status int, titleKey, messageKey string) {
	v := &view{Session: sess}
	v.Lang = langOf(r)
	v.Title = v.T(titleKey)
	v.Data = errorData{Message: v.T(messageKey)}
	s.render(w, r, status, "error", v)
}

// forbidden answers 403: the page is not for this user, or the form's CSRF token is missing or wrong.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, sess *Session, messageKey string) {
	s.errorPage(w, r, sess, http.StatusForbidden, "error.forbidden.title", messageKey)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	var sess *Session
	if c, err := r.Cookie(SessionCookie); err == nil {
		// The header shows who is signed in when the session is live; never refresh or redirect for a 404.
		sess, _ = s.sessions.Load(r.Context(), c.Value)
	}
	s.errorPage(w, r, sess, http.StatusNotFound, "error.notfound.title", "error.notfound.message")
}

// unavailable answers 503 when a service the page needs cannot be reached.
func (s *Server) unavailable(w http.ResponseWriter, r *http.Request, sess *Session, err error) {
	s.log.WarnContext(r.Context(), "dependency unavailable", "request_id", httpkit.RequestID(r.Context()),
		"route", routeTemplate(r), "error", err.Error())
	w.Header().Set("Retry-After", "30")
	s.errorPage(w, r, sess, http.StatusServiceUnavailable, "error.unavailable.title", "error.unavailable.message")
}

// internalError logs the cause (never shown) and answers a plain 500 page.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "page failed", "request_id", httpkit.RequestID(r.Context()),
		"route", routeTemplate(r), "error", err.Error())
	l := langOf(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	// No template here: the template may be what failed.
	fmt.Fprintf(w, `<!doctype html><html lang="%s"><head><meta charset="utf-8"><title>%s</title>`+
		`<link rel="stylesheet" href="/static/app.css"></head><body><main class="container"><h1>%s</h1><p>%s</p>`+
		`<p><a href="/">%s</a></p></main></body></html>`,
		l, template.HTMLEscapeString(translate(l, "error.internal.title")), template.HTMLEscapeString(translate(l, "error.internal.title")),
		template.HTMLEscapeString(translate(l, "error.internal.message")), template.HTMLEscapeString(translate(l, "nav.home")))
}

// recoverHTML turns a panic into the 500 page; the stack goes to the log, no request data with it.
func (s *Server) recoverHTML() httpkit.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					s.log.ErrorContext(r.Context(), "panic while serving page", "request_id", httpkit.RequestID(r.Context()),
						"panic_type", fmt.Sprintf("%T", v), "stack", string(debug.Stack()))
					s.internalError(w, r, fmt.Errorf("panic %T", v))
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}
