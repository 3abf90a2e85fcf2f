package subsidy

import "slices"

// The band: the base rate of a CPAS's federal subsidy for year N (art. 32 loi DIS, domain.md §5), computed from the
// monthly averages of its RIS beneficiaries in the earlier years and the rate applied in N-1.
//
// The interpretation implemented here (to verify against the SPP IS instructions, like the rest of Rules):
//
//   - Averages are in hundredths of a beneficiary (Avg): the monthly average of year Y is the sum over its twelve
//     months of the number of distinct beneficiaries paid a RIS for that month, divided by 12. The target band of
//     N is the highest band whose threshold the N-2 average reaches (≥ 500 → 65, ≥ 1,000 → 70), else the base 55.
//   - Target above the rate of N-1 — a move up. A CPAS whose rate of N-1 is a declining rate of a band (strictly
//     between two bands, e.g. 63 on its way down from 65) and whose N-2 average is again at that band's threshold
//     goes back to that band: it moved up once already. Any other move up (55 → 65, 65 → 70, 55 → 70, or 63 → 70) is
//     a first move up and also needs the N-2 average at least 5% above the N-3 average (N-2 × 100 ≥ N-3 × 105);
//     without an N-3 average the growth cannot be shown and the rate stays (or goes back to the band it was
//     declining from, when its threshold is reached).
//   - Target below the rate of N-1 — a drop below a threshold. The rate loses 1 point a year and never goes below
//     the target band (70 with an average under 1,000: 69, 68 … 65; under 500: down to 55), unless the N-2 average
//     is less than 3% below the N-3 average ((N-3 − N-2) × 100 < 3 × N-3, a rise included), in which case the rate
//     of N-1 stays. Without an N-3 average the drop is taken as 3% or more.
//   - Target equal to the rate of N-1: the rate stays.
//   - No N-2 average (no data, nothing declared): the rate of N-1 stays; a CPAS without history starts at 55 unless
//     the finance director declared the rate applied in the last declared year.
//
// Worked examples (band_test.go): N-2 = 500.00, N-3 = 400 and 55 in N-1 → 65; N-2 = 499.99 → 55; N-2 = 524.50 vs
// N-3 = 500 (4.9%) → 55, N-2 = 525 (5%) → 65; 65 in N-1, N-2 = 485.50 vs 500 (−2.9%) → 65, 485 (−3%) → 64, then 63,
// 62 … 55 while the average keeps falling by 3% or more; 70 in N-1 and N-2 = 950 vs 1,000 → 69, 68 … 65.

// Avg is a monthly average in hundredths of a beneficiary (512.25 → 51225).
type Avg int64

// Float is the average as a number.
func (a Avg) Float() float64 { return float64(a) / 100 }

// AvgOf is the monthly average of a year whose twelve monthly counts sum to sum, rounded half up to the hundredth.
func AvgOf(sum int64) Avg { return Avg((sum*100*2 + 12) / 24) }

// Threshold is the N-2 average from which a band applies.
type Threshold struct {
	Min  Avg
	Band int
}

// Band rules.
const (
	RuleNoHistory    = "no_history"     // no N-2 average: the rate of N-1 (55 without history) stays
	RuleSameBand     = "same_band"      // the N-2 average is in the band of N-1
	RuleUp           = "up"             // first move up, the growth reached 5%
	RuleBackInBand   = "back_in_band"   // a declining rate back to its band, the threshold reached again
	RuleGrowthLow    = "growth_below_5" // threshold reached but the growth over N-3 is under 5%: no move up
	RuleGrowthNoN3   = "growth_unknown" // threshold reached, no N-3 average to show the growth: no move up
	RuleDecline      = "decline"        // under the threshold: 1 point less
	RuleSmallDrop    = "drop_under_3"   // under the threshold but the drop over N-3 is under 3%: the rate stays
	RuleDeclaredRate = "declared"       // the rate the finance director declared for the last declared year
)

// target is the band the N-2 average reaches.
func (r Rules) target(n2 Avg) int {
	band := slices.Min(r.Bands)
	for _, t := range r.Thresholds {
		if n2 >= t.Min && t.Band > band {
			band = t.Band
		}
	}
	return band
}

// threshold is the N-2 average from which band applies (0 for the base).
func (r Rules) threshold(band int) Avg {
	for _, t := range r.Thresholds {
		if t.Band == band {
			return t.Min
		}
	}
	return 0
}

// home is the band a rate belongs to: the lowest band at or above it (a declining 63 belongs to 65).
func (r Rules) home(rate int) int {
	best := 0
	for _, b := range r.Bands {
		if b >= rate && (best == 0 || b < best) {
			best = b
		}
	}
	if best == 0 {
		return slices.Max(r.Bands)
	}
	return best
}

// Step computes the rate of year N from the rate applied in N-1 (0: none, the base), the N-2 average and the
// N-3 average (nil: unknown), with the rule that applied.
func (r Rules) Step(prev int, n2, n3 *Avg) (int, string) {
	base := slices.Min(r.Bands)
	if prev == 0 {
		prev = base
	}
	if n2 == nil {
		return prev, RuleNoHistory
	}
	target := r.target(*n2)
	switch {
	case target == prev:
		return prev, RuleSameBand
	case target > prev:
		home := r.home(prev)
		if target <= home {
			return target, RuleBackInBand
		}
		if n3 != nil && int64(*n2)*100 >= int64(*n3)*(100+int64(r.GrowthPercent)) {
			return target, RuleUp
		}
		rule := RuleGrowthLow
		if n3 == nil {
			rule = RuleGrowthNoN3
		}
		if home > prev && *n2 >= r.threshold(home) {
			return home, RuleBackInBand
		}
		return prev, rule
	default:
		if n3 != nil && (int64(*n3)-int64(*n2))*100 < int64(*n3)*int64(r.DropPercent) {
			return prev, RuleSmallDrop
		}
		return max(prev-r.DeclinePoints, target), RuleDecline
	}
}

// History is what the rate of a year is computed from: the monthly average of each year known (from the
// tenant's data or declared), and the rate the finance director declared for a year (RateYear 0: none).
type History struct {
	Averages map[int]Avg
	RateYear int
	Rate     int
}

// YearBand is the computed rate of a year, with the rule and the rate of N-1 it came from.
type YearBand struct {
	Year     int
	Rate     int
	Rule     string
	Previous int
	N2, N3   *Avg
}

// Band computes the rate of year from the history: from the declared rate's year (or, without one, from the
// base 55 the year after the earliest average known, or year itself) forward one year at a time.
func (r Rules) Band(year int, h History) YearBand {
	avg := func(y int) *Avg {
		if a, ok := h.Averages[y]; ok {
			return &a
		}
		return nil
	}
	if h.RateYear != 0 && h.RateYear == year {
		return YearBand{Year: year, Rate: h.Rate, Rule: RuleDeclaredRate, N2: avg(year - 2), N3: avg(year - 3)}
	}
	start, rate := year, 0
	if h.RateYear != 0 && h.RateYear < year {
		start, rate = h.RateYear+1, h.Rate
	} else {
		for y := range h.Averages {
			if y+1 < start {
				start = y + 1
			}
		}
	}
	if start < year-200 {
		start = year - 200
	}
	out := YearBand{Year: year}
	for y := start; y <= year; y++ {
		prev := rate
		rate, out.Rule = r.Step(prev, avg(y-2), avg(y-3))
		out.Previous = prev
	}
	if out.Previous == 0 {
		out.Previous = slices.Min(r.Bands)
	}
	out.Rate, out.N2, out.N3 = rate, avg(year-2), avg(year-3)
	return out
}
