package legalclock

import (
	"errors"
	"fmt"

	"github.com/entraide/entraide/libs/civil"
)

// Kind is a kind of aid request (domain.md §2). It decides the decision period.
type Kind string

// The aid kinds.
const (
	// RIS is the revenu d'intégration sociale (leefloon), loi du 26 mai 2002 (loi DIS).
	RIS Kind = "ris"
	// ERIS is the équivalent RIS: aide sociale for foreigners not entitled to the RIS (loi organique des CPAS du
	// 8 juillet 1976, LO).
	ERIS Kind = "eris"
	// AideSociale is the aide sociale of LO art. 1 and 57 (rent guarantee, energy, medical costs, food…).
	AideSociale Kind = "aide_sociale"
	// AMU is the aide médicale urgente (AR du 12 décembre 1996).
	AMU Kind = "amu"
)

// Kinds lists the aid kinds.
var Kinds = []Kind{RIS, ERIS, AideSociale, AMU}

// Valid reports whether k is one of the aid kinds.
func (k Kind) Valid() bool {
	switch k {
	case RIS, ERIS, AideSociale, AMU:
		return true
	}
	return false
}

// The legal periods fixed by law. The rules domain.md marks "(verify)" are not here: they are parameters of
// Rules, so a tenant can configure them.
const (
	// RISDecisionDays: the CPAS decides on a RIS request within 30 days of its receipt (loi DIS du 26 mai 2002,
	// art. 21 §1; domain.md §4).
	RISDecisionDays = 30
	// AideSocialeDecisionMonths: the CPAS decides on a request for aide sociale (and so ERIS and AMU, which are
	// aide sociale) within one month of its receipt (loi organique des CPAS; domain.md §4).
	AideSocialeDecisionMonths = 1
	// NotificationDays: a decision is notified within 8 days, by registered letter or handed over against receipt
	// (loi DIS art. 21 §3; domain.md §4).
	NotificationDays = 8
	// AppealMonths: an appeal to the tribunal du travail is lodged within 3 months of the notification, or, when
	// no decision was taken, of the end of the decision period (loi DIS art. 47 §1; LO art. 71; domain.md §4).
	AppealMonths = 3
	// MediPrimaEncodingDays: an AMU decision is encoded in MediPrima within 45 days of the decision (SPP
	// Intégration sociale's MediPrima instructions; domain.md §2).
	MediPrimaEncodingDays = 45
)

// Reason is the machine-readable code of the rule a deadline comes from.
type Reason string

// The reasons of the deadlines.
const (
	ReasonRISDecision         Reason = "decision_ris_30_days"
	ReasonERISDecision        Reason = "decision_eris_1_month"
	ReasonAideSocialeDecision Reason = "decision_aide_sociale_1_month"
	ReasonAMUDecision         Reason = "decision_amu_1_month"
	ReasonNotification        Reason = "notification_8_days"
	ReasonAppeal              Reason = "appeal_3_months"
	ReasonAppealNoDecision    Reason = "appeal_no_decision_3_months"
	// ReasonAppealNotRunning: the notification lacks a mandatory mention, so the appeal period does not run.
	ReasonAppealNotRunning Reason = "appeal_not_running"
	ReasonPIISConclusion   Reason = "piis_conclusion"
	ReasonPIISEvaluation   Reason = "piis_evaluation"
	// ReasonPIISInterview is a PIIS evaluation proposed as a face-to-face interview.
	ReasonPIISInterview   Reason = "piis_evaluation_interview"
	ReasonReview          Reason = "review"
	ReasonMediPrima       Reason = "mediprima_encoding_45_days"
	ReasonConvocation     Reason = "convocation_clear_days"
	ReasonSuspensionLimit Reason = "piis_suspension_limit"
)

// Errors of the clocks.
var (
	// ErrNoDate: the event a period runs from has no date.
	ErrNoDate = errors.New("legalclock: no date")
	// ErrUnknownKind: the aid kind is not one of Kinds.
	ErrUnknownKind = errors.New("legalclock: unknown aid kind")
)

// Deadline is the last day of a legal period and why.
type Deadline struct {
	// Reason is the rule, as a stable code.
	Reason Reason `json:"reason"`
	// From is the event the period runs from (a request, a decision, a notification…).
	From civil.Date `json:"from"`
	// Nominal is the period's last day as counted, before the art. 53 shift.
	Nominal civil.Date `json:"nominal"`
	// Due is the day the period really ends: Nominal, moved to the next working day when it is closed. It is the
	// zero Date when the period does not run (ReasonAppealNotRunning).
	Due civil.Date `json:"due"`
	// Skipped lists the closed days between Nominal and Due, Nominal first (empty when not shifted).
	Skipped []ClosedDay `json:"skipped,omitempty"`
	// FR and NL explain the deadline in a sentence for the deadline board and letters.
	FR string `json:"fr"`
	NL string `json:"nl"`
}

// Running reports whether the period runs (it has a last day).
func (d Deadline) Running() bool { return !d.Due.IsZero() }

// Shifted reports whether Code judiciaire art. 53 moved the deadline.
func (d Deadline) Shifted() bool { return len(d.Skipped) > 0 }

// Text returns the explanation in Dutch for "nl", in French otherwise.
func (d Deadline) Text(lang string) string {
	if lang == "nl" {
		return d.NL
	}
	return d.FR
}

// Status says where the deadline stands on today.
func (d Deadline) Status(today civil.Date) DueStatus { return Status(d.Due, today) }

// period is how a deadline is counted and worded.
type period struct {
	reason Reason
	n      int
	months bool // n months, else n calendar days
	shift  bool // Code judiciaire art. 53 applies
	// Heads and events of the sentence: "<head> <due> (<n> jours <event> <from>; reporté …)".
	headFR, headNL   string
	eventFR, eventNL string
	before           bool // the period runs backwards from the event (convocation)
}

func (p period) deadline(from civil.Date) (Deadline, error) {
	if from.IsZero() {
		return Deadline{}, ErrNoDate
	}
	n := p.n
	if p.before {
		n = -n
	}
	var nominal civil.Date
	if p.months {
		nominal = AddCalendarMonths(from, n)
	} else {
		nominal = AddCalendarDays(from, n)
	}
	d := Deadline{Reason: p.reason, From: from, Nominal: nominal, Due: nominal}
	if p.shift {
		d.Due, d.Skipped = Shift(nominal)
	}
	d.FR = p.headFR + " " + formatDate(d.Due, "fr") + " (" + p.amount("fr") + " " + p.eventFR + " " + formatDate(from, "fr") + shiftText(d, "fr") + ")"
	d.NL = p.headNL + " " + formatDate(d.Due, "nl") + " (" + p.amount("nl") + " " + p.eventNL + " " + formatDate(from, "nl") + shiftText(d, "nl") + ")"
	return d, nil
}

func (p period) amount(lang string) string {
	switch {
	case lang == "nl" && p.months && p.n == 1:
		return "1 maand"
	case lang == "nl" && p.months:
		return fmt.Sprintf("%d maanden", p.n)
	case lang == "nl" && p.n == 1:
		return "1 dag"
	case lang == "nl":
		return fmt.Sprintf("%d dagen", p.n)
	case p.months:
		return fmt.Sprintf("%d mois", p.n)
	case p.n == 1:
		return "1 jour"
	}
	return fmt.Sprintf("%d jours", p.n)
}

var decisionPeriods = map[Kind]period{
	RIS: {reason: ReasonRISDecision, n: RISDecisionDays, shift: true,
		headFR: "Décision due le", headNL: "Beslissing uiterlijk op",
		eventFR: "après la demande de revenu d'intégration du", eventNL: "na de aanvraag om leefloon van"},
	ERIS: {reason: ReasonERISDecision, n: AideSocialeDecisionMonths, months: true, shift: true,
		headFR: "Décision due le", headNL: "Beslissing uiterlijk op",
		eventFR: "après la demande d'équivalent au revenu d'intégration du", eventNL: "na de aanvraag om equivalent leefloon van"},
	AideSociale: {reason: ReasonAideSocialeDecision, n: AideSocialeDecisionMonths, months: true, shift: true,
		headFR: "Décision due le", headNL: "Beslissing uiterlijk op",
		eventFR: "après la demande d'aide sociale du", eventNL: "na de aanvraag om maatschappelijke dienstverlening van"},
	AMU: {reason: ReasonAMUDecision, n: AideSocialeDecisionMonths, months: true, shift: true,
		headFR: "Décision due le", headNL: "Beslissing uiterlijk op",
		eventFR: "après la demande d'aide médicale urgente du", eventNL: "na de aanvraag om dringende medische hulp van"},
}

// DecisionDue is the last day to decide on a request of kind received on received: 30 days for the RIS, one
// month for aide sociale, ERIS and AMU, shifted by art. 53.
func DecisionDue(kind Kind, received civil.Date) (Deadline, error) {
	p, ok := decisionPeriods[kind]
	if !ok {
		return Deadline{}, fmt.Errorf("%w: %q", ErrUnknownKind, kind)
	}
	return p.deadline(received)
}

// NotificationDue is the last day to notify a decision taken on decided: 8 days, shifted by art. 53.
func NotificationDue(decided civil.Date) (Deadline, error) {
	return period{reason: ReasonNotification, n: NotificationDays, shift: true,
		headFR: "Notification due le", headNL: "Kennisgeving uiterlijk op",
		eventFR: "après la décision du", eventNL: "na de beslissing van"}.deadline(decided)
}

// AppealWindowEnd is the last day to appeal to the tribunal du travail against a decision notified on notified:
// 3 months, shifted by art. 53. It assumes the notification carries every mandatory mention; when one is missing
// the period does not run: use AppealNotRunning.
func AppealWindowEnd(notified civil.Date) (Deadline, error) {
	return period{reason: ReasonAppeal, n: AppealMonths, months: true, shift: true,
		headFR: "Recours possible jusqu'au", headNL: "Beroep mogelijk tot en met",
		eventFR: "après la notification du", eventNL: "na de kennisgeving van"}.deadline(notified)
}

// AppealWindowEndNoDecision is the last day to appeal when the CPAS took no decision on a request of kind
// received on received: 3 months from the end of the decision period, shifted by art. 53. The 3 months are
// counted from the decision period's legal last day (DecisionDue's Nominal), not from the day art. 53 moved it
// to: of the two readings it gives the earlier date, so the applicant is never told they have more time than the
// strictest court would allow.
func AppealWindowEndNoDecision(kind Kind, received civil.Date) (Deadline, error) {
	decision, err := DecisionDue(kind, received)
	if err != nil {
		return Deadline{}, err
	}
	d, err := period{reason: ReasonAppealNoDecision, n: AppealMonths, months: true, shift: true,
		headFR: "Recours possible jusqu'au", headNL: "Beroep mogelijk tot en met",
		eventFR: "après la fin du délai de décision, le", eventNL: "na het einde van de beslissingstermijn op"}.deadline(decision.Nominal)
	return d, err
}

// AppealNotRunning is the appeal "deadline" of a decision notified on notified without every mandatory mention
// (domain.md §4): the period does not run, so Due is the zero Date.
func AppealNotRunning(notified civil.Date) (Deadline, error) {
	if notified.IsZero() {
		return Deadline{}, ErrNoDate
	}
	return Deadline{Reason: ReasonAppealNotRunning, From: notified,
		FR: "Le délai de recours ne court pas : la notification du " + formatDate(notified, "fr") + " ne contient pas toutes les mentions obligatoires",
		NL: "De beroepstermijn loopt niet: de kennisgeving van " + formatDate(notified, "nl") + " bevat niet alle verplichte vermeldingen",
	}, nil
}

// MediPrimaEncodingDue is the last day to encode an AMU decision taken on decided in MediPrima: 45 days, shifted
// by art. 53.
func MediPrimaEncodingDue(decided civil.Date) (Deadline, error) {
	return period{reason: ReasonMediPrima, n: MediPrimaEncodingDays, shift: true,
		headFR: "Encodage MediPrima dû le", headNL: "Registratie in MediPrima uiterlijk op",
		eventFR: "après la décision d'aide médicale urgente du", eventNL: "na de beslissing over dringende medische hulp van"}.deadline(decided)
}
