package person

import (
	"context"
	"time"

	"github.com/go-kit/kit/metrics"
	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/entraide/entraide/libs/problem"
)

// InstrumentingMiddleware counts use cases by method and outcome and measures their latency (go-kit metrics on
// Prometheus).
func InstrumentingMiddleware(reg prometheus.Registerer) Middleware {
	calls := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "entraide", Subsystem: "persons", Name: "calls_total", Help: "Person use cases by method and outcome.",
	}, []string{"method", "outcome"}))
	latency := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "entraide", Subsystem: "persons", Name: "call_duration_seconds", Help: "Person use case latency.",
		Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1},
	}, []string{"method"}))
	return func(next Service) Service {
		return &instrumentingService{next: next, calls: kitprometheus.NewCounter(calls), latency: kitprometheus.NewHistogram(latency)}
	}
}

// register registers c, or returns the collector already registered under its name (a second assembly in one
// process, as in tests, shares it).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

type instrumentingService struct {
	next    Service
	calls   metrics.Counter
	latency metrics.Histogram
}

func (m *instrumentingService) observe(method string, begin time.Time, err error) {
	outcome := "ok"
	if err != nil {
		outcome = problem.As(toProblem(err)).Type.Slug
	}
	m.calls.With("method", method, "outcome", outcome).Add(1)
	m.latency.With("method", method).Observe(time.Since(begin).Seconds())
}

func (m *instrumentingService) Register(ctx context.Context, a Actor, in Registration) (v View, err error) {
	defer func(b time.Time) { m.observe("register", b, err) }(time.Now())
	return m.next.Register(ctx, a, in)
}

func (m *instrumentingService) Get(ctx context.Context, a Actor, id, purpose string) (v View, err error) {
	defer func(b time.Time) { m.observe("get", b, err) }(time.Now())
	return m.next.Get(ctx, a, id, purpose)
}

func (m *instrumentingService) Update(ctx context.Context, a Actor, id string, version int64, in Identity) (v View, err error) {
	defer func(b time.Time) { m.observe("update", b, err) }(time.Now())
	return m.next.Update(ctx, a, id, version, in)
}

func (m *instrumentingService) Search(ctx context.Context, a Actor, in SearchInput) (p SearchPage, err error) {
	defer func(b time.Time) { m.observe("search", b, err) }(time.Now())
	return m.next.Search(ctx, a, in)
}

func (m *instrumentingService) Payee(ctx context.Context, a Actor, id, purpose string) (p PayeeView, err error) {
	defer func(b time.Time) { m.observe("payee", b, err) }(time.Now())
	return m.next.Payee(ctx, a, id, purpose)
}

func (m *instrumentingService) AddBankAccount(ctx context.Context, a Actor, id string, version int64, in AccountInput) (v View, err error) {
	defer func(b time.Time) { m.observe("add_bank_account", b, err) }(time.Now())
	return m.next.AddBankAccount(ctx, a, id, version, in)
}

func (m *instrumentingService) ActivateBankAccount(ctx context.Context, a Actor, id string, version int64, accountID string) (v View, err error) {
	defer func(b time.Time) { m.observe("activate_bank_account", b, err) }(time.Now())
	return m.next.ActivateBankAccount(ctx, a, id, version, accountID)
}

func (m *instrumentingService) SetHousehold(ctx context.Context, a Actor, id string, version int64, members []MemberInput) (v View, err error) {
	defer func(b time.Time) { m.observe("set_household", b, err) }(time.Now())
	return m.next.SetHousehold(ctx, a, id, version, members)
}

func (m *instrumentingService) RISCategory(ctx context.Context, a Actor, id, date, purpose string) (c CategoryProposal, err error) {
	defer func(b time.Time) { m.observe("ris_category", b, err) }(time.Now())
	return m.next.RISCategory(ctx, a, id, date, purpose)
}
