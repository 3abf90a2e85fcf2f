// Package projection keeps, in the payments service's own database, what it needs of the beneficiary registry
// (cpas.beneficiaries.v1): the payee of each person (the name payments go to and the active IBAN, from
// bankaccount.changed, with the person's name from person.registered/updated as long as no account names a
// payee), and the social files with their assignee and team and the teams' members, for the one rule a social
// worker is held to here: they read the payment status of the files assigned to them or to one of their teams.
// The files, the teams and that rule are libs/registryview's, shared with the decisions service (one document per
// file and team, changes applied in the registry's order, each event once); the payees are this package's own.
package projection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/registryview"
	"github.com/entraide/entraide/libs/store"
)

// Collections of this package (a projection publishes nothing).
const (
	CollPayees    = "projected_payees"
	CollFiles     = registryview.CollFiles
	CollTeams     = registryview.CollTeams
	CollProcessed = "projection_processed"
)

// Event types consumed.
const (
	TypePersonRegistered = "be.cpas.beneficiaries.person.registered.v1"
	TypePersonUpdated    = "be.cpas.beneficiaries.person.updated.v1"
	TypeBankAccount      = "be.cpas.beneficiaries.bankaccount.changed.v1"
	TypeFileOpened       = registryview.TypeFileOpened
	TypeFileAssigned     = registryview.TypeFileAssigned
	TypeFileClosed       = registryview.TypeFileClosed
	TypeTeamChanged      = registryview.TypeTeamChanged
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

// File is a projected social file, Team a projected team (see libs/registryview).
type (
	File = registryview.File
	Team = registryview.Team
)

// ErrNotFound is a payee or file the projection does not hold in that tenant.
var ErrNotFound = registryview.ErrNotFound

// Repository reads and writes the projection: the payees here, the files and teams in the embedded Registry
// (File, FileByNumber, Files, CanSee).
type Repository struct {
	*registryview.Registry
	payees    *mongo.Collection
	processed *store.Processed
}

// NewRepository works on db.
func NewRepository(db *mongo.Database) *Repository {
	return &Repository{Registry: registryview.New(db), payees: db.Collection(CollPayees),
		processed: store.NewProcessed(db.Collection(CollProcessed))}
}

// EnsureIndexes creates the projection's indexes (tenant first).
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	return registryview.EnsureIndexes(ctx, db,
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "number", Value: 1}}})
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

// Handle applies one event of cpas.beneficiaries.v1 once; other types are skipped. A payload that does not
// decode is permanent (the consumer parks it in the DLQ).
func (r *Repository) Handle(ctx context.Context, e events.Event) error {
	switch e.Type {
	case TypePersonRegistered, TypePersonUpdated, TypeBankAccount:
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
		return registryview.Apply(ctx, r.payees, p.PersonID, func(c *Payee) bool { return c.PersonEventAt.After(e.Time) },
			func(cur *Payee, found bool) *Payee {
				if found && cur.Tenant != e.Tenant {
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
			return registryview.Malformed(e)
		}
		if _, err := iban.Parse(p.NewIBAN); err != nil {
			return events.Permanent(fmt.Errorf("projection: %s with an invalid IBAN", e.Type))
		}
		at := p.EffectiveAt
		if at.IsZero() {
			at = e.Time
		}
		return registryview.Apply(ctx, r.payees, p.PersonID, func(c *Payee) bool { return c.AccountAt.After(at) },
			func(cur *Payee, found bool) *Payee {
				if found && cur.Tenant != e.Tenant {
					return nil
				}
				n := *cur
				n.ID, n.Tenant, n.AccountAt = p.PersonID, e.Tenant, at
				n.IBAN, n.AccountName, n.AccountHolderID = p.NewIBAN, strings.TrimSpace(p.PayeeName), p.AccountID
				return &n
			})
	default:
		return r.Registry.Apply(ctx, e)
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
	group := c.GroupID
	if group == "" {
		group = consumerName
	}
	return registryview.Consumer{Handler: c.Repo.Handle, Brokers: c.Brokers, GroupID: group, Topic: c.Topic, Logger: c.Logger}.Run(ctx)
}
