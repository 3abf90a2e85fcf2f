package identity

import (
	"context"
	"log/slog"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/httpkit"
)

// AuditRecord is one entry of the audit trail: who (actor id and roles), in which tenant, did what to which
// object, with which outcome. It never holds a password, a token or a typed username.
type AuditRecord struct {
	Action     string
	Outcome    string
	Tenant     string
	ActorID    string
	ActorRoles []string
	TargetType string
	TargetID   string
	// FileID and Purpose are set when the action concerns a social file and was done for a declared purpose.
	FileID  string
	Purpose string
}

// Auditor writes audit records. Recording must not fail the action it records after the fact; an Auditor logs
// its own failures.
type Auditor interface {
	Record(ctx context.Context, r AuditRecord)
}

// NopAuditor records nothing.
type NopAuditor struct{}

// Record implements Auditor.
func (NopAuditor) Record(context.Context, AuditRecord) {}

// auditWriter writes the records with libs/audit (collection "audit", published on cpas.audit.v1 by the relay).
type auditWriter struct {
	w      *audit.Writer
	logger *slog.Logger
}

func newAuditor(db *mongo.Database, logger *slog.Logger, onWrite func(collection, id string)) *auditWriter {
	return &auditWriter{w: audit.NewWriter(db.Collection(audit.CollectionName), EventSource, onWrite), logger: logger}
}

// auditOutcome maps the service's detailed outcomes to libs/audit's three; the detail stays in the action.
func auditOutcome(o string) string {
	switch o {
	case "success":
		return audit.OutcomeAllowed
	case "error":
		return audit.OutcomeError
	}
	return audit.OutcomeDenied
}

// Record implements Auditor. Actions are "<resource>.<verb>" ("user.login"); a refusal keeps its reason as a
// suffix ("user.login.wrong_password") so the DPO sees why without a free-text field.
func (a *auditWriter) Record(ctx context.Context, r AuditRecord) {
	actor := r.ActorID
	if actor == "" {
		actor = "anonymous"
	}
	resource := r.TargetType
	if resource == "" {
		resource = "user"
	}
	action := resource + "." + r.Action
	if r.Outcome != "success" {
		action += "." + r.Outcome
	}
	rec := audit.Record{Tenant: r.Tenant, ActorID: actor, ActorRoles: r.ActorRoles, Action: action, ResourceType: resource,
		ResourceID: r.TargetID, FileID: r.FileID, Purpose: r.Purpose, Outcome: auditOutcome(r.Outcome), RequestID: httpkit.RequestID(ctx)}
	if rec.Tenant == "" {
		rec.Tenant = PlatformTenant
	}
	if err := a.w.Write(context.WithoutCancel(ctx), rec); err != nil {
		a.logger.ErrorContext(ctx, "audit record not written", "action", action, "error", err.Error())
	}
}
