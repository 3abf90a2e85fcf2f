package decision

import (
	"context"
	"errors"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/internal/kit"
)

// CollDecisions holds the decisions, with their outbox; CollProcessed the consumer's marks.
const (
	CollDecisions = "decisions"
	CollProcessed = "decision_processed"
)

// Collections returns the collections whose outboxes the relay publishes.
func Collections(db *mongo.Database) []*mongo.Collection {
	return []*mongo.Collection{db.Collection(CollDecisions)}
}

// EnsureIndexes creates the package's indexes one at a time, tenant first: per file and request, the running
// decisions of a person (the consumer), the reviews due (the housekeeping loop, across tenants) and the board.
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	return store.EnsureIndexes(ctx, db.Collection(CollDecisions),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "file_id", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "request_id", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "decided_on", Value: -1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "person_id", Value: 1}, {Key: "running", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "review_waiting", Value: 1}, {Key: "review_due", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "appeal_open", Value: 1}, {Key: "appeal_due", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "change_appeal_open", Value: 1}, {Key: "change_appeal_due", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "on_board", Value: 1}}},
	)
}

// Record is a stored decision.
type Record = store.Versioned[Decision]

// Repository keeps the decisions.
type Repository struct {
	decisions *store.Repository[Decision]
	processed *store.Processed
}

// NewRepository works on db; onWrite wakes the relay.
func NewRepository(db *mongo.Database, onWrite func(collection, id string)) *Repository {
	return &Repository{decisions: store.NewRepository[Decision](db.Collection(CollDecisions), onWrite),
		processed: store.NewProcessed(db.Collection(CollProcessed))}
}

// Insert stores a new decision; an existing id is store.ErrDuplicate.
func (r *Repository) Insert(ctx context.Context, tenant, id string, d Decision, evs ...events.Event) error {
	return r.decisions.Insert(ctx, tenant, id, d, evs...)
}

// Load reads a decision of tenant.
func (r *Repository) Load(ctx context.Context, tenant, id string) (Record, error) {
	v, err := r.decisions.Load(ctx, tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return v, kit.ErrNotFound
	}
	return v, err
}

// Update changes a decision read at version expected.
func (r *Repository) Update(ctx context.Context, tenant, id string, expected int64, fn func(*Decision) ([]events.Event, error)) (int64, error) {
	v, err := r.decisions.UpdateIfVersion(ctx, tenant, id, expected, fn)
	if errors.Is(err, store.ErrNotFound) {
		return 0, kit.ErrNotFound
	}
	return v, err
}

// Query narrows the list of decisions.
type Query struct {
	File    string
	Request string
	// FileIDs, when non-nil, restricts to these files; empty non-nil means nothing.
	FileIDs []string
	Status  Status
	Skip    int64
	Limit   int64
}

// Find lists the tenant's decisions, newest first.
func (r *Repository) Find(ctx context.Context, tenant string, q Query) ([]Record, error) {
	f := bson.D{}
	if q.FileIDs != nil {
		if len(q.FileIDs) == 0 {
			return nil, nil
		}
		f = append(f, bson.E{Key: "file_id", Value: bson.D{{Key: "$in", Value: q.FileIDs}}})
	}
	if q.File != "" {
		f = append(f, bson.E{Key: "file_id", Value: q.File})
	}
	if q.Request != "" {
		f = append(f, bson.E{Key: "request_id", Value: q.Request})
	}
	if q.Status != "" {
		f = append(f, bson.E{Key: "status", Value: q.Status})
	}
	opts := options.Find().SetSort(bson.D{{Key: "decided_on", Value: -1}, {Key: "adopted_at", Value: -1}})
	if q.Skip > 0 {
		opts.SetSkip(q.Skip)
	}
	if q.Limit > 0 {
		opts.SetLimit(q.Limit)
	}
	return r.decisions.Find(ctx, tenant, f, opts)
}

// RunningRIS lists the running RIS decisions of a person.
func (r *Repository) RunningRIS(ctx context.Context, tenant, personID string) ([]Record, error) {
	return r.decisions.Find(ctx, tenant, bson.D{{Key: "person_id", Value: personID}, {Key: "running", Value: true},
		{Key: "kind", Value: "ris"}}, nil)
}

// ReviewsDue lists, across tenants, the decisions whose review date is reached and not yet requested.
func (r *Repository) ReviewsDue(ctx context.Context, today civil.Date, limit int64) ([]Record, error) {
	cur, err := r.decisions.Collection().Find(ctx, bson.D{{Key: "review_waiting", Value: true},
		{Key: "review_due", Value: bson.D{{Key: "$lte", Value: today}}}},
		options.Find().SetSort(bson.D{{Key: "review_due", Value: 1}}).SetLimit(limit).
			SetProjection(bson.D{{Key: store.OutboxField, Value: 0}}))
	if err != nil {
		return nil, err
	}
	defer cur.Close(ctx)
	var out []Record
	for cur.Next(ctx) {
		tenant, _ := cur.Current.Lookup("tenant").StringValueOK()
		v, err := store.Decode[Decision](cur.Current, tenant)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, cur.Err()
}

// AppealWindowsPast lists, across tenants, the decisions whose appeal window is still marked open after its last
// day.
func (r *Repository) AppealWindowsPast(ctx context.Context, today civil.Date, limit int64) ([]Record, error) {
	return r.windowsPast(ctx, "appeal_open", "appeal_due", today, limit)
}

// ChangeAppealWindowsPast lists, across tenants, the decisions with a change's appeal window still marked open
// after its last day.
func (r *Repository) ChangeAppealWindowsPast(ctx context.Context, today civil.Date, limit int64) ([]Record, error) {
	return r.windowsPast(ctx, "change_appeal_open", "change_appeal_due", today, limit)
}

func (r *Repository) windowsPast(ctx context.Context, open, due string, today civil.Date, limit int64) ([]Record, error) {
	cur, err := r.decisions.Collection().Find(ctx, bson.D{{Key: open, Value: true},
		{Key: due, Value: bson.D{{Key: "$lt", Value: today}}}},
		options.Find().SetLimit(limit).SetProjection(bson.D{{Key: store.OutboxField, Value: 0}}))
	if err != nil {
		return nil, err
	}
	defer cur.Close(ctx)
	var out []Record
	for cur.Next(ctx) {
		tenant, _ := cur.Current.Lookup("tenant").StringValueOK()
		v, err := store.Decode[Decision](cur.Current, tenant)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, cur.Err()
}

// DueOn lists the tenant's decisions with something due (on_board: one top-level equality, the only filter
// FerretDB pushes down), earliest first, in fileIDs (nil: all), at most limit.
func (r *Repository) DueOn(ctx context.Context, tenant string, fileIDs []string, limit int64) ([]Record, error) {
	if fileIDs != nil && len(fileIDs) == 0 {
		return nil, nil
	}
	recs, err := r.decisions.Find(ctx, tenant, bson.D{{Key: "on_board", Value: true}}, nil)
	if err != nil {
		return nil, err
	}
	if fileIDs != nil {
		keep := make(map[string]bool, len(fileIDs))
		for _, id := range fileIDs {
			keep[id] = true
		}
		recs = slices.DeleteFunc(recs, func(r Record) bool { return !keep[r.State.FileID] })
	}
	slices.SortStableFunc(recs, func(a, b Record) int { return a.State.BoardDue.Compare(b.State.BoardDue) })
	if limit > 0 && int64(len(recs)) > limit {
		recs = recs[:limit]
	}
	return recs, nil
}
