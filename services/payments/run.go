// Package payments assembles the payments service (issue 5, core part): the projection of the beneficiary
// registry (payees, files, teams), the schedules fed by the decisions' events, the payment runs and their pain.001
// files, and the tenants' payment settings, on one router, with one outbox relay to cpas.payments.v1 (audit
// records to cpas.audit.v1).
package payments

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
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/ledger"
	"github.com/entraide/entraide/services/payments/projection"
	"github.com/entraide/entraide/services/payments/receivable"
	"github.com/entraide/entraide/services/payments/reconcile"
	"github.com/entraide/entraide/services/payments/run"
	"github.com/entraide/entraide/services/payments/schedule"
	"github.com/entraide/entraide/services/payments/settings"
	"github.com/entraide/entraide/services/payments/statement"
	"github.com/entraide/entraide/services/payments/subsidy"
)

// App is the assembled service.
type App struct {
	Handler    http.Handler
	Projection *projection.Repository
	Settings   *settings.Store
	Schedules  *schedule.Service
	Runs       *run.Service
	// Receivables are the recoveries (receivables, their OGM, plans, incoming transfers).
	Receivables *receivable.Service
	// Ledger computes the ledgers and the accounting journal; Subsidy the federal subsidy and its claim data sets.
	Ledger  *ledger.Service
	Subsidy *subsidy.Service
	// Statements imports the bank statements; Reconcile matches their lines (queue for the accountant).
	Statements *statement.Service
	Reconcile  *reconcile.Service

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
	defaults, err := cfg.Defaults()
	if err != nil {
		return nil, err
	}
	reg := cfg.Registerer
	if reg == nil {
		reg = httpkit.NewRegistry()
	}
	edges, err := servicekit.NewEdges(ctx, db, servicekit.EdgesConfig{Source: schedule.EventSource, Keys: keys, JWKSURL: cfg.JWKSURL(),
		Issuer: cfg.IdentityIssuer, Audience: Audience, Logger: logger})
	if err != nil {
		return nil, err
	}
	onWrite := edges.OnWrite
	for _, ensure := range []func(context.Context, *mongo.Database) error{projection.EnsureIndexes, schedule.EnsureIndexes, run.EnsureIndexes,
		receivable.EnsureIndexes, subsidy.EnsureIndexes, statement.EnsureIndexes, reconcile.EnsureIndexes} {
		if err := ensure(ctx, db); err != nil {
			return nil, err
		}
	}
	auditor := kit.NewAuditor(edges.Audit, logger)
	app := &App{cfg: cfg, logger: logger, edges: edges, Projection: projection.NewRepository(db), Settings: settings.NewStore(db, defaults)}
	schedules := schedule.NewRepository(db, onWrite)
	schedules.DetectEngine(ctx)
	app.Schedules = &schedule.Service{Repo: schedules, Proj: app.Projection, Audit: auditor, Logger: logger, HorizonMonths: cfg.HorizonMonths,
		Articles: func(ctx context.Context, tenant, kind string) (string, error) {
			st, err := app.Settings.Get(ctx, tenant)
			if err != nil {
				return "", err
			}
			return st.State.Article(kind), nil
		}}
	app.Runs = run.NewService(db, onWrite, schedules, app.Projection, app.Settings, auditor)
	app.Receivables = receivable.NewService(db, onWrite, schedules, app.Projection, auditor, logger)
	app.Ledger = ledger.NewService(db, schedules, app.Runs, app.Receivables, app.Projection, auditor)
	app.Subsidy = subsidy.NewService(db, app.Settings, app.Ledger, app.Receivables, app.Projection, auditor, logger)
	app.Reconcile = reconcile.NewService(db, onWrite, schedules, app.Runs.Runs, app.Projection, auditor)
	app.Reconcile.Receivables = receivablesAdapter{app.Receivables}
	app.Statements = statement.NewService(db, auditor)
	app.Statements.Reconciler = app.Reconcile

	protect := edges.Protect(auditor)
	rt := httpkit.NewRouter()
	kit.Mount(rt, logger, protect, edges.Idempotent, slices.Concat(run.CreationRoutes, receivable.CreationRoutes, schedule.CreationRoutes),
		slices.Concat(app.Schedules.KitRoutes(), app.Runs.KitRoutes(logger), app.Settings.KitRoutes(), app.Receivables.KitRoutes(),
			app.Ledger.KitRoutes(), app.Subsidy.KitRoutes(), app.Statements.KitRoutes(edges.Idempotency), app.Reconcile.KitRoutes()))

	if len(cfg.KafkaBrokers) > 0 {
		app.relay, err = edges.NewRelay(cfg.KafkaBrokers, events.TopicPayments,
			slices.Concat(schedule.Collections(db), run.Collections(db), receivable.Collections(db), reconcile.Collections(db)), reg)
		if err != nil {
			return nil, err
		}
	} else {
		logger.Warn("KAFKA_BROKERS is empty: payments events stay in the outbox and no decision or registry event is consumed")
	}
	httpkit.Ops(rt, "payments", reg, httpkit.Check{Name: "mongo", Fn: func(ctx context.Context) error {
		return db.Client().Ping(ctx, nil)
	}})
	// The body limit is the statements' (an upload streams to the parser); the JSON routes bound their own bodies.
	app.Handler = httpkit.APIStack("payments", rt, logger, reg, max(httpkit.DefaultMaxBody, app.Statements.MaxBytes+1<<20))
	return app, nil
}

// Routes are the API routes (the ops endpoints aside).
func Routes() []string {
	return slices.Concat(schedule.Routes(), run.Routes(), settings.Routes(), receivable.Routes(), ledger.Routes(), subsidy.Routes(),
		statement.Routes(), reconcile.Routes())
}

// Serve serves the API on ln and runs the relay, the consumers (decisions, registry), the schedules' monthly
// planning, the runs' housekeeping and the purge of idempotency keys until ctx ends, then shuts down gracefully.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	tasks := []httpkit.Task{httpkit.Every(time.Hour, a.edges.PurgeIdempotency), httpkit.Every(time.Hour, a.Schedules.ReconcileAll),
		httpkit.Every(5*time.Minute, a.Runs.Housekeep), httpkit.Every(time.Hour, a.Receivables.SyncAll),
		httpkit.Every(5*time.Minute, a.Reconcile.Pending), httpkit.Every(time.Hour, a.Reconcile.ReleaseReturned)}
	if a.relay != nil {
		tasks = append(tasks,
			func(ctx context.Context) error { a.ensureTopics(ctx); return a.relay.Run(ctx) },
			func(ctx context.Context) error {
				a.ensureTopics(ctx)
				return projection.Consumer{Repo: a.Projection, Brokers: a.cfg.KafkaBrokers, Logger: a.logger}.Run(ctx)
			},
			func(ctx context.Context) error {
				a.ensureTopics(ctx)
				return schedule.Consumer{Service: a.Schedules, Brokers: a.cfg.KafkaBrokers, Logger: a.logger}.Run(ctx)
			},
			func(ctx context.Context) error {
				a.ensureTopics(ctx)
				return receivable.Consumer{Service: a.Receivables, Brokers: a.cfg.KafkaBrokers, Logger: a.logger}.Run(ctx)
			},
			func(ctx context.Context) error {
				a.ensureTopics(ctx)
				return subsidy.Consumer{Service: a.Subsidy, Brokers: a.cfg.KafkaBrokers, Topic: events.TopicDecisions, Logger: a.logger}.Run(ctx)
			},
			func(ctx context.Context) error {
				a.ensureTopics(ctx)
				return subsidy.Consumer{Service: a.Subsidy, Brokers: a.cfg.KafkaBrokers, Topic: events.TopicBeneficiaries, Logger: a.logger}.Run(ctx)
			})
	}
	return httpkit.ServeWith(ctx, ln, a.Handler, a.cfg.ShutdownGrace, a.logger, tasks...)
}

// ensureTopics creates the topics this service writes and reads, retrying while Kafka is unreachable.
func (a *App) ensureTopics(ctx context.Context) {
	specs := []events.TopicSpec{
		{Name: events.TopicPayments, Partitions: 6, ReplicationFactor: a.cfg.KafkaReplicationFactor},
		{Name: events.TopicAudit, Partitions: 6, ReplicationFactor: a.cfg.KafkaReplicationFactor},
		{Name: events.TopicDecisions, Partitions: 6, ReplicationFactor: a.cfg.KafkaReplicationFactor},
		{Name: events.TopicBeneficiaries, Partitions: 6, ReplicationFactor: a.cfg.KafkaReplicationFactor},
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

// Run is the entry point for cmd/payments and the all-in-one process.
func Run(ctx context.Context, cfg Config, logger *slog.Logger) error {
	return servicekit.RunApp(ctx, cfg.Listener, cfg.HTTPAddr, func(ctx context.Context) (*App, error) { return NewApp(ctx, cfg, logger) })
}

// receivablesAdapter offers the statements' incoming credits to the receivables (package receivable).
type receivablesAdapter struct{ s *receivable.Service }

func (r receivablesAdapter) MatchIncoming(ctx context.Context, tenant string, c reconcile.IncomingCredit) (bool, error) {
	return r.s.MatchIncoming(ctx, tenant, receivable.Credit{StatementLineID: c.LineID, AmountCents: c.AmountCents, OGM: c.OGM,
		DebtorIBAN: c.DebtorIBAN, DebtorName: c.DebtorName, BookedOn: c.BookingDate})
}
