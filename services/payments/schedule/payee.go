package schedule

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
)

// Who the decision's payments go to. The decision names the payee (decision.adopted; a decision.revised may name
// another from the month of its date); when the bank returned a third party's payment and the accountant reissued
// it to a corrected creditor "for the decision's later payments too" (ReissueInput.ApplyToDecision), the
// correction is recorded on the schedule, keyed by the accounts it replaces (the returned ones): the instalments
// the schedule issues later, and those still scheduled, then go to the corrected creditor instead of the account
// the bank returned. A correction applies to the third party it corrected only — matched by its old IBAN —, so a
// later revision naming a different third party takes precedence, and a replayed decision event (applied once per
// event id) never undoes it.
//
// Two writes, the second idempotent and retried: the reissue writes the instalment (its Reissued entry carries the
// option and the replaced accounts), then the planning of the schedule (Reconcile, run by the reissue at once and
// hourly for an active schedule) records on the schedule any correction an instalment's reissue asked for and is
// not there yet, and moves the decision's scheduled instalments to the payee that now applies to them.

// PayeeCorrection is a third party's creditor corrected by the accountant for the decision's later payments.
type PayeeCorrection struct {
	// Replaces are the accounts it corrects (the ones the bank returned): it applies to a third-party payee whose
	// IBAN is one of them.
	Replaces      []string `bson:"replaces" json:"replaces"`
	Name          string   `bson:"name" json:"name"`
	IBAN          string   `bson:"iban" json:"iban"`
	BIC           string   `bson:"bic,omitempty" json:"bic,omitempty"`
	Communication string   `bson:"communication,omitempty" json:"communication,omitempty"`
	// InstalmentID and EndToEndID: the reissue that asked for it (the returned attempt's EndToEndId).
	InstalmentID string    `bson:"instalment_id" json:"instalment_id"`
	EndToEndID   string    `bson:"end_to_end_id" json:"end_to_end_id"`
	By           string    `bson:"by" json:"-"`
	At           time.Time `bson:"at" json:"at"`
}

func (c PayeeCorrection) payee() Payee {
	return Payee{Kind: "third_party", Name: c.Name, IBAN: c.IBAN, BIC: c.BIC, Communication: c.Communication}
}

// Corrected is p with the schedule's corrections applied: a third party whose account a correction replaces goes
// to the corrected creditor, then to the correction of that one if a later correction replaced it in turn (the
// latest correction of an account wins; corrections are followed forward in time only, so a chain A → B → A ends).
func (sc Schedule) Corrected(p Payee) Payee {
	if p.Kind != "third_party" {
		return p
	}
	for from := 0; ; {
		next := -1
		for i := from; i < len(sc.PayeeCorrections); i++ {
			if slices.Contains(sc.PayeeCorrections[i].Replaces, p.IBAN) {
				next = i
			}
		}
		if next < 0 {
			return p
		}
		p, from = sc.PayeeCorrections[next].payee(), next+1
	}
}

// DecidedPayee is the payee the decision names for a payment of parts: the adoption's, or that of the latest
// revision naming one whose date's month is at or before the payment's first period (a one-off: the latest). The
// planning never issues a payment whose periods go to different payees (Compute cuts the months of arrears by
// payee, and cancels and reissues per payee an open payment whose months a later revision or correction sets
// apart), so the first period's payee is every period's.
func (sc Schedule) DecidedPayee(parts []Part) Payee {
	p := sc.Payee
	period := ""
	if len(parts) > 0 {
		period = parts[0].Period
	}
	var best *Revision
	for i := range sc.Terms.Revisions {
		r := &sc.Terms.Revisions[i]
		if r.Payee == nil || (period != OnceKey && MonthKey(r.From) > period) {
			continue
		}
		if best == nil || !r.From.Before(best.From) {
			best = r
		}
	}
	if best != nil {
		p = *best.Payee
	}
	return p
}

// PayeeFor is who a new payment of parts goes to: the decided payee, corrected.
func (sc Schedule) PayeeFor(parts []Part) Payee { return sc.Corrected(sc.DecidedPayee(parts)) }

// Payees is PayeeOf for the planning: the payee a new payment of the period goes to (PayeeFor), as a key.
func (sc Schedule) Payees() PayeeOf {
	memo := map[string]string{}
	return func(period string) string {
		k, ok := memo[period]
		if !ok {
			p := sc.PayeeFor([]Part{{Period: period}})
			k = strings.Join([]string{p.Kind, p.Name, p.IBAN, p.BIC, p.Communication}, "\x00")
			memo[period] = k
		}
		return k
	}
}

// ownPayee tells whether the payment goes to a payee of its own: the accountant reissued it after a return (its
// creditor then stands, corrected only; it is never split by payee).
func (in Instalment) ownPayee() bool { return len(in.Reissues) > 0 || len(in.Returns) > 0 }

// CurrentPayee is the payee the decision now names (the latest revision naming one, else the adoption's).
func (sc Schedule) CurrentPayee() Payee {
	p := sc.Payee
	var best *Revision
	for i := range sc.Terms.Revisions {
		r := &sc.Terms.Revisions[i]
		if r.Payee != nil && (best == nil || !r.From.Before(best.From)) {
			best = r
		}
	}
	if best != nil {
		p = *best.Payee
	}
	return p
}

// pendingCorrections are the corrections the instalments' reissues asked for and the schedule lacks, oldest first.
func pendingCorrections(sc Schedule, existing []store.Versioned[Instalment]) []PayeeCorrection {
	var out []PayeeCorrection
	for _, in := range existing {
		for _, r := range in.State.Reissues {
			if !r.ApplyToDecision || r.Creditor == nil || len(r.Replaces) == 0 {
				continue
			}
			if slices.ContainsFunc(sc.PayeeCorrections, func(c PayeeCorrection) bool {
				return c.InstalmentID == in.ID && c.EndToEndID == r.EndToEndID
			}) {
				continue
			}
			out = append(out, PayeeCorrection{Replaces: r.Replaces, Name: r.Creditor.Name, IBAN: r.Creditor.IBAN, BIC: r.Creditor.BIC,
				Communication: r.Creditor.Communication, InstalmentID: in.ID, EndToEndID: r.EndToEndID, By: r.By, At: r.At})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// recordCorrections adds the pending corrections to the schedule (each once, kept in the order of their reissues)
// and returns the schedule as saved.
func (s *Service) recordCorrections(ctx context.Context, tenant string, sc store.Versioned[Schedule], pending []PayeeCorrection) (store.Versioned[Schedule], error) {
	if len(pending) == 0 {
		return sc, nil
	}
	for range 5 {
		_, err := s.Repo.Schedules.Update(ctx, tenant, sc.ID, func(x *Schedule) ([]events.Event, error) {
			for _, c := range pending {
				if !slices.ContainsFunc(x.PayeeCorrections, func(y PayeeCorrection) bool {
					return y.InstalmentID == c.InstalmentID && y.EndToEndID == c.EndToEndID
				}) {
					x.PayeeCorrections = append(x.PayeeCorrections, c)
				}
			}
			sort.SliceStable(x.PayeeCorrections, func(i, j int) bool { return x.PayeeCorrections[i].At.Before(x.PayeeCorrections[j].At) })
			return nil, nil
		})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return sc, err
		}
		return s.Repo.Schedules.Load(ctx, tenant, sc.ID)
	}
	return sc, fmt.Errorf("schedule: payee corrections of %s: the schedule kept moving", sc.ID)
}

// syncPayees records the corrections the reissues asked for, then moves each scheduled instalment of the decision
// to the payee that now applies to it: the decided payee of its periods, corrected — or, for a payment the
// accountant reissued to another creditor, its own payee corrected. An instalment claimed by a run meanwhile keeps
// what its run froze. It returns the schedule as it now stands.
func (s *Service) syncPayees(ctx context.Context, tenant string, sc store.Versioned[Schedule], existing []store.Versioned[Instalment]) (store.Versioned[Schedule], error) {
	sc, err := s.recordCorrections(ctx, tenant, sc, pendingCorrections(sc.State, existing))
	if err != nil {
		return sc, err
	}
	payees := sc.State.Payees()
	for _, in := range existing {
		if in.State.Status != StatusScheduled {
			continue
		}
		want := sc.State.Corrected(in.State.Payee)
		if len(in.State.Reissues) == 0 {
			if !in.State.ownPayee() && payees.mixed(in.State.Parts) {
				continue // its months now go to different payees: the plan cancels it and issues one per payee
			}
			want = sc.State.PayeeFor(in.State.Parts)
		}
		if want == in.State.Payee {
			continue
		}
		err := s.Repo.Transition(ctx, tenant, in.ID, StatusScheduled, "", bson.D{{Key: "payee", Value: want}})
		if err != nil && !errors.Is(err, ErrMoved) {
			return sc, err
		}
	}
	return sc, nil
}
