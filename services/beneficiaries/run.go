package beneficiaries

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/authz"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/servicekit"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/beneficiaries/document"
	"github.com/entraide/entraide/services/beneficiaries/file"
	"github.com/entraide/entraide/services/beneficiaries/person"
)

// module is one bounded context of the service as NewApp assembles it.
type module interface {
	// Collections are the collections whose outbox the relay drains.
	Collections() []*mongo.Collection
	EnsureIndexes(ctx context.Context) error
	Mount(rt *httpkit.Router)
}

// runner is a module with background work (event consumers); Run returns nil when ctx ends.
type runner interface {
	Run(ctx context.Context) error
}

// App is the assembled service: its HTTP handler and its background work. Tests mount Handler on an httptest
// server; Run serves it on a listener.
type App struct {
	Handler   http.Handler
	Persons   *person.Module
	Files     *file.Module
	Documents *document.Module

	cfg     Config
	logger  *slog.Logger
	client  *mongo.Client
	db      *mongo.Database
	relay   *store.Relay
	edges   *servicekit.Edges
	modules []module
}

// NewApp connects to MongoDB and assembles the service.
func NewApp(ctx context.Context, cfg Config, logger *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	client, db, err := store.Connect(ctx, cfg.MongoURI, cfg.MongoDatabase)
	if err != nil {
		return nil, err
	}
	app, err := NewAppOnDB(ctx, cfg, logger, db, nil)
	if err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, err
	}
	app.client = client
	return app, nil
}

// NewAppOnDB assembles the service on an open database. keys verifies the access tokens; nil means the
// identity service's JWKS at cfg.IdentityURL (tests pass a static key set).
func NewAppOnDB(ctx context.Context, cfg Config, logger *slog.Logger, db *mongo.Database, keys authn.KeySource) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	reg := cfg.Registerer
	if reg == nil {
		reg = httpkit.NewRegistry()
	}
	// The relay is created once the modules named their collections (edges.OnWrite does nothing until then).
	edges, err := servicekit.NewEdges(ctx, db, servicekit.EdgesConfig{Source: person.EventSource, Keys: keys, JWKSURL: cfg.JWKSURL(),
		Issuer: cfg.IdentityIssuer, Audience: Audience, Logger: logger})
	if err != nil {
		return nil, err
	}
	app := &App{cfg: cfg, logger: logger, db: db, edges: edges}
	authenticate, authorize := authn.Middleware(edges.Verifier), authz.Middleware(edges.Enforcer)

	// The modules, in dependency order (document → file → person).
	app.Persons = person.NewModule(person.Deps{
		DB: db, OnWrite: edges.OnWrite, Logger: logger, Registerer: reg, Audit: edges.Audit,
		Authenticate: authenticate, Authorize: authorize, Idempotent: edges.Idempotent,
	})
	app.Files = file.NewModule(file.Deps{
		DB: db, OnWrite: edges.OnWrite, Logger: logger, Registerer: reg, Audit: edges.Audit, Persons: app.Persons.Repository,
		Authenticate: authenticate, Authorize: authorize, Idempotent: edges.Idempotent,
		KafkaBrokers: cfg.KafkaBrokers, KafkaReplicationFactor: cfg.KafkaReplicationFactor,
	})
	app.Persons.SetHooks(app.Files.PersonHooks())
	retention, err := document.ParseRetention(cfg.DocumentRetention)
	if err != nil {
		return nil, err
	}
	app.Documents = document.NewModule(document.Deps{
		DB: db, OnWrite: edges.OnWrite, Logger: logger, Registerer: reg, Files: app.Files,
		MaxBytes: cfg.DocumentMaxBytes, Idempotency: edges.Idempotency, Retention: retention,
	})
	app.modules = []module{app.Persons, app.Files, app.Documents}

	rt := httpkit.NewRouter()
	var collections []*mongo.Collection
	for _, m := range app.modules {
		if err := m.EnsureIndexes(ctx); err != nil {
			return nil, err
		}
		m.Mount(rt)
		collections = append(collections, m.Collections()...)
	}
	if len(cfg.KafkaBrokers) > 0 {
		app.relay, err = edges.NewRelay(cfg.KafkaBrokers, events.TopicBeneficiaries, collections, reg)
		if err != nil {
			return nil, err
		}
	} else {
		logger.Warn("KAFKA_BROKERS is empty: beneficiaries events stay in the outbox until a relay with brokers runs")
	}
	httpkit.Ops(rt, "beneficiaries", reg, httpkit.Check{Name: "mongo", Fn: func(ctx context.Context) error {
		return db.Client().Ping(ctx, nil)
	}})
	app.Handler = httpkit.APIStack("beneficiaries", rt, logger, reg, cfg.DocumentMaxBytes+(1<<20))
	return app, nil
}

// Routes are the API routes of every module (for the contract test and the docs; the ops endpoints aside).
func Routes() []string {
	return slices.Concat(person.Routes(), file.Routes(), document.Routes())
}

// Serve serves the API on ln and runs the background work (relay, consumers, purge of idempotency keys) until
// ctx is cancelled, then shuts down gracefully: in-flight requests finish, consumers commit what they handled.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	tasks := []httpkit.Task{httpkit.Every(time.Hour, a.edges.PurgeIdempotency)}
	if a.relay != nil {
		tasks = append(tasks, func(ctx context.Context) error { a.ensureTopics(ctx); return a.relay.Run(ctx) })
	}
	for _, m := range a.modules {
		if r, ok := m.(runner); ok {
			tasks = append(tasks, r.Run)
		}
	}
	return httpkit.ServeWith(ctx, ln, a.Handler, a.cfg.ShutdownGrace, a.logger, tasks...)
}

// ensureTopics creates the beneficiaries and audit topics, retrying while Kafka is unreachable: the API works
// meanwhile and events wait in the outboxes.
func (a *App) ensureTopics(ctx context.Context) {
	specs := []events.TopicSpec{
		{Name: events.TopicBeneficiaries, Partitions: 6, ReplicationFactor: a.cfg.KafkaReplicationFactor},
		{Name: events.TopicAudit, Partitions: 6, ReplicationFactor: a.cfg.KafkaReplicationFactor},
	}
	events.EnsureTopicsRetrying(ctx, a.cfg.KafkaBrokers, a.logger, specs...)
}

// Close disconnects from MongoDB (when NewApp connected).
func (a *App) Close(ctx context.Context) error {
	if a.client == nil {
		return nil
	}
	return a.client.Disconnect(ctx)
}

// Run is the service's entry point for cmd/beneficiaries and the all-in-one process: it assembles the App,
// listens on cfg.Listener (or cfg.HTTPAddr) and serves until ctx is cancelled, then returns nil after a graceful
// shutdown.
func Run(ctx context.Context, cfg Config, logger *slog.Logger) error {
	return servicekit.RunApp(ctx, cfg.Listener, cfg.HTTPAddr, func(ctx context.Context) (*App, error) { return NewApp(ctx, cfg, logger) })
}
