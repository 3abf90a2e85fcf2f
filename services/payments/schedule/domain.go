// Package schedule turns the decisions of cpas.decisions.v1 into what the CPAS owes: one schedule per decision
// (its terms: amounts, period, revisions, suspensions, termination, payee) and the instalments, one document per
// payment to make. The domain part (this file) is pure: Entitlement says what each month is worth under the terms,
// Plan compares it with the instalments already issued and says what to cancel, what to issue and what became a
// receivable. The service applies a plan with idempotent writes (deterministic ids), so replaying the decisions'
// events, or running the plan twice after a crash, issues nothing twice.
package schedule

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/civil"
)

// Kinds of aid (legalclock.Kind of the decisions service).
const (
	KindRIS         = "ris"
	KindERIS        = "eris"
	KindAideSociale = "aide_sociale"
	KindAMU         = "amu"
)

// Kinds lists the aid kinds.
var Kinds = []string{KindRIS, KindERIS, KindAideSociale, KindAMU}

// OnceKey is the period key of a one-off aid.
const OnceKey = "once"

// Revision is a new monthly amount from a date and, when the revision names one, a new payee from that date's
// month (payee.go).
type Revision struct {
	ID           string     `bson:"id" json:"id"`
	From         civil.Date `bson:"from" json:"from"`
	MonthlyCents int64      `bson:"monthly_cents" json:"monthly_cents"`
	Payee        *Payee     `bson:"payee,omitempty" json:"payee,omitempty"`
}

// Suspension is a period without aid (both days included).
type Suspension struct {
	ID   string     `bson:"id" json:"id"`
	From civil.Date `bson:"from" json:"from"`
	To   civil.Date `bson:"to" json:"to"`
}

// Termination ends the aid on End (included).
type Termination struct {
	Ending string     `bson:"ending" json:"ending"`
	End    civil.Date `bson:"end" json:"end"`
}

// Terms are what the decision and its later changes say about the money.
type Terms struct {
	Kind            string       `bson:"kind" json:"kind"`
	Outcome         string       `bson:"outcome" json:"outcome"`
	Periodicity     string       `bson:"periodicity,omitempty" json:"periodicity,omitempty"`
	MonthlyCents    int64        `bson:"monthly_cents" json:"monthly_cents"`
	FirstMonthCents int64        `bson:"first_month_cents" json:"first_month_cents"`
	OneOffCents     int64        `bson:"one_off_cents" json:"one_off_cents"`
	Start           civil.Date   `bson:"start,omitempty" json:"start,omitzero"`
	End             civil.Date   `bson:"end,omitempty" json:"end,omitzero"`
	DecidedOn       civil.Date   `bson:"decided_on" json:"decided_on"`
	Revisions       []Revision   `bson:"revisions,omitempty" json:"revisions,omitempty"`
	Suspensions     []Suspension `bson:"suspensions,omitempty" json:"suspensions,omitempty"`
	Termination     *Termination `bson:"termination,omitempty" json:"termination,omitempty"`
}

// Granted tells whether the decision grants money.
func (t Terms) Granted() bool { return t.Outcome == "granted" || t.Outcome == "partially_granted" }

// Periodic tells whether the aid is paid monthly.
func (t Terms) Periodic() bool {
	if t.Periodicity == "once" {
		return false
	}
	return !t.Start.IsZero() && (t.Periodicity == "monthly" || t.MonthlyCents > 0 || len(t.Revisions) > 0)
}

// LastDay is the last day of aid (zero: open-ended).
func (t Terms) LastDay() civil.Date {
	end := t.End
	if t.Termination != nil && (end.IsZero() || t.Termination.End.Before(end)) {
		end = t.Termination.End
	}
	return end
}

// MonthKey is "YYYY-MM".
func MonthKey(d civil.Date) string { return fmt.Sprintf("%04d-%02d", d.Year(), int(d.Month())) }

// FirstOfMonth is the first day of d's month.
func FirstOfMonth(d civil.Date) civil.Date { return civil.MustNew(d.Year(), d.Month(), 1) }

// DaysInMonth is the number of days of d's month.
func DaysInMonth(d civil.Date) int {
	return time.Date(d.Year(), d.Month()+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

func nextMonth(d civil.Date) civil.Date {
	t := time.Date(d.Year(), d.Month()+1, 1, 12, 0, 0, 0, time.UTC)
	return civil.MustNew(t.Year(), t.Month(), 1)
}

// ParseMonth reads a month key.
func ParseMonth(key string) (civil.Date, error) { return civil.Parse(key + "-01") }

// prorate is monthly × days / n, rounded half up to the cent (domain.md §3).
func prorate(monthly int64, days, n int) int64 {
	return (monthly*int64(days)*2 + int64(n)) / (2 * int64(n))
}

func (t Terms) rateOn(d civil.Date) int64 {
	rate := t.MonthlyCents
	revs := slices.Clone(t.Revisions)
	sort.SliceStable(revs, func(i, j int) bool { return revs[i].From.Before(revs[j].From) })
	for _, r := range revs {
		if !r.From.After(d) {
			rate = r.MonthlyCents
		}
	}
	return rate
}

func (t Terms) suspendedOn(d civil.Date) bool {
	for _, s := range t.Suspensions {
		if !d.Before(s.From) && !d.After(s.To) {
			return true
		}
	}
	return false
}

// Month is what month m (its first day) is worth: the days of aid at their rate, each run of days at one rate
// prorated on its own; a whole month at one rate is that rate, and the first month untouched by any change is the
// decision's first_month_cents, as the decision computed it.
func (t Terms) Month(m civil.Date) int64 {
	if !t.Granted() || !t.Periodic() {
		return 0
	}
	type run struct {
		start civil.Date
		days  int
		rate  int64
	}
	n := DaysInMonth(m)
	last := t.LastDay()
	var runs []run
	open := false
	for day := 1; day <= n; day++ {
		d := civil.MustNew(m.Year(), m.Month(), day)
		if d.Before(t.Start) || (!last.IsZero() && d.After(last)) || t.suspendedOn(d) {
			open = false
			continue
		}
		rate := t.rateOn(d)
		if open && runs[len(runs)-1].rate == rate {
			runs[len(runs)-1].days++
			continue
		}
		runs = append(runs, run{start: d, days: 1, rate: rate})
		open = true
	}
	// The first month as the decision stated it: one run from the start to the month's end at the initial rate.
	if len(runs) == 1 && runs[0].start == t.Start && t.Start.Day() > 1 && runs[0].days == n-t.Start.Day()+1 &&
		runs[0].rate == t.MonthlyCents && t.FirstMonthCents > 0 {
		return t.FirstMonthCents
	}
	var total int64
	for _, r := range runs {
		total += prorate(r.rate, r.days, n)
	}
	return total
}

// Entitlement is what the terms are worth per period key (months "YYYY-MM" up to and including the month of
// through, and OnceKey for a one-off aid); keys worth nothing are left out.
func (t Terms) Entitlement(through civil.Date) map[string]int64 {
	out := map[string]int64{}
	if !t.Granted() {
		return out
	}
	if t.OneOffCents > 0 && !(t.Termination != nil && t.Termination.Ending == "withdrawal") {
		out[OnceKey] = t.OneOffCents
	}
	if !t.Periodic() {
		return out
	}
	last := t.LastDay()
	for m := FirstOfMonth(t.Start); !m.After(through); m = nextMonth(m) {
		if !last.IsZero() && m.After(last) {
			break
		}
		if c := t.Month(m); c > 0 {
			out[MonthKey(m)] = c
		}
	}
	return out
}

// Status of an instalment (domain.md §7: scheduled → in run → exported → booked/returned, the last two come with
// the reconciliation).
const (
	StatusScheduled = "scheduled"
	StatusInRun     = "in_run"
	StatusExported  = "exported"
	StatusCancelled = "cancelled"
)

// Labels of an instalment.
const (
	LabelMonthly    = "monthly"
	LabelArrears    = "arrears"
	LabelOneOff     = "one_off"
	LabelDifference = "difference"
)

// Part is the share of a payment or receivable for one period.
type Part struct {
	Period string `bson:"period" json:"period"`
	Cents  int64  `bson:"cents" json:"cents"`
}

// Issued is an instalment as the plan sees it.
type Issued struct {
	ID     string
	Status string
	Label  string
	Parts  []Part
	// Own: the payment goes to a payee of its own (the accountant reissued it after a return): never split by
	// payee.
	Own bool
}

// PayeeOf tells who the payment of a period goes to, as a key (equal keys: the same payee); nil: one payee for
// every period.
type PayeeOf func(period string) string

// mixed tells whether parts go to more than one payee.
func (f PayeeOf) mixed(parts []Part) bool {
	if f == nil || len(parts) < 2 {
		return false
	}
	first := f(parts[0].Period)
	return slices.ContainsFunc(parts[1:], func(p Part) bool { return f(p.Period) != first })
}

// groups cuts parts (in period order) into runs of consecutive parts going to the same payee.
func (f PayeeOf) groups(parts []Part) [][]Part {
	var out [][]Part
	for i, p := range parts {
		if i == 0 || (f != nil && f(p.Period) != f(parts[i-1].Period)) {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], p)
	}
	return out
}

// NewInstalment is an instalment the plan issues.
type NewInstalment struct {
	ID    string
	Label string
	Parts []Part
	Due   civil.Date
	Cents int64
}

// Receivable is money paid beyond what the terms now give (after a revision, suspension or termination that
// reached months already paid or in a run), or a recovery decided (art. 24).
type Receivable struct {
	ID          string     `bson:"id" json:"id"`
	Source      string     `bson:"source" json:"source"` // "overpayment" or "recovery_decision"
	Parts       []Part     `bson:"parts,omitempty" json:"parts,omitempty"`
	AmountCents int64      `bson:"amount_cents" json:"amount_cents"`
	Case        string     `bson:"case,omitempty" json:"case,omitempty"`
	PeriodFrom  civil.Date `bson:"period_from,omitempty" json:"period_from,omitzero"`
	PeriodTo    civil.Date `bson:"period_to,omitempty" json:"period_to,omitzero"`
	CreatedOn   civil.Date `bson:"created_on" json:"created_on"`
}

// Plan is what to do so that the issued instalments match the entitlement.
type Plan struct {
	Cancel      []string
	Issue       []NewInstalment
	Receivables []Receivable
}

// Empty tells whether the plan changes nothing.
func (p Plan) Empty() bool { return len(p.Cancel) == 0 && len(p.Issue) == 0 && len(p.Receivables) == 0 }

var idSpace = uuid.MustParse("0b6f0f4e-63a3-4c39-9c1e-5d8f0f0c2a11")

// DeterministicID derives an id from its parts: the same inputs give the same id on every replay.
func DeterministicID(parts ...string) string {
	return uuid.NewSHA1(idSpace, []byte(strings.Join(parts, "\x00"))).String()
}

// Compute plans the instalments of a schedule: target is the entitlement, issued the instalments that exist,
// overpaid the overpayment receivables already recorded, today the processing day, payees who each period's
// payment goes to (months before today's month are paid together, one instalment per run of consecutive months
// going to the same payee: the arrears of a late decision, or the difference after a revision). Open (scheduled)
// instalments of a period whose amount is wrong are cancelled and reissued, and so is an open instalment whose
// months now go to different payees (a revision or a payee correction from a month inside it), unless the
// accountant reissued it to a payee of its own; a period paid or in a run beyond its entitlement becomes a
// receivable.
func Compute(tenant, scheduleID string, t Terms, target map[string]int64, issued []Issued, overpaid []Receivable, today civil.Date, payees PayeeOf) Plan {
	covered := map[string]int64{}
	ever := map[string]int{}
	for _, in := range issued {
		for _, p := range in.Parts {
			ever[p.Period]++
			if in.Status != StatusCancelled {
				covered[p.Period] += p.Cents
			}
		}
	}
	for _, r := range overpaid {
		for _, p := range r.Parts {
			covered[p.Period] -= p.Cents
		}
	}
	keys := map[string]bool{}
	for k := range target {
		keys[k] = true
	}
	for k := range covered {
		keys[k] = true
	}
	wrong := map[string]bool{}
	for k := range keys {
		if covered[k] != target[k] {
			wrong[k] = true
		}
	}
	split := func(in Issued) bool { return in.Status == StatusScheduled && !in.Own && payees.mixed(in.Parts) }
	var plan Plan
	if len(wrong) == 0 && !slices.ContainsFunc(issued, split) {
		return plan
	}
	// Cancel every open instalment touching a wrong period (an arrears instalment spans several: all its
	// periods are then reissued), and every open one whose periods now go to different payees (reissued per
	// payee; resplit keeps the label of the periods cancelled for that reason only).
	resplit := map[string]string{}
	for _, in := range issued {
		if in.Status != StatusScheduled {
			continue
		}
		touches := slices.ContainsFunc(in.Parts, func(p Part) bool { return wrong[p.Period] })
		if !touches && !split(in) {
			continue
		}
		plan.Cancel = append(plan.Cancel, in.ID)
		for _, p := range in.Parts {
			covered[p.Period] -= p.Cents
			if !touches {
				resplit[p.Period] = in.Label
			}
		}
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	current := MonthKey(today)
	var past []Part
	var over []Part
	for _, k := range sorted {
		delta := target[k] - covered[k]
		switch {
		case delta < 0:
			over = append(over, Part{Period: k, Cents: -delta})
		case delta == 0:
		case k == OnceKey:
			label := LabelOneOff
			if ever[k] > 0 {
				label = LabelDifference
			}
			plan.Issue = append(plan.Issue, NewInstalment{ID: DeterministicID(tenant, scheduleID, k, fmt.Sprint(ever[k])),
				Label: label, Parts: []Part{{Period: k, Cents: delta}}, Due: laterOf(t.DecidedOn, today), Cents: delta})
		case k < current:
			past = append(past, Part{Period: k, Cents: delta})
		default:
			m, _ := ParseMonth(k)
			label := LabelMonthly
			if ever[k] > 0 {
				label = LabelDifference
			}
			plan.Issue = append(plan.Issue, NewInstalment{ID: DeterministicID(tenant, scheduleID, k, fmt.Sprint(ever[k])),
				Label: label, Parts: []Part{{Period: k, Cents: delta}}, Due: laterOf(m, t.DecidedOn), Cents: delta})
		}
	}
	var arrears []NewInstalment
	for _, g := range payees.groups(past) {
		again := slices.ContainsFunc(g, func(p Part) bool { return ever[p.Period] > 0 })
		label := LabelArrears
		switch {
		case again && resplit[g[0].Period] != "" && !slices.ContainsFunc(g, func(p Part) bool { return resplit[p.Period] != resplit[g[0].Period] }):
			label = resplit[g[0].Period] // only split by payee: the months are what they were
		case again:
			label = LabelDifference
		case len(g) == 1:
			label = LabelMonthly
		}
		var sum int64
		var ks []string
		for _, p := range g {
			sum += p.Cents
			ks = append(ks, p.Period)
		}
		arrears = append(arrears, NewInstalment{ID: DeterministicID(tenant, scheduleID, strings.Join(ks, ","), fmt.Sprint(ever[g[0].Period])),
			Label: label, Parts: g, Due: laterOf(t.DecidedOn, today), Cents: sum})
	}
	plan.Issue = append(arrears, plan.Issue...)
	if len(over) > 0 {
		var sum int64
		var ks []string
		for _, p := range over {
			sum += p.Cents
			ks = append(ks, p.Period)
		}
		plan.Receivables = append(plan.Receivables, Receivable{
			ID:     DeterministicID(tenant, scheduleID, "receivable", strings.Join(ks, ","), fmt.Sprint(len(overpaid))),
			Source: "overpayment", Parts: over, AmountCents: sum, CreatedOn: today})
	}
	sort.SliceStable(plan.Issue, func(i, j int) bool { return plan.Issue[i].Due.Before(plan.Issue[j].Due) })
	return plan
}

func laterOf(a, b civil.Date) civil.Date {
	if a.After(b) {
		return a
	}
	return b
}
