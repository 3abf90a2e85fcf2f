package ris

// ResourceKind is a kind of resource (domain.md §3: every net resource counts, except the kinds the law exempts).
type ResourceKind string

// The kinds of resources. Counted kinds first, then the fully exempted ones.
const (
	// EarnedIncome is net professional income, as an employee or self-employed: the socio-professional exemption
	// applies to it.
	EarnedIncome ResourceKind = "earned_income"
	// ReplacementIncome: unemployment, sickness or disability benefits, pensions.
	ReplacementIncome ResourceKind = "replacement_income"
	// Alimony received for oneself.
	Alimony ResourceKind = "alimony"
	// PropertyIncome: income from real estate (the CPAS enters the amount it computed from the cadastral income).
	PropertyIncome ResourceKind = "property_income"
	// CapitalIncome: income from movable capital (the amount the CPAS computed).
	CapitalIncome ResourceKind = "capital_income"
	// OtherIncome: any other net resource.
	OtherIncome ResourceKind = "other_income"

	// ChildBenefits: family allowances for the children the applicant raises.
	ChildBenefits ResourceKind = "child_benefits"
	// ChildAlimony: alimony received for the children.
	ChildAlimony ResourceKind = "child_alimony"
	// StudyGrant: study grants.
	StudyGrant ResourceKind = "study_grant"
	// FosterCareAllowance: allowances received as a foster parent.
	FosterCareAllowance ResourceKind = "foster_care_allowance"
	// DisabilityIntegrationAllowance: the integration allowance for people with a disability (exempted since
	// 1 January 2022).
	DisabilityIntegrationAllowance ResourceKind = "disability_integration_allowance"
	// CPASSocialAid: aide sociale granted by a CPAS.
	CPASSocialAid ResourceKind = "cpas_social_aid"
	// OccasionalGifts: occasional gifts from people who do not live with the applicant or from charities.
	OccasionalGifts ResourceKind = "occasional_gifts"
)

// KindRule says how the calculation treats a kind of resource, and how the letter names it.
type KindRule struct {
	Kind ResourceKind `json:"kind"`
	FR   string       `json:"fr"`
	NL   string       `json:"nl"`
	// Exempt: the resource is fully exempted (not counted at all).
	Exempt bool `json:"exempt"`
	// Earned: net earned income, to which the socio-professional exemption applies.
	Earned bool `json:"earned"`
	// LegalFR and LegalNL are the reference of the exemption, quoted in the working (empty for counted kinds).
	LegalFR string `json:"legal_fr,omitempty"`
	LegalNL string `json:"legal_nl,omitempty"`
	// Verify: the exemption was not confirmed against the legal text (domain.md's convention).
	Verify bool `json:"verify,omitempty"`
}

// Name returns the kind's name in French ("fr") or Dutch ("nl").
func (k KindRule) Name(lang string) string {
	if lang == "nl" {
		return k.NL
	}
	return k.FR
}

// legalArt22FR and legalArt22NL are the reference of the fully exempted resources: AR du 11 juillet 2002 portant
// règlement général en matière de droit à l'intégration sociale (KB van 11 juli 2002), art. 22 §1. The points of
// the list are not quoted: amendments have renumbered them.
const (
	legalArt22FR = "AR 11.07.2002, art. 22 §1"
	legalArt22NL = "KB 11.07.2002, art. 22 §1"
)

// DefaultResourceKinds is the catalogue of kinds, kept as data (domain.md §3: "keep the list as data"): the
// service may load a corrected catalogue without a release. The fully exempted kinds are those AR art. 22 §1
// names that a CPAS meets most: family allowances, alimony for the children, study grants (the three domain.md
// names), foster-care allowances and the disability integration allowance (named by the SPP Intégration sociale
// and labour-court case law), aide sociale from a CPAS and occasional gifts (marked Verify). Partial exemptions
// (ALE/PWA hours) are not modelled: enter the counted part as OtherIncome.
func DefaultResourceKinds() []KindRule {
	return []KindRule{
		{Kind: EarnedIncome, FR: "Revenus professionnels nets", NL: "Netto beroepsinkomsten", Earned: true},
		{Kind: ReplacementIncome, FR: "Revenus de remplacement", NL: "Vervangingsinkomen"},
		{Kind: Alimony, FR: "Pension alimentaire reçue", NL: "Ontvangen onderhoudsgeld"},
		{Kind: PropertyIncome, FR: "Revenus de biens immobiliers", NL: "Inkomsten uit onroerende goederen"},
		{Kind: CapitalIncome, FR: "Revenus de capitaux mobiliers", NL: "Inkomsten uit roerend kapitaal"},
		{Kind: OtherIncome, FR: "Autres ressources", NL: "Andere bestaansmiddelen"},
		{Kind: ChildBenefits, FR: "Allocations familiales", NL: "Gezinsbijslag", Exempt: true, LegalFR: legalArt22FR, LegalNL: legalArt22NL},
		{Kind: ChildAlimony, FR: "Pension alimentaire reçue pour les enfants", NL: "Onderhoudsgeld ontvangen voor de kinderen", Exempt: true, LegalFR: legalArt22FR, LegalNL: legalArt22NL},
		{Kind: StudyGrant, FR: "Bourse d'études", NL: "Studietoelage", Exempt: true, LegalFR: legalArt22FR, LegalNL: legalArt22NL},
		{Kind: FosterCareAllowance, FR: "Allocations de parent d'accueil", NL: "Vergoedingen als pleegouder", Exempt: true, LegalFR: legalArt22FR, LegalNL: legalArt22NL},
		{Kind: DisabilityIntegrationAllowance, FR: "Allocation d'intégration (personne handicapée)", NL: "Integratietegemoetkoming (persoon met een handicap)", Exempt: true, LegalFR: legalArt22FR, LegalNL: legalArt22NL},
		{Kind: CPASSocialAid, FR: "Aide sociale accordée par un CPAS", NL: "Maatschappelijke dienstverlening door een OCMW", Exempt: true, LegalFR: legalArt22FR, LegalNL: legalArt22NL, Verify: true},
		{Kind: OccasionalGifts, FR: "Dons occasionnels", NL: "Occasionele giften", Exempt: true, LegalFR: legalArt22FR, LegalNL: legalArt22NL, Verify: true},
	}
}
