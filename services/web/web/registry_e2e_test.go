package web

import (
	"bytes"
	"context"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/services/beneficiaries"
	"github.com/entraide/entraide/services/identity"
)

// startRegistry runs the real identity service (demo tenant) and the real beneficiaries service in-process, the
// latter verifying the identity service's tokens through its JWKS; it returns the web configuration pointing at
// both, with uploads limited to maxDocument bytes on both sides.
func startRegistry(t *testing.T, maxDocument int64) Config {
	t.Helper()
	cfg, _ := startRegistryApp(t, maxDocument, nil)
	return cfg
}

// startRegistryApp is startRegistry with more beneficiaries variables, returning the beneficiaries App too (tests
// that need to reach its repositories, e.g. to backdate a closure).
func startRegistryApp(t *testing.T, maxDocument int64, vars map[string]string) (Config, *beneficiaries.App) {
	t.Helper()
	idURL := startIdentity(t, nil)
	db := testkit.Database(t)
	env := map[string]string{"MONGO_DATABASE": db.Name(), "IDENTITY_URL": idURL,
		"BENEFICIARIES_DOCUMENT_MAX_BYTES": strconv.FormatInt(maxDocument, 10)}
	for k, v := range vars {
		env[k] = v
	}
	r := config.FromMap(env)
	bcfg := beneficiaries.LoadConfig(r)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	app, err := beneficiaries.NewAppOnDB(ctx, bcfg, slog.New(slog.DiscardHandler), db, nil)
	if err != nil {
		t.Fatalf("start beneficiaries: %v", err)
	}
	hs := httptest.NewServer(app.Handler)
	t.Cleanup(hs.Close)
	cfg := testConfig(idURL)
	cfg.BeneficiariesURL, cfg.DocumentMaxBytes = hs.URL, maxDocument
	return cfg, app
}

// personForm is a complete registration form; niss may be empty.
func personForm(niss, family, given, birth, sex string) url.Values {
	return url.Values{"niss": {niss}, "family_name": {family}, "given_names": {given}, "birth_date": {birth}, "sex": {sex},
		"nationality": {"BE"}, "residence_status": {"belgian"}, "address_street": {"Rue de la Loi"}, "address_number": {"16"},
		"address_postcode": {"1000"}, "address_municipality": {"Bruxelles"}, "language": {"fr"},
		"idempotency_key": {newIdempotencyKey()}}
}

var (
	personPathRe = regexp.MustCompile(`^/persons/([0-9a-f-]{36})$`)
	filePathRe   = regexp.MustCompile(`^/persons/[0-9a-f-]{36}/files/([0-9a-f-]{36})$`)
	fileNumberRe = regexp.MustCompile(`\d{4}/\d{6}`)
)

// postMultipart sends a multipart form in the given field order (the CSRF token of the last page first).
func (b *browser) postMultipart(path string, fields [][2]string, fileName string, content []byte) *browser {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if fields == nil || fields[0][0] != CSRFField {
		_ = mw.WriteField(CSRFField, b.csrf())
	}
	for _, f := range fields {
		_ = mw.WriteField(f[0], f[1])
	}
	fw, _ := mw.CreateFormFile("file", fileName)
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// pdf is a small PDF document of about size bytes (the service sniffs "%PDF-").
func pdf(size int) []byte {
	head := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n")
	return append(head, bytes.Repeat([]byte("%"), max(0, size-len(head)))...)
}

// TestEndToEndRegistry drives the registry pages against the real identity and beneficiaries services: a refused
// registration in Dutch, a registration, a file, the duplicate NISS seen by a worker who may not see the person,
// the upload limit, documents, restricted notes across a team, the household editor, search, and CSRF on every
// registry form.
func TestEndToEndRegistry(t *testing.T) {
	cfg := startRegistry(t, 4096)
	_, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword

	worker := newBrowser(t, hs.URL).login("demo", "assistant", pw)
	worker.expect(http.StatusOK, "Bonjour Amélie Assistante", "Mes dossiers", `href="/persons/new"`, `href="/persons"`)

	// A refused registration, in Dutch: each error next to its field, everything typed kept.
	worker.get("/lang/nl?return=/persons/new")
	worker.expect(http.StatusOK, "Een persoon registreren", `src="/static/niss.js"`)
	bad := personForm("85.07.14-123.31", "Dupont-Lefèvre", "Marie", "1985-07-14", "male")
	bad.Set("address_postcode", "999")
	worker.post("/persons/new", bad)
	worker.expect(http.StatusUnprocessableEntity,
		`id="f-niss-error">Ongeldig rijksregisternummer (INSZ) of BIS-nummer.</p>`,
		`id="f-address_postcode-error">Ongeldige Belgische postcode (1000 tot 9999).</p>`,
		`<a href="#f-address_postcode">Postcode: Ongeldige Belgische postcode (1000 tot 9999).</a>`,
		`value="Dupont-Lefèvre"`, `value="85.07.14-123.31"`, `value="999"`)

	// Without JavaScript, "check" shows what the NISS says, registers nothing.
	good := personForm("85.07.14-123.30", "Dupont-Lefèvre", "Marie", "", "")
	check := url.Values{"action": {"check"}}
	for k, v := range good {
		check[k] = v
	}
	worker.post("/persons/new", check)
	worker.expect(http.StatusOK, "INSZ 85.07.14-123.30: geboren op 14 juli 1985, geslacht mannelijk.")
	// The birth date and sex come from the NISS; the same key twice registers one person.
	worker.post("/persons/new", good)
	worker.expect(http.StatusOK, "De persoon werd geregistreerd.", "85.07.14-123.30", "14 juli 1985", "Belg")
	m := personPathRe.FindStringSubmatch(worker.res.Request.URL.Path)
	if m == nil {
		t.Fatalf("not on a person page: %s", worker.res.Request.URL)
	}
	personID := m[1]
	worker.get("/lang/fr?return=/persons/" + personID)
	worker.post("/persons/new", good)
	worker.expect(http.StatusOK, "85.07.14-123.30")
	if worker.res.Request.URL.Path != "/persons/"+personID {
		t.Fatalf("the retried registration made another person: %s", worker.res.Request.URL)
	}

	// Open a file.
	worker.get("/persons/" + personID)
	worker.post("/persons/"+personID+"/files", url.Values{"idempotency_key": {newIdempotencyKey()}})
	worker.expect(http.StatusOK, "Le dossier a été ouvert.", "Journal", "Documents")
	fm := filePathRe.FindStringSubmatch(worker.res.Request.URL.Path)
	if fm == nil {
		t.Fatalf("not on a file page: %s", worker.res.Request.URL)
	}
	filePath := worker.res.Request.URL.Path
	fileID := fm[1]
	number := fileNumberRe.FindString(worker.body)
	if number == "" {
		t.Fatalf("no file number on the page:\n%s", worker.body)
	}

	// Another worker who does not follow the person registers the same NISS: the existing file number, no link.
	other := newBrowser(t, hs.URL).login("demo", "assistant2", pw)
	other.get("/persons/new")
	other.post("/persons/new", personForm("85071412330", "Autre", "Nom", "", ""))
	other.expect(http.StatusConflict, "Ce NISS est déjà enregistré.", "<strong>"+number+"</strong>")
	other.expectNot(`href="/persons/` + personID + `"`)
	other.get("/persons/" + personID)
	other.expect(http.StatusNotFound)

	// A document too large: refused while streaming, the type kept, nothing stored; a small one goes through.
	worker.get(filePath)
	worker.postMultipart(filePath+"/documents", [][2]string{{"idempotency_key", newIdempotencyKey()}, {"type", "income_proof"}}, "fiche.pdf", pdf(10_000))
	worker.expect(http.StatusRequestEntityTooLarge, `id="f-file-error">Le fichier dépasse la taille maximale (4,0 Ko) : rien n&#39;a été enregistré.`,
		`<option value="income_proof" selected>`, "Aucun document.")
	worker.postMultipart(filePath+"/documents", [][2]string{{"idempotency_key", newIdempotencyKey()}, {"type", "lease"}}, "virus.exe", []byte("MZ\x90\x00 not a document"))
	worker.expect(http.StatusUnsupportedMediaType, `id="f-file-error">Type de fichier non accepté`, "Aucun document.")
	worker.postMultipart(filePath+"/documents", [][2]string{{"idempotency_key", newIdempotencyKey()}, {"type", "income_proof"}}, "fiche-de-paie.pdf", pdf(2000))
	worker.expect(http.StatusOK, "Le document a été ajouté.", "fiche-de-paie.pdf", "Preuve de revenus")
	docLink := regexp.MustCompile(`href="(/persons/[0-9a-f-]{36}/documents/[0-9a-f-]{36})"`).FindStringSubmatch(worker.body)
	if docLink == nil {
		t.Fatalf("no download link:\n%s", worker.body)
	}
	worker.get(docLink[1])
	if worker.res.StatusCode != http.StatusOK || worker.res.Header.Get("Content-Type") != "application/pdf" ||
		!strings.Contains(worker.res.Header.Get("Content-Disposition"), "fiche-de-paie.pdf") || !strings.HasPrefix(worker.body, "%PDF-") || len(worker.body) != 2000 {
		t.Fatalf("download: %d %v, %d bytes", worker.res.StatusCode, worker.res.Header, len(worker.body))
	}

	// Journal: a restricted note is seen by its author and the head, not by a team mate.
	worker.get(filePath)
	worker.post(filePath+"/journal", url.Values{"text": {"Suivi médical en cours."}, "confidentiality": {"restricted"}, "idempotency_key": {newIdempotencyKey()}})
	worker.expect(http.StatusOK, "La note a été ajoutée au journal.", "Suivi médical en cours.", "Restreinte")
	worker.post(filePath+"/journal", url.Values{"text": {"Rendez-vous fixé au 12."}, "confidentiality": {"normal"}, "idempotency_key": {newIdempotencyKey()}})
	worker.expect(http.StatusOK, "Rendez-vous fixé au 12.")
	worker.post(filePath+"/journal", url.Values{"text": {"Note datée du futur."}, "date": {"2999-01-01"}, "confidentiality": {"normal"}, "idempotency_key": {newIdempotencyKey()}})
	worker.expect(http.StatusUnprocessableEntity, `id="f-date-error">La date ne peut pas être dans le futur.`, "Note datée du futur.")

	// The head makes a team of the workers, chosen by name from the identity service's staff directory (Fatima
	// never signed in to the web front end), and gives it the file. Other roles are not offered, and the
	// directory brings no username nor e-mail.
	head := newBrowser(t, hs.URL).login("demo", "chef", pw)
	head.get("/teams/new")
	head.expect(http.StatusOK, `Amélie Assistante <span class="subtle">(Assistant social)</span>`, "Bart Vermeulen", "Fatima El Amrani",
		`Charles Chef de service <span class="subtle">(Chef du service social)</span>`)
	head.expectNot("Claire Comptable", "Delphine DPO", "Aline Admin", "@demo.entraide.invalid", "(assistant)")
	ids := regexp.MustCompile(`name="members" value="([0-9a-f-]{36})"`).FindAllStringSubmatch(head.body, -1)
	var members []string
	for _, id := range ids {
		members = append(members, id[1])
	}
	head.post("/teams/new", url.Values{"name": {"Équipe Nord"}, "members": members})
	head.expect(http.StatusOK, "L&#39;équipe a été enregistrée.", "Équipe Nord")
	teamID := strings.TrimPrefix(head.res.Request.URL.Path, "/teams/")
	// A member whose account is disabled is no longer offered, but stays in the team, named and marked.
	head.get("/teams/" + teamID)
	fatima := regexp.MustCompile(`value="([0-9a-f-]{36})" checked>\s*<label[^>]*>Fatima El Amrani`).FindStringSubmatch(head.body)
	if fatima == nil {
		t.Fatalf("Fatima not offered:\n%s", head.body)
	}
	admin := newBrowser(t, hs.URL).login("demo", "admin", pw)
	admin.get("/users/" + fatima[1] + "/disable")
	admin.post("/users/"+fatima[1]+"/disable", url.Values{})
	admin.expect(http.StatusOK)
	head.get("/teams/" + teamID)
	head.expect(http.StatusOK, `value="`+fatima[1]+`" checked>`, `Fatima El Amrani <span class="subtle">(ne peut plus être choisi)</span>`)
	head.get("/teams/new")
	head.expectNot("Fatima El Amrani")

	head.get(filePath + "/assignment")
	head.expect(http.StatusOK, "Amélie Assistante")
	head.expectNot("Claire Comptable", "assignee_other")
	head.post(filePath+"/assignment", url.Values{"assignee": {assigneeOf(t, head.body)}, "team_id": {teamID}, "version": {versionOf(t, head.body)}})
	head.expect(http.StatusOK, "Le dossier a été réattribué.", "Équipe Nord", "Suivi médical en cours.")

	other.get(filePath)
	other.expect(http.StatusOK, "Rendez-vous fixé au 12.", number)
	other.expectNot("Suivi médical en cours.")

	// The household editor: find the partner by name (accents ignored), add, conflict on a stale version, remove.
	worker.get("/persons/new")
	worker.post("/persons/new", personForm("", "Müller", "Jan", "1987-02-03", "male"))
	worker.expect(http.StatusOK, "La personne a été enregistrée.")
	partnerID := personPathRe.FindStringSubmatch(worker.res.Request.URL.Path)[1]
	worker.get("/persons/" + personID + "/household")
	worker.post("/persons/"+personID+"/household", url.Values{"q": {"muller"}})
	worker.expect(http.StatusOK, "Müller Jan")
	if strings.Contains(worker.res.Request.URL.String(), "muller") {
		t.Fatalf("search term in URL: %s", worker.res.Request.URL)
	}
	version := versionOf(t, worker.body)
	worker.post("/persons/"+personID+"/household/members", url.Values{"member": {partnerID}, "relation": {"spouse"}, "valid_from": {"2999-13-01"}, "version": {version}})
	worker.expect(http.StatusUnprocessableEntity, "Date invalide")
	worker.post("/persons/"+personID+"/household/members", url.Values{"member": {partnerID}, "relation": {"spouse"}, "dependent": {"on"}, "valid_from": {"2020-01-01"}, "version": {version}})
	worker.expect(http.StatusOK, "Le ménage a été enregistré.", "Müller Jan", "Conjoint(e)")
	worker.post("/persons/"+personID+"/household/removal", url.Values{"member": {partnerID}, "index": {"0"}, "version": {version}})
	worker.expect(http.StatusConflict, "Le ménage a été modifié entre-temps", "Müller Jan")
	worker.get("/persons/" + personID)
	worker.expect(http.StatusOK, "Catégorie 1 (cohabitant)", "Müller Jan")

	// A document is served only under a person registered on its file: the partner's page (a person the worker
	// sees, in the household but not on the file) does not serve it, nor does a made-up document id.
	docID := docLink[1][strings.LastIndex(docLink[1], "/")+1:]
	worker.get("/persons/" + partnerID + "/documents/" + docID)
	worker.expect(http.StatusNotFound)
	worker.expectNot("%PDF-")
	worker.get("/persons/" + personID + "/documents/00000000-0000-4000-8000-000000000000")
	worker.expect(http.StatusNotFound)
	worker.get("/persons/" + personID)

	// Bank account: an invalid IBAN is a field error, a valid one becomes active.
	worker.post("/persons/"+personID+"/bank-accounts", url.Values{"iban": {"BE68 5390 0754 7035"}, "holder": {"Marie Dupont"}, "version": {versionOf(t, worker.body)}})
	worker.expect(http.StatusUnprocessableEntity, `id="f-iban-error"`, `value="BE68 5390 0754 7035"`)
	worker.post("/persons/"+personID+"/bank-accounts", url.Values{"iban": {"BE68 5390 0754 7034"}, "holder": {"Marie Dupont"}, "version": {versionOf(t, worker.body)}})
	worker.expect(http.StatusOK, "Le compte a été ajouté.", "BE68 5390 0754 7034", "Compte actif")

	// Search: by name prefix without accents, by NISS without separators, by file number; the term stays out of URLs.
	for _, q := range []string{"dupont lef", "85071412330", number} {
		worker.post("/persons", url.Values{"q": {q}})
		worker.expect(http.StatusOK, "Dupont-Lefèvre Marie")
		if worker.res.Request.URL.RawQuery != "" {
			t.Fatalf("search term in URL: %s", worker.res.Request.URL)
		}
	}

	// The declared purpose is kept per person and sent with every read (the service refuses unknown ones).
	worker.post("/persons/"+personID+"/purpose", url.Values{"purpose": {"social_inquiry"}, "return": {filePath}})
	worker.expect(http.StatusOK, "La finalité de consultation a été changée.", `<option value="social_inquiry" selected>`)

	// Every registry form refuses a missing or wrong CSRF token.
	for _, path := range []string{"/persons", "/persons/new", "/persons/" + personID + "/purpose", "/persons/" + personID + "/bank-accounts",
		"/persons/" + personID + "/household", "/persons/" + personID + "/household/members", "/persons/" + personID + "/household/removal",
		"/persons/" + personID + "/files", filePath + "/journal", filePath + "/closure", filePath + "/assignment",
		"/teams/new", "/teams/" + teamID, "/tasks/" + fileID + "/done"} {
		head.post(path, url.Values{CSRFField: {"forged"}, "q": {"x"}, "version": {"1"}})
		head.expect(http.StatusForbidden)
	}
	head.get(filePath)
	head.postMultipart(filePath+"/documents", [][2]string{{CSRFField, "forged"}, {"type", "other"}}, "x.pdf", pdf(100))
	head.expect(http.StatusForbidden)
	head.get(filePath)
	head.expect(http.StatusOK, "fiche-de-paie.pdf")

	// Roles outside the social service see no registry page.
	for _, u := range []string{"comptable", "membre", "dpo", "admin"} {
		b := newBrowser(t, hs.URL).login("demo", u, pw)
		b.expectNot(`href="/persons"`, `href="/caseload"`, "Mes dossiers")
		b.get("/persons/" + personID)
		b.expect(http.StatusForbidden)
	}

	// The head closes the file with a reason.
	head.get(filePath + "/closure")
	head.post(filePath+"/closure", url.Values{"reason": {""}, "version": {versionOf(t, head.body)}})
	head.expect(http.StatusUnprocessableEntity, `id="f-reason-error"`)
	head.post(filePath+"/closure", url.Values{"reason": {"moved_away"}, "version": {versionOf(t, head.body)}})
	head.expect(http.StatusOK, "Le dossier a été clôturé.", "Déménagement")
}

var assigneeOption = regexp.MustCompile(`<option value="([0-9a-f-]{36})"[^>]*>Amélie Assistante`)

func assigneeOf(t *testing.T, body string) string {
	t.Helper()
	m := assigneeOption.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no worker to choose:\n%s", body)
	}
	return m[1]
}
