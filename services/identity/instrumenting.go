package identity

import (
	"context"
	"time"

	"github.com/go-kit/kit/metrics"
	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/entraide/entraide/libs/problem"
)

// InstrumentingMiddleware counts use cases by method and outcome and measures their latency (go-kit metrics on
// Prometheus). Login outcomes show brute-force attempts (invalid-credentials, too-many-requests) at a glance.
func InstrumentingMiddleware(reg prometheus.Registerer) Middleware {
	calls := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "entraide", Subsystem: "identity", Name: "calls_total", Help: "Identity use cases by method and outcome.",
	}, []string{"method", "outcome"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "entraide", Subsystem: "identity", Name: "call_duration_seconds", Help: "Identity use case latency.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"method"})
	reg.MustRegister(calls, latency)
	m := &instrumentingService{calls: kitprometheus.NewCounter(calls), latency: kitprometheus.NewHistogram(latency)}
	return func(next Service) Service { m2 := *m; m2.next = next; return &m2 }
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

func (m *instrumentingService) Login(ctx context.Context, in LoginInput) (s Session, err error) {
	defer func(b time.Time) { m.observe("login", b, err) }(time.Now())
	return m.next.Login(ctx, in)
}

func (m *instrumentingService) Refresh(ctx context.Context, tok string) (s Session, err error) {
	defer func(b time.Time) { m.observe("refresh", b, err) }(time.Now())
	return m.next.Refresh(ctx, tok)
}

func (m *instrumentingService) Logout(ctx context.Context, tok string) (err error) {
	defer func(b time.Time) { m.observe("logout", b, err) }(time.Now())
	return m.next.Logout(ctx, tok)
}

func (m *instrumentingService) Me(ctx context.Context, a Actor) (v UserView, err error) {
	defer func(b time.Time) { m.observe("me", b, err) }(time.Now())
	return m.next.Me(ctx, a)
}

func (m *instrumentingService) ChangeOwnPassword(ctx context.Context, a Actor, cur, next string) (err error) {
	defer func(b time.Time) { m.observe("change_own_password", b, err) }(time.Now())
	return m.next.ChangeOwnPassword(ctx, a, cur, next)
}

func (m *instrumentingService) Roles(ctx context.Context) []Role { return m.next.Roles(ctx) }

func (m *instrumentingService) ListUsers(ctx context.Context, a Actor, q PageQuery) (p Page[UserView], err error) {
	defer func(b time.Time) { m.observe("list_users", b, err) }(time.Now())
	return m.next.ListUsers(ctx, a, q)
}

func (m *instrumentingService) ListStaff(ctx context.Context, a Actor, q StaffQuery) (p Page[StaffMember], err error) {
	defer func(b time.Time) { m.observe("list_staff", b, err) }(time.Now())
	return m.next.ListStaff(ctx, a, q)
}

func (m *instrumentingService) CreateUser(ctx context.Context, a Actor, in UserInput) (v UserView, err error) {
	defer func(b time.Time) { m.observe("create_user", b, err) }(time.Now())
	return m.next.CreateUser(ctx, a, in)
}

func (m *instrumentingService) GetUser(ctx context.Context, a Actor, id string) (v UserView, err error) {
	defer func(b time.Time) { m.observe("get_user", b, err) }(time.Now())
	return m.next.GetUser(ctx, a, id)
}

func (m *instrumentingService) SetUserRoles(ctx context.Context, a Actor, id string, ver int64, roles []string) (v UserView, err error) {
	defer func(b time.Time) { m.observe("set_user_roles", b, err) }(time.Now())
	return m.next.SetUserRoles(ctx, a, id, ver, roles)
}

func (m *instrumentingService) DisableUser(ctx context.Context, a Actor, id string) (v UserView, err error) {
	defer func(b time.Time) { m.observe("disable_user", b, err) }(time.Now())
	return m.next.DisableUser(ctx, a, id)
}

func (m *instrumentingService) EnableUser(ctx context.Context, a Actor, id string) (v UserView, err error) {
	defer func(b time.Time) { m.observe("enable_user", b, err) }(time.Now())
	return m.next.EnableUser(ctx, a, id)
}

func (m *instrumentingService) ResetPassword(ctx context.Context, a Actor, id, pw string) (err error) {
	defer func(b time.Time) { m.observe("reset_password", b, err) }(time.Now())
	return m.next.ResetPassword(ctx, a, id, pw)
}

func (m *instrumentingService) ListTenants(ctx context.Context, a Actor, q PageQuery) (p Page[TenantView], err error) {
	defer func(b time.Time) { m.observe("list_tenants", b, err) }(time.Now())
	return m.next.ListTenants(ctx, a, q)
}

func (m *instrumentingService) CreateTenant(ctx context.Context, a Actor, in TenantInput, admin UserInput) (t TenantView, u UserView, err error) {
	defer func(b time.Time) { m.observe("create_tenant", b, err) }(time.Now())
	return m.next.CreateTenant(ctx, a, in, admin)
}

func (m *instrumentingService) GetTenant(ctx context.Context, a Actor, id string) (t TenantView, err error) {
	defer func(b time.Time) { m.observe("get_tenant", b, err) }(time.Now())
	return m.next.GetTenant(ctx, a, id)
}
