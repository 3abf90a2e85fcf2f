// Package proposal keeps the proposals of decision the social workers write from the social inquiry (domain.md
// §1, §3, §4): the outcome, the legal basis, for RIS and ERIS the category with its justification and the
// calculation (resources, counted household members, exemptions; the service computes it with the tenant's
// ris.Calculator and keeps the result with its working lines), the amounts, period, PIIS, payee, the conditions
// copied from the inquiry and the motivation. The head of the social service validates a submitted proposal or
// returns it with a reason; a validated proposal goes on a committee session's agenda (package session) and ends
// decided (package decision) or rejected by the committee (the request goes back to the inquiry).
//
//	draft → submitted → validated | returned → (edited, submitted again) … validated → on_agenda → decided
//	                                                                                   ↘ rejected_by_committee
package proposal

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/inquiry"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/ris"
)

// Status is where a proposal stands.
type Status string

// Statuses.
const (
	Draft               Status = "draft"
	Submitted           Status = "submitted"
	Validated           Status = "validated"
	Returned            Status = "returned"
	OnAgenda            Status = "on_agenda"
	Decided             Status = "decided"
	RejectedByCommittee Status = "rejected_by_committee"
	Withdrawn           Status = "withdrawn"
)

// Statuses lists every status.
var Statuses = []Status{Draft, Submitted, Validated, Returned, OnAgenda, Decided, RejectedByCommittee, Withdrawn}

// Active tells whether the proposal is still running: a request has at most one active proposal.
func (s Status) Active() bool {
	return s == Draft || s == Submitted || s == Validated || s == Returned || s == OnAgenda
}

// Editable tells whether the social worker may still change the proposal.
func (s Status) Editable() bool { return s == Draft || s == Returned }

// Payee kinds.
const (
	PayBeneficiary = "beneficiary"
	PayThirdParty  = "third_party"
)

// Payee is to whom the aid is paid: the beneficiary (on the account the registry knows) or a third party (e.g. a
// landlord for a rent guarantee) with its name and IBAN, and the structured communication (OGM) it may ask its
// payments to carry.
type Payee struct {
	Kind string `bson:"kind,omitempty" json:"kind,omitempty"`
	Name string `bson:"name,omitempty" json:"name,omitempty"`
	IBAN string `bson:"iban,omitempty" json:"iban,omitempty"`
	// Communication is a third party's structured communication, stored as its 12 digits (libs/ogm); any
	// written form is accepted on input (+++123/4567/89002+++).
	Communication string `bson:"communication,omitempty" json:"communication,omitempty"`
}

// Input is what the social worker writes (the body of a POST or PUT). Dates are "YYYY-MM-DD". Resources and
// Members left out (null) are taken from the inquiry (its resources and its counted household members).
type Input struct {
	Outcome               letter.Outcome     `json:"outcome"`
	LegalBasis            string             `json:"legal_basis"`
	Category              ris.Category       `json:"category,omitempty"`
	CategoryJustification string             `json:"category_justification,omitempty"`
	Resources             []ris.Resource     `json:"resources"`
	Members               []ris.Member       `json:"members"`
	SocioProfessional     bool               `json:"socio_professional"`
	MonthlyCents          ris.Cents          `json:"monthly_cents"`
	OneOffCents           ris.Cents          `json:"one_off_cents"`
	Periodicity           letter.Periodicity `json:"periodicity,omitempty"`
	Start                 string             `json:"start"`
	End                   string             `json:"end,omitempty"`
	Review                string             `json:"review,omitempty"`
	PIIS                  bool               `json:"piis"`
	Payee                 Payee              `json:"payee"`
	Motivation            string             `json:"motivation"`
}

// Proposal is a stored proposal.
type Proposal struct {
	RequestID     string          `bson:"request_id" json:"request_id"`
	RequestNumber string          `bson:"request_number" json:"request_number"`
	PersonID      string          `bson:"person_id" json:"person_id"`
	FileID        string          `bson:"file_id" json:"file_id"`
	FileNumber    string          `bson:"file_number" json:"file_number"`
	Kind          legalclock.Kind `bson:"kind" json:"kind"`
	Subtype       letter.Subtype  `bson:"subtype,omitempty" json:"subtype,omitempty"`
	ReceivedOn    civil.Date      `bson:"received_on" json:"received_on"`
	Status        Status          `bson:"status" json:"status"`

	Outcome               letter.Outcome      `bson:"outcome" json:"outcome"`
	LegalBasis            string              `bson:"legal_basis" json:"legal_basis"`
	Category              ris.Category        `bson:"category,omitempty" json:"category,omitempty"`
	CategoryJustification string              `bson:"category_justification,omitempty" json:"category_justification,omitempty"`
	Resources             []ris.Resource      `bson:"resources" json:"resources"`
	Members               []ris.Member        `bson:"members" json:"members"`
	SocioProfessional     bool                `bson:"socio_professional" json:"socio_professional"`
	Calculation           *ris.Result         `bson:"calculation,omitempty" json:"calculation,omitempty"`
	MonthlyCents          ris.Cents           `bson:"monthly_cents" json:"monthly_cents"`
	FirstMonthCents       ris.Cents           `bson:"first_month_cents" json:"first_month_cents"`
	OneOffCents           ris.Cents           `bson:"one_off_cents" json:"one_off_cents"`
	Periodicity           letter.Periodicity  `bson:"periodicity,omitempty" json:"periodicity,omitempty"`
	Start                 civil.Date          `bson:"start" json:"start"`
	End                   civil.Date          `bson:"end,omitempty" json:"end,omitzero"`
	Review                civil.Date          `bson:"review,omitempty" json:"review,omitzero"`
	PIIS                  bool                `bson:"piis" json:"piis"`
	Payee                 Payee               `bson:"payee" json:"payee"`
	Conditions            []inquiry.Condition `bson:"conditions" json:"conditions"`
	Motivation            string              `bson:"motivation" json:"motivation"`

	SocialWorker     string    `bson:"social_worker" json:"social_worker"`
	SocialWorkerName string    `bson:"social_worker_name,omitempty" json:"social_worker_name,omitempty"`
	CreatedAt        time.Time `bson:"created_at" json:"created_at"`
	UpdatedAt        time.Time `bson:"updated_at" json:"updated_at"`
	SubmittedAt      time.Time `bson:"submitted_at,omitempty" json:"submitted_at,omitzero"`
	SubmittedBy      string    `bson:"submitted_by,omitempty" json:"submitted_by,omitempty"`
	ValidatedAt      time.Time `bson:"validated_at,omitempty" json:"validated_at,omitzero"`
	ValidatedBy      string    `bson:"validated_by,omitempty" json:"validated_by,omitempty"`
	ReturnedAt       time.Time `bson:"returned_at,omitempty" json:"returned_at,omitzero"`
	ReturnedBy       string    `bson:"returned_by,omitempty" json:"returned_by,omitempty"`
	ReturnReason     string    `bson:"return_reason,omitempty" json:"return_reason,omitempty"`
	SessionID        string    `bson:"session_id,omitempty" json:"session_id,omitempty"`
	DecisionID       string    `bson:"decision_id,omitempty" json:"decision_id,omitempty"`
	RejectedSession  string    `bson:"rejected_session,omitempty" json:"rejected_session,omitempty"`
}

// Limits of the texts.
const (
	maxLegalBasis = 2000
	maxText       = 8000
	maxName       = 200
)

// terms are the checked values of an Input.
type terms struct {
	start, end, review civil.Date
	result             *ris.Result
	iban               string
	communication      string
}

func grants(o letter.Outcome) bool { return o == letter.Granted || o == letter.PartiallyGranted }

// check validates in for a request of kind received on received, with calc; it returns the checked dates and the
// RIS calculation (RIS and ERIS granted), or a problem.Validation with one error per faulty field.
func check(in *Input, kind legalclock.Kind, received civil.Date, calc *ris.Calculator) (terms, error) {
	var fs problem.Fields
	var t terms
	in.LegalBasis, in.Motivation = strings.TrimSpace(in.LegalBasis), strings.TrimSpace(in.Motivation)
	in.CategoryJustification = strings.TrimSpace(in.CategoryJustification)
	in.Payee.Name, in.Payee.IBAN = strings.TrimSpace(in.Payee.Name), strings.TrimSpace(in.Payee.IBAN)
	in.Payee.Communication = strings.TrimSpace(in.Payee.Communication)
	switch in.Outcome {
	case "":
		fs.Add("outcome", "required")
	case letter.Granted, letter.Refused, letter.PartiallyGranted:
	default:
		fs.Add("outcome", "proposal.outcome_invalid")
	}
	if in.LegalBasis == "" {
		fs.Add("legal_basis", "required")
	} else if len(in.LegalBasis) > maxLegalBasis {
		fs.Add("legal_basis", "proposal.text_too_long")
	}
	if in.Motivation == "" {
		fs.Add("motivation", "proposal.motivation_required")
	} else if len(in.Motivation) > maxText {
		fs.Add("motivation", "proposal.text_too_long")
	}
	if len(in.CategoryJustification) > maxText {
		fs.Add("category_justification", "proposal.text_too_long")
	}
	date := func(field, s string, required bool) civil.Date {
		s = strings.TrimSpace(s)
		if s == "" {
			if required {
				fs.Add(field, "required")
			}
			return civil.Date{}
		}
		d, err := civil.Parse(s)
		if err != nil {
			fs.Add(field, "proposal.date_invalid")
		}
		return d
	}
	t.start = date("start", in.Start, true)
	t.end = date("end", in.End, false)
	t.review = date("review", in.Review, false)
	isRIS := kind == legalclock.RIS || kind == legalclock.ERIS
	if isRIS && !t.start.IsZero() && t.start.Before(received) {
		fs.Add("start", "proposal.start_before_request")
	}
	if !t.start.IsZero() && !t.end.IsZero() && !t.end.After(t.start) {
		fs.Add("end", "proposal.date_before_start")
	}
	if !t.start.IsZero() && !t.review.IsZero() && !t.review.After(t.start) {
		fs.Add("review", "proposal.date_before_start")
	}
	granting := grants(in.Outcome)
	if granting && t.end.IsZero() && t.review.IsZero() && strings.TrimSpace(in.End) == "" && strings.TrimSpace(in.Review) == "" {
		fs.Add("end", "proposal.end_or_review_required")
	}
	if in.MonthlyCents < 0 {
		fs.Add("monthly_cents", "ris.amount_negative")
	}
	if in.OneOffCents < 0 {
		fs.Add("one_off_cents", "ris.amount_negative")
	}
	if isRIS {
		if in.Category != 0 && !in.Category.Valid() || granting && in.Category == 0 {
			fs.Add("category", "ris.category_invalid")
		}
		if granting && in.CategoryJustification == "" {
			fs.Add("category_justification", "proposal.category_justification_required")
		}
		if in.Periodicity == "" && granting {
			in.Periodicity = letter.PaidMonthly
		}
		if in.Periodicity != "" && in.Periodicity != letter.PaidMonthly {
			fs.Add("periodicity", "proposal.periodicity_monthly")
		}
		if in.OneOffCents != 0 {
			fs.Add("one_off_cents", "proposal.one_off_not_applicable")
		}
		if granting && in.Category.Valid() && !t.start.IsZero() && calc != nil {
			res, err := calc.Calculate(ris.Input{Category: in.Category, From: t.start, Resources: in.Resources, Members: in.Members, SocioProfessional: in.SocioProfessional})
			var pe *problem.Error
			if errors.As(err, &pe) && pe.Type == problem.Validation {
				for _, f := range pe.Fields {
					if f.Field == "from" {
						f.Field = "start"
					}
					fs = append(fs, f)
				}
			} else if err != nil {
				return t, err
			} else {
				t.result = &res
				switch {
				case res.Monthly == 0:
					fs.Add("outcome", "proposal.calculation_zero")
				case in.MonthlyCents != res.Monthly:
					fs.Add("monthly_cents", "proposal.amount_not_calculated")
				}
			}
		}
	} else {
		if in.Category != 0 {
			fs.Add("category", "proposal.category_not_applicable")
		}
		if in.SocioProfessional {
			fs.Add("socio_professional", "proposal.category_not_applicable")
		}
		switch in.Periodicity {
		case "":
			if granting && kind == legalclock.AideSociale {
				fs.Add("periodicity", "required")
			}
		case letter.PaidMonthly:
			if granting && in.MonthlyCents == 0 {
				fs.Add("monthly_cents", "proposal.amount_required")
			}
			if in.OneOffCents != 0 {
				fs.Add("one_off_cents", "proposal.one_off_not_applicable")
			}
		case letter.PaidOnce:
			if granting && in.OneOffCents == 0 {
				fs.Add("one_off_cents", "proposal.amount_required")
			}
			if in.MonthlyCents != 0 {
				fs.Add("monthly_cents", "proposal.monthly_not_applicable")
			}
		default:
			fs.Add("periodicity", "invalid_choice")
		}
	}
	pays := granting && (in.MonthlyCents > 0 || in.OneOffCents > 0)
	in.Payee = CheckPayee(&fs, "payee.", in.Payee, pays)
	t.iban, t.communication = in.Payee.IBAN, in.Payee.Communication
	return t, fs.Err()
}

// CheckPayee validates a payee as a proposal — and a decision's revision naming a new payee — takes it: the
// beneficiary (paid on the registry's account: a third party's name, IBAN and communication are dropped) or a third
// party with its name (at most 200 characters), its IBAN (libs/iban, check digits) and, when it asks for one, its
// structured communication (libs/ogm, any written form). required: a kind must be given. The field errors go to fs
// under prefix (e.g. "payee."): kind required or invalid_choice, name required or proposal.text_too_long, iban
// required or proposal.iban_invalid, communication invalid_ogm. It returns the payee as it is stored: trimmed, the
// IBAN in its electronic form, the communication as its 12 digits (kept only for a third party, and only valid).
func CheckPayee(fs *problem.Fields, prefix string, in Payee, required bool) Payee {
	out := Payee{Kind: strings.TrimSpace(in.Kind), Name: strings.TrimSpace(in.Name), IBAN: strings.TrimSpace(in.IBAN)}
	comm := strings.TrimSpace(in.Communication)
	switch out.Kind {
	case "":
		if required {
			fs.Add(prefix+"kind", "required")
		}
	case PayBeneficiary:
		out.Name, out.IBAN = "", ""
	case PayThirdParty:
		if out.Name == "" {
			fs.Add(prefix+"name", "required")
		} else if len(out.Name) > maxName {
			fs.Add(prefix+"name", "proposal.text_too_long")
		}
		if out.IBAN == "" {
			fs.Add(prefix+"iban", "required")
		} else if v, err := iban.Parse(out.IBAN); err != nil {
			fs.Add(prefix+"iban", "proposal.iban_invalid")
		} else {
			out.IBAN = v.String()
		}
		if comm != "" {
			if v, err := ogm.Parse(comm); err != nil {
				fs.Add(prefix+"communication", ogm.Code)
			} else {
				out.Communication = v.String()
			}
		}
	default:
		fs.Add(prefix+"kind", "invalid_choice")
	}
	return out
}

// apply writes the checked input on p.
func (p *Proposal) apply(in Input, t terms, conds []inquiry.Condition) {
	p.Outcome, p.LegalBasis, p.Category, p.CategoryJustification = in.Outcome, in.LegalBasis, in.Category, in.CategoryJustification
	p.Resources, p.Members, p.SocioProfessional = nonNil(in.Resources), nonNil(in.Members), in.SocioProfessional
	p.Calculation, p.MonthlyCents, p.OneOffCents, p.Periodicity = t.result, in.MonthlyCents, in.OneOffCents, in.Periodicity
	p.FirstMonthCents = 0
	if t.result != nil {
		p.FirstMonthCents = t.result.FirstMonth
	}
	p.Start, p.End, p.Review, p.PIIS = t.start, t.end, t.review, in.PIIS
	p.Payee = in.Payee
	if t.iban != "" {
		p.Payee.IBAN = t.iban
	}
	p.Payee.Communication = t.communication
	p.Conditions = slices.Clone(conds)
	p.Motivation = in.Motivation
	if !grants(in.Outcome) {
		p.Calculation, p.FirstMonthCents = nil, 0
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Basis is what a decision letter and the payments need from a proposal (package decision adapts it).
type Basis struct {
	ProposalID            string             `json:"proposal_id"`
	RequestID             string             `json:"request_id"`
	RequestNumber         string             `json:"request_number"`
	PersonID              string             `json:"person_id"`
	FileID                string             `json:"file_id"`
	FileNumber            string             `json:"file_number"`
	Kind                  legalclock.Kind    `json:"kind"`
	Subtype               letter.Subtype     `json:"subtype,omitempty"`
	Outcome               letter.Outcome     `json:"outcome"`
	LegalBasis            string             `json:"legal_basis"`
	Category              ris.Category       `json:"category,omitempty"`
	CategoryJustification string             `json:"category_justification,omitempty"`
	MonthlyCents          ris.Cents          `json:"monthly_cents"`
	FirstMonthCents       ris.Cents          `json:"first_month_cents"`
	OneOffCents           ris.Cents          `json:"one_off_cents"`
	Start                 civil.Date         `json:"start"`
	End                   civil.Date         `json:"end,omitzero"`
	Review                civil.Date         `json:"review,omitzero"`
	Periodicity           letter.Periodicity `json:"periodicity,omitempty"`
	PIIS                  bool               `json:"piis"`
	Payee                 Payee              `json:"payee"`
	// Working is the RIS calculation line by line (RIS and ERIS granted).
	Working ris.Working `json:"working,omitempty"`
	// Conditions are in Lang, the beneficiary's language.
	Conditions []letter.Condition `json:"conditions"`
	Lang       letter.Lang        `json:"lang"`
	Motivation string             `json:"motivation"`
	// SocialWorker is the author's user id, SocialWorkerName their name as the token gave it.
	SocialWorker     string     `json:"social_worker"`
	SocialWorkerName string     `json:"social_worker_name,omitempty"`
	Requested        civil.Date `json:"requested"`
}

// basis builds the Basis of p (id) with conditions in lang.
func (p Proposal) basis(id string, lang letter.Lang) Basis {
	b := Basis{ProposalID: id, RequestID: p.RequestID, RequestNumber: p.RequestNumber, PersonID: p.PersonID, FileID: p.FileID,
		FileNumber: p.FileNumber, Kind: p.Kind, Subtype: p.Subtype, Outcome: p.Outcome, LegalBasis: p.LegalBasis,
		Category: p.Category, CategoryJustification: p.CategoryJustification, MonthlyCents: p.MonthlyCents,
		FirstMonthCents: p.FirstMonthCents, OneOffCents: p.OneOffCents, Start: p.Start, End: p.End, Review: p.Review,
		Periodicity: p.Periodicity, PIIS: p.PIIS, Payee: p.Payee, Motivation: p.Motivation, SocialWorker: p.SocialWorker,
		SocialWorkerName: p.SocialWorkerName, Requested: p.ReceivedOn, Lang: lang}
	if p.Calculation != nil {
		b.Working = slices.Clone(p.Calculation.Working)
	}
	rep := inquiry.Report{Conditions: p.Conditions}
	b.Conditions = rep.LetterConditions(string(lang))
	return b
}

func init() {
	for code, t := range map[string][4]string{
		"proposal.outcome_invalid": {"Issue inconnue : granted, refused ou partially_granted.", "Onbekende uitkomst: granted, refused of partially_granted.",
			"Unbekanntes Ergebnis: granted, refused oder partially_granted.", "Unknown outcome: granted, refused or partially_granted."},
		"proposal.text_too_long": {"Texte trop long.", "Tekst te lang.", "Text zu lang.", "Text too long."},
		"proposal.motivation_required": {"La motivation est obligatoire : la décision doit être motivée en fait et en droit.",
			"De motivering is verplicht: de beslissing moet in feite en in rechte gemotiveerd zijn.",
			"Die Begründung ist Pflicht: die Entscheidung muss tatsächlich und rechtlich begründet sein.",
			"The motivation is required: the decision must state its factual and legal grounds."},
		"proposal.date_invalid": {"Date attendue au format AAAA-MM-JJ.", "Datum verwacht in de vorm JJJJ-MM-DD.",
			"Datum im Format JJJJ-MM-TT erwartet.", "Date expected as YYYY-MM-DD."},
		"proposal.start_before_request": {"Le revenu d'intégration ne peut pas commencer avant la date de la demande.",
			"Het leefloon kan niet ingaan vóór de datum van de aanvraag.",
			"Das Eingliederungseinkommen kann nicht vor dem Antragsdatum beginnen.",
			"The integration income cannot start before the date of the request."},
		"proposal.date_before_start": {"Cette date doit suivre la date de début.", "Deze datum moet na de begindatum liggen.",
			"Dieses Datum muss nach dem Beginn liegen.", "This date must come after the start."},
		"proposal.end_or_review_required": {"Indiquez une date de fin ou une date de révision.", "Geef een einddatum of een herzieningsdatum op.",
			"Geben Sie ein Enddatum oder ein Überprüfungsdatum an.", "Give an end date or a review date."},
		"proposal.category_justification_required": {"Justifiez la catégorie (la décision doit la motiver).",
			"Verantwoord de categorie (de beslissing moet ze motiveren).", "Begründen Sie die Kategorie (die Entscheidung muss sie begründen).",
			"Justify the category (the decision must give its grounds)."},
		"proposal.periodicity_monthly": {"Le revenu d'intégration est payé mensuellement.", "Het leefloon wordt maandelijks betaald.",
			"Das Eingliederungseinkommen wird monatlich gezahlt.", "The integration income is paid monthly."},
		"proposal.one_off_not_applicable": {"Pas de montant unique pour cette aide.", "Geen eenmalig bedrag voor deze hulp.",
			"Kein einmaliger Betrag für diese Hilfe.", "No one-off amount for this aid."},
		"proposal.monthly_not_applicable": {"Pas de montant mensuel pour une aide unique.", "Geen maandbedrag voor eenmalige hulp.",
			"Kein Monatsbetrag für eine einmalige Hilfe.", "No monthly amount for a one-off aid."},
		"proposal.amount_required": {"Indiquez le montant.", "Geef het bedrag op.", "Geben Sie den Betrag an.", "Give the amount."},
		"proposal.amount_not_calculated": {"Le montant mensuel doit être celui du calcul : utilisez « Calculer » et reprenez son résultat.",
			"Het maandbedrag moet dat van de berekening zijn: gebruik « Berekenen » en neem het resultaat over.",
			"Der Monatsbetrag muss dem der Berechnung entsprechen: verwenden Sie « Berechnen » und übernehmen Sie das Ergebnis.",
			"The monthly amount must be the calculation's: use \"Calculate\" and take its result."},
		"proposal.calculation_zero": {"Le calcul ne donne aucun montant : les ressources atteignent le montant de la catégorie (proposez un refus).",
			"De berekening geeft geen bedrag: de bestaansmiddelen bereiken het bedrag van de categorie (stel een weigering voor).",
			"Die Berechnung ergibt keinen Betrag: die Einkünfte erreichen den Betrag der Kategorie (schlagen Sie eine Ablehnung vor).",
			"The calculation gives no amount: the resources reach the category amount (propose a refusal)."},
		"proposal.category_not_applicable": {"Ne s'applique qu'au revenu d'intégration (RIS ou ERIS).", "Geldt enkel voor het leefloon (RMI of equivalent).",
			"Gilt nur für das Eingliederungseinkommen.", "Applies to the integration income (RIS or ERIS) only."},
		"proposal.iban_invalid": {"IBAN invalide.", "Ongeldig IBAN.", "Ungültige IBAN.", "Invalid IBAN."},
		"proposal.inquiry_missing": {"Rédigez d'abord l'enquête sociale de cette demande.", "Schrijf eerst het sociaal onderzoek van deze aanvraag.",
			"Verfassen Sie zuerst die Sozialuntersuchung dieses Antrags.", "Write this request's social inquiry first."},
		"proposal.inquiry_incomplete": {"Toutes les conditions de l'enquête sociale doivent être vérifiées avant de soumettre la proposition.",
			"Alle voorwaarden van het sociaal onderzoek moeten gecontroleerd zijn voor het voorstel wordt ingediend.",
			"Alle Voraussetzungen der Sozialuntersuchung müssen vor dem Einreichen geprüft sein.",
			"Every condition of the social inquiry must be checked before the proposal is submitted."},
		"proposal.already_open": {"Cette demande a déjà une proposition en cours.", "Deze aanvraag heeft al een lopend voorstel.",
			"Dieser Antrag hat bereits einen laufenden Vorschlag.", "This request already has a running proposal."},
		"proposal.request_closed": {"Cette demande est décidée ou retirée.", "Over deze aanvraag is beslist of ze is ingetrokken.",
			"Dieser Antrag ist entschieden oder zurückgezogen.", "This request is decided or withdrawn."},
		"proposal.not_editable": {"Seule une proposition en brouillon ou renvoyée peut être modifiée.",
			"Enkel een voorstel in ontwerp of teruggestuurd kan worden gewijzigd.",
			"Nur ein Vorschlag im Entwurf oder zurückgesandt kann geändert werden.", "Only a draft or returned proposal can be changed."},
		"proposal.not_submitted": {"Seule une proposition soumise peut être validée ou renvoyée.",
			"Enkel een ingediend voorstel kan worden gevalideerd of teruggestuurd.",
			"Nur ein eingereichter Vorschlag kann bestätigt oder zurückgesandt werden.", "Only a submitted proposal can be validated or returned."},
		"proposal.head_only": {"Seul·e le ou la chef·fe du service social valide ou renvoie une proposition.",
			"Enkel het diensthoofd van de sociale dienst valideert een voorstel of stuurt het terug.",
			"Nur die Leitung des Sozialdienstes bestätigt oder sendet einen Vorschlag zurück.",
			"Only the head of the social service validates or returns a proposal."},
		"proposal.not_validated": {"Cette proposition n'est pas validée par le ou la chef·fe du service social.",
			"Dit voorstel is niet gevalideerd door het diensthoofd.", "Dieser Vorschlag ist nicht von der Leitung bestätigt.",
			"This proposal is not validated by the head of the social service."},
		"proposal.on_other_agenda": {"Cette proposition est déjà à l'ordre du jour d'une autre séance.",
			"Dit voorstel staat al op de agenda van een andere zitting.", "Dieser Vorschlag steht bereits auf der Tagesordnung einer anderen Sitzung.",
			"This proposal is already on another session's agenda."},
		"proposal.already_decided": {"Cette proposition est déjà décidée.", "Over dit voorstel is al beslist.",
			"Über diesen Vorschlag wurde bereits entschieden.", "This proposal is already decided."},
	} {
		problem.RegisterMessages(code, map[string]string{"fr": t[0], "nl": t[1], "de": t[2], "en": t[3]})
	}
}
