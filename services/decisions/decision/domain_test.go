package decision

import (
	"errors"
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/committee"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/ris"
)

func fieldCode(err error, field string) string {
	var pe *problem.Error
	if !errors.As(err, &pe) {
		return ""
	}
	for _, f := range pe.Fields {
		if f.Field == field {
			return f.Code
		}
	}
	return ""
}

func running() Decision {
	return Decision{Basis: Basis{Kind: legalclock.RIS, Outcome: letter.Granted, MonthlyCents: 58905, Start: civil.MustParse("2026-03-10"),
		PIIS: true}, DecidedOn: civil.MustParse("2026-03-20"), Status: Notified}
}

func TestDeterministicIDs(t *testing.T) {
	first, again := SessionDecisionID("s", "p"), SessionDecisionID("s", "p")
	if first != again || first == SessionDecisionID("s", "q") || UrgentDecisionID("u") == SessionDecisionID("", "u") ||
		len(first) != 36 || first[14] != '5' {
		t.Fatal("ids are not deterministic and distinct")
	}
}

func TestProrate(t *testing.T) {
	for _, c := range []struct {
		start string
		want  ris.Cents
	}{{"2026-03-01", 58905}, {"2026-03-10", 41804}, {"2026-02-28", 2104}, {"2024-02-29", 2031}} {
		if got := prorate(58905, civil.MustParse(c.start)); got != c.want {
			t.Errorf("%s: %d, want %d", c.start, got, c.want)
		}
	}
}

func TestFromItem(t *testing.T) {
	b := Basis{Kind: legalclock.RIS, Outcome: letter.Granted, MonthlyCents: 58905, FirstMonthCents: 41805, Periodicity: letter.PaidMonthly,
		Start: civil.MustParse("2026-03-10"), Requested: civil.MustParse("2026-03-10")}
	it := committee.Item{Kind: committee.ItemProposal, Outcome: committee.Approved, Terms: committee.Terms{MonthlyAmount: 58905}}
	if _, err := fromItem(b, it, civil.MustParse("2026-04-01")); err != nil {
		t.Fatal(err)
	}
	it.Terms.MonthlyAmount = 1
	if _, err := fromItem(b, it, civil.MustParse("2026-04-01")); fieldCode(err, "monthly_amount_cents") != "decision.amount_mismatch" {
		t.Errorf("approved off the calculation: %v", err)
	}
	it.Outcome, it.NewTerms, it.AmendmentMotivationRef = committee.Amended, &committee.Terms{MonthlyAmount: 60000,
		Start: civil.MustParse("2026-03-01")}, "loyer"
	if _, err := fromItem(b, it, civil.MustParse("2026-04-01")); fieldCode(err, "start") != "decision.start_before_request" {
		t.Errorf("RIS before the request: %v", err)
	}
	it.NewTerms.Start = civil.MustParse("2026-04-01")
	d, err := fromItem(b, it, civil.MustParse("2026-04-01"))
	if err != nil || d.MonthlyCents != 60000 || d.FirstMonthCents != 60000 || !d.Amended || d.AmendmentMotivation != "loyer" {
		t.Fatalf("amended: %+v %v", d, err)
	}
	refused := Basis{Kind: legalclock.RIS, Outcome: letter.Refused}
	if _, err := fromItem(refused, committee.Item{Outcome: committee.Approved}, civil.MustParse("2026-04-01")); err != nil {
		t.Errorf("a refusal has no amount to match: %v", err)
	}
}

func TestSuspensionLimits(t *testing.T) {
	rules := legalclock.DefaultRules()
	d := running()
	from := "2026-05-01"
	if _, _, err := (SuspensionInput{From: from, To: "2026-05-31", ReasonCode: "piis_breach"}).Check(d, rules); err != nil {
		t.Errorf("one month: %v", err)
	}
	if _, _, err := (SuspensionInput{From: from, To: "2026-06-01", ReasonCode: "piis_breach"}).Check(d, rules); fieldCode(err, "to") != "decision.suspension_too_long" {
		t.Errorf("a day more: %v", err)
	}
	if _, _, err := (SuspensionInput{From: from, To: "2026-07-31", ReasonCode: "piis_breach", Repeated: true}).Check(d, rules); err != nil {
		t.Errorf("three months when repeated: %v", err)
	}
	d.Status = Terminated
	if _, _, err := (SuspensionInput{From: from, To: "2026-05-02", ReasonCode: "other"}).Check(d, rules); err == nil {
		t.Error("suspension of an ended decision")
	}
}

func TestDues(t *testing.T) {
	rules := legalclock.DefaultRules()
	d := running()
	d.Status, d.ReviewWaiting, d.ReviewDue = Adopted, true, civil.MustParse("2027-03-10")
	clocks := func(d Decision) map[string]civil.Date {
		out := map[string]civil.Date{}
		for _, x := range d.Dues(rules) {
			out[x.Clock] = x.Deadline.Due
		}
		return out
	}
	c := clocks(d)
	if c["notification"] != civil.MustParse("2026-03-30") || c["piis_conclusion"].IsZero() || c["review"] != d.ReviewDue || len(c) != 3 {
		t.Errorf("adopted: %v", c)
	}
	d.Status, d.PIISFollowUp = Notified, &PIIS{SignedOn: civil.MustParse("2026-04-01")}
	if c := clocks(d); len(c) != 2 || c["review"].IsZero() || c["piis_evaluation"] != civil.MustParse("2026-08-03") {
		t.Errorf("notified, PIIS signed: %v", c)
	}
	d.PIISFollowUp.Evaluations = []civil.Date{civil.MustParse("2026-08-01"), civil.MustParse("2026-12-01"), civil.MustParse("2027-04-01")}
	if c := clocks(d); c["piis_evaluation"] != civil.MustParse("2027-08-02") {
		t.Errorf("the second year's first evaluation: %v", c)
	}
	amu := Decision{Basis: Basis{Kind: legalclock.AMU, Outcome: letter.Refused}, DecidedOn: civil.MustParse("2026-03-20"), Status: Notified}
	if c := clocks(amu); c["mediprima"] != civil.MustParse("2026-05-04") {
		t.Errorf("AMU: %v", c)
	}
	refresh(&d, rules)
	if !d.Running || !d.OnBoard || d.BoardDue != d.ReviewDue {
		t.Errorf("refresh: running %v board %v %s", d.Running, d.OnBoard, d.BoardDue)
	}
	d.Status = Withdrawn
	refresh(&d, rules)
	if d.Running || d.ReviewWaiting || d.OnBoard {
		t.Errorf("withdrawn still running or due: %+v", d)
	}
}

func TestPIISInput(t *testing.T) {
	d := running()
	today := civil.MustParse("2026-09-01")
	p, err := (PIISInput{SignedOn: "2026-04-01", Evaluations: []string{"2026-08-01", "", "2026-05-01"}}).Check(d, today)
	if err != nil || len(p.Evaluations) != 2 || p.Evaluations[0] != civil.MustParse("2026-05-01") {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := (PIISInput{SignedOn: "2026-04-01", Evaluations: []string{"2026-03-31"}}).Check(d, today); fieldCode(err, "evaluations.0") != "decision.evaluation_before_signature" {
		t.Errorf("evaluation before signature: %v", err)
	}
	d.PIIS = false
	if _, err := (PIISInput{SignedOn: "2026-04-01"}).Check(d, today); err == nil {
		t.Error("PIIS follow-up of a decision without PIIS")
	}
}
