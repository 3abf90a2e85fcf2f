package idempotency

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
)

// HeaderKey is the request header carrying the key; HeaderReplayed marks a replayed response.
const (
	HeaderKey      = "Idempotency-Key"
	HeaderReplayed = "Idempotent-Replayed"
	maxKeyLength   = 255
	maxBodyBytes   = 1 << 20 // request bodies hashed and response bodies stored are small JSON documents
)

// ValidKey reports whether key is 1 to 255 printable ASCII characters.
func ValidKey(key string) bool {
	if key == "" || len(key) > maxKeyLength {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// Middleware applies the store to POST requests that carry an Idempotency-Key; other requests pass through.
// principal names the authenticated caller (so the middleware sits after authentication); onError writes the
// error answer (see the package's errors for the statuses). A first attempt that answers 5xx or panics releases
// the key; any other answer (2xx, 4xx) is stored and replayed to retries with the header Idempotent-Replayed.
func Middleware(s *Store, principal func(*http.Request) (tenant, subject string, ok bool),
	onError func(w http.ResponseWriter, r *http.Request, err error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key, has := r.Header[http.CanonicalHeaderKey(HeaderKey)]
			if r.Method != http.MethodPost || !has {
				next.ServeHTTP(w, r)
				return
			}
			if len(key) != 1 || !ValidKey(key[0]) {
				onError(w, r, ErrInvalidKey)
				return
			}
			tenant, subject, ok := principal(r)
			if !ok || tenant == "" || subject == "" {
				onError(w, r, ErrNoPrincipal)
				return
			}
			body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
			if err != nil {
				onError(w, r, err)
				return
			}
			if len(body) > maxBodyBytes {
				onError(w, r, errors.New("idempotency: request body too large"))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			scope := Scope{Tenant: tenant, Principal: subject, Key: key[0]}
			stored, err := s.Reserve(r.Context(), scope, RequestHash(r.Method, r.URL.RequestURI(), body))
			if err != nil {
				onError(w, r, err)
				return
			}
			if stored != nil {
				replay(w, stored)
				return
			}
			serveAndStore(w, r, next, s, scope)
		})
	}
}

func replay(w http.ResponseWriter, resp *Response) {
	for k, v := range resp.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set(HeaderReplayed, "true")
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

func serveAndStore(w http.ResponseWriter, r *http.Request, next http.Handler, s *Store, scope Scope) {
	rec := &recorder{ResponseWriter: w}
	// The outcome is stored even if the client went away: a retry must find it.
	ctx := context.WithoutCancel(r.Context())
	completed := false
	defer func() {
		if completed {
			return
		}
		if err := s.Release(ctx, scope); err != nil {
			slog.ErrorContext(ctx, "idempotency: release failed", "error", err.Error())
		}
	}()
	next.ServeHTTP(rec, r)
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	if status >= 500 || rec.overflow {
		return // released by the deferred function
	}
	resp := Response{Status: status, Header: headerOf(w.Header()), Body: rec.body.Bytes()}
	if err := s.Complete(ctx, scope, resp); err != nil {
		slog.ErrorContext(ctx, "idempotency: storing the response failed", "error", err.Error())
		return
	}
	completed = true
}

// recorder passes the response through and keeps a copy of the status and body.
type recorder struct {
	http.ResponseWriter
	status   int
	body     bytes.Buffer
	overflow bool
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.body.Len()+len(b) > maxBodyBytes {
		r.overflow = true // too large to store: the key is released rather than replaying a truncated body
	} else {
		r.body.Write(b)
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
