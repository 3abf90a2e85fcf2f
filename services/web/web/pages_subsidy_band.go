package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The federal subsidy's band (services/payments/subsidy, band.go): the base rate of the current year and of the
// next one, computed from the monthly averages of RIS beneficiaries in N-2 and N-3 and the rate of N-1, each
// explained in plain words (or the override of the payment settings, said so); and the form of the history the
// finance director declares for the years before the CPAS's data in Entraide (years with their monthly average,
// the rate applied in the last declared year). Finance reads; the director declares (If-Match on the version
// shown). No personal data.

func (s *Server) subsidyBandRoutes(handle func(pattern string, h http.Handler)) {
	handle("GET /payments/subsidy", s.page(s.subsidyBandPage))
	handle("POST /payments/subsidy", s.page(s.saveSubsidyHistory))
}

// subsidyHistoryRows is how many year lines the form can carry: as many as the service accepts
// (subsidy.MaxDeclaredYears), so that saving from the page never drops a year declared earlier. The page shows
// the lines in use and a few empty ones (shownHistoryRows).
const subsidyHistoryRows = 30

// subsidyHistoryEmptyRows is how many empty lines the page offers below the filled ones (at least 6 lines).
const subsidyHistoryEmptyRows = 3

// shownHistoryRows is how many lines of f the page shows: every filled one and a few empty ones.
func shownHistoryRows(f *form) int {
	last := -1
	for i := range subsidyHistoryRows {
		if f.values.Get(fmt.Sprintf("years_%d_year", i)) != "" || f.values.Get(fmt.Sprintf("years_%d_monthly_average", i)) != "" {
			last = i
		}
	}
	return min(subsidyHistoryRows, max(6, last+1+subsidyHistoryEmptyRows))
}

var subsidyHistoryFields = func() []formField {
	var fs []formField
	for i := range subsidyHistoryRows {
		fs = append(fs, formField{fmt.Sprintf("years_%d_year", i), "subsidyband.year"},
			formField{fmt.Sprintf("years_%d_monthly_average", i), "subsidyband.average"})
	}
	return append(fs, formField{"last_rate", "subsidyband.last_rate"})
}()

// bandLine is a year's band as the page shows it.
type bandLine struct {
	Year        int
	Rate        int
	Override    bool
	Explanation string
	Averages    string
	OverrideMsg string
}

// subsidyBandData is the page data of payments_subsidy_band.html.
type subsidyBandData struct {
	Lines   []bandLine
	Version int64
	Rows    []historyRow
}

// historyRow is a line of the form (I from 0, N from 1 for its legend).
type historyRow struct{ I, N int }

// averageText writes a monthly average in the page's language (1.234,5 in French, Dutch and German; 1,234.5 in
// English).
func averageText(l string, v *float64) string {
	if v == nil {
		return translate(l, "subsidyband.unknown")
	}
	s := strconv.FormatFloat(*v, 'f', -1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	sep, dec := ".", ","
	if l == "en" {
		sep, dec = ",", "."
	}
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString(dec + frac)
	}
	return b.String()
}

func bandLineOf(l string, b SubsidyBand) bandLine {
	avg := func(a SubsidyYearAverage) string {
		return translate(l, "subsidyband.average_of", "year", a.Year, "average", averageText(l, a.MonthlyAverage),
			"source", translate(l, "subsidyband.source."+a.Source))
	}
	out := bandLine{Year: b.Year, Rate: b.Rate, Override: b.Source == "override",
		Explanation: translate(l, "subsidyband.rule."+b.Rule, "year", b.Year, "rate", b.ComputedRate, "previous", b.PreviousRate,
			"n2", averageText(l, b.N2.MonthlyAverage), "n3", averageText(l, b.N3.MonthlyAverage), "y2", b.Year-2, "y3", b.Year-3),
		Averages: avg(b.N2) + " " + avg(b.N3)}
	if out.Override {
		out.OverrideMsg = translate(l, "subsidyband.override", "override", b.Override, "computed", b.ComputedRate)
	}
	return out
}

func historyValues(h SubsidyHistory) url.Values {
	v := url.Values{}
	for i, y := range h.Years {
		if i >= subsidyHistoryRows {
			break
		}
		v.Set(fmt.Sprintf("years_%d_year", i), strconv.Itoa(y.Year))
		v.Set(fmt.Sprintf("years_%d_monthly_average", i), strings.ReplaceAll(strconv.FormatFloat(y.MonthlyAverage, 'f', -1, 64), ".", ","))
	}
	if h.LastRate != 0 {
		v.Set("last_rate", strconv.Itoa(h.LastRate))
	}
	return v
}

func (s *Server) subsidyBandPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderSubsidyBand(w, r, sess, http.StatusOK, nil)
}

// renderSubsidyBand shows the bands and the form: f is the refused form (nil: the declared history).
func (s *Server) renderSubsidyBand(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form) {
	l := langOf(r)
	cl := s.call(r, sess)
	h, err := s.payments.SubsidyHistory(r.Context(), cl)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	data := subsidyBandData{Version: h.Version}
	year := time.Now().Year()
	for _, y := range []int{year, year + 1} {
		b, err := s.payments.SubsidyBandOf(r.Context(), cl, y)
		if err != nil {
			s.apiFailed(w, r, sess, err)
			return
		}
		data.Lines = append(data.Lines, bandLineOf(l, b))
	}
	if f == nil {
		f = newForm(subsidyHistoryFields, historyValues(h))
	}
	for i := range shownHistoryRows(f) {
		data.Rows = append(data.Rows, historyRow{I: i, N: i + 1})
	}
	v := &view{Lang: l, Session: sess, Form: f, Data: data}
	v.Title = v.T("subsidyband.title")
	s.render(w, r, status, "payments_subsidy_band", v)
}

var (
	yearPattern    = regexp.MustCompile(`^[0-9]{4}$`)
	groupedPattern = regexp.MustCompile(`^[0-9]{1,3}(\.[0-9]{3})+$`)
)

// parseAverage reads 512,25 / 512.25 / 1.000 / 1.000,5 / 1 000.
func parseAverage(s string) (float64, bool) {
	s = strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "\u00a0", "")
	switch {
	case strings.Contains(s, ","):
		s = strings.ReplaceAll(strings.ReplaceAll(s, ".", ""), ",", ".")
	case groupedPattern.MatchString(s):
		s = strings.ReplaceAll(s, ".", "")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v > 1e7 {
		return 0, false
	}
	return v, true
}

func (s *Server) saveSubsidyHistory(w http.ResponseWriter, r *http.Request, sess *Session) {
	l := langOf(r)
	values := url.Values{}
	for _, fd := range subsidyHistoryFields {
		values.Set(fd.Name, strings.TrimSpace(r.PostFormValue(fd.Name)))
	}
	f := newForm(subsidyHistoryFields, values)
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		f := newForm(subsidyHistoryFields, values)
		f.General = append(f.General, translate(l, "subsidyband.error.conflict"))
		s.renderSubsidyBand(w, r, sess, http.StatusConflict, f)
		return
	}
	in := SubsidyHistory{Years: []SubsidyDeclaredYear{}}
	rename := map[string]string{}
	for i := range subsidyHistoryRows {
		yn, an := fmt.Sprintf("years_%d_year", i), fmt.Sprintf("years_%d_monthly_average", i)
		ys, as := values.Get(yn), values.Get(an)
		if ys == "" && as == "" {
			continue
		}
		y, yok := 0, yearPattern.MatchString(ys)
		if yok {
			y, _ = strconv.Atoi(ys)
		} else {
			f.Fail(yn, translate(l, "subsidyband.error.year"))
		}
		a, aok := parseAverage(as)
		if !aok {
			f.Fail(an, translate(l, "subsidyband.error.average"))
		}
		n := len(in.Years)
		rename[fmt.Sprintf("years_%d_year", n)], rename[fmt.Sprintf("years_%d_monthly_average", n)] = yn, an
		in.Years = append(in.Years, SubsidyDeclaredYear{Year: y, MonthlyAverage: a})
	}
	if lr := values.Get("last_rate"); lr != "" {
		v, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(lr, "%")), " "))
		if err != nil {
			f.Fail("last_rate", translate(l, "subsidyband.error.rate"))
		}
		in.LastRate = v
	}
	if f.HasErrors() {
		s.renderSubsidyBand(w, r, sess, http.StatusUnprocessableEntity, f)
		return
	}
	_, err = s.payments.PutSubsidyHistory(r.Context(), s.call(r, sess), version, in)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.subsidy_history_saved")
		http.Redirect(w, r, "/payments/subsidy", http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusPreconditionFailed:
		f := newForm(subsidyHistoryFields, nil)
		f.General = append(f.General, translate(l, "subsidyband.error.conflict"))
		s.renderSubsidyBand(w, r, sess, http.StatusConflict, f)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f.applyProblem(ae, rename)
		s.renderSubsidyBand(w, r, sess, ae.Status, f)
	default:
		s.apiFailed(w, r, sess, err)
	}
}
