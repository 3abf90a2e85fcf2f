package committee

import (
	"strings"
	"time"

	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/legalclock"
)

// Ratification is where an urgent decision stands with the committee.
type Ratification string

// The ratification states.
const (
	// AwaitingRatification: not yet ratified nor refused (NeedsRatification).
	AwaitingRatification Ratification = "awaiting"
	Ratified             Ratification = "ratified"
	// RatificationRefused: the committee rejected it; the service ends the aid from then on.
	RatificationRefused Ratification = "refused"
)

// UrgentState is an urgent decision as the repository stores it; build an UrgentDecision from it with
// UrgentFromState.
type UrgentState struct {
	ID        string          `json:"id"`
	Tenant    string          `json:"tenant"`
	President string          `json:"president"`
	PersonRef string          `json:"person_ref"`
	FileRef   string          `json:"file_ref"`
	Kind      legalclock.Kind `json:"kind"`
	Terms     Terms           `json:"terms"`
	// Motivation says why the need could not wait for the committee.
	Motivation   string       `json:"motivation"`
	DecidedAt    time.Time    `json:"decided_at"`
	Ratification Ratification `json:"ratification"`
	// RatifiedIn is the session that ratified or refused it.
	RatifiedIn string `json:"ratified_in,omitempty"`
	// MissedSessions lists the sessions held after it that closed without ratifying or refusing it.
	MissedSessions []string `json:"missed_sessions,omitempty"`
}

// UrgentDecision is the president's decision to grant aid alone in urgent necessity (art. 28 LO, domain.md §1,
// verify): it takes effect at once, with its motivation, and must be ratified at the committee's next session.
type UrgentDecision struct{ st UrgentState }

// NewUrgentDecision is what the president gives. That the user is the tenant's president is the service's check
// (the token's role); the domain checks the content.
type NewUrgentDecision struct {
	ID         string
	Tenant     string
	President  string
	PersonRef  string
	FileRef    string
	Kind       legalclock.Kind
	Terms      Terms
	Motivation string
	DecidedAt  time.Time
}

// DecideUrgently validates in and returns the urgent decision, in force at once and awaiting ratification.
func DecideUrgently(in NewUrgentDecision) (*UrgentDecision, error) {
	st := UrgentState{ID: in.ID, Tenant: in.Tenant, President: in.President, PersonRef: in.PersonRef,
		FileRef: in.FileRef, Kind: in.Kind, Terms: in.Terms, Motivation: strings.TrimSpace(in.Motivation),
		DecidedAt: in.DecidedAt, Ratification: AwaitingRatification}
	if err := st.validate(); err != nil {
		return nil, err
	}
	return &UrgentDecision{st: st}, nil
}

// UrgentFromState rebuilds an urgent decision the repository loaded.
func UrgentFromState(st UrgentState) (*UrgentDecision, error) {
	if err := st.validate(); err != nil {
		return nil, err
	}
	switch st.Ratification {
	case AwaitingRatification, Ratified, RatificationRefused:
	default:
		return nil, problem.Invalid(problem.Field("ratification", "invalid_choice"))
	}
	st.MissedSessions = append([]string(nil), st.MissedSessions...)
	return &UrgentDecision{st: st}, nil
}

func (st UrgentState) validate() error {
	var fs problem.Fields
	for _, f := range []struct{ name, v string }{{"id", st.ID}, {"tenant", st.Tenant}, {"president", st.President},
		{"person_ref", st.PersonRef}, {"file_ref", st.FileRef}, {"motivation", st.Motivation}} {
		if strings.TrimSpace(f.v) == "" {
			fs.Add(f.name, "required")
		}
	}
	if !st.Kind.Valid() {
		fs.Add("kind", "invalid_choice")
	}
	st.Terms.validate(st.Kind, "terms.", &fs)
	if st.DecidedAt.IsZero() {
		fs.Add("decided_at", "required")
	}
	return fs.Err()
}

// State returns a copy for the repository.
func (u *UrgentDecision) State() UrgentState {
	st := u.st
	st.MissedSessions = append([]string(nil), st.MissedSessions...)
	return st
}

// ID is the urgent decision's id (the ref of its ratification item).
func (u *UrgentDecision) ID() string { return u.st.ID }

// Ratification is where it stands with the committee.
func (u *UrgentDecision) Ratification() Ratification { return u.st.Ratification }

// NeedsRatification reports whether the committee has yet to ratify or refuse it: it must be on the next
// session's agenda.
func (u *UrgentDecision) NeedsRatification() bool { return u.st.Ratification == AwaitingRatification }

// NotRatified is the board's flag: a session held after the decision closed without ratifying or refusing it
// (it was not on the agenda, or was postponed), and it still awaits ratification.
func (u *UrgentDecision) NotRatified() bool {
	return u.NeedsRatification() && len(u.st.MissedSessions) > 0
}

// ApplySession records what a closed session of the same tenant, opened after the decision, did with it:
// ratified (approved or amended), refused (rejected), or nothing (not on the agenda or postponed: the flag
// NotRatified is raised). A session opened before the decision, of another tenant, or not closed yet changes
// nothing; applying the same session twice changes nothing either.
func (u *UrgentDecision) ApplySession(s *Session) {
	if !u.NeedsRatification() || s.Tenant() != u.st.Tenant || !s.st.OpenedAt.After(u.st.DecidedAt) {
		return
	}
	if st := s.Status(); st != Closed && st != MinutesApproved {
		return
	}
	it, ok := s.Item(u.st.ID)
	switch {
	case ok && it.Kind == ItemRatification && (it.Outcome == Approved || it.Outcome == Amended):
		u.st.Ratification, u.st.RatifiedIn = Ratified, s.ID()
	case ok && it.Kind == ItemRatification && it.Outcome == Rejected:
		u.st.Ratification, u.st.RatifiedIn = RatificationRefused, s.ID()
	default:
		for _, id := range u.st.MissedSessions {
			if id == s.ID() {
				return
			}
		}
		u.st.MissedSessions = append(u.st.MissedSessions, s.ID())
	}
}
