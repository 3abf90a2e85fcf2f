package payments_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments"
	"github.com/entraide/entraide/services/payments/schedule"
)

// TestReissuePaths walks the reissue paths the other tests leave aside, on two monthly aids of one tenant paid to
// the same supplier and both returned by the bank (AC04):
//   - a user of another tenant, with the right version and the option for the decision, gets 404 on the read and
//     the reissue, and nothing changes (instalment, schedule, audit of a correction);
//   - the same reissue clicked twice at once without an Idempotency-Key (same If-Match): one reissue, the other
//     request refused;
//   - the reissue "for the decision's later payments too" whose planning fails right after the instalment is
//     written (the process dies): a fresh App on the same database and its hourly planning bring the correction
//     to the decision's scheduled payments, once, and a second planning changes nothing.
func TestReissuePaths(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const tenant = "forest"
	w, acc, fd := newUser(tenant, "social_worker"), newUser(tenant, "accountant"), newUser(tenant, "finance_director")
	e.settings(fd, "pain.001.001.09")
	today := civil.Today()
	const oldIBAN, newIBAN = "BE62310012345661", "BE02363098765440"
	terms := map[string]any{"kind": "aide_sociale", "subtype": "energy", "category": nil, "monthly_cents": 6500,
		"start": firstOfMonth(today, 0).String(), "payee": map[string]any{"kind": "third_party", "name": "Energie Bruxelles SA", "iban": oldIBAN}}
	p1, f1 := e.beneficiary(tenant, w.id, "2026/000950", "Nadia", "Haddad", "BE68539007547034")
	p2, f2 := e.beneficiary(tenant, w.id, "2026/000951", "Pieter", "Claes", "BE56731045678988")
	adopted1, adopted2 := e.adopted(tenant, p1, f1, terms), e.adopted(tenant, p2, f2, terms)
	e.feed(adopted1, adopted2)
	d1, d2 := adopted1.Subject, adopted2.Subject

	run1, _ := e.exportRun(acc, fd, 2)
	_, pays, raw, _ := e.call(acc, "GET", "/v1/runs/"+run1+"/payments", nil, purpose)
	paid := map[string]map[string]any{}
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
	s1 := stmt(801, 5000000, []stmtTx{tx(e2e1), tx(e2e2)}, []int64{6500, 6500}, tx(e2e1))
	if st, rep, raw := e.upload(acc, s1.camt(t, "v08"), "application/xml"); st != 201 || counts(rep)["returned"] != 1 {
		t.Fatalf("statement 801: %d %s", st, raw)
	}
	s2 := stmt(802, s1.ClosingCents, nil, nil, tx(e2e2))
	if st, rep, raw := e.upload(acc, s2.camt(t, "v08"), "application/xml"); st != 201 || counts(rep)["returned"] != 1 {
		t.Fatalf("statement 802: %d %s", st, raw)
	}
	corrected := map[string]any{"name": "Energie Bruxelles SA", "iban": newIBAN, "apply_to_decision": true}
	next := schedule.MonthKey(firstOfMonth(today, 1))
	// nextPayee is the IBAN of the decision's scheduled payment of next month.
	nextPayee := func(decision string) string {
		t.Helper()
		for _, in := range e.instalmentsOf(tenant, decision) {
			if in.State.Status == schedule.StatusScheduled && in.State.Parts[0].Period == next {
				return in.State.Payee.IBAN
			}
		}
		t.Fatalf("no scheduled payment of %s for %s", next, decision)
		return ""
	}
	corrections := func(decision string) []schedule.PayeeCorrection {
		t.Helper()
		sc, err := e.app.Schedules.Repo.Schedules.Load(ctx, tenant, decision)
		if err != nil {
			t.Fatal(err)
		}
		return sc.State.PayeeCorrections
	}
	auditCount := func(action, id string) int64 {
		t.Helper()
		n, err := e.db.Collection(audit.CollectionName).CountDocuments(ctx, bson.D{{Key: "action", Value: action}, {Key: "resource_id", Value: id}})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("another tenant's user, with the right version: 404 and nothing changes", func(t *testing.T) {
		before, _ := e.app.Schedules.Repo.Instalments.Load(ctx, tenant, id1)
		other := newUser("schaerbeek", "accountant")
		if st, _, raw, _ := e.call(other, "GET", "/v1/instalments/"+id1, nil, purpose); st != 404 {
			t.Fatalf("other tenant's read: %d %s", st, raw)
		}
		ifMatch := fmt.Sprintf(`If-Match: "%d"`, before.Version)
		if st, _, raw, _ := e.call(other, "POST", "/v1/instalments/"+id1+"/reissue", corrected, ifMatch); st != 404 {
			t.Fatalf("other tenant's reissue: %d %s", st, raw)
		}
		if st, _, raw, _ := e.call(other, "POST", "/v1/instalments/"+id1+"/reissue", corrected, ifMatch,
			"Idempotency-Key: cross-tenant-1"); st != 404 {
			t.Fatalf("other tenant's reissue with a key: %d %s", st, raw)
		}
		after, _ := e.app.Schedules.Repo.Instalments.Load(ctx, tenant, id1)
		if after.Version != before.Version || after.State.Status != schedule.StatusReturned || len(after.State.Reissues) != 0 ||
			after.State.Payee.IBAN != oldIBAN {
			t.Fatalf("the other tenant's request changed the payment: %+v", after.State)
		}
		if len(corrections(d1)) != 0 || nextPayee(d1) != oldIBAN || auditCount("schedule.payee_correct", d1) != 0 {
			t.Fatalf("the other tenant's request changed the schedule")
		}
		// The owner's read still works at the same version (its key was not taken by the other tenant's request).
		if st, det, raw, _ := e.call(acc, "GET", "/v1/instalments/"+id1, nil, purpose); st != 200 || ver(det) != fmt.Sprint(before.Version) {
			t.Fatalf("owner's read: %d %s", st, raw)
		}
	})

	t.Run("the same reissue clicked twice at once without a key: one reissue", func(t *testing.T) {
		_, det, _, _ := e.call(acc, "GET", "/v1/instalments/"+id2, nil, purpose)
		ifMatch := `If-Match: "` + ver(det) + `"`
		body := map[string]any{"name": "Energie Bruxelles SA", "iban": newIBAN}
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i := range codes {
			wg.Go(func() { codes[i], _, _, _ = e.call(acc, "POST", "/v1/instalments/"+id2+"/reissue", body, ifMatch) })
		}
		wg.Wait()
		slices.Sort(codes)
		if codes[0] != 200 || (codes[1] != 412 && codes[1] != 409) {
			t.Fatalf("two clicks: %v", codes)
		}
		// A third click, later, with the same stale version.
		if st, _, _, _ := e.call(acc, "POST", "/v1/instalments/"+id2+"/reissue", body, ifMatch); st != 412 {
			t.Fatalf("third click: %d", st)
		}
		got, _ := e.app.Schedules.Repo.Instalments.Load(ctx, tenant, id2)
		if len(got.State.Reissues) != 1 || got.State.Status != schedule.StatusScheduled || got.State.Payee.IBAN != newIBAN {
			t.Fatalf("after two clicks: %+v", got.State)
		}
		// Without the option the decision's other payments keep the supplier's old account.
		if nextPayee(d2) != oldIBAN || len(corrections(d2)) != 0 {
			t.Fatal("a reissue without the option corrected the decision")
		}
	})

	t.Run("the planning after the reissue fails: a restarted App's hourly planning applies the correction once", func(t *testing.T) {
		live := e.app.Schedules
		// The reissue writes the instalment, then its planning fails (the schedules are out of its reach, as when
		// the process dies or the database drops between the two writes).
		broken := &schedule.Service{Repo: &schedule.Repository{Instalments: live.Repo.Instalments,
			Schedules: store.NewRepository[schedule.Schedule](e.db.Collection("schedules_unreachable"), nil)},
			Proj: live.Proj, Articles: live.Articles, Audit: live.Audit}
		cur, _ := live.Repo.Instalments.Load(ctx, tenant, id1)
		if _, err := broken.ReissueReturned(ctx, actorOf(acc), id1, cur.Version, schedule.ReissueInput{Name: "Energie Bruxelles SA",
			IBAN: newIBAN, ApplyToDecision: true}); err != nil {
			t.Fatalf("reissue: %v", err)
		}
		got, _ := live.Repo.Instalments.Load(ctx, tenant, id1)
		if len(got.State.Reissues) != 1 || !got.State.Reissues[0].ApplyToDecision || got.State.Payee.IBAN != newIBAN {
			t.Fatalf("reissued payment %+v", got.State)
		}
		if len(corrections(d1)) != 0 || nextPayee(d1) != oldIBAN {
			t.Fatal("the correction reached the schedule although its planning failed")
		}

		// A fresh App on the same database: its hourly planning.
		cfg := payments.LoadConfig(config.FromMap(map[string]string{"MONGO_DATABASE": e.db.Name()}))
		app2, err := payments.NewAppOnDB(ctx, cfg, slog.New(slog.DiscardHandler), e.db, authn.NewStaticKeys())
		if err != nil {
			t.Fatal(err)
		}
		app2.Schedules.ReconcileAll(ctx)
		cs := corrections(d1)
		if len(cs) != 1 || cs[0].IBAN != newIBAN || cs[0].InstalmentID != id1 || cs[0].EndToEndID != e2e1 || !slices.Equal(cs[0].Replaces, []string{oldIBAN}) {
			t.Fatalf("corrections after the restart: %+v", cs)
		}
		if nextPayee(d1) != newIBAN {
			t.Fatalf("next month after the restart: %s", nextPayee(d1))
		}
		// Once: another planning (and the old process's, were it still alive) adds nothing.
		before, _ := live.Repo.Schedules.Load(ctx, tenant, d1)
		app2.Schedules.ReconcileAll(ctx)
		if err := live.Reconcile(ctx, tenant, d1); err != nil {
			t.Fatal(err)
		}
		after, _ := live.Repo.Schedules.Load(ctx, tenant, d1)
		if len(after.State.PayeeCorrections) != 1 || after.Version != before.Version {
			t.Fatalf("a second planning changed the schedule: %d corrections, version %d → %d", len(after.State.PayeeCorrections),
				before.Version, after.Version)
		}
		var live1 int
		for _, in := range e.instalmentsOf(tenant, d1) {
			if in.State.Status == schedule.StatusScheduled && in.State.Parts[0].Period == next {
				live1++
			}
		}
		if live1 != 1 {
			t.Fatalf("%d scheduled payments of next month", live1)
		}
		// The other decision, reissued without the option, is untouched by the restart.
		if nextPayee(d2) != oldIBAN || len(corrections(d2)) != 0 {
			t.Fatal("the restart corrected the other decision")
		}
	})
}
