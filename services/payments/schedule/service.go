package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/projection"
)

// Event source and types.
const (
	EventSource = "entraide-payments"

	TypeScheduleCreated = "be.cpas.payments.schedule.created.v1"
	TypeScheduleChanged = "be.cpas.payments.schedule.changed.v1"

	TypeDecisionAdopted    = "be.cpas.decisions.decision.adopted.v1"
	TypeDecisionRevised    = "be.cpas.decisions.decision.revised.v1"
	TypeDecisionSuspended  = "be.cpas.decisions.decision.suspended.v1"
	TypeDecisionTerminated = "be.cpas.decisions.decision.terminated.v1"
	TypeRecoveryDecided    = "be.cpas.decisions.recovery.decided.v1"
)

// Schedule statuses.
const (
	ScheduleActive  = "active"
	ScheduleEnded   = "ended"
	ScheduleRefused = "refused"
)

// SchedulePayload is the payload of TypeScheduleCreated and TypeScheduleChanged (api/events/payments/): the
// terms as they now stand and what changed, never a name or an account.
type SchedulePayload struct {
	ScheduleID    string     `json:"schedule_id"`
	DecisionID    string     `json:"decision_id"`
	PersonID      string     `json:"person_id"`
	FileID        string     `json:"file_id"`
	Kind          string     `json:"kind"`
	Change        string     `json:"change"` // created, revised, suspended, terminated, recovery
	BudgetArticle string     `json:"budget_article"`
	PayeeKind     string     `json:"payee_kind"`
	MonthlyCents  int64      `json:"monthly_cents"`
	OneOffCents   int64      `json:"one_off_cents"`
	Start         civil.Date `json:"start,omitzero"`
	End           civil.Date `json:"end,omitzero"`
	From          civil.Date `json:"from,omitzero"`
	To            civil.Date `json:"to,omitzero"`
	AmountCents   int64      `json:"amount_cents,omitempty"`
}

// Articles gives the budget article of a kind of aid in a tenant (the tenant's payment settings).
type Articles func(ctx context.Context, tenant, kind string) (string, error)

// Service keeps the schedules and their instalments.
type Service struct {
	Repo     *Repository
	Proj     *projection.Repository
	Articles Articles
	Audit    *kit.Auditor
	Logger   *slog.Logger
	// Now is the clock (tests fix it); nil is time.Now.
	Now func() time.Time
	// HorizonMonths is how many months after the current one are issued ahead (default 1: a run for the first
	// days of next month finds its instalments).
	HorizonMonths int

	locks sync.Map // decision id → *sync.Mutex: one plan at a time per schedule in this process
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) today() civil.Date { return civil.Of(s.now()) }

func (s *Service) horizon() civil.Date {
	h := s.HorizonMonths
	if h <= 0 {
		h = 1
	}
	m := FirstOfMonth(s.today())
	for range h {
		m = nextMonth(m)
	}
	return m
}

type payeePayload struct {
	Kind          string `json:"kind"`
	Name          string `json:"name"`
	IBAN          string `json:"iban"`
	Communication string `json:"communication"`
}

type adoptedPayload struct {
	DecisionID      string       `json:"decision_id"`
	PersonID        string       `json:"person_id"`
	FileID          string       `json:"file_id"`
	Kind            string       `json:"kind"`
	Subtype         string       `json:"subtype"`
	Outcome         string       `json:"outcome"`
	MonthlyCents    int64        `json:"monthly_cents"`
	FirstMonthCents int64        `json:"first_month_cents"`
	OneOffCents     int64        `json:"one_off_cents"`
	Start           civil.Date   `json:"start"`
	End             civil.Date   `json:"end"`
	Periodicity     string       `json:"periodicity"`
	Payee           payeePayload `json:"payee"`
	DecidedOn       civil.Date   `json:"decided_on"`
}

type changePayload struct {
	DecisionID   string        `json:"decision_id"`
	Payee        *payeePayload `json:"payee"`
	RevisionID   string        `json:"revision_id"`
	SuspensionID string        `json:"suspension_id"`
	RecoveryID   string        `json:"recovery_id"`
	From         civil.Date    `json:"from"`
	To           civil.Date    `json:"to"`
	MonthlyCents int64         `json:"monthly_cents"`
	Ending       string        `json:"ending"`
	End          civil.Date    `json:"end"`
	Case         string        `json:"case"`
	AmountCents  int64         `json:"amount_cents"`
	PeriodFrom   civil.Date    `json:"period_from"`
	PeriodTo     civil.Date    `json:"period_to"`
}

const consumerName = "payments-schedules"

// Handle applies one event of cpas.decisions.v1 (other types are skipped): the terms change once per event id,
// then the instalments are planned again (which is idempotent: a replay issues nothing new).
func (s *Service) Handle(ctx context.Context, e events.Event) error {
	switch e.Type {
	case TypeDecisionAdopted, TypeDecisionRevised, TypeDecisionSuspended, TypeDecisionTerminated, TypeRecoveryDecided:
	default:
		return nil
	}
	if e.Tenant == "" || e.Subject == "" {
		return events.Permanent(fmt.Errorf("schedule: %s without tenant or subject", e.Type))
	}
	return s.Repo.processed.Once(ctx, consumerName, e.ID, func(ctx context.Context) error {
		if err := s.apply(ctx, e); err != nil {
			return err
		}
		return s.Reconcile(ctx, e.Tenant, e.Subject)
	})
}

func malformed(e events.Event, why string) error {
	return events.Permanent(fmt.Errorf("schedule: malformed %s: %s", e.Type, why))
}

// apply records the event's change of the terms in the schedule, with its event, unless already applied.
func (s *Service) apply(ctx context.Context, e events.Event) error {
	if e.Type == TypeDecisionAdopted {
		return s.adopt(ctx, e)
	}
	var p changePayload
	if err := json.Unmarshal(e.Data, &p); err != nil {
		return malformed(e, "payload")
	}
	_, err := s.Repo.Schedules.Update(ctx, e.Tenant, e.Subject, func(sc *Schedule) ([]events.Event, error) {
		if slices.Contains(sc.Applied, e.ID) {
			return nil, nil
		}
		sc.Applied = append(sc.Applied, e.ID)
		pl := s.payload(e.Subject, *sc)
		switch e.Type {
		case TypeDecisionRevised:
			if p.From.IsZero() || p.RevisionID == "" {
				return nil, malformed(e, "revision")
			}
			rev := Revision{ID: p.RevisionID, From: p.From, MonthlyCents: p.MonthlyCents}
			if p.Payee != nil {
				payee, err := parsePayee(*p.Payee)
				if err != nil {
					return nil, malformed(e, err.Error())
				}
				rev.Payee = &payee
			}
			if !slices.ContainsFunc(sc.Terms.Revisions, func(r Revision) bool { return r.ID == p.RevisionID }) {
				sc.Terms.Revisions = append(sc.Terms.Revisions, rev)
			}
			pl.Change, pl.From, pl.MonthlyCents = "revised", p.From, p.MonthlyCents
			pl.PayeeKind = sc.CurrentPayee().Kind
		case TypeDecisionSuspended:
			if p.From.IsZero() || p.To.Before(p.From) || p.SuspensionID == "" {
				return nil, malformed(e, "suspension")
			}
			if !slices.ContainsFunc(sc.Terms.Suspensions, func(x Suspension) bool { return x.ID == p.SuspensionID }) {
				sc.Terms.Suspensions = append(sc.Terms.Suspensions, Suspension{ID: p.SuspensionID, From: p.From, To: p.To})
			}
			pl.Change, pl.From, pl.To = "suspended", p.From, p.To
		case TypeDecisionTerminated:
			if p.End.IsZero() {
				return nil, malformed(e, "end")
			}
			if sc.Terms.Termination == nil || p.End.Before(sc.Terms.Termination.End) {
				sc.Terms.Termination = &Termination{Ending: p.Ending, End: p.End}
			}
			pl.Change, pl.End = "terminated", sc.Terms.LastDay()
		case TypeRecoveryDecided:
			if p.RecoveryID == "" || p.AmountCents < 1 {
				return nil, malformed(e, "recovery")
			}
			if !slices.ContainsFunc(sc.Receivables, func(r Receivable) bool { return r.ID == p.RecoveryID }) {
				sc.Receivables = append(sc.Receivables, Receivable{ID: p.RecoveryID, Source: "recovery_decision",
					AmountCents: p.AmountCents, Case: p.Case, PeriodFrom: p.PeriodFrom, PeriodTo: p.PeriodTo, CreatedOn: s.today()})
			}
			pl.Change, pl.From, pl.To, pl.AmountCents = "recovery", p.PeriodFrom, p.PeriodTo, p.AmountCents
		}
		if pl.Change != "recovery" {
			pl.MonthlyCents = sc.Terms.rateOn(laterOf(s.today(), sc.Terms.Start))
		}
		ev, err := events.New(TypeScheduleChanged, EventSource, e.Tenant, e.Subject, correlation(e), pl)
		if err != nil {
			return nil, err
		}
		return []events.Event{ev}, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		// The adoption comes first on the decision's partition; a change without it cannot be applied.
		return events.Permanent(fmt.Errorf("schedule: %s for an unknown decision", e.Type))
	}
	return err
}

func (s *Service) payload(id string, sc Schedule) SchedulePayload {
	return SchedulePayload{ScheduleID: id, DecisionID: id, PersonID: sc.PersonID, FileID: sc.FileID, Kind: sc.Kind,
		BudgetArticle: sc.BudgetArticle, PayeeKind: sc.CurrentPayee().Kind, MonthlyCents: sc.Terms.MonthlyCents,
		OneOffCents: sc.Terms.OneOffCents, Start: sc.Terms.Start, End: sc.Terms.LastDay()}
}

func (s *Service) adopt(ctx context.Context, e events.Event) error {
	var p adoptedPayload
	if err := json.Unmarshal(e.Data, &p); err != nil || p.DecisionID != e.Subject || p.PersonID == "" || p.FileID == "" {
		return malformed(e, "payload")
	}
	if !slices.Contains(Kinds, p.Kind) {
		return malformed(e, "kind")
	}
	payee, err := parsePayee(p.Payee)
	if err != nil {
		return malformed(e, err.Error())
	}
	article, err := s.Articles(ctx, e.Tenant, p.Kind)
	if err != nil {
		return err
	}
	terms := Terms{Kind: p.Kind, Outcome: p.Outcome, Periodicity: p.Periodicity, MonthlyCents: p.MonthlyCents,
		FirstMonthCents: p.FirstMonthCents, OneOffCents: p.OneOffCents, Start: p.Start, End: p.End, DecidedOn: p.DecidedOn}
	sc := Schedule{PersonID: p.PersonID, FileID: p.FileID, Kind: p.Kind, Subtype: p.Subtype, BudgetArticle: article,
		Payee: payee, Terms: terms, Status: ScheduleActive, Applied: []string{e.ID}, CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	var evs []events.Event
	if !terms.Granted() {
		sc.Status = ScheduleRefused
	} else {
		pl := s.payload(e.Subject, sc)
		pl.Change = "created"
		ev, err := events.New(TypeScheduleCreated, EventSource, e.Tenant, e.Subject, correlation(e), pl)
		if err != nil {
			return err
		}
		evs = append(evs, ev)
	}
	err = s.Repo.Schedules.Insert(ctx, e.Tenant, e.Subject, sc, evs...)
	if errors.Is(err, store.ErrDuplicate) {
		return nil // adopted before (a redelivery whose mark was lost): the schedule stands
	}
	return err
}

// parsePayee reads the payee a decision event names: the beneficiary (the default), or a third party with its
// name, IBAN and optional structured communication.
func parsePayee(p payeePayload) (Payee, error) {
	payee := Payee{Kind: p.Kind}
	if payee.Kind == "" {
		payee.Kind = "beneficiary"
	}
	if payee.Kind == "third_party" {
		v, err := iban.Parse(p.IBAN)
		if err != nil || strings.TrimSpace(p.Name) == "" {
			return payee, errors.New("third party payee")
		}
		payee.Name, payee.IBAN = strings.TrimSpace(p.Name), v.String()
		if p.Communication != "" {
			c, err := ogm.Parse(p.Communication)
			if err != nil {
				return payee, errors.New("communication")
			}
			payee.Communication = c.String()
		}
	}
	return payee, nil
}

func (s *Service) lock(id string) func() {
	m, _ := s.locks.LoadOrStore(id, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// Reconcile makes the decision's instalments match its terms up to the horizon: it cancels the open ones that are
// wrong, issues what is missing (deterministic ids: doing it twice issues nothing twice) and records as a
// receivable what was paid beyond the terms. Safe to run at any time, any number of times.
func (s *Service) Reconcile(ctx context.Context, tenant, id string) error {
	unlock := s.lock(tenant + "/" + id)
	defer unlock()
	for range 5 {
		err := s.reconcile(ctx, tenant, id)
		if !errors.Is(err, ErrMoved) {
			return err
		}
	}
	return fmt.Errorf("schedule: instalments of %s kept moving", id)
}

func (s *Service) reconcile(ctx context.Context, tenant, id string) error {
	sc, err := s.Repo.Schedules.Load(ctx, tenant, id)
	if err != nil {
		return err
	}
	if sc.State.Status == ScheduleRefused {
		return nil
	}
	existing, err := s.Repo.InstalmentsOf(ctx, tenant, id)
	if err != nil {
		return err
	}
	if sc, err = s.syncPayees(ctx, tenant, sc, existing); err != nil {
		return err
	}
	issued := make([]Issued, 0, len(existing))
	for _, in := range existing {
		issued = append(issued, Issued{ID: in.ID, Status: in.State.Status, Label: in.State.Label, Parts: in.State.Parts, Own: in.State.ownPayee()})
	}
	var overpaid []Receivable
	for _, r := range sc.State.Receivables {
		if r.Source == "overpayment" {
			overpaid = append(overpaid, r)
		}
	}
	today := s.today()
	plan := Compute(tenant, id, sc.State.Terms, sc.State.Terms.Entitlement(s.horizon()), issued, overpaid, today, sc.State.Payees())
	if plan.Empty() {
		return s.endIfOver(ctx, tenant, sc)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	for _, c := range plan.Cancel {
		if err := s.Repo.Transition(ctx, tenant, c, StatusScheduled, "", bson.D{{Key: "status", Value: StatusCancelled}}); err != nil {
			return err
		}
	}
	for _, n := range plan.Issue {
		in := Instalment{DecisionID: id, PersonID: sc.State.PersonID, FileID: sc.State.FileID, Kind: sc.State.Kind,
			BudgetArticle: sc.State.BudgetArticle, Label: n.Label, Parts: n.Parts, AmountCents: n.Cents, DueOn: n.Due,
			Status: StatusScheduled, Payee: sc.State.PayeeFor(n.Parts), Reference: Reference(sc.State.Kind, id, n.Parts), CreatedAt: now}
		if err := s.Repo.Instalments.Insert(ctx, tenant, n.ID, in); err != nil && !errors.Is(err, store.ErrDuplicate) {
			return err
		}
	}
	if len(plan.Receivables) > 0 {
		_, err := s.Repo.Schedules.Update(ctx, tenant, id, func(st *Schedule) ([]events.Event, error) {
			var evs []events.Event
			for _, r := range plan.Receivables {
				if slices.ContainsFunc(st.Receivables, func(x Receivable) bool { return x.ID == r.ID }) {
					continue
				}
				st.Receivables = append(st.Receivables, r)
				pl := s.payload(id, *st)
				pl.Change, pl.AmountCents = "overpayment", r.AmountCents
				ev, err := events.New(TypeScheduleChanged, EventSource, tenant, id, id, pl)
				if err != nil {
					return nil, err
				}
				evs = append(evs, ev)
			}
			return evs, nil
		})
		if err != nil {
			return err
		}
	}
	if s.Logger != nil {
		s.Logger.DebugContext(ctx, "schedule reconciled", "cancelled", len(plan.Cancel), "issued", len(plan.Issue),
			"receivables", len(plan.Receivables))
	}
	return nil
}

// endIfOver marks a schedule ended once nothing more can fall due: its last day (end of the decision or
// termination) is before the current month, or it is a one-off aid, and every instalment is issued. The hourly
// planning then leaves it alone.
func (s *Service) endIfOver(ctx context.Context, tenant string, sc store.Versioned[Schedule]) error {
	t := sc.State.Terms
	last := t.LastDay()
	over := !t.Periodic() || (!last.IsZero() && last.Before(FirstOfMonth(s.today())))
	if sc.State.Status != ScheduleActive || !over {
		return nil
	}
	_, err := s.Repo.Schedules.UpdateIfVersion(ctx, tenant, sc.ID, sc.Version, func(x *Schedule) ([]events.Event, error) {
		x.Status = ScheduleEnded
		return nil, nil
	})
	if errors.Is(err, store.ErrConflict) {
		return nil // changed meanwhile: the next planning decides
	}
	return err
}

// kindLabel names a kind in a remittance text.
var kindLabel = map[string]string{KindRIS: "RIS", KindERIS: "ERIS", KindAideSociale: "AIDE SOCIALE", KindAMU: "AMU"}

// Reference is the remittance text of an instalment: the kind, the period(s) and the decision reference
// ("RIS 2026-03 DEC 1A2B3C4D"); SEPA characters only, far below 140.
func Reference(kind, decisionID string, parts []Part) string {
	period := ""
	if len(parts) > 0 {
		period = parts[0].Period
		if len(parts) > 1 {
			period += "/" + parts[len(parts)-1].Period
		}
	}
	if period == OnceKey {
		period = ""
	}
	ref := strings.ToUpper(strings.ReplaceAll(decisionID, "-", ""))
	if len(ref) > 8 {
		ref = ref[:8]
	}
	return strings.Join(strings.Fields(kindLabel[kind]+" "+period+" DEC "+ref), " ")
}

// ReconcileAll plans every active schedule again (hourly: next month's instalments appear when it comes within
// the horizon).
func (s *Service) ReconcileAll(ctx context.Context) {
	cur, err := s.Repo.Schedules.Collection().Find(ctx, bson.D{{Key: "status", Value: ScheduleActive}})
	if err != nil {
		s.warn(ctx, "schedules not listed", err)
		return
	}
	var docs []struct {
		ID     string `bson:"_id"`
		Tenant string `bson:"tenant"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		s.warn(ctx, "schedules not listed", err)
		return
	}
	for _, d := range docs {
		if err := s.Reconcile(ctx, d.Tenant, d.ID); err != nil && ctx.Err() == nil {
			s.warn(ctx, "schedule not reconciled", err)
		}
	}
}

func (s *Service) warn(ctx context.Context, msg string, err error) {
	if s.Logger != nil && ctx.Err() == nil {
		s.Logger.WarnContext(ctx, msg, "error", err.Error())
	}
}

// Consumer runs the schedules' consumer group on the decisions topic.
type Consumer struct {
	Service *Service
	Brokers []string
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
		topic = events.TopicDecisions
	}
	return events.Consume(ctx, events.ConsumerConfig{Brokers: c.Brokers, GroupID: group, Topic: topic,
		Handler: c.Service.Handle, Logger: c.Logger})
}

// correlation is the event's correlation id, or its id when it has none.
func correlation(e events.Event) string {
	if e.CorrelationID != "" {
		return e.CorrelationID
	}
	return e.ID
}
