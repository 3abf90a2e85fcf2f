package demo

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/niss"
)

// NISSKind is which kind of number a generated identity carries.
type NISSKind int

// The kinds: a national register number, a BIS number whose month is + 40 (sex known) or + 20 (sex unknown),
// or no number at all.
const (
	NationalRegister NISSKind = iota
	BISSexKnown
	BISSexUnknown
	NoNumber
)

// NISSFor builds the number of someone born on birth with the daily serial (1–998; odd for a man, even for a
// woman, as the register assigns them), following docs/domain.md §6: the check is 97 − (first nine digits mod
// 97), with a 2 put before them for births from 2000. It returns the zero NISS for NoNumber and an error for a
// serial out of range.
func NISSFor(birth civil.Date, serial int, kind NISSKind) (niss.NISS, error) {
	if kind == NoNumber {
		return niss.NISS{}, nil
	}
	if serial < 1 || serial > 998 {
		return niss.NISS{}, fmt.Errorf("demo: NISS serial %d out of 1–998", serial)
	}
	month := int(birth.Month())
	switch kind {
	case BISSexKnown:
		month += 40
	case BISSexUnknown:
		month += 20
	}
	first9 := (birth.Year()%100)*10_000_000 + month*100_000 + birth.Day()*1_000 + serial
	base := first9
	if birth.Year() >= 2000 {
		base += 2_000_000_000
	}
	return niss.Parse(fmt.Sprintf("%09d%02d", first9, 97-base%97))
}

// Serial is the n-th daily serial of a sex: odd numbers for men, even ones for women (n from 0).
func Serial(n int, sex niss.Sex) int {
	s := 1 + 2*(n%499)
	if sex == niss.Female {
		s++
	}
	return s
}

// BelgianIBAN builds a valid Belgian IBAN from a bank code (3 digits) and an account number (7 digits): the
// national check is the first ten digits mod 97 (97 for 0), the ISO 13616 check digits make the whole number
// mod 97 equal 1 (BE = 11 14).
func BelgianIBAN(bank, account int) (iban.IBAN, error) {
	if bank < 0 || bank > 999 || account < 0 || account > 9_999_999 {
		return iban.IBAN{}, fmt.Errorf("demo: bank %d or account %d out of range", bank, account)
	}
	first10 := bank*10_000_000 + account
	national := first10 % 97
	if national == 0 {
		national = 97
	}
	bban := fmt.Sprintf("%010d%02d", first10, national)
	// ISO 13616: BBAN + "BE00" as digits (B = 11, E = 14), mod 97; check digits = 98 − remainder.
	r := 0
	for _, c := range bban + "111400" {
		r = (r*10 + int(c-'0')) % 97
	}
	return iban.Parse(fmt.Sprintf("BE%02d%s", 98-r, bban))
}

// PDF returns a small, well-formed one-page PDF showing lines of text (ASCII; other characters become '?'),
// with a correct cross-reference table, so any reader opens it.
func PDF(lines ...string) []byte {
	var content bytes.Buffer
	content.WriteString("BT /F1 14 Tf 56 780 Td 18 TL\n")
	for _, l := range lines {
		content.WriteString("(" + pdfString(l) + ") Tj T*\n")
	}
	content.WriteString("ET\n")
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

func pdfString(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// PNG returns a small PNG image (a card-like drawing in the given hue), standing for a scanned document.
func PNG(seed int) ([]byte, error) {
	const w, h = 96, 60
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	base := color.RGBA{R: uint8(80 + seed*37%150), G: uint8(90 + seed*53%140), B: uint8(120 + seed*29%120), A: 255}
	for y := range h {
		for x := range w {
			c := base
			switch {
			case x < 3 || y < 3 || x >= w-3 || y >= h-3:
				c = color.RGBA{R: 30, G: 30, B: 30, A: 255}
			case x >= 8 && x < 30 && y >= 10 && y < 40: // the photo
				c = color.RGBA{R: 200, G: 200, B: 200, A: 255}
			case x >= 36 && x < 88 && y%8 < 2 && y >= 12 && y < 44: // the lines of text
				c = color.RGBA{R: 40, G: 40, B: 60, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("demo: png: %w", err)
	}
	return b.Bytes(), nil
}
