package payments_test

import (
	"context"
	"maps"
	"slices"
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

// TestManualMatchToReceivable: after the month's export, three receivables (Amélie 250 €, Jan 300 €, Zoë 50 €);
// the bank's statement brings 250 € from Jan's account with a structured communication no receivable has — the
// rules leave it in the queue (Jan's balance is not 250 €) with the bank's fees. The line's suggestions offer
// Amélie's receivable (same amount) and Jan's (same account), never Zoë's (balance below the amount). The
// accountant's match to Zoë's is refused (above the balance: never forced), the fees (a debit) cannot go to a
// receivable, an unknown or another tenant's receivable is refused — named by its id or by its structured
// communication (a malformed OGM, an OGM no receivable of the tenant has, both at once: field errors on
// receivable_ogm); two identical matches to Amélie's at once, one by id and one by OGM, record one payment, which
// settles the receivable (receivable.settled in its outbox, valid against its schema), audited; the statement
// counts the manual match.
func TestManualMatchToReceivable(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const tenant = "jette"
	acc := newUser(tenant, "accountant")
	r := e.monthBeforeStatement(tenant)
	recs, _ := e.app.Receivables.Of(ctx, tenant, bson.D{})
	amelie := recs[0].ID
	// Receivables for Jan (300 €) and Zoë (50 €), decided on their RIS decisions.
	byPerson := map[string]string{}
	for _, p := range r.Payments {
		v, _ := e.app.Schedules.Repo.Instalments.Load(ctx, tenant, p.ID)
		byPerson[v.State.PersonID] = v.State.DecisionID
	}
	recover := func(person string, cents int) string {
		decision := byPerson[person]
		v, _ := e.app.Schedules.Repo.Schedules.Load(ctx, tenant, decision)
		id := uuid.NewString()
		e.feed(e.event(tenant, "be.cpas.decisions.recovery.decided.v1", "entraide-decisions", decision, map[string]any{
			"recovery_id": id, "decision_id": decision, "person_id": person, "file_id": v.State.FileID, "kind": "ris",
			"case": "cpas_error", "amount_cents": cents, "period_from": "2026-01-01", "period_to": "2026-01-31",
			"decided_on": civil.Today().String()}))
		if err := e.app.Receivables.Sync(ctx, tenant, decision); err != nil {
			t.Fatal(err)
		}
		return id
	}
	jan, zoe := recover(r.Persons[1], 30000), recover(r.Persons[2], 5000)

	d := statementOf(r, 233, 100000000, false, func(x *stmtData) {
		x.Return, x.ReturnCents = nil, 0
		x.Recovery = &stmtTx{Amount: euro(25000), Name: "Jan Peeters", IBAN: "BE05068123456775", OGM: "123456789002"}
		x.RecoveryCents = 25000
	})
	st, rep, raw := e.upload(acc, d.camt(t, "v08"), "application/xml")
	if st != 201 || counts(rep)["receivables"] != 0 || counts(rep)["unmatched"] != 2 {
		t.Fatalf("import: %d %s", st, raw)
	}
	_, q, _, _ := e.call(acc, "GET", "/v1/reconciliation-queue", nil, purpose)
	var creditID, feesID string
	for _, it := range items(q) {
		if it["line"].(map[string]any)["credit"] == true {
			creditID = it["id"].(string)
			if it["reason"] != reconcile.ReasonNoReceivable {
				t.Fatalf("credit queued for %v", it["reason"])
			}
		} else {
			feesID = it["id"].(string)
		}
	}
	if creditID == "" || feesID == "" {
		t.Fatalf("queue %v", q)
	}

	t.Run("suggestions: same amount, same account, never a balance below the amount", func(t *testing.T) {
		st, item, raw, _ := e.call(acc, "GET", "/v1/reconciliation-queue/"+creditID, nil, purpose)
		if st != 200 {
			t.Fatalf("item %d %s", st, raw)
		}
		sugg, _ := item["receivable_suggestions"].([]any)
		why := map[string][]string{}
		for _, x := range sugg {
			s := x.(map[string]any)
			for _, w := range s["why"].([]any) {
				why[s["receivable_id"].(string)] = append(why[s["receivable_id"].(string)], w.(string))
			}
			if !strings.HasPrefix(s["ogm"].(string), "+++") || s["file_number"] == "" || s["person_name"] == "" {
				t.Errorf("suggestion %v", s)
			}
		}
		if len(sugg) != 2 || !slices.Equal(why[amelie], []string{"same_amount"}) || !slices.Equal(why[jan], []string{"same_iban"}) ||
			sugg[0].(map[string]any)["receivable_id"] != amelie {
			t.Fatalf("receivable suggestions %s", raw)
		}
		if _, fees, _, _ := e.call(acc, "GET", "/v1/reconciliation-queue/"+feesID, nil, purpose); fees["receivable_suggestions"] != nil {
			t.Fatalf("a debit has receivable suggestions: %v", fees["receivable_suggestions"])
		}
	})

	matchBy := func(item string, by map[string]any) (int, map[string]any, []byte) {
		in := map[string]any{"kind": "receivable", "note": "Virement sans la bonne communication"}
		maps.Copy(in, by)
		st, body, raw, _ := e.call(acc, "POST", "/v1/reconciliation-queue/"+item+"/match", in, `If-Match: "1"`)
		return st, body, raw
	}
	match := func(item, rc string) (int, map[string]any, []byte) {
		return matchBy(item, map[string]any{"receivable_id": rc})
	}
	// ogmOf is a receivable's structured communication as the accountant reads it (+++123/4567/89012+++).
	ogmOf := func(id string) string {
		v, err := e.app.Receivables.Repo.Load(ctx, tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		return ogm.MustParse(v.State.OGM).Format()
	}

	t.Run("refusals: above the balance, a debit, an unknown or another tenant's receivable", func(t *testing.T) {
		st, body, raw := match(creditID, zoe)
		if st != 422 || strings.Join(fieldCodes(body), " ") != "receivable_id:payments.amount_above_balance" ||
			!strings.Contains(string(raw), "dépasse le solde") {
			t.Fatalf("above the balance: %d %s", st, raw)
		}
		if st, body, raw := match(feesID, amelie); st != 422 || !slices.Contains(fieldCodes(body), "kind:payments.receivable_credit_only") {
			t.Fatalf("debit: %d %s", st, raw)
		}
		if st, body, raw := match(creditID, uuid.NewString()); st != 422 || strings.Join(fieldCodes(body), " ") != "receivable_id:payments.receivable_unknown" {
			t.Fatalf("unknown receivable: %d %s", st, raw)
		}
		foreign := uuid.NewString()
		if err := e.app.Receivables.Repo.Insert(ctx, "schaerbeek", foreign, receivable.Receivable{Status: receivable.StatusOpen,
			AmountCents: 25000, OGM: "000000000101", Payments: []receivable.Payment{}}); err != nil {
			t.Fatal(err)
		}
		if st, body, raw := match(creditID, foreign); st != 422 || strings.Join(fieldCodes(body), " ") != "receivable_id:payments.receivable_unknown" {
			t.Fatalf("another tenant's receivable: %d %s", st, raw)
		}
		// By its structured communication: malformed, both ways at once, unknown, another tenant's, above the balance.
		byOGM := func(code string) (int, string, []byte) {
			st, body, raw := matchBy(creditID, map[string]any{"receivable_ogm": code})
			return st, strings.Join(fieldCodes(body), " "), raw
		}
		if st, got, raw := byOGM("+++000/0000/10102+++"); st != 422 || got != "receivable_ogm:invalid_ogm" {
			t.Fatalf("malformed OGM: %d %s", st, raw)
		}
		st, body, raw = matchBy(creditID, map[string]any{"receivable_ogm": ogmOf(amelie), "receivable_id": amelie})
		if st != 422 || strings.Join(fieldCodes(body), " ") != "receivable_ogm:payments.receivable_id_or_ogm" {
			t.Fatalf("id and OGM: %d %s", st, raw)
		}
		unused, _ := ogm.FromSequence(987654)
		if st, got, raw := byOGM(unused.Format()); st != 422 || got != "receivable_ogm:payments.receivable_ogm_unknown" ||
			!strings.Contains(string(raw), "Aucune créance n'a cette communication structurée") {
			t.Fatalf("unknown OGM: %d %s", st, raw)
		}
		theirs, _ := ogm.FromSequence(555555)
		if err := e.app.Receivables.Repo.Insert(ctx, "schaerbeek", uuid.NewString(), receivable.Receivable{Status: receivable.StatusOpen,
			AmountCents: 25000, OGM: theirs.String(), Payments: []receivable.Payment{}}); err != nil {
			t.Fatal(err)
		}
		if st, got, raw := byOGM(theirs.Format()); st != 422 || got != "receivable_ogm:payments.receivable_ogm_unknown" {
			t.Fatalf("another tenant's OGM: %d %s", st, raw)
		}
		if st, got, raw := byOGM(ogmOf(zoe)); st != 422 || got != "receivable_ogm:payments.amount_above_balance" {
			t.Fatalf("OGM of a receivable below the amount: %d %s", st, raw)
		}
		if st, _, _, _ := e.call(newUser("schaerbeek", "accountant"), "POST", "/v1/reconciliation-queue/"+creditID+"/match",
			map[string]any{"kind": "receivable", "receivable_id": foreign}, `If-Match: "1"`); st != 404 {
			t.Fatalf("another tenant's item: %d", st)
		}
		if st, _, _, _ := e.call(newUser(tenant, "social_worker"), "POST", "/v1/reconciliation-queue/"+creditID+"/match",
			map[string]any{"kind": "receivable", "receivable_id": amelie}, `If-Match: "1"`); st != 403 {
			t.Fatalf("social worker: %d", st)
		}
		for _, id := range []string{zoe, jan, amelie} {
			if v, _ := e.app.Receivables.Repo.Load(ctx, tenant, id); v.State.PaidCents != 0 {
				t.Fatalf("a refusal booked money on %s: %+v", id, v.State)
			}
		}
	})

	t.Run("two identical matches at once (by id, by OGM): one payment, the receivable settled", func(t *testing.T) {
		var wg sync.WaitGroup
		codes := make([]int, 2)
		ways := []map[string]any{{"receivable_id": amelie}, {"receivable_ogm": ogmOf(amelie)}}
		for i := range codes {
			wg.Go(func() { codes[i], _, _ = matchBy(creditID, ways[i]) })
		}
		wg.Wait()
		slices.Sort(codes)
		if codes[0] != 200 || (codes[1] != 409 && codes[1] != 412) {
			t.Fatalf("two matches at once: %v", codes)
		}
		if st, body, _ := match(creditID, amelie); st != 409 || body["code"] != "payments.item_matched" {
			t.Fatalf("a third match: %d %v", st, body)
		}
		if st, body, _ := matchBy(creditID, map[string]any{"receivable_ogm": ogmOf(amelie)}); st != 409 || body["code"] != "payments.item_matched" {
			t.Fatalf("a third match by OGM: %d %v", st, body)
		}
		v, _ := e.app.Receivables.Repo.Load(ctx, tenant, amelie)
		if len(v.State.Payments) != 1 || v.State.PaidCents != 25000 || v.State.Status != receivable.StatusSettled ||
			v.State.Payments[0].MatchedBy != receivable.MatchManual || v.State.Payments[0].DebtorIBAN != "BE05068123456775" {
			t.Fatalf("receivable after the match %+v", v.State)
		}
		if j, _ := e.app.Receivables.Repo.Load(ctx, tenant, jan); j.State.PaidCents != 0 {
			t.Fatalf("Jan's receivable paid %d", j.State.PaidCents)
		}
		out := e.outbox(receivable.CollReceivables, amelie)
		if got := types(out); !slices.Contains(got, receivable.TypeSettled) {
			t.Fatalf("receivable events %v", got)
		}
		for _, ev := range out {
			if ev.Type == receivable.TypeSettled && (!strings.Contains(ev.Data, `"outcome":"paid"`) || !strings.Contains(ev.Data, `"balance_cents":0`)) {
				t.Fatalf("settled %s", ev.Data)
			}
		}
		_, item, _, _ := e.call(acc, "GET", "/v1/reconciliation-queue/"+creditID, nil, purpose)
		m := item["match"].(map[string]any)
		if item["status"] != "matched" || m["kind"] != "receivable" || m["receivable_id"] != amelie ||
			v.State.Payments[0].StatementLineID != item["line_id"] {
			t.Fatalf("item after the match %v", item)
		}
		n, _ := e.db.Collection(audit.CollectionName).CountDocuments(ctx, bson.D{{Key: "tenant", Value: tenant},
			{Key: "action", Value: "reconciliation.match"}, {Key: "resource_id", Value: creditID}})
		if n < 2 { // the refusal above the balance and the match
			t.Fatalf("audit records of the match: %d", n)
		}
		sid := item["statement_id"].(string)
		_, stmt, _, _ := e.call(acc, "GET", "/v1/statements/"+sid, nil)
		if c := stmt["counts"].(map[string]any); c["manual_matches"].(float64) != 1 || c["unmatched"].(float64) != 1 {
			t.Fatalf("statement counts %v", c)
		}
		// The receivable's page shows the payment matched by hand; the ledger counts it recovered.
		_, rc, raw, _ := e.call(acc, "GET", "/v1/receivables/"+amelie, nil, purpose)
		if rc["balance_cents"].(float64) != 0 || !strings.Contains(string(raw), `"matched_by":"manual"`) {
			t.Fatalf("receivable view %s", raw)
		}
	})
}
