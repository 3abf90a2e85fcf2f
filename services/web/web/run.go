// Package web is Entraide's web front end: server-rendered HTML pages (html/template, embedded, no JavaScript
// needed) for social workers, committee members, accountants, the DPO and the administrators. It signs users in
// against the identity service, keeps their tokens server-side in sessions stored in MongoDB, guards every page
// with the shared casbin policy (api/policy, web section) and CSRF tokens, and calls the services' HTTP APIs with
// the user's access token.
//
// A screen is found by its file: pages_<area>.go holds the handlers of an area, templates/<page>.html its markup,
// i18n/<lang>.json its texts; server.go lists every route.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/authz"
	"github.com/entraide/entraide/libs/httpkit"
)

// Run serves the web front end until ctx is done, then shuts down gracefully and returns nil.
func Run(ctx context.Context, cfg Config, logger *slog.Logger) error {
	client, err := mongo.Connect(options.Client().ApplyURI(cfg.MongoURI).SetTimeout(10 * time.Second))
	if err != nil {
		return fmt.Errorf("web: connect mongodb: %w", err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = client.Disconnect(dctx)
	}()
	enforcer, err := authz.NewEnforcer()
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	reg := httpkit.NewRegistry()
	srv, err := NewServer(ctx, cfg, Deps{DB: client.Database(cfg.MongoDatabase), Authorize: PolicyAuthorizer(enforcer),
		Logger: logger, Registry: reg, Gatherer: reg})
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	go srv.sweepSessions(ctx, 10*time.Minute)
	if cfg.Listener != nil {
		return httpkit.ServeListener(ctx, cfg.Listener, srv.Handler(), cfg.ShutdownGrace, logger)
	}
	return httpkit.Serve(ctx, cfg.HTTPAddr, srv.Handler(), cfg.ShutdownGrace, logger)
}

// sweepSessions deletes expired sessions now and then. Expired sessions are refused on load anyway; the sweep
// only keeps the collection small (on FerretDB/SQLite it scans the collection, hence the slow pace).
func (s *Server) sweepSessions(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.sessions.DeleteExpired(ctx); err != nil {
				s.log.WarnContext(ctx, "sweeping expired sessions failed", "error", err.Error())
			} else if n > 0 {
				s.log.InfoContext(ctx, "expired sessions swept", "count", n)
			}
		}
	}
}
