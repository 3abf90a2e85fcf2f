package ledger

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/schedule"
)

// Route patterns, as in api/policy/policy.csv and api/openapi/payments.v1.yaml.
const (
	RouteBeneficiaries = "GET /v1/ledger/beneficiaries"
	RouteBeneficiary   = "GET /v1/ledger/beneficiaries/{id}"
	RouteTenant        = "GET /v1/ledger/tenant"
	RouteJournal       = "GET /v1/accounting/journal"
)

// Routes lists the package's route patterns.
func Routes() []string {
	return []string{RouteBeneficiaries, RouteBeneficiary, RouteTenant, RouteJournal}
}

// PurposeRoutes need X-Purpose (they read a beneficiary's payments).
var PurposeRoutes = []string{RouteBeneficiaries, RouteBeneficiary}

// MonthRange reads the months from and to ("YYYY-MM", to defaults to from, from to the current month) of q as
// the first day of from and the last day of to; at most 24 months.
func MonthRange(q url.Values, fs *problem.Fields, today civil.Date) (civil.Date, civil.Date) {
	from, to := schedule.FirstOfMonth(today), schedule.FirstOfMonth(today)
	if v := q.Get("from"); v != "" {
		m, err := schedule.ParseMonth(v)
		if err != nil || len(v) != 7 {
			fs.Add("from", "invalid")
		} else {
			from, to = m, m
		}
	}
	if v := q.Get("to"); v != "" {
		m, err := schedule.ParseMonth(v)
		if err != nil || len(v) != 7 {
			fs.Add("to", "invalid")
		} else {
			to = m
		}
	}
	if to.Before(from) || from.AddDays(24*31).Before(to) {
		fs.Add("to", "payments.month_range")
	}
	return from, to.AddDays(schedule.DaysInMonth(to) - 1)
}

// Month reads the month ("YYYY-MM", required) of q as its first and last day.
func Month(q url.Values, fs *problem.Fields) (civil.Date, civil.Date) {
	v := q.Get("month")
	m, err := schedule.ParseMonth(v)
	if v == "" {
		fs.Add("month", "required")
		return m, m
	}
	if err != nil || len(v) != 7 {
		fs.Add("month", "invalid")
		return m, m
	}
	return m, m.AddDays(schedule.DaysInMonth(m) - 1)
}

type listRequest struct {
	q, purpose     string
	page, pageSize int
}

type personRequest struct{ id, purpose string }

type rangeRequest struct {
	from, to civil.Date
	csv      bool
	// err is the input's error, answered after authentication (an anonymous caller gets 401, not 422).
	err error
}

// CSV is a CSV answer to download.
type CSV struct {
	Name string
	Body []byte
}

// EncodeCSV writes a CSV answer as an attachment (JSON answers go as JSON).
func EncodeCSV(ctx context.Context, w http.ResponseWriter, resp any) error {
	c, ok := resp.(CSV)
	if !ok {
		return httpkit.EncodeJSON(ctx, w, resp)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+c.Name+`"`)
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(c.Body)
	return err
}

// WantsCSV tells whether the request asks for CSV (format=csv, or Accept: text/csv).
func WantsCSV(r *http.Request) bool {
	return r.URL.Query().Get("format") == "csv" || strings.Contains(r.Header.Get("Accept"), "text/csv")
}

// KitRoutes are the package's routes with their endpoints.
func (s *Service) KitRoutes() []kit.Route {
	return []kit.Route{
		{Pattern: RouteBeneficiaries, Decode: func(_ context.Context, r *http.Request) (any, error) {
			var fs problem.Fields
			q := r.URL.Query()
			lr := listRequest{q: strings.TrimSpace(q.Get("q")), purpose: r.Header.Get(kit.PurposeHeader)}
			lr.page, lr.pageSize = schedule.Paging(q, &fs)
			if len(lr.q) > 100 {
				fs.Add("q", "invalid")
			}
			return lr, fs.Err()
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(listRequest)
			return s.Beneficiaries(ctx, a, r.q, r.page, r.pageSize, r.purpose)
		}},
		{Pattern: RouteBeneficiary, Decode: func(_ context.Context, r *http.Request) (any, error) {
			id, err := kit.PathID(r)
			if err != nil {
				return nil, err
			}
			return personRequest{id: id, purpose: r.Header.Get(kit.PurposeHeader)}, nil
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(personRequest)
			return s.Person(ctx, a, r.id, r.purpose, civil.Of(time.Now()))
		}},
		{Pattern: RouteTenant, Decode: func(_ context.Context, r *http.Request) (any, error) {
			var fs problem.Fields
			from, to := MonthRange(r.URL.Query(), &fs, civil.Of(time.Now()))
			return rangeRequest{from: from, to: to}, fs.Err()
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(rangeRequest)
			return s.Tenant(ctx, a, r.from, r.to)
		}},
		{Pattern: RouteJournal, Decode: func(_ context.Context, r *http.Request) (any, error) {
			var fs problem.Fields
			from, to := Month(r.URL.Query(), &fs)
			return rangeRequest{from: from, to: to, csv: WantsCSV(r), err: fs.Err()}, nil
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(rangeRequest)
			if r.err != nil {
				return nil, r.err
			}
			lines, err := s.Journal(ctx, a, r.from, r.to)
			if err != nil {
				return nil, err
			}
			if !r.csv {
				return JournalView{Month: schedule.MonthKey(r.from), Lines: lines}, nil
			}
			var b bytes.Buffer
			if err := WriteJournalCSV(&b, lines); err != nil {
				return nil, err
			}
			return CSV{Name: "journal-" + schedule.MonthKey(r.from) + ".csv", Body: b.Bytes()}, nil
		}, Encode: EncodeCSV},
	}
}

// JournalView is the JSON answer of RouteJournal.
type JournalView struct {
	Month string        `json:"month"`
	Lines []JournalLine `json:"lines"`
}

func init() {
	problem.RegisterMessages("payments.month_range", map[string]string{
		"fr": "Période invalide : le mois de fin suit le mois de début, 24 mois au plus.",
		"nl": "Ongeldige periode: de eindmaand volgt op de beginmaand, hoogstens 24 maanden.",
		"de": "Ungültiger Zeitraum: der Endmonat folgt dem Anfangsmonat, höchstens 24 Monate.",
		"en": "Invalid period: the end month follows the start month, 24 months at most."})
}
