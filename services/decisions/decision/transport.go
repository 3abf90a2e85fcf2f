package decision

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-kit/kit/endpoint"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/projection"
	"github.com/entraide/entraide/services/decisions/ris"
)

// Route patterns, as in api/policy/policy.csv and api/openapi/decisions.v1.yaml.
const (
	RouteList         = "GET /v1/decisions"
	RouteGet          = "GET /v1/decisions/{id}"
	RouteLetter       = "GET /v1/decisions/{id}/letter"
	RouteLetterPDF    = "GET /v1/decisions/{id}/letter.pdf"
	RouteNotification = "POST /v1/decisions/{id}/notification"
	RouteRevision     = "POST /v1/decisions/{id}/revisions"
	RouteSuspension   = "POST /v1/decisions/{id}/suspensions"
	RouteWithdrawal   = "POST /v1/decisions/{id}/withdrawal"
	RouteTermination  = "POST /v1/decisions/{id}/termination"
	RouteRecovery     = "POST /v1/decisions/{id}/recoveries"
	RouteAppeal       = "POST /v1/decisions/{id}/appeals"
	RouteJudgment     = "POST /v1/decisions/{id}/appeals/judgment"
	RoutePIIS         = "POST /v1/decisions/{id}/piis"
	RouteMediPrima    = "POST /v1/decisions/{id}/mediprima"
	RouteLetterTexts  = "POST /v1/decisions/{id}/letter-texts"
	// The letter and the notification of a change (a revision, suspension, recovery: its id; the ending: its id,
	// "ending" for one recorded before endings had one).
	RouteChangeLetter       = "GET /v1/decisions/{id}/changes/{change}/letter"
	RouteChangeLetterPDF    = "GET /v1/decisions/{id}/changes/{change}/letter.pdf"
	RouteChangeNotification = "POST /v1/decisions/{id}/changes/{change}/notification"
)

// CreationRoutes honour an Idempotency-Key (the notification: recorded once, one event).
var CreationRoutes = []string{RouteNotification, RouteChangeNotification}

// IfMatchRoutes need the decision's version (ETag) in If-Match.
var IfMatchRoutes = []string{RouteNotification, RouteRevision, RouteSuspension, RouteWithdrawal, RouteTermination,
	RouteRecovery, RouteAppeal, RouteJudgment, RoutePIIS, RouteMediPrima, RouteLetterTexts, RouteChangeNotification}

// Routes lists the package's route patterns.
func Routes() []string {
	return append([]string{RouteList, RouteGet, RouteLetter, RouteLetterPDF, RouteChangeLetter, RouteChangeLetterPDF}, IfMatchRoutes...)
}

// View is a decision as the social service sees it.
type View struct {
	ID string `json:"id"`
	Decision
	FileNumber string `json:"file_number,omitempty"`
	// CurrentMonthlyCents is the monthly amount after the revisions.
	CurrentMonthlyCents ris.Cents `json:"current_monthly_cents"`
	// CurrentPayee is who the decision pays now: the latest revision naming a payee, else the adoption's.
	CurrentPayee Payee `json:"current_payee"`
	Dues         []Due `json:"dues"`
	// Changes are the decisions taken after the adoption, each with its notification once recorded.
	Changes []ChangeRef `json:"changes"`
	Version int64       `json:"version"`
}

// FinanceView is a decision as finance sees it: amounts and periods only (no motivation, conditions, legal
// basis, notes or payee).
type FinanceView struct {
	ID                  string             `json:"id"`
	RequestNumber       string             `json:"request_number,omitempty"`
	PersonID            string             `json:"person_id"`
	FileID              string             `json:"file_id"`
	FileNumber          string             `json:"file_number,omitempty"`
	Kind                legalclock.Kind    `json:"kind"`
	Subtype             letter.Subtype     `json:"subtype,omitempty"`
	Outcome             letter.Outcome     `json:"outcome"`
	Status              Status             `json:"status"`
	Category            ris.Category       `json:"category,omitempty"`
	MonthlyCents        ris.Cents          `json:"monthly_cents"`
	FirstMonthCents     ris.Cents          `json:"first_month_cents"`
	OneOffCents         ris.Cents          `json:"one_off_cents"`
	CurrentMonthlyCents ris.Cents          `json:"current_monthly_cents"`
	Periodicity         letter.Periodicity `json:"periodicity,omitempty"`
	Start               civil.Date         `json:"start,omitzero"`
	End                 civil.Date         `json:"end,omitzero"`
	DecidedOn           civil.Date         `json:"decided_on"`
	Revisions           []FinanceRevision  `json:"revisions,omitempty"`
	Suspensions         []FinancePeriod    `json:"suspensions,omitempty"`
	Recoveries          []FinanceRecovery  `json:"recoveries,omitempty"`
	EndedOn             civil.Date         `json:"ended_on,omitzero"`
	Version             int64              `json:"version"`
}

// FinanceRevision is a revision's amount and date.
type FinanceRevision struct {
	From         civil.Date `json:"from"`
	MonthlyCents ris.Cents  `json:"monthly_cents"`
}

// FinancePeriod is a period.
type FinancePeriod struct {
	From civil.Date `json:"from"`
	To   civil.Date `json:"to"`
}

// FinanceRecovery is a recovery's amount and period.
type FinanceRecovery struct {
	AmountCents ris.Cents  `json:"amount_cents"`
	PeriodFrom  civil.Date `json:"period_from"`
	PeriodTo    civil.Date `json:"period_to"`
}

// Headers sets the ETag.
func (v View) Headers() http.Header { return http.Header{"Etag": {kit.ETag(v.Version)}} }

// Headers sets the ETag.
func (v FinanceView) Headers() http.Header { return http.Header{"Etag": {kit.ETag(v.Version)}} }

func (s *Service) view(ctx context.Context, a kit.Actor, rec Record, file projection.File) any {
	d := rec.State
	if isFinance(a) {
		fv := FinanceView{ID: rec.ID, RequestNumber: d.RequestNumber, PersonID: d.PersonID, FileID: d.FileID,
			FileNumber: file.Number, Kind: d.Kind, Subtype: d.Subtype, Outcome: d.Outcome, Status: d.Status,
			Category: d.Category, MonthlyCents: d.MonthlyCents, FirstMonthCents: d.FirstMonthCents, OneOffCents: d.OneOffCents,
			CurrentMonthlyCents: d.CurrentMonthly(), Periodicity: d.Periodicity, Start: d.Start, End: d.End,
			DecidedOn: d.DecidedOn, Version: rec.Version}
		for _, r := range d.Revisions {
			fv.Revisions = append(fv.Revisions, FinanceRevision{From: r.From, MonthlyCents: r.MonthlyCents})
		}
		for _, sp := range d.Suspensions {
			fv.Suspensions = append(fv.Suspensions, FinancePeriod{From: sp.From, To: sp.To})
		}
		for _, r := range d.Recoveries {
			fv.Recoveries = append(fv.Recoveries, FinanceRecovery{AmountCents: r.AmountCents, PeriodFrom: r.PeriodFrom, PeriodTo: r.PeriodTo})
		}
		if d.Ending != nil {
			fv.EndedOn = d.Ending.Date
		}
		return fv
	}
	rules, err := s.rules(ctx, a.Tenant)
	dues := []Due{}
	if err == nil {
		dues = append(dues, d.Dues(rules)...)
	}
	return View{ID: rec.ID, Decision: d, FileNumber: file.Number, CurrentMonthlyCents: d.CurrentMonthly(),
		CurrentPayee: d.CurrentPayee(), Dues: dues, Changes: d.Changes(), Version: rec.Version}
}

// Page is a page of decisions (View or FinanceView items).
type Page struct {
	Items    []any `json:"items"`
	Page     int   `json:"page"`
	PageSize int   `json:"page_size"`
}

type idRequest struct{ id, purpose, change string }

type listRequest struct {
	q              Query
	page, pageSize int
	purpose        string
}

type changeRequest struct {
	id, change string
	version    int64
	body       any
}

// KitRoutes are the package's routes with their endpoints.
func (s *Service) KitRoutes() []kit.Route {
	actor := func(next func(context.Context, kit.Actor, any) (any, error)) endpoint.Endpoint {
		return func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			return next(ctx, a, req)
		}
	}
	letterEP := func(pdf bool) endpoint.Endpoint {
		return actor(func(ctx context.Context, a kit.Actor, req any) (any, error) {
			r := req.(idRequest)
			doc, err := s.Letter(ctx, a, r.id, r.purpose)
			if err != nil {
				return nil, err
			}
			return printable{doc: doc, pdf: pdf}, nil
		})
	}
	changeLetterEP := func(pdf bool) endpoint.Endpoint {
		return actor(func(ctx context.Context, a kit.Actor, req any) (any, error) {
			r := req.(idRequest)
			doc, err := s.ChangeLetter(ctx, a, r.id, r.change, r.purpose)
			if err != nil {
				return nil, err
			}
			return printable{doc: doc, pdf: pdf}, nil
		})
	}
	changeEP := func(fn func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error)) endpoint.Endpoint {
		return actor(func(ctx context.Context, a kit.Actor, req any) (any, error) {
			rec, err := fn(ctx, a, req.(changeRequest))
			if err != nil {
				return nil, err
			}
			file, _ := s.Proj.File(ctx, a.Tenant, rec.State.FileID)
			return s.view(ctx, a, rec, file), nil
		})
	}
	return []kit.Route{
		{Pattern: RouteList, Endpoint: actor(func(ctx context.Context, a kit.Actor, req any) (any, error) {
			r := req.(listRequest)
			r.q.Skip, r.q.Limit = int64((r.page-1)*r.pageSize), int64(r.pageSize)
			recs, err := s.List(ctx, a, r.q, r.purpose)
			if err != nil {
				return nil, err
			}
			ids := make([]string, 0, len(recs))
			for _, rec := range recs {
				ids = append(ids, rec.State.FileID)
			}
			files, err := s.Proj.Files(ctx, a.Tenant, ids)
			if err != nil {
				return nil, err
			}
			out := Page{Items: []any{}, Page: r.page, PageSize: r.pageSize}
			for _, rec := range recs {
				out.Items = append(out.Items, s.view(ctx, a, rec, files[rec.State.FileID]))
			}
			return out, nil
		}), Decode: decodeList},
		{Pattern: RouteGet, Endpoint: actor(func(ctx context.Context, a kit.Actor, req any) (any, error) {
			r := req.(idRequest)
			rec, file, err := s.Get(ctx, a, r.id, r.purpose)
			if err != nil {
				return nil, err
			}
			return s.view(ctx, a, rec, file), nil
		}), Decode: decodeID},
		{Pattern: RouteLetter, Endpoint: letterEP(false), Decode: decodeID, Encode: encodePrintable},
		{Pattern: RouteLetterPDF, Endpoint: letterEP(true), Decode: decodeID, Encode: encodePrintable},
		{Pattern: RouteNotification, Endpoint: changeEP(func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error) {
			return s.Notify(ctx, a, r.id, r.version, *r.body.(*NotificationInput))
		}), Decode: decodeChange(func() any { return &NotificationInput{} })},
		{Pattern: RouteChangeLetter, Endpoint: changeLetterEP(false), Decode: decodeChangeID, Encode: encodePrintable},
		{Pattern: RouteChangeLetterPDF, Endpoint: changeLetterEP(true), Decode: decodeChangeID, Encode: encodePrintable},
		{Pattern: RouteChangeNotification, Endpoint: changeEP(func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error) {
			return s.NotifyChange(ctx, a, r.id, r.change, r.version, *r.body.(*NotificationInput))
		}), Decode: decodeChange(func() any { return &NotificationInput{} })},
		{Pattern: RouteRevision, Endpoint: changeEP(func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error) {
			return s.Revise(ctx, a, r.id, r.version, *r.body.(*RevisionInput))
		}), Decode: decodeChange(func() any { return &RevisionInput{} })},
		{Pattern: RouteSuspension, Endpoint: changeEP(func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error) {
			return s.Suspend(ctx, a, r.id, r.version, *r.body.(*SuspensionInput))
		}), Decode: decodeChange(func() any { return &SuspensionInput{} })},
		{Pattern: RouteWithdrawal, Endpoint: changeEP(func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error) {
			return s.End(ctx, a, r.id, r.version, true, *r.body.(*EndingInput))
		}), Decode: decodeChange(func() any { return &EndingInput{} })},
		{Pattern: RouteTermination, Endpoint: changeEP(func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error) {
			return s.End(ctx, a, r.id, r.version, false, *r.body.(*EndingInput))
		}), Decode: decodeChange(func() any { return &EndingInput{} })},
		{Pattern: RouteRecovery, Endpoint: changeEP(func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error) {
			return s.Recover(ctx, a, r.id, r.version, *r.body.(*RecoveryInput))
		}), Decode: decodeChange(func() any { return &RecoveryInput{} })},
		{Pattern: RouteAppeal, Endpoint: changeEP(func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error) {
			return s.LodgeAppeal(ctx, a, r.id, r.version, *r.body.(*AppealInput))
		}), Decode: decodeChange(func() any { return &AppealInput{} })},
		{Pattern: RouteJudgment, Endpoint: changeEP(func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error) {
			return s.Judge(ctx, a, r.id, r.version, *r.body.(*JudgmentInput))
		}), Decode: decodeChange(func() any { return &JudgmentInput{} })},
		{Pattern: RoutePIIS, Endpoint: changeEP(func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error) {
			return s.FollowPIIS(ctx, a, r.id, r.version, *r.body.(*PIISInput))
		}), Decode: decodeChange(func() any { return &PIISInput{} })},
		{Pattern: RouteMediPrima, Endpoint: changeEP(func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error) {
			return s.EncodeMediPrima(ctx, a, r.id, r.version, *r.body.(*MediPrimaInput))
		}), Decode: decodeChange(func() any { return &MediPrimaInput{} })},
		{Pattern: RouteLetterTexts, Endpoint: changeEP(func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error) {
			return s.CompleteLetter(ctx, a, r.id, r.version, *r.body.(*LetterTextsInput))
		}), Decode: decodeChange(func() any { return &LetterTextsInput{} })},
	}
}

func decodeChange(body func() any) func(context.Context, *http.Request) (any, error) {
	return func(_ context.Context, r *http.Request) (any, error) {
		id, err := kit.PathID(r)
		if err != nil {
			return nil, err
		}
		v, err := kit.IfMatch(r)
		if err != nil {
			return nil, err
		}
		b := body()
		if err := httpkit.DecodeJSON(r, b, kit.MaxJSON); err != nil {
			return nil, err
		}
		return changeRequest{id: id, change: strings.ToLower(r.PathValue("change")), version: v, body: b}, nil
	}
}

type printable struct {
	doc letter.Document
	pdf bool
}

func encodePrintable(_ context.Context, w http.ResponseWriter, resp any) error {
	p := resp.(printable)
	var buf bytes.Buffer
	if p.pdf {
		if err := p.doc.PDF(&buf, letter.PDFOptions{}); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `inline; filename="decision.pdf"`)
	} else {
		if err := p.doc.HTML(&buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Language", string(p.doc.Lang))
	_, err := w.Write(buf.Bytes())
	return err
}

func decodeChangeID(_ context.Context, r *http.Request) (any, error) {
	id, err := kit.PathID(r)
	return idRequest{id: id, purpose: r.Header.Get(kit.PurposeHeader), change: strings.ToLower(r.PathValue("change"))}, err
}

func decodeID(_ context.Context, r *http.Request) (any, error) {
	id, err := kit.PathID(r)
	return idRequest{id: id, purpose: r.Header.Get(kit.PurposeHeader)}, err
}

// MaxPageSize bounds a page of decisions.
const MaxPageSize = 200

func decodeList(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	var fs problem.Fields
	num := func(name string, def int) int {
		v := q.Get(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || (name == "page_size" && n > MaxPageSize) {
			fs.Add(name, "invalid")
		}
		return n
	}
	lr := listRequest{page: num("page", 1), pageSize: num("page_size", 50), purpose: r.Header.Get(kit.PurposeHeader)}
	for name, dst := range map[string]*string{"file_id": &lr.q.File, "request_id": &lr.q.Request} {
		if v := q.Get(name); v != "" {
			if !kit.IsUUID(v) {
				fs.Add(name, "invalid")
			}
			*dst = v
		}
	}
	if st := Status(q.Get("status")); st != "" {
		switch st {
		case Adopted, Notified, Withdrawn, Terminated:
		default:
			fs.Add("status", "invalid")
		}
		lr.q.Status = st
	}
	return lr, fs.Err()
}
