// Package file owns the social file (dossier) of the beneficiary registry: its number per tenant and year, its
// assignment to a social worker and a team, its closing with a reason, its journal of dated notes (normal or
// restricted to the author and the head), the registration of persons as "managed" by the CPAS with a quality
// code and a period (the BCSS model, docs/domain.md §8), the teams of social workers used by the access rules,
// the caseload of a worker and the tasks other services ask of them through events. It maintains, on each
// managed person of the person package, the denormalised access list and file references the person queries
// filter on.
//
// This file is the domain: types, rules and errors, without I/O.
package file

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
)

// Errors of the domain; the transport maps each to one HTTP status.
var (
	// ErrNotFound covers both a missing file (note, team, task) and one the caller may not see.
	ErrNotFound = errors.New("file: not found")
	// ErrForbidden is an action the caller's role or relation to the file does not allow on a file they see.
	ErrForbidden = errors.New("file: action not allowed")
	// ErrClosed is a change to a closed file.
	ErrClosed = errors.New("file: file is closed")
	// ErrAlreadyManaged is a person registered twice at the same time on one file.
	ErrAlreadyManaged = errors.New("file: person already managed on this file")
	// ErrTeamInUse is the deletion of a team that files are still assigned to.
	ErrTeamInUse = errors.New("file: team still has files")
	// ErrTaskDone is a task already marked done (answered with its current state, not as a failure).
	ErrTaskDone = errors.New("file: task already done")
)

// Status of a file.
type Status string

// Statuses.
const (
	StatusOpen   Status = "open"
	StatusClosed Status = "closed"
)

// Quality is the quality code under which a person is registered as managed by the CPAS on a file (the BCSS
// "code qualité": the CPAS may consult a person's data only while such a registration runs).
type Quality string

// Quality codes.
const (
	QualityApplicant      Quality = "applicant"
	QualityBeneficiary    Quality = "beneficiary"
	QualityCohabitant     Quality = "cohabitant"
	QualityDependentChild Quality = "dependent_child"
	QualityOtherMember    Quality = "other_member"
)

// Qualities lists the quality codes, for validation and the contract.
var Qualities = []Quality{QualityApplicant, QualityBeneficiary, QualityCohabitant, QualityDependentChild, QualityOtherMember}

// CloseReason says why a file was closed.
type CloseReason string

// Close reasons.
const (
	CloseAidEnded         CloseReason = "aid_ended"
	CloseRequestWithdrawn CloseReason = "request_withdrawn"
	CloseRequestRefused   CloseReason = "request_refused"
	CloseMovedAway        CloseReason = "moved_away"
	CloseTransferred      CloseReason = "transferred"
	CloseDeceased         CloseReason = "deceased"
	CloseNoContact        CloseReason = "no_contact"
	CloseOther            CloseReason = "other"
)

// CloseReasons lists the reasons.
var CloseReasons = []CloseReason{CloseAidEnded, CloseRequestWithdrawn, CloseRequestRefused, CloseMovedAway,
	CloseTransferred, CloseDeceased, CloseNoContact, CloseOther}

// Confidentiality of a journal note.
type Confidentiality string

// Confidentiality levels: a restricted note (health matters) is seen by its author and the head only.
const (
	Normal     Confidentiality = "normal"
	Restricted Confidentiality = "restricted"
)

// Origin tells how a file was opened.
type Origin string

// Origins.
const (
	OriginManual  Origin = "manual"
	OriginRequest Origin = "request"
)

// Limits of free texts.
const (
	maxNoteText   = 20000
	maxCloseNote  = 2000
	maxTeamName   = 100
	maxTeamMember = 500
	maxUserID     = 128
)

// Number is a file number, unique per tenant: the opening year and a sequence of that year, "2026/000123".
type Number struct {
	Year int
	Seq  int
}

func (n Number) String() string { return fmt.Sprintf("%04d/%06d", n.Year, n.Seq) }

var numberPattern = regexp.MustCompile(`^(\d{4})\s*/\s*(\d{1,6})$`)

// ParseNumber reads "2026/000123" (or "2026/123", spaces around the slash allowed, as a person types it).
func ParseNumber(s string) (Number, bool) {
	m := numberPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Number{}, false
	}
	y, _ := strconv.Atoi(m[1])
	n, _ := strconv.Atoi(m[2])
	if y < 1900 || n < 1 {
		return Number{}, false
	}
	return Number{Year: y, Seq: n}, true
}

// Registration is a person's registration as managed on a file, with its quality and period. A zero End means
// it still runs.
type Registration struct {
	PersonID string     `bson:"person_id" json:"person_id"`
	Quality  Quality    `bson:"quality" json:"quality"`
	Start    civil.Date `bson:"start" json:"start"`
	End      civil.Date `bson:"end" json:"end"`
}

// Active tells whether the registration runs (has no end).
func (r Registration) Active() bool { return r.End.IsZero() }

// Closure records how a file was closed.
type Closure struct {
	On     civil.Date  `bson:"on"`
	At     time.Time   `bson:"at"`
	By     string      `bson:"by"`
	Reason CloseReason `bson:"reason"`
	Note   string      `bson:"note,omitempty"`
}

// File is the state of a social file as the repository stores it (libs/store flattens it into the document, so
// queries read `assignee`, `team_id`, `person_ids`). Change it through its methods, which keep the rules.
type File struct {
	Number        string         `bson:"number"`
	Year          int            `bson:"year"`
	Seq           int            `bson:"seq"`
	Status        Status         `bson:"status"`
	Origin        Origin         `bson:"origin"`
	RequestID     string         `bson:"request_id,omitempty"`
	OpenedOn      civil.Date     `bson:"opened_on"`
	OpenedAt      time.Time      `bson:"opened_at"`
	OpenedBy      string         `bson:"opened_by"`
	Assignee      string         `bson:"assignee"`
	TeamID        string         `bson:"team_id,omitempty"`
	Registrations []Registration `bson:"registrations"`
	// PersonIDs are every person ever registered on the file (index: the files of a person).
	PersonIDs []string `bson:"person_ids"`
	Closure   *Closure `bson:"closure,omitempty"`
	// LegalHold, while set, keeps the file's documents past their retention (an appeal, a recovery);
	// LegalHoldLog is every setting and lifting of it, oldest first.
	LegalHold    *LegalHold        `bson:"legal_hold,omitempty"`
	LegalHoldLog []LegalHoldChange `bson:"legal_hold_log,omitempty"`
}

// LegalHold is why and since when a file's documents are kept whatever their retention.
type LegalHold struct {
	Since  time.Time `bson:"since" json:"since"`
	By     string    `bson:"by" json:"by"`
	Reason string    `bson:"reason" json:"reason"`
}

// LegalHoldChange is one setting (Hold) or lifting of a legal hold.
type LegalHoldChange struct {
	At     time.Time `bson:"at" json:"at"`
	By     string    `bson:"by" json:"by"`
	Hold   bool      `bson:"hold" json:"hold"`
	Reason string    `bson:"reason" json:"reason"`
}

const maxHoldReason = 1000

// maxHoldLog bounds the history kept on the file (the audit trail keeps every change anyway).
const maxHoldLog = 100

// SetLegalHold sets (hold) or lifts the legal hold, with a reason either way. Setting a hold already set, or
// lifting none, changes nothing and reports false.
func (f *File) SetLegalHold(hold bool, by, reason string, at time.Time) (bool, error) {
	reason = strings.TrimSpace(reason)
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return false, problem.Invalid(problem.Field("reason", "required"))
	case n > maxHoldReason:
		return false, problem.Invalid(problem.Field("reason", "too_long", "max", maxHoldReason))
	}
	if hold == (f.LegalHold != nil) {
		return false, nil
	}
	at = at.UTC().Truncate(time.Millisecond)
	if hold {
		f.LegalHold = &LegalHold{Since: at, By: by, Reason: reason}
	} else {
		f.LegalHold = nil
	}
	f.LegalHoldLog = append(f.LegalHoldLog, LegalHoldChange{At: at, By: by, Hold: hold, Reason: reason})
	if len(f.LegalHoldLog) > maxHoldLog {
		f.LegalHoldLog = f.LegalHoldLog[len(f.LegalHoldLog)-maxHoldLog:]
	}
	return true, nil
}

// Opening is what opening a file needs.
type Opening struct {
	Number    Number
	PersonID  string
	OpenedBy  string
	Assignee  string
	TeamID    string
	On        civil.Date
	At        time.Time
	Origin    Origin
	RequestID string
}

// NewFile opens a file whose applicant is o.PersonID, registered as managed from the opening day.
func NewFile(o Opening) (File, error) {
	if o.PersonID == "" || o.Assignee == "" || o.OpenedBy == "" || o.On.IsZero() || o.Number.Seq < 1 {
		return File{}, errors.New("file: incomplete opening")
	}
	return File{
		Number: o.Number.String(), Year: o.Number.Year, Seq: o.Number.Seq, Status: StatusOpen, Origin: o.Origin,
		RequestID: o.RequestID, OpenedOn: o.On, OpenedAt: o.At.UTC().Truncate(time.Millisecond), OpenedBy: o.OpenedBy,
		Assignee: o.Assignee, TeamID: o.TeamID,
		Registrations: []Registration{{PersonID: o.PersonID, Quality: QualityApplicant, Start: o.On}},
		PersonIDs:     []string{o.PersonID},
	}, nil
}

// Applicant is the person the file was opened for.
func (f File) Applicant() string {
	for _, r := range f.Registrations {
		if r.Quality == QualityApplicant {
			return r.PersonID
		}
	}
	if len(f.PersonIDs) > 0 {
		return f.PersonIDs[0]
	}
	return ""
}

// Assign gives the file to a worker and a team (the team may be empty).
func (f *File) Assign(assignee, teamID string) error {
	if f.Status == StatusClosed {
		return ErrClosed
	}
	if assignee == "" {
		return problem.Invalid(problem.Field("assignee", "required"))
	}
	f.Assignee, f.TeamID = assignee, teamID
	return nil
}

// Register registers a person as managed on the file from start. A person may be registered again after an
// earlier registration ended, never twice at once; the file has one applicant.
func (f *File) Register(personID string, q Quality, start civil.Date) error {
	if f.Status == StatusClosed {
		return ErrClosed
	}
	var fs problem.Fields
	if personID == "" {
		fs.Add("person_id", "required")
	}
	if !slices.Contains(Qualities, q) {
		fs.Add("quality", "invalid_choice")
	} else if q == QualityApplicant {
		fs.Add("quality", "file.applicant_exists")
	}
	if start.Before(f.OpenedOn) {
		fs.Add("start", "file.before_opening")
	}
	if err := fs.Err(); err != nil {
		return err
	}
	for _, r := range f.Registrations {
		if r.PersonID == personID && r.Active() {
			return ErrAlreadyManaged
		}
	}
	f.Registrations = append(f.Registrations, Registration{PersonID: personID, Quality: q, Start: start})
	if !slices.Contains(f.PersonIDs, personID) {
		f.PersonIDs = append(f.PersonIDs, personID)
	}
	return nil
}

// Close closes the file on day on and ends every running registration that day. The reason "other" needs a
// note saying which.
func (f *File) Close(by string, reason CloseReason, note string, on civil.Date, at time.Time) error {
	if f.Status == StatusClosed {
		return ErrClosed
	}
	note = strings.TrimSpace(note)
	var fs problem.Fields
	if !slices.Contains(CloseReasons, reason) {
		fs.Add("reason", "invalid_choice")
	}
	if reason == CloseOther && note == "" {
		fs.Add("note", "required")
	}
	if utf8.RuneCountInString(note) > maxCloseNote {
		fs.Add("note", "too_long", "max", maxCloseNote)
	}
	if err := fs.Err(); err != nil {
		return err
	}
	if on.Before(f.OpenedOn) {
		on = f.OpenedOn
	}
	for i := range f.Registrations {
		if f.Registrations[i].Active() {
			f.Registrations[i].End = on
		}
	}
	f.Status = StatusClosed
	f.Closure = &Closure{On: on, At: at.UTC().Truncate(time.Millisecond), By: by, Reason: reason, Note: note}
	return nil
}

// Viewer is who looks at files: a user, whether they head the social service, and the teams they belong to.
// It carries the object-level access rule; the repository turns the same rule into its query (see Filter).
type Viewer struct {
	UserID string
	Head   bool
	Teams  []string
}

// CanSee tells whether the viewer may see the file: the head sees every file of the tenant, a social worker the
// files assigned to them or to one of their teams.
func (v Viewer) CanSee(f File) bool {
	return v.Head || (f.Assignee != "" && f.Assignee == v.UserID) || (f.TeamID != "" && slices.Contains(v.Teams, f.TeamID))
}

// CanClose tells whether the viewer may close the file: its assigned worker or the head.
func (v Viewer) CanClose(f File) bool { return v.Head || f.Assignee == v.UserID }

// CanSeeNote tells whether the viewer may read a note of a file they see: restricted notes are for their author
// and the head.
func (v Viewer) CanSeeNote(n Note) bool {
	return n.Confidentiality != Restricted || v.Head || n.Author == v.UserID
}

// Note is one entry of a file's journal. Notes are never changed or deleted: a correction is a new note that
// names the note it corrects.
type Note struct {
	ID              string          `bson:"_id"`
	Tenant          string          `bson:"tenant"`
	FileID          string          `bson:"file_id"`
	Date            civil.Date      `bson:"date"`
	Text            string          `bson:"text"`
	Confidentiality Confidentiality `bson:"confidentiality"`
	Author          string          `bson:"author"`
	Corrects        string          `bson:"corrects,omitempty"`
	CreatedAt       time.Time       `bson:"created_at"`
}

// NoteInput is a note as a user writes it.
type NoteInput struct {
	Date            string `json:"date"`
	Text            string `json:"text"`
	Confidentiality string `json:"confidentiality"`
	Corrects        string `json:"corrects,omitempty"`
}

// NewNote validates a note written by author on a file, today being today.
func NewNote(id, tenant, fileID, author string, in NoteInput, today civil.Date, at time.Time) (Note, error) {
	var fs problem.Fields
	date := today
	if strings.TrimSpace(in.Date) != "" {
		d, err := civil.Parse(strings.TrimSpace(in.Date))
		switch {
		case err != nil:
			fs.Add("date", "invalid_date")
		case d.After(today):
			fs.Add("date", "file.date_in_future")
		default:
			date = d
		}
	}
	text := strings.TrimSpace(in.Text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		fs.Add("text", "required")
	case n > maxNoteText:
		fs.Add("text", "too_long", "max", maxNoteText)
	}
	conf := Confidentiality(in.Confidentiality)
	if conf == "" {
		conf = Normal
	}
	if conf != Normal && conf != Restricted {
		fs.Add("confidentiality", "invalid_choice")
	}
	if err := fs.Err(); err != nil {
		return Note{}, err
	}
	return Note{ID: id, Tenant: tenant, FileID: fileID, Date: date, Text: text, Confidentiality: conf, Author: author,
		Corrects: in.Corrects, CreatedAt: at.UTC().Truncate(time.Millisecond)}, nil
}

// Team is a group of social workers; a file assigned to a team is seen by all its members. Members are user ids
// of the identity service (their names come from identity, not from here).
//
// A deleted team stays as a tombstone (Deleted, no members, its name freed: see tombstone) so that the outbox of
// its document still carries the team.changed event that tells the other services; queries leave it out.
type Team struct {
	Name    string   `bson:"name"`
	Members []string `bson:"members"`
	Deleted bool     `bson:"deleted,omitempty"`
}

// tombstone is the team once deleted: no members, deleted, and a name no head can type (NewTeam trims every
// name, so none starts with a space) unique per team, which frees the name for a new team under the unique
// tenant+name index.
func (t Team) tombstone(id string) Team {
	return Team{Name: " deleted " + id, Members: []string{}, Deleted: true}
}

// TeamInput is a team as the head writes it.
type TeamInput struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// NewTeam validates a team: a name, members without duplicates.
func NewTeam(in TeamInput) (Team, error) {
	var fs problem.Fields
	name := strings.Join(strings.Fields(in.Name), " ")
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		fs.Add("name", "required")
	case n > maxTeamName:
		fs.Add("name", "too_long", "max", maxTeamName)
	}
	members := make([]string, 0, len(in.Members))
	if len(in.Members) > maxTeamMember {
		fs.Add("members", "file.too_many_members", "max", maxTeamMember)
	}
	for i, m := range in.Members {
		m = strings.TrimSpace(m)
		if m == "" || len(m) > maxUserID {
			fs.Add(fmt.Sprintf("members[%d]", i), "invalid")
			continue
		}
		if slices.Contains(members, m) {
			fs.Add(fmt.Sprintf("members[%d]", i), "duplicate")
			continue
		}
		members = append(members, m)
	}
	if err := fs.Err(); err != nil {
		return Team{}, err
	}
	return Team{Name: name, Members: members}, nil
}

// TaskStatus is the state of a task.
type TaskStatus string

// Task statuses.
const (
	TaskOpen TaskStatus = "open"
	TaskDone TaskStatus = "done"
)

// TaskRequest is the payload of a be.cpas.<service>.task.requested.v1 event: another service asks the social
// worker of a file (or of the person's open file) to do something.
type TaskRequest struct {
	TaskID   string `json:"task_id"`
	FileID   string `json:"file_id,omitempty"`
	PersonID string `json:"person_id,omitempty"`
	Kind     string `json:"kind"`
	TitleFR  string `json:"title_fr"`
	TitleNL  string `json:"title_nl"`
	DueDate  string `json:"due_date,omitempty"`
}

var kindPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// ErrInvalidTask reports a task request that can never be handled.
var ErrInvalidTask = errors.New("file: invalid task request")

// Validate checks a task request and returns its due date (zero when none).
func (t TaskRequest) Validate() (civil.Date, error) {
	bad := func(what string) (civil.Date, error) { return civil.Date{}, fmt.Errorf("%w: %s", ErrInvalidTask, what) }
	switch {
	case t.TaskID == "" || len(t.TaskID) > 128:
		return bad("task_id")
	case t.FileID == "" && t.PersonID == "":
		return bad("file_id or person_id required")
	case !kindPattern.MatchString(t.Kind):
		return bad("kind")
	case strings.TrimSpace(t.TitleFR) == "" || utf8.RuneCountInString(t.TitleFR) > 300:
		return bad("title_fr")
	case strings.TrimSpace(t.TitleNL) == "" || utf8.RuneCountInString(t.TitleNL) > 300:
		return bad("title_nl")
	}
	if t.DueDate == "" {
		return civil.Date{}, nil
	}
	d, err := civil.Parse(t.DueDate)
	if err != nil {
		return bad("due_date")
	}
	return d, nil
}

// Task is something a worker must do on a file; other services create them through events.
type Task struct {
	Kind      string     `bson:"kind"`
	FileID    string     `bson:"file_id"`
	PersonID  string     `bson:"person_id,omitempty"`
	TitleFR   string     `bson:"title_fr"`
	TitleNL   string     `bson:"title_nl"`
	DueDate   civil.Date `bson:"due_date"`
	Status    TaskStatus `bson:"status"`
	Source    string     `bson:"source"`
	EventID   string     `bson:"event_id"`
	CreatedAt time.Time  `bson:"created_at"`
	DoneAt    *time.Time `bson:"done_at,omitempty"`
	DoneBy    string     `bson:"done_by,omitempty"`
}

// MarkDone marks the task done by user at at.
func (t *Task) MarkDone(user string, at time.Time) error {
	if t.Status == TaskDone {
		return ErrTaskDone
	}
	at = at.UTC().Truncate(time.Millisecond)
	t.Status, t.DoneAt, t.DoneBy = TaskDone, &at, user
	return nil
}
