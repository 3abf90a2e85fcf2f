package store

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/events"
)

// Fields of an aggregate document owned by the Repository; the state type must not use these bson names.
var reservedFields = map[string]bool{"_id": true, "tenant": true, "version": true, OutboxField: true}

// Versioned is an aggregate as loaded: its id, tenant and version (the ETag) beside its state.
type Versioned[T any] struct {
	ID      string
	Tenant  string
	Version int64
	State   T
}

// Repository stores aggregates of type T, one document each:
//
//	{_id, tenant, version, <the fields of T, flattened>, outbox: [OutboxEntry...]}
//
// T is a struct whose bson tags name its fields; the state sits at the top level so queries and indexes read
// `status`, not `state.status`. The repository owns _id, tenant, version and outbox (T must not use those names)
// and writes T with $set of each of its fields and $unset of the fields it no longer has (an omitempty field
// that became empty), never with a replace, because a replace would also rewrite the outbox the relay is
// draining. Ids are strings (UUIDs) unique across tenants.
//
// After a write that appended events, onWrite (usually Relay.NotifyDocument) is called with the collection name
// and the id so the relay publishes them at once.
type Repository[T any] struct {
	coll    *mongo.Collection
	onWrite func(collection, id string)
}

// NewRepository returns a repository of T on coll; onWrite may be nil.
func NewRepository[T any](coll *mongo.Collection, onWrite func(collection, id string)) *Repository[T] {
	return &Repository[T]{coll: coll, onWrite: onWrite}
}

// Collection is the underlying collection.
func (r *Repository[T]) Collection() *mongo.Collection { return r.coll }

// Insert creates the aggregate at version 1 with evs in its outbox. An existing id is ErrDuplicate.
func (r *Repository[T]) Insert(ctx context.Context, tenant, id string, state T, evs ...events.Event) error {
	if err := checkKey(tenant, id); err != nil {
		return err
	}
	fields, err := stateFields(state)
	if err != nil {
		return err
	}
	entries, err := outboxEntries(tenant, id, evs)
	if err != nil {
		return err
	}
	doc := bson.D{{Key: "_id", Value: id}, {Key: "tenant", Value: tenant}, {Key: "version", Value: int64(1)}}
	doc = append(doc, fields...)
	doc = append(doc, bson.E{Key: OutboxField, Value: entries})
	if _, err := r.coll.InsertOne(ctx, doc); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("%w: %s", ErrDuplicate, id)
		}
		return fmt.Errorf("store: insert into %s: %w", r.coll.Name(), err)
	}
	r.notify(id, evs)
	return nil
}

// Load reads the aggregate. A document of another tenant is reported as ErrNotFound, like a missing one. It
// filters on _id alone (the one filter FerretDB/SQLite pushes down) and checks the tenant on the document.
func (r *Repository[T]) Load(ctx context.Context, tenant, id string) (Versioned[T], error) {
	v, _, err := r.load(ctx, tenant, id)
	return v, err
}

func (r *Repository[T]) load(ctx context.Context, tenant, id string) (Versioned[T], bson.Raw, error) {
	var zero Versioned[T]
	if err := checkKey(tenant, id); err != nil {
		return zero, nil, err
	}
	raw, err := r.coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return zero, nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return zero, nil, fmt.Errorf("store: load from %s: %w", r.coll.Name(), err)
	}
	if t, _ := raw.Lookup("tenant").StringValueOK(); t != tenant {
		return zero, nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	version, ok := raw.Lookup("version").AsInt64OK()
	if !ok {
		return zero, nil, fmt.Errorf("store: document %s of %s has no version", id, r.coll.Name())
	}
	var state T
	if err := bson.Unmarshal(raw, &state); err != nil {
		return zero, nil, fmt.Errorf("store: decode %s of %s: %w", id, r.coll.Name(), err)
	}
	return Versioned[T]{ID: id, Tenant: tenant, Version: version, State: state}, raw, nil
}

// Update loads the aggregate, lets fn change the state and return the events of the change, and saves both in
// one update guarded by the version it loaded. It returns the new version; ErrNotFound when missing; a
// *ConflictError (matching ErrConflict) when someone else saved in between, in which case nothing was written
// and the caller may retry the whole command. An error from fn is returned as it is, with nothing written.
func (r *Repository[T]) Update(ctx context.Context, tenant, id string, fn func(state *T) ([]events.Event, error)) (int64, error) {
	return r.update(ctx, tenant, id, -1, fn)
}

// UpdateIfVersion is Update for a client that read version expected (If-Match): if the stored version differs,
// it returns a *ConflictError without calling fn.
func (r *Repository[T]) UpdateIfVersion(ctx context.Context, tenant, id string, expected int64, fn func(state *T) ([]events.Event, error)) (int64, error) {
	if expected < 1 {
		return 0, fmt.Errorf("store: expected version %d: versions start at 1", expected)
	}
	return r.update(ctx, tenant, id, expected, fn)
}

func (r *Repository[T]) update(ctx context.Context, tenant, id string, expected int64, fn func(state *T) ([]events.Event, error)) (int64, error) {
	cur, raw, err := r.load(ctx, tenant, id)
	if err != nil {
		return 0, err
	}
	if expected >= 0 && cur.Version != expected {
		return 0, &ConflictError{Current: cur.Version}
	}
	state := cur.State
	evs, err := fn(&state)
	if err != nil {
		return 0, err
	}
	entries, err := outboxEntries(tenant, id, evs)
	if err != nil {
		return 0, err
	}
	fields, err := stateFields(state)
	if err != nil {
		return 0, err
	}
	next := cur.Version + 1
	set := append(bson.D{{Key: "version", Value: next}}, fields...)
	update := bson.D{{Key: "$set", Value: set}}
	if gone := vanishedFields(raw, fields); len(gone) > 0 {
		update = append(update, bson.E{Key: "$unset", Value: gone})
	}
	if len(entries) > 0 {
		update = append(update, bson.E{Key: "$push", Value: bson.D{{Key: OutboxField, Value: bson.D{{Key: "$each", Value: entries}}}}})
	}
	filter := bson.D{{Key: "_id", Value: id}, {Key: "tenant", Value: tenant}, {Key: "version", Value: cur.Version}}

	unlock := LockDocument(r.coll, id)
	if IsFerretDB(ctx, r.coll.Database()) {
		// The conditions checked under the lock, the update by _id alone (see IsFerretDB).
		same, err := r.atVersion(ctx, tenant, id, cur.Version)
		if err != nil || !same {
			unlock()
			if err != nil {
				return 0, err
			}
			return 0, r.conflict(ctx, id)
		}
		filter = bson.D{{Key: "_id", Value: id}}
	}
	res, err := r.coll.UpdateOne(ctx, filter, update)
	unlock()
	if err != nil {
		return 0, fmt.Errorf("store: update %s of %s: %w", id, r.coll.Name(), err)
	}
	if res.MatchedCount == 0 {
		return 0, r.conflict(ctx, id)
	}
	r.notify(id, evs)
	return next, nil
}

// atVersion tells whether document id is tenant's and still at version.
func (r *Repository[T]) atVersion(ctx context.Context, tenant, id string, version int64) (bool, error) {
	var doc struct {
		Tenant  string `bson:"tenant"`
		Version int64  `bson:"version"`
	}
	err := r.coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}},
		options.FindOne().SetProjection(bson.D{{Key: "tenant", Value: 1}, {Key: "version", Value: 1}})).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: read %s of %s: %w", id, r.coll.Name(), err)
	}
	return doc.Tenant == tenant && doc.Version == version, nil
}

// conflict explains why a guarded update matched nothing: the document is gone, or its version moved.
func (r *Repository[T]) conflict(ctx context.Context, id string) error {
	var doc struct {
		Version int64 `bson:"version"`
	}
	err := r.coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, options.FindOne().SetProjection(bson.D{{Key: "version", Value: 1}})).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("%w (current version unknown: %v)", ErrConflict, err)
	}
	return &ConflictError{Current: doc.Version}
}

func (r *Repository[T]) notify(id string, evs []events.Event) {
	if len(evs) > 0 && r.onWrite != nil {
		r.onWrite(r.coll.Name(), id)
	}
}

func checkKey(tenant, id string) error {
	if tenant == "" {
		return ErrNoTenant
	}
	if id == "" {
		return errors.New("store: empty id")
	}
	return nil
}

// stateFields marshals the state to its top-level fields, refusing the names the repository owns.
func stateFields(state any) (bson.D, error) {
	raw, err := bson.Marshal(state)
	if err != nil {
		return nil, fmt.Errorf("store: marshal state: %w", err)
	}
	elems, err := bson.Raw(raw).Elements()
	if err != nil {
		return nil, fmt.Errorf("store: marshal state: %w", err)
	}
	fields := make(bson.D, 0, len(elems))
	for _, el := range elems {
		if reservedFields[el.Key()] {
			return nil, fmt.Errorf("store: state field %q is owned by the repository", el.Key())
		}
		fields = append(fields, bson.E{Key: el.Key(), Value: el.Value()})
	}
	return fields, nil
}

// vanishedFields lists the state fields of the stored document that the new state no longer has.
func vanishedFields(stored bson.Raw, fields bson.D) bson.D {
	has := make(map[string]bool, len(fields))
	for _, f := range fields {
		has[f.Key] = true
	}
	elems, _ := stored.Elements()
	var gone bson.D
	for _, el := range elems {
		if !reservedFields[el.Key()] && !has[el.Key()] {
			gone = append(gone, bson.E{Key: el.Key(), Value: ""})
		}
	}
	return gone
}

// outboxEntries checks that the events belong to the aggregate (its tenant, its id as subject, so they share
// one partition) and converts them.
func outboxEntries(tenant, id string, evs []events.Event) ([]OutboxEntry, error) {
	entries := make([]OutboxEntry, 0, len(evs))
	for _, e := range evs {
		if err := e.Validate(); err != nil {
			return nil, err
		}
		if e.Tenant != tenant || e.Subject != id {
			return nil, fmt.Errorf("store: event %s is about %s/%s, not %s/%s", e.ID, e.Tenant, e.Subject, tenant, id)
		}
		entries = append(entries, NewOutboxEntry(e))
	}
	return entries, nil
}
