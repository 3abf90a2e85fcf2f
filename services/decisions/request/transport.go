package request

import (
	"bytes"
	"context"
	"net/http"
	"strconv"

	"github.com/go-kit/kit/endpoint"
	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/projection"
)

// Route patterns, as in api/policy/policy.csv and api/openapi/decisions.v1.yaml.
const (
	RouteRegister          = "POST /v1/requests"
	RouteList              = "GET /v1/requests"
	RouteGet               = "GET /v1/requests/{id}"
	RouteWithdraw          = "POST /v1/requests/{id}/withdrawal"
	RouteAcknowledgment    = "GET /v1/requests/{id}/acknowledgment"
	RouteAcknowledgmentPDF = "GET /v1/requests/{id}/acknowledgment.pdf"
)

// CreationRoutes honour an Idempotency-Key.
var CreationRoutes = []string{RouteRegister}

// Routes lists the package's route patterns.
func Routes() []string {
	return []string{RouteRegister, RouteList, RouteGet, RouteWithdraw, RouteAcknowledgment, RouteAcknowledgmentPDF}
}

// View is a request as the API shows it.
type View struct {
	ID string `json:"id"`
	Request
	FileNumber string              `json:"file_number,omitempty"`
	Deadline   legalclock.Deadline `json:"deadline"`
	Version    int64               `json:"version"`
	created    bool
}

// Headers sets the ETag (and Location on creation).
func (v View) Headers() http.Header {
	h := http.Header{"Etag": {`"` + strconv.FormatInt(v.Version, 10) + `"`}}
	if v.created {
		h.Set("Location", "/v1/requests/"+v.ID)
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

func view(rec Record, file projection.File) View {
	dl, _ := rec.State.Deadline()
	return View{ID: rec.ID, Request: rec.State, FileNumber: file.Number, Deadline: dl, Version: rec.Version}
}

// Page is a page of the register.
type Page struct {
	Items    []View `json:"items"`
	Page     int    `json:"page"`
	PageSize int    `json:"page_size"`
}

type idRequest struct{ id, purpose string }

type listRequest struct {
	q        Query
	page     int
	pageSize int
	purpose  string
}

type withdrawRequest struct {
	id      string
	version int64
	Reason  string `json:"reason"`
}

// KitRoutes are the package's routes with their endpoints.
func (s *Service) KitRoutes() []kit.Route {
	get := func(ctx context.Context, req any) (any, error) {
		a, err := kit.ActorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := req.(idRequest)
		rec, file, err := s.Get(ctx, a, r.id, r.purpose)
		if err != nil {
			return nil, err
		}
		return view(rec, file), nil
	}
	ack := func(pdf bool) endpoint.Endpoint {
		return func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(idRequest)
			doc, err := s.Acknowledgment(ctx, a, r.id, r.purpose)
			if err != nil {
				return nil, err
			}
			return printable{doc: doc, pdf: pdf}, nil
		}
	}
	return []kit.Route{
		{Pattern: RouteRegister, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			rec, err := s.Register(ctx, a, req.(Input))
			if err != nil {
				return nil, err
			}
			file, _ := s.Proj.File(ctx, a.Tenant, rec.State.FileID)
			v := view(rec, file)
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
			out := Page{Items: []View{}, Page: r.page, PageSize: r.pageSize}
			for _, rec := range recs {
				out.Items = append(out.Items, view(rec, files[rec.State.FileID]))
			}
			return out, nil
		}, Decode: decodeList},
		{Pattern: RouteGet, Endpoint: get, Decode: decodeID},
		{Pattern: RouteWithdraw, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(withdrawRequest)
			rec, err := s.Withdraw(ctx, a, r.id, r.version, r.Reason)
			if err != nil {
				return nil, err
			}
			file, _ := s.Proj.File(ctx, a.Tenant, rec.State.FileID)
			return view(rec, file), nil
		}, Decode: func(_ context.Context, r *http.Request) (any, error) {
			id, err := kit.PathID(r)
			if err != nil {
				return nil, err
			}
			v, err := kit.IfMatch(r)
			if err != nil {
				return nil, err
			}
			var w withdrawRequest
			if err := httpkit.DecodeJSON(r, &w, kit.MaxJSON); err != nil {
				return nil, err
			}
			w.id, w.version = id, v
			return w, nil
		}},
		{Pattern: RouteAcknowledgment, Endpoint: ack(false), Decode: decodeID, Encode: encodePrintable},
		{Pattern: RouteAcknowledgmentPDF, Endpoint: ack(true), Decode: decodeID, Encode: encodePrintable},
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
		w.Header().Set("Content-Disposition", `inline; filename="acknowledgment.pdf"`)
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

func decodeID(_ context.Context, r *http.Request) (any, error) {
	id, err := kit.PathID(r)
	return idRequest{id: id, purpose: r.Header.Get(kit.PurposeHeader)}, err
}

// MaxPageSize bounds a page of the register.
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
	date := func(name string) civil.Date {
		v := q.Get(name)
		if v == "" {
			return civil.Date{}
		}
		d, err := civil.Parse(v)
		if err != nil {
			fs.Add(name, "request.date_invalid")
		}
		return d
	}
	lr := listRequest{page: num("page", 1), pageSize: num("page_size", 50), purpose: r.Header.Get(kit.PurposeHeader)}
	lr.q.From, lr.q.To = date("from"), date("to")
	if f := q.Get("file_id"); f != "" {
		if _, err := uuid.Parse(f); err != nil {
			fs.Add("file_id", "invalid")
		}
		lr.q.File = f
	}
	if k := legalclock.Kind(q.Get("kind")); k != "" {
		if !k.Valid() {
			fs.Add("kind", "request.kind_invalid")
		}
		lr.q.Kind = k
	}
	if st := Status(q.Get("status")); st != "" {
		valid := false
		for _, s := range Statuses {
			valid = valid || s == st
		}
		if !valid {
			fs.Add("status", "invalid")
		}
		lr.q.Status = st
	}
	return lr, fs.Err()
}
