package letter

import (
	"fmt"
	"strings"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/ris"
)

// ChangeKind is a decision the CPAS takes on an adopted decision. Each is itself a decision that must be
// notified with the mandatory mentions of domain.md §4: the appeal period runs from its own notification.
type ChangeKind string

// The decisions after the adoption.
const (
	ChangeRevision    ChangeKind = "revision"    // a new amount from a date
	ChangeSuspension  ChangeKind = "suspension"  // a sanction over a period
	ChangeWithdrawal  ChangeKind = "withdrawal"  // the decision withdrawn from a date
	ChangeTermination ChangeKind = "termination" // the aid ends on a date
	ChangeRecovery    ChangeKind = "recovery"    // aid paid is recovered (art. 24 loi DIS)
)

// ChangeKinds lists the changes.
var ChangeKinds = []ChangeKind{ChangeRevision, ChangeSuspension, ChangeWithdrawal, ChangeTermination, ChangeRecovery}

// Valid reports whether k is a change.
func (k ChangeKind) Valid() bool {
	switch k {
	case ChangeRevision, ChangeSuspension, ChangeWithdrawal, ChangeTermination, ChangeRecovery:
		return true
	}
	return false
}

// Change is what the letter of a decision taken after the adoption says. Texts are in the beneficiary's
// language; the caller composes the motivation from the change's reason (ReasonText) and note.
type Change struct {
	CPAS          CPAS        `json:"cpas"`
	Court         LabourCourt `json:"court"`
	Beneficiary   Beneficiary `json:"beneficiary"`
	FileReference string      `json:"file_reference"`
	SocialWorker  string      `json:"social_worker"`
	// Kind and Subtype are the aid the decision changed.
	Kind    legalclock.Kind `json:"kind"`
	Subtype Subtype         `json:"subtype,omitempty"`
	Change  ChangeKind      `json:"change"`
	// Original is the date of the decision changed; Decided the change's date.
	Original civil.Date `json:"original"`
	Decided  civil.Date `json:"decided"`
	// LegalBasis: the legal grounds; empty takes ChangeLegalBasis.
	LegalBasis string `json:"legal_basis,omitempty"`
	// Motivation: the factual grounds.
	Motivation string `json:"motivation"`
	// From is the date a revision applies from, or the date a withdrawal or termination takes effect.
	From civil.Date `json:"from,omitzero"`
	// To ends a suspension's or a recovery's period (which starts on From).
	To civil.Date `json:"to,omitzero"`
	// Monthly and Previous: a revision's new and former monthly amounts; Category a new category.
	Monthly  ris.Cents    `json:"monthly,omitempty"`
	Previous ris.Cents    `json:"previous,omitempty"`
	Category ris.Category `json:"category,omitempty"`
	// Working is a revision's recomputation, when it was recomputed.
	Working ris.Working `json:"working,omitempty"`
	// PaidTo is who a revision's payments go to from From: a third party's name (a landlord, an energy supplier,
	// a hospital), empty for the beneficiary's own account; PayeeChanged says the revision changed it. A letter
	// names the payee, never its account number (as the decision letter).
	PaidTo       string `json:"paid_to,omitempty"`
	PayeeChanged bool   `json:"payee_changed,omitempty"`
	// Amount and Case: a recovery's sum and its art. 24 case.
	Amount ris.Cents `json:"amount,omitempty"`
	Case   string    `json:"case,omitempty"`
	// Notified is the change's notification date when known; Written the letter's date (Decided when zero).
	Notified civil.Date `json:"notified,omitzero"`
	Written  civil.Date `json:"written,omitzero"`
}

// Mentions particular to a change.
const (
	MentionChangeKind     Mention = "change_kind"
	MentionOriginalDate   Mention = "original_decision_date"
	MentionRecoveryCase   Mention = "recovery_case"
	MentionChangedPeriod  Mention = "change_period"
	MentionChangedAmounts Mention = "change_amount"
)

// CheckChangeMentions lists the mandatory mentions the change lacks (empty when the letter can be rendered):
// sender, addressee, file reference, service, social worker, dates, the aid, factual and legal grounds, the
// labour court and its address, and what the change decides (a revision's amount and date, a suspension's or a
// recovery's period, a withdrawal's or termination's date, a recovery's amount and case).
func CheckChangeMentions(c Change) []MissingMention {
	var missing []MissingMention
	add := func(m Mention, field string) { missing = append(missing, MissingMention{m, field}) }
	if blank(c.CPAS.Name) || !c.CPAS.Address.complete() {
		add(MentionSender, "cpas")
	}
	if blank(c.Beneficiary.Name) || !c.Beneficiary.Address.complete() {
		add(MentionAddressee, "beneficiary")
	}
	if blank(c.FileReference) {
		add(MentionFileReference, "file_reference")
	}
	if blank(c.CPAS.Service) {
		add(MentionService, "cpas.service")
	}
	if blank(c.SocialWorker) {
		add(MentionSocialWorker, "social_worker")
	}
	if !c.Change.Valid() {
		add(MentionChangeKind, "change")
	}
	if c.Decided.IsZero() {
		add(MentionDecisionDate, "decided")
	}
	if c.Original.IsZero() {
		add(MentionOriginalDate, "original")
	}
	if !c.Kind.Valid() || (c.Kind == legalclock.AideSociale && !c.Subtype.Valid()) {
		add(MentionKind, "kind")
	}
	if blank(c.Motivation) {
		add(MentionFactualGrounds, "motivation")
	}
	if blank(c.legalBasis(FR)) {
		add(MentionLegalGrounds, "legal_basis")
	}
	switch c.Change {
	case ChangeRevision:
		if c.From.IsZero() {
			add(MentionChangedPeriod, "from")
		}
		if c.Monthly < 0 || (c.Monthly == 0 && c.Kind == legalclock.RIS) {
			add(MentionChangedAmounts, "monthly")
		}
	case ChangeSuspension:
		if c.From.IsZero() || c.To.IsZero() {
			add(MentionChangedPeriod, "from")
		}
	case ChangeWithdrawal, ChangeTermination:
		if c.From.IsZero() {
			add(MentionChangedPeriod, "from")
		}
	case ChangeRecovery:
		if c.From.IsZero() || c.To.IsZero() {
			add(MentionChangedPeriod, "from")
		}
		if c.Amount <= 0 {
			add(MentionChangedAmounts, "amount")
		}
		if _, ok := recoveryCases[c.Case]; !ok {
			add(MentionRecoveryCase, "case")
		}
	}
	if blank(c.Court.Name) {
		add(MentionCourtName, "court.name")
	}
	if !c.Court.Address.complete() {
		add(MentionCourtAddress, "court.address")
	}
	return missing
}

// ChangeLetter builds the letter of a change in the beneficiary's language. It refuses a change lacking a
// mandatory mention (a *MissingMentionsError) or whose language is not supported.
func ChangeLetter(c Change) (Document, error) {
	lang := c.Beneficiary.Lang
	if !lang.Valid() {
		return Document{}, ErrLanguage
	}
	if missing := CheckChangeMentions(c); len(missing) > 0 {
		return Document{}, &MissingMentionsError{Missing: missing}
	}
	written := c.Written
	if written.IsZero() {
		written = c.Decided
	}
	aid := kindName(c.Kind, c.Subtype, lang)
	doc := Document{
		Kind:       KindChange,
		Lang:       lang,
		Title:      changeTitle(c.Change, lang) + aid,
		Sender:     c.CPAS.senderLines(lang),
		Recipient:  c.Beneficiary.lines(),
		Salutation: tr(lang, "salutation"),
		Closing:    []string{tr(lang, "closing")},
		Signature:  []string{tr(lang, "for_cpas"), c.CPAS.Name},
		Footer:     tr(lang, "footer") + " " + c.FileReference,
	}
	doc.Meta = []Row{
		{Label: tr(lang, "file_reference"), Value: c.FileReference},
		{Label: tr(lang, "service"), Value: c.CPAS.Service},
		{Label: tr(lang, "social_worker"), Value: c.SocialWorker},
		{Label: tr(lang, "date"), Value: date(written, lang)},
	}
	doc.Intro = []string{c.intro(aid, lang)}
	doc.Sections = append(doc.Sections, c.decidedSection(lang))
	doc.Sections = append(doc.Sections,
		Section{Heading: pick(lang, "Motifs de fait", "Feitelijke motivering"), Paragraphs: []string{strings.TrimSpace(c.Motivation)}},
		Section{Heading: pick(lang, "Motifs de droit", "Juridische grondslag"), Paragraphs: []string{c.legalBasis(lang)}})
	if len(c.Working) > 0 {
		calc := Section{Heading: pick(lang, "Calcul de vos ressources", "Berekening van uw bestaansmiddelen")}
		for i, l := range c.Working {
			calc.Table = append(calc.Table, Row{Label: l.Text(string(lang)), Value: money(l.Amount, lang), Total: i == len(c.Working)-1})
		}
		doc.Sections = append(doc.Sections, calc)
	}
	appeal := Decision{Kind: c.Kind, Court: c.Court, Notified: c.Notified}.appealSection(lang)
	appeal.Paragraphs[0] = strings.Replace(appeal.Paragraphs[0], pick(lang, "cette décision", "deze beslissing"),
		pick(lang, "cette décision de "+changeNoun(c.Change, FR), "deze beslissing tot "+changeNoun(c.Change, NL)), 1)
	doc.Sections = append(doc.Sections, appeal)
	doc.Sections = append(doc.Sections, Section{
		Heading: pick(lang, "Questions", "Vragen"),
		Paragraphs: []string{fmt.Sprintf(pick(lang,
			"Pour toute question, adressez-vous à votre assistant·e social·e, %s (%s), en mentionnant la référence %s.",
			"Met vragen kunt u terecht bij uw maatschappelijk werker, %s (%s), met vermelding van het dossiernummer %s."),
			c.SocialWorker, c.CPAS.Service, c.FileReference)},
	})
	return doc, nil
}

func (c Change) decidedSection(lang Lang) Section {
	s := Section{Heading: pick(lang, "Ce qui est décidé", "Wat beslist werd")}
	switch c.Change {
	case ChangeRevision:
		if c.Category.Valid() {
			s.Paragraphs = append(s.Paragraphs, fmt.Sprintf(pick(lang, "Catégorie : %d (%s).", "Categorie: %d (%s)."),
				int(c.Category), c.Category.Name(string(lang))))
		}
		s.Table = []Row{
			{Label: fmt.Sprintf(pick(lang, "Nouveau montant mensuel à partir du %s", "Nieuw maandelijks bedrag vanaf %s"), date(c.From, lang)), Value: money(c.Monthly, lang), Total: true},
			{Label: pick(lang, "Montant mensuel précédent", "Vorig maandelijks bedrag"), Value: money(c.Previous, lang)},
		}
		paidTo := strings.TrimSpace(c.PaidTo)
		switch {
		case c.PayeeChanged && paidTo != "":
			s.Paragraphs = append(s.Paragraphs, fmt.Sprintf(pick(lang,
				"Nouveau bénéficiaire du paiement : à partir du %s, votre aide est versée directement à %s.",
				"Nieuwe begunstigde van de betaling: vanaf %s wordt uw hulp rechtstreeks betaald aan %s."),
				date(c.From, lang), paidTo))
		case c.PayeeChanged:
			s.Paragraphs = append(s.Paragraphs, fmt.Sprintf(pick(lang,
				"Nouveau bénéficiaire du paiement : à partir du %s, votre aide vous est de nouveau versée, sur votre compte, et non plus à un tiers.",
				"Nieuwe begunstigde van de betaling: vanaf %s wordt uw hulp opnieuw aan u betaald, op uw rekening, en niet langer aan een derde."),
				date(c.From, lang)))
		}
		s.After = []string{periodicityLine(lang, PaidMonthly, paidTo)}
	case ChangeSuspension:
		s.Paragraphs = []string{fmt.Sprintf(pick(lang,
			"Le paiement de votre aide est suspendu du %s au %s inclus, à titre de sanction. Il reprend ensuite sans nouvelle demande.",
			"De betaling van uw hulp wordt als sanctie geschorst van %s tot en met %s. Daarna wordt ze zonder nieuwe aanvraag hervat."),
			date(c.From, lang), date(c.To, lang))}
	case ChangeWithdrawal:
		s.Paragraphs = []string{fmt.Sprintf(pick(lang,
			"La décision du %s est retirée à partir du %s : aucun paiement n'est plus dû à partir de cette date.",
			"De beslissing van %s wordt ingetrokken vanaf %s: vanaf die datum is geen betaling meer verschuldigd."),
			date(c.Original, lang), date(c.From, lang))}
	case ChangeTermination:
		s.Paragraphs = []string{fmt.Sprintf(pick(lang,
			"Votre aide prend fin le %s : aucun paiement n'est plus dû après cette date.",
			"Uw hulp eindigt op %s: na die datum is geen betaling meer verschuldigd."),
			date(c.From, lang))}
	case ChangeRecovery:
		s.Paragraphs = []string{fmt.Sprintf(pick(lang,
			"Le CPAS récupère la somme de %s, versée pour la période du %s au %s. Motif de récupération : %s.",
			"Het OCMW vordert het bedrag van %s terug, betaald voor de periode van %s tot en met %s. Grond van de terugvordering: %s."),
			money(c.Amount, lang), date(c.From, lang), date(c.To, lang), ReasonText(ChangeRecovery, c.Case, lang))}
		s.After = []string{pick(lang,
			"Vous recevrez les modalités de remboursement (compte et communication structurée) séparément ; vous pouvez demander un plan de remboursement à votre assistant·e social·e.",
			"U ontvangt de nadere regels voor de terugbetaling (rekening en gestructureerde mededeling) afzonderlijk; u kunt bij uw maatschappelijk werker een afbetalingsplan vragen.")}
	}
	return s
}

func changeTitle(k ChangeKind, lang Lang) string {
	switch k {
	case ChangeRevision:
		return pick(lang, "Révision de votre ", "Herziening van uw ")
	case ChangeSuspension:
		return pick(lang, "Suspension de votre ", "Schorsing van uw ")
	case ChangeWithdrawal:
		return pick(lang, "Retrait de la décision relative à votre ", "Intrekking van de beslissing over uw ")
	case ChangeTermination:
		return pick(lang, "Fin de votre ", "Einde van uw ")
	}
	return pick(lang, "Récupération de votre ", "Terugvordering van uw ")
}

// intro is the letter's first sentence: who decided what on which decision.
func (c Change) intro(aid string, lang Lang) string {
	on, orig := date(c.Decided, lang), date(c.Original, lang)
	if lang == NL {
		what := map[ChangeKind]string{ChangeRevision: "herzien", ChangeSuspension: "geschorst", ChangeWithdrawal: "ingetrokken",
			ChangeTermination: "beëindigd"}[c.Change]
		if c.Change == ChangeRecovery {
			return fmt.Sprintf("Bij beslissing van %s heeft het openbaar centrum voor maatschappelijk welzijn beslist de hulp terug te vorderen die werd betaald op grond van zijn beslissing van %s over uw %s.", on, orig, aid)
		}
		return fmt.Sprintf("Bij beslissing van %s heeft het openbaar centrum voor maatschappelijk welzijn zijn beslissing van %s over uw %s %s.", on, orig, aid, what)
	}
	what := map[ChangeKind]string{ChangeRevision: "révisé", ChangeSuspension: "suspendu l'exécution de", ChangeWithdrawal: "retiré",
		ChangeTermination: "mis fin à", ChangeRecovery: "décidé de récupérer l'aide versée en vertu de"}[c.Change]
	return fmt.Sprintf("Par décision du %s, le centre public d'action sociale a %s sa décision du %s relative à votre %s.", on, what, orig, aid)
}

func changeNoun(k ChangeKind, lang Lang) string {
	switch k {
	case ChangeRevision:
		return pick(lang, "révision", "herziening")
	case ChangeSuspension:
		return pick(lang, "suspension", "schorsing")
	case ChangeWithdrawal:
		return pick(lang, "retrait", "intrekking")
	case ChangeTermination:
		return pick(lang, "fin de l'aide", "beëindiging")
	}
	return pick(lang, "récupération", "terugvordering")
}

// ChangeName names a change in lang ("révision", "herziening"…), for the deadline board's sentences.
func ChangeName(k ChangeKind, lang Lang) string { return changeNoun(k, lang) }

func (c Change) legalBasis(lang Lang) string {
	if !blank(c.LegalBasis) {
		return strings.TrimSpace(c.LegalBasis)
	}
	return ChangeLegalBasis(c.Change, c.Kind, lang)
}

// ChangeLegalBasis is the usual legal ground of a change of an aid of kind: loi DIS art. 22 (revision,
// withdrawal, termination of the RIS), art. 30 §2 (suspension, PIIS not respected), art. 24 (recovery); for aide
// sociale, the loi organique's art. 1 and 57 (and art. 98 for a recovery).
func ChangeLegalBasis(k ChangeKind, kind legalclock.Kind, lang Lang) string {
	dis := kind == legalclock.RIS
	switch k {
	case ChangeRevision, ChangeWithdrawal, ChangeTermination:
		if dis {
			return pick(lang, "Article 22, § 1er, de la loi du 26 mai 2002 concernant le droit à l'intégration sociale (révision ou retrait d'une décision).",
				"Artikel 22, § 1, van de wet van 26 mei 2002 betreffende het recht op maatschappelijke integratie (herziening of intrekking van een beslissing).")
		}
	case ChangeSuspension:
		if dis {
			return pick(lang, "Article 30, § 2, de la loi du 26 mai 2002 concernant le droit à l'intégration sociale (sanction du non-respect du projet individualisé d'intégration sociale).",
				"Artikel 30, § 2, van de wet van 26 mei 2002 betreffende het recht op maatschappelijke integratie (sanctie bij niet-naleving van het geïndividualiseerd project voor maatschappelijke integratie).")
		}
	case ChangeRecovery:
		if dis {
			return pick(lang, "Article 24, § 1er, de la loi du 26 mai 2002 concernant le droit à l'intégration sociale (récupération du revenu d'intégration).",
				"Artikel 24, § 1, van de wet van 26 mei 2002 betreffende het recht op maatschappelijke integratie (terugvordering van het leefloon).")
		}
		return pick(lang, "Articles 1er, 57 et 98 de la loi organique des CPAS du 8 juillet 1976 (récupération de l'aide sociale).",
			"Artikelen 1, 57 en 98 van de organieke wet van 8 juli 1976 betreffende de OCMW's (terugvordering van de maatschappelijke dienstverlening).")
	}
	return pick(lang, "Articles 1er et 57 de la loi organique des CPAS du 8 juillet 1976.",
		"Artikelen 1 en 57 van de organieke wet van 8 juli 1976 betreffende de OCMW's.")
}

// recoveryCases names the art. 24 cases (domain.md §4).
var recoveryCases = map[string][2]string{
	"retroactive_review": {"révision avec effet rétroactif après un changement de votre situation", "herziening met terugwerkende kracht na een wijziging van uw toestand"},
	"change_in_law":      {"modification de la législation", "wijziging van de wetgeving"},
	"cpas_error":         {"erreur du CPAS", "vergissing van het OCMW"},
	"false_declaration":  {"déclaration incomplète ou inexacte", "onvolledige of onjuiste verklaring"},
	"resources_received": {"ressources perçues ultérieurement pour la période couverte", "later ontvangen bestaansmiddelen voor de gedekte periode"},
}

// reasons names the reason codes of a suspension, withdrawal and termination.
var reasons = map[ChangeKind]map[string][2]string{
	ChangeSuspension: {
		"piis_breach":    {"non-respect des obligations du projet individualisé d'intégration sociale", "niet-naleving van de verplichtingen van het geïndividualiseerd project voor maatschappelijke integratie"},
		"no_cooperation": {"absence de collaboration à l'enquête sociale", "gebrek aan medewerking aan het sociaal onderzoek"},
		"other":          {"autre motif", "andere reden"},
	},
	ChangeWithdrawal: {
		"false_declaration":  {"déclaration incomplète ou inexacte", "onvolledige of onjuiste verklaring"},
		"cpas_error":         {"erreur du CPAS", "vergissing van het OCMW"},
		"conditions_not_met": {"les conditions d'octroi n'étaient pas remplies", "de toekenningsvoorwaarden waren niet vervuld"},
		"other":              {"autre motif", "andere reden"},
	},
	ChangeTermination: {
		"resources_sufficient": {"vos ressources sont désormais suffisantes", "uw bestaansmiddelen zijn voortaan toereikend"},
		"conditions_not_met":   {"les conditions d'octroi ne sont plus remplies", "de toekenningsvoorwaarden zijn niet meer vervuld"},
		"moved":                {"déménagement hors du territoire du CPAS", "verhuizing buiten het grondgebied van het OCMW"},
		"deceased":             {"décès", "overlijden"},
		"beneficiary_request":  {"à votre demande", "op uw verzoek"},
		"end_of_period":        {"fin de la période d'octroi", "einde van de toekenningsperiode"},
		"ratification_refused": {"le conseil n'a pas ratifié la décision urgente du président", "de raad heeft de dringende beslissing van de voorzitter niet bekrachtigd"},
		"other":                {"autre motif", "andere reden"},
	},
}

// ReasonText names a change's reason code (or a recovery's case) in lang; an unknown code is returned as is.
func ReasonText(k ChangeKind, code string, lang Lang) string {
	m := reasons[k]
	if k == ChangeRecovery {
		m = recoveryCases
	}
	if t, ok := m[code]; ok {
		return pick(lang, t[0], t[1])
	}
	return code
}
