package subsidy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/schedule"
)

// The band from the data: the monthly number of distinct beneficiaries paid a RIS, per year, counted from the
// tenant's instalments, and the history the finance director declares for the years before the tenant's data
// (subsidy settings, one document per tenant, If-Match). The rate used for the shares is the computed band of the
// year, unless the payment settings carry a manual band (the override, for every year while it is set).

// CollSettings holds the subsidy settings (the declared history), one document per tenant.
const CollSettings = "subsidy_settings"

// MarshalJSON writes the average as a number (512.25).
func (a Avg) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(a.Float(), 'f', -1, 64)), nil
}

// UnmarshalJSON reads a number, rounded to the hundredth; refused when negative or not finite.
func (a *Avg) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	if f < 0 || math.IsNaN(f) || math.IsInf(f, 0) || f > 1e7 {
		*a = -1 // Validate names the field
		return nil
	}
	*a = Avg(math.Round(f * 100))
	return nil
}

// DeclaredYear is a year before the tenant's data in Entraide, with its monthly average of RIS beneficiaries.
type DeclaredYear struct {
	Year           int `bson:"year" json:"year"`
	MonthlyAverage Avg `bson:"monthly_average" json:"monthly_average"`
}

// Declared is the history the finance director declares: years with their monthly average, and the rate applied
// in the last declared year (0: none declared; the computation then starts from the base 55).
type Declared struct {
	Years    []DeclaredYear `bson:"years" json:"years"`
	LastRate int            `bson:"last_rate,omitempty" json:"last_rate,omitempty"`
	By       string         `bson:"updated_by,omitempty" json:"-"`
}

// MaxDeclaredYears bounds the history.
const MaxDeclaredYears = 30

// lastYear is the last declared year (0: none).
func (d Declared) lastYear() int {
	y := 0
	for _, v := range d.Years {
		y = max(y, v.Year)
	}
	return y
}

// Validate checks the history against the rules (years before the current one, once each; averages ≥ 0; a rate
// between the lowest and the highest band, with at least one year) and sorts the years.
func (d *Declared) Validate(r Rules, current int) error {
	var fs problem.Fields
	if len(d.Years) > MaxDeclaredYears {
		fs.Add("years", "payments.subsidy_years_too_many")
	}
	seen := map[int]bool{}
	for i, y := range d.Years {
		switch {
		case y.Year < 1990 || y.Year >= current:
			fs.Add(fmt.Sprintf("years.%d.year", i), "payments.subsidy_year_invalid")
		case seen[y.Year]:
			fs.Add(fmt.Sprintf("years.%d.year", i), "payments.subsidy_year_duplicate")
		}
		seen[y.Year] = true
		if y.MonthlyAverage < 0 {
			fs.Add(fmt.Sprintf("years.%d.monthly_average", i), "payments.subsidy_average_invalid")
		}
	}
	if d.LastRate != 0 {
		if d.LastRate < slices.Min(r.Bands) || d.LastRate > slices.Max(r.Bands) {
			fs.Add("last_rate", "payments.subsidy_rate_invalid")
		} else if len(d.Years) == 0 {
			fs.Add("last_rate", "payments.subsidy_rate_without_year")
		}
	}
	if err := fs.Err(); err != nil {
		return err
	}
	if d.Years == nil {
		d.Years = []DeclaredYear{}
	}
	slices.SortFunc(d.Years, func(a, b DeclaredYear) int { return a.Year - b.Year })
	return nil
}

func settingsID(tenant string) string { return "subsidy-settings/" + tenant }

// Declared reads the tenant's declared history and its version, seeding an empty one on first read (as the
// payment settings do: a change always has a version to match).
func (s *Service) Declared(ctx context.Context, tenant string) (store.Versioned[Declared], error) {
	v, err := s.settings.Load(ctx, tenant, settingsID(tenant))
	if errors.Is(err, store.ErrNotFound) {
		if err := s.settings.Insert(ctx, tenant, settingsID(tenant), Declared{Years: []DeclaredYear{}}); err != nil && !errors.Is(err, store.ErrDuplicate) {
			return v, fmt.Errorf("subsidy: seed settings: %w", err)
		}
		v, err = s.settings.Load(ctx, tenant, settingsID(tenant))
	}
	if v.State.Years == nil {
		v.State.Years = []DeclaredYear{}
	}
	return v, err
}

// PutDeclared replaces the declared history read at version expected, by the finance director.
func (s *Service) PutDeclared(ctx context.Context, a kit.Actor, expected int64, next Declared) (store.Versioned[Declared], error) {
	if err := next.Validate(s.Rules, time.Now().Year()); err != nil {
		return store.Versioned[Declared]{}, err
	}
	next.By = a.UserID
	if _, err := s.Declared(ctx, a.Tenant); err != nil {
		return store.Versioned[Declared]{}, err
	}
	_, err := s.settings.UpdateIfVersion(ctx, a.Tenant, settingsID(a.Tenant), expected, func(cur *Declared) ([]events.Event, error) {
		*cur = next
		return nil, nil
	})
	if err != nil {
		return store.Versioned[Declared]{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "subsidy.history", ResourceType: "subsidy", ResourceID: "history"})
	return s.Declared(ctx, a.Tenant)
}

// Counter counts, for each month, the distinct beneficiaries paid a RIS for it.
type Counter struct {
	months map[string]map[string]struct{}
}

// Add counts person for each period (YYYY-MM) of a paid instalment.
func (c *Counter) Add(person string, periods ...string) {
	if c.months == nil {
		c.months = map[string]map[string]struct{}{}
	}
	for _, p := range periods {
		if len(p) < 7 {
			continue
		}
		if c.months[p] == nil {
			c.months[p] = map[string]struct{}{}
		}
		c.months[p][person] = struct{}{}
	}
}

// YearData is a year's count: the sum of its months' counts and how many months had a beneficiary.
type YearData struct {
	Sum    int64
	Months int
}

// Years sums the months' counts by year.
func (c *Counter) Years() map[int]YearData {
	out := map[int]YearData{}
	for m, ps := range c.months {
		y, err := strconv.Atoi(m[:4])
		if err != nil {
			continue
		}
		d := out[y]
		d.Sum += int64(len(ps))
		d.Months++
		out[y] = d
	}
	return out
}

// Paid statuses: the instalment's current attempt left in a file and was not sent back (a returned payment is
// counted again once reissued and exported).
var paidStatuses = []string{schedule.StatusExported, schedule.StatusBooked}

// CountPaid streams the tenant's RIS instalments paid (exported or booked, not returned) once — no sort, a
// projection of the person and the periods — and counts the distinct beneficiaries of each month.
func (s *Service) CountPaid(ctx context.Context, tenant string) (map[int]YearData, error) {
	cur, err := s.instalments.Find(ctx, bson.D{{Key: "tenant", Value: tenant}, {Key: "kind", Value: bson.D{{Key: "$in", Value: s.Rules.Kinds}}},
		{Key: "status", Value: bson.D{{Key: "$in", Value: paidStatuses}}}},
		options.Find().SetBatchSize(1000).SetProjection(bson.D{{Key: "person_id", Value: 1}, {Key: "parts", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("subsidy: instalments: %w", err)
	}
	defer cur.Close(ctx)
	var c Counter
	for cur.Next(ctx) {
		var in struct {
			PersonID string          `bson:"person_id"`
			Parts    []schedule.Part `bson:"parts"`
		}
		if err := cur.Decode(&in); err != nil {
			return nil, err
		}
		for _, p := range in.Parts {
			c.Add(in.PersonID, p.Period)
		}
	}
	if err := cur.Err(); err != nil {
		return nil, err
	}
	return c.Years(), nil
}

// paidCacheTTL is how long the counted beneficiaries of a tenant are reused: the band depends on complete earlier
// years only (N-2, N-3), which a late return or reissue changes by a unit at most, while counting streams every
// paid RIS instalment of the tenant — too much for each decision page or data set.
const paidCacheTTL = time.Hour

type paidCount struct {
	at   time.Time
	data map[int]YearData
}

// countPaidCached is CountPaid, reused for paidCacheTTL per tenant in this process.
func (s *Service) countPaidCached(ctx context.Context, tenant string) (map[int]YearData, error) {
	if v, ok := s.paid.Load(tenant); ok {
		if c := v.(paidCount); time.Since(c.at) < paidCacheTTL {
			return c.data, nil
		}
	}
	data, err := s.CountPaid(ctx, tenant)
	if err != nil {
		return nil, err
	}
	s.paid.Store(tenant, paidCount{at: time.Now(), data: data})
	return data, nil
}

// Average sources.
const (
	SourceData     = "data"
	SourceDeclared = "declared"
	SourceNone     = "none"
	// SourcePartial: the first year of data, with months without any beneficiary paid (Entraide started during
	// it): not used until declared.
	SourcePartial = "partial"
)

// YearAverage is the monthly average of a year and where it comes from; Months is how many months of the year
// had a beneficiary in the data (a first year in Entraide counted only in part should be declared).
type YearAverage struct {
	Year           int    `json:"year"`
	MonthlyAverage *Avg   `json:"monthly_average"`
	Source         string `json:"source"`
	Months         int    `json:"months,omitempty"`
}

// Band sources.
const (
	BandComputed = "computed"
	BandOverride = "override"
)

// BandView is the rate of a year: the one the shares use, the computed one with its rule, the averages it
// was computed from, and the finance director's override when set.
type BandView struct {
	Year         int          `json:"year"`
	Rate         int          `json:"rate"`
	Source       string       `json:"source"`
	ComputedRate int          `json:"computed_rate"`
	Rule         string       `json:"rule"`
	PreviousRate int          `json:"previous_rate"`
	Override     int          `json:"override,omitempty"`
	N2           YearAverage  `json:"n2"`
	N3           YearAverage  `json:"n3"`
	Thresholds   []Threshold  `json:"thresholds"`
	Declared     DeclaredView `json:"declared"`
}

// DeclaredView tells what was declared: the last declared year and its rate.
type DeclaredView struct {
	LastYear int `json:"last_year,omitempty"`
	LastRate int `json:"last_rate,omitempty"`
}

// MarshalJSON writes a threshold as {"min_average": 500, "band": 65}.
func (t Threshold) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Min  Avg `json:"min_average"`
		Band int `json:"band"`
	}{t.Min, t.Band})
}

// Band computes the band of year for tenant: the history from the data and the declaration (a declared year
// wins over the data of that year), the computed rate, and the override of the payment settings.
func (s *Service) Band(ctx context.Context, tenant string, year int) (BandView, error) {
	st, err := s.Settings.Get(ctx, tenant)
	if err != nil {
		return BandView{}, err
	}
	out, err := s.computed(ctx, tenant, year)
	if err != nil {
		return BandView{}, err
	}
	if st.State.SubsidyBand != 0 {
		out.Override, out.Rate, out.Source = st.State.SubsidyBand, st.State.SubsidyBand, BandOverride
	}
	return out, nil
}

// computed is the band of year computed from the data and the declared history, without the override.
func (s *Service) computed(ctx context.Context, tenant string, year int) (BandView, error) {
	decl, err := s.Declared(ctx, tenant)
	if err != nil {
		return BandView{}, err
	}
	data, err := s.countPaidCached(ctx, tenant)
	if err != nil {
		return BandView{}, err
	}
	h, avgs := history(data, decl.State, time.Now().Year())
	b := s.Rules.Band(year, h)
	out := BandView{Year: year, Rate: b.Rate, Source: BandComputed, ComputedRate: b.Rate, Rule: b.Rule, PreviousRate: b.Previous,
		N2: avgs(year - 2), N3: avgs(year - 3), Thresholds: s.Rules.Thresholds,
		Declared: DeclaredView{LastYear: decl.State.lastYear(), LastRate: decl.State.LastRate}}
	return out, nil
}

// history merges the data (complete years before current, from the first year with data) and the declared years.
func history(data map[int]YearData, d Declared, current int) (History, func(int) YearAverage) {
	h := History{Averages: map[int]Avg{}}
	first := 0
	for y := range data {
		if first == 0 || y < first {
			first = y
		}
	}
	src := map[int]YearAverage{}
	if first != 0 {
		for y := first; y < current; y++ {
			if y == first && data[y].Months < 12 {
				// The year Entraide started in, counted in part: divided by 12 its average would look like a
				// drop. Unknown until the finance director declares it.
				src[y] = YearAverage{Year: y, Source: SourcePartial, Months: data[y].Months}
				continue
			}
			a := AvgOf(data[y].Sum)
			h.Averages[y] = a
			src[y] = YearAverage{Year: y, MonthlyAverage: &a, Source: SourceData, Months: data[y].Months}
		}
	}
	for _, v := range d.Years {
		a := v.MonthlyAverage
		h.Averages[v.Year] = a
		src[v.Year] = YearAverage{Year: v.Year, MonthlyAverage: &a, Source: SourceDeclared}
	}
	if d.LastRate != 0 {
		h.RateYear, h.Rate = d.lastYear(), d.LastRate
	}
	return h, func(y int) YearAverage {
		if v, ok := src[y]; ok {
			return v
		}
		return YearAverage{Year: y, Source: SourceNone}
	}
}

// RateFor is the rate the shares of year use: the override when the payment settings carry one (no counting
// then), else the computed band.
func (s *Service) RateFor(ctx context.Context, tenant string, year int) (int, error) {
	st, err := s.Settings.Get(ctx, tenant)
	if err != nil {
		return 0, err
	}
	if st.State.SubsidyBand != 0 {
		return st.State.SubsidyBand, nil
	}
	b, err := s.computed(ctx, tenant, year)
	return b.Rate, err
}

// Routes of the band and the declared history.
const (
	RouteBand       = "GET /v1/subsidy/band"
	RouteHistory    = "GET /v1/subsidy/history"
	RouteHistoryPut = "PUT /v1/subsidy/history"
)

// DeclaredResponse is the declared history with its version (ETag).
type DeclaredResponse struct {
	Declared
	Version int64 `json:"version"`
}

// Headers sets the ETag.
func (r DeclaredResponse) Headers() http.Header { return http.Header{"Etag": {kit.ETag(r.Version)}} }

type bandRequest struct {
	year int
	err  error
}

type declaredRequest struct {
	version int64
	body    Declared
}

func (s *Service) bandRoutes() []kit.Route {
	return []kit.Route{
		{Pattern: RouteBand, Decode: func(_ context.Context, r *http.Request) (any, error) {
			q := strings.TrimSpace(r.URL.Query().Get("year"))
			if q == "" {
				return bandRequest{year: time.Now().Year()}, nil
			}
			y, err := strconv.Atoi(q)
			if err != nil || y < 2000 || y > 2100 {
				return bandRequest{err: problem.Invalid(problem.Field("year", "payments.subsidy_year_invalid"))}, nil
			}
			return bandRequest{year: y}, nil
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(bandRequest)
			if r.err != nil {
				return nil, r.err
			}
			return s.Band(ctx, a.Tenant, r.year)
		}},
		{Pattern: RouteHistory, Decode: kit.DecodeNothing, Endpoint: func(ctx context.Context, _ any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.Declared(ctx, a.Tenant)
			return DeclaredResponse{Declared: v.State, Version: v.Version}, err
		}},
		{Pattern: RouteHistoryPut, Decode: func(_ context.Context, r *http.Request) (any, error) {
			v, err := kit.IfMatch(r)
			if err != nil {
				return nil, err
			}
			var body Declared
			if err := httpkit.DecodeJSON(r, &body, kit.MaxJSON); err != nil {
				return nil, err
			}
			return declaredRequest{version: v, body: body}, nil
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(declaredRequest)
			v, err := s.PutDeclared(ctx, a, r.version, r.body)
			if err != nil {
				return nil, err
			}
			return DeclaredResponse{Declared: v.State, Version: v.Version}, nil
		}},
	}
}

func init() {
	for code, texts := range map[string]map[string]string{
		"payments.subsidy_year_invalid": {"fr": "Année invalide (une année passée, depuis 1990).", "nl": "Ongeldig jaar (een voorbij jaar, vanaf 1990).",
			"de": "Ungültiges Jahr (ein vergangenes Jahr, ab 1990).", "en": "Invalid year (a past year, from 1990)."},
		"payments.subsidy_year_duplicate": {"fr": "Cette année est déjà déclarée.", "nl": "Dit jaar is al aangegeven.",
			"de": "Dieses Jahr ist bereits angegeben.", "en": "This year is already declared."},
		"payments.subsidy_average_invalid": {"fr": "Moyenne mensuelle invalide (un nombre positif).", "nl": "Ongeldig maandgemiddelde (een positief getal).",
			"de": "Ungültiger Monatsdurchschnitt (eine positive Zahl).", "en": "Invalid monthly average (a positive number)."},
		"payments.subsidy_rate_invalid": {"fr": "Taux invalide : entre 55 et 70.", "nl": "Ongeldig percentage: tussen 55 en 70.",
			"de": "Ungültiger Satz: zwischen 55 und 70.", "en": "Invalid rate: between 55 and 70."},
		"payments.subsidy_rate_without_year": {"fr": "Déclarez au moins une année avec le taux appliqué.",
			"nl": "Geef minstens één jaar aan samen met het toegepaste percentage.",
			"de": "Geben Sie mit dem angewandten Satz mindestens ein Jahr an.", "en": "Declare at least one year with the rate applied."},
		"payments.subsidy_years_too_many": {"fr": "Trente années au plus.", "nl": "Hoogstens dertig jaar.", "de": "Höchstens dreißig Jahre.",
			"en": "Thirty years at most."},
	} {
		problem.RegisterMessages(code, texts)
	}
}
