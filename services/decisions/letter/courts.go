package letter

import "strings"

// LabourCourt is the labour court (tribunal du travail / arbeidsrechtbank) competent for the CPAS's district, as
// the decision letter names it: an appeal against a CPAS decision goes to the court of the applicant's residence,
// which for a CPAS is the court of its own district. It is a tenant setting: the caller hands it in, in the
// letter's language.
type LabourCourt struct {
	// Name, e.g. "Tribunal du travail francophone de Bruxelles" or "Arbeidsrechtbank Gent".
	Name string `json:"name"`
	// Division (division / afdeling), e.g. "division de Namur" or "afdeling Brugge"; empty for a court without
	// divisions.
	Division string  `json:"division,omitempty"`
	Address  Address `json:"address"`
}

func (c LabourCourt) lines() []string {
	lines := []string{c.Name}
	if c.Division != "" {
		lines = append(lines, c.Division)
	}
	return append(lines, c.Address.Lines()...)
}

// Court is one of the Belgian labour courts, by name, with its divisions, for the tenant's settings screen: the
// admin picks the court and division and enters the address of its registry (greffe / griffie). Addresses are
// not data of this package: they change (courts move) and could not be checked when this list was written, so a
// tenant enters the one printed on the court's own notices. The list follows the judicial map of 2014 (loi du
// 1er décembre 2013); the divisions are marked to verify against the current Code judiciaire before a tenant
// relies on them.
type Court struct {
	// ID is a stable code, e.g. "liege".
	ID string `json:"id"`
	FR string `json:"fr"`
	NL string `json:"nl"`
	// DE is the German name, for the courts of the German-speaking area and those that write in German.
	DE string `json:"de,omitempty"`
	// Divisions are the seats (division / afdeling), named by their town; empty for a single-seat court.
	Divisions []string `json:"divisions,omitempty"`
	// Verify: the divisions were not confirmed against the legal text (domain.md's convention).
	Verify bool `json:"verify"`
}

// Name returns the court's name in the letter's language.
func (c Court) Name(lang Lang) string {
	if lang == NL {
		return c.NL
	}
	return c.FR
}

// LabourCourt returns the court as a decision letter names it, in lang, at the given division (a town of
// Divisions, or "" for none) and address.
func (c Court) LabourCourt(lang Lang, division string, address Address) LabourCourt {
	lc := LabourCourt{Name: c.Name(lang), Address: address}
	if division = strings.TrimSpace(division); division != "" {
		if lang == NL {
			lc.Division = "afdeling " + division
		} else {
			lc.Division = "division " + frenchOf(division)
		}
	}
	return lc
}

// frenchOf writes "de Namur", "d'Arlon", "de La Louvière".
func frenchOf(town string) string {
	if strings.ContainsRune("AEIOUYÉÈaeiouyéè", []rune(town)[0]) {
		return "d'" + town
	}
	return "de " + town
}

// LabourCourts lists the nine Belgian labour courts. Brussels has two, one per language; the others write in
// the language of their area (Eupen in German, with French and Dutch names for the letters of other areas).
func LabourCourts() []Court {
	return []Court{
		{ID: "bruxelles_fr", FR: "Tribunal du travail francophone de Bruxelles", NL: "Franstalige arbeidsrechtbank Brussel"},
		{ID: "brussel_nl", FR: "Tribunal du travail néerlandophone de Bruxelles", NL: "Nederlandstalige arbeidsrechtbank Brussel"},
		{ID: "liege", FR: "Tribunal du travail de Liège", NL: "Arbeidsrechtbank Luik", Verify: true,
			Divisions: []string{"Liège", "Huy", "Verviers", "Namur", "Dinant", "Arlon", "Marche-en-Famenne", "Neufchâteau"}},
		{ID: "hainaut", FR: "Tribunal du travail du Hainaut", NL: "Arbeidsrechtbank Henegouwen", Verify: true,
			Divisions: []string{"Binche", "Charleroi", "La Louvière", "Mons", "Tournai"}},
		{ID: "brabant_wallon", FR: "Tribunal du travail du Brabant wallon", NL: "Arbeidsrechtbank Waals-Brabant", Verify: true,
			Divisions: []string{"Nivelles", "Wavre"}},
		{ID: "eupen", FR: "Tribunal du travail d'Eupen", NL: "Arbeidsrechtbank Eupen", DE: "Arbeitsgericht Eupen"},
		{ID: "antwerpen", FR: "Tribunal du travail d'Anvers", NL: "Arbeidsrechtbank Antwerpen", Verify: true,
			Divisions: []string{"Antwerpen", "Mechelen", "Turnhout", "Hasselt", "Tongeren"}},
		{ID: "gent", FR: "Tribunal du travail de Gand", NL: "Arbeidsrechtbank Gent", Verify: true,
			Divisions: []string{"Gent", "Dendermonde", "Oudenaarde", "Sint-Niklaas", "Brugge", "Ieper", "Kortrijk", "Oostende", "Roeselare"}},
		{ID: "leuven", FR: "Tribunal du travail de Louvain", NL: "Arbeidsrechtbank Leuven"},
	}
}

// CourtByID returns the labour court with that ID.
func CourtByID(id string) (Court, bool) {
	for _, c := range LabourCourts() {
		if c.ID == id {
			return c, true
		}
	}
	return Court{}, false
}
