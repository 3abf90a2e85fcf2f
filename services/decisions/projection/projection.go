// Package projection keeps, in the decisions service's own database, what it needs of the beneficiary registry:
// the persons (display name, language and address for the letters), the social files (number, applicant,
// assignee, team, open or closed) and the teams of social workers (members by user id). It is fed by the events
// of cpas.beneficiaries.v1 and answers the access rule of a social worker: the files assigned to them or to one of
// their teams; the head sees all. The files, the teams and that rule are libs/registryview's, shared with the
// payments service; the persons are this package's own.
package projection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/registryview"
	"github.com/entraide/entraide/libs/store"
)

// Collections of this package (no outbox: a projection publishes nothing).
const (
	CollPersons   = "projected_persons"
	CollFiles     = registryview.CollFiles
	CollTeams     = registryview.CollTeams
	CollProcessed = "projection_processed"
)

// Event types consumed.
const (
	TypePersonRegistered = "be.cpas.beneficiaries.person.registered.v1"
	TypePersonUpdated    = "be.cpas.beneficiaries.person.updated.v1"
	TypeFileOpened       = registryview.TypeFileOpened
	TypeFileAssigned     = registryview.TypeFileAssigned
	TypeFileClosed       = registryview.TypeFileClosed
	TypeTeamChanged      = registryview.TypeTeamChanged
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

// File is a projected social file, Team a projected team, Viewer who reads (see libs/registryview).
type (
	File   = registryview.File
	Team   = registryview.Team
	Viewer = registryview.Viewer
)

// ErrNotFound is a person or file the projection does not hold (in that tenant).
var ErrNotFound = registryview.ErrNotFound

// Repository reads and writes the projection: the persons here, the files and teams in the embedded Registry
// (File, Files, TeamsOf, Viewer, WorkerFileIDs; its OnFile, when set, is called with a file as stored after each
// change of it, within the event's handling: an error makes the event retried — the deadline board keeps its
// directory of open files with it; it must be idempotent).
type Repository struct {
	*registryview.Registry
	persons   *mongo.Collection
	processed *store.Processed
}

// NewRepository works on db.
func NewRepository(db *mongo.Database) *Repository {
	return &Repository{Registry: registryview.New(db), persons: db.Collection(CollPersons),
		processed: store.NewProcessed(db.Collection(CollProcessed))}
}

// EnsureIndexes creates the projection's indexes (tenant first).
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	if err := registryview.EnsureIndexes(ctx, db,
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "person_id", Value: 1}}}); err != nil {
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

type personPayload struct {
	PersonID   string   `json:"person_id"`
	FamilyName string   `json:"family_name"`
	GivenNames string   `json:"given_names"`
	Language   string   `json:"language"`
	Address    *Address `json:"address"`
}

// Handle applies one event of cpas.beneficiaries.v1; other types are skipped. A payload that does not decode
// or lacks its ids is permanent (the consumer parks it in the DLQ).
func (r *Repository) Handle(ctx context.Context, e events.Event) error {
	switch e.Type {
	case TypePersonRegistered, TypePersonUpdated:
	default:
		if !registryview.Handles(e.Type) {
			return nil
		}
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
			return registryview.Malformed(e)
		}
		return registryview.Apply(ctx, r.persons, p.PersonID, func(c *Person) bool { return c.LastEventAt.After(e.Time) },
			func(cur *Person, found bool) *Person {
				if found && cur.Tenant != e.Tenant {
					return nil
				}
				return &Person{ID: p.PersonID, Tenant: e.Tenant, FamilyName: p.FamilyName, GivenNames: p.GivenNames,
					Language: p.Language, Address: p.Address, LastEventAt: e.Time}
			})
	default:
		return r.Registry.Apply(ctx, e)
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
	group := c.GroupID
	if group == "" {
		group = consumerName
	}
	return registryview.Consumer{Handler: c.Repo.Handle, Brokers: c.Brokers, GroupID: group, Topic: c.Topic, Logger: c.Logger}.Run(ctx)
}

// PostcodeString formats a postcode for a letter.
func (a Address) PostcodeString() string { return strconv.Itoa(a.Postcode) }
