package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/services/identity"
	"github.com/entraide/entraide/services/payments/receivable"
)

// TestEndToEndReconciliationInterruptedReceivableMatch: a manual match of a queued credit to a receivable crashed
// between its two writes (the receivable booked, the line still open). The line's page names the receivable that
// holds it by its structured communication and offers to confirm that match (French, Dutch); an explanation is
// refused with that communication in the message; after the service's repair the page shows the line matched,
// completed by the system.
func TestEndToEndReconciliationInterruptedReceivableMatch(t *testing.T) {
	idURL := startIdentity(t, nil)
	papp, purl := startPayments(t, idURL)
	cfg := testConfig(idURL)
	cfg.PaymentsURL, cfg.PaymentsTimeout = purl, 10*time.Second
	_, hs := newTestServer(t, cfg)
	ctx := context.Background()
	today := civil.Today()
	p, f, d, rid := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	feedPayments(t, papp, "be.cpas.beneficiaries.person.registered.v1", "entraide-beneficiaries", p, map[string]any{
		"person_id": p, "family_name": "Dubois", "given_names": "Amélie"})
	feedPayments(t, papp, "be.cpas.beneficiaries.file.opened.v1", "entraide-beneficiaries", f, map[string]any{
		"file_id": f, "number": "2026/000804", "person_id": p, "assignee": uuid.NewString(), "opened_on": "2026-01-05", "origin": "manual"})
	feedPayments(t, papp, "be.cpas.decisions.decision.adopted.v1", "entraide-decisions", d, map[string]any{
		"decision_id": d, "person_id": p, "file_id": f, "source": "session", "kind": "ris", "outcome": "granted",
		"monthly_cents": 131420, "first_month_cents": 0, "one_off_cents": 0, "start": civil.MustNew(today.Year(), today.Month(), 1).String(),
		"periodicity": "monthly", "piis": false, "payee": map[string]any{"kind": "beneficiary"}, "decided_on": today.String()})
	feedPayments(t, papp, "be.cpas.decisions.recovery.decided.v1", "entraide-decisions", d, map[string]any{
		"recovery_id": rid, "decision_id": d, "person_id": p, "file_id": f, "kind": "ris", "case": "false_declaration",
		"amount_cents": 25000, "period_from": "2026-01-01", "period_to": "2026-01-31", "decided_on": today.String()})
	if err := papp.Receivables.Sync(ctx, "demo", d); err != nil {
		t.Fatal(err)
	}

	acc := newBrowser(t, hs.URL).login("demo", "comptable", identity.DemoPassword)
	acc.get("/payments/statements")
	acc.postMultipart("/payments/statements", [][2]string{{"idempotency_key", newIdempotencyKey()}, {"format", "auto"}}, "releve-61.xml",
		creditStatementXML("Marc Dubois", "BE62510007547061", "123456789002", 25000, 61))
	acc.expect(http.StatusOK, "Le relevé est importé et rapproché.")
	acc.get("/payments/reconciliation")
	item := regexp.MustCompile(`href="/payments/reconciliation/([0-9a-f-]{36})"`).FindStringSubmatch(acc.body)
	if item == nil {
		t.Fatalf("no queued line\n%s", acc.body)
	}
	queued, err := papp.Reconcile.Queue.Load(ctx, "demo", item[1])
	if err != nil {
		t.Fatal(err)
	}
	// The crash: the line booked on the receivable, the item not marked.
	if _, err := papp.Receivables.BookManual(ctx, "demo", rid, receivable.Credit{StatementLineID: queued.State.LineID, AmountCents: 25000,
		BookedOn: today}); err != nil {
		t.Fatal(err)
	}
	rc, _ := papp.Receivables.Repo.Load(ctx, "demo", rid)
	code := ogm.MustParse(rc.State.OGM).Format()
	shown := strings.ReplaceAll(code, "+", "&#43;")
	page := "/payments/reconciliation/" + item[1]

	acc.get(page)
	acc.expect(http.StatusOK, "Cette ligne est déjà imputée sur la créance "+shown, "Confirmer l&#39;imputation sur cette créance",
		`name="receivable_id" value="`+rid+`"`)
	v := versionRe.FindStringSubmatch(acc.body)[1]
	acc.post(page+"/match", url.Values{"version": {v}, "kind": {"explained"}, "note": {"Remboursement"}})
	acc.expect(http.StatusUnprocessableEntity, "Cette ligne est déjà imputée sur la créance "+shown+".")
	acc.get("/lang/nl?return=" + page)
	acc.expect(http.StatusOK, "Deze lijn is al geboekt op de vordering "+shown, "De boeking op deze vordering bevestigen")
	acc.get("/lang/fr?return=" + page)

	if n, err := papp.Reconcile.RepairReceivableMatches(ctx); n != 1 || err != nil {
		t.Fatalf("repair: %d %v", n, err)
	}
	acc.get(page)
	acc.expect(http.StatusOK, "imputée sur une créance", "complété par le système après une interruption")
	acc.expectNot("Confirmer l&#39;imputation sur cette créance")
}
