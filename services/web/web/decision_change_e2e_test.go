package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var changeLinkRe = regexp.MustCompile(`href="(/persons/[0-9a-f-]{36}/decisions/[0-9a-f-]{36}/changes/([0-9a-f-]{36}))/letter"`)

// TestEndToEndChangeLetterAndNotification drives a decision's change against the real services: the revision
// form recomputes the RIS with the tenant's tables (the working shown, the amount filled in) and records the
// revision with its calculation; the decision page lists it with its letter links and its notification form; the
// letter in the beneficiary's language (Dutch) carries the mandatory mentions, and comes as a PDF; a refused
// notification comes back at the change's own field with a new key; the notification recorded once, even sent
// twice.
func TestEndToEndChangeLetterAndNotification(t *testing.T) {
	sc := newDecisionScenario(t)
	worker, today := sc.worker, sc.today
	decisionPath := "/persons/" + sc.personID + "/decisions/" + sc.decisionID
	worker.get("/lang/nl?return=" + decisionPath + "/actions/revision")
	worker.expect(http.StatusOK, "Herberekening van het leefloon", `name="resources_0_kind"`, `value="calculate"`)

	// The calculator: 4.800 €/year of replacement income, category 1 → 489,05 €/month.
	form := url.Values{"version": {"1"}, "from": {today.String()}, "reason": {"Werkloosheidsuitkering sinds deze maand"},
		"resources_0_kind": {"replacement_income"}, "resources_0_period": {"yearly"}, "resources_0_amount": {"4.800"},
		"resources_0_whose": {"applicant"}, "action": {"calculate"}}
	worker.post(decisionPath+"/actions/revision", form)
	worker.expect(http.StatusOK, `id="working"`, "Berekend maandbedrag: € 489,05", `value="489,05"`)
	// A resource the tables do not know, at its row.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("resources_0_amount", "veel")
	worker.post(decisionPath+"/actions/revision", bad)
	worker.expect(http.StatusUnprocessableEntity, `id="f-resources_0_amount-error"`)
	form.Set("monthly", "489,05")
	form.Set("action", "save")
	worker.post(decisionPath+"/actions/revision", form)
	worker.expect(http.StatusOK, "De beslissing werd bijgewerkt.", "Sindsdien genomen beslissingen", "Herziening van")
	m := changeLinkRe.FindStringSubmatch(worker.body)
	if m == nil {
		t.Fatalf("no change letter link:\n%s", worker.body)
	}
	changePath, changeID := m[1], m[2]
	rec, err := sc.dapp.Decisions.Repo.Load(context.Background(), "demo", sc.decisionID)
	if err != nil || len(rec.State.Revisions) != 1 || rec.State.Revisions[0].MonthlyCents != 48905 || len(rec.State.Revisions[0].Working) == 0 {
		t.Fatalf("revision %+v %v", rec.State.Revisions, err)
	}

	// Its letter in Dutch with the mandatory mentions; its PDF.
	worker.get(changePath + "/letter")
	worker.expect(http.StatusOK, "Herziening van uw leefloon", "Arbeidsrechtbank Gent", "Opgeëistenlaan 401", "drie maanden",
		"kosteloos", "niet opschortend", sc.fileNumber, "Amélie Assistante", "Sociale dienst", "489,05", "Werkloosheidsuitkering")
	if csp := worker.res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'sha256-") {
		t.Errorf("letter CSP %q", csp)
	}
	worker.get(changePath + "/letter.pdf")
	if worker.res.StatusCode != http.StatusOK || !strings.HasPrefix(worker.body, "%PDF") {
		t.Fatalf("pdf: %d", worker.res.StatusCode)
	}

	// A refused notification: the Dutch error at the change's own date field, a new key.
	worker.get(decisionPath)
	keyRe := regexp.MustCompile(`action="` + regexp.QuoteMeta(changePath) + `/notification"[^>]*>\s*<input type="hidden" name="csrf" value="[^"]*">\s*<input type="hidden" name="idempotency_key" value="([0-9a-f]+)"`)
	km := keyRe.FindStringSubmatch(worker.body)
	if km == nil {
		t.Fatalf("no notification form for the change:\n%s", worker.body)
	}
	prefix := "f-c" + strings.ReplaceAll(changeID, "-", "")[:8] + "-"
	worker.post(changePath+"/notification", url.Values{"idempotency_key": {km[1]}, "version": {"2"}, "method": {"registered_letter"},
		"reference": {"RR555666777BE"}, "date": {today.AddDays(1).String()}})
	worker.expect(http.StatusUnprocessableEntity, `id="`+prefix+`date-error">De datum mag niet in de toekomst liggen.</p>`, `value="RR555666777BE"`)
	km2 := keyRe.FindStringSubmatch(worker.body)
	if km2 == nil || km2[1] == km[1] {
		t.Fatalf("the refused form needs a new key")
	}
	ok := url.Values{"idempotency_key": {km2[1]}, "version": {"2"}, "method": {"registered_letter"},
		"reference": {"RR555666777BE"}, "date": {today.String()}}
	worker.post(changePath+"/notification", ok)
	worker.expect(http.StatusOK, "De kennisgeving van deze beslissing werd geregistreerd.", "RR555666777BE")
	worker.post(changePath+"/notification", ok)
	if worker.res.StatusCode != http.StatusOK {
		t.Fatalf("retried notification: %d", worker.res.StatusCode)
	}
	rec, _ = sc.dapp.Decisions.Repo.Load(context.Background(), "demo", sc.decisionID)
	if len(rec.State.ChangeNotices) != 1 || rec.Version != 3 {
		t.Fatalf("after two submissions: %d notices, version %d", len(rec.State.ChangeNotices), rec.Version)
	}
	// Every language names only catalog texts on the page and the revision form.
	for _, l := range []string{"fr", "nl", "de", "en"} {
		worker.get("/lang/" + l + "?return=" + decisionPath)
		worker.expect(http.StatusOK)
		worker.expectNot("⟦")
		worker.get(decisionPath + "/actions/revision")
		worker.expectNot("⟦")
	}
}
