package httpkit

import (
	"context"
	"net/http"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/entraide/entraide/libs/lang"
)

type ctxKey int

const (
	routeKey ctxKey = iota
	requestIDKey
)

// Route is the method and route template ("/v1/users/{id}") a request matched. Authorization and metrics use
// the template, never the concrete path, so ids never reach a policy or a metric label.
type Route struct {
	Method   string
	Template string
}

// WithRoute stores the matched route in the context.
func WithRoute(ctx context.Context, r Route) context.Context {
	return context.WithValue(ctx, routeKey, r)
}

// RouteFrom returns the route stored by WithRoute.
func RouteFrom(ctx context.Context) (Route, bool) {
	r, ok := ctx.Value(routeKey).(Route)
	return r, ok
}

// RequestID returns the request id of the context, or "".
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// WithRequestID stores a request id in the context.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// contextFromRequest is a go-kit RequestFunc copying what the HTTP middlewares learned into the endpoint context.
func contextFromRequest(ctx context.Context, r *http.Request) context.Context {
	ctx = lang.WithLang(ctx, lang.FromRequest(r))
	if id := RequestID(r.Context()); id != "" {
		ctx = WithRequestID(ctx, id)
	}
	if rt, ok := RouteFrom(r.Context()); ok {
		ctx = WithRoute(ctx, rt)
	}
	return ctx
}

var _ kithttp.RequestFunc = contextFromRequest
