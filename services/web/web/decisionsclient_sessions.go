package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// The committee's sessions and the president's urgent decisions (decisions service, packages session and
// urgent). Every read of a session declares the purpose decision_preparation: a session's items are social
// files' data.

// committeePurpose is the purpose of every read of the committee pages.
const committeePurpose = "decision_preparation"

// SessionMember is a member of a session with their role and display name.
type SessionMember struct {
	UserID string `json:"user_id"`
	Role   string `json:"role"`
	Name   string `json:"name,omitempty"`
}

// SessionTerms are an item's proposed or decided terms.
type SessionTerms struct {
	Category      int    `json:"category,omitempty"`
	MonthlyAmount int64  `json:"monthly_amount_cents"`
	Start         string `json:"start"`
	End           string `json:"end,omitempty"`
	Review        string `json:"review,omitempty"`
	PIIS          bool   `json:"piis"`
	MotivationRef string `json:"motivation_ref"`
}

// SessionBallot is a member's vote in a show of hands.
type SessionBallot struct {
	UserID string `json:"user_id"`
	Choice string `json:"choice"`
}

// SessionVote is the vote on an item: counts, who voted, and who voted what in a show of hands only.
type SessionVote struct {
	Mode        string          `json:"mode"`
	Voters      []string        `json:"voters"`
	Ballots     []SessionBallot `json:"ballots"`
	For         int             `json:"for"`
	Against     int             `json:"against"`
	Abstain     int             `json:"abstain"`
	CastingVote string          `json:"casting_vote"`
}

// Quorum is the count behind a quorum check.
type Quorum struct {
	Voting   int  `json:"voting"`
	Present  int  `json:"present"`
	Required int  `json:"required"`
	Reached  bool `json:"reached"`
}

// SessionItem is an agenda item.
type SessionItem struct {
	Number           int           `json:"number"`
	Kind             string        `json:"kind"`
	Ref              string        `json:"ref"`
	PersonRef        string        `json:"person_ref"`
	FileRef          string        `json:"file_ref"`
	Aid              string        `json:"aid"`
	Terms            SessionTerms  `json:"terms"`
	Conflicts        []string      `json:"conflicts"`
	Vote             *SessionVote  `json:"vote"`
	Outcome          string        `json:"outcome"`
	NewTerms         *SessionTerms `json:"new_terms"`
	AmendmentReason  string        `json:"amendment_motivation_ref"`
	PostponeReason   string        `json:"postpone_reason"`
	PostponedAtClose bool          `json:"postponed_at_close"`
	QuorumAtDecision *Quorum       `json:"quorum_at_decision"`
}

// SessionAttendance is a member's attendance.
type SessionAttendance struct {
	UserID    string `json:"user_id"`
	AtOpening string `json:"at_opening"`
	Present   bool   `json:"present"`
}

// SessionConvocation is the convocation once sent.
type SessionConvocation struct {
	SentOn     string `json:"sent_on"`
	Latest     string `json:"latest"`
	Urgent     bool   `json:"urgent"`
	Motivation string `json:"motivation"`
}

// CommitteeSession is a session of the committee.
type CommitteeSession struct {
	ID                string                 `json:"id"`
	Version           int64                  `json:"version"`
	Date              string                 `json:"date"`
	Time              string                 `json:"time"`
	Place             string                 `json:"place"`
	Status            string                 `json:"status"`
	Members           []SessionMember        `json:"members"`
	Convocation       *SessionConvocation    `json:"convocation"`
	ConvocationLatest string                 `json:"convocation_latest"`
	Items             []SessionItem          `json:"items"`
	Attendance        []SessionAttendance    `json:"attendance"`
	Quorum            Quorum                 `json:"quorum"`
	OpenedAt          time.Time              `json:"opened_at"`
	ClosedAt          time.Time              `json:"closed_at"`
	PendingOutcomes   []string               `json:"pending_outcomes"`
	FileNumbers       map[string]string      `json:"file_numbers"`
	Details           map[string]ItemDetails `json:"details"`
	SignOff           *struct {
		By string    `json:"by"`
		At time.Time `json:"at"`
	} `json:"sign_off"`
}

// ItemDetails is what the members read of an item besides its terms.
type ItemDetails struct {
	PersonName string `json:"person_name"`
	LegalBasis string `json:"legal_basis"`
	Motivation string `json:"motivation"`
}

// SessionSummary is a session in a list.
type SessionSummary struct {
	ID     string `json:"id"`
	Date   string `json:"date"`
	Time   string `json:"time"`
	Place  string `json:"place"`
	Status string `json:"status"`
	Items  int    `json:"items"`
	Role   string `json:"role"`
}

// SessionPlan is what the secretary gives to plan a session.
type SessionPlan struct {
	Date    string          `json:"date"`
	Time    string          `json:"time"`
	Place   string          `json:"place"`
	Members []SessionMember `json:"members"`
}

// AgendaProposal is a validated proposal that may go on an agenda.
type AgendaProposal struct {
	Ref       string       `json:"ref"`
	PersonRef string       `json:"person_ref"`
	FileRef   string       `json:"file_ref"`
	Kind      string       `json:"kind"`
	Terms     SessionTerms `json:"terms"`
}

// UrgentDecision is an urgent decision of the president.
type UrgentDecision struct {
	ID             string       `json:"id"`
	President      string       `json:"president"`
	PersonRef      string       `json:"person_ref"`
	FileRef        string       `json:"file_ref"`
	Kind           string       `json:"kind"`
	Terms          SessionTerms `json:"terms"`
	Motivation     string       `json:"motivation"`
	DecidedAt      time.Time    `json:"decided_at"`
	Ratification   string       `json:"ratification"`
	RatifiedIn     string       `json:"ratified_in"`
	MissedSessions []string     `json:"missed_sessions"`
	RequestID      string       `json:"request_id"`
	NotRatified    bool         `json:"not_ratified"`
}

// AgendaCandidates are what the secretary may put on an agenda.
type AgendaCandidates struct {
	Proposals       []AgendaProposal `json:"proposals"`
	Ratifications   []UrgentDecision `json:"ratifications"`
	ProposalsListed bool             `json:"proposals_listed"`
}

// UrgentInput is the president's urgent decision as typed.
type UrgentInput struct {
	RequestNumber string `json:"request_number"`
	Category      int    `json:"category,omitempty"`
	MonthlyAmount int64  `json:"monthly_amount_cents"`
	Start         string `json:"start,omitempty"`
	End           string `json:"end,omitempty"`
	Review        string `json:"review,omitempty"`
	PIIS          bool   `json:"piis"`
	Motivation    string `json:"motivation"`
}

// SessionOutcome is an item's outcome as recorded.
type SessionOutcome struct {
	Outcome         string        `json:"outcome"`
	NewTerms        *SessionTerms `json:"new_terms,omitempty"`
	AmendmentReason string        `json:"amendment_motivation_ref,omitempty"`
	Reason          string        `json:"reason,omitempty"`
}

func sessionPath(id string) string { return "/v1/sessions/" + url.PathEscape(id) }

func sessionItemPath(id, ref string) string { return sessionPath(id) + "/items/" + url.PathEscape(ref) }

// Sessions lists the sessions the caller sees (mine: those they are convened to).
func (c *DecisionsClient) Sessions(ctx context.Context, cl call, mine bool) ([]SessionSummary, error) {
	var out struct {
		Items []SessionSummary `json:"items"`
	}
	p := "/v1/sessions"
	if mine {
		p = "/v1/me/sessions"
	}
	_, err := c.do(ctx, cl.withPurpose(committeePurpose), http.MethodGet, p, nil, &out)
	return out.Items, err
}

// Session reads one session.
func (c *DecisionsClient) Session(ctx context.Context, cl call, id string) (CommitteeSession, error) {
	var out CommitteeSession
	_, err := c.do(ctx, cl.withPurpose(committeePurpose), http.MethodGet, sessionPath(id), nil, &out)
	return out, err
}

// PlanSession plans a session.
func (c *DecisionsClient) PlanSession(ctx context.Context, cl call, key string, in SessionPlan) (CommitteeSession, error) {
	var out CommitteeSession
	_, err := c.do(ctx, cl.withIdempotencyKey(key), http.MethodPost, "/v1/sessions", in, &out)
	return out, err
}

// SessionStep posts a step of the session (path relative to the session, "/convocation", "/items/…/vote"…);
// version (If-Match) when not 0, key (Idempotency-Key) when not empty.
func (c *DecisionsClient) SessionStep(ctx context.Context, cl call, id, path string, version int64, key string, in any) (CommitteeSession, error) {
	if version > 0 {
		cl = cl.withVersion(version)
	}
	if key != "" {
		cl = cl.withIdempotencyKey(key)
	}
	method := http.MethodPost
	if in == nil {
		in = map[string]any{}
	}
	var out CommitteeSession
	_, err := c.do(ctx, cl, method, sessionPath(id)+path, in, &out)
	return out, err
}

// RemoveSessionItem takes an item off the agenda.
func (c *DecisionsClient) RemoveSessionItem(ctx context.Context, cl call, id, ref string, version int64) (CommitteeSession, error) {
	var out CommitteeSession
	_, err := c.do(ctx, cl.withVersion(version), http.MethodDelete, sessionItemPath(id, ref), nil, &out)
	return out, err
}

// AgendaCandidates lists the validated proposals and urgent decisions that may go on an agenda.
func (c *DecisionsClient) AgendaCandidates(ctx context.Context, cl call) (AgendaCandidates, error) {
	var out AgendaCandidates
	_, err := c.do(ctx, cl.withPurpose(committeePurpose), http.MethodGet, "/v1/agenda-candidates", nil, &out)
	return out, err
}

// UrgentDecisions lists the urgent decisions (awaiting: only those awaiting ratification).
func (c *DecisionsClient) UrgentDecisions(ctx context.Context, cl call, awaiting bool) ([]UrgentDecision, error) {
	var out struct {
		Items []UrgentDecision `json:"items"`
	}
	p := "/v1/urgent-decisions"
	if awaiting {
		p += "?status=awaiting"
	}
	_, err := c.do(ctx, cl.withPurpose(committeePurpose), http.MethodGet, p, nil, &out)
	return out.Items, err
}

// DecideUrgently records the president's urgent decision.
func (c *DecisionsClient) DecideUrgently(ctx context.Context, cl call, key string, in UrgentInput) (UrgentDecision, error) {
	var out UrgentDecision
	_, err := c.do(ctx, cl.withIdempotencyKey(key), http.MethodPost, "/v1/urgent-decisions", in, &out)
	return out, err
}

// SessionDocument reads the minutes (ref "") or an item's extract, HTML or PDF; the caller closes the body.
func (c *DecisionsClient) SessionDocument(ctx context.Context, cl call, id, ref string, pdf bool) (*http.Response, error) {
	p := sessionPath(id) + "/minutes"
	if ref != "" {
		p = sessionItemPath(id, ref) + "/extract"
	}
	if pdf {
		p += ".pdf"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+p, nil)
	if err != nil {
		return nil, err
	}
	cl.withPurpose(committeePurpose).apply(req)
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: session document: %v", ErrDecisionsUnavailable, errWithoutURL(err))
	}
	if res.StatusCode >= 400 {
		defer res.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if res.StatusCode >= 500 {
			return nil, fmt.Errorf("%w: session document answered %d", ErrDecisionsUnavailable, res.StatusCode)
		}
		return nil, decodeProblem(res, raw)
	}
	return res, nil
}

// CommitteeRules are the tenant's rules of order for the committee's votes, with the settings' clear days.
type CommitteeRules struct {
	Quorum               string `json:"quorum"`
	QuorumFixed          int    `json:"quorum_fixed"`
	Majority             string `json:"majority"`
	Tie                  string `json:"tie"`
	ConvocationClearDays int    `json:"convocation_clear_days,omitempty"`
	Version              int64  `json:"version,omitempty"`
}

// CommitteeRules reads the tenant's committee rules.
func (c *DecisionsClient) CommitteeRules(ctx context.Context, cl call) (CommitteeRules, error) {
	var out CommitteeRules
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/committee-rules", nil, &out)
	return out, err
}

// PutCommitteeRules replaces the tenant's committee rules read at version.
func (c *DecisionsClient) PutCommitteeRules(ctx context.Context, cl call, version int64, in CommitteeRules) (CommitteeRules, error) {
	body := map[string]any{"quorum": in.Quorum, "quorum_fixed": in.QuorumFixed, "majority": in.Majority, "tie": in.Tie}
	var out CommitteeRules
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPut, "/v1/committee-rules", body, &out)
	return out, err
}
