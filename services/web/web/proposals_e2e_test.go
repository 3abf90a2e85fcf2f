package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/identity"
)

var proposalPathRe = regexp.MustCompile(`^/persons/[0-9a-f-]{36}/proposals/([0-9a-f-]{36})$`)

// inquiryForm is a complete RIS inquiry: identity, residence, one resource of 3.600 €/year and child benefits
// (exempted), the six conditions met, a last day to ask to be heard.
func inquiryForm(version string, today civil.Date) url.Values {
	v := url.Values{"version": {version}, "household_rows": {"1"}, "resource_rows": {"3"},
		"identity_checked": {"on"}, "identity_document": {"eID"}, "residence_address": {"Kerkstraat 3, 9000 Gent"},
		"residence_home_visit_on": {today.String()}, "residence_findings": {"Studio propre"},
		"household_0_id": {"m-1"}, "household_0_name": {""},
		"resources_0_kind": {"replacement_income"}, "resources_0_period": {"yearly"}, "resources_0_amount": {"3.600"}, "resources_0_whose": {"applicant"},
		"resources_1_kind": {"child_benefits"}, "resources_1_period": {"monthly"}, "resources_1_amount": {"150"}, "resources_1_whose": {"applicant"},
		"needs": {"Loyer en retard"}, "conclusion": {"Droit au RIS"}, "hearing_ask_by": {today.AddDays(10).String()}}
	for i, c := range []string{"residence", "age", "nationality", "resources", "willingness_to_work", "other_rights"} {
		v.Set("conditions_"+strconv.Itoa(i)+"_code", c)
		v.Set("conditions_"+strconv.Itoa(i)+"_met", "met")
	}
	return v
}

// TestEndToEndInquiryProposal drives the inquiry, the proposal with its RIS calculator and the head's validation
// against the real identity, beneficiaries and decisions services: a refused inquiry keeps what was typed, the
// saved one moves the request, the hearing letter prints; the calculator shows domain.md's worked example
// (589,05 €), a monthly amount off the calculation is refused at its field with the form kept, the corrected
// proposal is submitted; the head finds it in the list, a worker cannot validate, the head returns it with a
// reason, the worker submits again and the head validates it; roles without access are refused.
func TestEndToEndInquiryProposal(t *testing.T) {
	cfg, bapp := startRegistryApp(t, 1<<20, nil)
	dapp, durl := startDecisions(t, cfg.IdentityURL)
	cfg.DecisionsURL = durl
	_, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword

	worker := newBrowser(t, hs.URL).login("demo", "assistant", pw)
	worker.post("/persons/new", personForm("", "Janssens", "Els", "1980-02-03", "female"))
	personID := personPathRe.FindStringSubmatch(worker.res.Request.URL.Path)[1]
	worker.post("/persons/"+personID+"/files", url.Values{"idempotency_key": {newIdempotencyKey()}})
	filePath, fileID := worker.res.Request.URL.Path, filePathRe.FindStringSubmatch(worker.res.Request.URL.Path)[1]
	projectFile(t, bapp, dapp, personID, fileID, "Janssens", "Els", "fr")
	today := civil.Today()
	worker.get(filePath + "/requests/new")
	worker.post(filePath+"/requests/new", url.Values{"idempotency_key": {newIdempotencyKey()}, "kind": {"ris"}, "channel": {"in_person"},
		"received_on": {today.String()}})
	rm := requestPathRe.FindStringSubmatch(worker.res.Request.URL.Path)
	if rm == nil {
		t.Fatalf("not on a request page: %s\n%s", worker.res.Request.URL, worker.body)
	}
	requestPath := worker.res.Request.URL.Path
	number := regexp.MustCompile(`R\d{4}/\d{6}`).FindString(worker.body)
	worker.expect(http.StatusOK, `href="`+requestPath+`/inquiry"`, `href="`+requestPath+`/proposals/new"`, "Enquête sociale et proposition")

	// The inquiry: the conditions of a RIS one by one; a bad amount and a bad hearing time come back at their
	// fields with the rest kept; the saved report moves the request.
	worker.get(requestPath + "/inquiry")
	worker.expect(http.StatusOK, "Enquête sociale — demande "+number, "Résidence effective en Belgique", "Disposition au travail",
		`name="conditions_5_met"`, `value="0"`)
	bad := inquiryForm("0", today)
	bad.Set("resources_0_amount", "trois mille")
	bad.Set("hearing_appointment_on", today.AddDays(3).String())
	worker.post(requestPath+"/inquiry", bad)
	worker.expect(http.StatusUnprocessableEntity, `id="f-resources_0_amount-error">Montant attendu en euros`, `value="trois mille"`, "Studio propre")
	bad.Set("resources_0_amount", "3.600")
	bad.Set("hearing_time", "25:00")
	worker.post(requestPath+"/inquiry", bad)
	worker.expect(http.StatusUnprocessableEntity, `id="f-hearing_time-error"`, `id="f-hearing_place-error"`, `value="Kerkstraat 3, 9000 Gent"`)
	worker.post(requestPath+"/inquiry", inquiryForm("0", today))
	worker.expect(http.StatusOK, "L&#39;enquête sociale a été enregistrée.", "Toutes les conditions sont vérifiées", `value="3600,00"`, `value="1"`)
	worker.get(requestPath)
	worker.expect(http.StatusOK, "En enquête")

	// The hearing letter needs the CPAS's address (the admin's settings).
	worker.get(requestPath + "/hearing-letter")
	worker.expect(http.StatusConflict)
	admin := newBrowser(t, hs.URL).login("demo", "admin", pw)
	admin.get("/settings")
	admin.post("/settings", settingsForm(versionRe.FindStringSubmatch(admin.body)[1], "0207.123.407"))
	worker.get(requestPath + "/hearing-letter")
	worker.expect(http.StatusOK, "Janssens", "entendu")
	if csp := worker.res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'sha256-") {
		t.Errorf("hearing letter CSP %q", csp)
	}
	worker.get(requestPath + "/hearing-letter.pdf")
	if !strings.HasPrefix(worker.body, "%PDF") {
		t.Fatalf("hearing pdf: %d", worker.res.StatusCode)
	}

	// The proposal: resources from the inquiry; "Calculer" shows the working and the amount.
	worker.get(requestPath + "/proposals/new")
	worker.expect(http.StatusOK, "Proposition de décision — demande "+number, `value="3600,00"`, `value="`+today.String()+`"`, "Calculer")
	key := regexp.MustCompile(`name="idempotency_key" value="([0-9a-f]+)"`).FindStringSubmatch(worker.body)[1]
	form := url.Values{"idempotency_key": {key}, "resource_rows": {"4"}, "member_rows": {"0"}, "outcome": {"granted"},
		"legal_basis": {"Articles 3, 12 et 14 de la loi du 26 mai 2002."}, "category": {"1"},
		"category_justification": {"Cohabite avec sa sœur"},
		"resources_0_kind":       {"replacement_income"}, "resources_0_period": {"yearly"}, "resources_0_amount": {"3600,00"}, "resources_0_whose": {"applicant"},
		"resources_1_kind": {"child_benefits"}, "resources_1_period": {"monthly"}, "resources_1_amount": {"150,00"}, "resources_1_whose": {"applicant"},
		"periodicity": {"monthly"}, "start": {today.String()}, "review": {today.AddYears(1).String()}, "piis": {"on"},
		"payee_kind": {"beneficiary"}, "motivation": {"Ressources insuffisantes ; conditions remplies."}, "action": {"calculate"}}
	worker.post(requestPath+"/proposals/new", form)
	worker.expect(http.StatusOK, `id="working"`, "Montant annuel, catégorie 1 (cohabitant)", "Exonération générale",
		"Montant mensuel calculé : 589,05 €", `value="589,05"`, "Cohabite avec sa sœur")
	// An amount off the calculation is refused at its field, the form kept; the retried form gets a new key.
	form.Set("action", "submit")
	form.Set("monthly_cents", "589,00")
	worker.post(requestPath+"/proposals/new", form)
	worker.expect(http.StatusUnprocessableEntity, `id="f-monthly_cents-error">Le montant mensuel doit être celui du calcul`,
		`value="589,00"`, "Ressources insuffisantes ; conditions remplies.")
	km := regexp.MustCompile(`name="idempotency_key" value="([0-9a-f]+)"`).FindStringSubmatch(worker.body)
	if km == nil || km[1] == key {
		t.Fatalf("the refused form needs a new key: %v", km)
	}
	form.Set("idempotency_key", km[1])
	form.Set("monthly_cents", "589,05")
	worker.post(requestPath+"/proposals/new", form)
	pm := proposalPathRe.FindStringSubmatch(worker.res.Request.URL.Path)
	if pm == nil {
		t.Fatalf("not on a proposal page: %s\n%s", worker.res.Request.URL, worker.body)
	}
	proposalPath := worker.res.Request.URL.Path
	worker.expect(http.StatusOK, "La proposition a été soumise au chef du service social.", "Soumise au chef", "589,05 €", `id="working"`)
	worker.expectNot(`/validation"`)
	// The same form again (same key) creates nothing more.
	worker.post(requestPath+"/proposals/new", form)
	if worker.res.Request.URL.Path != proposalPath {
		t.Fatalf("the retried form made another proposal: %s", worker.res.Request.URL)
	}
	version := regexp.MustCompile(`name="version" value="(\d+)"`)

	// A worker cannot validate; the head finds it, returns it with a reason (required), then validates the
	// resubmitted proposal.
	worker.post(proposalPath+"/validation", url.Values{"version": {"2"}})
	worker.expect(http.StatusForbidden)
	head := newBrowser(t, hs.URL).login("demo", "chef", pw)
	head.get("/")
	head.expect(http.StatusOK, `href="/proposals"`)
	head.get("/proposals?q=" + url.QueryEscape(number[:6]))
	head.expect(http.StatusOK, "Propositions à valider", number, "Els Janssens", "589,05 €")
	head.get(proposalPath)
	head.expect(http.StatusOK, "Valider la proposition", "Renvoyer à l&#39;auteur")
	v := version.FindStringSubmatch(head.body)[1]
	head.post(proposalPath+"/return", url.Values{"version": {v}, "reason": {" "}})
	head.expect(http.StatusUnprocessableEntity, `id="f-reason-error"`)
	head.post(proposalPath+"/return", url.Values{"version": {v}, "reason": {"Précisez la cohabitation."}})
	head.expect(http.StatusOK, "La proposition a été renvoyée à son auteur avec la raison.")
	worker.get(proposalPath)
	worker.expect(http.StatusOK, "Renvoyée à l&#39;auteur", "Précisez la cohabitation.", `href="`+proposalPath+`/edit"`)
	worker.get(proposalPath + "/edit")
	worker.expect(http.StatusOK, `value="589,05"`, "Cohabite avec sa sœur")
	edit := url.Values{}
	for k, x := range form {
		edit[k] = x
	}
	edit.Del("idempotency_key")
	edit.Set("version", version.FindStringSubmatch(worker.body)[1])
	edit.Set("category_justification", "Cohabite avec sa sœur, qui partage le loyer")
	worker.post(proposalPath+"/edit", edit)
	worker.expect(http.StatusOK, "La proposition a été soumise au chef du service social.", "qui partage le loyer")
	head.get(proposalPath)
	stale := version.FindStringSubmatch(head.body)[1]
	head.post(proposalPath+"/validation", url.Values{"version": {stale}})
	head.expect(http.StatusOK, "La proposition a été validée")
	head.post(proposalPath+"/validation", url.Values{"version": {stale}})
	head.expect(http.StatusConflict, "modifiée entre-temps")
	worker.get(requestPath)
	worker.expect(http.StatusOK, "Validée", "Proposition faite")

	// The RIS amounts: the admin's page; the others are refused.
	admin.get("/")
	admin.expect(http.StatusOK, `href="/ris-amounts"`)
	admin.get("/ris-amounts")
	admin.expect(http.StatusOK, "Montants du revenu d&#39;intégration", "10.513,60 €", "876,13 €", "309,48 €")
	rv := version.FindStringSubmatch(admin.body)[1]
	admin.post("/ris-amounts", url.Values{"version": {rv}, "valid_from": {"2025-02-01"}, "cat1": {"10.600"}, "cat2": {"15.900"}, "cat3": {"21.500"}})
	admin.expect(http.StatusUnprocessableEntity, `id="f-valid_from-error"`)
	admin.post("/ris-amounts", url.Values{"version": {rv}, "valid_from": {"2026-03-01"}, "cat1": {"10.723,92"}, "cat2": {"zéro"}, "cat3": {"21.738,84"}})
	admin.expect(http.StatusUnprocessableEntity, `id="f-cat2-error"`, `value="10.723,92"`)
	admin.post("/ris-amounts", url.Values{"version": {rv}, "valid_from": {"2026-03-01"}, "cat1": {"10.723,92"}, "cat2": {"16.085,81"}, "cat3": {"21.738,84"}})
	admin.expect(http.StatusOK, "Les montants du RIS ont été enregistrés.", "16.085,81 €")
	for _, u := range []string{"comptable", "membre", "dpo"} {
		b := newBrowser(t, hs.URL).login("demo", u, pw)
		for _, p := range []string{"/proposals", "/ris-amounts", requestPath + "/inquiry", proposalPath, requestPath + "/proposals/new"} {
			b.get(p)
			if b.res.StatusCode != http.StatusForbidden {
				t.Errorf("%s GET %s: %d", u, p, b.res.StatusCode)
			}
		}
	}
	worker.get("/proposals")
	worker.expect(http.StatusForbidden)

	// An aide sociale request: its inquiry checks the state of need; its proposal has no calculator but a one-off
	// amount paid to a third party.
	worker.get(filePath + "/requests/new")
	worker.post(filePath+"/requests/new", url.Values{"idempotency_key": {newIdempotencyKey()}, "kind": {"aide_sociale"},
		"subtype": {"rent_guarantee"}, "channel": {"written"}, "received_on": {today.String()}})
	aidePath := worker.res.Request.URL.Path
	worker.get(aidePath + "/inquiry")
	worker.expect(http.StatusOK, "État de besoin")
	worker.expectNot("Disposition au travail")
	worker.post(aidePath+"/inquiry", url.Values{"version": {"0"}, "household_rows": {"0"}, "resource_rows": {"0"},
		"conditions_0_code": {"state_of_need"}, "conditions_0_met": {"met"}, "conditions_0_note": {"Pas d'épargne"}})
	worker.expect(http.StatusOK, "Toutes les conditions sont vérifiées")
	worker.get(aidePath + "/proposals/new")
	worker.expect(http.StatusOK, "Montant unique", "Articles 1er et 57 de la loi organique")
	worker.expectNot(`id="calculator"`)
	key = regexp.MustCompile(`name="idempotency_key" value="([0-9a-f]+)"`).FindStringSubmatch(worker.body)[1]
	worker.post(aidePath+"/proposals/new", url.Values{"idempotency_key": {key}, "resource_rows": {"0"}, "member_rows": {"0"},
		"outcome": {"granted"}, "legal_basis": {"Articles 1er et 57 de la loi organique"}, "one_off_cents": {"1.200"},
		"periodicity": {"once"}, "start": {today.String()}, "end": {today.AddDays(30).String()}, "payee_kind": {"third_party"},
		"payee_name": {"Immo Gent"}, "payee_iban": {"BE00 1234"}, "payee_communication": {"+++123/4567/89003+++"},
		"motivation": {"Garantie locative"}, "action": {"submit"}})
	worker.expect(http.StatusUnprocessableEntity, `id="f-payee_iban-error"`, `id="f-payee_communication-error"`,
		"Communication structurée invalide", `value="Immo Gent"`, `value="1.200"`)
	key = regexp.MustCompile(`name="idempotency_key" value="([0-9a-f]+)"`).FindStringSubmatch(worker.body)[1]
	worker.post(aidePath+"/proposals/new", url.Values{"idempotency_key": {key}, "resource_rows": {"0"}, "member_rows": {"0"},
		"outcome": {"granted"}, "legal_basis": {"Articles 1er et 57 de la loi organique"}, "one_off_cents": {"1.200"},
		"periodicity": {"once"}, "start": {today.String()}, "end": {today.AddDays(30).String()}, "payee_kind": {"third_party"},
		"payee_name": {"Immo Gent"}, "payee_iban": {"BE68 5390 0754 7034"}, "payee_communication": {"123456789002"},
		"motivation": {"Garantie locative"}, "action": {"submit"}})
	worker.expect(http.StatusOK, "La proposition a été soumise au chef du service social.", "1.200,00 €", "Immo Gent (BE68539007547034)",
		"123/4567/89002")
}
