package authn

import (
	"context"
	"net/http"
	"strings"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/entraide/entraide/libs/problem"
)

// BearerFromHeader is a go-kit RequestFunc (kithttp.ServerBefore) copying the bearer token of the Authorization
// header into the context. Tokens are only ever read from this header: never from a query string or a form,
// which end up in logs, histories and Referer headers.
func BearerFromHeader(ctx context.Context, r *http.Request) context.Context {
	if tok, ok := Bearer(r.Header.Get("Authorization")); ok {
		return WithToken(ctx, tok)
	}
	return ctx
}

var _ kithttp.RequestFunc = BearerFromHeader

// Bearer extracts the token of an "Authorization: Bearer <token>" header value.
func Bearer(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// Middleware refuses a request whose context holds no valid token (see BearerFromHeader) with a 401 problem
// that says nothing about why (the cause is kept in the error for the server log), and otherwise passes the
// verified claims on in the context.
func Middleware(v *Verifier) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request any) (any, error) {
			tok, _ := TokenFrom(ctx)
			claims, err := v.Verify(ctx, tok)
			if err != nil {
				return nil, &problem.Error{Type: problem.Unauthorized, Cause: err}
			}
			return next(WithClaims(ctx, claims), request)
		}
	}
}

// Principal returns the (tenant, subject) of a request's valid bearer token, for middlewares that run before the
// endpoints' own authentication and must scope what they store by caller (the Idempotency-Key store).
func Principal(v *Verifier) func(r *http.Request) (tenant, subject string, ok bool) {
	return func(r *http.Request) (string, string, bool) {
		tok, ok := Bearer(r.Header.Get("Authorization"))
		if !ok {
			return "", "", false
		}
		c, err := v.Verify(r.Context(), tok)
		if err != nil {
			return "", "", false
		}
		return c.Tenant, c.Subject, true
	}
}
