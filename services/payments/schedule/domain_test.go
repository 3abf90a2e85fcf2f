package schedule

import (
	"testing"

	"github.com/entraide/entraide/libs/civil"
)

func d(s string) civil.Date { return civil.MustParse(s) }

func TestMonthAmounts(t *testing.T) {
	base := Terms{Kind: KindRIS, Outcome: "granted", Periodicity: "monthly", MonthlyCents: 58905, FirstMonthCents: 34203,
		Start: d("2026-03-14"), DecidedOn: d("2026-03-20")}
	cases := []struct {
		name  string
		terms func(Terms) Terms
		month string
		want  int64
	}{
		{"first month as the decision says", func(t Terms) Terms { return t }, "2026-03-01", 34203},
		{"before the start", func(t Terms) Terms { return t }, "2026-02-01", 0},
		{"whole month", func(t Terms) Terms { return t }, "2026-04-01", 58905},
		// 30-day April: 14 days at 589,05 and 16 at 600,00: 274,89 + 320,00.
		{"revision mid-month", func(t Terms) Terms {
			t.Revisions = []Revision{{ID: "r", From: d("2026-04-15"), MonthlyCents: 60000}}
			return t
		}, "2026-04-01", 27489 + 32000},
		{"after a revision", func(t Terms) Terms {
			t.Revisions = []Revision{{ID: "r", From: d("2026-04-15"), MonthlyCents: 60000}}
			return t
		}, "2026-05-01", 60000},
		// May has 31 days: suspended 10–19 → 21 days paid in two runs: 9 + 12 days.
		{"suspension inside a month", func(t Terms) Terms {
			t.Suspensions = []Suspension{{ID: "s", From: d("2026-05-10"), To: d("2026-05-19")}}
			return t
		}, "2026-05-01", prorate(58905, 9, 31) + prorate(58905, 12, 31)},
		{"terminated mid-month", func(t Terms) Terms {
			t.Termination = &Termination{Ending: "termination", End: d("2026-06-10")}
			return t
		}, "2026-06-01", prorate(58905, 10, 30)},
		{"after termination", func(t Terms) Terms {
			t.Termination = &Termination{Ending: "termination", End: d("2026-06-10")}
			return t
		}, "2026-07-01", 0},
		{"refused", func(t Terms) Terms { t.Outcome = "refused"; return t }, "2026-04-01", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.terms(base).Month(d(c.month)); got != c.want {
				t.Fatalf("got %d, want %d", got, c.want)
			}
		})
	}
}

func TestPlanLateDecisionPaysArrearsInOne(t *testing.T) {
	terms := Terms{Kind: KindRIS, Outcome: "granted", Periodicity: "monthly", MonthlyCents: 100000, FirstMonthCents: 50000,
		Start: d("2026-01-16"), DecidedOn: d("2026-04-03")}
	today := d("2026-04-03")
	target := terms.Entitlement(d("2026-05-01"))
	plan := Compute("gent", "dec", terms, target, nil, nil, today, nil)
	if len(plan.Issue) != 3 || len(plan.Cancel) != 0 || len(plan.Receivables) != 0 {
		t.Fatalf("plan %+v", plan)
	}
	arrears := plan.Issue[0]
	if arrears.Label != LabelArrears || arrears.Cents != 50000+100000+100000 || len(arrears.Parts) != 3 || arrears.Due != today {
		t.Fatalf("arrears %+v", arrears)
	}
	if plan.Issue[1].Label != LabelMonthly || plan.Issue[1].Parts[0].Period != "2026-04" || plan.Issue[1].Due != today {
		t.Fatalf("april %+v", plan.Issue[1])
	}
	if plan.Issue[2].Parts[0].Period != "2026-05" || plan.Issue[2].Due != d("2026-05-01") {
		t.Fatalf("may %+v", plan.Issue[2])
	}
	// Applied, the same plan is empty: nothing issued twice.
	var issued []Issued
	for _, n := range plan.Issue {
		issued = append(issued, Issued{ID: n.ID, Status: StatusScheduled, Parts: n.Parts})
	}
	if again := Compute("gent", "dec", terms, target, issued, nil, today, nil); !again.Empty() {
		t.Fatalf("second plan %+v", again)
	}

	// A revision down from April 1st: April (still open) is cancelled and reissued; the arrears already exported
	// stay; March was paid at the old rate and is not concerned.
	issued[0].Status = StatusExported
	terms.Revisions = []Revision{{ID: "r1", From: d("2026-04-01"), MonthlyCents: 80000}}
	p2 := Compute("gent", "dec", terms, terms.Entitlement(d("2026-05-01")), issued, nil, today, nil)
	if len(p2.Cancel) != 2 || len(p2.Issue) != 2 || p2.Issue[0].Cents != 80000 || p2.Issue[0].Label != LabelDifference {
		t.Fatalf("revision plan %+v", p2)
	}
	// A revision back to February: February and March were exported at 1.000 → receivable of 2 × 200.
	terms.Revisions = []Revision{{ID: "r1", From: d("2026-02-01"), MonthlyCents: 80000}}
	p3 := Compute("gent", "dec", terms, terms.Entitlement(d("2026-05-01")), issued, nil, today, nil)
	if len(p3.Receivables) != 1 || p3.Receivables[0].AmountCents != 40000 {
		t.Fatalf("receivable plan %+v", p3)
	}
}

func TestOneOff(t *testing.T) {
	terms := Terms{Kind: KindAideSociale, Outcome: "granted", Periodicity: "once", OneOffCents: 45000, DecidedOn: d("2026-03-02")}
	plan := Compute("gent", "dec", terms, terms.Entitlement(d("2026-05-01")), nil, nil, d("2026-03-05"), nil)
	if len(plan.Issue) != 1 || plan.Issue[0].Label != LabelOneOff || plan.Issue[0].Cents != 45000 || plan.Issue[0].Due != d("2026-03-05") {
		t.Fatalf("plan %+v", plan)
	}
}

func TestReference(t *testing.T) {
	got := Reference(KindRIS, "1a2b3c4d-0000-4000-8000-000000000000", []Part{{Period: "2026-01"}, {Period: "2026-03"}})
	if got != "RIS 2026-01/2026-03 DEC 1A2B3C4D" {
		t.Fatal(got)
	}
	if got := Reference(KindAideSociale, "1a2b3c4d-0000", []Part{{Period: OnceKey}}); got != "AIDE SOCIALE DEC 1A2B3C4D" {
		t.Fatal(got)
	}
}
