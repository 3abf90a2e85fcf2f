package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/services/identity"
)

// TestBrowserReissue runs the reissue of a returned payment in headless Chromium against the real identity and
// payments services: a monthly energy aid paid to a supplier (a third party) is exported and returned by the bank
// (AC04). The accountant opens it from the returned payments, finds every field of the reissue form labelled (the
// checkbox "for the decision's later payments too" checked by default, its hint tied to it), types a wrong IBAN
// and submits with Enter (the error next to the field, the input marked invalid and what was typed kept), corrects
// the last digit and submits with Enter again: the confirmation, the reissue listed, and the decision's next
// month, already scheduled, goes to the corrected account. It skips when Chromium is missing, except in CI.
func TestBrowserReissue(t *testing.T) {
	chromium := testkit.Chromium(t)
	idURL := startIdentity(t, nil)
	papp, purl := startPayments(t, idURL)
	cfg := testConfig(idURL)
	cfg.PaymentsURL, cfg.PaymentsTimeout = purl, 10*time.Second
	_, hs := newTestServer(t, cfg)
	today := civil.Today()
	const oldIBAN, newIBAN = "BE62310012345661", "BE02363098765440"
	p, f, d := uuid.NewString(), uuid.NewString(), uuid.NewString()
	feedPayments(t, papp, "be.cpas.beneficiaries.person.registered.v1", "entraide-beneficiaries", p, map[string]any{
		"person_id": p, "family_name": "Haddad", "given_names": "Nadia"})
	feedPayments(t, papp, "be.cpas.beneficiaries.file.opened.v1", "entraide-beneficiaries", f, map[string]any{
		"file_id": f, "number": "2026/000920", "person_id": p, "assignee": uuid.NewString(), "opened_on": "2026-01-05", "origin": "manual"})
	feedPayments(t, papp, "be.cpas.decisions.decision.adopted.v1", "entraide-decisions", d, map[string]any{
		"decision_id": d, "person_id": p, "file_id": f, "source": "session", "kind": "aide_sociale", "subtype": "energy",
		"outcome": "granted", "monthly_cents": 6500, "first_month_cents": 0, "one_off_cents": 0, "periodicity": "monthly", "piis": false,
		"start": civil.MustNew(today.Year(), today.Month(), 1).String(), "decided_on": today.String(),
		"payee": map[string]any{"kind": "third_party", "name": "Energie Bruxelles SA", "iban": oldIBAN}})
	exportAndReturn(t, hs.URL, "Energie Bruxelles SA", oldIBAN, 6500, 41)

	ctx := newChromium(t, chromium)
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	contains := func(sel, want string) {
		t.Helper()
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		if !strings.Contains(text, want) {
			t.Fatalf("%s shows %q, want %q", sel, text, want)
		}
	}
	value := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("value of %s: %v", sel, err)
		}
		return v
	}
	eval := func(js string) bool {
		t.Helper()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return ok
	}

	run("sign in as the accountant", chromedp.Navigate(hs.URL+"/login"), chromedp.WaitVisible(chromedp.ID("f-tenant")),
		chromedp.SendKeys(chromedp.ID("f-tenant"), "demo"), chromedp.SendKeys(chromedp.ID("f-username"), "comptable"),
		chromedp.SendKeys(chromedp.ID("f-password"), identity.DemoPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.main-nav a[href="/payments/statements"]`)))
	run("open the returned payment", chromedp.Navigate(hs.URL+"/payments?status=returned"),
		chromedp.WaitVisible(chromedp.CSS(`a[href^="/payments/instalments/"]`)),
		chromedp.Click(chromedp.CSS(`a[href^="/payments/instalments/"]`)),
		chromedp.WaitVisible(chromedp.ID("f-iban")))
	contains("h1", "Paiement de 65,00 €")
	contains("#reissue-heading", "Réémettre le paiement")

	// Every field of the form has its label (the label's text is the field's accessible name), the hints and the
	// checkbox's explanation are tied to their fields, the checkbox is checked by default.
	unlabelled, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(
		'form[action$="/reissue"] input:not([type=hidden]), form[action$="/reissue"] select, form[action$="/reissue"] textarea'))
		.filter(el => !el.labels || el.labels.length === 0 || el.labels[0].textContent.trim() === "").map(el => el.name)`))
	if err != nil || len(unlabelled) != 0 {
		t.Fatalf("fields without a label: %v (%v)", unlabelled, err)
	}
	for _, want := range []struct{ id, label string }{{"f-name", "Nom du bénéficiaire"}, {"f-iban", "IBAN corrigé"},
		{"f-bic", "BIC (facultatif)"}, {"f-communication", "Communication structurée"},
		{"f-apply_to_decision", "Appliquer aussi aux paiements suivants de cette décision"}} {
		if !eval(`document.getElementById("` + want.id + `").labels[0].textContent.includes("` + want.label + `")`) {
			t.Errorf("%s is not labelled %q", want.id, want.label)
		}
	}
	if !eval(`Array.from(document.querySelectorAll('form[action$="/reissue"] [aria-describedby]')).every(el =>
		el.getAttribute("aria-describedby").split(" ").every(id => document.getElementById(id) !== null))`) {
		t.Error("an aria-describedby names no element")
	}
	if !eval(`document.getElementById("f-apply_to_decision").checked && document.getElementById("f-apply_to_decision").getAttribute("aria-describedby") === "f-apply_to_decision-hint"`) {
		t.Error("the checkbox for the decision's later payments is not checked by default, or its hint is not tied to it")
	}
	if v := value("#f-name"); v != "Energie Bruxelles SA" {
		t.Fatalf("name prefilled %q", v)
	}
	run("scroll to the form", chromedp.ScrollIntoView(chromedp.ID("f-apply_to_decision")))
	screenshot(t, ctx, "reissue-form")

	// A wrong check digit, submitted with Enter: the service's message next to the field, the input marked.
	run("type a wrong IBAN and press Enter", chromedp.Focus(chromedp.ID("f-iban")),
		chromedp.SendKeys(chromedp.ID("f-iban"), "BE02 3630 9876 5441"+kb.Enter),
		chromedp.WaitVisible(chromedp.ID("f-iban-error")))
	contains("#f-iban-error", "IBAN invalide")
	if v := value("#f-iban"); v != "BE02 3630 9876 5441" {
		t.Fatalf("the IBAN typed was not kept: %q", v)
	}
	if !eval(`document.getElementById("f-iban").getAttribute("aria-invalid") === "true" &&
		document.getElementById("f-iban").getAttribute("aria-describedby").split(" ").includes("f-iban-error")`) {
		t.Error("the invalid IBAN is not marked aria-invalid with its error tied to it")
	}
	if !eval(`document.getElementById("f-apply_to_decision").checked`) {
		t.Error("the checkbox lost its state on the refused form")
	}
	screenshot(t, ctx, "reissue-refused")

	run("correct the last digit and press Enter", chromedp.Focus(chromedp.ID("f-iban")),
		chromedp.SendKeys(chromedp.ID("f-iban"), kb.End+kb.Backspace+"0"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	contains(".flash", "Le paiement est réémis, et les paiements suivants de la décision iront au bénéficiaire corrigé.")
	contains("main", "Réémissions")
	contains("main", newIBAN)
	if eval(`document.getElementById("f-iban") !== null`) {
		t.Error("the reissue form is still shown after the reissue")
	}
	screenshot(t, ctx, "reissue-done")

	// The decision's next month, already scheduled, goes to the corrected account.
	ins, err := papp.Schedules.Repo.InstalmentsOf(context.Background(), "demo", d)
	if err != nil {
		t.Fatal(err)
	}
	var reissued, next int
	for _, in := range ins {
		switch {
		case len(in.State.Reissues) == 1 && in.State.Payee.IBAN == newIBAN && in.State.Status == "scheduled":
			reissued++
		case in.State.Status == "scheduled" && in.State.Payee.IBAN == newIBAN:
			next++
		}
	}
	if reissued != 1 || next != 1 {
		t.Fatalf("after the reissue: %d reissued, %d later payments at the corrected account (%d instalments)", reissued, next, len(ins))
	}
}
