package file

import (
	"context"
	"log/slog"
	"slices"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
)

// PurposeHeader is the request header in which a client declares why it reads personal data.
const PurposeHeader = "X-Purpose"

// Purposes a read of a file, a journal or a document may declare (they end up in the audit trail).
var Purposes = audit.Purposes

// CheckPurpose refuses a missing or unknown purpose with a field error on X-Purpose.
func CheckPurpose(purpose string) error {
	if purpose == "" {
		return problem.Invalid(problem.Field(PurposeHeader, "required"))
	}
	if !audit.ValidPurpose(purpose) {
		return problem.Invalid(problem.Field(PurposeHeader, "file.purpose_invalid"))
	}
	return nil
}

// Actor is the authenticated caller of a use case.
type Actor struct {
	UserID string
	Tenant string
	Roles  []string
}

// Role names this package reasons about (the route policy already keeps other roles out).
const (
	RoleSocialWorker = "social_worker"
	RoleHead         = "social_service_head"
)

// IsHead tells whether the actor heads the social service.
func (a Actor) IsHead() bool { return slices.Contains(a.Roles, RoleHead) }

// Auditor writes the audit records of reads and changes (libs/audit). Recording never fails the use case: a
// failure is logged (without personal data) and the answer goes on.
type Auditor struct {
	w      *audit.Writer
	logger *slog.Logger
}

// NewAuditor writes through w; a nil w records nothing (tests of the domain only).
func NewAuditor(w *audit.Writer, logger *slog.Logger) *Auditor {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Auditor{w: w, logger: logger}
}

// Entry is one audited action.
type Entry struct {
	Action       string // "<resource>.<verb>", e.g. "file.read"
	ResourceType string
	ResourceID   string
	FileID       string
	Purpose      string
	Outcome      string // audit.OutcomeAllowed or audit.OutcomeDenied
}

// Record writes e for actor a.
func (au *Auditor) Record(ctx context.Context, a Actor, e Entry) {
	if au == nil || au.w == nil {
		return
	}
	if e.Outcome == "" {
		e.Outcome = audit.OutcomeAllowed
	}
	rec := audit.Record{Tenant: a.Tenant, ActorID: a.UserID, ActorRoles: a.Roles, Action: e.Action,
		ResourceType: e.ResourceType, ResourceID: e.ResourceID, FileID: e.FileID, Purpose: e.Purpose,
		Outcome: e.Outcome, RequestID: httpkit.RequestID(ctx)}
	if err := au.w.Write(context.WithoutCancel(ctx), rec); err != nil {
		au.logger.ErrorContext(ctx, "audit record not written", "action", e.Action, "error", err.Error())
	}
}
