package subsidy

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/ledger"
)

// Route patterns, as in api/policy/policy.csv and api/openapi/payments.v1.yaml.
const (
	RouteClaims      = "GET /v1/subsidy/claims"
	RouteDecision    = "GET /v1/subsidy/decisions/{id}"
	RouteDecisionPut = "PUT /v1/subsidy/decisions/{id}"
)

// Routes lists the package's route patterns.
func Routes() []string {
	return []string{RouteClaims, RouteDecision, RouteDecisionPut, RouteBand, RouteHistory, RouteHistoryPut}
}

// PurposeRoutes need X-Purpose (NISS numbers, a beneficiary's decision).
var PurposeRoutes = []string{RouteClaims, RouteDecision}

// IfMatchRoutes need If-Match.
var IfMatchRoutes = []string{RouteDecisionPut, RouteHistoryPut}

// DecisionView is a decision's subsidy: its basis, the share and why.
type DecisionView struct {
	ID string `json:"id"`
	Decision
	Band               int    `json:"band"`
	ForeignersRegister bool   `json:"foreigners_register"`
	SharePercent       int    `json:"share_percent"`
	ShareReason        string `json:"share_reason"`
	MonthlyStateCents  int64  `json:"monthly_state_cents"`
	Version            int64  `json:"version"`
}

// Headers sets the ETag.
func (v DecisionView) Headers() http.Header { return http.Header{"Etag": {kit.ETag(v.Version)}} }

func (s *Service) decisionView(ctx context.Context, tenant string, d store.Versioned[Decision]) (DecisionView, error) {
	p, err := s.personOf(ctx, tenant, d.State.PersonID)
	if err != nil {
		return DecisionView{}, err
	}
	band, err := s.RateFor(ctx, tenant, time.Now().Year())
	if err != nil {
		return DecisionView{}, err
	}
	share, reason := s.ShareOf(band, d.State, p)
	if d.State.Changes == nil {
		d.State.Changes = []Change{}
	}
	return DecisionView{ID: d.ID, Decision: d.State, Band: band, ForeignersRegister: p.ResidenceStatus == "foreigners_register",
		SharePercent: share, ShareReason: reason, MonthlyStateCents: Of(d.State.current(), share), Version: d.Version}, nil
}

// Get reads a decision's subsidy, audited.
func (s *Service) Get(ctx context.Context, a kit.Actor, id, purpose string) (DecisionView, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return DecisionView{}, err
	}
	d, err := s.Decisions.Load(ctx, a.Tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return DecisionView{}, kit.ErrNotFound
	}
	if err != nil {
		return DecisionView{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "subsidy.read", ResourceType: "decision", ResourceID: id, FileID: d.State.FileID, Purpose: purpose})
	return s.decisionView(ctx, a.Tenant, d)
}

// Mark is what finance sets on a decision's subsidy basis (no event carries it).
type Mark struct {
	HomelessFirstResidence bool `json:"homeless_first_residence"`
}

// SetMark changes the basis of a decision read at version expected.
func (s *Service) SetMark(ctx context.Context, a kit.Actor, id string, expected int64, m Mark) (DecisionView, error) {
	_, err := s.Decisions.UpdateIfVersion(ctx, a.Tenant, id, expected, func(d *Decision) ([]events.Event, error) {
		d.HomelessFirstResidence, d.MarkedBy = m.HomelessFirstResidence, a.UserID
		return nil, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return DecisionView{}, kit.ErrNotFound
	}
	if err != nil {
		return DecisionView{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "subsidy.mark", ResourceType: "decision", ResourceID: id})
	d, err := s.Decisions.Load(ctx, a.Tenant, id)
	if err != nil {
		return DecisionView{}, err
	}
	return s.decisionView(ctx, a.Tenant, d)
}

type claimsRequest struct {
	form, purpose string
	from, to      civil.Date
	csv           bool
	err           error // answered after authentication
}

// KitRoutes are the package's routes with their endpoints.
func (s *Service) KitRoutes() []kit.Route {
	return append(s.bandRoutes(),
		kit.Route{Pattern: RouteClaims, Decode: func(_ context.Context, r *http.Request) (any, error) {
			var fs problem.Fields
			q := r.URL.Query()
			from, to := ledger.Month(q, &fs)
			form := q.Get("form")
			if !slices.Contains(Forms, form) {
				fs.Add("form", "payments.form_unknown")
			}
			return claimsRequest{form: form, purpose: r.Header.Get(kit.PurposeHeader), from: from, to: to,
				csv: ledger.WantsCSV(r), err: fs.Err()}, nil
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(claimsRequest)
			if r.err != nil {
				return nil, r.err
			}
			ds, err := s.Claims(ctx, a, r.form, r.from, r.to, r.purpose)
			if err != nil {
				return nil, err
			}
			if !r.csv {
				return ds, nil
			}
			var b bytes.Buffer
			if err := WriteCSV(&b, ds); err != nil {
				return nil, err
			}
			return ledger.CSV{Name: "subsidy-" + r.form + "-" + ds.Month + ".csv", Body: b.Bytes()}, nil
		}, Encode: ledger.EncodeCSV},
		kit.Route{Pattern: RouteDecision, Decode: func(_ context.Context, r *http.Request) (any, error) {
			id, err := kit.PathID(r)
			if err != nil {
				return nil, err
			}
			return [2]string{id, r.Header.Get(kit.PurposeHeader)}, nil
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.([2]string)
			return s.Get(ctx, a, r[0], r[1])
		}},
		kit.Route{Pattern: RouteDecisionPut, Decode: func(_ context.Context, r *http.Request) (any, error) {
			id, err := kit.PathID(r)
			if err != nil {
				return nil, err
			}
			v, err := kit.IfMatch(r)
			if err != nil {
				return nil, err
			}
			var m Mark
			if err := httpkit.DecodeJSON(r, &m, kit.MaxJSON); err != nil {
				return nil, err
			}
			return markRequest{id: id, version: v, mark: m}, nil
		}, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(markRequest)
			return s.SetMark(ctx, a, r.id, r.version, r.mark)
		}})
}

type markRequest struct {
	id      string
	version int64
	mark    Mark
}

func init() {
	problem.RegisterMessages("payments.form_unknown", map[string]string{
		"fr": "Formulaire inconnu : B, C, D ou claim.", "nl": "Onbekend formulier: B, C, D of claim.",
		"de": "Unbekanntes Formular: B, C, D oder claim.", "en": "Unknown form: B, C, D or claim."})
}
