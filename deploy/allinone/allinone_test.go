package allinone

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/services/beneficiaries/demo"
	"github.com/entraide/entraide/services/identity"
)

// start runs the all-in-one on free ports over dataDir and returns where it answers and how to stop it; the
// decisions demo step reports on demoDone.
func start(t *testing.T, dataDir string, demoDone chan<- error) (Started, func()) {
	t.Helper()
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan Started, 1)
	done := make(chan error, 1)
	opts := Options{
		DataDir: dataDir, MongoAddr: "127.0.0.1:0", KafkaPort: 0, SeedDemo: true,
		// Cheap password hashing keeps the test quick; the real parameters are the default.
		Env:         config.FromMap(map[string]string{"IDENTITY_ARGON2_MEMORY_KIB": "8192", "IDENTITY_ARGON2_TIME": "1"}),
		WebListener: listen(), IdentityListener: listen(), BeneficiariesListener: listen(), DecisionsListener: listen(), PaymentsListener: listen(),
		Logger:  slog.New(slog.DiscardHandler),
		Started: func(s Started) { started <- s },
		DecisionsDemo: func(err error) {
			if demoDone != nil {
				demoDone <- err
			}
		},
	}
	go func() { done <- Run(ctx, opts) }()
	select {
	case s := <-started:
		return s, func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run returned %v", err)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("the all-in-one did not stop within 60s")
			}
		}
	case err := <-done:
		cancel()
		t.Fatalf("Run failed at start: %v", err)
	case <-time.After(120 * time.Second):
		cancel()
		t.Fatal("the all-in-one did not start within 120s")
	}
	return Started{}, nil
}

func postJSON(t *testing.T, url, token string, body any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Purpose", "case_follow_up")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func getJSON(t *testing.T, url, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("X-Purpose", "case_follow_up")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// awaitDemo waits for the decisions demo step to end.
func awaitDemo(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("decisions demo: %v", err)
		}
	case <-time.After(4 * time.Minute):
		t.Fatal("the decisions demo step did not end within 4 minutes")
	}
}

// decisionsDemo reads, through the decisions API, the demo register's requests per status (as the head), the
// sessions per status (as the secretary) and whether the head's board shows a late request.
func decisionsDemo(t *testing.T, s Started, password string) (map[string]int, map[string]int, bool) {
	t.Helper()
	_, chef := login(t, s, identity.DemoTenantCode, "chef", password)
	_, secretary := login(t, s, identity.DemoTenantCode, "secretaire", password)
	status, body := getJSON(t, s.DecisionsURL+"/v1/requests?page_size=100", chef)
	if status != 200 {
		t.Fatalf("register: %d %v", status, body)
	}
	requests := map[string]int{}
	for _, it := range body["items"].([]any) {
		requests[it.(map[string]any)["status"].(string)]++
	}
	status, body = getJSON(t, s.DecisionsURL+"/v1/sessions", secretary)
	if status != 200 {
		t.Fatalf("sessions: %d %v", status, body)
	}
	sessions := map[string]int{}
	for _, it := range body["items"].([]any) {
		m := it.(map[string]any)
		sessions[m["status"].(string)]++
		if m["status"] == "convened" {
			// The next session's agenda: the proposal and the urgent decision to ratify.
			sessions["next_items"] = int(m["items"].(float64))
		}
	}
	status, body = getJSON(t, s.DecisionsURL+"/v1/decisions?page_size=100", chef)
	if status != 200 {
		t.Fatalf("decisions: %d %v", status, body)
	}
	for _, it := range body["items"].([]any) {
		m := it.(map[string]any)
		if appeals, _ := m["appeals"].([]any); len(appeals) > 0 {
			requests["appealed"]++
		}
		if m["ratification"] == "awaiting" {
			requests["awaiting_ratification"]++
		}
	}
	status, body = getJSON(t, s.DecisionsURL+"/v1/board?page_size=200", chef)
	if status != 200 {
		t.Fatalf("board: %d %v", status, body)
	}
	late := false
	for _, it := range body["items"].([]any) {
		if due, _ := it.(map[string]any)["due"].(map[string]any); due["state"] == "late" {
			late = true
		}
	}
	return requests, sessions, late
}

func login(t *testing.T, s Started, tenant, username, password string) (int, string) {
	t.Helper()
	status, body := postJSON(t, s.IdentityURL+"/v1/auth/login", "", map[string]any{"tenant": tenant, "username": username, "password": password})
	token, _ := body["access_token"].(string)
	return status, token
}

// demoPersons finds, through the beneficiaries API, the demo persons the user sees: a name search for each demo
// family name (there is no "list everything" in the registry), counting distinct ids.
func demoPersons(t *testing.T, s Started, username, password string) map[string]bool {
	t.Helper()
	status, token := login(t, s, identity.DemoTenantCode, username, password)
	if status != 200 || token == "" {
		t.Fatalf("%s login: %d", username, status)
	}
	ids := map[string]bool{}
	for _, name := range demo.FamilyNames() {
		status, body := postJSON(t, s.BeneficiariesURL+"/v1/persons/search", token, map[string]any{"query": name, "page_size": 100})
		if status != 200 {
			t.Fatalf("search as %s: %d %v", username, status, body)
		}
		for _, it := range body["items"].([]any) {
			ids[it.(map[string]any)["id"].(string)] = true
		}
	}
	return ids
}

// TestEmbeddedDefaultServesSeedsAndKeepsDataAcrossRestart walks what `make run` promises: the login page is
// served, the demo tenant has one user per role, and what a tenant admin creates is still there after a restart.
func TestEmbeddedDefaultServesSeedsAndKeepsDataAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	demoDone := make(chan error, 1)
	s, stop := start(t, dir, demoDone)

	res, err := http.Get(s.WebURL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), `name="password"`) {
		t.Fatalf("login page: status %d", res.StatusCode)
	}
	for _, l := range s.DemoLogins {
		if !strings.Contains(string(page), "<code>"+l.Username+"</code>") {
			t.Errorf("the login page does not list the demo user %q", l.Username)
		}
	}

	roles := map[identity.Role]bool{}
	for _, l := range s.DemoLogins {
		roles[l.Role] = true
	}
	if len(roles) != 10 {
		t.Fatalf("demo logins cover %d roles, want all 10: %v", len(roles), s.DemoLogins)
	}
	var admin identity.Login
	for _, l := range s.DemoLogins {
		if l.Role == identity.RoleTenantAdmin {
			admin = l
		}
	}
	status, token := login(t, s, admin.Tenant, admin.Username, admin.Password)
	if status != 200 || token == "" {
		t.Fatalf("demo admin login: %d", status)
	}
	// The registry's demo data: the head sees every demo person, a social worker only those of their files.
	headPersons := demoPersons(t, s, "chef", admin.Password)
	if len(headPersons) != demo.PersonCount() {
		t.Fatalf("the head sees %d demo persons, want %d", len(headPersons), demo.PersonCount())
	}
	if n := len(demoPersons(t, s, "assistant3", admin.Password)); n == 0 || n >= len(headPersons) {
		t.Errorf("a social worker sees %d of the %d demo persons", n, len(headPersons))
	}
	status, body := postJSON(t, s.IdentityURL+"/v1/users", token, map[string]any{
		"username": "nouvelle", "display_name": "Nora Nouvelle", "email": "nora@example.org",
		"roles": []string{"social_worker"}, "language": "nl", "password": "un mot de passe assez long",
	})
	if status != 201 {
		t.Fatalf("create user: %d %v", status, body)
	}
	// The decisions demo, seeded in the background once the registry's files reached the decisions service:
	// requests at every stage, a late one on the board, the past session (minutes approved) and the next one.
	awaitDemo(t, demoDone)
	requests, sessions, late := decisionsDemo(t, s, admin.Password)
	for _, st := range []string{"registered", "in_inquiry", "proposed", "decided", "notified", "appealed", "awaiting_ratification"} {
		if requests[st] == 0 {
			t.Errorf("the decisions demo has no %s request: %v", st, requests)
		}
	}
	if !late || sessions["minutes_approved"] != 1 || sessions["convened"] != 1 || sessions["next_items"] != 2 {
		t.Errorf("decisions demo: late on the board %v, sessions %v", late, sessions)
	}
	stop()

	firstLogins := len(s.DemoLogins)
	s, stop = start(t, dir, demoDone)
	defer stop()
	if status, token = login(t, s, "demo", "nouvelle", "un mot de passe assez long"); status != 200 || token == "" {
		t.Fatalf("user created before the restart cannot log in after it: %d", status)
	}
	if len(s.DemoLogins) != firstLogins {
		t.Errorf("second start printed %d demo logins", len(s.DemoLogins))
	}
	// The second start seeded nothing again: the same persons, no duplicates.
	if again := demoPersons(t, s, "chef", admin.Password); !maps.Equal(again, headPersons) {
		t.Errorf("after a restart the head sees %d demo persons, before it %d", len(again), len(headPersons))
	}
	awaitDemo(t, demoDone)
	if again, sessionsAgain, _ := decisionsDemo(t, s, admin.Password); !maps.Equal(again, requests) || !maps.Equal(sessionsAgain, sessions) {
		t.Errorf("after a restart the decisions demo has requests %v and sessions %v, before it %v and %v", again, sessionsAgain, requests, sessions)
	}
}
