package letter

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// PDFOptions tunes the PDF output.
type PDFOptions struct {
	// Uncompressed leaves the page streams readable (for tests and debugging).
	Uncompressed bool
	// Created is the creation date written in the PDF's metadata; the zero time writes the time of rendering.
	// A fixed time gives the same bytes for the same letter.
	Created time.Time
}

// Page geometry, in millimetres (A4).
const (
	pdfMargin      = 20.0
	pdfWidth       = 210.0 - 2*pdfMargin
	pdfLine        = 5.0
	pdfRecipientX  = 110.0
	pdfRecipientY  = 50.0
	pdfValueColumn = 35.0
)

// outsideCP1252 replaces the characters the letters use that the cp1252 code page lacks (the translator would
// print a dot): the minus sign of the RIS working, thin and narrow spaces, comparison signs.
var outsideCP1252 = strings.NewReplacer("\u2212", "-", "\u202f", " ", "\u2009", " ", "\u2264", "<=", "\u2265", ">=")

// PDF writes the document as an A4 PDF with the core Helvetica font; text is translated to the cp1252 code page
// the core fonts use, so French and Dutch accents and the euro sign print.
func (d Document) PDF(w io.Writer, opt PDFOptions) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(!opt.Uncompressed)
	pdf.SetCreationDate(opt.Created)
	pdf.SetModificationDate(opt.Created)
	pdf.SetCatalogSort(true)
	pdf.SetTitle(d.Title, true)
	pdf.SetCreator("Entraide", true)
	pdf.SetLang(string(d.Lang))
	pdf.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	pdf.SetAutoPageBreak(true, pdfMargin+5)
	cp1252 := pdf.UnicodeTranslatorFromDescriptor("cp1252")
	tr := func(s string) string { return cp1252(outsideCP1252.Replace(s)) }
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-pdfMargin)
		pdf.SetFont("Helvetica", "", 8)
		pdf.CellFormat(pdfWidth/2, 4, tr(d.Footer), "T", 0, "L", false, 0, "")
		pdf.CellFormat(pdfWidth/2, 4, fmt.Sprintf("%d/{nb}", pdf.PageNo()), "T", 0, "R", false, 0, "")
	})
	pdf.AddPage()

	pdf.SetFont("Helvetica", "", 9)
	for i, l := range d.Sender {
		style := ""
		if i == 0 {
			style = "B"
		}
		pdf.SetFont("Helvetica", style, 9)
		pdf.CellFormat(pdfRecipientX-pdfMargin-5, 4.2, tr(l), "", 1, "L", false, 0, "")
	}
	afterSender := pdf.GetY()
	pdf.SetFont("Helvetica", "", 10.5)
	pdf.SetXY(pdfRecipientX, pdfRecipientY)
	for _, l := range d.Recipient {
		pdf.SetX(pdfRecipientX)
		pdf.CellFormat(210-pdfMargin-pdfRecipientX, pdfLine, tr(l), "", 1, "L", false, 0, "")
	}
	pdf.SetY(max(pdf.GetY(), afterSender) + 12)

	pdf.SetFont("Helvetica", "B", 9)
	labelWidth := 0.0
	for _, m := range d.Meta {
		labelWidth = max(labelWidth, pdf.GetStringWidth(tr(m.Label))+4)
	}
	for _, m := range d.Meta {
		pdf.SetFont("Helvetica", "B", 9)
		pdf.CellFormat(labelWidth, 4.5, tr(m.Label), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 9)
		pdf.MultiCell(pdfWidth-labelWidth, 4.5, tr(m.Value), "", "L", false)
	}
	pdf.Ln(6)

	pdf.SetFont("Helvetica", "B", 12)
	pdf.MultiCell(pdfWidth, 6, tr(d.Title), "", "L", false)
	pdf.Ln(3)
	paragraph := func(s string) {
		pdf.SetFont("Helvetica", "", 10.5)
		pdf.MultiCell(pdfWidth, pdfLine, tr(s), "", "L", false)
		pdf.Ln(1.5)
	}
	paragraph(d.Salutation)
	for _, p := range d.Intro {
		paragraph(p)
	}
	for _, s := range d.Sections {
		pdf.Ln(2)
		pdf.SetFont("Helvetica", "B", 11)
		pdf.MultiCell(pdfWidth, 6, tr(s.Heading), "", "L", false)
		pdf.Ln(1)
		for _, p := range s.Paragraphs {
			paragraph(p)
		}
		for _, item := range s.List {
			pdf.SetFont("Helvetica", "", 10.5)
			pdf.CellFormat(5, pdfLine, tr("•"), "", 0, "L", false, 0, "")
			pdf.MultiCell(pdfWidth-5, pdfLine, tr(item), "", "L", false)
		}
		if len(s.List) > 0 {
			pdf.Ln(1.5)
		}
		for _, r := range s.Table {
			style, border := "", "B"
			if r.Total {
				style = "B"
			}
			pdf.SetFont("Helvetica", style, 9.5)
			y := pdf.GetY()
			pdf.MultiCell(pdfWidth-pdfValueColumn, 4.8, tr(r.Label), border, "L", false)
			bottom := pdf.GetY()
			if bottom < y { // the label moved to a new page
				y = pdfMargin
			}
			pdf.SetXY(pdfMargin+pdfWidth-pdfValueColumn, y)
			pdf.CellFormat(pdfValueColumn, bottom-y, tr(r.Value), border, 1, "RT", false, 0, "")
			pdf.SetY(bottom)
		}
		if len(s.Table) > 0 {
			pdf.Ln(2)
		}
		if len(s.Block) > 0 {
			for i, l := range s.Block {
				style := ""
				if i == 0 {
					style = "B"
				}
				pdf.SetFont("Helvetica", style, 10.5)
				pdf.SetX(pdfMargin + 8)
				pdf.CellFormat(pdfWidth-8, pdfLine, tr(l), "", 1, "L", false, 0, "")
			}
			pdf.Ln(2)
		}
		for _, p := range s.After {
			paragraph(p)
		}
	}
	pdf.Ln(2)
	for _, p := range d.Closing {
		paragraph(p)
	}
	pdf.Ln(8)
	for _, l := range d.Signature {
		pdf.SetFont("Helvetica", "", 10.5)
		pdf.CellFormat(pdfWidth, pdfLine, tr(l), "", 1, "L", false, 0, "")
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("letter: pdf: %w", err)
	}
	return pdf.Output(w)
}
