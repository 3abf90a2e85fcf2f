package committee

import "slices"

// The token roles (services/identity) this path knows.
const (
	TokenCommitteeMember    = "committee_member"
	TokenPresident          = "president"
	TokenCommitteeSecretary = "committee_secretary"
)

// Viewer is who asks to read a session's agenda items.
type Viewer struct {
	Tenant string
	UserID string
	Roles  []string // the token's roles
}

// ItemsFilter is the visibility rule as the repository applies it to its query: the tenant's sessions, all of
// them (AllSessions) or those with MemberID among the members, in one of Statuses.
type ItemsFilter struct {
	Tenant      string
	AllSessions bool
	MemberID    string
	Statuses    []Status
}

// MemberWindow is when a member or the president sees a session's items: from the convocation until the minutes
// are approved.
func MemberWindow() []Status { return []Status{Convened, Opened, Closed} }

// VisibleItems is the visibility rule: the committee secretary sees the agenda items of every session of the
// tenant; a committee member or the president sees the items of the sessions they are convened to, from the
// convocation until the minutes are approved; nobody else sees any item through this path (false).
func VisibleItems(v Viewer) (ItemsFilter, bool) {
	if v.Tenant == "" || v.UserID == "" {
		return ItemsFilter{}, false
	}
	if slices.Contains(v.Roles, TokenCommitteeSecretary) {
		return ItemsFilter{Tenant: v.Tenant, AllSessions: true,
			Statuses: []Status{Planned, Convened, Opened, Closed, MinutesApproved}}, true
	}
	if slices.Contains(v.Roles, TokenCommitteeMember) || slices.Contains(v.Roles, TokenPresident) {
		return ItemsFilter{Tenant: v.Tenant, MemberID: v.UserID, Statuses: MemberWindow()}, true
	}
	return ItemsFilter{}, false
}

// Matches reports whether the filter lets s through.
func (f ItemsFilter) Matches(s *Session) bool {
	if s.st.Tenant != f.Tenant || !slices.Contains(f.Statuses, s.st.Status) {
		return false
	}
	if f.AllSessions {
		return true
	}
	_, ok := s.members[f.MemberID]
	return ok
}

// CanSeeItems reports whether v may read the agenda items of s (VisibleItems applied to one session).
func CanSeeItems(v Viewer, s *Session) bool {
	f, ok := VisibleItems(v)
	return ok && f.Matches(s)
}
