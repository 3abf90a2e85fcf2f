package subsidy

import "testing"

func avg(v float64) *Avg { a := Avg(v*100 + 0.5); return &a }

// TestBandStep: one year's rule — exactly at 500 and at 1,000, 499.99, a growth of 4.9% and of 5%, drops of 2.9%
// and 3%, a CPAS at 70 falling under 1,000, no N-2 or no N-3 average, a declining rate back in its band.
func TestBandStep(t *testing.T) {
	r := DefaultRules
	for _, c := range []struct {
		name   string
		prev   int
		n2, n3 *Avg
		want   int
		rule   string
	}{
		{"exactly 500", 55, avg(500), avg(400), 65, RuleUp},
		{"499.99", 55, avg(499.99), avg(400), 55, RuleSameBand},
		{"499", 55, avg(499), avg(400), 55, RuleSameBand},
		{"exactly 1000 from 65", 65, avg(1000), avg(900), 70, RuleUp},
		{"1000 from 55 skips 65", 55, avg(1000), avg(900), 70, RuleUp},
		{"growth 4.9%", 55, avg(524.5), avg(500), 55, RuleGrowthLow},
		{"growth 5%", 55, avg(525), avg(500), 65, RuleUp},
		{"growth 4.9% to 70", 65, avg(1049), avg(1000), 65, RuleGrowthLow},
		{"no N-3: growth unknown", 55, avg(600), nil, 55, RuleGrowthNoN3},
		{"drop 2.9%", 65, avg(485.5), avg(500), 65, RuleSmallDrop},
		{"drop 3%", 65, avg(485), avg(500), 64, RuleDecline},
		{"drop without N-3", 65, avg(485), nil, 64, RuleDecline},
		{"70 under 1000", 70, avg(950), avg(1000), 69, RuleDecline},
		{"70 under 1000, drop 2%", 70, avg(980), avg(1000), 70, RuleSmallDrop},
		{"66 still under 1000", 66, avg(900), avg(950), 65, RuleDecline},
		{"65 floor under 1000", 65, avg(900), avg(950), 65, RuleSameBand},
		{"70 under 500", 70, avg(400), avg(1000), 69, RuleDecline},
		{"declining 63 back over 500", 63, avg(510), avg(505), 65, RuleBackInBand},
		{"declining 68 back over 1000", 68, avg(1001), avg(1000), 70, RuleBackInBand},
		{"declining 63 over 1000 without growth", 63, avg(1010), avg(1000), 65, RuleBackInBand},
		{"declining 63 over 1000 with growth", 63, avg(1100), avg(1000), 70, RuleUp},
		{"declining 63, rising but under 500", 63, avg(490), avg(480), 63, RuleSmallDrop},
		{"no history", 0, nil, nil, 55, RuleNoHistory},
		{"no N-2, rate kept", 65, nil, avg(700), 65, RuleNoHistory},
		{"at 65 and still over 500", 65, avg(501), avg(700), 65, RuleSameBand},
	} {
		got, rule := r.Step(c.prev, c.n2, c.n3)
		if got != c.want || rule != c.rule {
			t.Errorf("%s: %d %s, want %d %s", c.name, got, rule, c.want, c.rule)
		}
	}
}

// TestBandYears: the rate followed year after year — successive years of decline 65 → 64 → 63 …, a CPAS at 70
// falling under 1,000 down to 65, no history = 55, a declared rate, data without a declared rate.
func TestBandYears(t *testing.T) {
	r := DefaultRules
	// Declared: 2019–2021 over 500 and 65 applied in 2021; from 2020 the average falls by 5% a year.
	h := History{Averages: map[int]Avg{2018: 52000, 2019: 54000, 2020: 51300, 2021: 48735, 2022: 46298, 2023: 43983, 2024: 41784},
		RateYear: 2021, Rate: 65}
	for year, want := range map[int]int{2021: 65, 2022: 65, 2023: 64, 2024: 63, 2025: 62, 2026: 61} {
		if got := r.Band(year, h); got.Rate != want {
			t.Errorf("decline %d: %d (%s), want %d", year, got.Rate, got.Rule, want)
		}
	}
	b := r.Band(2025, h)
	if b.Previous != 63 || b.Rule != RuleDecline || *b.N2 != 43983 || *b.N3 != 46298 {
		t.Errorf("2025: %+v", b)
	}
	// A CPAS at 70 falling under 1,000 by 3% or more a year: 69, 68 … and never below 65.
	h = History{Averages: map[int]Avg{}, RateYear: 2015, Rate: 70}
	for y, a := 2013, 1100.0; y <= 2030; y, a = y+1, a*0.96 {
		h.Averages[y] = *avg(max(a, 600))
	}
	// 2013 1100, 2014 1056, 2015 1013.76, 2016 973.2 (first year under 1,000, counted in 2018).
	for year, want := range map[int]int{2016: 70, 2017: 70, 2018: 69, 2019: 68, 2022: 65, 2030: 65} {
		if got := r.Band(year, h); got.Rate != want {
			t.Errorf("70 falling %d: %d (%s), want %d", year, got.Rate, got.Rule, want)
		}
	}
	// Without history: 55; with data only from 2024 (one year): still 55 in 2026 (no N-3 to show growth).
	if b := r.Band(2026, History{}); b.Rate != 55 || b.Rule != RuleNoHistory {
		t.Errorf("no history: %+v", b)
	}
	if b := r.Band(2026, History{Averages: map[int]Avg{2024: 60000}}); b.Rate != 55 || b.Rule != RuleGrowthNoN3 {
		t.Errorf("one year: %+v", b)
	}
	// Two years of data, 5% growth over 500: 65 in 2026, and a declared 65 for 2025 with one year data only.
	if b := r.Band(2026, History{Averages: map[int]Avg{2023: 50000, 2024: 52500}}); b.Rate != 65 || b.Rule != RuleUp {
		t.Errorf("two years: %+v", b)
	}
	if b := r.Band(2026, History{Averages: map[int]Avg{2024: 49000}, RateYear: 2025, Rate: 65}); b.Rate != 64 || b.Previous != 65 {
		t.Errorf("declared 2025: %+v", b)
	}
}

func TestAvgOf(t *testing.T) {
	for _, c := range []struct {
		sum  int64
		want Avg
	}{{6000, 50000}, {5999, 49992}, {12000, 100000}, {1, 8}, {0, 0}, {6150, 51250}} {
		if got := AvgOf(c.sum); got != c.want {
			t.Errorf("AvgOf(%d) = %d, want %d", c.sum, got, c.want)
		}
	}
}

// The year Entraide started in, counted in part, is not used as an average (its months without data would look
// like a drop) until it is declared; a declared year replaces it.
func TestHistoryLeavesAPartialFirstYearOut(t *testing.T) {
	data := map[int]YearData{2023: {Sum: 6 * 600, Months: 6}, 2024: {Sum: 12 * 610, Months: 12}}
	h, avgs := history(data, Declared{}, 2026)
	if _, ok := h.Averages[2023]; ok || avgs(2023).Source != SourcePartial || avgs(2023).Months != 6 {
		t.Errorf("partial first year used: %v %+v", h.Averages, avgs(2023))
	}
	if a, ok := h.Averages[2024]; !ok || avgs(2024).Source != SourceData || a != AvgOf(12*610) {
		t.Errorf("full year: %v %+v", h.Averages, avgs(2024))
	}
	h, avgs = history(data, Declared{Years: []DeclaredYear{{Year: 2023, MonthlyAverage: AvgOf(12 * 590)}}}, 2026)
	if a, ok := h.Averages[2023]; !ok || avgs(2023).Source != SourceDeclared || a != AvgOf(12*590) {
		t.Errorf("declared year: %v %+v", h.Averages, avgs(2023))
	}
}
