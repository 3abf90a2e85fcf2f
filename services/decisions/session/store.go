package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/committee"
	"github.com/entraide/entraide/services/decisions/internal/kit"
)

// Collections of this package: sessions carry an outbox (session.closed); the committee rules are one document
// per tenant.
const (
	CollSessions = "sessions"
	CollRules    = "committee_rules"
)

// Collections returns the collections whose outboxes the relay publishes.
func Collections(db *mongo.Database) []*mongo.Collection {
	return []*mongo.Collection{db.Collection(CollSessions)}
}

// EnsureIndexes creates the package's indexes, one at a time, tenant first: the secretary's list by date, a
// member's sessions, and the housekeeping of the outcomes not yet handed over.
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	return store.EnsureIndexes(ctx, db.Collection(CollSessions),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "date", Value: -1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "member_ids", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "has_pending", Value: 1}}},
	)
}

// Doc is a session as stored: the committee.State under "session", with the fields the queries read beside it.
type Doc struct {
	Date      civil.Date       `bson:"date"`
	Status    committee.Status `bson:"status"`
	MemberIDs []string         `bson:"member_ids"`
	// Names are the members' display names as the secretary chose them from the staff directory (for the minutes).
	Names map[string]string `bson:"names,omitempty"`
	// PendingOutcomes are the refs of items whose outcome is recorded but not yet handed over (Outcomes, the
	// proposals); HasPending mirrors len(PendingOutcomes) > 0 for the housekeeping's index.
	PendingOutcomes []string `bson:"pending_outcomes"`
	HasPending      bool     `bson:"has_pending"`
	// UrgentApplied: the closed session was applied to the tenant's urgent decisions awaiting ratification.
	UrgentApplied bool        `bson:"urgent_applied"`
	Session       StoredState `bson:"session"`
	UpdatedAt     time.Time   `bson:"updated_at"`
}

// StoredState is the committee.State as the document stores it: one JSON string (its json tags, empty fields
// left out) rather than nested documents, because FerretDB decodes and re-encodes the whole nested document at
// every read and update, which made each step of a 300-item session cost several times more. The queries read
// the fields kept beside it (date, status, member_ids, has_pending).
type StoredState committee.State

// MarshalBSONValue writes the state as a JSON string.
func (s StoredState) MarshalBSONValue() (byte, []byte, error) {
	raw, err := json.Marshal(committee.State(s))
	if err != nil {
		return 0, nil, err
	}
	return byte(bson.TypeString), bsoncore.AppendString(nil, string(raw)), nil
}

// UnmarshalBSONValue reads a state written by MarshalBSONValue.
func (s *StoredState) UnmarshalBSONValue(typ byte, data []byte) error {
	if bson.Type(typ) != bson.TypeString {
		return fmt.Errorf("session: stored state of BSON type %d", typ)
	}
	str, _, ok := bsoncore.ReadString(data)
	if !ok {
		return fmt.Errorf("session: unreadable stored state")
	}
	var st committee.State
	if err := json.Unmarshal([]byte(str), &st); err != nil {
		return fmt.Errorf("session: stored state: %w", err)
	}
	*s = StoredState(st)
	return nil
}

func (d *Doc) sync() {
	d.Date, d.Status = d.Session.Date, d.Session.Status
	d.MemberIDs = d.MemberIDs[:0]
	for _, m := range d.Session.Members {
		d.MemberIDs = append(d.MemberIDs, m.UserID)
	}
	slices.Sort(d.PendingOutcomes)
	d.PendingOutcomes = slices.Compact(d.PendingOutcomes)
	if d.PendingOutcomes == nil {
		d.PendingOutcomes = []string{}
	}
	d.HasPending = len(d.PendingOutcomes) > 0
}

// Record is a stored session.
type Record = store.Versioned[Doc]

// Repository keeps the sessions.
type Repository struct {
	sessions *store.Repository[Doc]
	db       *mongo.Database
}

// NewRepository works on db; onWrite wakes the relay.
func NewRepository(db *mongo.Database, onWrite func(collection, id string)) *Repository {
	return &Repository{sessions: store.NewRepository[Doc](db.Collection(CollSessions), onWrite), db: db}
}

// Insert stores a new session.
func (r *Repository) Insert(ctx context.Context, tenant, id string, d Doc) error {
	d.sync()
	return r.sessions.Insert(ctx, tenant, id, d)
}

// Load reads a session of tenant.
func (r *Repository) Load(ctx context.Context, tenant, id string) (Record, error) {
	v, err := r.sessions.Load(ctx, tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return v, kit.ErrNotFound
	}
	return v, err
}

// Update changes a session read at version expected (0: whatever the version, the change retried on a
// concurrent write) and returns it as saved.
func (r *Repository) Update(ctx context.Context, tenant, id string, expected int64, fn func(*Doc) ([]events.Event, error)) (Record, error) {
	var saved Doc
	wrapped := func(d *Doc) ([]events.Event, error) {
		evs, err := fn(d)
		if err == nil {
			d.sync()
			saved = *d
		}
		return evs, err
	}
	var v int64
	var err error
	if expected > 0 {
		v, err = r.sessions.UpdateIfVersion(ctx, tenant, id, expected, wrapped)
	} else {
		for range 20 {
			v, err = r.sessions.Update(ctx, tenant, id, wrapped)
			if !errors.Is(err, store.ErrConflict) {
				break
			}
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return Record{}, kit.ErrNotFound
	}
	if err != nil {
		return Record{}, err
	}
	return Record{ID: id, Tenant: tenant, Version: v, State: saved}, nil
}

// Query narrows a list of sessions.
type Query struct {
	// MemberID, when set, keeps the sessions the user is a member of.
	MemberID string
	// Statuses, when set, keeps the sessions in one of them.
	Statuses []committee.Status
	Limit    int64
}

// Find lists the tenant's sessions matching q, the latest first.
func (r *Repository) Find(ctx context.Context, tenant string, q Query) ([]Record, error) {
	f := bson.D{}
	if q.MemberID != "" {
		f = append(f, bson.E{Key: "member_ids", Value: q.MemberID})
	}
	if len(q.Statuses) > 0 {
		f = append(f, bson.E{Key: "status", Value: bson.D{{Key: "$in", Value: q.Statuses}}})
	}
	opts := options.Find().SetSort(bson.D{{Key: "date", Value: -1}, {Key: "_id", Value: 1}})
	if q.Limit > 0 {
		opts.SetLimit(q.Limit)
	}
	return r.sessions.Find(ctx, tenant, f, opts)
}

// WithPending lists sessions of every tenant with outcomes not yet handed over, or closed and not yet applied to
// the urgent decisions (the housekeeping).
func (r *Repository) WithPending(ctx context.Context, limit int64) ([]Record, error) {
	coll := r.sessions.Collection()
	f := bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "has_pending", Value: true}},
		bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{committee.Closed, committee.MinutesApproved}}}},
			{Key: "urgent_applied", Value: false}},
	}}}
	cur, err := coll.Find(ctx, f, options.Find().SetLimit(limit).SetProjection(bson.D{{Key: store.OutboxField, Value: 0}}))
	if err != nil {
		return nil, fmt.Errorf("session: pending: %w", err)
	}
	defer cur.Close(ctx)
	var out []Record
	for cur.Next(ctx) {
		tenant, _ := cur.Current.Lookup("tenant").StringValueOK()
		v, err := store.Decode[Doc](cur.Current, tenant)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, cur.Err()
}
