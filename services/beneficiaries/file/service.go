package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/beneficiaries/person"
)

// Persons is what the file package needs of the person registry (NewPersons adapts the person package's
// repository). It never hands out personal data beyond a display name.
type Persons interface {
	// Visible tells whether the person exists in tenant and the viewer may see them.
	Visible(ctx context.Context, tenant string, v Viewer, personID string) (bool, error)
	// Exists tells whether the person exists in tenant (event handlers, which act for no user).
	Exists(ctx context.Context, tenant, personID string) (bool, error)
	// SetFileLinks replaces the person's file references, from which their access list is derived.
	SetFileLinks(ctx context.Context, tenant, personID string, links []person.FileLink) error
	// DisplayNames returns the display name of each person id found in tenant.
	DisplayNames(ctx context.Context, tenant string, ids []string) (map[string]string, error)
}

// LinksOf derives a person's file references from the files they are (or were) registered on: each file's
// worker and team see the person, closed files included (a closed file stays visible to its worker and team).
func LinksOf(files []FileRecord) []person.FileLink {
	links := make([]person.FileLink, 0, len(files))
	for _, f := range files {
		links = append(links, person.FileLink{FileID: f.ID, Number: f.State.Number, Open: f.State.Status == StatusOpen,
			Worker: f.State.Assignee, Team: f.State.TeamID})
	}
	return links
}

// Service is the file use cases.
type Service interface {
	OpenFile(ctx context.Context, a Actor, in OpenInput) (FileView, error)
	// OpenForRequest opens the file of a request's applicant on their first request and returns the open file on
	// later ones (opened tells which); other services' event handlers call it, acting for no user.
	OpenForRequest(ctx context.Context, in RequestOpening) (v FileView, opened bool, err error)
	GetFile(ctx context.Context, a Actor, purpose, id string) (FileView, error)
	ListFiles(ctx context.Context, a Actor, purpose string, q FileQuery) (FilePage, error)
	Reassign(ctx context.Context, a Actor, id string, version int64, in AssignInput) (FileView, error)
	CloseFile(ctx context.Context, a Actor, id string, version int64, in CloseInput) (FileView, error)
	RegisterMember(ctx context.Context, a Actor, id string, version int64, in MemberInput) (FileView, error)
	AddNote(ctx context.Context, a Actor, fileID string, in NoteInput) (NoteView, error)
	Journal(ctx context.Context, a Actor, purpose, fileID string) (JournalView, error)
	ListTeams(ctx context.Context, a Actor) (TeamList, error)
	GetTeam(ctx context.Context, a Actor, id string) (TeamView, error)
	CreateTeam(ctx context.Context, a Actor, in TeamInput) (TeamView, error)
	UpdateTeam(ctx context.Context, a Actor, id string, version int64, in TeamInput) (TeamView, error)
	DeleteTeam(ctx context.Context, a Actor, id string, version int64) error
	Caseload(ctx context.Context, a Actor) (CaseloadView, error)
	CompleteTask(ctx context.Context, a Actor, id string, version int64) (TaskView, error)
	// SetLegalHold sets or lifts a file's legal hold (the head), with a reason.
	SetLegalHold(ctx context.Context, a Actor, id string, version int64, in LegalHoldInput) (FileView, error)
	// VisibleFile returns a file the actor may see (ErrNotFound otherwise) and the actor's viewer, for the
	// document package. It does not audit: the caller audits its own read.
	VisibleFile(ctx context.Context, a Actor, id string) (FileRecord, Viewer, error)
}

// OpenInput opens a file by hand.
type OpenInput struct {
	PersonID string `json:"person_id"`
	TeamID   string `json:"team_id,omitempty"`
	Assignee string `json:"assignee,omitempty"`
}

// RequestOpening is a request registered by the decisions service for a person.
type RequestOpening struct {
	Tenant        string
	RequestID     string
	PersonID      string
	ReceivedOn    civil.Date
	Assignee      string
	TeamID        string
	CorrelationID string
}

// AssignInput reassigns a file.
type AssignInput struct {
	Assignee string `json:"assignee"`
	TeamID   string `json:"team_id,omitempty"`
}

// CloseInput closes a file.
type CloseInput struct {
	Reason string `json:"reason"`
	Note   string `json:"note,omitempty"`
	On     string `json:"on,omitempty"`
}

// LegalHoldInput sets (hold true) or lifts a file's legal hold.
type LegalHoldInput struct {
	Hold   bool   `json:"hold"`
	Reason string `json:"reason"`
}

// MemberInput registers a person as managed on a file.
type MemberInput struct {
	PersonID string `json:"person_id"`
	Quality  string `json:"quality"`
	Start    string `json:"start,omitempty"`
}

// ClosureView is how a file was closed.
type ClosureView struct {
	On     civil.Date  `json:"on"`
	At     time.Time   `json:"at"`
	By     string      `json:"by"`
	Reason CloseReason `json:"reason"`
	Note   string      `json:"note,omitempty"`
}

// FileView is a file as the API shows it.
type FileView struct {
	ID            string         `json:"id"`
	Version       int64          `json:"version"`
	Number        string         `json:"number"`
	Status        Status         `json:"status"`
	Origin        Origin         `json:"origin"`
	PersonID      string         `json:"person_id"`
	OpenedOn      civil.Date     `json:"opened_on"`
	OpenedBy      string         `json:"opened_by"`
	Assignee      string         `json:"assignee"`
	TeamID        string         `json:"team_id,omitempty"`
	Registrations []Registration `json:"registrations"`
	Closure       *ClosureView   `json:"closure,omitempty"`
	// LegalHold is set while the file's documents are kept past their retention.
	LegalHold    *LegalHold        `json:"legal_hold,omitempty"`
	LegalHoldLog []LegalHoldChange `json:"legal_hold_log,omitempty"`
}

func fileView(r FileRecord) FileView {
	f := r.State
	v := FileView{ID: r.ID, Version: r.Version, Number: f.Number, Status: f.Status, Origin: f.Origin, PersonID: f.Applicant(),
		OpenedOn: f.OpenedOn, OpenedBy: f.OpenedBy, Assignee: f.Assignee, TeamID: f.TeamID, Registrations: f.Registrations,
		LegalHold: f.LegalHold, LegalHoldLog: f.LegalHoldLog}
	if v.Registrations == nil {
		v.Registrations = []Registration{}
	}
	if c := f.Closure; c != nil {
		v.Closure = &ClosureView{On: c.On, At: c.At, By: c.By, Reason: c.Reason, Note: c.Note}
	}
	return v
}

// FileListItem is a file of a listing: the file, its applicant's display name, the date of the newest journal
// note the caller may read (zero when none) and the number of its open tasks.
type FileListItem struct {
	FileView
	PersonName string     `json:"person_name"`
	LastNoteOn civil.Date `json:"last_note_on"`
	OpenTasks  int        `json:"open_tasks"`
}

// FilePage is one page of files.
type FilePage struct {
	Items    []FileListItem `json:"items"`
	Page     int            `json:"page"`
	PageSize int            `json:"page_size"`
	HasMore  bool           `json:"has_more"`
}

// NoteView is a journal note.
type NoteView struct {
	ID              string          `json:"id"`
	FileID          string          `json:"file_id"`
	Date            civil.Date      `json:"date"`
	Text            string          `json:"text"`
	Confidentiality Confidentiality `json:"confidentiality"`
	Author          string          `json:"author"`
	Corrects        string          `json:"corrects,omitempty"`
	CreatedAt       time.Time       `json:"created_at"`
}

func noteView(n Note) NoteView {
	return NoteView{ID: n.ID, FileID: n.FileID, Date: n.Date, Text: n.Text, Confidentiality: n.Confidentiality,
		Author: n.Author, Corrects: n.Corrects, CreatedAt: n.CreatedAt}
}

// JournalView is the notes of a file the caller may read, newest first.
type JournalView struct {
	FileID string     `json:"file_id"`
	Items  []NoteView `json:"items"`
}

// TeamView is a team.
type TeamView struct {
	ID      string   `json:"id"`
	Version int64    `json:"version"`
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

func teamView(r TeamRecord) TeamView {
	m := r.State.Members
	if m == nil {
		m = []string{}
	}
	return TeamView{ID: r.ID, Version: r.Version, Name: r.State.Name, Members: m}
}

// TeamList is every team of the tenant.
type TeamList struct {
	Items []TeamView `json:"items"`
}

// TaskView is a task.
type TaskView struct {
	ID        string     `json:"id"`
	Version   int64      `json:"version"`
	FileID    string     `json:"file_id"`
	Kind      string     `json:"kind"`
	TitleFR   string     `json:"title_fr"`
	TitleNL   string     `json:"title_nl"`
	DueDate   civil.Date `json:"due_date"`
	Status    TaskStatus `json:"status"`
	Source    string     `json:"source"`
	CreatedAt time.Time  `json:"created_at"`
	DoneAt    *time.Time `json:"done_at,omitempty"`
	DoneBy    string     `json:"done_by,omitempty"`
}

func taskView(r TaskRecord) TaskView {
	t := r.State
	return TaskView{ID: r.ID, Version: r.Version, FileID: t.FileID, Kind: t.Kind, TitleFR: t.TitleFR, TitleNL: t.TitleNL,
		DueDate: t.DueDate, Status: t.Status, Source: t.Source, CreatedAt: t.CreatedAt, DoneAt: t.DoneAt, DoneBy: t.DoneBy}
}

// CaseloadItem is one open file of a caseload.
type CaseloadItem struct {
	FileID     string     `json:"file_id"`
	Number     string     `json:"number"`
	PersonID   string     `json:"person_id"`
	PersonName string     `json:"person_name"`
	Assignee   string     `json:"assignee"`
	TeamID     string     `json:"team_id,omitempty"`
	OpenedOn   civil.Date `json:"opened_on"`
	LastNoteOn civil.Date `json:"last_note_on"`
	Tasks      []TaskView `json:"tasks"`
}

// CaseloadView is the caller's open files (assigned to them or to one of their teams) with their open tasks.
type CaseloadView struct {
	Items []CaseloadItem `json:"items"`
}

// Config tunes the service.
type Config struct {
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

type service struct {
	repo    *Repository
	persons Persons
	audit   *Auditor
	logger  *slog.Logger
	now     func() time.Time
	// openMu serialises openings in this process, so two concurrent first openings for one person cannot both
	// find no open file and open two.
	openMu sync.Mutex
}

// NewService assembles the file use cases.
func NewService(repo *Repository, persons Persons, auditor *Auditor, logger *slog.Logger, cfg Config) Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &service{repo: repo, persons: persons, audit: auditor, logger: logger, now: now}
}

func correlation(ctx context.Context) string {
	if id := httpkit.RequestID(ctx); id != "" {
		return id
	}
	return uuid.NewString()
}

func (s *service) viewer(ctx context.Context, a Actor) (Viewer, error) {
	if a.Tenant == "" || a.UserID == "" {
		return Viewer{}, problem.New(problem.Unauthorized)
	}
	teams, err := s.repo.TeamsOf(ctx, a.Tenant, a.UserID)
	if err != nil {
		return Viewer{}, err
	}
	return Viewer{UserID: a.UserID, Head: a.IsHead(), Teams: teams}, nil
}

// visible loads a file the actor may see; a file of the tenant they may not see is audited as a denied attempt
// and reported like a missing one.
func (s *service) visible(ctx context.Context, a Actor, id, action, purpose string) (FileRecord, Viewer, error) {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return FileRecord{}, v, err
	}
	rec, err := s.repo.LoadFile(ctx, a.Tenant, id)
	if err != nil {
		return rec, v, err
	}
	if !v.CanSee(rec.State) {
		s.audit.Record(ctx, a, Entry{Action: action, ResourceType: "file", ResourceID: id, FileID: id, Purpose: purpose, Outcome: audit.OutcomeDenied})
		return FileRecord{}, v, ErrNotFound
	}
	return rec, v, nil
}

func (s *service) VisibleFile(ctx context.Context, a Actor, id string) (FileRecord, Viewer, error) {
	return s.visible(ctx, a, id, "file.access", "")
}

// syncPersons recomputes the access list and file references of each person from their files. A failure is
// logged, not returned: the change it follows is stored, and the next change of any of the person's files
// recomputes the whole list again.
func (s *service) syncPersons(ctx context.Context, tenant string, personIDs []string) {
	if s.persons == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	for _, pid := range personIDs {
		var err error
		for range 2 {
			var files []FileRecord
			if files, err = s.repo.FilesOfPerson(ctx, tenant, pid); err == nil {
				if err = s.persons.SetFileLinks(ctx, tenant, pid, LinksOf(files)); err == nil {
					break
				}
			}
		}
		if err != nil {
			s.logger.ErrorContext(ctx, "person access list not updated", "tenant", tenant, "error", err.Error())
		}
	}
}

func (s *service) OpenFile(ctx context.Context, a Actor, in OpenInput) (FileView, error) {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return FileView{}, err
	}
	var fs problem.Fields
	if in.PersonID == "" {
		fs.Add("person_id", "required")
	} else if ok, err := s.persons.Visible(ctx, a.Tenant, v, in.PersonID); err != nil {
		return FileView{}, err
	} else if !ok {
		fs.Add("person_id", "file.unknown_person")
	}
	assignee := strings.TrimSpace(in.Assignee)
	if assignee == "" {
		assignee = a.UserID
	}
	if assignee != a.UserID && !v.Head {
		return FileView{}, fmt.Errorf("%w: only the head assigns a file to someone else", ErrForbidden)
	}
	teamID := in.TeamID
	if teamID == "" && len(v.Teams) == 1 && assignee == a.UserID {
		teamID = v.Teams[0]
	}
	if teamID != "" {
		if err := s.checkTeam(ctx, a.Tenant, teamID, v, &fs); err != nil {
			return FileView{}, err
		}
	}
	if err := fs.Err(); err != nil {
		return FileView{}, err
	}
	s.openMu.Lock()
	defer s.openMu.Unlock()
	if existing, found, err := s.repo.OpenFileOfApplicant(ctx, a.Tenant, in.PersonID); err != nil {
		return FileView{}, err
	} else if found {
		return FileView{}, problem.New(problem.Conflict).WithDetail("file.already_open").With("file_number", existing.State.Number)
	}
	rec, err := s.open(ctx, a.Tenant, Opening{PersonID: in.PersonID, OpenedBy: a.UserID, Assignee: assignee, TeamID: teamID, Origin: OriginManual}, correlation(ctx))
	if err != nil {
		return FileView{}, err
	}
	s.audit.Record(ctx, a, Entry{Action: "file.open", ResourceType: "file", ResourceID: rec.ID, FileID: rec.ID})
	return fileView(rec), nil
}

// checkTeam adds a field error when the team does not exist, or when a worker names a team they are not in.
func (s *service) checkTeam(ctx context.Context, tenant, teamID string, v Viewer, fs *problem.Fields) error {
	if _, err := s.repo.LoadTeam(ctx, tenant, teamID); errors.Is(err, ErrNotFound) {
		fs.Add("team_id", "file.unknown_team")
		return nil
	} else if err != nil {
		return err
	}
	if !v.Head && !slices.Contains(v.Teams, teamID) {
		fs.Add("team_id", "file.not_team_member")
	}
	return nil
}

// open draws a number and stores the new file with its file.opened event (the caller holds openMu).
func (s *service) open(ctx context.Context, tenant string, o Opening, corr string) (FileRecord, error) {
	now := s.now()
	if o.On.IsZero() {
		o.On = civil.Of(now)
	}
	o.At = now
	n, err := s.repo.NextNumber(ctx, tenant, o.On.Year())
	if err != nil {
		return FileRecord{}, err
	}
	o.Number = n
	f, err := NewFile(o)
	if err != nil {
		return FileRecord{}, err
	}
	id := uuid.NewString()
	ev, err := events.New(EventFileOpened, EventSource, tenant, id, corr, FileOpenedData{FileID: id, Number: f.Number,
		PersonID: o.PersonID, Assignee: f.Assignee, TeamID: f.TeamID, OpenedOn: f.OpenedOn, Origin: f.Origin, RequestID: f.RequestID})
	if err != nil {
		return FileRecord{}, err
	}
	if err := s.repo.InsertFile(ctx, tenant, id, f, ev); err != nil {
		return FileRecord{}, err
	}
	s.syncPersons(ctx, tenant, []string{o.PersonID})
	return FileRecord{ID: id, Tenant: tenant, Version: 1, State: f}, nil
}

func (s *service) OpenForRequest(ctx context.Context, in RequestOpening) (FileView, bool, error) {
	if in.Tenant == "" || in.PersonID == "" || in.Assignee == "" {
		return FileView{}, false, errors.New("file: request opening needs a tenant, a person and an assignee")
	}
	ok, err := s.persons.Exists(ctx, in.Tenant, in.PersonID)
	if err != nil {
		return FileView{}, false, err
	}
	if !ok {
		return FileView{}, false, ErrNotFound
	}
	s.openMu.Lock()
	defer s.openMu.Unlock()
	if existing, found, err := s.repo.OpenFileOfApplicant(ctx, in.Tenant, in.PersonID); err != nil || found {
		return fileView(existing), false, err
	}
	corr := in.CorrelationID
	if corr == "" {
		corr = correlation(ctx)
	}
	rec, err := s.open(ctx, in.Tenant, Opening{PersonID: in.PersonID, OpenedBy: in.Assignee, Assignee: in.Assignee, TeamID: in.TeamID,
		On: in.ReceivedOn, Origin: OriginRequest, RequestID: in.RequestID}, corr)
	if err != nil {
		return FileView{}, false, err
	}
	return fileView(rec), true, nil
}

func (s *service) GetFile(ctx context.Context, a Actor, purpose, id string) (FileView, error) {
	if err := CheckPurpose(purpose); err != nil {
		return FileView{}, err
	}
	rec, _, err := s.visible(ctx, a, id, "file.read", purpose)
	if err != nil {
		return FileView{}, err
	}
	s.audit.Record(ctx, a, Entry{Action: "file.read", ResourceType: "file", ResourceID: id, FileID: id, Purpose: purpose})
	return fileView(rec), nil
}

// Page bounds.
const (
	defaultPageSize = 25
	maxPageSize     = 100
)

func (s *service) ListFiles(ctx context.Context, a Actor, purpose string, q FileQuery) (FilePage, error) {
	if err := CheckPurpose(purpose); err != nil {
		return FilePage{}, err
	}
	var fs problem.Fields
	if q.Page == 0 {
		q.Page = 1
	}
	if q.PageSize == 0 {
		q.PageSize = defaultPageSize
	}
	if q.Page < 1 {
		fs.Add("page", "out_of_range", "min", 1, "max", 100000)
	}
	if q.PageSize < 1 || q.PageSize > maxPageSize {
		fs.Add("page_size", "out_of_range", "min", 1, "max", maxPageSize)
	}
	if q.Status != "" && q.Status != StatusOpen && q.Status != StatusClosed {
		fs.Add("status", "invalid_choice")
	}
	if err := fs.Err(); err != nil {
		return FilePage{}, err
	}
	v, err := s.viewer(ctx, a)
	if err != nil {
		return FilePage{}, err
	}
	recs, more, err := s.repo.ListFiles(ctx, a.Tenant, v, q)
	if err != nil {
		return FilePage{}, err
	}
	ids := make([]string, 0, len(recs))
	persons := make([]string, 0, len(recs))
	for _, r := range recs {
		ids = append(ids, r.ID)
		persons = append(persons, r.State.Applicant())
	}
	names, err := s.persons.DisplayNames(ctx, a.Tenant, persons)
	if err != nil {
		return FilePage{}, err
	}
	tasks, err := s.repo.OpenTasks(ctx, a.Tenant, ids)
	if err != nil {
		return FilePage{}, err
	}
	openTasks := map[string]int{}
	for _, t := range tasks {
		openTasks[t.State.FileID]++
	}
	page := FilePage{Items: make([]FileListItem, 0, len(recs)), Page: q.Page, PageSize: q.PageSize, HasMore: more}
	for _, r := range recs {
		last, err := s.repo.LastNoteDate(ctx, a.Tenant, r.ID, v)
		if err != nil {
			return FilePage{}, err
		}
		page.Items = append(page.Items, FileListItem{FileView: fileView(r), PersonName: names[r.State.Applicant()],
			LastNoteOn: last, OpenTasks: openTasks[r.ID]})
		s.audit.Record(ctx, a, Entry{Action: "file.list", ResourceType: "file", ResourceID: r.ID, FileID: r.ID, Purpose: purpose})
	}
	return page, nil
}

func (s *service) Reassign(ctx context.Context, a Actor, id string, version int64, in AssignInput) (FileView, error) {
	rec, v, err := s.visible(ctx, a, id, "file.assign", "")
	if err != nil {
		return FileView{}, err
	}
	if !v.Head {
		return FileView{}, fmt.Errorf("%w: only the head reassigns a file", ErrForbidden)
	}
	var fs problem.Fields
	if strings.TrimSpace(in.Assignee) == "" {
		fs.Add("assignee", "required")
	}
	if in.TeamID != "" {
		if err := s.checkTeam(ctx, a.Tenant, in.TeamID, v, &fs); err != nil {
			return FileView{}, err
		}
	}
	if err := fs.Err(); err != nil {
		return FileView{}, err
	}
	corr := correlation(ctx)
	var out File
	newVersion, err := s.repo.UpdateFile(ctx, a.Tenant, id, version, func(f *File) ([]events.Event, error) {
		prevA, prevT := f.Assignee, f.TeamID
		if err := f.Assign(strings.TrimSpace(in.Assignee), in.TeamID); err != nil {
			return nil, err
		}
		out = *f
		ev, err := events.New(EventFileAssigned, EventSource, a.Tenant, id, corr, FileAssignedData{FileID: id, Number: f.Number,
			Assignee: f.Assignee, TeamID: f.TeamID, PreviousAssignee: prevA, PreviousTeamID: prevT})
		return []events.Event{ev}, err
	})
	if err != nil {
		return FileView{}, err
	}
	s.audit.Record(ctx, a, Entry{Action: "file.assign", ResourceType: "file", ResourceID: id, FileID: id})
	s.syncPersons(ctx, a.Tenant, rec.State.PersonIDs)
	return fileView(FileRecord{ID: id, Tenant: a.Tenant, Version: newVersion, State: out}), nil
}

func (s *service) CloseFile(ctx context.Context, a Actor, id string, version int64, in CloseInput) (FileView, error) {
	rec, v, err := s.visible(ctx, a, id, "file.close", "")
	if err != nil {
		return FileView{}, err
	}
	if !v.CanClose(rec.State) {
		return FileView{}, fmt.Errorf("%w: only the assigned worker or the head closes a file", ErrForbidden)
	}
	now := s.now()
	on := civil.Of(now)
	if strings.TrimSpace(in.On) != "" {
		d, err := civil.Parse(strings.TrimSpace(in.On))
		if err != nil {
			return FileView{}, problem.Invalid(problem.Field("on", "invalid_date"))
		}
		if d.After(on) {
			return FileView{}, problem.Invalid(problem.Field("on", "file.date_in_future"))
		}
		on = d
	}
	corr := correlation(ctx)
	var out File
	newVersion, err := s.repo.UpdateFile(ctx, a.Tenant, id, version, func(f *File) ([]events.Event, error) {
		if err := f.Close(a.UserID, CloseReason(in.Reason), in.Note, on, now); err != nil {
			return nil, err
		}
		out = *f
		ev, err := events.New(EventFileClosed, EventSource, a.Tenant, id, corr, FileClosedData{FileID: id, Number: f.Number,
			ClosedOn: f.Closure.On, Reason: f.Closure.Reason, PersonIDs: f.PersonIDs})
		return []events.Event{ev}, err
	})
	if err != nil {
		return FileView{}, err
	}
	s.audit.Record(ctx, a, Entry{Action: "file.close", ResourceType: "file", ResourceID: id, FileID: id})
	s.syncPersons(ctx, a.Tenant, out.PersonIDs)
	return fileView(FileRecord{ID: id, Tenant: a.Tenant, Version: newVersion, State: out}), nil
}

func (s *service) SetLegalHold(ctx context.Context, a Actor, id string, version int64, in LegalHoldInput) (FileView, error) {
	rec, v, err := s.visible(ctx, a, id, "file.legal_hold", "")
	if err != nil {
		return FileView{}, err
	}
	if !v.Head {
		return FileView{}, fmt.Errorf("%w: only the head sets or lifts a legal hold", ErrForbidden)
	}
	// A hold already in the state asked for changes nothing and writes nothing (a retried request).
	probe := rec.State
	probe.LegalHoldLog = slices.Clone(probe.LegalHoldLog)
	if changed, err := probe.SetLegalHold(in.Hold, a.UserID, in.Reason, s.now()); err != nil || !changed {
		return fileView(rec), err
	}
	var out File
	newVersion, err := s.repo.UpdateFile(ctx, a.Tenant, id, version, func(f *File) ([]events.Event, error) {
		_, err := f.SetLegalHold(in.Hold, a.UserID, in.Reason, s.now())
		out = *f
		return nil, err
	})
	if err != nil {
		return FileView{}, err
	}
	action := "file.legal_hold.set"
	if !in.Hold {
		action = "file.legal_hold.lift"
	}
	s.audit.Record(ctx, a, Entry{Action: action, ResourceType: "file", ResourceID: id, FileID: id})
	return fileView(FileRecord{ID: id, Tenant: a.Tenant, Version: newVersion, State: out}), nil
}

func (s *service) RegisterMember(ctx context.Context, a Actor, id string, version int64, in MemberInput) (FileView, error) {
	_, v, err := s.visible(ctx, a, id, "file.register_member", "")
	if err != nil {
		return FileView{}, err
	}
	start := civil.Of(s.now())
	var fs problem.Fields
	if strings.TrimSpace(in.Start) != "" {
		d, err := civil.Parse(strings.TrimSpace(in.Start))
		if err != nil {
			fs.Add("start", "invalid_date")
		}
		start = d
	}
	if in.PersonID != "" {
		if ok, err := s.persons.Visible(ctx, a.Tenant, v, in.PersonID); err != nil {
			return FileView{}, err
		} else if !ok {
			// A member of the household may not be registered anywhere yet: the worker registered them, so they
			// see them; a person of another file they cannot see stays unknown to them.
			fs.Add("person_id", "file.unknown_person")
		}
	}
	if err := fs.Err(); err != nil {
		return FileView{}, err
	}
	var out File
	newVersion, err := s.repo.UpdateFile(ctx, a.Tenant, id, version, func(f *File) ([]events.Event, error) {
		if err := f.Register(in.PersonID, Quality(in.Quality), start); err != nil {
			return nil, err
		}
		out = *f
		return nil, nil
	})
	if err != nil {
		return FileView{}, err
	}
	s.audit.Record(ctx, a, Entry{Action: "file.register_member", ResourceType: "person", ResourceID: in.PersonID, FileID: id})
	s.syncPersons(ctx, a.Tenant, []string{in.PersonID})
	return fileView(FileRecord{ID: id, Tenant: a.Tenant, Version: newVersion, State: out}), nil
}

func (s *service) AddNote(ctx context.Context, a Actor, fileID string, in NoteInput) (NoteView, error) {
	rec, v, err := s.visible(ctx, a, fileID, "journal.write", "")
	if err != nil {
		return NoteView{}, err
	}
	if rec.State.Status == StatusClosed {
		return NoteView{}, ErrClosed
	}
	now := s.now()
	n, err := NewNote(uuid.NewString(), a.Tenant, fileID, a.UserID, in, civil.Of(now), now)
	if err != nil {
		return NoteView{}, err
	}
	if n.Corrects != "" {
		ok, err := s.repo.NoteExists(ctx, a.Tenant, fileID, n.Corrects, v)
		if err != nil {
			return NoteView{}, err
		}
		if !ok {
			return NoteView{}, problem.Invalid(problem.Field("corrects", "file.unknown_note"))
		}
	}
	if err := s.repo.InsertNote(ctx, n); err != nil {
		return NoteView{}, err
	}
	s.audit.Record(ctx, a, Entry{Action: "journal.write", ResourceType: "note", ResourceID: n.ID, FileID: fileID})
	return noteView(n), nil
}

func (s *service) Journal(ctx context.Context, a Actor, purpose, fileID string) (JournalView, error) {
	if err := CheckPurpose(purpose); err != nil {
		return JournalView{}, err
	}
	_, v, err := s.visible(ctx, a, fileID, "journal.read", purpose)
	if err != nil {
		return JournalView{}, err
	}
	notes, err := s.repo.Notes(ctx, a.Tenant, fileID, v, 0)
	if err != nil {
		return JournalView{}, err
	}
	out := JournalView{FileID: fileID, Items: make([]NoteView, 0, len(notes))}
	for _, n := range notes {
		out.Items = append(out.Items, noteView(n))
	}
	s.audit.Record(ctx, a, Entry{Action: "journal.read", ResourceType: "journal", ResourceID: fileID, FileID: fileID, Purpose: purpose})
	return out, nil
}

func (s *service) ListTeams(ctx context.Context, a Actor) (TeamList, error) {
	teams, err := s.repo.Teams(ctx, a.Tenant)
	if err != nil {
		return TeamList{}, err
	}
	out := TeamList{Items: make([]TeamView, 0, len(teams))}
	for _, t := range teams {
		out.Items = append(out.Items, teamView(t))
	}
	return out, nil
}

func (s *service) GetTeam(ctx context.Context, a Actor, id string) (TeamView, error) {
	t, err := s.repo.LoadTeam(ctx, a.Tenant, id)
	if err != nil {
		return TeamView{}, err
	}
	return teamView(t), nil
}

func (s *service) requireHead(a Actor) error {
	if !a.IsHead() {
		return fmt.Errorf("%w: teams are managed by the head", ErrForbidden)
	}
	return nil
}

func duplicateName(err error) error {
	if errors.Is(err, store.ErrDuplicate) {
		return problem.Invalid(problem.Field("name", "duplicate"))
	}
	return err
}

func (s *service) CreateTeam(ctx context.Context, a Actor, in TeamInput) (TeamView, error) {
	if err := s.requireHead(a); err != nil {
		return TeamView{}, err
	}
	t, err := NewTeam(in)
	if err != nil {
		return TeamView{}, err
	}
	id := uuid.NewString()
	if err := s.repo.InsertTeam(ctx, a.Tenant, id, correlation(ctx), t); err != nil {
		return TeamView{}, duplicateName(err)
	}
	s.audit.Record(ctx, a, Entry{Action: "team.create", ResourceType: "team", ResourceID: id})
	return teamView(TeamRecord{ID: id, Tenant: a.Tenant, Version: 1, State: t}), nil
}

func (s *service) UpdateTeam(ctx context.Context, a Actor, id string, version int64, in TeamInput) (TeamView, error) {
	if err := s.requireHead(a); err != nil {
		return TeamView{}, err
	}
	t, err := NewTeam(in)
	if err != nil {
		return TeamView{}, err
	}
	v, err := s.repo.UpdateTeam(ctx, a.Tenant, id, correlation(ctx), version, t)
	if err != nil {
		return TeamView{}, duplicateName(err)
	}
	s.audit.Record(ctx, a, Entry{Action: "team.update", ResourceType: "team", ResourceID: id})
	return teamView(TeamRecord{ID: id, Tenant: a.Tenant, Version: v, State: t}), nil
}

func (s *service) DeleteTeam(ctx context.Context, a Actor, id string, version int64) error {
	if err := s.requireHead(a); err != nil {
		return err
	}
	if _, err := s.repo.LoadTeam(ctx, a.Tenant, id); err != nil {
		return err
	}
	n, err := s.repo.CountFilesOfTeam(ctx, a.Tenant, id)
	if err != nil {
		return err
	}
	if n > 0 {
		return ErrTeamInUse
	}
	if err := s.repo.DeleteTeam(ctx, a.Tenant, id, correlation(ctx), version); err != nil {
		return err
	}
	s.audit.Record(ctx, a, Entry{Action: "team.delete", ResourceType: "team", ResourceID: id})
	return nil
}

// caseloadLimit bounds a caseload; a worker's open files are far fewer.
const caseloadLimit = 500

func (s *service) Caseload(ctx context.Context, a Actor) (CaseloadView, error) {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return CaseloadView{}, err
	}
	// The caseload is the caller's own work, head included: files assigned to them or their teams.
	own := Viewer{UserID: v.UserID, Teams: v.Teams}
	recs, err := s.repo.findFiles(ctx, a.Tenant, own, bsonStatus(StatusOpen), 0, caseloadLimit)
	if err != nil {
		return CaseloadView{}, err
	}
	ids := make([]string, 0, len(recs))
	persons := make([]string, 0, len(recs))
	for _, r := range recs {
		ids = append(ids, r.ID)
		persons = append(persons, r.State.Applicant())
	}
	names, err := s.persons.DisplayNames(ctx, a.Tenant, persons)
	if err != nil {
		return CaseloadView{}, err
	}
	tasks, err := s.repo.OpenTasks(ctx, a.Tenant, ids)
	if err != nil {
		return CaseloadView{}, err
	}
	byFile := map[string][]TaskView{}
	for _, t := range tasks {
		byFile[t.State.FileID] = append(byFile[t.State.FileID], taskView(t))
	}
	out := CaseloadView{Items: make([]CaseloadItem, 0, len(recs))}
	for _, r := range recs {
		last, err := s.repo.LastNoteDate(ctx, a.Tenant, r.ID, v)
		if err != nil {
			return CaseloadView{}, err
		}
		ts := byFile[r.ID]
		if ts == nil {
			ts = []TaskView{}
		}
		out.Items = append(out.Items, CaseloadItem{FileID: r.ID, Number: r.State.Number, PersonID: r.State.Applicant(),
			PersonName: names[r.State.Applicant()], Assignee: r.State.Assignee, TeamID: r.State.TeamID,
			OpenedOn: r.State.OpenedOn, LastNoteOn: last, Tasks: ts})
	}
	s.audit.Record(ctx, a, Entry{Action: "caseload.read", ResourceType: "caseload", ResourceID: a.UserID, Purpose: "case_follow_up"})
	return out, nil
}

func (s *service) CompleteTask(ctx context.Context, a Actor, id string, version int64) (TaskView, error) {
	t, err := s.repo.LoadTask(ctx, a.Tenant, id)
	if err != nil {
		return TaskView{}, err
	}
	if _, _, err := s.visible(ctx, a, t.State.FileID, "task.complete", ""); err != nil {
		return TaskView{}, err
	}
	var out Task
	v, err := s.repo.UpdateTask(ctx, a.Tenant, id, version, func(t *Task) error {
		if err := t.MarkDone(a.UserID, s.now()); err != nil {
			return err
		}
		out = *t
		return nil
	})
	if errors.Is(err, ErrTaskDone) {
		return taskView(t), nil // done already: marking it again changes nothing
	}
	if err != nil {
		return TaskView{}, err
	}
	s.audit.Record(ctx, a, Entry{Action: "task.complete", ResourceType: "task", ResourceID: id, FileID: t.State.FileID})
	return taskView(TaskRecord{ID: id, Tenant: a.Tenant, Version: v, State: out}), nil
}

// TaskConsumer turns task requests of other services into tasks on files. It is the events.Handler of the
// consumers of TaskTopics.
type TaskConsumer struct {
	repo   *Repository
	logger *slog.Logger
	now    func() time.Time
}

// NewTaskConsumer handles task requests with repo.
func NewTaskConsumer(repo *Repository, logger *slog.Logger) *TaskConsumer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &TaskConsumer{repo: repo, logger: logger, now: time.Now}
}

// IsTaskRequest tells whether an event type is a task request of some service (be.cpas.<service>.task.requested.v1).
func IsTaskRequest(typ string) bool {
	svc, ok := strings.CutPrefix(typ, "be.cpas.")
	if !ok {
		return false
	}
	svc, ok = strings.CutSuffix(svc, TaskRequestedSuffix)
	return ok && svc != "" && !strings.Contains(svc, ".")
}

// Handle stores the task of a task request, once per task id: a redelivered event, or a second event with the
// same task id, finds the task stored and changes nothing. Other event types of the topic are ignored. A
// malformed request, or one naming no file of the tenant, is permanent (dead-letter topic).
func (c *TaskConsumer) Handle(ctx context.Context, e events.Event) error {
	if !IsTaskRequest(e.Type) {
		return nil
	}
	var req TaskRequest
	if err := json.Unmarshal(e.Data, &req); err != nil {
		return events.Permanent(fmt.Errorf("%w: payload is not a task request", ErrInvalidTask))
	}
	due, err := req.Validate()
	if err != nil {
		return events.Permanent(err)
	}
	fileID := req.FileID
	if fileID != "" {
		if _, err := c.repo.LoadFile(ctx, e.Tenant, fileID); errors.Is(err, ErrNotFound) {
			return events.Permanent(fmt.Errorf("%w: no such file in the tenant", ErrInvalidTask))
		} else if err != nil {
			return err
		}
	} else {
		rec, found, err := c.repo.OpenFileOfApplicant(ctx, e.Tenant, req.PersonID)
		if err != nil {
			return err
		}
		if !found {
			return events.Permanent(fmt.Errorf("%w: the person has no open file", ErrInvalidTask))
		}
		fileID = rec.ID
	}
	created, err := c.repo.InsertTask(ctx, e.Tenant, req.TaskID, Task{Kind: req.Kind, FileID: fileID, PersonID: req.PersonID,
		TitleFR: strings.TrimSpace(req.TitleFR), TitleNL: strings.TrimSpace(req.TitleNL), DueDate: due, Status: TaskOpen,
		Source: e.Source, EventID: e.ID, CreatedAt: c.now().UTC().Truncate(time.Millisecond)})
	if err != nil {
		return err
	}
	if !created {
		c.logger.InfoContext(ctx, "task request already handled", "event_id", e.ID)
	}
	return nil
}
