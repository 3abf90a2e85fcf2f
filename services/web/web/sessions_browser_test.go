package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/services/identity"
)

var (
	sessionRequestNumberRe = regexp.MustCompile(`R\d{4}/\d{6}`)
	sessionPagePathRe      = regexp.MustCompile(`^/sessions/([0-9a-f-]{36})$`)
)

// committeeScenario starts identity, beneficiaries and decisions with the web front end, registers two aid
// requests on a file and has the president decide both urgently (through the president's form): two items the
// secretary can put on an agenda for ratification.
func committeeScenario(t *testing.T) (base string, president *browser) {
	t.Helper()
	cfg, bapp := startRegistryApp(t, 1<<20, nil)
	dapp, durl := startDecisions(t, cfg.IdentityURL)
	cfg.DecisionsURL = durl
	_, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword
	today := civil.Today()

	worker := newBrowser(t, hs.URL).login("demo", "assistant", pw)
	worker.post("/persons/new", personForm("", "Dubois", "Luc", "1979-02-11", "male"))
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
	filePath := worker.res.Request.URL.Path
	projectFile(t, bapp, dapp, personID, fm[1], "Dubois", "Luc", "fr")
	president = newBrowser(t, hs.URL).login("demo", "president", pw)
	for i := range 2 {
		worker.post(filePath+"/requests/new", url.Values{"idempotency_key": {newIdempotencyKey()}, "kind": {"aide_sociale"},
			"subtype": {"energy"}, "channel": {"in_person"}, "received_on": {today.String()}})
		number := sessionRequestNumberRe.FindString(worker.body)
		if number == "" {
			t.Fatalf("no request number:\n%s", worker.body)
		}
		president.get("/urgent-decisions/new")
		president.expect(http.StatusOK, "Décision urgente du président")
		key := idemKeyRe.FindStringSubmatch(president.body)[1]
		form := url.Values{"idempotency_key": {key}, "request_number": {number}, "monthly_amount": {"250,00"},
			"start": {today.String()}, "end": {today.AddDays(30).String()}, "motivation": {"Coupure d'énergie imminente"}}
		if i == 0 {
			// The motivation is required: the form comes back with the error at its field, in French.
			form.Set("motivation", "")
			president.post("/urgent-decisions/new", form)
			president.expect(http.StatusUnprocessableEntity, `id="f-motivation-error"`)
			form.Set("motivation", "Coupure d'énergie imminente")
			form.Set("idempotency_key", idemKeyRe.FindStringSubmatch(president.body)[1])
		}
		president.post("/urgent-decisions/new", form)
		president.expect(http.StatusOK, "La décision urgente est prise")
	}
	president.expect(http.StatusOK, "2 décision(s) en attente de ratification")
	return hs.URL, president
}

// TestBrowserCommitteeSession runs the committee's session in headless Chromium (a laptop, 1366×768) against the
// real services, from the agenda to the minutes: the secretary plans the session (a missing place is refused at
// its field), convenes it, puts the two urgent decisions on the agenda, opens it with everybody present, sees the
// quorum counted again when a member leaves, records a show of hands and its approval; the members and the
// president cast their own secret ballots from their sessions (the member's agenda view offers the vote); the
// secretary records the rejection, closes the session with the keyboard and prints the minutes; the president
// signs them off.
func TestBrowserCommitteeSession(t *testing.T) {
	chromium := testkit.Chromium(t)
	base, president := committeeScenario(t)
	pw := identity.DemoPassword
	ctx := newChromium(t, chromium)

	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	contains := func(sel, want string) {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const e = document.querySelector(`+"`"+sel+"`"+`);
			return e ? e.innerText : "(no " + `+"`"+sel+"`"+` + ") " + document.body.innerText })()`))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		if !strings.Contains(s, want) {
			t.Fatalf("%s shows %q, want %q", sel, s, want)
		}
	}
	// step clicks and waits for the next page's message (the current one is removed first, so that the wait is
	// for the page the click brings).
	step := func(name string, click chromedp.Action[chromedp.Void]) {
		t.Helper()
		run(name, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll(".flash, .error-summary").forEach(e => e.remove())`),
			click, chromedp.WaitVisible(chromedp.CSS(".flash, .error-summary")))
	}
	eval := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return s
	}

	run("sign in as the committee secretary",
		chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("f-tenant")),
		chromedp.SendKeys(chromedp.ID("f-tenant"), "demo"),
		chromedp.SendKeys(chromedp.ID("f-username"), "secretaire"),
		chromedp.SendKeys(chromedp.ID("f-password"), pw),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.main-nav a[href="/sessions"]`)))

	day := civil.Today().AddDays(10)
	run("plan a session without a place",
		chromedp.Click(chromedp.CSS(`nav.main-nav a[href="/sessions"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href="/sessions/new"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/sessions/new"]`)), chromedp.WaitVisible(chromedp.ID("f-date")),
		chromedp.SetValue(chromedp.ID("f-date"), day.String()),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("f-president").selectedIndex = 1;
			document.querySelectorAll("#f-members input[type=checkbox]").forEach(c => c.checked = true)`),
		chromedp.Click(chromedp.CSS(`form[action="/sessions/new"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("f-place-error")))
	contains(".error-summary", "Lieu")
	screenshot(t, ctx, "session-new-error")
	run("type the place", chromedp.SendKeys(chromedp.ID("f-place"), "Salle du conseil"))
	step("plan it", chromedp.Click(chromedp.CSS(`form[action="/sessions/new"] button[type=submit]`)))
	contains(".flash", "La séance est planifiée.")
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(loc)
	sm := sessionPagePathRe.FindStringSubmatch(u.Path)
	if sm == nil {
		t.Fatalf("not on a session page: %s", loc)
	}
	sessionID := sm[1]
	contains("main", "Paul Président — président")
	contains("main", "Sébastien Secrétaire — secrétaire")

	step("convene it", chromedp.Click(chromedp.CSS("#convene-form button")))
	contains(".flash", "La convocation est enregistrée.")
	for i := range 2 {
		run("choose an urgent decision", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("f-candidate");
				s.value = [...s.options].find(o => o.value.startsWith("ratification:")).value })()`))
		step("put it on the agenda", chromedp.Click(chromedp.CSS("#agenda-form button")))
		contains(".flash", "Le point est ajouté à l'ordre du jour.")
		if n := eval(`String(document.querySelectorAll("section.agenda-item").length)`); n != string(rune('1'+i)) {
			t.Fatalf("%s items on the agenda", n)
		}
	}
	refs := strings.Split(eval(`[...document.querySelectorAll("section.agenda-item")].map(s => s.id.slice(5)).join(",")`), ",")
	screenshot(t, ctx, "session-agenda")

	// A member sees the convened session and its agenda, without the secretary's forms.
	member := newBrowser(t, base).login("demo", "membre", pw)
	member.get("/sessions")
	member.expect(http.StatusOK, "/sessions/"+sessionID, "convoquée")
	member.get("/sessions/" + sessionID)
	member.expect(http.StatusOK, "Point 1", "Point 2")
	member.expectNot("agenda-form", "opening-form")

	openSessionsOnTheirDay(t, 10)
	step("open the session with everybody present", chromedp.Click(chromedp.CSS("#opening-form button[type=submit]")))
	contains("#quorum", "Quorum atteint : 4 présent(s) pour 3 requis")
	step("a member leaves", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("form[action$='/movements']")].find(
		f => f.closest("tr").textContent.includes("Nadia Lambert")).querySelector("button").click()`))
	contains(".flash", "Les présences sont mises à jour.")
	contains("#quorum", "3 présent(s) pour 3 requis")
	screenshot(t, ctx, "session-live")

	// Item 1: show of hands recorded by the secretary, approved.
	item1 := "#item-" + refs[0]
	step("open the vote by show of hands", chromedp.Click(chromedp.CSS(item1+" form.vote-start button")))
	for range 3 {
		step("record a member's hand", chromedp.Click(chromedp.CSS(item1+` form.ballot-form button[value=for]`)))
	}
	contains(item1+" .tally", "3 pour, 0 contre, 0 abstention(s)")
	step("record the approval", chromedp.Click(chromedp.CSS("#outcome-"+refs[0]+" button[type=submit]")))
	contains(item1+" .outcome", "approuvé")

	// Item 2: secret ballot, each member from their own session.
	item2 := "#item-" + refs[1]
	run("choose a secret ballot", chromedp.Click(chromedp.ID("mode-"+refs[1]+"-secret")))
	step("open it", chromedp.Click(chromedp.CSS(item2+" form.vote-start button")))
	president.get("/sessions/" + sessionID)
	president.expect(http.StatusOK, `class="my-vote"`)
	president.post("/sessions/"+sessionID+"/items/"+refs[1]+"/ballots", url.Values{"choice": {"against"}})
	president.expect(http.StatusOK, "Le vote est enregistré.", "Vous avez voté sur ce point.")
	for _, name := range []string{"membre", "membre2"} {
		b := member
		if name != "membre" {
			b = newBrowser(t, base).login("demo", name, pw)
		}
		b.get("/sessions/" + sessionID)
		b.expect(http.StatusOK, `class="my-vote"`)
		b.post("/sessions/"+sessionID+"/items/"+refs[1]+"/ballots", url.Values{"choice": {"against"}})
		b.expect(http.StatusOK, "Le vote est enregistré.")
	}
	// The live view updates itself (static/session.js): the secret ballots appear without a reload.
	run("the tally updates in place", chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`),
		chromedp.Poll[chromedp.Void](`document.querySelector("`+item2+` .tally").textContent.includes("0 pour, 3 contre")`,
			chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
	if kept := eval(`String(window.notReloaded === true)`); kept != "true" {
		t.Fatalf("the page reloaded instead of updating in place")
	}
	step("approving it is refused", chromedp.Click(chromedp.CSS("#outcome-"+refs[1]+" button[type=submit]")))
	contains(".error-summary", "majorité")
	run("choose the rejection", chromedp.Click(chromedp.ID("outcome-"+refs[1]+"-rejected")))
	step("record it", chromedp.Click(chromedp.CSS("#outcome-"+refs[1]+" button[type=submit]")))
	contains(item2+" .outcome", "rejeté")

	run("focus the closing button", chromedp.Focus(chromedp.CSS("#closing-form button")))
	step("close the session with the keyboard", chromedp.KeyEvent(kb.Enter))
	contains(".flash", "La séance est clôturée.")
	contains("#session-status", "clôturée")
	screenshot(t, ctx, "session-closed")
	run("print the minutes", chromedp.Click(chromedp.ID("minutes-link")), chromedp.WaitVisible(chromedp.CSS("h1")))
	for _, want := range []string{"Procès-verbal de la séance", "Paul Président", "approuvé", "rejeté", "scrutin secret", "Procès-verbal non encore approuvé"} {
		contains("body", want)
	}
	screenshot(t, ctx, "session-minutes")

	// The president signs the minutes off; the members no longer see the session.
	president.get("/sessions/" + sessionID)
	vm := versionRe.FindStringSubmatch(president.body)
	if vm == nil || !strings.Contains(president.body, "approve-form") {
		t.Fatalf("no approval form for the president:\n%s", president.body)
	}
	president.post("/sessions/"+sessionID+"/minutes-approval", url.Values{"version": {vm[1]}})
	president.expect(http.StatusOK, "Le procès-verbal est approuvé.")
	president.expectNot("/sessions/" + sessionID)
	run("the secretary sees the sign-off", chromedp.Navigate(base+"/sessions/"+sessionID), chromedp.WaitVisible(chromedp.ID("signed-off")))
	contains("#session-status", "procès-verbal approuvé")
	member.get("/sessions/" + sessionID)
	member.expect(http.StatusNotFound)
	president.get("/urgent-decisions")
	president.expect(http.StatusOK, "Aucune décision urgente en attente.", "ratifiée", "refusée")
}
