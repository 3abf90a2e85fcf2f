package payments_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/schedule"
)

// TestReissueAppliesToDecision: two monthly aids paid to the same energy supplier (a third party) for two
// beneficiaries; the month's run pays both, the bank returns both (AC04: the supplier's account is closed). The
// accountant reissues the first with the corrected account "for the decision's later payments too": the
// decision's next month, already scheduled, and the months the schedule issues later carry the corrected account
// (the schedule records the correction, audited with the reissue); the second, reissued without the option, keeps
// the old account for its other payments. A replay of every decision event (even with the consumer's marks lost)
// keeps the correction; a later revision naming a different supplier takes precedence from its month, and one
// naming the beneficiary again from its own (the events in the decisions service's RevisedPayload shape, checked
// against the schema: the payments cannot import the decisions module).
func TestReissueAppliesToDecision(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const tenant = "woluwe"
	w, acc, fd := newUser(tenant, "social_worker"), newUser(tenant, "accountant"), newUser(tenant, "finance_director")
	e.settings(fd, "pain.001.001.09")
	today := civil.Today()
	const oldIBAN, newIBAN, otherIBAN = "BE62310012345661", "BE02363098765440", "BE20735001122356"
	supplier := map[string]any{"kind": "third_party", "name": "Energie Bruxelles SA", "iban": oldIBAN}
	terms := map[string]any{"kind": "aide_sociale", "subtype": "energy", "category": nil, "monthly_cents": 6500,
		"start": firstOfMonth(today, 0).String(), "payee": supplier}
	p1, f1 := e.beneficiary(tenant, w.id, "2026/000910", "Nadia", "Haddad", "BE68539007547034")
	p2, f2 := e.beneficiary(tenant, w.id, "2026/000911", "Pieter", "Claes", "BE56731045678988")
	adopted1, adopted2 := e.adopted(tenant, p1, f1, terms), e.adopted(tenant, p2, f2, terms)
	e.feed(adopted1, adopted2)
	d1, d2 := adopted1.Subject, adopted2.Subject

	run1, _ := e.exportRun(acc, fd, 2)
	_, pays, raw, _ := e.call(acc, "GET", "/v1/runs/"+run1+"/payments", nil, purpose)
	paid := map[string]map[string]any{} // decision → its payment in the run
	for _, it := range items(pays) {
		paid[it["decision_id"].(string)] = it
	}
	if paid[d1] == nil || paid[d2] == nil {
		t.Fatalf("run payments %s", raw)
	}
	id1, e2e1 := paid[d1]["id"].(string), paid[d1]["end_to_end_id"].(string)
	id2, e2e2 := paid[d2]["id"].(string), paid[d2]["end_to_end_id"].(string)
	tx := func(e2e string) stmtTx {
		return stmtTx{E2E: e2e, Amount: euro(6500), Name: "Energie Bruxelles SA", IBAN: oldIBAN}
	}
	stmt := func(seq int, opening int64, debits []stmtTx, debitCents []int64, ret stmtTx) *stmtData {
		d := &stmtData{MsgID: fmt.Sprintf("BANK-053-%d", seq), StmtID: fmt.Sprintf("%d-%d-BE21001234567803", today.Year(), seq),
			Account: "BE21001234567803", Seq: seq, OpeningCents: opening, openDate: today.AddDays(-1), date: today,
			Single: debits, SingleCents: debitCents, Return: &ret, ReturnCents: 6500}
		d.finish()
		return d
	}
	s1 := stmt(701, 5000000, []stmtTx{tx(e2e1), tx(e2e2)}, []int64{6500, 6500}, tx(e2e1))
	if st, rep, raw := e.upload(acc, s1.camt(t, "v08"), "application/xml"); st != 201 || counts(rep)["returned"] != 1 {
		t.Fatalf("statement 701: %d %s", st, raw)
	}
	s2 := stmt(702, s1.ClosingCents, nil, nil, tx(e2e2))
	if st, rep, raw := e.upload(acc, s2.camt(t, "v08"), "application/xml"); st != 201 || counts(rep)["returned"] != 1 {
		t.Fatalf("statement 702: %d %s", st, raw)
	}

	// payees lists the decision's instalments other than the reissued one: period → status and IBAN.
	payees := func(decision, reissued string) map[string]string {
		t.Helper()
		out := map[string]string{}
		for _, in := range e.instalmentsOf(tenant, decision) {
			if in.ID != reissued && in.State.Status != schedule.StatusCancelled {
				out[in.State.Parts[0].Period] = in.State.Status + " " + in.State.Payee.IBAN
			}
		}
		return out
	}
	next, later2, later3 := schedule.MonthKey(firstOfMonth(today, 1)), schedule.MonthKey(firstOfMonth(today, 2)),
		schedule.MonthKey(firstOfMonth(today, 3))
	if got := payees(d1, id1); len(got) != 1 || got[next] != "scheduled "+oldIBAN {
		t.Fatalf("next month before the reissue: %v", got)
	}
	reissue := func(id string, apply bool) map[string]any {
		t.Helper()
		_, det, _, _ := e.call(acc, "GET", "/v1/instalments/"+id, nil, purpose)
		st, body, raw, _ := e.call(acc, "POST", "/v1/instalments/"+id+"/reissue",
			map[string]any{"name": "Energie Bruxelles SA", "iban": newIBAN, "apply_to_decision": apply},
			`If-Match: "`+ver(det)+`"`, "Idempotency-Key: "+uuid.NewString())
		if st != 200 || body["payee_iban"] != newIBAN || body["status"] != "scheduled" {
			t.Fatalf("reissue: %d %s", st, raw)
		}
		return body
	}
	// planLater plans the schedules as the hourly planning does once two more months come within the horizon.
	planLater := func() {
		t.Helper()
		s := e.app.Schedules
		later := &schedule.Service{Repo: s.Repo, Proj: s.Proj, Articles: s.Articles, HorizonMonths: 3}
		for _, d := range []string{d1, d2} {
			if err := later.Reconcile(ctx, tenant, d); err != nil {
				t.Fatal(err)
			}
		}
	}

	t.Run("with the option: the scheduled and later payments of the decision go to the corrected account", func(t *testing.T) {
		body := reissue(id1, true)
		rs := body["reissues"].([]any)
		if len(rs) != 1 || rs[0].(map[string]any)["apply_to_decision"] != true {
			t.Fatalf("reissue entry %v", rs)
		}
		if got := payees(d1, id1); got[next] != "scheduled "+newIBAN {
			t.Fatalf("next month after the reissue: %v", got)
		}
		_, sc, raw, _ := e.call(acc, "GET", "/v1/schedules/"+d1, nil, purpose)
		cs, _ := sc["payee_corrections"].([]any)
		if len(cs) != 1 || !strings.Contains(string(raw), `"replaces":["`+oldIBAN+`"]`) || cs[0].(map[string]any)["iban"] != newIBAN ||
			cs[0].(map[string]any)["instalment_id"] != id1 {
			t.Fatalf("schedule's corrections %s", raw)
		}
		n, _ := e.db.Collection(audit.CollectionName).CountDocuments(ctx, bson.D{{Key: "tenant", Value: tenant},
			{Key: "action", Value: "schedule.payee_correct"}, {Key: "resource_id", Value: d1}})
		if n != 1 {
			t.Fatalf("audit records of the correction: %d", n)
		}
	})

	t.Run("without the option: the decision's other payments keep the old account", func(t *testing.T) {
		reissue(id2, false)
		if got := payees(d2, id2); got[next] != "scheduled "+oldIBAN {
			t.Fatalf("second decision's next month: %v", got)
		}
		if got := e.instalmentsOf(tenant, d2); slices.ContainsFunc(got, func(v store.Versioned[schedule.Instalment]) bool {
			return v.ID != id2 && v.State.Payee.IBAN == newIBAN
		}) {
			t.Fatalf("a payment of the second decision took the correction: %+v", got)
		}
		_, sc, raw, _ := e.call(acc, "GET", "/v1/schedules/"+d2, nil, purpose)
		if sc["payee_corrections"] != nil {
			t.Fatalf("second schedule's corrections %s", raw)
		}
	})

	t.Run("the months issued later follow the schedule's payee", func(t *testing.T) {
		planLater()
		got1, got2 := payees(d1, id1), payees(d2, id2)
		for _, m := range []string{next, later2, later3} {
			if got1[m] != "scheduled "+newIBAN {
				t.Fatalf("first decision, %s: %v", m, got1)
			}
			if got2[m] != "scheduled "+oldIBAN {
				t.Fatalf("second decision, %s: %v", m, got2)
			}
		}
	})

	t.Run("a replay of the decision events keeps the correction", func(t *testing.T) {
		e.feed(adopted1, adopted2)
		if _, err := e.db.Collection(schedule.CollProcessed).DeleteMany(ctx, bson.D{}); err != nil {
			t.Fatal(err)
		}
		e.feed(adopted1, adopted2) // the consumer's marks lost: the schedules' own memory of the events holds
		planLater()
		if got := payees(d1, id1); got[next] != "scheduled "+newIBAN || got[later3] != "scheduled "+newIBAN || len(got) != 3 {
			t.Fatalf("first decision after the replay: %v", got)
		}
		sc, _ := e.app.Schedules.Repo.Schedules.Load(ctx, tenant, d1)
		if len(sc.State.PayeeCorrections) != 1 || sc.State.Payee.IBAN != oldIBAN {
			t.Fatalf("schedule after the replay: %+v", sc.State)
		}
	})

	t.Run("a revision naming another supplier takes precedence from its month", func(t *testing.T) {
		revised := revisedEvent(e, tenant, d1, p1, f1, firstOfMonth(today, 2), map[string]any{"kind": "third_party",
			"name": "Lumière Coopérative SC", "iban": otherIBAN, "communication": "123456789002"})
		e.feed(revised)
		planLater()
		got := payees(d1, id1)
		if got[next] != "scheduled "+newIBAN || got[later2] != "scheduled "+otherIBAN || got[later3] != "scheduled "+otherIBAN {
			t.Fatalf("after the revision naming another supplier: %v", got)
		}
		for _, in := range e.instalmentsOf(tenant, d1) {
			if in.State.Payee.IBAN == otherIBAN && (in.State.Payee.Name != "Lumière Coopérative SC" || in.State.Payee.Communication != "123456789002") {
				t.Fatalf("new supplier's payee %+v", in.State.Payee)
			}
		}
		e.feed(revised) // replayed: nothing moves
		if again := payees(d1, id1); !maps.Equal(again, got) {
			t.Fatalf("replayed revision: %v, was %v", again, got)
		}
		// The reissued payment itself keeps its own corrected creditor.
		in, _ := e.app.Schedules.Repo.Instalments.Load(ctx, tenant, id1)
		if in.State.Payee.IBAN != newIBAN {
			t.Fatalf("reissued payment %+v", in.State.Payee)
		}
	})

	t.Run("a revision back to the beneficiary from a later month", func(t *testing.T) {
		e.feed(revisedEvent(e, tenant, d1, p1, f1, firstOfMonth(today, 3), map[string]any{"kind": "beneficiary"}))
		planLater()
		got := payees(d1, id1)
		if got[next] != "scheduled "+newIBAN || got[later2] != "scheduled "+otherIBAN || got[later3] != "scheduled " {
			t.Fatalf("after the revision back to the beneficiary: %v", got)
		}
		for _, in := range e.instalmentsOf(tenant, d1) {
			if in.State.Status == schedule.StatusScheduled && in.State.Parts[0].Period == later3 && in.State.Payee != (schedule.Payee{Kind: "beneficiary"}) {
				t.Fatalf("beneficiary's month %+v", in.State.Payee)
			}
		}
	})
}

// revisedEvent is a decision.revised naming a new payee from the month of from, in the shape the decisions service
// emits it (decision.RevisedPayload; validated against the event's schema by e.event).
func revisedEvent(e *env, tenant, decisionID, personID, fileID string, from civil.Date, payee map[string]any) events.Event {
	today := civil.Today()
	return e.event(tenant, "be.cpas.decisions.decision.revised.v1", "entraide-decisions", decisionID, map[string]any{
		"decision_id": decisionID, "person_id": personID, "file_id": fileID, "kind": "aide_sociale", "revision_id": uuid.NewString(),
		"from": from.String(), "monthly_cents": 6500, "previous_cents": 6500, "decided_on": today.String(), "payee": payee})
}
