// Package civil owns the civil date: a calendar day without a time or a zone, the kind of date the law speaks in
// (a request date, a decision date, a birth date, a valid-from date). It is written YYYY-MM-DD in JSON and stored
// as that same string in MongoDB, so stored dates sort and compare as strings. "Today" is the day in
// Europe/Brussels, whatever the machine's zone.
package civil

import (
	"errors"
	"fmt"
	"time"
	_ "time/tzdata" // Europe/Brussels must resolve on machines without zone files (scratch images).

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// Brussels is the zone in which legal days start and end.
var Brussels = mustLoad("Europe/Brussels")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("civil: load %s: %v", name, err))
	}
	return loc
}

// ErrInvalid is returned for a text that is not a valid YYYY-MM-DD day.
var ErrInvalid = errors.New("civil: invalid date")

// Date is a calendar day. The zero Date means "no date" (IsZero); it is written as JSON null and stored as BSON null.
type Date struct {
	year  int
	month time.Month
	day   int
}

// New returns the date year-month-day, or ErrInvalid when that day does not exist (e.g. 2025-02-29).
func New(year int, month time.Month, day int) (Date, error) {
	if year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31 {
		return Date{}, ErrInvalid
	}
	t := time.Date(year, month, day, 12, 0, 0, 0, time.UTC)
	if t.Day() != day || t.Month() != month {
		return Date{}, ErrInvalid
	}
	return Date{year: year, month: month, day: day}, nil
}

// MustNew is New for constants in code and tests; it panics on an invalid date.
func MustNew(year int, month time.Month, day int) Date {
	d, err := New(year, month, day)
	if err != nil {
		panic(fmt.Sprintf("civil: %04d-%02d-%02d is not a date", year, month, day))
	}
	return d
}

// Parse reads exactly YYYY-MM-DD.
func Parse(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, ErrInvalid
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return Date{}, ErrInvalid
	}
	return New(y, time.Month(m), d)
}

// MustParse is Parse for constants in code and tests.
func MustParse(s string) Date {
	d, err := Parse(s)
	if err != nil {
		panic("civil: " + s + " is not a date")
	}
	return d
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Of returns the day of t as seen in Europe/Brussels.
func Of(t time.Time) Date {
	y, m, d := t.In(Brussels).Date()
	return Date{year: y, month: m, day: d}
}

// Today returns the current day in Europe/Brussels.
func Today() Date { return Of(time.Now()) }

// Year, Month and Day return the parts of the date.
func (d Date) Year() int { return d.year }

// Month returns the month of the date.
func (d Date) Month() time.Month { return d.month }

// Day returns the day of the month.
func (d Date) Day() int { return d.day }

// IsZero reports whether d is the zero Date ("no date").
func (d Date) IsZero() bool { return d == Date{} }

// String returns YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.year, d.month, d.day)
}

// midday is d at noon UTC: day arithmetic on it never crosses a day boundary through DST.
func (d Date) midday() time.Time { return time.Date(d.year, d.month, d.day, 12, 0, 0, 0, time.UTC) }

// AddDays returns the date n days later (earlier when n < 0).
func (d Date) AddDays(n int) Date {
	t := d.midday().AddDate(0, 0, n)
	return Date{year: t.Year(), month: t.Month(), day: t.Day()}
}

// AddYears returns the same day n years later; 29 February becomes 1 March in a common year.
func (d Date) AddYears(n int) Date {
	t := d.midday().AddDate(n, 0, 0)
	return Date{year: t.Year(), month: t.Month(), day: t.Day()}
}

// DaysUntil returns the number of days from d to e (negative when e is before d).
func (d Date) DaysUntil(e Date) int {
	return int(e.midday().Sub(d.midday()).Hours() / 24)
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.year != e.year:
		return cmp(d.year, e.year)
	case d.month != e.month:
		return cmp(int(d.month), int(e.month))
	default:
		return cmp(d.day, e.day)
	}
}

func cmp(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday { return d.midday().Weekday() }

// Start returns the instant the day starts in Europe/Brussels.
func (d Date) Start() time.Time { return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, Brussels) }

// YearsOn returns the age in completed years on day on of someone born on d (a person born on 29 February
// completes a year on 1 March in a common year).
func (d Date) YearsOn(on Date) int {
	years := on.year - d.year
	if years > 0 && on.Before(d.AddYears(years)) {
		years--
	}
	return years
}

// MarshalText writes YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD; an empty text is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes "YYYY-MM-DD", or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*d = Date{}
		return nil
	}
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return ErrInvalid
	}
	v, err := Parse(s[1 : len(s)-1])
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalBSONValue stores the date as the string YYYY-MM-DD (null for the zero Date), so that dates sort and
// compare as strings in queries ({"valid_from": {"$lte": "2026-01-01"}}).
func (d Date) MarshalBSONValue() (byte, []byte, error) {
	if d.IsZero() {
		return byte(bson.TypeNull), nil, nil
	}
	return byte(bson.TypeString), bsoncore.AppendString(nil, d.String()), nil
}

// UnmarshalBSONValue reads a date stored by MarshalBSONValue.
func (d *Date) UnmarshalBSONValue(typ byte, data []byte) error {
	switch bson.Type(typ) {
	case bson.TypeNull, bson.TypeUndefined:
		*d = Date{}
		return nil
	case bson.TypeString:
		s, _, ok := bsoncore.ReadString(data)
		if !ok {
			return ErrInvalid
		}
		if s == "" {
			*d = Date{}
			return nil
		}
		v, err := Parse(s)
		if err != nil {
			return err
		}
		*d = v
		return nil
	}
	return fmt.Errorf("civil: cannot read a date from BSON type %v", bson.Type(typ))
}

var longMonths = map[string][12]string{
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	"nl": {"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
	"de": {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

// Long writes the date as letters and decisions do in lang ("fr", "nl", "de", "en"; French otherwise):
// "1er janvier 2026", "1 januari 2026", "1. Januar 2026", "1 January 2026". The zero date is "".
func (d Date) Long(lang string) string {
	if d.IsZero() {
		return ""
	}
	months, ok := longMonths[lang]
	if !ok {
		lang, months = "fr", longMonths["fr"]
	}
	month := months[d.month-1]
	switch {
	case lang == "fr" && d.day == 1:
		return fmt.Sprintf("1er %s %d", month, d.year)
	case lang == "de":
		return fmt.Sprintf("%d. %s %d", d.day, month, d.year)
	}
	return fmt.Sprintf("%d %s %d", d.day, month, d.year)
}
