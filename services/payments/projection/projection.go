// Package projection keeps, in the payments service's own database, what it needs of the beneficiary registry
// (cpas.beneficiaries.v1): the payee of each person (the name payments go to and the active IBAN, from
// bankaccount.changed, with the person's name from person.registered/updated as long as no account names a
// payee), and the social files with their assignee and team and the teams' members, for the one rule a social
// worker is held to here: they read the payment status of the files assigned to them or to one of their teams.
// Same pattern as the decisions service's projection (one document per person, file and team, changes applied in
// the registry's order, each event once), not the same code.
package projection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/store"
)

// Collections of this package (a projection publishes nothing).
const (
	CollPayees    = "projected_payees"
	CollFiles     = "projected_files"
	CollTeams     = "projected_teams"
	CollProcessed = "projection_processed"
)

// Event types consumed.
const (
	TypePersonRegistered = "be.cpas.beneficiaries.person.registered.v1"
	TypePersonUpdated    = "be.cpas.beneficiaries.person.updated.v1"
	TypeBankAccount      = "be.cpas.beneficiaries.bankaccount.changed.v1"
	TypeFileOpened       = "be.cpas.beneficiaries.file.opened.v1"
	TypeFileAssigned     = "be.cpas.beneficiaries.file.assigned.v1"
	TypeFileClosed       = "be.cpas.beneficiaries.file.closed.v1"
	TypeTeamChanged      = "be.cpas.beneficiaries.team.changed.v1"
)

const consumerName = "payments-projections"

// Payee is where a person's payments go: the person's name (kept up to date by person events) and the active
// account with the name the registry gives its payee (bankaccount.changed).
type Payee struct {
	ID         string `bson:"_id"`
	Tenant     string `bson:"tenant"`
	PersonName string `bson:"person_name,omitempty"`
	// AccountName is payee_name of the last bankaccount.changed; IBAN its new_iban (compact, as the registry
	// checked it; checked again at export).
	AccountName     string    `bson:"account_name,omitempty"`
	IBAN            string    `bson:"iban,omitempty"`
	AccountAt       time.Time `bson:"account_at,omitzero"`
	PersonEventAt   time.Time `bson:"person_event_at,omitzero"`
	AccountHolderID string    `bson:"account_id,omitempty"`
}

// Name is the name the transfer is made out to.
func (p Payee) Name() string {
	if p.AccountName != "" {
		return p.AccountName
	}
	return p.PersonName
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

// Team is a projected team (members by user id), ordered by the registry's team version.
type Team struct {
	ID      string   `bson:"_id"`
	Tenant  string   `bson:"tenant"`
	Members []string `bson:"members"`
	Deleted bool     `bson:"deleted,omitempty"`
	Version int64    `bson:"version"`
}

// ErrNotFound is a payee or file the projection does not hold in that tenant.
var ErrNotFound = errors.New("projection: not found")

// Repository reads and writes the projection.
type Repository struct {
	payees, files, teams *mongo.Collection
	processed            *store.Processed
}

// NewRepository works on db.
func NewRepository(db *mongo.Database) *Repository {
	return &Repository{payees: db.Collection(CollPayees), files: db.Collection(CollFiles), teams: db.Collection(CollTeams),
		processed: store.NewProcessed(db.Collection(CollProcessed))}
}

// EnsureIndexes creates the projection's indexes (tenant first).
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	if err := store.EnsureIndexes(ctx, db.Collection(CollFiles),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "assignee", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "team_id", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "number", Value: 1}}}); err != nil {
		return err
	}
	return store.EnsureIndexes(ctx, db.Collection(CollTeams),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "members", Value: 1}}})
}

// Payee reads the payee of a person of tenant.
func (r *Repository) Payee(ctx context.Context, tenant, personID string) (Payee, error) {
	var p Payee
	err := r.payees.FindOne(ctx, bson.D{{Key: "_id", Value: personID}}).Decode(&p)
	if errors.Is(err, mongo.ErrNoDocuments) || (err == nil && p.Tenant != tenant) {
		return Payee{}, ErrNotFound
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

// FileByNumber finds a file of tenant by its number ("" when none).
func (r *Repository) FileByNumber(ctx context.Context, tenant, number string) (string, error) {
	var f File
	err := r.files.FindOne(ctx, bson.D{{Key: "tenant", Value: tenant}, {Key: "number", Value: number}}).Decode(&f)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", nil
	}
	return f.ID, err
}

// Files reads the files of tenant with the given ids (missing ones left out).
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

// CanSee applies a social worker's rule to a file: assigned to them or to one of their teams.
func (r *Repository) CanSee(ctx context.Context, tenant, user string, f File) (bool, error) {
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

// apply changes one document under the document lock: fn gets the current document (found false when none) and
// returns the new one, or nil to leave it.
func apply[T any](ctx context.Context, coll *mongo.Collection, id string, fn func(cur *T, found bool) *T) error {
	unlock := store.LockDocument(coll, id)
	defer unlock()
	var cur T
	found := true
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&cur); errors.Is(err, mongo.ErrNoDocuments) {
		found = false
	} else if err != nil {
		return err
	}
	next := fn(&cur, found)
	if next == nil {
		return nil
	}
	_, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, next, options.Replace().SetUpsert(true))
	return err
}

type personPayload struct {
	PersonID   string `json:"person_id"`
	FamilyName string `json:"family_name"`
	GivenNames string `json:"given_names"`
}

type accountPayload struct {
	PersonID    string    `json:"person_id"`
	AccountID   string    `json:"account_id"`
	NewIBAN     string    `json:"new_iban"`
	PayeeName   string    `json:"payee_name"`
	EffectiveAt time.Time `json:"effective_at"`
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

// Handle applies one event of cpas.beneficiaries.v1 once; other types are skipped. A payload that does not
// decode is permanent (the consumer parks it in the DLQ).
func (r *Repository) Handle(ctx context.Context, e events.Event) error {
	switch e.Type {
	case TypePersonRegistered, TypePersonUpdated, TypeBankAccount, TypeFileOpened, TypeFileAssigned, TypeFileClosed, TypeTeamChanged:
	default:
		return nil
	}
	if e.Tenant == "" {
		return events.Permanent(fmt.Errorf("projection: %s without tenant", e.Type))
	}
	return r.processed.Once(ctx, consumerName, e.ID, func(ctx context.Context) error { return r.handle(ctx, e) })
}

func malformed(e events.Event) error {
	return events.Permanent(fmt.Errorf("projection: malformed %s", e.Type))
}

func (r *Repository) handle(ctx context.Context, e events.Event) error {
	switch e.Type {
	case TypePersonRegistered, TypePersonUpdated:
		var p personPayload
		if err := json.Unmarshal(e.Data, &p); err != nil || p.PersonID == "" {
			return malformed(e)
		}
		return apply(ctx, r.payees, p.PersonID, func(cur *Payee, found bool) *Payee {
			if found && (cur.Tenant != e.Tenant || cur.PersonEventAt.After(e.Time)) {
				return nil
			}
			n := *cur
			n.ID, n.Tenant, n.PersonEventAt = p.PersonID, e.Tenant, e.Time
			n.PersonName = strings.TrimSpace(p.GivenNames + " " + p.FamilyName)
			return &n
		})
	case TypeBankAccount:
		var p accountPayload
		if err := json.Unmarshal(e.Data, &p); err != nil || p.PersonID == "" {
			return malformed(e)
		}
		if _, err := iban.Parse(p.NewIBAN); err != nil {
			return events.Permanent(fmt.Errorf("projection: %s with an invalid IBAN", e.Type))
		}
		at := p.EffectiveAt
		if at.IsZero() {
			at = e.Time
		}
		return apply(ctx, r.payees, p.PersonID, func(cur *Payee, found bool) *Payee {
			if found && (cur.Tenant != e.Tenant || cur.AccountAt.After(at)) {
				return nil
			}
			n := *cur
			n.ID, n.Tenant, n.AccountAt = p.PersonID, e.Tenant, at
			n.IBAN, n.AccountName, n.AccountHolderID = p.NewIBAN, strings.TrimSpace(p.PayeeName), p.AccountID
			return &n
		})
	case TypeTeamChanged:
		var p teamPayload
		if err := json.Unmarshal(e.Data, &p); err != nil || p.TeamID == "" || p.Version < 1 {
			return malformed(e)
		}
		members := p.Members
		if p.Deleted || members == nil {
			members = []string{}
		}
		return apply(ctx, r.teams, p.TeamID, func(cur *Team, found bool) *Team {
			if found && (cur.Tenant != e.Tenant || cur.Version >= p.Version) {
				return nil
			}
			return &Team{ID: p.TeamID, Tenant: e.Tenant, Members: members, Deleted: p.Deleted, Version: p.Version}
		})
	default:
		var p filePayload
		if err := json.Unmarshal(e.Data, &p); err != nil || p.FileID == "" {
			return malformed(e)
		}
		return apply(ctx, r.files, p.FileID, func(cur *File, found bool) *File {
			if found && (cur.Tenant != e.Tenant || cur.LastEventAt.After(e.Time)) {
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
			return &f
		})
	}
}

// Consumer runs the projection's consumer group on the beneficiaries topic.
type Consumer struct {
	Repo    *Repository
	Brokers []string
	// GroupID defaults to "payments-projections", Topic to events.TopicBeneficiaries.
	GroupID string
	Topic   string
	Logger  *slog.Logger
}

// Run consumes until ctx ends; nothing to do without brokers.
func (c Consumer) Run(ctx context.Context) error {
	if len(c.Brokers) == 0 {
		return nil
	}
	group, topic := c.GroupID, c.Topic
	if group == "" {
		group = consumerName
	}
	if topic == "" {
		topic = events.TopicBeneficiaries
	}
	return events.Consume(ctx, events.ConsumerConfig{Brokers: c.Brokers, GroupID: group, Topic: topic,
		Handler: c.Repo.Handle, Logger: c.Logger})
}
