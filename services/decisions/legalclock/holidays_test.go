package legalclock

import (
	"testing"
	"time"

	"github.com/entraide/entraide/libs/civil"
)

var day = civil.MustParse

func TestEaster(t *testing.T) {
	for _, tc := range []struct {
		year int
		want string
	}{
		// The years the brief lists.
		{2024, "2024-03-31"}, {2025, "2025-04-20"}, {2026, "2026-04-05"}, {2027, "2027-03-28"},
		{2028, "2028-04-16"}, {2029, "2029-04-01"}, {2030, "2030-04-21"},
		// Extremes and centuries: 22 March is the earliest Easter, 25 April the latest.
		{1818, "1818-03-22"}, {2285, "2285-03-22"}, {1943, "1943-04-25"}, {2038, "2038-04-25"},
		{2000, "2000-04-23"}, {2008, "2008-03-23"}, {2011, "2011-04-24"}, {2019, "2019-04-21"}, {2100, "2100-03-28"},
	} {
		if got := Easter(tc.year); got != day(tc.want) {
			t.Errorf("Easter(%d) = %s, want %s", tc.year, got, tc.want)
		}
	}
}

func TestEasterIsAlwaysASundayBetween22MarchAnd25April(t *testing.T) {
	for y := 1583; y <= 4099; y++ {
		e := Easter(y)
		if e.Weekday() != time.Sunday {
			t.Fatalf("Easter(%d) = %s is a %s", y, e, e.Weekday())
		}
		if e.Before(civil.MustNew(y, time.March, 22)) || e.After(civil.MustNew(y, time.April, 25)) {
			t.Fatalf("Easter(%d) = %s is outside 22 March – 25 April", y, e)
		}
	}
}

func TestHolidaysOfSeveralYears(t *testing.T) {
	// Easter Monday, Ascension and Whit Monday of each year; the seven fixed holidays are the same every year.
	movable := map[int][3]string{
		2024: {"2024-04-01", "2024-05-09", "2024-05-20"},
		2025: {"2025-04-21", "2025-05-29", "2025-06-09"},
		2026: {"2026-04-06", "2026-05-14", "2026-05-25"},
		2027: {"2027-03-29", "2027-05-06", "2027-05-17"},
		2028: {"2028-04-17", "2028-05-25", "2028-06-05"},
		2029: {"2029-04-02", "2029-05-10", "2029-05-21"},
		2030: {"2030-04-22", "2030-05-30", "2030-06-10"},
	}
	for year, m := range movable {
		want := []HolidayDate{
			{NewYear, civil.MustNew(year, 1, 1)},
			{EasterMonday, day(m[0])},
			{LabourDay, civil.MustNew(year, 5, 1)},
			{Ascension, day(m[1])},
			{WhitMonday, day(m[2])},
			{NationalDay, civil.MustNew(year, 7, 21)},
			{Assumption, civil.MustNew(year, 8, 15)},
			{AllSaints, civil.MustNew(year, 11, 1)},
			{Armistice, civil.MustNew(year, 11, 11)},
			{Christmas, civil.MustNew(year, 12, 25)},
		}
		got := Holidays(year)
		if len(got) != len(want) {
			t.Fatalf("Holidays(%d) has %d days", year, len(got))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("Holidays(%d)[%d] = %+v, want %+v", year, i, got[i], want[i])
			}
			h, ok := HolidayOn(want[i].Date)
			if !ok || h != want[i].Holiday {
				t.Errorf("HolidayOn(%s) = %q, %v, want %q", want[i].Date, h, ok, want[i].Holiday)
			}
			if IsWorkingDay(want[i].Date) {
				t.Errorf("IsWorkingDay(%s) = true on %s", want[i].Date, want[i].Holiday)
			}
		}
		if got[3].Date.Weekday() != time.Thursday || got[1].Date.Weekday() != time.Monday || got[4].Date.Weekday() != time.Monday {
			t.Errorf("%d: Easter Monday %s, Ascension %s, Whit Monday %s: wrong weekdays", year, got[1].Date, got[3].Date, got[4].Date)
		}
	}
}

// TestHolidayOnAgreesWithHolidays checks every day of four centuries: HolidayOn finds a holiday exactly on the
// dates Holidays lists (its shortcut for the months without movable holidays included).
func TestHolidayOnAgreesWithHolidays(t *testing.T) {
	for y := 1900; y <= 2300; y++ {
		listed := map[civil.Date]bool{}
		for _, h := range Holidays(y) {
			listed[h.Date] = true
		}
		for d := civil.MustNew(y, 1, 1); d.Year() == y; d = d.AddDays(1) {
			_, ok := HolidayOn(d)
			if ok != listed[d] {
				t.Fatalf("HolidayOn(%s) = %v, Holidays lists it: %v", d, ok, listed[d])
			}
		}
	}
}

func TestAscensionOnLabourDay(t *testing.T) {
	// In 2008 Easter fell on 23 March, so Ascension on 1 May: one day, two holidays, named as Labour Day.
	hs := Holidays(2008)
	if hs[2].Date != day("2008-05-01") || hs[3].Date != day("2008-05-01") {
		t.Fatalf("2008: Labour Day %s, Ascension %s", hs[2].Date, hs[3].Date)
	}
	if h, _ := HolidayOn(day("2008-05-01")); h != LabourDay {
		t.Errorf("HolidayOn(2008-05-01) = %q", h)
	}
	if got, _ := Shift(day("2008-05-01")); got != day("2008-05-02") {
		t.Errorf("Shift(2008-05-01) = %s", got)
	}
}

func TestIsWorkingDay(t *testing.T) {
	for _, tc := range []struct {
		d    string
		want bool
	}{
		{"2025-03-03", true},  // Monday
		{"2025-03-07", true},  // Friday
		{"2025-03-08", false}, // Saturday
		{"2025-03-09", false}, // Sunday
		{"2025-04-18", true},  // Good Friday is not a legal holiday
		{"2025-04-21", false}, // Easter Monday
		{"2025-05-29", false}, // Ascension
		{"2025-05-30", true},  // the Friday after Ascension (a "bridge" day) is a working day
		{"2025-06-09", false}, // Whit Monday
		{"2025-07-11", true},  // Flemish Community holiday: not a legal holiday
		{"2025-09-27", false}, // Saturday (French Community holiday, not legal either)
		{"2025-11-15", false}, // Saturday (King's feast)
		{"2026-11-02", true},  // All Souls' Day is a working day in law
		{"2025-12-26", true},  // 26 December is not a legal holiday
		{"2026-12-25", false}, // Christmas, a Friday
		{"2027-01-01", false}, // New Year, a Friday
	} {
		if got := IsWorkingDay(day(tc.d)); got != tc.want {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", tc.d, got, tc.want)
		}
	}
}

func TestNextWorkingDay(t *testing.T) {
	for _, tc := range []struct{ d, want string }{
		{"2025-03-03", "2025-03-04"}, // Monday → Tuesday
		{"2025-03-07", "2025-03-10"}, // Friday → Monday
		{"2025-03-08", "2025-03-10"}, // Saturday → Monday
		{"2025-04-18", "2025-04-22"}, // Good Friday → Tuesday after Easter Monday
		{"2025-05-28", "2025-05-30"}, // Wednesday before Ascension → Friday
		{"2025-12-24", "2025-12-26"}, // Christmas Eve → 26 December
		{"2025-12-31", "2026-01-02"}, // New Year's Eve → 2 January
		{"2022-12-30", "2023-01-02"}, // Friday 30 December → Monday 2 January (1 January is a Sunday)
	} {
		if got := NextWorkingDay(day(tc.d)); got != day(tc.want) {
			t.Errorf("NextWorkingDay(%s) = %s, want %s", tc.d, got, tc.want)
		}
	}
}

func TestShift(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    string
		want string
		why  []string // the skipped days' reasons in order
	}{
		{"working day", "2025-03-31", "2025-03-31", nil},
		{"saturday", "2025-03-08", "2025-03-10", []string{"saturday", "sunday"}},
		{"sunday", "2025-03-09", "2025-03-10", []string{"sunday"}},
		{"Easter Sunday 2025 → Tuesday", "2025-04-20", "2025-04-22", []string{"sunday", "holiday"}},
		{"Easter Sunday 2024 → Tuesday", "2024-03-31", "2024-04-02", []string{"sunday", "holiday"}},
		{"Easter Sunday 2026 → Tuesday", "2026-04-05", "2026-04-07", []string{"sunday", "holiday"}},
		{"Saturday before Easter 2029 → Tuesday", "2029-03-31", "2029-04-03", []string{"saturday", "sunday", "holiday"}},
		{"Easter Monday", "2027-03-29", "2027-03-30", []string{"holiday"}},
		{"Ascension Thursday", "2028-05-25", "2028-05-26", []string{"holiday"}},
		{"Whit Sunday → Tuesday", "2030-06-09", "2030-06-11", []string{"sunday", "holiday"}},
		{"Labour Day on a Saturday", "2027-05-01", "2027-05-03", []string{"holiday", "sunday"}},
		{"national day on a Sunday", "2024-07-21", "2024-07-22", []string{"holiday"}},
		{"Assumption on a Saturday", "2026-08-15", "2026-08-17", []string{"holiday", "sunday"}},
		{"All Saints on a Saturday", "2025-11-01", "2025-11-03", []string{"holiday", "sunday"}},
		{"Armistice on a Saturday", "2028-11-11", "2028-11-13", []string{"holiday", "sunday"}},
		{"Christmas on a Saturday", "2027-12-25", "2027-12-27", []string{"holiday", "sunday"}},
		{"Christmas Eve on a Saturday (26 Dec works)", "2022-12-24", "2022-12-26", []string{"saturday", "holiday"}},
		{"year boundary: Saturday 31 Dec, Sunday 1 Jan", "2022-12-31", "2023-01-02", []string{"saturday", "holiday"}},
		{"New Year on a Friday", "2027-01-01", "2027-01-04", []string{"holiday", "saturday", "sunday"}},
		// Easter on 22 March (1818, 2285): Ascension on Thursday 30 April, Labour Day on the Friday, then the
		// weekend: the longest run of closed days there is.
		{"Ascension on 30 April 2285 → Monday 4 May", "2285-04-30", "2285-05-04", []string{"holiday", "holiday", "saturday", "sunday"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, skipped := Shift(day(tc.d))
			if got != day(tc.want) {
				t.Fatalf("Shift(%s) = %s, want %s", tc.d, got, tc.want)
			}
			if len(skipped) != len(tc.why) {
				t.Fatalf("Shift(%s) skipped %+v, want %v", tc.d, skipped, tc.why)
			}
			for i, s := range skipped {
				if s.Why != tc.why[i] || s.Date != day(tc.d).AddDays(i) {
					t.Errorf("skipped[%d] = %+v, want %s on %s", i, s, tc.why[i], day(tc.d).AddDays(i))
				}
				if (s.Why == "holiday") != (s.Holiday != "") {
					t.Errorf("skipped[%d] = %+v: holiday name iff a holiday", i, s)
				}
			}
		})
	}
}

func TestHolidayNames(t *testing.T) {
	for _, h := range Holidays(2025) {
		if h.Holiday.Name("fr") == string(h.Holiday) || h.Holiday.Name("nl") == string(h.Holiday) || h.Holiday.Name("fr") == h.Holiday.Name("nl") {
			t.Errorf("%s: names fr %q nl %q", h.Holiday, h.Holiday.Name("fr"), h.Holiday.Name("nl"))
		}
	}
	if EasterMonday.Name("fr") != "lundi de Pâques" || EasterMonday.Name("nl") != "Paasmaandag" {
		t.Errorf("Easter Monday: %q / %q", EasterMonday.Name("fr"), EasterMonday.Name("nl"))
	}
}

// checkShift is the property of Shift: the result is a working day, never before d, at most 4 days after it
// (the longest run of closed days is Ascension on 30 April, Labour Day, Saturday, Sunday: found by the fuzzer),
// and every day in between is closed and listed.
func checkShift(t *testing.T, d civil.Date) {
	t.Helper()
	got, skipped := Shift(d)
	if !IsWorkingDay(got) {
		t.Fatalf("Shift(%s) = %s is not a working day", d, got)
	}
	n := d.DaysUntil(got)
	if n < 0 || n > 4 {
		t.Fatalf("Shift(%s) = %s, %d days later", d, got, n)
	}
	if len(skipped) != n {
		t.Fatalf("Shift(%s) = %s with %d skipped days", d, got, len(skipped))
	}
	for i, s := range skipped {
		if s.Date != d.AddDays(i) || IsWorkingDay(s.Date) {
			t.Fatalf("Shift(%s): skipped[%d] = %+v", d, i, s)
		}
	}
	if n == 0 && !IsWorkingDay(d) {
		t.Fatalf("Shift(%s) kept a closed day", d)
	}
}

func TestShiftPropertyEveryDay(t *testing.T) {
	for d := day("1950-01-01"); d.Before(day("2150-01-01")); d = d.AddDays(1) {
		checkShift(t, d)
	}
}

func FuzzShift(f *testing.F) {
	for _, seed := range []struct{ year, offset int }{{2025, 109}, {2029, 89}, {2022, 364}, {2100, 58}, {9999, 364}, {1, 0}} {
		f.Add(seed.year, seed.offset)
	}
	f.Fuzz(func(t *testing.T, year, offset int) {
		if year < 1 || year > 9998 { // 9999-12-31 shifted would leave the civil range
			t.Skip()
		}
		checkShift(t, civil.MustNew(year, 1, 1).AddDays((offset%365+365)%365))
	})
}
