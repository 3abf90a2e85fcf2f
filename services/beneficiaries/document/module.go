package document

import (
	"context"
	"log/slog"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/idempotency"
	"github.com/entraide/entraide/services/beneficiaries/file"
)

// Deps are what the service assembly lends this package.
type Deps struct {
	DB         *mongo.Database
	OnWrite    func(collection, id string)
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Files is the assembled file package: who sees which file, the audit writer, the route protection.
	Files *file.Module
	// MaxBytes [DefaultMaxBytes] is the largest content accepted (BENEFICIARIES_DOCUMENT_MAX_BYTES).
	MaxBytes int64
	// Idempotency makes uploads with an Idempotency-Key safe to retry; nil means none.
	Idempotency *idempotency.Store
	// Retention [DefaultRetention] is the retention period of each document type
	// (BENEFICIARIES_DOCUMENT_RETENTION).
	Retention Retention
	// OrphanGrace [DefaultOrphanGrace] is how old a content nothing refers to must be before the sweep deletes
	// it; SweepInterval [DefaultSweepInterval] is how often Run sweeps (first at start).
	OrphanGrace, SweepInterval time.Duration
	Now                        func() time.Time
}

// Defaults of the orphan sweep.
const (
	DefaultOrphanGrace   = time.Hour
	DefaultSweepInterval = time.Hour
)

// Module is the document package assembled.
type Module struct {
	Repository *Repository
	Service    Service

	deps    Deps
	protect endpoint.Middleware
}

// NewModule assembles the package over d.
func NewModule(d Deps) *Module {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Registerer == nil {
		d.Registerer = prometheus.NewRegistry()
	}
	if d.MaxBytes <= 0 {
		d.MaxBytes = DefaultMaxBytes
	}
	if d.OrphanGrace <= 0 {
		d.OrphanGrace = DefaultOrphanGrace
	}
	if d.SweepInterval <= 0 {
		d.SweepInterval = DefaultSweepInterval
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	m := &Module{Repository: NewRepository(d.DB, d.OnWrite), deps: d, protect: d.Files.Protect()}
	svc := NewService(m.Repository, d.Files.Service, d.Files.Repository, d.Files.Auditor, d.Logger,
		Config{MaxBytes: d.MaxBytes, Idempotency: d.Idempotency, Retention: d.Retention, Now: d.Now})
	svc = LoggingMiddleware(d.Logger)(svc)
	m.Service = InstrumentingMiddleware(d.Registerer)(svc)
	return m
}

// Collections are the collections whose outbox the relay drains.
func (m *Module) Collections() []*mongo.Collection { return Collections(m.deps.DB) }

// EnsureIndexes creates the package's indexes.
func (m *Module) EnsureIndexes(ctx context.Context) error { return EnsureIndexes(ctx, m.deps.DB) }

// Mount registers the package's routes on rt.
func (m *Module) Mount(rt *httpkit.Router) {
	MakeHandler(rt, MakeEndpoints(m.Service, m.protect, m.deps.MaxBytes), m.deps.Logger)
}

// Run sweeps the orphaned contents (Repository.SweepOrphans) at start and then every SweepInterval until ctx
// ends. A failed sweep is logged and tried again at the next tick.
func (m *Module) Run(ctx context.Context) error {
	t := time.NewTicker(m.deps.SweepInterval)
	defer t.Stop()
	for {
		m.Sweep(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sweep removes once the contents nothing has referred to for OrphanGrace; it logs what it removed (counts).
func (m *Module) Sweep(ctx context.Context) SweepResult {
	res, err := m.Repository.SweepOrphans(ctx, m.deps.Now().Add(-m.deps.OrphanGrace))
	switch {
	case err != nil && ctx.Err() == nil:
		m.deps.Logger.WarnContext(ctx, "sweep of orphaned document contents failed", "error", err.Error())
	case res.Contents > 0 || res.Partial > 0:
		m.deps.Logger.InfoContext(ctx, "orphaned document contents removed", "contents", res.Contents, "partial_uploads", res.Partial)
	}
	return res
}
