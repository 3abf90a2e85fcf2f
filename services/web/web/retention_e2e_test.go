package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/services/beneficiaries/file"
	"github.com/entraide/entraide/services/identity"
)

// TestEndToEndRetention: the head places a file under legal hold (with a reason), reviews the documents past
// retention (the held one listed but not selectable), must give a reason and confirm, and purges; workers see
// neither page.
func TestEndToEndRetention(t *testing.T) {
	cfg, app := startRegistryApp(t, 4096, map[string]string{"BENEFICIARIES_DOCUMENT_RETENTION": "identity=1y"})
	_, hs := newTestServer(t, cfg)
	pw := identity.DemoPassword
	worker := newBrowser(t, hs.URL).login("demo", "assistant", pw)
	head := newBrowser(t, hs.URL).login("demo", "chef", pw)

	// Two closed files, each with an identity document, closed two years ago.
	files := openFiles(t, worker, "Retention", 2)
	for _, fp := range files {
		worker.get(fp)
		worker.postMultipart(fp+"/documents", [][2]string{{"idempotency_key", newIdempotencyKey()}, {"type", "identity"}}, "carte.pdf", pdf(500))
		worker.expect(http.StatusOK, "Le document a été ajouté.")
		head.get(fp + "/closure")
		head.post(fp+"/closure", url.Values{"reason": {"aid_ended"}, "version": {versionOf(t, head.body)}})
		head.expect(http.StatusOK, "Le dossier a été clôturé.")
		fileID := fp[strings.LastIndex(fp, "/")+1:]
		if _, err := app.Files.Repository.UpdateFile(context.Background(), "demo", fileID, 0, func(f *file.File) ([]events.Event, error) {
			f.Closure.On = civil.Today().AddYears(-2)
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	numbers := make([]string, len(files))
	for i, fp := range files {
		head.get(fp)
		numbers[i] = fileNumberRe.FindString(head.body)
	}

	// The legal hold of the second file: a reason is required.
	head.get(files[1])
	head.expect(http.StatusOK, `href="`+files[1]+`/legal-hold"`, "Placer sous gel juridique")
	head.get(files[1] + "/legal-hold")
	head.post(files[1]+"/legal-hold", url.Values{"reason": {""}, "hold": {"true"}, "version": {versionOf(t, head.body)}})
	head.expect(http.StatusUnprocessableEntity, `id="f-reason-error"`)
	head.post(files[1]+"/legal-hold", url.Values{"reason": {"Recours au tribunal du travail"}, "hold": {"true"}, "version": {versionOf(t, head.body)}})
	head.expect(http.StatusOK, "Le dossier est sous gel juridique.", "Gel juridique", "Lever le gel juridique")

	worker.get(files[1])
	worker.expectNot("/legal-hold")
	for _, path := range []string{"/retention", files[1] + "/legal-hold"} {
		worker.get(path)
		worker.expect(http.StatusForbidden)
	}

	head.get("/retention")
	head.expect(http.StatusOK, "Conservation des documents", "identity=1y", "Documents à échéance (2)", numbers[0], numbers[1], "Gel juridique")
	docs := regexp.MustCompile(`name="documents" value="([0-9a-f-]{36})"`).FindAllStringSubmatch(head.body, -1)
	if len(docs) != 1 {
		t.Fatalf("%d selectable documents, want 1 (the other file is held):\n%s", len(docs), head.body)
	}
	// Without confirmation: refused, the box stays ticked.
	head.post("/retention", url.Values{"documents": {docs[0][1]}, "reason": {"Purge annuelle"}})
	head.expect(http.StatusUnprocessableEntity, `id="f-confirm-error"`, `value="`+docs[0][1]+`" checked`, "Purge annuelle")
	head.post("/retention", url.Values{"documents": {docs[0][1]}, "reason": {""}, "confirm": {"on"}})
	head.expect(http.StatusUnprocessableEntity, `id="f-reason-error"`)
	head.post("/retention", url.Values{"documents": {docs[0][1]}, "reason": {"Purge annuelle"}, "confirm": {"on"}})
	head.expect(http.StatusOK, "Supprimés : 1. Conservés : 0. Déjà supprimés : 0.", "Documents à échéance (1)")
	head.expectNot(`name="documents" value="`)

	// The purged document is gone from its file.
	head.get(files[0])
	head.expect(http.StatusOK, "Aucun document.")
}
