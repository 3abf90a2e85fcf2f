package committee

import (
	"slices"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/decisions/legalclock"
)

// Tally is the counted result of a vote: counts only, never names (the minutes of a show of hands add the ballots
// separately, a secret ballot never has any).
type Tally struct {
	Mode        VoteMode `json:"mode"`
	For         int      `json:"for"`
	Against     int      `json:"against"`
	Abstain     int      `json:"abstain"`
	CastingVote Choice   `json:"casting_vote,omitempty"`
	// Conflicts counts the members who did not vote for a conflict of interest.
	Conflicts int    `json:"conflicts"`
	Quorum    Quorum `json:"quorum"`
}

// MinutesItem is an item as the minutes (procès-verbal) record it.
type MinutesItem struct {
	Number                 int             `json:"number"`
	Kind                   ItemKind        `json:"kind"`
	Ref                    string          `json:"ref"`
	PersonRef              string          `json:"person_ref"`
	FileRef                string          `json:"file_ref"`
	Aid                    legalclock.Kind `json:"aid"`
	Outcome                Outcome         `json:"outcome"`
	ProposedTerms          Terms           `json:"proposed_terms"`
	Terms                  Terms           `json:"terms"` // decided: the new terms when amended
	AmendmentMotivationRef string          `json:"amendment_motivation_ref,omitempty"`
	PostponeReason         string          `json:"postpone_reason,omitempty"`
	PostponedAtClose       bool            `json:"postponed_at_close,omitempty"`
	Tally                  *Tally          `json:"tally,omitempty"` // nil when postponed without a vote
	// Ballots names who voted what in a show of hands; always empty for a secret ballot.
	Ballots []Ballot `json:"ballots,omitempty"`
	// Conflicts names the members who declared a conflict of interest and were absent for the item.
	Conflicts []string  `json:"conflicts,omitempty"`
	DecidedAt time.Time `json:"decided_at"`
}

// Minutes is the procès-verbal of a closed session, as the secretary issues it and the president signs it off.
type Minutes struct {
	SessionID   string             `json:"session_id"`
	Tenant      string             `json:"tenant"`
	Date        civil.Date         `json:"date"`
	Time        string             `json:"time"`
	Place       string             `json:"place"`
	President   string             `json:"president"`
	Secretary   string             `json:"secretary"`
	Convocation Convocation        `json:"convocation"`
	Attendance  []AttendanceRecord `json:"attendance"`
	Movements   []Movement         `json:"movements,omitempty"`
	OpenedAt    time.Time          `json:"opened_at"`
	ClosedAt    time.Time          `json:"closed_at"`
	Items       []MinutesItem      `json:"items"`
	// SignOff is the president's approval, nil until given.
	SignOff *SignOff `json:"sign_off,omitempty"`
}

// Extract is the decision extract of one item for the person concerned: everything the decision letter needs,
// and counts only for the vote whatever its mode.
type Extract struct {
	Tenant                 string          `json:"tenant"`
	SessionID              string          `json:"session_id"`
	SessionDate            civil.Date      `json:"session_date"`
	Number                 int             `json:"number"`
	Kind                   ItemKind        `json:"kind"`
	Ref                    string          `json:"ref"`
	PersonRef              string          `json:"person_ref"`
	FileRef                string          `json:"file_ref"`
	Aid                    legalclock.Kind `json:"aid"`
	Outcome                Outcome         `json:"outcome"`
	Terms                  Terms           `json:"terms"`
	ProposedTerms          Terms           `json:"proposed_terms"`
	MotivationRef          string          `json:"motivation_ref"`
	AmendmentMotivationRef string          `json:"amendment_motivation_ref,omitempty"`
	Tally                  Tally           `json:"tally"`
	// UrgentDecidedAt is when the president decided alone, for a ratification.
	UrgentDecidedAt time.Time `json:"urgent_decided_at,omitzero"`
	DecidedAt       time.Time `json:"decided_at"`
	President       string    `json:"president"`
	Secretary       string    `json:"secretary"`
	SignOff         *SignOff  `json:"sign_off,omitempty"`
}

func (s *Session) secretary() string {
	for _, m := range s.st.Members {
		if m.Role == RoleSecretary {
			return m.UserID
		}
	}
	return ""
}

// Minutes builds the minutes of a closed session (ErrNotClosed before).
func (s *Session) Minutes() (Minutes, error) {
	if s.st.Status != Closed && s.st.Status != MinutesApproved {
		return Minutes{}, ErrNotClosed
	}
	m := Minutes{SessionID: s.st.ID, Tenant: s.st.Tenant, Date: s.st.Date, Time: s.st.Time, Place: s.st.Place,
		President: s.president(), Secretary: s.secretary(), Convocation: *s.st.Convocation,
		Attendance: slices.Clone(s.st.Attendance), Movements: slices.Clone(s.st.Movements),
		OpenedAt: s.st.OpenedAt, ClosedAt: s.st.ClosedAt, Items: make([]MinutesItem, 0, len(s.st.Items))}
	if s.st.SignOff != nil {
		so := *s.st.SignOff
		m.SignOff = &so
	}
	for i := range s.st.Items {
		it := &s.st.Items[i]
		mi := MinutesItem{Number: it.Number, Kind: it.Kind, Ref: it.Ref, PersonRef: it.PersonRef, FileRef: it.FileRef,
			Aid: it.Aid, Outcome: it.Outcome, ProposedTerms: it.Terms, Terms: it.FinalTerms(),
			AmendmentMotivationRef: it.AmendmentMotivationRef, PostponeReason: it.PostponeReason,
			PostponedAtClose: it.PostponedAtClose, Conflicts: slices.Clone(it.Conflicts), DecidedAt: it.DecidedAt}
		if it.Vote != nil {
			t := tally(it)
			mi.Tally = &t
			if it.Vote.Mode == ShowOfHands {
				mi.Ballots = slices.Clone(it.Vote.Ballots)
			}
		}
		m.Items = append(m.Items, mi)
	}
	return m, nil
}

func tally(it *Item) Tally {
	t := Tally{Mode: it.Vote.Mode, For: it.Vote.For, Against: it.Vote.Against, Abstain: it.Vote.Abstain,
		CastingVote: it.Vote.CastingVote, Conflicts: len(it.Conflicts)}
	if it.QuorumAtDecision != nil {
		t.Quorum = *it.QuorumAtDecision
	}
	return t
}

// Extracts builds one decision extract per item decided by a vote (approved, amended, rejected) of a closed
// session, in agenda order; postponed items have none (ErrNotClosed before the closing).
func (s *Session) Extracts() ([]Extract, error) {
	if s.st.Status != Closed && s.st.Status != MinutesApproved {
		return nil, ErrNotClosed
	}
	president, secretary := s.president(), s.secretary()
	var signOff *SignOff
	if s.st.SignOff != nil {
		so := *s.st.SignOff
		signOff = &so
	}
	out := make([]Extract, 0, len(s.st.Items))
	for i := range s.st.Items {
		it := &s.st.Items[i]
		if it.Outcome == Postponed || it.Vote == nil {
			continue
		}
		out = append(out, Extract{Tenant: s.st.Tenant, SessionID: s.st.ID, SessionDate: s.st.Date, Number: it.Number,
			Kind: it.Kind, Ref: it.Ref, PersonRef: it.PersonRef, FileRef: it.FileRef, Aid: it.Aid, Outcome: it.Outcome,
			Terms: it.FinalTerms(), ProposedTerms: it.Terms, MotivationRef: it.Terms.MotivationRef,
			AmendmentMotivationRef: it.AmendmentMotivationRef, Tally: tally(it), UrgentDecidedAt: it.UrgentDecidedAt,
			DecidedAt: it.DecidedAt, President: president, Secretary: secretary, SignOff: signOff})
	}
	return out, nil
}
