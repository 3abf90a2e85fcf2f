package proposal

import (
	"strings"
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/inquiry"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/ris"
)

var received = civil.MustParse("2025-03-10")

// workedExample is domain.md's worked example: cat. 1, 3.600 €/year, amounts of 2025-02-01 → 589,05 €/month.
func workedExample() Input {
	return Input{Outcome: letter.Granted, LegalBasis: "Art. 3 et 14 loi DIS", Category: ris.Cohabitant,
		CategoryJustification: "cohabite", Resources: []ris.Resource{{Kind: ris.ReplacementIncome, Period: ris.Yearly, Amount: 360000, Whose: ris.Applicant}},
		MonthlyCents: 58905, Start: "2025-03-10", Review: "2026-03-10", PIIS: true, Payee: Payee{Kind: PayBeneficiary}, Motivation: "ok"}
}

func codes(err error) map[string]string {
	out := map[string]string{}
	if pe := problem.As(err); pe != nil {
		for _, f := range pe.Fields {
			out[f.Field] = f.Code
		}
	}
	return out
}

func TestCheck(t *testing.T) {
	calc := ris.DefaultCalculator()
	for _, tc := range []struct {
		name   string
		kind   legalclock.Kind
		change func(*Input)
		want   map[string]string // field → code; nil: valid
	}{
		{"worked example", legalclock.RIS, func(*Input) {}, nil},
		{"eris too", legalclock.ERIS, func(*Input) {}, nil},
		{"start before the request", legalclock.RIS, func(in *Input) { in.Start = "2025-03-09" }, map[string]string{"start": "proposal.start_before_request"}},
		{"amount off the calculation", legalclock.RIS, func(in *Input) { in.MonthlyCents = 58904 }, map[string]string{"monthly_cents": "proposal.amount_not_calculated"}},
		{"eris amount off the calculation", legalclock.ERIS, func(in *Input) { in.MonthlyCents = 60000 }, map[string]string{"monthly_cents": "proposal.amount_not_calculated"}},
		{"category invalid", legalclock.RIS, func(in *Input) { in.Category = 4 }, map[string]string{"category": "ris.category_invalid"}},
		{"category missing on a grant", legalclock.RIS, func(in *Input) { in.Category = 0 }, map[string]string{"category": "ris.category_invalid"}},
		{"no motivation", legalclock.RIS, func(in *Input) { in.Motivation = "  " }, map[string]string{"motivation": "proposal.motivation_required"}},
		{"no justification", legalclock.RIS, func(in *Input) { in.CategoryJustification = "" }, map[string]string{"category_justification": "proposal.category_justification_required"}},
		{"no end nor review", legalclock.RIS, func(in *Input) { in.Review = "" }, map[string]string{"end": "proposal.end_or_review_required"}},
		{"review before start", legalclock.RIS, func(in *Input) { in.Review = "2025-03-01" }, map[string]string{"review": "proposal.date_before_start"}},
		{"bad date", legalclock.RIS, func(in *Input) { in.Start = "10/03/2025" }, map[string]string{"start": "proposal.date_invalid"}},
		{"unknown outcome", legalclock.RIS, func(in *Input) { in.Outcome = "maybe" }, map[string]string{"outcome": "proposal.outcome_invalid"}},
		{"resources reach the amount", legalclock.RIS, func(in *Input) { in.Resources[0].Amount = 2000000 }, map[string]string{"outcome": "proposal.calculation_zero"}},
		{"bad resource", legalclock.RIS, func(in *Input) { in.Resources[0].Kind = "lottery" }, map[string]string{"resources[0].kind": "ris.resource_kind_unknown"}},
		{"a refusal needs no amount", legalclock.RIS, func(in *Input) {
			in.Outcome, in.MonthlyCents, in.Category, in.CategoryJustification, in.Review, in.Payee = letter.Refused, 0, 0, "", "", Payee{}
		}, nil},
		{"rent guarantee to the landlord", legalclock.AideSociale, func(in *Input) {
			in.Category, in.MonthlyCents, in.OneOffCents, in.Periodicity = 0, 0, 120000, letter.PaidOnce
			in.Payee = Payee{Kind: PayThirdParty, Name: "Immo Gent", IBAN: "BE68 5390 0754 7034"}
		}, nil},
		{"third party without a valid IBAN", legalclock.AideSociale, func(in *Input) {
			in.Category, in.MonthlyCents, in.OneOffCents, in.Periodicity = 0, 0, 120000, letter.PaidOnce
			in.Payee = Payee{Kind: PayThirdParty, IBAN: "BE00 0000"}
		}, map[string]string{"payee.name": "required", "payee.iban": "proposal.iban_invalid"}},
		{"third party with a wrong structured communication", legalclock.AideSociale, func(in *Input) {
			in.Category, in.MonthlyCents, in.OneOffCents, in.Periodicity = 0, 0, 120000, letter.PaidOnce
			in.Payee = Payee{Kind: PayThirdParty, Name: "Immo Gent", IBAN: "BE68 5390 0754 7034", Communication: "+++123/4567/89003+++"}
		}, map[string]string{"payee.communication": "invalid_ogm"}},
		{"aide sociale without periodicity", legalclock.AideSociale, func(in *Input) { in.Category, in.Periodicity = 0, "" },
			map[string]string{"periodicity": "required"}},
		{"category on aide sociale", legalclock.AideSociale, func(in *Input) { in.Periodicity = letter.PaidMonthly },
			map[string]string{"category": "proposal.category_not_applicable"}},
		{"aide sociale may start before the request", legalclock.AideSociale, func(in *Input) {
			in.Category, in.Periodicity, in.Start = 0, letter.PaidMonthly, "2025-03-01"
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := workedExample()
			tc.change(&in)
			tm, err := check(&in, tc.kind, received, calc)
			got := codes(err)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if grants(in.Outcome) && (tc.kind == legalclock.RIS || tc.kind == legalclock.ERIS) &&
					(tm.result == nil || tm.result.Monthly != 58905 || len(tm.result.Working) == 0) {
					t.Fatalf("calculation %+v", tm.result)
				}
				return
			}
			for f, c := range tc.want {
				if got[f] != c {
					t.Errorf("%s: %q, want %q (all: %v)", f, got[f], c, got)
				}
			}
		})
	}
}

func TestBasisConditionsInTheBeneficiaryLanguage(t *testing.T) {
	met, notMet := true, false
	p := Proposal{Kind: legalclock.RIS, Outcome: letter.Granted, MonthlyCents: 58905, Calculation: &ris.Result{Working: ris.Working{{Code: "amount"}}},
		Conditions: []inquiry.Condition{{Code: "residence", Met: &met, Note: "visite"}, {Code: "age", Met: &notMet}, {Code: "resources"}}}
	b := p.basis("p1", letter.NL)
	if len(b.Conditions) != 3 || !strings.Contains(b.Conditions[0].Text, "verblijfplaats") || !b.Conditions[0].Met ||
		b.Conditions[1].Met || b.Conditions[2].Met || b.Conditions[0].Note != "visite" || len(b.Working) != 1 || b.ProposalID != "p1" {
		t.Fatalf("basis %+v", b)
	}
}

func TestThirdPartyCommunicationStoredAsDigits(t *testing.T) {
	calc := ris.DefaultCalculator()
	in := workedExample()
	in.Category, in.MonthlyCents, in.OneOffCents, in.Periodicity = 0, 0, 120000, letter.PaidOnce
	in.Payee = Payee{Kind: PayThirdParty, Name: "Immo Gent", IBAN: "BE68 5390 0754 7034", Communication: " +++123/4567/89002+++ "}
	tm, err := check(&in, legalclock.AideSociale, received, calc)
	if err != nil {
		t.Fatal(err)
	}
	var p Proposal
	p.apply(in, tm, nil)
	if p.Payee.Communication != "123456789002" || p.Payee.IBAN != "BE68539007547034" {
		t.Fatalf("payee %+v", p.Payee)
	}
	// The beneficiary is paid on the registry's account: a communication given with it is dropped.
	in.Payee = Payee{Kind: PayBeneficiary, Communication: "123456789002"}
	tm, err = check(&in, legalclock.AideSociale, received, calc)
	if err != nil {
		t.Fatal(err)
	}
	p.apply(in, tm, nil)
	if p.Payee.Communication != "" {
		t.Fatalf("payee %+v", p.Payee)
	}
}
