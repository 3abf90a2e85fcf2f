package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/entraide/entraide/services/decisions/decision"
)

// TestEndToEndDecisionRevisionPayee drives the revision form's payee choice against the real services: the form
// offers "unchanged" (chosen), the beneficiary or a third party with its labelled fields and says who is paid now;
// a wrong IBAN comes back at its field in the user's language with what was typed; a third party named alone (the
// amount the one in force) is recorded on the revision, the decision page shows it as the current payee and in
// the history, and the revision's letter (Dutch, the beneficiary's language) names it without its account.
func TestEndToEndDecisionRevisionPayee(t *testing.T) {
	sc := newDecisionScenario(t)
	worker, today := sc.worker, sc.today
	decisionPath := "/persons/" + sc.personID + "/decisions/" + sc.decisionID
	revisionPath := decisionPath + "/actions/revision"

	worker.get("/lang/fr?return=" + revisionPath)
	worker.expect(http.StatusOK, `<legend>Bénéficiaire du paiement</legend>`,
		`Actuellement : Le bénéficiaire (son compte au registre).`,
		`<label for="f-payee_kind">Qui est payé</label>`, `<option value="unchanged" selected>Inchangé</option>`,
		`<option value="third_party">Un tiers (bailleur, fournisseur d&#39;énergie, hôpital…)</option>`,
		`<label for="f-payee_name">Nom du tiers</label>`, `<label for="f-payee_iban">IBAN du tiers</label>`,
		`<label for="f-payee_communication">Communication structurée demandée par le tiers</label>`,
		`aria-describedby="f-payee_communication-hint"`)

	form := url.Values{"version": {"1"}, "from": {today.String()}, "monthly": {"589,05"}, "reason": {"Loyer versé au bailleur"},
		"payee_kind": {"third_party"}, "payee_name": {"Immo Sud SA"}, "payee_iban": {"BE68 5390 0754 7035"},
		"payee_communication": {"+++123/4567/89002+++"}, "action": {"save"}}
	worker.post(revisionPath, form)
	worker.expect(http.StatusUnprocessableEntity, `id="f-payee_iban-error">IBAN invalide.</p>`, `value="BE68 5390 0754 7035"`,
		`<option value="third_party" selected>`, `value="Immo Sud SA"`, `href="#f-payee_iban"`)
	worker.expectNot(`id="f-payee_name-error"`, `id="f-payee_communication-error"`)

	form.Set("payee_iban", "BE68 5390 0754 7034")
	worker.post(revisionPath, form)
	worker.expect(http.StatusOK, "La décision a été mise à jour.",
		`<dd id="current-payee">Immo Sud SA — BE68 5390 0754 7034 — &#43;&#43;&#43;123/4567/89002&#43;&#43;&#43;</dd>`,
		"589,05 € — nouveau bénéficiaire du paiement : Immo Sud SA — BE68 5390 0754 7034 — &#43;&#43;&#43;123/4567/89002&#43;&#43;&#43; (Loyer versé au bailleur)")
	rec, err := sc.dapp.Decisions.Repo.Load(context.Background(), "demo", sc.decisionID)
	if err != nil || len(rec.State.Revisions) != 1 {
		t.Fatalf("revisions %+v %v", rec.State.Revisions, err)
	}
	r := rec.State.Revisions[0]
	if r.MonthlyCents != 58905 || r.Payee == nil || *r.Payee != (decision.Payee{Kind: decision.PayeeThirdParty, Name: "Immo Sud SA",
		IBAN: "BE68539007547034", Communication: "123456789002"}) {
		t.Fatalf("revision %+v", r)
	}

	m := changeLinkRe.FindStringSubmatch(worker.body)
	if m == nil {
		t.Fatalf("no change letter link:\n%s", worker.body)
	}
	worker.get(m[1] + "/letter")
	worker.expect(http.StatusOK, "wordt uw hulp rechtstreeks betaald aan Immo Sud SA", "door overschrijving aan Immo Sud SA")
	worker.expectNot("BE68", "7034", "89002")
}
