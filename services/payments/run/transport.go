package run

import (
	"context"
	"log/slog"
	"net/http"
	"slices"

	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/schedule"
)

// Route patterns, as in api/policy/policy.csv and api/openapi/payments.v1.yaml.
const (
	RouteCreate   = "POST /v1/runs"
	RouteList     = "GET /v1/runs"
	RouteGet      = "GET /v1/runs/{id}"
	RoutePayments = "GET /v1/runs/{id}/payments"
	RouteApprove  = "POST /v1/runs/{id}/approval"
	RouteCancel   = "POST /v1/runs/{id}/cancellation"
	RouteExport   = "POST /v1/runs/{id}/export"
	RouteFile     = "GET /v1/runs/{id}/file"
)

// CreationRoutes honour an Idempotency-Key (run creation, approval, export).
var CreationRoutes = []string{RouteCreate, RouteApprove, RouteExport}

// IfMatchRoutes need If-Match (the version the approver or canceller saw).
var IfMatchRoutes = []string{RouteApprove, RouteCancel}

// PurposeRoutes need X-Purpose (they read payees' names and accounts).
var PurposeRoutes = []string{RoutePayments, RouteFile}

// Routes lists the package's route patterns.
func Routes() []string {
	return []string{RouteCreate, RouteList, RouteGet, RoutePayments, RouteApprove, RouteCancel, RouteExport, RouteFile}
}

// View is a run as the API shows it.
type View struct {
	ID string `json:"id"`
	Run
	Version int64 `json:"version"`
	created bool
}

// Headers sets the ETag (and Location on creation).
func (v View) Headers() http.Header {
	h := http.Header{"Etag": {kit.ETag(v.Version)}}
	if v.created {
		h.Set("Location", "/v1/runs/"+v.ID)
	}
	return h
}

// StatusCode is 201 on creation.
func (v View) StatusCode() int {
	if v.created {
		return http.StatusCreated
	}
	return http.StatusOK
}

func view(rec Record) View {
	if rec.State.Export != nil && rec.State.Export.Held == nil {
		rec.State.Export.Held = []Held{}
	}
	return View{ID: rec.ID, Run: rec.State, Version: rec.Version}
}

// Page is a page of runs.
type Page struct {
	Items    []View `json:"items"`
	Page     int    `json:"page"`
	PageSize int    `json:"page_size"`
}

// PaymentsPage is a page of a run's payments.
type PaymentsPage struct {
	Items      []schedule.View `json:"items"`
	Page       int             `json:"page"`
	PageSize   int             `json:"page_size"`
	TotalCount int64           `json:"total_count"`
}

type idRequest struct{ id, purpose string }

type changeRequest struct {
	id      string
	version int64
}

type listRequest struct {
	status         string
	page, pageSize int
}

type paymentsRequest struct {
	id, purpose    string
	page, pageSize int
}

func decodeID(_ context.Context, r *http.Request) (any, error) {
	id, err := kit.PathID(r)
	if err != nil {
		return nil, err
	}
	return idRequest{id: id, purpose: r.Header.Get(kit.PurposeHeader)}, nil
}

func decodeChange(_ context.Context, r *http.Request) (any, error) {
	id, err := kit.PathID(r)
	if err != nil {
		return nil, err
	}
	v, err := kit.IfMatch(r)
	if err != nil {
		return nil, err
	}
	return changeRequest{id: id, version: v}, nil
}

// file is a run's pain.001 file, streamed by encodeFile.
type file struct {
	s     *Service
	actor kit.Actor
	rec   Record
	// record: mark the run exported after the file was written whole.
	record bool
}

// encodeFile streams the file. The response has started when the file is being written: a failure then aborts
// the connection (the client sees a broken download, never a truncated file with a 200), and is logged.
func encodeFile(logger *slog.Logger) func(ctx context.Context, w http.ResponseWriter, resp any) error {
	return func(ctx context.Context, w http.ResponseWriter, resp any) error {
		f := resp.(file)
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+f.rec.State.Number+`.xml"`)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		sum, size, err := f.s.Write(ctx, f.actor.Tenant, f.rec, w)
		if err != nil {
			logger.ErrorContext(ctx, "payment file not written", "run", f.rec.ID, "error", err.Error())
			panic(http.ErrAbortHandler)
		}
		if exp := f.rec.State.Export; exp.SHA256 != "" && exp.SHA256 != sum {
			logger.ErrorContext(ctx, "payment file differs from the first export", "run", f.rec.ID)
		}
		if f.record {
			if err := f.s.Exported(context.WithoutCancel(ctx), f.actor, f.rec, sum, size); err != nil {
				// The file is out and the same bytes come again on the next export: the run is marked then.
				logger.ErrorContext(ctx, "run not marked exported", "run", f.rec.ID, "error", err.Error())
			}
		}
		return nil
	}
}

// KitRoutes are the package's routes with their endpoints.
func (s *Service) KitRoutes(logger *slog.Logger) []kit.Route {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	change := func(fn func(ctx context.Context, a kit.Actor, id string, v int64) (Record, error)) kit.Route {
		return kit.Route{Decode: decodeChange, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(changeRequest)
			rec, err := fn(ctx, a, r.id, r.version)
			if err != nil {
				return nil, err
			}
			return view(rec), nil
		}}
	}
	approve, cancel := change(s.Approve), change(s.Cancel)
	approve.Pattern, cancel.Pattern = RouteApprove, RouteCancel
	return []kit.Route{
		{Pattern: RouteCreate, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			rec, err := s.Build(ctx, a, req.(Input))
			if err != nil {
				return nil, err
			}
			v := view(rec)
			v.created = true
			return v, nil
		}, Decode: func(_ context.Context, r *http.Request) (any, error) {
			var in Input
			err := httpkit.DecodeJSON(r, &in, kit.MaxJSON)
			return in, err
		}},
		{Pattern: RouteList, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(listRequest)
			recs, err := s.List(ctx, a, r.status, int64((r.page-1)*r.pageSize), int64(r.pageSize))
			if err != nil {
				return nil, err
			}
			out := Page{Items: []View{}, Page: r.page, PageSize: r.pageSize}
			for _, rec := range recs {
				out.Items = append(out.Items, view(rec))
			}
			return out, nil
		}, Decode: func(_ context.Context, r *http.Request) (any, error) {
			var fs problem.Fields
			q := r.URL.Query()
			lr := listRequest{status: q.Get("status")}
			lr.page, lr.pageSize = schedule.Paging(q, &fs)
			if lr.status != "" && !slices.Contains([]string{StatusBuilding, StatusDraft, StatusApproved, StatusExported, StatusCancelled}, lr.status) {
				fs.Add("status", "invalid")
			}
			return lr, fs.Err()
		}},
		{Pattern: RouteGet, Decode: decodeID, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			rec, err := s.Get(ctx, a, req.(idRequest).id)
			if err != nil {
				return nil, err
			}
			return view(rec), nil
		}},
		{Pattern: RoutePayments, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(paymentsRequest)
			return s.Payments(ctx, a, r.id, r.purpose, r.page, r.pageSize)
		}, Decode: func(_ context.Context, r *http.Request) (any, error) {
			id, err := kit.PathID(r)
			if err != nil {
				return nil, err
			}
			var fs problem.Fields
			pr := paymentsRequest{id: id, purpose: r.Header.Get(kit.PurposeHeader)}
			pr.page, pr.pageSize = schedule.Paging(r.URL.Query(), &fs)
			return pr, fs.Err()
		}},
		approve,
		cancel,
		{Pattern: RouteExport, Decode: decodeID, Encode: encodeFile(logger), Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			rec, err := s.Prepare(ctx, a, req.(idRequest).id)
			if err != nil {
				return nil, err
			}
			s.Audit.Record(ctx, a, kit.Entry{Action: "run.export", ResourceType: "run", ResourceID: rec.ID, Purpose: "payment"})
			return file{s: s, actor: a, rec: rec, record: true}, nil
		}},
		{Pattern: RouteFile, Decode: decodeID, Encode: encodeFile(logger), Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(idRequest)
			if err := kit.CheckPurpose(r.purpose); err != nil {
				return nil, err
			}
			rec, err := s.Get(ctx, a, r.id)
			if err != nil {
				return nil, err
			}
			if rec.State.Status != StatusExported || rec.State.Export == nil {
				return nil, problem.New(problem.Conflict).With("code", "payments.run_not_exported").With("status", rec.State.Status)
			}
			s.Audit.Record(ctx, a, kit.Entry{Action: "run.file.read", ResourceType: "run", ResourceID: rec.ID, Purpose: r.purpose})
			return file{s: s, actor: a, rec: rec}, nil
		}},
	}
}

// Payments reads a page of a run's payments (finance), audited.
func (s *Service) Payments(ctx context.Context, a kit.Actor, id, purpose string, page, size int) (PaymentsPage, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return PaymentsPage{}, err
	}
	if _, err := s.Get(ctx, a, id); err != nil {
		return PaymentsPage{}, err
	}
	// Every payment that went into the run, wherever it stands now (a payment held back at the export is due
	// again, with its reason).
	q := schedule.Query{AttemptRun: id}
	count, _, err := s.Schedules.Totals(ctx, a.Tenant, q)
	if err != nil {
		return PaymentsPage{}, err
	}
	q.Skip, q.Limit = int64((page-1)*size), int64(size)
	recs, err := s.Schedules.Find(ctx, a.Tenant, q)
	if err != nil {
		return PaymentsPage{}, err
	}
	ids := make([]string, 0, len(recs))
	for _, r := range recs {
		ids = append(ids, r.State.FileID)
	}
	files, err := s.Proj.Files(ctx, a.Tenant, ids)
	if err != nil {
		return PaymentsPage{}, err
	}
	out := PaymentsPage{Items: []schedule.View{}, Page: page, PageSize: size, TotalCount: count}
	sv := &schedule.Service{Proj: s.Proj}
	for _, r := range recs {
		v := sv.ViewOf(ctx, a.Tenant, r, files)
		for _, at := range r.State.Attempts {
			if at.RunID == id {
				v.EndToEndID = at.EndToEndID // as the run's file names it
			}
		}
		out.Items = append(out.Items, v)
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "run.payments.read", ResourceType: "run", ResourceID: id, Purpose: purpose})
	return out, nil
}

func init() {
	for code, texts := range map[string]map[string]string{
		"payments.execution_past": {"fr": "La date d'exécution ne peut pas être passée.", "nl": "De uitvoeringsdatum mag niet in het verleden liggen.",
			"de": "Das Ausführungsdatum darf nicht in der Vergangenheit liegen.", "en": "The execution date cannot be in the past."},
		"payments.execution_far": {"fr": "La date d'exécution est à plus d'un an.", "nl": "De uitvoeringsdatum ligt meer dan een jaar verder.",
			"de": "Das Ausführungsdatum liegt mehr als ein Jahr entfernt.", "en": "The execution date is more than a year away."},
		"payments.nothing_due": {"fr": "Aucun paiement dû pour cette date et ces filtres.", "nl": "Geen verschuldigde betaling voor deze datum en filters.",
			"de": "Keine fällige Zahlung für dieses Datum und diese Filter.", "en": "No payment due for this date and these filters."},
	} {
		problem.RegisterMessages(code, texts)
	}
}
