package subsidy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/ledger"
	"github.com/entraide/entraide/services/payments/projection"
	"github.com/entraide/entraide/services/payments/receivable"
	"github.com/entraide/entraide/services/payments/schedule"
	"github.com/entraide/entraide/services/payments/settings"
)

// Collections.
const (
	CollDecisions = "subsidy_decisions"
	CollPersons   = "subsidy_persons"
	CollProcessed = "subsidy_processed"
	consumerName  = "payments-subsidy"
)

// EnsureIndexes creates the indexes (a tenant's decisions).
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	return store.EnsureIndexes(ctx, db.Collection(CollDecisions),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "person_id", Value: 1}}})
}

// Change is a decision event as the forms need it.
type Change struct {
	EventID      string     `bson:"event_id" json:"-"`
	Type         string     `bson:"type" json:"type"` // created, revised, suspended, terminated
	DecidedOn    civil.Date `bson:"decided_on" json:"decided_on"`
	From         civil.Date `bson:"from,omitempty" json:"from,omitzero"`
	To           civil.Date `bson:"to,omitempty" json:"to,omitzero"`
	MonthlyCents int64      `bson:"monthly_cents" json:"monthly_cents"`
	Ending       string     `bson:"ending,omitempty" json:"ending,omitempty"`
}

// Decision is what the subsidy reads of a decision and its changes (id = the decision's id).
type Decision struct {
	PersonID               string     `bson:"person_id" json:"person_id"`
	FileID                 string     `bson:"file_id" json:"file_id"`
	Kind                   string     `bson:"kind" json:"kind"`
	Outcome                string     `bson:"outcome" json:"outcome"`
	Category               int        `bson:"category,omitempty" json:"category,omitempty"`
	PIIS                   bool       `bson:"piis" json:"piis"`
	MonthlyCents           int64      `bson:"monthly_cents" json:"monthly_cents"`
	Start                  civil.Date `bson:"start,omitempty" json:"start,omitzero"`
	End                    civil.Date `bson:"end,omitempty" json:"end,omitzero"`
	DecidedOn              civil.Date `bson:"decided_on" json:"decided_on"`
	Changes                []Change   `bson:"changes" json:"changes"`
	HomelessFirstResidence bool       `bson:"homeless_first_residence" json:"homeless_first_residence"`
	MarkedBy               string     `bson:"marked_by,omitempty" json:"-"`
}

// Granted tells whether the decision grants aid.
func (d Decision) Granted() bool { return d.Outcome == "granted" || d.Outcome == "partially_granted" }

// Person is what the subsidy reads of a person: the NISS (forms) and the residence status (100% share).
type Person struct {
	ID              string    `bson:"_id"`
	Tenant          string    `bson:"tenant"`
	NISS            string    `bson:"niss,omitempty"`
	ResidenceStatus string    `bson:"residence_status"`
	EventAt         time.Time `bson:"event_at"`
}

// Service computes the subsidy.
type Service struct {
	Decisions   *store.Repository[Decision]
	persons     *mongo.Collection
	settings    *store.Repository[Declared]
	instalments *mongo.Collection
	processed   *store.Processed
	Settings    *settings.Store
	Ledger      *ledger.Service
	Receivables *receivable.Service
	Proj        *projection.Repository
	Audit       *kit.Auditor
	Logger      *slog.Logger
	Rules       Rules
	// paid caches the counted beneficiaries per tenant (countPaidCached).
	paid sync.Map
}

// NewService works on db with the default rules.
func NewService(db *mongo.Database, st *settings.Store, led *ledger.Service, rcv *receivable.Service, proj *projection.Repository,
	audit *kit.Auditor, logger *slog.Logger) *Service {
	return &Service{Decisions: store.NewRepository[Decision](db.Collection(CollDecisions), nil), persons: db.Collection(CollPersons),
		settings: store.NewRepository[Declared](db.Collection(CollSettings), nil), instalments: db.Collection(schedule.CollInstalments),
		processed: store.NewProcessed(db.Collection(CollProcessed)), Settings: st, Ledger: led, Receivables: rcv, Proj: proj,
		Audit: audit, Logger: logger, Rules: DefaultRules}
}

type decisionPayload struct {
	DecisionID   string     `json:"decision_id"`
	PersonID     string     `json:"person_id"`
	FileID       string     `json:"file_id"`
	Kind         string     `json:"kind"`
	Outcome      string     `json:"outcome"`
	Category     int        `json:"category"`
	PIIS         bool       `json:"piis"`
	MonthlyCents int64      `json:"monthly_cents"`
	Start        civil.Date `json:"start"`
	End          civil.Date `json:"end"`
	DecidedOn    civil.Date `json:"decided_on"`
	From         civil.Date `json:"from"`
	To           civil.Date `json:"to"`
	Ending       string     `json:"ending"`
}

type personPayload struct {
	PersonID        string  `json:"person_id"`
	NISS            *string `json:"niss"`
	ResidenceStatus string  `json:"residence_status"`
}

// Handle applies an event of cpas.decisions.v1 (adopted, revised, suspended, terminated) or of the persons of
// cpas.beneficiaries.v1 (registered, updated), each once; other types are skipped.
func (s *Service) Handle(ctx context.Context, e events.Event) error {
	switch e.Type {
	case schedule.TypeDecisionAdopted, schedule.TypeDecisionRevised, schedule.TypeDecisionSuspended, schedule.TypeDecisionTerminated,
		projection.TypePersonRegistered, projection.TypePersonUpdated:
	default:
		return nil
	}
	if e.Tenant == "" || e.Subject == "" {
		return events.Permanent(fmt.Errorf("subsidy: %s without tenant or subject", e.Type))
	}
	return s.processed.Once(ctx, consumerName, e.ID, func(ctx context.Context) error { return s.apply(ctx, e) })
}

func (s *Service) apply(ctx context.Context, e events.Event) error {
	if e.Type == projection.TypePersonRegistered || e.Type == projection.TypePersonUpdated {
		var p personPayload
		if err := json.Unmarshal(e.Data, &p); err != nil || p.PersonID == "" {
			return events.Permanent(fmt.Errorf("subsidy: malformed %s", e.Type))
		}
		return s.person(ctx, e, p)
	}
	var p decisionPayload
	if err := json.Unmarshal(e.Data, &p); err != nil {
		return events.Permanent(fmt.Errorf("subsidy: malformed %s", e.Type))
	}
	if e.Type == schedule.TypeDecisionAdopted {
		d := Decision{PersonID: p.PersonID, FileID: p.FileID, Kind: p.Kind, Outcome: p.Outcome, Category: p.Category, PIIS: p.PIIS,
			MonthlyCents: p.MonthlyCents, Start: p.Start, End: p.End, DecidedOn: p.DecidedOn,
			Changes: []Change{{EventID: e.ID, Type: "created", DecidedOn: p.DecidedOn, From: p.Start, MonthlyCents: p.MonthlyCents}}}
		err := s.Decisions.Insert(ctx, e.Tenant, e.Subject, d)
		if errors.Is(err, store.ErrDuplicate) {
			return nil
		}
		return err
	}
	_, err := s.Decisions.Update(ctx, e.Tenant, e.Subject, func(d *Decision) ([]events.Event, error) {
		if slices.ContainsFunc(d.Changes, func(c Change) bool { return c.EventID == e.ID }) {
			return nil, nil
		}
		c := Change{EventID: e.ID, DecidedOn: p.DecidedOn, MonthlyCents: d.current()}
		switch e.Type {
		case schedule.TypeDecisionRevised:
			c.Type, c.From, c.MonthlyCents = "revised", p.From, p.MonthlyCents
		case schedule.TypeDecisionSuspended:
			c.Type, c.From, c.To = "suspended", p.From, p.To
		case schedule.TypeDecisionTerminated:
			c.Type, c.From, c.Ending = "terminated", p.End, p.Ending
			if d.End.IsZero() || p.End.Before(d.End) {
				d.End = p.End
			}
		}
		d.Changes = append(d.Changes, c)
		return nil, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return events.Permanent(fmt.Errorf("subsidy: %s for an unknown decision", e.Type))
	}
	return err
}

// current is the monthly amount after the last revision.
func (d Decision) current() int64 {
	m := d.MonthlyCents
	for _, c := range d.Changes {
		if c.Type == "revised" {
			m = c.MonthlyCents
		}
	}
	return m
}

func (s *Service) person(ctx context.Context, e events.Event, p personPayload) error {
	unlock := store.LockDocument(s.persons, p.PersonID)
	defer unlock()
	var cur Person
	err := s.persons.FindOne(ctx, bson.D{{Key: "_id", Value: p.PersonID}}).Decode(&cur)
	if err == nil && (cur.Tenant != e.Tenant || cur.EventAt.After(e.Time)) {
		return nil
	}
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return err
	}
	next := Person{ID: p.PersonID, Tenant: e.Tenant, ResidenceStatus: p.ResidenceStatus, EventAt: e.Time}
	if p.NISS != nil {
		next.NISS = *p.NISS
	}
	_, err = s.persons.ReplaceOne(ctx, bson.D{{Key: "_id", Value: p.PersonID}}, next, options.Replace().SetUpsert(true))
	return err
}

func (s *Service) personOf(ctx context.Context, tenant, id string) (Person, error) {
	var p Person
	err := s.persons.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&p)
	if errors.Is(err, mongo.ErrNoDocuments) || (err == nil && p.Tenant != tenant) {
		return Person{}, nil
	}
	return p, err
}

// ShareOf is the share of a decision for a CPAS of band band and the person's residence status.
func (s *Service) ShareOf(band int, d Decision, p Person) (int, string) {
	return s.Rules.Share(band, Basis{Kind: d.Kind, PIIS: d.PIIS, ForeignersRegister: p.ResidenceStatus == "foreigners_register",
		HomelessFirstResidence: d.HomelessFirstResidence})
}

// Consumer runs the subsidy's consumer groups on the decisions and the beneficiaries topics.
type Consumer struct {
	Service *Service
	Brokers []string
	Topic   string
	GroupID string
	Logger  *slog.Logger
}

// Run consumes until ctx ends; nothing to do without brokers.
func (c Consumer) Run(ctx context.Context) error {
	if len(c.Brokers) == 0 {
		return nil
	}
	group := c.GroupID
	if group == "" {
		group = consumerName + "-" + c.Topic
	}
	return events.Consume(ctx, events.ConsumerConfig{Brokers: c.Brokers, GroupID: group, Topic: c.Topic, Handler: c.Service.Handle, Logger: c.Logger})
}
