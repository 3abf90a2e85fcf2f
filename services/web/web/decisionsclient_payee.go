package web

// DecisionPayee is who a decision pays: the beneficiary (their account in the registry) or a third party with its
// name, IBAN and the structured communication (12 digits) it asked for.
type DecisionPayee struct {
	Kind          string `json:"kind"`
	Name          string `json:"name"`
	IBAN          string `json:"iban"`
	Communication string `json:"communication"`
}

// ThirdParty tells whether the payee is a third party.
func (p DecisionPayee) ThirdParty() bool { return p.Kind == "third_party" }
