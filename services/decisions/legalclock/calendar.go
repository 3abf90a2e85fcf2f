package legalclock

import (
	"time"

	"github.com/entraide/entraide/libs/civil"
)

// Periods are counted the Code judiciaire's way (art. 52 and 54): the day of the event (the request, the decision,
// the notification) is not counted, the last day is, and a period in months runs "de quantième à veille de
// quantième". We apply:
//
//   - n calendar days after d end on d + n (a request received on 1 March has a 30-day period ending 31 March);
//   - n months after d end on the corresponding day: the same day number n months later (10 January + 3 months =
//     10 April) or, when that month is too short, on its last day (31 January + 1 month = 28 February, 29 in a
//     leap year; 31 August + 1 month = 30 September).
//
// The corresponding day is what courts and the SPP IS say in practice, and what "veille de quantième" gives for
// every event but one: an event on the last day of a month shorter than the target day (28 February 2025 + 1
// month) ends on 28 March by the corresponding day, 31 March by a literal reading (start 1 March, eve of 1
// April). We keep the corresponding day, the earlier of the two, so that neither the CPAS nor an applicant is
// ever shown more time than the strictest reading allows.
//
// The month rule differs from civil.Date.AddYears and time.AddDate, which overflow (31 January + 1 month = 3 March):
// never use those for a legal period.

// AddCalendarDays returns the last day of a period of n calendar days after d (before any art. 53 shift).
func AddCalendarDays(d civil.Date, n int) civil.Date { return d.AddDays(n) }

// AddCalendarMonths returns the last day of a period of n months after d (before any art. 53 shift): the same day
// number n months later, or that month's last day when the day does not exist in it. n may be negative.
func AddCalendarMonths(d civil.Date, n int) civil.Date {
	total := d.Year()*12 + int(d.Month()) - 1 + n
	year, month := total/12, time.Month(total%12+1)
	day := d.Day()
	if last := DaysInMonth(year, month); day > last {
		day = last
	}
	return civil.MustNew(year, month, day)
}

// DaysInMonth returns the number of days of month in year (Gregorian: 2000 and 2024 are leap, 2100 is not).
func DaysInMonth(year int, month time.Month) int {
	switch month {
	case time.February:
		if IsLeapYear(year) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// IsLeapYear reports whether year has a 29 February.
func IsLeapYear(year int) bool { return year%4 == 0 && (year%100 != 0 || year%400 == 0) }
