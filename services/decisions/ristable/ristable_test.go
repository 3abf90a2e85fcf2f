package ristable_test

import (
	"context"
	"errors"
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/ris"
	"github.com/entraide/entraide/services/decisions/ristable"
)

// TestStore runs the tables on the embedded FerretDB: seeded per tenant with domain.md's amounts (the worked
// example computes 589,05 €), a new validity row applies from its date, bad rows and a stale version are refused
// and change nothing, and a tenant's row does not reach another tenant.
func TestStore(t *testing.T) {
	ctx := context.Background()
	s := ristable.NewStore(testkit.Database(t))
	v, err := s.Get(ctx, "gent")
	if err != nil || v.Version != 1 || len(v.State.Amounts) != 6 || len(v.State.Exemptions) != 1 {
		t.Fatalf("seed %+v %v", v, err)
	}
	calc, err := s.Calculator(ctx, "gent")
	if err != nil {
		t.Fatal(err)
	}
	r, err := calc.Calculate(ris.Input{Category: ris.Cohabitant, From: civil.MustParse("2025-02-01"),
		Resources: []ris.Resource{{Kind: ris.OtherIncome, Period: ris.Yearly, Amount: 360000, Whose: ris.Applicant}}})
	if err != nil || r.Monthly != 58905 {
		t.Fatalf("worked example %d %v", r.Monthly, err)
	}

	bad := v.State
	bad.Amounts = append(bad.Amounts[:6:6], ristable.Amount{Category: ris.Isole, ValidFrom: civil.MustParse("2025-02-01"), Yearly: 1}, ristable.Amount{Category: 9})
	_, err = s.Put(ctx, "gent", 1, bad)
	var pe *problem.Error
	if !errors.As(err, &pe) || len(pe.Fields) < 3 {
		t.Fatalf("bad rows: %v", err)
	}
	next := v.State
	next.Amounts = append(next.Amounts[:6:6], ristable.Amount{Category: ris.Isole, ValidFrom: civil.MustParse("2026-03-01"), Yearly: 1608579})
	if _, err := s.Put(ctx, "gent", 1, next); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "gent", 1, next); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale version: %v", err)
	}
	calc, _ = s.Calculator(ctx, "gent")
	if a, _ := calc.AmountOn(ris.Isole, civil.MustParse("2026-03-02")); a.Yearly != 1608579 {
		t.Errorf("new row not applied: %+v", a)
	}
	if a, _ := calc.AmountOn(ris.Isole, civil.MustParse("2026-02-28")); a.Yearly != 1577041 {
		t.Errorf("before the new row: %+v", a)
	}
	other, _ := s.Calculator(ctx, "liege")
	if a, _ := other.AmountOn(ris.Isole, civil.MustParse("2026-03-02")); a.Yearly != 1577041 {
		t.Errorf("another tenant sees the row: %+v", a)
	}
}
