package legalclock

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
)

type clockCase struct {
	name    string
	from    string
	nominal string
	due     string
	reason  Reason
}

func checkDeadline(t *testing.T, tc clockCase, d Deadline, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", tc.name, err)
	}
	if d.From != day(tc.from) || d.Nominal != day(tc.nominal) || d.Due != day(tc.due) || d.Reason != tc.reason {
		t.Errorf("%s: from %s nominal %s due %s reason %s, want %s %s %s %s", tc.name, d.From, d.Nominal, d.Due, d.Reason,
			tc.from, tc.nominal, tc.due, tc.reason)
	}
	if d.Shifted() != (tc.nominal != tc.due) || d.Nominal.DaysUntil(d.Due) != len(d.Skipped) {
		t.Errorf("%s: skipped %+v between %s and %s", tc.name, d.Skipped, d.Nominal, d.Due)
	}
	if !d.Running() || d.FR == "" || d.NL == "" || d.FR == d.NL {
		t.Errorf("%s: running %v, texts %q / %q", tc.name, d.Running(), d.FR, d.NL)
	}
	if !strings.Contains(d.FR, FormatDate(d.Due, "fr")) || !strings.Contains(d.NL, FormatDate(d.Due, "nl")) {
		t.Errorf("%s: the texts do not name the due date: %q / %q", tc.name, d.FR, d.NL)
	}
}

func TestDecisionDue(t *testing.T) {
	for _, tc := range []struct {
		kind Kind
		clockCase
	}{
		{RIS, clockCase{"RIS, 30 days, a Monday", "2025-03-01", "2025-03-31", "2025-03-31", ReasonRISDecision}},
		{RIS, clockCase{"RIS ending on Easter Sunday → Tuesday", "2025-03-21", "2025-04-20", "2025-04-22", ReasonRISDecision}},
		{RIS, clockCase{"RIS ending on a Saturday", "2025-01-30", "2025-03-01", "2025-03-03", ReasonRISDecision}},
		{RIS, clockCase{"RIS in a leap February", "2024-01-30", "2024-02-29", "2024-02-29", ReasonRISDecision}},
		{RIS, clockCase{"RIS ending on New Year", "2024-12-02", "2025-01-01", "2025-01-02", ReasonRISDecision}},
		{RIS, clockCase{"RIS ending on Christmas", "2024-11-25", "2024-12-25", "2024-12-26", ReasonRISDecision}},
		{RIS, clockCase{"RIS ending on Ascension", "2025-04-29", "2025-05-29", "2025-05-30", ReasonRISDecision}},
		{AideSociale, clockCase{"aide sociale, 31 Jan + 1 month", "2025-01-31", "2025-02-28", "2025-02-28", ReasonAideSocialeDecision}},
		{AideSociale, clockCase{"aide sociale, 31 Jan + 1 month, leap", "2024-01-31", "2024-02-29", "2024-02-29", ReasonAideSocialeDecision}},
		{AideSociale, clockCase{"aide sociale ending on 21 July", "2025-06-21", "2025-07-21", "2025-07-22", ReasonAideSocialeDecision}},
		{AideSociale, clockCase{"aide sociale, 2100 is not leap (28 Feb is a Sunday)", "2100-01-31", "2100-02-28", "2100-03-01", ReasonAideSocialeDecision}},
		{ERIS, clockCase{"ERIS, 31 March + 1 month", "2025-03-31", "2025-04-30", "2025-04-30", ReasonERISDecision}},
		{AMU, clockCase{"AMU across the year, ending on a Sunday", "2025-12-25", "2026-01-25", "2026-01-26", ReasonAMUDecision}},
	} {
		d, err := DecisionDue(tc.kind, day(tc.from))
		checkDeadline(t, tc.clockCase, d, err)
	}
	if _, err := DecisionDue("pension", day("2025-03-01")); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := DecisionDue(RIS, civil.Date{}); !errors.Is(err, ErrNoDate) {
		t.Errorf("no date: %v", err)
	}
	for _, k := range Kinds {
		if !k.Valid() {
			t.Errorf("%s is not valid", k)
		}
	}
	if Kind("").Valid() || Kind("RIS").Valid() {
		t.Error("an unknown kind is valid")
	}
}

func TestNotificationDue(t *testing.T) {
	for _, tc := range []clockCase{
		{"8 days", "2025-03-03", "2025-03-11", "2025-03-11", ReasonNotification},
		{"8 days ending on Easter Sunday", "2025-04-12", "2025-04-20", "2025-04-22", ReasonNotification},
		{"8 days ending on New Year", "2025-12-24", "2026-01-01", "2026-01-02", ReasonNotification},
		{"8 days across a leap day", "2024-02-25", "2024-03-04", "2024-03-04", ReasonNotification},
	} {
		d, err := NotificationDue(day(tc.from))
		checkDeadline(t, tc, d, err)
	}
	if _, err := NotificationDue(civil.Date{}); !errors.Is(err, ErrNoDate) {
		t.Errorf("no date: %v", err)
	}
}

func TestAppealWindowEnd(t *testing.T) {
	for _, tc := range []clockCase{
		{"3 months", "2025-01-10", "2025-04-10", "2025-04-10", ReasonAppeal},
		{"from 30 November: end of February", "2024-11-30", "2025-02-28", "2025-02-28", ReasonAppeal},
		{"from 30 November: leap February", "2023-11-30", "2024-02-29", "2024-02-29", ReasonAppeal},
		{"ending on the national day", "2025-04-21", "2025-07-21", "2025-07-22", ReasonAppeal},
		{"across the year, ending on a Saturday", "2025-10-31", "2026-01-31", "2026-02-02", ReasonAppeal},
		{"ending on Armistice, a Saturday", "2028-08-11", "2028-11-11", "2028-11-13", ReasonAppeal},
	} {
		d, err := AppealWindowEnd(day(tc.from))
		checkDeadline(t, tc, d, err)
	}
	for _, tc := range []struct {
		kind     Kind
		received string
		clockCase
	}{
		// The decision period ends on Easter Sunday 2025 (shifted to Tuesday 22 April); the appeal window counts
		// from the Sunday: 20 July, a Sunday before the national day, so Tuesday 22 July.
		{RIS, "2025-03-21", clockCase{"no RIS decision", "2025-04-20", "2025-07-20", "2025-07-22", ReasonAppealNoDecision}},
		{AideSociale, "2025-01-31", clockCase{"no aide sociale decision", "2025-02-28", "2025-05-28", "2025-05-28", ReasonAppealNoDecision}},
	} {
		d, err := AppealWindowEndNoDecision(tc.kind, day(tc.received))
		checkDeadline(t, tc.clockCase, d, err)
	}
	if _, err := AppealWindowEndNoDecision("x", day("2025-01-01")); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}

	d, err := AppealNotRunning(day("2025-03-01"))
	if err != nil || d.Running() || d.Reason != ReasonAppealNotRunning || d.Status(day("2030-01-01")).State != NotRunning {
		t.Errorf("AppealNotRunning = %+v, %v", d, err)
	}
	if d.FR != "Le délai de recours ne court pas : la notification du 1er mars 2025 ne contient pas toutes les mentions obligatoires" ||
		d.NL != "De beroepstermijn loopt niet: de kennisgeving van 1 maart 2025 bevat niet alle verplichte vermeldingen" {
		t.Errorf("AppealNotRunning texts: %q / %q", d.FR, d.NL)
	}
	if _, err := AppealNotRunning(civil.Date{}); !errors.Is(err, ErrNoDate) {
		t.Errorf("no date: %v", err)
	}
}

func TestMediPrimaEncodingDue(t *testing.T) {
	for _, tc := range []clockCase{
		{"45 days ending on a Saturday", "2025-01-01", "2025-02-15", "2025-02-17", ReasonMediPrima},
		{"45 days", "2025-03-01", "2025-04-15", "2025-04-15", ReasonMediPrima},
		{"45 days in a leap year", "2024-01-20", "2024-03-05", "2024-03-05", ReasonMediPrima},
	} {
		d, err := MediPrimaEncodingDue(day(tc.from))
		checkDeadline(t, tc, d, err)
	}
}

// TestDecisionDueProperty checks every request day of a century: the due date is a working day, never before
// the legal end of the period, at most 4 days after it; the period is 30 days for the RIS and the corresponding
// day a month later (or the month's end) for the others.
func TestDecisionDueProperty(t *testing.T) {
	for from := day("2000-01-01"); from.Before(day("2100-01-01")); from = from.AddDays(1) {
		for _, k := range Kinds {
			d, err := DecisionDue(k, from)
			if err != nil {
				t.Fatal(err)
			}
			if !IsWorkingDay(d.Due) || d.Due.Before(d.Nominal) || d.Nominal.DaysUntil(d.Due) > 4 {
				t.Fatalf("DecisionDue(%s, %s) = %+v", k, from, d)
			}
			if k == RIS && from.DaysUntil(d.Nominal) != 30 {
				t.Fatalf("DecisionDue(RIS, %s): nominal %s", from, d.Nominal)
			}
			if k != RIS && d.Nominal != AddCalendarMonths(from, 1) {
				t.Fatalf("DecisionDue(%s, %s): nominal %s", k, from, d.Nominal)
			}
		}
	}
}

func TestDeadlineTexts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		get    func() (Deadline, error)
		fr, nl string
	}{
		{"no shift, the 1st",
			func() (Deadline, error) { return DecisionDue(RIS, day("2025-03-01")) },
			"Décision due le 31 mars 2025 (30 jours après la demande de revenu d'intégration du 1er mars 2025)",
			"Beslissing uiterlijk op 31 maart 2025 (30 dagen na de aanvraag om leefloon van 1 maart 2025)"},
		{"a Sunday then Easter Monday",
			func() (Deadline, error) { return DecisionDue(RIS, day("2025-03-21")) },
			"Décision due le 22 avril 2025 (30 jours après la demande de revenu d'intégration du 21 mars 2025; reporté au mardi car le 20 avril 2025 est un dimanche et le 21 avril 2025 est un jour férié (lundi de Pâques))",
			"Beslissing uiterlijk op 22 april 2025 (30 dagen na de aanvraag om leefloon van 21 maart 2025; verschoven naar dinsdag omdat 20 april 2025 een zondag is en 21 april 2025 een feestdag is (Paasmaandag))"},
		{"a Sunday only",
			func() (Deadline, error) { return DecisionDue(AideSociale, day("2025-12-25")) },
			"Décision due le 26 janvier 2026 (1 mois après la demande d'aide sociale du 25 décembre 2025; reporté au lundi car le 25 janvier 2026 est un dimanche)",
			"Beslissing uiterlijk op 26 januari 2026 (1 maand na de aanvraag om maatschappelijke dienstverlening van 25 december 2025; verschoven naar maandag omdat 25 januari 2026 een zondag is)"},
		{"three closed days",
			func() (Deadline, error) { return NotificationDue(day("2029-03-23")) },
			"Notification due le 3 avril 2029 (8 jours après la décision du 23 mars 2029; reporté au mardi car le 31 mars 2029 est un samedi, le 1er avril 2029 est un dimanche et le 2 avril 2029 est un jour férié (lundi de Pâques))",
			"Kennisgeving uiterlijk op 3 april 2029 (8 dagen na de beslissing van 23 maart 2029; verschoven naar dinsdag omdat 31 maart 2029 een zaterdag is, 1 april 2029 een zondag is en 2 april 2029 een feestdag is (Paasmaandag))"},
		{"appeal",
			func() (Deadline, error) { return AppealWindowEnd(day("2025-01-10")) },
			"Recours possible jusqu'au 10 avril 2025 (3 mois après la notification du 10 janvier 2025)",
			"Beroep mogelijk tot en met 10 april 2025 (3 maanden na de kennisgeving van 10 januari 2025)"},
		{"MediPrima",
			func() (Deadline, error) { return MediPrimaEncodingDue(day("2025-03-01")) },
			"Encodage MediPrima dû le 15 avril 2025 (45 jours après la décision d'aide médicale urgente du 1er mars 2025)",
			"Registratie in MediPrima uiterlijk op 15 april 2025 (45 dagen na de beslissing over dringende medische hulp van 1 maart 2025)"},
	} {
		d, err := tc.get()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if d.FR != tc.fr || d.Text("fr") != tc.fr || d.Text("de") != tc.fr {
			t.Errorf("%s FR:\n got %q\nwant %q", tc.name, d.FR, tc.fr)
		}
		if d.NL != tc.nl || d.Text("nl") != tc.nl {
			t.Errorf("%s NL:\n got %q\nwant %q", tc.name, d.NL, tc.nl)
		}
	}
}

func TestDeadlineJSON(t *testing.T) {
	d, err := DecisionDue(RIS, day("2025-03-21"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"reason":"decision_ris_30_days","from":"2025-03-21","nominal":"2025-04-20","due":"2025-04-22",` +
		`"skipped":[{"date":"2025-04-20","why":"sunday"},{"date":"2025-04-21","why":"holiday","holiday":"easter_monday"}],`
	if !strings.HasPrefix(string(b), want) {
		t.Errorf("JSON = %s", b)
	}
	var back Deadline
	if err := json.Unmarshal(b, &back); err != nil || back.Due != d.Due || len(back.Skipped) != 2 || back.FR != d.FR {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

func TestStatus(t *testing.T) {
	due := day("2025-04-22")
	for _, tc := range []struct {
		today  string
		want   DueStatus
		fr, nl string
	}{
		{"2025-04-19", DueStatus{State: Upcoming, DaysRemaining: 3}, "dans 3 jours", "over 3 dagen"},
		{"2025-04-21", DueStatus{State: Upcoming, DaysRemaining: 1}, "dans 1 jour", "over 1 dag"},
		{"2025-04-22", DueStatus{State: DueToday}, "aujourd'hui", "vandaag"},
		{"2025-04-23", DueStatus{State: Late, DaysLate: 1}, "en retard de 1 jour", "1 dag te laat"},
		{"2025-05-02", DueStatus{State: Late, DaysLate: 10}, "en retard de 10 jours", "10 dagen te laat"},
		{"2024-04-22", DueStatus{State: Upcoming, DaysRemaining: 365}, "dans 365 jours", "over 365 dagen"},
	} {
		got := Status(due, day(tc.today))
		if got != tc.want || got.Text("fr") != tc.fr || got.Text("nl") != tc.nl {
			t.Errorf("Status(%s, %s) = %+v %q %q, want %+v %q %q", due, tc.today, got, got.Text("fr"), got.Text("nl"), tc.want, tc.fr, tc.nl)
		}
	}
	if s := Status(civil.Date{}, day("2025-01-01")); s.State != NotRunning || s.Text("fr") != "le délai ne court pas" || s.Text("nl") != "termijn loopt niet" {
		t.Errorf("Status(zero) = %+v", s)
	}
}

func TestRulesDefaultsAndValidation(t *testing.T) {
	r := DefaultRules()
	if r != (Rules{PIISConclusionMonths: 3, PIISEvaluationsPerYear: 3, PIISInterviewsPerYear: 2, ReviewMonths: 12,
		ConvocationClearDays: 5, PIISSuspensionMonths: 1, PIISRepeatSuspensionMonths: 3}) {
		t.Errorf("DefaultRules() = %+v", r)
	}
	if err := r.Validate(); err != nil {
		t.Errorf("DefaultRules invalid: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(*Rules)
		field  string
		code   string
	}{
		{"zero rules", func(r *Rules) { *r = Rules{} }, "piis_conclusion_months", "out_of_range"},
		{"conclusion 13 months", func(r *Rules) { r.PIISConclusionMonths = 13 }, "piis_conclusion_months", "out_of_range"},
		{"no evaluation", func(r *Rules) { r.PIISEvaluationsPerYear = 0; r.PIISInterviewsPerYear = 0 }, "piis_evaluations_per_year", "out_of_range"},
		{"more interviews than evaluations", func(r *Rules) { r.PIISInterviewsPerYear = 4 }, "piis_interviews_per_year", "legalclock.interviews_exceed_evaluations"},
		{"negative interviews", func(r *Rules) { r.PIISInterviewsPerYear = -1 }, "piis_interviews_per_year", "out_of_range"},
		{"review every 18 months", func(r *Rules) { r.ReviewMonths = 18 }, "review_months", "out_of_range"},
		{"negative convocation", func(r *Rules) { r.ConvocationClearDays = -1 }, "convocation_clear_days", "out_of_range"},
		{"suspension 0", func(r *Rules) { r.PIISSuspensionMonths = 0 }, "piis_suspension_months", "out_of_range"},
		{"repeat shorter", func(r *Rules) { r.PIISSuspensionMonths = 2; r.PIISRepeatSuspensionMonths = 1 }, "piis_repeat_suspension_months", "legalclock.repeat_shorter_than_first"},
	} {
		bad := DefaultRules()
		tc.change(&bad)
		err := bad.Validate()
		var pe *problem.Error
		if !errors.As(err, &pe) || pe.Type != problem.Validation {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		found := false
		for _, f := range pe.Fields {
			found = found || (f.Field == tc.field && f.Code == tc.code)
		}
		if !found {
			t.Errorf("%s: fields %+v, want %s %s", tc.name, pe.Fields, tc.field, tc.code)
		}
		// Every method refuses wrong rules rather than compute a wrong deadline.
		if _, err := bad.PIISConclusionDue(day("2025-01-01")); err == nil {
			t.Errorf("%s: PIISConclusionDue accepted the rules", tc.name)
		}
		if _, err := bad.PIISEvaluations(day("2025-01-01")); err == nil {
			t.Errorf("%s: PIISEvaluations accepted the rules", tc.name)
		}
		if _, err := bad.YearlyReview(day("2025-01-01")); err == nil {
			t.Errorf("%s: YearlyReview accepted the rules", tc.name)
		}
		if _, err := bad.ConvocationLatest(day("2025-01-01")); err == nil {
			t.Errorf("%s: ConvocationLatest accepted the rules", tc.name)
		}
		if _, err := bad.SuspensionLimit(day("2025-01-01"), false); err == nil {
			t.Errorf("%s: SuspensionLimit accepted the rules", tc.name)
		}
	}
	for _, code := range []string{"legalclock.interviews_exceed_evaluations", "legalclock.repeat_shorter_than_first"} {
		for _, l := range []string{"fr", "nl", "de", "en"} {
			if m := problem.Message(l, code, nil); m == code || m == "" {
				t.Errorf("message %s has no %s text", code, l)
			}
		}
	}
}

func TestRulesJSON(t *testing.T) {
	var r Rules
	if err := json.Unmarshal([]byte(`{"piis_conclusion_months":2,"piis_evaluations_per_year":4,"piis_interviews_per_year":2,
		"review_months":6,"convocation_clear_days":3,"piis_suspension_months":1,"piis_repeat_suspension_months":3}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.PIISConclusionMonths != 2 || r.PIISEvaluationsPerYear != 4 || r.ReviewMonths != 6 || r.ConvocationClearDays != 3 || r.Validate() != nil {
		t.Errorf("tenant rules = %+v", r)
	}
}

func TestPIISConclusionDue(t *testing.T) {
	r := DefaultRules()
	for _, tc := range []clockCase{
		{"3 months, month end", "2025-01-31", "2025-04-30", "2025-04-30", ReasonPIISConclusion},
		{"3 months into a leap February", "2023-11-30", "2024-02-29", "2024-02-29", ReasonPIISConclusion},
		{"3 months ending on Whit Monday", "2025-03-09", "2025-06-09", "2025-06-10", ReasonPIISConclusion},
	} {
		d, err := r.PIISConclusionDue(day(tc.from))
		checkDeadline(t, tc, d, err)
	}
	r.PIISConclusionMonths = 2 // a tenant's setting
	d, err := r.PIISConclusionDue(day("2025-01-31"))
	checkDeadline(t, clockCase{"2 months", "2025-01-31", "2025-03-31", "2025-03-31", ReasonPIISConclusion}, d, err)
	if !strings.Contains(d.FR, "(2 mois après la décision d'octroi du 31 janvier 2025)") || !strings.Contains(d.NL, "(2 maanden na") {
		t.Errorf("texts: %q / %q", d.FR, d.NL)
	}
	if _, err := r.PIISConclusionDue(civil.Date{}); !errors.Is(err, ErrNoDate) {
		t.Errorf("no date: %v", err)
	}
}

func TestPIISEvaluations(t *testing.T) {
	type want struct {
		due    string
		reason Reason
	}
	for _, tc := range []struct {
		name   string
		rules  func(*Rules)
		signed string
		want   []want
	}{
		{"default: 3 a year, the first 2 face to face", func(*Rules) {}, "2025-03-10", []want{
			{"2025-07-10", ReasonPIISInterview}, {"2025-11-10", ReasonPIISInterview}, {"2026-03-10", ReasonPIISEvaluation}}},
		{"shifted and month ends", func(*Rules) {}, "2024-10-31", []want{
			{"2025-02-28", ReasonPIISInterview}, {"2025-06-30", ReasonPIISInterview}, {"2025-10-31", ReasonPIISEvaluation}}},
		{"a holiday", func(*Rules) {}, "2025-03-21", []want{
			{"2025-07-22", ReasonPIISInterview}, {"2025-11-21", ReasonPIISInterview}, {"2026-03-23", ReasonPIISEvaluation}}},
		{"4 a year, no interview", func(r *Rules) { r.PIISEvaluationsPerYear, r.PIISInterviewsPerYear = 4, 0 }, "2025-01-15", []want{
			{"2025-04-15", ReasonPIISEvaluation}, {"2025-07-15", ReasonPIISEvaluation}, {"2025-10-15", ReasonPIISEvaluation}, {"2026-01-15", ReasonPIISEvaluation}}},
		// 5 does not divide 12: spread in days over the 365 days to the anniversary (73, 146, 219, 292, 365).
		{"5 a year, in days", func(r *Rules) { r.PIISEvaluationsPerYear = 5 }, "2025-01-15", []want{
			{"2025-03-31", ReasonPIISInterview}, {"2025-06-10", ReasonPIISInterview}, {"2025-08-22", ReasonPIISEvaluation},
			{"2025-11-03", ReasonPIISEvaluation}, {"2026-01-15", ReasonPIISEvaluation}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := DefaultRules()
			tc.rules(&r)
			got, err := r.PIISEvaluations(day(tc.signed))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d evaluations, want %d", len(got), len(tc.want))
			}
			for i, w := range tc.want {
				if got[i].Due != day(w.due) || got[i].Reason != w.reason || !IsWorkingDay(got[i].Due) {
					t.Errorf("evaluation %d: %s %s (nominal %s), want %s %s", i+1, got[i].Due, got[i].Reason, got[i].Nominal, w.due, w.reason)
				}
			}
		})
	}
	r := DefaultRules()
	got, _ := r.PIISEvaluations(day("2025-03-10"))
	if got[0].FR != "Évaluation 1 du PIIS (entretien en face à face) prévue le 10 juillet 2025 (4 mois après la signature du PIIS le 10 mars 2025)" ||
		got[2].NL != "Evaluatie 3 van het GPMI gepland op 10 maart 2026 (12 maanden na de ondertekening van het GPMI op 10 maart 2025)" {
		t.Errorf("texts: %q / %q", got[0].FR, got[2].NL)
	}
	if _, err := r.PIISEvaluations(civil.Date{}); !errors.Is(err, ErrNoDate) {
		t.Errorf("no date: %v", err)
	}
}

func TestYearlyReview(t *testing.T) {
	r := DefaultRules()
	for _, tc := range []clockCase{
		{"a year after 29 February", "2024-02-29", "2025-02-28", "2025-02-28", ReasonReview},
		{"a year later on Labour Day", "2025-05-01", "2026-05-01", "2026-05-04", ReasonReview},
		{"a year later on a Sunday", "2024-03-10", "2025-03-10", "2025-03-10", ReasonReview},
	} {
		d, err := r.YearlyReview(day(tc.from))
		checkDeadline(t, tc, d, err)
	}
	r.ReviewMonths = 6
	d, err := r.YearlyReview(day("2025-08-31"))
	checkDeadline(t, clockCase{"every 6 months", "2025-08-31", "2026-02-28", "2026-03-02", ReasonReview}, d, err)
}

func TestConvocationLatest(t *testing.T) {
	r := DefaultRules()
	// A session on Friday 14 March 2025: 5 clear days (9 to 13 March) before it, so sent by Saturday 8 March;
	// not shifted forward, which would leave fewer clear days.
	d, err := r.ConvocationLatest(day("2025-03-14"))
	if err != nil || d.Due != day("2025-03-08") || d.Shifted() || d.Reason != ReasonConvocation {
		t.Fatalf("ConvocationLatest = %+v, %v", d, err)
	}
	if d.FR != "Convocation à envoyer au plus tard le 8 mars 2025 (5 jours francs avant la séance du 14 mars 2025)" ||
		d.NL != "Oproeping te versturen uiterlijk op 8 maart 2025 (5 volle dagen vóór de zitting van 14 maart 2025)" {
		t.Errorf("texts: %q / %q", d.FR, d.NL)
	}
	r.ConvocationClearDays = 0
	if d, _ := r.ConvocationLatest(day("2025-03-01")); d.Due != day("2025-02-28") {
		t.Errorf("0 clear days: %s", d.Due)
	}
	if _, err := r.ConvocationLatest(civil.Date{}); !errors.Is(err, ErrNoDate) {
		t.Errorf("no date: %v", err)
	}
}

func TestSuspensionLimit(t *testing.T) {
	r := DefaultRules()
	for _, tc := range []struct {
		start    string
		repeated bool
		want     string
	}{
		{"2025-03-01", false, "2025-03-31"},
		{"2025-03-15", false, "2025-04-14"},
		{"2025-01-31", false, "2025-02-28"},
		{"2024-01-31", false, "2024-02-29"},
		{"2024-01-30", false, "2024-02-29"},
		{"2025-03-01", true, "2025-05-31"},
		{"2025-11-30", true, "2026-02-28"},
		{"2025-12-01", true, "2026-02-28"},
	} {
		d, err := r.SuspensionLimit(day(tc.start), tc.repeated)
		if err != nil || d.Due != day(tc.want) || d.Shifted() {
			t.Errorf("SuspensionLimit(%s, %v) = %s, %v, want %s", tc.start, tc.repeated, d.Due, err, tc.want)
		}
	}
	d, _ := r.SuspensionLimit(day("2025-03-01"), true)
	if d.FR != "Suspension possible jusqu'au 31 mai 2025 au plus (3 mois à partir du 1er mars 2025, en cas de récidive)" ||
		d.NL != "Schorsing mogelijk tot en met 31 mei 2025 ten hoogste (3 maanden vanaf 1 maart 2025, bij herhaling)" {
		t.Errorf("texts: %q / %q", d.FR, d.NL)
	}
}
