package decision

import (
	"testing"

	"github.com/entraide/entraide/libs/civil"
)

// TestRevisionPayee: a revision's payee is unchanged by default, checked as a proposal's (field errors under
// payee.), stored in its normal form, dropped when it is already the current one (refused when nothing else
// changes); the current payee follows the latest revision naming one, by date, as the payments plan it.
func TestRevisionPayee(t *testing.T) {
	d := running()
	base := RevisionInput{From: "2026-05-01", MonthlyCents: 50000, Reason: "Nouveau logement"}
	landlord := &PayeeInput{Kind: PayeeThirdParty, Name: " Immo Sud SA ", IBAN: "be68 5390 0754 7034", Communication: "+++123/4567/89002+++"}

	for _, in := range []*PayeeInput{nil, {}, {Kind: PayeeUnchanged, Name: "ignored"}} {
		x := base
		x.Payee = in
		if _, p, err := x.check(d); err != nil || p != nil {
			t.Errorf("%+v: %v %v", in, p, err)
		}
	}

	x := base
	x.Payee = landlord
	_, p, err := x.check(d)
	if err != nil || p == nil || *p != (Payee{Kind: PayeeThirdParty, Name: "Immo Sud SA", IBAN: "BE68539007547034", Communication: "123456789002"}) {
		t.Fatalf("third party: %+v %v", p, err)
	}

	for _, c := range []struct {
		in    PayeeInput
		field string
		code  string
	}{
		{PayeeInput{Kind: PayeeThirdParty, Name: "Immo Sud SA", IBAN: "BE68 5390 0754 7035"}, "payee.iban", "proposal.iban_invalid"},
		{PayeeInput{Kind: PayeeThirdParty, IBAN: "BE68539007547034"}, "payee.name", "required"},
		{PayeeInput{Kind: PayeeThirdParty, Name: "Immo Sud SA"}, "payee.iban", "required"},
		{PayeeInput{Kind: PayeeThirdParty, Name: "Immo Sud SA", IBAN: "BE68539007547034", Communication: "123/4567/89003"}, "payee.communication", "invalid_ogm"},
		{PayeeInput{Kind: "landlord"}, "payee.kind", "invalid_choice"},
	} {
		x := base
		x.Payee = &c.in
		if _, _, err := x.check(d); fieldCode(err, c.field) != c.code {
			t.Errorf("%+v: %v, want %s on %s", c.in, err, c.code, c.field)
		}
	}

	// Back to the beneficiary while the beneficiary is paid: no change; with the same amount, refused.
	x = base
	x.Payee = &PayeeInput{Kind: PayeeBeneficiary, Name: "ignored"}
	if _, p, err := x.check(d); err != nil || p != nil {
		t.Errorf("beneficiary again: %+v %v", p, err)
	}
	x.MonthlyCents = d.CurrentMonthly()
	_, _, err = x.check(d)
	if fieldCode(err, "payee.kind") != "decision.payee_unchanged" || fieldCode(err, "monthly_cents") != "decision.amount_unchanged" {
		t.Errorf("nothing changes: %v", err)
	}
	// A new payee alone is a revision.
	x.Payee = landlord
	if _, p, err := x.check(d); err != nil || p == nil {
		t.Errorf("payee only: %+v %v", p, err)
	}

	// The current payee: the latest revision naming one by date, the later recorded on the same date.
	supplier := Payee{Kind: PayeeThirdParty, Name: "Energie SA", IBAN: "BE62310012345661"}
	d.Revisions = []Revision{
		{ID: "a", From: civil.MustParse("2026-06-01"), Payee: &supplier},
		{ID: "b", From: civil.MustParse("2026-05-15"), Payee: &Payee{Kind: PayeeBeneficiary}},
		{ID: "c", From: civil.MustParse("2026-07-01")},
	}
	if got := d.CurrentPayee(); got != supplier {
		t.Errorf("current %+v", got)
	}
	if got := d.PayeeFrom(civil.MustParse("2026-05-02")); got.Kind != PayeeBeneficiary {
		t.Errorf("May %+v", got)
	}
	if got := d.PayeeFrom(civil.MustParse("2026-06-30")); got != supplier {
		t.Errorf("June %+v", got)
	}
	if paidTo, changed := letterPayee(d, d.Revisions[2]); paidTo != "Energie SA" || changed {
		t.Errorf("letter of c: %q %v", paidTo, changed)
	}
	if paidTo, changed := letterPayee(d, d.Revisions[1]); paidTo != "" || !changed {
		t.Errorf("letter of b: %q %v", paidTo, changed)
	}
	x = base
	x.Payee = &PayeeInput{Kind: PayeeThirdParty, Name: "Energie SA", IBAN: "BE62 3100 1234 5661"}
	if _, p, err := x.check(d); err != nil || p != nil {
		t.Errorf("the current third party again: %+v %v", p, err)
	}

	// A revision dated before the latest one naming the current third party, naming it too, moves it earlier: the
	// months in between paid the beneficiary until now, so it is a change (kept), not "the current payee again".
	d2 := running()
	d2.Revisions = []Revision{{ID: "a", From: civil.MustParse("2026-06-01"), MonthlyCents: 58905, Payee: &supplier}}
	x = base
	x.From, x.MonthlyCents = "2026-04-01", d2.CurrentMonthly()
	x.Payee = &PayeeInput{Kind: PayeeThirdParty, Name: "Energie SA", IBAN: "BE62 3100 1234 5661"}
	if _, p, err := x.check(d2); err != nil || p == nil || *p != supplier {
		t.Errorf("the later third party from an earlier month: %+v %v", p, err)
	}
	// Dated after it, the same third party changes nothing.
	x.From = "2026-07-01"
	if _, p, err := x.check(d2); fieldCode(err, "payee.kind") != "decision.payee_unchanged" || p != nil {
		t.Errorf("the third party again after its month: %+v %v", p, err)
	}

	// decision.revised carries the new payee, and none when unchanged.
	if p := revisedPayload("id", d, d.Revisions[0]).Payee; p == nil || *p != supplier {
		t.Errorf("payload payee %+v", p)
	}
	if p := revisedPayload("id", d, d.Revisions[1]).Payee; p == nil || *p != (Payee{Kind: PayeeBeneficiary}) {
		t.Errorf("payload beneficiary %+v", p)
	}
	if p := revisedPayload("id", d, d.Revisions[2]).Payee; p != nil {
		t.Errorf("payload unchanged %+v", p)
	}
}
