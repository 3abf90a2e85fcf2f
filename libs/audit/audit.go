// Package audit owns the access and change records of personal data: who (actor, roles, tenant) did what
// (action on a resource, which social file), why (declared purpose), with which outcome, when. A record is
// inserted into the append-only `audit` collection together with its event in the document's outbox, and the
// store's Relay puts it on the cpas.audit.v1 topic: a crash after the insert delays the event, it never loses it.
// Records are never updated or deleted; the relay only drains their outbox. The DPO searches them newest first.
// Records hold identifiers, not personal data, and nothing of them is logged.
package audit

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
)

// CollectionName is the audit collection; EventType the type of the event each record publishes on
// events.TopicAudit.
const (
	CollectionName = "audit"
	EventType      = "be.cpas.audit.record.written.v1"
)

// Outcomes of an audited action.
const (
	OutcomeAllowed = "allowed"
	OutcomeDenied  = "denied"
	OutcomeError   = "error"
)

// Purposes are the reasons a user may declare for reading personal data (the X-Purpose header of the services'
// reads): the DPO's trail groups accesses by them.
var Purposes = []string{"case_follow_up", "social_inquiry", "decision_preparation", "payment", "data_subject_request", "audit_review"}

// PurposeInvalid is recorded instead of a declared purpose that is not one of Purposes (a refused read is still
// audited, but what a client typed never reaches the trail).
const PurposeInvalid = "invalid_purpose"

// ValidPurpose tells whether p is one of Purposes.
func ValidPurpose(p string) bool { return slices.Contains(Purposes, p) }

// ErrInvalidRecord reports a record missing what an audit needs.
var ErrInvalidRecord = errors.New("audit: invalid record")

// Record is one audited access or change. Action is "<resource>.<verb>" (e.g. "file.read"); FileID names the
// social file concerned, when there is one, because the DPO's first question is "who saw this file".
type Record struct {
	ID           string    `bson:"_id" json:"id"`
	Tenant       string    `bson:"tenant" json:"tenant"`
	ActorID      string    `bson:"actor_id" json:"actorId"`
	ActorRoles   []string  `bson:"actor_roles" json:"actorRoles"`
	Action       string    `bson:"action" json:"action"`
	ResourceType string    `bson:"resource_type" json:"resourceType"`
	ResourceID   string    `bson:"resource_id,omitempty" json:"resourceId,omitempty"`
	FileID       string    `bson:"file_id,omitempty" json:"fileId,omitempty"`
	Purpose      string    `bson:"purpose,omitempty" json:"purpose,omitempty"`
	Outcome      string    `bson:"outcome" json:"outcome"`
	RequestID    string    `bson:"request_id,omitempty" json:"requestId,omitempty"`
	At           time.Time `bson:"at" json:"at"`
}

// Writer writes records. onWrite (usually Relay.NotifyDocument) wakes the relay after each insert.
type Writer struct {
	coll    *mongo.Collection
	source  string
	onWrite func(collection, id string)
}

// NewWriter returns a writer on coll (the CollectionName collection of the service's database); source is the
// writing service, the events' ce_source.
func NewWriter(coll *mongo.Collection, source string, onWrite func(collection, id string)) *Writer {
	return &Writer{coll: coll, source: source, onWrite: onWrite}
}

// EnsureIndexes creates the indexes the searches use; each starts with the tenant.
func (w *Writer) EnsureIndexes(ctx context.Context) error {
	err := store.EnsureIndexes(ctx, w.coll,
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "at", Value: -1}, {Key: "_id", Value: -1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "actor_id", Value: 1}, {Key: "at", Value: -1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "file_id", Value: 1}, {Key: "at", Value: -1}}},
	)
	if err != nil {
		return fmt.Errorf("audit: create indexes: %w", err)
	}
	return nil
}

// Write stores rec with its event in the outbox. An empty ID gets a time-ordered UUID, a zero At the current
// time (milliseconds, UTC). Writing the same ID again is a no-op, so a caller may retry.
func (w *Writer) Write(ctx context.Context, rec Record) error {
	if rec.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("audit: record id: %w", err)
		}
		rec.ID = id.String()
	}
	if rec.At.IsZero() {
		rec.At = time.Now()
	}
	rec.At = rec.At.UTC().Truncate(time.Millisecond)
	if rec.Purpose != "" && !ValidPurpose(rec.Purpose) {
		rec.Purpose = PurposeInvalid
	}
	if err := validate(rec); err != nil {
		return err
	}
	correlation := rec.RequestID
	if correlation == "" {
		correlation = rec.ID
	}
	ev, err := events.New(EventType, w.source, rec.Tenant, rec.ID, correlation, rec)
	if err != nil {
		return fmt.Errorf("audit: event: %w", err)
	}
	raw, err := bson.Marshal(rec)
	if err != nil {
		return fmt.Errorf("audit: marshal: %w", err)
	}
	var doc bson.D
	if err := bson.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("audit: marshal: %w", err)
	}
	doc = append(doc, bson.E{Key: store.OutboxField, Value: []store.OutboxEntry{store.NewOutboxEntry(ev)}})
	if _, err := w.coll.InsertOne(ctx, doc); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return nil
		}
		return fmt.Errorf("audit: insert: %w", err)
	}
	if w.onWrite != nil {
		w.onWrite(w.coll.Name(), rec.ID)
	}
	return nil
}

func validate(r Record) error {
	missing := ""
	switch {
	case r.Tenant == "":
		missing = "tenant"
	case r.ActorID == "":
		missing = "actor"
	case r.Action == "":
		missing = "action"
	case r.ResourceType == "":
		missing = "resource type"
	}
	if missing != "" {
		return fmt.Errorf("%w: missing %s", ErrInvalidRecord, missing)
	}
	switch r.Outcome {
	case OutcomeAllowed, OutcomeDenied, OutcomeError:
		return nil
	}
	return fmt.Errorf("%w: outcome %q", ErrInvalidRecord, r.Outcome)
}

// Filter narrows a search; empty fields do not filter. From is inclusive, To exclusive.
type Filter struct {
	ActorID string
	FileID  string
	Action  string
	From    time.Time
	To      time.Time
}

// Page asks for Size records [50, at most 500] after the cursor After (empty: the newest).
type Page struct {
	Size  int
	After string
}

// Result is one page, newest first; Next is the cursor of the following page, empty on the last one.
type Result struct {
	Records []Record
	Next    string
}

// Search returns the tenant's records matching f, newest first, one page at a time. The cursor (time and id of
// the last record) keeps pages stable while records keep being written.
func (w *Writer) Search(ctx context.Context, tenant string, f Filter, page Page) (Result, error) {
	size := page.Size
	if size <= 0 {
		size = 50
	}
	size = min(size, 500)
	var conds bson.D
	for _, c := range []struct{ key, value string }{{"actor_id", f.ActorID}, {"file_id", f.FileID}, {"action", f.Action}} {
		if c.value != "" {
			conds = append(conds, bson.E{Key: c.key, Value: c.value})
		}
	}
	var at bson.D
	if !f.From.IsZero() {
		at = append(at, bson.E{Key: "$gte", Value: f.From.UTC()})
	}
	if !f.To.IsZero() {
		at = append(at, bson.E{Key: "$lt", Value: f.To.UTC()})
	}
	if len(at) > 0 {
		conds = append(conds, bson.E{Key: "at", Value: at})
	}
	if page.After != "" {
		cAt, cID, err := decodeCursor(page.After)
		if err != nil {
			return Result{}, err
		}
		conds = append(conds, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: cAt}}}},
			bson.D{{Key: "at", Value: cAt}, {Key: "_id", Value: bson.D{{Key: "$lt", Value: cID}}}},
		}})
	}
	filter, err := store.TenantFilter(tenant, conds)
	if err != nil {
		return Result{}, err
	}
	opts := options.Find().
		SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).
		SetLimit(int64(size + 1)).
		SetProjection(bson.D{{Key: store.OutboxField, Value: 0}})
	cur, err := w.coll.Find(ctx, filter, opts)
	if err != nil {
		return Result{}, fmt.Errorf("audit: search: %w", err)
	}
	var recs []Record
	if err := cur.All(ctx, &recs); err != nil {
		return Result{}, fmt.Errorf("audit: search: %w", err)
	}
	res := Result{Records: recs}
	if len(recs) > size {
		res.Records = recs[:size]
		last := res.Records[size-1]
		res.Next = encodeCursor(last.At, last.ID)
	}
	return res, nil
}

func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMilli(), 10) + "|" + id))
}

// ErrInvalidCursor reports a page cursor that Search did not hand out.
var ErrInvalidCursor = errors.New("audit: invalid page cursor")

func decodeCursor(s string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", ErrInvalidCursor
	}
	ms, id, ok := strings.Cut(string(b), "|")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", ErrInvalidCursor
	}
	return time.UnixMilli(n).UTC(), id, nil
}

// RecordFromEvent decodes the payload of an audit event (for consumers of cpas.audit.v1).
func RecordFromEvent(e events.Event) (Record, error) {
	var r Record
	if e.Type != EventType {
		return r, fmt.Errorf("audit: event type %s", e.Type)
	}
	if err := json.Unmarshal(e.Data, &r); err != nil {
		return r, fmt.Errorf("audit: decode event: %w", err)
	}
	return r, nil
}

// TopicRouter is an outbox relay's TopicFor for a service whose aggregates share a collection set with the audit
// records: audit records go to the audit topic (the DPO's trail), everything else to the service's own topic.
func TopicRouter(serviceTopic string) func(events.Event) string {
	return func(e events.Event) string {
		if e.Type == EventType {
			return events.TopicAudit
		}
		return serviceTopic
	}
}
