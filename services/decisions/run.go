// Package decisions assembles the aid decisions service (issue 4): the request register and its
// acknowledgments, the tenant settings, the projection of the beneficiary registry, and the deadline board, on
// one router, with one outbox relay to cpas.decisions.v1 (audit records to cpas.audit.v1).
package decisions

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/servicekit"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/board"
	"github.com/entraide/entraide/services/decisions/decision"
	"github.com/entraide/entraide/services/decisions/inquiry"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/projection"
	"github.com/entraide/entraide/services/decisions/proposal"
	"github.com/entraide/entraide/services/decisions/request"
	"github.com/entraide/entraide/services/decisions/ristable"
	"github.com/entraide/entraide/services/decisions/session"
	"github.com/entraide/entraide/services/decisions/settings"
	"github.com/entraide/entraide/services/decisions/urgent"
)

// App is the assembled service.
type App struct {
	Handler    http.Handler
	Requests   *request.Service
	Projection *projection.Repository
	Settings   *settings.Store
	// Inquiries, Proposals and RISTables are the social inquiries, the proposals and the RIS amounts (slice A).
	Inquiries *inquiry.Service
	Proposals *proposal.Service
	RISTables *ristable.Store
	// Decisions are the adopted decisions, their letters, notifications and what follows (slice C).
	Decisions *decision.Service
	// Sessions and Urgent are the committee's sessions and the president's urgent decisions (slice B).
	Sessions *session.Service
	Urgent   *urgent.Service
	// Board is the deadline board; other packages' clocks join it with Board.Add.
	Board *board.Service

	cfg    Config
	logger *slog.Logger
	client *mongo.Client
	relay  *store.Relay
	edges  *servicekit.Edges
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

// NewAppOnDB assembles the service on an open database; keys verifies the tokens (nil: the identity JWKS).
func NewAppOnDB(ctx context.Context, cfg Config, logger *slog.Logger, db *mongo.Database, keys authn.KeySource) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rules, err := cfg.Rules()
	if err != nil {
		return nil, err
	}
	reg := cfg.Registerer
	if reg == nil {
		reg = httpkit.NewRegistry()
	}
	edges, err := servicekit.NewEdges(ctx, db, servicekit.EdgesConfig{Source: request.EventSource, Keys: keys, JWKSURL: cfg.JWKSURL(),
		Issuer: cfg.IdentityIssuer, Audience: Audience, Logger: logger})
	if err != nil {
		return nil, err
	}
	onWrite := edges.OnWrite

	for _, ensure := range []func(context.Context, *mongo.Database) error{projection.EnsureIndexes, request.EnsureIndexes,
		inquiry.EnsureIndexes, proposal.EnsureIndexes,
		session.EnsureIndexes, urgent.EnsureIndexes, decision.EnsureIndexes} {
		if err := ensure(ctx, db); err != nil {
			return nil, err
		}
	}
	auditor := kit.NewAuditor(edges.Audit, logger)
	app := &App{cfg: cfg, logger: logger, edges: edges,
		Projection: projection.NewRepository(db), Settings: settings.NewStore(db, rules)}
	app.Requests = &request.Service{Repo: request.NewRepository(db, onWrite), Proj: app.Projection, Settings: app.Settings, Audit: auditor}
	app.RISTables = ristable.NewStore(db)
	app.Inquiries = inquiry.NewService(db, app.Requests, app.Projection, app.Settings, auditor)
	app.Proposals = proposal.NewService(db, onWrite, app.Inquiries, app.RISTables, auditor)
	app.Decisions = &decision.Service{Repo: decision.NewRepository(db, onWrite), Proj: app.Projection, Settings: app.Settings,
		Requests: app.Requests, Audit: auditor}
	app.Urgent = urgent.NewService(db, auditor, logger)
	app.Sessions = &session.Service{Repo: session.NewRepository(db, onWrite), Rules: session.NewRulesStore(db, app.Settings),
		Settings: app.Settings, Proj: app.Projection, Audit: auditor, Ratifications: app.Urgent, Logger: logger}
	app.Sessions.Proposals = app.Proposals
	app.Sessions.Details = proposalDetails{app.Proposals}
	app.wireDecisions(app.Proposals)
	app.Board = board.New(app.Requests, nil)
	app.Board.Logger = logger
	app.Board.Add(app.Decisions)
	app.Board.Add(app.Urgent) // urgent decisions not ratified by a session held since
	app.Projection.OnFile = app.Board.Directory.FileChanged

	protect := edges.Protect(auditor)
	rt := httpkit.NewRouter()
	routes := slices.Concat(app.Requests.KitRoutes(), app.Board.KitRoutes(), app.Settings.KitRoutes(),
		app.Sessions.KitRoutes(), app.Urgent.KitRoutes(), app.Decisions.KitRoutes(),
		app.Inquiries.KitRoutes(), app.Proposals.KitRoutes(), app.RISTables.KitRoutes())
	kit.Mount(rt, logger, protect, edges.Idempotent, slices.Concat(request.CreationRoutes, session.CreationRoutes, urgent.CreationRoutes, decision.CreationRoutes, proposal.CreationRoutes), routes)

	if len(cfg.KafkaBrokers) > 0 {
		app.relay, err = edges.NewRelay(cfg.KafkaBrokers, events.TopicDecisions,
			slices.Concat(request.Collections(db), session.Collections(db), decision.Collections(db), proposal.Collections(db)), reg)
		if err != nil {
			return nil, err
		}
	} else {
		logger.Warn("KAFKA_BROKERS is empty: decisions events stay in the outbox and the beneficiaries projection is not fed")
	}
	httpkit.Ops(rt, "decisions", reg, httpkit.Check{Name: "mongo", Fn: func(ctx context.Context) error {
		return db.Client().Ping(ctx, nil)
	}})
	app.Handler = httpkit.APIStack("decisions", rt, logger, reg, httpkit.DefaultMaxBody)
	return app, nil
}

// Routes are the API routes (the ops endpoints aside).
func Routes() []string {
	return slices.Concat(request.Routes(), board.Routes(), settings.Routes(), session.Routes(), urgent.Routes(), decision.Routes(),
		inquiry.Routes(), proposal.Routes(), ristable.Routes())
}

// Serve serves the API on ln and runs the relay, the projection consumer and the purge of idempotency keys
// until ctx ends, then shuts down gracefully.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	tasks := []httpkit.Task{httpkit.Every(time.Hour, a.edges.PurgeIdempotency), httpkit.Every(time.Hour, a.Board.Reconcile), httpkit.Every(time.Minute, a.settleCommittee),
		httpkit.Every(time.Hour, a.Decisions.ReviewLoop(a.logger))}
	if a.relay != nil {
		tasks = append(tasks,
			func(ctx context.Context) error { a.ensureTopics(ctx); return a.relay.Run(ctx) },
			func(ctx context.Context) error {
				a.ensureTopics(ctx)
				c := projection.Consumer{Repo: a.Projection, Brokers: a.cfg.KafkaBrokers, Logger: a.logger}
				return c.Run(ctx)
			},
			func(ctx context.Context) error {
				a.ensureTopics(ctx)
				return decision.ReviewConsumer{Service: a.Decisions, Brokers: a.cfg.KafkaBrokers, Logger: a.logger}.Run(ctx)
			})
	}
	return httpkit.ServeWith(ctx, ln, a.Handler, a.cfg.ShutdownGrace, a.logger, tasks...)
}

// ensureTopics creates the topics this service writes and reads, retrying while Kafka is unreachable.
func (a *App) ensureTopics(ctx context.Context) {
	specs := []events.TopicSpec{
		{Name: events.TopicDecisions, Partitions: 6, ReplicationFactor: a.cfg.KafkaReplicationFactor},
		{Name: events.TopicAudit, Partitions: 6, ReplicationFactor: a.cfg.KafkaReplicationFactor},
		{Name: events.TopicBeneficiaries, Partitions: 6, ReplicationFactor: a.cfg.KafkaReplicationFactor},
	}
	events.EnsureTopicsRetrying(ctx, a.cfg.KafkaBrokers, a.logger, specs...)
}

// settleCommittee retries the committee's hand-overs a crash or an unavailable service left pending (outcomes of
// sessions, closed sessions not applied to the urgent decisions, urgent decisions not yet in force).
func (a *App) settleCommittee(ctx context.Context) {
	a.Sessions.Housekeep(ctx)
	a.Urgent.Housekeep(ctx)
}

// Close disconnects from MongoDB (when NewApp connected).
func (a *App) Close(ctx context.Context) error {
	if a.client == nil {
		return nil
	}
	return a.client.Disconnect(ctx)
}

// Run is the entry point for cmd/decisions and the all-in-one process.
func Run(ctx context.Context, cfg Config, logger *slog.Logger) error {
	return servicekit.RunApp(ctx, cfg.Listener, cfg.HTTPAddr, func(ctx context.Context) (*App, error) { return NewApp(ctx, cfg, logger) })
}
