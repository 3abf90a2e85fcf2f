package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	fake := newFakeIdentity(t)
	fake.addUser("demo", "amelie", "correct horse battery", "tenant_admin")
	cfg := testConfig(fake.srv.URL)
	cfg.CookieSecure = true
	_, hs := newTestServer(t, cfg)
	for _, path := range []string{"/login", "/", "/static/app.css", "/nope", "/lang/nl?return=/login"} {
		res, err := noRedirect().Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		h := res.Header
		for name, want := range map[string]string{
			"Content-Security-Policy":   "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
			"X-Content-Type-Options":    "nosniff",
			"Referrer-Policy":           "no-referrer",
			"X-Frame-Options":           "DENY",
			"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", path, name, got, want)
			}
		}
		if h.Get("Permissions-Policy") == "" {
			t.Errorf("%s: no Permissions-Policy", path)
		}
		wantCache := "no-store"
		if strings.HasPrefix(path, "/static/") {
			wantCache = "public, max-age=3600"
		}
		if got := h.Get("Cache-Control"); got != wantCache {
			t.Errorf("%s: Cache-Control %q, want %q", path, got, wantCache)
		}
	}
	// Over plain HTTP without WEB_COOKIE_SECURE: no HSTS (it would be ignored, and wrong).
	_, plain := newTestServer(t, testConfig(fake.srv.URL))
	res, err := http.Get(plain.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS over plain HTTP")
	}
}

func TestSessionCookieFlagsAndNewIDOnLogin(t *testing.T) {
	fake := newFakeIdentity(t)
	fake.addUser("demo", "amelie", "correct horse battery", "tenant_admin")
	for _, secure := range []bool{false, true} {
		cfg := testConfig(fake.srv.URL)
		cfg.CookieSecure = secure
		srv, hs := newTestServer(t, cfg)

		// A session id planted in the browser before login (session fixation) must not survive the login.
		planted := newRawID()
		b := newBrowser(t, hs.URL)
		b.get("/login")
		form := url.Values{"tenant": {"demo"}, "username": {"amelie"}, "password": {"correct horse battery"}, CSRFField: {b.csrf()}}
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range b.client.Jar.Cookies(req.URL) {
			req.AddCookie(c)
		}
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: planted})
		res, err := noRedirect().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
			t.Fatalf("login: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		var session *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == SessionCookie {
				session = c
			}
		}
		if session == nil {
			t.Fatal("no session cookie")
		}
		if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" || session.Secure != secure {
			t.Errorf("secure=%v: cookie flags %+v", secure, session)
		}
		if session.Value == planted || len(session.Value) < 40 {
			t.Errorf("session id %q not fresh", session.Value)
		}
		if strings.Contains(res.Header.Get("Set-Cookie"), "at-") {
			t.Error("a token reached the browser")
		}
		// The store keys the session by the id's hash and holds no token in clear.
		var doc bson.M
		if err := srv.sessions.coll.FindOne(context.Background(), bson.M{}).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		if doc["_id"] == session.Value || doc["_id"] != storageKey(session.Value) {
			t.Errorf("session stored under %v", doc["_id"])
		}
		raw, _ := bson.Marshal(doc)
		if strings.Contains(string(raw), "at-") || strings.Contains(string(raw), "rt-") || strings.Contains(string(raw), "amelie") {
			t.Error("the session document holds tokens or the username in clear")
		}
		if _, err := srv.sessions.Load(context.Background(), session.Value); err != nil {
			t.Errorf("load session: %v", err)
		}
	}
}

func TestPostsWithoutTheCSRFTokenAreRefused(t *testing.T) {
	fake := newFakeIdentity(t)
	fake.addUser("demo", "amelie", "correct horse battery", "tenant_admin")
	_, hs := newTestServer(t, testConfig(fake.srv.URL))

	// Login form: no token, a wrong token, or the token of another browser's nonce.
	b := newBrowser(t, hs.URL)
	b.get("/login")
	good := b.csrf()
	creds := func(token string) url.Values {
		return url.Values{"tenant": {"demo"}, "username": {"amelie"}, "password": {"correct horse battery"}, CSRFField: {token}}
	}
	other := newBrowser(t, hs.URL)
	other.get("/login")
	wrong := "x" + good[1:]
	if good[0] == 'x' { // a fresh token starts with x once in 64
		wrong = "y" + good[1:]
	}
	for name, token := range map[string]string{"missing": "", "wrong": wrong, "other browser's": other.csrf()} {
		b.post("/login", creds(token))
		if b.res.StatusCode != http.StatusForbidden {
			t.Errorf("login with %s token: %d", name, b.res.StatusCode)
		}
		b.expect(http.StatusForbidden, "Ce formulaire a expiré")
	}
	b.get("/login")
	b.post("/login", creds(b.csrf()))
	b.expect(http.StatusOK, "Bonjour Amelie Test")
	if len(fake.access) != 1 {
		t.Fatalf("%d logins reached identity, want 1", len(fake.access))
	}

	// Signed in: every POST needs the session's token.
	sessionToken := b.csrf()
	for _, path := range []string{"/users/new", "/users", "/logout", "/account/password"} {
		for name, token := range map[string]string{"missing": "", "wrong": strings.Repeat("A", len(sessionToken)), "login form's": good} {
			b.post(path, url.Values{CSRFField: {token}, "username": {"eve"}, "q": {"a"}})
			if b.res.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with %s token: %d", path, name, b.res.StatusCode)
			}
		}
	}
	if len(fake.users) != 1 || len(fake.logouts) != 0 {
		t.Fatal("a refused POST reached the identity service")
	}
	b.get("/")
	b.expect(http.StatusOK, "Bonjour Amelie Test")
}

func TestNavigationAndPagesFollowTheRoles(t *testing.T) {
	fake := newFakeIdentity(t)
	fake.addUser("demo", "admin", "correct horse battery", "tenant_admin")
	fake.addUser("demo", "sophie", "correct horse battery", "social_worker")
	fake.addUser("platform", "root", "correct horse battery", "platform_admin")
	_, hs := newTestServer(t, testConfig(fake.srv.URL))

	for _, tc := range []struct {
		tenant, user string
		shown        []string
		hidden       []string
		allowed      []string
		refused      []string
	}{
		{"demo", "admin", []string{`href="/users"`, `href="/account"`}, []string{`href="/tenants"`},
			[]string{"/users", "/users/new", "/account"}, []string{"/tenants", "/tenants/new"}},
		{"demo", "sophie", []string{`href="/account"`}, []string{`href="/users"`, `href="/tenants"`},
			[]string{"/account", "/account/password"}, []string{"/users", "/users/new", "/tenants"}},
		{"platform", "root", []string{`href="/tenants"`, `href="/account"`}, []string{`href="/users"`},
			[]string{"/account"}, []string{"/users", "/users/new"}},
	} {
		t.Run(tc.user, func(t *testing.T) {
			b := newBrowser(t, hs.URL).login(tc.tenant, tc.user, "correct horse battery")
			b.expect(http.StatusOK, tc.shown...)
			b.expectNot(tc.hidden...)
			for _, p := range tc.allowed {
				b.get(p)
				b.expect(http.StatusOK)
			}
			for _, p := range tc.refused {
				b.get(p)
				b.expect(http.StatusForbidden, "Accès refusé")
			}
		})
	}
}

func TestSignedOutVisitorsGoToTheLoginPage(t *testing.T) {
	fake := newFakeIdentity(t)
	_, hs := newTestServer(t, testConfig(fake.srv.URL))
	for _, p := range []string{"/", "/users", "/tenants/x", "/account"} {
		res, err := noRedirect().Get(hs.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
			t.Errorf("%s: %d to %q", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
	b := newBrowser(t, hs.URL)
	b.get("/nope")
	b.expect(http.StatusNotFound, "Page introuvable")
}

func TestLanguageSwitchReturnsToTheSamePage(t *testing.T) {
	fake := newFakeIdentity(t)
	fake.addUser("demo", "amelie", "correct horse battery", "tenant_admin")
	_, hs := newTestServer(t, testConfig(fake.srv.URL))
	b := newBrowser(t, hs.URL).login("demo", "amelie", "correct horse battery")
	b.get("/users?page=1")
	b.expect(http.StatusOK, `<html lang="fr">`, "Utilisateurs du CPAS")
	if !strings.Contains(b.body, `href="/lang/nl?return=%2Fusers%3Fpage%3D1"`) {
		t.Fatalf("no Dutch link back to this page:\n%s", b.body)
	}
	b.get("/lang/nl?return=%2Fusers%3Fpage%3D1")
	b.expect(http.StatusOK, `<html lang="nl">`, "Gebruikers van het OCMW", "Afmelden")
	if b.res.Request.URL.RequestURI() != "/users?page=1" {
		t.Errorf("came back to %s", b.res.Request.URL.RequestURI())
	}
	if c := b.cookie("lang"); c == nil || c.Value != "nl" {
		t.Errorf("lang cookie %v", c)
	}
	b.get("/lang/de?return=/account")
	b.expect(http.StatusOK, `<html lang="de">`, "Mein Konto", "15. Januar 2026")
	b.get("/lang/en?return=/account")
	b.expect(http.StatusOK, `<html lang="en">`, "My account", "15 January 2026")

	// The return address never leads off the site.
	for _, evil := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
		res, err := noRedirect().Get(hs.URL + "/lang/fr?" + url.Values{"return": {evil}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); loc != "/" {
			t.Errorf("return %q redirected to %q", evil, loc)
		}
	}
}

func TestCreateUserShowsFieldErrorsNextToFieldsAndKeepsInput(t *testing.T) {
	fake := newFakeIdentity(t)
	fake.addUser("demo", "amelie", "correct horse battery", "tenant_admin")
	_, hs := newTestServer(t, testConfig(fake.srv.URL))
	b := newBrowser(t, hs.URL).login("demo", "amelie", "correct horse battery")
	b.get("/lang/nl?return=/users/new")
	b.expect(http.StatusOK, "Nieuwe gebruiker", `<label for="f-roles-social_worker">Maatschappelijk werker</label>`)

	fake.createProblem = map[string]any{
		"type": "urn:entraide:problem:validation", "title": "Sommige gegevens zijn ongeldig", "status": 422,
		"errors": []map[string]string{
			{"field": "username", "code": "duplicate", "message": "Deze waarde bestaat al."},
			{"field": "email", "code": "invalid_email", "message": "Ongeldig e-mailadres."},
			{"field": "password", "code": "too_short", "message": "Minstens 12 tekens."},
		},
	}
	b.post("/users/new", url.Values{"username": {"jdupont"}, "display_name": {"Jeanne Dupont"}, "email": {"jeanne@"},
		"roles": {"social_worker", "dpo"}, "language": {"nl"}, "password": {"short-secret"}, "confirm_password": {"short-secret"},
		"idempotency_key": {"k1"}})
	b.expect(http.StatusUnprocessableEntity,
		// The summary at the top links to each field.
		`<a href="#f-username">Gebruikersnaam: Deze waarde bestaat al.</a>`,
		`<a href="#f-email">E-mailadres: Ongeldig e-mailadres.</a>`,
		// Each message sits next to its field, which points at it.
		`<p class="error-message" id="f-username-error">Deze waarde bestaat al.</p>`,
		`id="f-username" name="username" type="text" value="jdupont" required aria-required="true" autocomplete="off" aria-invalid="true" aria-describedby="f-username-hint f-username-error"`,
		`id="f-email" name="email" type="email" value="jeanne@"`,
		`aria-describedby="f-email-error"`,
		`id="f-password-error">Minstens 12 tekens.</p>`,
		// What was typed is kept.
		`value="Jeanne Dupont"`,
		`id="f-roles-social_worker" name="roles" value="social_worker" checked`,
		`id="f-roles-dpo" name="roles" value="dpo" checked`,
		`<option value="nl" lang="nl" selected>`,
	)
	b.expectNot(`value="short-secret"`, `id="f-roles-president" name="roles" value="president" checked`)

	// The web front end's own check: the two passwords must match.
	fake.createProblem = nil
	b.post("/users/new", url.Values{"username": {"jdupont"}, "display_name": {"Jeanne Dupont"}, "email": {"jeanne@example.org"},
		"roles": {"social_worker"}, "language": {"nl"}, "password": {"a-long-password-1"}, "confirm_password": {"another-one"}})
	b.expect(http.StatusUnprocessableEntity, `id="f-confirm_password-error">De twee wachtwoorden zijn niet gelijk.</p>`, `value="jdupont"`)

	b.post("/users/new", url.Values{"username": {"jdupont"}, "display_name": {"Jeanne Dupont"}, "email": {"jeanne@example.org"},
		"roles": {"social_worker"}, "language": {"nl"}, "password": {"a-long-password-1"}, "confirm_password": {"a-long-password-1"}})
	b.expect(http.StatusOK, "De gebruiker werd aangemaakt.", "Jeanne Dupont", "Maatschappelijk werker")
}

func TestLoginErrorsAreClearAndLocalized(t *testing.T) {
	fake := newFakeIdentity(t)
	fake.addUser("demo", "amelie", "correct horse battery", "tenant_admin")
	_, hs := newTestServer(t, testConfig(fake.srv.URL))
	b := newBrowser(t, hs.URL)
	b.get("/login")
	b.post("/login", url.Values{"tenant": {"demo"}, "username": {"amelie"}, "password": {"wrong password"}})
	b.expect(http.StatusUnauthorized, "Code du CPAS, nom d&#39;utilisateur ou mot de passe incorrect.", `value="amelie"`, `value="demo"`)
	b.expectNot("wrong password")

	b.post("/login", url.Values{"tenant": {"demo"}, "username": {""}, "password": {""}})
	b.expect(http.StatusUnprocessableEntity, `id="f-username-error">Ce champ est obligatoire.`, `id="f-password-error">Ce champ est obligatoire.`)

	fake.loginStatus, fake.loginRetryAfter = http.StatusTooManyRequests, "150"
	b.get("/lang/nl?return=/login")
	b.post("/login", url.Values{"tenant": {"demo"}, "username": {"amelie"}, "password": {"correct horse battery"}})
	b.expect(http.StatusTooManyRequests, "Te veel aanmeldpogingen. Probeer opnieuw over 3 minuut/minuten.")
	// The rate limit counts the person's address, not the web front end's.
	if last := fake.loginAddrs[len(fake.loginAddrs)-1]; last != "127.0.0.1" {
		t.Errorf("X-Forwarded-For %q", last)
	}
	if c := b.cookie(tenantCookie); c == nil || c.Value != "" {
		// Only a successful login remembers the tenant.
		if c != nil {
			t.Errorf("tenant remembered after failed logins: %q", c.Value)
		}
	}
	fake.loginStatus = 0
	b.login("demo", "amelie", "correct horse battery")
	b2 := newBrowser(t, hs.URL)
	b2.client.Jar = b.client.Jar
	b2.get("/login")
	b2.expect(http.StatusOK)
	if b2.res.Request.URL.Path != "/" {
		t.Errorf("signed-in visitor of /login not sent home")
	}
}

func TestLogoutRevokesTheRefreshTokenAndForgetsTheSession(t *testing.T) {
	fake := newFakeIdentity(t)
	fake.addUser("demo", "amelie", "correct horse battery", "tenant_admin")
	srv, hs := newTestServer(t, testConfig(fake.srv.URL))
	b := newBrowser(t, hs.URL).login("demo", "amelie", "correct horse battery")
	raw := b.cookie(SessionCookie).Value
	b.post("/logout", url.Values{})
	b.expect(http.StatusOK, "Vous êtes déconnecté.", `action="/login"`)
	if len(fake.logouts) != 1 || len(fake.refresh) != 0 {
		t.Errorf("logouts %v, live refresh tokens %d", fake.logouts, len(fake.refresh))
	}
	if _, err := srv.sessions.Load(context.Background(), raw); !errors.Is(err, ErrNoSession) {
		t.Errorf("session still loads: %v", err)
	}
}

func TestAccessTokenIsRefreshedServerSideNearExpiry(t *testing.T) {
	fake := newFakeIdentity(t)
	fake.addUser("demo", "amelie", "correct horse battery", "tenant_admin")
	fake.accessTTL = 60 // inside the 2-minute margin: every request refreshes
	srv, hs := newTestServer(t, testConfig(fake.srv.URL))
	b := newBrowser(t, hs.URL).login("demo", "amelie", "correct horse battery")
	first := fake.refreshCalls
	if first != 1 {
		t.Fatalf("refreshes after login and home page: %d", first)
	}
	raw := b.cookie(SessionCookie).Value
	before, _ := srv.sessions.Load(context.Background(), raw)

	b.get("/account")
	b.expect(http.StatusOK, "amelie@example.org")
	if fake.refreshCalls != first+1 {
		t.Fatalf("refresh calls %d", fake.refreshCalls)
	}
	after, _ := srv.sessions.Load(context.Background(), raw)
	if after.AccessToken() == before.AccessToken() || after.secrets.RefreshToken == before.secrets.RefreshToken {
		t.Error("tokens not replaced in the stored session")
	}
	if _, live := fake.access[after.AccessToken()]; !live {
		t.Error("stored access token unknown to identity")
	}
	// The same browser keeps its session id: only the server-side tokens changed.
	if b.cookie(SessionCookie).Value != raw {
		t.Error("session id changed on refresh")
	}

	// A fresh token is not refreshed.
	fake.accessTTL = 900
	b.get("/account")
	n := fake.refreshCalls
	b.get("/account")
	b.get("/")
	if fake.refreshCalls != n {
		t.Errorf("fresh token refreshed: %d → %d", n, fake.refreshCalls)
	}
}

func TestConcurrentRequestsSpendTheRefreshTokenOnce(t *testing.T) {
	fake := newFakeIdentity(t)
	fake.addUser("demo", "amelie", "correct horse battery", "tenant_admin")
	fake.accessTTL = 60 // the session will hold a token that needs refreshing
	_, hs := newTestServer(t, testConfig(fake.srv.URL))
	b := newBrowser(t, hs.URL).login("demo", "amelie", "correct horse battery")
	fake.mu.Lock()
	fake.accessTTL, fake.refreshCalls, fake.refreshDelay = 900, 0, 150e6
	fake.mu.Unlock()

	var wg sync.WaitGroup
	statuses := make(chan int, 6)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, hs.URL+"/account", nil)
			req.AddCookie(b.cookie(SessionCookie))
			res, err := noRedirect().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			statuses <- res.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusOK {
			t.Errorf("status %d", s)
		}
	}
	if fake.refreshCalls != 1 {
		t.Errorf("refresh token spent %d times", fake.refreshCalls)
	}
}

func TestFailedRefreshEndsTheSession(t *testing.T) {
	fake := newFakeIdentity(t)
	fake.addUser("demo", "amelie", "correct horse battery", "tenant_admin")
	srv, hs := newTestServer(t, testConfig(fake.srv.URL))
	b := newBrowser(t, hs.URL).login("demo", "amelie", "correct horse battery")
	raw := b.cookie(SessionCookie).Value

	// Signing in again from a browser holding a live session replaces that session.
	fake.accessTTL = 60 // the new session's token will need refreshing
	b.client.Jar.SetCookies(b.res.Request.URL, []*http.Cookie{{Name: SessionCookie, Value: "", MaxAge: -1}})
	b.get("/login")
	b.client.Jar.SetCookies(b.res.Request.URL, []*http.Cookie{{Name: SessionCookie, Value: raw, Path: "/"}})
	b.post("/login", url.Values{"tenant": {"demo"}, "username": {"amelie"}, "password": {"correct horse battery"}})
	b.expect(http.StatusOK, "Bonjour Amelie Test")
	raw2 := b.cookie(SessionCookie).Value
	if raw2 == raw {
		t.Fatal("second login kept the session id")
	}
	if _, err := srv.sessions.Load(context.Background(), raw); !errors.Is(err, ErrNoSession) {
		t.Error("the session replaced by a new login still exists")
	}
	// The identity service now refuses: the user was disabled, or the token family revoked.
	fake.refreshStatus = http.StatusUnauthorized
	b.get("/users")
	b.expect(http.StatusOK, "Votre session a pris fin", `action="/login"`)
	if b.res.Request.URL.Path != "/login" {
		t.Errorf("ended at %s", b.res.Request.URL.Path)
	}
	if _, err := srv.sessions.Load(context.Background(), raw2); !errors.Is(err, ErrNoSession) {
		t.Errorf("session survived a refused refresh: %v", err)
	}
}

func TestIdleSessionsExpire(t *testing.T) {
	fake := newFakeIdentity(t)
	fake.addUser("demo", "amelie", "correct horse battery", "tenant_admin")
	srv, hs := newTestServer(t, testConfig(fake.srv.URL))
	b := newBrowser(t, hs.URL).login("demo", "amelie", "correct horse battery")
	now := srv.sessions.now()
	srv.sessions.now = func() time.Time { return now.Add(31 * time.Minute) }
	b.get("/")
	b.expect(http.StatusOK, "Votre session a expiré")
	if b.res.Request.URL.Path != "/login" {
		t.Errorf("ended at %s", b.res.Request.URL.Path)
	}
}

func TestRoleChangeConflictReloadsTheForm(t *testing.T) {
	fake := newFakeIdentity(t)
	fake.addUser("demo", "amelie", "correct horse battery", "tenant_admin")
	target := fake.addUser("demo", "sophie", "correct horse battery", "social_worker")
	_, hs := newTestServer(t, testConfig(fake.srv.URL))
	b := newBrowser(t, hs.URL).login("demo", "amelie", "correct horse battery")
	b.get("/users/" + target.ID + "/roles")
	b.expect(http.StatusOK, `name="version" value="1"`, `value="social_worker" checked`)
	token := b.csrf()

	// Someone else changes the user meanwhile.
	fake.mu.Lock()
	target.Roles, target.Version = []string{"dpo"}, 2
	fake.mu.Unlock()
	b.post("/users/"+target.ID+"/roles", url.Values{CSRFField: {token}, "version": {"1"}, "roles": {"social_worker", "accountant"}})
	b.expect(http.StatusConflict, "Quelqu&#39;un d&#39;autre a modifié cet utilisateur", `name="version" value="2"`, `value="dpo" checked`)
	b.expectNot(`value="accountant" checked`)

	b.post("/users/"+target.ID+"/roles", url.Values{"version": {"2"}, "roles": {"dpo", "accountant"}})
	b.expect(http.StatusOK, "Les rôles ont été enregistrés.", "Délégué à la protection des données, Comptable")
}
