// Package receivable is what the beneficiaries owe the CPAS back: the receivables of a recovery decided (art. 24
// loi DIS, decision event recovery.decided) and of an overpayment found after a revision, suspension or
// termination reached months already paid. The schedule produces them (it computes them and keeps them in its
// `receivables[]`, which its own planning reads back); this package owns their collection from then on: each
// receivable gets its own structured communication (libs/ogm, from a per-tenant sequence), an optional instalment
// plan, the incoming transfers matched to it (by OGM, else by the debtor's IBAN and the amount), and its closing by
// payment, waiver or cancellation (the finance director, with a reason). The domain part (this file) is pure.
package receivable

import (
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/payments/schedule"
)

// Sources of a receivable (as the schedule names them).
const (
	SourceOverpayment = "overpayment"
	SourceRecovery    = "recovery_decision"
)

// Statuses.
const (
	StatusOpen      = "open"
	StatusSettled   = "settled"
	StatusWaived    = "waived"
	StatusCancelled = "cancelled"
)

// How an incoming transfer was matched.
const (
	MatchOGM        = "ogm"
	MatchIBANAmount = "iban_amount"
)

// Closing kinds the finance director chooses.
const (
	CloseWaiver       = "waiver"       // the CPAS renounces the balance (art. 98 §2 LO, verify)
	CloseCancellation = "cancellation" // the receivable should not exist (a wrong decision, a duplicate)
)

// Payment is an incoming transfer booked on the receivable.
type Payment struct {
	StatementLineID string     `bson:"statement_line_id" json:"statement_line_id"`
	AmountCents     int64      `bson:"amount_cents" json:"amount_cents"`
	BookedOn        civil.Date `bson:"booked_on" json:"booked_on"`
	MatchedBy       string     `bson:"matched_by" json:"matched_by"`
	DebtorIBAN      string     `bson:"debtor_iban,omitempty" json:"debtor_iban,omitempty"`
	At              time.Time  `bson:"at" json:"at"`
}

// Plan is an instalment plan: so much a month from a month on, until the balance is paid.
type Plan struct {
	MonthlyCents int64      `bson:"monthly_cents" json:"monthly_cents"`
	Start        civil.Date `bson:"start" json:"start"`
	SetBy        string     `bson:"set_by" json:"set_by"`
	SetAt        time.Time  `bson:"set_at" json:"set_at"`
}

// Closure is a waiver or cancellation by the finance director.
type Closure struct {
	Kind         string    `bson:"kind" json:"kind"`
	Reason       string    `bson:"reason" json:"reason"`
	BalanceCents int64     `bson:"balance_cents" json:"balance_cents"`
	By           string    `bson:"by" json:"by"`
	At           time.Time `bson:"at" json:"at"`
}

// Receivable is one debt of a beneficiary (id = the schedule's receivable id: the recovery id, or the
// overpayment's deterministic id).
type Receivable struct {
	DecisionID    string          `bson:"decision_id" json:"decision_id"`
	PersonID      string          `bson:"person_id" json:"person_id"`
	FileID        string          `bson:"file_id" json:"file_id"`
	Kind          string          `bson:"kind" json:"kind"`
	BudgetArticle string          `bson:"budget_article" json:"budget_article"`
	Source        string          `bson:"source" json:"source"`
	Case          string          `bson:"case,omitempty" json:"case,omitempty"`
	Parts         []schedule.Part `bson:"parts,omitempty" json:"parts,omitempty"`
	AmountCents   int64           `bson:"amount_cents" json:"amount_cents"`
	PeriodFrom    civil.Date      `bson:"period_from,omitempty" json:"period_from,omitzero"`
	PeriodTo      civil.Date      `bson:"period_to,omitempty" json:"period_to,omitzero"`
	CreatedOn     civil.Date      `bson:"created_on" json:"created_on"`
	// OGM is the structured communication's twelve digits, unique in the tenant.
	OGM       string     `bson:"ogm" json:"ogm"`
	Payments  []Payment  `bson:"payments" json:"payments"`
	PaidCents int64      `bson:"paid_cents" json:"paid_cents"`
	Status    string     `bson:"status" json:"status"`
	Plan      *Plan      `bson:"plan,omitempty" json:"plan,omitempty"`
	Closure   *Closure   `bson:"closure,omitempty" json:"closure,omitempty"`
	ClosedOn  civil.Date `bson:"closed_on,omitempty" json:"closed_on,omitzero"`
	CreatedAt time.Time  `bson:"created_at" json:"created_at"`
}

// Balance is what is still owed (negative: paid too much, the excess is owed back to the beneficiary).
func (r Receivable) Balance() int64 { return r.AmountCents - r.PaidCents }

// Open tells whether payments are still expected.
func (r Receivable) Open() bool { return r.Status == StatusOpen }

// HasPayment tells whether a statement line is already booked on the receivable.
func (r Receivable) HasPayment(line string) bool {
	for _, p := range r.Payments {
		if p.StatementLineID == line {
			return true
		}
	}
	return false
}

// Book records a payment; it tells whether the receivable became settled. A statement line already booked
// changes nothing.
func (r *Receivable) Book(p Payment) (settled bool) {
	if r.HasPayment(p.StatementLineID) {
		return false
	}
	r.Payments = append(r.Payments, p)
	r.PaidCents += p.AmountCents
	if r.Status == StatusOpen && r.Balance() <= 0 {
		r.Status, r.ClosedOn = StatusSettled, p.BookedOn
		return true
	}
	return false
}

// Instalment is what the plan asks next: the monthly amount, or the balance when less.
func (r Receivable) Instalment() int64 {
	if r.Plan == nil {
		return 0
	}
	return min(r.Plan.MonthlyCents, r.Balance())
}

// ExpectedBy is what the plan expects paid by day d (months started since the plan's start, each its monthly
// amount, at most the amount).
func (r Receivable) ExpectedBy(d civil.Date) int64 {
	if r.Plan == nil || d.Before(r.Plan.Start) {
		return 0
	}
	months := int64((d.Year()-r.Plan.Start.Year())*12+int(d.Month())-int(r.Plan.Start.Month())) + 1
	return min(months*r.Plan.MonthlyCents, r.AmountCents)
}

// Behind is what the plan expected by d and was not paid (0 when on track or without a plan).
func (r Receivable) Behind(d civil.Date) int64 {
	if !r.Open() {
		return 0
	}
	return max(0, r.ExpectedBy(d)-r.PaidCents)
}

// PlanMonth is one month of a plan's timetable.
type PlanMonth struct {
	Month string `json:"month"`
	Cents int64  `json:"cents"`
}

// Timetable lists the months of the plan until the amount is covered (at most 240).
func (r Receivable) Timetable() []PlanMonth {
	if r.Plan == nil || r.Plan.MonthlyCents <= 0 {
		return nil
	}
	var out []PlanMonth
	left := r.AmountCents
	m := schedule.FirstOfMonth(r.Plan.Start)
	for left > 0 && len(out) < 240 {
		c := min(left, r.Plan.MonthlyCents)
		out = append(out, PlanMonth{Month: schedule.MonthKey(m), Cents: c})
		left -= c
		t := time.Date(m.Year(), m.Month()+1, 1, 12, 0, 0, 0, time.UTC)
		m = civil.MustNew(t.Year(), t.Month(), 1)
	}
	return out
}
