package httpkit

import (
	"context"
	"net/http"
)

// routeHolder lets the Router report the matched template to middlewares that wrap it (access log, metrics).
type routeHolder struct{ route Route }

type holderKey struct{}

func withRouteHolder(ctx context.Context, h *routeHolder) context.Context {
	return context.WithValue(ctx, holderKey{}, h)
}

func reportRoute(r *http.Request, rt Route) {
	if h, ok := r.Context().Value(holderKey{}).(*routeHolder); ok {
		h.route = rt
	}
}
