package schedule

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/projection"
)

// Route patterns, as in api/policy/policy.csv and api/openapi/payments.v1.yaml.
const (
	RouteInstalments  = "GET /v1/instalments"
	RouteFilePayments = "GET /v1/files/{id}/payments"
	RouteSchedule     = "GET /v1/schedules/{id}"
)

// PurposeRoutes need X-Purpose (they read personal data).
var PurposeRoutes = []string{RouteInstalments, RouteFilePayments, RouteSchedule, RouteInstalment}

// Routes lists the package's route patterns.
func Routes() []string {
	return []string{RouteInstalments, RouteFilePayments, RouteSchedule, RouteInstalment, RouteReissue}
}

// View is an instalment as finance sees it: the payee's name and account, the file number, the run.
type View struct {
	ID            string     `json:"id"`
	DecisionID    string     `json:"decision_id"`
	FileID        string     `json:"file_id"`
	FileNumber    string     `json:"file_number,omitempty"`
	Kind          string     `json:"kind"`
	BudgetArticle string     `json:"budget_article"`
	Label         string     `json:"label"`
	Periods       []Part     `json:"periods"`
	AmountCents   int64      `json:"amount_cents"`
	DueOn         civil.Date `json:"due_on"`
	Status        string     `json:"status"`
	PayeeKind     string     `json:"payee_kind"`
	PayeeName     string     `json:"payee_name,omitempty"`
	PayeeIBAN     string     `json:"payee_iban,omitempty"`
	Communication string     `json:"communication,omitempty"`
	Reference     string     `json:"reference"`
	RunID         string     `json:"run_id,omitempty"`
	EndToEndID    string     `json:"end_to_end_id,omitempty"`
	HoldReason    string     `json:"hold_reason,omitempty"`
}

// StatusView is an instalment as a social worker sees it: what, when, how much, where it stands; no account.
type StatusView struct {
	ID          string     `json:"id"`
	DecisionID  string     `json:"decision_id"`
	Kind        string     `json:"kind"`
	Label       string     `json:"label"`
	Periods     []Part     `json:"periods"`
	AmountCents int64      `json:"amount_cents"`
	DueOn       civil.Date `json:"due_on"`
	Status      string     `json:"status"`
	PayeeKind   string     `json:"payee_kind"`
	HoldReason  string     `json:"hold_reason,omitempty"`
}

// Page is a page of instalments with the totals of the whole selection.
type Page struct {
	Items      []View `json:"items"`
	Page       int    `json:"page"`
	PageSize   int    `json:"page_size"`
	TotalCount int64  `json:"total_count"`
	TotalCents int64  `json:"total_cents"`
}

// ViewOf builds the finance view of an instalment (payee from the run's creditor, else the decision's third party,
// else the registry's payee).
func (s *Service) ViewOf(ctx context.Context, tenant string, v store.Versioned[Instalment], files map[string]projection.File) View {
	in := v.State
	out := View{ID: v.ID, DecisionID: in.DecisionID, FileID: in.FileID, FileNumber: files[in.FileID].Number, Kind: in.Kind,
		BudgetArticle: in.BudgetArticle, Label: in.Label, Periods: in.Parts, AmountCents: in.AmountCents, DueOn: in.DueOn,
		Status: in.Status, PayeeKind: in.Payee.Kind, Reference: in.Reference, RunID: in.RunID, EndToEndID: in.EndToEndID,
		HoldReason: in.HoldReason}
	switch {
	case in.Creditor != nil:
		out.PayeeName, out.PayeeIBAN, out.Communication = in.Creditor.Name, in.Creditor.IBAN, in.Creditor.Communication
	case in.Payee.Kind == "third_party":
		out.PayeeName, out.PayeeIBAN, out.Communication = in.Payee.Name, in.Payee.IBAN, in.Payee.Communication
	default:
		if p, err := s.Proj.Payee(ctx, tenant, in.PersonID); err == nil {
			out.PayeeName, out.PayeeIBAN = p.Name(), p.IBAN
		}
	}
	return out
}

// ListQuery is a page request of the due list.
type ListQuery struct {
	Query
	FileNumber string
	Page       int
	PageSize   int
	Purpose    string
}

// List reads a page of the tenant's instalments (finance), audited with the purpose.
func (s *Service) List(ctx context.Context, a kit.Actor, q ListQuery) (Page, error) {
	if err := kit.CheckPurpose(q.Purpose); err != nil {
		return Page{}, err
	}
	out := Page{Items: []View{}, Page: q.Page, PageSize: q.PageSize}
	if q.FileNumber != "" {
		id, err := s.Proj.FileByNumber(ctx, a.Tenant, q.FileNumber)
		if err != nil {
			return out, err
		}
		if id == "" {
			return out, nil
		}
		q.FileID = id
	}
	count, cents, err := s.Repo.Totals(ctx, a.Tenant, q.Query)
	if err != nil {
		return out, err
	}
	out.TotalCount, out.TotalCents = count, cents
	q.Skip, q.Limit = int64((q.Page-1)*q.PageSize), int64(q.PageSize)
	recs, err := s.Repo.Find(ctx, a.Tenant, q.Query)
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
		out.Items = append(out.Items, s.ViewOf(ctx, a.Tenant, r, files))
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "instalment.list", ResourceType: "instalment", Purpose: q.Purpose})
	return out, nil
}

// FilePayments lists the payments of one social file: a social worker only for a file assigned to them or to one
// of their teams (another file is "not found"), the head and finance any file of the tenant.
func (s *Service) FilePayments(ctx context.Context, a kit.Actor, fileID, purpose string) ([]StatusView, error) {
	if err := kit.CheckFileRead(ctx, s.Proj, s.Audit, a, fileID, purpose, "file.payments.read"); err != nil {
		return nil, err
	}
	recs, err := s.Repo.Find(ctx, a.Tenant, Query{FileID: fileID})
	if err != nil {
		return nil, err
	}
	out := []StatusView{}
	for _, r := range recs {
		in := r.State
		out = append(out, StatusView{ID: r.ID, DecisionID: in.DecisionID, Kind: in.Kind, Label: in.Label, Periods: in.Parts,
			AmountCents: in.AmountCents, DueOn: in.DueOn, Status: in.Status, PayeeKind: in.Payee.Kind, HoldReason: in.HoldReason})
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "file.payments.read", ResourceType: "file", ResourceID: fileID, FileID: fileID, Purpose: purpose})
	return out, nil
}

// ScheduleView is a schedule with its id.
type ScheduleView struct {
	ID string `json:"id"`
	Schedule
	Version int64 `json:"version"`
}

// Get reads a schedule (finance), audited.
func (s *Service) Get(ctx context.Context, a kit.Actor, id, purpose string) (ScheduleView, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return ScheduleView{}, err
	}
	v, err := s.Repo.Schedules.Load(ctx, a.Tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return ScheduleView{}, kit.ErrNotFound
	}
	if err != nil {
		return ScheduleView{}, err
	}
	if v.State.Receivables == nil {
		v.State.Receivables = []Receivable{}
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "schedule.read", ResourceType: "schedule", ResourceID: id, FileID: v.State.FileID, Purpose: purpose})
	return ScheduleView{ID: id, Schedule: v.State, Version: v.Version}, nil
}

// Statuses a list may filter on.
var listStatuses = []string{StatusScheduled, StatusInRun, StatusExported, StatusCancelled, StatusBooked, StatusReturned}

// Paging reads page and page_size (defaults 1 and 50, at most 200).
func Paging(q url.Values, fs *problem.Fields) (int, int) {
	page, size := 1, 50
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			fs.Add("page", "invalid")
		} else {
			page = n
		}
	}
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			fs.Add("page_size", "invalid")
		} else {
			size = n
		}
	}
	return page, size
}

func decodeList(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	var fs problem.Fields
	lq := ListQuery{Purpose: r.Header.Get(kit.PurposeHeader)}
	lq.Page, lq.PageSize = Paging(q, &fs)
	lq.Status = q.Get("status")
	if lq.Status == "" {
		lq.Status = StatusScheduled
	} else if lq.Status == "all" {
		lq.Status = ""
	} else if !slices.Contains(listStatuses, lq.Status) {
		fs.Add("status", "invalid")
	}
	for _, k := range q["kind"] {
		if !slices.Contains(Kinds, k) {
			fs.Add("kind", "payments.kind_unknown")
			break
		}
		lq.Kinds = append(lq.Kinds, k)
	}
	for _, a := range q["budget_article"] {
		if a = strings.TrimSpace(a); a != "" {
			lq.Articles = append(lq.Articles, a)
		}
	}
	if v := q.Get("due_by"); v != "" {
		d, err := civil.Parse(v)
		if err != nil {
			fs.Add("due_by", "invalid")
		}
		lq.DueBy = d
	}
	lq.FileNumber = strings.TrimSpace(q.Get("file_number"))
	if len(lq.FileNumber) > 40 {
		fs.Add("file_number", "invalid")
	}
	return lq, fs.Err()
}

type idRequest struct{ id, purpose string }

func decodeID(_ context.Context, r *http.Request) (any, error) {
	id, err := kit.PathID(r)
	if err != nil {
		return nil, err
	}
	return idRequest{id: id, purpose: r.Header.Get(kit.PurposeHeader)}, nil
}

// FilePaymentsView is the answer of RouteFilePayments.
type FilePaymentsView struct {
	FileID string       `json:"file_id"`
	Items  []StatusView `json:"items"`
}

// KitRoutes are the package's routes with their endpoints.
func (s *Service) KitRoutes() []kit.Route {
	return append([]kit.Route{
		{Pattern: RouteInstalments, Decode: decodeList, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			return s.List(ctx, a, req.(ListQuery))
		}},
		{Pattern: RouteFilePayments, Decode: decodeID, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(idRequest)
			items, err := s.FilePayments(ctx, a, r.id, r.purpose)
			if err != nil {
				return nil, err
			}
			return FilePaymentsView{FileID: r.id, Items: items}, nil
		}},
		{Pattern: RouteSchedule, Decode: decodeID, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(idRequest)
			return s.Get(ctx, a, r.id, r.purpose)
		}},
	}, s.reissueRoutes()...)
}

func init() {
	problem.RegisterMessages("payments.kind_unknown", map[string]string{
		"fr": "Type d'aide inconnu : ris, eris, aide_sociale ou amu.", "nl": "Onbekende hulpvorm: ris, eris, aide_sociale of amu.",
		"de": "Unbekannte Hilfeart: ris, eris, aide_sociale oder amu.", "en": "Unknown kind of aid: ris, eris, aide_sociale or amu."})
}
