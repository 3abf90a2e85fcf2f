// Package request is the chronological register of aid requests (domain.md §2, §4): a request is registered
// the day it is received or taken (numbered per tenant and year, "R2026/000123"), its decision deadline is
// computed by legalclock.DecisionDue, an acknowledgment of receipt is printable at once (HTML and PDF) in the
// applicant's language, and it moves registered → in_inquiry → proposed → decided → notified, or is withdrawn.
package request

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
)

// Channel is how the request reached the CPAS.
type Channel string

// Channels.
const (
	InPerson       Channel = "in_person"
	Written        Channel = "written"
	Representative Channel = "representative"
	ExOfficio      Channel = "ex_officio"
)

// Channels lists the valid channels.
var Channels = []Channel{InPerson, Written, Representative, ExOfficio}

// Subtypes of an aide sociale request.
var Subtypes = []letter.Subtype{letter.RentGuarantee, letter.Energy, letter.MedicalCosts, letter.Food,
	letter.InstallationPremium, letter.OtherAid}

// Status is where a request stands.
type Status string

// Statuses.
const (
	Registered Status = "registered"
	InInquiry  Status = "in_inquiry"
	Proposed   Status = "proposed"
	Decided    Status = "decided"
	Notified   Status = "notified"
	Withdrawn  Status = "withdrawn"
)

// Statuses lists every status.
var Statuses = []Status{Registered, InInquiry, Proposed, Decided, Notified, Withdrawn}

// Open tells whether the decision is still awaited (the decision clock runs).
func (s Status) Open() bool { return s == Registered || s == InInquiry || s == Proposed }

// LateWindowMonths: a request received longer ago than this is registered only with a reason (registering late
// shortens, or has already spent, the legal decision period).
const LateWindowMonths = 3

// Request is one entry of the register.
type Request struct {
	Number      string          `bson:"number" json:"number"`
	Year        int             `bson:"year" json:"-"`
	Seq         int             `bson:"seq" json:"-"`
	PersonID    string          `bson:"person_id" json:"person_id"`
	FileID      string          `bson:"file_id" json:"file_id"`
	Kind        legalclock.Kind `bson:"kind" json:"kind"`
	Subtype     letter.Subtype  `bson:"subtype,omitempty" json:"subtype,omitempty"`
	Channel     Channel         `bson:"channel" json:"channel"`
	ReceivedOn  civil.Date      `bson:"received_on" json:"received_on"`
	LateReason  string          `bson:"late_reason,omitempty" json:"late_reason,omitempty"`
	Note        string          `bson:"note,omitempty" json:"note,omitempty"`
	DecisionDue civil.Date      `bson:"decision_due" json:"decision_due"`
	Status      Status          `bson:"status" json:"status"`
	// Open mirrors Status.Open for the board's index.
	Open           bool       `bson:"open" json:"-"`
	RegisteredAt   time.Time  `bson:"registered_at" json:"registered_at"`
	RegisteredBy   string     `bson:"registered_by" json:"registered_by"`
	WithdrawnOn    civil.Date `bson:"withdrawn_on,omitempty" json:"withdrawn_on,omitempty"`
	WithdrawReason string     `bson:"withdraw_reason,omitempty" json:"withdraw_reason,omitempty"`
}

// Deadline recomputes the decision deadline with its reason sentences.
func (r Request) Deadline() (legalclock.Deadline, error) {
	return legalclock.DecisionDue(r.Kind, r.ReceivedOn)
}

// FormatNumber writes a register number: R<year>/<6 digits>.
func FormatNumber(year, seq int) string { return fmt.Sprintf("R%d/%06d", year, seq) }

// Input is what a worker registers.
type Input struct {
	PersonID   string          `json:"person_id"`
	FileID     string          `json:"file_id"`
	Kind       legalclock.Kind `json:"kind"`
	Subtype    letter.Subtype  `json:"subtype"`
	Channel    Channel         `json:"channel"`
	ReceivedOn string          `json:"received_on"`
	LateReason string          `json:"late_reason"`
	Note       string          `json:"note"`
}

// Check validates in on today and returns the received date.
func (in Input) Check(today civil.Date) (civil.Date, error) {
	var fs problem.Fields
	if !kit.IsUUID(in.PersonID) {
		fs.Add("person_id", requiredOr(in.PersonID, "invalid"))
	}
	if !kit.IsUUID(in.FileID) {
		fs.Add("file_id", requiredOr(in.FileID, "invalid"))
	}
	switch {
	case in.Kind == "":
		fs.Add("kind", "required")
	case !in.Kind.Valid():
		fs.Add("kind", "request.kind_invalid")
	case in.Kind == legalclock.AideSociale && in.Subtype == "":
		fs.Add("subtype", "required")
	case in.Kind == legalclock.AideSociale && !slices.Contains(Subtypes, in.Subtype):
		fs.Add("subtype", "request.subtype_invalid")
	case in.Kind != legalclock.AideSociale && in.Subtype != "":
		fs.Add("subtype", "request.subtype_not_applicable")
	}
	if in.Channel == "" {
		fs.Add("channel", "required")
	} else if !slices.Contains(Channels, in.Channel) {
		fs.Add("channel", "request.channel_invalid")
	}
	var received civil.Date
	if in.ReceivedOn == "" {
		fs.Add("received_on", "required")
	} else if d, err := civil.Parse(in.ReceivedOn); err != nil {
		fs.Add("received_on", "request.date_invalid")
	} else if d.After(today) {
		fs.Add("received_on", "request.received_in_future")
	} else if legalclock.AddCalendarMonths(d, LateWindowMonths).Before(today) && strings.TrimSpace(in.LateReason) == "" {
		fs.Add("late_reason", "request.late_reason_required")
	} else {
		received = d
	}
	if len(in.Note) > 2000 {
		fs.Add("note", "request.note_too_long")
	}
	if len(in.LateReason) > 500 {
		fs.Add("late_reason", "request.note_too_long")
	}
	return received, fs.Err()
}

func requiredOr(v, code string) string {
	if v == "" {
		return "required"
	}
	return code
}

func init() {
	for code, t := range map[string][4]string{
		"request.kind_invalid": {"Type de demande inconnu : ris, eris, aide_sociale ou amu.",
			"Onbekend soort aanvraag: ris, eris, aide_sociale of amu.",
			"Unbekannte Antragsart: ris, eris, aide_sociale oder amu.", "Unknown request kind: ris, eris, aide_sociale or amu."},
		"request.subtype_invalid": {"Sous-type inconnu : rent_guarantee, energy, medical_costs, food, installation_premium ou other.",
			"Onbekend subtype: rent_guarantee, energy, medical_costs, food, installation_premium of other.",
			"Unbekannter Untertyp: rent_guarantee, energy, medical_costs, food, installation_premium oder other.",
			"Unknown subtype: rent_guarantee, energy, medical_costs, food, installation_premium or other."},
		"request.subtype_not_applicable": {"Un sous-type ne s'applique qu'à une demande d'aide sociale.",
			"Een subtype geldt enkel voor een aanvraag om maatschappelijke dienstverlening.",
			"Ein Untertyp gilt nur für einen Antrag auf Sozialhilfe.", "A subtype applies to a social aid request only."},
		"request.channel_invalid": {"Canal inconnu : in_person, written, representative ou ex_officio.",
			"Onbekend kanaal: in_person, written, representative of ex_officio.",
			"Unbekannter Kanal: in_person, written, representative oder ex_officio.",
			"Unknown channel: in_person, written, representative or ex_officio."},
		"request.date_invalid": {"Date attendue au format AAAA-MM-JJ.", "Datum verwacht in de vorm JJJJ-MM-DD.",
			"Datum im Format JJJJ-MM-TT erwartet.", "Date expected as YYYY-MM-DD."},
		"request.received_in_future": {"La date de réception ne peut pas être dans le futur.",
			"De ontvangstdatum mag niet in de toekomst liggen.", "Das Eingangsdatum darf nicht in der Zukunft liegen.",
			"The date received cannot be in the future."},
		"request.late_reason_required": {"Demande reçue il y a plus de 3 mois : indiquez pourquoi elle est enregistrée si tard.",
			"Aanvraag meer dan 3 maanden geleden ontvangen: geef aan waarom ze zo laat wordt geregistreerd.",
			"Antrag vor mehr als 3 Monaten eingegangen: geben Sie an, warum er so spät erfasst wird.",
			"Request received more than 3 months ago: say why it is registered so late."},
		"request.letter_incomplete": {"Lettre impossible : l'adresse du CPAS manque dans les paramètres (administrateur) ou le nom du demandeur.",
			"Brief onmogelijk: het adres van het OCMW ontbreekt in de instellingen (beheerder) of de naam van de aanvrager.",
			"Brief unmöglich: die Adresse des ÖSHZ fehlt in den Einstellungen (Administrator) oder der Name des Antragstellers.",
			"Letter impossible: the CPAS's address is missing in the settings (administrator), or the applicant's name."},
		"request.note_too_long": {"Texte trop long.", "Tekst te lang.", "Text zu lang.", "Text too long."},
		"request.unknown_person": {"Personne inconnue du service des décisions (pas encore synchronisée ?).",
			"Persoon onbekend bij de beslissingsdienst (nog niet gesynchroniseerd?).",
			"Person im Entscheidungsdienst unbekannt (noch nicht synchronisiert?).",
			"Person unknown to the decisions service (not synchronised yet?)."},
		"request.unknown_file": {"Dossier introuvable.", "Dossier niet gevonden.", "Akte nicht gefunden.", "File not found."},
		"request.file_closed":  {"Ce dossier est clôturé.", "Dit dossier is afgesloten.", "Diese Akte ist geschlossen.", "This file is closed."},
		"request.person_not_on_file": {"Cette personne n'est pas le demandeur de ce dossier.",
			"Deze persoon is niet de aanvrager van dit dossier.", "Diese Person ist nicht der Antragsteller dieser Akte.",
			"This person is not the applicant of this file."},
		"request.withdrawn": {"Cette demande a été retirée par le demandeur.", "Deze aanvraag werd door de aanvrager ingetrokken.",
			"Dieser Antrag wurde vom Antragsteller zurückgezogen.", "This request was withdrawn by the applicant."},
		"request.not_withdrawable": {"Seule une demande pas encore décidée peut être retirée.",
			"Enkel een aanvraag waarover nog niet beslist is, kan worden ingetrokken.",
			"Nur ein noch nicht entschiedener Antrag kann zurückgezogen werden.",
			"Only a request not yet decided can be withdrawn."},
	} {
		problem.RegisterMessages(code, map[string]string{"fr": t[0], "nl": t[1], "de": t[2], "en": t[3]})
	}
}
