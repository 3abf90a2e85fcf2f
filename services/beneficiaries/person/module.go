package person

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/httpkit"
)

// Deps are what the service assembly (package beneficiaries) lends this package.
type Deps struct {
	DB *mongo.Database
	// OnWrite wakes the outbox relay after a write (Relay.NotifyDocument); may be nil.
	OnWrite func(collection, id string)
	Logger  *slog.Logger
	// Registerer receives the use-case metrics.
	Registerer prometheus.Registerer
	// Audit writes the audit records (collection audit.CollectionName, relayed to the audit topic).
	Audit *audit.Writer
	// Authenticate verifies the bearer token (authn.Middleware); Authorize applies the route policy
	// (authz.Middleware). Refusals of Authorize are audited between the two.
	Authenticate, Authorize endpoint.Middleware
	// Idempotent is the Idempotency-Key middleware applied to registrations; nil means none.
	Idempotent func(http.Handler) http.Handler
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Module is the person package assembled: its repository (the file package maintains access lists through it),
// its service and its routes.
type Module struct {
	Repository *Repository
	Service    Service
	Auditor    *Auditor

	deps  Deps
	hooks *atomic.Pointer[Hooks]
}

// NewModule assembles the package over d.
func NewModule(d Deps) *Module {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Registerer == nil {
		d.Registerer = prometheus.NewRegistry()
	}
	m := &Module{Repository: NewRepository(d.DB, d.OnWrite), Auditor: NewAuditor(d.Audit, d.Logger), deps: d, hooks: &atomic.Pointer[Hooks]{}}
	svc := NewService(m.Repository, m.Auditor, m.hooks, d.Now)
	svc = LoggingMiddleware(d.Logger)(svc)
	m.Service = InstrumentingMiddleware(d.Registerer)(svc)
	return m
}

// SetHooks lends the module the file package's resolvers (file numbers in search, the viewer's teams). Call it
// before serving; until then a search by file number finds nothing and workers see only persons listed by name.
func (m *Module) SetHooks(h Hooks) { m.hooks.Store(&h) }

// Collections are the collections whose outbox the relay drains.
func (m *Module) Collections() []*mongo.Collection { return Collections(m.deps.DB) }

// EnsureIndexes creates the package's indexes.
func (m *Module) EnsureIndexes(ctx context.Context) error { return EnsureIndexes(ctx, m.deps.DB) }

// Mount registers the package's routes on rt.
func (m *Module) Mount(rt *httpkit.Router) {
	protect := func(action string) endpoint.Middleware {
		return endpoint.Chain(m.deps.Authenticate, AuditDenied(m.Auditor, action), m.deps.Authorize)
	}
	MakeHandler(rt, MakeEndpoints(m.Service, protect), m.deps.Logger, TransportConfig{
		Wrap: func(route string, h http.Handler) http.Handler {
			if route == RouteRegister && m.deps.Idempotent != nil {
				return m.deps.Idempotent(h)
			}
			return h
		},
	})
}
