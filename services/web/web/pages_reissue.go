package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// A payment's page (the payments service's instalment): what it is, where it stands, the runs it went into with
// their EndToEndIds, its booking, the bank's returns and the reissues; for a returned payment, the accountant's
// reissue form ("Réémettre" / "Opnieuw uitvoeren"): a beneficiary's payment goes to the account the registry now
// gives (a confirmation, once it differs from the returned one), a third party's to the corrected creditor (name,
// IBAN, optional BIC, structured communication kept or corrected) and, checked by default, "for the decision's
// later payments too" (the service records the correction on the decision's schedule). CSRF, Idempotency-Key and
// the version shown (If-Match) in hidden fields; the service's field errors shown next to the fields. Finance only.

// reissueRoutes registers the payment page and the reissue (called from routes()).
func (s *Server) reissueRoutes(handle func(string, http.Handler)) {
	handle("GET /payments/instalments/{id}", s.page(s.instalmentPage))
	handle("POST /payments/instalments/{id}/reissue", s.page(s.reissueInstalment))
}

func instalmentPagePath(id string) string { return "/payments/instalments/" + url.PathEscape(id) }

var reissueFields = []formField{{"name", "reissue.name"}, {"iban", "reissue.iban"}, {"bic", "reissue.bic"},
	{"communication", "reissue.communication"}}

// instalmentData is the page data of payments_instalment.html.
type instalmentData struct {
	Payment InstalmentDetail
	// ReissueKey is the Idempotency-Key of the reissue form (a new one each time the form is shown).
	ReissueKey string
	ThirdParty bool
}

func (s *Server) instalmentPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderInstalment(w, r, sess, http.StatusOK, nil)
}

// renderInstalment shows the payment; f is the reissue form as submitted (nil: filled from the payment, the
// returned creditor's name and communication for a third party, the account left to type).
func (s *Server) renderInstalment(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form) {
	id := r.PathValue("id")
	if !uuidLike(id) {
		s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
		return
	}
	p, err := s.payments.InstalmentDetail(r.Context(), s.call(r, sess), id)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	if f == nil {
		name := p.ReturnedName
		if name == "" {
			name = p.PayeeName
		}
		f = newForm(reissueFields, url.Values{"name": {name}, "bic": {p.PayeeBIC}, "communication": {ogmText(p.Communication)},
			"apply_to_decision": {"on"}})
	}
	data := instalmentData{Payment: p, ReissueKey: newIdempotencyKey(), ThirdParty: p.PayeeKind == "third_party"}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: data}
	v.Title = v.T("reissue.title", "amount", v.Money(p.AmountCents))
	s.render(w, r, status, "payments_instalment", v)
}

// reissueInstalment sends the accountant's reissue with the version the page showed; refusals come back on the
// page in the user's language, next to the fields.
func (s *Server) reissueInstalment(w http.ResponseWriter, r *http.Request, sess *Session) {
	l := langOf(r)
	id := r.PathValue("id")
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || version < 1 || !uuidLike(id) {
		s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
		return
	}
	thirdParty := r.PostFormValue("payee_kind") == "third_party"
	values := url.Values{}
	for _, fd := range reissueFields {
		values.Set(fd.Name, strings.TrimSpace(r.PostFormValue(fd.Name)))
	}
	apply := r.PostFormValue("apply_to_decision") == "on"
	if apply {
		values.Set("apply_to_decision", "on")
	}
	f := newForm(reissueFields, values)
	var in ReissueInput
	if thirdParty {
		comm := values.Get("communication")
		in = ReissueInput{Name: values.Get("name"), IBAN: values.Get("iban"), BIC: values.Get("bic"), Communication: &comm,
			ApplyToDecision: apply}
		if in.Name == "" {
			f.Fail("name", translate(l, "payments.required"))
		}
		if in.IBAN == "" {
			f.Fail("iban", translate(l, "payments.required"))
		}
		if f.HasErrors() {
			s.renderInstalment(w, r, sess, http.StatusUnprocessableEntity, f)
			return
		}
	}
	_, err = s.payments.ReissueInstalment(r.Context(), s.call(r, sess), r.PostFormValue("idempotency_key"), id, version, in)
	var ae *APIError
	switch {
	case err == nil && in.ApplyToDecision:
		s.setFlash(w, r, "flash.payment_reissued_decision")
		http.Redirect(w, r, instalmentPagePath(id), http.StatusSeeOther)
	case err == nil:
		s.setFlash(w, r, "flash.payment_reissued")
		http.Redirect(w, r, instalmentPagePath(id), http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		if !thirdParty {
			f = newForm(nil, nil) // no field on a beneficiary's form: the errors go to the summary
		}
		f.applyProblem(ae, nil)
		s.renderInstalment(w, r, sess, ae.Status, f)
	case errors.As(err, &ae) && (ae.Status == http.StatusPreconditionFailed || ae.Status == http.StatusConflict):
		f.General = append(f.General, translate(l, "reissue.error.changed"))
		s.renderInstalment(w, r, sess, ae.Status, f)
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// HoldText is a payment's hold reason in the page's language: a reason of the export, or the bank's return
// ("returned_AC04").
func (v *view) HoldText(code string) string {
	if rest, ok := strings.CutPrefix(code, "returned_"); ok {
		return translate(v.Lang, "payments.hold.returned", "code", rest)
	}
	return v.Code("payments.hold", code)
}
