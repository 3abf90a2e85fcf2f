package niss

import (
	"encoding/json"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/problem"
)

// The vectors of docs/domain.md §6, and numbers built with the same rules.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in              string
		ok              bool
		compact, format string
		birth           string // "" when partial
		year            int
		sex             Sex
		bis             bool
	}{
		{in: "85071412330", ok: true, compact: "85071412330", format: "85.07.14-123.30", birth: "1985-07-14", year: 1985, sex: Male},
		{in: "85.07.14-123.30", ok: true, compact: "85071412330", format: "85.07.14-123.30", birth: "1985-07-14", year: 1985, sex: Male},
		{in: "850714 123 30", ok: true, compact: "85071412330", format: "85.07.14-123.30", birth: "1985-07-14", year: 1985, sex: Male},
		{in: "03022824093", ok: true, compact: "03022824093", format: "03.02.28-240.93", birth: "2003-02-28", year: 2003, sex: Female},
		{in: "90450100140", ok: true, compact: "90450100140", format: "90.45.01-001.40", birth: "1990-05-01", year: 1990, sex: Male, bis: true},
		// BIS, sex unknown (month + 20): 90 25 01 002, check 97 - 902501002 mod 97 = 93.
		{in: "90250100293", ok: true, compact: "90250100293", format: "90.25.01-002.93", birth: "1990-05-01", year: 1990, sex: Unknown, bis: true},
		// Registered with an unknown birth day and month (00 00).
		{in: "60000000195", ok: true, compact: "60000000195", format: "60.00.00-001.95", birth: "", year: 1960, sex: Male},
		{in: "85071412331", ok: false},     // wrong check digits
		{in: "8507141233", ok: false},      // ten digits
		{in: "850714123300", ok: false},    // twelve digits
		{in: "85.07.14-123.3O", ok: false}, // a letter O
		{in: "85023012397", ok: false},     // 1985-02-30 does not exist (check digits right)
		{in: "85131412372", ok: false},     // month 13
		{in: "", ok: false},
	} {
		n, err := Parse(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("Parse(%q) err = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if !tc.ok {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse(%q) err = %v, want ErrInvalid", tc.in, err)
			}
			continue
		}
		if n.String() != tc.compact || n.Format() != tc.format {
			t.Errorf("Parse(%q) = %s / %s", tc.in, n.String(), n.Format())
		}
		d, ok := n.BirthDate()
		if ok != (tc.birth != "") || (ok && d.String() != tc.birth) {
			t.Errorf("Parse(%q) birth = %s, %v; want %q", tc.in, d, ok, tc.birth)
		}
		if n.BirthYear() != tc.year || n.Sex() != tc.sex || n.IsBIS() != tc.bis {
			t.Errorf("Parse(%q) year %d sex %s bis %v", tc.in, n.BirthYear(), n.Sex(), n.IsBIS())
		}
	}
}

// The check digits decide the century: the same first nine digits give 2003 or 1903.
func TestCenturyFromCheckDigits(t *testing.T) {
	n := MustParse("03022824093")
	if n.BirthYear() != 2003 {
		t.Fatalf("year = %d", n.BirthYear())
	}
	// The same first nine digits with the check of the 1900s are someone born in 1903.
	if old := MustParse("03022824064"); old.BirthYear() != 1903 {
		t.Errorf("year = %d", old.BirthYear())
	}
}

func TestMarshalling(t *testing.T) {
	type doc struct {
		N NISS `json:"n" bson:"n"`
		Z NISS `json:"z" bson:"z"`
	}
	j, err := json.Marshal(doc{N: MustParse("85.07.14-123.30")})
	if err != nil || string(j) != `{"n":"85071412330","z":""}` {
		t.Fatalf("json %s %v", j, err)
	}
	var back doc
	if err := json.Unmarshal([]byte(`{"n":"85.07.14-123.30","z":""}`), &back); err != nil || back.N.String() != "85071412330" || !back.Z.IsZero() {
		t.Errorf("json back %+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"n":"85071412331"}`), &back); err == nil {
		t.Error("invalid number accepted from JSON")
	}
	b, err := bson.Marshal(doc{N: MustParse("85071412330")})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := bson.Raw(b).Lookup("n").StringValueOK(); s != "85071412330" {
		t.Errorf("bson n = %v", bson.Raw(b).Lookup("n"))
	}
	if bson.Raw(b).Lookup("z").Type != bson.TypeNull {
		t.Error("zero not stored as null")
	}
	var bb doc
	if err := bson.Unmarshal(b, &bb); err != nil || bb.N != MustParse("85071412330") || !bb.Z.IsZero() {
		t.Errorf("bson back %+v %v", bb, err)
	}
}

func TestMessages(t *testing.T) {
	for _, l := range []string{"fr", "nl", "de", "en"} {
		if problem.Message(l, Code, nil) == Code {
			t.Errorf("no %s message for %s", l, Code)
		}
	}
}
