package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/services/identity"
)

// TestBrowserRegistry runs in headless Chromium (1366×768) against the real identity and beneficiaries services:
// a social worker registers a person (the NISS check fills in the birth date and sex as they type), registers the
// partner, builds the household, opens a file, uploads a document, then finds the person again by an
// accent-insensitive name and opens the file.
func TestBrowserRegistry(t *testing.T) {
	chromium := testkit.Chromium(t)
	_, hs := newTestServer(t, startRegistry(t, 1<<20))
	ctx := newChromium(t, chromium)
	base := hs.URL

	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	contains := func(sel, want string) {
		t.Helper()
		if s := text(sel); !strings.Contains(s, want) {
			t.Fatalf("%s shows %q, want %q", sel, s, want)
		}
	}
	value := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("value of %s: %v", sel, err)
		}
		return v
	}
	register := func(niss, family, given, birth, sex string) {
		t.Helper()
		run("open the registration form", chromedp.Navigate(base+"/persons/new"), chromedp.WaitVisible(chromedp.ID("f-family_name")))
		if niss != "" {
			run("type the NISS", chromedp.SendKeys(chromedp.ID("f-niss"), niss))
		}
		run("fill in the form",
			chromedp.SendKeys(chromedp.ID("f-family_name"), family),
			chromedp.SendKeys(chromedp.ID("f-given_names"), given),
			chromedp.SetValue(chromedp.ID("f-residence_status"), "belgian"),
			chromedp.SendKeys(chromedp.ID("f-address_street"), "Rue Haute"),
			chromedp.SendKeys(chromedp.ID("f-address_number"), "12"),
			chromedp.SendKeys(chromedp.ID("f-address_postcode"), "1000"),
			chromedp.SendKeys(chromedp.ID("f-address_municipality"), "Bruxelles"))
		if birth != "" {
			run("birth date and sex", chromedp.SetValue(chromedp.ID("f-birth_date"), birth), chromedp.SetValue(chromedp.ID("f-sex"), sex))
		}
		run("register", chromedp.Click(chromedp.CSS(`form[action="/persons/new"] button[type=submit]:not([name])`)),
			chromedp.WaitVisible(chromedp.CSS(".flash")))
		contains(".flash", "La personne a été enregistrée.")
	}

	run("sign in as a social worker",
		chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("f-tenant")),
		chromedp.SendKeys(chromedp.ID("f-tenant"), "demo"),
		chromedp.SendKeys(chromedp.ID("f-username"), "assistant"),
		chromedp.SendKeys(chromedp.ID("f-password"), identity.DemoPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.main-nav a[href="/persons"]`)))
	contains("main", "Mes dossiers")

	// The NISS check as you type: an invalid number says so, a valid one shows and fills the birth date and sex.
	run("type a wrong NISS", chromedp.Navigate(base+"/persons/new"), chromedp.WaitVisible(chromedp.ID("f-niss")),
		chromedp.SendKeys(chromedp.ID("f-niss"), "85.07.14-123.31"))
	contains("#f-niss-derived", "n'est pas valide")
	run("correct the last digit", chromedp.SendKeys(chromedp.ID("f-niss"), kb.Backspace+"0"))
	contains("#f-niss-derived", "né(e) le 14 juillet 1985, sexe masculin")
	if b, s := value("#f-birth_date"), value("#f-sex"); b != "1985-07-14" || s != "male" {
		t.Fatalf("birth date %q and sex %q not filled from the NISS", b, s)
	}
	hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector("button[name=action]")).display === "none"`))
	if err != nil || !hidden {
		t.Errorf("the no-JavaScript check button is still shown (%v)", err)
	}
	screenshot(t, ctx, "person-new")

	register("", "Müller", "Jan", "1986-03-04", "male")
	register("85.07.14-123.30", "Dupont-Lefèvre", "Marie-Noëlle", "", "")
	personURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	contains("main", "85.07.14-123.30")

	run("edit the household", chromedp.Click(chromedp.CSS(`a[href$="/household"]`)), chromedp.WaitVisible(chromedp.ID("f-q")),
		chromedp.SendKeys(chromedp.ID("f-q"), "muller"),
		chromedp.Click(chromedp.CSS(`form.search-form button[type=submit]:not([name])`)),
		chromedp.WaitVisible(chromedp.CSS("form.member-form")),
		chromedp.SetValue(chromedp.ID("f-relation-0"), "de_facto_partner"),
		chromedp.SetValue(chromedp.ID("f-valid_from-0"), "2021-05-01"),
		chromedp.Click(chromedp.CSS("form.member-form button")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	contains(".flash", "Le ménage a été enregistré.")
	contains("main table", "Müller Jan")
	contains("main table", "Partenaire de fait")

	run("open a file", chromedp.Navigate(personURL), chromedp.WaitVisible(chromedp.CSS(`form[action$="/files"] button`)))
	contains(".category", "Catégorie 1 (cohabitant)")
	run("open it", chromedp.Click(chromedp.CSS(`form[action$="/files"] button`)), chromedp.WaitVisible(chromedp.ID("documents")))
	contains(".flash", "Le dossier a été ouvert.")

	doc := filepath.Join(t.TempDir(), "bail.pdf")
	if err := os.WriteFile(doc, pdf(3000), 0o600); err != nil {
		t.Fatal(err)
	}
	run("upload a document",
		chromedp.SetValue(chromedp.ID("f-type"), "lease"),
		chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{doc}),
		chromedp.Click(chromedp.CSS(`form[enctype="multipart/form-data"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("a[download]")))
	contains(".flash", "Le document a été ajouté.")
	contains("section[aria-labelledby=documents] table", "bail.pdf")
	screenshot(t, ctx, "file")

	run("find the person by a name without accents",
		chromedp.Click(chromedp.CSS(`nav.main-nav a[href="/persons"]`)), chromedp.WaitVisible(chromedp.ID("f-q")),
		chromedp.SendKeys(chromedp.ID("f-q"), "dupont lefevre marie noelle"),
		chromedp.Click(chromedp.CSS(`form.search-form button[type=submit]:not([name])`)),
		chromedp.WaitVisible(chromedp.CSS("main table tbody th a")))
	contains("main table tbody", "Dupont-Lefèvre Marie-Noëlle")
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || strings.Contains(strings.ToLower(loc), "dupont") {
		t.Fatalf("search term in the URL: %s (%v)", loc, err)
	}
	run("open the person, then the file",
		chromedp.Click(chromedp.CSS("main table tbody th a")), chromedp.WaitVisible(chromedp.ID("h-files")),
		chromedp.Click(chromedp.CSS(".file-list a")), chromedp.WaitVisible(chromedp.ID("journal")))
	contains("h1", "Dossier ")
	contains("main", "bail.pdf")
	contains("main", "Bail")
	screenshot(t, ctx, "file-found")
}
