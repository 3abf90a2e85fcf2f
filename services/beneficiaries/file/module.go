package file

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/services/beneficiaries/person"
)

// Deps are what the service assembly (package beneficiaries) lends this package.
type Deps struct {
	DB *mongo.Database
	// OnWrite wakes the outbox relay after a write (Relay.NotifyDocument); may be nil.
	OnWrite    func(collection, id string)
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Audit writes the audit records.
	Audit *audit.Writer
	// Persons is the person package's repository: the files keep each managed person's access list through it.
	Persons *person.Repository
	// Authenticate verifies the bearer token; Authorize applies the route policy (refusals are audited between).
	Authenticate, Authorize endpoint.Middleware
	// Idempotent is the Idempotency-Key middleware applied to CreationRoutes; nil means none.
	Idempotent func(http.Handler) http.Handler
	// KafkaBrokers, when set, run the task consumers on TaskTopics.
	KafkaBrokers           []string
	KafkaReplicationFactor int
	// TaskGroupID [beneficiaries-tasks] is the consumer group of the task consumers.
	TaskGroupID string
	Now         func() time.Time
}

// Module is the file package assembled: its repository, service, routes and task consumers.
type Module struct {
	Repository *Repository
	Service    Service
	Auditor    *Auditor
	Tasks      *TaskConsumer

	deps Deps
}

// NewModule assembles the package over d.
func NewModule(d Deps) *Module {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Registerer == nil {
		d.Registerer = prometheus.NewRegistry()
	}
	if d.TaskGroupID == "" {
		d.TaskGroupID = "beneficiaries-tasks"
	}
	if d.KafkaReplicationFactor < 1 {
		d.KafkaReplicationFactor = 1
	}
	m := &Module{Repository: NewRepository(d.DB, d.OnWrite), Auditor: NewAuditor(d.Audit, d.Logger), deps: d}
	m.Tasks = NewTaskConsumer(m.Repository, d.Logger)
	svc := NewService(m.Repository, NewPersons(d.Persons), m.Auditor, d.Logger, Config{Now: d.Now})
	svc = LoggingMiddleware(d.Logger)(svc)
	m.Service = InstrumentingMiddleware(d.Registerer)(svc)
	return m
}

// PersonHooks are the resolvers the person package borrows from files (person.Module.SetHooks).
func (m *Module) PersonHooks() person.Hooks {
	return person.Hooks{Files: m.Repository, Teams: m.Repository}
}

// Collections are the collections whose outbox the relay drains.
func (m *Module) Collections() []*mongo.Collection { return Collections(m.deps.DB) }

// EnsureIndexes creates the package's indexes.
func (m *Module) EnsureIndexes(ctx context.Context) error { return EnsureIndexes(ctx, m.deps.DB) }

// Protect is the middleware chain of this package's routes (and the document package's): authentication, an
// audit of refusals, authorization.
func (m *Module) Protect() endpoint.Middleware {
	return endpoint.Chain(m.deps.Authenticate, AuditDenials(m.Auditor), m.deps.Authorize)
}

// Mount registers the package's routes on rt.
func (m *Module) Mount(rt *httpkit.Router) {
	MakeHandler(rt, MakeEndpoints(m.Service, m.Protect()), HandlerConfig{
		Logger: m.deps.Logger,
		Wrap: func(route string, h http.Handler) http.Handler {
			if m.deps.Idempotent != nil && slices.Contains(CreationRoutes, route) {
				return m.deps.Idempotent(h)
			}
			return h
		},
	})
}

// Run consumes the task requests of TaskTopics until ctx ends (nothing to do without brokers). The topics are
// created if missing (retrying while Kafka is unreachable), so the consumers can start before their producers.
func (m *Module) Run(ctx context.Context) error {
	if len(m.deps.KafkaBrokers) == 0 {
		return nil
	}
	specs := make([]events.TopicSpec, 0, len(TaskTopics))
	for _, t := range TaskTopics {
		specs = append(specs, events.TopicSpec{Name: t, Partitions: 6, ReplicationFactor: m.deps.KafkaReplicationFactor})
	}
	for wait := time.Second; ; wait = min(2*wait, time.Minute) {
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := events.EnsureTopics(tctx, m.deps.KafkaBrokers, specs...)
		cancel()
		if err == nil {
			break
		}
		m.deps.Logger.Warn("task topics not ready yet, retrying", "error", err.Error())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(TaskTopics))
	for i, topic := range TaskTopics {
		wg.Go(func() {
			errs[i] = events.Consume(ctx, events.ConsumerConfig{Brokers: m.deps.KafkaBrokers, GroupID: m.deps.TaskGroupID,
				Topic: topic, Handler: m.Tasks.Handle, Logger: m.deps.Logger})
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
