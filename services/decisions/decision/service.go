package decision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/committee"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/projection"
	"github.com/entraide/entraide/services/decisions/request"
	"github.com/entraide/entraide/services/decisions/ris"
	"github.com/entraide/entraide/services/decisions/settings"
)

// Proposals is what a decision needs of the proposals (implemented by package proposal, adapted in run.go).
type Proposals interface {
	// DecisionBasis returns what a decision letter and the payments need from a proposal.
	DecisionBasis(ctx context.Context, tenant, proposalID string) (Basis, error)
	// Decided marks the proposal decided by decisionID. Idempotent.
	Decided(ctx context.Context, tenant, proposalID, decisionID string) error
}

// Finance roles: they read the decisions' amounts and periods only.
const (
	RoleAccountant      = "accountant"
	RoleFinanceDirector = "finance_director"
)

func isFinance(a kit.Actor) bool {
	return !a.IsHead() && !slices.Contains(a.Roles, kit.RoleSocialWorker) &&
		(slices.Contains(a.Roles, RoleAccountant) || slices.Contains(a.Roles, RoleFinanceDirector))
}

// Service is the decisions' use cases.
type Service struct {
	Repo      *Repository
	Proj      *projection.Repository
	Settings  *settings.Store
	Requests  *request.Service
	Proposals Proposals
	// Calculator is the tenant's RIS calculator (ristable), for revisions recomputed; nil: none offered.
	Calculator func(ctx context.Context, tenant string) (*ris.Calculator, error)
	Audit      *kit.Auditor
	// Now is the clock (tests fix it); nil is time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) today() civil.Date { return civil.Of(s.now()) }

func (s *Service) rules(ctx context.Context, tenant string) (legalclock.Rules, error) {
	st, err := s.Settings.Get(ctx, tenant)
	if err != nil {
		return legalclock.Rules{}, err
	}
	return st.State.Rules, nil
}

// ErrNoProposals: the proposals are not wired (a session item cannot be decided without its basis).
var ErrNoProposals = errors.New("decision: no proposals source")

// ItemDecided records the decision of a session's item (committee outcome): an approved or amended proposal
// becomes an adopted decision; a ratification item ratifies or refuses the urgent decision. Idempotent by
// (sessionID, item.Ref): the decision's id is derived from them, and the follow-up steps (proposal decided,
// request advanced) are themselves idempotent and redone on every call.
func (s *Service) ItemDecided(ctx context.Context, tenant, sessionID string, sessionDate civil.Date, it committee.Item) error {
	switch it.Kind {
	case committee.ItemRatification:
		return s.ratify(ctx, tenant, sessionID, sessionDate, it)
	case committee.ItemProposal:
	default:
		return problem.Invalid(problem.Field("kind", "invalid_choice"))
	}
	if it.Outcome != committee.Approved && it.Outcome != committee.Amended {
		return nil // rejected (the proposal slice sends the request back) or postponed: nothing decided
	}
	if s.Proposals == nil {
		return ErrNoProposals
	}
	id := SessionDecisionID(sessionID, it.Ref)
	if _, err := s.Repo.Load(ctx, tenant, id); err == nil {
		return s.afterAdoption(ctx, tenant, id, it.Ref)
	} else if !errors.Is(err, kit.ErrNotFound) {
		return err
	}
	b, err := s.Proposals.DecisionBasis(ctx, tenant, it.Ref)
	if err != nil {
		return err
	}
	if b.ProposalID == "" {
		b.ProposalID = it.Ref
	}
	d, err := fromItem(b, it, sessionDate)
	if err != nil {
		return err
	}
	d.Source, d.SessionID, d.ItemRef = FromSession, sessionID, it.Ref
	if err := s.adopt(ctx, tenant, id, d); err != nil {
		return err
	}
	return s.afterAdoption(ctx, tenant, id, it.Ref)
}

// fromItem applies the committee's final terms to the proposal's basis, refusing what the rules do not allow.
func fromItem(b Basis, it committee.Item, decided civil.Date) (Decision, error) {
	d := Decision{Basis: b, DecidedOn: decided}
	var fs problem.Fields
	if it.Outcome == committee.Amended {
		if it.NewTerms == nil {
			fs.Add("new_terms", "required")
		}
		if strings.TrimSpace(it.AmendmentMotivationRef) == "" {
			fs.Add("amendment_motivation", "decision.amendment_motivation_required")
		}
		if err := fs.Err(); err != nil {
			return d, err
		}
		t := *it.NewTerms
		d.Amended, d.AmendmentMotivation = true, strings.TrimSpace(it.AmendmentMotivationRef)
		if t.Category != 0 {
			d.Category = t.Category
		}
		if t.MonthlyAmount != d.MonthlyCents {
			d.MonthlyCents = t.MonthlyAmount
			d.FirstMonthCents = prorate(t.MonthlyAmount, t.Start)
		} else if !t.Start.IsZero() && t.Start != d.Start {
			d.FirstMonthCents = prorate(d.MonthlyCents, t.Start)
		}
		if !t.Start.IsZero() {
			d.Start = t.Start
		}
		d.End, d.Review, d.PIIS = t.End, t.Review, t.PIIS
	} else if monthlyKind(b) && it.Terms.MonthlyAmount != b.MonthlyCents {
		// The committee approved terms whose amount is not the proposal's calculation: only an amendment with its
		// motivation may change it.
		fs.Add("monthly_amount_cents", "decision.amount_mismatch")
	}
	if b.Kind == legalclock.RIS && !b.Requested.IsZero() && d.Start.Before(b.Requested) {
		fs.Add("start", "decision.start_before_request")
	}
	if !d.End.IsZero() && d.End.Before(d.Start) {
		fs.Add("end", "decision.end_before_start")
	}
	return d, fs.Err()
}

func monthlyKind(b Basis) bool {
	return b.Outcome != letter.Refused && (b.Periodicity == letter.PaidMonthly || b.Kind == legalclock.RIS || b.Kind == legalclock.ERIS)
}

// prorate is the first month's amount from start (start included), rounded half up.
func prorate(monthly ris.Cents, start civil.Date) ris.Cents {
	if start.IsZero() {
		return monthly
	}
	n := legalclock.DaysInMonth(start.Year(), start.Month())
	days := n - start.Day() + 1
	return ris.Cents((int64(monthly)*int64(days)*2 + int64(n)) / (2 * int64(n)))
}

// UrgentDecided records the president's urgent decision as an adopted decision. Idempotent by u.ID. The
// request is the file's open request of that kind, when there is one (it advances to decided).
func (s *Service) UrgentDecided(ctx context.Context, tenant string, u committee.UrgentState) error {
	id := UrgentDecisionID(u.ID)
	if _, err := s.Repo.Load(ctx, tenant, id); err == nil {
		return s.afterAdoption(ctx, tenant, id, "")
	} else if !errors.Is(err, kit.ErrNotFound) {
		return err
	}
	t := u.Terms
	b := Basis{PersonID: u.PersonRef, FileID: u.FileRef, Kind: u.Kind, Outcome: letter.Granted,
		Category: t.Category, MonthlyCents: t.MonthlyAmount, FirstMonthCents: prorate(t.MonthlyAmount, t.Start),
		Start: t.Start, End: t.End, Review: t.Review, PIIS: t.PIIS, Payee: Payee{Kind: PayeeBeneficiary},
		Motivation: strings.TrimSpace(u.Motivation), SocialWorker: u.President}
	if t.MonthlyAmount > 0 {
		b.Periodicity = letter.PaidMonthly
	}
	if s.Requests != nil {
		recs, err := s.Requests.Repo.Find(ctx, tenant, request.Query{File: u.FileRef, FileIDs: []string{u.FileRef}, Kind: u.Kind, OpenOnly: true, Limit: 1})
		if err != nil {
			return err
		}
		if len(recs) == 1 {
			b.RequestID, b.RequestNumber, b.Requested = recs[0].ID, recs[0].State.Number, recs[0].State.ReceivedOn
			b.Subtype = recs[0].State.Subtype
		}
	}
	decided := civil.Of(u.DecidedAt)
	d := Decision{Basis: b, DecidedOn: decided, Source: FromUrgent, UrgentID: u.ID, Ratification: string(committee.AwaitingRatification)}
	if err := s.adopt(ctx, tenant, id, d); err != nil {
		return err
	}
	return s.afterAdoption(ctx, tenant, id, "")
}

// adopt inserts the decision with its adoption event; an existing id (a retry that raced) is not an error.
func (s *Service) adopt(ctx context.Context, tenant, id string, d Decision) error {
	rules, err := s.rules(ctx, tenant)
	if err != nil {
		return err
	}
	d.Status, d.AdoptedAt = Adopted, s.now().UTC().Truncate(time.Millisecond)
	d.Basis.Motivation = strings.TrimSpace(d.Basis.Motivation)
	if d.Grants() && d.Periodicity != letter.PaidOnce && (d.Kind == legalclock.RIS || d.Kind == legalclock.ERIS || d.Periodicity == letter.PaidMonthly) {
		if !d.Review.IsZero() {
			d.ReviewDue = d.Review
		} else if dl, err := rules.YearlyReview(d.Start); err == nil {
			d.ReviewDue = dl.Due
		}
		d.ReviewWaiting = true
	}
	refresh(&d, rules)
	ev, err := events.New(TypeAdopted, EventSource, tenant, id, correlation(ctx, id), adoptedPayload(id, d))
	if err != nil {
		return err
	}
	err = s.Repo.Insert(ctx, tenant, id, d, ev)
	if errors.Is(err, store.ErrDuplicate) {
		return nil
	}
	return err
}

// afterAdoption redoes the idempotent steps that follow an adoption: the proposal marked decided, the request
// advanced to decided.
func (s *Service) afterAdoption(ctx context.Context, tenant, id, proposalID string) error {
	rec, err := s.Repo.Load(ctx, tenant, id)
	if err != nil {
		return err
	}
	if proposalID != "" && s.Proposals != nil {
		if err := s.Proposals.Decided(ctx, tenant, proposalID, id); err != nil {
			return err
		}
	}
	return s.advance(ctx, tenant, rec.State.RequestID, request.Decided)
}

func (s *Service) advance(ctx context.Context, tenant, requestID string, to request.Status) error {
	if requestID == "" || s.Requests == nil {
		return nil
	}
	_, err := s.Requests.Advance(ctx, tenant, requestID, to)
	if errors.Is(err, request.ErrWithdrawn) || errors.Is(err, kit.ErrNotFound) {
		return nil // nothing to move: the decision stands on its own
	}
	return err
}

// ratify records what a session did with an urgent decision: approved ratifies it, amended ratifies it with new
// terms (a revision when the amount changed), rejected ends it on the session's date.
func (s *Service) ratify(ctx context.Context, tenant, sessionID string, on civil.Date, it committee.Item) error {
	if it.Outcome != committee.Approved && it.Outcome != committee.Amended && it.Outcome != committee.Rejected {
		return nil
	}
	id := UrgentDecisionID(it.Ref)
	rules, err := s.rules(ctx, tenant)
	if err != nil {
		return err
	}
	for {
		rec, err := s.Repo.Load(ctx, tenant, id)
		if err != nil {
			return err
		}
		if rec.State.Ratification != string(committee.AwaitingRatification) {
			return nil // already recorded
		}
		_, err = s.Repo.Update(ctx, tenant, id, rec.Version, func(d *Decision) ([]events.Event, error) {
			var evs []events.Event
			if it.Outcome == committee.Rejected {
				d.Ratification = string(committee.RatificationRefused)
				d.Ending = &Ending{ID: childID("ending", id), Kind: "ratification_refused", Date: on, ReasonCode: "ratification_refused", DecidedOn: on, RecordedBy: "session:" + sessionID}
				d.Status = Terminated
				ev, err := s.event(ctx, TypeTerminated, tenant, id, terminatedPayload(id, *d))
				if err != nil {
					return nil, err
				}
				evs = append(evs, ev)
			} else {
				d.Ratification = string(committee.Ratified)
				if it.Outcome == committee.Amended && it.NewTerms != nil && it.NewTerms.MonthlyAmount != d.CurrentMonthly() {
					from := it.NewTerms.Start
					if from.Before(on) {
						from = on
					}
					r := Revision{ID: childID("ratification", id, sessionID), From: from, MonthlyCents: it.NewTerms.MonthlyAmount,
						Previous: d.CurrentMonthly(), Category: it.NewTerms.Category, Reason: it.AmendmentMotivationRef, DecidedOn: on,
						RecordedBy: "session:" + sessionID}
					d.Revisions = append(d.Revisions, r)
					ev, err := s.event(ctx, TypeRevised, tenant, id, revisedPayload(id, *d, r))
					if err != nil {
						return nil, err
					}
					evs = append(evs, ev)
				}
			}
			refresh(d, rules)
			return evs, nil
		})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		return err
	}
}

func (s *Service) event(ctx context.Context, typ, tenant, id string, payload any) (events.Event, error) {
	return events.New(typ, EventSource, tenant, id, correlation(ctx, id), payload)
}

// correlation is the request's id, or for a step no HTTP request carries (a session's outcome handed over by
// the housekeeping, the review loop) the decision's id.
func correlation(ctx context.Context, fallback string) string {
	if id := httpkit.RequestID(ctx); id != "" {
		return id
	}
	return fallback
}

// refresh recomputes the derived fields: running, and the board's earliest due date.
func refresh(d *Decision, rules legalclock.Rules) {
	refreshChangeAppeals(d)
	d.Running = d.running()
	if !d.Running {
		d.ReviewWaiting = false
	}
	d.BoardDue = civil.Date{}
	for _, due := range d.Dues(rules) {
		if d.BoardDue.IsZero() || due.Deadline.Due.Before(d.BoardDue) {
			d.BoardDue = due.Deadline.Due
		}
	}
	d.OnBoard = !d.BoardDue.IsZero()
}

// Due is something due on a decision, for the deadline board.
type Due struct {
	// Clock: notification, mediprima, piis_conclusion, review.
	Clock    string              `json:"clock"`
	Deadline legalclock.Deadline `json:"deadline"`
	// Change names the change the line is about ("revision:<id>", "termination:<id>"…); empty for the decision.
	Change string `json:"change,omitempty"`
}

// Dues lists what is due on d: the notification until notified (8 days), the beneficiary's appeal window once
// notified (3 months, until an appeal is lodged or the window closed), the MediPrima encoding of an AMU decision
// (45 days), the PIIS conclusion until signed then its next evaluation, and the review date once set.
func (d Decision) Dues(rules legalclock.Rules) []Due {
	var out []Due
	if d.Status == Adopted {
		if dl, err := legalclock.NotificationDue(d.DecidedOn); err == nil {
			out = append(out, Due{Clock: "notification", Deadline: dl})
		}
	}
	if d.Kind == legalclock.AMU && d.MediPrimaEncoded.IsZero() && !d.Over() {
		if dl, err := legalclock.MediPrimaEncodingDue(d.DecidedOn); err == nil {
			out = append(out, Due{Clock: "mediprima", Deadline: dl})
		}
	}
	if d.PIIS && d.running() && (d.PIISFollowUp == nil || d.PIISFollowUp.SignedOn.IsZero()) {
		if dl, err := rules.PIISConclusionDue(d.DecidedOn); err == nil {
			out = append(out, Due{Clock: "piis_conclusion", Deadline: dl})
		}
	}
	if d.PIIS && d.running() && d.PIISFollowUp != nil && !d.PIISFollowUp.SignedOn.IsZero() && rules.PIISEvaluationsPerYear > 0 {
		// The next evaluation: PIISEvaluationsPerYear a year from the signature, year after year.
		done, per := len(d.PIISFollowUp.Evaluations), rules.PIISEvaluationsPerYear
		base := legalclock.AddCalendarMonths(d.PIISFollowUp.SignedOn, 12*(done/per))
		if evs, err := rules.PIISEvaluations(base); err == nil && done%per < len(evs) {
			out = append(out, Due{Clock: "piis_evaluation", Deadline: evs[done%per]})
		}
	}
	if d.AppealOpen && d.Notification != nil && !d.Over() {
		out = append(out, Due{Clock: "appeal", Deadline: legalclock.Deadline{Reason: legalclock.ReasonAppeal, From: d.Notification.Date,
			Nominal: d.AppealDue, Due: d.AppealDue,
			FR: "Délai de recours du bénéficiaire jusqu'au " + legalclock.FormatDate(d.AppealDue, "fr") + " (3 mois après la notification du " + legalclock.FormatDate(d.Notification.Date, "fr") + ")",
			NL: "Beroepstermijn van de begunstigde tot " + legalclock.FormatDate(d.AppealDue, "nl") + " (3 maanden na de kennisgeving van " + legalclock.FormatDate(d.Notification.Date, "nl") + ")"}})
	}
	if d.ReviewWaiting && d.running() && !d.ReviewDue.IsZero() {
		out = append(out, Due{Clock: "review", Deadline: legalclock.Deadline{Reason: legalclock.ReasonReview, From: d.DecidedOn,
			Nominal: d.ReviewDue, Due: d.ReviewDue,
			FR: "Révision de la décision due le " + legalclock.FormatDate(d.ReviewDue, "fr"),
			NL: "Herziening van de beslissing uiterlijk op " + legalclock.FormatDate(d.ReviewDue, "nl")}})
	}
	return append(out, d.changeDues()...)
}

// viewer is a's access to files.
func (s *Service) viewer(ctx context.Context, a kit.Actor) (projection.Viewer, error) {
	return s.Proj.Viewer(ctx, a.Tenant, a.UserID, a.IsHead())
}

// load reads a decision a may see: finance all of the tenant's, the head all, a worker those of their files.
// Else ErrNotFound, as for a missing one.
func (s *Service) load(ctx context.Context, a kit.Actor, id string) (Record, projection.File, error) {
	rec, err := s.Repo.Load(ctx, a.Tenant, id)
	if err != nil {
		return rec, projection.File{}, err
	}
	file, err := s.Proj.File(ctx, a.Tenant, rec.State.FileID)
	if errors.Is(err, projection.ErrNotFound) {
		if isFinance(a) {
			return rec, projection.File{}, nil
		}
		return rec, file, kit.ErrNotFound
	} else if err != nil {
		return rec, file, err
	}
	if isFinance(a) {
		return rec, file, nil
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

// loadForChange reads a decision the social service may change (finance may not).
func (s *Service) loadForChange(ctx context.Context, a kit.Actor, id string) (Record, projection.File, error) {
	if isFinance(a) {
		return Record{}, projection.File{}, kit.ErrForbidden
	}
	return s.load(ctx, a, id)
}

// Get reads one decision, audited with the declared purpose.
func (s *Service) Get(ctx context.Context, a kit.Actor, id, purpose string) (Record, projection.File, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return Record{}, projection.File{}, err
	}
	rec, file, err := s.load(ctx, a, id)
	if err != nil {
		return rec, file, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "decision.read", ResourceType: "decision", ResourceID: id, FileID: rec.State.FileID, Purpose: purpose})
	return rec, file, nil
}

// List reads a page of decisions, audited.
func (s *Service) List(ctx context.Context, a kit.Actor, q Query, purpose string) ([]Record, error) {
	if err := kit.CheckPurpose(purpose); err != nil {
		return nil, err
	}
	if !a.IsHead() && !isFinance(a) {
		ids, err := s.Proj.WorkerFileIDs(ctx, a.Tenant, a.UserID)
		if err != nil {
			return nil, err
		}
		if ids == nil {
			ids = []string{}
		}
		q.FileIDs = ids
	}
	recs, err := s.Repo.Find(ctx, a.Tenant, q)
	if err != nil {
		return nil, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "decision.list", ResourceType: "decision", FileID: q.File, Purpose: purpose})
	return recs, nil
}

// LetterOf builds the letter of a decision (with the reader's name as social worker when the decision has none).
func (s *Service) letterOf(ctx context.Context, a kit.Actor, rec Record, file projection.File) (letter.Decision, error) {
	d := rec.State
	person, err := s.Proj.Person(ctx, a.Tenant, d.PersonID)
	if errors.Is(err, projection.ErrNotFound) {
		return letter.Decision{}, kit.ErrNotFound
	} else if err != nil {
		return letter.Decision{}, err
	}
	st, err := s.Settings.Get(ctx, a.Tenant)
	if err != nil {
		return letter.Decision{}, err
	}
	lang := letter.FR
	if person.Language == "nl" {
		lang = letter.NL
	}
	var addr letter.Address
	if p := person.Address; p != nil {
		street := p.Street + " " + p.Number
		if p.Box != "" {
			if lang == letter.NL {
				street += " bus " + p.Box
			} else {
				street += " bte " + p.Box
			}
		}
		addr = letter.Address{Street: street, PostalCode: p.PostcodeString(), City: p.Municipality}
	}
	worker := d.SocialWorkerName
	if worker == "" {
		worker = a.Name
	}
	legal := d.LegalBasis
	if strings.TrimSpace(legal) == "" && d.Source == FromUrgent {
		legal = urgentLegalBasis(d.Kind, lang)
	}
	justification := d.CategoryJustification
	if justification == "" && d.Source == FromUrgent && d.Category.Valid() {
		justification = urgentCategoryJustification(lang)
	}
	motivation := d.Motivation
	if d.Amended && d.AmendmentMotivation != "" {
		motivation = strings.TrimSpace(motivation + "\n\n" + d.AmendmentMotivation)
	}
	ld := letter.Decision{CPAS: st.State.CPAS(), Court: st.State.LabourCourt,
		Beneficiary:   letter.Beneficiary{Name: person.DisplayName(), Address: addr, Lang: lang},
		FileReference: file.Number, SocialWorker: worker, Outcome: d.Outcome, Kind: d.Kind, Subtype: d.Subtype,
		Requested: d.Requested, LegalBasis: legal, Category: d.Category, CategoryJustification: justification,
		Monthly: d.MonthlyCents, FirstMonth: d.FirstMonthCents, OneOff: d.OneOffCents, Start: d.Start, End: d.End,
		Review: d.Review, Paid: d.Periodicity, Working: d.Working, Conditions: d.Conditions, Motivation: motivation,
		Decided: d.DecidedOn}
	if d.Payee.Kind == PayeeThirdParty {
		ld.PaidTo = d.Payee.Name
	}
	if d.Notification != nil {
		ld.Notified = d.Notification.Date
	}
	return ld, nil
}

func urgentLegalBasis(k legalclock.Kind, lang letter.Lang) string {
	if lang == letter.NL {
		if k == legalclock.RIS {
			return "Artikelen 3 en 14 van de wet van 26 mei 2002 betreffende het recht op maatschappelijke integratie; artikel 28 van de organieke wet van 8 juli 1976 (dringende beslissing van de voorzitter)."
		}
		return "Artikelen 1 en 57 van de organieke wet van 8 juli 1976 betreffende de OCMW's; artikel 28 van die wet (dringende beslissing van de voorzitter)."
	}
	if k == legalclock.RIS {
		return "Articles 3 et 14 de la loi du 26 mai 2002 concernant le droit à l'intégration sociale ; article 28 de la loi organique du 8 juillet 1976 (décision urgente du président)."
	}
	return "Articles 1 et 57 de la loi organique des CPAS du 8 juillet 1976 ; article 28 de cette loi (décision urgente du président)."
}

func urgentCategoryJustification(lang letter.Lang) string {
	if lang == letter.NL {
		return "categorie vastgesteld door de voorzitter bij dringende beslissing, op basis van de gezinssamenstelling in het dossier."
	}
	return "catégorie fixée par le président en urgence, sur la base de la composition de ménage du dossier."
}

// Letter builds the decision letter in the beneficiary's language, audited. A letter lacking a mandatory
// mention is refused (409 with the missing mentions).
func (s *Service) Letter(ctx context.Context, a kit.Actor, id, purpose string) (letter.Document, error) {
	if isFinance(a) {
		return letter.Document{}, kit.ErrForbidden
	}
	rec, file, err := s.Get(ctx, a, id, purpose)
	if err != nil {
		return letter.Document{}, err
	}
	ld, err := s.letterOf(ctx, a, rec, file)
	if err != nil {
		return letter.Document{}, err
	}
	doc, err := letter.DecisionLetter(ld)
	var me *letter.MissingMentionsError
	if errors.As(err, &me) {
		return letter.Document{}, missingMentions(me.Missing)
	}
	return doc, err
}

// missingMentions is the problem of a letter lacking mentions: 409, one field per missing mention.
func missingMentions(m []letter.MissingMention) error {
	pe := &problem.Error{Type: problem.Conflict, Detail: "decision.letter_incomplete"}
	for _, x := range m {
		pe.Fields = append(pe.Fields, problem.Field("letter."+x.Field, "decision.mention_missing", "mention", string(x.Mention)))
	}
	return pe
}

// change runs fn on the decision a may change, read at version, with the tenant's rules; fn returns the events.
func (s *Service) change(ctx context.Context, a kit.Actor, id string, version int64, action string,
	fn func(d *Decision, rules legalclock.Rules) ([]events.Event, error)) (Record, error) {
	rec, _, err := s.loadForChange(ctx, a, id)
	if err != nil {
		return Record{}, err
	}
	if rec.Version != version {
		return Record{}, &store.ConflictError{Current: rec.Version}
	}
	rules, err := s.rules(ctx, a.Tenant)
	if err != nil {
		return Record{}, err
	}
	// Validate on the loaded state first: nothing is written when the input is refused.
	probe := rec.State
	if _, err := fn(&probe, rules); err != nil {
		return Record{}, err
	}
	var out Decision
	v, err := s.Repo.Update(ctx, a.Tenant, id, version, func(d *Decision) ([]events.Event, error) {
		evs, err := fn(d, rules)
		if err != nil {
			return nil, err
		}
		refresh(d, rules)
		out = *d
		return evs, nil
	})
	if err != nil {
		return Record{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: action, ResourceType: "decision", ResourceID: id, FileID: out.FileID})
	return Record{ID: id, Tenant: a.Tenant, Version: v, State: out}, nil
}

// Notify records the notification: the letter must carry every mandatory mention; the date is neither before
// the decision nor in the future. The request moves to notified and the appeal window runs. The same
// notification recorded again (a retry) changes nothing.
func (s *Service) Notify(ctx context.Context, a kit.Actor, id string, version int64, in NotificationInput) (Record, error) {
	rec, file, err := s.loadForChange(ctx, a, id)
	if err != nil {
		return Record{}, err
	}
	today := s.today()
	if n := rec.State.Notification; n != nil {
		if d, _ := civil.Parse(in.Date); n.Method == in.Method && n.Date == d && n.Reference == strings.TrimSpace(in.Reference) {
			return rec, s.advance(ctx, a.Tenant, rec.State.RequestID, request.Notified)
		}
		return Record{}, problem.New(problem.Conflict).WithDetail("decision.already_notified")
	}
	ld, err := s.letterOf(ctx, a, rec, file)
	if err != nil {
		return Record{}, err
	}
	if m := letter.CheckMentions(ld); len(m) > 0 {
		return Record{}, missingMentions(m)
	}
	date, err := in.Check(rec.State, today)
	if err != nil {
		return Record{}, err
	}
	appeal, err := legalclock.AppealWindowEnd(date)
	if err != nil {
		return Record{}, err
	}
	out, err := s.change(ctx, a, id, version, "decision.notify", func(d *Decision, _ legalclock.Rules) ([]events.Event, error) {
		if d.Notification != nil {
			return nil, problem.New(problem.Conflict).WithDetail("decision.already_notified")
		}
		d.Notification = &Notification{Method: in.Method, Reference: strings.TrimSpace(in.Reference), Date: date,
			AppealDue: appeal.Due, RecordedBy: a.UserID, RecordedAt: s.now().UTC().Truncate(time.Millisecond)}
		if d.Status == Adopted {
			d.Status = Notified
		}
		d.AppealOpen, d.AppealDue = true, appeal.Due
		ev, err := s.event(ctx, TypeNotified, a.Tenant, id, notifiedPayload(id, *d))
		return []events.Event{ev}, err
	})
	if err != nil {
		return Record{}, err
	}
	return out, s.advance(ctx, a.Tenant, out.State.RequestID, request.Notified)
}

// Revise records a new monthly amount from a date; with a calculation, recomputed with the tenant's tables; with
// a payee other than the current one, who is paid from the month of that date.
func (s *Service) Revise(ctx context.Context, a kit.Actor, id string, version int64, in RevisionInput) (Record, error) {
	today := s.today()
	var calc *ris.Calculator
	if in.Calculation != nil {
		if s.Calculator == nil {
			return Record{}, problem.Invalid(problem.Field("calculation", "decision.no_calculator"))
		}
		c, err := s.Calculator(ctx, a.Tenant)
		if err != nil {
			return Record{}, err
		}
		calc = c
	}
	return s.change(ctx, a, id, version, "decision.revise", func(d *Decision, rules legalclock.Rules) ([]events.Event, error) {
		in := in
		var working ris.Working
		if calc != nil {
			if d.Kind != legalclock.RIS && d.Kind != legalclock.ERIS {
				return nil, problem.Invalid(problem.Field("calculation", "decision.calculation_not_applicable"))
			}
			ci := *in.Calculation
			if f, err := civil.Parse(strings.TrimSpace(in.From)); err == nil {
				ci.From = f
			}
			if in.Category != 0 {
				ci.Category = in.Category
			} else if ci.Category == 0 {
				ci.Category = d.Category
			}
			res, err := calc.Calculate(ci)
			if err != nil {
				return nil, prefixFields(err, "calculation.")
			}
			if in.MonthlyCents == 0 {
				in.MonthlyCents = res.Monthly
			} else if in.MonthlyCents != res.Monthly {
				return nil, problem.Invalid(problem.Field("monthly_cents", "decision.amount_not_calculated", "calculated", int64(res.Monthly)))
			}
			if in.Category == 0 && ci.Category != d.Category {
				in.Category = ci.Category
			}
			working = res.Working
		}
		from, payee, err := in.check(*d)
		if err != nil {
			return nil, err
		}
		r := Revision{ID: childID("revision", id, from.String(), fmt.Sprint(len(d.Revisions))), From: from,
			MonthlyCents: in.MonthlyCents, Previous: d.CurrentMonthly(), Category: in.Category,
			Reason: strings.TrimSpace(in.Reason), DecidedOn: today, RecordedBy: a.UserID, Working: working, Payee: payee}
		d.Revisions = append(d.Revisions, r)
		if d.ReviewDue.IsZero() || d.ReviewWaiting {
			if dl, err := rules.YearlyReview(from); err == nil {
				d.ReviewDue, d.ReviewWaiting = dl.Due, true
			}
		}
		ev, err := s.event(ctx, TypeRevised, a.Tenant, id, revisedPayload(id, *d, r))
		return []events.Event{ev}, err
	})
}

// Suspend records a suspension (sanction) over a period no longer than the rules allow.
func (s *Service) Suspend(ctx context.Context, a kit.Actor, id string, version int64, in SuspensionInput) (Record, error) {
	today := s.today()
	return s.change(ctx, a, id, version, "decision.suspend", func(d *Decision, rules legalclock.Rules) ([]events.Event, error) {
		from, to, err := in.Check(*d, rules)
		if err != nil {
			return nil, err
		}
		sp := Suspension{ID: childID("suspension", id, from.String()), From: from, To: to, ReasonCode: in.ReasonCode,
			Repeated: in.Repeated, Note: strings.TrimSpace(in.Note), DecidedOn: today, RecordedBy: a.UserID}
		d.Suspensions = append(d.Suspensions, sp)
		ev, err := s.event(ctx, TypeSuspended, a.Tenant, id, suspendedPayload(id, *d, sp))
		return []events.Event{ev}, err
	})
}

// End withdraws (withdrawal true) or terminates a running decision.
func (s *Service) End(ctx context.Context, a kit.Actor, id string, version int64, withdrawal bool, in EndingInput) (Record, error) {
	today := s.today()
	codes, kind, status, action := TerminationReasons, "termination", Terminated, "decision.terminate"
	if withdrawal {
		codes, kind, status, action = WithdrawalReasons, "withdrawal", Withdrawn, "decision.withdraw"
	}
	return s.change(ctx, a, id, version, action, func(d *Decision, _ legalclock.Rules) ([]events.Event, error) {
		date, err := in.Check(*d, codes, withdrawal)
		if err != nil {
			return nil, err
		}
		d.Ending = &Ending{ID: childID("ending", id), Kind: kind, Date: date, ReasonCode: in.ReasonCode, Note: strings.TrimSpace(in.Note), DecidedOn: today, RecordedBy: a.UserID}
		d.Status = status
		ev, err := s.event(ctx, TypeTerminated, a.Tenant, id, terminatedPayload(id, *d))
		return []events.Event{ev}, err
	})
}

// Recover records a recovery decision (art. 24): a receivable for the payments.
func (s *Service) Recover(ctx context.Context, a kit.Actor, id string, version int64, in RecoveryInput) (Record, error) {
	today := s.today()
	return s.change(ctx, a, id, version, "decision.recover", func(d *Decision, _ legalclock.Rules) ([]events.Event, error) {
		from, to, err := in.Check(*d)
		if err != nil {
			return nil, err
		}
		r := Recovery{ID: childID("recovery", id, fmt.Sprint(len(d.Recoveries))), Case: in.Case, AmountCents: in.AmountCents,
			PeriodFrom: from, PeriodTo: to, Reason: strings.TrimSpace(in.Reason), DecidedOn: today, RecordedBy: a.UserID}
		d.Recoveries = append(d.Recoveries, r)
		ev, err := s.event(ctx, TypeRecoveryDecided, a.Tenant, id, recoveryPayload(id, *d, r))
		return []events.Event{ev}, err
	})
}

// LodgeAppeal records an appeal to the labour court.
func (s *Service) LodgeAppeal(ctx context.Context, a kit.Actor, id string, version int64, in AppealInput) (Record, error) {
	today := s.today()
	return s.change(ctx, a, id, version, "decision.appeal", func(d *Decision, _ legalclock.Rules) ([]events.Event, error) {
		date, err := in.Check(*d, today)
		if err != nil {
			return nil, err
		}
		ap := Appeal{LodgedOn: date, CourtReference: strings.TrimSpace(in.CourtReference), RecordedBy: a.UserID}
		d.Appeals = append(d.Appeals, ap)
		d.AppealOpen = false
		ev, err := s.event(ctx, TypeAppealLodged, a.Tenant, id, appealPayload(id, *d, ap))
		return []events.Event{ev}, err
	})
}

// Judge records the judgment of the pending appeal.
func (s *Service) Judge(ctx context.Context, a kit.Actor, id string, version int64, in JudgmentInput) (Record, error) {
	today := s.today()
	return s.change(ctx, a, id, version, "decision.judgment", func(d *Decision, _ legalclock.Rules) ([]events.Event, error) {
		date, err := in.Check(*d, today)
		if err != nil {
			return nil, err
		}
		ap := &d.Appeals[len(d.Appeals)-1]
		ap.JudgedOn, ap.Judgment = date, in.Judgment
		ev, err := s.event(ctx, TypeAppealJudged, a.Tenant, id, appealPayload(id, *d, *ap))
		return []events.Event{ev}, err
	})
}

// FollowPIIS records the PIIS's signature and evaluations (no event: the board's PIIS line clears).
func (s *Service) FollowPIIS(ctx context.Context, a kit.Actor, id string, version int64, in PIISInput) (Record, error) {
	today := s.today()
	return s.change(ctx, a, id, version, "decision.piis", func(d *Decision, _ legalclock.Rules) ([]events.Event, error) {
		p, err := in.Check(*d, today)
		if err != nil {
			return nil, err
		}
		d.PIISFollowUp = &p
		return nil, nil
	})
}

// MediPrimaInput records the MediPrima encoding of an AMU decision.
type MediPrimaInput struct {
	EncodedOn string `json:"encoded_on"`
}

// EncodeMediPrima records that an AMU decision was encoded in MediPrima.
func (s *Service) EncodeMediPrima(ctx context.Context, a kit.Actor, id string, version int64, in MediPrimaInput) (Record, error) {
	today := s.today()
	return s.change(ctx, a, id, version, "decision.mediprima", func(d *Decision, _ legalclock.Rules) ([]events.Event, error) {
		if d.Kind != legalclock.AMU {
			return nil, problem.New(problem.Conflict).WithDetail("decision.not_amu")
		}
		var fs problem.Fields
		date := checkDate(&fs, "encoded_on", in.EncodedOn)
		if !date.IsZero() && date.Before(d.DecidedOn) {
			fs.Add("encoded_on", "decision.before_decision")
		} else if date.After(today) {
			fs.Add("encoded_on", "decision.date_in_future")
		}
		if err := fs.Err(); err != nil {
			return nil, err
		}
		d.MediPrimaEncoded = date
		return nil, nil
	})
}

// WorkingLine is a line of the resource calculation typed for the letter (label in the letter's language, amount
// in cents; negative takes off).
type WorkingLine struct {
	Label       string    `json:"label"`
	AmountCents ris.Cents `json:"amount_cents"`
}

// LetterTextsInput completes the texts of an urgent decision's letter: the president's decision carries terms
// and a motivation, not the legal grounds, the category's justification nor the resource calculation.
type LetterTextsInput struct {
	LegalBasis            string        `json:"legal_basis"`
	CategoryJustification string        `json:"category_justification"`
	Motivation            string        `json:"motivation"`
	Working               []WorkingLine `json:"working"`
}

// CompleteLetter sets the texts of an urgent decision's letter, until it is notified.
func (s *Service) CompleteLetter(ctx context.Context, a kit.Actor, id string, version int64, in LetterTextsInput) (Record, error) {
	return s.change(ctx, a, id, version, "decision.letter_texts", func(d *Decision, _ legalclock.Rules) ([]events.Event, error) {
		if d.Source != FromUrgent {
			return nil, problem.New(problem.Conflict).WithDetail("decision.texts_of_committee")
		}
		if d.Notification != nil {
			return nil, problem.New(problem.Conflict).WithDetail("decision.already_notified")
		}
		var fs problem.Fields
		legal := checkText(&fs, "legal_basis", in.LegalBasis, true, 2000)
		just := checkText(&fs, "category_justification", in.CategoryJustification, d.Kind == legalclock.RIS && d.Grants(), 1000)
		motivation := checkText(&fs, "motivation", in.Motivation, true, 4000)
		var working ris.Working
		for i, l := range in.Working {
			label := checkText(&fs, "working."+itoa(i)+".label", l.Label, true, 200)
			working = append(working, ris.Line{Code: "typed", FR: label, NL: label, Amount: l.AmountCents})
		}
		if len(in.Working) > 20 {
			fs.Add("working", "decision.text_too_long")
		}
		if d.Kind == legalclock.RIS && d.Grants() && len(working) == 0 {
			fs.Add("working", "required")
		}
		if err := fs.Err(); err != nil {
			return nil, err
		}
		d.LegalBasis, d.CategoryJustification, d.Motivation, d.Working = legal, just, motivation, working
		return nil, nil
	})
}

// prefixFields puts prefix before the fields of a validation problem (a calculation's errors under
// "calculation.").
func prefixFields(err error, prefix string) error {
	var pe *problem.Error
	if !errors.As(err, &pe) || len(pe.Fields) == 0 {
		return err
	}
	out := *pe
	out.Fields = make([]problem.FieldError, len(pe.Fields))
	for i, f := range pe.Fields {
		f.Field = prefix + f.Field
		out.Fields[i] = f
	}
	return &out
}
