package committee

import (
	"slices"
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/legalclock"
)

// The terms of a refusal carry no category, amount or period; a one-off aid has no end date; everything else
// keeps the checks of a monthly aid.
func TestTermsOfRefusalsAndOneOffAids(t *testing.T) {
	start := civil.MustParse("2026-03-01")
	cases := []struct {
		name  string
		kind  legalclock.Kind
		terms Terms
		want  []string // field codes; none: valid
	}{
		{"RIS refusal", legalclock.RIS, Terms{Refusal: true, Start: start, MotivationRef: "p1"}, nil},
		{"refusal with an amount", legalclock.RIS, Terms{Refusal: true, MonthlyAmount: 100, MotivationRef: "p1"},
			[]string{"terms.monthly_amount_cents:committee.refusal_without_amount"}},
		{"refusal without motivation", legalclock.AideSociale, Terms{Refusal: true}, []string{"terms.motivation_ref:required"}},
		{"one-off rent guarantee", legalclock.AideSociale, Terms{OneOffAmount: 150000, Start: start, MotivationRef: "p1"}, nil},
		{"monthly aid needs an end or review", legalclock.AideSociale, Terms{MonthlyAmount: 5000, Start: start, MotivationRef: "p1"},
			[]string{"terms.end:committee.end_or_review_required"}},
		{"RIS without amount", legalclock.RIS, Terms{Category: 1, Start: start, Review: civil.MustParse("2027-03-01"), MotivationRef: "p1"},
			[]string{"terms.monthly_amount_cents:committee.amount_required"}},
		{"negative one-off", legalclock.AideSociale, Terms{OneOffAmount: -1, Start: start, MotivationRef: "p1"},
			[]string{"terms.monthly_amount_cents:committee.amount_required"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var fs problem.Fields
			c.terms.validate(c.kind, "terms.", &fs)
			got := fieldCodes(fs.Err())
			for _, w := range c.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %s in %v", w, got)
				}
			}
			if len(c.want) == 0 && len(got) > 0 {
				t.Errorf("valid terms refused: %v", got)
			}
		})
	}
}
