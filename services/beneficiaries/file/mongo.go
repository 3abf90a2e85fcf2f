package file

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
)

// Collections of this package. Files carry an outbox (file events); the others do not publish.
const (
	CollFiles    = "files"
	CollCounters = "file_counters"
	CollNotes    = "file_notes"
	CollTeams    = "teams"
	CollTasks    = "tasks"
)

// Collections returns the collections whose outboxes the service's relay must publish.
func Collections(db *mongo.Database) []*mongo.Collection {
	return []*mongo.Collection{db.Collection(CollFiles), db.Collection(CollTeams)}
}

// EnsureIndexes creates this package's indexes (one at a time: FerretDB, see store.EnsureIndexes). Each starts
// with the tenant.
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	idx := func(unique bool, keys ...string) mongo.IndexModel {
		d := bson.D{}
		for _, k := range keys {
			d = append(d, bson.E{Key: k, Value: 1})
		}
		m := mongo.IndexModel{Keys: d}
		if unique {
			m.Options = options.Index().SetUnique(true)
		}
		return m
	}
	for coll, models := range map[string][]mongo.IndexModel{
		// The listings by worker or team (caseloads, the head's filters on status and assignee or team: equality
		// on the three fields, in any order) use tenant+assignee+status and tenant+team_id+status; the head's
		// unfiltered listing of the open files, newest first, tenant+status+opened_at.
		CollFiles: {idx(true, "tenant", "number"), idx(false, "tenant", "person_ids"), idx(false, "tenant", "assignee", "status"),
			idx(false, "tenant", "team_id", "status"), idx(false, "tenant", "status", "opened_at"), idx(false, "tenant", "request_id")},
		CollNotes: {idx(false, "tenant", "file_id", "date")},
		CollTeams: {idx(true, "tenant", "name"), idx(false, "tenant", "members")},
		CollTasks: {idx(false, "tenant", "file_id", "status")},
	} {
		if err := store.EnsureIndexes(ctx, db.Collection(coll), models...); err != nil {
			return err
		}
	}
	return nil
}

// Repository keeps files, their numbering counters, journal notes, teams and tasks.
type Repository struct {
	files    *store.Repository[File]
	teams    *store.Repository[Team]
	tasks    *store.Repository[Task]
	counters *mongo.Collection
	notes    *mongo.Collection
}

// NewRepository works on db; onWrite (usually Relay.NotifyDocument) wakes the relay after a write with events.
func NewRepository(db *mongo.Database, onWrite func(collection, id string)) *Repository {
	return &Repository{
		files:    store.NewRepository[File](db.Collection(CollFiles), onWrite),
		teams:    store.NewRepository[Team](db.Collection(CollTeams), onWrite),
		tasks:    store.NewRepository[Task](db.Collection(CollTasks), nil),
		counters: db.Collection(CollCounters),
		notes:    db.Collection(CollNotes),
	}
}

// NextNumber draws the next file number of tenant for year: one counter document per tenant and year,
// incremented under the document lock because FerretDB's updates are read-modify-write (two concurrent $inc
// would both read the same value).
func (r *Repository) NextNumber(ctx context.Context, tenant string, year int) (Number, error) {
	if tenant == "" {
		return Number{}, store.ErrNoTenant
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
		return Number{}, fmt.Errorf("file: draw number: %w", err)
	}
	return Number{Year: year, Seq: doc.Last}, nil
}

// visibility is the object-level rule of Viewer.CanSee as a query: the head sees all, a worker the files
// assigned to them or to one of their teams.
func visibility(v Viewer) bson.D {
	if v.Head {
		return nil
	}
	or := bson.A{bson.D{{Key: "assignee", Value: v.UserID}}}
	if len(v.Teams) > 0 {
		or = append(or, bson.D{{Key: "team_id", Value: bson.D{{Key: "$in", Value: v.Teams}}}})
	}
	return bson.D{{Key: "$or", Value: or}}
}

// FileRecord is a stored file with its id and version.
type FileRecord = store.Versioned[File]

// InsertFile stores a new file with its events.
func (r *Repository) InsertFile(ctx context.Context, tenant, id string, f File, evs ...events.Event) error {
	return r.files.Insert(ctx, tenant, id, f, evs...)
}

// LoadFile reads a file of tenant (another tenant's is ErrNotFound).
func (r *Repository) LoadFile(ctx context.Context, tenant, id string) (FileRecord, error) {
	v, err := r.files.Load(ctx, tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return v, ErrNotFound
	}
	return v, err
}

// UpdateFile changes a file read at version expected (If-Match), or at whatever version when expected is 0.
func (r *Repository) UpdateFile(ctx context.Context, tenant, id string, expected int64, fn func(*File) ([]events.Event, error)) (int64, error) {
	var (
		v   int64
		err error
	)
	if expected > 0 {
		v, err = r.files.UpdateIfVersion(ctx, tenant, id, expected, fn)
	} else {
		v, err = r.files.Update(ctx, tenant, id, fn)
	}
	if errors.Is(err, store.ErrNotFound) {
		return 0, ErrNotFound
	}
	return v, err
}

// FileQuery narrows a listing of files.
type FileQuery struct {
	PersonID string
	Status   Status
	// Assignee and TeamID narrow to the files assigned to that worker, or to that team (user and team ids).
	Assignee string
	TeamID   string
	Page     int
	PageSize int
}

// findFiles returns the tenant's files visible to v matching extra, newest first.
func (r *Repository) findFiles(ctx context.Context, tenant string, v Viewer, extra bson.D, skip, limit int64) ([]FileRecord, error) {
	conds := append(bson.D{}, extra...)
	conds = append(conds, visibility(v)...)
	opts := options.Find().SetSort(bson.D{{Key: "opened_at", Value: -1}, {Key: "_id", Value: -1}})
	if skip > 0 {
		opts.SetSkip(skip)
	}
	if limit > 0 {
		opts.SetLimit(limit)
	}
	return r.files.Find(ctx, tenant, conds, opts)
}

// ListFiles returns one page of the files visible to v, and whether more follow.
func (r *Repository) ListFiles(ctx context.Context, tenant string, v Viewer, q FileQuery) ([]FileRecord, bool, error) {
	var extra bson.D
	if q.PersonID != "" {
		extra = append(extra, bson.E{Key: "person_ids", Value: q.PersonID})
	}
	if q.Status != "" {
		extra = append(extra, bson.E{Key: "status", Value: string(q.Status)})
	}
	if q.Assignee != "" {
		extra = append(extra, bson.E{Key: "assignee", Value: q.Assignee})
	}
	if q.TeamID != "" {
		extra = append(extra, bson.E{Key: "team_id", Value: q.TeamID})
	}
	recs, err := r.findFiles(ctx, tenant, v, extra, int64((q.Page-1)*q.PageSize), int64(q.PageSize+1))
	if err != nil {
		return nil, false, err
	}
	more := len(recs) > q.PageSize
	if more {
		recs = recs[:q.PageSize]
	}
	return recs, more, nil
}

// FilesOfPerson returns every file of the tenant on which the person is or was registered, whoever sees them
// (for the person's access list).
func (r *Repository) FilesOfPerson(ctx context.Context, tenant, personID string) ([]FileRecord, error) {
	return r.findFiles(ctx, tenant, Viewer{Head: true}, bson.D{{Key: "person_ids", Value: personID}}, 0, 0)
}

// OpenFileOfApplicant returns the open file whose applicant is personID, if any.
func (r *Repository) OpenFileOfApplicant(ctx context.Context, tenant, personID string) (FileRecord, bool, error) {
	recs, err := r.findFiles(ctx, tenant, Viewer{Head: true}, bson.D{{Key: "person_ids", Value: personID}, {Key: "status", Value: string(StatusOpen)}}, 0, 0)
	if err != nil {
		return FileRecord{}, false, err
	}
	for _, rec := range recs {
		if rec.State.Applicant() == personID {
			return rec, true, nil
		}
	}
	return FileRecord{}, false, nil
}

// FileByNumber finds a file of tenant by number, whoever sees it.
func (r *Repository) FileByNumber(ctx context.Context, tenant string, n Number) (FileRecord, bool, error) {
	recs, err := r.findFiles(ctx, tenant, Viewer{Head: true}, bson.D{{Key: "number", Value: n.String()}}, 0, 1)
	if err != nil || len(recs) == 0 {
		return FileRecord{}, false, err
	}
	return recs[0], true, nil
}

// CountFilesOfTeam counts the files (open or closed) assigned to a team.
func (r *Repository) CountFilesOfTeam(ctx context.Context, tenant, teamID string) (int64, error) {
	filter, err := store.TenantFilter(tenant, bson.D{{Key: "team_id", Value: teamID}})
	if err != nil {
		return 0, err
	}
	return r.files.Collection().CountDocuments(ctx, filter)
}

// InsertNote appends a note to the journal (notes are never updated).
func (r *Repository) InsertNote(ctx context.Context, n Note) error {
	if n.Tenant == "" {
		return store.ErrNoTenant
	}
	if _, err := r.notes.InsertOne(ctx, n); err != nil {
		return fmt.Errorf("file: insert note: %w", err)
	}
	return nil
}

// noteVisibility is Viewer.CanSeeNote as a query.
func noteVisibility(v Viewer) bson.D {
	if v.Head {
		return nil
	}
	return bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "confidentiality", Value: string(Normal)}},
		bson.D{{Key: "author", Value: v.UserID}},
	}}}
}

// Notes returns the notes of a file the viewer may read, newest first.
func (r *Repository) Notes(ctx context.Context, tenant, fileID string, v Viewer, limit int64) ([]Note, error) {
	conds := append(bson.D{{Key: "file_id", Value: fileID}}, noteVisibility(v)...)
	filter, err := store.TenantFilter(tenant, conds)
	if err != nil {
		return nil, err
	}
	opts := options.Find().SetSort(bson.D{{Key: "date", Value: -1}, {Key: "created_at", Value: -1}, {Key: "_id", Value: -1}})
	if limit > 0 {
		opts.SetLimit(limit)
	}
	cur, err := r.notes.Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("file: find notes: %w", err)
	}
	var out []Note
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("file: find notes: %w", err)
	}
	return out, nil
}

// NoteExists tells whether a note of the file exists and is visible to v (a correction must name one).
func (r *Repository) NoteExists(ctx context.Context, tenant, fileID, noteID string, v Viewer) (bool, error) {
	conds := append(bson.D{{Key: "_id", Value: noteID}, {Key: "file_id", Value: fileID}}, noteVisibility(v)...)
	filter, err := store.TenantFilter(tenant, conds)
	if err != nil {
		return false, err
	}
	n, err := r.notes.CountDocuments(ctx, filter)
	return n > 0, err
}

// LastNoteDate is the date of the newest note of a file the viewer may read (zero when none).
func (r *Repository) LastNoteDate(ctx context.Context, tenant, fileID string, v Viewer) (civil.Date, error) {
	notes, err := r.Notes(ctx, tenant, fileID, v, 1)
	if err != nil || len(notes) == 0 {
		return civil.Date{}, err
	}
	return notes[0].Date, nil
}

// TeamRecord is a stored team.
type TeamRecord = store.Versioned[Team]

// TeamsOf returns the ids of the tenant's teams user belongs to.
func (r *Repository) TeamsOf(ctx context.Context, tenant, user string) ([]string, error) {
	teams, err := r.findTeams(ctx, tenant, bson.D{{Key: "members", Value: user}})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(teams))
	for _, t := range teams {
		ids = append(ids, t.ID)
	}
	return ids, nil
}

// Teams returns every team of the tenant (deleted ones left out), by name.
func (r *Repository) Teams(ctx context.Context, tenant string) ([]TeamRecord, error) {
	return r.findTeams(ctx, tenant, nil)
}

func (r *Repository) findTeams(ctx context.Context, tenant string, f bson.D) ([]TeamRecord, error) {
	f = append(f, bson.E{Key: "deleted", Value: bson.D{{Key: "$ne", Value: true}}})
	return r.teams.Find(ctx, tenant, f, options.Find().SetSort(bson.D{{Key: "name", Value: 1}}))
}

// InsertTeam stores a new team with its team.changed event (correlation corr); a name already used in the
// tenant is ErrDuplicate of libs/store.
func (r *Repository) InsertTeam(ctx context.Context, tenant, id, corr string, t Team) error {
	ev, err := teamChanged(tenant, id, corr, t, 1)
	if err != nil {
		return err
	}
	return r.teams.Insert(ctx, tenant, id, t, ev)
}

// LoadTeam reads a team of tenant; a deleted team is ErrNotFound.
func (r *Repository) LoadTeam(ctx context.Context, tenant, id string) (TeamRecord, error) {
	v, err := r.teams.Load(ctx, tenant, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && v.State.Deleted) {
		return TeamRecord{}, ErrNotFound
	}
	return v, err
}

// UpdateTeam replaces a team read at version expected, with its team.changed event.
func (r *Repository) UpdateTeam(ctx context.Context, tenant, id, corr string, expected int64, t Team) (int64, error) {
	return r.changeTeam(ctx, tenant, id, corr, expected, func(*Team) Team { return t })
}

// DeleteTeam deletes a team of tenant at version expected: the document becomes a tombstone whose outbox
// carries the team.changed event (deleted, no members); removing the document would lose the event.
func (r *Repository) DeleteTeam(ctx context.Context, tenant, id, corr string, expected int64) error {
	_, err := r.changeTeam(ctx, tenant, id, corr, expected, func(s *Team) Team { return s.tombstone(id) })
	return err
}

func (r *Repository) changeTeam(ctx context.Context, tenant, id, corr string, expected int64, next func(*Team) Team) (int64, error) {
	v, err := r.teams.UpdateIfVersion(ctx, tenant, id, expected, func(s *Team) ([]events.Event, error) {
		if s.Deleted {
			return nil, ErrNotFound
		}
		*s = next(s)
		ev, err := teamChanged(tenant, id, corr, *s, expected+1)
		if err != nil {
			return nil, err
		}
		return []events.Event{ev}, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return 0, ErrNotFound
	}
	return v, err
}

// teamChanged is the team.changed event of team id at version.
func teamChanged(tenant, id, corr string, t Team, version int64) (events.Event, error) {
	d := TeamChangedData{TeamID: id, Name: t.Name, Members: t.Members, Deleted: t.Deleted, Version: version}
	if d.Members == nil {
		d.Members = []string{}
	}
	if t.Deleted {
		d.Name = ""
	}
	return events.New(EventTeamChanged, EventSource, tenant, id, corr, d)
}

// TaskRecord is a stored task.
type TaskRecord = store.Versioned[Task]

// InsertTask stores a task under its id; a task already stored (a redelivered event) reports false.
func (r *Repository) InsertTask(ctx context.Context, tenant, id string, t Task) (bool, error) {
	err := r.tasks.Insert(ctx, tenant, id, t)
	if errors.Is(err, store.ErrDuplicate) {
		return false, nil
	}
	return err == nil, err
}

// LoadTask reads a task of tenant.
func (r *Repository) LoadTask(ctx context.Context, tenant, id string) (TaskRecord, error) {
	v, err := r.tasks.Load(ctx, tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return v, ErrNotFound
	}
	return v, err
}

// UpdateTask changes a task read at version expected.
func (r *Repository) UpdateTask(ctx context.Context, tenant, id string, expected int64, fn func(*Task) error) (int64, error) {
	v, err := r.tasks.UpdateIfVersion(ctx, tenant, id, expected, func(t *Task) ([]events.Event, error) { return nil, fn(t) })
	if errors.Is(err, store.ErrNotFound) {
		return 0, ErrNotFound
	}
	return v, err
}

// OpenTasks returns the open tasks of the given files, oldest due first.
func (r *Repository) OpenTasks(ctx context.Context, tenant string, fileIDs []string) ([]TaskRecord, error) {
	if len(fileIDs) == 0 {
		return nil, nil
	}
	return r.tasks.Find(ctx, tenant, bson.D{{Key: "file_id", Value: bson.D{{Key: "$in", Value: fileIDs}}}, {Key: "status", Value: string(TaskOpen)}},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}))
}

func bsonStatus(s Status) bson.D { return bson.D{{Key: "status", Value: string(s)}} }

// PersonsByFileNumber returns the persons registered on the file with that number (person search by file
// number; the person package applies its own visibility rule to them). A text that is no file number finds
// nothing.
func (r *Repository) PersonsByFileNumber(ctx context.Context, tenant, number string) ([]string, error) {
	n, ok := ParseNumber(number)
	if !ok {
		return nil, nil
	}
	rec, found, err := r.FileByNumber(ctx, tenant, n)
	if err != nil || !found {
		return nil, err
	}
	return rec.State.PersonIDs, nil
}

// ClosedFiles returns every closed file of the tenant, whoever sees them (document retention counts from the
// closure).
func (r *Repository) ClosedFiles(ctx context.Context, tenant string) ([]FileRecord, error) {
	return r.findFiles(ctx, tenant, Viewer{Head: true}, bsonStatus(StatusClosed), 0, 0)
}

// FilesByID returns the files of tenant among ids, by id, whoever sees them.
func (r *Repository) FilesByID(ctx context.Context, tenant string, ids []string) (map[string]FileRecord, error) {
	out := map[string]FileRecord{}
	if len(ids) == 0 {
		return out, nil
	}
	recs, err := r.findFiles(ctx, tenant, Viewer{Head: true}, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}, 0, 0)
	for _, rec := range recs {
		out[rec.ID] = rec
	}
	return out, err
}
