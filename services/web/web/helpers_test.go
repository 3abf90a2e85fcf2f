package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/entraide/entraide/libs/authz"
	"github.com/entraide/entraide/libs/embedded/testkit"
)

// testConfig is a configuration for handler tests against an identity service at identityURL.
func testConfig(identityURL string) Config {
	return Config{IdentityURL: identityURL, BeneficiariesURL: "http://127.0.0.1:9", BeneficiariesTimeout: 5 * time.Second,
		DocumentMaxBytes: 20 << 20, SessionIdle: 30 * time.Minute, SessionMax: 8 * time.Hour,
		RefreshMargin: 2 * time.Minute, IdentityTimeout: 5 * time.Second, ShutdownGrace: time.Second}
}

// newTestServer starts the web front end on a test HTTP server, with its sessions in a database of its own and
// the project's real authorization policy.
func newTestServer(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	enforcer, err := authz.NewEnforcer()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := NewServer(ctx, cfg, Deps{DB: testkit.Database(t), Authorize: PolicyAuthorizer(enforcer)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return srv, hs
}

// browser is a cookie-keeping HTTP client that follows redirects like a browser and remembers the last page.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
	// body and res are the last page fetched (after redirects).
	body string
	res  *http.Response
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, client: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
}

func (b *browser) do(req *http.Request) *browser {
	b.t.Helper()
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	raw, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	b.res, b.body = res, string(raw)
	return b
}

func (b *browser) get(path string) *browser {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

// post sends a form; the CSRF token of the last page is added unless form already has one.
func (b *browser) post(path string, form url.Values) *browser {
	b.t.Helper()
	if _, set := form[CSRFField]; !set {
		form.Set(CSRFField, b.csrf())
	}
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) csrf() string {
	m := csrfInput.FindStringSubmatch(b.body)
	if m == nil {
		return ""
	}
	return m[1]
}

func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.base)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// login signs in through the login form and expects the home page.
func (b *browser) login(tenant, username, password string) *browser {
	b.t.Helper()
	b.get("/login")
	b.post("/login", url.Values{"tenant": {tenant}, "username": {username}, "password": {password}})
	if b.res.StatusCode != 200 || b.res.Request.URL.Path != "/" {
		b.t.Fatalf("login: status %d at %s\n%s", b.res.StatusCode, b.res.Request.URL.Path, b.body)
	}
	return b
}

func (b *browser) expect(status int, fragments ...string) {
	b.t.Helper()
	if b.res.StatusCode != status {
		b.t.Fatalf("status %d, want %d (at %s)\n%s", b.res.StatusCode, status, b.res.Request.URL, b.body)
	}
	for _, f := range fragments {
		if !strings.Contains(b.body, f) {
			b.t.Fatalf("page at %s lacks %q\n%s", b.res.Request.URL, f, b.body)
		}
	}
	if strings.Contains(b.body, "⟦") {
		b.t.Fatalf("page at %s shows a missing catalog key\n%s", b.res.Request.URL, b.body)
	}
}

func (b *browser) expectNot(fragments ...string) {
	b.t.Helper()
	for _, f := range fragments {
		if strings.Contains(b.body, f) {
			b.t.Fatalf("page at %s shows %q\n%s", b.res.Request.URL, f, b.body)
		}
	}
}

// noRedirect is a client that reports redirects instead of following them, to read Set-Cookie headers.
func noRedirect() *http.Client {
	return &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}
