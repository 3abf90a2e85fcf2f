package payments_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/payments/internal/xsdcheck"
)

// exportRun builds a run for today (accountant), has it approved (director) and exported; it returns the run id
// and the file.
func (e *env) exportRun(acc, fd user, wantCount int) (string, []byte) {
	e.t.Helper()
	st, body, raw, _ := e.call(acc, "POST", "/v1/runs", map[string]any{"execution_date": civil.Today().String()},
		"Idempotency-Key: "+uuid.NewString())
	if st != 201 || body["count"].(float64) != float64(wantCount) {
		e.t.Fatalf("run: %d %s", st, raw)
	}
	id := body["id"].(string)
	if st, _, raw, _ := e.call(fd, "POST", "/v1/runs/"+id+"/approval", nil, `If-Match: "`+strconv.Itoa(int(body["version"].(float64)))+`"`); st != 200 {
		e.t.Fatalf("approval: %d %s", st, raw)
	}
	st, _, doc, _ := e.call(acc, "POST", "/v1/runs/"+id+"/export", nil)
	if st != 200 {
		e.t.Fatalf("export: %d %s", st, doc)
	}
	return id, doc
}

// fieldCodes lists the field errors of a problem as "field:code".
func fieldCodes(body map[string]any) []string {
	var out []string
	errs, _ := body["errors"].([]any)
	for _, x := range errs {
		fe := x.(map[string]any)
		out = append(out, fmt.Sprint(fe["field"], ":", fe["code"]))
	}
	return out
}

func ver(m map[string]any) string { return strconv.Itoa(int(m["version"].(float64))) }

// TestReissueReturnedPayment: a landlord's payment (third party, with its structured communication) and a
// beneficiary's RIS go in a run; the bank books both and returns them (AC04, account closed). The accountant
// reissues the landlord's payment to a corrected creditor (If-Match, Idempotency-Key: a doubled request reissues
// once, a stale version is refused, an invalid IBAN or communication is a field error, a social worker is
// refused) and the beneficiary's once the registry gives another account; the next run pays both again with new
// EndToEndIds, the landlord at the corrected IBAN and BIC, its file valid against pain.001.001.09; the first run's
// file is unchanged.
func TestReissueReturnedPayment(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const tenant = "etterbeek"
	w, acc, fd := newUser(tenant, "social_worker"), newUser(tenant, "accountant"), newUser(tenant, "finance_director")
	e.settings(fd, "pain.001.001.09")
	today := civil.Today()
	p, f := e.beneficiary(tenant, w.id, "2026/000700", "Yasmine", "Benali", "BE68539007547034")
	e.feed(e.adopted(tenant, p, f, map[string]any{"kind": "aide_sociale", "subtype": "rent_guarantee", "category": nil,
		"monthly_cents": 0, "one_off_cents": 180000, "periodicity": "once",
		"payee": map[string]any{"kind": "third_party", "name": "Immo Clémenceau SRL", "iban": "BE05068123456775", "communication": "123456789002"}}))
	e.feed(e.adopted(tenant, p, f, map[string]any{"start": firstOfMonth(today, 0).String(), "monthly_cents": 95000}))

	run1, file1 := e.exportRun(acc, fd, 2)
	_, pays, raw, _ := e.call(acc, "GET", "/v1/runs/"+run1+"/payments", nil, purpose)
	var landlord, ris map[string]any
	for _, it := range items(pays) {
		if it["payee_kind"] == "third_party" {
			landlord = it
		} else {
			ris = it
		}
	}
	if landlord == nil || ris == nil {
		t.Fatalf("run payments %s", raw)
	}
	lID, lE2E := landlord["id"].(string), landlord["end_to_end_id"].(string)
	bID, bE2E := ris["id"].(string), ris["end_to_end_id"].(string)

	// The bank books both payments, then returns them (AC04): the landlord's on day 501, the RIS on day 502.
	stmt := func(seq int, opening int64, debits []stmtTx, debitCents []int64, ret stmtTx, retCents int64) *stmtData {
		d := &stmtData{MsgID: fmt.Sprintf("BANK-053-%d", seq), StmtID: fmt.Sprintf("%d-%d-BE21001234567803", today.Year(), seq),
			Account: "BE21001234567803", Seq: seq, OpeningCents: opening, openDate: today.AddDays(-1), date: today,
			Single: debits, SingleCents: debitCents, Return: &ret, ReturnCents: retCents}
		d.finish()
		return d
	}
	d1 := stmt(501, 5000000, []stmtTx{{E2E: lE2E, Amount: euro(180000), Name: "Immo Clemenceau SRL", IBAN: "BE05068123456775"},
		{E2E: bE2E, Amount: euro(95000), Name: "Yasmine Benali", IBAN: "BE68539007547034"}}, []int64{180000, 95000},
		stmtTx{E2E: lE2E, Amount: euro(180000), Name: "Immo Clemenceau SRL", IBAN: "BE05068123456775"}, 180000)
	if st, rep, raw := e.upload(acc, d1.camt(t, "v08"), "application/xml"); st != 201 || counts(rep)["returned"] != 1 || counts(rep)["booked"] != 2 {
		t.Fatalf("statement 501: %d %s", st, raw)
	}
	d2 := stmt(502, d1.ClosingCents, nil, nil, stmtTx{E2E: bE2E, Amount: euro(95000), Name: "Yasmine Benali", IBAN: "BE68539007547034"}, 95000)
	if st, rep, raw := e.upload(acc, d2.camt(t, "v08"), "application/xml"); st != 201 || counts(rep)["returned"] != 1 {
		t.Fatalf("statement 502: %d %s", st, raw)
	}

	st, det, raw, h := e.call(acc, "GET", "/v1/instalments/"+lID, nil, purpose)
	if st != 200 || det["status"] != "returned" || det["reissuable"] != true || det["returned_iban"] != "BE05068123456775" ||
		h.Get("ETag") != `"`+ver(det)+`"` || det["hold_reason"] != "returned_AC04" {
		t.Fatalf("returned landlord: %d %s", st, raw)
	}
	v := ver(det)
	if st, _, _, _ := e.call(acc, "GET", "/v1/instalments/"+lID, nil); st != 422 {
		t.Fatalf("read without purpose: %d", st)
	}
	corrected := map[string]any{"name": "Immo Clémenceau SRL", "iban": "BE62 5100 0754 7061", "bic": "gkccbebb"}

	t.Run("refusals: social worker, no If-Match, stale version, bad IBAN and communication, unchanged creditor", func(t *testing.T) {
		if st, _, _, _ := e.call(w, "POST", "/v1/instalments/"+lID+"/reissue", corrected, `If-Match: "`+v+`"`); st != 403 {
			t.Fatalf("social worker: %d", st)
		}
		if st, _, _, _ := e.call(acc, "POST", "/v1/instalments/"+lID+"/reissue", corrected); st != 428 {
			t.Fatalf("without If-Match: %d", st)
		}
		st, body, raw, _ := e.call(acc, "POST", "/v1/instalments/"+lID+"/reissue", corrected, `If-Match: "1"`)
		if st != 412 || body["current_version"] == nil {
			t.Fatalf("stale version: %d %s", st, raw)
		}
		st, body, raw, _ = e.call(acc, "POST", "/v1/instalments/"+lID+"/reissue",
			map[string]any{"name": "Immo Clémenceau SRL", "iban": "BE62 5100 0754 7062", "bic": "GKCC", "communication": "+++123/4567/89003+++"},
			`If-Match: "`+v+`"`)
		got := strings.Join(fieldCodes(body), " ")
		if st != 422 || !strings.Contains(got, "iban:invalid_iban") || !strings.Contains(got, "bic:payments.bic_invalid") ||
			!strings.Contains(got, "communication:invalid_ogm") {
			t.Fatalf("bad input: %d %s", st, raw)
		}
		if !strings.Contains(string(raw), "IBAN invalide") {
			t.Errorf("the message is not in the user's language: %s", raw)
		}
		st, body, raw, _ = e.call(acc, "POST", "/v1/instalments/"+lID+"/reissue",
			map[string]any{"name": "Immo Clémenceau SRL", "iban": "BE05068123456775"}, `If-Match: "`+v+`"`)
		if st != 422 || strings.Join(fieldCodes(body), " ") != "iban:payments.reissue_unchanged" {
			t.Fatalf("unchanged creditor: %d %s", st, raw)
		}
		// The beneficiary's account is the registry's: still the returned one.
		_, bdet, _, _ := e.call(acc, "GET", "/v1/instalments/"+bID, nil, purpose)
		if bdet["reissuable"] != false || bdet["account_iban"] != "BE68539007547034" {
			t.Fatalf("beneficiary before the new account: %v", bdet)
		}
		st, body, raw, _ = e.call(acc, "POST", "/v1/instalments/"+bID+"/reissue", nil, `If-Match: "`+ver(bdet)+`"`)
		if st != 422 || strings.Join(fieldCodes(body), " ") != "iban:payments.reissue_same_account" {
			t.Fatalf("beneficiary, same account: %d %s", st, raw)
		}
		if got, _ := e.app.Schedules.Repo.Instalments.Load(ctx, tenant, lID); got.State.Status != "returned" || got.Version != int64(mustAtoi(v)) {
			t.Fatalf("a refusal changed the payment: %+v", got)
		}
	})

	t.Run("the landlord's payment reissued once to the corrected creditor", func(t *testing.T) {
		key := "Idempotency-Key: " + uuid.NewString()
		st, body, raw, h := e.call(acc, "POST", "/v1/instalments/"+lID+"/reissue", corrected, `If-Match: "`+v+`"`, key)
		if st != 200 || body["status"] != "scheduled" || body["payee_iban"] != "BE62510007547061" || body["payee_bic"] != "GKCCBEBB" ||
			body["communication"] != "123456789002" || body["end_to_end_id"] != nil || len(body["reissues"].([]any)) != 1 {
			t.Fatalf("reissue: %d %s", st, raw)
		}
		if h.Get("ETag") != `"`+ver(body)+`"` {
			t.Fatalf("ETag %q, version %s", h.Get("ETag"), ver(body))
		}
		st, again, raw2, h := e.call(acc, "POST", "/v1/instalments/"+lID+"/reissue", corrected, `If-Match: "`+v+`"`, key)
		if st != 200 || h.Get("Idempotent-Replayed") != "true" || ver(again) != ver(body) {
			t.Fatalf("doubled request: %d %s", st, raw2)
		}
		// The same request again without its key: the version moved, nothing reissued twice.
		if st, _, _, _ := e.call(acc, "POST", "/v1/instalments/"+lID+"/reissue", corrected, `If-Match: "`+v+`"`); st != 412 {
			t.Fatalf("doubled request without its key: %d", st)
		}
		// A retry at the new version finds nothing returned.
		st, body2, _, _ := e.call(acc, "POST", "/v1/instalments/"+lID+"/reissue", corrected, `If-Match: "`+ver(body)+`"`)
		if st != 409 || body2["code"] != "payments.not_returned" {
			t.Fatalf("reissue of a scheduled payment: %d %v", st, body2)
		}
		got, _ := e.app.Schedules.Repo.Instalments.Load(ctx, tenant, lID)
		if len(got.State.Reissues) != 1 || got.State.Payee.IBAN != "BE62510007547061" || got.State.Status != "scheduled" {
			t.Fatalf("instalment %+v", got.State)
		}
		n, _ := e.db.Collection(audit.CollectionName).CountDocuments(ctx, bson.D{{Key: "tenant", Value: tenant},
			{Key: "action", Value: "instalment.reissue"}, {Key: "resource_id", Value: lID}})
		if n < 2 { // the refusals and the reissue
			t.Fatalf("audit records of the reissue: %d", n)
		}
	})

	t.Run("the beneficiary's payment reissued once the registry gives another account", func(t *testing.T) {
		e.account(tenant, p, "Yasmine Benali", "BE56731045678988", "BE68539007547034")
		_, bdet, _, _ := e.call(acc, "GET", "/v1/instalments/"+bID, nil, purpose)
		if bdet["reissuable"] != true || bdet["account_iban"] != "BE56731045678988" {
			t.Fatalf("beneficiary after the new account: %v", bdet)
		}
		st, body, raw, _ := e.call(acc, "POST", "/v1/instalments/"+bID+"/reissue", map[string]any{"iban": "BE62510007547061"},
			`If-Match: "`+ver(bdet)+`"`)
		if st != 422 || strings.Join(fieldCodes(body), " ") != "iban:payments.account_from_registry" {
			t.Fatalf("beneficiary with an account typed in: %d %s", st, raw)
		}
		st, body, raw, _ = e.call(acc, "POST", "/v1/instalments/"+bID+"/reissue", nil, `If-Match: "`+ver(bdet)+`"`,
			"Idempotency-Key: "+uuid.NewString())
		if st != 200 || body["status"] != "scheduled" {
			t.Fatalf("beneficiary reissue: %d %s", st, raw)
		}
	})

	t.Run("the next run pays both again with new EndToEndIds, the landlord at the corrected account", func(t *testing.T) {
		run2, file2 := e.exportRun(acc, fd, 2)
		xsdcheck.Validate(t, "pain.001.001.09", file2)
		_, pays, raw, _ := e.call(acc, "GET", "/v1/runs/"+run2+"/payments", nil, purpose)
		for _, it := range items(pays) {
			e2e := it["end_to_end_id"].(string)
			if e2e == lE2E || e2e == bE2E || !strings.Contains(string(file2), "<EndToEndId>"+e2e+"</EndToEndId>") {
				t.Fatalf("payment of the second run %v", it)
			}
		}
		for _, want := range []string{"<IBAN>BE62510007547061</IBAN>", "<BICFI>GKCCBEBB</BICFI>", "<Ref>123456789002</Ref>",
			"<IBAN>BE56731045678988</IBAN>", "Immo Clemenceau SRL"} {
			if !strings.Contains(string(file2), want) {
				t.Errorf("second file lacks %s", want)
			}
		}
		for _, old := range []string{lE2E, bE2E, "BE05068123456775", "BE68539007547034"} {
			if strings.Contains(string(file2), old) {
				t.Errorf("second file carries the returned %s\n%s", old, raw)
			}
		}
		got, _ := e.app.Schedules.Repo.Instalments.Load(ctx, tenant, lID)
		if len(got.State.Attempts) != 2 || got.State.Attempts[0].EndToEndID != lE2E || got.State.Status != "exported" {
			t.Fatalf("landlord after the second run %+v", got.State)
		}
		// The first run's file is what the bank received then.
		st, _, again, _ := e.call(acc, "GET", "/v1/runs/"+run1+"/file", nil, purpose)
		if st != 200 || !bytes.Equal(again, file1) {
			t.Fatalf("first file changed: %d", st)
		}
	})

	t.Run("another tenant cannot read or reissue the payment", func(t *testing.T) {
		other := newUser("ixelles", "accountant")
		if st, _, _, _ := e.call(other, "GET", "/v1/instalments/"+lID, nil, purpose); st != 404 {
			t.Fatalf("other tenant's read: %d", st)
		}
		if st, _, _, _ := e.call(other, "POST", "/v1/instalments/"+lID+"/reissue", corrected, `If-Match: "1"`); st != 404 {
			t.Fatalf("other tenant's reissue: %d", st)
		}
	})
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
