package person

import (
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
)

// EventSource is the ce_source of the beneficiaries service's events.
const EventSource = "entraide-beneficiaries"

// Event types of this package (schemas in api/events/beneficiaries/<type>.schema.json).
const (
	EventPersonRegistered   = "be.cpas.beneficiaries.person.registered.v1"
	EventPersonUpdated      = "be.cpas.beneficiaries.person.updated.v1"
	EventBankAccountChanged = "be.cpas.beneficiaries.bankaccount.changed.v1"
	EventHouseholdChanged   = "be.cpas.beneficiaries.household.changed.v1"
)

// EventTypes lists them, for the schema test and the AsyncAPI document.
var EventTypes = []string{EventPersonRegistered, EventPersonUpdated, EventBankAccountChanged, EventHouseholdChanged}

// PersonData is the payload of person.registered and person.updated: the identity the other services project
// (decisions write letters and B forms with it). No notes, no contact history.
type PersonData struct {
	PersonID        string   `json:"person_id"`
	NISS            *string  `json:"niss"`
	FamilyName      string   `json:"family_name"`
	GivenNames      string   `json:"given_names"`
	BirthDate       string   `json:"birth_date"`
	Sex             string   `json:"sex"`
	Nationality     string   `json:"nationality"`
	ResidenceStatus string   `json:"residence_status"`
	Language        string   `json:"language"`
	Address         *Address `json:"address"`
}

func personData(id string, p *Person) PersonData {
	d := PersonData{PersonID: id, FamilyName: p.FamilyName, GivenNames: p.GivenNames, BirthDate: p.BirthDate.String(),
		Sex: p.Sex, Nationality: p.Nationality, ResidenceStatus: p.ResidenceStatus, Language: p.Language, Address: p.Address}
	if !p.NISS.IsZero() {
		s := p.NISS.String()
		d.NISS = &s
	}
	return d
}

// BankAccountChangedData is the payload of bankaccount.changed: the account payments now go to, and the one they
// went to before (null for the first account). Payments keep their payee projection from it.
type BankAccountChangedData struct {
	PersonID    string  `json:"person_id"`
	AccountID   string  `json:"account_id"`
	Holder      string  `json:"holder"`
	OldIBAN     *string `json:"old_iban"`
	NewIBAN     string  `json:"new_iban"`
	PayeeName   string  `json:"payee_name"`
	EffectiveAt string  `json:"effective_at"`
}

// HouseholdChangedData is the payload of household.changed: the whole household (history included) and the
// category it proposes on the day of the change.
type HouseholdChangedData struct {
	PersonID string            `json:"person_id"`
	Members  []HouseholdMember `json:"members"`
	Proposal struct {
		Date     civil.Date `json:"date"`
		Category int        `json:"category"`
	} `json:"proposal"`
}

func newEvent(typ, tenant, id, correlation string, data any) (events.Event, error) {
	if correlation == "" {
		correlation = id
	}
	return events.New(typ, EventSource, tenant, id, correlation, data)
}
