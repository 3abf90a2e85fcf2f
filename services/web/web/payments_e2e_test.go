package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/services/identity"
	"github.com/entraide/entraide/services/payments"
	"github.com/entraide/entraide/services/payments/settings"
)

// startPayments runs the real payments service in-process (tokens verified through the identity JWKS; no Kafka:
// the test hands it the registry's and the decisions' events), with the demo tenant's debtor account set.
func startPayments(t *testing.T, identityURL string) (*payments.App, string) {
	t.Helper()
	db := testkit.Database(t)
	r := config.FromMap(map[string]string{"MONGO_DATABASE": db.Name(), "IDENTITY_URL": identityURL})
	pcfg := payments.LoadConfig(r)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	app, err := payments.NewAppOnDB(ctx, pcfg, slog.New(slog.DiscardHandler), db, nil)
	if err != nil {
		t.Fatalf("start payments: %v", err)
	}
	st, err := app.Settings.Get(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	next := st.State
	next.DebtorName, next.DebtorIBAN, next.PainVersion = "CPAS demo", "BE21001234567803", settings.Pain09
	if _, err := app.Settings.Put(ctx, "demo", st.Version, next); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(app.Handler)
	t.Cleanup(hs.Close)
	return app, hs.URL
}

// feedPayments hands the payments service one event as its producer would publish it.
func feedPayments(t *testing.T, app *payments.App, typ, source, subject string, data any) {
	t.Helper()
	ev, err := events.New(typ, source, "demo", subject, uuid.NewString(), data)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(typ, "be.cpas.beneficiaries.") {
		err = app.Projection.Handle(context.Background(), ev)
	} else {
		err = app.Schedules.Handle(context.Background(), ev)
	}
	if err != nil {
		t.Fatal(err)
	}
}

var runPathRe = regexp.MustCompile(`^/payments/runs/([0-9a-f-]{36})$`)

// TestEndToEndPayments drives the payment pages against the real identity and payments services: the due list
// (Belgian amounts, totals, a filter, a French field error), a run built by the accountant (field error, success),
// the accountant sees no approval, the finance director approves (the version shown), exports the pain.001 file
// and downloads it again (the same bytes); a social worker has no payment page.
func TestEndToEndPayments(t *testing.T) {
	idURL := startIdentity(t, nil)
	papp, purl := startPayments(t, idURL)
	cfg := testConfig(idURL)
	cfg.PaymentsURL, cfg.PaymentsTimeout = purl, 10*time.Second
	_, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword

	today := civil.Today()
	for i, name := range []string{"Dubois", "Janssens"} {
		p, f := uuid.NewString(), uuid.NewString()
		feedPayments(t, papp, "be.cpas.beneficiaries.person.registered.v1", "entraide-beneficiaries", p, map[string]any{
			"person_id": p, "family_name": name, "given_names": "Amélie"})
		feedPayments(t, papp, "be.cpas.beneficiaries.bankaccount.changed.v1", "entraide-beneficiaries", p, map[string]any{
			"person_id": p, "account_id": uuid.NewString(), "holder": "Amélie " + name, "old_iban": nil,
			"new_iban": "BE68539007547034", "payee_name": "Amélie " + name, "effective_at": time.Now().UTC().Format(time.RFC3339)})
		feedPayments(t, papp, "be.cpas.beneficiaries.file.opened.v1", "entraide-beneficiaries", f, map[string]any{
			"file_id": f, "number": "2026/00070" + string(rune('1'+i)), "person_id": p, "assignee": uuid.NewString(),
			"opened_on": "2026-01-05", "origin": "manual"})
		d := uuid.NewString()
		feedPayments(t, papp, "be.cpas.decisions.decision.adopted.v1", "entraide-decisions", d, map[string]any{
			"decision_id": d, "person_id": p, "file_id": f, "source": "session", "kind": "ris", "outcome": "granted",
			"monthly_cents": 131420, "first_month_cents": 0, "one_off_cents": 0, "start": civil.MustNew(today.Year(), today.Month(), 1).String(),
			"periodicity": "monthly", "piis": false, "payee": map[string]any{"kind": "beneficiary"}, "decided_on": today.String()})
	}

	acc := newBrowser(t, hs.URL).login("demo", "comptable", pw)
	acc.get("/")
	acc.expect(http.StatusOK, `href="/payments"`, `href="/payments/runs"`)
	acc.get("/payments?due_by=" + today.String())
	acc.expect(http.StatusOK, "Paiements dus", "2026/000701", "Amélie Dubois", "1.314,20 €", "2 échéance(s), total 2.628,40 €")
	acc.get("/payments?due_by=hier")
	acc.expect(http.StatusUnprocessableEntity, "Date invalide")
	acc.get("/payments?kind=aide_sociale")
	acc.expect(http.StatusOK, "Aucune échéance ne correspond.")

	acc.get("/payments/runs")
	acc.expect(http.StatusOK, "Constituer un lot", `name="idempotency_key"`)
	acc.post("/payments/runs", url.Values{"execution_date": {""}, "idempotency_key": {newIdempotencyKey()}})
	acc.expect(http.StatusUnprocessableEntity, "Ce champ est obligatoire.")
	acc.get("/payments/runs")
	acc.post("/payments/runs", url.Values{"execution_date": {today.String()}, "kinds": {"ris"}, "idempotency_key": {newIdempotencyKey()}})
	m := runPathRe.FindStringSubmatch(acc.res.Request.URL.Path)
	if m == nil {
		t.Fatalf("not on a run page: %s\n%s", acc.res.Request.URL, acc.body)
	}
	runPath := acc.res.Request.URL.Path
	acc.expect(http.StatusOK, "Le lot de paiement est constitué.", "À approuver", "2.628,40 €", "E2E-P", "Amélie Janssens")
	acc.expectNot("/approval")

	dir := newBrowser(t, hs.URL).login("demo", "directeur", pw)
	dir.get(runPath)
	dir.expect(http.StatusOK, "Approuver 2 paiement(s) pour 2.628,40 €")
	vm := versionRe.FindStringSubmatch(dir.body)
	keys := regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`).FindStringSubmatch(dir.body)
	dir.post(runPath+"/approval", url.Values{"version": {vm[1]}, "idempotency_key": {keys[1]}})
	dir.expect(http.StatusOK, "Le lot de paiement est approuvé.", "Approuvé", "Produire le fichier SEPA")
	// A second approval from the stale page: the run can no longer change.
	dir.post(runPath+"/approval", url.Values{"version": {vm[1]}, "idempotency_key": {newIdempotencyKey()}})
	dir.expect(http.StatusPreconditionFailed, "Le lot a changé entre-temps")

	dir.get(runPath)
	dir.post(runPath+"/export", url.Values{"idempotency_key": {newIdempotencyKey()}})
	if dir.res.StatusCode != 200 || !strings.Contains(dir.res.Header.Get("Content-Disposition"), "attachment") ||
		!strings.Contains(dir.body, "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09") || !strings.Contains(dir.body, "<NbOfTxs>2</NbOfTxs>") {
		t.Fatalf("export: %d %v\n%s", dir.res.StatusCode, dir.res.Header, dir.body)
	}
	file := dir.body
	dir.get(runPath)
	dir.expect(http.StatusOK, "Exporté", "Télécharger le fichier (pain.001.001.09)")
	dir.get(runPath + "/file")
	if dir.res.StatusCode != 200 || dir.body != file {
		t.Fatalf("download differs: %d", dir.res.StatusCode)
	}

	// The payment settings: the accountant reads them, the finance director changes them (French field error).
	acc.get("/payments/settings")
	acc.expect(http.StatusOK, "Paramètres de paiement", `value="BE21001234567803"`, "<fieldset disabled>")
	acc.expectNot(">Enregistrer</button>")
	dir.get("/payments/settings")
	dir.expect(http.StatusOK, ">Enregistrer</button>", `value="8320/333-01"`)
	sv := versionRe.FindStringSubmatch(dir.body)
	form := url.Values{"version": {sv[1]}, "debtor_name": {"CPAS demo"}, "debtor_iban": {"BE21 0012 3456 7804"},
		"pain_version": {"pain.001.001.03"}, "batch_booking": {"on"}, "budget_articles_ris": {"8320/333-01"}}
	dir.post("/payments/settings", form)
	dir.expect(http.StatusUnprocessableEntity, "IBAN invalide.", `value="BE21 0012 3456 7804"`)
	form.Set("debtor_iban", "BE21 0012 3456 7803")
	dir.post("/payments/settings", form)
	dir.expect(http.StatusOK, "Les paramètres de paiement sont enregistrés.", `value="pain.001.001.03" selected`)
	dir.post("/payments/settings", form) // the stale version
	dir.expect(http.StatusConflict, "modifiés entre-temps")

	worker := newBrowser(t, hs.URL).login("demo", "assistant", pw)
	worker.get("/")
	worker.expectNot(`href="/payments"`)
	worker.get("/payments")
	worker.expect(http.StatusForbidden)
}

// TestFilePagePayments: the file page shows the social worker the payment status of the file's instalments
// (amounts in the Belgian format, no account); the payments service refuses another worker's file, which the
// registry refuses first anyway.
func TestFilePagePayments(t *testing.T) {
	cfg, bapp := startRegistryApp(t, 1<<20, nil)
	papp, purl := startPayments(t, cfg.IdentityURL)
	cfg.PaymentsURL, cfg.PaymentsTimeout = purl, 10*time.Second
	_, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword

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
	worker.expect(http.StatusOK, "Aucun paiement prévu.")

	rec, err := bapp.Files.Repository.LoadFile(context.Background(), "demo", fileID)
	if err != nil {
		t.Fatal(err)
	}
	feedPayments(t, papp, "be.cpas.beneficiaries.file.opened.v1", "entraide-beneficiaries", fileID, map[string]any{
		"file_id": fileID, "number": rec.State.Number, "person_id": personID, "assignee": rec.State.Assignee,
		"opened_on": rec.State.OpenedOn.String(), "origin": "manual"})
	d := uuid.NewString()
	today := civil.Today()
	feedPayments(t, papp, "be.cpas.decisions.decision.adopted.v1", "entraide-decisions", d, map[string]any{
		"decision_id": d, "person_id": personID, "file_id": fileID, "source": "session", "kind": "aide_sociale",
		"subtype": "energy", "outcome": "granted", "monthly_cents": 0, "first_month_cents": 0, "one_off_cents": 123456,
		"periodicity": "once", "piis": false, "payee": map[string]any{"kind": "third_party", "name": "Sibelga", "iban": "BE05068123456775"},
		"decided_on": today.String()})
	worker.get(filePath)
	worker.expect(http.StatusOK, "Paiements du dossier (1)", "1.234,56 €", "Aide ponctuelle (tiers)", "Dû")
	worker.expectNot("BE05068123456775", "BE05 0681")

	other := newBrowser(t, hs.URL).login("demo", "assistant2", pw)
	other.get(filePath)
	if other.res.StatusCode == http.StatusOK && strings.Contains(other.body, "1.234,56 €") {
		t.Fatal("another worker reads the file's payments")
	}
}
