package receivable

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/projection"
	"github.com/entraide/entraide/services/payments/schedule"
)

// Collections.
const (
	CollReceivables = "receivables"
	CollCounters    = "receivable_counters"
)

// Events.
const (
	EventSource        = "entraide-payments"
	TypeCreated        = "be.cpas.payments.receivable.created.v1"
	TypeSettled        = "be.cpas.payments.receivable.settled.v1"
	OutcomePaid        = "paid"
	OutcomeWaived      = "waived"
	OutcomeCancelled   = "cancelled"
	maxReasonLength    = 500
	minReasonLength    = 3
	maxPlanMonths      = 240
	matchCandidatesCap = 20
)

// Collections returns the collections whose outboxes the relay publishes.
func Collections(db *mongo.Database) []*mongo.Collection {
	return []*mongo.Collection{db.Collection(CollReceivables)}
}

// EnsureIndexes creates the indexes: the OGM (unique in a tenant), a person's and a file's receivables, the list by
// status, the statement lines already booked, the accounts earlier payments came from (the manual match's
// suggestions), and the payees by IBAN (matching by IBAN and amount).
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	if err := store.EnsureIndexes(ctx, db.Collection(CollReceivables),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "ogm", Value: 1}}, Options: options.Index().SetUnique(true)},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "person_id", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "file_id", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "status", Value: 1}, {Key: "created_on", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "payments.statement_line_id", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "payments.debtor_iban", Value: 1}}},
	); err != nil {
		return err
	}
	return projection.EnsureIBANIndex(ctx, db)
}

// CreatedPayload is the payload of TypeCreated (api/events/payments/): no name, no account, no communication.
type CreatedPayload struct {
	ReceivableID string     `json:"receivable_id"`
	DecisionID   string     `json:"decision_id"`
	PersonID     string     `json:"person_id"`
	FileID       string     `json:"file_id"`
	Kind         string     `json:"kind"`
	Source       string     `json:"source"`
	Case         string     `json:"case,omitempty"`
	AmountCents  int64      `json:"amount_cents"`
	PeriodFrom   civil.Date `json:"period_from,omitzero"`
	PeriodTo     civil.Date `json:"period_to,omitzero"`
	CreatedOn    civil.Date `json:"created_on"`
}

// SettledPayload is the payload of TypeSettled: the receivable is closed, paid in full, waived or cancelled.
type SettledPayload struct {
	ReceivableID string     `json:"receivable_id"`
	DecisionID   string     `json:"decision_id"`
	PersonID     string     `json:"person_id"`
	FileID       string     `json:"file_id"`
	Outcome      string     `json:"outcome"`
	AmountCents  int64      `json:"amount_cents"`
	PaidCents    int64      `json:"paid_cents"`
	BalanceCents int64      `json:"balance_cents"`
	SettledOn    civil.Date `json:"settled_on"`
}

// Service keeps the receivables.
type Service struct {
	Repo      *store.Repository[Receivable]
	Schedules *schedule.Repository
	Proj      *projection.Repository
	Audit     *kit.Auditor
	Logger    *slog.Logger
	counters  *mongo.Collection
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// NewService works on db; onWrite wakes the relay.
func NewService(db *mongo.Database, onWrite func(collection, id string), sch *schedule.Repository, proj *projection.Repository,
	audit *kit.Auditor, logger *slog.Logger) *Service {
	return &Service{Repo: store.NewRepository[Receivable](db.Collection(CollReceivables), onWrite), Schedules: sch, Proj: proj,
		Audit: audit, Logger: logger, counters: db.Collection(CollCounters)}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// nextOGM draws the tenant's next structured communication (sequence from 1; a number drawn by a creation that
// then failed is skipped, never reused).
func (s *Service) nextOGM(ctx context.Context, tenant string) (ogm.OGM, error) {
	unlock := store.LockDocument(s.counters, tenant)
	defer unlock()
	var doc struct {
		Last int64 `bson:"last"`
	}
	err := s.counters.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: tenant}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "last", Value: int64(1)}}}, {Key: "$setOnInsert", Value: bson.D{{Key: "tenant", Value: tenant}}}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	if err != nil {
		return ogm.OGM{}, fmt.Errorf("receivable: draw communication: %w", err)
	}
	return ogm.FromSequence(uint64(doc.Last))
}

// Sync makes the receivables the schedule (decision) lists exist in the collection, each with its OGM and a
// receivable.created event. It is the second write after the schedule's: idempotent (ids are the schedule's, an
// existing one is left alone) and retried — after each decision event, and hourly for every schedule with
// receivables (SyncAll).
func (s *Service) Sync(ctx context.Context, tenant, scheduleID string) error {
	sc, err := s.Schedules.Schedules.Load(ctx, tenant, scheduleID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, r := range sc.State.Receivables {
		if _, err := s.Repo.Load(ctx, tenant, r.ID); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		code, err := s.nextOGM(ctx, tenant)
		if err != nil {
			return err
		}
		rc := Receivable{DecisionID: scheduleID, PersonID: sc.State.PersonID, FileID: sc.State.FileID, Kind: sc.State.Kind,
			BudgetArticle: sc.State.BudgetArticle, Source: r.Source, Case: r.Case, Parts: r.Parts, AmountCents: r.AmountCents,
			PeriodFrom: r.PeriodFrom, PeriodTo: r.PeriodTo, CreatedOn: r.CreatedOn, OGM: code.String(), Payments: []Payment{},
			Status: StatusOpen, CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
		if rc.PeriodFrom.IsZero() && len(r.Parts) > 0 {
			if m, err := schedule.ParseMonth(r.Parts[0].Period); err == nil {
				rc.PeriodFrom = m
			}
			if m, err := schedule.ParseMonth(r.Parts[len(r.Parts)-1].Period); err == nil {
				rc.PeriodTo = m.AddDays(schedule.DaysInMonth(m) - 1)
			}
		}
		ev, err := events.New(TypeCreated, EventSource, tenant, r.ID, scheduleID, CreatedPayload{ReceivableID: r.ID,
			DecisionID: scheduleID, PersonID: rc.PersonID, FileID: rc.FileID, Kind: rc.Kind, Source: rc.Source, Case: rc.Case,
			AmountCents: rc.AmountCents, PeriodFrom: rc.PeriodFrom, PeriodTo: rc.PeriodTo, CreatedOn: rc.CreatedOn})
		if err != nil {
			return err
		}
		if err := s.Repo.Insert(ctx, tenant, r.ID, rc, ev); err != nil && !errors.Is(err, store.ErrDuplicate) {
			return err
		}
	}
	return nil
}

// SyncAll runs Sync for every schedule that lists receivables (hourly; catches up after a crash between the two
// writes).
func (s *Service) SyncAll(ctx context.Context) {
	cur, err := s.Schedules.Schedules.Collection().Find(ctx, bson.D{{Key: "receivables.0", Value: bson.D{{Key: "$exists", Value: true}}}},
		options.Find().SetProjection(bson.D{{Key: "tenant", Value: 1}}))
	if err != nil {
		s.warn(ctx, "schedules with receivables not listed", err)
		return
	}
	var docs []struct {
		ID     string `bson:"_id"`
		Tenant string `bson:"tenant"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		s.warn(ctx, "schedules with receivables not listed", err)
		return
	}
	for _, d := range docs {
		if err := s.Sync(ctx, d.Tenant, d.ID); err != nil && ctx.Err() == nil {
			s.warn(ctx, "receivables not synced", err)
		}
	}
}

func (s *Service) warn(ctx context.Context, msg string, err error) {
	if s.Logger != nil && ctx.Err() == nil {
		s.Logger.WarnContext(ctx, msg, "error", err.Error())
	}
}

// Credit is an incoming credit line of a bank statement, as the reconciliation hands it over.
type Credit struct {
	StatementLineID string
	AmountCents     int64
	OGM             string
	DebtorIBAN      string
	DebtorName      string
	BookedOn        civil.Date
}

// MatchIncoming books an incoming credit on a receivable of tenant: by its structured communication first (an
// open or settled receivable; the communication of a waived or cancelled one leaves the line to the accountant),
// else by the debtor's IBAN (an account of a beneficiary with open receivables) and an amount equal to one
// receivable's balance or to its plan's instalment — only when exactly one receivable fits; anything else is left
// unmatched (false), never forced. The same statement line twice is booked once (true the second time).
func (s *Service) MatchIncoming(ctx context.Context, tenant string, c Credit) (bool, error) {
	if c.StatementLineID == "" || c.AmountCents <= 0 {
		return false, nil
	}
	if done, err := s.Repo.Find(ctx, tenant, bson.D{{Key: "payments.statement_line_id", Value: c.StatementLineID}},
		options.Find().SetLimit(1)); err != nil {
		return false, err
	} else if len(done) > 0 {
		return true, nil
	}
	pay := Payment{StatementLineID: c.StatementLineID, AmountCents: c.AmountCents, BookedOn: c.BookedOn,
		At: s.now().UTC().Truncate(time.Millisecond)}
	if pay.BookedOn.IsZero() {
		pay.BookedOn = civil.Of(s.now())
	}
	if v, err := iban.Parse(c.DebtorIBAN); err == nil {
		pay.DebtorIBAN = v.String()
	}
	if code, err := ogm.Parse(c.OGM); err == nil {
		found, err := s.Repo.Find(ctx, tenant, bson.D{{Key: "ogm", Value: code.String()}}, options.Find().SetLimit(1))
		if err != nil {
			return false, err
		}
		if len(found) == 1 {
			// A waived or cancelled receivable takes no more money, and its communication names no other debt:
			// the accountant decides (refund or another receivable).
			if st := found[0].State.Status; st == StatusWaived || st == StatusCancelled {
				return false, nil
			}
			pay.MatchedBy = MatchOGM
			return true, s.book(ctx, tenant, found[0].ID, pay)
		}
	}
	if pay.DebtorIBAN == "" {
		return false, nil
	}
	persons, err := s.Proj.PersonsByIBAN(ctx, tenant, pay.DebtorIBAN)
	if err != nil || len(persons) == 0 {
		return false, err
	}
	open, err := s.Repo.Find(ctx, tenant, bson.D{{Key: "person_id", Value: bson.D{{Key: "$in", Value: persons}}},
		{Key: "status", Value: StatusOpen}}, options.Find().SetLimit(matchCandidatesCap))
	if err != nil {
		return false, err
	}
	var fit []string
	for _, r := range open {
		if c.AmountCents == r.State.Balance() || (r.State.Plan != nil && c.AmountCents == r.State.Instalment()) {
			fit = append(fit, r.ID)
		}
	}
	if len(fit) != 1 {
		return false, nil
	}
	pay.MatchedBy = MatchIBANAmount
	return true, s.book(ctx, tenant, fit[0], pay)
}

// book records p on the receivable, retrying when another payment was booked on it meanwhile.
func (s *Service) book(ctx context.Context, tenant, id string, p Payment) error {
	var err error
	for range 5 {
		_, err = s.Repo.Update(ctx, tenant, id, func(r *Receivable) ([]events.Event, error) {
			if !r.Book(p) {
				return nil, nil
			}
			ev, err := s.settledEvent(tenant, id, *r, OutcomePaid)
			if err != nil {
				return nil, err
			}
			return []events.Event{ev}, nil
		})
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return err
}

func (s *Service) settledEvent(tenant, id string, r Receivable, outcome string) (events.Event, error) {
	return events.New(TypeSettled, EventSource, tenant, id, id, SettledPayload{ReceivableID: id, DecisionID: r.DecisionID,
		PersonID: r.PersonID, FileID: r.FileID, Outcome: outcome, AmountCents: r.AmountCents, PaidCents: r.PaidCents,
		BalanceCents: r.Balance(), SettledOn: r.ClosedOn})
}

// PlanInput is an instalment plan to set (monthly 0 removes the plan).
type PlanInput struct {
	MonthlyCents int64      `json:"monthly_cents"`
	Start        civil.Date `json:"start"`
}

// SetPlan sets or removes the instalment plan of an open receivable read at version expected.
func (s *Service) SetPlan(ctx context.Context, a kit.Actor, id string, expected int64, in PlanInput) (store.Versioned[Receivable], error) {
	var fs problem.Fields
	if in.MonthlyCents < 0 {
		fs.Add("monthly_cents", "invalid")
	}
	if in.MonthlyCents > 0 && in.Start.IsZero() {
		fs.Add("start", "required")
	}
	if err := fs.Err(); err != nil {
		return store.Versioned[Receivable]{}, err
	}
	v, err := s.Repo.UpdateIfVersion(ctx, a.Tenant, id, expected, func(r *Receivable) ([]events.Event, error) {
		if !r.Open() {
			return nil, problem.Invalid(problem.Field("status", "payments.receivable_closed"))
		}
		if in.MonthlyCents == 0 {
			r.Plan = nil
			return nil, nil
		}
		if in.MonthlyCents > r.Balance() {
			return nil, problem.Invalid(problem.Field("monthly_cents", "payments.plan_above_balance"))
		}
		if (r.Balance()+in.MonthlyCents-1)/in.MonthlyCents > maxPlanMonths {
			return nil, problem.Invalid(problem.Field("monthly_cents", "payments.plan_too_long"))
		}
		r.Plan = &Plan{MonthlyCents: in.MonthlyCents, Start: schedule.FirstOfMonth(in.Start), SetBy: a.UserID,
			SetAt: s.now().UTC().Truncate(time.Millisecond)}
		return nil, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		err = kit.ErrNotFound
	}
	if err != nil {
		return store.Versioned[Receivable]{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "receivable.plan", ResourceType: "receivable", ResourceID: id})
	rec, err := s.Repo.Load(ctx, a.Tenant, id)
	if err == nil && rec.Version != v {
		rec.Version = v
	}
	return rec, err
}

// CloseInput is a waiver or cancellation.
type CloseInput struct {
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
}

// Close waives or cancels the balance of an open receivable read at version expected (the finance director; the
// route policy admits no one else), with the reason; receivable.settled goes out.
func (s *Service) Close(ctx context.Context, a kit.Actor, id string, expected int64, in CloseInput) (store.Versioned[Receivable], error) {
	var fs problem.Fields
	if in.Kind != CloseWaiver && in.Kind != CloseCancellation {
		fs.Add("kind", "payments.closure_kind")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if len([]rune(in.Reason)) < minReasonLength || len([]rune(in.Reason)) > maxReasonLength {
		fs.Add("reason", "payments.closure_reason")
	}
	if err := fs.Err(); err != nil {
		return store.Versioned[Receivable]{}, err
	}
	today := civil.Of(s.now())
	_, err := s.Repo.UpdateIfVersion(ctx, a.Tenant, id, expected, func(r *Receivable) ([]events.Event, error) {
		if !r.Open() {
			return nil, problem.Invalid(problem.Field("status", "payments.receivable_closed"))
		}
		r.Closure = &Closure{Kind: in.Kind, Reason: in.Reason, BalanceCents: r.Balance(), By: a.UserID,
			At: s.now().UTC().Truncate(time.Millisecond)}
		r.ClosedOn = today
		outcome := OutcomeWaived
		r.Status = StatusWaived
		if in.Kind == CloseCancellation {
			outcome, r.Status = OutcomeCancelled, StatusCancelled
		}
		ev, err := s.settledEvent(a.Tenant, id, *r, outcome)
		if err != nil {
			return nil, err
		}
		return []events.Event{ev}, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		err = kit.ErrNotFound
	}
	if err != nil {
		return store.Versioned[Receivable]{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "receivable." + in.Kind, ResourceType: "receivable", ResourceID: id})
	return s.Repo.Load(ctx, a.Tenant, id)
}

// Of lists the receivables of tenant matching f (person_id, file_id, status…), oldest first.
func (s *Service) Of(ctx context.Context, tenant string, f bson.D) ([]store.Versioned[Receivable], error) {
	return s.Repo.Find(ctx, tenant, f, options.Find().SetSort(bson.D{{Key: "created_on", Value: 1}, {Key: "_id", Value: 1}}))
}

func init() {
	for code, texts := range map[string]map[string]string{
		"payments.receivable_closed": {"fr": "Cette créance est clôturée.", "nl": "Deze vordering is afgesloten.",
			"de": "Diese Forderung ist abgeschlossen.", "en": "This receivable is closed."},
		"payments.plan_above_balance": {"fr": "La mensualité dépasse le solde dû.", "nl": "Het maandbedrag is hoger dan het openstaande saldo.",
			"de": "Die Monatsrate übersteigt den offenen Saldo.", "en": "The monthly amount exceeds the balance."},
		"payments.plan_too_long": {"fr": "Plan trop long (20 ans au plus).", "nl": "Afbetalingsplan te lang (hoogstens 20 jaar).",
			"de": "Ratenplan zu lang (höchstens 20 Jahre).", "en": "Plan too long (20 years at most)."},
		"payments.closure_kind": {"fr": "Choisissez renonciation ou annulation.", "nl": "Kies afstand of annulering.",
			"de": "Wählen Sie Verzicht oder Annullierung.", "en": "Choose waiver or cancellation."},
		"payments.closure_reason": {"fr": "Motif obligatoire (3 à 500 caractères).", "nl": "Reden verplicht (3 tot 500 tekens).",
			"de": "Begründung erforderlich (3 bis 500 Zeichen).", "en": "Reason required (3 to 500 characters)."},
	} {
		problem.RegisterMessages(code, texts)
	}
}
