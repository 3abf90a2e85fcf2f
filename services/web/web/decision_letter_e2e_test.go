package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/decisions"
	"github.com/entraide/entraide/services/decisions/committee"
	"github.com/entraide/entraide/services/decisions/decision"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/ris"
	"github.com/entraide/entraide/services/identity"
)

// letterProposals stands for the proposals of the decisions service (decision.Proposals).
type letterProposals struct {
	mu    sync.Mutex
	bases map[string]decision.Basis
}

func (f *letterProposals) DecisionBasis(_ context.Context, _, id string) (decision.Basis, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b, ok := f.bases[id]; ok {
		return b, nil
	}
	return decision.Basis{}, errors.New("no such proposal")
}

func (f *letterProposals) Decided(context.Context, string, string, string) error { return nil }

var (
	decisionLinkRe = regexp.MustCompile(`href="(/persons/[0-9a-f-]{36}/decisions/[0-9a-f-]{36})"`)
	idemKeyRe      = regexp.MustCompile(`name="idempotency_key" value="([0-9a-f]+)"`)
)

// TestEndToEndDecisionLetterAndNotification drives the decision pages against the real identity, beneficiaries
// and decisions services: a decision adopted by the committee shows on its request's page; its letter in the
// beneficiary's language (Dutch) carries every mandatory mention under a CSP pinning its stylesheet, and comes as
// a PDF; a refused notification comes back with its Dutch field error and a new Idempotency-Key; the notification
// recorded, then the same form sent again records nothing more; an after-decision form refuses a bad amount and
// records a revision; finance lists the amounts without the motivation and cannot open the decision; a worker not
// on the file gets 404.
// decisionScenario is a Dutch-speaking applicant's file with a RIS request the committee decided: the services,
// the front end, the worker's browser and the paths of the pages.
type decisionScenario struct {
	hs                               *httptest.Server
	dapp                             *decisions.App
	worker                           *browser
	personID, fileID, fileNumber     string
	filePath, requestPath, requestID string
	decisionID                       string
	basis                            decision.Basis
	today                            civil.Date
}

func newDecisionScenario(t *testing.T) *decisionScenario {
	t.Helper()
	cfg, bapp := startRegistryApp(t, 1<<20, nil)
	dapp, durl := startDecisions(t, cfg.IdentityURL)
	cfg.DecisionsURL = durl
	_, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword
	props := &letterProposals{bases: map[string]decision.Basis{}}
	dapp.Decisions.Proposals = props

	worker := newBrowser(t, hs.URL).login("demo", "assistant", pw)
	form := personForm("", "Peeters", "An", "1985-07-14", "female")
	form.Set("language", "nl")
	worker.post("/persons/new", form)
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
	fileNumber := fileNumberRe.FindString(worker.body)
	projectFile(t, bapp, dapp, personID, fileID, "Peeters", "An", "nl")

	admin := newBrowser(t, hs.URL).login("demo", "admin", pw)
	admin.get("/settings")
	vm := versionRe.FindStringSubmatch(admin.body)
	if vm == nil {
		t.Fatalf("no version in the settings form")
	}
	admin.post("/settings", settingsForm(vm[1], "0207.123.407"))
	admin.expect(http.StatusOK)

	today := civil.Today()
	worker.post(filePath+"/requests/new", url.Values{"idempotency_key": {newIdempotencyKey()}, "kind": {"ris"},
		"channel": {"in_person"}, "received_on": {today.AddDays(-10).String()}})
	rm := requestPathRe.FindStringSubmatch(worker.res.Request.URL.Path)
	if rm == nil {
		t.Fatalf("not on a request page: %s", worker.res.Request.URL)
	}
	requestPath, requestID := worker.res.Request.URL.Path, rm[1]

	// The committee adopts the proposal (the session hands its item over to the decisions).
	b := decision.Basis{ProposalID: uuid.NewString(), RequestID: requestID, PersonID: personID, FileID: fileID,
		Kind: legalclock.RIS, Outcome: letter.Granted, LegalBasis: "Artikelen 3 en 14 van de wet van 26 mei 2002.",
		Category: ris.Cohabitant, CategoryJustification: "woont samen met haar zus", MonthlyCents: 58905, FirstMonthCents: 45000,
		Start: today.AddDays(-10), Review: today.AddDays(300), Periodicity: letter.PaidMonthly, PIIS: true,
		Payee:      decision.Payee{Kind: decision.PayeeBeneficiary},
		Working:    ris.Working{{Code: "ris_month", FR: "RIS mensuel", NL: "Maandelijks leefloon", Amount: 58905}},
		Conditions: []letter.Condition{{Text: "Werkelijke verblijfplaats in België", Met: true}},
		Motivation: "Onvoldoende bestaansmiddelen (vertrouwelijke motivering QWZ).", SocialWorkerName: "Amélie Assistante",
		Requested: today.AddDays(-10)}
	props.bases[b.ProposalID] = b
	session := uuid.NewString()
	it := committee.Item{Number: 1, Kind: committee.ItemProposal, Ref: b.ProposalID, Aid: legalclock.RIS,
		Terms:   committee.Terms{Category: 1, MonthlyAmount: 58905, Start: b.Start, Review: b.Review, PIIS: true, MotivationRef: "p"},
		Outcome: committee.Approved}
	if err := dapp.Decisions.ItemDecided(context.Background(), "demo", session, today.AddDays(-2), it); err != nil {
		t.Fatal(err)
	}
	decisionID := decision.SessionDecisionID(session, b.ProposalID)

	return &decisionScenario{hs: hs, dapp: dapp, worker: worker, personID: personID, fileID: fileID, fileNumber: fileNumber,
		filePath: filePath, requestPath: requestPath, requestID: requestID, decisionID: decisionID, basis: b, today: today}
}

func TestEndToEndDecisionLetterAndNotification(t *testing.T) {
	sc := newDecisionScenario(t)
	hs, dapp, worker, today, b := sc.hs, sc.dapp, sc.worker, sc.today, sc.basis
	fileNumber, requestPath, decisionID := sc.fileNumber, sc.requestPath, sc.decisionID
	pw := identity.DemoPassword
	// The request page links its decision.
	worker.get("/lang/nl?return=" + requestPath)
	worker.expect(http.StatusOK, "Beslissingen", "Toegekend")
	dm := decisionLinkRe.FindStringSubmatch(worker.body)
	if dm == nil || !strings.HasSuffix(dm[1], decisionID) {
		t.Fatalf("no link to the decision:\n%s", worker.body)
	}
	decisionPath := dm[1]
	worker.get(decisionPath)
	worker.expect(http.StatusOK, "Kennisgeving", "589,05 €", `name="idempotency_key"`, `name="version" value="1"`,
		`href="`+decisionPath+`/letter"`, `href="`+decisionPath+`/letter.pdf"`, "Termijnen")

	// The letter in Dutch with every mandatory mention, its stylesheet allowed by hash; the PDF.
	worker.get(decisionPath + "/letter")
	worker.expect(http.StatusOK, "Arbeidsrechtbank Gent", "Opgeëistenlaan 401", "drie maanden", "niet opschortend",
		fileNumber, "Amélie Assistante", "Sociale dienst", "589,05")
	csp := worker.res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "style-src 'sha256-") || strings.Contains(csp, "script-src") {
		t.Errorf("letter CSP %q", csp)
	}
	if worker.res.Header.Get("Content-Language") != "nl" {
		t.Errorf("letter language %q", worker.res.Header.Get("Content-Language"))
	}
	worker.get(decisionPath + "/letter.pdf")
	if worker.res.StatusCode != http.StatusOK || !strings.HasPrefix(worker.body, "%PDF") ||
		!strings.HasPrefix(worker.res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("pdf: %d %q", worker.res.StatusCode, worker.res.Header.Get("Content-Disposition"))
	}

	// A refused notification: the Dutch error at its field, a new key.
	worker.get(decisionPath)
	key := idemKeyRe.FindStringSubmatch(worker.body)[1]
	worker.post(decisionPath+"/notification", url.Values{"idempotency_key": {key}, "version": {"1"},
		"method": {"registered_letter"}, "reference": {"RR123456789BE"}, "date": {today.AddDays(1).String()}})
	worker.expect(http.StatusUnprocessableEntity, `id="f-date-error">De datum mag niet in de toekomst liggen.</p>`,
		`value="RR123456789BE"`)
	km := idemKeyRe.FindStringSubmatch(worker.body)
	if km == nil || km[1] == key {
		t.Fatalf("the refused form needs a new key")
	}
	ok := url.Values{"idempotency_key": {km[1]}, "version": {"1"}, "method": {"registered_letter"},
		"reference": {"RR123456789BE"}, "date": {today.String()}}
	worker.post(decisionPath+"/notification", ok)
	worker.expect(http.StatusOK, "De kennisgeving werd geregistreerd.", "RR123456789BE", "Einde van de beroepstermijn")
	worker.expectNot(`name="idempotency_key"`)
	// The same form again (a double click): one notification.
	worker.post(decisionPath+"/notification", ok)
	if worker.res.Request.URL.Path != decisionPath {
		t.Fatalf("retried notification: %s %d", worker.res.Request.URL, worker.res.StatusCode)
	}
	rec, err := dapp.Decisions.Repo.Load(context.Background(), "demo", decisionID)
	if err != nil || rec.Version != 2 || rec.State.Notification == nil {
		t.Fatalf("decision after two submissions: version %d %v", rec.Version, err)
	}
	worker.get(requestPath)
	worker.expect(http.StatusOK, "Ter kennis gebracht")
	// Every page of the decision in every language names only catalog texts.
	for _, l := range []string{"fr", "nl", "de", "en"} {
		worker.get("/lang/" + l + "?return=" + decisionPath)
		worker.expect(http.StatusOK)
		worker.expectNot("⟦")
		for _, a := range decisionActionNames() {
			worker.get(decisionPath + "/actions/" + a)
			worker.expect(http.StatusOK)
			worker.expectNot("⟦")
		}
	}
	worker.get("/lang/nl?return=" + decisionPath)

	// An after-decision form: a bad amount at its field, then a revision recorded.
	worker.get(decisionPath + "/actions/revision")
	worker.expect(http.StatusOK, "Herziening van het bedrag", `name="version" value="2"`)
	worker.post(decisionPath+"/actions/revision", url.Values{"version": {"2"}, "from": {today.String()}, "monthly": {"veel"},
		"reason": {"Deeltijds werk"}})
	worker.expect(http.StatusUnprocessableEntity, `id="f-monthly-error">Bedrag in euro verwacht`, "Deeltijds werk")
	worker.post(decisionPath+"/actions/revision", url.Values{"version": {"2"}, "from": {b.Start.AddDays(-1).String()},
		"monthly": {"500,00"}, "reason": {"Deeltijds werk"}})
	worker.expect(http.StatusUnprocessableEntity, `id="f-from-error">De herziening kan niet vóór het begin van de hulp ingaan.</p>`)
	worker.post(decisionPath+"/actions/revision", url.Values{"version": {"2"}, "from": {today.String()}, "monthly": {"500,00"},
		"reason": {"Deeltijds werk"}})
	worker.expect(http.StatusOK, "De beslissing werd bijgewerkt.", "500,00 €")

	// Finance: amounts and periods, no motivation; no decision page.
	fin := newBrowser(t, hs.URL).login("demo", "comptable", pw)
	fin.get("/")
	fin.expect(http.StatusOK, `href="/decisions"`)
	fin.get("/decisions")
	fin.expect(http.StatusOK, fileNumber, "500,00 €")
	fin.expectNot("⟦")
	fin.expectNot("QWZ", "zus")
	fin.get(decisionPath)
	fin.expect(http.StatusForbidden)
	fin.get(decisionPath + "/letter")
	fin.expect(http.StatusForbidden)

	// An urgent decision of the president on the same file: its letter texts are completed before it is notified.
	u := committee.UrgentState{ID: uuid.NewString(), Tenant: "demo", President: uuid.NewString(), PersonRef: sc.personID,
		FileRef: sc.fileID, Kind: legalclock.RIS, Terms: committee.Terms{Category: ris.Isole, MonthlyAmount: 131420,
			Start: today, Review: today.AddDays(180), MotivationRef: "urgent"}, Motivation: "Dreigende uithuiszetting",
		DecidedAt: time.Now().Add(-time.Hour), Ratification: committee.AwaitingRatification}
	if err := dapp.Decisions.UrgentDecided(context.Background(), "demo", u); err != nil {
		t.Fatal(err)
	}
	urgentPath := "/persons/" + sc.personID + "/decisions/" + decision.UrgentDecisionID(u.ID)
	worker.get(urgentPath + "/letter")
	worker.expect(http.StatusConflict, "Verplichte vermelding ontbreekt")
	worker.get(urgentPath)
	worker.expect(http.StatusOK, `href="`+urgentPath+`/actions/letter_texts"`, "de voorzitter, dringend")
	worker.get(urgentPath + "/actions/letter_texts")
	worker.expect(http.StatusOK, "Teksten van de brief", `id="f-working_0_label"`)
	texts := url.Values{"version": {"1"}, "legal_basis": {"Artikelen 3 en 14 van de wet van 26 mei 2002."}, "motivation": {"Geen inkomsten."},
		"category_justification": {"Woont alleen"}, "working_0_label": {"Bedrag categorie 2"}, "working_0_amount": {"veel"}}
	worker.post(urgentPath+"/actions/letter_texts", texts)
	worker.expect(http.StatusUnprocessableEntity, `id="f-working_0_amount-error">Bedrag in euro verwacht`)
	texts.Set("working_0_amount", "1.314,20")
	worker.post(urgentPath+"/actions/letter_texts", texts)
	worker.expect(http.StatusOK, "De beslissing werd bijgewerkt.")
	worker.get(urgentPath + "/letter")
	worker.expect(http.StatusOK, "Bedrag categorie 2", "1.314,20", "Arbeidsrechtbank Gent", "Woont alleen")

	// A worker who does not follow the file.
	other := newBrowser(t, hs.URL).login("demo", "assistant2", pw)
	other.get(decisionPath)
	other.expect(http.StatusNotFound)
	other.get(decisionPath + "/letter")
	other.expect(http.StatusNotFound)

	// CSRF on the notification and action forms.
	for _, p := range []string{decisionPath + "/notification", decisionPath + "/actions/termination"} {
		res, err := worker.client.PostForm(hs.URL+p, url.Values{"date": {today.String()}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without CSRF: %d", p, res.StatusCode)
		}
	}
}
