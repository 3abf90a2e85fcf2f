package httpkit

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
)

// APIStack wraps a service's router with the middlewares every JSON API uses, outermost first: request id,
// access log and metrics, panic recovery, API headers, body limit.
func APIStack(service string, rt *Router, logger *slog.Logger, reg prometheus.Registerer, maxBody int64) http.Handler {
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	return Chain(rt,
		RequestIDs(),
		AccessLog(service, logger, reg),
		Recover(logger),
		APIHeaders(),
		BodyLimit(maxBody),
	)
}
