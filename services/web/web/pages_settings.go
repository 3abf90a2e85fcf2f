package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The CPAS's settings at the decisions service (tenant admin): the name, address, enterprise number (KBO/BCE),
// service, phone and e-mail the letters print, the labour court of the district the decisions name for appeals,
// and the legal periods the CPAS configures. Saved with If-Match on the version shown; a change made meanwhile
// brings back the current settings with a message.

// settingsRuleFields are the legal periods, named as the service names them (its field errors land there).
var settingsRuleFields = []string{"piis_conclusion_months", "piis_evaluations_per_year", "piis_interviews_per_year",
	"review_months", "convocation_clear_days", "piis_suspension_months", "piis_repeat_suspension_months"}

var settingsFields = func() []formField {
	out := []formField{
		{Name: "cpas_name", Label: "settings.cpas_name"},
		{Name: "service_name", Label: "settings.service_name"},
		{Name: "enterprise_number", Label: "settings.enterprise_number"},
		{Name: "address_street", Label: "settings.street"},
		{Name: "address_postal_code", Label: "settings.postal_code"},
		{Name: "address_city", Label: "settings.city"},
		{Name: "phone", Label: "settings.phone"},
		{Name: "email", Label: "settings.email"},
		{Name: "labour_court_name", Label: "settings.court_name"},
		{Name: "labour_court_division", Label: "settings.court_division"},
		{Name: "labour_court_address_street", Label: "settings.street"},
		{Name: "labour_court_address_postal_code", Label: "settings.postal_code"},
		{Name: "labour_court_address_city", Label: "settings.city"},
	}
	for _, n := range settingsRuleFields {
		out = append(out, formField{Name: n, Label: "settings.rule." + n})
	}
	return out
}()

// settingsData is the page data of settings.html.
type settingsData struct {
	Version int64
	Rules   []string
}

// settingsValues are the form's values of the settings.
func settingsValues(c CPASSettings) url.Values {
	v := url.Values{}
	set := func(k, x string) { v.Set(k, x) }
	set("cpas_name", c.CPASName)
	set("service_name", c.ServiceName)
	set("enterprise_number", c.EnterpriseNumber)
	set("address_street", c.Address.Street)
	set("address_postal_code", c.Address.PostalCode)
	set("address_city", c.Address.City)
	set("phone", c.Phone)
	set("email", c.Email)
	set("labour_court_name", c.LabourCourt.Name)
	set("labour_court_division", c.LabourCourt.Division)
	set("labour_court_address_street", c.LabourCourt.Address.Street)
	set("labour_court_address_postal_code", c.LabourCourt.Address.PostalCode)
	set("labour_court_address_city", c.LabourCourt.Address.City)
	for n, x := range rulesByName(&c.Rules) {
		set(n, strconv.Itoa(*x))
	}
	return v
}

func rulesByName(r *LegalRules) map[string]*int {
	return map[string]*int{
		"piis_conclusion_months": &r.PIISConclusionMonths, "piis_evaluations_per_year": &r.PIISEvaluationsPerYear,
		"piis_interviews_per_year": &r.PIISInterviewsPerYear, "review_months": &r.ReviewMonths,
		"convocation_clear_days": &r.ConvocationClearDays, "piis_suspension_months": &r.PIISSuspensionMonths,
		"piis_repeat_suspension_months": &r.PIISRepeatSuspensionMonths,
	}
}

// settingsInput reads the typed settings; a period that is not a whole number is an error at its field.
func settingsInput(v url.Values, f *form, l string) CPASSettings {
	c := CPASSettings{CPASName: v.Get("cpas_name"), ServiceName: v.Get("service_name"), EnterpriseNumber: v.Get("enterprise_number"),
		Address: LetterAddress{Street: v.Get("address_street"), PostalCode: v.Get("address_postal_code"), City: v.Get("address_city")},
		Phone:   v.Get("phone"), Email: v.Get("email"),
		LabourCourt: LabourCourt{Name: v.Get("labour_court_name"), Division: v.Get("labour_court_division"),
			Address: LetterAddress{Street: v.Get("labour_court_address_street"), PostalCode: v.Get("labour_court_address_postal_code"),
				City: v.Get("labour_court_address_city")}}}
	for n, dst := range rulesByName(&c.Rules) {
		x, err := strconv.Atoi(v.Get(n))
		if err != nil {
			f.Fail(n, translate(l, "settings.integer"))
		}
		*dst = x
	}
	return c
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderSettings(w, r, sess, http.StatusOK, nil, 0, false)
}

// renderSettings shows the form: f (with version) when the typed form comes back, else the current settings;
// conflict says that someone changed them meanwhile.
func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form, version int64, conflict bool) {
	if f == nil {
		cur, err := s.decisions.Settings(r.Context(), s.call(r, sess))
		if err != nil {
			s.apiFailed(w, r, sess, err)
			return
		}
		f, version = newForm(settingsFields, settingsValues(cur)), cur.Version
	}
	if conflict {
		f.General = append(f.General, translate(langOf(r), "settings.conflict"))
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: settingsData{Version: version, Rules: settingsRuleFields}}
	v.Title = v.T("settings.title")
	s.render(w, r, status, "settings", v)
}

// saveSettings replaces the settings read at the version the form carries.
func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request, sess *Session) {
	values := url.Values{}
	for _, fd := range settingsFields {
		values.Set(fd.Name, strings.TrimSpace(r.PostFormValue(fd.Name)))
	}
	l := langOf(r)
	f := newForm(settingsFields, values)
	version, verr := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	in := settingsInput(values, f, l)
	if verr != nil {
		s.renderSettings(w, r, sess, http.StatusConflict, nil, 0, true)
		return
	}
	if f.HasErrors() {
		s.renderSettings(w, r, sess, http.StatusUnprocessableEntity, f, version, false)
		return
	}
	_, err := s.decisions.PutSettings(r.Context(), s.call(r, sess), version, in)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.settings_saved")
		http.Redirect(w, r, "/settings", http.StatusSeeOther)
	case errors.As(err, &ae) && (ae.Status == http.StatusConflict || ae.Status == http.StatusPreconditionFailed):
		s.renderSettings(w, r, sess, http.StatusConflict, nil, 0, true)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f.applyProblem(ae, nil)
		s.renderSettings(w, r, sess, ae.Status, f, version, false)
	default:
		s.apiFailed(w, r, sess, err)
	}
}
