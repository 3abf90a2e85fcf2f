package legalclock

import (
	"fmt"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
)

// Rules are the periods domain.md marks "(verify)", or leaves to the CPAS's rules of order: a tenant may configure
// them, and DefaultRules gives the documented values. The JSON names are the tenant configuration's.
type Rules struct {
	// PIISConclusionMonths: a PIIS (projet individualisé d'intégration sociale, GPMI in Dutch: the integration
	// contract every new RIS beneficiary signs since 1 November 2016) is concluded within this many months of the
	// RIS decision (loi DIS art. 11; domain.md §3, verify). Default 3.
	PIISConclusionMonths int `json:"piis_conclusion_months"`
	// PIISEvaluationsPerYear: a PIIS is evaluated at least this many times a year (domain.md §3, verify).
	// Default 3.
	PIISEvaluationsPerYear int `json:"piis_evaluations_per_year"`
	// PIISInterviewsPerYear: how many of those evaluations are face-to-face interviews (domain.md §3, verify).
	// Default 2; never more than PIISEvaluationsPerYear.
	PIISInterviewsPerYear int `json:"piis_interviews_per_year"`
	// ReviewMonths: a running aid is reviewed at least every this many months (domain.md §4 "at least yearly",
	// verify). Default 12; at most 12.
	ReviewMonths int `json:"review_months"`
	// ConvocationClearDays: committee members are convened this many clear days before the session (jours
	// francs: neither the day of sending nor the day of the session counts; rules of order, domain.md §4).
	// Default 5.
	ConvocationClearDays int `json:"convocation_clear_days"`
	// PIISSuspensionMonths and PIISRepeatSuspensionMonths: the longest RIS suspension for breaching a PIIS
	// without reason, first time and on repetition (loi DIS art. 30; domain.md §3, verify). Defaults 1 and 3.
	PIISSuspensionMonths       int `json:"piis_suspension_months"`
	PIISRepeatSuspensionMonths int `json:"piis_repeat_suspension_months"`
}

// Every method of Rules validates the rules first and returns Validate's error when they are wrong (the zero
// Rules is wrong: start from DefaultRules).

// DefaultRules returns the values documented in domain.md.
func DefaultRules() Rules {
	return Rules{
		PIISConclusionMonths:       3,
		PIISEvaluationsPerYear:     3,
		PIISInterviewsPerYear:      2,
		ReviewMonths:               12,
		ConvocationClearDays:       5,
		PIISSuspensionMonths:       1,
		PIISRepeatSuspensionMonths: 3,
	}
}

// Validate checks a tenant's rules; the error is a problem.Validation with one field error per wrong value.
func (r Rules) Validate() error {
	var fs problem.Fields
	within := func(field string, v, lo, hi int) {
		if v < lo || v > hi {
			fs.Add(field, "out_of_range", "min", lo, "max", hi)
		}
	}
	within("piis_conclusion_months", r.PIISConclusionMonths, 1, 12)
	within("piis_evaluations_per_year", r.PIISEvaluationsPerYear, 1, 12)
	within("piis_interviews_per_year", r.PIISInterviewsPerYear, 0, 12)
	if r.PIISInterviewsPerYear > r.PIISEvaluationsPerYear && r.PIISEvaluationsPerYear >= 1 {
		fs.Add("piis_interviews_per_year", "legalclock.interviews_exceed_evaluations")
	}
	within("review_months", r.ReviewMonths, 1, 12)
	within("convocation_clear_days", r.ConvocationClearDays, 0, 30)
	within("piis_suspension_months", r.PIISSuspensionMonths, 1, 12)
	within("piis_repeat_suspension_months", r.PIISRepeatSuspensionMonths, 1, 12)
	if r.PIISRepeatSuspensionMonths < r.PIISSuspensionMonths && r.PIISSuspensionMonths >= 1 {
		fs.Add("piis_repeat_suspension_months", "legalclock.repeat_shorter_than_first")
	}
	return fs.Err()
}

func init() {
	for code, texts := range map[string]map[string]string{
		"legalclock.interviews_exceed_evaluations": {
			"fr": "Il ne peut y avoir plus d'entretiens que d'évaluations par an.",
			"nl": "Er kunnen niet meer gesprekken dan evaluaties per jaar zijn.",
			"de": "Es kann nicht mehr Gespräche als Bewertungen pro Jahr geben.",
			"en": "There cannot be more interviews than evaluations a year.",
		},
		"legalclock.repeat_shorter_than_first": {
			"fr": "La suspension en cas de récidive ne peut être plus courte que la première.",
			"nl": "De schorsing bij herhaling kan niet korter zijn dan de eerste.",
			"de": "Die Aussetzung im Wiederholungsfall darf nicht kürzer sein als die erste.",
			"en": "The suspension on repetition cannot be shorter than the first one.",
		},
	} {
		problem.RegisterMessages(code, texts)
	}
}

// PIISConclusionDue is the last day to conclude the PIIS of a RIS granted on decided: PIISConclusionMonths
// months, shifted by art. 53.
func (r Rules) PIISConclusionDue(decided civil.Date) (Deadline, error) {
	if err := r.Validate(); err != nil {
		return Deadline{}, err
	}
	return period{reason: ReasonPIISConclusion, n: r.PIISConclusionMonths, months: true, shift: true,
		headFR: "PIIS à conclure au plus tard le", headNL: "GPMI af te sluiten uiterlijk op",
		eventFR: "après la décision d'octroi du", eventNL: "na de toekenningsbeslissing van"}.deadline(decided)
}

// PIISEvaluations proposes the evaluation dates of the first year of a PIIS signed on signed: PIISEvaluationsPerYear
// dates spread evenly over the year, the last one on the anniversary (every 4 months by default: signed + 4, + 8,
// + 12 months), each shifted by art. 53. The first PIISInterviewsPerYear of them are proposed as face-to-face
// interviews (ReasonPIISInterview); the social worker may move them. When 12 is not a multiple of the number of
// evaluations, they are spread in days over the year instead of months.
func (r Rules) PIISEvaluations(signed civil.Date) ([]Deadline, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if signed.IsZero() {
		return nil, ErrNoDate
	}
	n := r.PIISEvaluationsPerYear
	yearDays := signed.DaysUntil(AddCalendarMonths(signed, 12))
	out := make([]Deadline, 0, n)
	for i := 1; i <= n; i++ {
		p := period{reason: ReasonPIISEvaluation, shift: true,
			headFR: fmt.Sprintf("Évaluation %d du PIIS prévue le", i), headNL: fmt.Sprintf("Evaluatie %d van het GPMI gepland op", i),
			eventFR: "après la signature du PIIS le", eventNL: "na de ondertekening van het GPMI op"}
		if i <= r.PIISInterviewsPerYear {
			p.reason = ReasonPIISInterview
			p.headFR = fmt.Sprintf("Évaluation %d du PIIS (entretien en face à face) prévue le", i)
			p.headNL = fmt.Sprintf("Evaluatie %d van het GPMI (persoonlijk gesprek) gepland op", i)
		}
		if 12%n == 0 {
			p.n, p.months = 12/n*i, true
		} else {
			p.n = yearDays * i / n
		}
		d, err := p.deadline(signed)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// YearlyReview is the last day of the review of an aid running since from (the decision or the last review):
// ReviewMonths months, shifted by art. 53.
func (r Rules) YearlyReview(from civil.Date) (Deadline, error) {
	if err := r.Validate(); err != nil {
		return Deadline{}, err
	}
	return period{reason: ReasonReview, n: r.ReviewMonths, months: true, shift: true,
		headFR: "Révision due le", headNL: "Herziening uiterlijk op",
		eventFR: "après la décision ou la révision du", eventNL: "na de beslissing of herziening van"}.deadline(from)
}

// ConvocationLatest is the last day to send the convocation to a committee session held on session so that
// ConvocationClearDays clear days separate them: session − (clear days + 1). It is not shifted: art. 53 moves a
// deadline forward, which would make the convocation late; when that day is closed the secretary sends earlier.
func (r Rules) ConvocationLatest(session civil.Date) (Deadline, error) {
	if err := r.Validate(); err != nil {
		return Deadline{}, err
	}
	if session.IsZero() {
		return Deadline{}, ErrNoDate
	}
	due := session.AddDays(-(r.ConvocationClearDays + 1))
	return Deadline{Reason: ReasonConvocation, From: session, Nominal: due, Due: due,
		FR: fmt.Sprintf("Convocation à envoyer au plus tard le %s (%d jours francs avant la séance du %s)",
			formatDate(due, "fr"), r.ConvocationClearDays, formatDate(session, "fr")),
		NL: fmt.Sprintf("Oproeping te versturen uiterlijk op %s (%d volle dagen vóór de zitting van %s)",
			formatDate(due, "nl"), r.ConvocationClearDays, formatDate(session, "nl")),
	}, nil
}

// monthsFromIncluded is the last day of a period of n months whose first day is start, "de quantième à veille de
// quantième" (Code judiciaire art. 54): the eve of the same day number n months later, or that month's last day
// when the day number does not exist in it (1 March → 31 March; 31 January → 28 February).
func monthsFromIncluded(start civil.Date, n int) civil.Date {
	same := AddCalendarMonths(start, n)
	if same.Day() != start.Day() {
		return same // clamped to the month's last day
	}
	return same.AddDays(-1)
}

// SuspensionLimit is the last day a RIS suspension for a PIIS breach starting on start may cover: PIISSuspensionMonths
// (PIISRepeatSuspensionMonths when repeated) months counted from start included, so one month from 1 March ends on
// 31 March. A sanction period is not a procedural deadline: it is not shifted.
func (r Rules) SuspensionLimit(start civil.Date, repeated bool) (Deadline, error) {
	if err := r.Validate(); err != nil {
		return Deadline{}, err
	}
	if start.IsZero() {
		return Deadline{}, ErrNoDate
	}
	months := r.PIISSuspensionMonths
	if repeated {
		months = r.PIISRepeatSuspensionMonths
	}
	last := monthsFromIncluded(start, months)
	unitFR, unitNL := "mois", "maanden"
	if months == 1 {
		unitNL = "maand"
	}
	d := Deadline{Reason: ReasonSuspensionLimit, From: start, Nominal: last, Due: last,
		FR: fmt.Sprintf("Suspension possible jusqu'au %s au plus (%d %s à partir du %s", formatDate(last, "fr"), months, unitFR, formatDate(start, "fr")),
		NL: fmt.Sprintf("Schorsing mogelijk tot en met %s ten hoogste (%d %s vanaf %s", formatDate(last, "nl"), months, unitNL, formatDate(start, "nl")),
	}
	if repeated {
		d.FR += ", en cas de récidive)"
		d.NL += ", bij herhaling)"
	} else {
		d.FR += ")"
		d.NL += ")"
	}
	return d, nil
}
