package web

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/entraide/entraide/services/identity"
)

// TestEndToEndSubsidyBand: the subsidy page with the real payments service — the bands of this year and the next
// explained (no history: 55 %), the accountant reads without the form's button and cannot post; the director's
// declared history refused field by field (a year in the future, an average that is not a number, a rate out of
// range: the service's error next to its line), then saved — the bands follow (70 % declared two years ago, a
// drop of under 3 %, in Dutch too); a stale version; the override of the payment settings said so.
func TestEndToEndSubsidyBand(t *testing.T) {
	idURL := startIdentity(t, nil)
	_, purl := startPayments(t, idURL)
	cfg := testConfig(idURL)
	cfg.PaymentsURL, cfg.PaymentsTimeout = purl, 10*time.Second
	_, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword
	y := time.Now().Year()
	ys := func(d int) string { return strconv.Itoa(y + d) }

	acc := newBrowser(t, hs.URL).login("demo", "comptable", pw)
	acc.get("/payments/exports")
	acc.expect(http.StatusOK, `href="/payments/subsidy"`)
	acc.get("/payments/subsidy")
	acc.expect(http.StatusOK, "Taux du subside fédéral", ys(0)+" : 55 %", ys(1)+" : 55 %", "Aucune moyenne connue pour "+ys(-2),
		`<label for="f-years_0_year">Année</label>`, `for="f-last_rate"`, "Historique déclaré")
	acc.expectNot("Enregistrer l&#39;historique")
	vm := versionRe.FindStringSubmatch(acc.body)
	acc.post("/payments/subsidy", url.Values{"version": {vm[1]}, "years_0_year": {ys(-3)}, "years_0_monthly_average": {"900"}})
	acc.expect(http.StatusForbidden)

	dir := newBrowser(t, hs.URL).login("demo", "directeur", pw)
	dir.get("/payments/subsidy")
	dir.expect(http.StatusOK, "Enregistrer l&#39;historique", `name="csrf"`)
	vm = versionRe.FindStringSubmatch(dir.body)
	dir.post("/payments/subsidy", url.Values{"version": {vm[1]}, "years_0_year": {ys(-3)}, "years_0_monthly_average": {"beaucoup"},
		"years_1_year": {"20x5"}, "years_1_monthly_average": {"10"}})
	dir.expect(http.StatusUnprocessableEntity, "Moyenne invalide (un nombre", "Année invalide (4 chiffres).", `aria-invalid="true"`, `value="beaucoup"`)
	// The service's refusals, next to the line they concern (the empty lines skipped do not shift them).
	dir.post("/payments/subsidy", url.Values{"version": {vm[1]}, "years_0_year": {ys(-4)}, "years_0_monthly_average": {"1.000"},
		"years_2_year": {ys(1)}, "years_2_monthly_average": {"12,5"}, "last_rate": {"80"}})
	dir.expect(http.StatusUnprocessableEntity, `id="f-years_2_year-error"`, "Année invalide (une année passée, depuis 1990).",
		`id="f-last_rate-error"`, "Taux invalide : entre 55 et 70.")
	dir.expectNot(`id="f-years_0_year-error"`)
	// Saved: 1.000 in y-3 and 980,5 in y-2, 70 % applied in y-2 → this year (y-2 is N-2 of y): 980.5 under 1,000,
	// a drop of 1.95 % → 70 % stays.
	dir.post("/payments/subsidy", url.Values{"version": {vm[1]}, "years_0_year": {ys(-3)}, "years_0_monthly_average": {"1.000"},
		"years_3_year": {ys(-2)}, "years_3_monthly_average": {"980,5"}, "last_rate": {"70"}})
	dir.expect(http.StatusOK, "L&#39;historique déclaré est enregistré.", ys(0)+" : 70 %", "Moyenne mensuelle "+ys(-2)+" : 980,5 (déclarée).",
		"a baissé de moins de 3 %", `value="980,5"`, `value="1000"`)
	dir.post("/payments/subsidy", url.Values{"version": {vm[1]}, "years_0_year": {ys(-3)}, "years_0_monthly_average": {"1000"}})
	dir.expect(http.StatusConflict, "L&#39;historique a changé entre-temps")

	nl := newBrowser(t, hs.URL).login("demo", "directeur", pw)
	nl.get("/lang/nl?return=%2Fpayments%2Fsubsidy")
	nl.expect(http.StatusOK, "Percentage van de federale toelage", ys(0)+": 70 %", "het daalde met minder dan 3 %", "Aangegeven geschiedenis")

	// The payment settings' band overrides the computed one, and the page says so; "computed" removes it.
	setBand := func(band string) {
		t.Helper()
		dir.get("/payments/settings")
		sv := versionRe.FindStringSubmatch(dir.body)
		dir.post("/payments/settings", url.Values{"version": {sv[1]}, "debtor_name": {"CPAS demo"}, "debtor_iban": {"BE21001234567803"},
			"pain_version": {"pain.001.001.09"}, "budget_articles_ris": {"8320/333-01"}, "subsidy_band": {band}})
		dir.expect(http.StatusOK, `value="`+band+`" selected`)
	}
	setBand("65")
	dir.get("/payments/subsidy")
	dir.expect(http.StatusOK, ys(0)+" : 65 %", "fixé à la main dans les paramètres de paiement (65 %) s&#39;applique ; le taux calculé serait 70 %.")
	setBand("0")
	dir.get("/payments/subsidy")
	dir.expect(http.StatusOK, ys(0)+" : 70 %")
	dir.expectNot("fixé à la main")
}
