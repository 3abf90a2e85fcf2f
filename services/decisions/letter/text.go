package letter

import (
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/ris"
)

// pick returns the Dutch text for NL, the French one otherwise.
func pick(lang Lang, fr, nl string) string {
	if lang == NL {
		return nl
	}
	return fr
}

// labels are the words shared by the letters.
var labels = map[string][2]string{
	"enterprise_number": {"BCE", "KBO"},
	"phone":             {"Tél.", "Tel."},
	"file_reference":    {"Référence du dossier", "Dossiernummer"},
	"register_number":   {"N° au registre des demandes", "Nr. in het aanvraagregister"},
	"social_worker":     {"Assistant·e social·e", "Maatschappelijk werker"},
	"service":           {"Service", "Dienst"},
	"date":              {"Date", "Datum"},
	"salutation":        {"Madame, Monsieur,", "Geachte mevrouw, geachte heer,"},
	"closing":           {"Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.", "Met vriendelijke groeten."},
	"for_cpas":          {"Pour le centre public d'action sociale,", "Voor het openbaar centrum voor maatschappelijk welzijn,"},
	"footer":            {"Dossier", "Dossier"},
}

func tr(lang Lang, key string) string {
	l, ok := labels[key]
	if !ok {
		panic("letter: no label " + key)
	}
	return pick(lang, l[0], l[1])
}

func date(d civil.Date, lang Lang) string { return legalclock.FormatDate(d, string(lang)) }

func money(c ris.Cents, lang Lang) string { return c.Format(string(lang)) }

// Subtype is the kind of aide sociale asked (domain.md §2 and issue 4).
type Subtype string

// The subtypes of aide sociale.
const (
	RentGuarantee       Subtype = "rent_guarantee"
	Energy              Subtype = "energy"
	MedicalCosts        Subtype = "medical_costs"
	Food                Subtype = "food"
	InstallationPremium Subtype = "installation_premium"
	OtherAid            Subtype = "other"
)

var subtypeNames = map[Subtype][2]string{
	RentGuarantee:       {"garantie locative", "huurwaarborg"},
	Energy:              {"aide en matière d'énergie", "energiesteun"},
	MedicalCosts:        {"prise en charge de frais médicaux", "tenlasteneming van medische kosten"},
	Food:                {"aide alimentaire", "voedselhulp"},
	InstallationPremium: {"prime d'installation", "installatiepremie"},
	OtherAid:            {"aide sociale", "maatschappelijke dienstverlening"},
}

// Valid reports whether s is a subtype of aide sociale.
func (s Subtype) Valid() bool { _, ok := subtypeNames[s]; return ok }

// kindName names the aid asked, as in "votre demande de …" / "uw aanvraag om …".
func kindName(kind legalclock.Kind, sub Subtype, lang Lang) string {
	switch kind {
	case legalclock.RIS:
		return pick(lang, "revenu d'intégration sociale", "leefloon")
	case legalclock.ERIS:
		return pick(lang, "aide sociale équivalente au revenu d'intégration", "financiële maatschappelijke dienstverlening gelijkwaardig aan het leefloon")
	case legalclock.AMU:
		return pick(lang, "aide médicale urgente", "dringende medische hulp")
	}
	if n, ok := subtypeNames[sub]; ok && sub != OtherAid {
		return pick(lang, "aide sociale (", "maatschappelijke dienstverlening (") + pick(lang, n[0], n[1]) + ")"
	}
	return pick(lang, "aide sociale", "maatschappelijke dienstverlening")
}

// appealLaw is the provision an appeal is lodged under: loi DIS art. 47 for the RIS, LO art. 71 for aide sociale.
func appealLaw(kind legalclock.Kind, lang Lang) string {
	if kind == legalclock.RIS {
		return pick(lang, "article 47 de la loi du 26 mai 2002 concernant le droit à l'intégration sociale", "artikel 47 van de wet van 26 mei 2002 betreffende het recht op maatschappelijke integratie")
	}
	return pick(lang, "article 71 de la loi organique des CPAS du 8 juillet 1976", "artikel 71 van de organieke wet van 8 juli 1976 betreffende de OCMW's")
}
