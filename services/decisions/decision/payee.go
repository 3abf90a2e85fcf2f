package decision

import (
	"slices"
	"strings"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/proposal"
)

// Who a decision pays can change with a revision (a new landlord, another energy supplier, back to the
// beneficiary's own account): the revision names its new payee, from the month of its date. The decision's
// current payee is then that of the latest revision naming one — latest by its date, the later recorded of two on
// the same date —, else the adoption's: the rule the payments apply (services/payments/schedule, CurrentPayee), so
// the decision's page and the payments agree. decision.revised carries the new payee (optional `payee`), never
// when the revision leaves it unchanged.

// PayeeUnchanged is the revision's default: the payee stays who the decision pays now.
const PayeeUnchanged PayeeKind = "unchanged"

// PayeeInput is a revision's new payee: kind "unchanged" (or left out), "beneficiary" (back to the beneficiary's
// account in the registry) or "third_party" with its name, IBAN and, when it asks for one, its structured
// communication (OGM, any written form) — entered and checked as on a proposal (proposal.CheckPayee).
type PayeeInput struct {
	Kind          PayeeKind `json:"kind"`
	Name          string    `json:"name,omitempty"`
	IBAN          string    `json:"iban,omitempty"`
	Communication string    `json:"communication,omitempty"`
}

// check validates the new payee into fs (fields payee.kind, payee.name, payee.iban, payee.communication); nil:
// unchanged (or refused).
func (in *PayeeInput) check(fs *problem.Fields) *Payee {
	if in == nil {
		return nil
	}
	kind := PayeeKind(strings.TrimSpace(string(in.Kind)))
	switch kind {
	case "", PayeeUnchanged:
		return nil
	case PayeeBeneficiary, PayeeThirdParty:
	default:
		fs.Add("payee.kind", "invalid_choice")
		return nil
	}
	n := len(*fs)
	p := proposal.CheckPayee(fs, "payee.", proposal.Payee{Kind: string(kind), Name: in.Name, IBAN: in.IBAN,
		Communication: in.Communication}, true)
	if len(*fs) > n {
		return nil
	}
	return &Payee{Kind: PayeeKind(p.Kind), Name: p.Name, IBAN: p.IBAN, Communication: p.Communication}
}

// normal is p as compared and sent: the beneficiary without a third party's fields (an empty kind is the
// beneficiary: decisions adopted before the payee had a kind), a third party's IBAN in its electronic form and
// its communication as its 12 digits (a malformed one left out rather than sent).
func (p Payee) normal() Payee {
	if p.Kind == "" || p.Kind == PayeeBeneficiary {
		return Payee{Kind: PayeeBeneficiary}
	}
	p.IBAN = strings.ToUpper(strings.ReplaceAll(p.IBAN, " ", ""))
	if c, err := ogm.Parse(p.Communication); err == nil {
		p.Communication = c.String()
	} else {
		p.Communication = ""
	}
	p.Name = strings.TrimSpace(p.Name)
	return p
}

// latestPayee is the payee of the latest revision naming one among those kept (by date, then recording order),
// else the adoption's.
func (d Decision) latestPayee(keep func(Revision) bool) Payee {
	var best *Revision
	for i := range d.Revisions {
		r := &d.Revisions[i]
		if r.Payee != nil && keep(*r) && (best == nil || !r.From.Before(best.From)) {
			best = r
		}
	}
	if best != nil {
		return best.Payee.normal()
	}
	return d.Payee.normal()
}

// CurrentPayee is who the decision pays now: the payee of the latest revision naming one, else the adoption's.
// A revision's change of payee is checked against it.
func (d Decision) CurrentPayee() Payee {
	return d.latestPayee(func(Revision) bool { return true })
}

// PayeeFrom is who the decision pays for the month of day: the payee of the latest revision naming one whose
// date's month is not after day's, else the adoption's (as the payments plan it).
func (d Decision) PayeeFrom(day civil.Date) Payee {
	return d.latestPayee(func(r Revision) bool { return !monthAfter(r.From, day) })
}

// changesPayee reports whether a revision dated from naming p changes who is paid in a month from from's on: it
// is compared with the payee of that month and of each later month where a revision names one (not with the
// current payee alone — a revision dated before the latest one naming the same third party moves it earlier).
func (d Decision) changesPayee(from civil.Date, p Payee) bool {
	with := d
	with.Revisions = append(slices.Clone(d.Revisions), Revision{From: from, Payee: &p})
	days := []civil.Date{from}
	for _, r := range d.Revisions {
		if r.Payee != nil && monthAfter(r.From, from) {
			days = append(days, r.From)
		}
	}
	for _, day := range days {
		if with.PayeeFrom(day) != d.PayeeFrom(day) {
			return true
		}
	}
	return false
}

// monthAfter reports whether a's month comes after b's.
func monthAfter(a, b civil.Date) bool {
	return a.Year() > b.Year() || (a.Year() == b.Year() && a.Month() > b.Month())
}

func init() {
	problem.RegisterMessages("decision.payee_unchanged", map[string]string{
		"fr": "Ce bénéficiaire du paiement est déjà celui de la décision : changez le montant ou choisissez « inchangé ».",
		"nl": "Deze begunstigde van de betaling is al die van de beslissing: wijzig het bedrag of kies « ongewijzigd ».",
		"de": "Dieser Zahlungsempfänger ist bereits der der Entscheidung: ändern Sie den Betrag oder wählen Sie « unverändert ».",
		"en": "This payee is already the decision's: change the amount or choose \"unchanged\".",
	})
}

// letterPayee is what a revision's letter says of the payee: the third party paid from the revision's month (its
// name; empty for the beneficiary's account) as the revisions recorded up to it left it, and whether the revision
// changed it. A later revision does not change an earlier one's letter.
func letterPayee(d Decision, r Revision) (paidTo string, changed bool) {
	for i := range d.Revisions {
		if d.Revisions[i].ID == r.ID {
			d.Revisions = d.Revisions[:i+1]
			break
		}
	}
	p := d.PayeeFrom(r.From)
	if r.Payee != nil {
		p, changed = r.Payee.normal(), true
	}
	if p.Kind == PayeeThirdParty {
		paidTo = p.Name
	}
	return paidTo, changed
}
