package document_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/services/beneficiaries/document"
	"github.com/entraide/entraide/services/beneficiaries/file"
	"github.com/entraide/entraide/services/beneficiaries/internal/apitest"
)

func TestParseRetention(t *testing.T) {
	r, err := document.ParseRetention(" identity=1y , medical_certificate=30d,lease=2y15d")
	if err != nil {
		t.Fatal(err)
	}
	want := map[document.Type]document.Period{document.TypeIdentity: {Years: 1}, document.TypeMedicalCertificate: {Days: 30},
		document.TypeLease: {Years: 2, Days: 15}, document.TypeOther: document.DefaultPeriod}
	for typ, p := range want {
		if r[typ] != p {
			t.Errorf("%s: %+v, want %+v", typ, r[typ], p)
		}
	}
	if back, err := document.ParseRetention(r.String()); err != nil || back.String() != r.String() {
		t.Errorf("round trip: %q %v", r.String(), err)
	}
	if d, err := document.ParseRetention(""); err != nil || d.String() != document.DefaultRetention().String() {
		t.Errorf("empty: %v %v", d, err)
	}
	for _, bad := range []string{"passport=1y", "identity", "identity=", "identity=10", "identity=10m", "identity=0y",
		"identity=1y,identity=2y", "identity=d", "identity=5d1y", "identity=-1y", "identity=1y1y"} {
		if _, err := document.ParseRetention(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestScheduleOf: the period of the document's type counted from the file's closure, or from the removal when
// it comes first; nothing while the file is open and the document in use; a legal hold keeps everything.
func TestScheduleOf(t *testing.T) {
	r, _ := document.ParseRetention("identity=1y,medical_certificate=30d,lease=2y15d")
	closed := file.File{Closure: &file.Closure{On: civil.MustParse("2024-02-29")}}
	removedAt := time.Date(2023, 6, 30, 23, 30, 0, 0, time.UTC) // 1 July in Brussels
	held := closed
	held.LegalHold = &file.LegalHold{Reason: "recours"}
	today := civil.MustParse("2025-03-01")
	for _, tc := range []struct {
		name    string
		doc     document.Document
		f       file.File
		started bool
		from    string
		due     string
		dueNow  bool
	}{
		{"identity, closed", document.Document{Type: document.TypeIdentity}, closed, true, document.FromClosure, "2025-03-01", true},
		{"medical, closed", document.Document{Type: document.TypeMedicalCertificate}, closed, true, document.FromClosure, "2024-03-30", true},
		{"lease, closed", document.Document{Type: document.TypeLease}, closed, true, document.FromClosure, "2026-03-16", false},
		{"default type, closed", document.Document{Type: document.TypeOther}, closed, true, document.FromClosure, "2034-03-01", false},
		{"open file", document.Document{Type: document.TypeIdentity}, file.File{}, false, "", "", false},
		{"removed in an open file", document.Document{Type: document.TypeIdentity, Removal: &document.Removal{At: removedAt}}, file.File{}, true, document.FromRemoval, "2024-07-01", true},
		{"removed before closure", document.Document{Type: document.TypeLease, Removal: &document.Removal{At: removedAt}}, closed, true, document.FromRemoval, "2025-07-16", false},
		{"removed after closure", document.Document{Type: document.TypeIdentity, Removal: &document.Removal{At: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)}}, closed, true, document.FromClosure, "2025-03-01", true},
		{"legal hold", document.Document{Type: document.TypeIdentity}, held, true, document.FromClosure, "2025-03-01", false},
	} {
		s, started := r.ScheduleOf(tc.doc, tc.f)
		if started != tc.started || s.From != tc.from || (started && s.Due.String() != tc.due) || s.DueOn(today) != tc.dueNow {
			t.Errorf("%s: %+v %v (due %s)", tc.name, s, started, s.Due)
		}
	}
}

// TestRetentionDueAndPurge drives the API: due documents per type counted from the closure (or the removal),
// the legal hold set by the head (audited, a repeat changes nothing), the purge of what is due (content and
// metadata deleted, an audit record each, the batch recorded), skipped documents, and a repeated purge that does
// nothing.
func TestRetentionDueAndPurge(t *testing.T) {
	ctx := context.Background()
	e := apitest.New(t, map[string]string{"BENEFICIARIES_DOCUMENT_MAX_BYTES": fmt.Sprint(maxBytes),
		"BENEFICIARIES_DOCUMENT_RETENTION": "identity=1y,medical_certificate=30d,lease=5y"})
	today := civil.Today()
	twoYearsAgo := today.AddYears(-2)

	openFile := func(n int, family string) string {
		p := e.RegisterPerson(workerA, n, family)
		a := e.Call(workerA, "POST", "/v1/files", map[string]any{"person_id": p})
		if a.Status != 201 {
			t.Fatalf("file: %s", a.Raw)
		}
		return a.Str("id")
	}
	upload := func(fileID, typ string) string {
		a := e.Call(workerA, "POST", "/v1/files/"+fileID+"/documents", form(t, typ, typ+".pdf", "application/pdf", []byte("%PDF-1.4\n"+typ+"\n")))
		if a.Status != 201 {
			t.Fatalf("upload: %s", a.Raw)
		}
		return a.Str("id")
	}
	closeBackdated := func(fileID string, on civil.Date) {
		if a := e.Call(workerA, "POST", "/v1/files/"+fileID+"/closure", map[string]any{"reason": "aid_ended"}, `If-Match: "1"`); a.Status != 200 {
			t.Fatalf("close: %s", a.Raw)
		}
		if _, err := e.App.Files.Repository.UpdateFile(ctx, "cpas-a", fileID, 0, func(f *file.File) ([]events.Event, error) {
			f.Closure.On = on
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
	}

	f1 := openFile(1, "Dubois")
	d1, d2, d3 := upload(f1, "identity"), upload(f1, "lease"), upload(f1, "medical_certificate")
	closeBackdated(f1, twoYearsAgo)

	f2 := openFile(2, "Martin")
	d4, d5 := upload(f2, "income_proof"), upload(f2, "identity")
	if a := e.Call(headA, "POST", "/v1/documents/"+d4+"/removal", map[string]any{"reason": "mauvais dossier"}, `If-Match: "1"`); a.Status != 204 {
		t.Fatalf("removal: %s", a.Raw)
	}
	removedLongAgo := time.Now().AddDate(-11, 0, 0)
	rec, err := e.App.Documents.Repository.Load(ctx, "cpas-a", d4)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Documents.Repository.Update(ctx, "cpas-a", d4, rec.Version, func(d *document.Document) error {
		d.Removal.At = removedLongAgo
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	f3 := openFile(3, "Lambert")
	d6 := upload(f3, "identity")
	closeBackdated(f3, twoYearsAgo)

	// The legal hold: the head's, with a reason; a repeat changes nothing.
	if a := e.Call(workerA, "POST", "/v1/files/"+f3+"/legal-hold", map[string]any{"hold": true, "reason": "recours"}, `If-Match: "2"`); a.Status != 403 {
		t.Fatalf("worker sets a hold: %d", a.Status)
	}
	if a := e.Call(headA, "POST", "/v1/files/"+f3+"/legal-hold", map[string]any{"hold": true, "reason": " "}, `If-Match: "3"`); a.Status != 422 || a.Codes()["reason"] != "required" {
		t.Fatalf("hold without reason: %d %s", a.Status, a.Raw)
	}
	hold := e.Call(headA, "POST", "/v1/files/"+f3+"/legal-hold", map[string]any{"hold": true, "reason": "Recours au tribunal du travail"}, `If-Match: "3"`)
	if hold.Status != 200 || hold.Body["legal_hold"] == nil || hold.Body["version"] != 4.0 {
		t.Fatalf("hold: %d %s", hold.Status, hold.Raw)
	}
	if a := e.Call(headA, "POST", "/v1/files/"+f3+"/legal-hold", map[string]any{"hold": true, "reason": "encore"}, `If-Match: "4"`); a.Status != 200 || a.Body["version"] != 4.0 {
		t.Fatalf("hold again: %d %s", a.Status, a.Raw)
	}
	if n := e.Count(audit.CollectionName, bson.D{{Key: "action", Value: "file.legal_hold.set"}, {Key: "resource_id", Value: f3}}); n != 1 {
		t.Fatalf("hold audited %d times", n)
	}

	// Due: identity (1y) and medical (30d) of f1, the income proof removed 11 years ago (default 10y), and f3's
	// identity under hold; not the lease (5y) nor the open file's identity.
	for _, u := range []apitest.User{workerA, {Tenant: "cpas-a", ID: "0190a000-0000-7000-8000-0000000000dd", Roles: []string{"dpo"}}} {
		if a := e.Call(u, "GET", "/v1/retention/due", nil); a.Status != 403 {
			t.Fatalf("%v reads the due list: %d", u.Roles, a.Status)
		}
	}
	due := e.Call(headA, "GET", "/v1/retention/due", nil)
	if due.Status != 200 {
		t.Fatalf("due: %s", due.Raw)
	}
	got := map[string]map[string]any{}
	for _, it := range due.Items() {
		got[it["document_id"].(string)] = it
	}
	want := map[string][3]any{ // due_on, from, legal_hold
		d1: {twoYearsAgo.AddYears(1).String(), "closure", false},
		d3: {twoYearsAgo.AddDays(30).String(), "closure", false},
		d4: {civil.Of(removedLongAgo).AddYears(10).String(), "removal", false},
		d6: {twoYearsAgo.AddYears(1).String(), "closure", true},
	}
	if len(got) != len(want) {
		t.Fatalf("due: %s", due.Raw)
	}
	for id, w := range want {
		it := got[id]
		if it == nil || it["due_on"] != w[0] || it["from"] != w[1] || it["legal_hold"] != w[2] || it["file_number"] == "" {
			t.Errorf("due item %s: %v, want %v", id, it, w)
		}
	}
	if got[d1]["type"] != "identity" || got[d4]["removed"] != true || due.Str("retention") == "" {
		t.Errorf("due list: %s", due.Raw)
	}

	// The purge: what is due goes; the lease (not due), the held file's document, the open file's document stay.
	unknown := "0190e000-0000-7000-8000-000000000000"
	body := map[string]any{"document_ids": []string{d1, d2, d3, d4, d5, d6, unknown}, "reason": "Lot annuel de purge"}
	if a := e.Call(workerA, "POST", "/v1/retention/purge", body); a.Status != 403 {
		t.Fatalf("worker purges: %d", a.Status)
	}
	if a := e.Call(headA, "POST", "/v1/retention/purge", map[string]any{"document_ids": []string{d1}, "reason": ""}); a.Status != 422 || a.Codes()["reason"] != "required" {
		t.Fatalf("purge without reason: %d %s", a.Status, a.Raw)
	}
	if a := e.Call(headA, "POST", "/v1/retention/purge", map[string]any{"document_ids": []string{"x"}, "reason": "r"}); a.Status != 422 || a.Codes()["document_ids"] != "invalid" {
		t.Fatalf("purge of a bad id: %d %s", a.Status, a.Raw)
	}
	p := e.Call(headA, "POST", "/v1/retention/purge", body)
	if p.Status != 200 {
		t.Fatalf("purge: %s", p.Raw)
	}
	ids := func(v any) []string {
		var out []string
		for _, x := range v.([]any) {
			if m, ok := x.(map[string]any); ok {
				out = append(out, m["document_id"].(string)+":"+m["reason"].(string))
			} else {
				out = append(out, x.(string))
			}
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s ...string) []string { slices.Sort(s); return s }
	if !slices.Equal(ids(p.Body["purged"]), sorted(d1, d3, d4)) || !slices.Equal(ids(p.Body["absent"]), []string{unknown}) ||
		!slices.Equal(ids(p.Body["skipped"]), sorted(d2+":not_due", d5+":not_due", d6+":legal_hold")) {
		t.Fatalf("purge: %s", p.Raw)
	}
	for id, present := range map[string]bool{d1: false, d3: false, d4: false, d2: true, d5: true, d6: true} {
		docs := e.Count(document.CollDocuments, bson.D{{Key: "_id", Value: id}})
		contents := e.Count(document.Bucket+".files", bson.D{{Key: "_id", Value: id}})
		chunks := e.Count(document.Bucket+".chunks", bson.D{{Key: "files_id", Value: id}})
		if (docs == 1) != present || (contents == 1) != present || (chunks > 0) != present {
			t.Errorf("%s: %d metadata, %d contents, %d chunks; present %v", id, docs, contents, chunks, present)
		}
		if !present {
			if n := e.Count(audit.CollectionName, bson.D{{Key: "action", Value: "document.purge"}, {Key: "resource_id", Value: id}, {Key: "actor_id", Value: headA.ID}}); n != 1 {
				t.Errorf("%s: %d purge audit records", id, n)
			}
		}
	}
	if n := e.Count(document.CollPurges, bson.D{{Key: "tenant", Value: "cpas-a"}, {Key: "by", Value: headA.ID}, {Key: "reason", Value: "Lot annuel de purge"}}); n != 1 {
		t.Fatalf("%d purge records", n)
	}

	// The same purge again: nothing deleted, nothing audited, no new record.
	again := e.Call(headA, "POST", "/v1/retention/purge", body)
	if again.Status != 200 || len(again.Body["purged"].([]any)) != 0 || !slices.Equal(ids(again.Body["absent"]), sorted(d1, d3, d4, unknown)) {
		t.Fatalf("purge again: %s", again.Raw)
	}
	if n := e.Count(audit.CollectionName, bson.D{{Key: "action", Value: "document.purge"}}); n != 3 {
		t.Fatalf("%d purge audit records after the repeat", n)
	}
	if n := e.Count(document.CollPurges, nil); n != 1 {
		t.Fatalf("%d purge records after the repeat", n)
	}
	// Another tenant's head finds nothing to purge there.
	if a := e.Call(headB, "POST", "/v1/retention/purge", map[string]any{"document_ids": []string{d2, d6}, "reason": "r"}); a.Status != 200 || !slices.Equal(ids(a.Body["absent"]), sorted(d2, d6)) {
		t.Fatalf("other tenant's purge: %s", a.Raw)
	}

	// Lifting the hold lets the held document go.
	if a := e.Call(headA, "POST", "/v1/files/"+f3+"/legal-hold", map[string]any{"hold": false, "reason": "Recours rejeté, définitif"}, `If-Match: "4"`); a.Status != 200 || a.Body["legal_hold"] != nil || len(a.Body["legal_hold_log"].([]any)) != 2 {
		t.Fatalf("lift: %s", a.Raw)
	}
	if a := e.Call(headA, "POST", "/v1/retention/purge", map[string]any{"document_ids": []string{d6}, "reason": "Fin du recours"}); a.Status != 200 || !slices.Equal(ids(a.Body["purged"]), []string{d6}) {
		t.Fatalf("purge after lift: %s", a.Raw)
	}
	if n := e.Count(audit.CollectionName, bson.D{{Key: "action", Value: "file.legal_hold.lift"}, {Key: "resource_id", Value: f3}}); n != 1 {
		t.Fatalf("lift audited %d times", n)
	}
}
