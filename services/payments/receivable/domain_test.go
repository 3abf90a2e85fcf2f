package receivable

import (
	"testing"

	"github.com/entraide/entraide/libs/civil"
)

// TestBookAndPlan: partial payments lower the balance, the same statement line twice counts once, the last one
// settles; a plan expects its monthly amount from its start month and says how far behind the payments are; its
// timetable ends with the remainder.
func TestBookAndPlan(t *testing.T) {
	r := Receivable{AmountCents: 25000, Status: StatusOpen}
	if r.Book(Payment{StatementLineID: "L1", AmountCents: 10000, BookedOn: civil.MustNew(2026, 3, 5)}) || r.Balance() != 15000 {
		t.Fatalf("partial: %+v", r)
	}
	if r.Book(Payment{StatementLineID: "L1", AmountCents: 10000}) || r.PaidCents != 10000 || len(r.Payments) != 1 {
		t.Fatalf("same line twice: %+v", r)
	}
	r.Plan = &Plan{MonthlyCents: 6000, Start: civil.MustNew(2026, 3, 1)}
	if got := r.ExpectedBy(civil.MustNew(2026, 2, 28)); got != 0 {
		t.Fatalf("before the plan: %d", got)
	}
	if got := r.ExpectedBy(civil.MustNew(2026, 4, 10)); got != 12000 {
		t.Fatalf("expected by April: %d", got)
	}
	if got := r.Behind(civil.MustNew(2026, 5, 1)); got != 18000-10000 {
		t.Fatalf("behind in May: %d", got)
	}
	if got := r.ExpectedBy(civil.MustNew(2027, 1, 1)); got != 25000 {
		t.Fatalf("expected never exceeds the amount: %d", got)
	}
	tt := r.Timetable()
	if len(tt) != 5 || tt[0].Month != "2026-03" || tt[4].Month != "2026-07" || tt[4].Cents != 1000 {
		t.Fatalf("timetable %+v", tt)
	}
	if r.Instalment() != 6000 {
		t.Fatalf("instalment %d", r.Instalment())
	}
	if !r.Book(Payment{StatementLineID: "L2", AmountCents: 15000, BookedOn: civil.MustNew(2026, 4, 2)}) || r.Status != StatusSettled ||
		r.ClosedOn != civil.MustNew(2026, 4, 2) || r.Behind(civil.MustNew(2027, 1, 1)) != 0 {
		t.Fatalf("settled: %+v", r)
	}
	if r.Book(Payment{StatementLineID: "L3", AmountCents: 500}) || r.Balance() != -500 || r.Status != StatusSettled {
		t.Fatalf("paid too much: %+v", r)
	}
}
