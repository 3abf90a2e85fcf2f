package file

import (
	"context"
	"log/slog"
	"time"

	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
)

// Middleware decorates a Service.
type Middleware func(Service) Service

// LoggingMiddleware logs one line per use case: its name, the tenant, the outcome (a problem slug) and the
// duration. Never a name, a note, a person id or a file number.
func LoggingMiddleware(logger *slog.Logger) Middleware {
	return func(next Service) Service { return &loggingService{next: next, logger: logger} }
}

type loggingService struct {
	next   Service
	logger *slog.Logger
}

func (l *loggingService) log(ctx context.Context, method, tenant string, begin time.Time, err error) {
	outcome, level := "ok", slog.LevelInfo
	if err != nil {
		pe := problem.As(ToProblem(err))
		outcome = pe.Type.Slug
		if pe.Type.Status >= 500 {
			level = slog.LevelError
		}
	}
	l.logger.Log(ctx, level, "file call", "method", method, "tenant", tenant, "outcome", outcome,
		"request_id", httpkit.RequestID(ctx), "duration_ms", time.Since(begin).Milliseconds())
}

func (l *loggingService) OpenFile(ctx context.Context, a Actor, in OpenInput) (r0 FileView, err error) {
	defer func(b time.Time) { l.log(ctx, "open_file", a.Tenant, b, err) }(time.Now())
	return l.next.OpenFile(ctx, a, in)
}

func (l *loggingService) OpenForRequest(ctx context.Context, in RequestOpening) (r0 FileView, r1 bool, err error) {
	defer func(b time.Time) { l.log(ctx, "open_for_request", in.Tenant, b, err) }(time.Now())
	return l.next.OpenForRequest(ctx, in)
}

func (l *loggingService) GetFile(ctx context.Context, a Actor, purpose, id string) (r0 FileView, err error) {
	defer func(b time.Time) { l.log(ctx, "get_file", a.Tenant, b, err) }(time.Now())
	return l.next.GetFile(ctx, a, purpose, id)
}

func (l *loggingService) ListFiles(ctx context.Context, a Actor, purpose string, q FileQuery) (r0 FilePage, err error) {
	defer func(b time.Time) { l.log(ctx, "list_files", a.Tenant, b, err) }(time.Now())
	return l.next.ListFiles(ctx, a, purpose, q)
}

func (l *loggingService) SetLegalHold(ctx context.Context, a Actor, id string, version int64, in LegalHoldInput) (r0 FileView, err error) {
	defer func(b time.Time) { l.log(ctx, "set_legal_hold", a.Tenant, b, err) }(time.Now())
	return l.next.SetLegalHold(ctx, a, id, version, in)
}

func (l *loggingService) Reassign(ctx context.Context, a Actor, id string, version int64, in AssignInput) (r0 FileView, err error) {
	defer func(b time.Time) { l.log(ctx, "reassign", a.Tenant, b, err) }(time.Now())
	return l.next.Reassign(ctx, a, id, version, in)
}

func (l *loggingService) CloseFile(ctx context.Context, a Actor, id string, version int64, in CloseInput) (r0 FileView, err error) {
	defer func(b time.Time) { l.log(ctx, "close_file", a.Tenant, b, err) }(time.Now())
	return l.next.CloseFile(ctx, a, id, version, in)
}

func (l *loggingService) RegisterMember(ctx context.Context, a Actor, id string, version int64, in MemberInput) (r0 FileView, err error) {
	defer func(b time.Time) { l.log(ctx, "register_member", a.Tenant, b, err) }(time.Now())
	return l.next.RegisterMember(ctx, a, id, version, in)
}

func (l *loggingService) AddNote(ctx context.Context, a Actor, fileID string, in NoteInput) (r0 NoteView, err error) {
	defer func(b time.Time) { l.log(ctx, "add_note", a.Tenant, b, err) }(time.Now())
	return l.next.AddNote(ctx, a, fileID, in)
}

func (l *loggingService) Journal(ctx context.Context, a Actor, purpose, fileID string) (r0 JournalView, err error) {
	defer func(b time.Time) { l.log(ctx, "journal", a.Tenant, b, err) }(time.Now())
	return l.next.Journal(ctx, a, purpose, fileID)
}

func (l *loggingService) ListTeams(ctx context.Context, a Actor) (r0 TeamList, err error) {
	defer func(b time.Time) { l.log(ctx, "list_teams", a.Tenant, b, err) }(time.Now())
	return l.next.ListTeams(ctx, a)
}

func (l *loggingService) GetTeam(ctx context.Context, a Actor, id string) (r0 TeamView, err error) {
	defer func(b time.Time) { l.log(ctx, "get_team", a.Tenant, b, err) }(time.Now())
	return l.next.GetTeam(ctx, a, id)
}

func (l *loggingService) CreateTeam(ctx context.Context, a Actor, in TeamInput) (r0 TeamView, err error) {
	defer func(b time.Time) { l.log(ctx, "create_team", a.Tenant, b, err) }(time.Now())
	return l.next.CreateTeam(ctx, a, in)
}

func (l *loggingService) UpdateTeam(ctx context.Context, a Actor, id string, version int64, in TeamInput) (r0 TeamView, err error) {
	defer func(b time.Time) { l.log(ctx, "update_team", a.Tenant, b, err) }(time.Now())
	return l.next.UpdateTeam(ctx, a, id, version, in)
}

func (l *loggingService) DeleteTeam(ctx context.Context, a Actor, id string, version int64) (err error) {
	defer func(b time.Time) { l.log(ctx, "delete_team", a.Tenant, b, err) }(time.Now())
	return l.next.DeleteTeam(ctx, a, id, version)
}

func (l *loggingService) Caseload(ctx context.Context, a Actor) (r0 CaseloadView, err error) {
	defer func(b time.Time) { l.log(ctx, "caseload", a.Tenant, b, err) }(time.Now())
	return l.next.Caseload(ctx, a)
}

func (l *loggingService) CompleteTask(ctx context.Context, a Actor, id string, version int64) (r0 TaskView, err error) {
	defer func(b time.Time) { l.log(ctx, "complete_task", a.Tenant, b, err) }(time.Now())
	return l.next.CompleteTask(ctx, a, id, version)
}

func (l *loggingService) VisibleFile(ctx context.Context, a Actor, id string) (r0 FileRecord, r1 Viewer, err error) {
	defer func(b time.Time) { l.log(ctx, "visible_file", a.Tenant, b, err) }(time.Now())
	return l.next.VisibleFile(ctx, a, id)
}
