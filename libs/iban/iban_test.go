package iban

import (
	"encoding/json"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/problem"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in      string
		ok      bool
		compact string
		format  string
		country string
	}{
		// docs/domain.md §6
		{"BE68539007547034", true, "BE68539007547034", "BE68 5390 0754 7034", "BE"},
		{"BE21001234567803", true, "BE21001234567803", "BE21 0012 3456 7803", "BE"},
		{"BE05068123456775", true, "BE05068123456775", "BE05 0681 2345 6775", "BE"},
		{"be68 5390 0754 7034", true, "BE68539007547034", "BE68 5390 0754 7034", "BE"},
		// Belgian account whose first ten digits are a multiple of 97: the national check is 97.
		{"BE54000000009797", true, "BE54000000009797", "BE54 0000 0000 9797", "BE"},
		// Foreign SEPA accounts (published examples of each country's format).
		{"DE89 3704 0044 0532 0130 00", true, "DE89370400440532013000", "DE89 3704 0044 0532 0130 00", "DE"},
		{"FR14 2004 1010 0505 0001 3M02 606", true, "FR1420041010050500013M02606", "FR14 2004 1010 0505 0001 3M02 606", "FR"},
		{"NL91ABNA0417164300", true, "NL91ABNA0417164300", "NL91 ABNA 0417 1643 00", "NL"},
		{"LU280019400644750000", true, "LU280019400644750000", "LU28 0019 4006 4475 0000", "LU"},
		{"GB29NWBK60161331926819", true, "GB29NWBK60161331926819", "GB29 NWBK 6016 1331 9268 19", "GB"},
		{"CH9300762011623852957", true, "CH9300762011623852957", "CH93 0076 2011 6238 5295 7", "CH"},
		{"NO9386011117947", true, "NO9386011117947", "NO93 8601 1117 947", "NO"},
		{"MT84MALT011000012345MTLCAST001S", true, "MT84MALT011000012345MTLCAST001S", "MT84 MALT 0110 0001 2345 MTLC AST0 01S", "MT"},
		{"SM86U0322509800000000270100", true, "SM86U0322509800000000270100", "SM86 U032 2509 8000 0000 0270 100", "SM"},
		{"VA59001123000012345678", true, "VA59001123000012345678", "VA59 0011 2300 0012 3456 78", "VA"},
		{"AD1200012030200359100100", true, "AD1200012030200359100100", "AD12 0001 2030 2003 5910 0100", "AD"},
		{"MC5811222000010123456789030", true, "MC5811222000010123456789030", "MC58 1122 2000 0101 2345 6789 030", "MC"},
		{"BE68539007547035", false, "", "", ""},              // ISO check fails
		{"BE6853900754703", false, "", "", ""},               // fifteen characters
		{"BE41539007547035", false, "", "", ""},              // ISO check right, national check wrong
		{"DE89370400440532013001", false, "", "", ""},        // ISO check fails
		{"DE8937040044053201300", false, "", "", ""},         // DE is 22 long
		{"US64SVBKUS6S3300958879", false, "", "", ""},        // not a SEPA country
		{"BR1800360305000010009795493C1", false, "", "", ""}, // valid ISO 13616, not SEPA
		{"BE68-5390-0754-7034!", false, "", "", ""},
		{"", false, "", "", ""},
	} {
		v, err := Parse(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("Parse(%q) err = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if !tc.ok {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse(%q) err = %v", tc.in, err)
			}
			continue
		}
		if v.String() != tc.compact || v.Format() != tc.format || v.Country() != tc.country || v.IsBelgian() != (tc.country == "BE") {
			t.Errorf("Parse(%q) = %s / %s / %s", tc.in, v, v.Format(), v.Country())
		}
	}
}

// The national check vector: ISO digits recomputed for a BBAN whose national check is wrong, so only the
// Belgian rule can reject it.
func TestBelgianNationalCheck(t *testing.T) {
	if mod97("539007547035"+"BE41") != 1 {
		t.Fatal("vector BE41539007547035 must pass the ISO check")
	}
	if belgianBBANValid("539007547035") {
		t.Error("national check accepted 539007547035")
	}
	if !belgianBBANValid("539007547034") {
		t.Error("national check rejected 539007547034")
	}
}

func TestEveryCountryLength(t *testing.T) {
	for c, n := range sepaLengths {
		if n < 15 || n > 34 || len(c) != 2 || !IsSEPACountry(c) {
			t.Errorf("%s: %d", c, n)
		}
	}
	for _, c := range []string{"BE", "NL", "FR", "DE", "LU", "CH", "GB", "MC", "SM", "VA", "AD", "IS", "LI", "NO"} {
		if !IsSEPACountry(c) {
			t.Errorf("%s missing", c)
		}
	}
}

func TestMarshalling(t *testing.T) {
	type doc struct {
		I IBAN `json:"i" bson:"i"`
	}
	var d doc
	if err := json.Unmarshal([]byte(`{"i":"be68 5390 0754 7034"}`), &d); err != nil || d.I.String() != "BE68539007547034" {
		t.Fatalf("json %v %v", d, err)
	}
	if err := json.Unmarshal([]byte(`{"i":"BE68539007547035"}`), &d); err == nil {
		t.Error("invalid IBAN accepted from JSON")
	}
	b, _ := bson.Marshal(doc{I: MustParse("BE68539007547034")})
	if s, _ := bson.Raw(b).Lookup("i").StringValueOK(); s != "BE68539007547034" {
		t.Errorf("bson = %v", bson.Raw(b))
	}
	var back doc
	if err := bson.Unmarshal(b, &back); err != nil || back.I != MustParse("BE68539007547034") {
		t.Errorf("bson back %v %v", back, err)
	}
	for _, l := range []string{"fr", "nl", "de", "en"} {
		if problem.Message(l, Code, nil) == Code {
			t.Errorf("no %s message", l)
		}
	}
}
