package identity

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"gopkg.in/yaml.v3"

	"github.com/entraide/entraide/api/policy"
	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded/testkit"
)

const newPassword = "a brand new password"

// createTenant makes tenant code with admin "boss" through the API and returns the admin's access token.
func (e *env) createTenant(platformToken, code, kbo string) string {
	e.t.Helper()
	a := e.do("POST", "/v1/tenants", platformToken, map[string]any{"code": code, "name": "CPAS de " + code, "kbo": kbo, "language": "nl",
		"admin": map[string]any{"username": "boss", "display_name": "Boss", "email": "boss@" + code + ".example", "password": newPassword}})
	if a.status != 201 || a.body["code"] != code || a.body["admin"].(map[string]any)["roles"].([]any)[0] != "tenant_admin" || a.header.Get("Location") != "/v1/tenants/"+a.body["id"].(string) {
		e.t.Fatalf("create tenant: %d %s", a.status, a.raw)
	}
	tok, _, _ := e.mustLogin(code, "boss", newPassword)
	return tok
}

func TestTenantIsolation(t *testing.T) {
	e := newEnv(t, nil)
	root, _, _ := e.mustLogin("platform", "root", "root-password-long")
	liegeAdmin := e.createTenant(root, "liege", "0212.345.668")
	demoAdmin, _, _ := e.mustLogin("demo", "admin", DemoPassword)
	_, _, victim := e.mustLogin("demo", "assistant", DemoPassword)
	id := victim["id"].(string)
	before := e.do("GET", "/v1/users/"+id, demoAdmin, nil)

	// Tenant liege's admin names a user of tenant demo: 404 everywhere, never the data, nothing changed.
	for _, c := range []struct {
		method, path string
		body         any
		h            []string
	}{
		{"GET", "/v1/users/" + id, nil, nil},
		{"PUT", "/v1/users/" + id + "/roles", map[string]any{"roles": []string{"dpo"}}, []string{"If-Match", `"1"`}},
		{"POST", "/v1/users/" + id + "/disable", nil, nil},
		{"POST", "/v1/users/" + id + "/enable", nil, nil},
		{"POST", "/v1/users/" + id + "/password", map[string]any{"new_password": newPassword}, nil},
	} {
		a := e.do(c.method, c.path, liegeAdmin, c.body, c.h...)
		if a.status != 404 || strings.Contains(a.raw, "assistant") || strings.Contains(a.raw, id) {
			t.Errorf("%s %s: %d %s", c.method, c.path, a.status, a.raw)
		}
	}
	if list := e.do("GET", "/v1/users?q=assistant", liegeAdmin, nil); list.body["total"].(float64) != 0 {
		t.Errorf("cross-tenant list: %s", list.raw)
	}
	after := e.do("GET", "/v1/users/"+id, demoAdmin, nil)
	if after.raw != before.raw {
		t.Fatalf("victim changed:\n%s\n%s", before.raw, after.raw)
	}
	e.mustLogin("demo", "assistant", DemoPassword) // password not reset
	// The platform admin is not a tenant admin of any tenant.
	if a := e.do("GET", "/v1/users/"+id, root, nil); a.status != 403 {
		t.Errorf("platform admin read a tenant's user: %d", a.status)
	}
}

func TestAuthorizationOfRoutes(t *testing.T) {
	e := newEnv(t, nil)
	worker, _, _ := e.mustLogin("demo", "assistant", DemoPassword)
	admin, _, _ := e.mustLogin("demo", "admin", DemoPassword)
	root, _, _ := e.mustLogin("platform", "root", "root-password-long")
	for _, c := range []struct {
		token, method, path string
		want                int
	}{
		{"", "GET", "/v1/me", 401},
		{"garbage", "GET", "/v1/me", 401},
		{worker, "GET", "/v1/me", 200},
		{worker, "GET", "/v1/roles", 200},
		{worker, "GET", "/v1/users", 403},
		{worker, "GET", "/v1/tenants", 403},
		{admin, "GET", "/v1/users", 200},
		{admin, "GET", "/v1/tenants", 403},
		{root, "GET", "/v1/tenants", 200},
		{root, "GET", "/v1/users", 403},
		{root, "GET", "/v1/me", 200},
	} {
		if a := e.do(c.method, c.path, c.token, nil); a.status != c.want {
			t.Errorf("%s %s with %.10s: %d, want %d", c.method, c.path, c.token, a.status, c.want)
		}
	}
	roles := e.do("GET", "/v1/roles", worker, nil).body["items"].([]any)
	if len(roles) != 9 || roles[8] != "tenant_admin" {
		t.Errorf("roles %v", roles)
	}
}

func TestAdminUserLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	admin, _, me := e.mustLogin("demo", "admin", DemoPassword)
	a := e.do("POST", "/v1/users", admin, map[string]any{"username": "Nadia", "display_name": "Nadia Çelik", "email": "nadia@cpas.example",
		"roles": []string{"social_worker"}, "language": "nl", "password": newPassword})
	if a.status != 201 || a.header.Get("Etag") != `"1"` || a.header.Get("Location") != "/v1/users/"+a.body["id"].(string) || a.body["username"] != "nadia" {
		t.Fatalf("create: %d %v %s", a.status, a.header, a.raw)
	}
	id := a.body["id"].(string)
	// Search: accent- and case-insensitive word prefix.
	if l := e.do("GET", "/v1/users?q=CEL", admin, nil); l.body["total"].(float64) != 1 {
		t.Errorf("search: %s", l.raw)
	}
	if l := e.do("GET", "/v1/users?page=2&page_size=3", admin, nil); int(l.body["total"].(float64)) != len(demoUsers)+1 || len(l.body["items"].([]any)) != 3 || l.body["page"].(float64) != 2 {
		t.Errorf("paging: %s", l.raw)
	}
	// Roles with If-Match.
	path := "/v1/users/" + id + "/roles"
	body := map[string]any{"roles": []string{"social_worker", "dpo"}}
	if r := e.do("PUT", path, admin, body); r.status != 428 {
		t.Errorf("no If-Match: %d", r.status)
	}
	r := e.do("PUT", path, admin, body, "If-Match", `"1"`)
	if r.status != 200 || r.header.Get("Etag") != `"2"` || len(r.body["roles"].([]any)) != 2 {
		t.Fatalf("set roles: %d %s", r.status, r.raw)
	}
	if r := e.do("PUT", path, admin, body, "If-Match", `"1"`); r.status != 412 || r.body["current_version"].(float64) != 2 {
		t.Errorf("stale If-Match: %d %s", r.status, r.raw)
	}
	// Admin reset: old password dead, new works, sessions revoked.
	_, userRefresh, _ := e.mustLogin("demo", "nadia", newPassword)
	if r := e.do("POST", "/v1/users/"+id+"/password", admin, map[string]any{"new_password": "reset by the admin!"}); r.status != 204 {
		t.Fatalf("reset: %d %s", r.status, r.raw)
	}
	if e.login("demo", "nadia", newPassword).status != 401 {
		t.Error("old password still works")
	}
	if r := e.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": userRefresh}); r.status != 401 {
		t.Error("session survived an admin reset")
	}
	// Own password change keeps the current session, ends the others.
	tok, cur, _ := e.mustLogin("demo", "nadia", "reset by the admin!")
	_, other, _ := e.mustLogin("demo", "nadia", "reset by the admin!")
	if r := e.do("POST", "/v1/me/password", tok, map[string]any{"current_password": "wrong one", "new_password": newPassword}); r.status != 422 || r.fields()["current_password"] == "" {
		t.Errorf("wrong current password: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/v1/me/password", tok, map[string]any{"current_password": "reset by the admin!", "new_password": newPassword}); r.status != 204 {
		t.Fatalf("change own password: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": cur}); r.status != 200 {
		t.Error("current session ended by own password change")
	}
	if r := e.do("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": other}); r.status != 401 {
		t.Error("other session survived own password change")
	}
	// Self-lockout refused.
	myID := me["id"].(string)
	if r := e.do("POST", "/v1/users/"+myID+"/disable", admin, nil); r.status != 422 {
		t.Errorf("self disable: %d", r.status)
	}
	if r := e.do("PUT", "/v1/users/"+myID+"/roles", admin, map[string]any{"roles": []string{"dpo"}}, "If-Match", `"1"`); r.status != 422 || !strings.Contains(r.raw, "identity.self_lockout") {
		t.Errorf("self demotion: %d %s", r.status, r.raw)
	}
	// Events: created then roles_changed, with the previous roles.
	var doc struct {
		Outbox []struct {
			Type string `bson:"type"`
			Data string `bson:"data"`
		} `bson:"outbox"`
	}
	_ = e.db.Collection(CollUsers).FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&doc)
	if len(doc.Outbox) != 2 || doc.Outbox[1].Type != EventUserRolesChanged || !strings.Contains(doc.Outbox[1].Data, `"previous_roles":["social_worker"]`) {
		t.Errorf("outbox %+v", doc.Outbox)
	}
	for _, o := range doc.Outbox {
		if strings.Contains(o.Data, "argon2") || strings.Contains(o.Data, "password") {
			t.Error("event carries a password hash")
		}
	}
}

func TestIdempotentCreate(t *testing.T) {
	e := newEnv(t, nil)
	admin, _, _ := e.mustLogin("demo", "admin", DemoPassword)
	body := map[string]any{"username": "once", "display_name": "Once", "roles": []string{"dpo"}, "language": "fr", "password": newPassword}
	a1 := e.do("POST", "/v1/users", admin, body, "Idempotency-Key", "k-123")
	a2 := e.do("POST", "/v1/users", admin, body, "Idempotency-Key", "k-123")
	if a1.status != 201 || a2.status != 201 || a1.body["id"] != a2.body["id"] || a2.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %d %s %s", a1.status, a2.status, a1.raw, a2.raw)
	}
	if n := e.count(CollUsers, bson.D{{Key: "username", Value: "once"}}); n != 1 {
		t.Fatalf("%d users", n)
	}
	body["username"] = "twice"
	if a := e.do("POST", "/v1/users", admin, body, "Idempotency-Key", "k-123"); a.status != 422 || a.body["type"] != "urn:entraide:problem:idempotency-key-reused" {
		t.Fatalf("key reuse: %d %s", a.status, a.raw)
	}
}

// TestBadInputIsRefusedClearly sends bad input to every endpoint: each answer is a problem+json document in
// the request's language (Dutch here), naming the fields at fault, and nothing changes.
func TestBadInputIsRefusedClearly(t *testing.T) {
	e := newEnv(t, nil)
	admin, _, _ := e.mustLogin("demo", "admin", DemoPassword)
	worker, workerRefresh, w := e.mustLogin("demo", "assistant", DemoPassword)
	root, _, _ := e.mustLogin("platform", "root", "root-password-long")
	wid := w["id"].(string)
	snapshot := func() string {
		return toJSONColl(t, e.db.Collection(CollUsers)) + toJSONColl(t, e.db.Collection(CollTenants))
	}
	before := snapshot()
	long := strings.Repeat("x", 300)
	for _, c := range []struct {
		name, token, method, path string
		body                      any
		h                         []string
		status                    int
		fields                    []string
	}{
		{"login empty", "", "POST", "/v1/auth/login", map[string]any{}, nil, 422, []string{"tenant", "username", "password"}},
		{"login unknown field", "", "POST", "/v1/auth/login", map[string]any{"tenant": "demo", "user": "x"}, nil, 422, []string{"user"}},
		{"login bad audience", "", "POST", "/v1/auth/login", map[string]any{"tenant": "demo", "username": "admin", "password": DemoPassword, "audience": []string{"evil"}}, nil, 422, []string{"audience[0]"}},
		{"login not json", "", "POST", "/v1/auth/login", "tenant=demo", []string{"Content-Type", "text/plain"}, 415, nil},
		{"login broken json", "", "POST", "/v1/auth/login", `{"tenant":`, nil, 400, nil},
		{"refresh empty", "", "POST", "/v1/auth/refresh", map[string]any{}, nil, 422, []string{"refresh_token"}},
		{"refresh wrong type", "", "POST", "/v1/auth/refresh", map[string]any{"refresh_token": 5}, nil, 422, []string{"refresh_token"}},
		{"logout empty", "", "POST", "/v1/auth/logout", map[string]any{"refresh_token": ""}, nil, 422, []string{"refresh_token"}},
		{"me password short", worker, "POST", "/v1/me/password", map[string]any{"current_password": DemoPassword, "new_password": "short"}, nil, 422, []string{"new_password"}},
		{"me password missing", worker, "POST", "/v1/me/password", map[string]any{}, nil, 422, []string{"current_password", "new_password"}},
		{"create user all wrong", admin, "POST", "/v1/users", map[string]any{"username": "a b", "display_name": "", "email": "not-an-email",
			"roles": []string{"platform_admin"}, "language": "xx", "password": "short"}, nil, 422,
			[]string{"username", "display_name", "email", "roles[0]", "language", "password"}},
		{"create user no roles", admin, "POST", "/v1/users", map[string]any{"username": "ok", "display_name": "Ok", "roles": []string{}, "language": "fr", "password": newPassword}, nil, 422, []string{"roles"}},
		{"create user duplicate", admin, "POST", "/v1/users", map[string]any{"username": "Assistant", "display_name": "Dup", "roles": []string{"dpo"}, "language": "fr", "password": newPassword}, nil, 422, []string{"username"}},
		{"create user long name", admin, "POST", "/v1/users", map[string]any{"username": "ok", "display_name": long, "roles": []string{"dpo"}, "language": "fr", "password": newPassword}, nil, 422, []string{"display_name"}},
		{"list users bad page", admin, "GET", "/v1/users?page=0&page_size=1000", nil, nil, 422, []string{"page", "page_size"}},
		{"get user not uuid", admin, "GET", "/v1/users/../../etc", nil, nil, 404, nil},
		{"get user unknown", admin, "GET", "/v1/users/00000000-0000-4000-8000-000000000000", nil, nil, 404, nil},
		{"roles unknown role", admin, "PUT", "/v1/users/" + wid + "/roles", map[string]any{"roles": []string{"wizard"}}, []string{"If-Match", `"1"`}, 422, []string{"roles[0]"}},
		{"roles bad If-Match", admin, "PUT", "/v1/users/" + wid + "/roles", map[string]any{"roles": []string{"dpo"}}, []string{"If-Match", `"abc"`}, 422, []string{"If-Match"}},
		{"roles no If-Match", admin, "PUT", "/v1/users/" + wid + "/roles", map[string]any{"roles": []string{"dpo"}}, nil, 428, nil},
		{"disable unknown", admin, "POST", "/v1/users/00000000-0000-4000-8000-000000000000/disable", nil, nil, 404, nil},
		{"enable unknown", admin, "POST", "/v1/users/00000000-0000-4000-8000-000000000000/enable", nil, nil, 404, nil},
		{"reset short", admin, "POST", "/v1/users/" + wid + "/password", map[string]any{"new_password": "short"}, nil, 422, []string{"new_password"}},
		{"list tenants bad size", root, "GET", "/v1/tenants?page_size=abc", nil, nil, 422, []string{"page_size"}},
		{"create tenant all wrong", root, "POST", "/v1/tenants", map[string]any{"code": "Platform!", "name": "", "kbo": "0207.123.456", "language": "en",
			"admin": map[string]any{"username": "", "display_name": "", "password": "x"}}, nil, 422,
			[]string{"code", "name", "kbo", "language", "admin.username", "admin.display_name", "admin.password"}},
		{"create tenant reserved", root, "POST", "/v1/tenants", map[string]any{"code": "platform", "name": "P", "kbo": "0207.123.407", "language": "fr",
			"admin": map[string]any{"username": "boss", "display_name": "B", "password": newPassword}}, nil, 422, []string{"code"}},
		{"create tenant duplicate", root, "POST", "/v1/tenants", map[string]any{"code": "demo", "name": "D", "kbo": "0207.123.407", "language": "fr",
			"admin": map[string]any{"username": "boss", "display_name": "B", "password": newPassword}}, nil, 422, []string{"code"}},
		{"get tenant unknown", root, "GET", "/v1/tenants/00000000-0000-4000-8000-000000000000", nil, nil, 404, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := e.do(c.method, c.path, c.token, c.body, c.h...)
			if a.status != c.status || a.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%d %s %s", a.status, a.header.Get("Content-Type"), a.raw)
			}
			if a.header.Get("Content-Language") != "nl" || a.body["title"] == "" {
				t.Errorf("not in Dutch: %s", a.raw)
			}
			got := a.fields()
			for _, f := range c.fields {
				msg, ok := got[f]
				if !ok {
					t.Errorf("no error for field %s: %s", f, a.raw)
				} else if strings.Contains(msg, "identity.") && strings.HasSuffix(msg, strings.SplitN(msg, ": ", 2)[0]) {
					t.Errorf("message of %s not localized: %s", f, msg)
				}
			}
			if len(got) != len(c.fields) {
				t.Errorf("fields %v, want %v", got, c.fields)
			}
			for _, secret := range []string{DemoPassword, newPassword, "argon2", workerRefresh} {
				if strings.Contains(a.raw, secret) {
					t.Errorf("answer echoes a secret")
				}
			}
		})
	}
	// KBO message is localized (code → Dutch text).
	a := e.do("POST", "/v1/tenants", root, map[string]any{"code": "gent", "name": "OCMW Gent", "kbo": "123", "language": "nl",
		"admin": map[string]any{"username": "boss", "display_name": "B", "password": newPassword}})
	if !strings.Contains(a.fields()["kbo"], "Ongeldig ondernemingsnummer") {
		t.Errorf("kbo message: %s", a.raw)
	}
	if after := snapshot(); after != before {
		t.Fatal("bad input changed data")
	}
}

// TestRoutesMatchContract checks the registered routes against api/openapi/identity.v1.yaml and api/policy.
func TestRoutesMatchContract(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "api", "openapi", "identity.v1.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	registered := Routes()
	sort.Strings(documented)
	sort.Strings(registered)
	if strings.Join(documented, "\n") != strings.Join(registered, "\n") {
		t.Fatalf("routes and contract differ:\nregistered:\n%s\ndocumented:\n%s", strings.Join(registered, "\n"), strings.Join(documented, "\n"))
	}
	rules, _, err := policy.Rules()
	if err != nil {
		t.Fatal(err)
	}
	inPolicy := map[string]bool{}
	for _, r := range rules {
		inPolicy[r.Method+" "+r.Route] = true
	}
	public := map[string]bool{}
	for _, p := range PublicRoutes {
		public[p] = true
	}
	for _, r := range registered {
		if public[r] == inPolicy[r] {
			t.Errorf("%s: public=%v but in policy=%v", r, public[r], inPolicy[r])
		}
	}
}

func TestRunServesAndStopsOnCancel(t *testing.T) {
	cfg := LoadConfig(config.FromMap(map[string]string{
		"MONGO_URI": testkit.MongoURI(t), "MONGO_DATABASE": testkit.Name(t, "run"), "IDENTITY_KEY_DIR": t.TempDir(),
		"IDENTITY_ARGON2_MEMORY_KIB": "64", "IDENTITY_ARGON2_TIME": "1", "IDENTITY_SEED_DEMO": "true",
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listener = ln
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, discardLogger()) }()
	e := &env{t: t, base: "http://" + ln.Addr().String()}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if a := e.login("demo", "president", DemoPassword); a.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("service did not come up")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
