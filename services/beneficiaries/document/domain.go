// Package document owns the documents attached to a social file: their content in MongoDB GridFS, their type
// (a medical certificate is restricted to its uploader and the head, like a restricted note), the content type
// found by sniffing the bytes (PDF, JPEG, PNG, ODT, DOCX; never the client's word nor the extension), their
// SHA-256, their download, and their removal by the head with a reason: a removed document is hidden from every
// use but kept for the retention period, with the removal recorded. Contents a crash left without metadata
// are swept (Module.Run: at start, then hourly, those older than an hour).
//
// This file is the domain: types, rules and content sniffing, without I/O.
package document

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/beneficiaries/file"
)

// Errors of the domain.
var (
	// ErrNotFound covers a missing document, another tenant's, one the caller may not see and a removed one.
	ErrNotFound = errors.New("document: not found")
	// ErrTooLarge is content above the configured maximum.
	ErrTooLarge = errors.New("document: content too large")
	// ErrForbiddenType is content whose bytes are none of the allowed types.
	ErrForbiddenType = errors.New("document: content type not allowed")
	// ErrForbidden is an action the caller may not take on a document they see.
	ErrForbidden = errors.New("document: action not allowed")
)

// Type is what a document is for.
type Type string

// Document types. A medical certificate is health data (a special category): restricted.
const (
	TypeIdentity           Type = "identity"
	TypeIncomeProof        Type = "income_proof"
	TypeLease              Type = "lease"
	TypeBankProof          Type = "bank_proof"
	TypeMedicalCertificate Type = "medical_certificate"
	TypeLetter             Type = "letter"
	TypeOther              Type = "other"
)

// Types lists the document types.
var Types = []Type{TypeIdentity, TypeIncomeProof, TypeLease, TypeBankProof, TypeMedicalCertificate, TypeLetter, TypeOther}

// Restricted tells whether documents of this type are seen by their uploader and the head only.
func (t Type) Restricted() bool { return t == TypeMedicalCertificate }

// Content types the service accepts, as sniffed.
const (
	PDF  = "application/pdf"
	JPEG = "image/jpeg"
	PNG  = "image/png"
	ODT  = "application/vnd.oasis.opendocument.text"
	DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)

// Sniff tells the content type of data from its bytes alone, or ErrForbiddenType. ODT and DOCX are ZIP
// archives: an ODT names its type in its "mimetype" entry, a DOCX declares its main part in
// [Content_Types].xml; any other ZIP (an .exe packed, a spreadsheet) is refused.
func Sniff(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return PDF, nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return JPEG, nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, nil
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return sniffZip(data)
	}
	return "", ErrForbiddenType
}

const maxZipEntry = 1 << 20

func sniffZip(data []byte) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", ErrForbiddenType
	}
	read := func(name string) ([]byte, bool) {
		for _, f := range zr.File {
			if f.Name != name {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				return nil, false
			}
			defer rc.Close()
			b, err := io.ReadAll(io.LimitReader(rc, maxZipEntry))
			return b, err == nil
		}
		return nil, false
	}
	if b, ok := read("mimetype"); ok && strings.TrimSpace(string(b)) == ODT {
		return ODT, nil
	}
	if b, ok := read("[Content_Types].xml"); ok &&
		bytes.Contains(b, []byte("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")) {
		return DOCX, nil
	}
	return "", ErrForbiddenType
}

// Extension is the file name extension of a sniffed content type.
func Extension(contentType string) string {
	switch contentType {
	case PDF:
		return ".pdf"
	case JPEG:
		return ".jpg"
	case PNG:
		return ".png"
	case ODT:
		return ".odt"
	case DOCX:
		return ".docx"
	}
	return ""
}

// Removal records a document's removal by the head.
type Removal struct {
	At     time.Time `bson:"at" json:"at"`
	By     string    `bson:"by" json:"by"`
	Reason string    `bson:"reason" json:"reason"`
}

// Document is the metadata of a document as stored (libs/store flattens it beside _id, tenant, version).
type Document struct {
	FileID      string    `bson:"file_id"`
	Type        Type      `bson:"type"`
	Restricted  bool      `bson:"restricted"`
	ContentType string    `bson:"content_type"`
	Size        int64     `bson:"size"`
	SHA256      string    `bson:"sha256"`
	Name        string    `bson:"name"`
	UploadedBy  string    `bson:"uploaded_by"`
	UploadedAt  time.Time `bson:"uploaded_at"`
	Removal     *Removal  `bson:"removal,omitempty"`
}

// VisibleTo tells whether a viewer who sees the document's file may see the document: never once removed; a
// restricted one only by its uploader and the head.
func (d Document) VisibleTo(v file.Viewer) bool {
	if d.Removal != nil {
		return false
	}
	return !d.Restricted || v.Head || d.UploadedBy == v.UserID
}

const (
	maxName   = 200
	maxReason = 1000
)

// ParseType checks a document type.
func ParseType(s string) (Type, error) {
	t := Type(strings.TrimSpace(s))
	if t == "" {
		return "", problem.Invalid(problem.Field("type", "required"))
	}
	if !slices.Contains(Types, t) {
		return "", problem.Invalid(problem.Field("type", "invalid_choice"))
	}
	return t, nil
}

// CleanName keeps the base of a client's file name without control or path characters, cut to a sane length,
// with the extension of the sniffed type (the client's extension proves nothing); empty names become
// "document".
func CleanName(name, contentType string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.TrimSuffix(name, path.Ext(name))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || strings.ContainsRune(`/\:*?"<>|;`, r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." {
		name = "document"
	}
	for utf8.RuneCountInString(name) > maxName {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name + Extension(contentType)
}

// Remove hides the document for good, recording who and why.
func (d *Document) Remove(by, reason string, at time.Time) error {
	if d.Removal != nil {
		return ErrNotFound
	}
	reason = strings.TrimSpace(reason)
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return problem.Invalid(problem.Field("reason", "required"))
	case n > maxReason:
		return problem.Invalid(problem.Field("reason", "too_long", "max", maxReason))
	}
	d.Removal = &Removal{At: at.UTC().Truncate(time.Millisecond), By: by, Reason: reason}
	return nil
}
