package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
)

// The DPO's audit trail. Every service writes its audit records into its own `audit` collection and publishes
// them on cpas.audit.v1 (libs/audit); the identity service, which already knows every tenant's staff, gathers
// them all into its `audit_trail` collection, one document per record with the record's id as _id, so that the
// DPO of a CPAS searches one place: who read or changed what, in which file, why, with which outcome.

// CollAuditTrail keeps the records of every service, for the DPOs; AuditTrailGroup is its consumer group.
const (
	CollAuditTrail  = "audit_trail"
	AuditTrailGroup = "identity-audit-trail"
)

// AuditTrail stores and searches the gathered audit records. The documents have libs/audit's shape (without an
// outbox), so libs/audit's search runs on them.
type AuditTrail struct {
	coll   *mongo.Collection
	search *audit.Writer
	// group is the consumer group (AuditTrailGroup; tests use their own).
	group string
}

// NewAuditTrail returns the trail kept in db.
func NewAuditTrail(db *mongo.Database) *AuditTrail {
	coll := db.Collection(CollAuditTrail)
	// The writer is only used for its indexes and its search: nothing is ever written through it.
	return &AuditTrail{coll: coll, search: audit.NewWriter(coll, EventSource, nil), group: AuditTrailGroup}
}

// EnsureIndexes creates the search indexes (each starts with the tenant), plus one for the action filter.
func (t *AuditTrail) EnsureIndexes(ctx context.Context) error {
	if err := t.search.EnsureIndexes(ctx); err != nil {
		return err
	}
	return store.EnsureIndexes(ctx, t.coll, mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "action", Value: 1}, {Key: "at", Value: -1}}})
}

// errInvalidAuditEvent is an audit event that can never be stored.
var errInvalidAuditEvent = errors.New("identity: invalid audit event")

// Store keeps rec once: its id is the document's _id, so a redelivered record changes nothing.
func (t *AuditTrail) Store(ctx context.Context, rec audit.Record) error {
	rec.At = rec.At.UTC().Truncate(time.Millisecond)
	if _, err := t.coll.InsertOne(ctx, rec); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return nil
		}
		return fmt.Errorf("identity: store audit record: %w", err)
	}
	return nil
}

// Search returns a page of tenant's records, newest first (libs/audit's cursor pagination).
func (t *AuditTrail) Search(ctx context.Context, tenant string, f audit.Filter, p audit.Page) (audit.Result, error) {
	return t.search.Search(ctx, tenant, f, p)
}

// Handle is the consumer's handler: it stores an audit event's record. An audit record that cannot be read, or
// whose tenant or id disagrees with the event's, is permanent (dead-letter topic); events of other types on the
// topic are not for this trail and are skipped.
func (t *AuditTrail) Handle(ctx context.Context, e events.Event) error {
	if e.Type != audit.EventType {
		return nil
	}
	rec, err := audit.RecordFromEvent(e)
	if err != nil {
		return events.Permanent(fmt.Errorf("%w: %w", errInvalidAuditEvent, err))
	}
	switch {
	case rec.ID == "" || rec.Tenant == "" || rec.ActorID == "" || rec.Action == "" || rec.At.IsZero():
		return events.Permanent(fmt.Errorf("%w: record %q lacks an id, tenant, actor, action or time", errInvalidAuditEvent, e.ID))
	case rec.Tenant != e.Tenant:
		return events.Permanent(fmt.Errorf("%w: record tenant differs from the event's (event %s)", errInvalidAuditEvent, e.ID))
	case e.Subject != "" && rec.ID != e.Subject:
		return events.Permanent(fmt.Errorf("%w: record id differs from the event's subject (event %s)", errInvalidAuditEvent, e.ID))
	}
	return t.Store(ctx, rec)
}

// Consume runs the trail's consumer on cpas.audit.v1 until ctx ends; a reader failure is logged and the consumer
// starts again after a pause.
func (t *AuditTrail) Consume(ctx context.Context, brokers []string, logger *slog.Logger) {
	for wait := time.Second; ctx.Err() == nil; wait = min(2*wait, time.Minute) {
		err := events.Consume(ctx, events.ConsumerConfig{Brokers: brokers, GroupID: t.group, Topic: events.TopicAudit,
			Handler: t.Handle, Logger: logger})
		if err == nil || ctx.Err() != nil {
			return
		}
		logger.Warn("audit trail consumer stopped, restarting", "error", err.Error())
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// AuditService is the DPO's use case: searching the audit trail of their tenant.
type AuditService interface {
	SearchAudit(ctx context.Context, actor Actor, q AuditQuery) (AuditPage, error)
}

// AuditQuery filters the trail; empty fields do not filter. From is inclusive, To exclusive. After is the cursor
// of the previous page's Next; Size is the page size (default 50, at most 500).
type AuditQuery struct {
	ActorID, FileID, Action string
	From, To                time.Time
	After                   string
	Size                    int
}

// AuditEntry is one record as the API shows it (the tenant is the caller's own).
type AuditEntry struct {
	ID           string    `json:"id"`
	At           time.Time `json:"at"`
	ActorID      string    `json:"actor_id"`
	ActorRoles   []string  `json:"actor_roles"`
	Action       string    `json:"action"`
	ResourceType string    `json:"resource_type"`
	ResourceID   string    `json:"resource_id,omitempty"`
	FileID       string    `json:"file_id,omitempty"`
	Purpose      string    `json:"purpose,omitempty"`
	Outcome      string    `json:"outcome"`
	RequestID    string    `json:"request_id,omitempty"`
}

// AuditPage is one page of the trail, newest first; Next is the cursor of the following page ("" on the last).
type AuditPage struct {
	Items []AuditEntry `json:"items"`
	Next  string       `json:"next,omitempty"`
}

// PurposeAuditReview is the declared purpose of reading the audit trail.
const PurposeAuditReview = "audit_review"

type auditService struct {
	trail *AuditTrail
	audit Auditor
}

// NewAuditService searches trail; each search is itself audited ("audit.read") through auditor.
func NewAuditService(trail *AuditTrail, auditor Auditor) AuditService {
	if auditor == nil {
		auditor = NopAuditor{}
	}
	return &auditService{trail: trail, audit: auditor}
}

func (s *auditService) SearchAudit(ctx context.Context, actor Actor, q AuditQuery) (AuditPage, error) {
	var fs problem.Fields
	for _, f := range []struct{ name, value string }{{"actor", q.ActorID}, {"file", q.FileID}, {"action", q.Action}} {
		if len(f.value) > 100 {
			fs.Add(f.name, "too_long", "max", 100)
		}
	}
	if q.Size == 0 {
		q.Size = 50
	}
	if q.Size < 1 || q.Size > 500 {
		fs.Add("size", "out_of_range", "min", 1, "max", 500)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		fs.Add("to", "identity.audit_range")
	}
	if err := fs.Err(); err != nil {
		return AuditPage{}, err
	}
	res, err := s.trail.Search(ctx, actor.Tenant, audit.Filter{ActorID: q.ActorID, FileID: q.FileID, Action: q.Action, From: q.From, To: q.To},
		audit.Page{Size: q.Size, After: q.After})
	if err != nil {
		if errors.Is(err, audit.ErrInvalidCursor) {
			return AuditPage{}, problem.Invalid(problem.Field("after", "invalid"))
		}
		return AuditPage{}, err
	}
	s.audit.Record(ctx, AuditRecord{Action: "read", Outcome: "success", Tenant: actor.Tenant, ActorID: actor.UserID,
		ActorRoles: actor.Roles, TargetType: "audit", FileID: q.FileID, Purpose: PurposeAuditReview})
	p := AuditPage{Items: make([]AuditEntry, 0, len(res.Records)), Next: res.Next}
	for _, r := range res.Records {
		p.Items = append(p.Items, AuditEntry{ID: r.ID, At: r.At.UTC(), ActorID: r.ActorID, ActorRoles: r.ActorRoles, Action: r.Action,
			ResourceType: r.ResourceType, ResourceID: r.ResourceID, FileID: r.FileID, Purpose: r.Purpose, Outcome: r.Outcome, RequestID: r.RequestID})
	}
	return p, nil
}
