package letter

import (
	"errors"
	"fmt"
	"strings"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/ris"
)

// Outcome is what the CPAS decided on a request.
type Outcome string

// The outcomes of a decision.
const (
	Granted          Outcome = "granted"
	Refused          Outcome = "refused"
	PartiallyGranted Outcome = "partially_granted"
)

// Periodicity is how often the aid is paid.
type Periodicity string

// The payment periodicities.
const (
	PaidMonthly Periodicity = "monthly"
	PaidOnce    Periodicity = "once"
)

// Condition is one condition the social inquiry checked (art. 3 loi DIS for the RIS, the state of need for aide
// sociale), in the letter's language: the factual motivation is built from them.
type Condition struct {
	// Text names the condition, e.g. "Résidence effective en Belgique".
	Text string `json:"text"`
	Met  bool   `json:"met"`
	// Note is what the inquiry found, e.g. "visite à domicile du 12 mars 2025".
	Note string `json:"note,omitempty"`
}

// Decision is what a decision letter says. Texts (legal basis, justification, conditions, motivation) are in
// the beneficiary's language; the caller composes them from the proposal and the committee's vote.
type Decision struct {
	CPAS CPAS `json:"cpas"`
	// Court is the labour court competent for the tenant's district, with its registry's address.
	Court       LabourCourt `json:"court"`
	Beneficiary Beneficiary `json:"beneficiary"`
	// FileReference is the social file's number, e.g. "2026/000123".
	FileReference string `json:"file_reference"`
	SocialWorker  string `json:"social_worker"`

	Outcome Outcome         `json:"outcome"`
	Kind    legalclock.Kind `json:"kind"`
	// Subtype of aide sociale (Kind AideSociale).
	Subtype Subtype `json:"subtype,omitempty"`
	// Requested is the date the request was received, printed when set.
	Requested civil.Date `json:"requested,omitzero"`
	// LegalBasis are the legal grounds, e.g. "articles 3 et 14 de la loi du 26 mai 2002 …".
	LegalBasis string `json:"legal_basis"`
	// Category and its justification (RIS granted or partially granted).
	Category              ris.Category `json:"category,omitempty"`
	CategoryJustification string       `json:"category_justification,omitempty"`
	// Monthly is the monthly amount; FirstMonth the prorated amount of the first month when it differs; OneOff
	// the amount of a single payment.
	Monthly    ris.Cents   `json:"monthly,omitempty"`
	FirstMonth ris.Cents   `json:"first_month,omitempty"`
	OneOff     ris.Cents   `json:"one_off,omitempty"`
	Start      civil.Date  `json:"start,omitzero"`
	End        civil.Date  `json:"end,omitzero"`
	Review     civil.Date  `json:"review,omitzero"`
	Paid       Periodicity `json:"paid,omitempty"`
	// PaidTo is the third party the decision pays (a landlord, an energy supplier…), by its name; empty when the
	// beneficiary is paid on their own account.
	PaidTo string `json:"paid_to,omitempty"`
	// Working is the resource calculation (ris.Result.Working).
	Working ris.Working `json:"working,omitempty"`
	// Conditions checked, and Motivation: the factual grounds (for a partial grant, what is refused and why).
	Conditions []Condition `json:"conditions,omitempty"`
	Motivation string      `json:"motivation,omitempty"`
	Decided    civil.Date  `json:"decided"`
	// Notified is the notification date when known: the letter then states the appeal deadline's last day.
	Notified civil.Date `json:"notified,omitzero"`
	// Written is the date of the letter (the decision date when zero).
	Written civil.Date `json:"written,omitzero"`
}

// Mention is a mandatory mention of a decision letter (domain.md §4, Charte de l'assuré social art. 14).
type Mention string

// The mentions a decision letter must carry. The appeal's deadline, gratuity and non-suspensive effect are
// texts of the letter itself: the renderer always writes them, and tests check they are there.
const (
	MentionFactualGrounds   Mention = "factual_grounds"
	MentionLegalGrounds     Mention = "legal_grounds"
	MentionCategory         Mention = "category"
	MentionAmount           Mention = "amount"
	MentionResourceCalc     Mention = "resource_calculation"
	MentionPeriodicity      Mention = "payment_periodicity"
	MentionPeriod           Mention = "period"
	MentionCourtName        Mention = "labour_court_name"
	MentionCourtAddress     Mention = "labour_court_address"
	MentionAppealDeadline   Mention = "appeal_deadline"
	MentionAppealFree       Mention = "appeal_free"
	MentionAppealSuspensive Mention = "appeal_not_suspensive"
	MentionFileReference    Mention = "file_reference"
	MentionService          Mention = "service"
	MentionSocialWorker     Mention = "social_worker"
	// MentionSender and MentionAddressee: who writes and to whom (a letter cannot be notified otherwise).
	MentionSender       Mention = "sender"
	MentionAddressee    Mention = "addressee"
	MentionDecisionDate Mention = "decision_date"
	MentionOutcome      Mention = "outcome"
	MentionKind         Mention = "aid_kind"
)

// MissingMention is a mandatory mention the decision lacks, and the input field to fill.
type MissingMention struct {
	Mention Mention `json:"mention"`
	Field   string  `json:"field"`
}

// ErrMissingMentions: the decision letter lacks mandatory mentions; the appeal period would not run on it.
var ErrMissingMentions = errors.New("letter: mandatory mentions missing")

// MissingMentionsError lists the missing mentions; it matches ErrMissingMentions.
type MissingMentionsError struct{ Missing []MissingMention }

func (e *MissingMentionsError) Error() string {
	names := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		names[i] = string(m.Mention) + " (" + m.Field + ")"
	}
	return ErrMissingMentions.Error() + ": " + strings.Join(names, ", ")
}

// Is makes errors.Is(err, ErrMissingMentions) true.
func (e *MissingMentionsError) Is(target error) bool { return target == ErrMissingMentions }

// grants reports whether the decision grants something (fully or partly).
func (d Decision) grants() bool { return d.Outcome == Granted || d.Outcome == PartiallyGranted }

// paysMoney reports whether the grant is a payment: AMU and medical costs are taken over, not paid to the
// beneficiary, so they carry no amount.
func (d Decision) paysMoney() bool {
	return d.grants() && d.Kind != legalclock.AMU && !(d.Kind == legalclock.AideSociale && d.Subtype == MedicalCosts)
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// CheckMentions lists the mandatory mentions the decision lacks, in the letter's order (empty when the letter
// can be rendered). What a refusal does not grant (amount, category, calculation, periodicity, period) is only
// required of a grant: a RIS refusal for resources above the category amount states it in its factual grounds.
func CheckMentions(d Decision) []MissingMention {
	var missing []MissingMention
	add := func(m Mention, field string) { missing = append(missing, MissingMention{m, field}) }
	if blank(d.CPAS.Name) || !d.CPAS.Address.complete() {
		add(MentionSender, "cpas")
	}
	if blank(d.Beneficiary.Name) || !d.Beneficiary.Address.complete() {
		add(MentionAddressee, "beneficiary")
	}
	if blank(d.FileReference) {
		add(MentionFileReference, "file_reference")
	}
	if blank(d.CPAS.Service) {
		add(MentionService, "cpas.service")
	}
	if blank(d.SocialWorker) {
		add(MentionSocialWorker, "social_worker")
	}
	if d.Decided.IsZero() {
		add(MentionDecisionDate, "decided")
	}
	switch d.Outcome {
	case Granted, Refused, PartiallyGranted:
	default:
		add(MentionOutcome, "outcome")
	}
	if !d.Kind.Valid() || (d.Kind == legalclock.AideSociale && !d.Subtype.Valid()) {
		add(MentionKind, "kind")
	}
	if len(d.Conditions) == 0 && blank(d.Motivation) {
		add(MentionFactualGrounds, "conditions")
	}
	if blank(d.LegalBasis) {
		add(MentionLegalGrounds, "legal_basis")
	}
	if d.grants() && d.Kind == legalclock.RIS {
		if !d.Category.Valid() || blank(d.CategoryJustification) {
			add(MentionCategory, "category")
		}
	}
	if d.paysMoney() {
		switch d.Paid {
		case PaidMonthly:
			if d.Monthly <= 0 {
				add(MentionAmount, "monthly")
			}
		case PaidOnce:
			if d.OneOff <= 0 {
				add(MentionAmount, "one_off")
			}
		default:
			if d.Monthly <= 0 && d.OneOff <= 0 {
				add(MentionAmount, "monthly")
			}
		}
		if d.Paid != PaidMonthly && d.Paid != PaidOnce {
			add(MentionPeriodicity, "paid")
		}
	}
	if d.grants() && d.Kind == legalclock.RIS && len(d.Working) == 0 {
		add(MentionResourceCalc, "working")
	}
	if d.grants() && (d.Start.IsZero() || (d.Paid != PaidOnce && d.End.IsZero() && d.Review.IsZero())) {
		add(MentionPeriod, "start")
	}
	if blank(d.Court.Name) {
		add(MentionCourtName, "court.name")
	}
	if !d.Court.Address.complete() {
		add(MentionCourtAddress, "court.address")
	}
	return missing
}

// DecisionLetter builds the decision letter in the beneficiary's language. It refuses a decision that lacks a
// mandatory mention (a *MissingMentionsError) or whose language is not supported.
func DecisionLetter(d Decision) (Document, error) {
	lang := d.Beneficiary.Lang
	if !lang.Valid() {
		return Document{}, ErrLanguage
	}
	if missing := CheckMentions(d); len(missing) > 0 {
		return Document{}, &MissingMentionsError{Missing: missing}
	}
	written := d.Written
	if written.IsZero() {
		written = d.Decided
	}
	aid := kindName(d.Kind, d.Subtype, lang)
	doc := Document{
		Kind:       KindDecision,
		Lang:       lang,
		Title:      pick(lang, "Décision relative à votre demande de ", "Beslissing over uw aanvraag om ") + aid,
		Sender:     d.CPAS.senderLines(lang),
		Recipient:  d.Beneficiary.lines(),
		Salutation: tr(lang, "salutation"),
		Closing:    []string{tr(lang, "closing")},
		Signature:  []string{tr(lang, "for_cpas"), d.CPAS.Name},
		Footer:     tr(lang, "footer") + " " + d.FileReference,
	}
	doc.Meta = []Row{
		{Label: tr(lang, "file_reference"), Value: d.FileReference},
		{Label: tr(lang, "service"), Value: d.CPAS.Service},
		{Label: tr(lang, "social_worker"), Value: d.SocialWorker},
		{Label: tr(lang, "date"), Value: date(written, lang)},
	}
	requested := ""
	if !d.Requested.IsZero() {
		requested = pick(lang, " du ", " van ") + date(d.Requested, lang)
	}
	var verdict string
	switch d.Outcome {
	case Granted:
		verdict = fmt.Sprintf(pick(lang, "de vous accorder l'aide demandée (%s)", "de gevraagde hulp (%s) toe te kennen"), aid)
	case PartiallyGranted:
		verdict = fmt.Sprintf(pick(lang, "de vous accorder partiellement l'aide demandée (%s)", "de gevraagde hulp (%s) gedeeltelijk toe te kennen"), aid)
	default:
		verdict = fmt.Sprintf(pick(lang, "de refuser l'aide demandée (%s)", "de gevraagde hulp (%s) te weigeren"), aid)
	}
	doc.Intro = []string{fmt.Sprintf(pick(lang,
		"Suite à votre demande%s, le centre public d'action sociale a décidé le %s %s.",
		"Naar aanleiding van uw aanvraag%s heeft het openbaar centrum voor maatschappelijk welzijn op %s beslist %s."),
		requested, date(d.Decided, lang), verdict)}

	if d.grants() {
		doc.Sections = append(doc.Sections, d.grantSection(lang))
	}
	facts := Section{Heading: pick(lang, "Motifs de fait", "Feitelijke motivering")}
	if len(d.Conditions) > 0 {
		facts.Paragraphs = []string{pick(lang, "L'enquête sociale a vérifié les conditions suivantes :", "Het sociaal onderzoek heeft de volgende voorwaarden nagegaan:")}
		for _, c := range d.Conditions {
			state := pick(lang, "remplie", "vervuld")
			if !c.Met {
				state = pick(lang, "non remplie", "niet vervuld")
			}
			item := c.Text + " : " + state
			if lang == NL {
				item = c.Text + ": " + state
			}
			if !blank(c.Note) {
				item += " (" + c.Note + ")"
			}
			facts.List = append(facts.List, item)
		}
	}
	if !blank(d.Motivation) {
		facts.After = []string{d.Motivation}
	}
	doc.Sections = append(doc.Sections, facts)
	legal := Section{Heading: pick(lang, "Motifs de droit", "Juridische grondslag"), Paragraphs: []string{d.LegalBasis}}
	doc.Sections = append(doc.Sections, legal)
	if len(d.Working) > 0 {
		calc := Section{Heading: pick(lang, "Calcul de vos ressources", "Berekening van uw bestaansmiddelen")}
		for i, l := range d.Working {
			calc.Table = append(calc.Table, Row{Label: l.Text(string(lang)), Value: money(l.Amount, lang), Total: i == len(d.Working)-1})
		}
		doc.Sections = append(doc.Sections, calc)
	}
	doc.Sections = append(doc.Sections, d.appealSection(lang))
	doc.Sections = append(doc.Sections, Section{
		Heading: pick(lang, "Questions", "Vragen"),
		Paragraphs: []string{fmt.Sprintf(pick(lang,
			"Pour toute question, adressez-vous à votre assistant·e social·e, %s (%s), en mentionnant la référence %s.",
			"Met vragen kunt u terecht bij uw maatschappelijk werker, %s (%s), met vermelding van het dossiernummer %s."),
			d.SocialWorker, d.CPAS.Service, d.FileReference)},
	})
	return doc, nil
}

func (d Decision) grantSection(lang Lang) Section {
	s := Section{Heading: pick(lang, "Aide accordée", "Toegekende hulp")}
	if d.Kind == legalclock.RIS {
		s.Paragraphs = append(s.Paragraphs, fmt.Sprintf(pick(lang,
			"Catégorie : %d (%s). Justification : %s",
			"Categorie: %d (%s). Verantwoording: %s"),
			int(d.Category), d.Category.Name(string(lang)), d.CategoryJustification))
	}
	if d.paysMoney() {
		if d.Paid == PaidOnce {
			s.Table = append(s.Table, Row{Label: pick(lang, "Montant (paiement unique)", "Bedrag (eenmalige betaling)"), Value: money(d.OneOff, lang), Total: true})
		} else {
			s.Table = append(s.Table, Row{Label: pick(lang, "Montant mensuel", "Maandelijks bedrag"), Value: money(d.Monthly, lang), Total: true})
			if d.FirstMonth > 0 && d.FirstMonth != d.Monthly {
				s.Table = append(s.Table, Row{Label: fmt.Sprintf(pick(lang, "Premier mois, au prorata à partir du %s", "Eerste maand, pro rata vanaf %s"), date(d.Start, lang)), Value: money(d.FirstMonth, lang)})
			}
		}
		s.After = append(s.After, periodicityLine(lang, d.Paid, strings.TrimSpace(d.PaidTo)))
	} else {
		s.Paragraphs = append(s.Paragraphs, pick(lang,
			"Le CPAS prend en charge les frais selon les modalités de la décision ; aucun montant ne vous est versé.",
			"Het OCMW neemt de kosten ten laste volgens de nadere regels van de beslissing; er wordt u geen bedrag uitbetaald."))
	}
	var period string
	switch {
	case d.Paid == PaidOnce:
		period = fmt.Sprintf(pick(lang, "Date d'octroi : %s.", "Datum van toekenning: %s."), date(d.Start, lang))
	case !d.End.IsZero():
		period = fmt.Sprintf(pick(lang, "Période : du %s au %s.", "Periode: van %s tot en met %s."), date(d.Start, lang), date(d.End, lang))
	default:
		period = fmt.Sprintf(pick(lang, "Période : à partir du %s.", "Periode: vanaf %s."), date(d.Start, lang))
	}
	if !d.Review.IsZero() {
		period += " " + fmt.Sprintf(pick(lang, "Votre situation sera réexaminée au plus tard le %s.", "Uw toestand wordt uiterlijk op %s herzien."), date(d.Review, lang))
	}
	s.After = append(s.After, period)
	return s
}

func (d Decision) appealSection(lang Lang) Section {
	s := Section{
		Heading: pick(lang, "Recours", "Beroep"),
		Paragraphs: []string{fmt.Sprintf(pick(lang,
			"Si vous n'êtes pas d'accord avec cette décision, vous pouvez introduire un recours dans un délai de trois mois à compter de sa notification (%s), par requête écrite déposée ou envoyée par lettre recommandée au greffe de :",
			"Als u het niet eens bent met deze beslissing, kunt u beroep instellen binnen een termijn van drie maanden vanaf de kennisgeving ervan (%s), met een verzoekschrift dat u neerlegt of aangetekend opstuurt naar de griffie van:"),
			appealLaw(d.Kind, lang))},
		Block: d.Court.lines(),
	}
	if !d.Notified.IsZero() {
		if end, err := legalclock.AppealWindowEnd(d.Notified); err == nil {
			s.After = append(s.After, fmt.Sprintf(pick(lang,
				"Cette décision vous a été notifiée le %s : le délai de recours expire le %s.",
				"Deze beslissing werd u ter kennis gebracht op %s: de beroepstermijn verstrijkt op %s."),
				date(d.Notified, lang), date(end.Due, lang)))
		}
	}
	s.After = append(s.After,
		pick(lang, "Le recours est gratuit.", "Het beroep is kosteloos."),
		pick(lang, "Le recours n'est pas suspensif : la décision reste d'application tant que le tribunal n'en a pas décidé autrement.",
			"Het beroep is niet opschortend: de beslissing blijft van toepassing zolang de rechtbank niet anders beslist."),
		pick(lang, "Vous pouvez vous faire assister ou représenter par un avocat, par un délégué d'une organisation syndicale ou par la personne de votre choix qui y est autorisée par la loi.",
			"U kunt zich laten bijstaan of vertegenwoordigen door een advocaat, een afgevaardigde van een vakorganisatie of een andere persoon die de wet daartoe toelaat."),
	)
	return s
}

// periodicityLine is the payment periodicity mention: how often, and to whom (the beneficiary's account, or the
// third party the decision pays, by its name — never an account number in a letter).
func periodicityLine(lang Lang, paid Periodicity, paidTo string) string {
	switch {
	case paid == PaidOnce && paidTo != "":
		return fmt.Sprintf(pick(lang, "Périodicité du paiement : paiement unique, par virement à %s.", "Betalingsfrequentie: eenmalige betaling, door overschrijving aan %s."), paidTo)
	case paid == PaidOnce:
		return pick(lang, "Périodicité du paiement : paiement unique, par virement sur votre compte.", "Betalingsfrequentie: eenmalige betaling, door overschrijving op uw rekening.")
	case paidTo != "":
		return fmt.Sprintf(pick(lang, "Périodicité du paiement : mensuelle, par virement à %s.", "Betalingsfrequentie: maandelijks, door overschrijving aan %s."), paidTo)
	default:
		return pick(lang, "Périodicité du paiement : mensuelle, par virement sur votre compte.", "Betalingsfrequentie: maandelijks, door overschrijving op uw rekening.")
	}
}
