package request

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/projection"
	"github.com/entraide/entraide/services/decisions/settings"
)

// Event source and types this package emits.
const (
	EventSource    = "entraide-decisions"
	TypeRegistered = "be.cpas.decisions.request.registered.v1"
)

// RegisteredPayload is the payload of TypeRegistered (api/events/decisions/).
type RegisteredPayload struct {
	RequestID   string          `json:"request_id"`
	Number      string          `json:"number"`
	PersonID    string          `json:"person_id"`
	FileID      string          `json:"file_id"`
	Kind        legalclock.Kind `json:"kind"`
	Subtype     letter.Subtype  `json:"subtype,omitempty"`
	Channel     Channel         `json:"channel"`
	ReceivedOn  civil.Date      `json:"received_on"`
	DecisionDue civil.Date      `json:"decision_due"`
}

// Service is the register's use cases.
type Service struct {
	Repo     *Repository
	Proj     *projection.Repository
	Settings *settings.Store
	Audit    *kit.Auditor
	// Now is the clock (tests fix it); nil is time.Now.
	Now func() time.Time
	// OnChange, when set, is called after each write of a request with its id (the deadline board keeps its
	// index of open requests with it: board.RequestClocks.Sync). It must not fail the write: it handles its errors.
	OnChange func(ctx context.Context, tenant, id string)
}

func (s *Service) changed(ctx context.Context, tenant, id string) {
	if s.OnChange != nil {
		s.OnChange(ctx, tenant, id)
	}
}

func (s *Service) today() civil.Date {
	if s.Now != nil {
		return civil.Of(s.Now())
	}
	return civil.Today()
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// viewer is a's access to files: the head all, a worker the files assigned to them or to one of their teams.
func (s *Service) viewer(ctx context.Context, a kit.Actor) (projection.Viewer, error) {
	return s.Proj.Viewer(ctx, a.Tenant, a.UserID, a.IsHead())
}

// Register enters a request in the register.
func (s *Service) Register(ctx context.Context, a kit.Actor, in Input) (Record, error) {
	today := s.today()
	received, err := in.Check(today)
	if err != nil {
		return Record{}, err
	}
	v, err := s.viewer(ctx, a)
	if err != nil {
		return Record{}, err
	}
	file, err := s.Proj.File(ctx, a.Tenant, in.FileID)
	if errors.Is(err, projection.ErrNotFound) || (err == nil && !v.CanSee(file)) {
		return Record{}, problem.Invalid(problem.Field("file_id", "request.unknown_file"))
	} else if err != nil {
		return Record{}, err
	}
	if !file.Open {
		return Record{}, problem.Invalid(problem.Field("file_id", "request.file_closed"))
	}
	if _, err := s.Proj.Person(ctx, a.Tenant, in.PersonID); errors.Is(err, projection.ErrNotFound) {
		return Record{}, problem.Invalid(problem.Field("person_id", "request.unknown_person"))
	} else if err != nil {
		return Record{}, err
	}
	if file.PersonID != in.PersonID {
		return Record{}, problem.Invalid(problem.Field("person_id", "request.person_not_on_file"))
	}
	dl, err := legalclock.DecisionDue(in.Kind, received)
	if err != nil {
		return Record{}, err
	}
	year := today.Year()
	seq, err := s.Repo.NextSeq(ctx, a.Tenant, year)
	if err != nil {
		return Record{}, err
	}
	q := Request{Number: FormatNumber(year, seq), Year: year, Seq: seq, PersonID: in.PersonID, FileID: in.FileID,
		Kind: in.Kind, Subtype: in.Subtype, Channel: in.Channel, ReceivedOn: received,
		LateReason: strings.TrimSpace(in.LateReason), Note: strings.TrimSpace(in.Note), DecisionDue: dl.Due,
		Status: Registered, Open: true, RegisteredAt: s.now().UTC().Truncate(time.Millisecond), RegisteredBy: a.UserID}
	id := uuid.NewString()
	ev, err := events.New(TypeRegistered, EventSource, a.Tenant, id, httpkit.RequestID(ctx), RegisteredPayload{
		RequestID: id, Number: q.Number, PersonID: q.PersonID, FileID: q.FileID, Kind: q.Kind, Subtype: q.Subtype,
		Channel: q.Channel, ReceivedOn: q.ReceivedOn, DecisionDue: q.DecisionDue})
	if err != nil {
		return Record{}, err
	}
	if err := s.Repo.Insert(ctx, a.Tenant, id, q, ev); err != nil {
		return Record{}, err
	}
	s.changed(ctx, a.Tenant, id)
	s.Audit.Record(ctx, a, kit.Entry{Action: "request.register", ResourceType: "request", ResourceID: id, FileID: q.FileID})
	return Record{ID: id, Tenant: a.Tenant, Version: 1, State: q}, nil
}

// load reads a request the actor may see (else ErrNotFound: indistinguishable from missing).
func (s *Service) load(ctx context.Context, a kit.Actor, id string) (Record, projection.File, error) {
	rec, err := s.Repo.Load(ctx, a.Tenant, id)
	if err != nil {
		return rec, projection.File{}, err
	}
	file, err := s.Proj.File(ctx, a.Tenant, rec.State.FileID)
	if errors.Is(err, projection.ErrNotFound) {
		return rec, projection.File{}, kit.ErrNotFound
	} else if err != nil {
		return rec, file, err
	}
	v, err := s.viewer(ctx, a)
	if err != nil {
		return rec, file, err
	}
	if !v.CanSee(file) {
		return rec, file, kit.ErrNotFound
	}
	return rec, file, nil
}

// Get reads one request, audited with the declared purpose.
func (s *Service) Get(ctx context.Context, a kit.Actor, id, purpose string) (Record, projection.File, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return Record{}, projection.File{}, err
	}
	rec, file, err := s.load(ctx, a, id)
	if err != nil {
		return rec, file, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "request.read", ResourceType: "request", ResourceID: id, FileID: rec.State.FileID, Purpose: purpose})
	return rec, file, nil
}

// VisibleFiles is nil for the head (every file) or the ids of the files a worker sees: assigned to them or to
// one of their teams.
func (s *Service) VisibleFiles(ctx context.Context, a kit.Actor) ([]string, error) {
	if a.IsHead() {
		return nil, nil
	}
	ids, err := s.Proj.WorkerFileIDs(ctx, a.Tenant, a.UserID)
	if ids == nil && err == nil {
		ids = []string{}
	}
	return ids, err
}

// List reads a page of the register, audited.
func (s *Service) List(ctx context.Context, a kit.Actor, q Query, purpose string) ([]Record, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return nil, err
	}
	ids, err := s.VisibleFiles(ctx, a)
	if err != nil {
		return nil, err
	}
	q.FileIDs = ids
	if q.File != "" {
		// One file: the head may read it; a worker only when it is one of theirs (else an empty page, as for a
		// file that has no request).
		q.FileIDs = []string{q.File}
		if ids != nil && !slices.Contains(ids, q.File) {
			q.FileIDs = []string{}
		}
	}
	recs, err := s.Repo.Find(ctx, a.Tenant, q)
	if err != nil {
		return nil, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "request.list", ResourceType: "request", FileID: q.File, Purpose: purpose})
	return recs, nil
}

// Withdraw records the applicant's withdrawal of a request not yet decided.
func (s *Service) Withdraw(ctx context.Context, a kit.Actor, id string, version int64, reason string) (Record, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Record{}, problem.Invalid(problem.Field("reason", "required"))
	}
	if len(reason) > 500 {
		return Record{}, problem.Invalid(problem.Field("reason", "request.note_too_long"))
	}
	if _, _, err := s.load(ctx, a, id); err != nil {
		return Record{}, err
	}
	today := s.today()
	var out Request
	v, err := s.Repo.Update(ctx, a.Tenant, id, version, func(q *Request) ([]events.Event, error) {
		if !q.Status.Open() {
			return nil, problem.New(problem.Conflict).WithDetail("request.not_withdrawable")
		}
		q.Status, q.Open, q.WithdrawnOn, q.WithdrawReason = Withdrawn, false, today, reason
		out = *q
		return nil, nil
	})
	if err != nil {
		return Record{}, err
	}
	s.changed(ctx, a.Tenant, id)
	s.Audit.Record(ctx, a, kit.Entry{Action: "request.withdraw", ResourceType: "request", ResourceID: id, FileID: out.FileID})
	return Record{ID: id, Tenant: a.Tenant, Version: v, State: out}, nil
}

// Acknowledgment builds the acknowledgment of receipt of a request in the applicant's language (French unless
// the registry says Dutch), audited.
func (s *Service) Acknowledgment(ctx context.Context, a kit.Actor, id, purpose string) (letter.Document, error) {
	rec, file, err := s.Get(ctx, a, id, purpose)
	if err != nil {
		return letter.Document{}, err
	}
	person, err := s.Proj.Person(ctx, a.Tenant, rec.State.PersonID)
	if errors.Is(err, projection.ErrNotFound) {
		return letter.Document{}, kit.ErrNotFound
	} else if err != nil {
		return letter.Document{}, err
	}
	st, err := s.Settings.Get(ctx, a.Tenant)
	if err != nil {
		return letter.Document{}, err
	}
	lang := letter.FR
	if person.Language == "nl" {
		lang = letter.NL
	}
	var addr letter.Address
	if p := person.Address; p != nil {
		street := p.Street + " " + p.Number
		if p.Box != "" {
			street += " bte " + p.Box
			if lang == letter.NL {
				street = p.Street + " " + p.Number + " bus " + p.Box
			}
		}
		addr = letter.Address{Street: street, PostalCode: p.PostcodeString(), City: p.Municipality}
	}
	doc, err := letter.AcknowledgmentLetter(letter.Acknowledgment{
		CPAS:      st.State.CPAS(),
		Applicant: letter.Beneficiary{Name: person.DisplayName(), Address: addr, Lang: lang},
		Kind:      rec.State.Kind, Subtype: rec.State.Subtype, Received: rec.State.ReceivedOn,
		RegisterNumber: rec.State.Number, FileReference: file.Number, SocialWorker: a.Name,
	})
	if errors.Is(err, letter.ErrIncomplete) {
		// The tenant's settings lack the CPAS's address (or the registry the applicant's name): the admin must
		// complete them; the cause names the fields, never their values.
		return letter.Document{}, &problem.Error{Type: problem.Conflict, Detail: "request.letter_incomplete", Cause: err}
	}
	return doc, err
}

// Advance moves a request along its life as the other packages record their steps (inquiry started, proposal
// validated, decision adopted, decision notified), without an If-Match: the step is the other package's, checked
// there. Moving to where the request already is, or back from a later step, changes nothing (a retried step is
// harmless) — except Back, which returns a proposed request to the inquiry when the committee rejected the
// proposal. A withdrawn request does not move: ErrWithdrawn.
func (s *Service) Advance(ctx context.Context, tenant, id string, to Status) (Record, error) {
	for {
		rec, err := s.Repo.Load(ctx, tenant, id)
		if err != nil {
			return Record{}, err
		}
		if rec.State.Status == Withdrawn {
			return rec, &problem.Error{Type: problem.Conflict, Detail: "request.withdrawn", Cause: ErrWithdrawn}
		}
		if !forward(rec.State.Status, to) {
			return rec, nil
		}
		var out Request
		v, err := s.Repo.Update(ctx, tenant, id, rec.Version, func(q *Request) ([]events.Event, error) {
			q.Status, q.Open = to, to.Open()
			out = *q
			return nil, nil
		})
		if errors.Is(err, store.ErrConflict) {
			continue // somebody moved it meanwhile: look again
		}
		if err != nil {
			return Record{}, err
		}
		s.changed(ctx, tenant, id)
		return Record{ID: id, Tenant: tenant, Version: v, State: out}, nil
	}
}

// Back returns a proposed request to the inquiry (the committee rejected the proposal: a new one is needed).
func (s *Service) Back(ctx context.Context, tenant, id string) (Record, error) {
	rec, err := s.Repo.Load(ctx, tenant, id)
	if err != nil {
		return Record{}, err
	}
	if rec.State.Status != Proposed {
		return rec, nil
	}
	var out Request
	v, err := s.Repo.Update(ctx, tenant, id, rec.Version, func(q *Request) ([]events.Event, error) {
		q.Status, q.Open = InInquiry, true
		out = *q
		return nil, nil
	})
	if err != nil {
		return Record{}, err
	}
	s.changed(ctx, tenant, id)
	return Record{ID: id, Tenant: tenant, Version: v, State: out}, nil
}

// ErrWithdrawn: the request was withdrawn by the applicant; nothing more happens on it (Advance answers a 409
// problem wrapping it).
var ErrWithdrawn = errors.New("request: withdrawn")

// stepOrder ranks the statuses of the life of a request.
var stepOrder = map[Status]int{Registered: 0, InInquiry: 1, Proposed: 2, Decided: 3, Notified: 4}

func forward(from, to Status) bool {
	f, okf := stepOrder[from]
	t, okt := stepOrder[to]
	return okf && okt && t > f
}
