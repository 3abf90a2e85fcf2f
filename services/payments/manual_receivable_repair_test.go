package payments_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/services/payments/receivable"
	"github.com/entraide/entraide/services/payments/reconcile"
)

// TestManualReceivableMatchRepair: the accountant's match of a queued credit to a receivable crashed between its two
// writes — the line booked on the receivable (BookManual alone), the item still open. Before the repair, the item
// names the receivable that holds the line (booked_on_receivable, its OGM), and any other match — an explanation,
// a payment, another receivable — is refused with that OGM in the message. The housekeeping's repair completes the
// item once, as the match would have (kind receivable, the line's outcome, the statement's counts, audited as the
// system's repair); run again, or twice at once, it changes nothing more.
func TestManualReceivableMatchRepair(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const tenant = "uccle"
	acc := newUser(tenant, "accountant")
	r := e.monthBeforeStatement(tenant)
	recs, _ := e.app.Receivables.Of(ctx, tenant, bson.D{})
	target := recs[0].ID
	d := statementOf(r, 235, 100000000, false, func(x *stmtData) {
		x.Return, x.ReturnCents = nil, 0
		x.Recovery = &stmtTx{Amount: euro(25000), Name: "Jan Peeters", IBAN: "BE05068123456775", OGM: "123456789002"}
		x.RecoveryCents = 25000
	})
	if st, _, raw := e.upload(acc, d.camt(t, "v08"), "application/xml"); st != 201 {
		t.Fatalf("import: %d %s", st, raw)
	}
	_, q, _, _ := e.call(acc, "GET", "/v1/reconciliation-queue", nil, purpose)
	var creditID, lineID, sid string
	for _, it := range items(q) {
		if it["line"].(map[string]any)["credit"] == true {
			creditID, lineID, sid = it["id"].(string), it["line_id"].(string), it["statement_id"].(string)
		}
	}
	if creditID == "" {
		t.Fatalf("queue %v", q)
	}
	tv, _ := e.app.Receivables.Repo.Load(ctx, tenant, target)
	targetOGM := ogm.MustParse(tv.State.OGM).Format()

	// The crash: the receivable booked, the item not matched.
	if _, err := e.app.Receivables.BookManual(ctx, tenant, target, receivable.Credit{StatementLineID: lineID, AmountCents: 25000,
		DebtorIBAN: "BE05068123456775", BookedOn: civil.Today()}); err != nil {
		t.Fatal(err)
	}
	stmtCounts := func() map[string]any {
		_, stmt, _, _ := e.call(acc, "GET", "/v1/statements/"+sid, nil)
		return stmt["counts"].(map[string]any)
	}
	repairs := func() int64 {
		n, _ := e.db.Collection(audit.CollectionName).CountDocuments(ctx, bson.D{{Key: "tenant", Value: tenant},
			{Key: "action", Value: "reconciliation.match_repair"}, {Key: "resource_id", Value: creditID}})
		return n
	}

	t.Run("before the repair: the item names the receivable, other matches are refused with its OGM", func(t *testing.T) {
		st, item, raw, _ := e.call(acc, "GET", "/v1/reconciliation-queue/"+creditID, nil, purpose)
		b, _ := item["booked_on_receivable"].(map[string]any)
		if st != 200 || item["status"] != "open" || b == nil || b["receivable_id"] != target || b["ogm"] != targetOGM {
			t.Fatalf("item %d %s", st, raw)
		}
		other := uuid.NewString()
		code, _ := ogm.FromSequence(424242)
		if err := e.app.Receivables.Repo.Insert(ctx, tenant, other, receivable.Receivable{Status: receivable.StatusOpen,
			AmountCents: 90000, OGM: code.String(), Payments: []receivable.Payment{}}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			in    map[string]any
			field string
		}{
			{map[string]any{"kind": "explained", "note": "Remboursement"}, "kind"},
			{map[string]any{"kind": "payment", "instalment_id": r.Payments[0].ID}, "kind"},
			{map[string]any{"kind": "receivable", "receivable_id": other}, "receivable_id"},
			{map[string]any{"kind": "receivable", "receivable_ogm": code.Format()}, "receivable_ogm"},
		} {
			st, body, raw, _ := e.call(acc, "POST", "/v1/reconciliation-queue/"+creditID+"/match", c.in, `If-Match: "1"`)
			if st != 422 || strings.Join(fieldCodes(body), " ") != c.field+":payments.line_booked_elsewhere" ||
				!strings.Contains(string(raw), "déjà imputée sur la créance "+targetOGM) {
				t.Fatalf("%v: %d %s", c.in, st, raw)
			}
		}
		if o, _ := e.app.Receivables.Repo.Load(ctx, tenant, other); o.State.PaidCents != 0 {
			t.Fatalf("the refused match booked %d", o.State.PaidCents)
		}
		if c := stmtCounts(); c["manual_matches"].(float64) != 0 || c["unmatched"].(float64) != 2 {
			t.Fatalf("statement counts before the repair %v", c)
		}
	})

	t.Run("the repair completes the item once", func(t *testing.T) {
		var wg sync.WaitGroup
		done := make([]int, 2)
		for i := range done {
			wg.Go(func() {
				n, err := e.app.Reconcile.RepairReceivableMatches(ctx)
				if err != nil {
					t.Error(err)
				}
				done[i] = n
			})
		}
		wg.Wait()
		if done[0]+done[1] != 1 {
			t.Fatalf("two repairs at once completed %v", done)
		}
		check := func() {
			t.Helper()
			_, item, raw, _ := e.call(acc, "GET", "/v1/reconciliation-queue/"+creditID, nil, purpose)
			m, _ := item["match"].(map[string]any)
			if item["status"] != "matched" || m == nil || m["kind"] != "receivable" || m["receivable_id"] != target || m["repair"] != true ||
				m["by"] != "system" || item["booked_on_receivable"] != nil || item["version"].(float64) != 2 {
				t.Fatalf("item after the repair %s", raw)
			}
			l, _, err := e.app.Reconcile.Lines.Line(ctx, tenant, lineID)
			if err != nil || l.Outcome != reconcile.OutcomeMatched {
				t.Fatalf("line outcome %q %v", l.Outcome, err)
			}
			if c := stmtCounts(); c["manual_matches"].(float64) != 1 || c["unmatched"].(float64) != 1 {
				t.Fatalf("statement counts after the repair %v", c)
			}
			if n := repairs(); n != 1 {
				t.Fatalf("audit records of the repair: %d", n)
			}
			if v, _ := e.app.Receivables.Repo.Load(ctx, tenant, target); len(v.State.Payments) != 1 || v.State.PaidCents != 25000 {
				t.Fatalf("receivable %+v", v.State)
			}
		}
		check()
		if n, err := e.app.Reconcile.RepairReceivableMatches(ctx); n != 0 || err != nil {
			t.Fatalf("second repair: %d %v", n, err)
		}
		e.app.Reconcile.Pending(ctx) // the housekeeping that runs it
		check()
		if st, body, _, _ := e.call(acc, "POST", "/v1/reconciliation-queue/"+creditID+"/match",
			map[string]any{"kind": "receivable", "receivable_id": target}, `If-Match: "2"`); st != 409 || body["code"] != "payments.item_matched" {
			t.Fatalf("the accountant's match after the repair: %d %v", st, body)
		}
	})
}
