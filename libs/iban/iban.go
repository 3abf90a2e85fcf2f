// Package iban owns the International Bank Account Number of the accounts the CPAS pays to: the ISO 13616 check
// (mod 97 = 1) with the length of every country of the SEPA schemes, and for Belgian accounts the national check
// of the BBAN (first ten digits mod 97, 0 → 97, equal to the last two). Numbers are stored compact and
// upper-case and shown in groups of four.
package iban

import (
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/entraide/entraide/libs/problem"
)

// Code is the field-error code (libs/problem catalog) for an account number that is not a valid SEPA IBAN.
const Code = "invalid_iban"

func init() {
	problem.RegisterMessages(Code, map[string]string{
		"fr": "Numéro de compte IBAN invalide (pays SEPA, longueur et chiffres de contrôle).",
		"nl": "Ongeldig IBAN-rekeningnummer (SEPA-land, lengte en controlecijfers).",
		"de": "Ungültige IBAN (SEPA-Land, Länge und Prüfziffern).",
		"en": "Invalid IBAN (SEPA country, length and check digits).",
	})
}

// ErrInvalid is returned for a text that is not a valid IBAN of a SEPA country.
var ErrInvalid = errors.New("iban: invalid account number")

// sepaLengths is the IBAN length of each country (ISO 3166 alpha-2) whose accounts are reachable by a SEPA credit
// transfer: the EEA, and Andorra, Switzerland, the United Kingdom, Gibraltar, Monaco, San Marino, Vatican City,
// and the countries admitted to the SEPA schemes since (Albania, Moldova, Montenegro, North Macedonia, Serbia).
// French overseas departments and Åland use the FR and FI prefixes; Jersey, Guernsey and Man use GB.
var sepaLengths = map[string]int{
	"AD": 24, "AL": 28, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
	"EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22,
	"IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
	"MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "RS": 22, "SE": 24, "SI": 19, "SK": 24,
	"SM": 27, "VA": 22,
}

// IsSEPACountry reports whether accounts of country (ISO 3166 alpha-2) are accepted.
func IsSEPACountry(country string) bool { _, ok := sepaLengths[country]; return ok }

// IBAN is a valid account number. The zero IBAN means "no account" (IsZero).
type IBAN struct{ s string }

// Parse reads an IBAN, accepting spaces and lower case (be68 5390 0754 7034).
func Parse(in string) (IBAN, error) {
	var b strings.Builder
	for _, r := range in {
		switch {
		case r == ' ' || r == '\t' || r == '-':
		case r >= '0' && r <= '9', r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			return IBAN{}, ErrInvalid
		}
	}
	s := b.String()
	if len(s) < 5 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' || !isDigit(s[2]) || !isDigit(s[3]) {
		return IBAN{}, ErrInvalid
	}
	if n, ok := sepaLengths[s[:2]]; !ok || len(s) != n {
		return IBAN{}, ErrInvalid
	}
	if mod97(s[4:]+s[:4]) != 1 {
		return IBAN{}, ErrInvalid
	}
	if s[:2] == "BE" && !belgianBBANValid(s[4:]) {
		return IBAN{}, ErrInvalid
	}
	return IBAN{s: s}, nil
}

// MustParse is Parse for constants in tests and demo data; it panics on an invalid number.
func MustParse(s string) IBAN {
	v, err := Parse(s)
	if err != nil {
		panic("iban: invalid constant")
	}
	return v
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// mod97 computes the ISO 7064 remainder of s with letters as numbers (A = 10 … Z = 35), digit by digit.
func mod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isDigit(c) {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A') + 10) % 97
		}
	}
	return r
}

// belgianBBANValid checks the twelve digits of a Belgian account: bank (3), account (7), check (2) where
// check = first ten mod 97, and 97 when that is 0.
func belgianBBANValid(bban string) bool {
	if len(bban) != 12 {
		return false
	}
	n := 0
	for i := 0; i < 12; i++ {
		if !isDigit(bban[i]) {
			return false
		}
		if i < 10 {
			n = n*10 + int(bban[i]-'0')
		}
	}
	check := n % 97
	if check == 0 {
		check = 97
	}
	return check == int(bban[10]-'0')*10+int(bban[11]-'0')
}

// IsZero reports whether v is the zero IBAN.
func (v IBAN) IsZero() bool { return v.s == "" }

// String returns the compact, upper-case form (the stored form).
func (v IBAN) String() string { return v.s }

// Country returns the ISO 3166 alpha-2 country code.
func (v IBAN) Country() string {
	if v.IsZero() {
		return ""
	}
	return v.s[:2]
}

// IsBelgian reports whether the account is held in Belgium.
func (v IBAN) IsBelgian() bool { return v.Country() == "BE" }

// Format returns the display form in groups of four: BE68 5390 0754 7034.
func (v IBAN) Format() string {
	var b strings.Builder
	for i := 0; i < len(v.s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(v.s[i:min(i+4, len(v.s))])
	}
	return b.String()
}

// MarshalText writes the compact form.
func (v IBAN) MarshalText() ([]byte, error) { return []byte(v.s), nil }

// UnmarshalText parses an IBAN; an empty text is the zero IBAN.
func (v *IBAN) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*v = IBAN{}
		return nil
	}
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// MarshalBSONValue stores the compact form (null for the zero IBAN).
func (v IBAN) MarshalBSONValue() (byte, []byte, error) {
	if v.IsZero() {
		return byte(bson.TypeNull), nil, nil
	}
	return byte(bson.TypeString), bsoncore.AppendString(nil, v.s), nil
}

// UnmarshalBSONValue reads a number stored by MarshalBSONValue.
func (v *IBAN) UnmarshalBSONValue(typ byte, data []byte) error {
	switch bson.Type(typ) {
	case bson.TypeNull, bson.TypeUndefined:
		*v = IBAN{}
		return nil
	case bson.TypeString:
		s, _, ok := bsoncore.ReadString(data)
		if !ok {
			return ErrInvalid
		}
		return v.UnmarshalText([]byte(s))
	}
	return fmt.Errorf("iban: cannot read an account number from BSON type %v", bson.Type(typ))
}
