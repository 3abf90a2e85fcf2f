package session

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-kit/kit/endpoint"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/idempotency"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/committee"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/letter"
)

// Route patterns, as in api/policy/policy.csv and api/openapi/decisions.v1.yaml.
const (
	RoutePlan       = "POST /v1/sessions"
	RouteList       = "GET /v1/sessions"
	RouteMine       = "GET /v1/me/sessions"
	RouteGet        = "GET /v1/sessions/{id}"
	RouteConvene    = "POST /v1/sessions/{id}/convocation"
	RouteAddItem    = "POST /v1/sessions/{id}/items"
	RouteRemoveItem = "DELETE /v1/sessions/{id}/items/{ref}"
	RouteOpen       = "POST /v1/sessions/{id}/opening"
	RouteMovement   = "POST /v1/sessions/{id}/movements"
	RouteConflict   = "POST /v1/sessions/{id}/items/{ref}/conflicts"
	RouteVote       = "POST /v1/sessions/{id}/items/{ref}/vote"
	RouteBallot     = "POST /v1/sessions/{id}/items/{ref}/ballots"
	RouteCasting    = "POST /v1/sessions/{id}/items/{ref}/casting-vote"
	RouteOutcome    = "POST /v1/sessions/{id}/items/{ref}/outcome"
	RouteClose      = "POST /v1/sessions/{id}/closing"
	RouteApprove    = "POST /v1/sessions/{id}/minutes-approval"
	RouteMinutes    = "GET /v1/sessions/{id}/minutes"
	RouteMinutesPDF = "GET /v1/sessions/{id}/minutes.pdf"
	RouteExtract    = "GET /v1/sessions/{id}/items/{ref}/extract"
	RouteExtractPDF = "GET /v1/sessions/{id}/items/{ref}/extract.pdf"
	RouteCandidates = "GET /v1/agenda-candidates"
	RouteRulesGet   = "GET /v1/committee-rules"
	RouteRulesPut   = "PUT /v1/committee-rules"
)

// CreationRoutes honour an Idempotency-Key (the outcome requires one).
var CreationRoutes = []string{RoutePlan, RouteOutcome}

// IfMatchRoutes require If-Match: the secretary's steps that change the session as a whole. The live steps
// (movements, conflicts, votes, ballots, outcomes) are checked by the committee's rules instead, so that members
// voting at the same time do not refuse each other's ballots.
var IfMatchRoutes = []string{RouteConvene, RouteAddItem, RouteRemoveItem, RouteOpen, RouteClose, RouteApprove, RouteRulesPut}

// PurposeRoutes read a social file's data and require X-Purpose.
var PurposeRoutes = []string{RouteList, RouteMine, RouteGet, RouteMinutes, RouteMinutesPDF, RouteExtract, RouteExtractPDF, RouteCandidates}

// Routes lists the package's route patterns.
func Routes() []string {
	return []string{RoutePlan, RouteList, RouteMine, RouteGet, RouteConvene, RouteAddItem, RouteRemoveItem, RouteOpen,
		RouteMovement, RouteConflict, RouteVote, RouteBallot, RouteCasting, RouteOutcome, RouteClose, RouteApprove,
		RouteMinutes, RouteMinutesPDF, RouteExtract, RouteExtractPDF, RouteCandidates, RouteRulesGet, RouteRulesPut}
}

// MemberView is a member as the API shows them.
type MemberView struct {
	UserID string         `json:"user_id"`
	Role   committee.Role `json:"role"`
	Name   string         `json:"name,omitempty"`
}

// View is a session as the API shows it.
type View struct {
	ID                string                       `json:"id"`
	Version           int64                        `json:"version"`
	Date              civil.Date                   `json:"date"`
	Time              string                       `json:"time"`
	Place             string                       `json:"place"`
	Status            committee.Status             `json:"status"`
	Rules             committee.Rules              `json:"rules"`
	Members           []MemberView                 `json:"members"`
	Convocation       *committee.Convocation       `json:"convocation,omitempty"`
	ConvocationLatest civil.Date                   `json:"convocation_latest"`
	Items             []committee.Item             `json:"items"`
	Attendance        []committee.AttendanceRecord `json:"attendance"`
	Movements         []committee.Movement         `json:"movements"`
	Quorum            committee.Quorum             `json:"quorum"`
	OpenedAt          time.Time                    `json:"opened_at,omitzero"`
	ClosedAt          time.Time                    `json:"closed_at,omitzero"`
	SignOff           *committee.SignOff           `json:"sign_off,omitempty"`
	PendingOutcomes   []string                     `json:"pending_outcomes"`
	// FileNumbers names the items' social files by their number (file id → number), on a read of the session.
	FileNumbers map[string]string `json:"file_numbers,omitempty"`
	// Details are what the members read of each item besides its terms (item ref → person's name, legal basis,
	// motivation), on a read of the session.
	Details map[string]ItemDetails `json:"details,omitempty"`
	created bool
}

// Headers sets the ETag (and Location on creation).
func (v View) Headers() http.Header {
	h := http.Header{"Etag": {kit.ETag(v.Version)}}
	if v.created {
		h.Set("Location", "/v1/sessions/"+v.ID)
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

// NewView builds the API's view of a stored session.
func NewView(rec Record) View {
	st := rec.State.Session
	v := View{ID: rec.ID, Version: rec.Version, Date: st.Date, Time: st.Time, Place: st.Place, Status: st.Status,
		Rules: st.Rules, Convocation: st.Convocation, Items: st.Items, Attendance: st.Attendance, Movements: st.Movements,
		OpenedAt: st.OpenedAt, ClosedAt: st.ClosedAt, SignOff: st.SignOff, PendingOutcomes: rec.State.PendingOutcomes}
	for _, m := range st.Members {
		v.Members = append(v.Members, MemberView{UserID: m.UserID, Role: m.Role, Name: rec.State.Names[m.UserID]})
	}
	if sess, err := committee.FromState(committee.State(st)); err == nil {
		v.Quorum = sess.QuorumNow()
		if d, err := sess.ConvocationLatest(); err == nil {
			v.ConvocationLatest = d.Due
		}
	}
	if v.Items == nil {
		v.Items = []committee.Item{}
	}
	if v.Attendance == nil {
		v.Attendance = []committee.AttendanceRecord{}
	}
	if v.Movements == nil {
		v.Movements = []committee.Movement{}
	}
	if v.PendingOutcomes == nil {
		v.PendingOutcomes = []string{}
	}
	return v
}

// Summary is a session in a list (no agenda).
type Summary struct {
	ID      string           `json:"id"`
	Version int64            `json:"version"`
	Date    civil.Date       `json:"date"`
	Time    string           `json:"time"`
	Place   string           `json:"place"`
	Status  committee.Status `json:"status"`
	Items   int              `json:"items"`
	Role    committee.Role   `json:"role,omitempty"`
}

// List is a list of sessions.
type List struct {
	Items []Summary `json:"items"`
}

type idRequest struct {
	id, ref, purpose string
	version          int64
	body             any
	// keyed: the request carries an Idempotency-Key (required on an outcome, checked after authentication).
	keyed bool
}

func pathRef(r *http.Request) (string, error) {
	ref := strings.ToLower(r.PathValue("ref"))
	if !kit.IsUUID(ref) {
		return "", kit.ErrNotFound
	}
	return ref, nil
}

// decoder reads the path's id (and ref), If-Match when ifMatch, and a JSON body into a new value of body's type.
func decoder[T any](ref, ifMatch, hasBody bool) func(context.Context, *http.Request) (any, error) {
	return func(_ context.Context, r *http.Request) (any, error) {
		out := idRequest{purpose: r.Header.Get(kit.PurposeHeader),
			keyed: strings.TrimSpace(r.Header.Get(idempotency.HeaderKey)) != ""}
		var err error
		if r.PathValue("id") != "" {
			if out.id, err = kit.PathID(r); err != nil {
				return nil, err
			}
		}
		if ref {
			if out.ref, err = pathRef(r); err != nil {
				return nil, err
			}
		}
		if ifMatch {
			if out.version, err = kit.IfMatch(r); err != nil {
				return nil, err
			}
		}
		if hasBody {
			var b T
			if err := httpkit.DecodeJSON(r, &b, kit.MaxJSON); err != nil {
				return nil, err
			}
			out.body = b
		}
		return out, nil
	}
}

type convocationBody struct {
	Urgent     bool   `json:"urgent"`
	Motivation string `json:"motivation"`
}

type openingBody struct {
	Attendance map[string]committee.Attendance `json:"attendance"`
}

type movementBody struct {
	UserID  string `json:"user_id"`
	Arrived bool   `json:"arrived"`
}

type userBody struct {
	UserID string `json:"user_id"`
}

type voteBody struct {
	Mode committee.VoteMode `json:"mode"`
}

type choiceBody struct {
	Choice committee.Choice `json:"choice"`
}

type none struct{}

// action is an endpoint on a session that returns the session.
func action(fn func(ctx context.Context, a kit.Actor, r idRequest) (Record, error)) endpoint.Endpoint {
	return func(ctx context.Context, req any) (any, error) {
		a, err := kit.ActorFrom(ctx)
		if err != nil {
			return nil, err
		}
		rec, err := fn(ctx, a, req.(idRequest))
		if err != nil {
			return nil, err
		}
		return NewView(rec), nil
	}
}

func summaries(recs []Record, user string) List {
	out := List{Items: []Summary{}}
	for _, r := range recs {
		st := r.State.Session
		sm := Summary{ID: r.ID, Version: r.Version, Date: st.Date, Time: st.Time, Place: st.Place, Status: st.Status, Items: len(st.Items)}
		for _, m := range st.Members {
			if m.UserID == user {
				sm.Role = m.Role
			}
		}
		out.Items = append(out.Items, sm)
	}
	return out
}

// KitRoutes are the package's routes with their endpoints.
func (s *Service) KitRoutes() []kit.Route {
	list := func(mine bool) endpoint.Endpoint {
		return func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			recs, err := s.List(ctx, a, mine, req.(idRequest).purpose)
			if err != nil {
				return nil, err
			}
			return summaries(recs, a.UserID), nil
		}
	}
	printable := func(extract, pdf bool) endpoint.Endpoint {
		return func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(idRequest)
			var doc letter.Document
			if extract {
				doc, err = s.Extract(ctx, a, r.id, r.ref, r.purpose)
			} else {
				doc, err = s.Minutes(ctx, a, r.id, r.purpose)
			}
			if err != nil {
				return nil, err
			}
			name := "minutes.pdf"
			if extract {
				name = "extract.pdf"
			}
			return printed{doc: doc, pdf: pdf, name: name}, nil
		}
	}
	routes := []kit.Route{
		{Pattern: RoutePlan, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			rec, err := s.Plan(ctx, a, req.(idRequest).body.(PlanInput))
			if err != nil {
				return nil, err
			}
			v := NewView(rec)
			v.created = true
			return v, nil
		}, Decode: decoder[PlanInput](false, false, true)},
		{Pattern: RouteList, Endpoint: list(false), Decode: decoder[none](false, false, false)},
		{Pattern: RouteMine, Endpoint: list(true), Decode: decoder[none](false, false, false)},
		{Pattern: RouteGet, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			r := req.(idRequest)
			rec, err := s.Get(ctx, a, r.id, r.purpose)
			if err != nil {
				return nil, err
			}
			v := NewView(rec)
			if v.FileNumbers, err = s.fileNumbers(ctx, rec); err != nil {
				return nil, err
			}
			v.Details, err = s.details(ctx, rec.Tenant, rec.ID)
			return v, err
		}, Decode: decoder[none](false, false, false)},
		{Pattern: RouteConvene, Endpoint: action(func(ctx context.Context, a kit.Actor, r idRequest) (Record, error) {
			b := r.body.(convocationBody)
			return s.Convene(ctx, a, r.id, r.version, b.Urgent, b.Motivation)
		}), Decode: decoder[convocationBody](false, true, true)},
		{Pattern: RouteAddItem, Endpoint: action(func(ctx context.Context, a kit.Actor, r idRequest) (Record, error) {
			return s.AddItem(ctx, a, r.id, r.version, r.body.(ItemInput))
		}), Decode: decoder[ItemInput](false, true, true)},
		{Pattern: RouteRemoveItem, Endpoint: action(func(ctx context.Context, a kit.Actor, r idRequest) (Record, error) {
			return s.RemoveItem(ctx, a, r.id, r.version, r.ref)
		}), Decode: decoder[none](true, true, false)},
		{Pattern: RouteOpen, Endpoint: action(func(ctx context.Context, a kit.Actor, r idRequest) (Record, error) {
			return s.Open(ctx, a, r.id, r.version, r.body.(openingBody).Attendance)
		}), Decode: decoder[openingBody](false, true, true)},
		{Pattern: RouteMovement, Endpoint: action(func(ctx context.Context, a kit.Actor, r idRequest) (Record, error) {
			b := r.body.(movementBody)
			return s.Move(ctx, a, r.id, b.UserID, b.Arrived)
		}), Decode: decoder[movementBody](false, false, true)},
		{Pattern: RouteConflict, Endpoint: action(func(ctx context.Context, a kit.Actor, r idRequest) (Record, error) {
			return s.Conflict(ctx, a, r.id, r.ref, r.body.(userBody).UserID)
		}), Decode: decoder[userBody](true, false, true)},
		{Pattern: RouteVote, Endpoint: action(func(ctx context.Context, a kit.Actor, r idRequest) (Record, error) {
			return s.StartVote(ctx, a, r.id, r.ref, r.body.(voteBody).Mode)
		}), Decode: decoder[voteBody](true, false, true)},
		{Pattern: RouteBallot, Endpoint: action(func(ctx context.Context, a kit.Actor, r idRequest) (Record, error) {
			return s.Ballot(ctx, a, r.id, r.ref, r.body.(BallotInput))
		}), Decode: decoder[BallotInput](true, false, true)},
		{Pattern: RouteCasting, Endpoint: action(func(ctx context.Context, a kit.Actor, r idRequest) (Record, error) {
			return s.CastingVote(ctx, a, r.id, r.ref, r.body.(choiceBody).Choice)
		}), Decode: decoder[choiceBody](true, false, true)},
		{Pattern: RouteOutcome, Endpoint: action(func(ctx context.Context, a kit.Actor, r idRequest) (Record, error) {
			if !r.keyed {
				return Record{}, problem.Invalid(problem.Field(idempotency.HeaderKey, "required"))
			}
			return s.Outcome(ctx, a, r.id, r.ref, r.body.(OutcomeInput))
		}), Decode: decoder[OutcomeInput](true, false, true)},
		{Pattern: RouteClose, Endpoint: action(func(ctx context.Context, a kit.Actor, r idRequest) (Record, error) {
			return s.Close(ctx, a, r.id, r.version)
		}), Decode: decoder[none](false, true, false)},
		{Pattern: RouteApprove, Endpoint: action(func(ctx context.Context, a kit.Actor, r idRequest) (Record, error) {
			return s.ApproveMinutes(ctx, a, r.id, r.version)
		}), Decode: decoder[none](false, true, false)},
		{Pattern: RouteMinutes, Endpoint: printable(false, false), Decode: decoder[none](false, false, false), Encode: encodePrinted},
		{Pattern: RouteMinutesPDF, Endpoint: printable(false, true), Decode: decoder[none](false, false, false), Encode: encodePrinted},
		{Pattern: RouteExtract, Endpoint: printable(true, false), Decode: decoder[none](true, false, false), Encode: encodePrinted},
		{Pattern: RouteExtractPDF, Endpoint: printable(true, true), Decode: decoder[none](true, false, false), Encode: encodePrinted},
		{Pattern: RouteCandidates, Endpoint: func(ctx context.Context, req any) (any, error) {
			a, err := kit.ActorFrom(ctx)
			if err != nil {
				return nil, err
			}
			return s.AgendaCandidates(ctx, a, req.(idRequest).purpose)
		}, Decode: decoder[none](false, false, false)},
	}
	return append(routes, s.Rules.KitRoutes()...)
}

type printed struct {
	doc  letter.Document
	pdf  bool
	name string
}

func encodePrinted(_ context.Context, w http.ResponseWriter, resp any) error {
	p := resp.(printed)
	var buf bytes.Buffer
	if p.pdf {
		if err := p.doc.PDF(&buf, letter.PDFOptions{}); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `inline; filename="`+p.name+`"`)
	} else {
		if err := p.doc.HTML(&buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Language", string(p.doc.Lang))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, err := w.Write(buf.Bytes())
	return err
}
