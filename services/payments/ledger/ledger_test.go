package ledger

import (
	"bytes"
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/payments/receivable"
	"github.com/entraide/entraide/services/payments/schedule"
)

// TestEntriesOfAPaymentReturnedThenReissued: an instalment paid in run 1, returned (AC04), reissued and booked in
// run 2 gives one due line, two paid lines (each with its run, EndToEndId and, for the booked one, the statement
// line) and one returned line: the CPAS paid it once net and owes nothing more.
func TestEntriesOfAPaymentReturnedThenReissued(t *testing.T) {
	d := civil.MustNew(2026, 3, 1)
	in := instalment{ID: "i1", DecisionID: "d1", Kind: "ris", BudgetArticle: "8320/333-01", Parts: []schedule.Part{{Period: "2026-03", Cents: 131420}},
		AmountCents: 131420, DueOn: d, Status: statusBooked, RunID: "r2", EndToEndID: "E2E-P2026-000002-000001"}
	in.Attempts = []attempt{{"r1", "E2E-P2026-000001-000001", 131420}, {"r2", "E2E-P2026-000002-000001", 131420}}
	in.Booking = &booking{"S2", "S2-1", civil.MustNew(2026, 3, 12)}
	in.Returns = []ret{{"S1", "S1-4", "r1", "E2E-P2026-000001-000001", "AC04", 131420, civil.MustNew(2026, 3, 5)}}
	runs := map[string]runInfo{"r1": {"P2026-000001", civil.MustNew(2026, 3, 2)}, "r2": {"P2026-000002", civil.MustNew(2026, 3, 10)}}
	es := in.entries(runs, civil.Date{})
	sortEntries(es)
	var tot Totals
	for _, e := range es {
		tot.add(e)
	}
	if len(es) != 4 || tot.DueCents != 131420 || tot.PaidCents != 2*131420 || tot.ReturnedCents != 131420 || tot.OutstandingCents != 0 {
		t.Fatalf("entries %+v totals %+v", es, tot)
	}
	if p := es[1]; p.Type != TypePaid || p.RunNumber != "P2026-000001" || p.StatementLineID != "" || p.Date != civil.MustNew(2026, 3, 2) {
		t.Fatalf("first payment %+v", p)
	}
	if r := es[2]; r.Type != TypeReturned || r.Reason != "AC04" || r.StatementLineID != "S1-4" || r.RunNumber != "P2026-000001" {
		t.Fatalf("return %+v", r)
	}
	if p := es[3]; p.Type != TypePaid || p.RunNumber != "P2026-000002" || p.StatementLineID != "S2-1" || p.Date != civil.MustNew(2026, 3, 12) {
		t.Fatalf("second payment %+v", p)
	}
	// Due lines after through stay out; a cancelled instalment is no line at all.
	if es := in.entries(runs, civil.MustNew(2026, 2, 28)); len(es) != 3 {
		t.Fatalf("through: %+v", es)
	}
	in.Status, in.Returns, in.Booking = schedule.StatusCancelled, nil, nil
	if es := in.entries(runs, civil.Date{}); len(es) != 0 {
		t.Fatalf("cancelled: %+v", es)
	}
}

func TestReceivableEntriesAndJournalCSV(t *testing.T) {
	r := receivable.Receivable{DecisionID: "d1", Kind: "ris", BudgetArticle: "8320/333-01", Source: receivable.SourceRecovery, AmountCents: 30000,
		CreatedOn: civil.MustNew(2026, 3, 3), Status: receivable.StatusWaived, PaidCents: 10000, ClosedOn: civil.MustNew(2026, 3, 20),
		Payments: []receivable.Payment{{StatementLineID: "S3-2", AmountCents: 10000, BookedOn: civil.MustNew(2026, 3, 9), MatchedBy: receivable.MatchOGM}},
		Closure:  &receivable.Closure{Kind: receivable.CloseWaiver, BalanceCents: 20000}}
	var tot Totals
	for _, e := range receivableEntries("rc1", r) {
		tot.add(e)
	}
	if tot.ReceivableCents != 30000 || tot.RecoveredCents != 10000 || tot.WaivedCents != 20000 || tot.ToRecoverCents != 0 {
		t.Fatalf("totals %+v", tot)
	}
	var b bytes.Buffer
	if err := WriteJournalCSV(&b, []JournalLine{{Date: civil.MustNew(2026, 3, 9), Journal: "recoveries", BudgetArticle: "8320/333-01", Kind: "ris",
		Side: "credit", Count: 1, AmountCents: 123456}}); err != nil {
		t.Fatal(err)
	}
	if want := "date;journal;budget_article;kind;side;count;amount;run_number\n2026-03-09;recoveries;8320/333-01;ris;credit;1;1234.56;\n"; b.String() != want {
		t.Fatalf("csv %q", b.String())
	}
	if Decimal(-5) != "-0.05" || Decimal(100) != "1.00" {
		t.Fatal("decimal")
	}
}
