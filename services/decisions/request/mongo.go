package request

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
)

// Collections of this package: requests carry an outbox.
const (
	CollRequests = "requests"
	CollCounters = "request_counters"
)

// Collections returns the collections whose outboxes the relay publishes.
func Collections(db *mongo.Database) []*mongo.Collection {
	return []*mongo.Collection{db.Collection(CollRequests)}
}

// EnsureIndexes creates the package's indexes, one at a time, tenant first: the register in order, its
// filters, and the board (open requests by due date, per file).
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	return store.EnsureIndexes(ctx, db.Collection(CollRequests),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "number", Value: 1}}, Options: options.Index().SetUnique(true)},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "year", Value: 1}, {Key: "seq", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "received_on", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "open", Value: 1}, {Key: "decision_due", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "file_id", Value: 1}}},
	)
}

// Repository keeps the register.
type Repository struct {
	requests *store.Repository[Request]
	counters *mongo.Collection
}

// NewRepository works on db; onWrite wakes the relay.
func NewRepository(db *mongo.Database, onWrite func(collection, id string)) *Repository {
	return &Repository{requests: store.NewRepository[Request](db.Collection(CollRequests), onWrite), counters: db.Collection(CollCounters)}
}

// Database is the database the register is kept in (the board keeps its index beside it).
func (r *Repository) Database() *mongo.Database { return r.requests.Collection().Database() }

// NextSeq draws the next register number of tenant for year: one counter per tenant and year, incremented
// under the document lock (FerretDB's $inc is read-modify-write).
func (r *Repository) NextSeq(ctx context.Context, tenant string, year int) (int, error) {
	if tenant == "" {
		return 0, store.ErrNoTenant
	}
	id := tenant + "/" + strconv.Itoa(year)
	unlock := store.LockDocument(r.counters, id)
	defer unlock()
	var doc struct {
		Last int `bson:"last"`
	}
	err := r.counters.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{
			{Key: "$inc", Value: bson.D{{Key: "last", Value: 1}}},
			{Key: "$setOnInsert", Value: bson.D{{Key: "tenant", Value: tenant}, {Key: "year", Value: year}}},
		},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	if err != nil {
		return 0, fmt.Errorf("request: draw number: %w", err)
	}
	return doc.Last, nil
}

// Record is a stored request.
type Record = store.Versioned[Request]

// Insert stores a new request with its events.
func (r *Repository) Insert(ctx context.Context, tenant, id string, q Request, evs ...events.Event) error {
	return r.requests.Insert(ctx, tenant, id, q, evs...)
}

// Load reads a request of tenant.
func (r *Repository) Load(ctx context.Context, tenant, id string) (Record, error) {
	v, err := r.requests.Load(ctx, tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return v, kit.ErrNotFound
	}
	return v, err
}

// Update changes a request read at version expected.
func (r *Repository) Update(ctx context.Context, tenant, id string, expected int64, fn func(*Request) ([]events.Event, error)) (int64, error) {
	v, err := r.requests.UpdateIfVersion(ctx, tenant, id, expected, fn)
	if errors.Is(err, store.ErrNotFound) {
		return 0, kit.ErrNotFound
	}
	return v, err
}

// Query narrows the register.
type Query struct {
	// File, when set, keeps one social file's requests (the file page's list).
	File string
	// FileIDs, when non-nil, restricts to these files (a worker's files); empty non-nil means nothing.
	FileIDs []string
	From    civil.Date
	To      civil.Date
	Kind    legalclock.Kind
	Status  Status
	// OpenOnly keeps the requests whose decision is awaited.
	OpenOnly bool
	// ByDue sorts by decision due date (the board); else by register order, newest first.
	ByDue bool
	Skip  int64
	Limit int64
}

// Find lists the tenant's requests matching q.
func (r *Repository) Find(ctx context.Context, tenant string, q Query) ([]Record, error) {
	conds := bson.D{}
	if q.FileIDs != nil {
		if len(q.FileIDs) == 0 {
			return nil, nil
		}
		conds = append(conds, bson.E{Key: "file_id", Value: bson.D{{Key: "$in", Value: q.FileIDs}}})
	}
	rng := bson.D{}
	if !q.From.IsZero() {
		rng = append(rng, bson.E{Key: "$gte", Value: q.From})
	}
	if !q.To.IsZero() {
		rng = append(rng, bson.E{Key: "$lte", Value: q.To})
	}
	if len(rng) > 0 {
		conds = append(conds, bson.E{Key: "received_on", Value: rng})
	}
	if q.Kind != "" {
		conds = append(conds, bson.E{Key: "kind", Value: q.Kind})
	}
	if q.Status != "" {
		conds = append(conds, bson.E{Key: "status", Value: q.Status})
	}
	if q.OpenOnly {
		conds = append(conds, bson.E{Key: "open", Value: true})
	}
	filter, err := store.TenantFilter(tenant, conds)
	if err != nil {
		return nil, err
	}
	sort := bson.D{{Key: "year", Value: -1}, {Key: "seq", Value: -1}}
	if q.ByDue {
		sort = bson.D{{Key: "decision_due", Value: 1}, {Key: "year", Value: 1}, {Key: "seq", Value: 1}}
	}
	opts := options.Find().SetSort(sort).SetProjection(bson.D{{Key: store.OutboxField, Value: 0}})
	if q.Skip > 0 {
		opts.SetSkip(q.Skip)
	}
	if q.Limit > 0 {
		opts.SetLimit(q.Limit)
	}
	cur, err := r.requests.Collection().Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("request: find: %w", err)
	}
	defer cur.Close(ctx)
	var out []Record
	for cur.Next(ctx) {
		var doc struct {
			ID      string `bson:"_id"`
			Version int64  `bson:"version"`
		}
		if err := bson.Unmarshal(cur.Current, &doc); err != nil {
			return nil, err
		}
		var q Request
		if err := bson.Unmarshal(cur.Current, &q); err != nil {
			return nil, err
		}
		out = append(out, Record{ID: doc.ID, Tenant: tenant, Version: doc.Version, State: q})
	}
	return out, cur.Err()
}
