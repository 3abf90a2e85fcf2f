package decisions_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/decisions/committee"
	"github.com/entraide/entraide/services/decisions/decision"
)

// TestDecisionFromAValidatedProposal runs the real proposals (not a stand-in): a RIS request through its inquiry
// and a validated proposal of domain.md's worked example, decided by a session's item built from AgendaProposal;
// the proposal is marked decided, the request decided, and the letter built from the proposal's basis carries
// every mandatory mention with the calculation's working.
func TestDecisionFromAValidatedProposal(t *testing.T) {
	fx := newDecisionFixture(t)
	fx.setCourt(t)
	e := fx.e
	e.app.Decisions.Proposals = nil
	e.app.WireDecisionsForTest()
	today := civil.Today()
	received := fx.received
	rid := fx.reqNL
	inq := map[string]any{"identity": map[string]any{"checked": true, "document": "eID"},
		"residence": map[string]any{"address": "Kerkstraat 3, 9000 Gent", "home_visit_on": today.String(), "findings": "Studio"},
		"resources": []map[string]any{{"kind": "replacement_income", "period": "yearly", "amount": 360000, "whose": "applicant"}},
		"needs":     "Loyer", "conditions": allMet("ris")}
	if st, _, raw, _ := e.call(fx.w1, "PUT", "/v1/requests/"+rid+"/inquiry", inq, `If-Match: "0"`); st != 200 {
		t.Fatalf("inquiry: %d %s", st, raw)
	}
	st, p, raw, h := e.call(fx.w1, "POST", "/v1/requests/"+rid+"/proposals", map[string]any{"outcome": "granted",
		"legal_basis": "Articles 3 et 14 de la loi du 26 mai 2002", "category": 1, "category_justification": "Cohabite avec sa sœur",
		"monthly_cents": 58905, "start": received.String(), "review": received.AddYears(1).String(), "piis": true,
		"payee": map[string]any{"kind": "beneficiary"}, "motivation": "Ressources insuffisantes, conditions remplies."})
	if st != 201 {
		t.Fatalf("proposal: %d %s", st, raw)
	}
	pid := p["id"].(string)
	_, _, _, h = e.call(fx.w1, "POST", "/v1/proposals/"+pid+"/submission", nil, "If-Match: "+h.Get("Etag"))
	if st, _, raw, _ := e.call(fx.head, "POST", "/v1/proposals/"+pid+"/validation", nil, "If-Match: "+h.Get("Etag")); st != 200 {
		t.Fatalf("validation: %d %s", st, raw)
	}
	ctx := context.Background()
	ap, err := e.app.Proposals.AgendaProposal(ctx, "gent", pid)
	if err != nil {
		t.Fatal(err)
	}
	session := uuid.NewString()
	it := committee.Item{Number: 1, Kind: committee.ItemProposal, Ref: ap.Ref, PersonRef: ap.PersonRef, FileRef: ap.FileRef,
		Aid: ap.Kind, Terms: ap.Terms, Outcome: committee.Approved}
	for range 2 {
		if err := e.app.Decisions.ItemDecided(ctx, "gent", session, fx.decidedOn, it); err != nil {
			t.Fatal(err)
		}
	}
	id := decision.SessionDecisionID(session, pid)
	_, pr, _, _ := e.call(fx.head, "GET", "/v1/proposals/"+pid, nil, purpose)
	if pr["status"] != "decided" {
		t.Errorf("proposal %v", pr["status"])
	}
	_, rq, _, _ := e.call(fx.w1, "GET", "/v1/requests/"+rid, nil, purpose)
	if rq["status"] != "decided" {
		t.Errorf("request %v", rq["status"])
	}
	st, d, raw, _ := e.call(fx.w1, "GET", "/v1/decisions/"+id, nil, purpose)
	if st != 200 || d["monthly_cents"] != float64(58905) || d["request_id"] != rid || len(d["working"].([]any)) == 0 {
		t.Fatalf("decision: %d %s", st, raw)
	}
	st, _, raw, _ = e.call(fx.w1, "GET", "/v1/decisions/"+id+"/letter", nil, purpose)
	if st != 200 {
		t.Fatalf("letter: %d %s", st, raw)
	}
	for _, want := range []string{"Arbeidsrechtbank Gent", "drie maanden", "niet opschortend", "2026/000101", "589,05", "Categorie"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("letter lacks %q", want)
		}
	}
}
