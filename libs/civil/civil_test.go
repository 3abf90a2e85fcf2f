package civil

import (
	"encoding/json"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"2026-01-31", "2026-01-31", true},
		{"2024-02-29", "2024-02-29", true},
		{"2025-02-29", "", false},
		{"2025-13-01", "", false},
		{"2025-00-10", "", false},
		{"2025-04-31", "", false},
		{"2025-4-3", "", false},
		{"25-04-03xx", "", false},
		{"2025/04/03", "", false},
		{"", "", false},
		{"0000-01-01", "", false},
	} {
		d, err := Parse(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("Parse(%q) err = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && d.String() != tc.want {
			t.Errorf("Parse(%q) = %s", tc.in, d)
		}
	}
}

func TestArithmetic(t *testing.T) {
	d := MustParse("2025-03-29") // the DST switch in Brussels is on 2025-03-30
	if got := d.AddDays(2).String(); got != "2025-03-31" {
		t.Errorf("AddDays across DST = %s", got)
	}
	if got := MustParse("2024-12-31").AddDays(1).String(); got != "2025-01-01" {
		t.Errorf("AddDays across year = %s", got)
	}
	if got := MustParse("2025-03-01").AddDays(-1).String(); got != "2025-02-28" {
		t.Errorf("AddDays back = %s", got)
	}
	if got := MustParse("2024-01-01").DaysUntil(MustParse("2025-01-01")); got != 366 {
		t.Errorf("DaysUntil = %d", got)
	}
	if !MustParse("2025-01-01").Before(MustParse("2025-01-02")) || MustParse("2025-01-02").Before(MustParse("2025-01-02")) {
		t.Error("Before")
	}
	if !MustParse("2025-02-01").After(MustParse("2025-01-31")) {
		t.Error("After")
	}
	if got := MustParse("2026-07-21").Weekday(); got != time.Tuesday {
		t.Errorf("Weekday = %v", got)
	}
	for _, tc := range []struct {
		born, on string
		years    int
	}{
		{"2008-05-10", "2026-05-09", 17},
		{"2008-05-10", "2026-05-10", 18},
		{"2008-02-29", "2026-02-28", 17},
		{"2008-02-29", "2026-03-01", 18},
		{"2026-01-01", "2025-01-01", -1},
	} {
		if got := MustParse(tc.born).YearsOn(MustParse(tc.on)); got != tc.years {
			t.Errorf("%s YearsOn %s = %d, want %d", tc.born, tc.on, got, tc.years)
		}
	}
}

func TestOfUsesBrussels(t *testing.T) {
	// 23:30 UTC on 31 December is already 1 January in Brussels.
	if got := Of(time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC)).String(); got != "2026-01-01" {
		t.Errorf("Of = %s", got)
	}
	if got := MustParse("2026-06-01").Start(); !got.Equal(time.Date(2026, 5, 31, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("Start = %v", got)
	}
	if Today().IsZero() {
		t.Error("Today is zero")
	}
}

func TestJSON(t *testing.T) {
	type doc struct {
		D Date  `json:"d"`
		Z Date  `json:"z"`
		P *Date `json:"p,omitempty"`
	}
	b, err := json.Marshal(doc{D: MustParse("2026-02-03")})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"d":"2026-02-03","z":null}` {
		t.Errorf("json = %s", b)
	}
	var back doc
	if err := json.Unmarshal(b, &back); err != nil || back.D.String() != "2026-02-03" || !back.Z.IsZero() {
		t.Errorf("back = %+v, %v", back, err)
	}
	for _, bad := range []string{`{"d":"2026-02-30"}`, `{"d":20260203}`, `{"d":"03/02/2026"}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
}

func TestBSON(t *testing.T) {
	type doc struct {
		D Date `bson:"d"`
		Z Date `bson:"z"`
	}
	b, err := bson.Marshal(doc{D: MustParse("2026-02-03")})
	if err != nil {
		t.Fatal(err)
	}
	raw := bson.Raw(b)
	if s, ok := raw.Lookup("d").StringValueOK(); !ok || s != "2026-02-03" {
		t.Errorf("stored as %v", raw.Lookup("d"))
	}
	if raw.Lookup("z").Type != bson.TypeNull {
		t.Errorf("zero stored as %v", raw.Lookup("z").Type)
	}
	var back doc
	if err := bson.Unmarshal(b, &back); err != nil || back.D != MustParse("2026-02-03") || !back.Z.IsZero() {
		t.Errorf("back = %+v, %v", back, err)
	}
	bad, _ := bson.Marshal(bson.M{"d": "2026-02-30"})
	if err := bson.Unmarshal(bad, &back); err == nil {
		t.Error("invalid stored date accepted")
	}
}

func TestLong(t *testing.T) {
	for _, tc := range []struct {
		d          Date
		lang, want string
	}{
		{MustNew(2026, 1, 1), "fr", "1er janvier 2026"},
		{MustNew(2026, 8, 15), "fr", "15 août 2026"},
		{MustNew(2026, 1, 1), "nl", "1 januari 2026"},
		{MustNew(2025, 3, 21), "de", "21. März 2025"},
		{MustNew(2024, 2, 29), "en", "29 February 2024"},
		{MustNew(2024, 12, 2), "xx", "2 décembre 2024"},
		{Date{}, "fr", ""},
	} {
		if got := tc.d.Long(tc.lang); got != tc.want {
			t.Errorf("%v.Long(%q) = %q, want %q", tc.d, tc.lang, got, tc.want)
		}
	}
}
