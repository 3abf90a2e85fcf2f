package ris

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
)

func applicant(kind ResourceKind, p Period, amount Cents) Resource {
	return Resource{Kind: kind, Period: p, Amount: amount, Whose: Applicant}
}

// checkWorking checks that the working adds up to the result: the lines from the amount to the total of the
// resources sum to Resources, the exemption lines to the exemptions, and the last lines carry the result.
func checkWorking(t *testing.T, name string, r Result) {
	t.Helper()
	w := r.Working
	if len(w) < 6 || w[0].Code != "amount" || w[0].Amount != r.Amount.Yearly {
		t.Fatalf("%s: working starts %+v", name, w)
	}
	var sum, exemptions Cents
	i := 1
	for ; w[i].Code != "resources_total"; i++ {
		sum += w[i].Amount
	}
	if sum != r.Resources || w[i].Amount != r.Resources {
		t.Errorf("%s: resource lines sum to %d, total line %d, Resources %d", name, sum, w[i].Amount, r.Resources)
	}
	for i++; w[i].Code != "resources_counted"; i++ {
		exemptions += w[i].Amount
	}
	if -exemptions != r.SocioProfessionalExemption+r.GeneralExemption || w[i].Amount != r.Counted ||
		r.Counted != r.Resources-r.SocioProfessionalExemption-r.GeneralExemption {
		t.Errorf("%s: exemption lines %d, counted line %d, result %+v", name, exemptions, w[i].Amount, r)
	}
	tail := w[i+1:]
	if len(tail) != 3 || tail[0].Code != "ris_yearly" || tail[0].Amount != r.Yearly || tail[1].Code != "ris_monthly" ||
		tail[1].Amount != r.Monthly || tail[2].Code != "first_month" || tail[2].Amount != r.FirstMonth {
		t.Errorf("%s: working ends %+v", name, tail)
	}
	for _, l := range w {
		if l.FR == "" || l.NL == "" || l.FR == l.NL || l.Text("fr") != l.FR || l.Text("nl") != l.NL {
			t.Errorf("%s: line %+v lacks a text", name, l)
		}
	}
}

func TestWorkedExample(t *testing.T) {
	// domain.md §3: cat. 1, resources 3.600 €/year, amounts of 2025-02-01: counted 3.600 − 155 = 3.445;
	// RIS = 10.513,60 − 3.445 = 7.068,60 €/year = 589,05 €/month.
	r, err := DefaultCalculator().Calculate(Input{Category: Cohabitant, From: day("2025-02-01"),
		Resources: []Resource{applicant(ReplacementIncome, Yearly, 360000)}})
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Category: Cohabitant, From: day("2025-02-01"), Amount: Amount{Cohabitant, day("2025-02-01"), 1051360},
		Resources: 360000, GeneralExemption: 15500, Counted: 344500, Yearly: 706860, Monthly: 58905,
		FirstMonth: 58905, FirstMonthDays: 28, DaysInFirstMonth: 28}
	got := r
	got.Working = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("result\n got %+v\nwant %+v", got, want)
	}
	checkWorking(t, "worked example", r)
	wantLines := []Line{
		{"amount", "Montant annuel, catégorie 1 (cohabitant), en vigueur depuis le 1er février 2025", "Jaarbedrag, categorie 1 (samenwonende), van kracht sinds 1 februari 2025", 1051360},
		{"resource", "Revenus de remplacement (demandeur) : 3.600,00 € par an", "Vervangingsinkomen (aanvrager): € 3.600,00 per jaar", 360000},
		{"resources_total", "Total des ressources prises en considération", "Totaal van de in aanmerking genomen bestaansmiddelen", 360000},
		{"exemption_general", "Exonération générale, catégorie 1 (AR 11.07.2002, art. 22 §2)", "Algemene vrijstelling, categorie 1 (KB 11.07.2002, art. 22 §2)", -15500},
		{"resources_counted", "Ressources après exonérations", "Bestaansmiddelen na vrijstellingen", 344500},
		{"ris_yearly", "Revenu d'intégration annuel : 10.513,60 € − 3.445,00 €", "Jaarlijks leefloon: € 10.513,60 − € 3.445,00", 706860},
		{"ris_monthly", "Revenu d'intégration mensuel : 7.068,60 € / 12, arrondi au cent", "Maandelijks leefloon: € 7.068,60 / 12, afgerond op de cent", 58905},
		{"first_month", "Premier mois, à partir du 1er février 2025 : 589,05 € × 28 / 28 jours", "Eerste maand, vanaf 1 februari 2025: € 589,05 × 28 / 28 dagen", 58905},
	}
	if len(r.Working) != len(wantLines) {
		t.Fatalf("working has %d lines: %+v", len(r.Working), r.Working)
	}
	for i, l := range wantLines {
		if r.Working[i] != l {
			t.Errorf("line %d\n got %+v\nwant %+v", i, r.Working[i], l)
		}
	}
	// The same resources given monthly (300 €/month) give the same result.
	m, err := DefaultCalculator().Calculate(Input{Category: Cohabitant, From: day("2025-02-01"),
		Resources: []Resource{applicant(ReplacementIncome, Monthly, 30000)}})
	if err != nil || m.Monthly != 58905 || m.Working[1].FR != "Revenus de remplacement (demandeur) : 300,00 € par mois × 12" {
		t.Errorf("monthly resources: %d, %v, %q", m.Monthly, err, m.Working[1].FR)
	}
}

func TestCalculate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        Input
		resources Cents
		spi, gen  Cents
		yearly    Cents
		monthly   Cents
		first     Cents
		codes     []string // codes that must appear in the working
	}{
		{name: "zero resources, cat. 1", in: Input{Category: Cohabitant, From: day("2025-02-01")},
			yearly: 1051360, monthly: 87613, first: 87613},
		{name: "zero resources, cat. 2", in: Input{Category: Isole, From: day("2025-02-01")},
			yearly: 1577041, monthly: 131420, first: 131420},
		{name: "zero resources, cat. 3", in: Input{Category: FamilleACharge, From: day("2025-02-01")},
			yearly: 2131284, monthly: 177607, first: 177607},
		{name: "zero resources, cat. 1, 2024 amounts", in: Input{Category: Cohabitant, From: day("2024-05-01")},
			yearly: 1030764, monthly: 85897, first: 85897},
		{name: "zero resources, cat. 2, the day before the 2025 indexation", in: Input{Category: Isole, From: day("2025-01-31")},
			yearly: 1546152, monthly: 128846, first: 4156}, // 128846 × 1 / 31 = 4156,3
		{name: "zero resources, cat. 3, 2024 amounts", in: Input{Category: FamilleACharge, From: day("2024-12-01")},
			yearly: 2089548, monthly: 174129, first: 174129},
		{name: "resources above the amount: no RIS, no general exemption",
			in:        Input{Category: Isole, From: day("2025-03-01"), Resources: []Resource{applicant(ReplacementIncome, Monthly, 140000)}},
			resources: 1680000, yearly: 0, monthly: 0, first: 0, codes: []string{"exemption_general_none"}},
		{name: "resources equal to the amount: no general exemption",
			in:        Input{Category: Cohabitant, From: day("2025-03-01"), Resources: []Resource{applicant(OtherIncome, Yearly, 1051360)}},
			resources: 1051360, yearly: 0, codes: []string{"exemption_general_none"}},
		{name: "resources just below the amount: general exemption",
			in:        Input{Category: Cohabitant, From: day("2025-03-01"), Resources: []Resource{applicant(OtherIncome, Yearly, 1051300)}},
			resources: 1051300, gen: 15500, yearly: 15560, monthly: 1297, first: 1297},
		{name: "resources below the general exemption: exempted up to the resources",
			in:        Input{Category: FamilleACharge, From: day("2025-03-01"), Resources: []Resource{applicant(Alimony, Yearly, 20000)}},
			resources: 20000, gen: 20000, yearly: 2131284, monthly: 177607, first: 177607},
		{name: "rounding half up: 1.502.034 / 12 = 125.169,5",
			in:        Input{Category: Isole, From: day("2025-02-01"), Resources: []Resource{applicant(OtherIncome, Yearly, 100007)}},
			resources: 100007, gen: 25000, yearly: 1502034, monthly: 125170, first: 125170},
		{name: "rounding down: 1.502.033 / 12 = 125.169,42",
			in:        Input{Category: Isole, From: day("2025-02-01"), Resources: []Resource{applicant(OtherIncome, Yearly, 100008)}},
			resources: 100008, gen: 25000, yearly: 1502033, monthly: 125169, first: 125169},
		{name: "every exempted kind is ignored",
			in: Input{Category: Cohabitant, From: day("2025-02-01"), Resources: []Resource{
				applicant(ReplacementIncome, Yearly, 360000),
				applicant(ChildBenefits, Monthly, 30000), applicant(ChildAlimony, Monthly, 20000), applicant(StudyGrant, Yearly, 200000),
				applicant(FosterCareAllowance, Monthly, 50000), applicant(DisabilityIntegrationAllowance, Monthly, 40000),
				applicant(CPASSocialAid, Yearly, 100000), applicant(OccasionalGifts, Yearly, 5000)}},
			resources: 360000, gen: 15500, yearly: 706860, monthly: 58905, first: 58905, codes: []string{"resource_exempt"}},
		{name: "only exempted resources: the full amount",
			in:     Input{Category: Isole, From: day("2025-02-01"), Resources: []Resource{applicant(ChildBenefits, Monthly, 30000)}},
			yearly: 1577041, monthly: 131420, first: 131420, codes: []string{"resource_exempt"}},
		{name: "socio-professional exemption, no general exemption on the same income",
			in: Input{Category: Isole, From: day("2025-03-01"), SocioProfessional: true,
				Resources: []Resource{applicant(EarnedIncome, Monthly, 100000)}},
			resources: 1200000, spi: 371376, yearly: 748417, monthly: 62368, first: 62368,
			codes: []string{"exemption_socio_professional", "exemption_general_none"}},
		{name: "the same income without the socio-professional exemption: general exemption",
			in:        Input{Category: Isole, From: day("2025-03-01"), Resources: []Resource{applicant(EarnedIncome, Monthly, 100000)}},
			resources: 1200000, gen: 25000, yearly: 402041, monthly: 33503, first: 33503, codes: []string{"exemption_general"}},
		{name: "socio-professional exemption limited to the earned income, general exemption on the other income",
			in: Input{Category: Isole, From: day("2025-03-01"), SocioProfessional: true, Resources: []Resource{
				applicant(EarnedIncome, Monthly, 20000), applicant(ReplacementIncome, Monthly, 50000)}},
			resources: 840000, spi: 240000, gen: 25000, yearly: 1002041, monthly: 83503, first: 83503,
			codes: []string{"exemption_socio_professional", "exemption_general"}},
		{name: "socio-professional exemption asked without earned income: nothing to exempt, even before its table",
			in:        Input{Category: Cohabitant, From: day("2024-06-01"), SocioProfessional: true},
			resources: 0, yearly: 1030764, monthly: 85897, first: 85897},
		{name: "partner counted in full (the exemption is the applicant's only)",
			in: Input{Category: Cohabitant, From: day("2025-03-01"), SocioProfessional: true,
				Members:   []Member{{ID: "p1", Relation: Partner, Counting: CountFull}},
				Resources: []Resource{{Kind: EarnedIncome, Period: Monthly, Amount: 50000, Whose: "p1"}}},
			resources: 600000, gen: 15500, yearly: 466860, monthly: 38905, first: 38905, codes: []string{"member"}},
		{name: "partner counted above the cohabitant amount",
			in: Input{Category: Cohabitant, From: day("2025-03-01"),
				Members:   []Member{{ID: "p1", Relation: Partner, Counting: CountAboveCohabitant}},
				Resources: []Resource{{Kind: ReplacementIncome, Period: Monthly, Amount: 150000, Whose: "p1"}}},
			resources: 748640, gen: 15500, yearly: 318220, monthly: 26518, first: 26518, codes: []string{"member", "member_below_cohabitant"}},
		{name: "descendant below the cohabitant amount counts nothing; their child benefits are exempt",
			in: Input{Category: FamilleACharge, From: day("2025-03-01"),
				Members: []Member{{ID: "d1", Label: "Lucas", Relation: Descendant, Counting: CountAboveCohabitant, Motivation: "revenus stables, vit sous le même toit"}},
				Resources: []Resource{{Kind: EarnedIncome, Period: Monthly, Amount: 80000, Whose: "d1"},
					{Kind: ChildBenefits, Period: Monthly, Amount: 20000, Whose: "d1"}}},
			resources: 0, yearly: 2131284, monthly: 177607, first: 177607, codes: []string{"member_below_cohabitant", "resource_exempt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DefaultCalculator().Calculate(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if r.Resources != tc.resources || r.SocioProfessionalExemption != tc.spi || r.GeneralExemption != tc.gen ||
				r.Yearly != tc.yearly || r.Monthly != tc.monthly || r.FirstMonth != tc.first && tc.first != 0 {
				t.Errorf("got resources %d spi %d general %d yearly %d monthly %d first %d\nwant %d %d %d %d %d %d",
					r.Resources, r.SocioProfessionalExemption, r.GeneralExemption, r.Yearly, r.Monthly, r.FirstMonth,
					tc.resources, tc.spi, tc.gen, tc.yearly, tc.monthly, tc.first)
			}
			checkWorking(t, tc.name, r)
			for _, code := range tc.codes {
				found := false
				for _, l := range r.Working {
					found = found || l.Code == code
				}
				if !found {
					t.Errorf("no %q line in %+v", code, r.Working)
				}
			}
		})
	}
}

func TestMemberTexts(t *testing.T) {
	r, err := DefaultCalculator().Calculate(Input{Category: Cohabitant, From: day("2025-03-01"),
		Members:   []Member{{ID: "p1", Relation: Partner, Counting: CountAboveCohabitant}},
		Resources: []Resource{{Kind: ReplacementIncome, Period: Monthly, Amount: 150000, Whose: "p1"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Line{
		{"member", "Ressources du partenaire prises en considération au-delà du montant de la catégorie 1", "Bestaansmiddelen van de partner boven het bedrag van categorie 1 in aanmerking genomen", 0},
		{"resource", "Revenus de remplacement (partenaire) : 1.500,00 € par mois × 12", "Vervangingsinkomen (partner): € 1.500,00 per maand × 12", 1800000},
		{"member_below_cohabitant", "Part des ressources du partenaire non prise en considération, jusqu'au montant de la catégorie 1 (10.513,60 €)", "Deel van de bestaansmiddelen van de partner dat niet meetelt, tot het bedrag van categorie 1 (€ 10.513,60)", -1051360},
	}
	for i, l := range want {
		if r.Working[1+i] != l {
			t.Errorf("line %d\n got %+v\nwant %+v", 1+i, r.Working[1+i], l)
		}
	}
	r, _ = DefaultCalculator().Calculate(Input{Category: FamilleACharge, From: day("2025-03-01"),
		Members:   []Member{{ID: "d1", Label: "Lucas", Relation: Descendant, Counting: CountFull, Motivation: "revenus stables"}},
		Resources: []Resource{{Kind: ChildBenefits, Period: Monthly, Amount: 20000, Whose: "d1"}}})
	if r.Working[1].FR != "Ressources de Lucas prises en considération entièrement — revenus stables" ||
		r.Working[2].FR != "Allocations familiales (Lucas) : 200,00 € par mois — ressource exonérée (AR 11.07.2002, art. 22 §1)" ||
		r.Working[2].NL != "Gezinsbijslag (Lucas): € 200,00 per maand — vrijgesteld bestaansmiddel (KB 11.07.2002, art. 22 §1)" {
		t.Errorf("texts: %q / %q / %q", r.Working[1].FR, r.Working[2].FR, r.Working[2].NL)
	}
}

func TestProratedFirstMonth(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       Input
		days, of int
		want     Cents
	}{
		{"request on the 1st of February (common year)", Input{Category: Cohabitant, From: day("2025-02-01"),
			Resources: []Resource{applicant(OtherIncome, Yearly, 360000)}}, 28, 28, 58905},
		{"request on the last day of February (common year)", Input{Category: Cohabitant, From: day("2025-02-28"),
			Resources: []Resource{applicant(OtherIncome, Yearly, 360000)}}, 1, 28, 2104}, // 589,05 / 28 = 21,04
		{"31-day month with the 2024 amounts, on the 1st", Input{Category: Cohabitant, From: day("2024-05-01")}, 31, 31, 85897},
		{"31-day month, mid-month", Input{Category: Cohabitant, From: day("2025-03-15"),
			Resources: []Resource{applicant(OtherIncome, Yearly, 360000)}}, 17, 31, 32303}, // 589,05 × 17 / 31 = 323,027
		{"31-day month, on the 1st", Input{Category: Cohabitant, From: day("2025-03-01"),
			Resources: []Resource{applicant(OtherIncome, Yearly, 360000)}}, 31, 31, 58905},
		{"31-day month, on the last day", Input{Category: Cohabitant, From: day("2025-03-31"),
			Resources: []Resource{applicant(OtherIncome, Yearly, 360000)}}, 1, 31, 1900}, // 19,0016
		{"30-day month, a half cent rounds up", Input{Category: Cohabitant, From: day("2025-04-16"),
			Resources: []Resource{applicant(OtherIncome, Yearly, 360000)}}, 15, 30, 29453}, // 294,525
		{"December, year end", Input{Category: FamilleACharge, From: day("2025-12-31")}, 1, 31, 5729}, // 1.776,07 / 31 = 57,29
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DefaultCalculator().Calculate(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if r.FirstMonthDays != tc.days || r.DaysInFirstMonth != tc.of || r.FirstMonth != tc.want {
				t.Errorf("first month %d × %d / %d = %d, want %d / %d = %d", r.Monthly, r.FirstMonthDays, r.DaysInFirstMonth, r.FirstMonth, tc.days, tc.of, tc.want)
			}
			checkWorking(t, tc.name, r)
		})
	}
}

func TestLeapFebruary(t *testing.T) {
	// The seeded table starts on 2024-05-01, so a leap February needs the 2024 amounts valid earlier (or 2028).
	tbl, err := NewTable(append(DefaultAmounts(), Amount{Cohabitant, day("2024-01-01"), 85897 * 12}))
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCalculator(tbl, DefaultExemptionTable(), DefaultResourceKinds())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		from     string
		days, of int
		want     Cents
	}{
		{"2024-02-01", 29, 29, 85897},
		{"2024-02-15", 15, 29, 44429}, // 858,97 × 15 / 29 = 444,295
		{"2024-02-29", 1, 29, 2962},   // 29,619
	} {
		r, err := c.Calculate(Input{Category: Cohabitant, From: day(tc.from)})
		if err != nil {
			t.Fatal(err)
		}
		if r.FirstMonthDays != tc.days || r.DaysInFirstMonth != tc.of || r.FirstMonth != tc.want {
			t.Errorf("%s: %d × %d / %d = %d, want %d / %d = %d", tc.from, r.Monthly, r.FirstMonthDays, r.DaysInFirstMonth, r.FirstMonth, tc.days, tc.of, tc.want)
		}
	}
	// 2028 is leap too: with the 2025 amounts, cat. 2 from 28 February 2028 has 2 days out of 29.
	r, err := DefaultCalculator().Calculate(Input{Category: Isole, From: day("2028-02-28")})
	if err != nil || r.FirstMonthDays != 2 || r.DaysInFirstMonth != 29 || r.FirstMonth != 9063 { // 1.314,20 × 2 / 29 = 90,634
		t.Errorf("2028-02-28: %+v, %v", r, err)
	}
}

func TestCalculateRejects(t *testing.T) {
	valid := func() Input {
		return Input{Category: Cohabitant, From: day("2025-03-01"),
			Members:   []Member{{ID: "p1", Relation: Partner, Counting: CountFull}},
			Resources: []Resource{applicant(OtherIncome, Monthly, 100), {Kind: OtherIncome, Period: Yearly, Amount: 100, Whose: "p1"}}}
	}
	if _, err := DefaultCalculator().Calculate(valid()); err != nil {
		t.Fatalf("the valid input: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(*Input)
		field  string
		code   string
	}{
		{"no category", func(in *Input) { in.Category = 0 }, "category", "ris.category_invalid"},
		{"category 4", func(in *Input) { in.Category = 4 }, "category", "ris.category_invalid"},
		{"no date", func(in *Input) { in.From = civil.Date{} }, "from", "required"},
		{"before the table", func(in *Input) { in.From = day("2024-04-30") }, "from", "ris.no_amount_on_date"},
		{"unknown kind", func(in *Input) { in.Resources[0].Kind = "lottery" }, "resources[0].kind", "ris.resource_kind_unknown"},
		{"no period", func(in *Input) { in.Resources[0].Period = "" }, "resources[0].period", "invalid_choice"},
		{"weekly period", func(in *Input) { in.Resources[1].Period = "weekly" }, "resources[1].period", "invalid_choice"},
		{"negative amount", func(in *Input) { in.Resources[0].Amount = -1 }, "resources[0].amount", "ris.amount_negative"},
		{"nobody's resource", func(in *Input) { in.Resources[0].Whose = "" }, "resources[0].whose", "ris.whose_unknown"},
		{"a resource of someone not counted", func(in *Input) { in.Resources[1].Whose = "p2" }, "resources[1].whose", "ris.whose_unknown"},
		{"member without id", func(in *Input) { in.Members[0].ID = " " }, "members[0].id", "required"},
		{"member called applicant", func(in *Input) { in.Members[0].ID = Applicant }, "members[0].id", "invalid"},
		{"member twice", func(in *Input) { in.Members = append(in.Members, in.Members[0]) }, "members[1].id", "duplicate"},
		{"unknown relation", func(in *Input) { in.Members[0].Relation = "cousin" }, "members[0].relation", "invalid_choice"},
		{"unknown counting", func(in *Input) { in.Members[0].Counting = "half" }, "members[0].counting", "invalid_choice"},
		{"descendant without motivation", func(in *Input) { in.Members[0].Relation = Descendant }, "members[0].motivation", "ris.motivation_required"},
		{"ascendant with a blank motivation", func(in *Input) { in.Members[0].Relation, in.Members[0].Motivation = Ascendant, "  " }, "members[0].motivation", "ris.motivation_required"},
		{"socio-professional exemption before its table", func(in *Input) {
			in.From, in.SocioProfessional = day("2024-06-01"), true
			in.Resources[0].Kind = EarnedIncome
		}, "socio_professional", "ris.no_exemption_on_date"},
	} {
		in := valid()
		tc.change(&in)
		_, err := DefaultCalculator().Calculate(in)
		expectField(t, tc.name, err, tc.field, tc.code)
	}
	// The table errors are wrapped, so a program can tell them apart.
	_, err := DefaultCalculator().Calculate(Input{Category: Isole, From: day("2023-01-01")})
	if !errors.Is(err, ErrNoAmount) {
		t.Errorf("before the table: %v does not wrap ErrNoAmount", err)
	}
	_, err = DefaultCalculator().Calculate(Input{Category: Isole, From: day("2024-06-01"), SocioProfessional: true,
		Resources: []Resource{applicant(EarnedIncome, Monthly, 1000)}})
	if !errors.Is(err, ErrNoExemption) {
		t.Errorf("before the exemption table: %v does not wrap ErrNoExemption", err)
	}
	// Several faults are reported together.
	var pe *problem.Error
	_, err = DefaultCalculator().Calculate(Input{Resources: []Resource{{Kind: "x", Amount: -5}}})
	if !errors.As(err, &pe) || len(pe.Fields) != 6 {
		t.Errorf("all faults at once: %v", err)
	}
}

func TestMessagesRegistered(t *testing.T) {
	for _, code := range []string{"ris.category_invalid", "ris.no_amount_on_date", "ris.no_exemption_on_date", "ris.resource_kind_unknown",
		"ris.amount_negative", "ris.amount_not_positive", "ris.whose_unknown", "ris.motivation_required"} {
		for _, l := range []string{"fr", "nl", "de", "en"} {
			if m := problem.Message(l, code, map[string]any{"first": "2024-05-01"}); m == code || m == "" {
				t.Errorf("%s has no %s text", code, l)
			}
		}
	}
	if m := problem.Message("nl", "ris.no_amount_on_date", map[string]any{"first": "2024-05-01"}); m != "Op deze datum is geen wettelijk bedrag van kracht (het eerste dateert van 2024-05-01)." {
		t.Errorf("nl: %q", m)
	}
}

func TestResourceKinds(t *testing.T) {
	c := DefaultCalculator()
	for _, k := range []ResourceKind{ChildBenefits, ChildAlimony, StudyGrant, FosterCareAllowance, DisabilityIntegrationAllowance, CPASSocialAid, OccasionalGifts} {
		r, ok := c.Kind(k)
		if !ok || !r.Exempt || r.Earned || r.LegalFR == "" || r.LegalNL == "" || r.Name("fr") == r.Name("nl") {
			t.Errorf("%s: %+v", k, r)
		}
	}
	for _, k := range []ResourceKind{EarnedIncome, ReplacementIncome, Alimony, PropertyIncome, CapitalIncome, OtherIncome} {
		r, ok := c.Kind(k)
		if !ok || r.Exempt || r.Earned != (k == EarnedIncome) {
			t.Errorf("%s: %+v", k, r)
		}
	}
	for _, bad := range [][]KindRule{
		append(DefaultResourceKinds(), KindRule{Kind: StudyGrant, FR: "x", NL: "y"}),
		append(DefaultResourceKinds(), KindRule{Kind: "bonus", FR: "x", NL: "y", Exempt: true, Earned: true}),
		append(DefaultResourceKinds(), KindRule{Kind: "bonus"}),
	} {
		if _, err := NewCalculator(DefaultTable(), DefaultExemptionTable(), bad); err == nil {
			t.Errorf("NewCalculator accepted %+v", bad[len(bad)-1])
		}
	}
	if _, err := NewCalculator(nil, DefaultExemptionTable(), DefaultResourceKinds()); err == nil {
		t.Error("NewCalculator accepted no amounts table")
	}
	// A platform admin may exempt a new kind without a release.
	kinds := append(DefaultResourceKinds(), KindRule{Kind: "energy_cheque", FR: "Chèque énergie", NL: "Energiecheque", Exempt: true, LegalFR: "x", LegalNL: "y"})
	c, err := NewCalculator(DefaultTable(), DefaultExemptionTable(), kinds)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Calculate(Input{Category: Isole, From: day("2025-02-01"), Resources: []Resource{applicant("energy_cheque", Yearly, 50000)}})
	if err != nil || r.Monthly != 131420 {
		t.Errorf("a new exempted kind: %d, %v", r.Monthly, err)
	}
	if a, err := c.AmountOn(Isole, day("2025-02-01")); err != nil || a.Yearly != 1577041 {
		t.Errorf("AmountOn = %+v, %v", a, err)
	}
}

func TestResultJSON(t *testing.T) {
	r, err := DefaultCalculator().Calculate(Input{Category: Cohabitant, From: day("2025-02-01"),
		Resources: []Resource{applicant(ReplacementIncome, Yearly, 360000)}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil || back.Monthly != 58905 || back.From != r.From || len(back.Working) != len(r.Working) || back.Working[5] != r.Working[5] {
		t.Errorf("round trip: %s, %v", b, err)
	}
	var in Input
	if err := json.Unmarshal([]byte(`{"category":1,"from":"2025-02-01","resources":[{"kind":"other_income","period":"yearly","amount":360000,"whose":"applicant"}]}`), &in); err != nil {
		t.Fatal(err)
	}
	if r2, err := DefaultCalculator().Calculate(in); err != nil || r2.Monthly != 58905 {
		t.Errorf("from JSON: %d, %v", r2.Monthly, err)
	}
}

// TestCalculateProperties runs random inputs: the RIS never exceeds the category amount nor falls below 0, the
// monthly amount is the yearly one / 12 to the cent, the first month never exceeds a month, the working always
// adds up, and more resources never give more RIS.
func TestCalculateProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(2025, 2))
	c := DefaultCalculator()
	kinds := DefaultResourceKinds()
	for i := 0; i < 3000; i++ {
		in := Input{Category: Categories[rng.IntN(3)], From: day("2024-05-01").AddDays(rng.IntN(1500)), SocioProfessional: rng.IntN(2) == 0}
		if in.From.Before(day("2025-02-01")) {
			in.SocioProfessional = false
		}
		if rng.IntN(2) == 0 {
			in.Members = []Member{{ID: "m", Relation: Partner, Counting: []Counting{CountFull, CountAboveCohabitant}[rng.IntN(2)]}}
		}
		for n := rng.IntN(4); n > 0; n-- {
			res := Resource{Kind: kinds[rng.IntN(len(kinds))].Kind, Period: []Period{Monthly, Yearly}[rng.IntN(2)], Amount: Cents(rng.IntN(2000000)), Whose: Applicant}
			if in.Members != nil && rng.IntN(2) == 0 {
				res.Whose = "m"
			}
			in.Resources = append(in.Resources, res)
		}
		r, err := c.Calculate(in)
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		if r.Yearly < 0 || r.Yearly > r.Amount.Yearly || r.Monthly != Cents(divRound(int64(r.Yearly), 12)) || r.FirstMonth > r.Monthly || r.FirstMonth < 0 {
			t.Fatalf("%+v: %+v", in, r)
		}
		checkWorking(t, "random", r)
		more := in
		more.Resources = append(append([]Resource(nil), in.Resources...), applicant(OtherIncome, Yearly, Cents(1+rng.IntN(500000))))
		r2, err := c.Calculate(more)
		if err != nil || r2.Yearly > r.Yearly {
			t.Fatalf("more resources gave more RIS: %d > %d (%+v)", r2.Yearly, r.Yearly, more)
		}
	}
}
