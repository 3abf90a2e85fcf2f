package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded/testkit"
)

type env struct {
	t    *testing.T
	app  *App
	srv  *httptest.Server
	base string
	db   *mongo.Database
	cfg  Config
}

func newEnv(t *testing.T, mut func(*Config)) *env {
	t.Helper()
	db := testkit.Database(t)
	cfg := LoadConfig(config.FromMap(nil))
	cfg.Argon2 = cheapArgon
	cfg.KeyDir = t.TempDir()
	cfg.LoginFailuresPerAccount = 3
	cfg.LoginFailuresPerAddress = 6
	cfg.SeedDemo = true
	cfg.BootstrapAdminUsername, cfg.BootstrapAdminPassword = "root", "root-password-long"
	if mut != nil {
		mut(&cfg)
	}
	app, err := newAppOnDB(context.Background(), cfg, slog.New(slog.DiscardHandler), db)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(srv.Close)
	return &env{t: t, app: app, srv: srv, base: srv.URL, db: db, cfg: cfg}
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// field returns the first field error's field and message, "" when none.
func (a answer) fields() map[string]string {
	out := map[string]string{}
	errs, _ := a.body["errors"].([]any)
	for _, e := range errs {
		m := e.(map[string]any)
		out[m["field"].(string)] = m["code"].(string) + ": " + m["message"].(string)
	}
	return out
}

func (e *env) do(method, path, token string, body any, headers ...string) answer {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, e.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept-Language", "nl-BE")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return answer{status: res.StatusCode, header: res.Header, body: m, raw: string(raw)}
}

func (e *env) login(tenant, username, password string, addr ...string) answer {
	e.t.Helper()
	h := []string{}
	if len(addr) > 0 {
		h = []string{"X-Forwarded-For", addr[0]}
	}
	return e.do("POST", "/v1/auth/login", "", map[string]string{"tenant": tenant, "username": username, "password": password}, h...)
}

func (e *env) mustLogin(tenant, username, password string) (access, refresh string, user map[string]any) {
	e.t.Helper()
	a := e.login(tenant, username, password)
	if a.status != 200 {
		e.t.Fatalf("login %s/%s: %d %s", tenant, username, a.status, a.raw)
	}
	return a.body["access_token"].(string), a.body["refresh_token"].(string), a.body["user"].(map[string]any)
}

func (e *env) count(coll string, f bson.D) int64 {
	e.t.Helper()
	n, err := e.db.Collection(coll).CountDocuments(context.Background(), f)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestLoginIssuesVerifiableTokens(t *testing.T) {
	e := newEnv(t, nil)
	a := e.login("demo", "Assistant", DemoPassword)
	if a.status != 200 || a.body["token_type"] != "Bearer" || a.body["expires_in"].(float64) != 900 || a.body["refresh_expires_in"].(float64) != 8*3600 {
		t.Fatalf("login: %d %s", a.status, a.raw)
	}
	u := a.body["user"].(map[string]any)
	if u["username"] != "assistant" || u["tenant_name"] != "CPAS de Démo" || u["roles"].([]any)[0] != "social_worker" || u["password_hash"] != nil {
		t.Fatalf("user %v", u)
	}
	// Another service verifies the token through the JWKS endpoint, for its own audience.
	src := authn.NewJWKSource(e.base+"/.well-known/jwks.json", authn.JWKSOptions{})
	c, err := authn.NewVerifier(src, "entraide-identity", "entraide-beneficiaries").Verify(context.Background(), a.body["access_token"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if c.Tenant != "demo" || c.Subject != u["id"] || c.Roles[0] != "social_worker" || c.ID == "" || c.SessionID == "" ||
		c.ExpiresAt.Sub(c.IssuedAt) != 15*time.Minute {
		t.Fatalf("claims %+v", c)
	}
	me := e.do("GET", "/v1/me", a.body["access_token"].(string), nil)
	if me.status != 200 || me.body["id"] != u["id"] || me.header.Get("Etag") == "" {
		t.Fatalf("me %d %s", me.status, me.raw)
	}
	// A token asked for the web audience only is refused by identity's own API.
	webOnly := e.do("POST", "/v1/auth/login", "", map[string]any{"tenant": "demo", "username": "assistant", "password": DemoPassword, "audience": []string{"entraide-web"}})
	if webOnly.status != 200 {
		t.Fatal(webOnly.raw)
	}
	if r := e.do("GET", "/v1/me", webOnly.body["access_token"].(string), nil); r.status != 401 {
		t.Fatalf("wrong audience accepted: %d", r.status)
	}
	// Audit: a login success record without secrets.
	if e.count(audit.CollectionName, bson.D{{Key: "action", Value: "user.login"}, {Key: "resource_id", Value: u["id"]}, {Key: "outcome", Value: "allowed"}}) != 2 {
		t.Error("no audit record of the login")
	}
	var rec bson.M
	_ = e.db.Collection(audit.CollectionName).FindOne(context.Background(), bson.D{{Key: "action", Value: "user.login"}}).Decode(&rec)
	if s := strings.ToLower(toJSON(rec)); strings.Contains(s, strings.ToLower(DemoPassword)) || strings.Contains(s, "assistant") {
		t.Errorf("audit record holds a secret or a name: %s", s)
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestLoginFailuresLookAlike(t *testing.T) {
	e := newEnv(t, nil)
	tok, _, _ := e.mustLogin("demo", "admin", DemoPassword)
	id := e.do("GET", "/v1/users?q=comptable", tok, nil).body["items"].([]any)[0].(map[string]any)["id"].(string)
	if r := e.do("POST", "/v1/users/"+id+"/disable", tok, nil); r.status != 200 || r.body["disabled"] != true {
		t.Fatalf("disable %d %s", r.status, r.raw)
	}
	for name, c := range map[string][3]string{
		"wrong password": {"demo", "assistant", "not the password"},
		"unknown user":   {"demo", "nobody", DemoPassword},
		"unknown tenant": {"nowhere", "assistant", DemoPassword},
		"disabled":       {"demo", "comptable", DemoPassword},
		"wrong tenant":   {"platform", "assistant", DemoPassword},
	} {
		a := e.login(c[0], c[1], c[2], "192.0.2."+strconv.Itoa(len(name)))
		if a.status != 401 || a.body["type"] != "urn:entraide:problem:invalid-credentials" || a.body["detail"] != nil {
			t.Errorf("%s: %d %s", name, a.status, a.raw)
		}
	}
}

func TestRefreshRotationAndReuseRevokesFamily(t *testing.T) {
	e := newEnv(t, nil)
	_, r1, _ := e.mustLogin("demo", "assistant", DemoPassword)
	a2 := e.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": r1})
	if a2.status != 200 {
		t.Fatalf("refresh: %d %s", a2.status, a2.raw)
	}
	r2 := a2.body["refresh_token"].(string)
	if r2 == r1 || a2.body["access_token"] == "" {
		t.Fatal("refresh token not rotated")
	}
	a3 := e.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": r2})
	if a3.status != 200 {
		t.Fatalf("second refresh: %d", a3.status)
	}
	r3 := a3.body["refresh_token"].(string)
	// The spent r1 comes back (stolen copy): refused, and the whole family dies.
	if a := e.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": r1}); a.status != 401 {
		t.Fatalf("reuse accepted: %d", a.status)
	}
	if a := e.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": r3}); a.status != 401 {
		t.Fatalf("newest token of a revoked family accepted: %d", a.status)
	}
	// A forged token of another family id changes nothing for a live session.
	_, other, _ := e.mustLogin("demo", "chef", DemoPassword)
	fid, _ := ParseRefreshToken(other)
	forged, _, _ := NewRefreshToken(fid)
	if a := e.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": forged}); a.status != 401 {
		t.Fatalf("forged token: %d", a.status)
	}
	if a := e.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": other}); a.status != 200 {
		t.Fatalf("forged token revoked a live family: %d", a.status)
	}
	// Logout ends the session; logging out again is fine.
	_, r, _ := e.mustLogin("demo", "dpo", DemoPassword)
	for range 2 {
		if a := e.do("POST", "/v1/auth/logout", "", map[string]string{"refresh_token": r}); a.status != 204 {
			t.Fatalf("logout %d", a.status)
		}
	}
	if a := e.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": r}); a.status != 401 {
		t.Fatal("refresh after logout")
	}
	if n := e.count(CollFamilies, bson.D{{Key: "current", Value: r}}); n != 0 {
		t.Fatal("a refresh token is stored in clear")
	}
}

func TestDisabledUserSessionEndsAtNextRefresh(t *testing.T) {
	e := newEnv(t, nil)
	admin, _, _ := e.mustLogin("demo", "admin", DemoPassword)
	_, refresh, u := e.mustLogin("demo", "membre", DemoPassword)
	if a := e.do("POST", "/v1/users/"+u["id"].(string)+"/disable", admin, nil); a.status != 200 {
		t.Fatal(a.raw)
	}
	if a := e.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}); a.status != 401 {
		t.Fatalf("disabled user refreshed: %d", a.status)
	}
	// Enabled again: a new login works, the old session stays dead.
	if a := e.do("POST", "/v1/users/"+u["id"].(string)+"/enable", admin, nil); a.status != 200 || a.body["disabled"] != false {
		t.Fatal(a.raw)
	}
	e.mustLogin("demo", "membre", DemoPassword)
	if a := e.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}); a.status != 401 {
		t.Fatal("revoked session came back")
	}
	// Events in the user's outbox: created, disabled, enabled.
	var doc struct {
		Outbox []struct {
			Type string `bson:"type"`
		} `bson:"outbox"`
	}
	if err := e.db.Collection(CollUsers).FindOne(context.Background(), bson.D{{Key: "_id", Value: u["id"]}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, o := range doc.Outbox {
		types = append(types, o.Type)
	}
	if strings.Join(types, ",") != EventUserCreated+","+EventUserDisabled+","+EventUserEnabled {
		t.Fatalf("outbox %v", types)
	}
}

func TestLoginRateLimits(t *testing.T) {
	e := newEnv(t, nil) // 3 failures per account, 6 per address
	// Per account: after 3 failures even the right password gets 429 with Retry-After.
	for i := range 3 {
		if a := e.login("demo", "president", "wrong password!", "198.51.100."+strconv.Itoa(i+1)); a.status != 401 {
			t.Fatalf("failure %d: %d", i, a.status)
		}
	}
	a := e.login("demo", "president", DemoPassword, "198.51.100.99")
	if a.status != 429 || a.body["type"] != "urn:entraide:problem:too-many-requests" {
		t.Fatalf("account limit: %d %s", a.status, a.raw)
	}
	if ra, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || ra < 1 || ra > 900 {
		t.Fatalf("Retry-After %q", a.header.Get("Retry-After"))
	}
	// Per address: failures spread over accounts; a success in between does not wipe them.
	addr := "203.0.113.50"
	for i, user := range []string{"membre", "chef", "dpo", "secretaire", "comptable"} {
		if a := e.login("demo", user, "wrong password!", addr); a.status != 401 {
			t.Fatalf("address failure %d: %d", i, a.status)
		}
	}
	if a := e.login("demo", "assistant", DemoPassword, addr); a.status != 200 {
		t.Fatalf("success within the limit refused: %d", a.status)
	}
	if a := e.login("demo", "directeur", "wrong password!", addr); a.status != 401 {
		t.Fatalf("6th failure: %d", a.status)
	}
	if a := e.login("demo", "assistant", DemoPassword, addr); a.status != 429 {
		t.Fatalf("address limit not reached after 6 failures: %d", a.status)
	}
	// Another address is not affected.
	if a := e.login("demo", "assistant", DemoPassword, "203.0.113.51"); a.status != 200 {
		t.Fatalf("other address: %d", a.status)
	}
	// Counters are keyed by hashes: no username or address in clear.
	if raw := toJSONColl(t, e.db.Collection(CollLoginAttempts)); strings.Contains(raw, "president") || strings.Contains(raw, "203.0.113") {
		t.Fatalf("counter keys in clear: %s", raw)
	}
}

func toJSONColl(t *testing.T, c *mongo.Collection) string {
	cur, err := c.Find(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []bson.M
	_ = cur.All(context.Background(), &docs)
	return toJSON(docs)
}

func TestBootstrapAndSeedAreIdempotent(t *testing.T) {
	e := newEnv(t, nil)
	for range 2 {
		created, err := BootstrapPlatformAdmin(context.Background(), unwrapApp(t, e), "root", "another-password-x")
		if err != nil || created {
			t.Fatalf("second bootstrap: created=%v err=%v", created, err)
		}
		logins, err := SeedDemo(context.Background(), e.db, DemoOptions{}, cheapArgon)
		if err != nil || len(logins) != 14 {
			t.Fatalf("seed: %d logins, %v", len(logins), err)
		}
	}
	if n := e.count(CollUsers, bson.D{{Key: "tenant", Value: "platform"}, {Key: "username", Value: "root"}}); n != 1 {
		t.Fatalf("%d root users", n)
	}
	if n := e.count(CollUsers, bson.D{{Key: "tenant", Value: "demo"}}); n != 13 {
		t.Fatalf("%d demo users", n)
	}
	if n := e.count(CollTenants, bson.D{}); n != 1 {
		t.Fatalf("%d tenants", n)
	}
	// The bootstrap never overwrote the password, and every seeded login works with its role.
	e.mustLogin("platform", "root", "root-password-long")
	logins, _ := SeedDemo(context.Background(), e.db, DemoOptions{}, cheapArgon)
	for _, l := range logins {
		_, _, u := e.mustLogin(l.Tenant, l.Username, l.Password)
		if u["roles"].([]any)[0] != string(l.Role) || u["id"] != l.UserID || l.UserID == "" {
			t.Errorf("%s has roles %v and id %v, the login says %q", l.Username, u["roles"], u["id"], l.UserID)
		}
	}
}

func unwrapApp(t *testing.T, e *env) Service {
	t.Helper()
	// The app's Service is decorated; rebuild an undecorated one on the same database.
	svc, err := NewService(NewUserStore(e.db, nil), NewTenantStore(e.db, nil), NewSessionStore(e.db), nil, nil, NopAuditor{},
		ServiceConfig{Audiences: []string{Audience}, RefreshTTL: time.Hour, Argon2: cheapArgon})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
