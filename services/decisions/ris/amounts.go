// Package ris owns the calculation of the revenu d'intégration sociale (RIS, leefloon: the minimum income of the
// loi du 26 mai 2002, "loi DIS") as domain.md §3 describes it: the legal amounts by category and validity date,
// the resources of the applicant and of the household members the CPAS counts, the exempted kinds of resources,
// the general and socio-professional exemptions, the yearly and monthly RIS and the prorated first month. The
// result shows its working line by line, in French and Dutch, because it goes into the decision letter. Money is
// integer cents, dates are civil dates. The package does no I/O: the amounts tables are data the service loads
// (a tenant or platform admin edits them without a release) and hands to a Calculator.
package ris

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
)

// Cents is an amount of euros in cents.
type Cents int64

// Format writes c the Belgian way: "10.513,60 €" in French, "€ 10.513,60" in Dutch ("nl").
func (c Cents) Format(lang string) string {
	sign := ""
	v := int64(c)
	if v < 0 {
		sign, v = "-", -v
	}
	units := fmt.Sprint(v / 100)
	var b strings.Builder
	for i, r := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	n := fmt.Sprintf("%s%s,%02d", sign, b.String(), v%100)
	if lang == "nl" {
		return "€ " + n
	}
	return n + " €"
}

// divRound returns a / b rounded half up (away from zero for the halves), for b > 0.
func divRound(a, b int64) int64 {
	if a < 0 {
		return -divRound(-a, b)
	}
	return (2*a + b) / (2 * b)
}

// Category is the RIS category of art. 14 §1 loi DIS (domain.md §3); the decision states and justifies it.
type Category int

// The RIS categories, numbered as in the law and in the beneficiaries service's events.
const (
	Cohabitant     Category = 1 // shares a household with others
	Isole          Category = 2 // lives alone
	FamilleACharge Category = 3 // lives with a dependent family including at least one unmarried minor child
)

// Categories lists the categories.
var Categories = []Category{Cohabitant, Isole, FamilleACharge}

// Valid reports whether c is a RIS category.
func (c Category) Valid() bool { return c >= Cohabitant && c <= FamilleACharge }

// Name returns the legal name of the category in French ("fr") or Dutch ("nl").
func (c Category) Name(lang string) string {
	names := map[Category][2]string{
		Cohabitant:     {"cohabitant", "samenwonende"},
		Isole:          {"isolé", "alleenstaande"},
		FamilleACharge: {"famille à charge", "gezin ten laste"},
	}[c]
	if lang == "nl" {
		return names[1]
	}
	return names[0]
}

// Amount is the legal yearly RIS amount of a category from a date on. The yearly amount is the master (the law
// fixes yearly amounts); the monthly one is derived.
type Amount struct {
	Category  Category   `json:"category"`
	ValidFrom civil.Date `json:"valid_from"`
	Yearly    Cents      `json:"yearly"`
}

// Monthly is the yearly amount / 12, rounded half up to the cent.
func (a Amount) Monthly() Cents { return Cents(divRound(int64(a.Yearly), 12)) }

// Errors of the tables.
var (
	// ErrUnknownCategory: the category is not 1, 2 or 3.
	ErrUnknownCategory = errors.New("ris: unknown category")
	// ErrNoAmount: the table has no amount in force on the date (it is before the first entry).
	ErrNoAmount = errors.New("ris: no amount in force on that date")
)

// Table holds the legal RIS amounts keyed by (category, valid_from). An amount is in force from its valid_from
// until the next entry of its category. A Table is immutable once built.
type Table struct {
	byCategory map[Category][]Amount // sorted by ValidFrom
}

// NewTable checks and indexes amounts: each with a valid category, a date and a positive yearly amount, no two
// with the same (category, valid_from). The error is a problem.Validation with fields "amounts[i].…".
func NewTable(amounts []Amount) (*Table, error) {
	var fs problem.Fields
	seen := map[Amount]int{}
	t := &Table{byCategory: map[Category][]Amount{}}
	for i, a := range amounts {
		field := fmt.Sprintf("amounts[%d].", i)
		ok := true
		if !a.Category.Valid() {
			fs.Add(field+"category", "ris.category_invalid")
			ok = false
		}
		if a.ValidFrom.IsZero() {
			fs.Add(field+"valid_from", "required")
			ok = false
		}
		if a.Yearly <= 0 {
			fs.Add(field+"yearly", "ris.amount_not_positive")
			ok = false
		}
		key := Amount{Category: a.Category, ValidFrom: a.ValidFrom}
		if _, dup := seen[key]; dup && ok {
			fs.Add(field+"valid_from", "duplicate")
			ok = false
		}
		seen[key] = i
		if ok {
			t.byCategory[a.Category] = append(t.byCategory[a.Category], a)
		}
	}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	for _, as := range t.byCategory {
		slices.SortFunc(as, func(a, b Amount) int { return a.ValidFrom.Compare(b.ValidFrom) })
	}
	return t, nil
}

// DefaultAmounts are the amounts of domain.md §3. For 2024-05-01 the law's yearly amounts are not in domain.md,
// only the monthly ones: the yearly amounts stored are monthly × 12, which give back exactly those monthly
// amounts (858,97 / 1.288,46 / 1.741,29 €). The cat. 3 amount of 2025-02-01 is marked "verify" in domain.md: it
// is data, so an admin corrects it without a release.
func DefaultAmounts() []Amount {
	from2024, from2025 := civil.MustNew(2024, time.May, 1), civil.MustNew(2025, time.February, 1)
	return []Amount{
		{Cohabitant, from2024, 85897 * 12},
		{Isole, from2024, 128846 * 12},
		{FamilleACharge, from2024, 174129 * 12},
		{Cohabitant, from2025, 1051360},
		{Isole, from2025, 1577041},
		{FamilleACharge, from2025, 2131284},
	}
}

// DefaultTable is the table of DefaultAmounts.
func DefaultTable() *Table {
	t, err := NewTable(DefaultAmounts())
	if err != nil {
		panic(err) // the seed is a constant: a failure is a programming error caught by the tests
	}
	return t
}

// AmountOn returns the amount of category in force on d: the entry of that category with the latest valid_from
// not after d. It fails with ErrUnknownCategory or ErrNoAmount.
func (t *Table) AmountOn(category Category, d civil.Date) (Amount, error) {
	if !category.Valid() {
		return Amount{}, fmt.Errorf("%w: %d", ErrUnknownCategory, category)
	}
	as := t.byCategory[category]
	i, found := slices.BinarySearchFunc(as, d, func(a Amount, d civil.Date) int { return a.ValidFrom.Compare(d) })
	if found {
		return as[i], nil
	}
	if i == 0 {
		return Amount{}, fmt.Errorf("%w: category %d on %s", ErrNoAmount, category, d)
	}
	return as[i-1], nil
}

// First returns the earliest valid_from of the table (zero for an empty table).
func (t *Table) First() civil.Date {
	var first civil.Date
	for _, as := range t.byCategory {
		if len(as) > 0 && (first.IsZero() || as[0].ValidFrom.Before(first)) {
			first = as[0].ValidFrom
		}
	}
	return first
}

// Amounts returns every entry, by valid_from then category.
func (t *Table) Amounts() []Amount {
	var out []Amount
	for _, as := range t.byCategory {
		out = append(out, as...)
	}
	slices.SortFunc(out, func(a, b Amount) int {
		if c := a.ValidFrom.Compare(b.ValidFrom); c != 0 {
			return c
		}
		return cmp.Compare(a.Category, b.Category)
	})
	return out
}

// GeneralExemption is the yearly general exemption of each category (AR du 11 juillet 2002, art. 22 §2: 155 /
// 250 / 310 € a year for cat. 1 / 2 / 3), granted only when the resources are below the category amount. These
// amounts are not indexed, so they are constants.
var GeneralExemption = map[Category]Cents{Cohabitant: 15500, Isole: 25000, FamilleACharge: 31000}

// SocioProfessionalExemption is the monthly socio-professional exemption in force from a date (AR du 11 juillet
// 2002, art. 35: an amount off the net earned income of a beneficiary who takes up work or training, for 3 years
// in total spread over at most 6; indexed).
type SocioProfessionalExemption struct {
	ValidFrom civil.Date `json:"valid_from"`
	Monthly   Cents      `json:"monthly"`
}

// ErrNoExemption: the socio-professional exemption table has no amount in force on the date.
var ErrNoExemption = errors.New("ris: no socio-professional exemption amount in force on that date")

// ExemptionTable holds the socio-professional exemption amounts by validity date. Immutable once built.
type ExemptionTable struct {
	entries []SocioProfessionalExemption // sorted by ValidFrom
}

// NewExemptionTable checks entries (a date, a positive amount, no two on one date); the error is a
// problem.Validation with fields "exemptions[i].…".
func NewExemptionTable(entries []SocioProfessionalExemption) (*ExemptionTable, error) {
	var fs problem.Fields
	seen := map[civil.Date]bool{}
	t := &ExemptionTable{}
	for i, e := range entries {
		field := fmt.Sprintf("exemptions[%d].", i)
		switch {
		case e.ValidFrom.IsZero():
			fs.Add(field+"valid_from", "required")
		case seen[e.ValidFrom]:
			fs.Add(field+"valid_from", "duplicate")
		case e.Monthly <= 0:
			fs.Add(field+"monthly", "ris.amount_not_positive")
		default:
			seen[e.ValidFrom] = true
			t.entries = append(t.entries, e)
		}
	}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(t.entries, func(a, b SocioProfessionalExemption) int { return a.ValidFrom.Compare(b.ValidFrom) })
	return t, nil
}

// DefaultSocioProfessionalExemptions is domain.md's value: 309,48 € a month from 2025-02-01.
func DefaultSocioProfessionalExemptions() []SocioProfessionalExemption {
	return []SocioProfessionalExemption{{ValidFrom: civil.MustNew(2025, time.February, 1), Monthly: 30948}}
}

// DefaultExemptionTable is the table of DefaultSocioProfessionalExemptions.
func DefaultExemptionTable() *ExemptionTable {
	t, err := NewExemptionTable(DefaultSocioProfessionalExemptions())
	if err != nil {
		panic(err) // a constant seed
	}
	return t
}

// On returns the exemption in force on d, or ErrNoExemption.
func (t *ExemptionTable) On(d civil.Date) (SocioProfessionalExemption, error) {
	i, found := slices.BinarySearchFunc(t.entries, d, func(e SocioProfessionalExemption, d civil.Date) int { return e.ValidFrom.Compare(d) })
	if found {
		return t.entries[i], nil
	}
	if i == 0 {
		return SocioProfessionalExemption{}, fmt.Errorf("%w: %s", ErrNoExemption, d)
	}
	return t.entries[i-1], nil
}

// Entries returns the amounts by date.
func (t *ExemptionTable) Entries() []SocioProfessionalExemption { return slices.Clone(t.entries) }
