package ris

import (
	"errors"
	"fmt"
	"strings"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/legalclock"
)

// Period says whether a resource amount is monthly or yearly.
type Period string

// The periods of a resource amount.
const (
	Monthly Period = "monthly"
	Yearly  Period = "yearly"
)

// Applicant is the Whose of the applicant's own resources.
const Applicant = "applicant"

// Resource is one net resource of the applicant or of a counted household member.
type Resource struct {
	Kind   ResourceKind `json:"kind"`
	Period Period       `json:"period"`
	Amount Cents        `json:"amount"`
	// Whose is Applicant or the ID of one of Input.Members.
	Whose string `json:"whose"`
}

// YearlyAmount is the resource on a yearly basis (a monthly amount × 12).
func (r Resource) YearlyAmount() Cents {
	if r.Period == Monthly {
		return r.Amount * 12
	}
	return r.Amount
}

// Relation is how a counted household member is related to the applicant.
type Relation string

// The relations whose resources may count (domain.md §3).
const (
	// Partner: the spouse or partner; their resources count.
	Partner Relation = "partner"
	// Ascendant and Descendant: 1st-degree relatives living with the applicant; their resources may count, a CPAS
	// choice recorded with its motivation.
	Ascendant  Relation = "ascendant"
	Descendant Relation = "descendant"
)

// Counting says which part of a member's resources counts.
type Counting string

// The ways a member's resources count.
const (
	// CountFull: all their resources.
	CountFull Counting = "full"
	// CountAboveCohabitant: the part of their yearly resources above the category 1 (cohabitant) amount, as AR
	// du 11 juillet 2002 art. 34 provides for a partner and for 1st-degree relatives (verify the article for the
	// case at hand: the choice is the CPAS's, made per member).
	CountAboveCohabitant Counting = "above_cohabitant"
)

// Member is a household member whose resources the CPAS counts.
type Member struct {
	// ID is how Resource.Whose refers to the member (a person id).
	ID string `json:"id"`
	// Label is how the working names the member (e.g. a first name); the relation when empty.
	Label    string   `json:"label,omitempty"`
	Relation Relation `json:"relation"`
	Counting Counting `json:"counting"`
	// Motivation of the CPAS's choice to count a relative's resources: required for an ascendant or descendant.
	Motivation string `json:"motivation,omitempty"`
}

// Input is what a RIS calculation needs: the category, the date the aid starts from (the request date, or the
// date a revision takes effect), the resources projected on a yearly basis from the situation on that date, the
// counted members, and whether the applicant is entitled to the socio-professional exemption (AR art. 35: for 3
// years in total spread over at most 6; the CPAS tracks the entitlement).
type Input struct {
	Category          Category   `json:"category"`
	From              civil.Date `json:"from"`
	Resources         []Resource `json:"resources"`
	Members           []Member   `json:"members"`
	SocioProfessional bool       `json:"socio_professional"`
}

// Line is one line of the working: a stable code, the text in French and Dutch, and the amount the line adds to
// (or, when negative, takes off) the computation. Lines that only explain carry 0.
type Line struct {
	Code   string `json:"code"`
	FR     string `json:"fr"`
	NL     string `json:"nl"`
	Amount Cents  `json:"amount"`
}

// Text returns the line in Dutch for "nl", in French otherwise.
func (l Line) Text(lang string) string {
	if lang == "nl" {
		return l.NL
	}
	return l.FR
}

// Working is the calculation shown line by line, in order, as the decision letter prints it.
type Working []Line

// Result is a RIS calculation.
type Result struct {
	Category Category   `json:"category"`
	From     civil.Date `json:"from"`
	// Amount is the legal amount in force on From.
	Amount Amount `json:"amount"`
	// Resources is the yearly total of the counted resources, before exemptions.
	Resources                  Cents `json:"resources"`
	SocioProfessionalExemption Cents `json:"socio_professional_exemption"`
	GeneralExemption           Cents `json:"general_exemption"`
	// Counted is Resources less the exemptions.
	Counted Cents `json:"counted"`
	// Yearly is max(0, Amount.Yearly − Counted); Monthly is Yearly / 12 rounded half up to the cent.
	Yearly  Cents `json:"yearly"`
	Monthly Cents `json:"monthly"`
	// FirstMonth is Monthly × FirstMonthDays / DaysInFirstMonth (rounded half up): the part of From's month from
	// From on, From included.
	FirstMonth       Cents   `json:"first_month"`
	FirstMonthDays   int     `json:"first_month_days"`
	DaysInFirstMonth int     `json:"days_in_first_month"`
	Working          Working `json:"working"`
}

// Calculator computes RIS amounts with the tables in force: the legal amounts, the socio-professional exemption
// amounts and the catalogue of resource kinds.
type Calculator struct {
	amounts    *Table
	exemptions *ExemptionTable
	kinds      map[ResourceKind]KindRule
}

// NewCalculator builds a calculator from the tables; kinds must not repeat a kind, and an exempted kind cannot be
// earned income.
func NewCalculator(amounts *Table, exemptions *ExemptionTable, kinds []KindRule) (*Calculator, error) {
	if amounts == nil || exemptions == nil {
		return nil, errors.New("ris: a calculator needs an amounts table and an exemption table")
	}
	c := &Calculator{amounts: amounts, exemptions: exemptions, kinds: map[ResourceKind]KindRule{}}
	for _, k := range kinds {
		if _, dup := c.kinds[k.Kind]; dup || k.Kind == "" || k.FR == "" || k.NL == "" || (k.Exempt && k.Earned) {
			return nil, fmt.Errorf("ris: resource kind %q is repeated, unnamed or both exempt and earned", k.Kind)
		}
		c.kinds[k.Kind] = k
	}
	return c, nil
}

// DefaultCalculator uses DefaultTable, DefaultExemptionTable and DefaultResourceKinds.
func DefaultCalculator() *Calculator {
	c, err := NewCalculator(DefaultTable(), DefaultExemptionTable(), DefaultResourceKinds())
	if err != nil {
		panic(err) // constant seeds
	}
	return c
}

// Kind returns the rule of a resource kind.
func (c *Calculator) Kind(k ResourceKind) (KindRule, bool) {
	r, ok := c.kinds[k]
	return r, ok
}

// AmountOn returns the legal amount of category in force on d (see Table.AmountOn).
func (c *Calculator) AmountOn(category Category, d civil.Date) (Amount, error) {
	return c.amounts.AmountOn(category, d)
}

// validate checks in field by field; the error is a problem.Validation.
func (c *Calculator) validate(in Input) error {
	var fs problem.Fields
	if !in.Category.Valid() {
		fs.Add("category", "ris.category_invalid")
	}
	if in.From.IsZero() {
		fs.Add("from", "required")
	}
	members := map[string]bool{}
	for i, m := range in.Members {
		field := fmt.Sprintf("members[%d].", i)
		switch {
		case strings.TrimSpace(m.ID) == "":
			fs.Add(field+"id", "required")
		case m.ID == Applicant:
			fs.Add(field+"id", "invalid")
		case members[m.ID]:
			fs.Add(field+"id", "duplicate")
		}
		members[m.ID] = true
		switch m.Relation {
		case Partner:
		case Ascendant, Descendant:
			if strings.TrimSpace(m.Motivation) == "" {
				fs.Add(field+"motivation", "ris.motivation_required")
			}
		default:
			fs.Add(field+"relation", "invalid_choice")
		}
		if m.Counting != CountFull && m.Counting != CountAboveCohabitant {
			fs.Add(field+"counting", "invalid_choice")
		}
	}
	for i, r := range in.Resources {
		field := fmt.Sprintf("resources[%d].", i)
		if _, ok := c.kinds[r.Kind]; !ok {
			fs.Add(field+"kind", "ris.resource_kind_unknown")
		}
		if r.Period != Monthly && r.Period != Yearly {
			fs.Add(field+"period", "invalid_choice")
		}
		if r.Amount < 0 {
			fs.Add(field+"amount", "ris.amount_negative")
		}
		if r.Whose != Applicant && (r.Whose == "" || !members[r.Whose]) {
			fs.Add(field+"whose", "ris.whose_unknown")
		}
	}
	return fs.Err()
}

// Calculate computes the RIS of in (domain.md §3):
//
//	resources  = the applicant's counted resources + each counted member's (all, or the part above the cat. 1
//	             amount), fully exempted kinds left out, monthly amounts × 12
//	SPI        = min(socio-professional exemption × 12, the applicant's net earned income), when entitled
//	general    = min(155 / 250 / 310 €, resources other than the earned income the SPI exemption applies to),
//	             only when resources < the category amount (the exemptions do not stack on the same income)
//	RIS_year   = max(0, amount_year − (resources − SPI − general))
//	RIS_month  = RIS_year / 12, rounded half up to the cent
//	first month = RIS_month × days from From to the month's end (From included) / days in the month, rounded
//
// Wrong input is a problem.Validation with one field error per fault; a date before the tables' first entry is a
// field error on "from" (or "socio_professional") wrapping ErrNoAmount (ErrNoExemption).
func (c *Calculator) Calculate(in Input) (Result, error) {
	if err := c.validate(in); err != nil {
		return Result{}, err
	}
	amount, err := c.amounts.AmountOn(in.Category, in.From)
	if err != nil {
		pe := problem.Invalid(problem.Field("from", "ris.no_amount_on_date", "first", c.amounts.First().String()))
		pe.Cause = err
		return Result{}, pe
	}
	r := Result{Category: in.Category, From: in.From, Amount: amount}
	w := &r.Working
	w.add("amount", amount.Yearly,
		fmt.Sprintf("Montant annuel, catégorie %d (%s), en vigueur depuis le %s", in.Category, in.Category.Name("fr"), legalclock.FormatDate(amount.ValidFrom, "fr")),
		fmt.Sprintf("Jaarbedrag, categorie %d (%s), van kracht sinds %s", in.Category, in.Category.Name("nl"), legalclock.FormatDate(amount.ValidFrom, "nl")))

	// The applicant's resources, then each member's.
	var earned Cents
	applicant := c.resourceLines(w, in.Resources, Applicant, "demandeur", "aanvrager")
	for _, res := range in.Resources {
		if res.Whose == Applicant && c.kinds[res.Kind].Earned {
			earned += res.YearlyAmount()
		}
	}
	total := applicant
	for _, m := range in.Members {
		fr, nl := memberName(m)
		ofFR, ofNL := memberOf(m)
		how := map[Counting][2]string{
			CountFull:            {"entièrement", "volledig"},
			CountAboveCohabitant: {"au-delà du montant de la catégorie 1", "boven het bedrag van categorie 1"},
		}[m.Counting]
		motivation := ""
		if m.Motivation != "" {
			motivation = " — " + m.Motivation
		}
		w.add("member", 0,
			fmt.Sprintf("Ressources %s prises en considération %s%s", ofFR, how[0], motivation),
			fmt.Sprintf("Bestaansmiddelen %s %s in aanmerking genomen%s", ofNL, how[1], motivation))
		sum := c.resourceLines(w, in.Resources, m.ID, fr, nl)
		if m.Counting == CountAboveCohabitant && sum > 0 {
			cat1, err := c.amounts.AmountOn(Cohabitant, in.From)
			if err != nil {
				pe := problem.Invalid(problem.Field("from", "ris.no_amount_on_date", "first", c.amounts.First().String()))
				pe.Cause = err
				return Result{}, pe
			}
			off := min(sum, cat1.Yearly)
			w.add("member_below_cohabitant", -off,
				fmt.Sprintf("Part des ressources %s non prise en considération, jusqu'au montant de la catégorie 1 (%s)", ofFR, cat1.Yearly.Format("fr")),
				fmt.Sprintf("Deel van de bestaansmiddelen %s dat niet meetelt, tot het bedrag van categorie 1 (%s)", ofNL, cat1.Yearly.Format("nl")))
			sum -= off
		}
		total += sum
	}
	r.Resources = total
	w.add("resources_total", total, "Total des ressources prises en considération", "Totaal van de in aanmerking genomen bestaansmiddelen")

	// The socio-professional exemption, off the applicant's net earned income.
	spiApplies := in.SocioProfessional && earned > 0
	if spiApplies {
		spi, err := c.exemptions.On(in.From)
		if err != nil {
			pe := problem.Invalid(problem.Field("socio_professional", "ris.no_exemption_on_date"))
			pe.Cause = err
			return Result{}, pe
		}
		r.SocioProfessionalExemption = min(spi.Monthly*12, earned)
		limited, limitedNL := "", ""
		if earned < spi.Monthly*12 {
			limited, limitedNL = ", limitée aux revenus professionnels nets", ", beperkt tot de netto beroepsinkomsten"
		}
		w.add("exemption_socio_professional", -r.SocioProfessionalExemption,
			fmt.Sprintf("Exonération socioprofessionnelle (AR 11.07.2002, art. 35) : %s par mois × 12%s", spi.Monthly.Format("fr"), limited),
			fmt.Sprintf("Socioprofessionele vrijstelling (KB 11.07.2002, art. 35): %s per maand × 12%s", spi.Monthly.Format("nl"), limitedNL))
	}

	// The general exemption, only below the category amount, and not on the income the SPI exemption covers.
	switch {
	case total <= 0:
	case total >= amount.Yearly:
		w.add("exemption_general_none", 0,
			"Pas d'exonération générale : les ressources atteignent le montant de la catégorie",
			"Geen algemene vrijstelling: de bestaansmiddelen bereiken het bedrag van de categorie")
	default:
		base := total
		if spiApplies {
			base -= earned
		}
		g := GeneralExemption[in.Category]
		r.GeneralExemption = max(0, min(g, base))
		switch {
		case r.GeneralExemption == 0:
			w.add("exemption_general_none", 0,
				"Pas d'exonération générale : elle ne se cumule pas avec l'exonération socioprofessionnelle sur les mêmes revenus",
				"Geen algemene vrijstelling: ze wordt niet gecumuleerd met de socioprofessionele vrijstelling op dezelfde inkomsten")
		case r.GeneralExemption < g:
			w.add("exemption_general", -r.GeneralExemption,
				fmt.Sprintf("Exonération générale, catégorie %d (AR 11.07.2002, art. 22 §2) : %s par an, limitée aux ressources à exonérer", in.Category, g.Format("fr")),
				fmt.Sprintf("Algemene vrijstelling, categorie %d (KB 11.07.2002, art. 22 §2): %s per jaar, beperkt tot de vrij te stellen bestaansmiddelen", in.Category, g.Format("nl")))
		default:
			w.add("exemption_general", -r.GeneralExemption,
				fmt.Sprintf("Exonération générale, catégorie %d (AR 11.07.2002, art. 22 §2)", in.Category),
				fmt.Sprintf("Algemene vrijstelling, categorie %d (KB 11.07.2002, art. 22 §2)", in.Category))
		}
	}
	r.Counted = total - r.SocioProfessionalExemption - r.GeneralExemption
	w.add("resources_counted", r.Counted, "Ressources après exonérations", "Bestaansmiddelen na vrijstellingen")

	r.Yearly = max(0, amount.Yearly-r.Counted)
	if r.Yearly == 0 {
		w.add("ris_yearly", 0,
			"Revenu d'intégration annuel : nul, les ressources atteignent le montant de la catégorie",
			"Jaarlijks leefloon: nihil, de bestaansmiddelen bereiken het bedrag van de categorie")
	} else {
		w.add("ris_yearly", r.Yearly,
			fmt.Sprintf("Revenu d'intégration annuel : %s − %s", amount.Yearly.Format("fr"), r.Counted.Format("fr")),
			fmt.Sprintf("Jaarlijks leefloon: %s − %s", amount.Yearly.Format("nl"), r.Counted.Format("nl")))
	}
	r.Monthly = Cents(divRound(int64(r.Yearly), 12))
	w.add("ris_monthly", r.Monthly,
		fmt.Sprintf("Revenu d'intégration mensuel : %s / 12, arrondi au cent", r.Yearly.Format("fr")),
		fmt.Sprintf("Maandelijks leefloon: %s / 12, afgerond op de cent", r.Yearly.Format("nl")))

	r.DaysInFirstMonth = legalclock.DaysInMonth(in.From.Year(), in.From.Month())
	r.FirstMonthDays = r.DaysInFirstMonth - in.From.Day() + 1
	r.FirstMonth = Cents(divRound(int64(r.Monthly)*int64(r.FirstMonthDays), int64(r.DaysInFirstMonth)))
	w.add("first_month", r.FirstMonth,
		fmt.Sprintf("Premier mois, à partir du %s : %s × %d / %d jours", legalclock.FormatDate(in.From, "fr"), r.Monthly.Format("fr"), r.FirstMonthDays, r.DaysInFirstMonth),
		fmt.Sprintf("Eerste maand, vanaf %s: %s × %d / %d dagen", legalclock.FormatDate(in.From, "nl"), r.Monthly.Format("nl"), r.FirstMonthDays, r.DaysInFirstMonth))
	return r, nil
}

// resourceLines writes one line per resource of whose and returns their counted yearly total (exempted kinds
// count 0).
func (c *Calculator) resourceLines(w *Working, resources []Resource, whose, fr, nl string) Cents {
	var sum Cents
	for _, res := range resources {
		if res.Whose != whose {
			continue
		}
		k := c.kinds[res.Kind]
		perFR, perNL := "par an", "per jaar"
		if res.Period == Monthly {
			perFR, perNL = "par mois × 12", "per maand × 12"
		}
		if k.Exempt {
			w.add("resource_exempt", 0,
				fmt.Sprintf("%s (%s) : %s %s — ressource exonérée (%s)", k.FR, fr, res.Amount.Format("fr"), strings.TrimSuffix(perFR, " × 12"), k.LegalFR),
				fmt.Sprintf("%s (%s): %s %s — vrijgesteld bestaansmiddel (%s)", k.NL, nl, res.Amount.Format("nl"), strings.TrimSuffix(perNL, " × 12"), k.LegalNL))
			continue
		}
		y := res.YearlyAmount()
		w.add("resource", y,
			fmt.Sprintf("%s (%s) : %s %s", k.FR, fr, res.Amount.Format("fr"), perFR),
			fmt.Sprintf("%s (%s): %s %s", k.NL, nl, res.Amount.Format("nl"), perNL))
		sum += y
	}
	return sum
}

// memberName names a member in parentheses ("partenaire"); memberOf after "ressources" ("du partenaire", "de
// Marie" in French, "van de partner" in Dutch).
func memberName(m Member) (fr, nl string) {
	if m.Label != "" {
		return m.Label, m.Label
	}
	switch m.Relation {
	case Partner:
		return "partenaire", "partner"
	case Ascendant:
		return "ascendant", "ascendent"
	}
	return "descendant", "descendent"
}

func memberOf(m Member) (fr, nl string) {
	if m.Label != "" {
		return "de " + m.Label, "van " + m.Label
	}
	switch m.Relation {
	case Partner:
		return "du partenaire", "van de partner"
	case Ascendant:
		return "de l'ascendant", "van de ascendent"
	}
	return "du descendant", "van de descendent"
}

func (w *Working) add(code string, amount Cents, fr, nl string) {
	*w = append(*w, Line{Code: code, FR: fr, NL: nl, Amount: amount})
}

func init() {
	for code, texts := range map[string]map[string]string{
		"ris.category_invalid": {
			"fr": "Catégorie inconnue (1 cohabitant, 2 isolé, 3 famille à charge).", "nl": "Onbekende categorie (1 samenwonende, 2 alleenstaande, 3 gezin ten laste).",
			"de": "Unbekannte Kategorie (1 zusammenwohnend, 2 alleinstehend, 3 Familie zu Lasten).", "en": "Unknown category (1 cohabitant, 2 single, 3 dependent family).",
		},
		"ris.no_amount_on_date": {
			"fr": "Aucun montant légal n'est en vigueur à cette date (le premier date du {first}).", "nl": "Op deze datum is geen wettelijk bedrag van kracht (het eerste dateert van {first}).",
			"de": "Zu diesem Datum gilt kein gesetzlicher Betrag (der erste gilt ab {first}).", "en": "No legal amount is in force on that date (the first one is from {first}).",
		},
		"ris.no_exemption_on_date": {
			"fr": "Aucun montant d'exonération socioprofessionnelle n'est en vigueur à cette date.", "nl": "Op deze datum is geen bedrag van de socioprofessionele vrijstelling van kracht.",
			"de": "Zu diesem Datum gilt kein Betrag der sozialberuflichen Freistellung.", "en": "No socio-professional exemption amount is in force on that date.",
		},
		"ris.resource_kind_unknown": {
			"fr": "Type de ressource inconnu.", "nl": "Onbekend soort bestaansmiddel.", "de": "Unbekannte Art von Einkünften.", "en": "Unknown kind of resource.",
		},
		"ris.amount_negative": {
			"fr": "Le montant ne peut être négatif.", "nl": "Het bedrag kan niet negatief zijn.", "de": "Der Betrag darf nicht negativ sein.", "en": "The amount cannot be negative.",
		},
		"ris.amount_not_positive": {
			"fr": "Le montant doit être positif.", "nl": "Het bedrag moet positief zijn.", "de": "Der Betrag muss positiv sein.", "en": "The amount must be positive.",
		},
		"ris.whose_unknown": {
			"fr": "Indiquez le demandeur ou un membre du ménage pris en compte.", "nl": "Geef de aanvrager of een in aanmerking genomen gezinslid op.",
			"de": "Geben Sie den Antragsteller oder ein berücksichtigtes Haushaltsmitglied an.", "en": "Give the applicant or a counted household member.",
		},
		"ris.motivation_required": {
			"fr": "Motivez la prise en compte des ressources de ce parent.", "nl": "Motiveer waarom de bestaansmiddelen van deze verwant meetellen.",
			"de": "Begründen Sie, warum die Einkünfte dieses Verwandten berücksichtigt werden.", "en": "Give the reason for counting this relative's resources.",
		},
	} {
		problem.RegisterMessages(code, texts)
	}
}
