package committee

import (
	"slices"
	"strings"
	"time"

	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/legalclock"
)

// ItemKind says why an item is on the agenda.
type ItemKind string

// The kinds of items.
const (
	// ItemProposal is a proposal of the social service, validated by its head, for the committee to decide.
	ItemProposal ItemKind = "proposal"
	// ItemRatification is an urgent decision of the president for the committee to ratify.
	ItemRatification ItemKind = "ratification"
)

// Choice is a ballot.
type Choice string

// The ballots.
const (
	For     Choice = "for"
	Against Choice = "against"
	Abstain Choice = "abstain"
)

func (c Choice) valid() bool { return c == For || c == Against || c == Abstain }

// VoteMode is how the committee votes on an item.
type VoteMode string

// The vote modes. In a secret ballot the session records who took part (so nobody votes twice) and the counts,
// never who voted what.
const (
	Secret      VoteMode = "secret"
	ShowOfHands VoteMode = "show_of_hands"
)

// Outcome is what the committee decided on an item.
type Outcome string

// The outcomes. For a ratification item, Approved and Amended ratify the urgent decision and Rejected refuses it.
const (
	Approved  Outcome = "approved"
	Rejected  Outcome = "rejected"
	Amended   Outcome = "amended"   // approved with new terms and the motivation of the change
	Postponed Outcome = "postponed" // goes back to be put on a later session
)

// Ballot is one member's vote in a show of hands.
type Ballot struct {
	UserID string `json:"user_id"`
	Choice Choice `json:"choice"`
}

// Vote is the vote on an item.
type Vote struct {
	Mode     VoteMode  `json:"mode"`
	OpenedAt time.Time `json:"opened_at"`
	// Voters lists who voted, so nobody votes twice (both modes).
	Voters []string `json:"voters"`
	// Ballots lists who voted what, in a show of hands only; always empty in a secret ballot.
	Ballots []Ballot `json:"ballots,omitempty"`
	For     int      `json:"for"`
	Against int      `json:"against"`
	Abstain int      `json:"abstain"`
	// CastingVote is the president's casting vote on a tie, when the rules give one.
	CastingVote Choice `json:"casting_vote,omitempty"`
}

func (v *Vote) cast() int { return v.For + v.Against + v.Abstain }

// Item is an agenda item: a proposal or an urgent decision to ratify, its vote and its outcome.
type Item struct {
	Number    int             `json:"number"`
	Kind      ItemKind        `json:"kind"`
	Ref       string          `json:"ref"` // the proposal's or the urgent decision's id
	PersonRef string          `json:"person_ref"`
	FileRef   string          `json:"file_ref"`
	Aid       legalclock.Kind `json:"aid"`
	Terms     Terms           `json:"terms"`
	// ValidatedBy is the head of the social service who validated the proposal (the president for a ratification).
	ValidatedBy string `json:"validated_by"`
	// UrgentDecidedAt is when the president took the urgent decision (ratification items).
	UrgentDecidedAt time.Time `json:"urgent_decided_at,omitzero"`
	// Conflicts lists the members who declared a conflict of interest: they do not vote and count as absent.
	Conflicts []string `json:"conflicts,omitempty"`
	Vote      *Vote    `json:"vote,omitempty"`
	Outcome   Outcome  `json:"outcome,omitempty"`
	// NewTerms and AmendmentMotivationRef are the amended terms and why (Amended only).
	NewTerms               *Terms `json:"new_terms,omitempty"`
	AmendmentMotivationRef string `json:"amendment_motivation_ref,omitempty"`
	// PostponeReason says why an item was postponed; PostponedAtClose marks the items the closing postponed.
	PostponeReason   string    `json:"postpone_reason,omitempty"`
	PostponedAtClose bool      `json:"postponed_at_close,omitempty"`
	DecidedAt        time.Time `json:"decided_at,omitzero"`
	// QuorumAtDecision is the quorum count when the outcome was recorded (votes only).
	QuorumAtDecision *Quorum `json:"quorum_at_decision,omitempty"`
}

func (it Item) clone() Item {
	it.Conflicts = slices.Clone(it.Conflicts)
	if it.Vote != nil {
		v := *it.Vote
		v.Voters, v.Ballots = slices.Clone(v.Voters), slices.Clone(v.Ballots)
		it.Vote = &v
	}
	if it.NewTerms != nil {
		t := *it.NewTerms
		it.NewTerms = &t
	}
	if it.QuorumAtDecision != nil {
		q := *it.QuorumAtDecision
		it.QuorumAtDecision = &q
	}
	return it
}

// FinalTerms are the terms decided: the new terms when amended, else the proposed ones.
func (it Item) FinalTerms() Terms {
	if it.NewTerms != nil {
		return *it.NewTerms
	}
	return it.Terms
}

// Proposal is a proposal of the social service as the agenda needs it.
type Proposal struct {
	Ref       string
	PersonRef string
	FileRef   string
	Kind      legalclock.Kind
	Terms     Terms
	// ValidatedBy is the head of the social service who validated it; empty when not validated.
	ValidatedBy string
	ValidatedAt time.Time
}

// AddProposal puts a validated proposal on the agenda, until the session opens. A proposal not validated is
// refused (ErrNotValidated), bad terms are a problem.Validation.
func (s *Session) AddProposal(p Proposal) error {
	if err := s.require(Planned, Convened); err != nil {
		return wrap(ErrAgendaClosed, "session is %s", s.st.Status)
	}
	if strings.TrimSpace(p.ValidatedBy) == "" || p.ValidatedAt.IsZero() {
		return ErrNotValidated
	}
	var fs problem.Fields
	if strings.TrimSpace(p.Ref) == "" {
		fs.Add("ref", "required")
	}
	if strings.TrimSpace(p.PersonRef) == "" {
		fs.Add("person_ref", "required")
	}
	if strings.TrimSpace(p.FileRef) == "" {
		fs.Add("file_ref", "required")
	}
	if !p.Kind.Valid() {
		fs.Add("kind", "invalid_choice")
	}
	p.Terms.validate(p.Kind, "terms.", &fs)
	if err := fs.Err(); err != nil {
		return err
	}
	return s.addItem(Item{Kind: ItemProposal, Ref: p.Ref, PersonRef: p.PersonRef, FileRef: p.FileRef, Aid: p.Kind,
		Terms: p.Terms, ValidatedBy: p.ValidatedBy})
}

// AddRatification puts an urgent decision of the president on the agenda for ratification, until the session
// opens. One already ratified or refused is refused (ErrNoRatificationNeeded).
func (s *Session) AddRatification(u *UrgentDecision) error {
	if u.st.Tenant != s.st.Tenant {
		return ErrOtherTenant
	}
	if !u.NeedsRatification() {
		return ErrNoRatificationNeeded
	}
	return s.addItem(Item{Kind: ItemRatification, Ref: u.st.ID, PersonRef: u.st.PersonRef, FileRef: u.st.FileRef,
		Aid: u.st.Kind, Terms: u.st.Terms, ValidatedBy: u.st.President, UrgentDecidedAt: u.st.DecidedAt})
}

// openItem returns an item of the opened session that has no outcome yet.
func (s *Session) openItem(ref string) (*Item, error) {
	if err := s.require(Opened); err != nil {
		return nil, err
	}
	it, err := s.item(ref)
	if err != nil {
		return nil, err
	}
	if it.Outcome != "" {
		return nil, wrap(ErrItemDecided, "item %d is %s", it.Number, it.Outcome)
	}
	return it, nil
}

// voter checks that user is a voting member present without a conflict of interest on it.
func (s *Session) voter(it *Item, user string) error {
	role, ok := s.members[user]
	if !ok {
		return wrap(ErrNotMember, "user %s", user)
	}
	if !role.Votes() {
		return ErrNotVoting
	}
	if slices.Contains(it.Conflicts, user) {
		return wrap(ErrConflictOfInterest, "item %d", it.Number)
	}
	a, err := s.attendance(user)
	if err != nil {
		return err
	}
	if !a.Present {
		return ErrNotPresent
	}
	return nil
}

// StartVote opens the vote on an item in mode; the quorum for the item is checked (ErrNoQuorum).
func (s *Session) StartVote(ref string, mode VoteMode, at time.Time) error {
	it, err := s.openItem(ref)
	if err != nil {
		return err
	}
	if mode != Secret && mode != ShowOfHands {
		return problem.Invalid(problem.Field("mode", "invalid_choice"))
	}
	if it.Vote != nil {
		return ErrVoteStarted
	}
	if q := s.quorum(it); !q.Reached {
		return wrap(ErrNoQuorum, "%d present of %d required", q.Present, q.Required)
	}
	it.Vote = &Vote{Mode: mode, OpenedAt: at}
	return nil
}

// DeclareConflict records that a voting member has a conflict of interest on an item: they do not vote on it and
// count as absent for it. It is declared before they vote (ErrAlreadyVoted after).
func (s *Session) DeclareConflict(ref, user string) error {
	it, err := s.openItem(ref)
	if err != nil {
		return err
	}
	role, ok := s.members[user]
	if !ok {
		return wrap(ErrNotMember, "user %s", user)
	}
	if !role.Votes() {
		return ErrNotVoting
	}
	if slices.Contains(it.Conflicts, user) {
		return nil
	}
	if it.Vote != nil && slices.Contains(it.Vote.Voters, user) {
		return ErrAlreadyVoted
	}
	it.Conflicts = append(it.Conflicts, user)
	return nil
}

// CastVote records user's ballot on an item whose vote is open: a voting member, present, without a conflict of
// interest, once.
func (s *Session) CastVote(ref, user string, choice Choice) error {
	it, err := s.openItem(ref)
	if err != nil {
		return err
	}
	if !choice.valid() {
		return problem.Invalid(problem.Field("choice", "invalid_choice"))
	}
	if it.Vote == nil {
		return ErrVoteNotStarted
	}
	if err := s.voter(it, user); err != nil {
		return err
	}
	if slices.Contains(it.Vote.Voters, user) {
		return ErrAlreadyVoted
	}
	v := it.Vote
	v.Voters = append(v.Voters, user)
	switch choice {
	case For:
		v.For++
	case Against:
		v.Against++
	default:
		v.Abstain++
	}
	if v.Mode == ShowOfHands {
		v.Ballots = append(v.Ballots, Ballot{UserID: user, Choice: choice})
	}
	return nil
}

// verdict is what a vote gives under the rules.
type verdict int

const (
	notApproved verdict = iota
	approved
	tieUndecided // a tie the president's casting vote must decide
)

// verdict applies the majority and tie rules to the vote on it, with q the quorum count now.
func (s *Session) verdict(it *Item, q Quorum) verdict {
	v := it.Vote
	var more, tie bool
	switch s.st.Rules.Majority {
	case MajorityOfMembersPresent:
		more, tie = 2*v.For > q.Present, v.For > 0 && 2*v.For == q.Present
	default:
		more, tie = v.For > v.Against, v.For > 0 && v.For == v.Against
	}
	switch {
	case more:
		return approved
	case !tie || s.st.Rules.Tie != TiePresidentDecides:
		return notApproved
	case v.CastingVote == For:
		return approved
	case v.CastingVote == Against:
		return notApproved
	case s.presidentCanVote(it):
		return tieUndecided
	default:
		return notApproved // the president is away or has a conflict: the tie rejects
	}
}

func (s *Session) president() string {
	for _, m := range s.st.Members {
		if m.Role == RolePresident {
			return m.UserID
		}
	}
	return ""
}

func (s *Session) presidentCanVote(it *Item) bool { return s.voter(it, s.president()) == nil }

// CastingVote records the president's casting vote (For or Against) on a tied vote, when the rules of order give
// one (TiePresidentDecides); otherwise ErrNoCastingVote.
func (s *Session) CastingVote(ref, user string, choice Choice) error {
	it, err := s.openItem(ref)
	if err != nil {
		return err
	}
	if it.Vote == nil {
		return ErrVoteNotStarted
	}
	if s.members[user] != RolePresident {
		return ErrNotPresident
	}
	if choice != For && choice != Against {
		return problem.Invalid(problem.Field("choice", "invalid_choice"))
	}
	if err := s.voter(it, user); err != nil {
		return err
	}
	if it.Vote.CastingVote != "" || s.verdict(it, s.quorum(it)) != tieUndecided {
		return ErrNoCastingVote
	}
	it.Vote.CastingVote = choice
	return nil
}

// decided checks quorum and vote before an outcome that needs them.
func (s *Session) voted(it *Item) (Quorum, verdict, error) {
	if it.Vote == nil {
		return Quorum{}, notApproved, ErrVoteNotStarted
	}
	q := s.quorum(it)
	if !q.Reached {
		return q, notApproved, wrap(ErrNoQuorum, "%d present of %d required", q.Present, q.Required)
	}
	vd := s.verdict(it, q)
	if vd == tieUndecided {
		return q, vd, wrap(ErrTie, "%d for, %d against", it.Vote.For, it.Vote.Against)
	}
	return q, vd, nil
}

// Adopt records that the committee approved the item as proposed. It is refused without quorum (ErrNoQuorum),
// without a vote (ErrVoteNotStarted), without the majority (ErrNoMajority) or on a tie awaiting the president's
// casting vote (ErrTie).
func (s *Session) Adopt(ref string, at time.Time) error {
	it, err := s.openItem(ref)
	if err != nil {
		return err
	}
	q, vd, err := s.voted(it)
	if err != nil {
		return err
	}
	if vd != approved {
		return wrap(ErrNoMajority, "%d for, %d against, %d abstentions", it.Vote.For, it.Vote.Against, it.Vote.Abstain)
	}
	s.decide(it, Approved, q, at)
	return nil
}

// Amend records that the committee approved the item with new terms, for the reason at motivationRef; the same
// vote rules as Adopt apply, and the new terms are checked like a proposal's (a problem.Validation).
func (s *Session) Amend(ref string, terms Terms, motivationRef string, at time.Time) error {
	it, err := s.openItem(ref)
	if err != nil {
		return err
	}
	var fs problem.Fields
	if terms == (Terms{}) || terms == it.Terms {
		fs.Add("new_terms", "committee.new_terms_required")
	} else {
		terms.validate(it.Aid, "new_terms.", &fs)
	}
	if strings.TrimSpace(motivationRef) == "" {
		fs.Add("amendment_motivation_ref", "committee.amendment_motivation_required")
	}
	if err := fs.Err(); err != nil {
		return err
	}
	q, vd, err := s.voted(it)
	if err != nil {
		return err
	}
	if vd != approved {
		return wrap(ErrNoMajority, "%d for, %d against, %d abstentions", it.Vote.For, it.Vote.Against, it.Vote.Abstain)
	}
	it.NewTerms, it.AmendmentMotivationRef = &terms, motivationRef
	s.decide(it, Amended, q, at)
	return nil
}

// Reject records that the vote did not approve the item. It needs the quorum and a vote like Adopt, and is
// refused when the vote approved it (ErrMajorityReached).
func (s *Session) Reject(ref string, at time.Time) error {
	it, err := s.openItem(ref)
	if err != nil {
		return err
	}
	q, vd, err := s.voted(it)
	if err != nil {
		return err
	}
	if vd == approved {
		return wrap(ErrMajorityReached, "%d for, %d against, %d abstentions", it.Vote.For, it.Vote.Against, it.Vote.Abstain)
	}
	s.decide(it, Rejected, q, at)
	return nil
}

// Postpone sends the item back, to be put on a later session. It needs neither quorum nor vote (a committee
// without quorum can only postpone). A vote with ballots cast while the quorum is still there must end with an
// outcome (ErrVoteInProgress); when the quorum was lost during it, the vote is void and the item is postponed.
func (s *Session) Postpone(ref, reason string, at time.Time) error {
	it, err := s.openItem(ref)
	if err != nil {
		return err
	}
	if s.voteInProgress(it) {
		return wrap(ErrVoteInProgress, "item %d", it.Number)
	}
	it.Vote, it.PostponeReason, it.Outcome, it.DecidedAt = nil, strings.TrimSpace(reason), Postponed, at
	return nil
}

func (s *Session) decide(it *Item, o Outcome, q Quorum, at time.Time) {
	it.Outcome, it.DecidedAt, it.QuorumAtDecision = o, at, &q
}

// voteInProgress reports whether it has ballots, no outcome and the quorum to reach one.
func (s *Session) voteInProgress(it *Item) bool {
	return it.Outcome == "" && it.Vote != nil && it.Vote.cast() > 0 && s.quorum(it).Reached
}
