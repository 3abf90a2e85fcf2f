// Package niss owns the Belgian national register number (NISS / INSZ, rijksregisternummer) and its twin for
// people not in the national register, the BIS number kept by the Crossroads Bank for Social Security (BCSS).
// Both are eleven digits YYMMDDSSSCC: a birth date, a daily serial whose parity gives the sex, and a check on the
// first nine digits (mod 97, with a leading 2 for births from 2000). A BIS number adds 20 to the month when the sex
// is unknown and 40 when it is known; a month or day of 00 means that part of the birth date is unknown.
package niss

import (
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
)

// Code is the field-error code (libs/problem catalog) for a number that is not a valid NISS or BIS number.
const Code = "invalid_niss"

func init() {
	problem.RegisterMessages(Code, map[string]string{
		"fr": "Numéro de registre national (NISS) ou BIS invalide.",
		"nl": "Ongeldig rijksregisternummer (INSZ) of BIS-nummer.",
		"de": "Ungültige Nationalregisternummer (INSZ) oder BIS-Nummer.",
		"en": "Invalid national register (NISS) or BIS number.",
	})
}

// ErrInvalid is returned for a text that is not a valid NISS or BIS number.
var ErrInvalid = errors.New("niss: invalid number")

// Sex as encoded in the number.
type Sex string

// The sexes a number can encode. A BIS number with month + 20 does not encode it.
const (
	Male    Sex = "male"
	Female  Sex = "female"
	Unknown Sex = "unknown"
)

// NISS is a valid national register or BIS number. The zero NISS means "no number" (IsZero).
type NISS struct {
	digits string // eleven digits, compact
	year   int    // full birth year
}

// Parse reads a number with or without the usual separators (85.07.14-123.30, 850714 123 30, 85071412330).
func Parse(s string) (NISS, error) {
	var b [11]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == len(b) {
				return NISS{}, ErrInvalid
			}
			b[n] = c
			n++
		case c == '.' || c == '-' || c == ' ' || c == '/':
		default:
			return NISS{}, ErrInvalid
		}
	}
	if n != len(b) {
		return NISS{}, ErrInvalid
	}
	d := string(b[:])
	first9 := num(d[0:9])
	check := num(d[9:11])
	var century int
	switch {
	case 97-first9%97 == check:
		century = 1900
	case 97-(2_000_000_000+first9)%97 == check:
		century = 2000
	default:
		return NISS{}, ErrInvalid
	}
	v := NISS{digits: d, year: century + num(d[0:2])}
	month, day := v.BirthMonth(), v.BirthDay()
	if m := num(d[2:4]); !(m <= 12 || (m >= 20 && m <= 32) || (m >= 40 && m <= 52)) {
		return NISS{}, ErrInvalid
	}
	if day > 31 {
		return NISS{}, ErrInvalid
	}
	if month != 0 && day != 0 {
		if _, err := civil.New(v.year, time.Month(month), day); err != nil {
			return NISS{}, ErrInvalid
		}
	}
	if serial := num(d[6:9]); serial == 0 || serial == 999 {
		return NISS{}, ErrInvalid
	}
	return v, nil
}

// MustParse is Parse for constants in tests and demo data; it panics on an invalid number.
func MustParse(s string) NISS {
	v, err := Parse(s)
	if err != nil {
		panic("niss: invalid constant")
	}
	return v
}

func num(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// IsZero reports whether n is the zero NISS.
func (n NISS) IsZero() bool { return n.digits == "" }

// String returns the eleven digits without separators (the stored form).
func (n NISS) String() string { return n.digits }

// Format returns the display form 85.07.14-123.30.
func (n NISS) Format() string {
	if n.IsZero() {
		return ""
	}
	d := n.digits
	return fmt.Sprintf("%s.%s.%s-%s.%s", d[0:2], d[2:4], d[4:6], d[6:9], d[9:11])
}

// IsBIS reports whether n is a BIS number (month + 20 or + 40).
func (n NISS) IsBIS() bool { return !n.IsZero() && num(n.digits[2:4]) >= 20 }

// BirthYear returns the full birth year.
func (n NISS) BirthYear() int { return n.year }

// BirthMonth returns the birth month, 0 when unknown.
func (n NISS) BirthMonth() int {
	if n.IsZero() {
		return 0
	}
	m := num(n.digits[2:4])
	switch {
	case m >= 40:
		return m - 40
	case m >= 20:
		return m - 20
	}
	return m
}

// BirthDay returns the birth day of the month, 0 when unknown.
func (n NISS) BirthDay() int {
	if n.IsZero() {
		return 0
	}
	return num(n.digits[4:6])
}

// BirthDate returns the birth date the number encodes; ok is false when its month or day is unknown (00).
func (n NISS) BirthDate() (d civil.Date, ok bool) {
	if n.BirthMonth() == 0 || n.BirthDay() == 0 {
		return civil.Date{}, false
	}
	return civil.MustNew(n.year, time.Month(n.BirthMonth()), n.BirthDay()), true
}

// Sex returns the sex the number encodes: the serial's parity, or Unknown for a BIS number with month + 20.
func (n NISS) Sex() Sex {
	if n.IsZero() {
		return Unknown
	}
	if m := num(n.digits[2:4]); m >= 20 && m < 40 {
		return Unknown
	}
	if num(n.digits[6:9])%2 == 1 {
		return Male
	}
	return Female
}

// MarshalText writes the compact form.
func (n NISS) MarshalText() ([]byte, error) { return []byte(n.digits), nil }

// UnmarshalText parses a number with or without separators; an empty text is the zero NISS.
func (n *NISS) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*n = NISS{}
		return nil
	}
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*n = v
	return nil
}

// MarshalBSONValue stores the compact digits (null for the zero NISS, so a sparse unique index skips it).
func (n NISS) MarshalBSONValue() (byte, []byte, error) {
	if n.IsZero() {
		return byte(bson.TypeNull), nil, nil
	}
	return byte(bson.TypeString), bsoncore.AppendString(nil, n.digits), nil
}

// UnmarshalBSONValue reads a number stored by MarshalBSONValue.
func (n *NISS) UnmarshalBSONValue(typ byte, data []byte) error {
	switch bson.Type(typ) {
	case bson.TypeNull, bson.TypeUndefined:
		*n = NISS{}
		return nil
	case bson.TypeString:
		s, _, ok := bsoncore.ReadString(data)
		if !ok {
			return ErrInvalid
		}
		return n.UnmarshalText([]byte(s))
	}
	return fmt.Errorf("niss: cannot read a number from BSON type %v", bson.Type(typ))
}
