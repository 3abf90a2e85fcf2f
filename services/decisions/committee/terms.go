package committee

import (
	"strings"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/ris"
)

// Terms are what an item proposes or the committee decides: the aid's category (RIS only), monthly amount, start,
// end or review date, whether a PIIS goes with it, and the reference of the written motivation (the text lives
// with the proposal or the inquiry, never in the session).
type Terms struct {
	// Refusal marks the terms of a refusal: no category, amount or period is granted (only the motivation).
	Refusal       bool         `json:"refusal,omitempty"`
	Category      ris.Category `json:"category,omitempty"`
	MonthlyAmount ris.Cents    `json:"monthly_amount_cents"`
	// OneOffAmount is the amount of an aid paid once (aide sociale), instead of a monthly amount.
	OneOffAmount  ris.Cents  `json:"one_off_amount_cents,omitempty"`
	Start         civil.Date `json:"start"`
	End           civil.Date `json:"end,omitzero"`
	Review        civil.Date `json:"review,omitzero"`
	PIIS          bool       `json:"piis"`
	MotivationRef string     `json:"motivation_ref"`
}

// validate checks the terms of an aid of kind; fields are prefixed with prefix.
func (t Terms) validate(kind legalclock.Kind, prefix string, fs *problem.Fields) {
	if t.Refusal {
		if t.Category != 0 || t.MonthlyAmount != 0 || t.OneOffAmount != 0 {
			fs.Add(prefix+"monthly_amount_cents", "committee.refusal_without_amount")
		}
		if strings.TrimSpace(t.MotivationRef) == "" {
			fs.Add(prefix+"motivation_ref", "required")
		}
		return
	}
	if kind == legalclock.RIS || kind == legalclock.ERIS {
		if !t.Category.Valid() {
			fs.Add(prefix+"category", "committee.category_invalid")
		}
	} else if t.Category != 0 {
		fs.Add(prefix+"category", "committee.category_invalid")
	}
	if t.MonthlyAmount < 0 || t.OneOffAmount < 0 || (kind == legalclock.RIS && t.MonthlyAmount == 0) {
		fs.Add(prefix+"monthly_amount_cents", "committee.amount_required")
	}
	if t.Start.IsZero() {
		fs.Add(prefix+"start", "required")
	}
	if t.End.IsZero() && t.Review.IsZero() && !(t.OneOffAmount > 0 && t.MonthlyAmount == 0) {
		fs.Add(prefix+"end", "committee.end_or_review_required")
	}
	if !t.Start.IsZero() && !t.End.IsZero() && !t.End.After(t.Start) {
		fs.Add(prefix+"end", "committee.date_before_start")
	}
	if !t.Start.IsZero() && !t.Review.IsZero() && !t.Review.After(t.Start) {
		fs.Add(prefix+"review", "committee.date_before_start")
	}
	if strings.TrimSpace(t.MotivationRef) == "" {
		fs.Add(prefix+"motivation_ref", "required")
	}
}
