// Package subsidy computes the federal subsidy of the RIS (SPP IS, art. 32 loi DIS, domain.md §5) per decision and
// the monthly claim data sets of the forms B (grants and every change: a full B each time), C (refusal code 1,
// withdrawal code 2) and D (recoveries, with a type code) that the CPAS sends through the BCSS network (the
// transport is out of scope), as CSV and JSON, with the month's claim (what was paid for each decision times its
// share).
//
// The package reads what it needs from the events themselves (its own consumer of cpas.decisions.v1 and of the
// persons of cpas.beneficiaries.v1): the category and the PIIS of a decision, the NISS and the residence status of
// a person, which the schedules do not keep. The tenant's band is computed (band.go, history.go) unless the payment
// settings override it; a homeless person's first residence is marked on the decision by finance (no event says
// it).
package subsidy

import "slices"

// Rules are the shares of the federal subsidy, kept as data (domain.md marks the thresholds and codes to verify
// against the legal text; a deployment may change them without touching the computation).
type Rules struct {
	// Bands are the base rates a CPAS may have (by its average number of RIS beneficiaries in year N-2).
	Bands []int
	// Thresholds are the N-2 monthly averages from which a band above the base applies; a first move up needs
	// GrowthPercent over the N-3 average; a drop below a threshold costs DeclinePoints a year unless the average
	// fell by less than DropPercent (band.go).
	Thresholds                                []Threshold
	GrowthPercent, DropPercent, DeclinePoints int
	// PIISBonus is added when the beneficiary has a PIIS.
	PIISBonus int
	// Full is the share for a beneficiary in the foreigners' register or a homeless person's first residence.
	Full int
	// Kinds are the kinds of aid the subsidy covers.
	Kinds []string
	// RefusalCode and WithdrawalCode are the C form codes; RecoveryCodes the D form's type codes by art. 24 case
	// (and "overpayment" for a change that reached months already paid).
	RefusalCode, WithdrawalCode int
	RecoveryCodes               map[string]int
}

// DefaultRules are domain.md §5's.
var DefaultRules = Rules{Bands: []int{55, 65, 70}, Thresholds: []Threshold{{Min: 50000, Band: 65}, {Min: 100000, Band: 70}},
	GrowthPercent: 5, DropPercent: 3, DeclinePoints: 1, PIISBonus: 10, Full: 100, Kinds: []string{"ris"}, RefusalCode: 1, WithdrawalCode: 2,
	RecoveryCodes: map[string]int{"retroactive_review": 1, "change_in_law": 2, "cpas_error": 3, "false_declaration": 4,
		"resources_received": 5, "overpayment": 6}}

// Reasons of a share.
const (
	ReasonBase                   = "base"
	ReasonPIIS                   = "piis"
	ReasonForeignersRegister     = "foreigners_register"
	ReasonHomelessFirstResidence = "homeless_first_residence"
	ReasonNotSubsidised          = "not_subsidised"
)

// Basis is what the share of a decision depends on.
type Basis struct {
	Kind                   string
	PIIS                   bool
	ForeignersRegister     bool
	HomelessFirstResidence bool
}

// Share is the percentage of the aid the State pays back for a decision of a CPAS of band band, with its reason.
// A rate between two bands (a declining rate, band.go) is used as it is; one outside the bands counts as the
// lowest.
func (r Rules) Share(band int, b Basis) (int, string) {
	if !slices.Contains(r.Kinds, b.Kind) {
		return 0, ReasonNotSubsidised
	}
	if b.ForeignersRegister {
		return r.Full, ReasonForeignersRegister
	}
	if b.HomelessFirstResidence {
		return r.Full, ReasonHomelessFirstResidence
	}
	if band < slices.Min(r.Bands) || band > slices.Max(r.Bands) {
		band = slices.Min(r.Bands) // a declining rate (64, 69…) between two bands is a rate of its own
	}
	if b.PIIS {
		return min(band+r.PIISBonus, r.Full), ReasonPIIS
	}
	return band, ReasonBase
}

// Of is the part of cents the share pays back, rounded half up to the cent.
func Of(cents int64, share int) int64 {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	v := (cents*int64(share)*2 + 100) / 200
	if neg {
		return -v
	}
	return v
}
