package person

import (
	"context"
	"log/slog"
	"slices"

	"github.com/go-kit/kit/endpoint"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
)

// PurposeHeader is the request header in which a client declares why it reads personal data.
const PurposeHeader = "X-Purpose"

// Purposes a read may declare; they end up in the audit trail the DPO searches.
var Purposes = audit.Purposes

// checkPurpose refuses a missing or unknown purpose with a field error on X-Purpose.
func checkPurpose(purpose string) error {
	if purpose == "" {
		return problem.Invalid(problem.Field(PurposeHeader, "required"))
	}
	if !audit.ValidPurpose(purpose) {
		return problem.Invalid(problem.Field(PurposeHeader, "person.purpose_invalid"))
	}
	return nil
}

// Auditor writes the audit records of this package's reads and changes. Recording never fails the use case: a
// failure is logged (action and cause, no personal data).
type Auditor struct {
	w      *audit.Writer
	logger *slog.Logger
}

// NewAuditor writes through w; a nil w records nothing.
func NewAuditor(w *audit.Writer, logger *slog.Logger) *Auditor {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Auditor{w: w, logger: logger}
}

func (au *Auditor) record(ctx context.Context, a Actor, action, resourceID, purpose, outcome string) {
	if au == nil || au.w == nil {
		return
	}
	rec := audit.Record{Tenant: a.Tenant, ActorID: a.UserID, ActorRoles: a.Roles, Action: action, ResourceType: "person",
		ResourceID: resourceID, Purpose: purpose, Outcome: outcome, RequestID: httpkit.RequestID(ctx)}
	if err := au.w.Write(context.WithoutCancel(ctx), rec); err != nil {
		au.logger.ErrorContext(ctx, "audit record not written", "action", action, "error", err.Error())
	}
}

// outcomeOf classifies the result of a use case for the audit trail.
func outcomeOf(err error) string {
	if err == nil {
		return audit.OutcomeAllowed
	}
	if pe := problem.As(err); pe.Type == problem.Internal {
		return audit.OutcomeError
	}
	return audit.OutcomeDenied
}

// auditable is a request that names the person it is about and the declared purpose.
type auditable interface {
	auditTarget() (personID, purpose string)
}

// AuditDenied records the requests the route policy refused (authn has run, authz is next): a role without access
// to the registry trying it leaves a trace. action names the route's use case ("person.read").
func AuditDenied(au *Auditor, action string) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request any) (any, error) {
			resp, err := next(ctx, request)
			if err != nil && problem.As(err).Type == problem.Forbidden {
				if c, ok := authn.ClaimsFrom(ctx); ok {
					var id, purpose string
					if ar, ok := request.(auditable); ok {
						id, purpose = ar.auditTarget()
					}
					if !slices.Contains(Purposes, purpose) {
						purpose = ""
					}
					au.record(ctx, Actor{UserID: c.Subject, Tenant: c.Tenant, Roles: c.Roles}, action, id, purpose, audit.OutcomeDenied)
				}
			}
			return resp, err
		}
	}
}
