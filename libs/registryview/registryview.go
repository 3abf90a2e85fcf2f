// Package registryview keeps, in a service's own database, the part of the beneficiary registry every service that
// holds a social worker to the access rule needs: the social files (number, applicant, assignee, team, open or
// closed) and the teams of social workers (members by user id), fed by the file and team events of
// cpas.beneficiaries.v1, and the rule itself: a worker sees the files assigned to them or to one of their teams,
// the head all. Each service's projection package adds what is its own (persons, payees) and runs the events
// through its own processed marks; this package writes projected_files and projected_teams only.
package registryview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
)

// Collections of this package.
const (
	CollFiles = "projected_files"
	CollTeams = "projected_teams"
)

// Event types applied.
const (
	TypeFileOpened   = "be.cpas.beneficiaries.file.opened.v1"
	TypeFileAssigned = "be.cpas.beneficiaries.file.assigned.v1"
	TypeFileClosed   = "be.cpas.beneficiaries.file.closed.v1"
	TypeTeamChanged  = "be.cpas.beneficiaries.team.changed.v1"
)

// Handles says whether Registry.Apply applies events of type typ.
func Handles(typ string) bool {
	switch typ {
	case TypeFileOpened, TypeFileAssigned, TypeFileClosed, TypeTeamChanged:
		return true
	}
	return false
}

// File is a projected social file.
type File struct {
	ID          string    `bson:"_id"`
	Tenant      string    `bson:"tenant"`
	Number      string    `bson:"number"`
	PersonID    string    `bson:"person_id,omitempty"`
	Assignee    string    `bson:"assignee"`
	TeamID      string    `bson:"team_id,omitempty"`
	Open        bool      `bson:"open"`
	LastEventAt time.Time `bson:"last_event_at"`
}

// Team is a projected team: its members are user ids. A deleted team is kept (no members) so that an older
// change delivered late cannot bring it back.
type Team struct {
	ID      string   `bson:"_id"`
	Tenant  string   `bson:"tenant"`
	Members []string `bson:"members"`
	Deleted bool     `bson:"deleted,omitempty"`
	// Version is the team's version in the registry: changes apply in that order.
	Version int64 `bson:"version"`
}

// Viewer is who reads: a worker sees the files assigned to them or to one of their Teams, the head all. Build
// it with Registry.Viewer.
type Viewer struct {
	UserID string
	Head   bool
	Teams  []string
}

// CanSee applies the access rule to a file.
func (v Viewer) CanSee(f File) bool {
	return v.Head || (f.Assignee != "" && f.Assignee == v.UserID) || (f.TeamID != "" && slices.Contains(v.Teams, f.TeamID))
}

// ErrNotFound is a document the projection does not hold (in that tenant).
var ErrNotFound = errors.New("projection: not found")

// Registry reads and writes the projected files and teams.
type Registry struct {
	files, teams *mongo.Collection
	// OnFile, when set, is called with a file as stored after each change of it, within the event's handling: an
	// error makes the event retried (it must be idempotent).
	OnFile func(ctx context.Context, f File) error
}

// New works on db.
func New(db *mongo.Database) *Registry {
	return &Registry{files: db.Collection(CollFiles), teams: db.Collection(CollTeams)}
}

// EnsureIndexes creates the indexes of the files (tenant and assignee, tenant and team, and fileIndexes, a
// service's own) and of the teams (tenant and members).
func EnsureIndexes(ctx context.Context, db *mongo.Database, fileIndexes ...mongo.IndexModel) error {
	if err := store.EnsureIndexes(ctx, db.Collection(CollFiles), append([]mongo.IndexModel{
		{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "assignee", Value: 1}}},
		{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "team_id", Value: 1}}}}, fileIndexes...)...); err != nil {
		return err
	}
	return store.EnsureIndexes(ctx, db.Collection(CollTeams),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "members", Value: 1}}})
}

// File reads a file of tenant.
func (r *Registry) File(ctx context.Context, tenant, id string) (File, error) {
	var f File
	err := r.files.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&f)
	if errors.Is(err, mongo.ErrNoDocuments) || (err == nil && f.Tenant != tenant) {
		return File{}, ErrNotFound
	}
	return f, err
}

// FileByNumber finds a file of tenant by its number ("" when none).
func (r *Registry) FileByNumber(ctx context.Context, tenant, number string) (string, error) {
	var f File
	err := r.files.FindOne(ctx, bson.D{{Key: "tenant", Value: tenant}, {Key: "number", Value: number}}).Decode(&f)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", nil
	}
	return f.ID, err
}

// Files reads the files of tenant with the given ids (missing ones are left out).
func (r *Registry) Files(ctx context.Context, tenant string, ids []string) (map[string]File, error) {
	out := map[string]File{}
	if len(ids) == 0 {
		return out, nil
	}
	cur, err := r.files.Find(ctx, bson.D{{Key: "tenant", Value: tenant}, {Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return nil, fmt.Errorf("projection: files: %w", err)
	}
	var fs []File
	if err := cur.All(ctx, &fs); err != nil {
		return nil, err
	}
	for _, f := range fs {
		out[f.ID] = f
	}
	return out, nil
}

// TeamsOf lists the ids of the tenant's teams user is a member of.
func (r *Registry) TeamsOf(ctx context.Context, tenant, user string) ([]string, error) {
	cur, err := r.teams.Find(ctx, bson.D{{Key: "tenant", Value: tenant}, {Key: "members", Value: user}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("projection: teams of a worker: %w", err)
	}
	return ids(ctx, cur)
}

// Viewer is the access of user in tenant: the head sees all, a worker what is assigned to them or their teams.
func (r *Registry) Viewer(ctx context.Context, tenant, user string, head bool) (Viewer, error) {
	if head {
		return Viewer{UserID: user, Head: true}, nil
	}
	teams, err := r.TeamsOf(ctx, tenant, user)
	if err != nil {
		return Viewer{}, err
	}
	return Viewer{UserID: user, Teams: teams}, nil
}

// CanSee applies a social worker's rule to one file: assigned to them or to one of their teams (one read of the
// file's team at most).
func (r *Registry) CanSee(ctx context.Context, tenant, user string, f File) (bool, error) {
	if f.Assignee != "" && f.Assignee == user {
		return true, nil
	}
	if f.TeamID == "" {
		return false, nil
	}
	var t Team
	err := r.teams.FindOne(ctx, bson.D{{Key: "_id", Value: f.TeamID}}).Decode(&t)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return t.Tenant == tenant && !t.Deleted && slices.Contains(t.Members, user), nil
}

// WorkerFileIDs lists the ids of the tenant's files a social worker sees: assigned to them or to one of their
// teams.
func (r *Registry) WorkerFileIDs(ctx context.Context, tenant, user string) ([]string, error) {
	teams, err := r.TeamsOf(ctx, tenant, user)
	if err != nil {
		return nil, err
	}
	or := bson.A{bson.D{{Key: "assignee", Value: user}}}
	if len(teams) > 0 {
		or = append(or, bson.D{{Key: "team_id", Value: bson.D{{Key: "$in", Value: teams}}}})
	}
	cur, err := r.files.Find(ctx, bson.D{{Key: "tenant", Value: tenant}, {Key: "$or", Value: or}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("projection: a worker's files: %w", err)
	}
	return ids(ctx, cur)
}

// ids reads the _id of every document of cur.
func ids(ctx context.Context, cur *mongo.Cursor) ([]string, error) {
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.ID)
	}
	return out, nil
}

// Apply changes one document under the document lock (FerretDB updates are read-modify-write): fn gets the
// current document (found false when none) and returns the new one, or nil to leave it. An event older than the
// one last applied (stale says so of the stored document) is ignored, so redeliveries and reordering across a
// rebalance do not roll a document back.
func Apply[T any](ctx context.Context, coll *mongo.Collection, id string, stale func(*T) bool, fn func(cur *T, found bool) *T) error {
	unlock := store.LockDocument(coll, id)
	defer unlock()
	var cur T
	found := true
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&cur); errors.Is(err, mongo.ErrNoDocuments) {
		found = false
	} else if err != nil {
		return err
	}
	if found && stale(&cur) {
		return nil
	}
	next := fn(&cur, found)
	if next == nil {
		return nil
	}
	_, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, next, options.Replace().SetUpsert(true))
	return err
}

// Malformed is the permanent error of an event whose payload does not decode or lacks its ids (the consumer
// parks it in the DLQ).
func Malformed(e events.Event) error {
	return events.Permanent(fmt.Errorf("projection: malformed %s", e.Type))
}

type filePayload struct {
	FileID   string `json:"file_id"`
	Number   string `json:"number"`
	PersonID string `json:"person_id"`
	Assignee string `json:"assignee"`
	TeamID   string `json:"team_id"`
}

type teamPayload struct {
	TeamID  string   `json:"team_id"`
	Members []string `json:"members"`
	Deleted bool     `json:"deleted"`
	Version int64    `json:"version"`
}

// Apply applies one file or team event (see Handles; other types are skipped) of e.Tenant: files in the order of
// the events' times, teams in the order of the registry's team versions; a document of another tenant is never
// touched. The caller runs it once per event (its processed marks).
func (r *Registry) Apply(ctx context.Context, e events.Event) error {
	switch e.Type {
	case TypeTeamChanged:
		var p teamPayload
		if err := json.Unmarshal(e.Data, &p); err != nil || p.TeamID == "" || p.Version < 1 {
			return Malformed(e)
		}
		members := p.Members
		if p.Deleted || members == nil {
			members = []string{}
		}
		// Ordered by the team's version, not the event time: each change carries the version it made.
		return Apply(ctx, r.teams, p.TeamID, func(c *Team) bool { return c.Version >= p.Version },
			func(cur *Team, found bool) *Team {
				if found && cur.Tenant != e.Tenant {
					return nil
				}
				return &Team{ID: p.TeamID, Tenant: e.Tenant, Members: members, Deleted: p.Deleted, Version: p.Version}
			})
	case TypeFileOpened, TypeFileAssigned, TypeFileClosed:
		var p filePayload
		if err := json.Unmarshal(e.Data, &p); err != nil || p.FileID == "" {
			return Malformed(e)
		}
		var stored *File
		err := Apply(ctx, r.files, p.FileID, func(c *File) bool { return c.LastEventAt.After(e.Time) },
			func(cur *File, found bool) *File {
				if found && cur.Tenant != e.Tenant {
					return nil
				}
				f := *cur
				f.ID, f.Tenant, f.LastEventAt = p.FileID, e.Tenant, e.Time
				if p.Number != "" {
					f.Number = p.Number
				}
				switch e.Type {
				case TypeFileOpened:
					f.PersonID, f.Assignee, f.TeamID, f.Open = p.PersonID, p.Assignee, p.TeamID, true
				case TypeFileAssigned:
					f.Assignee, f.TeamID = p.Assignee, p.TeamID
					if !found {
						f.Open = true
					}
				case TypeFileClosed:
					f.Open = false
				}
				stored = &f
				return &f
			})
		if err != nil || stored == nil || r.OnFile == nil {
			return err
		}
		return r.OnFile(ctx, *stored)
	}
	return nil
}

// Consumer runs a projection's consumer group on the beneficiaries topic.
type Consumer struct {
	Handler events.Handler
	Brokers []string
	// GroupID is the service's group; Topic defaults to events.TopicBeneficiaries (tests use their own).
	GroupID string
	Topic   string
	Logger  *slog.Logger
}

// Run consumes until ctx ends; nothing to do without brokers.
func (c Consumer) Run(ctx context.Context) error {
	if len(c.Brokers) == 0 {
		return nil
	}
	topic := c.Topic
	if topic == "" {
		topic = events.TopicBeneficiaries
	}
	return events.Consume(ctx, events.ConsumerConfig{Brokers: c.Brokers, GroupID: c.GroupID, Topic: topic,
		Handler: c.Handler, Logger: c.Logger})
}
