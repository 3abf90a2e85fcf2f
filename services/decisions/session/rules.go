package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/committee"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/settings"
)

// CommitteeRules are a tenant's rules of order for the committee's votes (committee.Rules without the clock: the
// convocation's clear days are the tenant settings' legal periods, settings.Settings.Rules).
type CommitteeRules struct {
	Quorum      committee.QuorumRule   `bson:"quorum" json:"quorum"`
	QuorumFixed int                    `bson:"quorum_fixed" json:"quorum_fixed"`
	Majority    committee.MajorityRule `bson:"majority" json:"majority"`
	Tie         committee.TieRule      `bson:"tie" json:"tie"`
}

// DefaultCommitteeRules are committee.DefaultRules: quorum of the majority of the voting members, majority of
// the votes cast, a tie rejects.
func DefaultCommitteeRules() CommitteeRules {
	d := committee.DefaultRules()
	return CommitteeRules{Quorum: d.Quorum, Majority: d.Majority, Tie: d.Tie}
}

// RulesStore keeps each tenant's committee rules (one document in committee_rules, seeded with the defaults the
// first time it is read) and composes them with the settings' clear days.
type RulesStore struct {
	repo     *store.Repository[CommitteeRules]
	Settings *settings.Store
}

// NewRulesStore works on db.
func NewRulesStore(db *mongo.Database, st *settings.Store) *RulesStore {
	return &RulesStore{repo: store.NewRepository[CommitteeRules](db.Collection(CollRules), nil), Settings: st}
}

func rulesID(tenant string) string { return "committee-rules/" + tenant }

// Get returns the tenant's committee rules and version.
func (s *RulesStore) Get(ctx context.Context, tenant string) (store.Versioned[CommitteeRules], error) {
	v, err := s.repo.Load(ctx, tenant, rulesID(tenant))
	if errors.Is(err, store.ErrNotFound) {
		if err := s.repo.Insert(ctx, tenant, rulesID(tenant), DefaultCommitteeRules()); err != nil && !errors.Is(err, store.ErrDuplicate) {
			return v, fmt.Errorf("session: seed rules: %w", err)
		}
		return s.repo.Load(ctx, tenant, rulesID(tenant))
	}
	return v, err
}

// Rules are the committee.Rules a new session of tenant takes: the committee rules and the settings' periods.
func (s *RulesStore) Rules(ctx context.Context, tenant string) (committee.Rules, error) {
	cr, err := s.Get(ctx, tenant)
	if err != nil {
		return committee.Rules{}, err
	}
	st, err := s.Settings.Get(ctx, tenant)
	if err != nil {
		return committee.Rules{}, err
	}
	return committee.Rules{Quorum: cr.State.Quorum, QuorumFixed: cr.State.QuorumFixed, Majority: cr.State.Majority,
		Tie: cr.State.Tie, Clock: st.State.Rules}, nil
}

// Put replaces the tenant's committee rules read at version expected.
func (s *RulesStore) Put(ctx context.Context, tenant string, expected int64, next CommitteeRules) (int64, error) {
	full := committee.Rules{Quorum: next.Quorum, QuorumFixed: next.QuorumFixed, Majority: next.Majority, Tie: next.Tie}
	full.Clock = committee.DefaultRules().Clock
	if err := full.Validate(); err != nil {
		return 0, err
	}
	if next.Quorum != committee.QuorumFixed {
		next.QuorumFixed = 0
	}
	if _, err := s.Get(ctx, tenant); err != nil {
		return 0, err
	}
	return s.repo.UpdateIfVersion(ctx, tenant, rulesID(tenant), expected, func(cur *CommitteeRules) ([]events.Event, error) {
		*cur = next
		return nil, nil
	})
}

// RulesResponse is the committee rules with their version (ETag) and the clear days of the settings.
type RulesResponse struct {
	CommitteeRules
	ConvocationClearDays int   `json:"convocation_clear_days"`
	Version              int64 `json:"version"`
}

// Headers sets the ETag.
func (r RulesResponse) Headers() http.Header { return http.Header{"Etag": {kit.ETag(r.Version)}} }

type rulesPut struct {
	version int64
	body    CommitteeRules
}

func (s *RulesStore) response(ctx context.Context, tenant string) (RulesResponse, error) {
	v, err := s.Get(ctx, tenant)
	if err != nil {
		return RulesResponse{}, err
	}
	st, err := s.Settings.Get(ctx, tenant)
	if err != nil {
		return RulesResponse{}, err
	}
	return RulesResponse{CommitteeRules: v.State, ConvocationClearDays: st.State.Rules.ConvocationClearDays, Version: v.Version}, nil
}

// KitRoutes are the rules' routes.
func (s *RulesStore) KitRoutes() []kit.Route {
	return []kit.Route{
		{Pattern: RouteRulesGet, Endpoint: func(ctx context.Context, _ any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			return s.response(ctx, a.Tenant)
		}, Decode: kit.DecodeNothing},
		{Pattern: RouteRulesPut, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			p := req.(rulesPut)
			if _, err := s.Put(ctx, a.Tenant, p.version, p.body); err != nil {
				return nil, err
			}
			return s.response(ctx, a.Tenant)
		}, Decode: func(_ context.Context, r *http.Request) (any, error) {
			v, err := kit.IfMatch(r)
			if err != nil {
				return nil, err
			}
			var body CommitteeRules
			if err := httpkit.DecodeJSON(r, &body, kit.MaxJSON); err != nil {
				return nil, err
			}
			return rulesPut{version: v, body: body}, nil
		}},
	}
}
