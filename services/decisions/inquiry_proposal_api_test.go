package decisions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	eventschema "github.com/entraide/entraide/api/events"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/proposal"
)

// fieldCodes maps each field error of a problem to its code.
func fieldCodes(body map[string]any) map[string]string {
	out := map[string]string{}
	errs, _ := body["errors"].([]any)
	for _, x := range errs {
		m := x.(map[string]any)
		out[m["field"].(string)] = m["code"].(string)
	}
	return out
}

// report keeps of an inquiry as read what a PUT takes.
func report(m map[string]any) map[string]any {
	for _, k := range []string{"id", "request_id", "file_id", "person_id", "kind", "complete", "version", "created_at", "created_by", "updated_at", "updated_by"} {
		delete(m, k)
	}
	return m
}

func allMet(kind string) []map[string]any {
	var out []map[string]any
	for _, c := range []string{"residence", "age", "nationality", "resources", "willingness_to_work", "other_rights"} {
		out = append(out, map[string]any{"code": c, "met": true, "note": "vérifié"})
	}
	return out
}

// TestInquiryProposalAPI runs a RIS request through its social inquiry, the RIS calculation of domain.md's worked
// example (cat. 1, 3.600 €/year → 589,05 €/month), a proposal refused on bad input, created once under a retried
// Idempotency-Key, submitted, returned with a reason, submitted again and validated by the head; the request
// moves to in_inquiry then proposed and proposal.validated is left in the outbox, valid against its schema.
func TestInquiryProposalAPI(t *testing.T) {
	e := newEnv(t)
	w1 := user{"gent", uuid.NewString(), "social_worker"}
	w2 := user{"gent", uuid.NewString(), "social_worker"}
	head := user{"gent", uuid.NewString(), "social_service_head"}
	admin := user{"gent", uuid.NewString(), "tenant_admin"}
	p1, f1 := e.openFile("gent", w1.id, "2026/000001")
	today := civil.Today()
	received := today.AddDays(-3)
	st, req, raw, _ := e.call(w1, "POST", "/v1/requests", map[string]any{"person_id": p1, "file_id": f1, "kind": "ris",
		"channel": "in_person", "received_on": received.String()})
	if st != 201 {
		t.Fatalf("register: %d %s", st, raw)
	}
	rid := req["id"].(string)
	status := func() string {
		_, r, _, _ := e.call(w1, "GET", "/v1/requests/"+rid, nil, purpose)
		return fmt.Sprint(r["status"])
	}
	resources := []map[string]any{{"kind": "replacement_income", "period": "yearly", "amount": 360000, "whose": "applicant"},
		{"kind": "child_benefits", "period": "monthly", "amount": 15000, "whose": "applicant"}}

	t.Run("inquiry: blank, refused input, created once, request in inquiry", func(t *testing.T) {
		st, b, raw, h := e.call(w1, "GET", "/v1/requests/"+rid+"/inquiry", nil, purpose)
		if st != 200 || h.Get("Etag") != `"0"` || len(b["conditions"].([]any)) != 6 || b["complete"] != false {
			t.Fatalf("blank: %d %s", st, raw)
		}
		if st, _, _, _ := e.call(w2, "GET", "/v1/requests/"+rid+"/inquiry", nil, purpose); st != 404 {
			t.Errorf("other worker: %d", st)
		}
		bad := map[string]any{"conditions": []map[string]any{{"code": "state_of_need", "met": true}},
			"household": []map[string]any{{"id": "m1", "name": "Jan", "relation": "other", "counted": true, "counting": "full"}},
			"resources": []map[string]any{{"kind": "lottery", "period": "monthly", "amount": 100, "whose": "m9"}},
			"hearing":   map[string]any{"appointment_on": today.AddDays(5).String(), "time": "25:00"}}
		st, b, _, _ = e.call(w1, "PUT", "/v1/requests/"+rid+"/inquiry", bad, `If-Match: "0"`)
		codes := fieldCodes(b)
		if st != 422 || codes["conditions[0].code"] != "inquiry.condition_unknown" || codes["household[0].counted"] != "inquiry.member_not_countable" ||
			codes["resources[0].kind"] != "ris.resource_kind_unknown" || codes["resources[0].whose"] != "ris.whose_unknown" ||
			codes["hearing.time"] != "inquiry.time_invalid" || codes["hearing.place"] != "required" {
			t.Fatalf("bad inquiry: %d %v", st, codes)
		}
		good := map[string]any{"identity": map[string]any{"checked": true, "document": "eID"},
			"residence": map[string]any{"address": "Kerkstraat 3, 9000 Gent", "home_visit_on": today.String(), "findings": "Studio"},
			"resources": resources, "needs": "Loyer", "conditions": []map[string]any{{"code": "residence", "met": true}}}
		st, b, raw, h = e.call(w1, "PUT", "/v1/requests/"+rid+"/inquiry", good, `If-Match: "0"`)
		if st != 200 || h.Get("Etag") != `"1"` || b["complete"] != false {
			t.Fatalf("create: %d %s", st, raw)
		}
		if st, _, _, _ := e.call(w1, "PUT", "/v1/requests/"+rid+"/inquiry", good, `If-Match: "0"`); st != http.StatusPreconditionFailed {
			t.Errorf("second creation: %d", st)
		}
		if s := status(); s != "in_inquiry" {
			t.Errorf("request status %s", s)
		}
	})

	t.Run("hearing letter: needs the hearing and the CPAS's address", func(t *testing.T) {
		if st, b, _, _ := e.call(w1, "GET", "/v1/requests/"+rid+"/hearing-letter", nil, purpose); st != 409 || b["detail"] == nil {
			t.Fatalf("without hearing: %d %v", st, b)
		}
		_, cur, _, _ := e.call(w1, "GET", "/v1/requests/"+rid+"/inquiry", nil, purpose)
		cur = report(cur)
		cur["hearing"] = map[string]any{"ask_by": today.AddDays(10).String()}
		if st, _, raw, _ := e.call(w1, "PUT", "/v1/requests/"+rid+"/inquiry", cur, `If-Match: "1"`); st != 200 {
			t.Fatalf("hearing: %d %s", st, raw)
		}
		_, s, _, h := e.call(admin, "GET", "/v1/settings", nil)
		delete(s, "version")
		s["address"] = map[string]any{"street": "Onderbergen 86", "postal_code": "9000", "city": "Gent"}
		if st, _, raw, _ := e.call(admin, "PUT", "/v1/settings", s, "If-Match: "+h.Get("Etag")); st != 200 {
			t.Fatalf("settings %d %s", st, raw)
		}
		st, _, raw, _ := e.call(w1, "GET", "/v1/requests/"+rid+"/hearing-letter", nil, purpose)
		if st != 200 || !strings.Contains(string(raw), "Peeters") || !strings.Contains(string(raw), "gehoord") {
			t.Fatalf("letter: %d %.300s", st, raw)
		}
		st, _, raw, _ = e.call(w1, "GET", "/v1/requests/"+rid+"/hearing-letter.pdf", nil, purpose)
		if st != 200 || !bytes.HasPrefix(raw, []byte("%PDF")) {
			t.Fatalf("pdf: %d", st)
		}
	})

	t.Run("the RIS calculator: domain.md's worked example", func(t *testing.T) {
		st, b, raw, _ := e.call(w1, "POST", "/v1/calculations/ris", map[string]any{"category": 1, "from": "2025-03-01", "resources": resources})
		if st != 200 || b["monthly"] != float64(58905) || b["yearly"] != float64(706860) || len(b["working"].([]any)) < 6 {
			t.Fatalf("calc: %d %s", st, raw)
		}
		st, b, _, _ = e.call(w1, "POST", "/v1/calculations/ris", map[string]any{"category": 7, "from": "2025-03-01"})
		if st != 422 || fieldCodes(b)["category"] != "ris.category_invalid" {
			t.Fatalf("bad category: %d %v", st, b)
		}
		if st, _, _, _ := e.call(admin, "POST", "/v1/calculations/ris", map[string]any{"category": 1, "from": "2025-03-01"}); st != 403 {
			t.Errorf("admin calculates: %d", st)
		}
	})

	good := map[string]any{"outcome": "granted", "legal_basis": "Articles 3 et 14 de la loi du 26 mai 2002", "category": 1,
		"category_justification": "Cohabite avec sa sœur", "monthly_cents": 58905, "start": received.String(),
		"review": received.AddYears(1).String(), "piis": true, "payee": map[string]any{"kind": "beneficiary"},
		"motivation": "Ressources insuffisantes, conditions remplies."}
	var pid string
	var version string
	t.Run("proposal: refusals with field errors", func(t *testing.T) {
		bad := map[string]any{}
		for k, v := range good {
			bad[k] = v
		}
		bad["start"], bad["monthly_cents"], bad["motivation"] = received.AddDays(-1).String(), 58900, " "
		st, b, _, _ := e.call(w1, "POST", "/v1/requests/"+rid+"/proposals", bad)
		codes := fieldCodes(b)
		if st != 422 || codes["start"] != "proposal.start_before_request" || codes["motivation"] != "proposal.motivation_required" {
			t.Fatalf("bad proposal: %d %v", st, codes)
		}
		bad["start"], bad["motivation"] = received.String(), "x"
		_, b, _, _ = e.call(w1, "POST", "/v1/requests/"+rid+"/proposals", bad)
		if c := fieldCodes(b)["monthly_cents"]; c != "proposal.amount_not_calculated" {
			t.Errorf("amount off the calculation: %v", b)
		}
		bad["monthly_cents"], bad["category"] = 58905, 5
		_, b, _, _ = e.call(w1, "POST", "/v1/requests/"+rid+"/proposals", bad)
		if c := fieldCodes(b)["category"]; c != "ris.category_invalid" {
			t.Errorf("bad category: %v", b)
		}
		_, l, _, _ := e.call(head, "GET", "/v1/proposals?request_id="+rid, nil, purpose)
		if n := len(l["items"].([]any)); n != 0 {
			t.Errorf("refused proposals were stored: %d", n)
		}
	})

	t.Run("proposal: a retried creation creates one", func(t *testing.T) {
		st, a, raw, h := e.call(w1, "POST", "/v1/requests/"+rid+"/proposals", good, "Idempotency-Key: p-1")
		if st != 201 {
			t.Fatalf("%d %s", st, raw)
		}
		st2, b, _, _ := e.call(w1, "POST", "/v1/requests/"+rid+"/proposals", good, "Idempotency-Key: p-1")
		if st2 != 201 || a["id"] != b["id"] {
			t.Fatalf("retry %d %v %v", st2, a["id"], b["id"])
		}
		pid, version = a["id"].(string), h.Get("Etag")
		calc := a["calculation"].(map[string]any)
		if a["status"] != "draft" || calc["monthly"] != float64(58905) || len(a["resources"].([]any)) != 2 || a["first_month_cents"] == float64(0) {
			t.Errorf("proposal %v", a)
		}
		_, l, _, _ := e.call(head, "GET", "/v1/proposals?request_id="+rid, nil, purpose)
		if n := len(l["items"].([]any)); n != 1 {
			t.Errorf("%d proposals", n)
		}
		if st, b, _, _ := e.call(w1, "POST", "/v1/requests/"+rid+"/proposals", good, "Idempotency-Key: p-2"); st != 409 {
			t.Errorf("second running proposal: %d %v", st, b)
		}
	})

	t.Run("proposal: submission, return, validation by the head", func(t *testing.T) {
		if st, _, _, _ := e.call(head, "POST", "/v1/proposals/"+pid+"/validation", nil, "If-Match: "+version); st != 409 {
			t.Errorf("validating a draft: %d", st)
		}
		if st, b, _, _ := e.call(w1, "POST", "/v1/proposals/"+pid+"/submission", nil, "If-Match: "+version); st != 409 {
			t.Errorf("submission with the inquiry incomplete: %d %v", st, b)
		}
		_, cur, _, h := e.call(w1, "GET", "/v1/requests/"+rid+"/inquiry", nil, purpose)
		cur = report(cur)
		cur["conditions"] = allMet("ris")
		if st, b, raw, _ := e.call(w1, "PUT", "/v1/requests/"+rid+"/inquiry", cur, "If-Match: "+h.Get("Etag")); st != 200 || b["complete"] != true {
			t.Fatalf("complete inquiry: %d %s", st, raw)
		}
		st, b, raw, h := e.call(w1, "POST", "/v1/proposals/"+pid+"/submission", nil, "If-Match: "+version)
		if st != 200 || b["status"] != "submitted" {
			t.Fatalf("submit: %d %s", st, raw)
		}
		version = h.Get("Etag")
		if st, _, _, _ := e.call(w1, "POST", "/v1/proposals/"+pid+"/validation", nil, "If-Match: "+version); st != 403 {
			t.Errorf("a worker validates: %d", st)
		}
		_, l, _, _ := e.call(head, "GET", "/v1/proposals?status=submitted&q=R", nil, purpose)
		if items := l["items"].([]any); len(items) != 1 || items[0].(map[string]any)["person_name"] != "An Peeters" {
			t.Errorf("head's list: %v", l)
		}
		if st, b, _, _ := e.call(head, "POST", "/v1/proposals/"+pid+"/return", map[string]any{"reason": " "}, "If-Match: "+version); st != 422 || fieldCodes(b)["reason"] != "required" {
			t.Errorf("return without reason: %d %v", st, b)
		}
		st, b, _, h = e.call(head, "POST", "/v1/proposals/"+pid+"/return", map[string]any{"reason": "Préciser la cohabitation"}, "If-Match: "+version)
		if st != 200 || b["status"] != "returned" || b["return_reason"] != "Préciser la cohabitation" {
			t.Fatalf("return: %d %v", st, b)
		}
		version = h.Get("Etag")
		good["category_justification"] = "Cohabite avec sa sœur, qui partage le loyer"
		st, _, raw, h = e.call(w1, "PUT", "/v1/proposals/"+pid, good, "If-Match: "+version)
		if st != 200 {
			t.Fatalf("edit: %d %s", st, raw)
		}
		_, _, _, h = e.call(w1, "POST", "/v1/proposals/"+pid+"/submission", nil, "If-Match: "+h.Get("Etag"))
		st, b, raw, h = e.call(head, "POST", "/v1/proposals/"+pid+"/validation", nil, "If-Match: "+h.Get("Etag"))
		if st != 200 || b["status"] != "validated" || b["validated_by"] != head.id {
			t.Fatalf("validate: %d %s", st, raw)
		}
		if st, _, _, _ := e.call(head, "POST", "/v1/proposals/"+pid+"/validation", nil, "If-Match: "+h.Get("Etag")); st != 409 {
			t.Errorf("validated twice: %d", st)
		}
		if s := status(); s != "proposed" {
			t.Errorf("request status %s", s)
		}
		if st, _, _, _ := e.call(w1, "PUT", "/v1/proposals/"+pid, good, "If-Match: "+h.Get("Etag")); st != 409 {
			t.Errorf("editing a validated proposal: %d", st)
		}
		var doc struct {
			Outbox []store.OutboxEntry `bson:"outbox"`
		}
		if err := e.db.Collection(proposal.CollProposals).FindOne(context.Background(), bson.D{{Key: "_id", Value: pid}}).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Outbox) != 1 || doc.Outbox[0].Type != proposal.TypeValidated || doc.Outbox[0].Subject != pid {
			t.Fatalf("outbox %+v", doc.Outbox)
		}
		if err := eventschema.Validate(proposal.TypeValidated, []byte(doc.Outbox[0].Data)); err != nil {
			t.Fatal(err)
		}
		var data map[string]any
		_ = json.Unmarshal([]byte(doc.Outbox[0].Data), &data)
		if data["monthly_cents"] != float64(58905) || data["category"] != float64(1) || strings.Contains(doc.Outbox[0].Data, "Peeters") ||
			strings.Contains(doc.Outbox[0].Data, "sœur") {
			t.Errorf("payload %v", data)
		}
	})

	t.Run("steps of the committee and the decision", func(t *testing.T) {
		ctx := context.Background()
		ps := e.app.Proposals
		cp, err := ps.AgendaProposal(ctx, "gent", pid)
		if err != nil || cp.Terms.MonthlyAmount != 58905 || cp.ValidatedBy != head.id || cp.Terms.Category != 1 {
			t.Fatalf("agenda proposal %+v %v", cp, err)
		}
		if _, err := ps.AgendaProposal(ctx, "liege", pid); err == nil {
			t.Error("another tenant's proposal")
		}
		for range 2 {
			if err := ps.Scheduled(ctx, "gent", pid, "s1"); err != nil {
				t.Fatal(err)
			}
		}
		if err := ps.Scheduled(ctx, "gent", pid, "s2"); err == nil {
			t.Error("on two agendas")
		}
		if _, err := ps.AgendaProposal(ctx, "gent", pid); err == nil {
			t.Error("on the agenda and offered again")
		}
		b, err := ps.DecisionBasis(ctx, "gent", pid)
		if err != nil || b.MonthlyCents != 58905 || len(b.Working) == 0 || len(b.Conditions) != 6 || b.Lang != "nl" ||
			b.Requested != received || b.SocialWorker != w1.id || b.Conditions[0].Text != "Werkelijke verblijfplaats in België" {
			t.Fatalf("basis %+v %v", b, err)
		}
		for range 2 {
			if err := ps.Decided(ctx, "gent", pid, "d1"); err != nil {
				t.Fatal(err)
			}
		}
		if err := ps.Decided(ctx, "gent", pid, "d2"); err == nil {
			t.Error("decided twice")
		}
	})

	t.Run("RIS amounts: the admin adds an indexation", func(t *testing.T) {
		st, b, _, h := e.call(w1, "GET", "/v1/ris-amounts", nil)
		if st != 200 || len(b["amounts"].([]any)) != 6 || len(b["exemptions"].([]any)) != 1 {
			t.Fatalf("%d %v", st, b)
		}
		for _, a := range b["amounts"].([]any) {
			delete(a.(map[string]any), "monthly")
		}
		body := map[string]any{"amounts": append(b["amounts"].([]any), map[string]any{"category": 2, "valid_from": "2026-03-01", "yearly": 1608579}),
			"exemptions": b["exemptions"]}
		if st, _, _, _ := e.call(w1, "PUT", "/v1/ris-amounts", body, "If-Match: "+h.Get("Etag")); st != 403 {
			t.Errorf("worker edits: %d", st)
		}
		bad := map[string]any{"amounts": []any{map[string]any{"category": 4, "valid_from": "2026-03-01", "yearly": -1}}, "exemptions": b["exemptions"]}
		st, b2, _, _ := e.call(admin, "PUT", "/v1/ris-amounts", bad, "If-Match: "+h.Get("Etag"))
		if codes := fieldCodes(b2); st != 422 || codes["amounts[0].category"] != "ris.category_invalid" || codes["amounts[0].yearly"] != "ris.amount_not_positive" {
			t.Errorf("bad row: %d %v", st, codes)
		}
		st, b2, raw, _ := e.call(admin, "PUT", "/v1/ris-amounts", body, "If-Match: "+h.Get("Etag"))
		if st != 200 || len(b2["amounts"].([]any)) != 7 {
			t.Fatalf("put %d %s", st, raw)
		}
		if st, _, _, _ := e.call(admin, "PUT", "/v1/ris-amounts", body, "If-Match: "+h.Get("Etag")); st != http.StatusPreconditionFailed {
			t.Errorf("stale: %d", st)
		}
		_, c, _, _ := e.call(w1, "POST", "/v1/calculations/ris", map[string]any{"category": 2, "from": "2026-03-05"})
		if c["monthly"] != float64(134048) {
			t.Errorf("calculation with the new row: %v", c["monthly"])
		}
	})
}

// TestProposalOnWithdrawnRequest: once the applicant withdraws the request, its submitted proposal is neither
// validated nor changed (409, nothing written), and another tenant or worker does not see it.
func TestProposalOnWithdrawnRequest(t *testing.T) {
	e := newEnv(t)
	w := user{"gent", uuid.NewString(), "social_worker"}
	head := user{"gent", uuid.NewString(), "social_service_head"}
	p, f := e.openFile("gent", w.id, "2026/000009")
	today := civil.Today()
	_, req, _, _ := e.call(w, "POST", "/v1/requests", map[string]any{"person_id": p, "file_id": f, "kind": "aide_sociale",
		"subtype": "rent_guarantee", "channel": "written", "received_on": today.String()})
	rid := req["id"].(string)
	st, _, raw, _ := e.call(w, "PUT", "/v1/requests/"+rid+"/inquiry", map[string]any{"conditions": []map[string]any{{"code": "state_of_need", "met": true}}}, `If-Match: "0"`)
	if st != 200 {
		t.Fatalf("inquiry %d %s", st, raw)
	}
	in := map[string]any{"outcome": "granted", "legal_basis": "Art. 1 et 57 LO", "one_off_cents": 120000, "periodicity": "once",
		"start": today.String(), "end": today.AddDays(30).String(), "motivation": "Garantie locative nécessaire",
		"payee": map[string]any{"kind": "third_party", "name": "Immo Gent", "iban": "BE68 5390 0754 7034"}}
	st, b, raw, h := e.call(w, "POST", "/v1/requests/"+rid+"/proposals", in)
	if st != 201 || b["payee"].(map[string]any)["iban"] != "BE68539007547034" {
		t.Fatalf("create %d %s", st, raw)
	}
	pid := b["id"].(string)
	_, _, _, h = e.call(w, "POST", "/v1/proposals/"+pid+"/submission", nil, "If-Match: "+h.Get("Etag"))
	_, rq, _, rh := e.call(w, "GET", "/v1/requests/"+rid, nil, purpose)
	if rq["status"] != "in_inquiry" {
		t.Fatalf("request %v", rq["status"])
	}
	if st, _, raw, _ := e.call(w, "POST", "/v1/requests/"+rid+"/withdrawal", map[string]any{"reason": "a trouvé un logement"}, "If-Match: "+rh.Get("Etag")); st != 200 {
		t.Fatalf("withdraw %d %s", st, raw)
	}
	if st, b, _, _ := e.call(head, "POST", "/v1/proposals/"+pid+"/validation", nil, "If-Match: "+h.Get("Etag")); st != 409 || b["detail"] == nil {
		t.Fatalf("validation after withdrawal: %d %v", st, b)
	}
	_, b, _, _ = e.call(head, "GET", "/v1/proposals/"+pid, nil, purpose)
	if b["status"] != "submitted" {
		t.Errorf("status %v", b["status"])
	}
	if st, _, _, _ := e.call(user{"liege", uuid.NewString(), "social_service_head"}, "GET", "/v1/proposals/"+pid, nil, purpose); st != 404 {
		t.Errorf("other tenant: %d", st)
	}
	if st, _, _, _ := e.call(user{"gent", uuid.NewString(), "social_worker"}, "GET", "/v1/proposals/"+pid, nil, purpose); st != 404 {
		t.Errorf("other worker: %d", st)
	}
	if st, _, _, _ := e.call(w, "GET", "/v1/proposals/"+pid, nil); st != 422 {
		t.Errorf("no purpose: %d", st)
	}
}

// validatedProposal runs a RIS request of a new file through its complete inquiry to a validated proposal of
// domain.md's worked example; it returns the proposal's id.
func validatedProposal(t *testing.T, e *env, w, head user, number string) string {
	t.Helper()
	p, f := e.openFile(w.tenant, w.id, number)
	today := civil.Today()
	_, req, _, _ := e.call(w, "POST", "/v1/requests", map[string]any{"person_id": p, "file_id": f, "kind": "ris", "channel": "written",
		"received_on": today.String()})
	rid := req["id"].(string)
	if st, _, raw, _ := e.call(w, "PUT", "/v1/requests/"+rid+"/inquiry", map[string]any{"conditions": allMet("ris"),
		"resources": []map[string]any{{"kind": "replacement_income", "period": "yearly", "amount": 360000, "whose": "applicant"}}}, `If-Match: "0"`); st != 200 {
		t.Fatalf("inquiry %d %s", st, raw)
	}
	st, b, raw, h := e.call(w, "POST", "/v1/requests/"+rid+"/proposals", map[string]any{"outcome": "granted", "legal_basis": "Art. 3 et 14 loi DIS",
		"category": 1, "category_justification": "cohabite", "monthly_cents": 58905, "start": today.String(),
		"review": today.AddYears(1).String(), "piis": true, "payee": map[string]any{"kind": "beneficiary"}, "motivation": "Conditions remplies."})
	if st != 201 {
		t.Fatalf("proposal %d %s", st, raw)
	}
	pid := b["id"].(string)
	_, _, _, h = e.call(w, "POST", "/v1/proposals/"+pid+"/submission", nil, "If-Match: "+h.Get("Etag"))
	if st, _, raw, _ := e.call(head, "POST", "/v1/proposals/"+pid+"/validation", nil, "If-Match: "+h.Get("Etag")); st != 200 {
		t.Fatalf("validation %d %s", st, raw)
	}
	return pid
}

// TestValidatedProposalOnAnAgenda: the committee secretary puts a validated proposal on a session's agenda through
// the session API (AgendaProposal's terms pass the committee's checks, Scheduled marks it); it is then offered to
// no other session, and taken off the agenda it is validated again.
func TestValidatedProposalOnAnAgenda(t *testing.T) {
	e := newEnv(t)
	w := user{"gent", uuid.NewString(), "social_worker"}
	head := user{"gent", uuid.NewString(), "social_service_head"}
	sec := user{"gent", uuid.NewString(), "committee_secretary"}
	pid := validatedProposal(t, e, w, head, "2026/000021")
	members := []map[string]any{{"user_id": sec.id, "role": "secretary", "name": "Sec"}, {"user_id": uuid.NewString(), "role": "president", "name": "Pres"}}
	for i := range 3 {
		members = append(members, map[string]any{"user_id": uuid.NewString(), "role": "member", "name": fmt.Sprint("M", i)})
	}
	plan := func() (string, string) {
		st, s, raw, h := e.call(sec, "POST", "/v1/sessions", map[string]any{"date": civil.Today().AddDays(20).String(), "time": "14:00",
			"place": "Salle du conseil", "members": members})
		if st != 201 {
			t.Fatalf("plan %d %s", st, raw)
		}
		return s["id"].(string), h.Get("Etag")
	}
	s1, v1 := plan()
	s2, v2 := plan()
	st, _, raw, h := e.call(sec, "POST", "/v1/sessions/"+s1+"/items", map[string]any{"kind": "proposal", "ref": pid}, "If-Match: "+v1)
	if st != 200 {
		t.Fatalf("add item %d %s", st, raw)
	}
	_, p, _, _ := e.call(head, "GET", "/v1/proposals/"+pid, nil, purpose)
	if p["status"] != "on_agenda" || p["session_id"] != s1 {
		t.Fatalf("proposal after scheduling: %v %v", p["status"], p["session_id"])
	}
	if st, _, _, _ := e.call(sec, "POST", "/v1/sessions/"+s2+"/items", map[string]any{"kind": "proposal", "ref": pid}, "If-Match: "+v2); st < 400 {
		t.Errorf("on two agendas: %d", st)
	}
	st, _, raw, _ = e.call(sec, "DELETE", "/v1/sessions/"+s1+"/items/"+pid, nil, "If-Match: "+h.Get("Etag"))
	if st >= 300 {
		t.Fatalf("remove item %d %s", st, raw)
	}
	_, p, _, _ = e.call(head, "GET", "/v1/proposals/"+pid, nil, purpose)
	if p["status"] != "validated" || p["session_id"] != nil {
		t.Errorf("proposal after removal: %v %v", p["status"], p["session_id"])
	}
}
