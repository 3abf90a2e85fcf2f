package decision

import (
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/ris"
)

// Event source and types this package emits on cpas.decisions.v1 (schemas in api/events/decisions/; the task
// request follows api/events/beneficiaries/task.requested.v1). Identifiers, codes, amounts and dates: never a
// name, a motivation or a note — except the third-party payee's name and IBAN the payments need.
const (
	EventSource         = "entraide-decisions"
	TypeAdopted         = "be.cpas.decisions.decision.adopted.v1"
	TypeNotified        = "be.cpas.decisions.decision.notified.v1"
	TypeRevised         = "be.cpas.decisions.decision.revised.v1"
	TypeSuspended       = "be.cpas.decisions.decision.suspended.v1"
	TypeTerminated      = "be.cpas.decisions.decision.terminated.v1"
	TypeRecoveryDecided = "be.cpas.decisions.recovery.decided.v1"
	TypeAppealLodged    = "be.cpas.decisions.appeal.lodged.v1"
	TypeAppealJudged    = "be.cpas.decisions.appeal.judged.v1"
	TypeTaskRequested   = "be.cpas.decisions.task.requested.v1"
	// TypeChangeNotified: a decision taken after the adoption (revision, suspension, withdrawal, termination,
	// recovery) was notified; decision.notified's schema has no room to say which change.
	TypeChangeNotified = "be.cpas.decisions.change.notified.v1"
)

// AdoptedPayload is what the payments need of an adopted decision.
type AdoptedPayload struct {
	DecisionID      string             `json:"decision_id"`
	RequestID       string             `json:"request_id,omitempty"`
	PersonID        string             `json:"person_id"`
	FileID          string             `json:"file_id"`
	Source          Source             `json:"source"`
	Kind            legalclock.Kind    `json:"kind"`
	Subtype         letter.Subtype     `json:"subtype,omitempty"`
	Outcome         letter.Outcome     `json:"outcome"`
	Category        ris.Category       `json:"category,omitempty"`
	MonthlyCents    ris.Cents          `json:"monthly_cents"`
	FirstMonthCents ris.Cents          `json:"first_month_cents"`
	OneOffCents     ris.Cents          `json:"one_off_cents"`
	Start           civil.Date         `json:"start,omitzero"`
	End             civil.Date         `json:"end,omitzero"`
	Review          civil.Date         `json:"review,omitzero"`
	Periodicity     letter.Periodicity `json:"periodicity,omitempty"`
	PIIS            bool               `json:"piis"`
	Payee           Payee              `json:"payee"`
	DecidedOn       civil.Date         `json:"decided_on"`
}

func adoptedPayload(id string, d Decision) AdoptedPayload {
	p := AdoptedPayload{DecisionID: id, RequestID: d.RequestID, PersonID: d.PersonID, FileID: d.FileID, Source: d.Source,
		Kind: d.Kind, Subtype: d.Subtype, Outcome: d.Outcome, Category: d.Category, MonthlyCents: d.MonthlyCents,
		FirstMonthCents: d.FirstMonthCents, OneOffCents: d.OneOffCents, Start: d.Start, End: d.End, Review: d.Review,
		Periodicity: d.Periodicity, PIIS: d.PIIS, Payee: d.Payee.normal(), DecidedOn: d.DecidedOn}
	return p
}

// NotifiedPayload: the decision was notified; the appeal window runs until AppealDue.
type NotifiedPayload struct {
	DecisionID string             `json:"decision_id"`
	RequestID  string             `json:"request_id,omitempty"`
	PersonID   string             `json:"person_id"`
	FileID     string             `json:"file_id"`
	Method     NotificationMethod `json:"method"`
	NotifiedOn civil.Date         `json:"notified_on"`
	AppealDue  civil.Date         `json:"appeal_due"`
}

func notifiedPayload(id string, d Decision) NotifiedPayload {
	n := d.Notification
	return NotifiedPayload{DecisionID: id, RequestID: d.RequestID, PersonID: d.PersonID, FileID: d.FileID,
		Method: n.Method, NotifiedOn: n.Date, AppealDue: n.AppealDue}
}

// RevisedPayload: a new monthly amount from a date and, when the revision changed who is paid, the new payee
// from that month (as in AdoptedPayload: a third party's name, IBAN and structured communication; the
// beneficiary's kind alone).
type RevisedPayload struct {
	DecisionID    string          `json:"decision_id"`
	PersonID      string          `json:"person_id"`
	FileID        string          `json:"file_id"`
	Kind          legalclock.Kind `json:"kind"`
	RevisionID    string          `json:"revision_id"`
	From          civil.Date      `json:"from"`
	MonthlyCents  ris.Cents       `json:"monthly_cents"`
	PreviousCents ris.Cents       `json:"previous_cents"`
	Category      ris.Category    `json:"category,omitempty"`
	Payee         *Payee          `json:"payee,omitempty"`
	DecidedOn     civil.Date      `json:"decided_on"`
}

func revisedPayload(id string, d Decision, r Revision) RevisedPayload {
	p := RevisedPayload{DecisionID: id, PersonID: d.PersonID, FileID: d.FileID, Kind: d.Kind, RevisionID: r.ID,
		From: r.From, MonthlyCents: r.MonthlyCents, PreviousCents: r.Previous, Category: r.Category, DecidedOn: r.DecidedOn}
	if r.Payee != nil {
		payee := r.Payee.normal()
		p.Payee = &payee
	}
	return p
}

// SuspendedPayload: no payment for the period.
type SuspendedPayload struct {
	DecisionID   string          `json:"decision_id"`
	PersonID     string          `json:"person_id"`
	FileID       string          `json:"file_id"`
	Kind         legalclock.Kind `json:"kind"`
	SuspensionID string          `json:"suspension_id"`
	From         civil.Date      `json:"from"`
	To           civil.Date      `json:"to"`
	ReasonCode   string          `json:"reason_code"`
	Repeated     bool            `json:"repeated"`
	DecidedOn    civil.Date      `json:"decided_on"`
}

func suspendedPayload(id string, d Decision, s Suspension) SuspendedPayload {
	return SuspendedPayload{DecisionID: id, PersonID: d.PersonID, FileID: d.FileID, Kind: d.Kind, SuspensionID: s.ID,
		From: s.From, To: s.To, ReasonCode: s.ReasonCode, Repeated: s.Repeated, DecidedOn: s.DecidedOn}
}

// TerminatedPayload: the aid ends on End (withdrawal, termination or urgent decision not ratified).
type TerminatedPayload struct {
	DecisionID string          `json:"decision_id"`
	PersonID   string          `json:"person_id"`
	FileID     string          `json:"file_id"`
	Kind       legalclock.Kind `json:"kind"`
	Ending     string          `json:"ending"`
	End        civil.Date      `json:"end"`
	ReasonCode string          `json:"reason_code"`
	DecidedOn  civil.Date      `json:"decided_on"`
}

func terminatedPayload(id string, d Decision) TerminatedPayload {
	e := d.Ending
	return TerminatedPayload{DecisionID: id, PersonID: d.PersonID, FileID: d.FileID, Kind: d.Kind, Ending: e.Kind,
		End: e.Date, ReasonCode: e.ReasonCode, DecidedOn: e.DecidedOn}
}

// RecoveryPayload: a receivable for the payments.
type RecoveryPayload struct {
	RecoveryID  string          `json:"recovery_id"`
	DecisionID  string          `json:"decision_id"`
	PersonID    string          `json:"person_id"`
	FileID      string          `json:"file_id"`
	Kind        legalclock.Kind `json:"kind"`
	Case        string          `json:"case"`
	AmountCents ris.Cents       `json:"amount_cents"`
	PeriodFrom  civil.Date      `json:"period_from"`
	PeriodTo    civil.Date      `json:"period_to"`
	DecidedOn   civil.Date      `json:"decided_on"`
}

func recoveryPayload(id string, d Decision, r Recovery) RecoveryPayload {
	return RecoveryPayload{RecoveryID: r.ID, DecisionID: id, PersonID: d.PersonID, FileID: d.FileID, Kind: d.Kind,
		Case: r.Case, AmountCents: r.AmountCents, PeriodFrom: r.PeriodFrom, PeriodTo: r.PeriodTo, DecidedOn: r.DecidedOn}
}

// AppealPayload: an appeal lodged, or its judgment (JudgedOn and Judgment set).
type AppealPayload struct {
	DecisionID     string     `json:"decision_id"`
	PersonID       string     `json:"person_id"`
	FileID         string     `json:"file_id"`
	LodgedOn       civil.Date `json:"lodged_on"`
	CourtReference string     `json:"court_reference"`
	JudgedOn       civil.Date `json:"judged_on,omitzero"`
	Judgment       string     `json:"judgment,omitempty"`
}

func appealPayload(id string, d Decision, a Appeal) AppealPayload {
	return AppealPayload{DecisionID: id, PersonID: d.PersonID, FileID: d.FileID, LodgedOn: a.LodgedOn,
		CourtReference: a.CourtReference, JudgedOn: a.JudgedOn, Judgment: a.Judgment}
}

// TaskPayload is a task request to the registry (api/events/beneficiaries/task.requested.v1).
type TaskPayload struct {
	TaskID   string `json:"task_id"`
	FileID   string `json:"file_id,omitempty"`
	PersonID string `json:"person_id,omitempty"`
	Kind     string `json:"kind"`
	TitleFR  string `json:"title_fr"`
	TitleNL  string `json:"title_nl"`
	DueDate  string `json:"due_date,omitempty"`
}
