package web

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeIdentity is a test double of the identity HTTP API (api/openapi/identity-contract.md), enough for the
// handler tests: it issues opaque tokens, rotates refresh tokens, and lets a test script failures. The
// end-to-end tests (e2e_test.go) run the real identity service instead.
type fakeIdentity struct {
	t  *testing.T
	mu sync.Mutex
	// accessTTL is the expires_in of issued access tokens, in seconds.
	accessTTL int
	users     map[string]*User // by id
	passwords map[string]string
	access    map[string]string // access token → user id
	refresh   map[string]string // unspent refresh token → user id
	// refreshCalls counts POST /v1/auth/refresh; refreshStatus, when set, is its answer.
	refreshCalls  int
	refreshStatus int
	refreshDelay  time.Duration
	logouts       []string
	// loginStatus and loginRetryAfter script a failing login (429…).
	loginStatus     int
	loginRetryAfter string
	loginAddrs      []string
	// createProblem, when set, answers POST /v1/users with this problem document (422).
	createProblem map[string]any
	// rolesStatus, when set, answers PUT /v1/users/{id}/roles.
	rolesStatus int
	srv         *httptest.Server
}

func newFakeIdentity(t *testing.T) *fakeIdentity {
	f := &fakeIdentity{t: t, accessTTL: 900, users: map[string]*User{}, passwords: map[string]string{},
		access: map[string]string{}, refresh: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIdentity) addUser(tenant, username, password string, roles ...string) *User {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := &User{ID: token(8), Tenant: tenant, TenantName: "CPAS de " + tenant, Username: username,
		DisplayName: strings.ToUpper(username[:1]) + username[1:] + " Test", Email: username + "@example.org",
		Roles: roles, Language: "fr", CreatedAt: time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC), Version: 1}
	f.users[u.ID] = u
	f.passwords[tenant+"/"+username] = password
	return u
}

func token(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (f *fakeIdentity) issue(u *User) map[string]any {
	a, r := "at-"+token(12), "rt-"+token(12)
	f.access[a] = u.ID
	f.refresh[r] = u.ID
	return map[string]any{"access_token": a, "token_type": "Bearer", "expires_in": f.accessTTL,
		"refresh_token": r, "refresh_expires_in": 28800, "user": u}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeProblem(w http.ResponseWriter, status int, slug string, fields ...map[string]string) {
	doc := map[string]any{"type": "urn:entraide:problem:" + slug, "title": slug, "status": status}
	if len(fields) > 0 {
		doc["errors"] = fields
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(doc)
}

func (f *fakeIdentity) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/v1/auth/refresh" && f.refreshDelay > 0 {
		time.Sleep(f.refreshDelay)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var body map[string]any
	if r.Body != nil && r.Header.Get("Content-Type") == "application/json" {
		_ = json.NewDecoder(r.Body).Decode(&body)
	}
	str := func(k string) string { s, _ := body[k].(string); return s }
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/healthz":
		writeJSON(w, 200, map[string]string{"status": "ok"})
		return
	case r.Method == http.MethodPost && r.URL.Path == "/v1/auth/login":
		f.loginAddrs = append(f.loginAddrs, r.Header.Get("X-Forwarded-For"))
		if f.loginStatus != 0 {
			if f.loginRetryAfter != "" {
				w.Header().Set("Retry-After", f.loginRetryAfter)
			}
			writeProblem(w, f.loginStatus, "too-many-requests")
			return
		}
		for _, u := range f.users {
			if u.Tenant == str("tenant") && u.Username == str("username") && f.passwords[u.Tenant+"/"+u.Username] == str("password") && !u.Disabled {
				writeJSON(w, 200, f.issue(u))
				return
			}
		}
		writeProblem(w, 401, "invalid-credentials")
		return
	case r.Method == http.MethodPost && r.URL.Path == "/v1/auth/refresh":
		f.refreshCalls++
		if f.refreshStatus != 0 {
			writeProblem(w, f.refreshStatus, "unauthorized")
			return
		}
		id, ok := f.refresh[str("refresh_token")]
		if !ok {
			// Reuse of a spent token: the family is revoked, as the real service does.
			writeProblem(w, 401, "unauthorized")
			return
		}
		delete(f.refresh, str("refresh_token"))
		writeJSON(w, 200, f.issue(f.users[id]))
		return
	case r.Method == http.MethodPost && r.URL.Path == "/v1/auth/logout":
		f.logouts = append(f.logouts, str("refresh_token"))
		delete(f.refresh, str("refresh_token"))
		w.WriteHeader(204)
		return
	}
	id, ok := f.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	if !ok {
		writeProblem(w, 401, "unauthorized")
		return
	}
	me := f.users[id]
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/me":
		writeJSON(w, 200, me)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/roles":
		writeJSON(w, 200, map[string]any{"items": []string{"social_worker", "social_service_head", "committee_member",
			"committee_secretary", "president", "accountant", "finance_director", "dpo", "tenant_admin"}})
	case r.Method == http.MethodGet && r.URL.Path == "/v1/users":
		var items []*User
		q := strings.ToLower(r.URL.Query().Get("q"))
		for _, u := range f.users {
			if u.Tenant == me.Tenant && strings.HasPrefix(strings.ToLower(u.Username), q) {
				items = append(items, u)
			}
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		writeJSON(w, 200, map[string]any{"items": items, "total": len(items), "page": page, "page_size": 20})
	case r.Method == http.MethodPost && r.URL.Path == "/v1/users":
		if f.createProblem != nil {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(422)
			_ = json.NewEncoder(w).Encode(f.createProblem)
			return
		}
		u := &User{ID: token(8), Tenant: me.Tenant, TenantName: me.TenantName, Username: str("username"),
			DisplayName: str("display_name"), Email: str("email"), Language: str("language"), Version: 1, CreatedAt: time.Now()}
		for _, r := range body["roles"].([]any) {
			u.Roles = append(u.Roles, r.(string))
		}
		f.users[u.ID] = u
		f.passwords[u.Tenant+"/"+u.Username] = str("password")
		writeJSON(w, 201, u)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/users/"):
		u, ok := f.users[strings.TrimPrefix(r.URL.Path, "/v1/users/")]
		if !ok || u.Tenant != me.Tenant {
			writeProblem(w, 404, "not-found")
			return
		}
		writeJSON(w, 200, u)
	case r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/roles"):
		u, ok := f.users[strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1/users/"), "/roles")]
		if !ok {
			writeProblem(w, 404, "not-found")
			return
		}
		if f.rolesStatus != 0 {
			writeProblem(w, f.rolesStatus, "version-conflict")
			return
		}
		if r.Header.Get("If-Match") != fmt.Sprintf(`"%d"`, u.Version) {
			writeProblem(w, 412, "precondition-failed")
			return
		}
		u.Roles = nil
		for _, r := range body["roles"].([]any) {
			u.Roles = append(u.Roles, r.(string))
		}
		u.Version++
		writeJSON(w, 200, u)
	default:
		writeProblem(w, 404, "not-found")
	}
}
