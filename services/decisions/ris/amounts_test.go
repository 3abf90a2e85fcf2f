package ris

import (
	"errors"
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
)

var day = civil.MustParse

func TestCentsFormat(t *testing.T) {
	for _, tc := range []struct {
		c      Cents
		fr, nl string
	}{
		{0, "0,00 €", "€ 0,00"},
		{5, "0,05 €", "€ 0,05"},
		{100, "1,00 €", "€ 1,00"},
		{58905, "589,05 €", "€ 589,05"},
		{100000, "1.000,00 €", "€ 1.000,00"},
		{1051360, "10.513,60 €", "€ 10.513,60"},
		{123456789, "1.234.567,89 €", "€ 1.234.567,89"},
		{-15500, "-155,00 €", "€ -155,00"},
	} {
		if got := tc.c.Format("fr"); got != tc.fr {
			t.Errorf("%d fr = %q, want %q", tc.c, got, tc.fr)
		}
		if got := tc.c.Format("nl"); got != tc.nl {
			t.Errorf("%d nl = %q, want %q", tc.c, got, tc.nl)
		}
	}
}

func TestDivRoundHalfUp(t *testing.T) {
	for _, tc := range []struct{ a, b, want int64 }{
		{706860, 12, 58905}, {1502034, 12, 125170}, {1502033, 12, 125169}, {6, 12, 1}, {5, 12, 0},
		{1767150, 60, 29453}, {-6, 12, -1}, {0, 7, 0},
	} {
		if got := divRound(tc.a, tc.b); got != tc.want {
			t.Errorf("divRound(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestCategories(t *testing.T) {
	for _, tc := range []struct {
		c      Category
		fr, nl string
	}{{Cohabitant, "cohabitant", "samenwonende"}, {Isole, "isolé", "alleenstaande"}, {FamilleACharge, "famille à charge", "gezin ten laste"}} {
		if !tc.c.Valid() || tc.c.Name("fr") != tc.fr || tc.c.Name("nl") != tc.nl {
			t.Errorf("category %d: %v %q %q", tc.c, tc.c.Valid(), tc.c.Name("fr"), tc.c.Name("nl"))
		}
	}
	if Category(0).Valid() || Category(4).Valid() {
		t.Error("categories 0 and 4 are valid")
	}
}

func TestDefaultTableAmounts(t *testing.T) {
	tbl := DefaultTable()
	for _, tc := range []struct {
		c       Category
		on      string
		from    string
		yearly  Cents
		monthly Cents
	}{
		// 2024-05-01: the yearly amounts stored are monthly × 12, so the monthly ones come back exactly.
		{Cohabitant, "2024-05-01", "2024-05-01", 1030764, 85897},
		{Isole, "2024-05-01", "2024-05-01", 1546152, 128846},
		{FamilleACharge, "2024-05-01", "2024-05-01", 2089548, 174129},
		{Cohabitant, "2025-01-31", "2024-05-01", 1030764, 85897}, // the day before the indexation
		// 2025-02-01: domain.md's yearly amounts and their monthly figures 876,13 / 1.314,20 / 1.776,07.
		{Cohabitant, "2025-02-01", "2025-02-01", 1051360, 87613},
		{Isole, "2025-02-01", "2025-02-01", 1577041, 131420},
		{FamilleACharge, "2025-02-01", "2025-02-01", 2131284, 177607},
		{FamilleACharge, "2031-12-31", "2025-02-01", 2131284, 177607}, // still in force until a new entry
	} {
		a, err := tbl.AmountOn(tc.c, day(tc.on))
		if err != nil {
			t.Fatalf("AmountOn(%d, %s): %v", tc.c, tc.on, err)
		}
		if a.Category != tc.c || a.ValidFrom != day(tc.from) || a.Yearly != tc.yearly || a.Monthly() != tc.monthly {
			t.Errorf("AmountOn(%d, %s) = %+v monthly %d, want from %s yearly %d monthly %d", tc.c, tc.on, a, a.Monthly(), tc.from, tc.yearly, tc.monthly)
		}
	}
	if _, err := tbl.AmountOn(Cohabitant, day("2024-04-30")); !errors.Is(err, ErrNoAmount) {
		t.Errorf("before the first entry: %v", err)
	}
	if _, err := tbl.AmountOn(Category(4), day("2025-04-30")); !errors.Is(err, ErrUnknownCategory) {
		t.Errorf("unknown category: %v", err)
	}
	if tbl.First() != day("2024-05-01") {
		t.Errorf("First() = %s", tbl.First())
	}
	all := tbl.Amounts()
	if len(all) != 6 || all[0].Category != Cohabitant || all[0].ValidFrom != day("2024-05-01") || all[5].Category != FamilleACharge || all[5].ValidFrom != day("2025-02-01") {
		t.Errorf("Amounts() = %+v", all)
	}
}

func TestTableIsEditable(t *testing.T) {
	// An admin adds a later indexation (and the entries come in any order): it applies from its date on.
	amounts := append(DefaultAmounts(), Amount{Isole, day("2026-03-01"), 1608579})
	amounts[0], amounts[6] = amounts[6], amounts[0]
	tbl, err := NewTable(amounts)
	if err != nil {
		t.Fatal(err)
	}
	for on, want := range map[string]Cents{"2026-02-28": 1577041, "2026-03-01": 1608579, "2024-06-01": 1546152} {
		if a, _ := tbl.AmountOn(Isole, day(on)); a.Yearly != want {
			t.Errorf("AmountOn(isolé, %s) = %d, want %d", on, a.Yearly, want)
		}
	}
	if a, _ := tbl.AmountOn(Cohabitant, day("2026-03-01")); a.Yearly != 1051360 {
		t.Errorf("the other categories keep their amount: %d", a.Yearly)
	}
}

func TestNewTableRejects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		amount Amount
		field  string
		code   string
	}{
		{"category 0", Amount{0, day("2026-01-01"), 100}, "amounts[6].category", "ris.category_invalid"},
		{"category 4", Amount{4, day("2026-01-01"), 100}, "amounts[6].category", "ris.category_invalid"},
		{"no date", Amount{Isole, civil.Date{}, 100}, "amounts[6].valid_from", "required"},
		{"zero amount", Amount{Isole, day("2026-01-01"), 0}, "amounts[6].yearly", "ris.amount_not_positive"},
		{"negative amount", Amount{Isole, day("2026-01-01"), -1}, "amounts[6].yearly", "ris.amount_not_positive"},
		{"duplicate", Amount{Isole, day("2025-02-01"), 1577041}, "amounts[6].valid_from", "duplicate"},
	} {
		_, err := NewTable(append(DefaultAmounts(), tc.amount))
		expectField(t, tc.name, err, tc.field, tc.code)
	}
}

func TestExemptionTable(t *testing.T) {
	tbl := DefaultExemptionTable()
	if e, err := tbl.On(day("2025-02-01")); err != nil || e.Monthly != 30948 {
		t.Errorf("On(2025-02-01) = %+v, %v", e, err)
	}
	if e, err := tbl.On(day("2027-06-30")); err != nil || e.Monthly != 30948 {
		t.Errorf("On(2027-06-30) = %+v, %v", e, err)
	}
	if _, err := tbl.On(day("2025-01-31")); !errors.Is(err, ErrNoExemption) {
		t.Errorf("before the first entry: %v", err)
	}
	later, err := NewExemptionTable(append(DefaultSocioProfessionalExemptions(), SocioProfessionalExemption{day("2026-03-01"), 31567}))
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := later.On(day("2026-03-01")); e.Monthly != 31567 {
		t.Errorf("indexed amount: %+v", e)
	}
	if len(later.Entries()) != 2 {
		t.Errorf("Entries() = %+v", later.Entries())
	}
	for _, tc := range []struct {
		name  string
		e     SocioProfessionalExemption
		field string
		code  string
	}{
		{"no date", SocioProfessionalExemption{civil.Date{}, 100}, "exemptions[1].valid_from", "required"},
		{"duplicate", SocioProfessionalExemption{day("2025-02-01"), 100}, "exemptions[1].valid_from", "duplicate"},
		{"zero", SocioProfessionalExemption{day("2026-02-01"), 0}, "exemptions[1].monthly", "ris.amount_not_positive"},
	} {
		_, err := NewExemptionTable(append(DefaultSocioProfessionalExemptions(), tc.e))
		expectField(t, tc.name, err, tc.field, tc.code)
	}
}

func expectField(t *testing.T, name string, err error, field, code string) {
	t.Helper()
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Type != problem.Validation {
		t.Errorf("%s: %v, want a validation problem", name, err)
		return
	}
	for _, f := range pe.Fields {
		if f.Field == field && f.Code == code {
			return
		}
	}
	t.Errorf("%s: fields %+v, want %s %s", name, pe.Fields, field, code)
}
