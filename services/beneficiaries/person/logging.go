package person

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
// duration. Never a name, a NISS, an IBAN, an address or a search text; not even person ids.
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
	attrs := []any{"method", method, "tenant", tenant, "outcome", outcome,
		"request_id", httpkit.RequestID(ctx), "duration_ms", time.Since(begin).Milliseconds()}
	if level == slog.LevelError {
		attrs = append(attrs, "error", err.Error())
	}
	l.logger.Log(ctx, level, "person call", attrs...)
}

func (l *loggingService) Register(ctx context.Context, a Actor, in Registration) (v View, err error) {
	defer func(b time.Time) { l.log(ctx, "register", a.Tenant, b, err) }(time.Now())
	return l.next.Register(ctx, a, in)
}

func (l *loggingService) Get(ctx context.Context, a Actor, id, purpose string) (v View, err error) {
	defer func(b time.Time) { l.log(ctx, "get", a.Tenant, b, err) }(time.Now())
	return l.next.Get(ctx, a, id, purpose)
}

func (l *loggingService) Update(ctx context.Context, a Actor, id string, version int64, in Identity) (v View, err error) {
	defer func(b time.Time) { l.log(ctx, "update", a.Tenant, b, err) }(time.Now())
	return l.next.Update(ctx, a, id, version, in)
}

func (l *loggingService) Search(ctx context.Context, a Actor, in SearchInput) (p SearchPage, err error) {
	defer func(b time.Time) { l.log(ctx, "search", a.Tenant, b, err) }(time.Now())
	return l.next.Search(ctx, a, in)
}

func (l *loggingService) Payee(ctx context.Context, a Actor, id, purpose string) (p PayeeView, err error) {
	defer func(b time.Time) { l.log(ctx, "payee", a.Tenant, b, err) }(time.Now())
	return l.next.Payee(ctx, a, id, purpose)
}

func (l *loggingService) AddBankAccount(ctx context.Context, a Actor, id string, version int64, in AccountInput) (v View, err error) {
	defer func(b time.Time) { l.log(ctx, "add_bank_account", a.Tenant, b, err) }(time.Now())
	return l.next.AddBankAccount(ctx, a, id, version, in)
}

func (l *loggingService) ActivateBankAccount(ctx context.Context, a Actor, id string, version int64, accountID string) (v View, err error) {
	defer func(b time.Time) { l.log(ctx, "activate_bank_account", a.Tenant, b, err) }(time.Now())
	return l.next.ActivateBankAccount(ctx, a, id, version, accountID)
}

func (l *loggingService) SetHousehold(ctx context.Context, a Actor, id string, version int64, members []MemberInput) (v View, err error) {
	defer func(b time.Time) { l.log(ctx, "set_household", a.Tenant, b, err) }(time.Now())
	return l.next.SetHousehold(ctx, a, id, version, members)
}

func (l *loggingService) RISCategory(ctx context.Context, a Actor, id, date, purpose string) (c CategoryProposal, err error) {
	defer func(b time.Time) { l.log(ctx, "ris_category", a.Tenant, b, err) }(time.Now())
	return l.next.RISCategory(ctx, a, id, date, purpose)
}
