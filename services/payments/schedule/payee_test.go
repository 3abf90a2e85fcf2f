package schedule

import (
	"slices"
	"testing"
	"time"
)

func TestPayeeCorrections(t *testing.T) {
	const a, b, c, x = "BE62310012345661", "BE02363098765440", "BE20735001122356", "BE42143055566654"
	third := func(name, iban string) Payee { return Payee{Kind: "third_party", Name: name, IBAN: iban} }
	corr := func(name, iban string, at int, replaces ...string) PayeeCorrection {
		return PayeeCorrection{Replaces: replaces, Name: name, IBAN: iban, At: time.Unix(int64(at), 0)}
	}
	month := func(m string) []Part { return []Part{{Period: m, Cents: 6500}} }
	sc := Schedule{Payee: third("Energie SA", a), Terms: Terms{Kind: KindAideSociale, Start: d("2026-03-01")}}

	if got := sc.PayeeFor(month("2026-05")); got != sc.Payee {
		t.Fatalf("without corrections: %+v", got)
	}
	sc.PayeeCorrections = []PayeeCorrection{corr("Energie SA", b, 1, a)}
	if got := sc.PayeeFor(month("2026-05")); got.IBAN != b || got.Kind != "third_party" {
		t.Fatalf("corrected: %+v", got)
	}
	if got := sc.Corrected(Payee{Kind: "beneficiary"}); got != (Payee{Kind: "beneficiary"}) {
		t.Fatalf("a beneficiary is never corrected: %+v", got)
	}
	// B returned in turn, corrected to C: A → B → C. Then C back to A (the first account reopened): the chain
	// follows the corrections forward in time and ends.
	sc.PayeeCorrections = append(sc.PayeeCorrections, corr("Energie SA", c, 2, b))
	if got := sc.Corrected(third("Energie SA", a)); got.IBAN != c {
		t.Fatalf("chain A → B → C: %+v", got)
	}
	sc.PayeeCorrections = append(sc.PayeeCorrections, corr("Energie SA", a, 3, c))
	for _, from := range []string{a, b, c} {
		if got := sc.Corrected(third("Energie SA", from)); got.IBAN != a {
			t.Fatalf("from %s: %+v, want the latest correction's %s", from, got, a)
		}
	}
	// A later correction of the same account wins.
	sc.PayeeCorrections = []PayeeCorrection{corr("Energie SA", b, 1, a), corr("Energie Bxl SA", c, 2, a)}
	if got := sc.Corrected(third("Energie SA", a)); got.IBAN != c || got.Name != "Energie Bxl SA" {
		t.Fatalf("latest correction of A: %+v", got)
	}

	// A revision naming another third party from June: its payee from June on, the correction does not touch it.
	other := third("Lumière SC", x)
	sc.Terms.Revisions = []Revision{{ID: "r1", From: d("2026-06-15"), MonthlyCents: 6500, Payee: &other},
		{ID: "r0", From: d("2026-04-01"), MonthlyCents: 6000}}
	if got := sc.PayeeFor(month("2026-05")); got.IBAN != c {
		t.Fatalf("May, before the revision's month: %+v", got)
	}
	for _, m := range []string{"2026-06", "2026-09"} {
		if got := sc.PayeeFor(month(m)); got != other {
			t.Fatalf("%s, from the revision's month: %+v", m, got)
		}
	}
	if got := sc.CurrentPayee(); got != other {
		t.Fatalf("current payee %+v", got)
	}
	if got := sc.PayeeFor([]Part{{Period: OnceKey}}); got != other {
		t.Fatalf("one-off: %+v", got)
	}
	// The revision names the corrected supplier's old account again: the correction applies to it.
	back := third("Energie SA", a)
	sc.Terms.Revisions = append(sc.Terms.Revisions, Revision{ID: "r2", From: d("2026-08-01"), MonthlyCents: 6500, Payee: &back})
	if got := sc.PayeeFor(month("2026-08")); got.IBAN != c {
		t.Fatalf("old account named again: %+v", got)
	}
	if got := sc.PayeeFor(month("2026-07")); got != other {
		t.Fatalf("July: %+v", got)
	}
}

// TestPlanArrearsByPayee: a late decision's arrears over three months in one instalment; a revision naming a
// landlord from the second month with the same amount cancels the open arrears and issues one instalment per
// payee (the first month to the beneficiary, the next two to the landlord), the sum unchanged; planned again,
// nothing moves. A payee change from the first month keeps one instalment (re-pointed, not split); arrears in a
// run or reissued to a payee of their own are never split.
func TestPlanArrearsByPayee(t *testing.T) {
	landlord := Payee{Kind: "third_party", Name: "Logis SC", IBAN: "BE62310012345661", Communication: "123456789002"}
	sc := Schedule{Payee: Payee{Kind: "beneficiary"}, Terms: Terms{Kind: KindRIS, Outcome: "granted", Periodicity: "monthly",
		MonthlyCents: 100000, FirstMonthCents: 50000, Start: d("2026-01-16"), DecidedOn: d("2026-04-03")}}
	today, horizon := d("2026-04-03"), d("2026-05-01")
	plan := func(issued []Issued) Plan {
		return Compute("gent", "dec", sc.Terms, sc.Terms.Entitlement(horizon), issued, nil, today, sc.Payees())
	}
	apply := func(issued []Issued, p Plan) []Issued {
		for i := range issued {
			if slices.Contains(p.Cancel, issued[i].ID) {
				issued[i].Status = StatusCancelled
			}
		}
		for _, n := range p.Issue {
			if slices.ContainsFunc(issued, func(x Issued) bool { return x.ID == n.ID }) {
				t.Fatalf("issued twice: %+v", n)
			}
			issued = append(issued, Issued{ID: n.ID, Status: StatusScheduled, Label: n.Label, Parts: n.Parts})
		}
		return issued
	}
	first := plan(nil)
	if len(first.Issue) != 3 || len(first.Issue[0].Parts) != 3 || first.Issue[0].Cents != 250000 {
		t.Fatalf("first plan %+v", first)
	}
	issued := apply(nil, first)
	arrears := issued[0]

	sc.Terms.Revisions = []Revision{{ID: "r1", From: d("2026-02-10"), MonthlyCents: 100000, Payee: &landlord}}
	p := plan(slices.Clone(issued))
	if len(p.Cancel) != 1 || p.Cancel[0] != arrears.ID || len(p.Issue) != 2 || len(p.Receivables) != 0 {
		t.Fatalf("split plan %+v", p)
	}
	payees := sc.Payees()
	var sum int64
	for i, want := range [][]string{{"2026-01"}, {"2026-02", "2026-03"}} {
		n := p.Issue[i]
		var got []string
		var cents int64
		for _, part := range n.Parts {
			got = append(got, part.Period)
			cents += part.Cents
		}
		if !slices.Equal(got, want) || n.Cents != cents || n.Label != LabelArrears || n.Due != today {
			t.Fatalf("instalment %d: %+v", i, n)
		}
		if pf := sc.PayeeFor(n.Parts); (i == 0) != (pf.Kind == "beneficiary") || (i == 1 && pf != landlord) || payees.mixed(n.Parts) {
			t.Fatalf("instalment %d goes to %+v", i, pf)
		}
		sum += n.Cents
	}
	if sum != arrears.Parts[0].Cents+arrears.Parts[1].Cents+arrears.Parts[2].Cents || p.Issue[1].Cents != 200000 {
		t.Fatalf("sum %d", sum)
	}
	// The same plan again (a crash before it was applied, a replay): the same ids.
	if again := plan(slices.Clone(issued)); again.Issue[0].ID != p.Issue[0].ID || again.Issue[1].ID != p.Issue[1].ID {
		t.Fatalf("ids moved: %+v", again)
	}
	// Applied, nothing more to do; half applied (a crash after the cancellation), the rest with the same id.
	split := apply(slices.Clone(issued), p)
	if again := plan(split); !again.Empty() {
		t.Fatalf("after the split %+v", again)
	}
	half := apply(slices.Clone(issued), Plan{Cancel: p.Cancel, Issue: p.Issue[:1]})
	if rest := plan(half); len(rest.Cancel) != 0 || len(rest.Issue) != 1 || rest.Issue[0].ID != p.Issue[1].ID {
		t.Fatalf("after a crash %+v", rest)
	}

	// Arrears already in a run, or reissued to a creditor of their own: kept whole.
	for _, mod := range []func(*Issued){func(in *Issued) { in.Status = StatusInRun }, func(in *Issued) { in.Own = true }} {
		kept := slices.Clone(issued)
		mod(&kept[0])
		if got := plan(kept); !got.Empty() {
			t.Fatalf("kept arrears: %+v", got)
		}
	}

	// A payee change from the first month: every month to the landlord, one instalment (the planning re-points it).
	sc.Terms.Revisions = []Revision{{ID: "r1", From: d("2026-01-20"), MonthlyCents: 100000, Payee: &landlord}}
	if got := plan(slices.Clone(issued)); !got.Empty() || sc.Payees().mixed(arrears.Parts) || sc.PayeeFor(arrears.Parts) != landlord {
		t.Fatalf("payee from the first month: %+v", got)
	}
	// Without payees (nil): one payee for every period, as before.
	if got := Compute("gent", "dec", sc.Terms, sc.Terms.Entitlement(horizon), nil, nil, today, nil); len(got.Issue) != 3 ||
		got.Issue[0].ID != first.Issue[0].ID {
		t.Fatalf("without payees %+v", got)
	}
}
