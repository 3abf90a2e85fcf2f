package decision

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/projection"
)

// ChangeNotice is the notification of a decision taken after the adoption (a change): its own method, date and
// appeal window (3 months from this notification).
type ChangeNotice struct {
	Change       letter.ChangeKind `bson:"change" json:"change"`
	ChangeID     string            `bson:"change_id" json:"change_id"`
	Notification `bson:",inline"`
	// AppealOpen: the appeal window against the change runs (the housekeeping round closes it once past).
	AppealOpen bool `bson:"appeal_open" json:"appeal_open"`
}

// ChangeRef is a change of a decision as listed: kind, id (the revision's, suspension's or recovery's id;
// EndingID for a withdrawal or termination), date, and its notification once recorded.
type ChangeRef struct {
	Change    letter.ChangeKind `json:"change"`
	ID        string            `json:"id"`
	DecidedOn civil.Date        `json:"decided_on"`
	Notice    *ChangeNotice     `json:"notification,omitempty"`
}

// legacyEndingID names the ending of a decision recorded before endings had an id.
const legacyEndingID = "ending"

func endingID(e *Ending) string {
	if e.ID != "" {
		return e.ID
	}
	return legacyEndingID
}

// changeIDPattern is what a change id looks like in a path.
var changeIDPattern = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|ending)$`)

// Changes lists the decisions taken after the adoption, in the order they were recorded by kind: revisions,
// suspensions, recoveries, then the ending (withdrawal, termination or refused ratification).
func (d Decision) Changes() []ChangeRef {
	out := []ChangeRef{}
	for _, r := range d.Revisions {
		out = append(out, ChangeRef{Change: letter.ChangeRevision, ID: r.ID, DecidedOn: r.DecidedOn})
	}
	for _, s := range d.Suspensions {
		out = append(out, ChangeRef{Change: letter.ChangeSuspension, ID: s.ID, DecidedOn: s.DecidedOn})
	}
	for _, r := range d.Recoveries {
		out = append(out, ChangeRef{Change: letter.ChangeRecovery, ID: r.ID, DecidedOn: r.DecidedOn})
	}
	if e := d.Ending; e != nil {
		k := letter.ChangeTermination
		if e.Kind == "withdrawal" {
			k = letter.ChangeWithdrawal
		}
		out = append(out, ChangeRef{Change: k, ID: endingID(e), DecidedOn: e.DecidedOn})
	}
	for i := range out {
		out[i].Notice = d.changeNotice(out[i].ID)
	}
	return out
}

func (d Decision) changeNotice(id string) *ChangeNotice {
	for i := range d.ChangeNotices {
		if d.ChangeNotices[i].ChangeID == id {
			n := d.ChangeNotices[i]
			return &n
		}
	}
	return nil
}

// change finds the change id of d.
func (d Decision) change(id string) (ChangeRef, bool) {
	for _, c := range d.Changes() {
		if c.ID == id {
			return c, true
		}
	}
	return ChangeRef{}, false
}

// changeDues are the board's lines of the changes: the notification of each change not notified (8 days from
// its date) and the appeal window of each change notified while it runs.
func (d Decision) changeDues() []Due {
	var out []Due
	for _, c := range d.Changes() {
		ref := string(c.Change) + ":" + c.ID
		nameFR, nameNL := letter.ChangeName(c.Change, letter.FR), letter.ChangeName(c.Change, letter.NL)
		if c.Notice == nil {
			if dl, err := legalclock.NotificationDue(c.DecidedOn); err == nil {
				dl.FR = "Décision de " + nameFR + " du " + legalclock.FormatDate(c.DecidedOn, "fr") + " : " + dl.FR
				dl.NL = "Beslissing tot " + nameNL + " van " + legalclock.FormatDate(c.DecidedOn, "nl") + ": " + dl.NL
				out = append(out, Due{Clock: "notification", Deadline: dl, Change: ref})
			}
			continue
		}
		if n := c.Notice; n.AppealOpen {
			out = append(out, Due{Clock: "appeal", Change: ref, Deadline: legalclock.Deadline{Reason: legalclock.ReasonAppeal,
				From: n.Date, Nominal: n.AppealDue, Due: n.AppealDue,
				FR: "Délai de recours contre la décision de " + nameFR + " jusqu'au " + legalclock.FormatDate(n.AppealDue, "fr") + " (3 mois après sa notification du " + legalclock.FormatDate(n.Date, "fr") + ")",
				NL: "Beroepstermijn tegen de beslissing tot " + nameNL + " tot " + legalclock.FormatDate(n.AppealDue, "nl") + " (3 maanden na de kennisgeving van " + legalclock.FormatDate(n.Date, "nl") + ")"}})
		}
	}
	return out
}

// refreshChangeAppeals sets the index of the changes' appeal windows (the earliest still open).
func refreshChangeAppeals(d *Decision) {
	d.ChangeAppealOpen, d.ChangeAppealDue = false, civil.Date{}
	for _, n := range d.ChangeNotices {
		if n.AppealOpen && (!d.ChangeAppealOpen || n.AppealDue.Before(d.ChangeAppealDue)) {
			d.ChangeAppealOpen, d.ChangeAppealDue = true, n.AppealDue
		}
	}
}

// closeChangeAppeals closes the changes' appeal windows past today; it reports whether one closed.
func closeChangeAppeals(d *Decision, today civil.Date) bool {
	closed := false
	for i := range d.ChangeNotices {
		if n := &d.ChangeNotices[i]; n.AppealOpen && n.AppealDue.Before(today) {
			n.AppealOpen, closed = false, true
		}
	}
	refreshChangeAppeals(d)
	return closed
}

// changeLetterOf builds the letter of change c of rec.
func (s *Service) changeLetterOf(ctx context.Context, a kit.Actor, rec Record, file projection.File, c ChangeRef) (letter.Change, error) {
	ld, err := s.letterOf(ctx, a, rec, file)
	if err != nil {
		return letter.Change{}, err
	}
	d := rec.State
	lang := ld.Beneficiary.Lang
	lc := letter.Change{CPAS: ld.CPAS, Court: ld.Court, Beneficiary: ld.Beneficiary, FileReference: ld.FileReference,
		SocialWorker: ld.SocialWorker, Kind: d.Kind, Subtype: d.Subtype, Change: c.Change, Original: d.DecidedOn, Decided: c.DecidedOn}
	if c.Notice != nil {
		lc.Notified = c.Notice.Date
	}
	with := func(code, note string) string {
		t := letter.ReasonText(c.Change, code, lang)
		if t != "" {
			t = strings.ToUpper(t[:1]) + t[1:] + "."
		}
		return strings.TrimSpace(t + " " + strings.TrimSpace(note))
	}
	switch c.Change {
	case letter.ChangeRevision:
		for _, r := range d.Revisions {
			if r.ID == c.ID {
				lc.From, lc.Monthly, lc.Previous, lc.Category, lc.Working, lc.Motivation = r.From, r.MonthlyCents, r.Previous, r.Category, r.Working, r.Reason
				lc.PaidTo, lc.PayeeChanged = letterPayee(d, r)
			}
		}
	case letter.ChangeSuspension:
		for _, sp := range d.Suspensions {
			if sp.ID == c.ID {
				lc.From, lc.To, lc.Motivation = sp.From, sp.To, with(sp.ReasonCode, sp.Note)
			}
		}
	case letter.ChangeRecovery:
		for _, r := range d.Recoveries {
			if r.ID == c.ID {
				lc.From, lc.To, lc.Amount, lc.Case, lc.Motivation = r.PeriodFrom, r.PeriodTo, r.AmountCents, r.Case, r.Reason
			}
		}
	default:
		e := d.Ending
		lc.From, lc.Motivation = e.Date, with(e.ReasonCode, e.Note)
		if e.Kind == "ratification_refused" {
			lc.Motivation = with("ratification_refused", e.Note)
		}
	}
	return lc, nil
}

// loadChange reads decision id and its change changeID, as a may see them.
func (s *Service) loadChange(rec Record, changeID string) (ChangeRef, error) {
	if !changeIDPattern.MatchString(changeID) {
		return ChangeRef{}, kit.ErrNotFound
	}
	c, ok := rec.State.change(changeID)
	if !ok {
		return ChangeRef{}, kit.ErrNotFound
	}
	return c, nil
}

// ChangeLetter builds the letter of a change in the beneficiary's language, audited. A letter lacking a
// mandatory mention is refused (409 with the missing mentions).
func (s *Service) ChangeLetter(ctx context.Context, a kit.Actor, id, changeID, purpose string) (letter.Document, error) {
	if isFinance(a) {
		return letter.Document{}, kit.ErrForbidden
	}
	rec, file, err := s.Get(ctx, a, id, purpose)
	if err != nil {
		return letter.Document{}, err
	}
	c, err := s.loadChange(rec, changeID)
	if err != nil {
		return letter.Document{}, err
	}
	lc, err := s.changeLetterOf(ctx, a, rec, file, c)
	if err != nil {
		return letter.Document{}, err
	}
	doc, err := letter.ChangeLetter(lc)
	var me *letter.MissingMentionsError
	if errors.As(err, &me) {
		return letter.Document{}, missingMentions(me.Missing)
	}
	return doc, err
}

// NotifyChange records the notification of a change: its letter must carry every mandatory mention; the date is
// neither before the change nor in the future. The change's appeal window runs from it. The same notification
// recorded again (a retry) changes nothing; another one is refused.
func (s *Service) NotifyChange(ctx context.Context, a kit.Actor, id, changeID string, version int64, in NotificationInput) (Record, error) {
	rec, file, err := s.loadForChange(ctx, a, id)
	if err != nil {
		return Record{}, err
	}
	c, err := s.loadChange(rec, changeID)
	if err != nil {
		return Record{}, err
	}
	if n := c.Notice; n != nil {
		if d, _ := civil.Parse(strings.TrimSpace(in.Date)); n.Method == in.Method && n.Date == d && n.Reference == strings.TrimSpace(in.Reference) {
			return rec, nil
		}
		return Record{}, problem.New(problem.Conflict).WithDetail("decision.change_already_notified")
	}
	lc, err := s.changeLetterOf(ctx, a, rec, file, c)
	if err != nil {
		return Record{}, err
	}
	if m := letter.CheckChangeMentions(lc); len(m) > 0 {
		return Record{}, missingMentions(m)
	}
	// The change's date is the one the notification may not precede.
	date, err := in.Check(Decision{DecidedOn: c.DecidedOn}, s.today())
	if err != nil {
		var pe *problem.Error
		if errors.As(err, &pe) {
			for i := range pe.Fields {
				if pe.Fields[i].Code == "decision.notified_before_decision" {
					pe.Fields[i].Code = "decision.notified_before_change"
				}
			}
		}
		return Record{}, err
	}
	appeal, err := legalclock.AppealWindowEnd(date)
	if err != nil {
		return Record{}, err
	}
	return s.change(ctx, a, id, version, "decision.notify_change", func(d *Decision, _ legalclock.Rules) ([]events.Event, error) {
		if _, ok := d.change(changeID); !ok {
			return nil, kit.ErrNotFound
		}
		if d.changeNotice(changeID) != nil {
			return nil, problem.New(problem.Conflict).WithDetail("decision.change_already_notified")
		}
		n := ChangeNotice{Change: c.Change, ChangeID: changeID, AppealOpen: true,
			Notification: Notification{Method: in.Method, Reference: strings.TrimSpace(in.Reference), Date: date,
				AppealDue: appeal.Due, RecordedBy: a.UserID, RecordedAt: s.now().UTC().Truncate(time.Millisecond)}}
		d.ChangeNotices = append(d.ChangeNotices, n)
		refreshChangeAppeals(d)
		ev, err := s.event(ctx, TypeChangeNotified, a.Tenant, id, changeNotifiedPayload(id, *d, n))
		return []events.Event{ev}, err
	})
}

// ChangeNotifiedPayload: a decision taken after the adoption was notified; its appeal window runs until
// AppealDue.
type ChangeNotifiedPayload struct {
	DecisionID string             `json:"decision_id"`
	Change     letter.ChangeKind  `json:"change"`
	ChangeID   string             `json:"change_id"`
	RequestID  string             `json:"request_id,omitempty"`
	PersonID   string             `json:"person_id"`
	FileID     string             `json:"file_id"`
	Method     NotificationMethod `json:"method"`
	NotifiedOn civil.Date         `json:"notified_on"`
	AppealDue  civil.Date         `json:"appeal_due"`
}

func changeNotifiedPayload(id string, d Decision, n ChangeNotice) ChangeNotifiedPayload {
	return ChangeNotifiedPayload{DecisionID: id, Change: n.Change, ChangeID: n.ChangeID, RequestID: d.RequestID,
		PersonID: d.PersonID, FileID: d.FileID, Method: n.Method, NotifiedOn: n.Date, AppealDue: n.AppealDue}
}
