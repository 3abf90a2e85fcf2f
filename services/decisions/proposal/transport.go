package proposal

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/ris"
)

// Route patterns, as in api/policy/policy.csv and api/openapi/decisions.v1.yaml.
const (
	RouteCreate    = "POST /v1/requests/{id}/proposals"
	RouteList      = "GET /v1/proposals"
	RouteGet       = "GET /v1/proposals/{id}"
	RouteUpdate    = "PUT /v1/proposals/{id}"
	RouteSubmit    = "POST /v1/proposals/{id}/submission"
	RouteValidate  = "POST /v1/proposals/{id}/validation"
	RouteReturn    = "POST /v1/proposals/{id}/return"
	RouteCalculate = "POST /v1/calculations/ris"
)

// CreationRoutes honour an Idempotency-Key.
var CreationRoutes = []string{RouteCreate}

// ChangeRoutes require an If-Match.
var ChangeRoutes = []string{RouteUpdate, RouteSubmit, RouteValidate, RouteReturn}

// Routes lists the package's route patterns.
func Routes() []string {
	return []string{RouteCreate, RouteList, RouteGet, RouteUpdate, RouteSubmit, RouteValidate, RouteReturn, RouteCalculate}
}

// View is a proposal as the API shows it.
type View struct {
	ID string `json:"id"`
	Proposal
	// PersonName is the applicant's name as the registry gave it.
	PersonName string `json:"person_name,omitempty"`
	Version    int64  `json:"version"`
	created    bool
}

// Headers sets the ETag (and Location on creation).
func (v View) Headers() http.Header {
	h := http.Header{"Etag": {kit.ETag(v.Version)}}
	if v.created {
		h.Set("Location", "/v1/proposals/"+v.ID)
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

func (s *Service) view(ctx context.Context, rec Record) View {
	v := View{ID: rec.ID, Proposal: rec.State, Version: rec.Version}
	if p, err := s.Proj.Person(ctx, rec.Tenant, rec.State.PersonID); err == nil {
		v.PersonName = p.DisplayName()
	}
	return v
}

// Page is a page of proposals.
type Page struct {
	Items    []View `json:"items"`
	Page     int    `json:"page"`
	PageSize int    `json:"page_size"`
	HasMore  bool   `json:"has_more"`
}

// CalculationInput is the body of POST /v1/calculations/ris.
type CalculationInput struct {
	Category          ris.Category   `json:"category"`
	From              string         `json:"from"`
	Resources         []ris.Resource `json:"resources"`
	Members           []ris.Member   `json:"members"`
	SocioProfessional bool           `json:"socio_professional"`
}

type idRequest struct{ id, purpose string }

type createRequest struct {
	id string
	in Input
}

type changeRequest struct {
	id      string
	version int64
	in      Input
	Reason  string `json:"reason"`
}

type listRequest struct {
	q              Query
	page, pageSize int
	purpose        string
}

// MaxPageSize bounds a page.
const MaxPageSize = 200

// KitRoutes are the package's routes with their endpoints.
func (s *Service) KitRoutes() []kit.Route {
	actor := func(ctx context.Context) (kit.Actor, error) { return kit.ActorFrom(ctx) }
	step := func(fn func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error)) func(ctx context.Context, req any) (any, error) {
		return func(ctx context.Context, req any) (any, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			rec, err := fn(ctx, a, req.(changeRequest))
			if err != nil {
				return nil, err
			}
			return s.view(ctx, rec), nil
		}
	}
	return []kit.Route{
		{Pattern: RouteCreate, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(createRequest)
			rec, err := s.Create(ctx, a, r.id, r.in)
			if err != nil {
				return nil, err
			}
			v := s.view(ctx, rec)
			v.created = true
			return v, nil
		}, Decode: func(_ context.Context, r *http.Request) (any, error) {
			id, err := kit.PathID(r)
			if err != nil {
				return nil, err
			}
			var in Input
			if err := httpkit.DecodeJSON(r, &in, kit.MaxJSON); err != nil {
				return nil, err
			}
			return createRequest{id: id, in: in}, nil
		}},
		{Pattern: RouteList, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(listRequest)
			r.q.Skip, r.q.Limit = int64((r.page-1)*r.pageSize), int64(r.pageSize+1)
			recs, err := s.List(ctx, a, r.q, r.purpose)
			if err != nil {
				return nil, err
			}
			out := Page{Items: []View{}, Page: r.page, PageSize: r.pageSize}
			if len(recs) > r.pageSize {
				recs, out.HasMore = recs[:r.pageSize], true
			}
			for _, rec := range recs {
				out.Items = append(out.Items, s.view(ctx, rec))
			}
			return out, nil
		}, Decode: decodeList},
		{Pattern: RouteGet, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(idRequest)
			rec, err := s.Get(ctx, a, r.id, r.purpose)
			if err != nil {
				return nil, err
			}
			return s.view(ctx, rec), nil
		}, Decode: func(_ context.Context, r *http.Request) (any, error) {
			id, err := kit.PathID(r)
			return idRequest{id: id, purpose: r.Header.Get(kit.PurposeHeader)}, err
		}},
		{Pattern: RouteUpdate, Endpoint: step(func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error) {
			return s.Update(ctx, a, r.id, r.version, r.in)
		}), Decode: decodeChange(true)},
		{Pattern: RouteSubmit, Endpoint: step(func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error) {
			return s.Submit(ctx, a, r.id, r.version)
		}), Decode: decodeChange(false)},
		{Pattern: RouteValidate, Endpoint: step(func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error) {
			return s.Validate(ctx, a, r.id, r.version)
		}), Decode: decodeChange(false)},
		{Pattern: RouteReturn, Endpoint: step(func(ctx context.Context, a kit.Actor, r changeRequest) (Record, error) {
			return s.Return(ctx, a, r.id, r.version, r.Reason)
		}), Decode: decodeChange(false)},
		{Pattern: RouteCalculate, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := actor(ctx)
			if err != nil {
				return nil, err
			}
			return s.Calculate(ctx, a, req.(ris.Input))
		}, Decode: func(_ context.Context, r *http.Request) (any, error) {
			var in CalculationInput
			if err := httpkit.DecodeJSON(r, &in, kit.MaxJSON); err != nil {
				return nil, err
			}
			from, err := civil.Parse(strings.TrimSpace(in.From))
			if err != nil && in.From != "" {
				return nil, problem.Invalid(problem.Field("from", "proposal.date_invalid"))
			}
			return ris.Input{Category: in.Category, From: from, Resources: in.Resources, Members: in.Members, SocioProfessional: in.SocioProfessional}, nil
		}},
	}
}

// decodeChange reads the id, the If-Match version and the body (an Input when input, else {"reason"} or nothing).
func decodeChange(input bool) func(context.Context, *http.Request) (any, error) {
	return func(_ context.Context, r *http.Request) (any, error) {
		id, err := kit.PathID(r)
		if err != nil {
			return nil, err
		}
		v, err := kit.IfMatch(r)
		if err != nil {
			return nil, err
		}
		c := changeRequest{id: id, version: v}
		if input {
			err = httpkit.DecodeJSON(r, &c.in, kit.MaxJSON)
		} else if r.ContentLength != 0 {
			err = httpkit.DecodeJSON(r, &c, kit.MaxJSON)
		}
		return c, err
	}
}

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
	if st := Status(q.Get("status")); st != "" {
		if !slices.Contains(Statuses, st) {
			fs.Add("status", "invalid")
		}
		lr.q.Status = st
	}
	if id := q.Get("request_id"); id != "" {
		if !kit.IsUUID(id) {
			fs.Add("request_id", "invalid")
		}
		lr.q.RequestID = id
	}
	if s := strings.TrimSpace(q.Get("q")); s != "" {
		if len(s) > 40 {
			fs.Add("q", "invalid")
		}
		lr.q.Search = s
	}
	return lr, fs.Err()
}
