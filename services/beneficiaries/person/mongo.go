package person

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/niss"
	"github.com/entraide/entraide/libs/store"
)

// CollPersons holds one document per person (store.Repository layout: _id, tenant, version, the Person fields,
// outbox).
const CollPersons = "persons"

// Record is a person as loaded, with its id, tenant and version (the ETag).
type Record = store.Versioned[Person]

// Repository keeps persons. Every query starts with the tenant; the queries a user's request makes also carry the
// user's visibility (visibilityFilter), so a person the user may not see is never read.
type Repository struct {
	repo *store.Repository[Person]
	coll *mongo.Collection
}

// NewRepository returns the repository on db; onWrite (the relay's NotifyDocument) may be nil.
func NewRepository(db *mongo.Database, onWrite func(collection, id string)) *Repository {
	coll := db.Collection(CollPersons)
	return &Repository{repo: store.NewRepository[Person](coll, onWrite), coll: coll}
}

// Collections are the collections whose outbox the relay drains.
func Collections(db *mongo.Database) []*mongo.Collection {
	return []*mongo.Collection{db.Collection(CollPersons)}
}

// EnsureIndexes creates the persons' indexes, each starting with the tenant: the unique NISS, the name-prefix
// search keys (a range on a multikey index), the duplicate key, and the access lists the visibility filter reads.
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	err := store.EnsureIndexes(ctx, db.Collection(CollPersons),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "niss_key", Value: 1}}, Options: options.Index().SetUnique(true).SetName("tenant_niss_unique")},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "search_keys", Value: 1}}, Options: options.Index().SetName("tenant_search_keys")},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "dup_key", Value: 1}}, Options: options.Index().SetName("tenant_dup_key")},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "access.workers", Value: 1}}, Options: options.Index().SetName("tenant_access_workers")},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "access.teams", Value: 1}}, Options: options.Index().SetName("tenant_access_teams")},
	)
	if err != nil {
		return fmt.Errorf("person: create indexes: %w", err)
	}
	return nil
}

// visibilityFilter is the object-level rule in query form (the same as Person.VisibleTo).
func visibilityFilter(v Viewer) bson.D {
	if v.Head {
		return nil
	}
	or := bson.A{bson.D{{Key: "access.workers", Value: v.UserID}}}
	if len(v.Teams) > 0 {
		or = append(or, bson.D{{Key: "access.teams", Value: bson.D{{Key: "$in", Value: v.Teams}}}})
	}
	return bson.D{{Key: "$or", Value: or}}
}

// insert stores a new person. A NISS the tenant already has is reported as a *DuplicateNISSError (the unique
// index decides, so two concurrent registrations of one NISS cannot both succeed).
func (r *Repository) insert(ctx context.Context, tenant, id string, p Person, v Viewer, evs ...events.Event) error {
	err := r.repo.Insert(ctx, tenant, id, p, evs...)
	if errors.Is(err, store.ErrDuplicate) && !p.NISS.IsZero() {
		if dup, found, ferr := r.byNISS(ctx, tenant, p.NISS); ferr == nil && found {
			return &DuplicateNISSError{PersonID: dup.ID, FileNumbers: dup.State.FileNumbers(), Visible: dup.State.VisibleTo(v)}
		}
	}
	return err
}

func (r *Repository) findOne(ctx context.Context, tenant string, f bson.D) (Record, bool, error) {
	filter, err := store.TenantFilter(tenant, f)
	if err != nil {
		return Record{}, false, err
	}
	raw, err := r.coll.FindOne(ctx, filter).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("person: find: %w", err)
	}
	rec, err := store.Decode[Person](raw, tenant)
	return rec, err == nil, err
}

// Get reads a person the viewer may see; anything else (missing, another tenant's, not visible) is ErrNotFound.
func (r *Repository) Get(ctx context.Context, tenant, id string, v Viewer) (Record, error) {
	f := append(bson.D{{Key: "_id", Value: id}}, visibilityFilter(v)...)
	rec, found, err := r.findOne(ctx, tenant, f)
	if err != nil {
		return Record{}, err
	}
	if !found {
		return Record{}, ErrNotFound
	}
	return rec, nil
}

// Load reads a person of the tenant without a visibility check (for the finance projection and internal use).
func (r *Repository) Load(ctx context.Context, tenant, id string) (Record, error) {
	rec, err := r.repo.Load(ctx, tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return Record{}, ErrNotFound
	}
	return rec, err
}

func (r *Repository) byNISS(ctx context.Context, tenant string, n niss.NISS) (Record, bool, error) {
	return r.findOne(ctx, tenant, bson.D{{Key: "niss_key", Value: n.String()}})
}

// possibleDuplicates lists the persons without a NISS that share the duplicate key.
func (r *Repository) possibleDuplicates(ctx context.Context, tenant, dupKey string) ([]Record, error) {
	recs, _, err := r.find(ctx, tenant, bson.D{{Key: "dup_key", Value: dupKey}}, 0, 20)
	if err != nil {
		return nil, err
	}
	out := recs[:0]
	for _, rec := range recs {
		if rec.State.NISS.IsZero() {
			out = append(out, rec)
		}
	}
	return out, nil
}

// find runs a tenant query sorted by name, returning at most limit records and whether more exist.
func (r *Repository) find(ctx context.Context, tenant string, f bson.D, skip, limit int64) ([]Record, bool, error) {
	filter, err := store.TenantFilter(tenant, f)
	if err != nil {
		return nil, false, err
	}
	opts := options.Find().SetSort(bson.D{{Key: "family_name", Value: 1}, {Key: "given_names", Value: 1}, {Key: "_id", Value: 1}}).
		SetSkip(skip).SetLimit(limit + 1).SetProjection(bson.D{{Key: store.OutboxField, Value: 0}})
	cur, err := r.coll.Find(ctx, filter, opts)
	if err != nil {
		return nil, false, fmt.Errorf("person: find: %w", err)
	}
	defer cur.Close(ctx)
	var out []Record
	for cur.Next(ctx) {
		rec, err := store.Decode[Person](cur.Current, tenant)
		if err != nil {
			return nil, false, err
		}
		out = append(out, rec)
	}
	if err := cur.Err(); err != nil {
		return nil, false, fmt.Errorf("person: find: %w", err)
	}
	more := int64(len(out)) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

// SearchQuery is a search already parsed: one of NISS, a name prefix, or ids (from a file number).
type SearchQuery struct {
	NISS       niss.NISS
	NamePrefix string // normalised
	IDs        []string
	Skip       int64
	Limit      int64
}

// Search returns the persons matching q that the viewer may see, sorted by name.
func (r *Repository) Search(ctx context.Context, tenant string, v Viewer, q SearchQuery) ([]Record, bool, error) {
	var f bson.D
	switch {
	case !q.NISS.IsZero():
		f = bson.D{{Key: "niss_key", Value: q.NISS.String()}}
	case q.IDs != nil:
		f = bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: q.IDs}}}}
	default:
		// An anchored, case-sensitive prefix expression on the folded keys: MongoDB turns it into a bounded scan
		// of the {tenant, search_keys} index; FerretDB evaluates it (a range with $elemMatch gave wrong matches there).
		f = bson.D{{Key: "search_keys", Value: bson.D{{Key: "$regex", Value: "^" + regexp.QuoteMeta(q.NamePrefix)}}}}
	}
	// The visibility $or goes beside the search condition at the top level, not under an $and: FerretDB pushes
	// only top-level equalities (niss_key) down to its backend, and MongoDB plans both forms alike.
	f = append(f, visibilityFilter(v)...)
	return r.find(ctx, tenant, f, q.Skip, q.Limit)
}

// existing tells which of ids are persons of the tenant, with their birth dates (zero when unknown).
func (r *Repository) existing(ctx context.Context, tenant string, ids []string) (map[string]civil.Date, error) {
	out := map[string]civil.Date{}
	if len(ids) == 0 {
		return out, nil
	}
	filter, err := store.TenantFilter(tenant, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return nil, err
	}
	cur, err := r.coll.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "birth_date", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("person: find members: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var doc struct {
			ID        string     `bson:"_id"`
			BirthDate civil.Date `bson:"birth_date"`
		}
		if err := cur.Decode(&doc); err != nil {
			return nil, fmt.Errorf("person: decode member: %w", err)
		}
		out[doc.ID] = doc.BirthDate
	}
	return out, cur.Err()
}

// update saves a change guarded by the version the client read (If-Match); expected < 1 means "the current
// version" (internal changes retry on conflict instead).
func (r *Repository) update(ctx context.Context, tenant, id string, expected int64, fn func(*Person) ([]events.Event, error)) (int64, error) {
	var (
		v   int64
		err error
	)
	if expected < 1 {
		v, err = r.repo.Update(ctx, tenant, id, fn)
	} else {
		v, err = r.repo.UpdateIfVersion(ctx, tenant, id, expected, fn)
	}
	if errors.Is(err, store.ErrNotFound) {
		return 0, ErrNotFound
	}
	return v, err
}

// SetFileLinks is how the file package keeps a person's files and access list current: it passes every file the
// person is managed in (applicant or member) with its number and assignment, and the person becomes visible to
// exactly those files' workers and teams (and, while there is no file, to the worker who registered them). It
// bumps the person's version (an edit in progress then gets a 409 and reloads) and retries on a concurrent
// change. An unknown person is ErrNotFound.
func (r *Repository) SetFileLinks(ctx context.Context, tenant, personID string, links []FileLink) error {
	for attempt := 0; ; attempt++ {
		_, err := r.update(ctx, tenant, personID, 0, func(p *Person) ([]events.Event, error) {
			p.applyFileLinks(links)
			return nil, nil
		})
		if errors.Is(err, store.ErrConflict) && attempt < 10 {
			time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
			continue
		}
		return err
	}
}

// FileLinks returns the files the person is managed in, as the file package last set them.
func (r *Repository) FileLinks(ctx context.Context, tenant, personID string) ([]FileLink, error) {
	rec, err := r.Load(ctx, tenant, personID)
	if err != nil {
		return nil, err
	}
	return rec.State.Files, nil
}
