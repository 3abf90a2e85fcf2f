package document_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/services/beneficiaries/document"
	"github.com/entraide/entraide/services/beneficiaries/internal/apitest"
)

var (
	workerA  = apitest.User{Tenant: "cpas-a", ID: "0190a000-0000-7000-8000-00000000000a", Roles: []string{"social_worker"}}
	worker2A = apitest.User{Tenant: "cpas-a", ID: "0190a000-0000-7000-8000-00000000002a", Roles: []string{"social_worker"}}
	workerC  = apitest.User{Tenant: "cpas-a", ID: "0190a000-0000-7000-8000-00000000003a", Roles: []string{"social_worker"}}
	headA    = apitest.User{Tenant: "cpas-a", ID: "0190a000-0000-7000-8000-0000000000ea", Roles: []string{"social_service_head"}}
	workerB  = apitest.User{Tenant: "cpas-b", ID: "0190b000-0000-7000-8000-00000000000b", Roles: []string{"social_worker"}}
	headB    = apitest.User{Tenant: "cpas-b", ID: "0190b000-0000-7000-8000-0000000000eb", Roles: []string{"social_service_head"}}
)

const purpose = "X-Purpose: case_follow_up"

// maxBytes keeps the test documents small (GridFS on FerretDB/SQLite reads every chunk on download).
const maxBytes = 4096

// form builds a multipart body with the fields "type" and "file"; the part's Content-Type is what a client
// claims, which the service ignores.
func form(t *testing.T, typ, name, claimed string, content []byte) *apitest.Raw {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if typ != "" {
		_ = mw.WriteField("type", typ)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, name))
	h.Set("Content-Type", claimed)
	w, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(content)
	_ = mw.Close()
	return &apitest.Raw{ContentType: mw.FormDataContentType(), Body: buf.Bytes()}
}

// setup creates team North {workerA, worker2A}, team South {workerC}, and a file of workerA.
func setup(t *testing.T) (*apitest.Env, string) {
	t.Helper()
	e := apitest.New(t, map[string]string{"BENEFICIARIES_DOCUMENT_MAX_BYTES": fmt.Sprint(maxBytes)})
	for name, members := range map[string][]string{"Nord": {workerA.ID, worker2A.ID}, "Sud": {workerC.ID}} {
		if a := e.Call(headA, "POST", "/v1/teams", map[string]any{"name": name, "members": members}); a.Status != 201 {
			t.Fatalf("team: %s", a.Raw)
		}
	}
	p := e.RegisterPerson(workerA, 1, "Dubois")
	a := e.Call(workerA, "POST", "/v1/files", map[string]any{"person_id": p})
	if a.Status != 201 {
		t.Fatalf("file: %s", a.Raw)
	}
	return e, a.Str("id")
}

func stored(e *apitest.Env) (docs, contents int64) {
	return e.Count(document.CollDocuments, nil), e.Count(document.Bucket+".files", nil)
}

func TestUploadListDownload(t *testing.T) {
	e, fileID := setup(t)
	pdf := []byte("%PDF-1.4\n% fiche de paie\n%%EOF\n")
	up := e.Call(workerA, "POST", "/v1/files/"+fileID+"/documents", form(t, "income_proof", "fiche de paie.pdf", "application/pdf", pdf), "Idempotency-Key: up-1")
	if up.Status != 201 || up.Str("content_type") != document.PDF || up.Str("type") != "income_proof" || up.Body["restricted"] != false {
		t.Fatalf("upload: %d %s", up.Status, up.Raw)
	}
	sum := sha256.Sum256(pdf)
	if up.Str("sha256") != hex.EncodeToString(sum[:]) || up.Body["size"].(float64) != float64(len(pdf)) || up.Str("name") != "fiche de paie.pdf" {
		t.Fatalf("metadata: %s", up.Raw)
	}
	id := up.Str("id")
	// A retry with the same key answers the first document; nothing more is stored.
	again := e.Call(workerA, "POST", "/v1/files/"+fileID+"/documents", form(t, "income_proof", "fiche de paie.pdf", "application/pdf", pdf), "Idempotency-Key: up-1")
	if again.Status != 201 || again.Str("id") != id || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %s", again.Status, again.Raw)
	}
	if d, c := stored(e); d != 1 || c != 1 {
		t.Fatalf("%d documents, %d contents after a retried upload", d, c)
	}
	// Each accepted type, sniffed whatever the client claims.
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"photo.bin", document.JPEG, []byte{0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3}},
		{"scan", document.PNG, []byte("\x89PNG\r\n\x1a\nrest")},
		{"bail.odt", document.ODT, document.ODTSample(t)},
		{"lettre.docx", document.DOCX, document.DOCXSample(t)},
	} {
		a := e.Call(workerA, "POST", "/v1/files/"+fileID+"/documents", form(t, "other", tc.name, "application/octet-stream", tc.data))
		if a.Status != 201 || a.Str("content_type") != tc.want {
			t.Errorf("%s: %d %s", tc.name, a.Status, a.Raw)
		}
	}

	list := e.Call(worker2A, "GET", "/v1/files/"+fileID+"/documents", nil, purpose)
	if list.Status != 200 || len(list.Items()) != 5 {
		t.Fatalf("list: %d %s", list.Status, list.Raw)
	}
	if a := e.Call(worker2A, "GET", "/v1/documents/"+id, nil, purpose); a.Status != 200 || a.Header.Get("ETag") != `"1"` {
		t.Fatalf("metadata: %d %s", a.Status, a.Raw)
	}
	dl := e.Call(worker2A, "GET", "/v1/documents/"+id+"/content", nil, "X-Purpose: social_inquiry")
	if dl.Status != 200 || !bytes.Equal(dl.Raw, pdf) {
		t.Fatalf("download: %d %q", dl.Status, dl.Raw)
	}
	h := dl.Header
	if h.Get("Content-Type") != document.PDF || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") || !strings.Contains(h.Get("Content-Disposition"), "fiche") {
		t.Fatalf("download headers: %v", h)
	}
	if a := e.Call(worker2A, "GET", "/v1/documents/"+id+"/content", nil); a.Status != 422 || a.Codes()["X-Purpose"] != "required" {
		t.Fatalf("download without purpose: %d %s", a.Status, a.Raw)
	}
	if n := e.Count(audit.CollectionName, bson.D{{Key: "action", Value: "document.download"}, {Key: "resource_id", Value: id},
		{Key: "purpose", Value: "social_inquiry"}, {Key: "actor_id", Value: worker2A.ID}, {Key: "file_id", Value: fileID}}); n != 1 {
		t.Fatalf("%d download audit records", n)
	}

	// Who sees the documents: another team and other tenants do not, by id or by listing; other roles get 403.
	for _, u := range []apitest.User{workerC, workerB, headB} {
		for _, path := range []string{"/v1/documents/" + id, "/v1/documents/" + id + "/content", "/v1/files/" + fileID + "/documents"} {
			if a := e.Call(u, "GET", path, nil, purpose); a.Status != 404 {
				t.Errorf("%s GET %s: %d", u.ID, path, a.Status)
			}
		}
		if a := e.Call(u, "POST", "/v1/files/"+fileID+"/documents", form(t, "other", "x.pdf", "application/pdf", pdf)); a.Status != 404 {
			t.Errorf("%s uploads into the file: %d", u.ID, a.Status)
		}
	}
	if n := e.Count(audit.CollectionName, bson.D{{Key: "action", Value: "document.download"}, {Key: "actor_id", Value: workerC.ID}, {Key: "outcome", Value: "denied"}}); n != 1 {
		t.Errorf("%d denied downloads audited", n)
	}
	for _, role := range []string{"accountant", "finance_director", "committee_member", "committee_secretary", "president", "tenant_admin", "dpo"} {
		u := apitest.User{Tenant: "cpas-a", ID: "0190a000-0000-7000-8000-0000000000ff", Roles: []string{role}}
		if a := e.Call(u, "GET", "/v1/documents/"+id+"/content", nil, purpose); a.Status != 403 {
			t.Errorf("%s downloads: %d", role, a.Status)
		}
		if a := e.Call(u, "POST", "/v1/files/"+fileID+"/documents", form(t, "other", "x.pdf", "application/pdf", pdf)); a.Status != 403 {
			t.Errorf("%s uploads: %d", role, a.Status)
		}
	}
}

func TestRefusedUploadsStoreNothing(t *testing.T) {
	e, fileID := setup(t)
	exe := append([]byte("MZ\x90\x00"), bytes.Repeat([]byte{0}, 100)...)
	for _, tc := range []struct {
		name   string
		body   *apitest.Raw
		status int
		field  string
	}{
		{"too large", form(t, "lease", "bail.pdf", "application/pdf", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("a"), maxBytes)...)), 413, ""},
		{"exe renamed pdf", form(t, "lease", "bail.pdf", "application/pdf", exe), 415, ""},
		{"html", form(t, "letter", "lettre.pdf", "application/pdf", []byte("<html><body>hi</body></html>")), 415, ""},
		{"no type", form(t, "", "bail.pdf", "application/pdf", []byte("%PDF-1.4")), 422, "type"},
		{"unknown type", form(t, "passport", "bail.pdf", "application/pdf", []byte("%PDF-1.4")), 422, "type"},
		{"empty file", form(t, "lease", "bail.pdf", "application/pdf", nil), 422, "file"},
		{"not multipart", &apitest.Raw{ContentType: "application/pdf", Body: []byte("%PDF-1.4")}, 415, ""},
	} {
		a := e.Call(workerA, "POST", "/v1/files/"+fileID+"/documents", tc.body)
		if a.Status != tc.status || (tc.field != "" && a.Messages()[tc.field] == "") {
			t.Errorf("%s: %d %s", tc.name, a.Status, a.Raw)
		}
		if tc.status == 413 || tc.status == 415 {
			if a.Header.Get("Content-Type") != "application/problem+json" || a.Str("detail") == "" {
				t.Errorf("%s: no clear problem: %s", tc.name, a.Raw)
			}
		}
	}
	if a := e.Call(workerA, "POST", "/v1/files/"+fileID+"/documents", form(t, "lease", "bail.pdf", "application/pdf", exe)); !strings.Contains(a.Str("detail"), "PDF, JPEG, PNG, ODT") {
		t.Errorf("415 detail not in Dutch: %s", a.Raw)
	}
	if d, c := stored(e); d != 0 || c != 0 {
		t.Fatalf("refused uploads stored %d documents and %d contents", d, c)
	}
	if n := e.Count(document.Bucket+".chunks", nil); n != 0 {
		t.Fatalf("%d chunks stored", n)
	}
}

func TestRestrictedDocumentsAndRemoval(t *testing.T) {
	e, fileID := setup(t)
	med := e.Call(workerA, "POST", "/v1/files/"+fileID+"/documents", form(t, "medical_certificate", "certificat.pdf", "application/pdf", []byte("%PDF-1.4 medical")))
	lease := e.Call(workerA, "POST", "/v1/files/"+fileID+"/documents", form(t, "lease", "bail.pdf", "application/pdf", []byte("%PDF-1.4 lease")))
	if med.Status != 201 || med.Body["restricted"] != true || lease.Status != 201 {
		t.Fatalf("uploads: %s / %s", med.Raw, lease.Raw)
	}
	count := func(u apitest.User) int {
		a := e.Call(u, "GET", "/v1/files/"+fileID+"/documents", nil, purpose)
		if a.Status != 200 {
			t.Fatalf("list as %s: %d", u.ID, a.Status)
		}
		return len(a.Items())
	}
	if count(workerA) != 2 || count(headA) != 2 || count(worker2A) != 1 {
		t.Fatalf("restricted listing: author %d head %d colleague %d", count(workerA), count(headA), count(worker2A))
	}
	for _, path := range []string{"/v1/documents/" + med.Str("id"), "/v1/documents/" + med.Str("id") + "/content"} {
		if a := e.Call(worker2A, "GET", path, nil, purpose); a.Status != 404 {
			t.Errorf("colleague GET %s: %d", path, a.Status)
		}
		if a := e.Call(headA, "GET", path, nil, purpose); a.Status != 200 {
			t.Errorf("head GET %s: %d", path, a.Status)
		}
	}

	id := lease.Str("id")
	if a := e.Call(workerA, "POST", "/v1/documents/"+id+"/removal", map[string]any{"reason": "erreur"}, `If-Match: "1"`); a.Status != 403 {
		t.Fatalf("worker removes: %d", a.Status)
	}
	if a := e.Call(headA, "POST", "/v1/documents/"+id+"/removal", map[string]any{"reason": " "}, `If-Match: "1"`); a.Status != 422 || a.Messages()["reason"] == "" {
		t.Fatalf("removal without reason: %d %s", a.Status, a.Raw)
	}
	if a := e.Call(headA, "POST", "/v1/documents/"+id+"/removal", map[string]any{"reason": "erreur"}); a.Status != 428 {
		t.Fatalf("removal without If-Match: %d", a.Status)
	}
	if a := e.Call(headB, "POST", "/v1/documents/"+id+"/removal", map[string]any{"reason": "x"}, `If-Match: "1"`); a.Status != 404 {
		t.Fatalf("other tenant removes: %d", a.Status)
	}
	if a := e.Call(headA, "POST", "/v1/documents/"+id+"/removal", map[string]any{"reason": "Déposé dans le mauvais dossier"}, `If-Match: "1"`); a.Status != 204 {
		t.Fatalf("removal: %d %s", a.Status, a.Raw)
	}
	for _, u := range []apitest.User{workerA, headA} {
		for _, path := range []string{"/v1/documents/" + id, "/v1/documents/" + id + "/content"} {
			if a := e.Call(u, "GET", path, nil, purpose); a.Status != 404 {
				t.Errorf("%s GET removed %s: %d", u.ID, path, a.Status)
			}
		}
	}
	if count(headA) != 1 {
		t.Errorf("removed document still listed")
	}
	// Kept for retention, with the removal recorded.
	var doc struct {
		Removal struct{ By, Reason string } `bson:"removal"`
	}
	if err := e.DB.Collection(document.CollDocuments).FindOne(t.Context(), bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Removal.By != headA.ID || doc.Removal.Reason != "Déposé dans le mauvais dossier" || e.Count(document.Bucket+".files", bson.D{{Key: "_id", Value: id}}) != 1 {
		t.Fatalf("removal record: %+v", doc)
	}
	if n := e.Count(audit.CollectionName, bson.D{{Key: "action", Value: "document.remove"}, {Key: "resource_id", Value: id}}); n != 1 {
		t.Errorf("%d removal audit records", n)
	}
}
