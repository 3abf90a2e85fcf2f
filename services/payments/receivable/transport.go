package receivable

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/projection"
	"github.com/entraide/entraide/services/payments/schedule"
)

// Route patterns, as in api/policy/policy.csv and api/openapi/payments.v1.yaml.
const (
	RouteList            = "GET /v1/receivables"
	RouteGet             = "GET /v1/receivables/{id}"
	RoutePlan            = "PUT /v1/receivables/{id}/plan"
	RouteClosure         = "POST /v1/receivables/{id}/closure"
	RouteFileReceivables = "GET /v1/files/{id}/receivables"
)

// Routes lists the package's route patterns.
func Routes() []string {
	return []string{RouteList, RouteGet, RoutePlan, RouteClosure, RouteFileReceivables}
}

// PurposeRoutes need X-Purpose (they read a beneficiary's debts).
var PurposeRoutes = []string{RouteList, RouteGet, RouteFileReceivables}

// IfMatchRoutes need If-Match.
var IfMatchRoutes = []string{RoutePlan, RouteClosure}

// CreationRoutes honour an Idempotency-Key (a closure is decided once).
var CreationRoutes = []string{RouteClosure}

// View is a receivable as finance sees it.
type View struct {
	ID string `json:"id"`
	Receivable
	OGMDisplay   string      `json:"ogm_display"`
	BalanceCents int64       `json:"balance_cents"`
	BehindCents  int64       `json:"behind_cents"`
	Timetable    []PlanMonth `json:"timetable,omitempty"`
	PersonName   string      `json:"person_name,omitempty"`
	FileNumber   string      `json:"file_number,omitempty"`
	Version      int64       `json:"version"`
}

// Headers sets the ETag.
func (v View) Headers() http.Header { return http.Header{"Etag": {kit.ETag(v.Version)}} }

func (s *Service) view(ctx context.Context, tenant string, rec store.Versioned[Receivable], files map[string]projection.File, detail bool) View {
	code, _ := ogm.Parse(rec.State.OGM)
	if rec.State.Payments == nil {
		rec.State.Payments = []Payment{}
	}
	v := View{ID: rec.ID, Receivable: rec.State, OGMDisplay: code.Format(), BalanceCents: rec.State.Balance(),
		BehindCents: rec.State.Behind(civil.Of(s.now())), FileNumber: files[rec.State.FileID].Number, Version: rec.Version}
	if p, err := s.Proj.Payee(ctx, tenant, rec.State.PersonID); err == nil {
		v.PersonName = p.PersonName
		if v.PersonName == "" {
			v.PersonName = p.Name()
		}
	}
	if detail {
		v.Timetable = rec.State.Timetable()
	}
	return v
}

// Page is a page of receivables with the totals of the whole selection.
type Page struct {
	Items        []View `json:"items"`
	Page         int    `json:"page"`
	PageSize     int    `json:"page_size"`
	TotalCount   int64  `json:"total_count"`
	TotalCents   int64  `json:"total_cents"`
	BalanceCents int64  `json:"balance_cents"`
}

// ListQuery is a page request.
type ListQuery struct {
	Status     string
	FileNumber string
	PersonID   string
	Page       int
	PageSize   int
	Purpose    string
}

var listStatuses = []string{StatusOpen, StatusSettled, StatusWaived, StatusCancelled}

// List reads a page of the tenant's receivables (finance), audited.
func (s *Service) List(ctx context.Context, a kit.Actor, q ListQuery) (Page, error) {
	if err := kit.CheckPurpose(q.Purpose); err != nil {
		return Page{}, err
	}
	out := Page{Items: []View{}, Page: q.Page, PageSize: q.PageSize}
	f := bson.D{}
	if q.Status != "" {
		f = append(f, bson.E{Key: "status", Value: q.Status})
	}
	if q.PersonID != "" {
		f = append(f, bson.E{Key: "person_id", Value: q.PersonID})
	}
	if q.FileNumber != "" {
		id, err := s.Proj.FileByNumber(ctx, a.Tenant, q.FileNumber)
		if err != nil {
			return out, err
		}
		if id == "" {
			return out, nil
		}
		f = append(f, bson.E{Key: "file_id", Value: id})
	}
	filter, err := store.TenantFilter(a.Tenant, f)
	if err != nil {
		return out, err
	}
	cur, err := s.Repo.Collection().Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "amount_cents", Value: 1}, {Key: "paid_cents", Value: 1}, {Key: "status", Value: 1}}))
	if err != nil {
		return out, err
	}
	for cur.Next(ctx) {
		amount, _ := cur.Current.Lookup("amount_cents").AsInt64OK()
		paid, _ := cur.Current.Lookup("paid_cents").AsInt64OK()
		st, _ := cur.Current.Lookup("status").StringValueOK()
		out.TotalCount++
		out.TotalCents += amount
		if st == StatusOpen {
			out.BalanceCents += amount - paid
		}
	}
	if err := cur.Err(); err != nil {
		return out, err
	}
	_ = cur.Close(ctx)
	recs, err := s.Repo.Find(ctx, a.Tenant, f, options.Find().SetSort(bson.D{{Key: "created_on", Value: -1}, {Key: "_id", Value: 1}}).
		SetSkip(int64((q.Page-1)*q.PageSize)).SetLimit(int64(q.PageSize)))
	if err != nil {
		return out, err
	}
	ids := make([]string, 0, len(recs))
	for _, r := range recs {
		ids = append(ids, r.State.FileID)
	}
	files, err := s.Proj.Files(ctx, a.Tenant, ids)
	if err != nil {
		return out, err
	}
	for _, r := range recs {
		out.Items = append(out.Items, s.view(ctx, a.Tenant, r, files, false))
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "receivable.list", ResourceType: "receivable", Purpose: q.Purpose})
	return out, nil
}

// Get reads one receivable with its payments and plan (finance), audited.
func (s *Service) Get(ctx context.Context, a kit.Actor, id, purpose string) (View, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return View{}, err
	}
	rec, err := s.Repo.Load(ctx, a.Tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return View{}, kit.ErrNotFound
	}
	if err != nil {
		return View{}, err
	}
	files, err := s.Proj.Files(ctx, a.Tenant, []string{rec.State.FileID})
	if err != nil {
		return View{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "receivable.read", ResourceType: "receivable", ResourceID: id, FileID: rec.State.FileID, Purpose: purpose})
	return s.view(ctx, a.Tenant, rec, files, true), nil
}

// StatusView is a receivable as the file's social worker sees it: amounts and status, no account, no payment
// detail.
type StatusView struct {
	ID           string     `json:"id"`
	DecisionID   string     `json:"decision_id"`
	Source       string     `json:"source"`
	Case         string     `json:"case,omitempty"`
	AmountCents  int64      `json:"amount_cents"`
	PaidCents    int64      `json:"paid_cents"`
	BalanceCents int64      `json:"balance_cents"`
	Status       string     `json:"status"`
	OGMDisplay   string     `json:"ogm_display"`
	Plan         *Plan      `json:"plan,omitempty"`
	CreatedOn    civil.Date `json:"created_on"`
}

// FileReceivables lists the receivables of one file: a social worker only for their files (another is "not
// found"), the head and finance any.
func (s *Service) FileReceivables(ctx context.Context, a kit.Actor, fileID, purpose string) ([]StatusView, error) {
	if err := kit.CheckFileRead(ctx, s.Proj, s.Audit, a, fileID, purpose, "file.receivables.read"); err != nil {
		return nil, err
	}
	recs, err := s.Of(ctx, a.Tenant, bson.D{{Key: "file_id", Value: fileID}})
	if err != nil {
		return nil, err
	}
	out := []StatusView{}
	for _, r := range recs {
		code, _ := ogm.Parse(r.State.OGM)
		p := r.State.Plan
		if p != nil {
			p = &Plan{MonthlyCents: p.MonthlyCents, Start: p.Start}
		}
		out = append(out, StatusView{ID: r.ID, DecisionID: r.State.DecisionID, Source: r.State.Source, Case: r.State.Case,
			AmountCents: r.State.AmountCents, PaidCents: r.State.PaidCents, BalanceCents: r.State.Balance(), Status: r.State.Status,
			OGMDisplay: code.Format(), Plan: p, CreatedOn: r.State.CreatedOn})
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "file.receivables.read", ResourceType: "file", ResourceID: fileID, FileID: fileID, Purpose: purpose})
	return out, nil
}

// FileReceivablesView is the answer of RouteFileReceivables.
type FileReceivablesView struct {
	FileID string       `json:"file_id"`
	Items  []StatusView `json:"items"`
}

type idRequest struct{ id, purpose string }

type planRequest struct {
	id      string
	version int64
	body    PlanInput
}

type closeRequest struct {
	id      string
	version int64
	body    CloseInput
}

func decodeID(_ context.Context, r *http.Request) (any, error) {
	id, err := kit.PathID(r)
	if err != nil {
		return nil, err
	}
	return idRequest{id: id, purpose: r.Header.Get(kit.PurposeHeader)}, nil
}

func decodeList(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	var fs problem.Fields
	lq := ListQuery{Purpose: r.Header.Get(kit.PurposeHeader)}
	lq.Page, lq.PageSize = schedule.Paging(q, &fs)
	switch st := q.Get("status"); {
	case st == "" || st == "all":
	case slices.Contains(listStatuses, st):
		lq.Status = st
	default:
		fs.Add("status", "invalid")
	}
	lq.FileNumber = strings.TrimSpace(q.Get("file_number"))
	if len(lq.FileNumber) > 40 {
		fs.Add("file_number", "invalid")
	}
	if p := q.Get("person_id"); p != "" {
		if !kit.IsUUID(p) {
			fs.Add("person_id", "invalid")
		}
		lq.PersonID = p
	}
	return lq, fs.Err()
}

// KitRoutes are the package's routes with their endpoints.
func (s *Service) KitRoutes() []kit.Route {
	actor := func(ctx context.Context) (kit.Actor, error) { return kit.ActorFrom(ctx) }
	return []kit.Route{
		{Pattern: RouteList, Decode: decodeList, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			return s.List(ctx, a, req.(ListQuery))
		}},
		{Pattern: RouteGet, Decode: decodeID, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(idRequest)
			return s.Get(ctx, a, r.id, r.purpose)
		}},
		{Pattern: RouteFileReceivables, Decode: decodeID, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(idRequest)
			items, err := s.FileReceivables(ctx, a, r.id, r.purpose)
			if err != nil {
				return nil, err
			}
			return FileReceivablesView{FileID: r.id, Items: items}, nil
		}},
		{Pattern: RoutePlan, Decode: func(_ context.Context, r *http.Request) (any, error) {
			id, err := kit.PathID(r)
			if err != nil {
				return nil, err
			}
			v, err := kit.IfMatch(r)
			if err != nil {
				return nil, err
			}
			var body PlanInput
			if err := httpkit.DecodeJSON(r, &body, kit.MaxJSON); err != nil {
				return nil, err
			}
			return planRequest{id: id, version: v, body: body}, nil
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(planRequest)
			rec, err := s.SetPlan(ctx, a, r.id, r.version, r.body)
			if err != nil {
				return nil, err
			}
			return s.view(ctx, a.Tenant, rec, nil, true), nil
		}},
		{Pattern: RouteClosure, Decode: func(_ context.Context, r *http.Request) (any, error) {
			id, err := kit.PathID(r)
			if err != nil {
				return nil, err
			}
			v, err := kit.IfMatch(r)
			if err != nil {
				return nil, err
			}
			var body CloseInput
			if err := httpkit.DecodeJSON(r, &body, kit.MaxJSON); err != nil {
				return nil, err
			}
			return closeRequest{id: id, version: v, body: body}, nil
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(closeRequest)
			rec, err := s.Close(ctx, a, r.id, r.version, r.body)
			if err != nil {
				return nil, err
			}
			return s.view(ctx, a.Tenant, rec, nil, true), nil
		}},
	}
}
