package schedule

import (
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
