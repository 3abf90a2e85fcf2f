// Package ogm owns the Belgian structured communication (OGM, "communication structurée"; VCS, "gestructureerde
// mededeling"): twelve digits written +++123/4567/89002+++ whose last two are the first ten modulo 97, and 97
// when that remainder is 0 (domain.md §6). A payee asks for one so that its bank matches the transfer
// automatically; the CPAS gives one to every receivable so that an incoming transfer finds its debt. It lives in
// libs because decisions (a third party's communication), payments (remittance, recoveries) and the web all read
// and show it. Stored compact (the twelve digits), shown with its plus signs and slashes.
package ogm

import (
	"errors"
	"fmt"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/entraide/entraide/libs/problem"
)

// Code is the field-error code (libs/problem catalog) for a text that is not a valid structured communication.
const Code = "invalid_ogm"

func init() {
	problem.RegisterMessages(Code, map[string]string{
		"fr": "Communication structurée invalide (12 chiffres, +++123/4567/89002+++, chiffres de contrôle).",
		"nl": "Ongeldige gestructureerde mededeling (12 cijfers, +++123/4567/89002+++, controlecijfers).",
		"de": "Ungültige strukturierte Mitteilung (12 Ziffern, +++123/4567/89002+++, Prüfziffern).",
		"en": "Invalid structured communication (12 digits, +++123/4567/89002+++, check digits).",
	})
}

// ErrInvalid is returned for a text that is not a valid structured communication.
var ErrInvalid = errors.New("ogm: invalid structured communication")

// ErrOutOfRange is returned by FromSequence for a number that does not fit in ten digits.
var ErrOutOfRange = errors.New("ogm: sequence out of range (0 to 9999999999)")

// MaxSequence is the largest base number a structured communication can carry (ten digits).
const MaxSequence = 9_999_999_999

// OGM is a valid structured communication. The zero OGM means "none" (IsZero).
type OGM struct{ s string }

// Parse reads a structured communication in any of the forms people and banks write: +++123/4567/89002+++,
// ***123/4567/89002*** (the other frame banks print), 123/4567/89002, or the twelve digits alone; spaces are
// ignored. The frame, when present, must be complete and the slashes in their places.
func Parse(in string) (OGM, error) {
	// Drop spaces first: people type "+++ 123 / 4567 / 89002 +++".
	b := make([]byte, 0, 20)
	for i := 0; i < len(in); i++ {
		if in[i] != ' ' && in[i] != '\t' {
			b = append(b, in[i])
		}
	}
	s := string(b)
	if len(s) == 20 {
		f := s[:3]
		if (f != "+++" && f != "***") || s[17:] != f {
			return OGM{}, ErrInvalid
		}
		s = s[3:17]
	}
	if len(s) == 14 {
		if s[3] != '/' || s[8] != '/' {
			return OGM{}, ErrInvalid
		}
		s = s[:3] + s[4:8] + s[9:]
	}
	if len(s) != 12 {
		return OGM{}, ErrInvalid
	}
	var base uint64
	for i := 0; i < 12; i++ {
		if s[i] < '0' || s[i] > '9' {
			return OGM{}, ErrInvalid
		}
		if i < 10 {
			base = base*10 + uint64(s[i]-'0')
		}
	}
	if check(base) != int(s[10]-'0')*10+int(s[11]-'0') {
		return OGM{}, ErrInvalid
	}
	return OGM{s: s}, nil
}

// MustParse is Parse for constants in tests and demo data; it panics on an invalid communication.
func MustParse(s string) OGM {
	v, err := Parse(s)
	if err != nil {
		panic("ogm: invalid constant")
	}
	return v
}

// FromSequence makes the structured communication whose first ten digits are n (left-padded with zeros), as the
// service generates one per receivable from a counter.
func FromSequence(n uint64) (OGM, error) {
	if n > MaxSequence {
		return OGM{}, ErrOutOfRange
	}
	return OGM{s: fmt.Sprintf("%010d%02d", n, check(n))}, nil
}

// check is the check number of the ten-digit base: base mod 97, 97 when 0.
func check(base uint64) int {
	c := int(base % 97)
	if c == 0 {
		c = 97
	}
	return c
}

// IsZero reports whether v is the zero OGM.
func (v OGM) IsZero() bool { return v.s == "" }

// String returns the twelve digits (the stored form, and the reference a SEPA structured remittance carries).
func (v OGM) String() string { return v.s }

// Sequence returns the ten-digit base number.
func (v OGM) Sequence() uint64 {
	if v.IsZero() {
		return 0
	}
	n, _ := strconv.ParseUint(v.s[:10], 10, 64)
	return n
}

// Format returns the display form +++123/4567/89002+++ (empty for the zero OGM).
func (v OGM) Format() string {
	if v.IsZero() {
		return ""
	}
	return "+++" + v.s[:3] + "/" + v.s[3:7] + "/" + v.s[7:] + "+++"
}

// MarshalText writes the twelve digits.
func (v OGM) MarshalText() ([]byte, error) { return []byte(v.s), nil }

// UnmarshalText parses any form Parse accepts; an empty text is the zero OGM.
func (v *OGM) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*v = OGM{}
		return nil
	}
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// MarshalBSONValue stores the twelve digits (null for the zero OGM).
func (v OGM) MarshalBSONValue() (byte, []byte, error) {
	if v.IsZero() {
		return byte(bson.TypeNull), nil, nil
	}
	return byte(bson.TypeString), bsoncore.AppendString(nil, v.s), nil
}

// UnmarshalBSONValue reads a communication stored by MarshalBSONValue.
func (v *OGM) UnmarshalBSONValue(typ byte, data []byte) error {
	switch bson.Type(typ) {
	case bson.TypeNull, bson.TypeUndefined:
		*v = OGM{}
		return nil
	case bson.TypeString:
		s, _, ok := bsoncore.ReadString(data)
		if !ok {
			return ErrInvalid
		}
		return v.UnmarshalText([]byte(s))
	}
	return fmt.Errorf("ogm: cannot read a structured communication from BSON type %v", bson.Type(typ))
}
