package payments_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
)

// TestConcurrentRunsShareNothing: two accountants building a run for the same date at once split the due
// payments between them (a payment is in at most one live run); the export replayed under its Idempotency-Key
// answers the same bytes.
func TestConcurrentRunsShareNothing(t *testing.T) {
	e := newEnv(t)
	const tenant = "schaerbeek"
	w := newUser(tenant, "social_worker")
	a1, a2, fd := newUser(tenant, "accountant"), newUser(tenant, "accountant"), newUser(tenant, "finance_director")
	e.settings(fd, "pain.001.001.09")
	const n = 12
	for i := range n {
		p, f := e.beneficiary(tenant, w.id, fmt.Sprintf("2026/0003%02d", i), "Noor", "Claes", "BE68539007547034")
		e.feed(e.adopted(tenant, p, f, map[string]any{"start": firstOfMonth(civil.Today(), 0).String(), "monthly_cents": 50000 + i}))
	}
	var wg sync.WaitGroup
	counts := make([]float64, 2)
	ids := make([]string, 2)
	for i, u := range []user{a1, a2} {
		wg.Go(func() {
			st, body, _, _ := e.call(u, "POST", "/v1/runs", map[string]any{"execution_date": civil.Today().String()},
				"Idempotency-Key: "+uuid.NewString())
			if st == 201 {
				counts[i], ids[i] = body["count"].(float64), body["id"].(string)
			}
		})
	}
	wg.Wait()
	if counts[0]+counts[1] != n {
		t.Fatalf("runs took %v of %d payments", counts, n)
	}
	seen := map[string]string{}
	for _, id := range ids {
		if id == "" {
			continue
		}
		_, body, _, _ := e.call(a1, "GET", "/v1/runs/"+id+"/payments?page_size=200", nil, purpose)
		for _, it := range items(body) {
			if other, dup := seen[it["id"].(string)]; dup {
				t.Fatalf("payment %s in runs %s and %s", it["id"], other, id)
			}
			seen[it["id"].(string)] = id
			if it["run_id"] != id {
				t.Fatalf("payment of run %s says %v", id, it["run_id"])
			}
		}
	}
	if len(seen) != n {
		t.Fatalf("%d payments in the runs", len(seen))
	}

	// Export with a key, then the same request again: replayed, same bytes.
	id := ids[0]
	if id == "" {
		id = ids[1]
	}
	_, r, _, _ := e.call(a1, "GET", "/v1/runs/"+id, nil)
	if st, _, raw, _ := e.call(fd, "POST", "/v1/runs/"+id+"/approval", nil, fmt.Sprintf(`If-Match: "%d"`, int(r["version"].(float64)))); st != 200 {
		t.Fatalf("approve: %d %s", st, raw)
	}
	key := "Idempotency-Key: " + uuid.NewString()
	st, _, first, _ := e.call(a2, "POST", "/v1/runs/"+id+"/export", nil, key)
	if st != 200 {
		t.Fatalf("export: %d %s", st, first)
	}
	st, _, again, h := e.call(a2, "POST", "/v1/runs/"+id+"/export", nil, key)
	if st != 200 || h.Get("Idempotent-Replayed") != "true" || !bytes.Equal(first, again) {
		t.Fatalf("replayed export: %d replayed=%q same=%v", st, h.Get("Idempotent-Replayed"), bytes.Equal(first, again))
	}
}

// TestSuspensionAndRecoveryEvents: a suspension over next month cancels its open instalment and reissues what
// the days outside it are worth; a recovery decided becomes a receivable of the schedule; both leave a
// schedule.changed event valid against its schema, and a malformed change is refused as permanent.
func TestSuspensionAndRecoveryEvents(t *testing.T) {
	e := newEnv(t)
	const tenant = "etterbeek"
	w := newUser(tenant, "social_worker")
	p, f := e.beneficiary(tenant, w.id, "2026/000500", "Lina", "Haddad", "BE68539007547034")
	adopt := e.adopted(tenant, p, f, map[string]any{"start": firstOfMonth(civil.Today(), 0).String(), "monthly_cents": 93000})
	e.feed(adopt)
	next := firstOfMonth(civil.Today(), 1)
	e.feed(e.event(tenant, "be.cpas.decisions.decision.suspended.v1", "entraide-decisions", adopt.Subject, map[string]any{
		"decision_id": adopt.Subject, "person_id": p, "file_id": f, "kind": "ris", "suspension_id": uuid.NewString(),
		"from": next.String(), "to": next.AddDays(9).String(), "reason_code": "piis_breach", "repeated": false,
		"decided_on": civil.Today().String()}))
	var live []int64
	for _, in := range e.instalmentsOf(tenant, adopt.Subject) {
		if in.State.Status == "scheduled" && in.State.Parts[0].Period == next.String()[:7] {
			live = append(live, in.State.AmountCents)
		}
	}
	days := int64(next.DaysUntil(firstOfMonth(civil.Today(), 2)))
	want := (93000*(days-10)*2 + days) / (2 * days)
	if len(live) != 1 || live[0] != want {
		t.Fatalf("next month after the suspension: %v, want [%d]", live, want)
	}
	e.feed(e.event(tenant, "be.cpas.decisions.recovery.decided.v1", "entraide-decisions", adopt.Subject, map[string]any{
		"recovery_id": uuid.NewString(), "decision_id": adopt.Subject, "person_id": p, "file_id": f, "kind": "ris",
		"case": "false_declaration", "amount_cents": 25000, "period_from": "2026-01-01", "period_to": "2026-01-31",
		"decided_on": civil.Today().String()}))
	out := e.outbox("schedules", adopt.Subject)
	if len(out) != 3 {
		t.Fatalf("schedule events %v", types(out))
	}
	_, sch, raw, _ := e.call(newUser(tenant, "accountant"), "GET", "/v1/schedules/"+adopt.Subject, nil, purpose)
	if rc := sch["receivables"].([]any); len(rc) != 1 || rc[0].(map[string]any)["source"] != "recovery_decision" {
		t.Fatalf("schedule %s", raw)
	}
	bad := e.event(tenant, "be.cpas.decisions.decision.revised.v1", "entraide-decisions", adopt.Subject, map[string]any{
		"decision_id": adopt.Subject, "person_id": p, "file_id": f, "kind": "ris", "revision_id": uuid.NewString(),
		"from": civil.Today().String(), "monthly_cents": 1, "previous_cents": 93000, "decided_on": civil.Today().String()})
	bad.Subject = uuid.NewString() // a change of a decision the service never saw adopted
	if err := e.app.Schedules.Handle(context.Background(), bad); err == nil || !events.IsPermanent(err) {
		t.Fatalf("change of an unknown decision: %v", err)
	}
}
