package letter

import (
	"bytes"
	_ "embed"
	"html/template"
	"io"
)

// DocumentKind says which letter a Document is.
type DocumentKind string

// The letters.
const (
	KindDecision       DocumentKind = "decision"
	KindAcknowledgment DocumentKind = "acknowledgment"
	KindHearing        DocumentKind = "hearing"
	KindChange         DocumentKind = "change"
)

// Row is a line of a table: a label and a value (an amount, a date). Total rows are printed in bold.
type Row struct {
	Label string `json:"label"`
	Value string `json:"value"`
	Total bool   `json:"total,omitempty"`
}

// Section is a titled part of a letter: paragraphs, then a list, then a table, then an address block, each
// printed when present.
type Section struct {
	Heading    string   `json:"heading"`
	Paragraphs []string `json:"paragraphs,omitempty"`
	List       []string `json:"list,omitempty"`
	Table      []Row    `json:"table,omitempty"`
	// Block is printed as an address: one line each (the labour court's).
	Block []string `json:"block,omitempty"`
	// After are paragraphs printed after the list, table and block.
	After []string `json:"after,omitempty"`
}

// Document is a letter ready to print, in its language: what both the HTML and the PDF renderers write. The web
// front end may also show it as it is.
type Document struct {
	Kind DocumentKind `json:"kind"`
	Lang Lang         `json:"lang"`
	// Title is the letter's subject line.
	Title string `json:"title"`
	// Sender and Recipient are the address blocks, one line each.
	Sender    []string `json:"sender"`
	Recipient []string `json:"recipient"`
	// Meta are the references printed under the addresses: file reference, social worker, date….
	Meta       []Row     `json:"meta"`
	Salutation string    `json:"salutation"`
	Intro      []string  `json:"intro,omitempty"`
	Sections   []Section `json:"sections"`
	Closing    []string  `json:"closing"`
	// Signature lines, e.g. the CPAS's name.
	Signature []string `json:"signature"`
	// Footer is printed at the bottom of each page (the file reference): no personal data.
	Footer string `json:"footer"`
}

//go:embed letter.html.tmpl
var letterTemplate string

var htmlTemplate = template.Must(template.New("letter").Parse(letterTemplate))

// HTML writes the document as a standalone HTML page (no external resource) with an A4 print stylesheet.
func (d Document) HTML(w io.Writer) error {
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, d); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}
