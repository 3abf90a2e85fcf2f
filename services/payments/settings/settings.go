// Package settings keeps each CPAS's payment settings: the debtor account the transfers leave from (name, IBAN,
// optional BIC), the enterprise number the bank knows the CPAS by, the pain.001 version its bank takes (.09 by
// default, .03 on the tenant's choice), batch booking, and the budget article each kind of aid is booked on (the
// accountant's filter when building a run). One document per tenant, seeded with the defaults on first read;
// changed by the finance director with If-Match.
package settings

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/sepa"
)

// CollSettings holds one document per tenant.
const CollSettings = "payment_settings"

// Routes.
const (
	RouteGet = "GET /v1/payment-settings"
	RoutePut = "PUT /v1/payment-settings"
)

// IfMatchRoutes need If-Match.
var IfMatchRoutes = []string{RoutePut}

// Pain versions a tenant may choose.
const (
	Pain09 = "pain.001.001.09"
	Pain03 = "pain.001.001.03"
)

// Settings are a tenant's payment settings.
type Settings struct {
	DebtorName       string            `bson:"debtor_name" json:"debtor_name"`
	DebtorIBAN       string            `bson:"debtor_iban" json:"debtor_iban"`
	DebtorBIC        string            `bson:"debtor_bic,omitempty" json:"debtor_bic,omitempty"`
	EnterpriseNumber string            `bson:"enterprise_number,omitempty" json:"enterprise_number,omitempty"`
	PainVersion      string            `bson:"pain_version" json:"pain_version"`
	BatchBooking     bool              `bson:"batch_booking" json:"batch_booking"`
	BudgetArticles   map[string]string `bson:"budget_articles" json:"budget_articles"`
	// SubsidyBand is the finance director's override of the federal subsidy's base rate of the CPAS, 55, 65 or 70
	// (% of the RIS, art. 32 loi DIS: domain.md §5), for every year while set; 0: the band computed from the N-2
	// average (package subsidy, band.go).
	SubsidyBand int `bson:"subsidy_band,omitempty" json:"subsidy_band,omitempty"`
}

// SubsidyBands are the base rates a tenant may have.
var SubsidyBands = []int{55, 65, 70}

// Band is the tenant's subsidy base rate (55 when not set).
func (s Settings) Band() int {
	if s.SubsidyBand == 0 {
		return 55
	}
	return s.SubsidyBand
}

// Version is the sepa version of the settings.
func (s Settings) Version() sepa.Version {
	if s.PainVersion == Pain03 {
		return sepa.Pain00100103
	}
	return sepa.Pain00100109
}

// Article is the budget article of a kind of aid.
func (s Settings) Article(kind string) string { return s.BudgetArticles[kind] }

// Ready tells whether a file can be written (a debtor account is set).
func (s Settings) Ready() bool { return s.DebtorName != "" && s.DebtorIBAN != "" }

var (
	articlePattern = regexp.MustCompile(`^[0-9A-Za-z./-]{1,20}$`)
	bicPattern     = regexp.MustCompile(`^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$`)
	kboPattern     = regexp.MustCompile(`^[01][0-9]{9}$`)
)

// Validate checks the settings and normalises the IBAN (compact).
func (s *Settings) Validate() error {
	var fs problem.Fields
	s.DebtorName = strings.TrimSpace(s.DebtorName)
	if s.DebtorName == "" || len(s.DebtorName) > 70 {
		fs.Add("debtor_name", "required")
	} else if sepa.Text(s.DebtorName, 70) == "" {
		fs.Add("debtor_name", "payments.name_not_sepa")
	}
	if v, err := iban.Parse(s.DebtorIBAN); err != nil {
		fs.Add("debtor_iban", "payments.iban_invalid")
	} else {
		s.DebtorIBAN = v.String()
	}
	if s.DebtorBIC != "" && !bicPattern.MatchString(s.DebtorBIC) {
		fs.Add("debtor_bic", "payments.bic_invalid")
	}
	if s.EnterpriseNumber != "" && !kboPattern.MatchString(s.EnterpriseNumber) {
		fs.Add("enterprise_number", "payments.enterprise_number_invalid")
	}
	if s.PainVersion != Pain09 && s.PainVersion != Pain03 {
		fs.Add("pain_version", "payments.pain_version_invalid")
	}
	if s.SubsidyBand != 0 && !slices.Contains(SubsidyBands, s.SubsidyBand) {
		fs.Add("subsidy_band", "payments.subsidy_band_invalid")
	}
	for k, a := range s.BudgetArticles {
		if !articlePattern.MatchString(a) {
			fs.Add("budget_articles."+k, "payments.article_invalid")
		}
	}
	return fs.Err()
}

// Store reads and writes the settings.
type Store struct {
	repo     *store.Repository[Settings]
	defaults Settings
}

// NewStore works on db; defaults are what a new tenant starts with.
func NewStore(db *mongo.Database, defaults Settings) *Store {
	return &Store{repo: store.NewRepository[Settings](db.Collection(CollSettings), nil), defaults: defaults}
}

func id(tenant string) string { return "payment-settings/" + tenant }

// Get returns the tenant's settings and version, seeding the defaults when missing.
func (s *Store) Get(ctx context.Context, tenant string) (store.Versioned[Settings], error) {
	v, err := s.repo.Load(ctx, tenant, id(tenant))
	if errors.Is(err, store.ErrNotFound) {
		d := s.defaults
		d.BudgetArticles = map[string]string{}
		for k, a := range s.defaults.BudgetArticles {
			d.BudgetArticles[k] = a
		}
		if err := s.repo.Insert(ctx, tenant, id(tenant), d); err != nil && !errors.Is(err, store.ErrDuplicate) {
			return v, fmt.Errorf("settings: seed: %w", err)
		}
		return s.repo.Load(ctx, tenant, id(tenant))
	}
	return v, err
}

// Put replaces the tenant's settings read at version expected (a band of 0 keeps the current one).
func (s *Store) Put(ctx context.Context, tenant string, expected int64, next Settings) (int64, error) {
	return s.put(ctx, tenant, expected, next, false)
}

// put replaces the settings; clearBand: a band of 0 removes the override (the request named subsidy_band: 0).
func (s *Store) put(ctx context.Context, tenant string, expected int64, next Settings, clearBand bool) (int64, error) {
	if err := next.Validate(); err != nil {
		return 0, err
	}
	if _, err := s.Get(ctx, tenant); err != nil {
		return 0, err
	}
	return s.repo.UpdateIfVersion(ctx, tenant, id(tenant), expected, func(cur *Settings) ([]events.Event, error) {
		if next.SubsidyBand == 0 && !clearBand {
			next.SubsidyBand = cur.SubsidyBand // a client that does not know the band keeps it
		}
		*cur = next
		return nil, nil
	})
}

// Response is the settings with their version (ETag).
type Response struct {
	Settings
	Version int64 `json:"version"`
}

// Headers sets the ETag.
func (r Response) Headers() http.Header { return http.Header{"Etag": {kit.ETag(r.Version)}} }

type putRequest struct {
	version   int64
	body      Settings
	clearBand bool
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
			v, err := s.put(ctx, a.Tenant, p.version, p.body, p.clearBand)
			if err != nil {
				return nil, err
			}
			return Response{Settings: p.body, Version: v}, nil
		}, Decode: func(_ context.Context, r *http.Request) (any, error) {
			v, err := kit.IfMatch(r)
			if err != nil {
				return nil, err
			}
			// subsidy_band absent keeps the override, 0 removes it (the computed band applies), 55/65/70 sets it.
			var body struct {
				Settings
				Band *int `json:"subsidy_band"`
			}
			if err := httpkit.DecodeJSON(r, &body, kit.MaxJSON); err != nil {
				return nil, err
			}
			if body.Band != nil {
				body.Settings.SubsidyBand = *body.Band
			}
			return putRequest{version: v, body: body.Settings, clearBand: body.Band != nil && *body.Band == 0}, nil
		}},
	}
}

func init() {
	for code, texts := range map[string]map[string]string{
		"payments.name_not_sepa": {"fr": "Ce nom ne contient aucun caractère utilisable dans un virement SEPA.",
			"nl": "Deze naam bevat geen teken dat in een SEPA-overschrijving bruikbaar is.",
			"de": "Dieser Name enthält kein in einer SEPA-Überweisung verwendbares Zeichen.",
			"en": "This name has no character usable in a SEPA transfer."},
		"payments.iban_invalid": {"fr": "IBAN invalide.", "nl": "Ongeldig IBAN.", "de": "Ungültige IBAN.", "en": "Invalid IBAN."},
		"payments.bic_invalid":  {"fr": "BIC invalide.", "nl": "Ongeldige BIC.", "de": "Ungültige BIC.", "en": "Invalid BIC."},
		"payments.enterprise_number_invalid": {"fr": "Numéro d'entreprise invalide (10 chiffres).",
			"nl": "Ongeldig ondernemingsnummer (10 cijfers).", "de": "Ungültige Unternehmensnummer (10 Ziffern).",
			"en": "Invalid enterprise number (10 digits)."},
		"payments.pain_version_invalid": {"fr": "Version inconnue : pain.001.001.09 ou pain.001.001.03.",
			"nl": "Onbekende versie: pain.001.001.09 of pain.001.001.03.",
			"de": "Unbekannte Version: pain.001.001.09 oder pain.001.001.03.",
			"en": "Unknown version: pain.001.001.09 or pain.001.001.03."},
		"payments.subsidy_band_invalid": {"fr": "Taux de base du subside : 55, 65 ou 70.", "nl": "Basispercentage van de toelage: 55, 65 of 70.",
			"de": "Grundsatz des Zuschusses: 55, 65 oder 70.", "en": "Subsidy base rate: 55, 65 or 70."},
		"payments.article_invalid": {"fr": "Article budgétaire invalide.", "nl": "Ongeldig begrotingsartikel.",
			"de": "Ungültiger Haushaltsartikel.", "en": "Invalid budget article."},
	} {
		problem.RegisterMessages(code, texts)
	}
}
