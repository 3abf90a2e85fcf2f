package identity

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/authz"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/idempotency"
	"github.com/entraide/entraide/libs/servicekit"
	"github.com/entraide/entraide/libs/store"
)

// App is the assembled identity service: its HTTP handler and the background work (outbox relay, purge of
// ended sessions and old login counters). Tests mount Handler on an httptest server; Run serves it on a
// listener.
type App struct {
	Handler http.Handler
	Service Service
	// Keys are the signing keys (their JWKS is also served on /.well-known/jwks.json).
	Keys *SigningKeys

	cfg      Config
	logger   *slog.Logger
	client   *mongo.Client
	db       *mongo.Database
	relay    *store.Relay
	sessions *SessionStore
	limiter  *LoginLimiter
	idem     *idempotency.Store
	trail    *AuditTrail
}

// CollIdempotency keeps the Idempotency-Key records of POST /v1/users and POST /v1/tenants.
const CollIdempotency = "idempotency_keys"

// NewApp connects to MongoDB, creates indexes, loads (or creates) the signing keys, bootstraps the platform
// admin and the demo tenant when configured, and assembles the service.
func NewApp(ctx context.Context, cfg Config, logger *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	client, db, err := store.Connect(ctx, cfg.MongoURI, cfg.MongoDatabase)
	if err != nil {
		return nil, err
	}
	app, err := newAppOnDB(ctx, cfg, logger, db)
	if err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, err
	}
	app.client = client
	return app, nil
}

func newAppOnDB(ctx context.Context, cfg Config, logger *slog.Logger, db *mongo.Database) (*App, error) {
	if err := EnsureIndexes(ctx, db); err != nil {
		return nil, err
	}
	keys, err := LoadSigningKeys(cfg.SigningKeyFiles, cfg.KeyDir)
	if err != nil {
		return nil, err
	}
	issuer, err := NewTokenIssuer(keys, cfg.Issuer, cfg.AccessTTL)
	if err != nil {
		return nil, err
	}
	reg := cfg.Registerer
	if reg == nil {
		reg = httpkit.NewRegistry()
	}
	app := &App{Keys: keys, cfg: cfg, logger: logger, db: db}
	var onWrite func(string, string)
	if len(cfg.KafkaBrokers) > 0 {
		app.relay, err = store.NewRelay(store.RelayConfig{
			Publisher:   events.NewPublisher(cfg.KafkaBrokers),
			Collections: []*mongo.Collection{db.Collection(CollUsers), db.Collection(CollTenants), db.Collection(audit.CollectionName)},
			TopicFor:    audit.TopicRouter(events.TopicIdentity),
			Logger:      logger,
			Registerer:  reg,
		})
		if err != nil {
			return nil, err
		}
		onWrite = app.relay.NotifyDocument
	} else {
		logger.Warn("KAFKA_BROKERS is empty: identity events stay in the outbox until a relay with brokers runs")
	}
	app.trail = NewAuditTrail(db)
	if err := app.trail.EnsureIndexes(ctx); err != nil {
		return nil, fmt.Errorf("identity: audit trail indexes: %w", err)
	}
	app.sessions = NewSessionStore(db)
	app.limiter = NewLoginLimiter(db, cfg.LoginFailuresPerAccount, cfg.LoginFailuresPerAddress, cfg.LoginWindow, nil)
	auditor := newAuditor(db, logger, onWrite)
	svc, err := NewService(NewUserStore(db, onWrite), NewTenantStore(db, onWrite), app.sessions, app.limiter, issuer,
		auditor, ServiceConfig{Audiences: cfg.Audiences, RefreshTTL: cfg.RefreshTTL, Argon2: cfg.Argon2})
	if err != nil {
		return nil, err
	}
	if cfg.BootstrapAdminUsername != "" {
		created, err := BootstrapPlatformAdmin(ctx, svc, cfg.BootstrapAdminUsername, cfg.BootstrapAdminPassword)
		if err != nil {
			return nil, fmt.Errorf("identity: bootstrap platform admin: %w", err)
		}
		if created {
			logger.Info("platform admin bootstrapped")
		}
	}
	if cfg.SeedDemo {
		if _, err := seedDemo(ctx, svc, DemoOptions{Password: cfg.DemoPassword}); err != nil {
			return nil, fmt.Errorf("identity: seed demo: %w", err)
		}
		logger.Info("demo tenant ready", "tenant", DemoTenantCode)
	}
	svc = LoggingMiddleware(logger)(svc)
	svc = InstrumentingMiddleware(reg)(svc)
	app.Service = svc

	enforcer, err := authz.NewEnforcer()
	if err != nil {
		return nil, err
	}
	verifier := authn.NewVerifier(keys.KeySource(), cfg.Issuer, Audience)
	rt := httpkit.NewRouter()
	idem, err := idempotency.NewStore(ctx, db.Collection(CollIdempotency))
	if err != nil {
		return nil, err
	}
	app.idem = idem
	idemMW := idempotency.Middleware(idem, authn.Principal(verifier), idempotency.WriteProblem)
	protect := Protect(verifier, enforcer)
	eps := MakeEndpoints(svc, protect)
	eps.SearchAudit = MakeAuditEndpoint(LoggingAuditMiddleware(logger)(NewAuditService(app.trail, auditor)), protect)
	MakeHandler(rt, eps, keys, logger, TransportConfig{
		TrustedProxies: cfg.TrustedProxies,
		Wrap: func(route string, h http.Handler) http.Handler {
			if route == RouteCreateUser || route == RouteCreateTenant {
				return idemMW(h)
			}
			return h
		},
	})
	httpkit.Ops(rt, "identity", reg, httpkit.Check{Name: "mongo", Fn: func(ctx context.Context) error {
		return db.Client().Ping(ctx, nil)
	}})
	app.Handler = httpkit.APIStack("identity", rt, logger, reg, 64<<10)
	return app, nil
}

// Serve serves the API on ln and runs the background work until ctx is cancelled, then shuts down gracefully
// and returns nil (or the first failure).
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	tasks := []httpkit.Task{httpkit.Every(time.Hour, a.purge)}
	if a.relay != nil {
		// The relay publishes identity's events and audit records; the trail's consumer gathers every service's
		// audit records for the DPO. Both wait for the topics.
		topics := make(chan struct{})
		tasks = append(tasks,
			func(ctx context.Context) error { a.ensureTopics(ctx); close(topics); return a.relay.Run(ctx) },
			func(ctx context.Context) error {
				select {
				case <-topics:
				case <-ctx.Done():
					return nil
				}
				a.trail.Consume(ctx, a.cfg.KafkaBrokers, a.logger)
				return nil
			})
	}
	return httpkit.ServeWith(ctx, ln, a.Handler, a.cfg.ShutdownGrace, a.logger, tasks...)
}

// ensureTopics creates the identity topic and the audit topic (which it publishes to and consumes), retrying
// while Kafka is unreachable: logins must work meanwhile.
func (a *App) ensureTopics(ctx context.Context) {
	specs := []events.TopicSpec{
		{Name: events.TopicIdentity, Partitions: 6, ReplicationFactor: a.cfg.KafkaReplicationFactor},
		{Name: events.TopicAudit, Partitions: 6, ReplicationFactor: a.cfg.KafkaReplicationFactor},
	}
	events.EnsureTopicsRetrying(ctx, a.cfg.KafkaBrokers, a.logger, specs...)
}

// purge drops what has expired (hourly, see Serve).
func (a *App) purge(ctx context.Context) {
	if _, err := a.sessions.PurgeEnded(ctx, time.Now()); err != nil && ctx.Err() == nil {
		a.logger.Warn("purge of ended sessions failed", "error", err.Error())
	}
	if _, err := a.idem.DeleteExpired(ctx); err != nil && ctx.Err() == nil {
		a.logger.Warn("purge of idempotency keys failed", "error", err.Error())
	}
	if err := a.limiter.Purge(ctx); err != nil && ctx.Err() == nil {
		a.logger.Warn("purge of login counters failed", "error", err.Error())
	}
}

// Close disconnects from MongoDB.
func (a *App) Close(ctx context.Context) error {
	if a.client == nil {
		return nil
	}
	return a.client.Disconnect(ctx)
}

// Run is the identity service's entry point for cmd/identity and the all-in-one process: it assembles the App,
// listens on cfg.Listener (or cfg.HTTPAddr) and serves until ctx is cancelled, then returns nil after a graceful
// shutdown.
func Run(ctx context.Context, cfg Config, logger *slog.Logger) error {
	return servicekit.RunApp(ctx, cfg.Listener, cfg.HTTPAddr, func(ctx context.Context) (*App, error) { return NewApp(ctx, cfg, logger) })
}
