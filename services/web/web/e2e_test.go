package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/services/identity"
)

// startIdentity runs the real identity service in-process on a test HTTP server, on a database of its own with
// the demo tenant seeded (identity.SeedDemo: "admin" is its tenant admin, "plateforme" the platform admin).
// extra overrides its environment.
func startIdentity(t *testing.T, extra map[string]string) string {
	t.Helper()
	dbName := testkit.Name(t, "identity")
	env := map[string]string{
		"MONGO_URI":                  testkit.MongoURI(t),
		"MONGO_DATABASE":             dbName,
		"IDENTITY_KEY_DIR":           t.TempDir(),
		"IDENTITY_SEED_DEMO":         "true",
		"IDENTITY_ARGON2_MEMORY_KIB": "1024", // fast hashes: the tests log in often
		"IDENTITY_ARGON2_TIME":       "1",
		"IDENTITY_ARGON2_THREADS":    "1",
		"IDENTITY_TRUSTED_PROXIES":   "127.0.0.1/32", // the web front end forwards the browser's address
	}
	for k, v := range extra {
		env[k] = v
	}
	r := config.FromMap(env)
	cfg := identity.LoadConfig(r)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	app, err := identity.NewApp(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("start identity: %v", err)
	}
	hs := httptest.NewServer(app.Handler)
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if client, err := mongo.Connect(options.Client().ApplyURI(testkit.MongoURI(t))); err == nil {
			_ = client.Database(dbName).Drop(ctx)
			_ = client.Disconnect(ctx)
		}
		_ = app.Close(ctx)
	})
	return hs.URL
}

// TestEndToEndUserManagement drives the tenant admin's pages against the real identity service.
func TestEndToEndUserManagement(t *testing.T) {
	idURL := startIdentity(t, map[string]string{"IDENTITY_LOGIN_MAX_FAILURES_PER_ACCOUNT": "3"})
	cfg := testConfig(idURL)
	srv, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword

	admin := newBrowser(t, hs.URL).login("demo", "admin", pw)
	admin.expect(http.StatusOK, "Bonjour Aline Admin", "CPAS de Démo", "Administrateur du CPAS", `href="/users"`)
	admin.expectNot(`href="/tenants"`)

	// The list, then a search kept server-side: the term never appears in a URL.
	admin.get("/users")
	admin.expect(http.StatusOK, "assistant", "Amélie Assistante", "Comptable")
	admin.post("/users", url.Values{"q": {"amé"}})
	admin.expect(http.StatusOK, "Amélie Assistante", "Utilisateurs commençant par « amé » (1)")
	admin.expectNot("Claire Comptable")
	if admin.res.Request.URL.RawQuery != "" {
		t.Errorf("search term in URL: %s", admin.res.Request.URL)
	}
	admin.post("/users", url.Values{"q": {"amé"}, "clear": {"1"}})
	admin.expect(http.StatusOK, "Claire Comptable")

	// Refused creation: the identity service's field errors, in Dutch, next to the fields; input kept.
	admin.get("/lang/nl?return=/users/new")
	admin.post("/users/new", url.Values{"username": {"jdupont"}, "display_name": {"Jeanne Dupont"}, "email": {"jeanne.dupont@example.org"},
		"roles": {"social_worker"}, "language": {"nl"}, "password": {"short"}, "confirm_password": {"short"},
		"idempotency_key": {newIdempotencyKey()}})
	admin.expect(http.StatusUnprocessableEntity, `id="f-password-error">Minstens 12 tekens.</p>`,
		`<a href="#f-password">Initieel wachtwoord: Minstens 12 tekens.</a>`,
		`value="jdupont"`, `value="Jeanne Dupont"`, `value="jeanne.dupont@example.org"`, `value="social_worker" checked`)
	admin.post("/users/new", url.Values{"username": {"assistant"}, "display_name": {"Jeanne Dupont"}, "email": {"jeanne.dupont@example.org"},
		"roles": {"social_worker"}, "language": {"nl"}, "password": {"un mot de passe long"}, "confirm_password": {"un mot de passe long"},
		"idempotency_key": {newIdempotencyKey()}})
	admin.expect(http.StatusUnprocessableEntity, `id="f-username-error">Deze waarde bestaat al.</p>`, `value="assistant"`)

	// Accepted creation.
	admin.get("/lang/fr?return=/users/new")
	admin.post("/users/new", url.Values{"username": {"jdupont"}, "display_name": {"Jeanne Dupont"}, "email": {"jeanne.dupont@example.org"},
		"roles": {"social_worker"}, "language": {"fr"}, "password": {"un mot de passe long"}, "confirm_password": {"un mot de passe long"},
		"idempotency_key": {newIdempotencyKey()}})
	admin.expect(http.StatusOK, "L&#39;utilisateur a été créé.", "Jeanne Dupont", "Assistant social", "Actif")
	userPath := admin.res.Request.URL.Path
	userID := strings.TrimPrefix(userPath, "/users/")

	user := newBrowser(t, hs.URL).login("demo", "jdupont", "un mot de passe long")
	user.expect(http.StatusOK, "Bonjour Jeanne Dupont")
	user.expectNot(`href="/users"`)
	user.get("/users/" + userID)
	user.expect(http.StatusForbidden)

	// Roles: a stale version is a conflict, shown with the current roles; then the change goes through.
	admin.get(userPath + "/roles")
	token := admin.csrf()
	admin.post(userPath+"/roles", url.Values{CSRFField: {token}, "version": {"999"}, "roles": {"accountant"}})
	admin.expect(http.StatusConflict, "Quelqu&#39;un d&#39;autre a modifié cet utilisateur", `value="social_worker" checked`)
	admin.post(userPath+"/roles", url.Values{"version": {versionOf(t, admin.body)}, "roles": {"social_worker", "dpo"}})
	admin.expect(http.StatusOK, "Les rôles ont été enregistrés.", "Assistant social, Délégué à la protection des données")

	// Disable (after confirmation): the user's session ends at its next token refresh; the user cannot sign in.
	admin.get(userPath + "/disable")
	admin.expect(http.StatusOK, "Jeanne Dupont ne pourra plus se connecter")
	admin.post(userPath+"/disable", url.Values{})
	admin.expect(http.StatusOK, "Le compte a été désactivé.", "Désactivé", `href="`+userPath+`/enable"`)
	expireAccessToken(t, srv, user)
	user.get("/account")
	user.expect(http.StatusOK, "Votre session a pris fin")
	user.get("/login")
	user.post("/login", url.Values{"tenant": {"demo"}, "username": {"jdupont"}, "password": {"un mot de passe long"}})
	user.expect(http.StatusUnauthorized, "Code du CPAS, nom d&#39;utilisateur ou mot de passe incorrect.")

	admin.get(userPath + "/enable")
	admin.post(userPath+"/enable", url.Values{})
	admin.expect(http.StatusOK, "Le compte a été réactivé.", "Actif")

	// Reset of the password by the admin.
	admin.get(userPath + "/password")
	admin.post(userPath+"/password", url.Values{"new_password": {"court"}, "confirm_password": {"court"}})
	admin.expect(http.StatusUnprocessableEntity, `id="f-new_password-error">Au moins 12 caractères.`)
	admin.post(userPath+"/password", url.Values{"new_password": {"nouveau mot de passe sûr"}, "confirm_password": {"nouveau mot de passe sûr"}})
	admin.expect(http.StatusOK, "Le mot de passe a été réinitialisé.")

	// The user changes their own password; a wrong current one is a field error.
	user.login("demo", "jdupont", "nouveau mot de passe sûr")
	user.get("/account")
	user.expect(http.StatusOK, "jeanne.dupont@example.org", "Assistant social, Délégué à la protection des données")
	user.get("/account/password")
	user.post("/account/password", url.Values{"current_password": {"pas le bon mot de passe"}, "new_password": {"encore un autre mot de passe"}, "confirm_password": {"encore un autre mot de passe"}})
	user.expect(http.StatusUnprocessableEntity, `id="f-current_password-error"`)
	user.post("/account/password", url.Values{"current_password": {"nouveau mot de passe sûr"}, "new_password": {"encore un autre mot de passe"}, "confirm_password": {"encore un autre mot de passe"}})
	user.expect(http.StatusOK, "Votre mot de passe a été changé.")

	// Logout revokes the refresh token at the identity service.
	sess, err := srv.sessions.Load(context.Background(), user.cookie(SessionCookie).Value)
	if err != nil {
		t.Fatal(err)
	}
	user.post("/logout", url.Values{})
	user.expect(http.StatusOK, "Vous êtes déconnecté.")
	if _, err := srv.identity.Refresh(context.Background(), call{}, sess.secrets.RefreshToken); apiStatus(err) != http.StatusUnauthorized {
		t.Errorf("refresh token still usable after logout: %v", err)
	}

	// Too many failed logins: the identity service's 429 becomes "try again in N minutes".
	locked := newBrowser(t, hs.URL)
	locked.get("/login")
	for range 3 {
		locked.post("/login", url.Values{"tenant": {"demo"}, "username": {"membre"}, "password": {"mauvais mot de passe"}})
	}
	locked.post("/login", url.Values{"tenant": {"demo"}, "username": {"membre"}, "password": {identity.DemoPassword}})
	locked.expect(http.StatusTooManyRequests, "Trop de tentatives de connexion. Réessayez dans")
}

// TestEndToEndTenants drives the platform admin's pages against the real identity service.
func TestEndToEndTenants(t *testing.T) {
	_, hs := newTestServer(t, testConfig(startIdentity(t, nil)))
	root := newBrowser(t, hs.URL).login("platform", identity.DemoPlatformAdmin, identity.DemoPassword)
	root.expect(http.StatusOK, `href="/tenants"`, "Administrateur de la plateforme")
	root.expectNot(`href="/users"`)
	root.get("/tenants")
	root.expect(http.StatusOK, "CPAS de Démo", "demo")

	form := url.Values{"code": {"liege"}, "name": {"CPAS de Liège"}, "kbo": {"0207.123.456"}, "language": {"fr"},
		"admin_username": {"gestion"}, "admin_display_name": {"Gaston Gestion"}, "admin_email": {"gestion@liege.example"},
		"admin_password": {"mot de passe initial"}, "admin_confirm_password": {"mot de passe initial"}}
	root.get("/tenants/new")
	root.post("/tenants/new", form)
	root.expect(http.StatusUnprocessableEntity, `id="f-kbo-error"`, `value="CPAS de Liège"`, `value="gestion"`, `<a href="#f-kbo">`)

	form.Set("kbo", "0207.123.407")
	form.Set("code", "liege")
	form.Del(CSRFField)
	root.post("/tenants/new", form)
	if root.res.StatusCode == http.StatusUnprocessableEntity && strings.Contains(root.body, `id="f-kbo-error"`) {
		t.Fatalf("valid KBO refused:\n%s", root.body)
	}
	root.expect(http.StatusOK, "Le CPAS et son administrateur ont été créés.", "CPAS de Liège", "0207.123.407")

	admin := newBrowser(t, hs.URL).login("liege", "gestion", "mot de passe initial")
	admin.expect(http.StatusOK, "Bonjour Gaston Gestion", "CPAS de Liège")
}

// expireAccessToken makes the browser's session hold an access token that must be refreshed at its next request.
func expireAccessToken(t *testing.T, srv *Server, b *browser) {
	t.Helper()
	sess, err := srv.sessions.Load(context.Background(), b.cookie(SessionCookie).Value)
	if err != nil {
		t.Fatal(err)
	}
	sess.secrets.AccessExpires = time.Now().Add(-time.Second)
	if err := srv.sessions.save(context.Background(), sess); err != nil {
		t.Fatal(err)
	}
}

var versionInput = regexp.MustCompile(`name="version" value="(\d+)"`)

func versionOf(t *testing.T, body string) string {
	t.Helper()
	m := versionInput.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no version in form:\n%s", body)
	}
	return m[1]
}
