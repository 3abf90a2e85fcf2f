package document

import (
	"archive/zip"
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/entraide/entraide/services/beneficiaries/file"
)

// zipOf builds a ZIP archive with the given entries, in order.
func zipOf(t testing.TB, entries ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Samples of each accepted type and of refused ones, shared with the API tests.
func ODTSample(t testing.TB) []byte {
	return zipOf(t, [2]string{"mimetype", ODT}, [2]string{"content.xml", "<office:document-content/>"})
}

func DOCXSample(t testing.TB) []byte {
	return zipOf(t, [2]string{"[Content_Types].xml", `<Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		[2]string{"word/document.xml", "<w:document/>"})
}

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"pdf", []byte("%PDF-1.7\n1 0 obj\n"), PDF},
		{"jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}, JPEG},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), PNG},
		{"odt", ODTSample(t), ODT},
		{"docx", DOCXSample(t), DOCX},
		{"exe renamed pdf", append([]byte("MZ\x90\x00\x03"), make([]byte, 64)...), ""},
		{"html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), ""},
		{"pdf later in the file", []byte("junk%PDF-1.7"), ""},
		{"xlsx", zipOf(t, [2]string{"[Content_Types].xml", `<Types><Override ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`}), ""},
		{"ods", zipOf(t, [2]string{"mimetype", "application/vnd.oasis.opendocument.spreadsheet"}), ""},
		{"plain zip", zipOf(t, [2]string{"a.exe", "MZ"}), ""},
		{"truncated zip", []byte("PK\x03\x04garbage"), ""},
		{"empty", nil, ""},
	} {
		got, err := Sniff(tc.data)
		if tc.want == "" {
			if !errors.Is(err, ErrForbiddenType) {
				t.Errorf("%s: accepted as %q", tc.name, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v", tc.name, got, err)
		}
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"attestation CPAS.pdf":      "attestation CPAS.pdf",
		"../../etc/passwd":          "passwd.pdf",
		`C:\Users\jean\bail.docx`:   "bail.pdf",
		"virus.exe":                 "virus.pdf",
		"":                          "document.pdf",
		"a\x00b\"c;d.pdf":           "abcd.pdf",
		"fiche de paie février.PDF": "fiche de paie février.pdf",
	} {
		if got := CleanName(in, PDF); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVisibilityAndRemoval(t *testing.T) {
	d := Document{Type: TypeMedicalCertificate, Restricted: TypeMedicalCertificate.Restricted(), UploadedBy: "w1"}
	for _, tc := range []struct {
		v    file.Viewer
		want bool
	}{{file.Viewer{UserID: "w1"}, true}, {file.Viewer{UserID: "w2", Teams: []string{"t"}}, false}, {file.Viewer{UserID: "h", Head: true}, true}} {
		if d.VisibleTo(tc.v) != tc.want {
			t.Errorf("restricted document visible to %+v: %v", tc.v, !tc.want)
		}
	}
	if !(Document{Type: TypeLease}).VisibleTo(file.Viewer{UserID: "w2"}) {
		t.Error("a lease is not restricted")
	}
	if err := d.Remove("h", "  ", time.Now()); err == nil {
		t.Fatal("removal without reason")
	}
	if err := d.Remove("h", "Déposé par erreur dans le mauvais dossier", time.Now()); err != nil || d.Removal == nil {
		t.Fatal(err)
	}
	if d.VisibleTo(file.Viewer{UserID: "h", Head: true}) {
		t.Error("removed document still visible to the head")
	}
	if err := d.Remove("h", "again", time.Now()); !errors.Is(err, ErrNotFound) {
		t.Errorf("removed twice: %v", err)
	}
	for _, typ := range []string{"identity", "income_proof", "lease", "bank_proof", "medical_certificate", "letter", "other"} {
		if _, err := ParseType(typ); err != nil {
			t.Errorf("type %s refused", typ)
		}
	}
	if _, err := ParseType("passport"); err == nil {
		t.Error("unknown type accepted")
	}
}
