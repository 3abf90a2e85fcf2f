package inquiry

import (
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/ris"
)

func fieldCodes(err error) map[string]string {
	out := map[string]string{}
	if pe := problem.As(err); pe != nil {
		for _, f := range pe.Fields {
			out[f.Field] = f.Code
		}
	}
	return out
}

func TestConditionsByKind(t *testing.T) {
	for kind, n := range map[legalclock.Kind]int{legalclock.RIS: 6, legalclock.ERIS: 6, legalclock.AideSociale: 1, legalclock.AMU: 2} {
		r := Report{}
		r.normalize(kind)
		r.order(kind)
		q := Inquiry{Kind: kind, Report: r}
		if len(q.Conditions) != n || q.Complete() {
			t.Errorf("%s: %d conditions, complete %v", kind, len(q.Conditions), q.Complete())
		}
		yes := true
		for i := range q.Conditions {
			q.Conditions[i].Met = &yes
			if ConditionText(q.Conditions[i].Code, "nl") == q.Conditions[i].Code {
				t.Errorf("%s has no Dutch text", q.Conditions[i].Code)
			}
		}
		if !q.Complete() {
			t.Errorf("%s: all met but not complete", kind)
		}
	}
}

func TestCheckAndCountedMembers(t *testing.T) {
	today := civil.MustParse("2026-03-10")
	known := func(k ris.ResourceKind) bool { return k == ris.EarnedIncome }
	r := Report{
		Household: []Member{{ID: "m1", Name: "Jan Peeters", Relation: "partner", Counted: true, Counting: ris.CountFull},
			{ID: "m2", Name: "Lies", Relation: "descendant", Counted: true, Counting: ris.CountAboveCohabitant},
			{ID: "m3", Name: "Tom", Relation: "other"}},
		Resources:  []ris.Resource{{Kind: ris.EarnedIncome, Period: ris.Monthly, Amount: 10000, Whose: "m1"}},
		Conditions: []Condition{{Code: CondResidence}, {Code: CondStateOfNeed}},
		Residence:  Residence{HomeVisitOn: today.AddDays(1)},
		Hearing:    Hearing{AskBy: today.AddDays(-1)},
	}
	r.normalize(legalclock.RIS)
	got := fieldCodes(r.check(legalclock.RIS, today, known))
	want := map[string]string{"household[1].motivation": "ris.motivation_required", "conditions[1].code": "inquiry.condition_unknown",
		"residence.home_visit_on": "inquiry.date_in_future", "hearing.ask_by": "inquiry.date_in_past"}
	for f, c := range want {
		if got[f] != c {
			t.Errorf("%s: %q, want %q (%v)", f, got[f], c, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("extra errors: %v", got)
	}
	ms := r.CountedMembers()
	if len(ms) != 2 || ms[0].Label != "Jan" || ms[0].Relation != ris.Partner || ms[1].Counting != ris.CountAboveCohabitant {
		t.Errorf("counted %+v", ms)
	}
}
