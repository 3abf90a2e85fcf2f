// Package person owns the people a CPAS helps: their identity (NISS or BIS number, names, birth date, sex,
// nationality, residence status, Belgian address, contact, language), their bank accounts (one active account
// receives the payments, the others are kept as history), their household (who lives with them, in which
// relation, dependent or not, since when) and the RIS category that household proposes, and the search a social
// worker starts every day with. Who may see a person is decided by the social files the person is managed in: the
// file package keeps a denormalised access list on each person (SetFileLinks) and every query filters on it.
//
// The domain part (this file, household.go, normalize.go) does no I/O; service.go holds the use cases,
// mongo.go the repository, endpoint.go and transport.go the HTTP API of api/openapi/beneficiaries.v1.yaml.
package person

import (
	"errors"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/niss"
	"github.com/entraide/entraide/libs/problem"
)

// Errors of the domain; the transport maps them to HTTP answers in one place (toProblem).
var (
	ErrNotFound          = errors.New("person: not found")
	ErrAccountNotFound   = errors.New("person: bank account not found")
	ErrPreconditionFails = errors.New("person: version mismatch")
)

// DuplicateNISSError reports that the tenant already has a person with this NISS. Visible tells whether the caller
// may see that person: only then is its id shown; its file numbers are shown in any case (no content).
type DuplicateNISSError struct {
	PersonID    string
	FileNumbers []string
	Visible     bool
}

func (e *DuplicateNISSError) Error() string { return "person: duplicate NISS" }

// PossibleDuplicatesError reports persons without a NISS that share the normalised names and birth date of a
// registration that gave no NISS either; registering anyway needs a duplicate_reason.
type PossibleDuplicatesError struct {
	Candidates []DuplicateCandidate
}

func (e *PossibleDuplicatesError) Error() string { return "person: possible duplicates" }

// DuplicateCandidate names a possible duplicate by id and file numbers only.
type DuplicateCandidate struct {
	PersonID    string   `json:"person_id"`
	FileNumbers []string `json:"file_numbers"`
}

// Sex of a person as the registry knows it.
const (
	SexMale    = "male"
	SexFemale  = "female"
	SexUnknown = "unknown"
)

// Sexes are the accepted values of sex.
var Sexes = []string{SexMale, SexFemale, SexUnknown}

// ResidenceStatus is the residence situation that decides which aid a person may get (RIS, or ERIS/aide sociale,
// or only urgent medical aid).
const (
	ResidenceBelgian              = "belgian"
	ResidenceEU                   = "eu"
	ResidencePopulationRegister   = "population_register"
	ResidenceForeignersRegister   = "foreigners_register"
	ResidenceRefugee              = "refugee"
	ResidenceSubsidiaryProtection = "subsidiary_protection"
	ResidenceIrregularStay        = "irregular_stay"
)

// ResidenceStatuses are the accepted values of residence_status.
var ResidenceStatuses = []string{ResidenceBelgian, ResidenceEU, ResidencePopulationRegister, ResidenceForeignersRegister,
	ResidenceRefugee, ResidenceSubsidiaryProtection, ResidenceIrregularStay}

// Languages a person may be written to in.
var Languages = []string{"fr", "nl", "de", "en"}

// euCountries are the member states of the European Union (ISO 3166 alpha-2; Greece is GR), for the check of an
// "eu" residence status.
var euCountries = map[string]bool{"AT": true, "BE": true, "BG": true, "CY": true, "CZ": true, "DE": true, "DK": true,
	"EE": true, "ES": true, "FI": true, "FR": true, "GR": true, "HR": true, "HU": true, "IE": true, "IT": true, "LT": true,
	"LU": true, "LV": true, "MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SE": true, "SI": true, "SK": true}

// Address is a Belgian postal address.
type Address struct {
	Street       string `bson:"street" json:"street"`
	Number       string `bson:"number" json:"number"`
	Box          string `bson:"box,omitempty" json:"box,omitempty"`
	Postcode     int    `bson:"postcode" json:"postcode"`
	Municipality string `bson:"municipality" json:"municipality"`
}

// Contact is how to reach a person.
type Contact struct {
	Phone string `bson:"phone,omitempty" json:"phone,omitempty"`
	Email string `bson:"email,omitempty" json:"email,omitempty"`
}

// BankAccount is one account a person gave. Exactly one account is Active when the person has any active one:
// the account payments go to. Deactivated accounts stay as history.
type BankAccount struct {
	ID            string    `bson:"id" json:"id"`
	IBAN          iban.IBAN `bson:"iban" json:"iban"`
	Holder        string    `bson:"holder" json:"holder"`
	Active        bool      `bson:"active" json:"active"`
	AddedAt       time.Time `bson:"added_at" json:"added_at"`
	AddedBy       string    `bson:"added_by" json:"added_by"`
	ActivatedAt   time.Time `bson:"activated_at,omitzero" json:"activated_at,omitzero"`
	DeactivatedAt time.Time `bson:"deactivated_at,omitzero" json:"deactivated_at,omitzero"`
}

// Access is who may see the person besides the head of service: the social workers and teams of the files the
// person is managed in (kept by the file package), or, while the person has no file, the worker who registered
// them.
type Access struct {
	Workers []string `bson:"workers"`
	Teams   []string `bson:"teams"`
}

// FileLink is what the file package tells about one file where the person is managed (applicant or member).
type FileLink struct {
	FileID string `bson:"file_id" json:"file_id"`
	Number string `bson:"number" json:"number"`
	Open   bool   `bson:"open" json:"open"`
	// Worker and Team are the file's assignment: they give access to the person.
	Worker string `bson:"worker,omitempty" json:"-"`
	Team   string `bson:"team,omitempty" json:"-"`
}

// Person is the aggregate stored in the persons collection (store.Repository adds _id, tenant, version, outbox).
type Person struct {
	NISS            niss.NISS         `bson:"niss,omitempty"`
	NISSKey         string            `bson:"niss_key"` // the NISS, or "none:<id>": unique per tenant on every engine
	FamilyName      string            `bson:"family_name"`
	GivenNames      string            `bson:"given_names"`
	BirthDate       civil.Date        `bson:"birth_date"`
	Sex             string            `bson:"sex"`
	Nationality     string            `bson:"nationality"`
	ResidenceStatus string            `bson:"residence_status"`
	Address         *Address          `bson:"address,omitempty"`
	Contact         Contact           `bson:"contact"`
	Language        string            `bson:"language"`
	DuplicateReason string            `bson:"duplicate_reason,omitempty"`
	BankAccounts    []BankAccount     `bson:"bank_accounts"`
	Household       []HouseholdMember `bson:"household"`
	SearchKeys      []string          `bson:"search_keys"`
	DupKey          string            `bson:"dup_key"`
	Access          Access            `bson:"access"`
	Files           []FileLink        `bson:"files"`
	RegisteredBy    string            `bson:"registered_by"`
	RegisteredAt    time.Time         `bson:"registered_at"`
	UpdatedAt       time.Time         `bson:"updated_at"`
}

// Identity is the input of a registration or an identity update, as the client typed it.
type Identity struct {
	NISS            string
	FamilyName      string
	GivenNames      string
	BirthDate       string
	Sex             string
	Nationality     string
	ResidenceStatus string
	Address         *AddressInput
	Phone           string
	Email           string
	Language        string
}

// AddressInput is an address as typed.
type AddressInput struct {
	Street, Number, Box, Postcode, Municipality string
}

var (
	countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)
	phonePattern   = regexp.MustCompile(`^\+?[0-9][0-9 ./-]{6,19}$`)
)

const maxName = 100

// applyIdentity validates in and sets the identity fields of p, or returns a validation problem listing every
// field in error. The NISS, when given, must agree with the birth date and sex.
func (p *Person) applyIdentity(in Identity, today civil.Date) error {
	var fs problem.Fields
	var n niss.NISS
	if s := strings.TrimSpace(in.NISS); s != "" {
		var err error
		if n, err = niss.Parse(s); err != nil {
			fs.Add("niss", niss.Code)
		}
	}
	family := strings.Join(strings.Fields(in.FamilyName), " ")
	given := strings.Join(strings.Fields(in.GivenNames), " ")
	switch {
	case family == "":
		fs.Add("family_name", "required")
	case utf8.RuneCountInString(family) > maxName:
		fs.Add("family_name", "too_long", "max", maxName)
	}
	if utf8.RuneCountInString(given) > maxName {
		fs.Add("given_names", "too_long", "max", maxName)
	}
	var birth civil.Date
	switch s := strings.TrimSpace(in.BirthDate); {
	case s == "":
		if d, ok := n.BirthDate(); ok {
			birth = d // taken from the NISS
		} else {
			fs.Add("birth_date", "required")
		}
	default:
		d, err := civil.Parse(s)
		switch {
		case err != nil:
			fs.Add("birth_date", "invalid_date")
		case d.After(today):
			fs.Add("birth_date", "person.birth_date_future")
		default:
			birth = d
		}
	}
	if !n.IsZero() && !birth.IsZero() {
		if d, ok := n.BirthDate(); (ok && d != birth) || (!ok && n.BirthYear() != birth.Year()) ||
			(!ok && n.BirthMonth() != 0 && n.BirthMonth() != int(birth.Month())) {
			fs.Add("birth_date", "person.niss_birth_date_mismatch")
		}
	}
	sex := strings.TrimSpace(in.Sex)
	if sex == "" && !n.IsZero() {
		sex = string(n.Sex())
	}
	switch {
	case sex == "":
		fs.Add("sex", "required")
	case !oneOf(sex, Sexes):
		fs.Add("sex", "invalid_choice")
	case !n.IsZero() && n.Sex() != niss.Unknown && sex != string(n.Sex()):
		fs.Add("sex", "person.niss_sex_mismatch")
	}
	nationality := strings.ToUpper(strings.TrimSpace(in.Nationality))
	if !countryPattern.MatchString(nationality) {
		fs.Add("nationality", "person.invalid_country")
	}
	status := strings.TrimSpace(in.ResidenceStatus)
	switch {
	case status == "":
		fs.Add("residence_status", "required")
	case !oneOf(status, ResidenceStatuses):
		fs.Add("residence_status", "invalid_choice")
	case countryPattern.MatchString(nationality) && status == ResidenceBelgian && nationality != "BE",
		countryPattern.MatchString(nationality) && status == ResidenceEU && (!euCountries[nationality] || nationality == "BE"):
		fs.Add("residence_status", "person.status_nationality_mismatch")
	}
	var addr *Address
	if in.Address != nil {
		a := Address{Street: clean(in.Address.Street), Number: clean(in.Address.Number), Box: clean(in.Address.Box),
			Municipality: clean(in.Address.Municipality)}
		if a.Street == "" {
			fs.Add("address.street", "required")
		} else if utf8.RuneCountInString(a.Street) > maxName {
			fs.Add("address.street", "too_long", "max", maxName)
		}
		if a.Number == "" {
			fs.Add("address.number", "required")
		} else if len(a.Number) > 10 {
			fs.Add("address.number", "too_long", "max", 10)
		}
		if len(a.Box) > 10 {
			fs.Add("address.box", "too_long", "max", 10)
		}
		pc, err := strconv.Atoi(strings.TrimSpace(in.Address.Postcode))
		if err != nil || pc < 1000 || pc > 9999 {
			fs.Add("address.postcode", "person.invalid_postcode")
		}
		a.Postcode = pc
		if a.Municipality == "" {
			fs.Add("address.municipality", "required")
		} else if utf8.RuneCountInString(a.Municipality) > maxName {
			fs.Add("address.municipality", "too_long", "max", maxName)
		}
		addr = &a
	}
	phone := strings.TrimSpace(in.Phone)
	if phone != "" && !phonePattern.MatchString(phone) {
		fs.Add("phone", "person.invalid_phone")
	}
	email := strings.TrimSpace(in.Email)
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
			fs.Add("email", "invalid_email")
		}
	}
	language := strings.TrimSpace(in.Language)
	switch {
	case language == "":
		fs.Add("language", "required")
	case !oneOf(language, Languages):
		fs.Add("language", "invalid_choice")
	}
	if err := fs.Err(); err != nil {
		return err
	}
	p.NISS, p.FamilyName, p.GivenNames, p.BirthDate, p.Sex = n, family, given, birth, sex
	p.Nationality, p.ResidenceStatus, p.Address = nationality, status, addr
	p.Contact = Contact{Phone: phone, Email: email}
	p.Language = language
	p.SearchKeys = SearchKeys(family, given)
	p.DupKey = DuplicateKey(family, given, birth)
	return nil
}

// setNISSKey keeps the unique key in step with the NISS: the NISS itself, or a key no other person has.
func (p *Person) setNISSKey(id string) {
	if p.NISS.IsZero() {
		p.NISSKey = "none:" + id
	} else {
		p.NISSKey = p.NISS.String()
	}
}

func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

func oneOf(s string, set []string) bool {
	for _, v := range set {
		if v == s {
			return true
		}
	}
	return false
}

// ActiveAccount returns the account payments go to.
func (p *Person) ActiveAccount() (BankAccount, bool) {
	for _, a := range p.BankAccounts {
		if a.Active {
			return a, true
		}
	}
	return BankAccount{}, false
}

// AccountChange is the old and new active account of a change (either may be zero).
type AccountChange struct {
	AccountID string
	Old, New  iban.IBAN
	Holder    string
}

// AddBankAccount validates and records an account. With activate (or when the person has no active account) it
// becomes the active one and the previous one is deactivated; the change is returned when the active account
// changed. An IBAN the person already has is not added twice: it is reactivated when asked.
func (p *Person) AddBankAccount(id, number, holder, by string, activate bool, now time.Time) (BankAccount, *AccountChange, error) {
	var fs problem.Fields
	acc, err := iban.Parse(number)
	if err != nil {
		fs.Add("iban", iban.Code)
	}
	holder = clean(holder)
	switch {
	case holder == "":
		fs.Add("holder", "required")
	case utf8.RuneCountInString(holder) > 70: // the creditor name of a SEPA transfer
		fs.Add("holder", "too_long", "max", 70)
	}
	if err := fs.Err(); err != nil {
		return BankAccount{}, nil, err
	}
	for i := range p.BankAccounts {
		if p.BankAccounts[i].IBAN == acc {
			p.BankAccounts[i].Holder = holder
			if !activate || p.BankAccounts[i].Active {
				return p.BankAccounts[i], nil, nil
			}
			ch, err := p.ActivateBankAccount(p.BankAccounts[i].ID, now)
			return p.BankAccounts[i], ch, err
		}
	}
	_, hasActive := p.ActiveAccount()
	p.BankAccounts = append(p.BankAccounts, BankAccount{ID: id, IBAN: acc, Holder: holder, AddedAt: now, AddedBy: by})
	if activate || !hasActive {
		ch, err := p.ActivateBankAccount(id, now)
		return p.BankAccounts[len(p.BankAccounts)-1], ch, err
	}
	return p.BankAccounts[len(p.BankAccounts)-1], nil, nil
}

// ActivateBankAccount makes the account the one payments go to, deactivating the previous one.
func (p *Person) ActivateBankAccount(id string, now time.Time) (*AccountChange, error) {
	idx := -1
	for i, a := range p.BankAccounts {
		if a.ID == id {
			idx = i
		}
	}
	if idx < 0 {
		return nil, ErrAccountNotFound
	}
	if p.BankAccounts[idx].Active {
		return nil, nil
	}
	ch := &AccountChange{AccountID: id, New: p.BankAccounts[idx].IBAN, Holder: p.BankAccounts[idx].Holder}
	for i := range p.BankAccounts {
		if p.BankAccounts[i].Active {
			ch.Old = p.BankAccounts[i].IBAN
			p.BankAccounts[i].Active = false
			p.BankAccounts[i].DeactivatedAt = now
		}
	}
	p.BankAccounts[idx].Active = true
	p.BankAccounts[idx].ActivatedAt = now
	p.BankAccounts[idx].DeactivatedAt = time.Time{}
	return ch, nil
}

// VisibleTo tells whether a viewer may see the person: the head sees every person of the tenant, a social worker
// those whose access list names them or one of their teams. The repository applies the same rule in its queries
// (visibilityFilter); this is for the person already loaded.
func (p *Person) VisibleTo(v Viewer) bool {
	if v.Head {
		return true
	}
	if oneOf(v.UserID, p.Access.Workers) {
		return true
	}
	for _, t := range v.Teams {
		if oneOf(t, p.Access.Teams) {
			return true
		}
	}
	return false
}

// Viewer is who reads: the user, whether they head the service, and their teams.
type Viewer struct {
	UserID string
	Head   bool
	Teams  []string
}

// applyFileLinks replaces the person's files and recomputes the access list from their assignments. A person
// without any file stays visible to the worker who registered them.
func (p *Person) applyFileLinks(links []FileLink) {
	p.Files = append([]FileLink(nil), links...)
	workers, teams := []string{}, []string{}
	for _, l := range links {
		if l.Worker != "" && !oneOf(l.Worker, workers) {
			workers = append(workers, l.Worker)
		}
		if l.Team != "" && !oneOf(l.Team, teams) {
			teams = append(teams, l.Team)
		}
	}
	if len(links) == 0 && p.RegisteredBy != "" {
		workers = append(workers, p.RegisteredBy)
	}
	p.Access = Access{Workers: workers, Teams: teams}
}

// FileNumbers lists the numbers of the person's files, for display and for duplicate answers.
func (p *Person) FileNumbers() []string {
	out := make([]string, 0, len(p.Files))
	for _, f := range p.Files {
		out = append(out, f.Number)
	}
	return out
}

func init() {
	for code, texts := range map[string]map[string]string{
		"person.niss_birth_date_mismatch": {
			"fr": "La date de naissance ne correspond pas au numéro de registre national.",
			"nl": "De geboortedatum komt niet overeen met het rijksregisternummer.",
			"de": "Das Geburtsdatum stimmt nicht mit der Nationalregisternummer überein.",
			"en": "The birth date does not match the national register number.",
		},
		"person.niss_sex_mismatch": {
			"fr": "Le sexe ne correspond pas au numéro de registre national.",
			"nl": "Het geslacht komt niet overeen met het rijksregisternummer.",
			"de": "Das Geschlecht stimmt nicht mit der Nationalregisternummer überein.",
			"en": "The sex does not match the national register number.",
		},
		"person.birth_date_future": {
			"fr": "La date de naissance est dans le futur.", "nl": "De geboortedatum ligt in de toekomst.",
			"de": "Das Geburtsdatum liegt in der Zukunft.", "en": "The birth date is in the future.",
		},
		"person.invalid_country": {
			"fr": "Code pays ISO à deux lettres attendu (BE, FR, NL…).", "nl": "ISO-landcode van twee letters verwacht (BE, FR, NL…).",
			"de": "Zweistelliger ISO-Ländercode erwartet (BE, FR, NL…).", "en": "Two-letter ISO country code expected (BE, FR, NL…).",
		},
		"person.status_nationality_mismatch": {
			"fr": "Ce statut de séjour ne correspond pas à la nationalité.", "nl": "Deze verblijfsstatus past niet bij de nationaliteit.",
			"de": "Dieser Aufenthaltsstatus passt nicht zur Staatsangehörigkeit.", "en": "This residence status does not match the nationality.",
		},
		"person.invalid_postcode": {
			"fr": "Code postal belge invalide (1000 à 9999).", "nl": "Ongeldige Belgische postcode (1000 tot 9999).",
			"de": "Ungültige belgische Postleitzahl (1000 bis 9999).", "en": "Invalid Belgian postcode (1000 to 9999).",
		},
		"person.invalid_phone": {
			"fr": "Numéro de téléphone invalide.", "nl": "Ongeldig telefoonnummer.", "de": "Ungültige Telefonnummer.", "en": "Invalid phone number.",
		},
		"person.duplicate_reason_required": {
			"fr": "Une personne semblable existe déjà : indiquez pourquoi vous l'enregistrez quand même.",
			"nl": "Er bestaat al een gelijkaardige persoon: geef aan waarom u toch registreert.",
			"de": "Eine ähnliche Person existiert bereits: geben Sie an, warum Sie trotzdem erfassen.",
			"en": "A similar person already exists: say why you register anyway.",
		},
		"person.purpose_invalid": {
			"fr": "Finalité de consultation inconnue.", "nl": "Onbekend doel van de raadpleging.",
			"de": "Unbekannter Zweck der Abfrage.", "en": "Unknown purpose of access.",
		},
		"person.member_unknown": {
			"fr": "Personne inconnue.", "nl": "Onbekende persoon.", "de": "Unbekannte Person.", "en": "Unknown person.",
		},
		"person.member_self": {
			"fr": "Une personne ne peut pas être membre de son propre ménage.", "nl": "Een persoon kan geen lid zijn van het eigen gezin.",
			"de": "Eine Person kann nicht Mitglied ihres eigenen Haushalts sein.", "en": "A person cannot be a member of their own household.",
		},
		"person.member_repeated": {
			"fr": "Cette personne figure déjà dans le ménage pour cette période.", "nl": "Deze persoon staat al in het gezin voor deze periode.",
			"de": "Diese Person steht für diesen Zeitraum bereits im Haushalt.", "en": "This person is already in the household for this period.",
		},
		"person.until_before_from": {
			"fr": "La date de fin précède la date de début.", "nl": "De einddatum ligt voor de begindatum.",
			"de": "Das Enddatum liegt vor dem Anfangsdatum.", "en": "The end date is before the start date.",
		},
		"person.query_too_short": {
			"fr": "Tapez au moins 2 caractères.", "nl": "Typ minstens 2 tekens.", "de": "Geben Sie mindestens 2 Zeichen ein.", "en": "Type at least 2 characters.",
		},
	} {
		problem.RegisterMessages(code, texts)
	}
}
