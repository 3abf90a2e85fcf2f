package payments_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/services/payments/reconcile"
)

// slowDesk is the receivables wired in the app, whose manual booking waits, once booked, until released: the
// moment between the receivable's booking and the item's change.
type slowDesk struct {
	reconcile.Receivables
	desk             reconcile.ReceivableDesk
	booked, released chan struct{}
}

func (d slowDesk) SuggestReceivables(ctx context.Context, tenant string, c reconcile.IncomingCredit) ([]reconcile.ReceivableSuggestion, error) {
	return d.desk.SuggestReceivables(ctx, tenant, c)
}

func (d slowDesk) ReceivableByOGM(ctx context.Context, tenant string, code ogm.OGM) (string, error) {
	return d.desk.ReceivableByOGM(ctx, tenant, code)
}

func (d slowDesk) LinesBookedOn(ctx context.Context, tenant string, lineIDs []string) (map[string]reconcile.BookedOn, error) {
	return d.desk.LinesBookedOn(ctx, tenant, lineIDs)
}

func (d slowDesk) BookOnReceivable(ctx context.Context, tenant, id string, c reconcile.IncomingCredit) error {
	err := d.desk.BookOnReceivable(ctx, tenant, id, c)
	close(d.booked)
	<-d.released
	return err
}

// TestManualMatchesOfOneLineAreSerialised: while a credit line's match to a receivable is between its two writes
// (the receivable booked, the item not yet matched), another accountant's match of the same line — here an
// explanation — waits, then finds the line matched (409): the line is never both on the receivable and explained
// (or returning a payment).
func TestManualMatchesOfOneLineAreSerialised(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const tenant = "evere"
	acc := newUser(tenant, "accountant")
	r := e.monthBeforeStatement(tenant)
	recs, _ := e.app.Receivables.Of(ctx, tenant, bson.D{})
	target := recs[0].ID
	d := statementOf(r, 234, 100000000, false, func(x *stmtData) {
		x.Return, x.ReturnCents = nil, 0
		x.Recovery = &stmtTx{Amount: euro(25000), Name: "Jan Peeters", IBAN: "BE05068123456775", OGM: "123456789002"}
		x.RecoveryCents = 25000
	})
	if st, _, raw := e.upload(acc, d.camt(t, "v08"), "application/xml"); st != 201 {
		t.Fatalf("import: %d %s", st, raw)
	}
	_, q, _, _ := e.call(acc, "GET", "/v1/reconciliation-queue", nil, purpose)
	var creditID string
	for _, it := range items(q) {
		if it["line"].(map[string]any)["credit"] == true {
			creditID = it["id"].(string)
		}
	}
	if creditID == "" {
		t.Fatalf("queue %v", q)
	}

	real := e.app.Reconcile.Receivables
	desk := slowDesk{Receivables: real, desk: real.(reconcile.ReceivableDesk), booked: make(chan struct{}), released: make(chan struct{})}
	e.app.Reconcile.Receivables = desk
	t.Cleanup(func() { e.app.Reconcile.Receivables = real })

	type result struct {
		st   int
		body map[string]any
	}
	toReceivable, explained := make(chan result, 1), make(chan result, 1)
	go func() {
		st, body, _, _ := e.call(acc, "POST", "/v1/reconciliation-queue/"+creditID+"/match",
			map[string]any{"kind": "receivable", "receivable_id": target}, `If-Match: "1"`)
		toReceivable <- result{st, body}
	}()
	<-desk.booked
	go func() {
		st, body, _, _ := e.call(acc, "POST", "/v1/reconciliation-queue/"+creditID+"/match",
			map[string]any{"kind": "explained", "note": "Remboursement de " + civil.Today().String()}, `If-Match: "1"`)
		explained <- result{st, body}
	}()
	// The explanation must wait for the match under way; had it gone through, it is here within the second.
	var ex result
	waited := false
	select {
	case ex = <-explained:
	case <-time.After(time.Second):
		waited = true
	}
	close(desk.released)
	rc := <-toReceivable
	if waited {
		ex = <-explained
	}
	if rc.st != 200 || ex.st != 409 || ex.body["code"] != "payments.item_matched" {
		t.Fatalf("receivable match %d %v, explanation meanwhile %d %v", rc.st, rc.body, ex.st, ex.body)
	}
	_, item, _, _ := e.call(acc, "GET", "/v1/reconciliation-queue/"+creditID, nil, purpose)
	if m, _ := item["match"].(map[string]any); m == nil || m["kind"] != "receivable" || m["receivable_id"] != target {
		t.Fatalf("item %v", item)
	}
}
