package proposal

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/committee"
	"github.com/entraide/entraide/services/decisions/inquiry"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/projection"
	"github.com/entraide/entraide/services/decisions/request"
	"github.com/entraide/entraide/services/decisions/ris"
	"github.com/entraide/entraide/services/decisions/ristable"
)

// CollProposals holds the proposals; they carry an outbox.
const CollProposals = "proposals"

// Event types this package emits.
const TypeValidated = "be.cpas.decisions.proposal.validated.v1"

// ValidatedPayload is the payload of TypeValidated (api/events/decisions/): identifiers, codes, dates and
// amounts; never the motivation, the conditions' notes or a name.
type ValidatedPayload struct {
	ProposalID   string          `json:"proposal_id"`
	RequestID    string          `json:"request_id"`
	PersonID     string          `json:"person_id"`
	FileID       string          `json:"file_id"`
	Kind         legalclock.Kind `json:"kind"`
	Subtype      letter.Subtype  `json:"subtype,omitempty"`
	Outcome      letter.Outcome  `json:"outcome"`
	Category     ris.Category    `json:"category,omitempty"`
	MonthlyCents ris.Cents       `json:"monthly_cents"`
	OneOffCents  ris.Cents       `json:"one_off_cents"`
	Start        civil.Date      `json:"start"`
	End          civil.Date      `json:"end,omitzero"`
	Review       civil.Date      `json:"review,omitzero"`
	PIIS         bool            `json:"piis"`
	ValidatedBy  string          `json:"validated_by"`
	ValidatedAt  time.Time       `json:"validated_at"`
}

// Collections returns the collections whose outboxes the relay publishes.
func Collections(db *mongo.Database) []*mongo.Collection {
	return []*mongo.Collection{db.Collection(CollProposals)}
}

// EnsureIndexes creates the package's indexes, one at a time, tenant first.
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	return store.EnsureIndexes(ctx, db.Collection(CollProposals),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "status", Value: 1}, {Key: "submitted_at", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "request_id", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "file_id", Value: 1}}},
	)
}

// Record is a stored proposal.
type Record = store.Versioned[Proposal]

// Service is the proposals' use cases.
type Service struct {
	Repo      *store.Repository[Proposal]
	Inquiries *inquiry.Service
	Requests  *request.Service
	Proj      *projection.Repository
	Tables    *ristable.Store
	Audit     *kit.Auditor
	// Now is the clock (tests fix it); nil is time.Now.
	Now func() time.Time
}

// NewService assembles the service on db; onWrite wakes the relay.
func NewService(db *mongo.Database, onWrite func(collection, id string), inq *inquiry.Service, tables *ristable.Store, au *kit.Auditor) *Service {
	return &Service{Repo: store.NewRepository[Proposal](db.Collection(CollProposals), onWrite), Inquiries: inq,
		Requests: inq.Requests, Proj: inq.Proj, Tables: tables, Audit: au}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) load(ctx context.Context, tenant, id string) (Record, error) {
	rec, err := s.Repo.Load(ctx, tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return rec, kit.ErrNotFound
	}
	return rec, err
}

// visible reads a proposal a may see (the file's worker or team, the head), else kit.ErrNotFound.
func (s *Service) visible(ctx context.Context, a kit.Actor, id string) (Record, error) {
	rec, err := s.load(ctx, a.Tenant, id)
	if err != nil {
		return rec, err
	}
	file, err := s.Proj.File(ctx, a.Tenant, rec.State.FileID)
	if errors.Is(err, projection.ErrNotFound) {
		return rec, kit.ErrNotFound
	} else if err != nil {
		return rec, err
	}
	v, err := s.Proj.Viewer(ctx, a.Tenant, a.UserID, a.IsHead())
	if err != nil {
		return rec, err
	}
	if !v.CanSee(file) {
		return rec, kit.ErrNotFound
	}
	return rec, nil
}

// Calculate computes a RIS with the tenant's tables, storing nothing (the calculator of the proposal form).
func (s *Service) Calculate(ctx context.Context, a kit.Actor, in ris.Input) (ris.Result, error) {
	calc, err := s.Tables.Calculator(ctx, a.Tenant)
	if err != nil {
		return ris.Result{}, err
	}
	return calc.Calculate(in)
}

// prepare fills what the input leaves to the inquiry and checks it for the request q.
func (s *Service) prepare(ctx context.Context, a kit.Actor, q request.Record, in *Input) (terms, []inquiry.Condition, error) {
	inq, err := s.Inquiries.Load(ctx, a.Tenant, q.ID)
	if errors.Is(err, kit.ErrNotFound) {
		return terms{}, nil, problem.Invalid(problem.Field("inquiry", "proposal.inquiry_missing"))
	} else if err != nil {
		return terms{}, nil, err
	}
	if in.Resources == nil {
		in.Resources = inq.State.Resources
	}
	if in.Members == nil {
		in.Members = inq.State.CountedMembers()
	}
	calc, err := s.Tables.Calculator(ctx, a.Tenant)
	if err != nil {
		return terms{}, nil, err
	}
	t, err := check(in, q.State.Kind, q.State.ReceivedOn, calc)
	return t, inq.State.Conditions, err
}

func requestOpen(q request.Record) error {
	if !q.State.Status.Open() {
		return problem.New(problem.Conflict).WithDetail("proposal.request_closed")
	}
	return nil
}

// requestStillOpen refuses a step on a proposal whose request was decided or withdrawn meanwhile (nothing is
// written).
func (s *Service) requestStillOpen(ctx context.Context, tenant, requestID string) error {
	q, err := s.Requests.Repo.Load(ctx, tenant, requestID)
	if err != nil {
		return err
	}
	return requestOpen(q)
}

// Create writes a draft proposal on a request that has its inquiry and no running proposal.
func (s *Service) Create(ctx context.Context, a kit.Actor, requestID string, in Input) (Record, error) {
	q, file, err := s.Inquiries.Request(ctx, a, requestID)
	if err != nil {
		return Record{}, err
	}
	if err := requestOpen(q); err != nil {
		return Record{}, err
	}
	t, conds, err := s.prepare(ctx, a, q, &in)
	if err != nil {
		return Record{}, err
	}
	running, err := s.Repo.Find(ctx, a.Tenant, bson.D{{Key: "request_id", Value: q.ID},
		{Key: "status", Value: bson.D{{Key: "$in", Value: []Status{Draft, Submitted, Validated, Returned, OnAgenda}}}}}, options.Find().SetLimit(1))
	if err != nil {
		return Record{}, err
	}
	if len(running) > 0 {
		return Record{}, problem.New(problem.Conflict).WithDetail("proposal.already_open").With("proposal_id", running[0].ID)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	p := Proposal{RequestID: q.ID, RequestNumber: q.State.Number, PersonID: q.State.PersonID, FileID: q.State.FileID,
		FileNumber: file.Number, Kind: q.State.Kind, Subtype: q.State.Subtype, ReceivedOn: q.State.ReceivedOn, Status: Draft,
		SocialWorker: a.UserID, SocialWorkerName: a.Name, CreatedAt: now, UpdatedAt: now}
	p.apply(in, t, conds)
	id := uuid.NewString()
	if err := s.Repo.Insert(ctx, a.Tenant, id, p); err != nil {
		return Record{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "proposal.create", ResourceType: "proposal", ResourceID: id, FileID: p.FileID})
	return Record{ID: id, Tenant: a.Tenant, Version: 1, State: p}, nil
}

// Update changes a draft or returned proposal read at version.
func (s *Service) Update(ctx context.Context, a kit.Actor, id string, version int64, in Input) (Record, error) {
	cur, err := s.visible(ctx, a, id)
	if err != nil {
		return Record{}, err
	}
	if !cur.State.Status.Editable() {
		return Record{}, problem.New(problem.Conflict).WithDetail("proposal.not_editable")
	}
	q, _, err := s.Inquiries.Request(ctx, a, cur.State.RequestID)
	if err != nil {
		return Record{}, err
	}
	if err := requestOpen(q); err != nil {
		return Record{}, err
	}
	t, conds, err := s.prepare(ctx, a, q, &in)
	if err != nil {
		return Record{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	var out Proposal
	v, err := s.Repo.UpdateIfVersion(ctx, a.Tenant, id, version, func(p *Proposal) ([]events.Event, error) {
		if !p.Status.Editable() {
			return nil, problem.New(problem.Conflict).WithDetail("proposal.not_editable")
		}
		p.apply(in, t, conds)
		p.UpdatedAt = now
		out = *p
		return nil, nil
	})
	if err != nil {
		return Record{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "proposal.update", ResourceType: "proposal", ResourceID: id, FileID: out.FileID})
	return Record{ID: id, Tenant: a.Tenant, Version: v, State: out}, nil
}

// Submit sends a draft or returned proposal to the head; the inquiry must have every condition checked.
func (s *Service) Submit(ctx context.Context, a kit.Actor, id string, version int64) (Record, error) {
	cur, err := s.visible(ctx, a, id)
	if err != nil {
		return Record{}, err
	}
	if err := s.requestStillOpen(ctx, a.Tenant, cur.State.RequestID); err != nil {
		return Record{}, err
	}
	inq, err := s.Inquiries.Load(ctx, a.Tenant, cur.State.RequestID)
	if errors.Is(err, kit.ErrNotFound) || (err == nil && !inq.State.Complete()) {
		return Record{}, problem.New(problem.Conflict).WithDetail("proposal.inquiry_incomplete")
	} else if err != nil {
		return Record{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	return s.change(ctx, a, id, version, "proposal.submit", func(p *Proposal) ([]events.Event, error) {
		if !p.Status.Editable() {
			return nil, problem.New(problem.Conflict).WithDetail("proposal.not_editable")
		}
		// The conditions as the inquiry now stands (the worker may have completed it after the draft).
		p.Conditions = inq.State.Conditions
		p.Status, p.SubmittedAt, p.SubmittedBy = Submitted, now, a.UserID
		return nil, nil
	})
}

// Validate is the head's validation of a submitted proposal: it can go on an agenda, the request moves to
// proposed, and proposal.validated is emitted.
func (s *Service) Validate(ctx context.Context, a kit.Actor, id string, version int64) (Record, error) {
	if !a.IsHead() {
		return Record{}, &problem.Error{Type: problem.Forbidden, Detail: "proposal.head_only"}
	}
	cur, err := s.visible(ctx, a, id)
	if err != nil {
		return Record{}, err
	}
	if err := s.requestStillOpen(ctx, a.Tenant, cur.State.RequestID); err != nil {
		return Record{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	rec, err := s.change(ctx, a, id, version, "proposal.validate", func(p *Proposal) ([]events.Event, error) {
		if p.Status != Submitted {
			return nil, problem.New(problem.Conflict).WithDetail("proposal.not_submitted")
		}
		p.Status, p.ValidatedAt, p.ValidatedBy = Validated, now, a.UserID
		ev, err := events.New(TypeValidated, request.EventSource, a.Tenant, id, httpkit.RequestID(ctx), ValidatedPayload{
			ProposalID: id, RequestID: p.RequestID, PersonID: p.PersonID, FileID: p.FileID, Kind: p.Kind, Subtype: p.Subtype,
			Outcome: p.Outcome, Category: p.Category, MonthlyCents: p.MonthlyCents, OneOffCents: p.OneOffCents, Start: p.Start,
			End: p.End, Review: p.Review, PIIS: p.PIIS, ValidatedBy: a.UserID, ValidatedAt: now})
		if err != nil {
			return nil, err
		}
		return []events.Event{ev}, nil
	})
	if err != nil {
		return Record{}, err
	}
	// The second write: idempotent, and made again by AgendaProposal should it fail here.
	if _, err := s.Requests.Advance(ctx, a.Tenant, rec.State.RequestID, request.Proposed); err != nil {
		return rec, err
	}
	return rec, nil
}

// Return is the head's return of a submitted proposal to its author, with the reason.
func (s *Service) Return(ctx context.Context, a kit.Actor, id string, version int64, reason string) (Record, error) {
	if !a.IsHead() {
		return Record{}, &problem.Error{Type: problem.Forbidden, Detail: "proposal.head_only"}
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Record{}, problem.Invalid(problem.Field("reason", "required"))
	}
	if len(reason) > maxText {
		return Record{}, problem.Invalid(problem.Field("reason", "proposal.text_too_long"))
	}
	if _, err := s.visible(ctx, a, id); err != nil {
		return Record{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	return s.change(ctx, a, id, version, "proposal.return", func(p *Proposal) ([]events.Event, error) {
		if p.Status != Submitted {
			return nil, problem.New(problem.Conflict).WithDetail("proposal.not_submitted")
		}
		p.Status, p.ReturnedAt, p.ReturnedBy, p.ReturnReason = Returned, now, a.UserID, reason
		return nil, nil
	})
}

func (s *Service) change(ctx context.Context, a kit.Actor, id string, version int64, action string, fn func(*Proposal) ([]events.Event, error)) (Record, error) {
	var out Proposal
	v, err := s.Repo.UpdateIfVersion(ctx, a.Tenant, id, version, func(p *Proposal) ([]events.Event, error) {
		evs, err := fn(p)
		out = *p
		return evs, err
	})
	if errors.Is(err, store.ErrNotFound) {
		return Record{}, kit.ErrNotFound
	}
	if err != nil {
		return Record{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: action, ResourceType: "proposal", ResourceID: id, FileID: out.FileID})
	return Record{ID: id, Tenant: a.Tenant, Version: v, State: out}, nil
}

// Get reads one proposal, audited with the purpose.
func (s *Service) Get(ctx context.Context, a kit.Actor, id, purpose string) (Record, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return Record{}, err
	}
	rec, err := s.visible(ctx, a, id)
	if err != nil {
		return Record{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "proposal.read", ResourceType: "proposal", ResourceID: id, FileID: rec.State.FileID, Purpose: purpose})
	return rec, nil
}

// Query narrows the list of proposals.
type Query struct {
	Status    Status
	RequestID string
	// Search matches the beginning of the request's or the file's number.
	Search string
	Skip   int64
	Limit  int64
}

// List reads a page of the proposals a may see (the head: all), oldest submission first, audited.
func (s *Service) List(ctx context.Context, a kit.Actor, q Query, purpose string) ([]Record, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return nil, err
	}
	ids, err := s.Requests.VisibleFiles(ctx, a)
	if err != nil {
		return nil, err
	}
	conds := bson.D{}
	if ids != nil {
		if len(ids) == 0 {
			return nil, nil
		}
		conds = append(conds, bson.E{Key: "file_id", Value: bson.D{{Key: "$in", Value: ids}}})
	}
	if q.Status != "" {
		conds = append(conds, bson.E{Key: "status", Value: q.Status})
	}
	if q.RequestID != "" {
		conds = append(conds, bson.E{Key: "request_id", Value: q.RequestID})
	}
	if q.Search != "" {
		re := bson.Regex{Pattern: "^" + regexp.QuoteMeta(q.Search), Options: "i"}
		conds = append(conds, bson.E{Key: "$or", Value: bson.A{bson.D{{Key: "request_number", Value: re}}, bson.D{{Key: "file_number", Value: re}}}})
	}
	opts := options.Find().SetSort(bson.D{{Key: "submitted_at", Value: 1}, {Key: "created_at", Value: 1}})
	if q.Skip > 0 {
		opts.SetSkip(q.Skip)
	}
	if q.Limit > 0 {
		opts.SetLimit(q.Limit)
	}
	recs, err := s.Repo.Find(ctx, a.Tenant, conds, opts)
	if err != nil {
		return nil, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "proposal.list", ResourceType: "proposal", Purpose: purpose})
	return recs, nil
}

// Errors of the steps of the other packages (problems, so that the API answers them as they are).
var (
	ErrNotValidated  = &problem.Error{Type: problem.Conflict, Detail: "proposal.not_validated"}
	ErrOnOtherAgenda = &problem.Error{Type: problem.Conflict, Detail: "proposal.on_other_agenda"}
	ErrDecided       = &problem.Error{Type: problem.Conflict, Detail: "proposal.already_decided"}
)

// AgendaProposal returns a validated proposal not on another session's agenda, as the agenda needs it.
func (s *Service) AgendaProposal(ctx context.Context, tenant, proposalID string) (committee.Proposal, error) {
	rec, err := s.load(ctx, tenant, proposalID)
	if err != nil {
		return committee.Proposal{}, err
	}
	p := rec.State
	switch p.Status {
	case Validated:
	case OnAgenda:
		return committee.Proposal{}, ErrOnOtherAgenda
	default:
		return committee.Proposal{}, ErrNotValidated
	}
	// Makes sure the request shows the validation (the second write of Validate, retried here).
	if _, err := s.Requests.Advance(ctx, tenant, p.RequestID, request.Proposed); err != nil {
		return committee.Proposal{}, err
	}
	return p.agenda(proposalID), nil
}

// agenda is the proposal (id) as the agenda needs it; the motivation stays here (MotivationRef is the id).
func (p Proposal) agenda(id string) committee.Proposal {
	if p.Outcome == letter.Refused {
		return committee.Proposal{Ref: id, PersonRef: p.PersonID, FileRef: p.FileID, Kind: p.Kind,
			Terms:       committee.Terms{Refusal: true, Start: p.Start, MotivationRef: id},
			ValidatedBy: p.ValidatedBy, ValidatedAt: p.ValidatedAt}
	}
	t := committee.Terms{MonthlyAmount: p.MonthlyCents, OneOffAmount: p.OneOffCents, Start: p.Start, End: p.End,
		Review: p.Review, PIIS: p.PIIS, MotivationRef: id}
	if p.Kind == legalclock.RIS || p.Kind == legalclock.ERIS {
		t.Category = p.Category
	}
	return committee.Proposal{Ref: id, PersonRef: p.PersonID, FileRef: p.FileID, Kind: p.Kind, Terms: t,
		ValidatedBy: p.ValidatedBy, ValidatedAt: p.ValidatedAt}
}

// step applies fn to the stored proposal, retrying on a concurrent change; fn returns false when nothing is to
// change (an idempotent repeat).
func (s *Service) step(ctx context.Context, tenant, id string, fn func(p *Proposal) (bool, error)) (Proposal, error) {
	for {
		rec, err := s.load(ctx, tenant, id)
		if err != nil {
			return Proposal{}, err
		}
		p := rec.State
		change, err := fn(&p)
		if err != nil || !change {
			return rec.State, err
		}
		_, err = s.Repo.UpdateIfVersion(ctx, tenant, id, rec.Version, func(cur *Proposal) ([]events.Event, error) {
			*cur = p
			return nil, nil
		})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		return p, err
	}
}

// Scheduled marks the proposal on sessionID's agenda ("" when removed from it). Idempotent.
func (s *Service) Scheduled(ctx context.Context, tenant, proposalID, sessionID string) error {
	_, err := s.step(ctx, tenant, proposalID, func(p *Proposal) (bool, error) {
		switch {
		case sessionID == "" && p.Status == OnAgenda:
			p.Status, p.SessionID = Validated, ""
			return true, nil
		case sessionID == "":
			return false, nil
		case p.Status == OnAgenda && p.SessionID == sessionID:
			return false, nil
		case p.Status == OnAgenda:
			return false, ErrOnOtherAgenda
		case p.Status == Validated:
			p.Status, p.SessionID = OnAgenda, sessionID
			return true, nil
		}
		return false, ErrNotValidated
	})
	return err
}

// CommitteeRejected marks the proposal rejected by the committee and sends the request back to inquiry.
func (s *Service) CommitteeRejected(ctx context.Context, tenant, proposalID, sessionID string) error {
	p, err := s.step(ctx, tenant, proposalID, func(p *Proposal) (bool, error) {
		switch p.Status {
		case RejectedByCommittee:
			return false, nil
		case Validated, OnAgenda:
			p.Status, p.RejectedSession, p.SessionID = RejectedByCommittee, sessionID, ""
			return true, nil
		case Decided:
			return false, ErrDecided
		}
		return false, ErrNotValidated
	})
	if err != nil {
		return err
	}
	_, err = s.Requests.Back(ctx, tenant, p.RequestID)
	return err
}

// Decided marks the proposal decided by decisionID. Idempotent.
func (s *Service) Decided(ctx context.Context, tenant, proposalID, decisionID string) error {
	_, err := s.step(ctx, tenant, proposalID, func(p *Proposal) (bool, error) {
		switch p.Status {
		case Decided:
			if p.DecisionID == decisionID {
				return false, nil
			}
			return false, ErrDecided
		case Validated, OnAgenda:
			p.Status, p.DecisionID = Decided, decisionID
			return true, nil
		}
		return false, ErrNotValidated
	})
	return err
}

// DecisionBasis returns what a decision letter and the payments need from a proposal, the conditions in the
// beneficiary's language (Dutch when the registry says so, else French).
func (s *Service) DecisionBasis(ctx context.Context, tenant, proposalID string) (Basis, error) {
	rec, err := s.load(ctx, tenant, proposalID)
	if err != nil {
		return Basis{}, err
	}
	lang := letter.FR
	person, err := s.Proj.Person(ctx, tenant, rec.State.PersonID)
	if err != nil && !errors.Is(err, projection.ErrNotFound) {
		return Basis{}, fmt.Errorf("proposal: basis: %w", err)
	}
	if person.Language == "nl" {
		lang = letter.NL
	}
	return rec.State.basis(proposalID, lang), nil
}

// AgendaCandidates lists the tenant's validated proposals not on an agenda yet, the oldest validation first (the
// agenda page offers them).
func (s *Service) AgendaCandidates(ctx context.Context, tenant string) ([]committee.Proposal, error) {
	recs, err := s.Repo.Find(ctx, tenant, bson.D{{Key: "status", Value: Validated}},
		options.Find().SetSort(bson.D{{Key: "validated_at", Value: 1}}).SetLimit(500))
	if err != nil {
		return nil, err
	}
	out := make([]committee.Proposal, 0, len(recs))
	for _, rec := range recs {
		out = append(out, rec.State.agenda(rec.ID))
	}
	return out, nil
}
