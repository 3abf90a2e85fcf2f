package demo

import (
	"github.com/entraide/entraide/services/beneficiaries/document"
	"github.com/entraide/entraide/services/beneficiaries/file"
	"github.com/entraide/entraide/services/beneficiaries/person"
)

// Everything below is invented: the names are common Belgian (and immigrant) names put together at random, the
// streets do not exist, the phone numbers and e-mail addresses lead nowhere. Only the postcodes and
// municipalities are real, so the address checks behave as with real data.

// someone is a fictional person of the demo.
type someone struct {
	family, given string
	birth         string // YYYY-MM-DD
	sex           string
	kind          NISSKind
	nationality   string
	status        string
	language      string
	phone, email  string
	iban          bool
}

// member is a household member of a case, with their relation to the applicant and their quality on the file.
type member struct {
	someone
	relation  string
	dependent bool
	quality   file.Quality
}

type note struct {
	text       string
	restricted bool
}

type doc struct {
	typ   document.Type
	name  string
	lines []string // PDF text; none: a PNG scan
}

type address struct {
	street, number, box string
	postcode            string
	municipality        string
}

// demoCase is a household and what the CPAS did for it: the applicant, the members, where they live, which
// worker follows them (an index in the workers given to SeedDemo), the journal, the documents and, for a closed
// file, why it closed. noFile leaves the person registered without a file yet.
type demoCase struct {
	worker     int
	applicant  someone
	members    []member
	addr       address
	notes      []note
	docs       []doc
	closed     file.CloseReason
	reassignTo int // index of another worker the head reassigns the file to; -1: none
	noFile     bool
}

func alone(worker int, p someone, a address, notes []note, docs []doc, closed file.CloseReason) demoCase {
	return demoCase{worker: worker, applicant: p, addr: a, notes: notes, docs: docs, closed: closed, reassignTo: -1}
}

const (
	be, fr, nl, de, en = "BE", "fr", "nl", "de", "en"
	male, female       = person.SexMale, person.SexFemale
)

var (
	belgian     = person.ResidenceBelgian
	eu          = person.ResidenceEU
	population  = person.ResidencePopulationRegister
	foreigners  = person.ResidenceForeignersRegister
	refugee     = person.ResidenceRefugee
	subsidiary  = person.ResidenceSubsidiaryProtection
	irregular   = person.ResidenceIrregularStay
	spouse      = person.RelationSpouse
	legalCohab  = person.RelationLegalCohabitant
	partner     = person.RelationDeFactoPartner
	child       = person.RelationChild
	parent      = person.RelationParent
	payslip     = doc{document.TypeIncomeProof, "fiche-de-paie.pdf", []string{"Fiche de paie - document de demonstration", "Employeur fictif SA", "Montant net : 1.234,56 EUR"}}
	lease       = doc{document.TypeLease, "bail.pdf", []string{"Bail de residence principale - demonstration", "Loyer mensuel : 650,00 EUR"}}
	medical     = doc{document.TypeMedicalCertificate, "certificat-medical.pdf", []string{"Certificat medical - demonstration", "Incapacite de travail de 30 jours"}}
	bankProof   = doc{document.TypeBankProof, "attestation-bancaire.pdf", []string{"Attestation bancaire - demonstration", "Titulaire du compte : voir dossier"}}
	identityPNG = doc{document.TypeIdentity, "carte-identite.png", nil}
	letter      = doc{document.TypeLetter, "courrier-proprietaire.pdf", []string{"Courrier du proprietaire - demonstration", "Rappel de loyer"}}
)

func addr(street, number, postcode, municipality string) address {
	return address{street: street, number: number, postcode: postcode, municipality: municipality}
}

// cases is the demo tenant's caseload: isolated persons, cohabitants, families with dependent minor children
// (the three RIS categories), open and closed files, and two persons registered without a file yet.
var cases = []demoCase{
	// Isolés.
	alone(0, someone{"Müller", "Hans", "1958-03-12", male, NationalRegister, "DE", eu, de, "+32 471 20 11 01", "", true},
		addr("Rue des Trois Tilleuls", "14", "1000", "Bruxelles"),
		[]note{{"Premier entretien : demande de revenu d'intégration après la fin des allocations de chômage.", false},
			{"Documents d'identité et bail reçus ; enquête sociale à domicile prévue.", false}},
		[]doc{identityPNG, lease}, ""),
	alone(0, someone{"Dupont-Lefèvre", "Marie-Claire", "1972-11-05", female, NationalRegister, be, belgian, fr, "", "mc.dupont@example.invalid", true},
		addr("Allée des Coquelicots", "3", "1030", "Schaerbeek"),
		[]note{{"Demande d'aide pour les frais de chauffage de l'hiver.", false},
			{"Suivi médical en cours (traitement de longue durée) ; incapacité de travail attestée.", true}},
		[]doc{medical, payslip}, ""),
	alone(1, someone{"Nguyễn", "Thị Lan", "1990-06-21", female, NationalRegister, "VN", population, fr, "+32 486 55 12 90", "", true},
		addr("Rue du Vieux Lavoir", "27", "1060", "Saint-Gilles"),
		[]note{{"Inscription à une formation en langue française ; projet individualisé à construire.", false}}, nil, ""),
	alone(2, someone{"Çelik", "Mehmet", "1966-01-30", male, NationalRegister, "TR", population, nl, "", "", true},
		addr("Vlierbessenstraat", "8", "9000", "Gent"),
		[]note{{"Verhuis naar een andere gemeente gemeld; dossier wordt overgedragen.", false}}, nil, file.CloseMovedAway),
	alone(1, someone{"Van den Broeck", "Jef", "1949-09-14", male, NationalRegister, be, belgian, nl, "+32 3 555 01 23", "", true},
		addr("Kastanjelaan", "112", "2000", "Antwerpen"),
		[]note{{"Aanvraag voor tussenkomst in de kosten van het rusthuis.", false}}, []doc{bankProof}, ""),
	alone(2, someone{"Ben Saïd", "Youssef", "2003-04-02", male, NationalRegister, "MA", foreigners, fr, "+32 465 30 44 10", "", true},
		addr("Rue des Tisserands", "5", "4000", "Liège"),
		[]note{{"Étudiant de 23 ans, demande d'aide dans le cadre d'un projet d'études.", false}}, nil, ""),
	alone(0, someone{"Kowalczyk", "Agnieszka", "1985-12-24", female, NationalRegister, "PL", eu, fr, "", "", true},
		addr("Chaussée de la Solidarité", "201", "1080", "Molenbeek-Saint-Jean"),
		[]note{{"Reprise d'un emploi à temps plein : l'aide prend fin.", false}}, []doc{payslip}, file.CloseAidEnded),
	alone(1, someone{"Lemaître", "Gérard", "1940-02-29", male, NationalRegister, be, belgian, fr, "", "", true},
		addr("Place du Marronnier", "1", "5000", "Namur"),
		[]note{{"Demande d'avance sur la garantie de revenus aux personnes âgées (GRAPA).", false}}, nil, ""),
	alone(2, someone{"Haile", "Senait", "1998-07-07", female, BISSexKnown, "ER", refugee, en, "+32 493 77 00 21", "", true},
		addr("Rue de l'Entraide", "44", "6000", "Charleroi"),
		[]note{{"Reconnue réfugiée ; recherche de logement avec l'agence immobilière sociale.", false}}, []doc{identityPNG}, ""),
	{worker: 0, reassignTo: 1, applicant: someone{"Popescu", "Ionuț", "1979-05-18", male, NationalRegister, "RO", eu, fr, "", "", true},
		addr:  addr("Sentier des Écoliers", "9", "7000", "Mons"),
		notes: []note{{"Dossier repris par une collègue pendant un congé de longue durée.", false}}},
	alone(1, someone{"Al-Hassan", "Rania", "1994-10-10", female, BISSexKnown, "SY", subsidiary, fr, "", "", true},
		addr("Drève des Bouleaux", "16", "1348", "Ottignies-Louvain-la-Neuve"),
		[]note{{"Protection subsidiaire accordée ; ouverture d'un compte bancaire en cours.", false}}, nil, ""),
	alone(2, someone{"Okafor", "Chukwuemeka", "1988-08-08", male, NoNumber, "NG", irregular, en, "", "", false},
		addr("Impasse du Four à Pain", "2", "1070", "Anderlecht"),
		[]note{{"Demande d'aide médicale urgente.", false},
			{"Hospitalisation prévue ; réquisitoire transmis à l'hôpital.", true}}, nil, ""),
	alone(2, someone{"D'Hondt", "Lieve", "1955-04-27", female, NationalRegister, be, belgian, nl, "", "", true},
		addr("Molenwiek", "33", "8000", "Brugge"),
		[]note{{"Aanvraag ingetrokken na de herziening van het pensioen.", false}}, nil, file.CloseRequestWithdrawn),
	alone(0, someone{"Ferreira", "João", "1962-03-03", male, NationalRegister, "PT", eu, fr, "+32 2 555 88 14", "", true},
		addr("Rue Émile Desmet", "71", "1190", "Forest"),
		[]note{{"Demande de guidance budgétaire après un retard de loyer.", false}}, []doc{letter}, ""),
	alone(1, someone{"Lejeune", "Martine", "1959-12-12", female, NationalRegister, be, belgian, fr, "", "", true},
		addr("Avenue des Myosotis", "58", "1400", "Nivelles"),
		[]note{{"Aide au paiement d'une facture d'énergie.", false}}, nil, ""),
	alone(2, someone{"Goossens", "Dirk", "1971-04-01", male, NationalRegister, be, belgian, nl, "", "", true},
		addr("Boterbloemstraat", "6", "3000", "Leuven"),
		[]note{{"Begeleiding naar werk via een artikel 60-tewerkstelling.", false}}, nil, ""),
	alone(0, someone{"Bah", "Mamadou", "2005-06-15", male, NationalRegister, "GN", refugee, fr, "", "", true},
		addr("Rue des Glycines", "12", "1000", "Bruxelles"),
		[]note{{"Jeune adulte sorti d'un centre d'accueil ; recherche de logement.", false}}, nil, ""),
	alone(1, someone{"Ilunga", "Patience", "1997-02-27", female, NationalRegister, "CD", foreigners, fr, "", "", true},
		addr("Rue du Moulin à Vent", "90", "1030", "Schaerbeek"),
		[]note{{"Sans nouvelles malgré deux convocations.", false}}, nil, file.CloseNoContact),

	// Cohabitants: the applicant shares the home with other adults.
	{worker: 1, reassignTo: -1, applicant: someone{"Janssens", "Pieter", "1975-02-14", male, NationalRegister, be, belgian, nl, "+32 474 10 20 30", "", true},
		members: []member{{someone{"Peeters", "Griet", "1977-06-30", female, NationalRegister, be, belgian, nl, "", "", false}, partner, false, file.QualityCohabitant}},
		addr:    addr("Lindenlaan", "21", "2800", "Mechelen"),
		notes:   []note{{"Samenwonend met partner; inkomsten van de partner worden nagegaan.", false}}},
	{worker: 0, reassignTo: -1, applicant: someone{"Dubois", "Sylvie", "1968-09-09", female, NationalRegister, be, belgian, fr, "", "", true},
		members: []member{{someone{"Dubois", "Kevin", "2001-01-15", male, NationalRegister, be, belgian, fr, "", "", false}, child, false, file.QualityCohabitant}},
		addr:    addr("Rue des Hirondelles", "7", "6000", "Charleroi"),
		notes:   []note{{"Vit avec son fils majeur, qui travaille à temps partiel.", false}}, docs: []doc{payslip}},
	{worker: 2, reassignTo: -1, closed: file.CloseAidEnded, applicant: someone{"Mbuyi", "Jean-Pierre", "1970-12-01", male, NationalRegister, "CD", population, fr, "", "", true},
		members: []member{{someone{"Mbuyi Kalala", "Esther", "1973-03-22", female, NationalRegister, "CD", population, fr, "", "", false}, spouse, false, file.QualityCohabitant}},
		addr:    addr("Rue Haute-Claire", "48", "4020", "Liège"),
		notes:   []note{{"Les deux conjoints ont retrouvé un emploi.", false}}},
	{worker: 1, reassignTo: -1, applicant: someone{"Lambert", "Odette", "1946-07-19", female, NationalRegister, be, belgian, fr, "", "", true},
		members: []member{{someone{"Lambert", "René", "1944-11-11", male, NationalRegister, be, belgian, fr, "", "", false}, spouse, false, file.QualityCohabitant}},
		addr:    addr("Clos des Vergers", "4", "5000", "Namur"),
		notes:   []note{{"Demande d'aide familiale à domicile.", false}, {"Monsieur souffre d'une maladie neurodégénérative.", true}}},
	{worker: 0, reassignTo: -1, applicant: someone{"Hernández García", "Lucía", "1992-02-02", female, NationalRegister, "ES", eu, fr, "", "lucia.hg@example.invalid", true},
		members: []member{{someone{"Moreau", "Julien", "1991-08-25", male, NationalRegister, "FR", eu, fr, "", "", false}, legalCohab, false, file.QualityCohabitant}},
		addr:    addr("Avenue du Cerisier Blanc", "130", "1190", "Forest"),
		notes:   []note{{"Cohabitation légale déclarée en 2022.", false}}},
	{worker: 2, reassignTo: -1, applicant: someone{"Öztürk", "Ayşe", "1983-05-05", female, NationalRegister, "TR", population, nl, "", "", true},
		members: []member{{someone{"Öztürk", "Emine", "1950-01-01", female, NoNumber, "TR", foreigners, nl, "", "", false}, parent, false, file.QualityOtherMember}},
		addr:    addr("Tulpenstraat", "19", "3500", "Hasselt"),
		notes:   []note{{"Moeder woont sinds kort in; verblijfsaanvraag loopt.", false}}},

	// Familles à charge: at least one dependent, unmarried minor child.
	{worker: 1, reassignTo: -1, applicant: someone{"Mertens", "Sofie", "1987-03-17", female, NationalRegister, be, belgian, nl, "+32 478 90 80 70", "", true},
		members: []member{
			{someone{"Mertens", "Lotte", "2015-09-01", female, NationalRegister, be, belgian, nl, "", "", false}, child, true, file.QualityDependentChild},
			{someone{"Mertens", "Wout", "2019-12-12", male, NationalRegister, be, belgian, nl, "", "", false}, child, true, file.QualityDependentChild}},
		addr:  addr("Kerselarenhof", "2", "2800", "Mechelen"),
		notes: []note{{"Alleenstaande moeder met twee kinderen; onderhoudsgeld wordt niet betaald.", false}},
		docs:  []doc{identityPNG, bankProof}},
	{worker: 2, reassignTo: -1, applicant: someone{"El Idrissi", "Karim", "1980-06-06", male, NationalRegister, "MA", population, fr, "", "", true},
		members: []member{
			{someone{"El Idrissi", "Samira", "1984-10-30", female, NationalRegister, "MA", population, fr, "", "", false}, spouse, false, file.QualityCohabitant},
			{someone{"El Idrissi", "Adam", "2012-04-04", male, NationalRegister, be, belgian, fr, "", "", false}, child, true, file.QualityDependentChild},
			{someone{"El Idrissi", "Nour", "2016-07-21", female, NationalRegister, be, belgian, fr, "", "", false}, child, true, file.QualityDependentChild},
			{someone{"El Idrissi", "Yanis", "2024-01-09", male, NationalRegister, be, belgian, fr, "", "", false}, child, true, file.QualityDependentChild}},
		addr:  addr("Rue de la Fraternité", "66", "1080", "Molenbeek-Saint-Jean"),
		notes: []note{{"Famille de cinq personnes ; logement trop petit, demande d'allocation de déménagement.", false}},
		docs:  []doc{lease}},
	{worker: 0, reassignTo: -1, applicant: someone{"Nowak", "Katarzyna", "1993-11-11", female, NationalRegister, "PL", eu, fr, "", "", true},
		members: []member{{someone{"Nowak", "Zofia", "2020-02-20", female, NationalRegister, "PL", eu, fr, "", "", false}, child, true, file.QualityDependentChild}},
		addr:    addr("Rue des Trois Tilleuls", "2", "1000", "Bruxelles"),
		notes:   []note{{"Demande d'intervention dans les frais de crèche.", false}}},
	{worker: 1, reassignTo: -1, closed: file.CloseMovedAway, applicant: someone{"Wouters", "Thomas", "1982-09-30", male, NationalRegister, be, belgian, nl, "", "", true},
		members: []member{{someone{"Wouters", "Emma", "2010-05-05", female, NationalRegister, be, belgian, nl, "", "", false}, child, true, file.QualityDependentChild}},
		addr:    addr("Populierendreef", "15", "9000", "Gent"),
		notes:   []note{{"Vertrokken naar een andere gemeente.", false}}},
	{worker: 2, reassignTo: -1, applicant: someone{"Kabongo", "Grâce", "1995-04-14", female, BISSexUnknown, "CD", refugee, fr, "", "", true},
		members: []member{
			{someone{"Kabongo", "Divine", "2018-08-18", female, NationalRegister, "CD", refugee, fr, "", "", false}, child, true, file.QualityDependentChild},
			{someone{"Kabongo", "Élie", "2021-03-03", male, NoNumber, "CD", refugee, fr, "", "", false}, child, true, file.QualityDependentChild}},
		addr:  addr("Rue de l'Entraide", "12", "6000", "Charleroi"),
		notes: []note{{"Famille monoparentale arrivée récemment ; inscription scolaire des enfants à suivre.", false}}},
	{worker: 0, reassignTo: -1, applicant: someone{"François", "Nathalie", "1978-01-21", female, NationalRegister, be, belgian, fr, "", "", true},
		members: []member{
			{someone{"Vandenberghe", "Luc", "1976-10-02", male, NationalRegister, be, belgian, nl, "", "", false}, partner, false, file.QualityCohabitant},
			{someone{"François", "Chloé", "2009-12-31", female, NationalRegister, be, belgian, fr, "", "", false}, child, true, file.QualityDependentChild}},
		addr:  addr("Rue des Glycines", "40", "1000", "Bruxelles"),
		notes: []note{{"Famille recomposée ; calcul des ressources du ménage à vérifier.", false}}},

	// Registered, no file yet (seen by the worker who registered them and the head).
	{worker: 1, reassignTo: -1, noFile: true, applicant: someone{"Rossi", "Giulia", "1999-09-19", female, NationalRegister, "IT", eu, fr, "", "", false},
		addr: addr("Rue du Vieux Lavoir", "3", "1060", "Saint-Gilles")},
	{worker: 0, reassignTo: -1, noFile: true, applicant: someone{"Schmitt", "Anneliese", "1961-06-16", female, NationalRegister, "DE", eu, de, "", "", false},
		addr: addr("Hauptstraße", "25", "4700", "Eupen")},
}

// teams are the two teams the head creates: the first two workers form the first team, the third worker the
// second one; files are assigned to their worker's team.
var teams = []string{"Équipe Centre", "Équipe Nord"}

// teamOf is the index in teams of worker w's team.
func teamOf(w int) int {
	if w >= 2 {
		return 1
	}
	return 0
}

// FamilyNames are the distinct family names of the demo persons, for a test to find them all by name search.
func FamilyNames() []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, c := range cases {
		add(c.applicant.family)
		for _, m := range c.members {
			add(m.family)
		}
	}
	return out
}

// PersonCount is how many persons SeedDemo registers.
func PersonCount() int {
	n := 0
	for _, c := range cases {
		n += 1 + len(c.members)
	}
	return n
}
