package document

import (
	"context"
	"time"

	"github.com/go-kit/kit/metrics"
	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/beneficiaries/file"
)

// InstrumentingMiddleware counts the use cases by method and outcome and measures their latency.
func InstrumentingMiddleware(reg prometheus.Registerer) Middleware {
	calls := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "entraide", Subsystem: "beneficiaries_document", Name: "calls_total", Help: "Document use cases by method and outcome.",
	}, []string{"method", "outcome"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "entraide", Subsystem: "beneficiaries_document", Name: "call_duration_seconds", Help: "Document use case latency.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method"})
	reg.MustRegister(calls, latency)
	return func(next Service) Service {
		return &instrumentingService{next: next, calls: kitprometheus.NewCounter(calls), latency: kitprometheus.NewHistogram(latency)}
	}
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

func (m *instrumentingService) Upload(ctx context.Context, a file.Actor, fileID string, in UploadInput) (r0 View, r1 bool, err error) {
	defer func(b time.Time) { m.observe("upload", b, err) }(time.Now())
	return m.next.Upload(ctx, a, fileID, in)
}

func (m *instrumentingService) List(ctx context.Context, a file.Actor, purpose, fileID string) (r0 List, err error) {
	defer func(b time.Time) { m.observe("list", b, err) }(time.Now())
	return m.next.List(ctx, a, purpose, fileID)
}

func (m *instrumentingService) Get(ctx context.Context, a file.Actor, purpose, id string) (r0 View, err error) {
	defer func(b time.Time) { m.observe("get", b, err) }(time.Now())
	return m.next.Get(ctx, a, purpose, id)
}

func (m *instrumentingService) Download(ctx context.Context, a file.Actor, purpose, id string) (r0 Content, err error) {
	defer func(b time.Time) { m.observe("download", b, err) }(time.Now())
	return m.next.Download(ctx, a, purpose, id)
}

func (m *instrumentingService) Remove(ctx context.Context, a file.Actor, id string, version int64, reason string) (err error) {
	defer func(b time.Time) { m.observe("remove", b, err) }(time.Now())
	return m.next.Remove(ctx, a, id, version, reason)
}

func (m *instrumentingService) RetentionDue(ctx context.Context, a file.Actor) (r0 DueList, err error) {
	defer func(b time.Time) { m.observe("retention_due", b, err) }(time.Now())
	return m.next.RetentionDue(ctx, a)
}

func (m *instrumentingService) Purge(ctx context.Context, a file.Actor, in PurgeInput) (r0 PurgeResult, err error) {
	defer func(b time.Time) { m.observe("purge", b, err) }(time.Now())
	return m.next.Purge(ctx, a, in)
}
