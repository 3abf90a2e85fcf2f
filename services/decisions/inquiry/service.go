package inquiry

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/projection"
	"github.com/entraide/entraide/services/decisions/request"
	"github.com/entraide/entraide/services/decisions/ris"
	"github.com/entraide/entraide/services/decisions/settings"
)

// CollInquiries holds one report per request (its _id is the request's id).
const CollInquiries = "inquiries"

// EnsureIndexes creates the package's indexes.
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	return store.EnsureIndexes(ctx, db.Collection(CollInquiries),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "file_id", Value: 1}}})
}

// Record is a stored report.
type Record = store.Versioned[Inquiry]

// Service is the inquiry's use cases.
type Service struct {
	Repo     *store.Repository[Inquiry]
	Requests *request.Service
	Proj     *projection.Repository
	Settings *settings.Store
	Audit    *kit.Auditor
	// Now is the clock (tests fix it); nil is time.Now.
	Now func() time.Time
}

// NewService assembles the service on db.
func NewService(db *mongo.Database, requests *request.Service, proj *projection.Repository, st *settings.Store, au *kit.Auditor) *Service {
	return &Service{Repo: store.NewRepository[Inquiry](db.Collection(CollInquiries), nil), Requests: requests, Proj: proj, Settings: st, Audit: au}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Request reads a request a may see: the head every one, a worker those of the files assigned to them or their
// teams; any other is kit.ErrNotFound (indistinguishable from a missing one). Not audited: the caller records
// what it does.
func (s *Service) Request(ctx context.Context, a kit.Actor, id string) (request.Record, projection.File, error) {
	rec, err := s.Requests.Repo.Load(ctx, a.Tenant, id)
	if err != nil {
		return rec, projection.File{}, err
	}
	file, err := s.Proj.File(ctx, a.Tenant, rec.State.FileID)
	if errors.Is(err, projection.ErrNotFound) {
		return rec, file, kit.ErrNotFound
	} else if err != nil {
		return rec, file, err
	}
	v, err := s.Proj.Viewer(ctx, a.Tenant, a.UserID, a.IsHead())
	if err != nil {
		return rec, file, err
	}
	if !v.CanSee(file) {
		return rec, file, kit.ErrNotFound
	}
	return rec, file, nil
}

// Load reads the report of a request (kit.ErrNotFound when none), tenant-scoped, without access check.
func (s *Service) Load(ctx context.Context, tenant, requestID string) (Record, error) {
	rec, err := s.Repo.Load(ctx, tenant, requestID)
	if errors.Is(err, store.ErrNotFound) {
		return rec, kit.ErrNotFound
	}
	return rec, err
}

// blank is the report of a request not inquired yet: every condition to check, version 0.
func blank(q request.Record) Record {
	in := Inquiry{RequestID: q.ID, FileID: q.State.FileID, PersonID: q.State.PersonID, Kind: q.State.Kind}
	in.normalize(q.State.Kind)
	in.order(q.State.Kind)
	return Record{ID: q.ID, Tenant: q.Tenant, Version: 0, State: in}
}

// Get reads the report of a request, audited with the purpose; a request without one gives the blank report at
// version 0 (a PUT with If-Match "0" creates it).
func (s *Service) Get(ctx context.Context, a kit.Actor, requestID, purpose string) (Record, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return Record{}, err
	}
	q, _, err := s.Request(ctx, a, requestID)
	if err != nil {
		return Record{}, err
	}
	rec, err := s.Load(ctx, a.Tenant, requestID)
	if errors.Is(err, kit.ErrNotFound) {
		rec, err = blank(q), nil
	}
	if err != nil {
		return Record{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "inquiry.read", ResourceType: "inquiry", ResourceID: requestID, FileID: q.State.FileID, Purpose: purpose})
	return rec, nil
}

var knownKinds = func() map[ris.ResourceKind]bool {
	m := map[ris.ResourceKind]bool{}
	for _, k := range ris.DefaultResourceKinds() {
		m[k.Kind] = true
	}
	return m
}()

// Put writes the report of a request read at version (0: create it). The first save moves the request to
// in_inquiry; every save makes sure it is there (the move is idempotent), so a move that failed after the report
// was written is made by the next save.
func (s *Service) Put(ctx context.Context, a kit.Actor, requestID string, version int64, r Report) (Record, error) {
	q, _, err := s.Request(ctx, a, requestID)
	if err != nil {
		return Record{}, err
	}
	switch q.State.Status {
	case request.Decided, request.Notified, request.Withdrawn:
		return Record{}, problem.New(problem.Conflict).WithDetail("inquiry.request_closed")
	}
	r.normalize(q.State.Kind)
	if err := r.check(q.State.Kind, civil.Of(s.now()), func(k ris.ResourceKind) bool { return knownKinds[k] }); err != nil {
		return Record{}, err
	}
	r.order(q.State.Kind)
	now := s.now().UTC().Truncate(time.Millisecond)
	var out Inquiry
	var v int64
	if version == 0 {
		out = Inquiry{RequestID: q.ID, FileID: q.State.FileID, PersonID: q.State.PersonID, Kind: q.State.Kind, Report: r,
			CreatedAt: now, CreatedBy: a.UserID, UpdatedAt: now, UpdatedBy: a.UserID}
		if err := s.Repo.Insert(ctx, a.Tenant, q.ID, out); err != nil {
			if errors.Is(err, store.ErrDuplicate) || mongo.IsDuplicateKeyError(err) {
				cur, lerr := s.Load(ctx, a.Tenant, q.ID)
				if lerr != nil {
					return Record{}, lerr
				}
				return Record{}, problem.New(problem.PreconditionFailed).With("current_version", cur.Version)
			}
			return Record{}, err
		}
		v = 1
	} else {
		v, err = s.Repo.UpdateIfVersion(ctx, a.Tenant, q.ID, version, func(cur *Inquiry) ([]events.Event, error) {
			cur.Report, cur.UpdatedAt, cur.UpdatedBy = r, now, a.UserID
			out = *cur
			return nil, nil
		})
		if errors.Is(err, store.ErrNotFound) {
			return Record{}, problem.New(problem.PreconditionFailed).With("current_version", 0)
		}
		if err != nil {
			return Record{}, err
		}
	}
	if _, err := s.Requests.Advance(ctx, a.Tenant, q.ID, request.InInquiry); err != nil && !errors.Is(err, request.ErrWithdrawn) {
		return Record{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "inquiry.write", ResourceType: "inquiry", ResourceID: q.ID, FileID: q.State.FileID})
	return Record{ID: q.ID, Tenant: a.Tenant, Version: v, State: out}, nil
}

// HearingLetter builds the right-to-be-heard letter of a request from its inquiry's hearing, in the applicant's
// language, audited.
func (s *Service) HearingLetter(ctx context.Context, a kit.Actor, requestID, purpose string) (letter.Document, error) {
	rec, err := s.Get(ctx, a, requestID, purpose)
	if err != nil {
		return letter.Document{}, err
	}
	h := rec.State.Hearing
	if rec.Version == 0 || (h.AppointmentOn.IsZero() && h.AskBy.IsZero()) {
		return letter.Document{}, problem.New(problem.Conflict).WithDetail("inquiry.hearing_missing")
	}
	q, file, err := s.Request(ctx, a, requestID)
	if err != nil {
		return letter.Document{}, err
	}
	person, err := s.Proj.Person(ctx, a.Tenant, q.State.PersonID)
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
	hr := letter.Hearing{CPAS: st.State.CPAS(), Applicant: letter.Beneficiary{Name: person.DisplayName(), Address: Address(person, lang), Lang: lang},
		Kind: q.State.Kind, Subtype: q.State.Subtype, Received: q.State.ReceivedOn, FileReference: file.Number,
		SocialWorker: a.Name, Written: civil.Of(s.now())}
	if !h.AppointmentOn.IsZero() {
		hr.Appointment = &letter.Appointment{Date: h.AppointmentOn, Time: h.Time, Place: h.Place}
	} else {
		hr.AskBy = h.AskBy
	}
	doc, err := letter.HearingLetter(hr)
	if errors.Is(err, letter.ErrIncomplete) {
		return letter.Document{}, &problem.Error{Type: problem.Conflict, Detail: "request.letter_incomplete", Cause: err}
	}
	return doc, err
}

// Address is a projected person's address as a letter prints it.
func Address(p projection.Person, lang letter.Lang) letter.Address {
	a := p.Address
	if a == nil {
		return letter.Address{}
	}
	street := a.Street + " " + a.Number
	if a.Box != "" {
		if lang == letter.NL {
			street += " bus " + a.Box
		} else {
			street += " bte " + a.Box
		}
	}
	return letter.Address{Street: street, PostalCode: a.PostcodeString(), City: a.Municipality}
}
