package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/entraide/entraide/api/policy"
	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded/testkit"
)

func TestLoadConfigDefaultsAndErrors(t *testing.T) {
	cfg, err := LoadConfig(config.FromMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != ":8080" || cfg.IdentityURL != "http://127.0.0.1:8081" || cfg.SessionIdle != 30*time.Minute ||
		cfg.SessionMax != 8*time.Hour || cfg.CookieSecure || cfg.MongoDatabase != "entraide" {
		t.Errorf("defaults: %+v", cfg)
	}
	_, err = LoadConfig(config.FromMap(map[string]string{"IDENTITY_URL": "ftp://x", "WEB_SESSION_IDLE": "9h",
		"WEB_COOKIE_SECURE": "maybe", "WEB_LOGIN_CSRF_KEY": "short"}))
	for _, want := range []string{"IDENTITY_URL", "WEB_SESSION_IDLE", "WEB_COOKIE_SECURE", "WEB_LOGIN_CSRF_KEY"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

func TestRunServesOnAListenerAndStopsOnCancel(t *testing.T) {
	fake := newFakeIdentity(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(fake.srv.URL)
	cfg.Listener, cfg.MongoURI, cfg.MongoDatabase = ln, testkit.MongoURI(t), testkit.Name(t, "web")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, slog.New(slog.DiscardHandler)) }()
	base := "http://" + ln.Addr().String()
	var res *http.Response
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if res, err = http.Get(base + "/readyz"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("readyz %d", res.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// Every role of the policy has a name in every language (the header and the role checkboxes show them).
func TestEveryRoleHasAName(t *testing.T) {
	for _, l := range []string{"fr", "nl", "de", "en"} {
		for _, r := range policy.Roles {
			if strings.HasPrefix(translate(l, "role."+r), "⟦") {
				t.Errorf("%s: no name for role %s", l, r)
			}
		}
	}
}
