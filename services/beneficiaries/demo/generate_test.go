package demo

import (
	"bytes"
	"fmt"
	"image/png"
	"regexp"
	"strconv"
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/niss"
	"github.com/entraide/entraide/services/beneficiaries/document"
)

func TestNISSForGivesTheVectorsOfTheDomain(t *testing.T) {
	for _, c := range []struct {
		birth  string
		serial int
		kind   NISSKind
		want   string
	}{
		{"1985-07-14", 123, NationalRegister, "85071412330"},
		{"2003-02-28", 240, NationalRegister, "03022824093"},
		{"1990-05-01", 1, BISSexKnown, "90450100140"},
	} {
		n, err := NISSFor(civil.MustParse(c.birth), c.serial, c.kind)
		if err != nil || n.String() != c.want {
			t.Errorf("NISSFor(%s, %d, %d) = %q, %v; want %s", c.birth, c.serial, c.kind, n.String(), err, c.want)
		}
	}
	if n, err := NISSFor(civil.MustParse("1980-01-01"), 1, NoNumber); err != nil || !n.IsZero() {
		t.Errorf("NoNumber gave %q, %v", n.String(), err)
	}
	for _, serial := range []int{0, 999} {
		if _, err := NISSFor(civil.MustParse("1980-01-01"), serial, NationalRegister); err == nil {
			t.Errorf("serial %d accepted", serial)
		}
	}
}

// Every day of a few years either side of 2000, both sexes, each kind: the number parses back to the birth date
// and the sex (unknown for a BIS number + 20).
func TestNISSForRoundTripsEveryBirthAndSex(t *testing.T) {
	for day := civil.MustParse("1940-01-01"); day.Year() <= 2024; day = day.AddDays(11) {
		for i, sex := range []niss.Sex{niss.Male, niss.Female} {
			for _, kind := range []NISSKind{NationalRegister, BISSexKnown, BISSexUnknown} {
				serial := Serial(day.Day()+i, sex)
				n, err := NISSFor(day, serial, kind)
				if err != nil {
					t.Fatalf("%s %s kind %d: %v", day, sex, kind, err)
				}
				wantSex := sex
				if kind == BISSexUnknown {
					wantSex = niss.Unknown
				}
				if b, ok := n.BirthDate(); !ok || b != day || n.Sex() != wantSex || n.IsBIS() != (kind != NationalRegister) {
					t.Fatalf("%s (%s, kind %d) reads back as %s %v %s bis=%v", n.Format(), sex, kind, b, ok, n.Sex(), n.IsBIS())
				}
			}
		}
	}
}

func TestBelgianIBANGivesTheVectorsAndValidAccounts(t *testing.T) {
	for _, c := range []struct {
		bank, account int
		want          string
	}{
		{539, 75470, "BE68539007547034"},
		{1, 2345678, "BE21001234567803"},
		{68, 1234567, "BE05068123456775"},
	} {
		v, err := BelgianIBAN(c.bank, c.account)
		if err != nil || v.String() != c.want {
			t.Errorf("BelgianIBAN(%d, %d) = %q, %v; want %s", c.bank, c.account, v.String(), err, c.want)
		}
	}
	// Accounts whose first ten digits are a multiple of 97 carry the national check 97.
	for account := 0; account < 3_000; account += 7 {
		v, err := BelgianIBAN(97, account)
		if err != nil {
			t.Fatalf("account %d: %v", account, err)
		}
		if _, err := iban.Parse(v.Format()); err != nil {
			t.Fatalf("%s does not parse back: %v", v.Format(), err)
		}
	}
	for _, c := range [][2]int{{-1, 0}, {1000, 0}, {1, 10_000_000}} {
		if _, err := BelgianIBAN(c[0], c[1]); err == nil {
			t.Errorf("BelgianIBAN(%d, %d) accepted", c[0], c[1])
		}
	}
}

func TestPDFIsWellFormed(t *testing.T) {
	b := PDF("Première ligne (démo)", `back\slash`)
	if ct, err := document.Sniff(b); err != nil || ct != document.PDF {
		t.Fatalf("sniffed as %q, %v", ct, err)
	}
	// Every cross-reference entry points at its object, and startxref at the table.
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no startxref at the end:\n%s", b)
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(b[xref:], []byte("xref\n0 6\n")) {
		t.Fatalf("startxref %d does not point at the table", xref)
	}
	entries := regexp.MustCompile(`(\d{10}) 00000 n `).FindAllSubmatch(b[xref:], -1)
	if len(entries) != 5 {
		t.Fatalf("%d xref entries", len(entries))
	}
	for i, e := range entries {
		off, _ := strconv.Atoi(string(e[1]))
		if want := fmt.Sprintf("%d 0 obj\n", i+1); !bytes.HasPrefix(b[off:], []byte(want)) {
			t.Errorf("entry %d points at %q", i+1, b[off:off+10])
		}
	}
	if !bytes.Contains(b, []byte(`(Premi?re ligne \(d?mo\)) Tj`)) || !bytes.Contains(b, []byte(`(back\\slash) Tj`)) {
		t.Errorf("text not escaped:\n%s", b)
	}
}

func TestPNGDecodes(t *testing.T) {
	b, err := PNG(3)
	if err != nil {
		t.Fatal(err)
	}
	if ct, err := document.Sniff(b); err != nil || ct != document.PNG {
		t.Fatalf("sniffed as %q, %v", ct, err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() != 96 || img.Bounds().Dy() != 60 {
		t.Fatalf("decode: %v", err)
	}
	if len(b) > 4<<10 {
		t.Errorf("%d bytes: not tiny", len(b))
	}
}

func TestFamilyNamesCoverEveryPerson(t *testing.T) {
	names := FamilyNames()
	if PersonCount() != 50 || len(names) < 30 {
		t.Fatalf("%d persons, %d family names", PersonCount(), len(names))
	}
	for _, want := range []string{"Müller", "Dupont-Lefèvre", "Van den Broeck", "Çelik", "Nguyễn"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("%s missing from the demo", want)
		}
	}
}
