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
	Now         func() time.Time
}

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
	m := &Module{Repository: NewRepository(d.DB, d.OnWrite), deps: d, protect: d.Files.Protect()}
	svc := NewService(m.Repository, d.Files.Service, d.Files.Auditor, d.Logger,
		Config{MaxBytes: d.MaxBytes, Idempotency: d.Idempotency, Now: d.Now})
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
