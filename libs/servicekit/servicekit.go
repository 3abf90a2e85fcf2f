// Package servicekit holds what the services share at their edges, so that it is written once:
//
//   - command.go: Main, the whole main function of every cmd/<service> (flags -env, -healthcheck, -setup, logger,
//     configuration, signals, exit codes), SetupByAssembly (the -setup of the API services) and RunApp (their Run);
//   - edges.go: Edges, what an API service (beneficiaries, decisions, payments) builds around its packages — the
//     outbox notification of writes and the relay, the audit writer, the route policy, the token verifier, the
//     Idempotency-Key store and middleware;
//   - servicekit.go: what the packages of a go-kit service (decisions, payments) use in their transports: the
//     authenticated actor, the declared purpose of a read (X-Purpose), audit records, path and header decoding,
//     the mapping of errors to problems and the mounting of routes; each service's internal/kit names these for
//     its packages.
//
// It does no business logic.
package servicekit

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
)

// Errors the packages return and ToProblem maps.
var (
	ErrNotFound  = errors.New("not found")
	ErrForbidden = errors.New("forbidden")
)

// Role names the packages reason about (the route policy already keeps the other roles out).
const (
	RoleSocialWorker    = "social_worker"
	RoleHead            = "social_service_head"
	RoleAccountant      = "accountant"
	RoleFinanceDirector = "finance_director"
)

// Actor is the authenticated caller of a use case.
type Actor struct {
	UserID string
	Tenant string
	Roles  []string
	// Name is the display name of the token (for letters; never logged).
	Name string
}

// IsHead tells whether the actor heads the social service.
func (a Actor) IsHead() bool { return slices.Contains(a.Roles, RoleHead) }

// IsFinance tells whether the actor is the accountant or the finance director (they see every payment).
func (a Actor) IsFinance() bool {
	return slices.Contains(a.Roles, RoleAccountant) || slices.Contains(a.Roles, RoleFinanceDirector)
}

// ActorFrom reads the verified claims of the request.
func ActorFrom(ctx context.Context) (Actor, error) {
	c, ok := authn.ClaimsFrom(ctx)
	if !ok || c.Tenant == "" || c.Subject == "" {
		return Actor{}, problem.New(problem.Unauthorized)
	}
	return Actor{UserID: c.Subject, Tenant: c.Tenant, Roles: c.Roles, Name: c.Name}, nil
}

// PurposeHeader is the request header in which a client declares why it reads personal data.
const PurposeHeader = "X-Purpose"

// CheckPurpose refuses a missing or unknown purpose with a field error on X-Purpose.
func CheckPurpose(purpose string) error {
	if purpose == "" {
		return problem.Invalid(problem.Field(PurposeHeader, "required"))
	}
	if !audit.ValidPurpose(purpose) {
		return problem.Invalid(problem.Field(PurposeHeader, "purpose_invalid"))
	}
	return nil
}

// Auditor writes audit records (libs/audit). Recording never fails the use case: a failure is logged without
// personal data.
type Auditor struct {
	w      *audit.Writer
	logger *slog.Logger
}

// NewAuditor writes through w; nil records nothing.
func NewAuditor(w *audit.Writer, logger *slog.Logger) *Auditor {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Auditor{w: w, logger: logger}
}

// Entry is one audited access.
type Entry struct {
	Action       string // "<resource>.<verb>", e.g. "request.read"
	ResourceType string
	ResourceID   string
	FileID       string
	Purpose      string
	Outcome      string // audit.OutcomeAllowed (default) or audit.OutcomeDenied
}

// Record writes e for a.
func (au *Auditor) Record(ctx context.Context, a Actor, e Entry) {
	if au == nil || au.w == nil {
		return
	}
	if e.Outcome == "" {
		e.Outcome = audit.OutcomeAllowed
	}
	if e.Purpose != "" && !audit.ValidPurpose(e.Purpose) {
		e.Purpose = audit.PurposeInvalid
	}
	rec := audit.Record{Tenant: a.Tenant, ActorID: a.UserID, ActorRoles: a.Roles, Action: e.Action,
		ResourceType: e.ResourceType, ResourceID: e.ResourceID, FileID: e.FileID, Purpose: e.Purpose,
		Outcome: e.Outcome, RequestID: httpkit.RequestID(ctx)}
	if err := au.w.Write(context.WithoutCancel(ctx), rec); err != nil {
		au.logger.ErrorContext(ctx, "audit record not written", "action", e.Action, "error", err.Error())
	}
}

// AuditDenials records every request the route policy refused (403); it sits between authentication and
// authorization.
func AuditDenials(au *Auditor) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request any) (any, error) {
			resp, err := next(ctx, request)
			var pe *problem.Error
			if err != nil && errors.As(err, &pe) && pe.Type == problem.Forbidden {
				if a, aerr := ActorFrom(ctx); aerr == nil {
					rt, _ := httpkit.RouteFrom(ctx)
					au.Record(ctx, a, Entry{Action: "route.denied", ResourceType: "route", ResourceID: rt.Method + " " + rt.Template,
						Outcome: audit.OutcomeDenied})
				}
			}
			return resp, err
		}
	}
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// IsUUID tells whether s is a lower-case UUID.
func IsUUID(s string) bool { return uuidPattern.MatchString(s) }

// PathID reads the {id} path value; a value that is not a UUID cannot name anything: 404.
func PathID(r *http.Request) (string, error) {
	id := strings.ToLower(r.PathValue("id"))
	if !uuidPattern.MatchString(id) {
		return "", ErrNotFound
	}
	return id, nil
}

// IfMatch reads the version of an If-Match header: 428 when missing, 422 when unreadable.
func IfMatch(r *http.Request) (int64, error) {
	im := strings.TrimSpace(r.Header.Get("If-Match"))
	if im == "" {
		return 0, problem.New(problem.PreconditionRequired)
	}
	im = strings.TrimPrefix(im, "W/")
	v, err := strconv.ParseInt(strings.Trim(im, `"`), 10, 64)
	if err != nil || v < 1 {
		return 0, problem.Invalid(problem.Field("If-Match", "invalid_if_match"))
	}
	return v, nil
}

// ETag is the entity tag of a version.
func ETag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

// MaxJSON bounds a JSON request body.
const MaxJSON = 64 << 10

// ToProblem is the one place where the packages' errors become HTTP problems.
func ToProblem(err error) error {
	var pe *problem.Error
	var ce *store.ConflictError
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &ce):
		return problem.New(problem.PreconditionFailed).With("current_version", ce.Current)
	case errors.Is(err, store.ErrConflict):
		return &problem.Error{Type: problem.VersionConflict, Cause: err}
	case errors.Is(err, ErrNotFound), errors.Is(err, store.ErrNotFound):
		return problem.New(problem.NotFound)
	case errors.Is(err, ErrForbidden):
		return &problem.Error{Type: problem.Forbidden, Cause: err}
	}
	return &problem.Error{Type: problem.Internal, Cause: err}
}

// EncodeError writes err as problem+json.
func EncodeError(ctx context.Context, err error, w http.ResponseWriter) {
	problem.EncodeError(ctx, ToProblem(err), w)
}

// Route is one route of a package: its pattern, endpoint, decoder and encoder (nil: JSON).
type Route struct {
	Pattern  string
	Endpoint endpoint.Endpoint
	Decode   kithttp.DecodeRequestFunc
	Encode   kithttp.EncodeResponseFunc
}

// Mount registers routes on rt with the chain protect (authentication, audit of refusals, authorization) and
// wraps the handlers of the routes named in idempotent with the Idempotency-Key middleware idem (when non-nil).
func Mount(rt *httpkit.Router, logger *slog.Logger, protect endpoint.Middleware, idem func(http.Handler) http.Handler,
	idempotent []string, routes []Route) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := httpkit.ServerOptions(logger, kithttp.ServerBefore(authn.BearerFromHeader), kithttp.ServerErrorEncoder(EncodeError))
	for _, r := range routes {
		enc := r.Encode
		if enc == nil {
			enc = httpkit.EncodeJSON
		}
		var h http.Handler = kithttp.NewServer(protect(r.Endpoint), r.Decode, enc, opts...)
		if idem != nil && slices.Contains(idempotent, r.Pattern) {
			h = idem(h)
		}
		rt.Handle(r.Pattern, h)
	}
}

// DecodeNothing decodes a request without input.
func DecodeNothing(context.Context, *http.Request) (any, error) { return nil, nil }

func init() {
	problem.RegisterMessages("purpose_invalid", map[string]string{
		"fr": "Finalité inconnue : case_follow_up, social_inquiry, decision_preparation, payment, data_subject_request ou audit_review.",
		"nl": "Onbekend doel: case_follow_up, social_inquiry, decision_preparation, payment, data_subject_request of audit_review.",
		"de": "Unbekannter Zweck: case_follow_up, social_inquiry, decision_preparation, payment, data_subject_request oder audit_review.",
		"en": "Unknown purpose: case_follow_up, social_inquiry, decision_preparation, payment, data_subject_request or audit_review.",
	})
}
