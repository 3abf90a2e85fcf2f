package ogm

import (
	"encoding/json"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/problem"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in     string
		ok     bool
		digits string
		format string
	}{
		// docs/domain.md §6
		{"+++123/4567/89002+++", true, "123456789002", "+++123/4567/89002+++"},
		{"+++000/0000/00097+++", true, "000000000097", "+++000/0000/00097+++"}, // remainder 0 → 97
		{"+++999/9999/99948+++", true, "999999999948", "+++999/9999/99948+++"},
		// other written forms
		{"***123/4567/89002***", true, "123456789002", "+++123/4567/89002+++"},
		{"123/4567/89002", true, "123456789002", "+++123/4567/89002+++"},
		{"123456789002", true, "123456789002", "+++123/4567/89002+++"},
		{"+++ 123 / 4567 / 89002 +++", true, "123456789002", "+++123/4567/89002+++"},
		{"+++090/9337/55493+++", true, "090933755493", "+++090/9337/55493+++"},
		// wrong
		{"+++123/4567/89012+++", false, "", ""}, // check digits 12, should be 02
		{"+++000/0000/00000+++", false, "", ""}, // remainder 0 is written 97, never 00
		{"+++123/4567/89002***", false, "", ""}, // mixed frame
		{"+++1234/567/89002+++", false, "", ""}, // slashes misplaced
		{"++123/4567/89002++", false, "", ""},
		{"12345678900", false, "", ""},
		{"1234567890021", false, "", ""},
		{"12345678900a", false, "", ""},
		{"", false, "", ""},
	} {
		v, err := Parse(tc.in)
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
		if v.String() != tc.digits || v.Format() != tc.format {
			t.Errorf("Parse(%q) = %s / %s, want %s / %s", tc.in, v, v.Format(), tc.digits, tc.format)
		}
	}
}

func TestFromSequence(t *testing.T) {
	for _, tc := range []struct {
		n      uint64
		format string
		err    error
	}{
		{1234567890, "+++123/4567/89002+++", nil},
		{0, "+++000/0000/00097+++", nil},
		{9999999999, "+++999/9999/99948+++", nil},
		{97, "+++000/0000/09797+++", nil},
		{1, "+++000/0000/00101+++", nil},
		{10000000000, "", ErrOutOfRange},
	} {
		v, err := FromSequence(tc.n)
		if !errors.Is(err, tc.err) {
			t.Errorf("FromSequence(%d) err = %v, want %v", tc.n, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		if v.Format() != tc.format || v.Sequence() != tc.n {
			t.Errorf("FromSequence(%d) = %s (sequence %d), want %s", tc.n, v.Format(), v.Sequence(), tc.format)
		}
		if back, err := Parse(v.Format()); err != nil || back != v {
			t.Errorf("round trip of %s: %v %v", v.Format(), back, err)
		}
	}
}

func TestZero(t *testing.T) {
	var z OGM
	if !z.IsZero() || z.Format() != "" || z.String() != "" || z.Sequence() != 0 {
		t.Errorf("zero OGM = %q %q", z.String(), z.Format())
	}
}

func TestMarshalling(t *testing.T) {
	type doc struct {
		O OGM `json:"o" bson:"o"`
	}
	var d doc
	if err := json.Unmarshal([]byte(`{"o":"+++123/4567/89002+++"}`), &d); err != nil || d.O.String() != "123456789002" {
		t.Fatalf("json %v %v", d, err)
	}
	if err := json.Unmarshal([]byte(`{"o":"+++123/4567/89012+++"}`), &d); err == nil {
		t.Error("invalid OGM accepted from JSON")
	}
	if b, _ := json.Marshal(doc{O: MustParse("123456789002")}); string(b) != `{"o":"123456789002"}` {
		t.Errorf("json = %s", b)
	}
	b, _ := bson.Marshal(doc{O: MustParse("+++123/4567/89002+++")})
	if s, _ := bson.Raw(b).Lookup("o").StringValueOK(); s != "123456789002" {
		t.Errorf("bson = %v", bson.Raw(b))
	}
	var back doc
	if err := bson.Unmarshal(b, &back); err != nil || back.O != MustParse("123456789002") {
		t.Errorf("bson back %v %v", back, err)
	}
	b, _ = bson.Marshal(doc{})
	if err := bson.Unmarshal(b, &back); err != nil || !back.O.IsZero() {
		t.Errorf("bson zero back %v %v", back, err)
	}
	for _, l := range []string{"fr", "nl", "de", "en"} {
		if problem.Message(l, Code, nil) == Code {
			t.Errorf("no %s message", l)
		}
	}
}

// FuzzParse: Parse never panics, and whatever it accepts formats to a text it reads back to the same value with a
// valid check.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"+++123/4567/89002+++", "***000/0000/00097***", "999999999948", "123/4567/89002", "+++", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(v.Format())
		if err != nil || back != v {
			t.Fatalf("Parse(%q) = %v, but its format %q reads back as %v, %v", s, v, v.Format(), back, err)
		}
		w, err := FromSequence(v.Sequence())
		if err != nil || w != v {
			t.Fatalf("FromSequence(%d) = %v, want %v", v.Sequence(), w, v)
		}
	})
}
