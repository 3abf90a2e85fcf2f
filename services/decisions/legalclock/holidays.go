// Package legalclock owns the legal deadlines of a CPAS aid procedure (domain.md §4): the decision period after a
// request, the notification period after a decision, the appeal window after a notification, the PIIS conclusion
// and evaluations, the yearly review, the MediPrima encoding of an AMU decision and the committee convocation. One
// package computes them all, on civil dates (Europe/Brussels), with the Belgian public holidays and the rule of
// Code judiciaire art. 53 (a deadline ending on a Saturday, Sunday or public holiday moves to the next working
// day). Every result says why, as a machine-readable reason code and as a sentence in French and Dutch, so that
// the deadline board and the letters can show it. The package does no I/O.
package legalclock

import (
	"time"

	"github.com/entraide/entraide/libs/civil"
)

// Holiday names one of the ten Belgian legal public holidays (loi du 4 janvier 1974 relative aux jours fériés;
// AR du 18 avril 1974). Only these extend a deadline under Code judiciaire art. 53: a CPAS's own closing days
// (2 and 15 November, 26 December, community holidays) do not.
type Holiday string

// The Belgian legal public holidays.
const (
	NewYear      Holiday = "new_year"      // 1 January
	EasterMonday Holiday = "easter_monday" // Easter Sunday + 1 day
	LabourDay    Holiday = "labour_day"    // 1 May
	Ascension    Holiday = "ascension"     // Easter Sunday + 39 days (a Thursday)
	WhitMonday   Holiday = "whit_monday"   // Easter Sunday + 50 days
	NationalDay  Holiday = "national_day"  // 21 July
	Assumption   Holiday = "assumption"    // 15 August
	AllSaints    Holiday = "all_saints"    // 1 November
	Armistice    Holiday = "armistice"     // 11 November
	Christmas    Holiday = "christmas"     // 25 December
)

// Name returns the holiday's name in French ("fr") or Dutch ("nl", and any other language).
func (h Holiday) Name(lang string) string {
	n, ok := holidayNames[h]
	if !ok {
		return string(h)
	}
	if lang == "nl" {
		return n[1]
	}
	return n[0]
}

var holidayNames = map[Holiday][2]string{
	NewYear:      {"Nouvel An", "Nieuwjaar"},
	EasterMonday: {"lundi de Pâques", "Paasmaandag"},
	LabourDay:    {"fête du Travail", "Dag van de Arbeid"},
	Ascension:    {"Ascension", "Onze-Lieve-Heer-Hemelvaart"},
	WhitMonday:   {"lundi de Pentecôte", "Pinkstermaandag"},
	NationalDay:  {"fête nationale", "nationale feestdag"},
	Assumption:   {"Assomption", "Onze-Lieve-Vrouw-Hemelvaart"},
	AllSaints:    {"Toussaint", "Allerheiligen"},
	Armistice:    {"Armistice", "Wapenstilstand"},
	Christmas:    {"Noël", "Kerstmis"},
}

// HolidayDate is a public holiday in a given year.
type HolidayDate struct {
	Holiday Holiday    `json:"holiday"`
	Date    civil.Date `json:"date"`
}

// Easter returns Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm, Meeus/Jones/Butcher),
// valid for every year the civil package accepts (1 to 9999, read as Gregorian).
func Easter(year int) civil.Date {
	a := year % 19
	b := year / 100
	c := year % 100
	d := b / 4
	e := b % 4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i := c / 4
	k := c % 4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return civil.MustNew(year, time.Month(month), day)
}

// Holidays returns the ten public holidays of year in date order.
func Holidays(year int) []HolidayDate {
	easter := Easter(year)
	return []HolidayDate{
		{NewYear, civil.MustNew(year, time.January, 1)},
		{EasterMonday, easter.AddDays(1)},
		{LabourDay, civil.MustNew(year, time.May, 1)},
		{Ascension, easter.AddDays(39)},
		{WhitMonday, easter.AddDays(50)},
		{NationalDay, civil.MustNew(year, time.July, 21)},
		{Assumption, civil.MustNew(year, time.August, 15)},
		{AllSaints, civil.MustNew(year, time.November, 1)},
		{Armistice, civil.MustNew(year, time.November, 11)},
		{Christmas, civil.MustNew(year, time.December, 25)},
	}
}

// HolidayOn returns the public holiday falling on d, if any.
func HolidayOn(d civil.Date) (Holiday, bool) {
	switch {
	case d.Month() == time.January && d.Day() == 1:
		return NewYear, true
	case d.Month() == time.May && d.Day() == 1:
		return LabourDay, true
	case d.Month() == time.July && d.Day() == 21:
		return NationalDay, true
	case d.Month() == time.August && d.Day() == 15:
		return Assumption, true
	case d.Month() == time.November && d.Day() == 1:
		return AllSaints, true
	case d.Month() == time.November && d.Day() == 11:
		return Armistice, true
	case d.Month() == time.December && d.Day() == 25:
		return Christmas, true
	case d.Month() < time.March || d.Month() > time.June:
		// Easter falls between 22 March and 25 April, so its movable holidays between 23 March and 14 June.
		return "", false
	}
	switch Easter(d.Year()).DaysUntil(d) {
	case 1:
		return EasterMonday, true
	case 39:
		return Ascension, true
	case 50:
		return WhitMonday, true
	}
	return "", false
}

// IsWorkingDay reports whether d is neither a Saturday, a Sunday nor a public holiday.
func IsWorkingDay(d civil.Date) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, holiday := HolidayOn(d)
	return !holiday
}

// NextWorkingDay returns the first working day strictly after d.
func NextWorkingDay(d civil.Date) civil.Date {
	d = d.AddDays(1)
	for !IsWorkingDay(d) {
		d = d.AddDays(1)
	}
	return d
}

// ClosedDay is a day a deadline could not end on, and why.
type ClosedDay struct {
	Date civil.Date `json:"date"`
	// Why is "saturday", "sunday" or "holiday".
	Why string `json:"why"`
	// Holiday names the public holiday when Why is "holiday".
	Holiday Holiday `json:"holiday,omitempty"`
}

// closedDay says why d is not a working day; ok is false on a working day. A public holiday on a weekend is
// reported as the holiday (the letter then names it).
func closedDay(d civil.Date) (ClosedDay, bool) {
	if h, ok := HolidayOn(d); ok {
		return ClosedDay{Date: d, Why: "holiday", Holiday: h}, true
	}
	switch d.Weekday() {
	case time.Saturday:
		return ClosedDay{Date: d, Why: "saturday"}, true
	case time.Sunday:
		return ClosedDay{Date: d, Why: "sunday"}, true
	}
	return ClosedDay{}, false
}

// Shift applies Code judiciaire art. 53: a deadline whose last day is a Saturday, a Sunday or a public holiday
// moves to the next working day. It returns the day the deadline really ends and the closed days it skipped, in
// order (none when d is a working day).
func Shift(d civil.Date) (civil.Date, []ClosedDay) {
	var skipped []ClosedDay
	for {
		c, closed := closedDay(d)
		if !closed {
			return d, skipped
		}
		skipped = append(skipped, c)
		d = d.AddDays(1)
	}
}
