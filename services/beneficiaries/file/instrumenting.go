package file

import (
	"context"
	"time"

	"github.com/go-kit/kit/metrics"
	kitprometheus "github.com/go-kit/kit/metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/entraide/entraide/libs/problem"
)

// InstrumentingMiddleware counts the use cases by method and outcome and measures their latency.
func InstrumentingMiddleware(reg prometheus.Registerer) Middleware {
	calls := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "entraide", Subsystem: "beneficiaries_file", Name: "calls_total", Help: "File use cases by method and outcome.",
	}, []string{"method", "outcome"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "entraide", Subsystem: "beneficiaries_file", Name: "call_duration_seconds", Help: "File use case latency.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5},
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
		outcome = problem.As(ToProblem(err)).Type.Slug
	}
	m.calls.With("method", method, "outcome", outcome).Add(1)
	m.latency.With("method", method).Observe(time.Since(begin).Seconds())
}

func (m *instrumentingService) OpenFile(ctx context.Context, a Actor, in OpenInput) (r0 FileView, err error) {
	defer func(b time.Time) { m.observe("open_file", b, err) }(time.Now())
	return m.next.OpenFile(ctx, a, in)
}

func (m *instrumentingService) OpenForRequest(ctx context.Context, in RequestOpening) (r0 FileView, r1 bool, err error) {
	defer func(b time.Time) { m.observe("open_for_request", b, err) }(time.Now())
	return m.next.OpenForRequest(ctx, in)
}

func (m *instrumentingService) GetFile(ctx context.Context, a Actor, purpose, id string) (r0 FileView, err error) {
	defer func(b time.Time) { m.observe("get_file", b, err) }(time.Now())
	return m.next.GetFile(ctx, a, purpose, id)
}

func (m *instrumentingService) ListFiles(ctx context.Context, a Actor, purpose string, q FileQuery) (r0 FilePage, err error) {
	defer func(b time.Time) { m.observe("list_files", b, err) }(time.Now())
	return m.next.ListFiles(ctx, a, purpose, q)
}

func (m *instrumentingService) SetLegalHold(ctx context.Context, a Actor, id string, version int64, in LegalHoldInput) (r0 FileView, err error) {
	defer func(b time.Time) { m.observe("set_legal_hold", b, err) }(time.Now())
	return m.next.SetLegalHold(ctx, a, id, version, in)
}

func (m *instrumentingService) Reassign(ctx context.Context, a Actor, id string, version int64, in AssignInput) (r0 FileView, err error) {
	defer func(b time.Time) { m.observe("reassign", b, err) }(time.Now())
	return m.next.Reassign(ctx, a, id, version, in)
}

func (m *instrumentingService) CloseFile(ctx context.Context, a Actor, id string, version int64, in CloseInput) (r0 FileView, err error) {
	defer func(b time.Time) { m.observe("close_file", b, err) }(time.Now())
	return m.next.CloseFile(ctx, a, id, version, in)
}

func (m *instrumentingService) RegisterMember(ctx context.Context, a Actor, id string, version int64, in MemberInput) (r0 FileView, err error) {
	defer func(b time.Time) { m.observe("register_member", b, err) }(time.Now())
	return m.next.RegisterMember(ctx, a, id, version, in)
}

func (m *instrumentingService) AddNote(ctx context.Context, a Actor, fileID string, in NoteInput) (r0 NoteView, err error) {
	defer func(b time.Time) { m.observe("add_note", b, err) }(time.Now())
	return m.next.AddNote(ctx, a, fileID, in)
}

func (m *instrumentingService) Journal(ctx context.Context, a Actor, purpose, fileID string) (r0 JournalView, err error) {
	defer func(b time.Time) { m.observe("journal", b, err) }(time.Now())
	return m.next.Journal(ctx, a, purpose, fileID)
}

func (m *instrumentingService) ListTeams(ctx context.Context, a Actor) (r0 TeamList, err error) {
	defer func(b time.Time) { m.observe("list_teams", b, err) }(time.Now())
	return m.next.ListTeams(ctx, a)
}

func (m *instrumentingService) GetTeam(ctx context.Context, a Actor, id string) (r0 TeamView, err error) {
	defer func(b time.Time) { m.observe("get_team", b, err) }(time.Now())
	return m.next.GetTeam(ctx, a, id)
}

func (m *instrumentingService) CreateTeam(ctx context.Context, a Actor, in TeamInput) (r0 TeamView, err error) {
	defer func(b time.Time) { m.observe("create_team", b, err) }(time.Now())
	return m.next.CreateTeam(ctx, a, in)
}

func (m *instrumentingService) UpdateTeam(ctx context.Context, a Actor, id string, version int64, in TeamInput) (r0 TeamView, err error) {
	defer func(b time.Time) { m.observe("update_team", b, err) }(time.Now())
	return m.next.UpdateTeam(ctx, a, id, version, in)
}

func (m *instrumentingService) DeleteTeam(ctx context.Context, a Actor, id string, version int64) (err error) {
	defer func(b time.Time) { m.observe("delete_team", b, err) }(time.Now())
	return m.next.DeleteTeam(ctx, a, id, version)
}

func (m *instrumentingService) Caseload(ctx context.Context, a Actor) (r0 CaseloadView, err error) {
	defer func(b time.Time) { m.observe("caseload", b, err) }(time.Now())
	return m.next.Caseload(ctx, a)
}

func (m *instrumentingService) CompleteTask(ctx context.Context, a Actor, id string, version int64) (r0 TaskView, err error) {
	defer func(b time.Time) { m.observe("complete_task", b, err) }(time.Now())
	return m.next.CompleteTask(ctx, a, id, version)
}

func (m *instrumentingService) VisibleFile(ctx context.Context, a Actor, id string) (r0 FileRecord, r1 Viewer, err error) {
	defer func(b time.Time) { m.observe("visible_file", b, err) }(time.Now())
	return m.next.VisibleFile(ctx, a, id)
}
