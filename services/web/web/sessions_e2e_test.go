package web

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/identity"
)

var (
	candidateRe = regexp.MustCompile(`value="ratification:([0-9a-f-]{36})"`)
	itemIDRe    = regexp.MustCompile(`id="item-([0-9a-f-]{36})"`)
)

// TestEndToEndCommitteeSessionInDutch drives the secretary's pages in Dutch against the real services: errors at
// their fields in Dutch (a missing place, a late convocation without urgency, an urgency without motivation, an
// amendment without a valid amount then without its reason), the amended item, the closing and the minutes in
// Dutch; a social worker has no committee page.
func TestEndToEndCommitteeSessionInDutch(t *testing.T) {
	base, _ := committeeScenario(t)
	pw := identity.DemoPassword
	sec := newBrowser(t, base).login("demo", "secretaire", pw)
	sec.get("/lang/nl?return=/sessions/new")
	sec.expect(http.StatusOK, "Een zitting plannen", "Paul Président")

	// The members: every committee member offered, the president and the secretary chosen.
	pres := regexp.MustCompile(`<option value="([0-9a-f-]{36})">Paul Président</option>`).FindStringSubmatch(sec.body)
	members := regexp.MustCompile(`name="members" value="([0-9a-f-]{36})"`).FindAllStringSubmatch(sec.body, -1)
	if pres == nil || len(members) != 3 {
		t.Fatalf("planning form: president %v, %d members", pres, len(members))
	}
	form := url.Values{"idempotency_key": {idemKeyRe.FindStringSubmatch(sec.body)[1]}, "date": {civil.Today().AddDays(3).String()},
		"time": {"09:30"}, "president": {pres[1]}, "secretary": {regexp.MustCompile(`<option value="([0-9a-f-]{36})" selected>`).FindStringSubmatch(sec.body)[1]}}
	for _, m := range members {
		form.Add("members", m[1])
	}
	sec.post("/sessions/new", form)
	sec.expect(http.StatusUnprocessableEntity, `id="f-place-error"`, "Dit veld is verplicht.")
	form.Set("place", "Raadzaal")
	form.Set("idempotency_key", idemKeyRe.FindStringSubmatch(sec.body)[1])
	sec.post("/sessions/new", form)
	sec.expect(http.StatusOK, "De zitting is gepland.", "Paul Président — voorzitter")
	m := sessionPagePathRe.FindStringSubmatch(sec.res.Request.URL.Path)
	if m == nil {
		t.Fatalf("not on the session page: %s", sec.res.Request.URL)
	}
	page := "/sessions/" + m[1]
	version := func() string { return versionRe.FindStringSubmatch(sec.body)[1] }

	// In three days, 5 clear days cannot be left: late, refused unless urgent with a motivation.
	sec.post(page+"/convocation", url.Values{"version": {version()}})
	sec.expect(http.StatusConflict, "De oproeping respecteert de termijn van volle dagen niet")
	sec.post(page+"/convocation", url.Values{"version": {version()}, "urgent": {"on"}})
	sec.expect(http.StatusUnprocessableEntity, `id="f-motivation-error"`, "Een laattijdige oproeping moet met de hoogdringendheid gemotiveerd worden.")
	sec.post(page+"/convocation", url.Values{"version": {version()}, "urgent": {"on"}, "motivation": {"Uithuiszetting gepland"}})
	sec.expect(http.StatusOK, "De oproeping is geregistreerd.", "hoogdringendheid", "Uithuiszetting gepland")

	for range 2 {
		c := candidateRe.FindStringSubmatch(sec.body)
		if c == nil {
			t.Fatalf("no candidate:\n%s", sec.body)
		}
		sec.post(page+"/items", url.Values{"version": {version()}, "candidate": {"ratification:" + c[1]}})
		sec.expect(http.StatusOK, "Het punt is aan de agenda toegevoegd.")
	}
	sec.expectNot(`value="ratification:`)
	sec.expect(http.StatusOK, "Luc Dubois", "Coupure d&#39;énergie imminente")
	refs := itemIDRe.FindAllStringSubmatch(sec.body, -1)
	if len(refs) != 2 {
		t.Fatalf("%d items", len(refs))
	}
	// A stale version is refused with the page as it now is.
	openSessionsOnTheirDay(t, 3)
	sec.post(page+"/opening", url.Values{"version": {"1"}})
	sec.expect(http.StatusPreconditionFailed, "De zitting is intussen gewijzigd")
	open := url.Values{"version": {version()}}
	for _, id := range regexp.MustCompile(`name="attendance_([0-9a-f-]{36})"`).FindAllStringSubmatch(sec.body, -1) {
		open.Set("attendance_"+id[1], "present")
	}
	sec.post(page+"/opening", open)
	sec.expect(http.StatusOK, "De zitting is geopend.", "Quorum bereikt: 4 aanwezig voor 3 vereist")

	item := page + "/items/" + refs[0][1]
	sec.post(item+"/vote", url.Values{"mode": {"show_of_hands"}})
	sec.expect(http.StatusOK, "De stemming is geopend.")
	for _, u := range []string{pres[1], members[0][1], members[1][1]} {
		sec.post(item+"/ballots", url.Values{"user_id": {u}, "choice": {"for"}})
		sec.expect(http.StatusOK, "De stem is geregistreerd.")
	}
	key := regexp.MustCompile(`id="outcome-` + refs[0][1] + `">\s*<input type="hidden" name="csrf" value="[^"]+"><input type="hidden" name="idempotency_key" value="([0-9a-f]+)"`).FindStringSubmatch(sec.body)
	if key == nil {
		t.Fatalf("no outcome form:\n%s", sec.body)
	}
	amend := url.Values{"idempotency_key": {key[1]}, "outcome": {"amended"}, "monthly_amount": {"twee honderd"},
		"start": {civil.Today().String()}, "end": {civil.Today().AddDays(20).String()}, "motivation_ref": {"urgent"}}
	sec.post(item+"/outcome", amend)
	sec.expect(http.StatusUnprocessableEntity, "Bedrag in euro verwacht")
	amend.Set("monthly_amount", "200,00")
	amend.Set("idempotency_key", newIdempotencyKey())
	sec.post(item+"/outcome", amend)
	sec.expect(http.StatusUnprocessableEntity, "Motiveer het amendement.")
	amend.Set("amendment_reason", "Factuur lager dan verwacht")
	amend.Set("idempotency_key", newIdempotencyKey())
	sec.post(item+"/outcome", amend)
	sec.expect(http.StatusOK, "De beslissing over het punt is geregistreerd.", "goedgekeurd met amendement", "€ 200,00", "Factuur lager dan verwacht")

	sec.post(page+"/closing", url.Values{"version": {version()}})
	sec.expect(http.StatusOK, "De zitting is gesloten.", "uitgesteld bij de sluiting", "Notulen (PDF)")
	sec.get(page + "/minutes")
	sec.expect(http.StatusOK, "Notulen van de zitting", "goedgekeurd met amendement", "Factuur lager dan verwacht", "Uitgesteld bij de sluiting")
	if csp := sec.res.Header.Get("Content-Security-Policy"); csp == "" || !regexp.MustCompile(`style-src 'sha256-`).MatchString(csp) {
		t.Fatalf("minutes CSP %q", csp)
	}
	sec.get(page + "/items/" + refs[0][1] + "/extract.pdf")
	sec.expect(http.StatusOK, "%PDF")

	worker := newBrowser(t, base).login("demo", "assistant", pw)
	worker.get(page)
	worker.expect(http.StatusForbidden)
	worker.get("/sessions")
	worker.expect(http.StatusForbidden)
}

// TestEndToEndCommitteeRules: the tenant admin sets the committee's rules of order; a fixed quorum without its
// number is refused at its field; the secretary has no such page.
func TestEndToEndCommitteeRules(t *testing.T) {
	cfg, _ := startRegistryApp(t, 1<<20, nil)
	_, durl := startDecisions(t, cfg.IdentityURL)
	cfg.DecisionsURL = durl
	_, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword
	admin := newBrowser(t, hs.URL).login("demo", "admin", pw)
	admin.get("/committee-rules")
	admin.expect(http.StatusOK, "intérieur du comité", "5 jours francs", `value="majority_of_members" selected`)
	v := versionRe.FindStringSubmatch(admin.body)[1]
	admin.post("/committee-rules", url.Values{"version": {v}, "quorum": {"fixed_number"}, "quorum_fixed": {"0"},
		"majority": {"votes_cast"}, "tie": {"president_casting_vote"}})
	admin.expect(http.StatusUnprocessableEntity, `id="f-quorum_fixed-error"`)
	admin.post("/committee-rules", url.Values{"version": {v}, "quorum": {"fixed_number"}, "quorum_fixed": {"3"},
		"majority": {"votes_cast"}, "tie": {"president_casting_vote"}})
	admin.expect(http.StatusOK, "Les règles du comité sont enregistrées.", `value="fixed_number" selected`, `value="president_casting_vote" selected`)
	sec := newBrowser(t, hs.URL).login("demo", "secretaire", pw)
	sec.get("/committee-rules")
	sec.expect(http.StatusForbidden)
}
