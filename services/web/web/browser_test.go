package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/services/identity"
)

// TestBrowserAdminCreatesAUserWhoThenSignsIn runs in headless Chromium against the real identity service with
// the demo tenant: the tenant admin signs in, creates a user, signs out; the new user signs in. It skips when
// Chromium is missing, except in CI where it fails (testkit.Chromium). Set ENTRAIDE_SCREENSHOTS to a directory
// to keep screenshots of the pages.
func TestBrowserAdminCreatesAUserWhoThenSignsIn(t *testing.T) {
	chromium := testkit.Chromium(t)
	_, hs := newTestServer(t, testConfig(startIdentity(t, nil)))
	ctx := newChromium(t, chromium)
	base := hs.URL

	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	contains := func(sel, want string) {
		t.Helper()
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		if !strings.Contains(text, want) {
			t.Fatalf("%s shows %q, want %q", sel, text, want)
		}
	}

	run("open login page", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("f-tenant")))
	// Keyboard first: the first Tab reaches the skip link.
	run("tab to skip link", chromedp.KeyEvent(kb.Tab))
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.className`))
	if err != nil {
		t.Fatal(err)
	}
	if focused != "skip-link" {
		t.Errorf("first Tab focuses %q, want the skip link", focused)
	}
	run("admin signs in",
		chromedp.SendKeys(chromedp.ID("f-tenant"), "demo"),
		chromedp.SendKeys(chromedp.ID("f-username"), "admin"),
		chromedp.SendKeys(chromedp.ID("f-password"), identity.DemoPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.main-nav a[href="/users"]`)))
	contains("h1", "Bonjour Aline Admin")
	screenshot(t, ctx, "home-admin")

	run("open the creation form",
		chromedp.Click(chromedp.CSS(`nav.main-nav a[href="/users"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/users/new"]`)),
		chromedp.Click(chromedp.CSS(`main a[href="/users/new"]`)),
		chromedp.WaitVisible(chromedp.ID("f-display_name")))
	run("fill it in with a password that is too short",
		chromedp.SendKeys(chromedp.ID("f-username"), "jdupont"),
		chromedp.SendKeys(chromedp.ID("f-display_name"), "Jeanne Dupont"),
		chromedp.SendKeys(chromedp.ID("f-email"), "jeanne.dupont@example.org"),
		chromedp.Click(chromedp.ID("f-roles-social_worker")),
		chromedp.SetValue(chromedp.ID("f-language"), "nl"),
		chromedp.SendKeys(chromedp.ID("f-password"), "court"),
		chromedp.SendKeys(chromedp.ID("f-confirm_password"), "court"),
		chromedp.Click(chromedp.CSS(`form[action="/users/new"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".error-summary")))
	contains("#f-password-error", "12")
	kept, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-display_name")))
	if err != nil {
		t.Fatal(err)
	}
	checked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("f-roles-social_worker").checked`))
	if err != nil {
		t.Fatal(err)
	}
	if kept != "Jeanne Dupont" || !checked {
		t.Fatalf("input lost: name %q, role checked %v", kept, checked)
	}
	screenshot(t, ctx, "user-new-errors")
	run("retype the passwords and create",
		chromedp.SendKeys(chromedp.ID("f-password"), "un mot de passe long"),
		chromedp.SendKeys(chromedp.ID("f-confirm_password"), "un mot de passe long"),
		chromedp.Click(chromedp.CSS(`form[action="/users/new"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	contains(".flash", "L'utilisateur a été créé.")
	contains("main", "Assistant social")
	screenshot(t, ctx, "user-detail")

	run("admin signs out",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.ID("f-username")))
	contains(".flash", "Vous êtes déconnecté.")
	tenant, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-tenant")))
	if err != nil {
		t.Fatal(err)
	}
	if tenant != "demo" {
		t.Errorf("tenant field holds %q, want the remembered demo", tenant)
	}

	run("new user signs in",
		chromedp.SendKeys(chromedp.ID("f-username"), "jdupont"),
		chromedp.SendKeys(chromedp.ID("f-password"), "un mot de passe long"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.main-nav a[href="/account"]`)))
	// The profile's language (Dutch) applies, since this browser had chosen none.
	contains("h1", "Goedendag Jeanne Dupont")
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`nav.main-nav a[href="/users"]`), chromedp.AtLeast(0)))
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 0 {
		t.Error("a social worker sees the user management link")
	}
	screenshot(t, ctx, "home-social-worker")
}

// newChromium starts a headless Chromium of its own (fresh profile, no background traffic) for one test.
func newChromium(t *testing.T, path string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root in CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1366, 768), // a laptop at a counter
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	return ctx
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("ENTRAIDE_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	_ = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
}
