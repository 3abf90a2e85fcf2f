package payments_test

import (
	"context"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/services/payments/projection"
	"github.com/entraide/entraide/services/payments/receivable"
	"github.com/entraide/entraide/services/payments/schedule"
)

// person projects a person with a NISS and a residence status, an account and a file assigned to worker, for
// the payments' projection and the subsidy both; returns person and file ids.
func (e *env) person(tenant, worker, number, given, family, niss, residence, account string) (string, string) {
	p, f := uuid.NewString(), uuid.NewString()
	var nissValue any = niss
	if niss == "" {
		nissValue = nil
	}
	evs := []events.Event{e.event(tenant, projection.TypePersonRegistered, "entraide-beneficiaries", p, map[string]any{"person_id": p, "niss": nissValue,
		"family_name": family, "given_names": given, "birth_date": "1985-07-14", "sex": "female", "nationality": "BE",
		"residence_status": residence, "language": "fr", "address": map[string]any{"street": "Rue Haute", "number": "3", "postcode": 1000,
			"municipality": "Bruxelles"}})}
	if account != "" {
		evs = append(evs, e.event(tenant, projection.TypeBankAccount, "entraide-beneficiaries", p, map[string]any{"person_id": p,
			"account_id": uuid.NewString(), "holder": given + " " + family, "old_iban": nil, "new_iban": account, "payee_name": given + " " + family,
			"effective_at": time.Now().UTC().Format(time.RFC3339Nano)}))
	}
	evs = append(evs, e.event(tenant, projection.TypeFileOpened, "entraide-beneficiaries", f, map[string]any{"file_id": f, "number": number,
		"person_id": p, "assignee": worker, "opened_on": "2026-01-05", "origin": "manual"}))
	e.feedAll(evs...)
	return p, f
}

// feedAll applies events through every consumer of the service: projection or schedules, the subsidy, and the
// receivables for what the schedules then leave in their outbox.
func (e *env) feedAll(evs ...events.Event) {
	e.t.Helper()
	ctx := context.Background()
	for _, ev := range evs {
		e.feed(ev)
		if err := e.app.Subsidy.Handle(ctx, ev); err != nil {
			e.t.Fatalf("subsidy %s: %v", ev.Type, err)
		}
		if strings.HasPrefix(ev.Type, "be.cpas.decisions.") {
			for _, out := range e.outbox(schedule.CollSchedules, ev.Subject) {
				if err := e.app.Receivables.Handle(ctx, out.Event()); err != nil {
					e.t.Fatalf("receivables %s: %v", out.Type, err)
				}
			}
		}
	}
}

func (e *env) match(tenant string, c receivable.Credit) bool {
	e.t.Helper()
	ok, err := e.app.Receivables.MatchIncoming(context.Background(), tenant, c)
	if err != nil {
		e.t.Fatal(err)
	}
	return ok
}

func num(m map[string]any, k string) int64 { v, _ := m[k].(float64); return int64(v) }

func version(m map[string]any) string {
	return `If-Match: "` + strconv.FormatInt(num(m, "version"), 10) + `"`
}

// TestRecoveriesLedgerSubsidy: a recovery decided becomes a receivable with its own valid OGM; incoming credits
// settle it by OGM (partially), by IBAN and the plan's instalment, by IBAN and the balance — never an amount that
// fits nothing, never the same line twice; an overpayment after a revision of a paid month becomes a receivable,
// waived by the finance director only; the ledgers agree with the run and a return; the journal, the subsidy's
// B/C/D/claim data sets (JSON and CSV) with the share of each case; a social worker's view; tenant isolation.
func TestRecoveriesLedgerSubsidy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const tenant = "schaerbeek"
	w, w2 := newUser(tenant, "social_worker"), newUser(tenant, "social_worker")
	acc, fd := newUser(tenant, "accountant"), newUser(tenant, "finance_director")
	other := newUser("uccle", "finance_director")
	today := civil.Today()
	month := schedule.MonthKey(today)
	e.settings(fd, "pain.001.001.09")
	// The CPAS is in the 65% band.
	_, st, _, _ := e.call(fd, "GET", "/v1/payment-settings", nil)
	st["subsidy_band"] = 65
	v := version(st)
	delete(st, "version")
	if code, _, raw, _ := e.call(fd, "PUT", "/v1/payment-settings", st, v); code != 200 {
		t.Fatalf("band: %d %s", code, raw)
	}

	pA, fA := e.person(tenant, w.id, "2026/000201", "Amélie", "Dubois", "85071412330", "belgian", "BE68539007547034")
	pB, fB := e.person(tenant, w.id, "2026/000202", "Jan", "Peeters", "03022824093", "belgian", "BE21001234567803")
	pC, fC := e.person(tenant, w.id, "2026/000203", "Olga", "Ivanova", "90450100140", "foreigners_register", "BE05068123456775")
	pD, fD := e.person(tenant, w.id, "2026/000204", "Refus", "Test", "85071412330", "belgian", "")
	pE, fE := e.person(tenant, w.id, "2026/000205", "Retrait", "Test", "", "belgian", "")
	adoptA := e.adopted(tenant, pA, fA, map[string]any{"start": firstOfMonth(today, -1).String(), "piis": true})
	adoptB := e.adopted(tenant, pB, fB, map[string]any{"start": firstOfMonth(today, 0).String()})
	adoptC := e.adopted(tenant, pC, fC, map[string]any{"start": firstOfMonth(today, 1).String()})
	adoptD := e.adopted(tenant, pD, fD, map[string]any{"outcome": "refused", "monthly_cents": 0, "start": nil})
	adoptE := e.adopted(tenant, pE, fE, map[string]any{"start": firstOfMonth(today, 1).String()})
	e.feedAll(adoptA, adoptB, adoptC, adoptD, adoptE)
	e.feedAll(e.event(tenant, schedule.TypeDecisionTerminated, "entraide-decisions", adoptE.Subject, map[string]any{
		"decision_id": adoptE.Subject, "person_id": pE, "file_id": fE, "kind": "ris", "ending": "withdrawal",
		"end": firstOfMonth(today, 1).String(), "reason_code": "other", "decided_on": today.String()}))

	// The month's run: A (last month and this month), B (this month); exported.
	code, run, raw, _ := e.call(acc, "POST", "/v1/runs", map[string]any{"execution_date": today.String(), "kinds": []string{"ris"}})
	if code != 201 || num(run, "count") != 3 {
		t.Fatalf("run: %d %s", code, raw)
	}
	runID := run["id"].(string)
	if code, _, raw, _ := e.call(fd, "POST", "/v1/runs/"+runID+"/approval", nil, `If-Match: "2"`); code != 200 {
		t.Fatalf("approve: %d %s", code, raw)
	}
	if code, _, raw, _ := e.call(acc, "POST", "/v1/runs/"+runID+"/export", nil); code != 200 {
		t.Fatalf("export: %d %.300s", code, raw)
	}
	e.app.Runs.Housekeep(ctx)
	runTotal := num(run, "total_cents")

	// A recovery decided on A (art. 24).
	recoveryID := uuid.NewString()
	e.feedAll(e.event(tenant, schedule.TypeRecoveryDecided, "entraide-decisions", adoptA.Subject, map[string]any{
		"recovery_id": recoveryID, "decision_id": adoptA.Subject, "person_id": pA, "file_id": fA, "kind": "ris",
		"case": "false_declaration", "amount_cents": 25000, "period_from": firstOfMonth(today, -1).String(),
		"period_to": firstOfMonth(today, 0).AddDays(-1).String(), "decided_on": today.String()}))
	var code12 string

	t.Run("a recovery decided is a receivable with its own OGM, created once", func(t *testing.T) {
		e.feedAll() // nothing
		if err := e.app.Receivables.Sync(ctx, tenant, adoptA.Subject); err != nil {
			t.Fatal(err)
		}
		code, body, raw, _ := e.call(acc, "GET", "/v1/receivables?status=open", nil, purpose)
		if code != 200 || num(body, "total_count") != 1 || num(body, "balance_cents") != 25000 {
			t.Fatalf("receivables: %d %s", code, raw)
		}
		it := items(body)[0]
		c, err := ogm.Parse(it["ogm"].(string))
		if err != nil || it["ogm_display"] != c.Format() || it["id"] != recoveryID || it["source"] != "recovery_decision" ||
			it["file_number"] != "2026/000201" || it["person_name"] != "Amélie Dubois" {
			t.Fatalf("receivable %v (%v)", it, err)
		}
		code12 = c.Format()
		out := e.outbox(receivable.CollReceivables, recoveryID)
		if len(out) != 1 || out[0].Type != receivable.TypeCreated {
			t.Fatalf("events %v", types(out))
		}
	})

	t.Run("incoming credits: by OGM, by IBAN and amount, never forced", func(t *testing.T) {
		if !e.match(tenant, receivable.Credit{StatementLineID: "S1-5", AmountCents: 10000, OGM: code12, DebtorIBAN: "BE11 1111 1111 1111",
			DebtorName: "A. Dubois", BookedOn: today}) {
			t.Fatal("by OGM not matched")
		}
		if !e.match(tenant, receivable.Credit{StatementLineID: "S1-5", AmountCents: 10000, OGM: code12, BookedOn: today}) {
			t.Fatal("the same line again is not reported as booked")
		}
		_, rc, _, _ := e.call(acc, "GET", "/v1/receivables/"+recoveryID, nil, purpose)
		if num(rc, "paid_cents") != 10000 || num(rc, "balance_cents") != 15000 || rc["status"] != "open" {
			t.Fatalf("after a partial payment %v", rc)
		}
		// An instalment plan: 5.000 a month from this month.
		code, rc2, raw, _ := e.call(acc, "PUT", "/v1/receivables/"+recoveryID+"/plan", map[string]any{"monthly_cents": 5000,
			"start": today.String()}, version(rc))
		if code != 200 || len(rc2["timetable"].([]any)) != 5 {
			t.Fatalf("plan: %d %s", code, raw)
		}
		if code, _, _, _ := e.call(acc, "PUT", "/v1/receivables/"+recoveryID+"/plan", map[string]any{"monthly_cents": 90000,
			"start": today.String()}, version(rc2)); code != 422 {
			t.Fatalf("plan above the balance: %d", code)
		}
		// Amounts that fit nothing, an unknown account: left for the accountant.
		if e.match(tenant, receivable.Credit{StatementLineID: "S1-6", AmountCents: 1234, DebtorIBAN: "BE68539007547034", BookedOn: today}) {
			t.Fatal("an amount that fits nothing was matched")
		}
		if e.match(tenant, receivable.Credit{StatementLineID: "S1-7", AmountCents: 5000, DebtorIBAN: "BE71096123456769", BookedOn: today}) {
			t.Fatal("an unknown account was matched")
		}
		if e.match("uccle", receivable.Credit{StatementLineID: "S1-8", AmountCents: 5000, OGM: code12, BookedOn: today}) {
			t.Fatal("another tenant's OGM was matched")
		}
		// The plan's instalment from the beneficiary's account, then the balance.
		if !e.match(tenant, receivable.Credit{StatementLineID: "S2-1", AmountCents: 5000, DebtorIBAN: "BE68 5390 0754 7034", BookedOn: today}) {
			t.Fatal("plan instalment by IBAN not matched")
		}
		if !e.match(tenant, receivable.Credit{StatementLineID: "S2-2", AmountCents: 10000, DebtorIBAN: "BE68539007547034", BookedOn: today}) {
			t.Fatal("balance by IBAN not matched")
		}
		_, rc, _, _ = e.call(acc, "GET", "/v1/receivables/"+recoveryID, nil, purpose)
		pays := rc["payments"].([]any)
		if rc["status"] != "settled" || num(rc, "balance_cents") != 0 || len(pays) != 3 ||
			pays[0].(map[string]any)["matched_by"] != "ogm" || pays[2].(map[string]any)["matched_by"] != "iban_amount" {
			t.Fatalf("settled %v", rc)
		}
		out := e.outbox(receivable.CollReceivables, recoveryID)
		if len(out) != 2 || out[1].Type != receivable.TypeSettled || !strings.Contains(out[1].Data, `"outcome":"paid"`) {
			t.Fatalf("events %v", types(out))
		}
	})

	// B's month is revised down after it was paid: an overpayment.
	e.feedAll(e.event(tenant, schedule.TypeDecisionRevised, "entraide-decisions", adoptB.Subject, map[string]any{
		"decision_id": adoptB.Subject, "person_id": pB, "file_id": fB, "kind": "ris", "revision_id": uuid.NewString(),
		"from": firstOfMonth(today, 0).String(), "monthly_cents": 100000, "previous_cents": 131420, "decided_on": today.String()}))
	var overID string

	t.Run("an overpayment after a revision is a receivable; waived by the finance director only", func(t *testing.T) {
		_, body, raw, _ := e.call(acc, "GET", "/v1/receivables?file_number=2026/000202", nil, purpose)
		if num(body, "total_count") != 1 {
			t.Fatalf("overpayment: %s", raw)
		}
		it := items(body)[0]
		overID = it["id"].(string)
		if it["source"] != "overpayment" || num(it, "amount_cents") != 31420 || it["status"] != "open" {
			t.Fatalf("overpayment %v", it)
		}
		if _, err := ogm.Parse(it["ogm"].(string)); err != nil || it["ogm"] == strings.NewReplacer("+", "", "/", "").Replace(code12) {
			t.Fatalf("overpayment OGM %v", it["ogm"])
		}
		if code, _, _, _ := e.call(acc, "POST", "/v1/receivables/"+overID+"/closure", map[string]any{"kind": "waiver", "reason": "Situation précaire"},
			version(it)); code != 403 {
			t.Fatalf("accountant waiver: %d", code)
		}
		code, pb, _, _ := e.call(fd, "POST", "/v1/receivables/"+overID+"/closure", map[string]any{"kind": "waiver", "reason": ""}, version(it))
		if code != 422 || !strings.Contains(string(mustJSON(pb)), "reason") {
			t.Fatalf("waiver without reason: %d %v", code, pb)
		}
		key := "Idempotency-Key: " + uuid.NewString()
		code, rc, raw, _ := e.call(fd, "POST", "/v1/receivables/"+overID+"/closure", map[string]any{"kind": "waiver", "reason": "Situation précaire (art. 98)"},
			version(it), key)
		if code != 200 || rc["status"] != "waived" || num(rc["closure"].(map[string]any), "balance_cents") != 31420 {
			t.Fatalf("waiver: %d %s", code, raw)
		}
		if code, again, _, _ := e.call(fd, "POST", "/v1/receivables/"+overID+"/closure", map[string]any{"kind": "waiver", "reason": "Situation précaire (art. 98)"},
			version(it), key); code != 200 || again["status"] != "waived" {
			t.Fatalf("replayed waiver: %d", code)
		}
		if code, _, _, _ := e.call(fd, "POST", "/v1/receivables/"+overID+"/closure", map[string]any{"kind": "cancellation", "reason": "Doublon"},
			version(rc)); code != 422 {
			t.Fatalf("closing a closed receivable: %d", code)
		}
		if e.match(tenant, receivable.Credit{StatementLineID: "S3-1", AmountCents: 31420, OGM: it["ogm"].(string), DebtorIBAN: "BE21001234567803",
			BookedOn: today}) {
			t.Fatal("a waived receivable took a payment")
		}
		out := e.outbox(receivable.CollReceivables, overID)
		if len(out) != 2 || !strings.Contains(out[1].Data, `"outcome":"waived"`) {
			t.Fatalf("events %v", types(out))
		}
	})

	// The bank booked A's arrears and returned A's month (AC04).
	var returned, booked int64
	for _, in := range e.instalmentsOf(tenant, adoptA.Subject) {
		switch {
		case in.State.Status != schedule.StatusExported:
		case in.State.Parts[0].Period == month:
			ok, err := e.app.Schedules.Repo.MarkReturned(ctx, tenant, in.ID, schedule.Return{StatementID: "S4", LineID: "S4-2", RunID: runID,
				EndToEndID: in.State.EndToEndID, Reason: "AC04", AmountCents: in.State.AmountCents, ReturnedOn: today, At: time.Now()})
			if err != nil || !ok {
				t.Fatalf("return: %v %v", ok, err)
			}
			returned += in.State.AmountCents
		default:
			ok, err := e.app.Schedules.Repo.Book(ctx, tenant, in.ID, in.State.EndToEndID, schedule.Booking{StatementID: "S4", LineID: "S4-1", BookedOn: today})
			if err != nil || !ok {
				t.Fatalf("book: %v %v", ok, err)
			}
			booked += in.State.AmountCents
		}
	}
	if returned != 131420 || booked != 131420 {
		t.Fatalf("returned %d booked %d", returned, booked)
	}

	t.Run("ledgers agree with the run, the return and the recoveries", func(t *testing.T) {
		code, l, raw, _ := e.call(acc, "GET", "/v1/ledger/beneficiaries/"+pA, nil, purpose)
		if code != 200 {
			t.Fatalf("ledger A: %d %s", code, raw)
		}
		tot := l["totals"].(map[string]any)
		if num(tot, "due_cents") != 262840 || num(tot, "paid_cents") != 262840 || num(tot, "returned_cents") != 131420 ||
			num(tot, "outstanding_cents") != 131420 || num(tot, "receivable_cents") != 25000 || num(tot, "recovered_cents") != 25000 ||
			num(tot, "to_recover_cents") != 0 {
			t.Fatalf("totals A %v", tot)
		}
		var sawBooked, sawReturn bool
		for _, x := range l["entries"].([]any) {
			en := x.(map[string]any)
			if en["type"] == "paid" && en["statement_line_id"] == "S4-1" && en["run_number"] == run["number"] && en["end_to_end_id"] != "" {
				sawBooked = true
			}
			if en["type"] == "returned" && en["reason"] == "AC04" && en["statement_line_id"] == "S4-2" && en["decision_id"] == adoptA.Subject {
				sawReturn = true
			}
		}
		if !sawBooked || !sawReturn {
			t.Fatalf("drill-down missing: %s", raw)
		}
		_, lt, raw, _ := e.call(acc, "GET", "/v1/ledger/tenant?from="+month, nil)
		tt := lt["totals"].(map[string]any)
		if num(tt, "paid_cents") != runTotal || num(tt, "returned_cents") != 131420 || num(tt, "receivable_cents") != 25000+31420 ||
			num(tt, "recovered_cents") != 25000 || num(tt, "waived_cents") != 31420 || num(tt, "due_cents") != 3*131420 {
			t.Fatalf("tenant totals %s", raw)
		}
		var byArticle int64
		for _, x := range lt["by_article"].([]any) {
			byArticle += num(x.(map[string]any), "paid_cents")
		}
		if byArticle != runTotal {
			t.Fatalf("by article %d, run %d", byArticle, runTotal)
		}
		code, page, raw, _ := e.call(acc, "GET", "/v1/ledger/beneficiaries?q=dubois&page_size=10", nil, purpose)
		if code != 200 || num(page, "total_count") != 1 || num(items(page)[0]["totals"].(map[string]any), "paid_cents") != 262840 {
			t.Fatalf("search: %d %s", code, raw)
		}
		if _, page, _, _ := e.call(acc, "GET", "/v1/ledger/beneficiaries?page_size=2&page=3", nil, purpose); num(page, "total_count") != 5 || len(items(page)) != 1 {
			t.Fatalf("paging %v", page)
		}
		if code, _, _, _ := e.call(acc, "GET", "/v1/ledger/beneficiaries/"+pA, nil); code != 422 {
			t.Fatalf("without purpose: %d", code)
		}
	})

	t.Run("accounting journal by budget article", func(t *testing.T) {
		code, _, raw, h := e.call(acc, "GET", "/v1/accounting/journal?month="+month+"&format=csv", nil)
		if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
			t.Fatalf("journal: %d %s", code, raw)
		}
		r := csv.NewReader(strings.NewReader(string(raw)))
		r.Comma = ';'
		rows, err := r.ReadAll()
		if err != nil || rows[0][0] != "date" {
			t.Fatalf("csv %v %s", err, raw)
		}
		sums := map[string]string{}
		for _, row := range rows[1:] {
			if row[2] != "8320/333-01" {
				t.Fatalf("budget article %v", row)
			}
			sums[row[1]] = row[6]
		}
		if sums["payments"] != "3942.60" || sums["returns"] != "1314.20" || sums["recoveries"] != "250.00" || sums["waivers"] != "314.20" {
			t.Fatalf("journal sums %v\n%s", sums, raw)
		}
	})

	t.Run("subsidy: B, C, D and the month's claim", func(t *testing.T) {
		code, b, raw, _ := e.call(acc, "GET", "/v1/subsidy/claims?month="+month+"&form=B", nil, purpose)
		if code != 200 || num(b, "band") != 65 {
			t.Fatalf("B: %d %s", code, raw)
		}
		share := map[string]float64{}
		events := map[string][]string{}
		for _, x := range b["rows"].([]any) {
			r := x.(map[string]any)
			share[r["decision_id"].(string)] = r["share_percent"].(float64)
			events[r["decision_id"].(string)] = append(events[r["decision_id"].(string)], r["event"].(string))
			if r["enterprise_number"] != "0212345678" {
				t.Fatalf("B row %v", r)
			}
		}
		if len(b["rows"].([]any)) != 5 || share[adoptA.Subject] != 75 || share[adoptB.Subject] != 65 || share[adoptC.Subject] != 100 ||
			len(events[adoptB.Subject]) != 2 || events[adoptB.Subject][1] != "revised" || len(events[adoptE.Subject]) != 1 {
			t.Fatalf("B rows %s", raw)
		}
		_, c, raw, _ := e.call(acc, "GET", "/v1/subsidy/claims?month="+month+"&form=C", nil, purpose)
		codes := map[string]float64{}
		for _, x := range c["rows"].([]any) {
			r := x.(map[string]any)
			codes[r["decision_id"].(string)] = r["code"].(float64)
		}
		if len(codes) != 2 || codes[adoptD.Subject] != 1 || codes[adoptE.Subject] != 2 {
			t.Fatalf("C rows %s", raw)
		}
		_, d, raw, _ := e.call(acc, "GET", "/v1/subsidy/claims?month="+month+"&form=D", nil, purpose)
		if num(d, "count") != 2 || num(d, "state_cents") != 18750+20423 {
			t.Fatalf("D rows %s", raw)
		}
		_, cl, raw, _ := e.call(acc, "GET", "/v1/subsidy/claims?month="+month+"&form=claim", nil, purpose)
		if num(cl, "amount_cents") != 131420+131420 || num(cl, "state_cents") != 98565+85423 {
			t.Fatalf("claim %s", raw)
		}
		code, _, raw, _ = e.call(acc, "GET", "/v1/subsidy/claims?month="+month+"&form=D&format=csv", nil, purpose)
		if code != 200 || !strings.HasPrefix(string(raw), "form;enterprise_number;niss;") || !strings.Contains(string(raw), ";85071412330;") {
			t.Fatalf("D csv: %d %s", code, raw)
		}
		if code, _, _, _ := e.call(acc, "GET", "/v1/subsidy/claims?month="+month+"&form=Z", nil, purpose); code != 422 {
			t.Fatalf("unknown form: %d", code)
		}
		// A homeless person's first residence: B's decision marked by finance → 100%.
		_, sd, _, _ := e.call(acc, "GET", "/v1/subsidy/decisions/"+adoptB.Subject, nil, purpose)
		code, sd, raw, _ = e.call(acc, "PUT", "/v1/subsidy/decisions/"+adoptB.Subject, map[string]any{"homeless_first_residence": true}, version(sd))
		if code != 200 || num(sd, "share_percent") != 100 || sd["share_reason"] != "homeless_first_residence" {
			t.Fatalf("mark: %d %s", code, raw)
		}
	})

	t.Run("a social worker reads their files' receivables only", func(t *testing.T) {
		code, body, raw, _ := e.call(w, "GET", "/v1/files/"+fB+"/receivables", nil, "X-Purpose: case_follow_up")
		if code != 200 || len(items(body)) != 1 || strings.Contains(string(raw), "BE21") {
			t.Fatalf("own file: %d %s", code, raw)
		}
		if code, _, _, _ := e.call(w2, "GET", "/v1/files/"+fB+"/receivables", nil, "X-Purpose: case_follow_up"); code != 404 {
			t.Fatalf("another worker's file: %d", code)
		}
		for _, path := range []string{"/v1/receivables", "/v1/ledger/beneficiaries", "/v1/subsidy/claims?month=" + month + "&form=B"} {
			if code, _, _, _ := e.call(w, "GET", path, nil, purpose); code != 403 {
				t.Fatalf("worker on %s: %d", path, code)
			}
		}
	})

	t.Run("tenant isolation", func(t *testing.T) {
		for _, path := range []string{"/v1/receivables/" + recoveryID, "/v1/ledger/beneficiaries/" + pA, "/v1/subsidy/decisions/" + adoptA.Subject,
			"/v1/files/" + fA + "/receivables"} {
			if code, _, _, _ := e.call(other, "GET", path, nil, purpose); code != 404 {
				t.Errorf("%s from another tenant: %d", path, code)
			}
		}
		if code, _, _, _ := e.call(other, "POST", "/v1/receivables/"+overID+"/closure", map[string]any{"kind": "cancellation", "reason": "Test"},
			`If-Match: "1"`); code != 404 {
			t.Errorf("closure from another tenant: %d", code)
		}
		for _, path := range []string{"/v1/receivables", "/v1/ledger/beneficiaries"} {
			if _, body, _, _ := e.call(other, "GET", path, nil, purpose); num(body, "total_count") != 0 {
				t.Errorf("%s of another tenant listed", path)
			}
		}
		if _, lt, _, _ := e.call(other, "GET", "/v1/ledger/tenant?from="+month, nil); num(lt["totals"].(map[string]any), "paid_cents") != 0 {
			t.Error("another tenant's totals")
		}
		if _, d, _, _ := e.call(other, "GET", "/v1/subsidy/claims?month="+month+"&form=B", nil, purpose); num(d, "count") != 0 {
			t.Error("another tenant's B rows")
		}
	})
}

// TestLedgerAfterTheStatement closes the month's cycle on the ledgers: decisions → schedules → run → approval →
// file → the bank's camt.053 (the batch booking, a return with AC04, the recovery paid by its OGM, fees) →
// reconciliation → the CPAS's and each beneficiary's ledger agree with the run and the statement, each line
// leading to its run, file line (EndToEndId) and statement line; the journal says the same by budget article.
func TestLedgerAfterTheStatement(t *testing.T) {
	e := newEnv(t)
	const tenant = "evere"
	acc := newUser(tenant, "accountant")
	r := e.monthBeforeStatement(tenant)
	file := statementOf(r, 7, 100000000, false, nil).camt(t, "v08")
	if st, _, raw := e.upload(acc, file, "application/xml", "Idempotency-Key: "+uuid.NewString()); st != 201 {
		t.Fatalf("import: %d %s", st, raw)
	}
	month := schedule.MonthKey(civil.Today())
	_, lt, raw, _ := e.call(acc, "GET", "/v1/ledger/tenant?from="+month, nil)
	tt := lt["totals"].(map[string]any)
	ret := r.Payments[1]
	if num(tt, "paid_cents") != r.TotalCents || num(tt, "returned_cents") != ret.Cents || num(tt, "recovered_cents") != r.ReceivableCents ||
		num(tt, "receivable_cents") != r.ReceivableCents || num(tt, "outstanding_cents") != num(tt, "due_cents")-r.TotalCents+ret.Cents {
		t.Fatalf("tenant ledger %s", raw)
	}
	var paidLines, returnLines, recoveredLines int
	for _, p := range r.Persons {
		_, l, raw, _ := e.call(acc, "GET", "/v1/ledger/beneficiaries/"+p, nil, purpose)
		for _, x := range l["entries"].([]any) {
			en := x.(map[string]any)
			switch en["type"] {
			case "paid":
				paidLines++
				if en["run_number"] != r.Number || !strings.HasPrefix(en["end_to_end_id"].(string), "E2E-"+r.Number) {
					t.Fatalf("paid line %v", en)
				}
				if en["end_to_end_id"] != ret.E2E && (en["statement_line_id"] == nil || en["status"] != "booked") {
					t.Fatalf("booked line without its statement line %s", raw)
				}
			case "returned":
				returnLines++
				if en["end_to_end_id"] != ret.E2E || en["reason"] != "AC04" || en["statement_line_id"] == nil || num(en, "amount_cents") != ret.Cents {
					t.Fatalf("return line %v", en)
				}
			case "recovered":
				recoveredLines++
				if en["reason"] != "ogm" || en["statement_line_id"] == nil {
					t.Fatalf("recovered line %v", en)
				}
			}
		}
	}
	if paidLines != 3 || returnLines != 1 || recoveredLines != 1 {
		t.Fatalf("%d paid, %d returned, %d recovered lines", paidLines, returnLines, recoveredLines)
	}
	_, j, raw, _ := e.call(acc, "GET", "/v1/accounting/journal?month="+month, nil)
	sums := map[string]int64{}
	for _, x := range j["lines"].([]any) {
		l := x.(map[string]any)
		sums[l["journal"].(string)] += num(l, "amount_cents")
		if l["budget_article"] != "8320/333-01" {
			t.Fatalf("journal line %v", l)
		}
	}
	if sums["payments"] != r.TotalCents || sums["returns"] != ret.Cents || sums["recoveries"] != r.ReceivableCents {
		t.Fatalf("journal %s", raw)
	}
}

// TestReceivablesCaughtUpHourly: a receivable the schedule lists but whose creation was lost (a crash between the
// schedule's write and the receivable's, an event never consumed) is created by the hourly SyncAll — once.
func TestReceivablesCaughtUpHourly(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const tenant = "ganshoren"
	w := newUser(tenant, "social_worker")
	p, f := e.beneficiary(tenant, w.id, "2026/000301", "Lina", "Haddad", "BE68539007547034")
	adopt := e.adopted(tenant, p, f, map[string]any{"start": firstOfMonth(civil.Today(), 0).String()})
	e.feed(adopt) // the schedules only: no receivable consumer
	e.feed(e.event(tenant, schedule.TypeRecoveryDecided, "entraide-decisions", adopt.Subject, map[string]any{
		"recovery_id": uuid.NewString(), "decision_id": adopt.Subject, "person_id": p, "file_id": f, "kind": "ris",
		"case": "cpas_error", "amount_cents": 12345, "period_from": "2026-01-01", "period_to": "2026-01-31",
		"decided_on": civil.Today().String()}))
	if recs, _ := e.app.Receivables.Of(ctx, tenant, nil); len(recs) != 0 {
		t.Fatalf("%d receivables before the sweep", len(recs))
	}
	for range 2 {
		e.app.Receivables.SyncAll(ctx)
	}
	recs, err := e.app.Receivables.Of(ctx, tenant, nil)
	if err != nil || len(recs) != 1 || recs[0].State.AmountCents != 12345 || recs[0].State.Case != "cpas_error" {
		t.Fatalf("after the sweep: %v %+v", err, recs)
	}
}
