// Package settings keeps each tenant's settings the decisions service prints and computes with: the CPAS's
// name, address and enterprise number, the social service's name, the labour court of its district and the
// configurable legal periods (legalclock.Rules). One document per tenant in `tenant_settings`, seeded with
// defaults the first time it is read; the tenant admin reads and replaces it (GET/PUT /v1/settings, If-Match).
package settings

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
)

// CollSettings holds one document per tenant.
const CollSettings = "tenant_settings"

// Routes.
const (
	RouteGet = "GET /v1/settings"
	RoutePut = "PUT /v1/settings"
)

// Settings are a tenant's settings.
type Settings struct {
	CPASName         string             `bson:"cpas_name" json:"cpas_name"`
	Address          letter.Address     `bson:"address" json:"address"`
	EnterpriseNumber string             `bson:"enterprise_number" json:"enterprise_number"`
	ServiceName      string             `bson:"service_name" json:"service_name"`
	Phone            string             `bson:"phone,omitempty" json:"phone,omitempty"`
	Email            string             `bson:"email,omitempty" json:"email,omitempty"`
	LabourCourt      letter.LabourCourt `bson:"labour_court" json:"labour_court"`
	Rules            legalclock.Rules   `bson:"rules" json:"rules"`
}

// CPAS is the letters' sender.
func (s Settings) CPAS() letter.CPAS {
	return letter.CPAS{Name: s.CPASName, Address: s.Address, EnterpriseNumber: s.EnterpriseNumber, Service: s.ServiceName,
		Phone: s.Phone, Email: s.Email}
}

// Defaults are the settings of a tenant that has not set its own: a name built from the tenant code, the
// service's usual name and the given rules; no address, enterprise number or labour court (the admin must set
// them before decision letters can be written).
func Defaults(tenant string, rules legalclock.Rules) Settings {
	return Settings{CPASName: "CPAS " + tenant, ServiceName: "Service social général", Rules: rules}
}

var kboPattern = regexp.MustCompile(`^[01][0-9]{3}\.[0-9]{3}\.[0-9]{3}$`)

// Validate reports the fields an admin got wrong.
func (s Settings) Validate() error {
	var fs problem.Fields
	if strings.TrimSpace(s.CPASName) == "" {
		fs.Add("cpas_name", "required")
	}
	if strings.TrimSpace(s.ServiceName) == "" {
		fs.Add("service_name", "required")
	}
	if s.EnterpriseNumber != "" && !kboPattern.MatchString(s.EnterpriseNumber) {
		fs.Add("enterprise_number", "settings.enterprise_number_invalid")
	}
	if err := fs.Err(); err != nil {
		return err
	}
	if err := s.Rules.Validate(); err != nil {
		return err
	}
	return nil
}

// Store reads and writes the settings.
type Store struct {
	repo  *store.Repository[Settings]
	rules legalclock.Rules
}

// NewStore works on db; rules are the default periods of a new tenant.
func NewStore(db *mongo.Database, rules legalclock.Rules) *Store {
	return &Store{repo: store.NewRepository[Settings](db.Collection(CollSettings), nil), rules: rules}
}

// id is the settings document's id: unique across tenants.
func id(tenant string) string { return "settings/" + tenant }

// Get returns the tenant's settings and version, seeding the defaults when missing.
func (s *Store) Get(ctx context.Context, tenant string) (store.Versioned[Settings], error) {
	v, err := s.repo.Load(ctx, tenant, id(tenant))
	if errors.Is(err, store.ErrNotFound) {
		if err := s.repo.Insert(ctx, tenant, id(tenant), Defaults(tenant, s.rules)); err != nil && !mongo.IsDuplicateKeyError(err) {
			return v, fmt.Errorf("settings: seed: %w", err)
		}
		return s.repo.Load(ctx, tenant, id(tenant))
	}
	return v, err
}

// Put replaces the tenant's settings read at version expected.
func (s *Store) Put(ctx context.Context, tenant string, expected int64, next Settings) (int64, error) {
	if err := next.Validate(); err != nil {
		return 0, err
	}
	if _, err := s.Get(ctx, tenant); err != nil {
		return 0, err
	}
	return s.repo.UpdateIfVersion(ctx, tenant, id(tenant), expected, func(cur *Settings) ([]events.Event, error) {
		*cur = next
		return nil, nil
	})
}

// Response is a settings document with its version (ETag).
type Response struct {
	Settings
	Version int64 `json:"version"`
}

// Headers sets the ETag.
func (r Response) Headers() http.Header { return http.Header{"Etag": {kit.ETag(r.Version)}} }

type putRequest struct {
	version int64
	body    Settings
}

// Routes lists the package's route patterns.
func Routes() []string { return []string{RouteGet, RoutePut} }

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
			return Response{Settings: v.State, Version: v.Version}, nil
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
			return Response{Settings: p.body, Version: v}, nil
		}, Decode: func(_ context.Context, r *http.Request) (any, error) {
			v, err := kit.IfMatch(r)
			if err != nil {
				return nil, err
			}
			var body Settings
			if err := httpkit.DecodeJSON(r, &body, kit.MaxJSON); err != nil {
				return nil, err
			}
			return putRequest{version: v, body: body}, nil
		}},
	}
}

func init() {
	problem.RegisterMessages("settings.enterprise_number_invalid", map[string]string{
		"fr": "Numéro d'entreprise attendu sous la forme 0212.345.678.",
		"nl": "Ondernemingsnummer verwacht in de vorm 0212.345.678.",
		"de": "Unternehmensnummer in der Form 0212.345.678 erwartet.",
		"en": "Enterprise number expected as 0212.345.678.",
	})
}
