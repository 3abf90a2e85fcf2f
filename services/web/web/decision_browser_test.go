package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/services/identity"
)

// TestBrowserDecisionLetterAndNotification runs in headless Chromium against the real services: the social
// worker opens the request, follows the link to its decision, opens the letter (Dutch, with the labour court and
// the 3-month deadline), comes back, records the notification with the keyboard-reachable form (a date in the
// future is refused at its field first) and sees it recorded with the end of the appeal period.
func TestBrowserDecisionLetterAndNotification(t *testing.T) {
	chromium := testkit.Chromium(t)
	sc := newDecisionScenario(t)
	ctx := newChromium(t, chromium)
	base := sc.hs.URL

	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	contains := func(sel, want string) {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		if !strings.Contains(s, want) {
			t.Fatalf("%s shows %q, want %q", sel, s, want)
		}
	}

	run("sign in as the social worker",
		chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("f-tenant")),
		chromedp.SendKeys(chromedp.ID("f-tenant"), "demo"),
		chromedp.SendKeys(chromedp.ID("f-username"), "assistant"),
		chromedp.SendKeys(chromedp.ID("f-password"), identity.DemoPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.main-nav a[href="/persons"]`)))
	run("open the request and follow its decision",
		chromedp.Navigate(base+sc.requestPath), chromedp.WaitVisible(chromedp.ID("decisions-title")),
		chromedp.Click(chromedp.CSS(`a[href$="/decisions/`+sc.decisionID+`"]`)),
		chromedp.WaitVisible(chromedp.ID("notification-title")))
	contains("main", "589,05 €")
	screenshot(t, ctx, "decision")

	run("open the letter", chromedp.Navigate(base+"/persons/"+sc.personID+"/decisions/"+sc.decisionID+"/letter"),
		chromedp.WaitVisible(chromedp.CSS("body")))
	for _, want := range []string{"Arbeidsrechtbank Gent", "Opgeëistenlaan 401", "drie maanden", "niet opschortend", sc.fileNumber} {
		contains("body", want)
	}
	screenshot(t, ctx, "decision_letter")

	decision := base + "/persons/" + sc.personID + "/decisions/" + sc.decisionID
	run("a notification dated tomorrow",
		chromedp.Navigate(decision), chromedp.WaitVisible(chromedp.ID("f-method")),
		chromedp.SetValue(chromedp.ID("f-method"), "registered_letter"),
		chromedp.SendKeys(chromedp.ID("f-reference"), "RR123456789BE"),
		chromedp.SetValue(chromedp.ID("f-date"), sc.today.AddDays(1).String()),
		chromedp.Click(chromedp.CSS(`form[action$="/notification"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("f-date-error")))
	contains("#f-date-error", "futur")
	run("the notification dated today",
		chromedp.SetValue(chromedp.ID("f-date"), sc.today.String()),
		chromedp.Click(chromedp.CSS(`form[action$="/notification"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("notification-recorded")))
	contains(".flash", "La notification a été enregistrée.")
	contains("#notification-recorded", "RR123456789BE")
	contains("#notification-recorded", "Fin du délai de recours")
	screenshot(t, ctx, "decision_notified")
}
