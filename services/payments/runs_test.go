package payments_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/civil"
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
