package web

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Setup creates what the front end keeps in MongoDB before it serves — the indexes of web_sessions and, unless
// WEB_LOGIN_CSRF_KEY is set, the shared login CSRF key in web_keys — then returns (cmd/web -setup, the init job
// of deploy/compose and k8s). NewServer does the same at every start; both are idempotent.
func Setup(ctx context.Context, cfg Config, logger *slog.Logger) error {
	client, err := mongo.Connect(options.Client().ApplyURI(cfg.MongoURI).SetTimeout(30 * time.Second))
	if err != nil {
		return fmt.Errorf("web: connect mongodb: %w", err)
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }()
	db := client.Database(cfg.MongoDatabase)
	if err := NewSessionStore(db, cfg.SessionIdle, cfg.SessionMax).EnsureIndexes(ctx); err != nil {
		return fmt.Errorf("web: session indexes: %w", err)
	}
	if _, err := loginCSRFKey(ctx, db, cfg.LoginCSRFKey); err != nil {
		return fmt.Errorf("web: login CSRF key: %w", err)
	}
	logger.Info("web setup done")
	return nil
}
