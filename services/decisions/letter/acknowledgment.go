package letter

import (
	"fmt"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/decisions/legalclock"
)

// Acknowledgment is the accusé de réception (ontvangstbewijs) handed or sent the day a request is registered
// (domain.md §4): it states the decision deadline and the file reference.
type Acknowledgment struct {
	CPAS      CPAS            `json:"cpas"`
	Applicant Beneficiary     `json:"applicant"`
	Kind      legalclock.Kind `json:"kind"`
	Subtype   Subtype         `json:"subtype,omitempty"`
	Received  civil.Date      `json:"received"`
	// RegisterNumber is the request's number in the chronological request register.
	RegisterNumber string `json:"register_number"`
	FileReference  string `json:"file_reference"`
	SocialWorker   string `json:"social_worker"`
}

// Deadline is the decision deadline the acknowledgment states.
func (a Acknowledgment) Deadline() (legalclock.Deadline, error) {
	return legalclock.DecisionDue(a.Kind, a.Received)
}

// AcknowledgmentLetter builds the acknowledgment of receipt in the applicant's language.
func AcknowledgmentLetter(a Acknowledgment) (Document, error) {
	lang := a.Applicant.Lang
	if !lang.Valid() {
		return Document{}, ErrLanguage
	}
	var missing []string
	for _, f := range []struct {
		name string
		ok   bool
	}{
		{"cpas", !blank(a.CPAS.Name) && a.CPAS.Address.complete()},
		{"cpas.service", !blank(a.CPAS.Service)},
		{"applicant", !blank(a.Applicant.Name)},
		{"kind", a.Kind.Valid() && (a.Kind != legalclock.AideSociale || a.Subtype.Valid())},
		{"received", !a.Received.IsZero()},
		{"register_number", !blank(a.RegisterNumber)},
		{"file_reference", !blank(a.FileReference)},
		{"social_worker", !blank(a.SocialWorker)},
	} {
		if !f.ok {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return Document{}, incomplete(missing)
	}
	due, err := a.Deadline()
	if err != nil {
		return Document{}, err
	}
	noDecision, err := legalclock.AppealWindowEndNoDecision(a.Kind, a.Received)
	if err != nil {
		return Document{}, err
	}
	aid := kindName(a.Kind, a.Subtype, lang)
	doc := Document{
		Kind:       KindAcknowledgment,
		Lang:       lang,
		Title:      pick(lang, "Accusé de réception de votre demande de ", "Ontvangstbewijs van uw aanvraag om ") + aid,
		Sender:     a.CPAS.senderLines(lang),
		Recipient:  a.Applicant.lines(),
		Salutation: tr(lang, "salutation"),
		Closing:    []string{tr(lang, "closing")},
		Signature:  []string{tr(lang, "for_cpas"), a.SocialWorker, a.CPAS.Name},
		Footer:     tr(lang, "footer") + " " + a.FileReference,
		Meta: []Row{
			{Label: tr(lang, "file_reference"), Value: a.FileReference},
			{Label: tr(lang, "register_number"), Value: a.RegisterNumber},
			{Label: tr(lang, "service"), Value: a.CPAS.Service},
			{Label: tr(lang, "social_worker"), Value: a.SocialWorker},
			{Label: tr(lang, "date"), Value: date(a.Received, lang)},
		},
	}
	doc.Intro = []string{fmt.Sprintf(pick(lang,
		"Nous avons reçu le %s votre demande de %s. Elle est inscrite au registre des demandes sous le numéro %s et suivie dans le dossier %s.",
		"Wij hebben op %s uw aanvraag om %s ontvangen. Ze is ingeschreven in het aanvraagregister onder nummer %s en wordt opgevolgd in dossier %s."),
		date(a.Received, lang), aid, a.RegisterNumber, a.FileReference)}
	doc.Sections = []Section{
		{
			Heading:    pick(lang, "Délai de décision", "Beslissingstermijn"),
			Paragraphs: []string{due.Text(string(lang)) + "."},
			After: []string{pick(lang,
				"La décision vous sera notifiée dans les huit jours, par lettre recommandée ou par remise contre accusé de réception.",
				"De beslissing wordt u binnen acht dagen ter kennis gebracht, met een aangetekende brief of door afgifte tegen ontvangstbewijs.")},
		},
		{
			Heading: pick(lang, "Enquête sociale et audition", "Sociaal onderzoek en hoorrecht"),
			Paragraphs: []string{fmt.Sprintf(pick(lang,
				"Votre assistant·e social·e, %s, mènera l'enquête sociale et pourra vous rendre visite à domicile. Vous avez le droit d'être entendu·e avant la décision.",
				"Uw maatschappelijk werker, %s, voert het sociaal onderzoek en kan u thuis bezoeken. U hebt het recht gehoord te worden voor de beslissing."),
				a.SocialWorker)},
		},
		{
			Heading: pick(lang, "Absence de décision", "Geen beslissing"),
			Paragraphs: []string{fmt.Sprintf(pick(lang,
				"Si le CPAS ne décide pas dans le délai, vous pouvez introduire un recours auprès du tribunal du travail jusqu'au %s.",
				"Als het OCMW niet binnen de termijn beslist, kunt u tot %s beroep instellen bij de arbeidsrechtbank."),
				date(noDecision.Due, lang))},
		},
	}
	return doc, nil
}
