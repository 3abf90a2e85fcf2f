// Package session persists the committee's sessions (committee.Session, in `sessions`) and serves them: the
// secretary plans a session with its members, convenes it (clear days from the tenant's settings; later only
// urgent with a motivation), builds the agenda from validated proposals and pending ratifications of urgent
// decisions, opens it with the attendance, records arrivals, departures, conflicts of interest, votes and
// outcomes, closes it and prints the minutes and the decision extracts; the president signs the minutes off.
// Members see the sessions they are convened to, from the convocation until the minutes are approved, and cast
// their own votes. Each recorded outcome is handed over (Outcomes: the decisions; Proposals: the proposal's
// status) after the session's update, with the item's ref kept in pending_outcomes until that succeeded: the
// housekeeping and the closing retry it, so a crash between the two writes decides nothing twice and forgets
// nothing.
package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/committee"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/projection"
	"github.com/entraide/entraide/services/decisions/settings"
)

// Event source and types this package emits.
const (
	EventSource = "entraide-decisions"
	TypeClosed  = "be.cpas.decisions.session.closed.v1"
)

// ClosedPayload is the payload of TypeClosed (api/events/decisions/): counts only, no personal data.
type ClosedPayload struct {
	SessionID string     `json:"session_id"`
	Date      civil.Date `json:"date"`
	ClosedAt  time.Time  `json:"closed_at"`
	Items     int        `json:"items"`
	Approved  int        `json:"approved"`
	Amended   int        `json:"amended"`
	Rejected  int        `json:"rejected"`
	Postponed int        `json:"postponed"`
}

// Outcomes records what the committee decided (implemented by the decision package).
type Outcomes interface {
	// ItemDecided records the decision of an item (approved/amended → decision adopted; ratification
	// outcomes → the urgent decision ratified or refused). Idempotent by (sessionID, item.Ref).
	ItemDecided(ctx context.Context, tenant, sessionID string, sessionDate civil.Date, it committee.Item) error
	// UrgentDecided records the president's urgent decision as an adopted decision. Idempotent by u.ID.
	UrgentDecided(ctx context.Context, tenant string, u committee.UrgentState) error
}

// Proposals is what the agenda needs from the proposals (implemented by the proposal package).
type Proposals interface {
	// AgendaProposal returns a validated proposal not on another session's agenda, as the agenda needs it.
	AgendaProposal(ctx context.Context, tenant, proposalID string) (committee.Proposal, error)
	// Scheduled marks the proposal on sessionID's agenda ("" when removed from it). Idempotent.
	Scheduled(ctx context.Context, tenant, proposalID, sessionID string) error
	// CommitteeRejected marks the proposal rejected by the committee and sends the request back to inquiry.
	CommitteeRejected(ctx context.Context, tenant, proposalID, sessionID string) error
}

// ProposalCandidates lists the validated proposals not on an agenda yet (optional: the agenda page offers them
// when the proposals implement it).
type ProposalCandidates interface {
	AgendaCandidates(ctx context.Context, tenant string) ([]committee.Proposal, error)
}

// Ratifications is what the agenda needs from the urgent decisions (implemented by urgent.Service).
type Ratifications interface {
	// Awaiting lists the tenant's urgent decisions awaiting ratification, the oldest first.
	Awaiting(ctx context.Context, tenant string) ([]*committee.UrgentDecision, error)
	// Decision loads one urgent decision of tenant (kit.ErrNotFound when missing).
	Decision(ctx context.Context, tenant, id string) (*committee.UrgentDecision, error)
	// ApplySession records what a closed session did with the tenant's urgent decisions awaiting ratification.
	ApplySession(ctx context.Context, s *committee.Session) error
}

// Service is the sessions' use cases.
type Service struct {
	Repo      *Repository
	Rules     *RulesStore
	Settings  *settings.Store
	Proj      *projection.Repository
	Audit     *kit.Auditor
	Proposals Proposals
	// Details, when set, gives the legal basis and motivation of a proposal put on the agenda (the members read them).
	Details       ProposalDetails
	Outcomes      Outcomes
	Ratifications Ratifications
	Logger        *slog.Logger
	// Now is the clock (tests fix it); nil is time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// ruleError turns a refusal of the committee's rules into a 409 problem whose detail is the rule's message and
// whose "code" member names it; other errors pass unchanged.
func ruleError(err error) error {
	var re *committee.RuleError
	if errors.As(err, &re) {
		return (&problem.Error{Type: problem.Conflict, Detail: re.Code(), Cause: err}).With("code", re.Code())
	}
	return err
}

func viewer(a kit.Actor) committee.Viewer {
	return committee.Viewer{Tenant: a.Tenant, UserID: a.UserID, Roles: a.Roles}
}

func isSecretary(a kit.Actor) bool {
	return slices.Contains(a.Roles, committee.TokenCommitteeSecretary)
}

// PlanInput is what the secretary gives to plan a session.
type PlanInput struct {
	Date    civil.Date `json:"date"`
	Time    string     `json:"time"`
	Place   string     `json:"place"`
	Members []Member   `json:"members"`
}

// Member is a member chosen from the staff directory, with their display name (printed in the minutes).
type Member struct {
	UserID string         `json:"user_id"`
	Role   committee.Role `json:"role"`
	Name   string         `json:"name,omitempty"`
}

// Plan plans a session; a date in the past is refused.
func (s *Service) Plan(ctx context.Context, a kit.Actor, in PlanInput) (Record, error) {
	rules, err := s.Rules.Rules(ctx, a.Tenant)
	if err != nil {
		return Record{}, err
	}
	id := uuid.NewString()
	ms := make([]committee.Member, 0, len(in.Members))
	names := map[string]string{}
	var fs problem.Fields
	if !in.Date.IsZero() && in.Date.Before(civil.Of(s.now())) {
		fs.Add("date", "session.date_past")
	}
	for i, m := range in.Members {
		ms = append(ms, committee.Member{UserID: m.UserID, Role: m.Role})
		if m.UserID != "" && !kit.IsUUID(m.UserID) {
			fs.Add(fmt.Sprintf("members[%d].user_id", i), "invalid")
		}
		if n := strings.TrimSpace(m.Name); n != "" {
			if len(n) > 200 {
				fs.Add(fmt.Sprintf("members[%d].name", i), "invalid")
			}
			names[m.UserID] = n
		}
	}
	if len(in.Place) > 200 {
		fs.Add("place", "invalid")
	}
	sess, err := committee.Plan(committee.NewSession{ID: id, Tenant: a.Tenant, Date: in.Date, Time: in.Time, Place: in.Place,
		Members: ms, Rules: rules})
	if err != nil {
		fs = append(fs, problem.As(err).Fields...)
	}
	if err := fs.Err(); err != nil {
		return Record{}, err
	}
	d := Doc{Session: StoredState(sess.State()), Names: names, UpdatedAt: s.now()}
	if err := s.Repo.Insert(ctx, a.Tenant, id, d); err != nil {
		return Record{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "session.plan", ResourceType: "session", ResourceID: id})
	return s.Repo.Load(ctx, a.Tenant, id)
}

// load reads a session the actor may see: the secretary any of the tenant's, a member or the president those
// they are convened to, from the convocation until the minutes are approved. Anything else is kit.ErrNotFound,
// indistinguishable from a missing session, and audited as a refusal.
func (s *Service) load(ctx context.Context, a kit.Actor, id string) (Record, *committee.Session, error) {
	rec, err := s.Repo.Load(ctx, a.Tenant, id)
	if err != nil {
		return rec, nil, err
	}
	sess, err := committee.FromState(committee.State(rec.State.Session))
	if err != nil {
		return rec, nil, err
	}
	if !committee.CanSeeItems(viewer(a), sess) {
		s.Audit.Record(ctx, a, kit.Entry{Action: "session.read", ResourceType: "session", ResourceID: id, Outcome: audit.OutcomeDenied})
		return rec, nil, kit.ErrNotFound
	}
	return rec, sess, nil
}

// Get reads one session with its agenda, audited with the declared purpose.
func (s *Service) Get(ctx context.Context, a kit.Actor, id, purpose string) (Record, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return Record{}, err
	}
	rec, _, err := s.load(ctx, a, id)
	if err != nil {
		return rec, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "session.read", ResourceType: "session", ResourceID: id, Purpose: purpose})
	return rec, nil
}

// List lists the sessions the actor sees (committee.VisibleItems), the latest first, audited.
func (s *Service) List(ctx context.Context, a kit.Actor, mine bool, purpose string) ([]Record, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return nil, err
	}
	f, ok := committee.VisibleItems(viewer(a))
	if !ok {
		return nil, kit.ErrForbidden
	}
	q := Query{Statuses: f.Statuses, Limit: 200}
	if mine || !f.AllSessions {
		q.MemberID = a.UserID
		q.Statuses = committee.MemberWindow()
		if f.AllSessions {
			q.Statuses = f.Statuses
		}
	}
	recs, err := s.Repo.Find(ctx, a.Tenant, q)
	if err != nil {
		return nil, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "session.list", ResourceType: "session", Purpose: purpose})
	return recs, nil
}

// change applies fn to the session id of the actor's tenant read at version (0: any version, retried on a
// concurrent write) and saves it with fn's events; a refusal of the rules is a 409 problem.
func (s *Service) change(ctx context.Context, a kit.Actor, id string, version int64,
	fn func(*committee.Session, *Doc) ([]events.Event, error)) (Record, error) {
	denied := false
	rec, err := s.Repo.Update(ctx, a.Tenant, id, version, func(d *Doc) ([]events.Event, error) {
		sess, err := committee.FromState(committee.State(d.Session))
		if err != nil {
			return nil, err
		}
		if !committee.CanSeeItems(viewer(a), sess) {
			denied = true
			return nil, kit.ErrNotFound
		}
		evs, err := fn(sess, d)
		if err != nil {
			return nil, ruleError(err)
		}
		d.Session, d.UpdatedAt = StoredState(sess.State()), s.now()
		return evs, nil
	})
	if denied {
		s.Audit.Record(ctx, a, kit.Entry{Action: "session.change", ResourceType: "session", ResourceID: id, Outcome: audit.OutcomeDenied})
	}
	return rec, err
}

// Convene records the convocation sent now; a late one needs urgent and a motivation.
func (s *Service) Convene(ctx context.Context, a kit.Actor, id string, version int64, urgent bool, motivation string) (Record, error) {
	if len(motivation) > 2000 {
		return Record{}, problem.Invalid(problem.Field("motivation", "invalid"))
	}
	at := s.now()
	rec, err := s.change(ctx, a, id, version, func(sess *committee.Session, _ *Doc) ([]events.Event, error) {
		return nil, sess.Convene(at, urgent, motivation)
	})
	if err == nil {
		s.Audit.Record(ctx, a, kit.Entry{Action: "session.convene", ResourceType: "session", ResourceID: id})
	}
	return rec, err
}

// ItemInput names what goes on the agenda: a validated proposal or an urgent decision to ratify.
type ItemInput struct {
	Kind committee.ItemKind `json:"kind"`
	Ref  string             `json:"ref"`
}

// ErrNoProposals: the proposals are not wired into this service (yet).
var ErrNoProposals = errors.New("session: no proposals service")

// AddItem puts a validated proposal or a pending ratification on the agenda, until the session opens. The
// proposal is then marked scheduled on this session (retried by the housekeeping when that fails).
func (s *Service) AddItem(ctx context.Context, a kit.Actor, id string, version int64, in ItemInput) (Record, error) {
	if !kit.IsUUID(in.Ref) {
		return Record{}, problem.Invalid(problem.Field("ref", "invalid"))
	}
	var prop committee.Proposal
	var urg *committee.UrgentDecision
	switch in.Kind {
	case committee.ItemProposal:
		if s.Proposals == nil {
			return Record{}, &problem.Error{Type: problem.Conflict, Detail: "session.proposals_unavailable", Cause: ErrNoProposals}
		}
		p, err := s.Proposals.AgendaProposal(ctx, a.Tenant, in.Ref)
		if errors.Is(err, kit.ErrNotFound) {
			return Record{}, problem.Invalid(problem.Field("ref", "session.unknown_proposal"))
		} else if err != nil {
			return Record{}, ruleError(err)
		}
		prop = p
	case committee.ItemRatification:
		u, err := s.Ratifications.Decision(ctx, a.Tenant, in.Ref)
		if errors.Is(err, kit.ErrNotFound) {
			return Record{}, problem.Invalid(problem.Field("ref", "session.unknown_urgent"))
		} else if err != nil {
			return Record{}, err
		}
		urg = u
	default:
		return Record{}, problem.Invalid(problem.Field("kind", "invalid_choice"))
	}
	rec, err := s.change(ctx, a, id, version, func(sess *committee.Session, d *Doc) ([]events.Event, error) {
		if urg != nil {
			return nil, sess.AddRatification(urg)
		}
		if err := sess.AddProposal(prop); err != nil {
			return nil, err
		}
		// The proposal is marked on this agenda after the write, retried like an outcome until it is.
		d.PendingOutcomes = append(d.PendingOutcomes, prop.Ref)
		return nil, nil
	})
	if err != nil {
		return rec, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "session.agenda_add", ResourceType: "session", ResourceID: id})
	personID := prop.PersonRef
	if urg != nil {
		personID = urg.State().PersonRef
	}
	if err := s.keepDetails(ctx, a.Tenant, id, in.Ref, personID, urg); err != nil {
		return rec, err
	}
	if prop.Ref != "" {
		if rec, err = s.handOver(ctx, rec); err != nil {
			s.logger().WarnContext(ctx, "proposal not marked scheduled yet", "session_id", id, "error", err.Error())
		}
	}
	return rec, nil
}

// RemoveItem takes an item off the agenda before the opening; a proposal is freed for another session.
func (s *Service) RemoveItem(ctx context.Context, a kit.Actor, id string, version int64, ref string) (Record, error) {
	var kind committee.ItemKind
	rec, err := s.change(ctx, a, id, version, func(sess *committee.Session, d *Doc) ([]events.Event, error) {
		it, ok := sess.Item(ref)
		if !ok {
			return nil, committee.ErrNotOnAgenda
		}
		kind = it.Kind
		d.PendingOutcomes = slices.DeleteFunc(d.PendingOutcomes, func(r string) bool { return r == ref })
		return nil, sess.RemoveItem(ref)
	})
	if err != nil {
		return rec, err
	}
	if kind == committee.ItemProposal && s.Proposals != nil {
		if err := s.Proposals.Scheduled(ctx, a.Tenant, ref, ""); err != nil {
			s.logger().WarnContext(ctx, "proposal not freed", "session_id", id, "error", err.Error())
		}
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "session.agenda_remove", ResourceType: "session", ResourceID: id})
	return rec, nil
}

// Open records the opening now with every member's attendance.
func (s *Service) Open(ctx context.Context, a kit.Actor, id string, version int64, attendance map[string]committee.Attendance) (Record, error) {
	at := s.now()
	rec, err := s.change(ctx, a, id, version, func(sess *committee.Session, _ *Doc) ([]events.Event, error) {
		return nil, sess.Open(at, attendance)
	})
	if err == nil {
		s.Audit.Record(ctx, a, kit.Entry{Action: "session.open", ResourceType: "session", ResourceID: id})
	}
	return rec, err
}

// Move records a member arriving (arrived) or leaving now.
func (s *Service) Move(ctx context.Context, a kit.Actor, id, user string, arrived bool) (Record, error) {
	at := s.now()
	return s.change(ctx, a, id, 0, func(sess *committee.Session, _ *Doc) ([]events.Event, error) {
		if arrived {
			return nil, sess.Arrive(user, at)
		}
		return nil, sess.Leave(user, at)
	})
}

// Conflict records a member's conflict of interest on an item.
func (s *Service) Conflict(ctx context.Context, a kit.Actor, id, ref, user string) (Record, error) {
	return s.change(ctx, a, id, 0, func(sess *committee.Session, _ *Doc) ([]events.Event, error) {
		return nil, sess.DeclareConflict(ref, user)
	})
}

// StartVote opens the vote on an item (secret or show of hands); the quorum is checked.
func (s *Service) StartVote(ctx context.Context, a kit.Actor, id, ref string, mode committee.VoteMode) (Record, error) {
	at := s.now()
	return s.change(ctx, a, id, 0, func(sess *committee.Session, _ *Doc) ([]events.Event, error) {
		return nil, sess.StartVote(ref, mode, at)
	})
}

// BallotInput is a vote: a member's own, or one the secretary records in a show of hands (UserID set).
type BallotInput struct {
	UserID string           `json:"user_id,omitempty"`
	Choice committee.Choice `json:"choice"`
}

// Ballot records a vote on an item whose vote is open: a member votes for themself; the secretary records a
// member's vote in a show of hands only (a secret ballot is cast by each member).
func (s *Service) Ballot(ctx context.Context, a kit.Actor, id, ref string, in BallotInput) (Record, error) {
	voter := a.UserID
	if in.UserID != "" && in.UserID != a.UserID {
		if !isSecretary(a) {
			return Record{}, kit.ErrForbidden
		}
		voter = in.UserID
	}
	return s.change(ctx, a, id, 0, func(sess *committee.Session, _ *Doc) ([]events.Event, error) {
		if voter != a.UserID {
			it, ok := sess.Item(ref)
			if !ok {
				return nil, committee.ErrNotOnAgenda
			}
			if it.Vote != nil && it.Vote.Mode == committee.Secret {
				return nil, problem.Invalid(problem.Field("user_id", "session.secret_ballot_own_vote"))
			}
		}
		return nil, sess.CastVote(ref, voter, in.Choice)
	})
}

// CastingVote records the president's casting vote on a tie: the president's own, or recorded by the secretary.
func (s *Service) CastingVote(ctx context.Context, a kit.Actor, id, ref string, choice committee.Choice) (Record, error) {
	return s.change(ctx, a, id, 0, func(sess *committee.Session, _ *Doc) ([]events.Event, error) {
		user := a.UserID
		if isSecretary(a) {
			for _, m := range sess.Members() {
				if m.Role == committee.RolePresident {
					user = m.UserID
				}
			}
		}
		return nil, sess.CastingVote(ref, user, choice)
	})
}

// OutcomeInput is the outcome the secretary records for an item.
type OutcomeInput struct {
	Outcome                committee.Outcome `json:"outcome"`
	NewTerms               *committee.Terms  `json:"new_terms,omitempty"`
	AmendmentMotivationRef string            `json:"amendment_motivation_ref,omitempty"`
	Reason                 string            `json:"reason,omitempty"`
}

// Outcome records an item's outcome (approved / amended / rejected / postponed) under the committee's rules and
// hands it over: the session update also lists the ref in pending_outcomes, removed once the decision (and the
// proposal's status) are recorded.
func (s *Service) Outcome(ctx context.Context, a kit.Actor, id, ref string, in OutcomeInput) (Record, error) {
	if len(in.Reason) > 1000 || len(in.AmendmentMotivationRef) > 2000 {
		return Record{}, problem.Invalid(problem.Field("reason", "invalid"))
	}
	at := s.now()
	rec, err := s.change(ctx, a, id, 0, func(sess *committee.Session, d *Doc) ([]events.Event, error) {
		var err error
		switch in.Outcome {
		case committee.Approved:
			err = sess.Adopt(ref, at)
		case committee.Amended:
			var t committee.Terms
			if in.NewTerms != nil {
				t = *in.NewTerms
			}
			err = sess.Amend(ref, t, in.AmendmentMotivationRef, at)
		case committee.Rejected:
			err = sess.Reject(ref, at)
		case committee.Postponed:
			err = sess.Postpone(ref, in.Reason, at)
		default:
			err = problem.Invalid(problem.Field("outcome", "invalid_choice"))
		}
		if err != nil {
			return nil, err
		}
		d.PendingOutcomes = append(d.PendingOutcomes, ref)
		return nil, nil
	})
	if err != nil {
		return rec, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "session.outcome", ResourceType: "session", ResourceID: id})
	rec, err = s.handOver(ctx, rec)
	if err != nil {
		s.logger().WarnContext(ctx, "outcome not handed over yet", "session_id", id, "error", err.Error())
	}
	return rec, nil
}

// Close records the closing by the session's secretary: items left without outcome are postponed; the event
// session.closed goes out with the counts; the postponed items are handed over and the urgent decisions told.
func (s *Service) Close(ctx context.Context, a kit.Actor, id string, version int64) (Record, error) {
	at := s.now()
	rec, err := s.change(ctx, a, id, version, func(sess *committee.Session, d *Doc) ([]events.Event, error) {
		before := map[string]bool{}
		for _, it := range sess.Items() {
			before[it.Ref] = it.Outcome != ""
		}
		if err := sess.Close(a.UserID, at); err != nil {
			return nil, err
		}
		p := ClosedPayload{SessionID: id, Date: sess.Date(), ClosedAt: at}
		for _, it := range sess.Items() {
			p.Items++
			switch it.Outcome {
			case committee.Approved:
				p.Approved++
			case committee.Amended:
				p.Amended++
			case committee.Rejected:
				p.Rejected++
			case committee.Postponed:
				p.Postponed++
			}
			if !before[it.Ref] {
				d.PendingOutcomes = append(d.PendingOutcomes, it.Ref)
			}
		}
		rid := httpkit.RequestID(ctx)
		if rid == "" {
			rid = uuid.NewString()
		}
		ev, err := events.New(TypeClosed, EventSource, a.Tenant, id, rid, p)
		if err != nil {
			return nil, err
		}
		return []events.Event{ev}, nil
	})
	if err != nil {
		return rec, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "session.close", ResourceType: "session", ResourceID: id})
	rec, err = s.settle(ctx, rec)
	if err != nil {
		s.logger().WarnContext(ctx, "closed session not settled yet", "session_id", id, "error", err.Error())
	}
	return rec, nil
}

// ApproveMinutes records the president's sign-off of the minutes.
func (s *Service) ApproveMinutes(ctx context.Context, a kit.Actor, id string, version int64) (Record, error) {
	at := s.now()
	rec, err := s.change(ctx, a, id, version, func(sess *committee.Session, _ *Doc) ([]events.Event, error) {
		return nil, sess.ApproveMinutes(a.UserID, at)
	})
	if err == nil {
		s.Audit.Record(ctx, a, kit.Entry{Action: "session.approve_minutes", ResourceType: "session", ResourceID: id})
	}
	return rec, err
}

// settle hands over the pending outcomes of the session rec and, once it is closed, applies it to the urgent
// decisions awaiting ratification; it returns the session as it then is (rec when nothing could be done).
func (s *Service) settle(ctx context.Context, rec Record) (Record, error) {
	rec, err := s.handOver(ctx, rec)
	if err != nil {
		return rec, err
	}
	st := rec.State.Session.Status
	if rec.State.UrgentApplied || (st != committee.Closed && st != committee.MinutesApproved) || s.Ratifications == nil {
		return rec, nil
	}
	sess, err := committee.FromState(committee.State(rec.State.Session))
	if err != nil {
		return rec, err
	}
	if err := s.Ratifications.ApplySession(ctx, sess); err != nil {
		return rec, err
	}
	next, err := s.Repo.Update(ctx, rec.Tenant, rec.ID, 0, func(d *Doc) ([]events.Event, error) {
		d.UrgentApplied = true
		return nil, nil
	})
	if err != nil {
		return rec, err
	}
	return next, nil
}

// handOver records the decisions of the pending outcomes of the session rec, one at a time, and removes each
// ref from pending_outcomes once done (one update for all those done). Without the services it needs (not
// wired), the refs stay pending. It returns the session as it then is.
func (s *Service) handOver(ctx context.Context, rec Record) (Record, error) {
	var errs []error
	var done []string
	for _, ref := range rec.State.PendingOutcomes {
		it, ok := itemOf(rec.State.Session, ref)
		if !ok {
			errs = append(errs, fmt.Errorf("pending ref not on the agenda"))
			continue
		}
		if err := s.handOne(ctx, rec.Tenant, rec.ID, rec.State.Session.Date, it); err != nil {
			errs = append(errs, err)
			continue
		}
		done = append(done, ref)
	}
	if len(done) > 0 {
		next, err := s.Repo.Update(ctx, rec.Tenant, rec.ID, 0, func(d *Doc) ([]events.Event, error) {
			d.PendingOutcomes = slices.DeleteFunc(d.PendingOutcomes, func(r string) bool { return slices.Contains(done, r) })
			return nil, nil
		})
		if err != nil {
			errs = append(errs, err)
		} else {
			rec = next
		}
	}
	return rec, errors.Join(errs...)
}

// ErrNotWired: a pending outcome waits for a service not wired into this process.
var ErrNotWired = errors.New("session: outcome consumer not wired")

func (s *Service) handOne(ctx context.Context, tenant, id string, date civil.Date, it committee.Item) error {
	switch it.Outcome {
	case committee.Approved, committee.Amended, committee.Rejected:
		if s.Outcomes == nil {
			return ErrNotWired
		}
		if err := s.Outcomes.ItemDecided(ctx, tenant, id, date, it); err != nil {
			return err
		}
		if it.Kind == committee.ItemProposal && it.Outcome == committee.Rejected {
			if s.Proposals == nil {
				return ErrNotWired
			}
			return s.Proposals.CommitteeRejected(ctx, tenant, it.Ref, id)
		}
	case committee.Postponed:
		if it.Kind == committee.ItemProposal {
			if s.Proposals == nil {
				return ErrNotWired
			}
			return s.Proposals.Scheduled(ctx, tenant, it.Ref, "")
		}
	case "":
		// Put on the agenda: the proposal is marked scheduled on this session.
		if it.Kind == committee.ItemProposal {
			if s.Proposals == nil {
				return ErrNotWired
			}
			return s.Proposals.Scheduled(ctx, tenant, it.Ref, id)
		}
	}
	return nil
}

func itemOf(st StoredState, ref string) (committee.Item, bool) {
	for _, it := range st.Items {
		if it.Ref == ref {
			return it, true
		}
	}
	return committee.Item{}, false
}

// Housekeep retries what a crash or an unavailable service left pending: outcomes not handed over, closed
// sessions not applied to the urgent decisions (every minute, see run.go).
func (s *Service) Housekeep(ctx context.Context) {
	recs, err := s.Repo.WithPending(ctx, 100)
	if err != nil {
		if ctx.Err() == nil {
			s.logger().WarnContext(ctx, "pending sessions not read", "error", err.Error())
		}
		return
	}
	for _, r := range recs {
		if _, err := s.settle(ctx, r); err != nil && !errors.Is(err, ErrNotWired) && ctx.Err() == nil {
			s.logger().WarnContext(ctx, "session not settled", "session_id", r.ID, "error", err.Error())
		}
	}
}

// Candidates are what the secretary may put on an agenda: the validated proposals not on an agenda (when the
// proposals service lists them) and the urgent decisions awaiting ratification.
type Candidates struct {
	Proposals     []CandidateProposal     `json:"proposals"`
	Ratifications []committee.UrgentState `json:"ratifications"`
	// ProposalsListed is false when the proposals cannot be listed here (type a proposal's id instead).
	ProposalsListed bool `json:"proposals_listed"`
}

// CandidateProposal is a validated proposal not on an agenda yet.
type CandidateProposal struct {
	Ref         string          `json:"ref"`
	PersonRef   string          `json:"person_ref"`
	FileRef     string          `json:"file_ref"`
	Kind        string          `json:"kind"`
	Terms       committee.Terms `json:"terms"`
	ValidatedBy string          `json:"validated_by"`
	ValidatedAt time.Time       `json:"validated_at"`
}

// AgendaCandidates lists the candidates for an agenda, audited.
func (s *Service) AgendaCandidates(ctx context.Context, a kit.Actor, purpose string) (Candidates, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return Candidates{}, err
	}
	out := Candidates{Proposals: []CandidateProposal{}, Ratifications: []committee.UrgentState{}}
	if pc, ok := s.Proposals.(ProposalCandidates); ok {
		ps, err := pc.AgendaCandidates(ctx, a.Tenant)
		if err != nil {
			return out, err
		}
		for _, p := range ps {
			out.Proposals = append(out.Proposals, CandidateProposal{Ref: p.Ref, PersonRef: p.PersonRef, FileRef: p.FileRef,
				Kind: string(p.Kind), Terms: p.Terms, ValidatedBy: p.ValidatedBy, ValidatedAt: p.ValidatedAt})
		}
		out.ProposalsListed = true
	}
	if s.Ratifications != nil {
		us, err := s.Ratifications.Awaiting(ctx, a.Tenant)
		if err != nil {
			return out, err
		}
		for _, u := range us {
			out.Ratifications = append(out.Ratifications, u.State())
		}
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "session.candidates", ResourceType: "session", Purpose: purpose})
	return out, nil
}

func init() {
	for code, texts := range map[string]map[string]string{
		"session.date_past": {"fr": "La date de la séance est passée.", "nl": "De datum van de zitting is voorbij.",
			"de": "Das Sitzungsdatum liegt in der Vergangenheit.", "en": "The session date is in the past."},
		"session.proposals_unavailable": {"fr": "Les propositions ne sont pas encore disponibles dans ce service.",
			"nl": "De voorstellen zijn nog niet beschikbaar in deze dienst.", "de": "Die Vorschläge sind in diesem Dienst noch nicht verfügbar.",
			"en": "Proposals are not available in this service yet."},
		"session.unknown_proposal": {"fr": "Aucune proposition validée avec cette référence.", "nl": "Geen gevalideerd voorstel met deze referentie.",
			"de": "Kein validierter Vorschlag mit dieser Referenz.", "en": "No validated proposal with this reference."},
		"session.unknown_urgent": {"fr": "Aucune décision urgente avec cette référence.", "nl": "Geen dringende beslissing met deze referentie.",
			"de": "Keine dringende Entscheidung mit dieser Referenz.", "en": "No urgent decision with this reference."},
		"session.secret_ballot_own_vote": {"fr": "Au scrutin secret, chaque membre vote lui-même.", "nl": "Bij geheime stemming stemt elk lid zelf.",
			"de": "Bei geheimer Abstimmung stimmt jedes Mitglied selbst ab.", "en": "In a secret ballot each member votes themself."},
		"session.idempotency_key_required": {"fr": "En-tête Idempotency-Key requis.", "nl": "Header Idempotency-Key vereist.",
			"de": "Header Idempotency-Key erforderlich.", "en": "Idempotency-Key header required."},
	} {
		problem.RegisterMessages(code, texts)
	}
}
