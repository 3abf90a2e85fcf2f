// Package decision keeps the decisions the committee (or its president, urgently) adopted on aid requests
// (domain.md §2–§4): adopted from a session's item or an urgent decision with the proposal's basis, each under a
// deterministic id so that a retry never decides twice; the decision letter with every mandatory mention in the
// beneficiary's language; the notification (registered letter or receipt) that starts the appeal window; and what
// follows: revision, suspension, withdrawal, termination, recovery (art. 24), appeal lodged and judged, PIIS
// follow-up, and the yearly review that asks the registry for a review task.
package decision

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/ris"
)

// PayeeKind says who receives the payments.
type PayeeKind string

// The payees.
const (
	PayeeBeneficiary PayeeKind = "beneficiary"
	PayeeThirdParty  PayeeKind = "third_party"
)

// Payee is who is paid: the beneficiary's account (the registry's payee), or a third party (e.g. a landlord for
// a rent guarantee) with its name and IBAN, and the structured communication (OGM, 12 digits) it asked for.
type Payee struct {
	Kind          PayeeKind `bson:"kind" json:"kind"`
	Name          string    `bson:"name,omitempty" json:"name,omitempty"`
	IBAN          string    `bson:"iban,omitempty" json:"iban,omitempty"`
	Communication string    `bson:"communication,omitempty" json:"communication,omitempty"`
}

// Basis is what a decision letter and the payments need from a proposal. Package proposal fills it
// (proposal.Service.DecisionBasis, adapted in run.go); the texts are in the beneficiary's language.
type Basis struct {
	ProposalID            string             `bson:"proposal_id,omitempty" json:"proposal_id,omitempty"`
	RequestID             string             `bson:"request_id,omitempty" json:"request_id,omitempty"`
	RequestNumber         string             `bson:"request_number,omitempty" json:"request_number,omitempty"`
	PersonID              string             `bson:"person_id" json:"person_id"`
	FileID                string             `bson:"file_id" json:"file_id"`
	Kind                  legalclock.Kind    `bson:"kind" json:"kind"`
	Subtype               letter.Subtype     `bson:"subtype,omitempty" json:"subtype,omitempty"`
	Outcome               letter.Outcome     `bson:"outcome" json:"outcome"`
	LegalBasis            string             `bson:"legal_basis" json:"legal_basis,omitempty"`
	Category              ris.Category       `bson:"category,omitempty" json:"category,omitempty"`
	CategoryJustification string             `bson:"category_justification,omitempty" json:"category_justification,omitempty"`
	MonthlyCents          ris.Cents          `bson:"monthly_cents" json:"monthly_cents"`
	FirstMonthCents       ris.Cents          `bson:"first_month_cents" json:"first_month_cents"`
	OneOffCents           ris.Cents          `bson:"one_off_cents" json:"one_off_cents"`
	Start                 civil.Date         `bson:"start" json:"start,omitzero"`
	End                   civil.Date         `bson:"end,omitempty" json:"end,omitzero"`
	Review                civil.Date         `bson:"review,omitempty" json:"review,omitzero"`
	Periodicity           letter.Periodicity `bson:"periodicity,omitempty" json:"periodicity,omitempty"`
	PIIS                  bool               `bson:"piis" json:"piis"`
	Payee                 Payee              `bson:"payee" json:"payee"`
	Working               ris.Working        `bson:"working,omitempty" json:"working,omitempty"`
	Conditions            []letter.Condition `bson:"conditions,omitempty" json:"conditions,omitempty"`
	Motivation            string             `bson:"motivation,omitempty" json:"motivation,omitempty"`
	// SocialWorker is the user id of the worker who wrote the proposal; SocialWorkerName their display name
	// for the letter (the reader's name is printed when empty).
	SocialWorker     string `bson:"social_worker,omitempty" json:"social_worker,omitempty"`
	SocialWorkerName string `bson:"social_worker_name,omitempty" json:"social_worker_name,omitempty"`
	// Requested is the date the request was received.
	Requested civil.Date `bson:"requested,omitempty" json:"requested,omitzero"`
}

// Source says how a decision was taken.
type Source string

// The sources.
const (
	FromSession Source = "session"
	FromUrgent  Source = "urgent"
)

// Status is where a decision stands.
type Status string

// The statuses. Adopted and notified decisions run (a grant pays); suspended runs again after its period;
// withdrawn and terminated ones are over.
const (
	Adopted    Status = "adopted"
	Notified   Status = "notified"
	Withdrawn  Status = "withdrawn"
	Terminated Status = "terminated"
)

// NotificationMethod is how the decision reached the beneficiary (loi DIS art. 21 §3).
type NotificationMethod string

// The methods.
const (
	RegisteredLetter NotificationMethod = "registered_letter"
	ReceiptSigned    NotificationMethod = "receipt_signed"
	Handed           NotificationMethod = "handed"
)

// Notification records the notification.
type Notification struct {
	Method NotificationMethod `bson:"method" json:"method"`
	// Reference is the registered letter's number (registered_letter) or the receipt's reference.
	Reference  string     `bson:"reference,omitempty" json:"reference,omitempty"`
	Date       civil.Date `bson:"date" json:"date"`
	AppealDue  civil.Date `bson:"appeal_due" json:"appeal_due"`
	RecordedBy string     `bson:"recorded_by" json:"recorded_by"`
	RecordedAt time.Time  `bson:"recorded_at" json:"recorded_at"`
}

// Revision is a new amount from a date.
type Revision struct {
	ID           string       `bson:"id" json:"id"`
	From         civil.Date   `bson:"from" json:"from"`
	MonthlyCents ris.Cents    `bson:"monthly_cents" json:"monthly_cents"`
	Previous     ris.Cents    `bson:"previous_cents" json:"previous_cents"`
	Category     ris.Category `bson:"category,omitempty" json:"category,omitempty"`
	Reason       string       `bson:"reason" json:"reason,omitempty"`
	DecidedOn    civil.Date   `bson:"decided_on" json:"decided_on"`
	RecordedBy   string       `bson:"recorded_by" json:"recorded_by"`
	// Working is the recomputation's working, when the revision was recomputed.
	Working ris.Working `bson:"working,omitempty" json:"working,omitempty"`
	// Payee is the new payee from the month of From, when the revision changed who is paid (payee.go).
	Payee *Payee `bson:"payee,omitempty" json:"payee,omitempty"`
}

// Suspension is a sanction over a period.
type Suspension struct {
	ID         string     `bson:"id" json:"id"`
	From       civil.Date `bson:"from" json:"from"`
	To         civil.Date `bson:"to" json:"to"`
	ReasonCode string     `bson:"reason_code" json:"reason_code"`
	Repeated   bool       `bson:"repeated" json:"repeated"`
	Note       string     `bson:"note,omitempty" json:"note,omitempty"`
	DecidedOn  civil.Date `bson:"decided_on" json:"decided_on"`
	RecordedBy string     `bson:"recorded_by" json:"recorded_by"`
}

// Ending is a withdrawal, a termination, or the end of an urgent decision the committee refused to ratify.
type Ending struct {
	// ID names the ending as a change (its letter and notification); "ending" for one recorded without.
	ID         string     `bson:"id,omitempty" json:"id,omitempty"`
	Kind       string     `bson:"kind" json:"kind"` // withdrawal | termination | ratification_refused
	Date       civil.Date `bson:"date" json:"date"`
	ReasonCode string     `bson:"reason_code" json:"reason_code"`
	Note       string     `bson:"note,omitempty" json:"note,omitempty"`
	DecidedOn  civil.Date `bson:"decided_on" json:"decided_on"`
	RecordedBy string     `bson:"recorded_by" json:"recorded_by"`
}

// Recovery is a decision to recover aid paid (art. 24 loi DIS): a receivable for the payments.
type Recovery struct {
	ID          string     `bson:"id" json:"id"`
	Case        string     `bson:"case" json:"case"`
	AmountCents ris.Cents  `bson:"amount_cents" json:"amount_cents"`
	PeriodFrom  civil.Date `bson:"period_from" json:"period_from"`
	PeriodTo    civil.Date `bson:"period_to" json:"period_to"`
	Reason      string     `bson:"reason" json:"reason,omitempty"`
	DecidedOn   civil.Date `bson:"decided_on" json:"decided_on"`
	RecordedBy  string     `bson:"recorded_by" json:"recorded_by"`
}

// Appeal is an appeal to the labour court and its judgment.
type Appeal struct {
	LodgedOn       civil.Date `bson:"lodged_on" json:"lodged_on"`
	CourtReference string     `bson:"court_reference" json:"court_reference"`
	JudgedOn       civil.Date `bson:"judged_on,omitempty" json:"judged_on,omitzero"`
	Judgment       string     `bson:"judgment,omitempty" json:"judgment,omitempty"` // confirmed | annulled | reformed
	RecordedBy     string     `bson:"recorded_by" json:"recorded_by"`
}

// PIIS is the follow-up of the integration project.
type PIIS struct {
	SignedOn    civil.Date   `bson:"signed_on,omitempty" json:"signed_on,omitzero"`
	Evaluations []civil.Date `bson:"evaluations,omitempty" json:"evaluations,omitempty"`
	Note        string       `bson:"note,omitempty" json:"note,omitempty"`
}

// Decision is an adopted decision.
type Decision struct {
	Basis `bson:",inline"`
	// Source, SessionID and ItemRef (session), UrgentID (urgent): where it was taken.
	Source    Source `bson:"source" json:"source"`
	SessionID string `bson:"session_id,omitempty" json:"session_id,omitempty"`
	ItemRef   string `bson:"item_ref,omitempty" json:"item_ref,omitempty"`
	UrgentID  string `bson:"urgent_id,omitempty" json:"urgent_id,omitempty"`
	// Amended: the committee changed the proposed terms, for AmendmentMotivation.
	Amended             bool       `bson:"amended" json:"amended"`
	AmendmentMotivation string     `bson:"amendment_motivation,omitempty" json:"amendment_motivation,omitempty"`
	DecidedOn           civil.Date `bson:"decided_on" json:"decided_on"`
	AdoptedAt           time.Time  `bson:"adopted_at" json:"adopted_at"`
	Status              Status     `bson:"status" json:"status"`
	// Ratification of an urgent decision: awaiting, ratified, refused.
	Ratification string `bson:"ratification,omitempty" json:"ratification,omitempty"`
	// Running: a grant in force (the index of the review and of the consumer).
	Running      bool          `bson:"running" json:"running"`
	Notification *Notification `bson:"notification,omitempty" json:"notification,omitempty"`
	Revisions    []Revision    `bson:"revisions,omitempty" json:"revisions,omitempty"`
	Suspensions  []Suspension  `bson:"suspensions,omitempty" json:"suspensions,omitempty"`
	Ending       *Ending       `bson:"ending,omitempty" json:"ending,omitempty"`
	Recoveries   []Recovery    `bson:"recoveries,omitempty" json:"recoveries,omitempty"`
	Appeals      []Appeal      `bson:"appeals,omitempty" json:"appeals,omitempty"`
	PIISFollowUp *PIIS         `bson:"piis_follow_up,omitempty" json:"piis_follow_up,omitempty"`
	// ReviewDue is the next review date; ReviewRequested the review date a task was requested for (once).
	ReviewDue       civil.Date `bson:"review_due,omitempty" json:"review_due,omitzero"`
	ReviewRequested civil.Date `bson:"review_requested,omitempty" json:"review_requested,omitzero"`
	// AppealOpen: notified, the appeal window (until AppealDue) runs and no appeal was lodged; the housekeeping
	// round closes it once the date is past.
	AppealOpen bool       `bson:"appeal_open" json:"-"`
	AppealDue  civil.Date `bson:"appeal_due,omitempty" json:"-"`
	// ReviewWaiting: ReviewDue is set and its task not yet requested (the housekeeping loop's index).
	ReviewWaiting bool `bson:"review_waiting" json:"-"`
	// BoardDue is the earliest due date of what the board shows for this decision (zero when nothing is due).
	BoardDue civil.Date `bson:"board_due,omitempty" json:"-"`
	OnBoard  bool       `bson:"on_board" json:"-"`
	// Tasks are the ids of the review tasks requested (once each).
	Tasks []string `bson:"tasks,omitempty" json:"tasks,omitempty"`
	// MediPrimaEncoded: an AMU decision encoded in MediPrima (clears the board's 45-day line).
	MediPrimaEncoded civil.Date `bson:"mediprima_encoded,omitempty" json:"mediprima_encoded,omitzero"`
	// ChangeNotices are the notifications of the changes (revisions, suspensions, recoveries, the ending), one
	// per change; ChangeAppealOpen/ChangeAppealDue index the earliest appeal window still open among them.
	ChangeNotices    []ChangeNotice `bson:"change_notices,omitempty" json:"change_notices,omitempty"`
	ChangeAppealOpen bool           `bson:"change_appeal_open" json:"-"`
	ChangeAppealDue  civil.Date     `bson:"change_appeal_due,omitempty" json:"-"`
}

// Grants reports whether the decision grants something.
func (d Decision) Grants() bool {
	return d.Outcome == letter.Granted || d.Outcome == letter.PartiallyGranted
}

// Over reports whether the decision was withdrawn or terminated.
func (d Decision) Over() bool { return d.Status == Withdrawn || d.Status == Terminated }

// CurrentMonthly is the monthly amount in force after the revisions.
func (d Decision) CurrentMonthly() ris.Cents {
	m := d.MonthlyCents
	for _, r := range d.Revisions {
		m = r.MonthlyCents
	}
	return m
}

// running computes Running.
func (d Decision) running() bool { return d.Grants() && !d.Over() }

// namespace of the decisions' deterministic ids.
var namespace = uuid.MustParse("6f1d3c52-8a4e-5b0f-9c1a-2e7d4b8f0a61")

// SessionDecisionID is the id of the decision of item ref of session.
func SessionDecisionID(sessionID, ref string) string {
	return uuid.NewSHA1(namespace, []byte("session:"+sessionID+"/"+ref)).String()
}

// UrgentDecisionID is the id of the decision an urgent decision took.
func UrgentDecisionID(urgentID string) string {
	return uuid.NewSHA1(namespace, []byte("urgent:"+urgentID)).String()
}

// childID is a deterministic id of something recorded on a decision (a task, a recovery).
func childID(parts ...string) string {
	return uuid.NewSHA1(namespace, []byte(strings.Join(parts, "/"))).String()
}

// Reason codes of the after-decision operations (events carry codes, never the notes).
var (
	SuspensionReasons  = []string{"piis_breach", "no_cooperation", "other"}
	TerminationReasons = []string{"resources_sufficient", "conditions_not_met", "moved", "deceased", "beneficiary_request", "end_of_period", "other"}
	WithdrawalReasons  = []string{"false_declaration", "cpas_error", "conditions_not_met", "other"}
	// RecoveryCases are the cases of art. 24 loi DIS (domain.md §4).
	RecoveryCases = []string{"retroactive_review", "change_in_law", "cpas_error", "false_declaration", "resources_received"}
	Judgments     = []string{"confirmed", "annulled", "reformed"}
	Methods       = []NotificationMethod{RegisteredLetter, ReceiptSigned, Handed}
)

// NotificationInput is what the worker records.
type NotificationInput struct {
	Method    NotificationMethod `json:"method"`
	Reference string             `json:"reference"`
	Date      string             `json:"date"`
}

// Check validates the notification of d on today.
func (in NotificationInput) Check(d Decision, today civil.Date) (civil.Date, error) {
	var fs problem.Fields
	switch {
	case in.Method == "":
		fs.Add("method", "required")
	case !slices.Contains(Methods, in.Method):
		fs.Add("method", "decision.method_invalid")
	case in.Method == RegisteredLetter && strings.TrimSpace(in.Reference) == "":
		fs.Add("reference", "decision.registered_number_required")
	}
	if len(in.Reference) > 64 {
		fs.Add("reference", "decision.text_too_long")
	}
	date := checkDate(&fs, "date", in.Date)
	if !date.IsZero() {
		if date.Before(d.DecidedOn) {
			fs.Add("date", "decision.notified_before_decision")
		} else if date.After(today) {
			fs.Add("date", "decision.date_in_future")
		}
	}
	return date, fs.Err()
}

// checkDate reads a required date field.
func checkDate(fs *problem.Fields, field, v string) civil.Date {
	if strings.TrimSpace(v) == "" {
		fs.Add(field, "required")
		return civil.Date{}
	}
	d, err := civil.Parse(strings.TrimSpace(v))
	if err != nil {
		fs.Add(field, "decision.date_invalid")
		return civil.Date{}
	}
	return d
}

func checkText(fs *problem.Fields, field, v string, required bool, max int) string {
	v = strings.TrimSpace(v)
	if required && v == "" {
		fs.Add(field, "required")
	}
	if len(v) > max {
		fs.Add(field, "decision.text_too_long")
	}
	return v
}

func checkCode(fs *problem.Fields, field, v string, codes []string) string {
	if v == "" {
		fs.Add(field, "required")
	} else if !slices.Contains(codes, v) {
		fs.Add(field, "invalid_choice")
	}
	return v
}

// mustRun refuses an operation on a decision that is over or that granted nothing.
func mustRun(d Decision) error {
	if d.Over() {
		return problem.New(problem.Conflict).WithDetail("decision.over")
	}
	if !d.Grants() {
		return problem.New(problem.Conflict).WithDetail("decision.refusal_not_running")
	}
	return nil
}

// RevisionInput is a new amount from a date.
type RevisionInput struct {
	From         string       `json:"from"`
	MonthlyCents ris.Cents    `json:"monthly_cents"`
	Category     ris.Category `json:"category"`
	Reason       string       `json:"reason"`
	// Calculation, when given (RIS, ERIS), recomputes the amount from the situation on From with the tenant's
	// tables: MonthlyCents must then be the result (or 0 to take it), and the working is kept with the revision.
	Calculation *ris.Input `json:"calculation,omitempty"`
	// Payee, when given and not "unchanged", is who is paid from the month of From (payee.go).
	Payee *PayeeInput `json:"payee,omitempty"`
}

// Check validates a revision of d.
func (in RevisionInput) Check(d Decision) (civil.Date, error) {
	from, _, err := in.check(d)
	return from, err
}

// check validates a revision of d; it returns its date and its new payee (nil: the payee stays; a payee named
// that is already the current one is no change).
func (in RevisionInput) check(d Decision) (civil.Date, *Payee, error) {
	if err := mustRun(d); err != nil {
		return civil.Date{}, nil, err
	}
	var fs problem.Fields
	from := checkDate(&fs, "from", in.From)
	if !from.IsZero() && from.Before(d.Start) {
		fs.Add("from", "decision.revision_before_start")
	}
	if !from.IsZero() && !d.End.IsZero() && from.After(d.End) {
		fs.Add("from", "decision.after_end")
	}
	named := in.Payee.check(&fs)
	payee := named
	if payee != nil && !from.IsZero() && !d.changesPayee(from, *payee) {
		payee = nil
	}
	if in.MonthlyCents < 0 || (in.MonthlyCents == 0 && d.Kind == legalclock.RIS) {
		fs.Add("monthly_cents", "decision.amount_invalid")
	} else if in.MonthlyCents == d.CurrentMonthly() && (in.Category == 0 || in.Category == d.Category) && payee == nil {
		fs.Add("monthly_cents", "decision.amount_unchanged")
		if named != nil {
			fs.Add("payee.kind", "decision.payee_unchanged")
		}
	}
	if in.Category != 0 && !in.Category.Valid() {
		fs.Add("category", "invalid_choice")
	}
	checkText(&fs, "reason", in.Reason, true, 2000)
	return from, payee, fs.Err()
}

// SuspensionInput is a sanction.
type SuspensionInput struct {
	From       string `json:"from"`
	To         string `json:"to"`
	ReasonCode string `json:"reason_code"`
	Repeated   bool   `json:"repeated"`
	Note       string `json:"note"`
}

// Check validates a suspension of d under rules.
func (in SuspensionInput) Check(d Decision, rules legalclock.Rules) (civil.Date, civil.Date, error) {
	if err := mustRun(d); err != nil {
		return civil.Date{}, civil.Date{}, err
	}
	var fs problem.Fields
	from := checkDate(&fs, "from", in.From)
	to := checkDate(&fs, "to", in.To)
	checkCode(&fs, "reason_code", in.ReasonCode, SuspensionReasons)
	checkText(&fs, "note", in.Note, false, 2000)
	if !from.IsZero() && from.Before(d.Start) {
		fs.Add("from", "decision.suspension_before_start")
	}
	if !from.IsZero() && !to.IsZero() {
		if to.Before(from) {
			fs.Add("to", "decision.end_before_start")
		} else if lim, err := rules.SuspensionLimit(from, in.Repeated); err == nil && to.After(lim.Due) {
			fs.Add("to", "decision.suspension_too_long", "max", lim.Due.String())
		}
		for _, s := range d.Suspensions {
			if !to.Before(s.From) && !from.After(s.To) {
				fs.Add("from", "decision.suspension_overlaps")
				break
			}
		}
	}
	return from, to, fs.Err()
}

// EndingInput ends a decision (withdrawal or termination).
type EndingInput struct {
	Date       string `json:"date"`
	ReasonCode string `json:"reason_code"`
	Note       string `json:"note"`
}

// Check validates the end of d with the reason codes allowed.
func (in EndingInput) Check(d Decision, codes []string, withdrawal bool) (civil.Date, error) {
	if err := mustRun(d); err != nil {
		return civil.Date{}, err
	}
	var fs problem.Fields
	date := checkDate(&fs, "date", in.Date)
	checkCode(&fs, "reason_code", in.ReasonCode, codes)
	checkText(&fs, "note", in.Note, in.ReasonCode == "other", 2000)
	if !date.IsZero() {
		if !withdrawal && date.Before(d.Start) {
			fs.Add("date", "decision.end_before_start")
		}
		if withdrawal && date.Before(d.DecidedOn) {
			fs.Add("date", "decision.before_decision")
		}
	}
	return date, fs.Err()
}

// RecoveryInput is a recovery decision.
type RecoveryInput struct {
	Case        string    `json:"case"`
	AmountCents ris.Cents `json:"amount_cents"`
	PeriodFrom  string    `json:"period_from"`
	PeriodTo    string    `json:"period_to"`
	Reason      string    `json:"reason"`
}

// Check validates a recovery on d.
func (in RecoveryInput) Check(d Decision) (civil.Date, civil.Date, error) {
	if !d.Grants() {
		return civil.Date{}, civil.Date{}, problem.New(problem.Conflict).WithDetail("decision.refusal_not_running")
	}
	var fs problem.Fields
	checkCode(&fs, "case", in.Case, RecoveryCases)
	if in.AmountCents <= 0 {
		fs.Add("amount_cents", "decision.amount_invalid")
	}
	from := checkDate(&fs, "period_from", in.PeriodFrom)
	to := checkDate(&fs, "period_to", in.PeriodTo)
	if !from.IsZero() && from.Before(d.Start) {
		fs.Add("period_from", "decision.period_outside")
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		fs.Add("period_to", "decision.end_before_start")
	}
	checkText(&fs, "reason", in.Reason, true, 2000)
	return from, to, fs.Err()
}

// AppealInput is an appeal lodged.
type AppealInput struct {
	LodgedOn       string `json:"lodged_on"`
	CourtReference string `json:"court_reference"`
}

// Check validates an appeal against d on today.
func (in AppealInput) Check(d Decision, today civil.Date) (civil.Date, error) {
	var fs problem.Fields
	date := checkDate(&fs, "lodged_on", in.LodgedOn)
	checkText(&fs, "court_reference", in.CourtReference, true, 64)
	if !date.IsZero() {
		if date.Before(d.DecidedOn) {
			fs.Add("lodged_on", "decision.before_decision")
		} else if date.After(today) {
			fs.Add("lodged_on", "decision.date_in_future")
		}
	}
	if len(d.Appeals) > 0 && d.Appeals[len(d.Appeals)-1].Judgment == "" {
		fs.Add("lodged_on", "decision.appeal_pending")
	}
	return date, fs.Err()
}

// JudgmentInput is the labour court's judgment.
type JudgmentInput struct {
	JudgedOn string `json:"judged_on"`
	Judgment string `json:"judgment"`
}

// Check validates the judgment of d's pending appeal on today.
func (in JudgmentInput) Check(d Decision, today civil.Date) (civil.Date, error) {
	if len(d.Appeals) == 0 || d.Appeals[len(d.Appeals)-1].Judgment != "" {
		return civil.Date{}, problem.New(problem.Conflict).WithDetail("decision.no_appeal_pending")
	}
	var fs problem.Fields
	date := checkDate(&fs, "judged_on", in.JudgedOn)
	checkCode(&fs, "judgment", in.Judgment, Judgments)
	if !date.IsZero() {
		if date.Before(d.Appeals[len(d.Appeals)-1].LodgedOn) {
			fs.Add("judged_on", "decision.judged_before_appeal")
		} else if date.After(today) {
			fs.Add("judged_on", "decision.date_in_future")
		}
	}
	return date, fs.Err()
}

// PIISInput records the PIIS follow-up: the signature date and the evaluations done.
type PIISInput struct {
	SignedOn    string   `json:"signed_on"`
	Evaluations []string `json:"evaluations"`
	Note        string   `json:"note"`
}

// Check validates the follow-up of d's PIIS on today.
func (in PIISInput) Check(d Decision, today civil.Date) (PIIS, error) {
	if err := mustRun(d); err != nil {
		return PIIS{}, err
	}
	if !d.PIIS {
		return PIIS{}, problem.New(problem.Conflict).WithDetail("decision.no_piis")
	}
	var fs problem.Fields
	out := PIIS{Note: checkText(&fs, "note", in.Note, false, 2000)}
	out.SignedOn = checkDate(&fs, "signed_on", in.SignedOn)
	if !out.SignedOn.IsZero() {
		if out.SignedOn.Before(d.DecidedOn) {
			fs.Add("signed_on", "decision.before_decision")
		} else if out.SignedOn.After(today) {
			fs.Add("signed_on", "decision.date_in_future")
		}
	}
	for i, v := range in.Evaluations {
		if strings.TrimSpace(v) == "" {
			continue
		}
		field := "evaluations." + itoa(i)
		e := checkDate(&fs, field, v)
		if e.IsZero() {
			continue
		}
		if !out.SignedOn.IsZero() && e.Before(out.SignedOn) {
			fs.Add(field, "decision.evaluation_before_signature")
		} else if e.After(today) {
			fs.Add(field, "decision.date_in_future")
		}
		out.Evaluations = append(out.Evaluations, e)
	}
	slices.SortFunc(out.Evaluations, civil.Date.Compare)
	return out, fs.Err()
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
