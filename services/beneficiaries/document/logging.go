package document

import (
	"context"
	"log/slog"
	"time"

	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/beneficiaries/file"
)

// Middleware decorates a Service.
type Middleware func(Service) Service

// LoggingMiddleware logs one line per use case: its name, the tenant, the outcome and the duration. Never a
// file name, a type chosen for a person, or an id of a person.
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
		pe := problem.As(toProblem(err))
		outcome = pe.Type.Slug
		if pe.Type.Status >= 500 {
			level = slog.LevelError
		}
	}
	l.logger.Log(ctx, level, "document call", "method", method, "tenant", tenant, "outcome", outcome,
		"request_id", httpkit.RequestID(ctx), "duration_ms", time.Since(begin).Milliseconds())
}

func (l *loggingService) Upload(ctx context.Context, a file.Actor, fileID string, in UploadInput) (r0 View, r1 bool, err error) {
	defer func(b time.Time) { l.log(ctx, "upload", a.Tenant, b, err) }(time.Now())
	return l.next.Upload(ctx, a, fileID, in)
}

func (l *loggingService) List(ctx context.Context, a file.Actor, purpose, fileID string) (r0 List, err error) {
	defer func(b time.Time) { l.log(ctx, "list", a.Tenant, b, err) }(time.Now())
	return l.next.List(ctx, a, purpose, fileID)
}

func (l *loggingService) Get(ctx context.Context, a file.Actor, purpose, id string) (r0 View, err error) {
	defer func(b time.Time) { l.log(ctx, "get", a.Tenant, b, err) }(time.Now())
	return l.next.Get(ctx, a, purpose, id)
}

func (l *loggingService) Download(ctx context.Context, a file.Actor, purpose, id string) (r0 Content, err error) {
	defer func(b time.Time) { l.log(ctx, "download", a.Tenant, b, err) }(time.Now())
	return l.next.Download(ctx, a, purpose, id)
}

func (l *loggingService) Remove(ctx context.Context, a file.Actor, id string, version int64, reason string) (err error) {
	defer func(b time.Time) { l.log(ctx, "remove", a.Tenant, b, err) }(time.Now())
	return l.next.Remove(ctx, a, id, version, reason)
}

func (l *loggingService) RetentionDue(ctx context.Context, a file.Actor) (r0 DueList, err error) {
	defer func(b time.Time) { l.log(ctx, "retention_due", a.Tenant, b, err) }(time.Now())
	return l.next.RetentionDue(ctx, a)
}

func (l *loggingService) Purge(ctx context.Context, a file.Actor, in PurgeInput) (r0 PurgeResult, err error) {
	defer func(b time.Time) {
		l.log(ctx, "purge", a.Tenant, b, err)
		if len(r0.Purged) > 0 {
			l.logger.InfoContext(ctx, "documents purged at the end of their retention", "tenant", a.Tenant, "count", len(r0.Purged),
				"request_id", httpkit.RequestID(ctx))
		}
	}(time.Now())
	return l.next.Purge(ctx, a, in)
}
