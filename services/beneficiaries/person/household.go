package person

import (
	"fmt"
	"strings"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
)

// Relations of a household member to the person.
const (
	RelationSpouse          = "spouse"
	RelationLegalCohabitant = "legal_cohabitant"
	RelationDeFactoPartner  = "de_facto_partner"
	RelationChild           = "child"
	RelationParent          = "parent"
	RelationOther           = "other"
)

// Relations are the accepted values of relation.
var Relations = []string{RelationSpouse, RelationLegalCohabitant, RelationDeFactoPartner, RelationChild, RelationParent, RelationOther}

// HouseholdMember is someone who lives with the person from ValidFrom (until Until, inclusive, when set).
// Dependent means the person supports them (à charge / ten laste); Married matters for a child only (the RIS
// category counts unmarried minor children).
type HouseholdMember struct {
	PersonID  string     `bson:"person_id" json:"person_id"`
	Relation  string     `bson:"relation" json:"relation"`
	Dependent bool       `bson:"dependent" json:"dependent"`
	Married   bool       `bson:"married" json:"married"`
	ValidFrom civil.Date `bson:"valid_from" json:"valid_from"`
	Until     civil.Date `bson:"until,omitzero" json:"until,omitzero"`
}

// LivesOn tells whether the member is in the household on day d.
func (m HouseholdMember) LivesOn(d civil.Date) bool {
	return !d.Before(m.ValidFrom) && (m.Until.IsZero() || !d.After(m.Until))
}

// MemberInput is a household member as typed.
type MemberInput struct {
	PersonID  string
	Relation  string
	Dependent bool
	Married   bool
	ValidFrom string
	Until     string
}

// parseHousehold validates the members of a household for person self; exists tells which person ids are persons
// of the tenant.
func parseHousehold(self string, in []MemberInput, exists map[string]bool) ([]HouseholdMember, error) {
	var fs problem.Fields
	out := make([]HouseholdMember, 0, len(in))
	for i, m := range in {
		at := func(f string) string { return fmt.Sprintf("members[%d].%s", i, f) }
		hm := HouseholdMember{PersonID: strings.ToLower(strings.TrimSpace(m.PersonID)), Relation: m.Relation, Dependent: m.Dependent, Married: m.Married}
		switch {
		case hm.PersonID == "":
			fs.Add(at("person_id"), "required")
		case hm.PersonID == self:
			fs.Add(at("person_id"), "person.member_self")
		case !exists[hm.PersonID]:
			fs.Add(at("person_id"), "person.member_unknown")
		}
		if !oneOf(hm.Relation, Relations) {
			fs.Add(at("relation"), "invalid_choice")
		}
		var err error
		if hm.ValidFrom, err = civil.Parse(m.ValidFrom); err != nil {
			fs.Add(at("valid_from"), "invalid_date")
		}
		if m.Until != "" {
			if hm.Until, err = civil.Parse(m.Until); err != nil {
				fs.Add(at("until"), "invalid_date")
			} else if !hm.ValidFrom.IsZero() && hm.Until.Before(hm.ValidFrom) {
				fs.Add(at("until"), "person.until_before_from")
			}
		}
		for _, prev := range out {
			if prev.PersonID == hm.PersonID && overlaps(prev, hm) {
				fs.Add(at("person_id"), "person.member_repeated")
			}
		}
		out = append(out, hm)
	}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func overlaps(a, b HouseholdMember) bool {
	endA, endB := a.Until, b.Until
	return (endB.IsZero() || !a.ValidFrom.After(endB)) && (endA.IsZero() || !b.ValidFrom.After(endA))
}

// RIS categories of art. 14 of the loi du 26 mai 2002 (revenu d'intégration sociale, leefloon).
const (
	CategoryCohabitant     = 1 // shares a household with others
	CategoryIsole          = 2 // lives alone
	CategoryFamilleACharge = 3 // lives with a dependent family including at least one unmarried minor child
)

// CategoryNames are the legal names of the categories (FR / NL).
var CategoryNames = map[int]map[string]string{
	CategoryCohabitant:     {"fr": "cohabitant", "nl": "samenwonende"},
	CategoryIsole:          {"fr": "isolé", "nl": "alleenstaande"},
	CategoryFamilleACharge: {"fr": "famille à charge", "nl": "gezin ten laste"},
}

// CategoryProposal is the RIS category the household suggests on a date, with a one-line reason in French and
// Dutch that a decision may quote. It is a proposal: the social worker and the committee decide.
type CategoryProposal struct {
	Date          civil.Date        `json:"date"`
	Category      int               `json:"category"`
	Name          map[string]string `json:"name"`
	Explanation   map[string]string `json:"explanation"`
	Members       int               `json:"members"`
	MinorChildren int               `json:"dependent_minor_children"`
}

// ProposeCategory applies art. 14 to the household on date d: nobody lives with the person → isolé; at least one
// dependent, unmarried child who is a minor on d → famille à charge; anyone else → cohabitant. births gives the
// birth dates of the members (a member whose birth date is unknown is not counted as a minor).
func ProposeCategory(members []HouseholdMember, births map[string]civil.Date, d civil.Date) CategoryProposal {
	n, minors := 0, 0
	for _, m := range members {
		if !m.LivesOn(d) {
			continue
		}
		n++
		b, ok := births[m.PersonID]
		if m.Relation == RelationChild && m.Dependent && !m.Married && ok && !b.IsZero() && b.YearsOn(d) < 18 {
			minors++
		}
	}
	p := CategoryProposal{Date: d, Members: n, MinorChildren: minors}
	fr, nl := d.Long("fr"), d.Long("nl")
	switch {
	case n == 0:
		p.Category = CategoryIsole
		p.Explanation = map[string]string{
			"fr": fmt.Sprintf("Catégorie 2 (isolé) : personne ne vit avec le demandeur au %s.", fr),
			"nl": fmt.Sprintf("Categorie 2 (alleenstaande): niemand woont samen met de aanvrager op %s.", nl),
		}
	case minors > 0:
		p.Category = CategoryFamilleACharge
		p.Explanation = map[string]string{
			"fr": fmt.Sprintf("Catégorie 3 (famille à charge) : le demandeur vit avec une famille à charge comptant %d enfant(s) mineur(s) non marié(s) au %s.", minors, fr),
			"nl": fmt.Sprintf("Categorie 3 (gezin ten laste): de aanvrager woont samen met een gezin ten laste met %d ongehuwd(e) minderjarig(e) kind(eren) op %s.", minors, nl),
		}
	default:
		p.Category = CategoryCohabitant
		p.Explanation = map[string]string{
			"fr": fmt.Sprintf("Catégorie 1 (cohabitant) : le demandeur partage son logement avec %d personne(s), sans enfant mineur non marié à charge, au %s.", n, fr),
			"nl": fmt.Sprintf("Categorie 1 (samenwonende): de aanvrager deelt de woning met %d persoon/personen, zonder ongehuwd minderjarig kind ten laste, op %s.", n, nl),
		}
	}
	p.Name = CategoryNames[p.Category]
	return p
}
