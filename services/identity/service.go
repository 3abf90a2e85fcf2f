package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
)

// Service is the identity use cases. Methods acting for a logged-in user take the Actor its token names; every
// object they touch is looked up within the actor's tenant, so another tenant's id is simply not found.
type Service interface {
	Login(ctx context.Context, in LoginInput) (Session, error)
	Refresh(ctx context.Context, refreshToken string) (Session, error)
	Logout(ctx context.Context, refreshToken string) error

	Me(ctx context.Context, actor Actor) (UserView, error)
	ChangeOwnPassword(ctx context.Context, actor Actor, current, next string) error
	Roles(ctx context.Context) []Role

	ListUsers(ctx context.Context, actor Actor, q PageQuery) (Page[UserView], error)
	ListStaff(ctx context.Context, actor Actor, q StaffQuery) (Page[StaffMember], error)
	CreateUser(ctx context.Context, actor Actor, in UserInput) (UserView, error)
	GetUser(ctx context.Context, actor Actor, id string) (UserView, error)
	SetUserRoles(ctx context.Context, actor Actor, id string, version int64, roles []string) (UserView, error)
	DisableUser(ctx context.Context, actor Actor, id string) (UserView, error)
	EnableUser(ctx context.Context, actor Actor, id string) (UserView, error)
	ResetPassword(ctx context.Context, actor Actor, id, password string) error

	ListTenants(ctx context.Context, actor Actor, q PageQuery) (Page[TenantView], error)
	CreateTenant(ctx context.Context, actor Actor, in TenantInput, admin UserInput) (TenantView, UserView, error)
	GetTenant(ctx context.Context, actor Actor, id string) (TenantView, error)
}

// Actor is the authenticated caller, from the access token.
type Actor struct {
	UserID    string
	Tenant    string
	Roles     []string
	SessionID string
}

// LoginInput is a login attempt. ClientAddr is the caller's network address, for the per-address limit.
type LoginInput struct {
	Tenant, Username, Password string
	Audience                   []string
	ClientAddr                 string
}

// Session is the answer to a login or a refresh.
type Session struct {
	AccessToken      string   `json:"access_token"`
	TokenType        string   `json:"token_type"`
	ExpiresIn        int      `json:"expires_in"`
	RefreshToken     string   `json:"refresh_token"`
	RefreshExpiresIn int      `json:"refresh_expires_in"`
	User             UserView `json:"user"`
}

// UserView is a user as the API shows it (never the password hash).
type UserView struct {
	ID          string    `json:"id"`
	Tenant      string    `json:"tenant"`
	TenantName  string    `json:"tenant_name"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Email       string    `json:"email"`
	Roles       []string  `json:"roles"`
	Language    string    `json:"language"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
	Version     int64     `json:"version"`
}

// StaffMember is a colleague as the staff directory shows them to the social service: enough to name them and to
// choose them (a team member, an assignee), nothing more. No username (half of a login) and no e-mail.
type StaffMember struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"display_name"`
	Roles       []string `json:"roles"`
	Disabled    bool     `json:"disabled"`
}

// StaffQuery asks for one page of the staff directory, optionally only the holders of Role.
type StaffQuery struct {
	Role     string
	Page     int
	PageSize int
}

// TenantView is a tenant as the API shows it.
type TenantView struct {
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	KBO       string    `json:"kbo"`
	Language  string    `json:"language"`
	CreatedAt time.Time `json:"created_at"`
}

// PageQuery is a search with paging; Page starts at 1.
type PageQuery struct {
	Q        string
	Page     int
	PageSize int
}

// Page is one page of results.
type Page[T any] struct {
	Items    []T   `json:"items"`
	Total    int64 `json:"total"`
	Page     int   `json:"page"`
	PageSize int   `json:"page_size"`
}

// RateLimitedError is a refused login attempt: too many failures; retry after RetryAfter.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string { return "identity: too many login attempts" }

// VersionMismatchError is an If-Match naming an old version; Current is the version now.
type VersionMismatchError struct{ Current int64 }

func (e *VersionMismatchError) Error() string { return "identity: version mismatch" }
func (e *VersionMismatchError) Unwrap() error { return ErrVersionMismatch }

// Event types on topic cpas.identity.v1 (schemas in api/events/).
const (
	EventUserCreated      = "be.cpas.identity.user.created.v1"
	EventUserDisabled     = "be.cpas.identity.user.disabled.v1"
	EventUserEnabled      = "be.cpas.identity.user.enabled.v1"
	EventUserRolesChanged = "be.cpas.identity.user.roles_changed.v1"
	EventTenantCreated    = "be.cpas.identity.tenant.created.v1"
	// EventSource is the ce_source of identity's events.
	EventSource = "identity"
)

// ServiceConfig holds what the service needs beyond its stores.
type ServiceConfig struct {
	Audiences  []string
	RefreshTTL time.Duration
	Argon2     Argon2Params
	Now        func() time.Time
}

type service struct {
	users    *UserStore
	tenants  *TenantStore
	sessions *SessionStore
	limiter  *LoginLimiter
	issuer   *TokenIssuer
	audit    Auditor
	cfg      ServiceConfig
	dummy    string

	namesMu sync.RWMutex
	names   map[string]string
}

// NewService assembles the use cases.
func NewService(users *UserStore, tenants *TenantStore, sessions *SessionStore, limiter *LoginLimiter, issuer *TokenIssuer, audit Auditor, cfg ServiceConfig) (Service, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(cfg.Audiences) == 0 || cfg.RefreshTTL <= 0 {
		return nil, errors.New("identity: service needs audiences and a refresh lifetime")
	}
	// Unknown users are "verified" against this hash so that a login takes as long whether the user exists or not.
	dummy, err := HashPassword(uuid.NewString(), cfg.Argon2)
	if err != nil {
		return nil, err
	}
	if audit == nil {
		audit = NopAuditor{}
	}
	return &service{users: users, tenants: tenants, sessions: sessions, limiter: limiter, issuer: issuer, audit: audit,
		cfg: cfg, dummy: dummy, names: map[string]string{}}, nil
}

func (s *service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Millisecond) }

func correlationID(ctx context.Context) string {
	if id := httpkit.RequestID(ctx); id != "" {
		return id
	}
	return uuid.NewString()
}

// userEvent builds an event about u.
func (s *service) userEvent(ctx context.Context, typ string, u *User, extra map[string]any) (events.Event, error) {
	data := map[string]any{"user_id": u.ID(), "tenant": u.Tenant(), "username": u.Username(),
		"display_name": u.DisplayName(), "roles": roleStrings(u.Roles()), "disabled": u.Disabled()}
	for k, v := range extra {
		data[k] = v
	}
	return events.New(typ, EventSource, u.Tenant(), u.ID(), correlationID(ctx), data)
}

func (s *service) tenantName(ctx context.Context, code string) string {
	if code == PlatformTenant {
		return PlatformTenantName
	}
	s.namesMu.RLock()
	name, ok := s.names[code]
	s.namesMu.RUnlock()
	if ok {
		return name
	}
	t, err := s.tenants.ByCode(ctx, code)
	if err != nil {
		return code
	}
	s.namesMu.Lock()
	s.names[code] = t.Name()
	s.namesMu.Unlock()
	return t.Name()
}

func (s *service) view(ctx context.Context, u *User, version int64) UserView {
	return UserView{ID: u.ID(), Tenant: u.Tenant(), TenantName: s.tenantName(ctx, u.Tenant()), Username: u.Username(),
		DisplayName: u.DisplayName(), Email: u.Email(), Roles: roleStrings(u.Roles()), Language: u.Language(),
		Disabled: u.Disabled(), CreatedAt: u.CreatedAt(), Version: version}
}

func tenantView(t *Tenant) TenantView {
	return TenantView{ID: t.ID(), Code: t.Code(), Name: t.Name(), KBO: string(t.KBO()), Language: t.Language(), CreatedAt: t.CreatedAt()}
}

func (s *service) audiences(requested []string, fs *problem.Fields) []string {
	if len(requested) == 0 {
		return append([]string(nil), s.cfg.Audiences...)
	}
	for i, a := range requested {
		if !oneOf(a, s.cfg.Audiences) {
			fs.Add(fmt.Sprintf("audience[%d]", i), "invalid_choice")
		}
	}
	return requested
}

func (s *service) Login(ctx context.Context, in LoginInput) (Session, error) {
	var fs problem.Fields
	tenant := strings.ToLower(strings.TrimSpace(in.Tenant))
	username := NormalizeUsername(in.Username)
	if tenant == "" {
		fs.Add("tenant", "required")
	}
	if username == "" {
		fs.Add("username", "required")
	}
	switch {
	case in.Password == "":
		fs.Add("password", "required")
	case len([]rune(in.Password)) > MaxPasswordLength:
		fs.Add("password", "too_long", "max", MaxPasswordLength)
	}
	aud := s.audiences(in.Audience, &fs)
	if err := fs.Err(); err != nil {
		return Session{}, err
	}
	keys := AttemptKeys{Account: AccountKey(tenant, username), Address: AddressKey(in.ClientAddr)}
	retry, err := s.limiter.Attempt(ctx, keys)
	if err != nil {
		return Session{}, err
	}
	if retry > 0 {
		s.audit.Record(ctx, AuditRecord{Action: "login", Outcome: "rate_limited", Tenant: tenant})
		return Session{}, &RateLimitedError{RetryAfter: retry}
	}
	u, _, err := s.users.ByUsername(ctx, tenant, username)
	if errors.Is(err, ErrNotFound) {
		VerifyPassword(s.dummy, in.Password)
		// The typed username is not recorded: users sometimes type their password in that field.
		s.audit.Record(ctx, AuditRecord{Action: "login", Outcome: "unknown_user", Tenant: tenant})
		return Session{}, ErrInvalidCredentials
	}
	if err != nil {
		return Session{}, err
	}
	if !VerifyPassword(u.PasswordHash(), in.Password) {
		s.audit.Record(ctx, AuditRecord{Action: "login", Outcome: "wrong_password", Tenant: tenant, TargetType: "user", TargetID: u.ID()})
		return Session{}, ErrInvalidCredentials
	}
	if u.Disabled() {
		s.audit.Record(ctx, AuditRecord{Action: "login", Outcome: "disabled", Tenant: tenant, TargetType: "user", TargetID: u.ID()})
		return Session{}, ErrInvalidCredentials
	}
	if err := s.limiter.Succeeded(ctx, keys); err != nil {
		return Session{}, err
	}
	version := int64(0)
	if NeedsRehash(u.PasswordHash(), s.cfg.Argon2) {
		if hash, err := HashPassword(in.Password, s.cfg.Argon2); err == nil {
			u, version, _ = s.users.Update(ctx, tenant, u.ID(), 0, func(u *User) ([]events.Event, error) {
				u.SetPasswordHash(hash, s.now())
				return nil, nil
			})
		}
	}
	if version == 0 {
		if u, version, err = s.users.ByID(ctx, tenant, u.ID()); err != nil {
			return Session{}, err
		}
	}
	sess, err := s.startSession(ctx, u, version, aud)
	if err != nil {
		return Session{}, err
	}
	s.audit.Record(ctx, AuditRecord{Action: "login", Outcome: "success", Tenant: tenant, ActorID: u.ID(),
		ActorRoles: roleStrings(u.Roles()), TargetType: "user", TargetID: u.ID()})
	return sess, nil
}

func (s *service) startSession(ctx context.Context, u *User, version int64, aud []string) (Session, error) {
	now := s.now()
	f := &Family{ID: uuid.NewString(), Tenant: u.Tenant(), UserID: u.ID(), Audience: aud, CreatedAt: now, ExpiresAt: now.Add(s.cfg.RefreshTTL)}
	token, hash, err := NewRefreshToken(f.ID)
	if err != nil {
		return Session{}, err
	}
	f.Current = hash
	if err := s.sessions.Insert(ctx, f); err != nil {
		return Session{}, err
	}
	return s.session(ctx, u, version, f, token, now)
}

func (s *service) session(ctx context.Context, u *User, version int64, f *Family, refresh string, now time.Time) (Session, error) {
	access, exp, err := s.issuer.Issue(u, f.ID, f.Audience, now)
	if err != nil {
		return Session{}, err
	}
	return Session{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(exp.Sub(now).Seconds()), RefreshToken: refresh,
		RefreshExpiresIn: int(f.ExpiresAt.Sub(now).Seconds()), User: s.view(ctx, u, version)}, nil
}

func (s *service) Refresh(ctx context.Context, token string) (Session, error) {
	if strings.TrimSpace(token) == "" {
		return Session{}, problem.Invalid(problem.Field("refresh_token", "required"))
	}
	fid, ok := ParseRefreshToken(token)
	if !ok {
		return Session{}, ErrInvalidSession
	}
	f, err := s.sessions.Get(ctx, fid)
	if errors.Is(err, ErrNotFound) {
		return Session{}, ErrInvalidSession
	}
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	hash := HashRefreshToken(token)
	switch f.Judge(hash, now) {
	case RefreshEnded, RefreshUnknown:
		return Session{}, ErrInvalidSession
	case RefreshReused:
		if err := s.sessions.Revoke(ctx, f.ID); err != nil {
			return Session{}, err
		}
		s.audit.Record(ctx, AuditRecord{Action: "refresh", Outcome: "reuse_detected_session_revoked", Tenant: f.Tenant, TargetType: "user", TargetID: f.UserID})
		return Session{}, ErrInvalidSession
	}
	u, version, err := s.users.ByID(ctx, f.Tenant, f.UserID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Session{}, err
	}
	if err != nil || u.Disabled() {
		if err := s.sessions.Revoke(ctx, f.ID); err != nil {
			return Session{}, err
		}
		s.audit.Record(ctx, AuditRecord{Action: "refresh", Outcome: "disabled", Tenant: f.Tenant, TargetType: "user", TargetID: f.UserID})
		return Session{}, ErrInvalidSession
	}
	next, nextHash, err := NewRefreshToken(f.ID)
	if err != nil {
		return Session{}, err
	}
	if err := s.sessions.Rotate(ctx, f.ID, f.Current, nextHash); err != nil {
		if errors.Is(err, ErrConflict) {
			// Another refresh spent the same token between our read and our write: that is a reuse too.
			_ = s.sessions.Revoke(ctx, f.ID)
			return Session{}, ErrInvalidSession
		}
		return Session{}, err
	}
	return s.session(ctx, u, version, f, next, now)
}

func (s *service) Logout(ctx context.Context, token string) error {
	if strings.TrimSpace(token) == "" {
		return problem.Invalid(problem.Field("refresh_token", "required"))
	}
	fid, ok := ParseRefreshToken(token)
	if !ok {
		return nil
	}
	f, err := s.sessions.Get(ctx, fid)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if v := f.Judge(HashRefreshToken(token), s.now()); v == RefreshValid || v == RefreshReused {
		if err := s.sessions.Revoke(ctx, f.ID); err != nil {
			return err
		}
		s.audit.Record(ctx, AuditRecord{Action: "logout", Outcome: "success", Tenant: f.Tenant, ActorID: f.UserID, TargetType: "user", TargetID: f.UserID})
	}
	return nil
}

func (s *service) Me(ctx context.Context, actor Actor) (UserView, error) {
	u, v, err := s.users.ByID(ctx, actor.Tenant, actor.UserID)
	if err != nil {
		return UserView{}, err
	}
	return s.view(ctx, u, v), nil
}

func (s *service) ChangeOwnPassword(ctx context.Context, actor Actor, current, next string) error {
	var fs problem.Fields
	if current == "" {
		fs.Add("current_password", "required")
	}
	validatePassword("new_password", next, &fs)
	if err := fs.Err(); err != nil {
		return err
	}
	u, _, err := s.users.ByID(ctx, actor.Tenant, actor.UserID)
	if err != nil {
		return err
	}
	// A stolen access token must not become a way to guess the password: the account limit applies here too.
	keys := AttemptKeys{Account: AccountKey(u.Tenant(), u.Username())}
	retry, err := s.limiter.Attempt(ctx, keys)
	if err != nil {
		return err
	}
	if retry > 0 {
		return &RateLimitedError{RetryAfter: retry}
	}
	if !VerifyPassword(u.PasswordHash(), current) {
		s.audit.Record(ctx, s.actorRecord(actor, "change_own_password", "wrong_password", u.ID()))
		return problem.Invalid(problem.Field("current_password", "identity.wrong_password"))
	}
	if err := s.limiter.Succeeded(ctx, keys); err != nil {
		return err
	}
	hash, err := HashPassword(next, s.cfg.Argon2)
	if err != nil {
		return err
	}
	if _, _, err := s.users.Update(ctx, actor.Tenant, actor.UserID, 0, func(u *User) ([]events.Event, error) {
		u.SetPasswordHash(hash, s.now())
		return nil, nil
	}); err != nil {
		return err
	}
	if err := s.sessions.RevokeUser(ctx, actor.Tenant, actor.UserID, actor.SessionID); err != nil {
		return err
	}
	s.audit.Record(ctx, s.actorRecord(actor, "change_own_password", "success", actor.UserID))
	return nil
}

func (s *service) Roles(context.Context) []Role { return append([]Role(nil), AssignableRoles...) }

func (s *service) actorRecord(actor Actor, action, outcome, userID string) AuditRecord {
	return AuditRecord{Action: action, Outcome: outcome, Tenant: actor.Tenant, ActorID: actor.UserID, ActorRoles: actor.Roles,
		TargetType: "user", TargetID: userID}
}

func normalizePage(q PageQuery) (PageQuery, error) {
	var fs problem.Fields
	if q.Page == 0 {
		q.Page = 1
	}
	if q.PageSize == 0 {
		q.PageSize = 20
	}
	if q.Page < 1 || q.Page > 100000 {
		fs.Add("page", "out_of_range", "min", 1, "max", 100000)
	}
	if q.PageSize < 1 || q.PageSize > 100 {
		fs.Add("page_size", "out_of_range", "min", 1, "max", 100)
	}
	if len([]rune(q.Q)) > 100 {
		fs.Add("q", "too_long", "max", 100)
	}
	q.Q = FoldForSearch(q.Q)
	return q, fs.Err()
}

func (s *service) ListUsers(ctx context.Context, actor Actor, q PageQuery) (Page[UserView], error) {
	q, err := normalizePage(q)
	if err != nil {
		return Page[UserView]{}, err
	}
	users, versions, total, err := s.users.List(ctx, actor.Tenant, q)
	if err != nil {
		return Page[UserView]{}, err
	}
	p := Page[UserView]{Items: make([]UserView, 0, len(users)), Total: total, Page: q.Page, PageSize: q.PageSize}
	for i, u := range users {
		p.Items = append(p.Items, s.view(ctx, u, versions[i]))
	}
	return p, nil
}

// ListStaff is the staff directory of the actor's tenant, by display name. The social service names colleagues by
// user id (assignees, team members, note authors) and chooses among them; tenant admins keep the full user list.
func (s *service) ListStaff(ctx context.Context, actor Actor, q StaffQuery) (Page[StaffMember], error) {
	pq, err := normalizePage(PageQuery{Page: q.Page, PageSize: q.PageSize})
	var fields problem.Fields
	var pe *problem.Error
	if errors.As(err, &pe) {
		fields = append(fields, pe.Fields...)
	}
	if q.Role != "" && !assignable(Role(q.Role)) {
		fields.Add("role", "invalid_choice")
	}
	if err := fields.Err(); err != nil {
		return Page[StaffMember]{}, err
	}
	items, total, err := s.users.Staff(ctx, actor.Tenant, q.Role, pq.Page, pq.PageSize)
	if err != nil {
		return Page[StaffMember]{}, err
	}
	return Page[StaffMember]{Items: items, Total: total, Page: pq.Page, PageSize: pq.PageSize}, nil
}

func (s *service) CreateUser(ctx context.Context, actor Actor, in UserInput) (UserView, error) {
	roles, err := ValidateUserInput(in, "", false)
	if err != nil {
		return UserView{}, err
	}
	hash, err := HashPassword(in.Password, s.cfg.Argon2)
	if err != nil {
		return UserView{}, err
	}
	u := NewUser(uuid.NewString(), actor.Tenant, in, roles, hash, s.now())
	ev, err := s.userEvent(ctx, EventUserCreated, u, nil)
	if err != nil {
		return UserView{}, err
	}
	if err := s.users.Insert(ctx, u, ev); err != nil {
		if errors.Is(err, ErrDuplicateUsername) {
			return UserView{}, problem.Invalid(problem.Field("username", "duplicate"))
		}
		return UserView{}, err
	}
	s.audit.Record(ctx, s.actorRecord(actor, "create_user", "success", u.ID()))
	return s.view(ctx, u, 1), nil
}

func (s *service) GetUser(ctx context.Context, actor Actor, id string) (UserView, error) {
	u, v, err := s.users.ByID(ctx, actor.Tenant, id)
	if err != nil {
		return UserView{}, err
	}
	return s.view(ctx, u, v), nil
}

// change runs one admin change on a user of the actor's tenant and audits it.
func (s *service) change(ctx context.Context, actor Actor, action, id string, expected int64, fn func(u *User) ([]events.Event, error)) (UserView, error) {
	u, v, err := s.users.Update(ctx, actor.Tenant, id, expected, fn)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			s.audit.Record(ctx, s.actorRecord(actor, action, "refused", id))
		}
		return UserView{}, err
	}
	s.audit.Record(ctx, s.actorRecord(actor, action, "success", id))
	return s.view(ctx, u, v), nil
}

func (s *service) SetUserRoles(ctx context.Context, actor Actor, id string, version int64, roles []string) (UserView, error) {
	return s.change(ctx, actor, "set_user_roles", id, version, func(u *User) ([]events.Event, error) {
		before := roleStrings(u.Roles())
		if err := u.SetRoles(actor.UserID, roles, s.now()); err != nil {
			return nil, err
		}
		if strings.Join(before, ",") == strings.Join(roleStrings(u.Roles()), ",") {
			return nil, nil
		}
		ev, err := s.userEvent(ctx, EventUserRolesChanged, u, map[string]any{"previous_roles": before})
		return []events.Event{ev}, err
	})
}

func (s *service) DisableUser(ctx context.Context, actor Actor, id string) (UserView, error) {
	view, err := s.change(ctx, actor, "disable_user", id, 0, func(u *User) ([]events.Event, error) {
		was := u.Disabled()
		if err := u.Disable(actor.UserID, s.now()); err != nil {
			return nil, err
		}
		if was {
			return nil, nil
		}
		ev, err := s.userEvent(ctx, EventUserDisabled, u, nil)
		return []events.Event{ev}, err
	})
	if err != nil {
		return UserView{}, err
	}
	// The user's access tokens run out within minutes; their refresh tokens die now.
	if err := s.sessions.RevokeUser(ctx, actor.Tenant, id, ""); err != nil {
		return UserView{}, err
	}
	return view, nil
}

func (s *service) EnableUser(ctx context.Context, actor Actor, id string) (UserView, error) {
	return s.change(ctx, actor, "enable_user", id, 0, func(u *User) ([]events.Event, error) {
		if !u.Disabled() {
			return nil, nil
		}
		u.Enable(s.now())
		ev, err := s.userEvent(ctx, EventUserEnabled, u, nil)
		return []events.Event{ev}, err
	})
}

func (s *service) ResetPassword(ctx context.Context, actor Actor, id, password string) error {
	var fs problem.Fields
	validatePassword("new_password", password, &fs)
	if err := fs.Err(); err != nil {
		return err
	}
	hash, err := HashPassword(password, s.cfg.Argon2)
	if err != nil {
		return err
	}
	if _, err := s.change(ctx, actor, "reset_user_password", id, 0, func(u *User) ([]events.Event, error) {
		u.SetPasswordHash(hash, s.now())
		return nil, nil
	}); err != nil {
		return err
	}
	return s.sessions.RevokeUser(ctx, actor.Tenant, id, "")
}

func (s *service) ListTenants(ctx context.Context, _ Actor, q PageQuery) (Page[TenantView], error) {
	q, err := normalizePage(q)
	if err != nil {
		return Page[TenantView]{}, err
	}
	ts, total, err := s.tenants.List(ctx, q)
	if err != nil {
		return Page[TenantView]{}, err
	}
	p := Page[TenantView]{Items: make([]TenantView, 0, len(ts)), Total: total, Page: q.Page, PageSize: q.PageSize}
	for _, t := range ts {
		p.Items = append(p.Items, tenantView(t))
	}
	return p, nil
}

func (s *service) GetTenant(ctx context.Context, _ Actor, id string) (TenantView, error) {
	t, err := s.tenants.ByID(ctx, id)
	if err != nil {
		return TenantView{}, err
	}
	return tenantView(t), nil
}

// CreateTenant creates the tenant, then its first tenant admin. Without transactions the two inserts are not
// atomic: every input is validated before the first, and if the second fails the tenant is removed again, so a
// retry starts from scratch.
func (s *service) CreateTenant(ctx context.Context, actor Actor, in TenantInput, admin UserInput) (TenantView, UserView, error) {
	t, terr := NewTenant(uuid.NewString(), in, s.now())
	admin.Roles = []string{string(RoleTenantAdmin)}
	if admin.Language == "" {
		admin.Language = in.Language
	}
	roles, uerr := ValidateUserInput(admin, "admin.", false)
	if terr != nil || uerr != nil {
		var fields []problem.FieldError
		for _, e := range []error{terr, uerr} {
			var pe *problem.Error
			if errors.As(e, &pe) {
				fields = append(fields, pe.Fields...)
			}
		}
		return TenantView{}, UserView{}, problem.Invalid(fields...)
	}
	hash, err := HashPassword(admin.Password, s.cfg.Argon2)
	if err != nil {
		return TenantView{}, UserView{}, err
	}
	tev, err := events.New(EventTenantCreated, EventSource, t.Code(), t.ID(), correlationID(ctx),
		map[string]any{"tenant_id": t.ID(), "code": t.Code(), "name": t.Name(), "kbo": string(t.KBO()), "language": t.Language()})
	if err != nil {
		return TenantView{}, UserView{}, err
	}
	if err := s.tenants.Insert(ctx, t, tev); err != nil {
		if errors.Is(err, ErrDuplicateCode) {
			return TenantView{}, UserView{}, problem.Invalid(problem.Field("code", "duplicate"))
		}
		return TenantView{}, UserView{}, err
	}
	u := NewUser(uuid.NewString(), t.Code(), admin, roles, hash, s.now())
	uev, err := s.userEvent(ctx, EventUserCreated, u, nil)
	if err == nil {
		err = s.users.Insert(ctx, u, uev)
	}
	if err != nil {
		if derr := s.tenants.Delete(context.WithoutCancel(ctx), t.ID()); derr != nil {
			err = errors.Join(err, derr)
		}
		return TenantView{}, UserView{}, fmt.Errorf("identity: create first admin of a new tenant: %w", err)
	}
	s.audit.Record(ctx, AuditRecord{Action: "create_tenant", Outcome: "success", Tenant: actor.Tenant, ActorID: actor.UserID,
		ActorRoles: actor.Roles, TargetType: "tenant", TargetID: t.ID()})
	s.audit.Record(ctx, AuditRecord{Action: "create_user", Outcome: "success", Tenant: t.Code(), ActorID: actor.UserID,
		ActorRoles: actor.Roles, TargetType: "user", TargetID: u.ID()})
	return tenantView(t), s.view(ctx, u, 1), nil
}
