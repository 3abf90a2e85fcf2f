package committee

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/legalclock"
)

// Status is where a session stands. The lifecycle is planned → convened → opened → closed → minutes approved,
// nothing else.
type Status string

// The statuses of a session.
const (
	Planned         Status = "planned"
	Convened        Status = "convened"
	Opened          Status = "opened"
	Closed          Status = "closed"
	MinutesApproved Status = "minutes_approved"
)

// Member is a user convened to a session, with their role in it.
type Member struct {
	UserID string `json:"user_id"`
	Role   Role   `json:"role"`
}

// Attendance is a member's attendance as recorded at the opening.
type Attendance string

// The attendance at the opening.
const (
	Present Attendance = "present"
	Excused Attendance = "excused"
	Absent  Attendance = "absent"
)

// AttendanceRecord is a member's attendance: at the opening, and now (after late arrivals and departures).
type AttendanceRecord struct {
	UserID    string     `json:"user_id"`
	AtOpening Attendance `json:"at_opening"`
	Present   bool       `json:"present"`
}

// Movement is a member arriving late or leaving during the session.
type Movement struct {
	UserID  string    `json:"user_id"`
	Arrived bool      `json:"arrived"` // false: left
	At      time.Time `json:"at"`
}

// Convocation records when the members were convened and whether it was late for urgency.
type Convocation struct {
	SentAt time.Time  `json:"sent_at"`
	SentOn civil.Date `json:"sent_on"` // SentAt's day in Brussels
	// Latest is the last day that left the clear days the rules ask (legalclock.Rules.ConvocationLatest).
	Latest     civil.Date `json:"latest"`
	Urgent     bool       `json:"urgent"`
	Motivation string     `json:"motivation,omitempty"` // why it is urgent, when late
}

// SignOff records the president's approval of the minutes.
type SignOff struct {
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// State is a session as the repository stores it: every field exported for the codec. Build a Session from it
// with FromState, which checks it; change it only through the Session's methods.
type State struct {
	ID          string             `json:"id"`
	Tenant      string             `json:"tenant"`
	Date        civil.Date         `json:"date"`
	Time        string             `json:"time"` // HH:MM, Brussels
	Place       string             `json:"place"`
	Rules       Rules              `json:"rules"`
	Members     []Member           `json:"members"`
	Status      Status             `json:"status"`
	Convocation *Convocation       `json:"convocation,omitempty"`
	Items       []Item             `json:"items"`
	Attendance  []AttendanceRecord `json:"attendance,omitempty"`
	Movements   []Movement         `json:"movements,omitempty"`
	OpenedAt    time.Time          `json:"opened_at,omitzero"`
	ClosedAt    time.Time          `json:"closed_at,omitzero"`
	ClosedBy    string             `json:"closed_by,omitempty"`
	SignOff     *SignOff           `json:"sign_off,omitempty"`
}

// Session is a sitting of the committee. Its zero value is not usable: build it with NewSession or FromState.
type Session struct {
	st      State
	members map[string]Role
	items   map[string]int // item ref → index in st.Items
}

// NewSession is what the secretary gives to plan a session.
type NewSession struct {
	ID      string
	Tenant  string
	Date    civil.Date
	Time    string // HH:MM
	Place   string
	Members []Member
	Rules   Rules
}

// Plan validates in and returns a planned session. Bad input is a problem.Validation, one field error per fault:
// ids, date, time, place, the members (known roles, no duplicates, exactly one president and one secretary, at
// least one voting member besides) and the rules.
func Plan(in NewSession) (*Session, error) {
	st := State{ID: in.ID, Tenant: in.Tenant, Date: in.Date, Time: in.Time, Place: strings.TrimSpace(in.Place),
		Rules: in.Rules, Members: slices.Clone(in.Members), Status: Planned}
	if err := st.validate(); err != nil {
		return nil, err
	}
	return newSession(st), nil
}

// FromState rebuilds a session the repository loaded, checking what Plan checks.
func FromState(st State) (*Session, error) {
	if err := st.validate(); err != nil {
		return nil, err
	}
	switch st.Status {
	case Planned, Convened, Opened, Closed, MinutesApproved:
	default:
		return nil, problem.Invalid(problem.Field("status", "invalid_choice"))
	}
	return newSession(cloneState(st)), nil
}

func newSession(st State) *Session {
	s := &Session{st: st, members: make(map[string]Role, len(st.Members)), items: make(map[string]int, len(st.Items))}
	for _, m := range st.Members {
		s.members[m.UserID] = m.Role
	}
	for i, it := range st.Items {
		s.items[it.Ref] = i
	}
	return s
}

func (st State) validate() error {
	var fs problem.Fields
	if strings.TrimSpace(st.ID) == "" {
		fs.Add("id", "required")
	}
	if strings.TrimSpace(st.Tenant) == "" {
		fs.Add("tenant", "required")
	}
	if st.Date.IsZero() {
		fs.Add("date", "required")
	}
	if !validTime(st.Time) {
		fs.Add("time", "committee.time_invalid")
	}
	if strings.TrimSpace(st.Place) == "" {
		fs.Add("place", "required")
	}
	seen := map[string]bool{}
	var presidents, secretaries, voting int
	for i, m := range st.Members {
		f := fmt.Sprintf("members[%d].", i)
		switch {
		case strings.TrimSpace(m.UserID) == "":
			fs.Add(f+"user_id", "required")
		case seen[m.UserID]:
			fs.Add(f+"user_id", "duplicate")
		}
		seen[m.UserID] = true
		if !m.Role.valid() {
			fs.Add(f+"role", "committee.role_invalid")
		}
		switch m.Role {
		case RolePresident:
			presidents++
		case RoleSecretary:
			secretaries++
		}
		if m.Role.Votes() {
			voting++
		}
	}
	if presidents != 1 {
		fs.Add("members", "committee.one_president")
	}
	if secretaries != 1 {
		fs.Add("members", "committee.one_secretary")
	}
	if err := st.Rules.Validate(); err != nil {
		for _, f := range problem.As(err).Fields {
			fs = append(fs, problem.FieldError{Field: "rules." + f.Field, Code: f.Code, Params: f.Params})
		}
	}
	return fs.Err()
}

func validTime(s string) bool {
	if len(s) != 5 || s[2] != ':' {
		return false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	h, m := int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	return h < 24 && m < 60
}

func cloneState(st State) State {
	st.Members = slices.Clone(st.Members)
	st.Attendance = slices.Clone(st.Attendance)
	st.Movements = slices.Clone(st.Movements)
	if st.Convocation != nil {
		c := *st.Convocation
		st.Convocation = &c
	}
	if st.SignOff != nil {
		so := *st.SignOff
		st.SignOff = &so
	}
	items := make([]Item, len(st.Items))
	for i, it := range st.Items {
		items[i] = it.clone()
	}
	st.Items = items
	return st
}

// State returns a copy of the session for the repository.
func (s *Session) State() State { return cloneState(s.st) }

// ID is the session's id.
func (s *Session) ID() string { return s.st.ID }

// Tenant is the CPAS the session belongs to.
func (s *Session) Tenant() string { return s.st.Tenant }

// Date is the session's day.
func (s *Session) Date() civil.Date { return s.st.Date }

// Status is where the session stands.
func (s *Session) Status() Status { return s.st.Status }

// Members returns the members convened.
func (s *Session) Members() []Member { return slices.Clone(s.st.Members) }

// RoleOf returns a user's role in the session.
func (s *Session) RoleOf(user string) (Role, bool) {
	r, ok := s.members[user]
	return r, ok
}

// Items returns the agenda in order.
func (s *Session) Items() []Item {
	out := make([]Item, len(s.st.Items))
	for i, it := range s.st.Items {
		out[i] = it.clone()
	}
	return out
}

// Item returns the agenda item ref (a proposal's or an urgent decision's id).
func (s *Session) Item(ref string) (Item, bool) {
	i, ok := s.items[ref]
	if !ok {
		return Item{}, false
	}
	return s.st.Items[i].clone(), true
}

// Convocation returns the convocation once sent.
func (s *Session) Convocation() (Convocation, bool) {
	if s.st.Convocation == nil {
		return Convocation{}, false
	}
	return *s.st.Convocation, true
}

// Attendance returns each member's attendance (after the opening).
func (s *Session) Attendance() []AttendanceRecord { return slices.Clone(s.st.Attendance) }

// SignOff returns the president's sign-off of the minutes once given.
func (s *Session) SignOff() (SignOff, bool) {
	if s.st.SignOff == nil {
		return SignOff{}, false
	}
	return *s.st.SignOff, true
}

func (s *Session) require(want ...Status) error {
	if slices.Contains(want, s.st.Status) {
		return nil
	}
	return wrap(ErrTransition, "session is %s", s.st.Status)
}

// ConvocationLatest is the last day to send the convocation with the clear days of the rules.
func (s *Session) ConvocationLatest() (legalclock.Deadline, error) {
	return s.st.Rules.Clock.ConvocationLatest(s.st.Date)
}

// Convene records the convocation sent at at (planned → convened). A convocation later than ConvocationLatest
// is refused (ErrConvocationLate) unless urgent with a motivation; one sent on or after the session day is always
// refused (ErrConvocationAfterSession).
func (s *Session) Convene(at time.Time, urgent bool, motivation string) error {
	if err := s.require(Planned); err != nil {
		return err
	}
	if at.IsZero() {
		return problem.Invalid(problem.Field("sent_at", "required"))
	}
	latest, err := s.ConvocationLatest()
	if err != nil {
		return err
	}
	on := civil.Of(at)
	if !on.Before(s.st.Date) {
		return wrap(ErrConvocationAfterSession, "sent %s, session %s", on, s.st.Date)
	}
	motivation = strings.TrimSpace(motivation)
	late := on.After(latest.Due)
	if late && !urgent {
		return wrap(ErrConvocationLate, "sent %s, latest %s", on, latest.Due)
	}
	if late && motivation == "" {
		return problem.Invalid(problem.Field("motivation", "committee.urgent_motivation_required"))
	}
	s.st.Convocation = &Convocation{SentAt: at, SentOn: on, Latest: latest.Due, Urgent: urgent && late, Motivation: motivation}
	if !late {
		s.st.Convocation.Motivation = ""
	}
	s.st.Status = Convened
	return nil
}

func (s *Session) addItem(it Item) error {
	if err := s.require(Planned, Convened); err != nil {
		return wrap(ErrAgendaClosed, "session is %s", s.st.Status)
	}
	if _, ok := s.items[it.Ref]; ok {
		return ErrAlreadyOnAgenda
	}
	it.Number = len(s.st.Items) + 1
	s.items[it.Ref] = len(s.st.Items)
	s.st.Items = append(s.st.Items, it)
	return nil
}

// RemoveItem takes an item off the agenda before the session opens; the items after it move up.
func (s *Session) RemoveItem(ref string) error {
	if err := s.require(Planned, Convened); err != nil {
		return wrap(ErrAgendaClosed, "session is %s", s.st.Status)
	}
	i, ok := s.items[ref]
	if !ok {
		return ErrNotOnAgenda
	}
	s.st.Items = slices.Delete(s.st.Items, i, i+1)
	clear(s.items)
	for j := range s.st.Items {
		s.st.Items[j].Number = j + 1
		s.items[s.st.Items[j].Ref] = j
	}
	return nil
}

// Open records the opening at at with the attendance of every member (convened → opened).
func (s *Session) Open(at time.Time, attendance map[string]Attendance) error {
	if err := s.require(Convened); err != nil {
		return err
	}
	var fs problem.Fields
	if at.IsZero() {
		fs.Add("opened_at", "required")
	} else if civil.Of(at).Before(s.st.Date) {
		return wrap(ErrOpenedBeforeDay, "session of %s", s.st.Date)
	}
	for user := range attendance {
		if _, ok := s.members[user]; !ok {
			return wrap(ErrNotMember, "user %s", user)
		}
	}
	records := make([]AttendanceRecord, 0, len(s.st.Members))
	for i, m := range s.st.Members {
		a := attendance[m.UserID]
		switch a {
		case Present, Excused, Absent:
		default:
			fs.Add(fmt.Sprintf("attendance[%d]", i), "committee.attendance_missing", "user_id", m.UserID)
		}
		records = append(records, AttendanceRecord{UserID: m.UserID, AtOpening: a, Present: a == Present})
	}
	if err := fs.Err(); err != nil {
		return err
	}
	s.st.Attendance, s.st.OpenedAt, s.st.Status = records, at, Opened
	return nil
}

func (s *Session) attendance(user string) (*AttendanceRecord, error) {
	if _, ok := s.members[user]; !ok {
		return nil, wrap(ErrNotMember, "user %s", user)
	}
	for i := range s.st.Attendance {
		if s.st.Attendance[i].UserID == user {
			return &s.st.Attendance[i], nil
		}
	}
	return nil, wrap(ErrNotMember, "user %s", user)
}

// Arrive records a member arriving after the opening.
func (s *Session) Arrive(user string, at time.Time) error {
	if err := s.require(Opened); err != nil {
		return err
	}
	a, err := s.attendance(user)
	if err != nil {
		return err
	}
	if a.Present {
		return ErrAlreadyPresent
	}
	a.Present = true
	s.st.Movements = append(s.st.Movements, Movement{UserID: user, Arrived: true, At: at})
	return nil
}

// Leave records a member leaving before the closing. Their ballots already cast stay; the quorum is checked again
// at the next vote and decision.
func (s *Session) Leave(user string, at time.Time) error {
	if err := s.require(Opened); err != nil {
		return err
	}
	a, err := s.attendance(user)
	if err != nil {
		return err
	}
	if !a.Present {
		return ErrNotPresent
	}
	a.Present = false
	s.st.Movements = append(s.st.Movements, Movement{UserID: user, Arrived: false, At: at})
	return nil
}

// Quorum is the count behind a quorum check.
type Quorum struct {
	// Voting is the number of voting members of the session (president and members).
	Voting int `json:"voting"`
	// Present is the number of voting members present, less those with a conflict of interest on the item.
	Present int `json:"present"`
	// Required is the number of them the rule asks for.
	Required int  `json:"required"`
	Reached  bool `json:"reached"`
}

func (s *Session) voting() int {
	n := 0
	for _, m := range s.st.Members {
		if m.Role.Votes() {
			n++
		}
	}
	return n
}

// QuorumNow is the session's quorum now (no conflict of interest counted).
func (s *Session) QuorumNow() Quorum { return s.quorum(nil) }

// QuorumFor is the quorum for the item ref now: members with a conflict of interest on it count as absent.
func (s *Session) QuorumFor(ref string) (Quorum, error) {
	it, err := s.item(ref)
	if err != nil {
		return Quorum{}, err
	}
	return s.quorum(it), nil
}

func (s *Session) quorum(it *Item) Quorum {
	q := Quorum{Voting: s.voting()}
	q.Required = s.st.Rules.required(q.Voting)
	for _, a := range s.st.Attendance {
		if a.Present && s.members[a.UserID].Votes() && (it == nil || !slices.Contains(it.Conflicts, a.UserID)) {
			q.Present++
		}
	}
	q.Reached = q.Present >= q.Required
	return q
}

func (s *Session) item(ref string) (*Item, error) {
	i, ok := s.items[ref]
	if !ok {
		return nil, ErrNotOnAgenda
	}
	return &s.st.Items[i], nil
}

// Close records the closing by the secretary (opened → closed). An item whose vote has ballots but no outcome
// refuses the closing while the quorum is there (ErrVoteInProgress: the committee gives it an outcome first);
// every other item without an outcome is postponed automatically (PostponedAtClose: not treated, or its vote void
// for want of quorum), so it goes back to be put on a later session.
func (s *Session) Close(by string, at time.Time) error {
	if err := s.require(Opened); err != nil {
		return err
	}
	if s.members[by] != RoleSecretary {
		return ErrNotSecretary
	}
	for _, it := range s.st.Items {
		if s.voteInProgress(&it) {
			return wrap(ErrVoteInProgress, "item %d", it.Number)
		}
	}
	for i := range s.st.Items {
		it := &s.st.Items[i]
		if it.Outcome == "" {
			it.Outcome, it.PostponedAtClose, it.DecidedAt, it.Vote = Postponed, true, at, nil
		}
	}
	s.st.ClosedAt, s.st.ClosedBy, s.st.Status = at, by, Closed
	return nil
}

// ApproveMinutes records the president's sign-off of the minutes (closed → minutes approved), usually at the next
// session.
func (s *Session) ApproveMinutes(by string, at time.Time) error {
	if err := s.require(Closed); err != nil {
		return err
	}
	if s.members[by] != RolePresident {
		return ErrNotPresident
	}
	if at.IsZero() {
		return problem.Invalid(problem.Field("signed_at", "required"))
	}
	s.st.SignOff, s.st.Status = &SignOff{By: by, At: at}, MinutesApproved
	return nil
}
