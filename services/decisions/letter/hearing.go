package letter

import (
	"fmt"
	"regexp"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/decisions/legalclock"
)

// Appointment is a hearing the CPAS proposes: a day, a time ("14:30") and a place.
type Appointment struct {
	Date  civil.Date `json:"date"`
	Time  string     `json:"time"`
	Place string     `json:"place"`
}

var clockTime = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// Hearing is the letter telling an applicant they can be heard before the decision (domain.md §4): either the
// CPAS proposes an Appointment, or the applicant asks for a hearing before AskBy.
type Hearing struct {
	CPAS          CPAS            `json:"cpas"`
	Applicant     Beneficiary     `json:"applicant"`
	Kind          legalclock.Kind `json:"kind"`
	Subtype       Subtype         `json:"subtype,omitempty"`
	Received      civil.Date      `json:"received"`
	FileReference string          `json:"file_reference"`
	SocialWorker  string          `json:"social_worker"`
	// Written is the date of the letter.
	Written     civil.Date   `json:"written"`
	Appointment *Appointment `json:"appointment,omitempty"`
	// AskBy is the last day to ask for a hearing when no appointment is proposed.
	AskBy civil.Date `json:"ask_by,omitzero"`
}

// HearingLetter builds the right-to-be-heard letter in the applicant's language.
func HearingLetter(h Hearing) (Document, error) {
	lang := h.Applicant.Lang
	if !lang.Valid() {
		return Document{}, ErrLanguage
	}
	var missing []string
	check := func(name string, ok bool) {
		if !ok {
			missing = append(missing, name)
		}
	}
	check("cpas", !blank(h.CPAS.Name) && h.CPAS.Address.complete())
	check("cpas.service", !blank(h.CPAS.Service))
	check("applicant", !blank(h.Applicant.Name))
	check("kind", h.Kind.Valid() && (h.Kind != legalclock.AideSociale || h.Subtype.Valid()))
	check("received", !h.Received.IsZero())
	check("file_reference", !blank(h.FileReference))
	check("social_worker", !blank(h.SocialWorker))
	check("written", !h.Written.IsZero())
	if a := h.Appointment; a != nil {
		check("appointment.date", !a.Date.IsZero() && !a.Date.Before(h.Written))
		check("appointment.time", clockTime.MatchString(a.Time))
		check("appointment.place", !blank(a.Place))
	} else {
		check("ask_by", !h.AskBy.IsZero() && !h.AskBy.Before(h.Written))
	}
	if len(missing) > 0 {
		return Document{}, incomplete(missing)
	}
	aid := kindName(h.Kind, h.Subtype, lang)
	doc := Document{
		Kind:       KindHearing,
		Lang:       lang,
		Title:      pick(lang, "Votre droit d'être entendu·e avant la décision", "Uw recht om gehoord te worden voor de beslissing"),
		Sender:     h.CPAS.senderLines(lang),
		Recipient:  h.Applicant.lines(),
		Salutation: tr(lang, "salutation"),
		Closing:    []string{tr(lang, "closing")},
		Signature:  []string{tr(lang, "for_cpas"), h.SocialWorker, h.CPAS.Name},
		Footer:     tr(lang, "footer") + " " + h.FileReference,
		Meta: []Row{
			{Label: tr(lang, "file_reference"), Value: h.FileReference},
			{Label: tr(lang, "service"), Value: h.CPAS.Service},
			{Label: tr(lang, "social_worker"), Value: h.SocialWorker},
			{Label: tr(lang, "date"), Value: date(h.Written, lang)},
		},
	}
	doc.Intro = []string{fmt.Sprintf(pick(lang,
		"Le centre public d'action sociale va prendre une décision sur votre demande de %s du %s. Avant cette décision, vous avez le droit d'être entendu·e : vous pouvez exposer votre situation et vos arguments, et consulter votre dossier.",
		"Het openbaar centrum voor maatschappelijk welzijn gaat beslissen over uw aanvraag om %s van %s. Voor die beslissing hebt u het recht gehoord te worden: u kunt uw situatie en uw argumenten toelichten en uw dossier inkijken."),
		aid, date(h.Received, lang))}
	var how Section
	if a := h.Appointment; a != nil {
		how = Section{
			Heading: pick(lang, "Rendez-vous proposé", "Voorgestelde afspraak"),
			Paragraphs: []string{fmt.Sprintf(pick(lang,
				"Nous vous proposons de vous entendre le %s %s à %s, à l'adresse suivante :",
				"Wij stellen voor u te horen op %s %s om %s, op het volgende adres:"),
				legalclock.WeekdayName(a.Date.Weekday(), string(lang)), date(a.Date, lang), a.Time)},
			Block: []string{a.Place},
			After: []string{fmt.Sprintf(pick(lang,
				"Si ce moment ne vous convient pas, prenez contact avec %s pour en convenir d'un autre.",
				"Als dit moment u niet past, neem dan contact op met %s om een ander moment af te spreken."), h.SocialWorker)},
		}
	} else {
		how = Section{
			Heading: pick(lang, "Comment demander à être entendu·e", "Hoe vraagt u om gehoord te worden"),
			Paragraphs: []string{fmt.Sprintf(pick(lang,
				"Si vous souhaitez être entendu·e, faites-le savoir à %s au plus tard le %s, par écrit, par téléphone ou en vous présentant au service. Nous vous proposerons alors un rendez-vous.",
				"Als u gehoord wilt worden, laat het dan uiterlijk op %s weten aan %s, schriftelijk, telefonisch of aan het loket van de dienst. Wij stellen u dan een afspraak voor."),
				pickOrder(lang, h.SocialWorker, date(h.AskBy, lang))...)},
		}
	}
	how.After = append(how.After, pick(lang,
		"Vous pouvez vous faire accompagner ou représenter par la personne de votre choix. Si vous ne demandez pas à être entendu·e, le CPAS décidera sur la base de votre dossier.",
		"U mag zich laten bijstaan of vertegenwoordigen door een persoon naar keuze. Als u niet vraagt gehoord te worden, beslist het OCMW op basis van uw dossier."))
	doc.Sections = []Section{how}
	return doc, nil
}

// pickOrder orders a worker's name and a date as the French ("à X au plus tard le D") and Dutch ("uiterlijk op D
// aan X") sentences need them.
func pickOrder(lang Lang, worker, day string) []any {
	if lang == NL {
		return []any{day, worker}
	}
	return []any{worker, day}
}
