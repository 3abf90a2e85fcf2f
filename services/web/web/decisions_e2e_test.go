package web

import (
	"context"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/services/beneficiaries"
	"github.com/entraide/entraide/services/decisions"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/projection"
	"github.com/entraide/entraide/services/identity"
)

// sessionDaysAhead moves the in-process decisions service's committee clock that many days ahead (0: today): a
// session opens on its day, so the tests that plan one ahead move to that day for the opening.
var sessionDaysAhead atomic.Int64

func openSessionsOnTheirDay(t *testing.T, days int) {
	sessionDaysAhead.Store(int64(days))
	t.Cleanup(func() { sessionDaysAhead.Store(0) })
}

// startDecisions runs the real decisions service in-process, verifying the identity service's tokens through its
// JWKS (no Kafka: the test feeds its projection of the registry with the events the registry would publish).
func startDecisions(t *testing.T, identityURL string) (*decisions.App, string) {
	t.Helper()
	db := testkit.Database(t)
	r := config.FromMap(map[string]string{"MONGO_DATABASE": db.Name(), "IDENTITY_URL": identityURL})
	dcfg := decisions.LoadConfig(r)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	app, err := decisions.NewAppOnDB(ctx, dcfg, slog.New(slog.DiscardHandler), db, nil)
	if err != nil {
		t.Fatalf("start decisions: %v", err)
	}
	app.Sessions.Now = func() time.Time { return time.Now().AddDate(0, 0, int(sessionDaysAhead.Load())) }
	hs := httptest.NewServer(app.Handler)
	t.Cleanup(hs.Close)
	return app, hs.URL
}

// projectFile gives the decisions service what the registry's events say of a person and their file: the person
// (name, language, address) and the file as the beneficiaries service stored it (number, applicant, assignee).
func projectFile(t *testing.T, bapp *beneficiaries.App, dapp *decisions.App, personID, fileID, family, given, language string) {
	t.Helper()
	ctx := context.Background()
	rec, err := bapp.Files.Repository.LoadFile(ctx, "demo", fileID)
	if err != nil {
		t.Fatal(err)
	}
	feed := func(typ, subject string, data any) {
		ev, err := events.New(typ, "entraide-beneficiaries", "demo", subject, uuid.NewString(), data)
		if err != nil {
			t.Fatal(err)
		}
		if err := dapp.Projection.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	feed(projection.TypePersonRegistered, personID, map[string]any{"person_id": personID, "family_name": family,
		"given_names": given, "language": language,
		"address": map[string]any{"street": "Kerkstraat", "number": "3", "postcode": 9000, "municipality": "Gent"}})
	feed(projection.TypeFileOpened, fileID, map[string]any{"file_id": fileID, "number": rec.State.Number,
		"person_id": personID, "assignee": rec.State.Assignee, "opened_on": rec.State.OpenedOn.String(), "origin": "manual"})
}

var (
	requestPathRe = regexp.MustCompile(`^/persons/[0-9a-f-]{36}/requests/([0-9a-f-]{36})$`)
	versionRe     = regexp.MustCompile(`name="version" value="(\d+)"`)
)

// settingsForm is a complete settings form at version.
func settingsForm(version, kbo string) url.Values {
	v := url.Values{"version": {version}, "cpas_name": {"OCMW Gent"}, "service_name": {"Sociale dienst"},
		"enterprise_number": {kbo}, "address_street": {"Onderbergen 86"}, "address_postal_code": {"9000"},
		"address_city": {"Gent"}, "phone": {"09 266 99 00"}, "email": {"info@ocmw.example"},
		"labour_court_name": {"Arbeidsrechtbank Gent"}, "labour_court_division": {"afdeling Gent"},
		"labour_court_address_street": {"Opgeëistenlaan 401"}, "labour_court_address_postal_code": {"9000"},
		"labour_court_address_city": {"Gent"}}
	for n, x := range map[string]string{"piis_conclusion_months": "3", "piis_evaluations_per_year": "3",
		"piis_interviews_per_year": "2", "review_months": "12", "convocation_clear_days": "5",
		"piis_suspension_months": "1", "piis_repeat_suspension_months": "3"} {
		v.Set(n, x)
	}
	return v
}

// TestEndToEndRequests drives the aid request pages against the real identity, beneficiaries and decisions
// services: the tenant admin's settings (Dutch field error, save, stale version), a request registered from a
// file (Dutch field errors with the input kept, success, the same key twice), its acknowledgment (HTML with the
// deadline sentence under a CSP pinning its stylesheet, PDF), the file's list of requests, the deadline board of
// the worker and of the head (with the worker filter), CSRF on each new form and the roles without access.
func TestEndToEndRequests(t *testing.T) {
	cfg, bapp := startRegistryApp(t, 1<<20, nil)
	dapp, durl := startDecisions(t, cfg.IdentityURL)
	cfg.DecisionsURL = durl
	_, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword

	// A person (Dutch-speaking) with an open file, projected at the decisions service.
	worker := newBrowser(t, hs.URL).login("demo", "assistant", pw)
	form := personForm("", "Peeters", "An", "1985-07-14", "female")
	form.Set("language", "nl")
	worker.post("/persons/new", form)
	m := personPathRe.FindStringSubmatch(worker.res.Request.URL.Path)
	if m == nil {
		t.Fatalf("not on a person page: %s\n%s", worker.res.Request.URL, worker.body)
	}
	personID := m[1]
	worker.post("/persons/"+personID+"/files", url.Values{"idempotency_key": {newIdempotencyKey()}})
	fm := filePathRe.FindStringSubmatch(worker.res.Request.URL.Path)
	if fm == nil {
		t.Fatalf("not on a file page: %s", worker.res.Request.URL)
	}
	filePath, fileID := worker.res.Request.URL.Path, fm[1]
	fileNumber := fileNumberRe.FindString(worker.body)
	projectFile(t, bapp, dapp, personID, fileID, "Peeters", "An", "nl")
	worker.get("/")
	worker.expect(http.StatusOK, `href="/deadlines"`, "Échéances")
	worker.expectNot(`href="/settings"`)
	worker.get(filePath)
	worker.expect(http.StatusOK, "Demandes d&#39;aide", `href="`+filePath+`/requests/new">Enregistrer une demande</a>`,
		"Aucune demande enregistrée.")

	// The tenant admin completes the CPAS's settings (the acknowledgment needs the address).
	admin := newBrowser(t, hs.URL).login("demo", "admin", pw)
	admin.get("/")
	admin.expect(http.StatusOK, `href="/settings"`)
	admin.expectNot(`href="/deadlines"`)
	admin.get("/lang/nl?return=/settings")
	admin.expect(http.StatusOK, "Instellingen van het OCMW", `value="CPAS demo"`)
	vm := versionRe.FindStringSubmatch(admin.body)
	if vm == nil {
		t.Fatalf("no version in the settings form:\n%s", admin.body)
	}
	admin.post("/settings", settingsForm(vm[1], "12345"))
	admin.expect(http.StatusUnprocessableEntity, `id="f-enterprise_number-error">Ondernemingsnummer verwacht in de vorm 0212.345.678.</p>`,
		`value="Onderbergen 86"`, `value="12345"`)
	bad := settingsForm(vm[1], "0207.123.407")
	bad.Set("review_months", "twaalf")
	admin.post("/settings", bad)
	admin.expect(http.StatusUnprocessableEntity, `id="f-review_months-error">Een geheel getal wordt verwacht.</p>`, `value="twaalf"`)
	admin.post("/settings", settingsForm(vm[1], "0207.123.407"))
	admin.expect(http.StatusOK, "De instellingen werden opgeslagen.", `value="OCMW Gent"`, `value="Arbeidsrechtbank Gent"`)
	stale := settingsForm(vm[1], "0207.123.407")
	stale.Set("cpas_name", "Oud")
	admin.post("/settings", stale)
	admin.expect(http.StatusConflict, "De instellingen werden intussen gewijzigd", `value="OCMW Gent"`)
	admin.expectNot(`value="Oud"`)

	// A refused request in Dutch: each error at its field, what was typed kept.
	worker.get("/lang/nl?return=" + filePath + "/requests/new")
	today := civil.Today()
	worker.expect(http.StatusOK, "Een aanvraag registreren", `value="`+today.String()+`"`, `name="idempotency_key"`)
	key := newIdempotencyKey()
	worker.post(filePath+"/requests/new", url.Values{"idempotency_key": {key}, "kind": {"aide_sociale"}, "subtype": {""},
		"channel": {"written"}, "received_on": {today.AddDays(2).String()}, "note": {"Vraagt hulp voor de huur"}})
	worker.expect(http.StatusUnprocessableEntity, `id="f-received_on-error">De ontvangstdatum mag niet in de toekomst liggen.</p>`,
		`id="f-subtype-error"`, `<option value="written" selected>`, "Vraagt hulp voor de huur",
		`<option value="aide_sociale" selected>`)
	km := regexp.MustCompile(`name="idempotency_key" value="([0-9a-f]+)"`).FindStringSubmatch(worker.body)
	if km == nil || km[1] == key {
		t.Fatalf("the refused form needs a new idempotency key: %v", km)
	}
	key = km[1]

	// Registered: the request page with its deadline, the acknowledgment links.
	ok := url.Values{"idempotency_key": {key}, "kind": {"ris"}, "channel": {"in_person"}, "received_on": {today.String()}}
	worker.post(filePath+"/requests/new", ok)
	rm := requestPathRe.FindStringSubmatch(worker.res.Request.URL.Path)
	if rm == nil {
		t.Fatalf("not on a request page: %s\n%s", worker.res.Request.URL, worker.body)
	}
	requestPath, requestID := worker.res.Request.URL.Path, rm[1]
	dl, err := legalclock.DecisionDue(legalclock.RIS, today)
	if err != nil {
		t.Fatal(err)
	}
	worker.expect(http.StatusOK, "De aanvraag werd geregistreerd.", "Leefloon (RMI)", template.HTMLEscapeString(dl.NL),
		`href="`+requestPath+`/acknowledgment"`, `href="`+requestPath+`/acknowledgment.pdf"`, "Het ontvangstbewijs afdrukken")
	number := regexp.MustCompile(`R\d{4}/\d{6}`).FindString(worker.body)
	if number == "" {
		t.Fatalf("no register number:\n%s", worker.body)
	}
	// The same form sent again (same Idempotency-Key) registers nothing more.
	worker.post(filePath+"/requests/new", ok)
	if worker.res.Request.URL.Path != requestPath {
		t.Fatalf("the retried form made another request: %s", worker.res.Request.URL)
	}

	// The acknowledgment: the service's HTML (Dutch, the applicant's language) with the deadline sentence, its
	// stylesheet allowed by hash, no script; the PDF as a download.
	worker.get(requestPath + "/acknowledgment")
	worker.expect(http.StatusOK, template.HTMLEscapeString(dl.NL), "OCMW Gent", number, fileNumber)
	csp := worker.res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "style-src 'sha256-") || strings.Contains(csp, "script-src") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("acknowledgment CSP: %q", csp)
	}
	worker.get(requestPath + "/acknowledgment.pdf")
	if worker.res.StatusCode != http.StatusOK || !strings.HasPrefix(worker.body, "%PDF") ||
		!strings.HasPrefix(worker.res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("pdf: %d %q %.10q", worker.res.StatusCode, worker.res.Header.Get("Content-Disposition"), worker.body)
	}

	// The file lists its request.
	worker.get(filePath)
	worker.expect(http.StatusOK, `href="`+requestPath+`">`+number+`</a>`, "Leefloon (RMI)")

	// The worker's deadline board: the request, its file, the state in words and the Dutch reason; no filter.
	worker.get("/deadlines")
	worker.expect(http.StatusOK, "Termijnen", number, `href="`+filePath+`">`+fileNumber+`</a>`,
		template.HTMLEscapeString(dl.NL), "Komend, over", "Beslissing over de aanvraag", `href="`+requestPath+`">`+number+`</a>`,
		"0 te laat", `id="f-clock"`, `id="f-late"`)
	worker.expectNot(`id="f-worker"`)
	// Late only: the request is not late yet; one clock: the decision clock keeps it, the notification clock not.
	worker.get("/deadlines?late=true")
	worker.expect(http.StatusOK, "Geen openstaande termijnen.")
	worker.expectNot(number)
	worker.get("/deadlines?clock=decision")
	worker.expect(http.StatusOK, number, `<option value="decision" selected>`)
	worker.get("/deadlines?clock=notification")
	worker.expectNot(number)

	// The head: every worker's requests, narrowed to a worker chosen in the staff directory.
	head := newBrowser(t, hs.URL).login("demo", "chef", pw)
	head.get("/deadlines")
	head.expect(http.StatusOK, "Échéances", number, `id="f-worker"`, "Amélie Assistante", "À venir, dans")
	rec, err := bapp.Files.Repository.LoadFile(context.Background(), "demo", fileID)
	if err != nil {
		t.Fatal(err)
	}
	head.get("/deadlines?worker=" + rec.State.Assignee)
	head.expect(http.StatusOK, number, `<option value="`+rec.State.Assignee+`" selected>`)
	other := newBrowser(t, hs.URL).login("demo", "assistant2", pw)
	head.get("/deadlines?worker=" + uuid.NewString())
	head.expect(http.StatusOK, "Aucune échéance ouverte.")
	head.expectNot(number)

	// Another worker, who does not follow the file, sees neither the request nor it on their board.
	other.get(requestPath)
	other.expect(http.StatusNotFound)
	other.get("/deadlines")
	other.expect(http.StatusOK)
	other.expectNot(number)

	// A request id under another person is not found.
	worker.get("/persons/" + uuid.NewString() + "/requests/" + requestID)
	if worker.res.StatusCode != http.StatusNotFound {
		t.Errorf("request under another person: %d", worker.res.StatusCode)
	}

	// CSRF on every new form.
	for _, c := range []struct {
		b    *browser
		path string
	}{{worker, filePath + "/requests/new"}, {admin, "/settings"}} {
		res, err := c.b.client.PostForm(hs.URL+c.path, url.Values{"kind": {"ris"}, "cpas_name": {"X"}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without CSRF token: %d %s", c.path, res.StatusCode, body)
		}
	}

	// Roles: the settings are the admin's only; the request pages and the board the social service's only.
	worker.get("/settings")
	worker.expect(http.StatusForbidden)
	for _, u := range []string{"admin", "comptable", "membre", "dpo"} {
		b := newBrowser(t, hs.URL).login("demo", u, pw)
		for _, p := range []string{"/deadlines", requestPath, requestPath + "/acknowledgment", filePath + "/requests/new"} {
			b.get(p)
			if b.res.StatusCode != http.StatusForbidden {
				t.Errorf("%s GET %s: %d", u, p, b.res.StatusCode)
			}
		}
		if u != "admin" {
			b.get("/settings")
			if b.res.StatusCode != http.StatusForbidden {
				t.Errorf("%s GET /settings: %d", u, b.res.StatusCode)
			}
		}
	}
}
