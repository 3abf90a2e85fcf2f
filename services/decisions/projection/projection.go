// Package projection keeps, in the decisions service's own database, what it needs of the beneficiary registry:
// the persons (display name, language and address for the letters), the social files (number, applicant,
// assignee, team, open or closed) and the teams of social workers (members by user id). It is fed by the events
// of cpas.beneficiaries.v1 and answers the access rule of a social worker: the files assigned to them or to one of
// their teams; the head sees all.
package projection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
)

// Collections of this package (no outbox: a projection publishes nothing).
const (
	CollPersons   = "projected_persons"
	CollFiles     = "projected_files"
	CollTeams     = "projected_teams"
	CollProcessed = "projection_processed"
)

// Event types consumed.
const (
	TypePersonRegistered = "be.cpas.beneficiaries.person.registered.v1"
	TypePersonUpdated    = "be.cpas.beneficiaries.person.updated.v1"
	TypeFileOpened       = "be.cpas.beneficiaries.file.opened.v1"
	TypeFileAssigned     = "be.cpas.beneficiaries.file.assigned.v1"
	TypeFileClosed       = "be.cpas.beneficiaries.file.closed.v1"
	TypeTeamChanged      = "be.cpas.beneficiaries.team.changed.v1"
)

// consumerName names the handler in the processed marks.
const consumerName = "decisions-projections"

// Address is a person's postal address as the registry emits it.
type Address struct {
	Street       string `bson:"street" json:"street"`
	Number       string `bson:"number" json:"number"`
	Box          string `bson:"box,omitempty" json:"box,omitempty"`
	Postcode     int    `bson:"postcode" json:"postcode"`
	Municipality string `bson:"municipality" json:"municipality"`
}

// Person is a projected person.
type Person struct {
	ID          string    `bson:"_id"`
	Tenant      string    `bson:"tenant"`
	FamilyName  string    `bson:"family_name"`
	GivenNames  string    `bson:"given_names"`
	Language    string    `bson:"language"`
	Address     *Address  `bson:"address,omitempty"`
	LastEventAt time.Time `bson:"last_event_at"`
}

// DisplayName is "Given Family".
func (p Person) DisplayName() string { return strings.TrimSpace(p.GivenNames + " " + p.FamilyName) }

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
// it with Repository.Viewer.
type Viewer struct {
	UserID string
	Head   bool
	Teams  []string
}

// CanSee applies the access rule to a file.
func (v Viewer) CanSee(f File) bool {
	return v.Head || (f.Assignee != "" && f.Assignee == v.UserID) || (f.TeamID != "" && slices.Contains(v.Teams, f.TeamID))
}

// ErrNotFound is a person or file the projection does not hold (in that tenant).
var ErrNotFound = errors.New("projection: not found")

// Repository reads and writes the projection.
type Repository struct {
	persons, files, teams *mongo.Collection
	processed             *store.Processed
	// OnFile, when set, is called with a file as stored after each change of it, within the event's handling: an
	// error makes the event retried (the deadline board keeps its directory of open files with it; it must be
	// idempotent).
	OnFile func(ctx context.Context, f File) error
}

// NewRepository works on db.
func NewRepository(db *mongo.Database) *Repository {
	return &Repository{persons: db.Collection(CollPersons), files: db.Collection(CollFiles), teams: db.Collection(CollTeams),
		processed: store.NewProcessed(db.Collection(CollProcessed))}
}

// EnsureIndexes creates the projection's indexes (tenant first).
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	if err := store.EnsureIndexes(ctx, db.Collection(CollFiles),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "assignee", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "person_id", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "team_id", Value: 1}}}); err != nil {
		return err
	}
	if err := store.EnsureIndexes(ctx, db.Collection(CollTeams),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "members", Value: 1}}}); err != nil {
		return err
	}
	return store.EnsureIndexes(ctx, db.Collection(CollPersons), mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}}})
}

// Person reads a person of tenant.
func (r *Repository) Person(ctx context.Context, tenant, id string) (Person, error) {
	var p Person
	err := r.persons.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&p)
	if errors.Is(err, mongo.ErrNoDocuments) || (err == nil && p.Tenant != tenant) {
		return Person{}, ErrNotFound
	}
	return p, err
}

// File reads a file of tenant.
func (r *Repository) File(ctx context.Context, tenant, id string) (File, error) {
	var f File
	err := r.files.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&f)
	if errors.Is(err, mongo.ErrNoDocuments) || (err == nil && f.Tenant != tenant) {
		return File{}, ErrNotFound
	}
	return f, err
}

// Files reads the files of tenant with the given ids (missing ones are left out).
func (r *Repository) Files(ctx context.Context, tenant string, ids []string) (map[string]File, error) {
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
func (r *Repository) TeamsOf(ctx context.Context, tenant, user string) ([]string, error) {
	cur, err := r.teams.Find(ctx, bson.D{{Key: "tenant", Value: tenant}, {Key: "members", Value: user}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("projection: teams of a worker: %w", err)
	}
	return ids(ctx, cur)
}

// Viewer is the access of user in tenant: the head sees all, a worker what is assigned to them or their teams.
func (r *Repository) Viewer(ctx context.Context, tenant, user string, head bool) (Viewer, error) {
	if head {
		return Viewer{UserID: user, Head: true}, nil
	}
	teams, err := r.TeamsOf(ctx, tenant, user)
	if err != nil {
		return Viewer{}, err
	}
	return Viewer{UserID: user, Teams: teams}, nil
}

// WorkerFileIDs lists the ids of the tenant's files a social worker sees: assigned to them or to one of their
// teams.
func (r *Repository) WorkerFileIDs(ctx context.Context, tenant, user string) ([]string, error) {
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

// apply changes one document under the document lock (FerretDB updates are read-modify-write): fn gets the
// current document (found false when none) and returns the new one, or nil to leave it. An event older than the
// one last applied (stale says so of the stored document) is ignored, so redeliveries and reordering across a
// rebalance do not roll a document back.
func apply[T any](ctx context.Context, coll *mongo.Collection, id string, stale func(*T) bool, fn func(cur *T, found bool) *T) error {
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

type personPayload struct {
	PersonID   string   `json:"person_id"`
	FamilyName string   `json:"family_name"`
	GivenNames string   `json:"given_names"`
	Language   string   `json:"language"`
	Address    *Address `json:"address"`
}

type filePayload struct {
	FileID   string   `json:"file_id"`
	Number   string   `json:"number"`
	PersonID string   `json:"person_id"`
	Assignee string   `json:"assignee"`
	TeamID   string   `json:"team_id"`
	Persons  []string `json:"person_ids"`
}

type teamPayload struct {
	TeamID  string   `json:"team_id"`
	Members []string `json:"members"`
	Deleted bool     `json:"deleted"`
	Version int64    `json:"version"`
}

// Handle applies one event of cpas.beneficiaries.v1; other types are skipped. A payload that does not decode
// or lacks its ids is permanent (the consumer parks it in the DLQ).
func (r *Repository) Handle(ctx context.Context, e events.Event) error {
	switch e.Type {
	case TypePersonRegistered, TypePersonUpdated, TypeFileOpened, TypeFileAssigned, TypeFileClosed, TypeTeamChanged:
	default:
		return nil
	}
	if e.Tenant == "" {
		return events.Permanent(fmt.Errorf("projection: %s without tenant", e.Type))
	}
	return r.processed.Once(ctx, consumerName, e.ID, func(ctx context.Context) error { return r.handle(ctx, e) })
}

func (r *Repository) handle(ctx context.Context, e events.Event) error {
	switch e.Type {
	case TypePersonRegistered, TypePersonUpdated:
		var p personPayload
		if err := json.Unmarshal(e.Data, &p); err != nil || p.PersonID == "" {
			return events.Permanent(fmt.Errorf("projection: malformed %s", e.Type))
		}
		return apply(ctx, r.persons, p.PersonID, func(c *Person) bool { return c.LastEventAt.After(e.Time) },
			func(cur *Person, found bool) *Person {
				if found && cur.Tenant != e.Tenant {
					return nil
				}
				return &Person{ID: p.PersonID, Tenant: e.Tenant, FamilyName: p.FamilyName, GivenNames: p.GivenNames,
					Language: p.Language, Address: p.Address, LastEventAt: e.Time}
			})
	case TypeTeamChanged:
		var p teamPayload
		if err := json.Unmarshal(e.Data, &p); err != nil || p.TeamID == "" || p.Version < 1 {
			return events.Permanent(fmt.Errorf("projection: malformed %s", e.Type))
		}
		members := p.Members
		if p.Deleted || members == nil {
			members = []string{}
		}
		// Ordered by the team's version, not the event time: each change carries the version it made.
		return apply(ctx, r.teams, p.TeamID, func(c *Team) bool { return c.Version >= p.Version },
			func(cur *Team, found bool) *Team {
				if found && cur.Tenant != e.Tenant {
					return nil
				}
				return &Team{ID: p.TeamID, Tenant: e.Tenant, Members: members, Deleted: p.Deleted, Version: p.Version}
			})
	default:
		var p filePayload
		if err := json.Unmarshal(e.Data, &p); err != nil || p.FileID == "" {
			return events.Permanent(fmt.Errorf("projection: malformed %s", e.Type))
		}
		var stored *File
		err := apply(ctx, r.files, p.FileID, func(c *File) bool { return c.LastEventAt.After(e.Time) },
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
}

// Consumer runs the projection's consumer group on the beneficiaries topic.
type Consumer struct {
	Repo    *Repository
	Brokers []string
	// GroupID defaults to "decisions-projections", Topic to events.TopicBeneficiaries (tests use their own).
	GroupID string
	Topic   string
	Logger  *slog.Logger
}

// Run consumes until ctx ends; nothing to do without brokers.
func (c Consumer) Run(ctx context.Context) error {
	if len(c.Brokers) == 0 {
		return nil
	}
	group := c.GroupID
	if group == "" {
		group = consumerName
	}
	topic := c.Topic
	if topic == "" {
		topic = events.TopicBeneficiaries
	}
	return events.Consume(ctx, events.ConsumerConfig{Brokers: c.Brokers, GroupID: group, Topic: topic,
		Handler: c.Repo.Handle, Logger: c.Logger})
}

// PostcodeString formats a postcode for a letter.
func (a Address) PostcodeString() string { return strconv.Itoa(a.Postcode) }
