// Package letter renders the documents a CPAS sends to an applicant about an aid request: the acknowledgment of
// receipt (accusé de réception / ontvangstbewijs), the right-to-be-heard letter (hoorrecht) and the decision
// letter with every mandatory mention of domain.md §4. Each is built from a plain input value into a Document in
// the applicant's language (French or Dutch), then written as a standalone HTML page with an A4 print stylesheet
// or as an A4 PDF. A decision letter missing a mandatory mention is refused, because the appeal period does not
// run on such a notification. The package does no I/O beyond the io.Writer it is given: the service loads the
// data, the web front end serves the result.
package letter

import (
	"errors"
	"fmt"
	"strings"
)

// Lang is the language a letter is written in: the applicant's language.
type Lang string

// The languages of the letters. German and English letters are not written yet: the Eupen district's CPAS
// write in German, which is still to be translated.
const (
	FR Lang = "fr"
	NL Lang = "nl"
)

// Langs lists the languages a letter can be written in.
var Langs = []Lang{FR, NL}

// Valid reports whether a letter can be written in l.
func (l Lang) Valid() bool { return l == FR || l == NL }

// ErrLanguage: the letter's language is not one of Langs.
var ErrLanguage = errors.New("letter: unsupported language")

// ErrIncomplete: an acknowledgment or hearing letter lacks a piece it cannot be sent without. The error names the
// fields, never their content.
var ErrIncomplete = errors.New("letter: incomplete")

func incomplete(fields []string) error {
	return fmt.Errorf("%w: missing %s", ErrIncomplete, strings.Join(fields, ", "))
}

// Address is a postal address as printed on a letter.
type Address struct {
	Street     string `json:"street"`
	PostalCode string `json:"postal_code"`
	City       string `json:"city"`
}

// IsZero reports whether the address has no street and no city.
func (a Address) IsZero() bool {
	return strings.TrimSpace(a.Street) == "" && strings.TrimSpace(a.City) == ""
}

// complete reports whether the address can be written to: street, postal code and city.
func (a Address) complete() bool {
	return strings.TrimSpace(a.Street) != "" && strings.TrimSpace(a.PostalCode) != "" && strings.TrimSpace(a.City) != ""
}

// Lines returns the address as printed: "Rue Haute 1", "1000 Bruxelles".
func (a Address) Lines() []string {
	var lines []string
	if s := strings.TrimSpace(a.Street); s != "" {
		lines = append(lines, s)
	}
	if s := strings.TrimSpace(strings.TrimSpace(a.PostalCode) + " " + strings.TrimSpace(a.City)); s != "" {
		lines = append(lines, s)
	}
	return lines
}

// String is the address on one line.
func (a Address) String() string { return strings.Join(a.Lines(), ", ") }

// CPAS is the sender of a letter: the tenant.
type CPAS struct {
	// Name, e.g. "CPAS de Saint-Gilles" or "OCMW Gent".
	Name    string  `json:"name"`
	Address Address `json:"address"`
	// EnterpriseNumber is the BCE/KBO number (numéro d'entreprise / ondernemingsnummer), e.g. "0212.345.678".
	EnterpriseNumber string `json:"enterprise_number"`
	// Service is the department that follows the file, e.g. "Service social général".
	Service string `json:"service"`
	// Phone and Email of the service, printed when set.
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}

func (c CPAS) senderLines(lang Lang) []string {
	lines := []string{c.Name}
	if c.Service != "" {
		lines = append(lines, c.Service)
	}
	lines = append(lines, c.Address.Lines()...)
	if c.EnterpriseNumber != "" {
		lines = append(lines, tr(lang, "enterprise_number")+" "+c.EnterpriseNumber)
	}
	if c.Phone != "" {
		lines = append(lines, tr(lang, "phone")+" "+c.Phone)
	}
	if c.Email != "" {
		lines = append(lines, c.Email)
	}
	return lines
}

// Beneficiary is the addressee: the applicant.
type Beneficiary struct {
	Name    string  `json:"name"`
	Address Address `json:"address"`
	// Lang is the language the applicant is written to in.
	Lang Lang `json:"lang"`
}

func (b Beneficiary) lines() []string { return append([]string{b.Name}, b.Address.Lines()...) }
