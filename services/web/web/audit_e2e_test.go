package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/services/identity"
)

// userID reads a demo user's id from the identity service's database.
func userID(t *testing.T, db *mongo.Database, username string) string {
	t.Helper()
	var u struct {
		ID string `bson:"_id"`
	}
	if err := db.Collection(identity.CollUsers).FindOne(context.Background(), bson.D{{Key: "tenant", Value: "demo"}, {Key: "username", Value: username}}).Decode(&u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

var auditRow = regexp.MustCompile(`<tr>\s*<td class="nowrap">`)

// TestEndToEndAuditTrail drives the DPO's audit page against the real identity service, whose trail holds
// records as its consumer stores them: names from the staff directory, the filter posted and kept out of the URL,
// field errors in the user's language, cursor pages, roles and CSRF.
func TestEndToEndAuditTrail(t *testing.T) {
	db := testkit.Database(t)
	idURL := startIdentity(t, map[string]string{"MONGO_DATABASE": db.Name()})
	_, hs := newTestServer(t, testConfig(idURL))
	pw := identity.DemoPassword
	ctx := context.Background()

	amelie, bart := userID(t, db, "assistant"), userID(t, db, "assistant2")
	fileA, fileB := uuid.NewString(), uuid.NewString()
	trail := identity.NewAuditTrail(db)
	base := time.Now().Add(-time.Hour)
	// 55 reads of file A by Amélie, then one denied document read in file B by Bart, the newest.
	for i := range 55 {
		rec := audit.Record{ID: uuid.NewString(), Tenant: "demo", ActorID: amelie, ActorRoles: []string{"social_worker"}, Action: "file.read",
			ResourceType: "file", ResourceID: fileA, FileID: fileA, Purpose: "case_follow_up", Outcome: audit.OutcomeAllowed, At: base.Add(time.Duration(i) * time.Second)}
		if err := trail.Store(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := trail.Store(ctx, audit.Record{ID: uuid.NewString(), Tenant: "demo", ActorID: bart, ActorRoles: []string{"social_worker"}, Action: "document.read",
		ResourceType: "document", ResourceID: "doc-1", FileID: fileB, Purpose: "social_inquiry", Outcome: audit.OutcomeDenied, At: base.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	// Another tenant's record never shows.
	if err := trail.Store(ctx, audit.Record{ID: uuid.NewString(), Tenant: "liege", ActorID: "other", ActorRoles: []string{"social_worker"}, Action: "file.read",
		ResourceType: "file", FileID: fileB, Outcome: audit.OutcomeAllowed, At: base.Add(2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}

	dpo := newBrowser(t, hs.URL).login("demo", "dpo", pw)
	dpo.expect(http.StatusOK, `href="/audit"`, "Journal d&#39;audit")
	dpo.get("/audit")
	dpo.expect(http.StatusOK, "Bart Vermeulen</th>", "Amélie Assistante</th>", "Assistant social", "<code>document.read</code>", "Refusé",
		"Enquête sociale", "Suivi du dossier", "Autorisé", `<option value="`+bart+`">Bart Vermeulen (Assistant social)</option>`,
		`href="/audit?page=2" rel="next"`)
	dpo.expectNot(">other</th>", "Claire Comptable</th>")
	if n := len(auditRow.FindAllString(dpo.body, -1)); n != 50 {
		t.Fatalf("%d rows on the first page, want 50", n)
	}
	dpo.get("/audit?page=2")
	dpo.expect(http.StatusOK, `href="/audit?page=1" rel="prev"`)
	dpo.expectNot(`rel="next"`, "Bart Vermeulen</th>")
	if n := len(auditRow.FindAllString(dpo.body, -1)); n != 6 {
		t.Fatalf("%d rows on the second page, want 6", n)
	}

	// The filter is posted, kept in the session and shown again; the URL carries nothing of it.
	dpo.post("/audit", url.Values{"actor": {bart}, "file": {fileB}, "from": {time.Now().AddDate(0, 0, -1).Format("2006-01-02")}, "to": {time.Now().Format("2006-01-02")}})
	dpo.expect(http.StatusOK, `<option value="`+bart+`" selected>`, `value="`+fileB+`"`, "<code>document.read</code>", "Entrées correspondant au filtre")
	dpo.expectNot("Amélie Assistante</th>", `rel="next"`)
	if dpo.res.Request.URL.RawQuery != "" || strings.Contains(dpo.res.Request.URL.String(), fileB) {
		t.Fatalf("filter in the URL: %s", dpo.res.Request.URL)
	}
	dpo.get("/audit")
	dpo.expect(http.StatusOK, `value="`+fileB+`"`)
	if n := len(auditRow.FindAllString(dpo.body, -1)); n != 1 {
		t.Fatalf("%d rows under the filter, want 1", n)
	}

	// A period that ends before it starts: the error next to the field, in Dutch.
	dpo.get("/lang/nl?return=/audit")
	dpo.post("/audit", url.Values{"from": {"2026-03-05"}, "to": {"2026-03-01"}})
	dpo.expect(http.StatusUnprocessableEntity, `id="f-to-error">Het einde van de periode moet na het begin liggen.`, `value="2026-03-05"`, "Auditlogboek")
	dpo.post("/audit", url.Values{"clear": {"1"}})
	dpo.expect(http.StatusOK, "Laatste logboekregels", `rel="next"`)

	// Every search was itself audited at the identity service.
	if n, err := db.Collection(audit.CollectionName).CountDocuments(ctx, bson.D{{Key: "action", Value: "audit.read"}, {Key: "purpose", Value: "audit_review"}}); err != nil || n < 5 {
		t.Fatalf("%d audit.read records (%v)", n, err)
	}

	// CSRF, and no other role reaches the page.
	dpo.post("/audit", url.Values{CSRFField: {"forged"}, "file": {fileA}})
	dpo.expect(http.StatusForbidden)
	for _, u := range []string{"assistant", "chef", "admin"} {
		b := newBrowser(t, hs.URL).login("demo", u, pw)
		b.expectNot(`href="/audit"`)
		b.get("/audit")
		b.expect(http.StatusForbidden)
	}
}
