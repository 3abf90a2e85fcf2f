package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/services/identity"
)

// TestBrowserStatementUpload runs the statement upload in headless Chromium: the form's script sends the file by
// XHR (the progress bar appears) and follows the service's report to the statement's page; a file with a DOCTYPE
// comes back as the form with the error naming its line. It skips when Chromium is missing, except in CI.
func TestBrowserStatementUpload(t *testing.T) {
	chromium := testkit.Chromium(t)
	idURL := startIdentity(t, nil)
	papp, purl := startPayments(t, idURL)
	cfg := testConfig(idURL)
	cfg.PaymentsURL, cfg.PaymentsTimeout = purl, 10*time.Second
	_, hs := newTestServer(t, cfg)
	e2e := exportedRun(t, papp, hs.URL)
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "releve-12.xml"), filepath.Join(dir, "bad.xml")
	if err := os.WriteFile(good, statementXML(e2e, 131420, 12), 0o600); err != nil {
		t.Fatal(err)
	}
	doctype := strings.Replace(string(statementXML(e2e, 131420, 13)), "<Document", "<!DOCTYPE Document [<!ENTITY x \"y\">]>\n<Document", 1)
	if err := os.WriteFile(bad, []byte(doctype), 0o600); err != nil {
		t.Fatal(err)
	}

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
	run("sign in", chromedp.Navigate(hs.URL+"/login"), chromedp.WaitVisible(chromedp.ID("f-tenant")),
		chromedp.SendKeys(chromedp.ID("f-tenant"), "demo"), chromedp.SendKeys(chromedp.ID("f-username"), "comptable"),
		chromedp.SendKeys(chromedp.ID("f-password"), identity.DemoPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.main-nav a[href="/payments/statements"]`)))
	run("upload the statement", chromedp.Click(chromedp.CSS(`nav.main-nav a[href="/payments/statements"]`)),
		chromedp.WaitVisible(chromedp.ID("f-file")),
		chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{good}),
		chromedp.Click(chromedp.CSS(`form[data-upload] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	contains(".flash", "Le relevé est importé et rapproché.")
	contains("h1", "Relevé STMT-12")
	contains("main table", "Paiements comptabilisés")
	screenshot(t, ctx, "statement-report")

	run("upload a file with a DOCTYPE", chromedp.Navigate(hs.URL+"/payments/statements"), chromedp.WaitVisible(chromedp.ID("f-file")),
		chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{bad}),
		chromedp.Click(chromedp.CSS(`form[data-upload] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".error-summary")))
	contains(".error-summary", "Ligne 2")
	contains(".error-summary", "DOCTYPE")
	screenshot(t, ctx, "statement-refused")
}
