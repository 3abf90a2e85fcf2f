package web

import (
	"context"
	"net/http"
	"strconv"
)

// The payments service's subsidy band (services/payments/subsidy, history.go): the base rate of a year with the
// averages and the rule it comes from, and the history the finance director declares.

// SubsidyYearAverage is a year's monthly average of RIS beneficiaries and where it comes from (data, declared,
// none).
type SubsidyYearAverage struct {
	Year           int      `json:"year"`
	MonthlyAverage *float64 `json:"monthly_average"`
	Source         string   `json:"source"`
	Months         int      `json:"months,omitempty"`
}

// SubsidyBand is the base rate of a year.
type SubsidyBand struct {
	Year         int                `json:"year"`
	Rate         int                `json:"rate"`
	Source       string             `json:"source"`
	ComputedRate int                `json:"computed_rate"`
	Rule         string             `json:"rule"`
	PreviousRate int                `json:"previous_rate"`
	Override     int                `json:"override,omitempty"`
	N2           SubsidyYearAverage `json:"n2"`
	N3           SubsidyYearAverage `json:"n3"`
	Declared     struct {
		LastYear int `json:"last_year,omitempty"`
		LastRate int `json:"last_rate,omitempty"`
	} `json:"declared"`
}

// SubsidyDeclaredYear is a declared year.
type SubsidyDeclaredYear struct {
	Year           int     `json:"year"`
	MonthlyAverage float64 `json:"monthly_average"`
}

// SubsidyHistory is the declared history.
type SubsidyHistory struct {
	Years    []SubsidyDeclaredYear `json:"years"`
	LastRate int                   `json:"last_rate,omitempty"`
	Version  int64                 `json:"version,omitempty"`
}

// SubsidyBandOf reads the band of year.
func (c *PaymentsClient) SubsidyBandOf(ctx context.Context, cl call, year int) (SubsidyBand, error) {
	var out SubsidyBand
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/subsidy/band?year="+strconv.Itoa(year), nil, &out)
	return out, err
}

// SubsidyHistory reads the declared history.
func (c *PaymentsClient) SubsidyHistory(ctx context.Context, cl call) (SubsidyHistory, error) {
	var out SubsidyHistory
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/subsidy/history", nil, &out)
	return out, err
}

// PutSubsidyHistory replaces the declared history read at version.
func (c *PaymentsClient) PutSubsidyHistory(ctx context.Context, cl call, version int64, in SubsidyHistory) (SubsidyHistory, error) {
	in.Version = 0
	var out SubsidyHistory
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPut, "/v1/subsidy/history", in, &out)
	return out, err
}
