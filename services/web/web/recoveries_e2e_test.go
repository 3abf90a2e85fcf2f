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
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/lang"
	"github.com/entraide/entraide/services/identity"
	"github.com/entraide/entraide/services/payments"
)

// feedRecoveries hands the payments service one event (schedules or projection, and the subsidy) as its
// producer would publish it.
func feedRecoveries(t *testing.T, app *payments.App, typ, source, subject string, data any) {
	t.Helper()
	feedPayments(t, app, typ, source, subject, data)
	ev, err := events.New(typ, source, "demo", subject, uuid.NewString(), data)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Subsidy.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
}

var recoveryPathRe = regexp.MustCompile(`href="/payments/recoveries/([0-9a-f-]{36})"`)

// TestEndToEndRecoveries drives the recovery, ledger and export pages against the real identity and payments
// services: a recovery decided shows with its OGM and amount in the Belgian format; the accountant sets a plan
// (a French field error first) and cannot waive; the finance director waives with a reason (an error without)
// and sets the CPAS's subsidy band; the ledger lists the beneficiary and their lines; the subsidy's B data set (the
// band's share + PIIS) and the journal download as CSV; the pages in Dutch; a social worker has none of them.
func TestEndToEndRecoveries(t *testing.T) {
	idURL := startIdentity(t, nil)
	papp, purl := startPayments(t, idURL)
	cfg := testConfig(idURL)
	cfg.PaymentsURL, cfg.PaymentsTimeout = purl, 10*time.Second
	_, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword
	ctx := context.Background()

	today := civil.Today()
	p, f, d := uuid.NewString(), uuid.NewString(), uuid.NewString()
	feedRecoveries(t, papp, "be.cpas.beneficiaries.person.registered.v1", "entraide-beneficiaries", p, map[string]any{
		"person_id": p, "family_name": "Dubois", "given_names": "Amélie", "niss": "85071412330", "residence_status": "belgian"})
	feedRecoveries(t, papp, "be.cpas.beneficiaries.bankaccount.changed.v1", "entraide-beneficiaries", p, map[string]any{
		"person_id": p, "account_id": uuid.NewString(), "holder": "Amélie Dubois", "old_iban": nil,
		"new_iban": "BE68539007547034", "payee_name": "Amélie Dubois", "effective_at": time.Now().UTC().Format(time.RFC3339)})
	feedRecoveries(t, papp, "be.cpas.beneficiaries.file.opened.v1", "entraide-beneficiaries", f, map[string]any{
		"file_id": f, "number": "2026/000801", "person_id": p, "assignee": uuid.NewString(), "opened_on": "2026-01-05", "origin": "manual"})
	feedRecoveries(t, papp, "be.cpas.decisions.decision.adopted.v1", "entraide-decisions", d, map[string]any{
		"decision_id": d, "person_id": p, "file_id": f, "source": "session", "kind": "ris", "outcome": "granted", "category": 2,
		"monthly_cents": 131420, "first_month_cents": 0, "one_off_cents": 0, "start": civil.MustNew(today.Year(), today.Month(), 1).String(),
		"periodicity": "monthly", "piis": true, "payee": map[string]any{"kind": "beneficiary"}, "decided_on": today.String()})
	feedRecoveries(t, papp, "be.cpas.decisions.recovery.decided.v1", "entraide-decisions", d, map[string]any{
		"recovery_id": uuid.NewString(), "decision_id": d, "person_id": p, "file_id": f, "kind": "ris", "case": "false_declaration",
		"amount_cents": 123456, "period_from": "2026-01-01", "period_to": "2026-01-31", "decided_on": today.String()})
	if err := papp.Receivables.Sync(ctx, "demo", d); err != nil {
		t.Fatal(err)
	}

	acc := newBrowser(t, hs.URL).login("demo", "comptable", pw)
	acc.get("/")
	acc.expect(http.StatusOK, `href="/payments/recoveries"`, `href="/payments/ledger"`, `href="/payments/exports"`)
	acc.get("/payments/recoveries")
	acc.expect(http.StatusOK, "Récupérations", "000/0000/00101", "2026/000801", "Amélie Dubois", "1.234,56 €", "Récupération décidée")
	acc.get("/payments/recoveries?status=nope")
	acc.expect(http.StatusUnprocessableEntity, "Valeur invalide.")
	acc.get("/payments/recoveries")
	m := recoveryPathRe.FindStringSubmatch(acc.body)
	if m == nil {
		t.Fatalf("no receivable link\n%s", acc.body)
	}
	page := "/payments/recoveries/" + m[1]
	acc.get(page)
	acc.expect(http.StatusOK, "000/0000/00101", "fausse déclaration", "Aucun remboursement reçu.", "Enregistrer le plan")
	acc.expectNot("Renonciation au solde")
	vm := versionRe.FindStringSubmatch(acc.body)
	acc.post(page+"/plan", url.Values{"version": {vm[1]}, "monthly": {"douze"}, "start": {today.String()}})
	acc.expect(http.StatusUnprocessableEntity, "Montant invalide")
	acc.post(page+"/plan", url.Values{"version": {vm[1]}, "monthly": {"2.000,00"}, "start": {today.String()}})
	acc.expect(http.StatusUnprocessableEntity, "La mensualité dépasse le solde dû.")
	acc.post(page+"/plan", url.Values{"version": {vm[1]}, "monthly": {"500,00"}, "start": {today.String()}})
	acc.expect(http.StatusOK, "Le plan", "500,00 € par mois", "234,56 €")
	acc.post(page+"/closure", url.Values{"version": {vm[1]}, "kind": {"waiver"}, "reason": {"Test"}})
	acc.expect(http.StatusForbidden)

	dir := newBrowser(t, hs.URL).login("demo", "directeur", pw)
	dir.get(page)
	dir.expect(http.StatusOK, "Renonciation au solde", `name="idempotency_key"`)
	vm = versionRe.FindStringSubmatch(dir.body)
	dir.post(page+"/closure", url.Values{"version": {vm[1]}, "kind": {"waiver"}, "reason": {""}, "idempotency_key": {newIdempotencyKey()}})
	dir.expect(http.StatusUnprocessableEntity, "Indiquez un motif")
	dir.post(page+"/closure", url.Values{"version": {vm[1]}, "kind": {"waiver"}, "reason": {"Situation précaire, art. 98"},
		"idempotency_key": {newIdempotencyKey()}})
	dir.expect(http.StatusOK, "La créance est clôturée.", "Renonciation", "Situation précaire, art. 98")
	dir.expectNot("Enregistrer le plan")
	dir.post(page+"/closure", url.Values{"version": {vm[1]}, "kind": {"cancellation"}, "reason": {"Doublon"}, "idempotency_key": {newIdempotencyKey()}})
	dir.expect(http.StatusPreconditionFailed, "La créance a changé entre-temps")

	acc.get("/payments/ledger?q=dubois")
	acc.expect(http.StatusOK, "Grands livres", "Totaux du CPAS", "1 bénéficiaire(s)", "Amélie Dubois", "2026/000801")
	acc.get("/payments/ledger?from=2026-13")
	acc.expect(http.StatusUnprocessableEntity, "Mois invalide")
	acc.get("/payments/ledger/" + p)
	acc.expect(http.StatusOK, "Amélie Dubois", "Créance", "Renonciation ou annulation", "1.234,56 €", `href="/payments/recoveries/`+m[1]+`"`)

	// The finance director puts the CPAS in the 70% band: with its PIIS the decision's share is 80%.
	dir.get("/payments/settings")
	dir.expect(http.StatusOK, "Taux de base", `value="0" selected`)
	sv := versionRe.FindStringSubmatch(dir.body)
	dir.post("/payments/settings", url.Values{"version": {sv[1]}, "debtor_name": {"CPAS demo"}, "debtor_iban": {"BE21001234567803"},
		"pain_version": {"pain.001.001.09"}, "batch_booking": {"on"}, "budget_articles_ris": {"8320/333-01"}, "subsidy_band": {"70"}})
	dir.expect(http.StatusOK, "Les paramètres de paiement sont enregistrés.", `value="70" selected`)

	month := today.String()[:7]
	acc.get("/payments/exports")
	acc.expect(http.StatusOK, "Subside SPP IS", "B — octroi et chaque modification", "/payments/exports/subsidy?month="+month+"&amp;form=B&amp;format=csv")
	acc.get("/payments/exports/subsidy?month=" + month + "&form=B&format=csv")
	if acc.res.StatusCode != 200 || !strings.Contains(acc.res.Header.Get("Content-Disposition"), "attachment") ||
		!strings.HasPrefix(acc.body, "form;enterprise_number;niss;") || !strings.Contains(acc.body, ";85071412330;") || !strings.Contains(acc.body, ";80;piis;") {
		t.Fatalf("B export: %d %v\n%s", acc.res.StatusCode, acc.res.Header, acc.body)
	}
	acc.get("/payments/exports/journal?month=" + month + "&format=csv")
	if acc.res.StatusCode != 200 || !strings.HasPrefix(acc.body, "date;journal;budget_article;") || !strings.Contains(acc.body, ";receivables;8320/333-01;ris;debit;1;1234.56;") {
		t.Fatalf("journal: %d\n%s", acc.res.StatusCode, acc.body)
	}
	acc.get("/payments/exports/subsidy?month=" + month + "&form=Z&format=csv")
	acc.expect(http.StatusUnprocessableEntity, "Valeur invalide.")

	// The decision's subsidy, reached from the ledger: marked as a homeless person's first residence → 100%.
	acc.get("/payments/ledger/" + p)
	acc.expect(http.StatusOK, `href="/payments/subsidy/decisions/`+d+`"`)
	acc.get("/payments/subsidy/decisions/" + d)
	acc.expect(http.StatusOK, "80 %", "10 % PIIS", "1.051,36 €")
	sv = versionRe.FindStringSubmatch(acc.body)
	acc.post("/payments/subsidy/decisions/"+d, url.Values{"version": {sv[1]}, "homeless_first_residence": {"on"}})
	acc.expect(http.StatusOK, "La base du subside est enregistrée.", "100 %", "1.314,20 €")
	acc.post("/payments/subsidy/decisions/"+d, url.Values{"version": {sv[1]}})
	acc.expect(http.StatusPreconditionFailed, "La décision a changé entre-temps")

	// In Dutch.
	nl := newBrowser(t, hs.URL).login("demo", "comptable", pw)
	u, _ := url.Parse(hs.URL)
	nl.client.Jar.SetCookies(u, []*http.Cookie{{Name: lang.CookieName, Value: "nl", Path: "/"}})
	nl.get("/payments/recoveries?status=all")
	nl.expect(http.StatusOK, "Terugvorderingen", "Beslist teruggevorderd", "Afstand", "1.234,56 €")
	nl.get(page)
	nl.expect(http.StatusOK, "Gestructureerde mededeling", "Afbetalingsplan", "500,00 € per maand")

	worker := newBrowser(t, hs.URL).login("demo", "assistant", pw)
	worker.get("/")
	worker.expectNot(`href="/payments/recoveries"`, `href="/payments/ledger"`)
	for _, path := range []string{"/payments/recoveries", "/payments/ledger", "/payments/exports", page, "/payments/subsidy/decisions/" + d} {
		worker.get(path)
		worker.expect(http.StatusForbidden)
	}
}

// TestFilePageReceivables: the file page shows the social worker what the beneficiary owes back on the file
// (origin, communication to quote, amount and balance in the Belgian format, status; no account), another worker
// does not read it.
func TestFilePageReceivables(t *testing.T) {
	cfg, bapp := startRegistryApp(t, 1<<20, nil)
	papp, purl := startPayments(t, cfg.IdentityURL)
	cfg.PaymentsURL, cfg.PaymentsTimeout = purl, 10*time.Second
	_, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword
	ctx := context.Background()

	worker := newBrowser(t, hs.URL).login("demo", "assistant", pw)
	worker.post("/persons/new", personForm("", "Lambert", "Zoé", "1990-03-02", "female"))
	m := personPathRe.FindStringSubmatch(worker.res.Request.URL.Path)
	if m == nil {
		t.Fatalf("not on a person page: %s", worker.res.Request.URL)
	}
	personID := m[1]
	worker.post("/persons/"+personID+"/files", url.Values{"idempotency_key": {newIdempotencyKey()}})
	fm := filePathRe.FindStringSubmatch(worker.res.Request.URL.Path)
	if fm == nil {
		t.Fatalf("not on a file page: %s", worker.res.Request.URL)
	}
	filePath, fileID := worker.res.Request.URL.Path, fm[1]
	worker.expectNot("Sommes à rembourser")

	rec, err := bapp.Files.Repository.LoadFile(ctx, "demo", fileID)
	if err != nil {
		t.Fatal(err)
	}
	feedPayments(t, papp, "be.cpas.beneficiaries.file.opened.v1", "entraide-beneficiaries", fileID, map[string]any{
		"file_id": fileID, "number": rec.State.Number, "person_id": personID, "assignee": rec.State.Assignee,
		"opened_on": rec.State.OpenedOn.String(), "origin": "manual"})
	d := uuid.NewString()
	today := civil.Today()
	feedPayments(t, papp, "be.cpas.decisions.decision.adopted.v1", "entraide-decisions", d, map[string]any{
		"decision_id": d, "person_id": personID, "file_id": fileID, "source": "session", "kind": "ris", "outcome": "granted",
		"category": 2, "monthly_cents": 131420, "first_month_cents": 0, "one_off_cents": 0, "start": civil.MustNew(today.Year(), today.Month(), 1).String(),
		"periodicity": "monthly", "piis": false, "payee": map[string]any{"kind": "beneficiary"}, "decided_on": today.String()})
	feedPayments(t, papp, "be.cpas.decisions.recovery.decided.v1", "entraide-decisions", d, map[string]any{
		"recovery_id": uuid.NewString(), "decision_id": d, "person_id": personID, "file_id": fileID, "kind": "ris", "case": "cpas_error",
		"amount_cents": 123456, "period_from": "2026-01-01", "period_to": "2026-01-31", "decided_on": today.String()})
	if err := papp.Receivables.Sync(ctx, "demo", d); err != nil {
		t.Fatal(err)
	}
	worker.get(filePath)
	worker.expect(http.StatusOK, "Sommes à rembourser (1)", "Récupération décidée (erreur du CPAS)", "000/0000/00101", "1.234,56 €", "En cours")

	other := newBrowser(t, hs.URL).login("demo", "assistant2", pw)
	other.get(filePath)
	if other.res.StatusCode == http.StatusOK && strings.Contains(other.body, "Sommes à rembourser") {
		t.Fatal("another worker reads the file's receivables")
	}
}
