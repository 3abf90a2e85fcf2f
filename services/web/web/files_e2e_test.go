package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/entraide/entraide/services/identity"
)

// openFiles registers n persons with b and opens a file for each; it returns the file pages' paths.
func openFiles(t *testing.T, b *browser, prefix string, n int) []string {
	t.Helper()
	var paths []string
	for i := range n {
		b.get("/persons/new")
		b.post("/persons/new", personForm("", fmt.Sprintf("%s%02d", prefix, i), "Jean", "1980-01-01", "male"))
		m := personPathRe.FindStringSubmatch(b.res.Request.URL.Path)
		if m == nil {
			t.Fatalf("registration %d: %s\n%s", i, b.res.Request.URL, b.body)
		}
		b.post("/persons/"+m[1]+"/files", url.Values{"idempotency_key": {newIdempotencyKey()}})
		if !filePathRe.MatchString(b.res.Request.URL.Path) {
			t.Fatalf("file %d not opened: %s", i, b.res.Request.URL)
		}
		paths = append(paths, b.res.Request.URL.Path)
	}
	return paths
}

// TestEndToEndAllFilesAndCaseloadPages: a worker's caseload of 26 files comes in pages of 25 (home and
// /caseload); the head's "all files" page lists every worker's open files with the worker's name, filters by
// worker (an id in the URL, never a name), pages, and links to the files; workers neither see nor open it.
func TestEndToEndAllFilesAndCaseloadPages(t *testing.T) {
	cfg := startRegistry(t, 4096)
	_, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword

	worker := newBrowser(t, hs.URL).login("demo", "assistant", pw)
	mine := openFiles(t, worker, "Caseload", 26)
	other := newBrowser(t, hs.URL).login("demo", "assistant2", pw)
	theirs := openFiles(t, other, "Autre", 1)

	worker.get("/")
	worker.expect(http.StatusOK, "Mes dossiers ouverts (26)", "Page 1 sur 2", `href="/?page=2"`)
	if n := strings.Count(worker.body, `<th scope="row"><a href="/persons/`); n != 25 {
		t.Fatalf("home page 1 shows %d files", n)
	}
	worker.get("/?page=2")
	worker.expect(http.StatusOK, "Page 2 sur 2", `href="/?page=1"`)
	if n := strings.Count(worker.body, `<th scope="row"><a href="/persons/`); n != 1 {
		t.Fatalf("home page 2 shows %d files", n)
	}
	worker.get("/caseload?page=2")
	worker.expect(http.StatusOK, "Page 2 sur 2", `href="/caseload?page=1"`)
	worker.get("/caseload?page=9") // past the end: the last page
	worker.expect(http.StatusOK, "Page 2 sur 2")
	worker.expectNot(`href="/files"`)
	worker.get("/files")
	worker.expect(http.StatusForbidden)

	head := newBrowser(t, hs.URL).login("demo", "chef", pw)
	head.expect(http.StatusOK, `href="/files"`, "Tous les dossiers")
	head.get("/files")
	head.expect(http.StatusOK, "Tous les dossiers", "Amélie Assistante", "Page 1 sur 2", `href="/files?page=2"`)
	if n := strings.Count(head.body, `<th scope="row"><a href="/persons/`); n != 25 {
		t.Fatalf("all files page 1 shows %d files", n)
	}
	head.get("/files?page=2")
	if n := strings.Count(head.body, `<th scope="row"><a href="/persons/`); n != 2 {
		t.Fatalf("all files page 2 shows %d files", n)
	}

	// Filter by worker: the option's value is the worker's id; the one file of assistant2, linked.
	m := regexp.MustCompile(`<option value="([0-9a-f-]{36})">Bart Vermeulen</option>`).FindStringSubmatch(head.body)
	if m == nil {
		t.Fatalf("assistant2 not offered as a filter:\n%s", head.body)
	}
	head.get("/files?assignee=" + m[1])
	head.expect(http.StatusOK, `href="`+theirs[0]+`"`, "Autre00, Jean", "Bart Vermeulen", "Dossiers ouverts (filtrés)", `value="`+m[1]+`" selected`)
	head.expectNot(`href="` + mine[0] + `"`)
	if n := strings.Count(head.body, `<th scope="row"><a href="/persons/`); n != 1 {
		t.Fatalf("filtered list shows %d files", n)
	}
	head.get("/files?assignee=Dupont")
	head.expect(http.StatusBadRequest)
	head.get(theirs[0])
	head.expect(http.StatusOK, "Autre00")

	for _, u := range []string{"comptable", "dpo", "admin"} {
		b := newBrowser(t, hs.URL).login("demo", u, pw)
		b.get("/files")
		b.expect(http.StatusForbidden)
	}
}
