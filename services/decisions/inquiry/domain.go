// Package inquiry keeps the social inquiry report of an aid request (domain.md §4: mandatory, minimum content
// set by AR 1 December 2013): identity checked, residence with the home visit, household composition (who is
// counted for the RIS), resources (ris.Resource lines), needs, the conditions of the aid checked one by one (art. 3
// loi DIS for RIS and ERIS, the state of need for aide sociale and AMU), the conclusion, and how the applicant is
// offered to be heard (an appointment or a last day), from which the right-to-be-heard letter is printed. One
// report per request (its id is the request's); the first save moves the request to in_inquiry.
package inquiry

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/ris"
)

// Condition codes. RIS and ERIS: art. 3 loi DIS; aide sociale: the state of need (LO art. 1 and 57); AMU: the
// state of need and the medical certificate (AR 12 December 1996).
const (
	CondResidence     = "residence"
	CondAge           = "age"
	CondNationality   = "nationality"
	CondResources     = "resources"
	CondWillingness   = "willingness_to_work"
	CondOtherRights   = "other_rights"
	CondStateOfNeed   = "state_of_need"
	CondMedicalCertif = "medical_certificate"
	maxText           = 4000
	maxShort          = 300
	RelationOther     = "other"
)

// ConditionsFor lists the conditions an inquiry checks for a kind of aid, in the order the letter quotes them.
func ConditionsFor(kind legalclock.Kind) []string {
	switch kind {
	case legalclock.RIS, legalclock.ERIS:
		return []string{CondResidence, CondAge, CondNationality, CondResources, CondWillingness, CondOtherRights}
	case legalclock.AMU:
		return []string{CondStateOfNeed, CondMedicalCertif}
	}
	return []string{CondStateOfNeed}
}

var conditionTexts = map[string][2]string{
	CondResidence:     {"Résidence effective en Belgique", "Werkelijke verblijfplaats in België"},
	CondAge:           {"Majorité (ou mineur·e émancipé·e, enceinte ou ayant un enfant à charge)", "Meerderjarigheid (of minderjarige die ontvoogd is, zwanger is of een kind ten laste heeft)"},
	CondNationality:   {"Nationalité ou droit de séjour (belge, citoyen·ne UE, inscrit·e au registre de population, apatride, réfugié·e ou protection subsidiaire)", "Nationaliteit of verblijfsrecht (Belg, EU-burger, ingeschreven in het bevolkingsregister, staatloze, erkend vluchteling of subsidiaire bescherming)"},
	CondResources:     {"Ressources insuffisantes", "Onvoldoende bestaansmiddelen"},
	CondWillingness:   {"Disposition au travail (sauf raisons de santé ou d'équité)", "Werkbereidheid (behalve om redenen van gezondheid of billijkheid)"},
	CondOtherRights:   {"Droits aux autres prestations sociales épuisés", "Rechten op andere sociale uitkeringen uitgeput"},
	CondStateOfNeed:   {"État de besoin", "Staat van behoeftigheid"},
	CondMedicalCertif: {"Attestation d'aide médicale urgente", "Attest van dringende medische hulp"},
}

// ConditionText names a condition in French or Dutch ("nl").
func ConditionText(code, lang string) string {
	t, ok := conditionTexts[code]
	if !ok {
		return code
	}
	if lang == "nl" {
		return t[1]
	}
	return t[0]
}

// Condition is one condition checked: Met nil while not checked yet.
type Condition struct {
	Code string `bson:"code" json:"code"`
	Met  *bool  `bson:"met,omitempty" json:"met"`
	Note string `bson:"note,omitempty" json:"note,omitempty"`
}

// Identity is the check of the applicant's identity.
type Identity struct {
	Checked  bool   `bson:"checked" json:"checked"`
	Document string `bson:"document,omitempty" json:"document,omitempty"`
	Note     string `bson:"note,omitempty" json:"note,omitempty"`
}

// Residence is where the applicant lives and what the home visit found.
type Residence struct {
	Address     string     `bson:"address,omitempty" json:"address,omitempty"`
	HomeVisitOn civil.Date `bson:"home_visit_on,omitempty" json:"home_visit_on,omitzero"`
	Findings    string     `bson:"findings,omitempty" json:"findings,omitempty"`
}

// Member is a member of the applicant's household; Counted says the CPAS counts their resources for the RIS
// (a partner, or a 1st-degree ascendant or descendant with the motivation of that choice).
type Member struct {
	ID         string       `bson:"id" json:"id"`
	Name       string       `bson:"name" json:"name"`
	Relation   string       `bson:"relation" json:"relation"`
	BirthDate  civil.Date   `bson:"birth_date,omitempty" json:"birth_date,omitzero"`
	Counted    bool         `bson:"counted" json:"counted"`
	Counting   ris.Counting `bson:"counting,omitempty" json:"counting,omitempty"`
	Motivation string       `bson:"motivation,omitempty" json:"motivation,omitempty"`
}

// Relations of a household member: the ones whose resources may count, and other.
var Relations = []string{string(ris.Partner), string(ris.Ascendant), string(ris.Descendant), RelationOther}

// Hearing is how the applicant is offered to be heard: an appointment (date, time, place) or a last day to ask.
type Hearing struct {
	AppointmentOn civil.Date `bson:"appointment_on,omitempty" json:"appointment_on,omitzero"`
	Time          string     `bson:"time,omitempty" json:"time,omitempty"`
	Place         string     `bson:"place,omitempty" json:"place,omitempty"`
	AskBy         civil.Date `bson:"ask_by,omitempty" json:"ask_by,omitzero"`
}

// IsZero tells whether nothing was set.
func (h Hearing) IsZero() bool { return h == Hearing{} }

// Report is what the social worker writes (the body of a PUT).
type Report struct {
	Identity   Identity       `bson:"identity" json:"identity"`
	Residence  Residence      `bson:"residence" json:"residence"`
	Household  []Member       `bson:"household" json:"household"`
	Resources  []ris.Resource `bson:"resources" json:"resources"`
	Needs      string         `bson:"needs,omitempty" json:"needs,omitempty"`
	Conditions []Condition    `bson:"conditions" json:"conditions"`
	Conclusion string         `bson:"conclusion,omitempty" json:"conclusion,omitempty"`
	Hearing    Hearing        `bson:"hearing" json:"hearing"`
}

// Inquiry is the stored report of a request.
type Inquiry struct {
	RequestID string          `bson:"request_id" json:"request_id"`
	FileID    string          `bson:"file_id" json:"file_id"`
	PersonID  string          `bson:"person_id" json:"person_id"`
	Kind      legalclock.Kind `bson:"kind" json:"kind"`
	Report    `bson:",inline"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
	CreatedBy string    `bson:"created_by" json:"created_by"`
	UpdatedAt time.Time `bson:"updated_at" json:"updated_at"`
	UpdatedBy string    `bson:"updated_by" json:"updated_by"`
}

// Complete tells whether every condition of the kind was checked (met or not).
func (q Inquiry) Complete() bool {
	for _, c := range q.Conditions {
		if c.Met == nil {
			return false
		}
	}
	return len(q.Conditions) == len(ConditionsFor(q.Kind))
}

// CountedMembers are the household members the RIS calculation counts.
func (r Report) CountedMembers() []ris.Member {
	var out []ris.Member
	for _, m := range r.Household {
		if m.Counted {
			out = append(out, ris.Member{ID: m.ID, Label: firstWord(m.Name), Relation: ris.Relation(m.Relation), Counting: m.Counting, Motivation: m.Motivation})
		}
	}
	return out
}

// LetterConditions are the conditions in the letter's language.
func (r Report) LetterConditions(lang string) []letter.Condition {
	out := make([]letter.Condition, 0, len(r.Conditions))
	for _, c := range r.Conditions {
		out = append(out, letter.Condition{Text: ConditionText(c.Code, lang), Met: c.Met != nil && *c.Met, Note: c.Note})
	}
	return out
}

func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

var clock = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// normalize trims the texts.
func (r *Report) normalize(kind legalclock.Kind) {
	trim := func(s *string) { *s = strings.TrimSpace(*s) }
	trim(&r.Identity.Document)
	trim(&r.Identity.Note)
	trim(&r.Residence.Address)
	trim(&r.Residence.Findings)
	trim(&r.Needs)
	trim(&r.Conclusion)
	trim(&r.Hearing.Time)
	trim(&r.Hearing.Place)
	for i := range r.Household {
		trim(&r.Household[i].ID)
		trim(&r.Household[i].Name)
		trim(&r.Household[i].Motivation)
		if !r.Household[i].Counted {
			r.Household[i].Counting, r.Household[i].Motivation = "", ""
		}
	}
	for i := range r.Conditions {
		trim(&r.Conditions[i].Note)
	}
	if r.Household == nil {
		r.Household = []Member{}
	}
	if r.Resources == nil {
		r.Resources = []ris.Resource{}
	}
}

// order puts the (checked) conditions in the kind's order, adding the ones not given as not checked yet.
func (r *Report) order(kind legalclock.Kind) {
	byCode := map[string]Condition{}
	for _, c := range r.Conditions {
		byCode[c.Code] = c
	}
	out := []Condition{}
	for _, code := range ConditionsFor(kind) {
		c, ok := byCode[code]
		if !ok {
			c = Condition{Code: code}
		}
		out = append(out, c)
	}
	r.Conditions = out
}

// check validates a report of a request of kind on today; the error is a problem.Validation.
func (r Report) check(kind legalclock.Kind, today civil.Date, kinds func(ris.ResourceKind) bool) error {
	var fs problem.Fields
	long := func(field, s string, max int) {
		if len(s) > max {
			fs.Add(field, "inquiry.text_too_long")
		}
	}
	long("identity.document", r.Identity.Document, maxShort)
	long("identity.note", r.Identity.Note, maxText)
	long("residence.address", r.Residence.Address, maxShort)
	long("residence.findings", r.Residence.Findings, maxText)
	long("needs", r.Needs, maxText)
	long("conclusion", r.Conclusion, maxText)
	if r.Residence.HomeVisitOn.After(today) {
		fs.Add("residence.home_visit_on", "inquiry.date_in_future")
	}
	known := ConditionsFor(kind)
	seen := map[string]bool{}
	for i, c := range r.Conditions {
		field := fmt.Sprintf("conditions[%d].", i)
		switch {
		case !slices.Contains(known, c.Code):
			fs.Add(field+"code", "inquiry.condition_unknown")
		case seen[c.Code]:
			fs.Add(field+"code", "duplicate")
		}
		seen[c.Code] = true
		long(field+"note", c.Note, maxText)
	}
	ids := map[string]bool{ris.Applicant: true}
	for i, m := range r.Household {
		field := fmt.Sprintf("household[%d].", i)
		switch {
		case m.ID == "":
			fs.Add(field+"id", "required")
		case ids[m.ID]:
			fs.Add(field+"id", "duplicate")
		}
		ids[m.ID] = true
		if m.Name == "" {
			fs.Add(field+"name", "required")
		}
		long(field+"name", m.Name, maxShort)
		if !slices.Contains(Relations, m.Relation) {
			fs.Add(field+"relation", "invalid_choice")
		}
		if m.BirthDate.After(today) {
			fs.Add(field+"birth_date", "inquiry.date_in_future")
		}
		if m.Counted {
			switch {
			case m.Relation == RelationOther:
				fs.Add(field+"counted", "inquiry.member_not_countable")
			case m.Counting != ris.CountFull && m.Counting != ris.CountAboveCohabitant:
				fs.Add(field+"counting", "invalid_choice")
			case m.Relation != string(ris.Partner) && m.Motivation == "":
				fs.Add(field+"motivation", "ris.motivation_required")
			}
		}
		long(field+"motivation", m.Motivation, maxText)
	}
	for i, res := range r.Resources {
		field := fmt.Sprintf("resources[%d].", i)
		if !kinds(res.Kind) {
			fs.Add(field+"kind", "ris.resource_kind_unknown")
		}
		if res.Period != ris.Monthly && res.Period != ris.Yearly {
			fs.Add(field+"period", "invalid_choice")
		}
		if res.Amount < 0 {
			fs.Add(field+"amount", "ris.amount_negative")
		}
		if !ids[res.Whose] {
			fs.Add(field+"whose", "ris.whose_unknown")
		}
	}
	h := r.Hearing
	if !h.AppointmentOn.IsZero() {
		if h.AppointmentOn.Before(today) {
			fs.Add("hearing.appointment_on", "inquiry.date_in_past")
		}
		if !clock.MatchString(h.Time) {
			fs.Add("hearing.time", "inquiry.time_invalid")
		}
		if h.Place == "" {
			fs.Add("hearing.place", "required")
		}
	} else if h.Time != "" || h.Place != "" {
		fs.Add("hearing.appointment_on", "required")
	}
	if !h.AskBy.IsZero() && h.AskBy.Before(today) {
		fs.Add("hearing.ask_by", "inquiry.date_in_past")
	}
	long("hearing.place", h.Place, maxShort)
	return fs.Err()
}

func init() {
	for code, t := range map[string][4]string{
		"inquiry.text_too_long": {"Texte trop long.", "Tekst te lang.", "Text zu lang.", "Text too long."},
		"inquiry.date_in_future": {"La date ne peut pas être dans le futur.", "De datum mag niet in de toekomst liggen.",
			"Das Datum darf nicht in der Zukunft liegen.", "The date cannot be in the future."},
		"inquiry.date_in_past": {"La date ne peut pas être passée.", "De datum mag niet in het verleden liggen.",
			"Das Datum darf nicht in der Vergangenheit liegen.", "The date cannot be in the past."},
		"inquiry.time_invalid": {"Heure attendue au format HH:MM.", "Uur verwacht in de vorm UU:MM.", "Uhrzeit im Format HH:MM erwartet.", "Time expected as HH:MM."},
		"inquiry.condition_unknown": {"Condition inconnue pour ce type d'aide.", "Onbekende voorwaarde voor dit soort hulp.",
			"Unbekannte Voraussetzung für diese Hilfeart.", "Unknown condition for this kind of aid."},
		"inquiry.member_not_countable": {"Seules les ressources du partenaire, d'un ascendant ou d'un descendant au 1er degré peuvent être prises en compte.",
			"Enkel de bestaansmiddelen van de partner of van een bloedverwant in de 1e graad kunnen meetellen.",
			"Nur die Einkünfte des Partners oder eines Verwandten ersten Grades können berücksichtigt werden.",
			"Only the resources of a partner or a 1st-degree relative can be counted."},
		"inquiry.request_closed": {"Cette demande est décidée ou retirée : l'enquête ne peut plus changer.",
			"Over deze aanvraag is beslist of ze is ingetrokken: het onderzoek kan niet meer wijzigen.",
			"Dieser Antrag ist entschieden oder zurückgezogen: die Untersuchung kann sich nicht mehr ändern.",
			"This request is decided or withdrawn: the inquiry can no longer change."},
		"inquiry.hearing_missing": {"Indiquez dans l'enquête un rendez-vous d'audition ou la date limite pour demander à être entendu·e.",
			"Vermeld in het onderzoek een afspraak voor het verhoor of de uiterste datum om te vragen gehoord te worden.",
			"Geben Sie in der Untersuchung einen Anhörungstermin oder die Frist für den Antrag auf Anhörung an.",
			"Give in the inquiry a hearing appointment or the last day to ask to be heard."},
		"inquiry.exists": {"L'enquête de cette demande existe déjà : rechargez-la.", "Het onderzoek van deze aanvraag bestaat al: laad het opnieuw.",
			"Die Untersuchung dieses Antrags existiert bereits: laden Sie sie neu.", "This request's inquiry already exists: reload it."},
	} {
		problem.RegisterMessages(code, map[string]string{"fr": t[0], "nl": t[1], "de": t[2], "en": t[3]})
	}
}
