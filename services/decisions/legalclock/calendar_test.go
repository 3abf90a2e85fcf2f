package legalclock

import (
	"testing"
	"time"

	"github.com/entraide/entraide/libs/civil"
)

func TestIsLeapYearAndDaysInMonth(t *testing.T) {
	for _, tc := range []struct {
		year int
		leap bool
	}{{2024, true}, {2028, true}, {2000, true}, {2400, true}, {2100, false}, {1900, false}, {2025, false}, {2026, false}} {
		if IsLeapYear(tc.year) != tc.leap {
			t.Errorf("IsLeapYear(%d) = %v", tc.year, !tc.leap)
		}
		want := 28
		if tc.leap {
			want = 29
		}
		if got := DaysInMonth(tc.year, time.February); got != want {
			t.Errorf("DaysInMonth(%d, February) = %d, want %d", tc.year, got, want)
		}
	}
	for m, want := range map[time.Month]int{time.January: 31, time.March: 31, time.April: 30, time.May: 31, time.June: 30,
		time.July: 31, time.August: 31, time.September: 30, time.October: 31, time.November: 30, time.December: 31} {
		if got := DaysInMonth(2025, m); got != want {
			t.Errorf("DaysInMonth(2025, %s) = %d, want %d", m, got, want)
		}
	}
}

func TestAddCalendarMonths(t *testing.T) {
	for _, tc := range []struct {
		from string
		n    int
		want string
	}{
		{"2025-01-10", 3, "2025-04-10"}, // the corresponding day
		{"2025-01-31", 1, "2025-02-28"}, // month end, common year
		{"2024-01-31", 1, "2024-02-29"}, // month end, leap year
		{"2028-01-30", 1, "2028-02-29"},
		{"2028-01-29", 1, "2028-02-29"},
		{"2100-01-31", 1, "2100-02-28"}, // 2100 is not leap
		{"2000-01-31", 1, "2000-02-29"}, // 2000 is
		{"2025-03-31", 1, "2025-04-30"},
		{"2025-08-31", 1, "2025-09-30"},
		{"2025-05-31", 3, "2025-08-31"},
		{"2025-02-28", 1, "2025-03-28"}, // the corresponding day, not the month's last (see calendar.go)
		{"2024-02-29", 1, "2024-03-29"},
		{"2025-11-30", 3, "2026-02-28"}, // across the year
		{"2023-11-30", 3, "2024-02-29"},
		{"2025-12-15", 1, "2026-01-15"},
		{"2025-12-31", 2, "2026-02-28"},
		{"2025-10-31", 4, "2026-02-28"},
		{"2024-02-29", 12, "2025-02-28"}, // a year after 29 February: 28 February (civil.AddYears says 1 March)
		{"2024-02-29", 48, "2028-02-29"},
		{"2025-06-15", 0, "2025-06-15"},
		{"2025-03-31", -1, "2025-02-28"},
		{"2025-01-15", -1, "2024-12-15"},
		{"2025-01-15", -13, "2023-12-15"},
	} {
		if got := AddCalendarMonths(day(tc.from), tc.n); got != day(tc.want) {
			t.Errorf("AddCalendarMonths(%s, %d) = %s, want %s", tc.from, tc.n, got, tc.want)
		}
	}
}

func TestAddCalendarDays(t *testing.T) {
	for _, tc := range []struct {
		from string
		n    int
		want string
	}{
		{"2025-03-01", 30, "2025-03-31"},
		{"2025-02-01", 30, "2025-03-03"},
		{"2024-02-01", 30, "2024-03-02"},
		{"2024-12-15", 30, "2025-01-14"},
		{"2025-03-29", 8, "2025-04-06"}, // across the switch to summer time
		{"2025-10-25", 8, "2025-11-02"}, // and back
		{"2025-01-01", 45, "2025-02-15"},
		{"2024-01-01", 45, "2024-02-15"},
	} {
		if got := AddCalendarDays(day(tc.from), tc.n); got != day(tc.want) {
			t.Errorf("AddCalendarDays(%s, %d) = %s, want %s", tc.from, tc.n, got, tc.want)
		}
	}
}

// checkMonths is the property of AddCalendarMonths: it lands n months later, on the same day number or, when
// that day does not exist, on the month's last day, and never overflows into the next month.
func checkMonths(t *testing.T, d civil.Date, n int) {
	t.Helper()
	got := AddCalendarMonths(d, n)
	months := (got.Year()*12 + int(got.Month())) - (d.Year()*12 + int(d.Month()))
	if months != n {
		t.Fatalf("AddCalendarMonths(%s, %d) = %s, %d months later", d, n, got, months)
	}
	last := DaysInMonth(got.Year(), got.Month())
	if got.Day() != d.Day() && !(d.Day() > last && got.Day() == last) {
		t.Fatalf("AddCalendarMonths(%s, %d) = %s", d, n, got)
	}
}

func TestAddCalendarMonthsPropertyEveryDay(t *testing.T) {
	for d := day("1999-01-01"); d.Before(day("2101-01-01")); d = d.AddDays(1) {
		for _, n := range []int{1, 3, 12, -1} {
			checkMonths(t, d, n)
		}
	}
}

func FuzzAddCalendarMonths(f *testing.F) {
	f.Add(2025, 30, 1)
	f.Add(2024, 59, 12)
	f.Add(2099, 364, 13)
	f.Fuzz(func(t *testing.T, year, offset, n int) {
		if year < 100 || year > 9800 || n < -1200 || n > 1200 {
			t.Skip()
		}
		checkMonths(t, civil.MustNew(year, 1, 1).AddDays((offset%365+365)%365), n)
	})
}
