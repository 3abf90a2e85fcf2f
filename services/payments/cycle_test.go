package payments_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/internal/xsdcheck"
	"github.com/entraide/entraide/services/payments/run"
	"github.com/entraide/entraide/services/payments/schedule"
)

// settings gives the tenant a debtor account (the finance director, If-Match of the seeded settings).
func (e *env) settings(fd user, pain string) {
	e.t.Helper()
	st, body, raw, _ := e.call(fd, "GET", "/v1/payment-settings", nil)
	if st != 200 {
		e.t.Fatalf("settings: %d %s", st, raw)
	}
	body["debtor_name"] = "CPAS de Saint-Gilles — Recette"
	body["debtor_iban"] = "BE21 0012 3456 7803"
	body["enterprise_number"] = "0212345678"
	body["pain_version"] = pain
	v := strconv.Itoa(int(body["version"].(float64)))
	delete(body, "version")
	if st, _, raw, _ := e.call(fd, "PUT", "/v1/payment-settings", body, `If-Match: "`+v+`"`); st != 200 {
		e.t.Fatalf("put settings: %d %s", st, raw)
	}
}

// TestPaymentCycle: decision events → schedule → run → approval (not by its creator; two at once → one) →
// export validated against the pain.001.001.09 schema → the same bytes again; replaying the events issues
// nothing; payments whose account is invalid or changed are held back and the run goes on; a crash after the
// file and before the run is marked exported gives the same file; tenant isolation; the social worker reads the
// status of their files only.
func TestPaymentCycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const tenant = "saint-gilles"
	w1, w2 := newUser(tenant, "social_worker"), newUser(tenant, "social_worker")
	acc := newUser(tenant, "accountant")
	fd1, fd2, fd3 := newUser(tenant, "finance_director"), newUser(tenant, "finance_director"), newUser(tenant, "finance_director")
	other := newUser("ixelles", "accountant")
	today := civil.Today()
	e.settings(fd1, "pain.001.001.09")

	// A late RIS decision: from the 15th two months ago, decided today.
	pA, fA := e.beneficiary(tenant, w1.id, "2026/000101", "Amélie", "Dubois", "BE68539007547034")
	start := firstOfMonth(today, -2).AddDays(14)
	adoptA := e.adopted(tenant, pA, fA, map[string]any{"start": start.String(), "first_month_cents": 74000})
	// A one-off energy aid paid to the supplier with its structured communication... (the decision event has no
	// communication field yet: the reference goes unstructured).
	adoptB := e.adopted(tenant, pA, fA, map[string]any{"kind": "aide_sociale", "subtype": "energy", "category": nil,
		"monthly_cents": 0, "one_off_cents": 45000, "periodicity": "once",
		"payee": map[string]any{"kind": "third_party", "name": "Électrabel Customer Solutions", "iban": "BE05068123456775"}})
	// Two more beneficiaries: one whose account will change after the run, one whose account is bad at export.
	pC, fC := e.beneficiary(tenant, w2.id, "2026/000102", "Jan", "Peeters", "BE68539007547034")
	adoptC := e.adopted(tenant, pC, fC, map[string]any{"start": firstOfMonth(today, 0).String()})
	pD, fD := e.beneficiary(tenant, w2.id, "2026/000103", "Zoë", "Lambert", "BE21001234567803")
	adoptD := e.adopted(tenant, pD, fD, map[string]any{"start": firstOfMonth(today, 0).String(), "monthly_cents": 87613})
	// No account known: left out of the run.
	pE, fE := e.beneficiary(tenant, w2.id, "2026/000104", "Eva", "Noaccount", "")
	adoptE := e.adopted(tenant, pE, fE, map[string]any{"start": firstOfMonth(today, 0).String()})
	e.feed(adoptA, adoptB, adoptC, adoptD, adoptE)

	// Schedule A: the arrears of the two past months in one instalment, this month, next month.
	insA := e.instalmentsOf(tenant, adoptA.Subject)
	if len(insA) != 3 {
		t.Fatalf("decision A: %d instalments", len(insA))
	}
	slices.SortFunc(insA, func(a, b store.Versioned[schedule.Instalment]) int {
		return strings.Compare(a.State.Parts[0].Period, b.State.Parts[0].Period)
	})
	if in := insA[0].State; in.Label != schedule.LabelArrears || in.AmountCents != 74000+131420 || len(in.Parts) != 2 || in.DueOn != today {
		t.Fatalf("arrears %+v", in)
	}
	if in := insA[2].State; in.DueOn != firstOfMonth(today, 1) || in.AmountCents != 131420 {
		t.Fatalf("next month %+v", in)
	}

	t.Run("replaying every event creates nothing new", func(t *testing.T) {
		e.feed(adoptA, adoptB, adoptC, adoptD, adoptE)
		for _, ev := range []string{adoptA.Subject, adoptB.Subject, adoptC.Subject} {
			if err := e.app.Schedules.Reconcile(ctx, tenant, ev); err != nil {
				t.Fatal(err)
			}
		}
		e.app.Schedules.ReconcileAll(ctx)
		n, _ := e.db.Collection(schedule.CollInstalments).CountDocuments(ctx, bson.D{{Key: "tenant", Value: tenant}})
		if n != 3+1+2+2+2 {
			t.Fatalf("%d instalments after the replay", n)
		}
		// The same event with a new id (a republication by the producer) is absorbed too.
		again := adoptA
		again.ID = uuid.NewString()
		e.feed(again)
		if got := len(e.instalmentsOf(tenant, adoptA.Subject)); got != 3 {
			t.Fatalf("%d instalments after a republication", got)
		}
		if out := e.outbox(schedule.CollSchedules, adoptA.Subject); len(out) != 1 || out[0].Type != schedule.TypeScheduleCreated {
			t.Fatalf("schedule events %v", types(out))
		}
	})

	t.Run("due list with totals, filters and purpose", func(t *testing.T) {
		st, body, raw, _ := e.call(acc, "GET", "/v1/instalments?due_by="+today.String()+"&page_size=2", nil, purpose)
		if st != 200 {
			t.Fatalf("%d %s", st, raw)
		}
		// Due today: A arrears, A this month, B one-off, C, D, E this month.
		if body["total_count"].(float64) != 6 || len(items(body)) != 2 {
			t.Fatalf("due list %s", raw)
		}
		st, body, _, _ = e.call(acc, "GET", "/v1/instalments?kind=aide_sociale&status=all", nil, purpose)
		if st != 200 || body["total_count"].(float64) != 1 || body["total_cents"].(float64) != 45000 {
			t.Fatalf("one-off: %v", body)
		}
		it := items(body)[0]
		if it["payee_name"] != "Électrabel Customer Solutions" || it["payee_iban"] != "BE05068123456775" || it["budget_article"] != "8440/333-01" {
			t.Fatalf("one-off %v", it)
		}
		st, body, _, _ = e.call(acc, "GET", "/v1/instalments?file_number=2026/000102", nil, purpose)
		if st != 200 || body["total_count"].(float64) != 2 || items(body)[0]["payee_name"] != "Jan Peeters" {
			t.Fatalf("by file number: %v", body)
		}
		if st, _, _, _ := e.call(acc, "GET", "/v1/instalments", nil); st != 422 {
			t.Fatalf("without purpose: %d", st)
		}
		if st, _, _, _ := e.call(w1, "GET", "/v1/instalments", nil, purpose); st != 403 {
			t.Fatalf("social worker: %d", st)
		}
		if st, body, _, _ := e.call(other, "GET", "/v1/instalments?status=all", nil, purpose); st != 200 || body["total_count"].(float64) != 0 {
			t.Fatalf("other tenant: %d %v", st, body)
		}
	})

	// The run for today: A ×2, B, C, D; E skipped (no account).
	key := "Idempotency-Key: " + uuid.NewString()
	st, body, raw, _ := e.call(acc, "POST", "/v1/runs", map[string]any{"execution_date": today.String()}, key)
	if st != 201 {
		t.Fatalf("create run: %d %s", st, raw)
	}
	runID := body["id"].(string)
	wantTotal := float64(74000 + 131420 + 131420 + 45000 + 131420 + 87613)
	if body["count"].(float64) != 5 || body["total_cents"].(float64) != wantTotal || body["skipped"].(float64) != 1 || body["status"] != "draft" {
		t.Fatalf("run %s", raw)
	}
	if st, again, _, h := e.call(acc, "POST", "/v1/runs", map[string]any{"execution_date": today.String()}, key); st != 201 ||
		again["id"] != runID || h.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retried creation: %d %v", st, again)
	}
	t.Run("a payment is in at most one live run", func(t *testing.T) {
		st, body, _, _ := e.call(acc, "POST", "/v1/runs", map[string]any{"execution_date": today.String()}, "Idempotency-Key: "+uuid.NewString())
		if st != 422 || !strings.Contains(string(mustJSON(body)), "payments.nothing_due") {
			t.Fatalf("second run: %d %v", st, body)
		}
	})

	t.Run("the creator cannot approve; two approvals at once give one", func(t *testing.T) {
		// fd1 builds a run of its own (next month's instalments) and cannot approve it.
		st, own, raw, _ := e.call(fd1, "POST", "/v1/runs", map[string]any{"execution_date": firstOfMonth(today, 1).String()})
		if st != 201 {
			t.Fatalf("fd1 run: %d %s", st, raw)
		}
		st, body, _, _ := e.call(fd1, "POST", "/v1/runs/"+own["id"].(string)+"/approval", nil, `If-Match: "`+strconv.Itoa(int(own["version"].(float64)))+`"`)
		if st != 403 || body["code"] != "payments.creator_cannot_approve" {
			t.Fatalf("creator approval: %d %v", st, body)
		}
		if st, _, _, _ := e.call(acc, "POST", "/v1/runs/"+runID+"/approval", nil, `If-Match: "2"`); st != 403 {
			t.Fatalf("accountant approval: %d", st)
		}
		// Cancelling fd1's draft gives its payments back.
		if st, body, raw, _ := e.call(acc, "POST", "/v1/runs/"+own["id"].(string)+"/cancellation", nil, `If-Match: "`+strconv.Itoa(int(own["version"].(float64)))+`"`); st != 200 || body["status"] != "cancelled" {
			t.Fatalf("cancel: %d %s", st, raw)
		}
		if _, body, _, _ := e.call(acc, "GET", "/v1/instalments?due_by="+firstOfMonth(today, 1).String(), nil, purpose); body["total_count"].(float64) != 5 {
			t.Fatalf("released: %v", body["total_count"])
		}

		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, fd := range []user{fd2, fd3} {
			wg.Go(func() {
				codes[i], _, _, _ = e.call(fd, "POST", "/v1/runs/"+runID+"/approval", nil, `If-Match: "2"`, "Idempotency-Key: "+uuid.NewString())
			})
		}
		wg.Wait()
		slices.Sort(codes)
		if codes[0] != 200 || (codes[1] != 412 && codes[1] != 409) {
			t.Fatalf("approvals: %v", codes)
		}
		out := e.outbox(run.CollRuns, runID)
		if !slices.Equal(types(out), []string{run.TypeRunApproved}) {
			t.Fatalf("run events %v", types(out))
		}
		// Approved: cannot be cancelled any more.
		if st, body, _, _ := e.call(acc, "POST", "/v1/runs/"+runID+"/cancellation", nil, `If-Match: "3"`); st != 409 || body["code"] != "payments.run_not_draft" {
			t.Fatalf("cancel approved: %d %v", st, body)
		}
	})

	// After approval: C's account changes, and D's stored account is corrupt: both are held back at export.
	e.account(tenant, pC, "Jan Peeters", "BE05068123456775", "BE68539007547034")
	var dIn string
	for _, in := range e.instalmentsOf(tenant, adoptD.Subject) {
		if in.State.RunID == runID {
			dIn = in.ID
		}
	}
	if _, err := e.db.Collection(schedule.CollInstalments).UpdateOne(ctx, bson.D{{Key: "_id", Value: dIn}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "creditor.iban", Value: "BE21001234567804"}}}}); err != nil {
		t.Fatal(err)
	}

	var file []byte
	t.Run("export: valid pain.001.001.09, same bytes again, held payments back in the due list", func(t *testing.T) {
		st, _, raw, h := e.call(acc, "POST", "/v1/runs/"+runID+"/export", nil, "Idempotency-Key: "+uuid.NewString())
		if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/xml") {
			t.Fatalf("export: %d %s", st, raw)
		}
		file = raw
		xsdcheck.Validate(t, "pain.001.001.09", file)
		doc := string(file)
		for _, want := range []string{"<NbOfTxs>3</NbOfTxs>", "<CtrlSum>" + cents(74000+131420+131420+45000) + "</CtrlSum>",
			"<MsgId>MSG-P", "<PmtInfId>PMT-P", "Electrabel Customer Solutions", "Amelie Dubois", "RIS " + insA[0].State.Parts[0].Period} {
			if !strings.Contains(doc, want) {
				t.Errorf("file lacks %q", want)
			}
		}
		if strings.Contains(doc, "Peeters") || strings.Contains(doc, "Lambert") {
			t.Error("held payments are in the file")
		}
		st, _, again, _ := e.call(fd2, "POST", "/v1/runs/"+runID+"/export", nil, "Idempotency-Key: "+uuid.NewString())
		if st != 200 || !bytes.Equal(again, file) {
			t.Fatalf("second export differs (%d)", st)
		}
		st, _, dl, _ := e.call(fd2, "GET", "/v1/runs/"+runID+"/file", nil, purpose)
		if st != 200 || !bytes.Equal(dl, file) {
			t.Fatalf("download differs (%d)", st)
		}
		_, r, _, _ := e.call(acc, "GET", "/v1/runs/"+runID, nil)
		exp := r["export"].(map[string]any)
		if r["status"] != "exported" || r["settled"] != true || exp["count"].(float64) != 3 || len(exp["held"].([]any)) != 2 {
			t.Fatalf("run after export %v", r)
		}
		reasons := map[string]bool{}
		for _, x := range exp["held"].([]any) {
			reasons[x.(map[string]any)["reason"].(string)] = true
		}
		if !reasons["account_changed"] || !reasons["iban_invalid"] {
			t.Fatalf("held %v", exp["held"])
		}
		out := e.outbox(run.CollRuns, runID)
		if !slices.Equal(types(out), []string{run.TypeRunApproved, run.TypeRunExported}) {
			t.Fatalf("run events %v", types(out))
		}
		// The held payments are due again, with their reason; the others are exported.
		_, body, _, _ := e.call(acc, "GET", "/v1/instalments?file_number=2026/000102&due_by="+today.String(), nil, purpose)
		if body["total_count"].(float64) != 1 || items(body)[0]["hold_reason"] != "account_changed" || items(body)[0]["run_id"] != nil {
			t.Fatalf("held C %v", body)
		}
		for _, in := range e.instalmentsOf(tenant, adoptA.Subject)[:2] {
			if in.State.Status != schedule.StatusExported || !strings.HasPrefix(in.State.EndToEndID, "E2E-P") {
				t.Fatalf("A %+v", in.State)
			}
		}
	})

	t.Run("a crash after the file and before the run is marked exported gives the same file", func(t *testing.T) {
		// The held payment of C (new account now) goes into a new run with a new EndToEndId.
		st, body, raw, _ := e.call(acc, "POST", "/v1/runs", map[string]any{"execution_date": today.String(), "kinds": []string{"ris"}})
		if st != 201 || body["count"].(float64) != 2 {
			t.Fatalf("second run: %d %s", st, raw)
		}
		id := body["id"].(string)
		if st, _, raw, _ := e.call(fd2, "POST", "/v1/runs/"+id+"/approval", nil, `If-Match: "2"`); st != 200 {
			t.Fatalf("approve: %d %s", st, raw)
		}
		// The export writes its file, then "crashes" before recording it.
		a := actorOf(acc)
		rec, err := e.app.Runs.Prepare(ctx, a, id)
		if err != nil {
			t.Fatal(err)
		}
		var first bytes.Buffer
		if _, _, err := e.app.Runs.Write(ctx, tenant, rec, &first); err != nil {
			t.Fatal(err)
		}
		_, r, _, _ := e.call(acc, "GET", "/v1/runs/"+id, nil)
		if r["status"] != "approved" {
			t.Fatalf("status %v", r["status"])
		}
		st, _, file2, _ := e.call(acc, "POST", "/v1/runs/"+id+"/export", nil)
		if st != 200 || !bytes.Equal(file2, first.Bytes()) {
			t.Fatalf("export after the crash differs (%d)", st)
		}
		xsdcheck.Validate(t, "pain.001.001.09", file2)
		for _, in := range e.instalmentsOf(tenant, adoptC.Subject) {
			if in.State.RunID == id && (len(in.State.Attempts) != 2 || in.State.Attempts[0].EndToEndID == in.State.EndToEndID) {
				t.Fatalf("C attempts %+v", in.State.Attempts)
			}
		}
		if bytes.Contains(file2, []byte(firstE2E(file))) {
			t.Fatal("an EndToEndId was reused")
		}
	})

	t.Run("tenant isolation", func(t *testing.T) {
		for _, path := range []string{"/v1/runs/" + runID, "/v1/schedules/" + adoptA.Subject, "/v1/files/" + fA + "/payments"} {
			if st, _, _, _ := e.call(other, "GET", path, nil, purpose); st != 404 {
				t.Errorf("%s from another tenant: %d", path, st)
			}
		}
		if st, _, _, _ := e.call(newUser("ixelles", "finance_director"), "POST", "/v1/runs/"+runID+"/export", nil); st != 404 {
			t.Errorf("export from another tenant: %d", st)
		}
		if _, body, _, _ := e.call(other, "GET", "/v1/runs", nil); len(items(body)) != 0 {
			t.Errorf("runs of another tenant listed")
		}
	})

	t.Run("social workers read the payment status of their files only", func(t *testing.T) {
		st, body, raw, _ := e.call(w1, "GET", "/v1/files/"+fA+"/payments", nil, "X-Purpose: case_follow_up")
		if st != 200 || len(items(body)) != 4 || strings.Contains(string(raw), "BE68") {
			t.Fatalf("own file: %d %s", st, raw)
		}
		if st, _, _, _ := e.call(w2, "GET", "/v1/files/"+fA+"/payments", nil, "X-Purpose: case_follow_up"); st != 404 {
			t.Fatalf("another worker's file: %d", st)
		}
		if st, _, _, _ := e.call(w1, "GET", "/v1/runs", nil); st != 403 {
			t.Fatalf("worker on runs: %d", st)
		}
		_ = fD
	})

	t.Run("termination stops future instalments; a revision of paid months is a receivable", func(t *testing.T) {
		// A ends at the end of this month: next month's instalment (scheduled) is cancelled.
		end := firstOfMonth(today, 1).AddDays(-1)
		e.feed(e.event(tenant, schedule.TypeDecisionTerminated, "entraide-decisions", adoptA.Subject, map[string]any{
			"decision_id": adoptA.Subject, "person_id": pA, "file_id": fA, "kind": "ris", "ending": "termination", "end": end.String(),
			"reason_code": "resources_sufficient", "decided_on": today.String()}))
		var live int
		for _, in := range e.instalmentsOf(tenant, adoptA.Subject) {
			if in.State.Status != schedule.StatusCancelled {
				live++
			}
		}
		if live != 2 {
			t.Fatalf("%d live instalments after termination", live)
		}
		// A revision down from the start: the months exported are now overpaid → one receivable.
		e.feed(e.event(tenant, schedule.TypeDecisionRevised, "entraide-decisions", adoptA.Subject, map[string]any{
			"decision_id": adoptA.Subject, "person_id": pA, "file_id": fA, "kind": "ris", "revision_id": uuid.NewString(),
			"from": firstOfMonth(today, 0).String(), "monthly_cents": 100000, "previous_cents": 131420, "decided_on": today.String()}))
		_, sch, raw, _ := e.call(acc, "GET", "/v1/schedules/"+adoptA.Subject, nil, purpose)
		recv := sch["receivables"].([]any)
		if len(recv) != 1 || recv[0].(map[string]any)["amount_cents"].(float64) != 31420 {
			t.Fatalf("receivables %s", raw)
		}
		out := e.outbox(schedule.CollSchedules, adoptA.Subject)
		if !slices.Equal(types(out), []string{schedule.TypeScheduleCreated, schedule.TypeScheduleChanged, schedule.TypeScheduleChanged, schedule.TypeScheduleChanged}) {
			t.Fatalf("schedule events %v", types(out))
		}
	})
}

func actorOf(u user) kit.Actor {
	return kit.Actor{UserID: u.id, Tenant: u.tenant, Roles: []string{u.role}}
}

func cents(c int64) string {
	s := strconv.FormatInt(c, 10)
	return s[:len(s)-2] + "." + s[len(s)-2:]
}

func firstE2E(doc []byte) string {
	s := string(doc)
	i := strings.Index(s, "<EndToEndId>")
	j := strings.Index(s, "</EndToEndId>")
	return s[i+len("<EndToEndId>") : j]
}

func mustJSON(v any) []byte {
	raw, _ := json.Marshal(v)
	return raw
}
