package identity

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
// duration. Never a username, a name, an e-mail, a password or a token: ids of people stay out of logs too.
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
	l.logger.Log(ctx, level, "identity call", "method", method, "tenant", tenant, "outcome", outcome,
		"request_id", httpkit.RequestID(ctx), "duration_ms", time.Since(begin).Milliseconds())
}

func (l *loggingService) Login(ctx context.Context, in LoginInput) (s Session, err error) {
	defer func(b time.Time) { l.log(ctx, "login", in.Tenant, b, err) }(time.Now())
	return l.next.Login(ctx, in)
}

func (l *loggingService) Refresh(ctx context.Context, tok string) (s Session, err error) {
	defer func(b time.Time) { l.log(ctx, "refresh", s.User.Tenant, b, err) }(time.Now())
	return l.next.Refresh(ctx, tok)
}

func (l *loggingService) Logout(ctx context.Context, tok string) (err error) {
	defer func(b time.Time) { l.log(ctx, "logout", "", b, err) }(time.Now())
	return l.next.Logout(ctx, tok)
}

func (l *loggingService) Me(ctx context.Context, a Actor) (v UserView, err error) {
	defer func(b time.Time) { l.log(ctx, "me", a.Tenant, b, err) }(time.Now())
	return l.next.Me(ctx, a)
}

func (l *loggingService) ChangeOwnPassword(ctx context.Context, a Actor, cur, next string) (err error) {
	defer func(b time.Time) { l.log(ctx, "change_own_password", a.Tenant, b, err) }(time.Now())
	return l.next.ChangeOwnPassword(ctx, a, cur, next)
}

func (l *loggingService) Roles(ctx context.Context) []Role { return l.next.Roles(ctx) }

func (l *loggingService) ListUsers(ctx context.Context, a Actor, q PageQuery) (p Page[UserView], err error) {
	defer func(b time.Time) { l.log(ctx, "list_users", a.Tenant, b, err) }(time.Now())
	return l.next.ListUsers(ctx, a, q)
}

func (l *loggingService) ListStaff(ctx context.Context, a Actor, q StaffQuery) (p Page[StaffMember], err error) {
	defer func(b time.Time) { l.log(ctx, "list_staff", a.Tenant, b, err) }(time.Now())
	return l.next.ListStaff(ctx, a, q)
}

func (l *loggingService) CreateUser(ctx context.Context, a Actor, in UserInput) (v UserView, err error) {
	defer func(b time.Time) { l.log(ctx, "create_user", a.Tenant, b, err) }(time.Now())
	return l.next.CreateUser(ctx, a, in)
}

func (l *loggingService) GetUser(ctx context.Context, a Actor, id string) (v UserView, err error) {
	defer func(b time.Time) { l.log(ctx, "get_user", a.Tenant, b, err) }(time.Now())
	return l.next.GetUser(ctx, a, id)
}

func (l *loggingService) SetUserRoles(ctx context.Context, a Actor, id string, ver int64, roles []string) (v UserView, err error) {
	defer func(b time.Time) { l.log(ctx, "set_user_roles", a.Tenant, b, err) }(time.Now())
	return l.next.SetUserRoles(ctx, a, id, ver, roles)
}

func (l *loggingService) DisableUser(ctx context.Context, a Actor, id string) (v UserView, err error) {
	defer func(b time.Time) { l.log(ctx, "disable_user", a.Tenant, b, err) }(time.Now())
	return l.next.DisableUser(ctx, a, id)
}

func (l *loggingService) EnableUser(ctx context.Context, a Actor, id string) (v UserView, err error) {
	defer func(b time.Time) { l.log(ctx, "enable_user", a.Tenant, b, err) }(time.Now())
	return l.next.EnableUser(ctx, a, id)
}

func (l *loggingService) ResetPassword(ctx context.Context, a Actor, id, pw string) (err error) {
	defer func(b time.Time) { l.log(ctx, "reset_password", a.Tenant, b, err) }(time.Now())
	return l.next.ResetPassword(ctx, a, id, pw)
}

func (l *loggingService) ListTenants(ctx context.Context, a Actor, q PageQuery) (p Page[TenantView], err error) {
	defer func(b time.Time) { l.log(ctx, "list_tenants", a.Tenant, b, err) }(time.Now())
	return l.next.ListTenants(ctx, a, q)
}

func (l *loggingService) CreateTenant(ctx context.Context, a Actor, in TenantInput, admin UserInput) (t TenantView, u UserView, err error) {
	defer func(b time.Time) { l.log(ctx, "create_tenant", a.Tenant, b, err) }(time.Now())
	return l.next.CreateTenant(ctx, a, in, admin)
}

func (l *loggingService) GetTenant(ctx context.Context, a Actor, id string) (t TenantView, err error) {
	defer func(b time.Time) { l.log(ctx, "get_tenant", a.Tenant, b, err) }(time.Now())
	return l.next.GetTenant(ctx, a, id)
}

// LoggingAuditMiddleware logs each search of the audit trail like LoggingMiddleware does (never its filters:
// they name people and files).
func LoggingAuditMiddleware(logger *slog.Logger) func(AuditService) AuditService {
	return func(next AuditService) AuditService {
		return &loggingAuditService{next: next, log: &loggingService{logger: logger}}
	}
}

type loggingAuditService struct {
	next AuditService
	log  *loggingService
}

func (l *loggingAuditService) SearchAudit(ctx context.Context, a Actor, q AuditQuery) (p AuditPage, err error) {
	defer func(b time.Time) { l.log.log(ctx, "search_audit", a.Tenant, b, err) }(time.Now())
	return l.next.SearchAudit(ctx, a, q)
}
