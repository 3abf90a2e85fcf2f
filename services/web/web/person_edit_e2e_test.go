package web

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/entraide/entraide/services/identity"
)

// editForm is the edit form as a browser would post it: the page's fields with some changed.
func editForm(version string, changes map[string]string) url.Values {
	f := personForm("85.07.14-123.30", "Dupont", "Marie", "", "")
	f.Del("idempotency_key")
	f.Set("version", version)
	for k, v := range changes {
		f.Set(k, v)
	}
	return f
}

// TestEndToEndEditPerson drives the identity edit form against the real identity and beneficiaries services:
// the form prefilled, field errors in Dutch with the typed values kept, a save, a change made meanwhile (409,
// the current data reloaded), a NISS that belongs to someone else, CSRF and roles.
func TestEndToEndEditPerson(t *testing.T) {
	cfg := startRegistry(t, 4096)
	_, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword

	worker := newBrowser(t, hs.URL).login("demo", "assistant", pw)
	worker.get("/persons/new")
	worker.post("/persons/new", personForm("85.07.14-123.30", "Dupont", "Marie", "", ""))
	worker.expect(http.StatusOK, "La personne a été enregistrée.")
	m := personPathRe.FindStringSubmatch(worker.res.Request.URL.Path)
	if m == nil {
		t.Fatalf("not on a person page: %s", worker.res.Request.URL)
	}
	id := m[1]
	editPath := "/persons/" + id + "/edit"
	worker.expect(http.StatusOK, `href="`+editPath+`"`, "Modifier l&#39;identité")

	// The form is the registration's, filled with the current identity, with the version to send back.
	worker.get(editPath)
	worker.expect(http.StatusOK, "Modifier l&#39;identité de Dupont Marie", `action="`+editPath+`"`, `value="85.07.14-123.30"`,
		`value="Dupont"`, `value="Marie"`, `value="1985-07-14"`, `value="Rue de la Loi"`, `value="1000"`, `value="Bruxelles"`,
		`<option value="belgian" selected>`, `<option value="male" selected>`, `name="version" value="1"`, "Enregistrer les modifications")
	worker.expectNot(`name="idempotency_key"`)

	// Refused in Dutch: each error at its field, everything typed kept, nothing changed.
	worker.get("/lang/nl?return=" + editPath)
	worker.post(editPath, editForm("1", map[string]string{"family_name": "Dupont-Martin", "address_postcode": "999", "niss": "85.07.14-123.31"}))
	worker.expect(http.StatusUnprocessableEntity, `id="f-address_postcode-error">Ongeldige Belgische postcode (1000 tot 9999).</p>`,
		`id="f-niss-error">Ongeldig rijksregisternummer (INSZ) of BIS-nummer.</p>`, `value="Dupont-Martin"`, `value="999"`, `name="version" value="1"`)

	// Saved: the person page shows the new identity.
	worker.post(editPath, editForm("1", map[string]string{"family_name": "Dupont-Martin", "address_municipality": "Ixelles", "address_postcode": "1050"}))
	worker.expect(http.StatusOK, "De identiteit van de persoon werd gewijzigd.", "Dupont-Martin Marie", "1050 Ixelles")
	if worker.res.Request.URL.Path != "/persons/"+id {
		t.Fatalf("after saving: %s", worker.res.Request.URL)
	}

	// A form filled from version 1 comes back after the change: a clear message and the current data to start from.
	worker.post(editPath, editForm("1", map[string]string{"family_name": "Durand"}))
	worker.expect(http.StatusConflict, "De fiche werd intussen gewijzigd: dit is de huidige toestand, probeer zo nodig opnieuw.",
		`value="Dupont-Martin"`, `value="Ixelles"`, `name="version" value="2"`)
	worker.expectNot(`value="Durand"`)
	worker.get("/persons/" + id)
	worker.expect(http.StatusOK, "Dupont-Martin Marie")

	// Someone else's NISS: refused at the field.
	worker.get("/lang/fr?return=/persons/new")
	worker.post("/persons/new", personForm("", "Lambert", "Jean", "1990-01-02", "male"))
	worker.expect(http.StatusOK, "La personne a été enregistrée.")
	other := personPathRe.FindStringSubmatch(worker.res.Request.URL.Path)[1]
	worker.get("/persons/" + other + "/edit")
	f := personForm("85071412330", "Lambert", "Jean", "", "")
	f.Del("idempotency_key")
	f.Set("version", versionOf(t, worker.body))
	worker.post("/persons/"+other+"/edit", f)
	worker.expect(http.StatusConflict, `id="f-niss-error">Ce NISS est déjà enregistré.</p>`, `value="Lambert"`)

	// CSRF, and roles outside the social service.
	worker.post(editPath, url.Values{CSRFField: {"forged"}, "family_name": {"Forged"}, "version": {"2"}})
	worker.expect(http.StatusForbidden)
	for _, u := range []string{"comptable", "dpo"} {
		b := newBrowser(t, hs.URL).login("demo", u, pw)
		b.get(editPath)
		b.expect(http.StatusForbidden)
	}
	worker.get("/persons/" + id)
	worker.expect(http.StatusOK, "Dupont-Martin Marie")
	worker.expectNot("Forged")
}
