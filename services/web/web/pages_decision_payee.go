package web

import (
	"net/url"

	"github.com/entraide/entraide/libs/iban"
)

// A decision's revision may change who is paid from its month: the revision form's payee choice — unchanged (the
// default), back to the beneficiary, or a third party with its name, IBAN and structured communication (the
// proposal's fields) — sent as the revision's `payee`; the service checks it as on a proposal and its field errors
// (payee.kind, payee.name, payee.iban, payee.communication) come back next to payee_kind, payee_name… The decision
// page shows the current payee (the latest revision naming one, else the adoption's) and each revision's new one.

// revisionPayeeKinds are the revision form's payee choices.
var revisionPayeeKinds = []string{"unchanged", "beneficiary", "third_party"}

// revisionPayeeFields are the revision form's payee inputs.
func revisionPayeeFields() []formField {
	return []formField{
		{"payee_kind", "decision.revision.payee_kind"},
		{"payee_name", "decision.revision.payee_name"},
		{"payee_iban", "decision.revision.payee_iban"},
		{"payee_communication", "decision.revision.payee_communication"},
	}
}

// revisionPayeeDefaults are the revision form's initial values: the payee unchanged.
func revisionPayeeDefaults() url.Values { return url.Values{"payee_kind": {"unchanged"}} }

// revisionPayee is the revision's payee as the service takes it; nil when the payee stays unchanged. A
// beneficiary carries no third party's fields; the communication goes as typed (the service reads any form).
func revisionPayee(v url.Values) map[string]any {
	switch kind := v.Get("payee_kind"); kind {
	case "", "unchanged":
		return nil
	case "beneficiary":
		return map[string]any{"kind": kind}
	default:
		return map[string]any{"kind": kind, "name": v.Get("payee_name"), "iban": v.Get("payee_iban"),
			"communication": v.Get("payee_communication")}
	}
}

// PayeeText writes a decision's payee for the pages: the beneficiary, or a third party's name, IBAN (grouped by
// four) and structured communication.
func (v *view) PayeeText(p DecisionPayee) string {
	if !p.ThirdParty() {
		return v.T("decision.payee.beneficiary")
	}
	out := p.Name
	if p.IBAN != "" {
		account := p.IBAN
		if x, err := iban.Parse(p.IBAN); err == nil {
			account = x.Format()
		}
		out += " — " + account
	}
	if p.Communication != "" {
		out += " — " + ogmText(p.Communication)
	}
	return out
}
