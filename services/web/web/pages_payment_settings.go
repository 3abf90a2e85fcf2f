package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The payment settings (pages_payment_settings.go): the CPAS's debtor account (name, IBAN, BIC), its enterprise
// number, the pain.001 version its bank takes, batch booking and the budget article of each kind of aid. Read by
// finance, changed by the finance director with If-Match on the version shown.

// PaymentSettings are the tenant's payment settings as the payments service keeps them.
type PaymentSettings struct {
	DebtorName       string            `json:"debtor_name"`
	DebtorIBAN       string            `json:"debtor_iban"`
	DebtorBIC        string            `json:"debtor_bic,omitempty"`
	EnterpriseNumber string            `json:"enterprise_number,omitempty"`
	PainVersion      string            `json:"pain_version"`
	BatchBooking     bool              `json:"batch_booking"`
	BudgetArticles   map[string]string `json:"budget_articles"`
	// SubsidyBand is the finance director's override of the federal subsidy's base rate (55, 65 or 70); 0 or
	// absent: the band computed from the N-2 average (pages_subsidy_band.go). Sent always: 0 removes the override.
	SubsidyBand *int  `json:"subsidy_band,omitempty"`
	Version     int64 `json:"version,omitempty"`
}

// PaymentSettings reads the tenant's payment settings.
func (c *PaymentsClient) PaymentSettings(ctx context.Context, cl call) (PaymentSettings, error) {
	var out PaymentSettings
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/payment-settings", nil, &out)
	return out, err
}

// PutPaymentSettings replaces the tenant's payment settings read at version.
func (c *PaymentsClient) PutPaymentSettings(ctx context.Context, cl call, version int64, in PaymentSettings) (PaymentSettings, error) {
	in.Version = 0
	var out PaymentSettings
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPut, "/v1/payment-settings", in, &out)
	return out, err
}

var painVersions = []string{"pain.001.001.09", "pain.001.001.03"}

var paymentSettingsFields = []formField{
	{"debtor_name", "payments.settings.debtor_name"}, {"debtor_iban", "payments.settings.debtor_iban"},
	{"debtor_bic", "payments.settings.debtor_bic"}, {"enterprise_number", "payments.settings.enterprise_number"},
	{"pain_version", "payments.settings.pain_version"}, {"batch_booking", "payments.settings.batch_booking"},
	{"budget_articles_ris", "request_kind.ris"}, {"budget_articles_eris", "request_kind.eris"},
	{"budget_articles_aide_sociale", "request_kind.aide_sociale"}, {"budget_articles_amu", "request_kind.amu"},
	{"subsidy_band", "payments.settings.subsidy_band"},
}

var subsidyBands = []string{"0", "55", "65", "70"}

// paymentSettingsData is the page data of payment_settings.html.
type paymentSettingsData struct {
	Version  int64
	Versions []string
	Kinds    []string
	Bands    []string
	Conflict bool
}

func paymentSettingsValues(st PaymentSettings) url.Values {
	v := url.Values{"debtor_name": {st.DebtorName}, "debtor_iban": {st.DebtorIBAN}, "debtor_bic": {st.DebtorBIC},
		"enterprise_number": {st.EnterpriseNumber}, "pain_version": {st.PainVersion}}
	if st.BatchBooking {
		v.Set("batch_booking", "on")
	}
	for _, k := range paymentKinds {
		v.Set("budget_articles_"+k, st.BudgetArticles[k])
	}
	v.Set("subsidy_band", "0")
	if st.SubsidyBand != nil && *st.SubsidyBand != 0 {
		v.Set("subsidy_band", strconv.Itoa(*st.SubsidyBand))
	}
	return v
}

func (s *Server) paymentSettingsPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderPaymentSettings(w, r, sess, http.StatusOK, nil, false)
}

// renderPaymentSettings shows the settings: f is the refused form (nil: the stored settings).
func (s *Server) renderPaymentSettings(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form, conflict bool) {
	st, err := s.payments.PaymentSettings(r.Context(), s.call(r, sess))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	if f == nil {
		f = newForm(paymentSettingsFields, paymentSettingsValues(st))
	}
	if conflict {
		f.General = append(f.General, translate(langOf(r), "payments.settings.conflict"))
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f,
		Data: paymentSettingsData{Version: st.Version, Versions: painVersions, Kinds: paymentKinds, Bands: subsidyBands, Conflict: conflict}}
	v.Title = v.T("payments.settings.title")
	s.render(w, r, status, "payment_settings", v)
}

func (s *Server) savePaymentSettings(w http.ResponseWriter, r *http.Request, sess *Session) {
	values := url.Values{}
	for _, fd := range paymentSettingsFields {
		values.Set(fd.Name, strings.TrimSpace(r.PostFormValue(fd.Name)))
	}
	f := newForm(paymentSettingsFields, values)
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		s.renderPaymentSettings(w, r, sess, http.StatusConflict, nil, true)
		return
	}
	in := PaymentSettings{DebtorName: values.Get("debtor_name"), DebtorIBAN: strings.ToUpper(strings.ReplaceAll(values.Get("debtor_iban"), " ", "")),
		DebtorBIC: strings.ToUpper(values.Get("debtor_bic")), EnterpriseNumber: strings.NewReplacer(".", "", " ", "").Replace(values.Get("enterprise_number")),
		PainVersion: values.Get("pain_version"), BatchBooking: values.Get("batch_booking") != "", BudgetArticles: map[string]string{}}
	for _, k := range paymentKinds {
		if a := values.Get("budget_articles_" + k); a != "" {
			in.BudgetArticles[k] = a
		}
	}
	if band, err := strconv.Atoi(values.Get("subsidy_band")); err == nil {
		in.SubsidyBand = &band
	}
	_, err = s.payments.PutPaymentSettings(r.Context(), s.call(r, sess), version, in)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.payment_settings_saved")
		http.Redirect(w, r, "/payments/settings", http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusPreconditionFailed:
		s.renderPaymentSettings(w, r, sess, http.StatusConflict, nil, true)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f.applyProblem(ae, nil)
		s.renderPaymentSettings(w, r, sess, ae.Status, f, false)
	default:
		s.apiFailed(w, r, sess, err)
	}
}
