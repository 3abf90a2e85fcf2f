// Package ristable keeps each tenant's RIS amounts table (domain.md §3): the legal yearly amounts by category and
// validity date, and the socio-professional exemption amounts by validity date. One document per tenant in
// `ris_tables`, seeded with ris.DefaultAmounts and ris.DefaultSocioProfessionalExemptions the first time it is
// read; the tenant admin reads it and replaces it with a new validity row when an indexation is published
// (GET/PUT /v1/ris-amounts, If-Match). The other packages compute with Store.Calculator.
package ristable

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/ris"
)

// CollTables holds one document per tenant.
const CollTables = "ris_tables"

// Routes.
const (
	RouteGet = "GET /v1/ris-amounts"
	RoutePut = "PUT /v1/ris-amounts"
)

// Routes lists the package's route patterns.
func Routes() []string { return []string{RouteGet, RoutePut} }

// Amount is one row of the amounts table.
type Amount struct {
	Category  ris.Category `bson:"category" json:"category"`
	ValidFrom civil.Date   `bson:"valid_from" json:"valid_from"`
	Yearly    ris.Cents    `bson:"yearly" json:"yearly"`
}

// Exemption is one row of the socio-professional exemption table.
type Exemption struct {
	ValidFrom civil.Date `bson:"valid_from" json:"valid_from"`
	Monthly   ris.Cents  `bson:"monthly" json:"monthly"`
}

// Table is a tenant's tables.
type Table struct {
	Amounts    []Amount    `bson:"amounts" json:"amounts"`
	Exemptions []Exemption `bson:"exemptions" json:"exemptions"`
}

// Default is the seed: domain.md's amounts.
func Default() Table {
	var t Table
	for _, a := range ris.DefaultAmounts() {
		t.Amounts = append(t.Amounts, Amount{Category: a.Category, ValidFrom: a.ValidFrom, Yearly: a.Yearly})
	}
	for _, e := range ris.DefaultSocioProfessionalExemptions() {
		t.Exemptions = append(t.Exemptions, Exemption{ValidFrom: e.ValidFrom, Monthly: e.Monthly})
	}
	return t
}

// Calculator builds the RIS calculator of the tables; wrong rows are a problem.Validation with fields
// "amounts[i].…" and "exemptions[i].…".
func (t Table) Calculator() (*ris.Calculator, error) {
	amounts := make([]ris.Amount, len(t.Amounts))
	for i, a := range t.Amounts {
		amounts[i] = ris.Amount{Category: a.Category, ValidFrom: a.ValidFrom, Yearly: a.Yearly}
	}
	exemptions := make([]ris.SocioProfessionalExemption, len(t.Exemptions))
	for i, e := range t.Exemptions {
		exemptions[i] = ris.SocioProfessionalExemption{ValidFrom: e.ValidFrom, Monthly: e.Monthly}
	}
	var fs problem.Fields
	at, aerr := ris.NewTable(amounts)
	et, eerr := ris.NewExemptionTable(exemptions)
	for _, err := range []error{aerr, eerr} {
		var pe *problem.Error
		if errors.As(err, &pe) {
			fs = append(fs, pe.Fields...)
		} else if err != nil {
			return nil, err
		}
	}
	if len(t.Amounts) == 0 {
		fs.Add("amounts", "required")
	}
	if len(t.Exemptions) == 0 {
		fs.Add("exemptions", "required")
	}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	return ris.NewCalculator(at, et, ris.DefaultResourceKinds())
}

// Store reads and writes the tables.
type Store struct {
	repo *store.Repository[Table]
}

// NewStore works on db.
func NewStore(db *mongo.Database) *Store {
	return &Store{repo: store.NewRepository[Table](db.Collection(CollTables), nil)}
}

func id(tenant string) string { return "ris/" + tenant }

// Get returns the tenant's tables and version, seeding the defaults when missing.
func (s *Store) Get(ctx context.Context, tenant string) (store.Versioned[Table], error) {
	v, err := s.repo.Load(ctx, tenant, id(tenant))
	if errors.Is(err, store.ErrNotFound) {
		if err := s.repo.Insert(ctx, tenant, id(tenant), Default()); err != nil && !errors.Is(err, store.ErrDuplicate) && !mongo.IsDuplicateKeyError(err) {
			return v, fmt.Errorf("ristable: seed: %w", err)
		}
		return s.repo.Load(ctx, tenant, id(tenant))
	}
	return v, err
}

// Calculator is the tenant's RIS calculator with the tables in force.
func (s *Store) Calculator(ctx context.Context, tenant string) (*ris.Calculator, error) {
	v, err := s.Get(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return v.State.Calculator()
}

// Put replaces the tenant's tables read at version expected, after checking them.
func (s *Store) Put(ctx context.Context, tenant string, expected int64, next Table) (int64, error) {
	if _, err := next.Calculator(); err != nil {
		return 0, err
	}
	if _, err := s.Get(ctx, tenant); err != nil {
		return 0, err
	}
	return s.repo.UpdateIfVersion(ctx, tenant, id(tenant), expected, func(cur *Table) ([]events.Event, error) {
		*cur = next
		return nil, nil
	})
}

// AmountView is a row as the API shows it, with its monthly amount.
type AmountView struct {
	Amount
	Monthly ris.Cents `json:"monthly"`
}

// Response is the tables with their version (ETag), sorted by date then category.
type Response struct {
	Amounts    []AmountView `json:"amounts"`
	Exemptions []Exemption  `json:"exemptions"`
	Version    int64        `json:"version"`
}

// Headers sets the ETag.
func (r Response) Headers() http.Header { return http.Header{"Etag": {kit.ETag(r.Version)}} }

func response(t Table, version int64) Response {
	out := Response{Amounts: []AmountView{}, Exemptions: []Exemption{}, Version: version}
	at, err := ris.NewTable(func() []ris.Amount {
		as := make([]ris.Amount, len(t.Amounts))
		for i, a := range t.Amounts {
			as[i] = ris.Amount{Category: a.Category, ValidFrom: a.ValidFrom, Yearly: a.Yearly}
		}
		return as
	}())
	if err == nil {
		for _, a := range at.Amounts() {
			out.Amounts = append(out.Amounts, AmountView{Amount: Amount{Category: a.Category, ValidFrom: a.ValidFrom, Yearly: a.Yearly}, Monthly: a.Monthly()})
		}
	}
	et, err := ris.NewExemptionTable(func() []ris.SocioProfessionalExemption {
		es := make([]ris.SocioProfessionalExemption, len(t.Exemptions))
		for i, e := range t.Exemptions {
			es[i] = ris.SocioProfessionalExemption{ValidFrom: e.ValidFrom, Monthly: e.Monthly}
		}
		return es
	}())
	if err == nil {
		for _, e := range et.Entries() {
			out.Exemptions = append(out.Exemptions, Exemption{ValidFrom: e.ValidFrom, Monthly: e.Monthly})
		}
	}
	return out
}

type putRequest struct {
	version int64
	body    Table
}

// KitRoutes are the routes with their endpoints.
func (s *Store) KitRoutes() []kit.Route {
	return []kit.Route{
		{Pattern: RouteGet, Endpoint: func(ctx context.Context, _ any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.Get(ctx, a.Tenant)
			if err != nil {
				return nil, err
			}
			return response(v.State, v.Version), nil
		}, Decode: kit.DecodeNothing},
		{Pattern: RoutePut, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			p := req.(putRequest)
			v, err := s.Put(ctx, a.Tenant, p.version, p.body)
			if err != nil {
				return nil, err
			}
			return response(p.body, v), nil
		}, Decode: func(_ context.Context, r *http.Request) (any, error) {
			v, err := kit.IfMatch(r)
			if err != nil {
				return nil, err
			}
			var body Table
			if err := httpkit.DecodeJSON(r, &body, kit.MaxJSON); err != nil {
				return nil, err
			}
			return putRequest{version: v, body: body}, nil
		}},
	}
}
