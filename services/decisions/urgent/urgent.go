// Package urgent persists the president's urgent decisions (committee.UrgentDecision, art. 28 LO, in
// `urgent_decisions`): the president decides alone on an aid request in urgent necessity, with the motivation;
// the decision takes effect at once (Outcomes.UrgentDecided records it as an adopted decision, retried by the
// housekeeping until it succeeded) and awaits ratification at the committee's next session, where the secretary
// puts it on the agenda. A session that closes without ratifying or refusing it flags it NotRatified (the board's
// flag).
package urgent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/idempotency"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/board"
	"github.com/entraide/entraide/services/decisions/committee"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/request"
	"github.com/entraide/entraide/services/decisions/ris"
)

// CollUrgent holds the urgent decisions.
const CollUrgent = "urgent_decisions"

// Route patterns, as in api/policy/policy.csv and api/openapi/decisions.v1.yaml.
const (
	RouteDecide = "POST /v1/urgent-decisions"
	RouteList   = "GET /v1/urgent-decisions"
	RouteGet    = "GET /v1/urgent-decisions/{id}"
)

// CreationRoutes honour an Idempotency-Key (required).
var CreationRoutes = []string{RouteDecide}

// PurposeRoutes read a social file's data and require X-Purpose.
var PurposeRoutes = []string{RouteList, RouteGet}

// Routes lists the package's route patterns.
func Routes() []string { return []string{RouteDecide, RouteList, RouteGet} }

// Outcomes records the urgent decision as an adopted decision (implemented by the decision package).
type Outcomes interface {
	UrgentDecided(ctx context.Context, tenant string, u committee.UrgentState) error
}

// Doc is an urgent decision as stored: the committee.UrgentState under "urgent", with what the queries read.
type Doc struct {
	Ratification committee.Ratification `bson:"ratification"`
	NotRatified  bool                   `bson:"not_ratified"`
	DecidedAt    time.Time              `bson:"decided_at"`
	FileID       string                 `bson:"file_id"`
	RequestID    string                 `bson:"request_id"`
	// EffectPending: Outcomes.UrgentDecided has not acknowledged it yet (the housekeeping retries).
	EffectPending bool                  `bson:"effect_pending"`
	Urgent        committee.UrgentState `bson:"urgent"`
}

func (d *Doc) sync(u *committee.UrgentDecision) {
	d.Urgent = u.State()
	d.Ratification, d.NotRatified, d.DecidedAt, d.FileID = u.Ratification(), u.NotRatified(), d.Urgent.DecidedAt, d.Urgent.FileRef
}

// Record is a stored urgent decision.
type Record = store.Versioned[Doc]

// EnsureIndexes creates the package's indexes, tenant first.
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	return store.EnsureIndexes(ctx, db.Collection(CollUrgent),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "ratification", Value: 1}, {Key: "decided_at", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "effect_pending", Value: 1}}},
	)
}

// Service is the urgent decisions' use cases.
type Service struct {
	repo     *store.Repository[Doc]
	requests *mongo.Collection
	Audit    *kit.Auditor
	Outcomes Outcomes
	Logger   *slog.Logger
	// Now is the clock (tests fix it); nil is time.Now.
	Now func() time.Time
}

// NewService works on db.
func NewService(db *mongo.Database, au *kit.Auditor, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{repo: store.NewRepository[Doc](db.Collection(CollUrgent), nil), requests: db.Collection(request.CollRequests),
		Audit: au, Logger: logger}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

// Input is what the president gives: the request (its register number, "R2026/000123", or its id), the terms
// and why it could not wait for the committee.
type Input struct {
	RequestID     string       `json:"request_id,omitempty"`
	RequestNumber string       `json:"request_number,omitempty"`
	Category      ris.Category `json:"category,omitempty"`
	MonthlyAmount ris.Cents    `json:"monthly_amount_cents"`
	Start         civil.Date   `json:"start"`
	End           civil.Date   `json:"end,omitzero"`
	Review        civil.Date   `json:"review,omitzero"`
	PIIS          bool         `json:"piis"`
	Motivation    string       `json:"motivation"`
}

// findRequest reads the request of in, of tenant: by id or by register number.
func (s *Service) findRequest(ctx context.Context, tenant string, in Input) (string, request.Request, error) {
	f := bson.D{{Key: "_id", Value: in.RequestID}}
	if in.RequestID == "" {
		f = bson.D{{Key: "number", Value: strings.TrimSpace(in.RequestNumber)}}
	}
	filter, err := store.TenantFilter(tenant, f)
	if err != nil {
		return "", request.Request{}, err
	}
	raw, err := s.requests.FindOne(ctx, filter).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", request.Request{}, kit.ErrNotFound
	} else if err != nil {
		return "", request.Request{}, fmt.Errorf("urgent: find request: %w", err)
	}
	v, err := store.Decode[request.Request](raw, tenant)
	return v.ID, v.State, err
}

// Decide records the president's urgent decision: in force at once (handed to Outcomes), awaiting ratification.
func (s *Service) Decide(ctx context.Context, a kit.Actor, in Input) (Record, error) {
	var fs problem.Fields
	if in.RequestID == "" && strings.TrimSpace(in.RequestNumber) == "" {
		fs.Add("request_number", "required")
	}
	if in.RequestID != "" && !kit.IsUUID(in.RequestID) {
		fs.Add("request_id", "invalid")
	}
	if len(in.Motivation) > 4000 {
		fs.Add("motivation", "invalid")
	}
	if err := fs.Err(); err != nil {
		return Record{}, err
	}
	reqID, req, err := s.findRequest(ctx, a.Tenant, in)
	if errors.Is(err, kit.ErrNotFound) {
		field := "request_number"
		if in.RequestID != "" {
			field = "request_id"
		}
		return Record{}, problem.Invalid(problem.Field(field, "urgent.unknown_request"))
	} else if err != nil {
		return Record{}, err
	}
	if !req.Status.Open() {
		return Record{}, &problem.Error{Type: problem.Conflict, Detail: "urgent.request_not_open"}
	}
	id := uuid.NewString()
	u, err := committee.DecideUrgently(committee.NewUrgentDecision{ID: id, Tenant: a.Tenant, President: a.UserID,
		PersonRef: req.PersonID, FileRef: req.FileID, Kind: req.Kind,
		Terms: committee.Terms{Category: in.Category, MonthlyAmount: in.MonthlyAmount, Start: in.Start, End: in.End,
			Review: in.Review, PIIS: in.PIIS, MotivationRef: "urgent/" + id},
		Motivation: in.Motivation, DecidedAt: s.now()})
	if err != nil {
		pe := problem.As(err)
		for i, f := range pe.Fields {
			pe.Fields[i].Field = strings.TrimPrefix(f.Field, "terms.")
		}
		return Record{}, pe
	}
	d := Doc{RequestID: reqID, EffectPending: true}
	d.sync(u)
	if err := s.repo.Insert(ctx, a.Tenant, id, d); err != nil {
		return Record{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "urgent.decide", ResourceType: "urgent_decision", ResourceID: id, FileID: req.FileID})
	if err := s.takeEffect(ctx, a.Tenant, id); err != nil {
		s.Logger.WarnContext(ctx, "urgent decision not handed over yet", "urgent_id", id, "error", err.Error())
	}
	return s.load(ctx, a.Tenant, id)
}

func (s *Service) load(ctx context.Context, tenant, id string) (Record, error) {
	v, err := s.repo.Load(ctx, tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return v, kit.ErrNotFound
	}
	return v, err
}

// ErrNotWired: the decisions are not wired into this process yet; the effect stays pending.
var ErrNotWired = errors.New("urgent: outcomes not wired")

// takeEffect hands the decision to Outcomes and clears EffectPending.
func (s *Service) takeEffect(ctx context.Context, tenant, id string) error {
	if s.Outcomes == nil {
		return ErrNotWired
	}
	rec, err := s.load(ctx, tenant, id)
	if err != nil {
		return err
	}
	if !rec.State.EffectPending {
		return nil
	}
	if err := s.Outcomes.UrgentDecided(ctx, tenant, rec.State.Urgent); err != nil {
		return err
	}
	_, err = s.repo.Update(ctx, tenant, id, func(d *Doc) ([]events.Event, error) {
		d.EffectPending = false
		return nil, nil
	})
	return err
}

// Housekeep retries the effects not acknowledged (every minute, see run.go).
func (s *Service) Housekeep(ctx context.Context) {
	if s.Outcomes == nil {
		return
	}
	cur, err := s.repo.Collection().Find(ctx, bson.D{{Key: "effect_pending", Value: true}},
		options.Find().SetLimit(100).SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "tenant", Value: 1}}))
	if err != nil {
		return
	}
	var docs []struct {
		ID     string `bson:"_id"`
		Tenant string `bson:"tenant"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return
	}
	for _, d := range docs {
		if err := s.takeEffect(ctx, d.Tenant, d.ID); err != nil && ctx.Err() == nil {
			s.Logger.WarnContext(ctx, "urgent decision not handed over", "urgent_id", d.ID, "error", err.Error())
		}
	}
}

// find lists the tenant's urgent decisions, the oldest first; awaiting keeps those awaiting ratification.
func (s *Service) find(ctx context.Context, tenant string, awaiting bool) ([]Record, error) {
	f := bson.D{}
	if awaiting {
		f = bson.D{{Key: "ratification", Value: committee.AwaitingRatification}}
	}
	return s.repo.Find(ctx, tenant, f, options.Find().SetSort(bson.D{{Key: "decided_at", Value: 1}}).SetLimit(500))
}

// Awaiting lists the tenant's urgent decisions awaiting ratification (session.Ratifications).
func (s *Service) Awaiting(ctx context.Context, tenant string) ([]*committee.UrgentDecision, error) {
	recs, err := s.find(ctx, tenant, true)
	if err != nil {
		return nil, err
	}
	out := make([]*committee.UrgentDecision, 0, len(recs))
	for _, r := range recs {
		u, err := committee.UrgentFromState(r.State.Urgent)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// Decision loads one urgent decision of tenant (session.Ratifications).
func (s *Service) Decision(ctx context.Context, tenant, id string) (*committee.UrgentDecision, error) {
	rec, err := s.load(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	return committee.UrgentFromState(rec.State.Urgent)
}

// ApplySession records what a closed session did with each urgent decision of its tenant awaiting ratification
// (committee.UrgentDecision.ApplySession); applying it twice changes nothing.
func (s *Service) ApplySession(ctx context.Context, sess *committee.Session) error {
	recs, err := s.find(ctx, sess.Tenant(), true)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range recs {
		_, err := s.repo.Update(ctx, sess.Tenant(), r.ID, func(d *Doc) ([]events.Event, error) {
			u, err := committee.UrgentFromState(d.Urgent)
			if err != nil {
				return nil, err
			}
			u.ApplySession(sess)
			d.sync(u)
			return nil, nil
		})
		if errors.Is(err, store.ErrConflict) {
			err = fmt.Errorf("urgent %s changed meanwhile: %w", r.ID, err)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Flag is an urgent decision the committee has not ratified in a session held since: the board shows it.
type Flag struct {
	UrgentID  string     `json:"urgent_id"`
	FileID    string     `json:"file_id"`
	PersonID  string     `json:"person_id"`
	DecidedOn civil.Date `json:"decided_on"`
	Missed    int        `json:"missed_sessions"`
}

// NotRatified lists the tenant's flagged urgent decisions (of fileIDs when not nil), the oldest first: a board
// source.
func (s *Service) NotRatified(ctx context.Context, tenant string, fileIDs []string, limit int64) ([]Flag, error) {
	f := bson.D{{Key: "not_ratified", Value: true}}
	if fileIDs != nil {
		if len(fileIDs) == 0 {
			return nil, nil
		}
		f = append(f, bson.E{Key: "file_id", Value: bson.D{{Key: "$in", Value: fileIDs}}})
	}
	recs, err := s.repo.Find(ctx, tenant, f, options.Find().SetSort(bson.D{{Key: "decided_at", Value: 1}}).SetLimit(limit))
	if err != nil {
		return nil, err
	}
	out := make([]Flag, 0, len(recs))
	for _, r := range recs {
		u := r.State.Urgent
		out = append(out, Flag{UrgentID: r.ID, FileID: u.FileRef, PersonID: u.PersonRef, DecidedOn: civil.Of(u.DecidedAt),
			Missed: len(u.MissedSessions)})
	}
	return out, nil
}

// View is an urgent decision as the API shows it.
type View struct {
	committee.UrgentState
	RequestID     string `json:"request_id"`
	NotRatified   bool   `json:"not_ratified"`
	EffectPending bool   `json:"effect_pending"`
	Version       int64  `json:"version"`
	created       bool
}

// Headers sets the ETag (and Location on creation).
func (v View) Headers() http.Header {
	h := http.Header{"Etag": {kit.ETag(v.Version)}}
	if v.created {
		h.Set("Location", "/v1/urgent-decisions/"+v.ID)
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

func view(r Record) View {
	st := r.State.Urgent
	if st.MissedSessions == nil {
		st.MissedSessions = []string{}
	}
	return View{UrgentState: st, RequestID: r.State.RequestID, NotRatified: r.State.NotRatified,
		EffectPending: r.State.EffectPending, Version: r.Version}
}

// List is a list of urgent decisions.
type List struct {
	Items []View `json:"items"`
}

type getRequest struct{ id, purpose, status string }

type decideRequest struct {
	Input
	keyed bool
}

// KitRoutes are the package's routes with their endpoints.
func (s *Service) KitRoutes() []kit.Route {
	get := func(ctx context.Context, req any) (any, error) {
		a, err := kit.ActorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := req.(getRequest)
		if err := kit.CheckPurpose(r.purpose); err != nil {
			return nil, err
		}
		rec, err := s.load(ctx, a.Tenant, r.id)
		if err != nil {
			return nil, err
		}
		s.Audit.Record(ctx, a, kit.Entry{Action: "urgent.read", ResourceType: "urgent_decision", ResourceID: r.id,
			FileID: rec.State.FileID, Purpose: r.purpose})
		return view(rec), nil
	}
	list := func(ctx context.Context, req any) (any, error) {
		a, err := kit.ActorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := req.(getRequest)
		if err := kit.CheckPurpose(r.purpose); err != nil {
			return nil, err
		}
		recs, err := s.find(ctx, a.Tenant, r.status == "awaiting")
		if err != nil {
			return nil, err
		}
		out := List{Items: []View{}}
		for _, rec := range recs {
			out.Items = append(out.Items, view(rec))
		}
		s.Audit.Record(ctx, a, kit.Entry{Action: "urgent.list", ResourceType: "urgent_decision", Purpose: r.purpose})
		return out, nil
	}
	var decide endpoint.Endpoint = func(ctx context.Context, req any) (any, error) {
		a, err := kit.ActorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := req.(decideRequest)
		if !r.keyed {
			return nil, problem.Invalid(problem.Field(idempotency.HeaderKey, "required"))
		}
		rec, err := s.Decide(ctx, a, r.Input)
		if err != nil {
			return nil, err
		}
		v := view(rec)
		v.created = true
		return v, nil
	}
	return []kit.Route{
		{Pattern: RouteDecide, Endpoint: decide, Decode: func(_ context.Context, r *http.Request) (any, error) {
			in := decideRequest{keyed: strings.TrimSpace(r.Header.Get(idempotency.HeaderKey)) != ""}
			err := httpkit.DecodeJSON(r, &in.Input, kit.MaxJSON)
			return in, err
		}},
		{Pattern: RouteList, Endpoint: list, Decode: func(_ context.Context, r *http.Request) (any, error) {
			st := r.URL.Query().Get("status")
			if st != "" && st != "awaiting" {
				return nil, problem.Invalid(problem.Field("status", "invalid_choice"))
			}
			return getRequest{purpose: r.Header.Get(kit.PurposeHeader), status: st}, nil
		}},
		{Pattern: RouteGet, Endpoint: get, Decode: func(_ context.Context, r *http.Request) (any, error) {
			id, err := kit.PathID(r)
			return getRequest{id: id, purpose: r.Header.Get(kit.PurposeHeader)}, err
		}},
	}
}

func init() {
	for code, texts := range map[string]map[string]string{
		"urgent.unknown_request": {"fr": "Aucune demande avec ce numéro dans le registre.", "nl": "Geen aanvraag met dit nummer in het register.",
			"de": "Kein Antrag mit dieser Nummer im Register.", "en": "No request with this number in the register."},
		"urgent.request_not_open": {"fr": "Cette demande est déjà décidée ou retirée.", "nl": "Over deze aanvraag werd al beslist of ze werd ingetrokken.",
			"de": "Über diesen Antrag wurde bereits entschieden oder er wurde zurückgezogen.", "en": "This request is already decided or withdrawn."},
	} {
		problem.RegisterMessages(code, texts)
	}
}

// ReasonRatification is the board's reason for an urgent decision a session held since did not ratify.
const ReasonRatification legalclock.Reason = "urgent_ratification"

// Clocks are the board clocks the urgent decisions give (board.Clocker).
func (s *Service) Clocks() []string { return []string{board.ClockRatification} }

// Due is the urgent decisions' source of the deadline board: each urgent decision a session held since closed
// without ratifying or refusing (NotRatified), due since the day it was taken, oldest first, at most limit, in
// fileIDs (nil: every file of the tenant).
func (s *Service) Due(ctx context.Context, tenant string, fileIDs []string, limit int64) ([]board.Item, error) {
	flags, err := s.NotRatified(ctx, tenant, fileIDs, limit)
	if err != nil {
		return nil, err
	}
	out := make([]board.Item, 0, len(flags))
	for _, f := range flags {
		rec, err := s.load(ctx, tenant, f.UrgentID)
		if err != nil {
			return nil, err
		}
		day := f.DecidedOn
		out = append(out, board.Item{Clock: board.ClockRatification, RefType: board.RefUrgent, RefID: f.UrgentID,
			RequestID: rec.State.RequestID, FileID: f.FileID, PersonID: f.PersonID, Kind: rec.State.Urgent.Kind,
			Status: string(rec.State.Ratification),
			Deadline: legalclock.Deadline{Reason: ReasonRatification, From: day, Nominal: day, Due: day,
				FR: fmt.Sprintf("Décision urgente du président du %s non ratifiée : %d séance(s) tenue(s) depuis sans la ratifier", day.Long("fr"), f.Missed),
				NL: fmt.Sprintf("Dringende beslissing van de voorzitter van %s niet bekrachtigd: %d zitting(en) sindsdien zonder bekrachtiging", day.Long("nl"), f.Missed)}})
	}
	return out, nil
}
