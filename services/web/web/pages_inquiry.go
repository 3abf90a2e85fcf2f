package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// The social inquiry of an aid request (decisions service, package inquiry): the sections of the legal minimum
// (identity, residence and home visit, household with who counts for the RIS, resources, needs), the conditions
// checked one by one, the conclusion and the hearing offered; and the right-to-be-heard letter printed from it
// (the service's HTML and PDF). The form has a fixed number of household and resource rows (the ones written
// plus blank ones); a blank row is left out. Saved with If-Match on the version shown ("0" creates the report).

// Codes of the inquiry's choices, as the decisions service knows them.
var (
	inquiryRelations = []string{"partner", "ascendant", "descendant", "other"}
	risCountings     = []string{"full", "above_cohabitant"}
	risResourceKinds = []string{"earned_income", "replacement_income", "alimony", "property_income", "capital_income", "other_income",
		"child_benefits", "child_alimony", "study_grant", "foster_care_allowance", "disability_integration_allowance", "cpas_social_aid", "occasional_gifts"}
	risPeriods = []string{"monthly", "yearly"}
)

// inquiryBlankRows is how many blank household and resource rows the form offers.
const (
	inquiryBlankRows = 2
	inquiryMaxRows   = 30
)

// inquiryData is the page data of inquiry.html.
type inquiryData struct {
	Person     Person
	Request    AidRequest
	Version    int64
	Complete   bool
	Members    []int
	Resources  []int
	Conditions []string
	Relations  []string
	Countings  []string
	Kinds      []string
	Periods    []string
	// Whose are the owners a resource may have: the applicant and the household members written.
	Whose                    []option
	Purpose, Return          string
	Purposes                 []string
	HearingPath, ProposalNew string
}

func inquiryPagePath(personID, requestID string) string {
	return requestPagePath(personID, requestID) + "/inquiry"
}

var cents2 = regexp.MustCompile(`^-?[0-9]+$`)

// parseEuroCents reads an amount typed in euros ("589,05", "1.234,56", "1 234.5", "300") as cents.
func parseEuroCents(s string) (int64, bool) {
	s = strings.NewReplacer(" ", "", "\u00a0", "", "€", "").Replace(strings.TrimSpace(s))
	if s == "" {
		return 0, true
	}
	intPart, frac := s, ""
	if i := strings.LastIndexAny(s, ",."); i >= 0 && len(s)-i-1 <= 2 {
		intPart, frac = s[:i], s[i+1:]
	}
	intPart = strings.NewReplacer(".", "", ",", "").Replace(intPart)
	if intPart == "" {
		intPart = "0"
	}
	if !cents2.MatchString(intPart) || (frac != "" && !cents2.MatchString(frac)) || strings.HasPrefix(frac, "-") {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	n, err := strconv.ParseInt(intPart+frac, 10, 64)
	return n, err == nil
}

// euroText writes cents for an input: "589,05".
func euroText(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d,%02d", sign, c/100, c%100)
}

// CentsText writes an amount in the page's language: "1.314,20 €", "€ 1.314,20" in Dutch.
func (v *view) CentsText(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	units := strconv.FormatInt(c/100, 10)
	var b strings.Builder
	for i, r := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	n := fmt.Sprintf("%s%s,%02d", sign, b.String(), c%100)
	if v.Lang == "nl" {
		return "€ " + n
	}
	return n + " €"
}

// apiFormName is the form field of a field error of the decisions service: "household[0].name" is
// "household_0_name", "hearing.time" is "hearing_time".
func apiFormName(field string) string {
	return strings.NewReplacer("[", "_", "].", "_", "]", "", ".", "_").Replace(field)
}

// applyFieldErrors puts each field error at its form field (renamed by rename first when listed), the others
// at the top.
func applyFieldErrors(f *form, ae *APIError, rename map[string]string) {
	for _, fe := range ae.Fields {
		name := apiFormName(fe.Field)
		if r, ok := rename[name]; ok {
			name = r
		}
		if f.knows(name) {
			f.Fail(name, fe.Message)
		} else if fe.Message != "" {
			f.General = append(f.General, fe.Message)
		}
	}
	if len(ae.Fields) == 0 {
		if ae.Detail != "" {
			f.General = append(f.General, ae.Detail)
		} else if ae.Title != "" {
			f.General = append(f.General, ae.Title)
		}
	}
}

// inquiryFields lists the form's fields for the error summary (rows by index).
func inquiryFields(members, resources int, conditions []string) []formField {
	out := []formField{{"identity_checked", "inquiry.identity.checked"}, {"identity_document", "inquiry.identity.document"},
		{"identity_note", "inquiry.identity.note"}, {"residence_address", "inquiry.residence.address"},
		{"residence_home_visit_on", "inquiry.residence.home_visit_on"}, {"residence_findings", "inquiry.residence.findings"}}
	for i := range members {
		for _, n := range []string{"id", "name", "relation", "birth_date", "counted", "counting", "motivation"} {
			out = append(out, formField{fmt.Sprintf("household_%d_%s", i, n), "inquiry.member." + n})
		}
	}
	for i := range resources {
		for _, n := range []string{"kind", "period", "amount", "whose"} {
			out = append(out, formField{fmt.Sprintf("resources_%d_%s", i, n), "ris.resource." + n})
		}
	}
	out = append(out, formField{"needs", "inquiry.needs"})
	for i := range conditions {
		out = append(out, formField{fmt.Sprintf("conditions_%d_met", i), "inquiry.conditions"},
			formField{fmt.Sprintf("conditions_%d_code", i), "inquiry.conditions"},
			formField{fmt.Sprintf("conditions_%d_note", i), "inquiry.condition.note"})
	}
	return append(out, formField{"conclusion", "inquiry.conclusion"}, formField{"hearing_appointment_on", "inquiry.hearing.appointment_on"},
		formField{"hearing_time", "inquiry.hearing.time"}, formField{"hearing_place", "inquiry.hearing.place"},
		formField{"hearing_ask_by", "inquiry.hearing.ask_by"})
}

// inquiryValues are the form's values of a report.
func inquiryValues(q Inquiry) url.Values {
	v := url.Values{}
	if q.Identity.Checked {
		v.Set("identity_checked", "on")
	}
	v.Set("identity_document", q.Identity.Document)
	v.Set("identity_note", q.Identity.Note)
	v.Set("residence_address", q.Residence.Address)
	v.Set("residence_home_visit_on", q.Residence.HomeVisitOn)
	v.Set("residence_findings", q.Residence.Findings)
	for i, m := range q.Household {
		p := fmt.Sprintf("household_%d_", i)
		v.Set(p+"id", m.ID)
		v.Set(p+"name", m.Name)
		v.Set(p+"relation", m.Relation)
		v.Set(p+"birth_date", m.BirthDate)
		if m.Counted {
			v.Set(p+"counted", "on")
		}
		v.Set(p+"counting", m.Counting)
		v.Set(p+"motivation", m.Motivation)
	}
	setResources(v, q.Resources)
	v.Set("needs", q.Needs)
	for i, c := range q.Conditions {
		p := fmt.Sprintf("conditions_%d_", i)
		v.Set(p+"code", c.Code)
		switch {
		case c.Met == nil:
		case *c.Met:
			v.Set(p+"met", "met")
		default:
			v.Set(p+"met", "not_met")
		}
		v.Set(p+"note", c.Note)
	}
	v.Set("conclusion", q.Conclusion)
	v.Set("hearing_appointment_on", q.Hearing.AppointmentOn)
	v.Set("hearing_time", q.Hearing.Time)
	v.Set("hearing_place", q.Hearing.Place)
	v.Set("hearing_ask_by", q.Hearing.AskBy)
	return v
}

func setResources(v url.Values, rs []RISResource) {
	for i, r := range rs {
		p := fmt.Sprintf("resources_%d_", i)
		v.Set(p+"kind", r.Kind)
		v.Set(p+"period", r.Period)
		v.Set(p+"amount", euroText(r.Amount))
		v.Set(p+"whose", r.Whose)
	}
}

// rowCount is the number of rows of a group the form posted (bounded).
func rowCount(r *http.Request, name string) int {
	n, _ := strconv.Atoi(r.PostFormValue(name))
	return max(0, min(n, inquiryMaxRows))
}

// postedValues copies the posted values of the fields.
func postedValues(r *http.Request, fields []formField) url.Values {
	v := url.Values{}
	for _, fd := range fields {
		if x := strings.TrimSpace(r.PostFormValue(fd.Name)); x != "" {
			v.Set(fd.Name, x)
		}
	}
	return v
}

// readResources reads the resource rows of the form (a row without kind and amount is blank and left out); a
// bad amount fails its field; rename maps the service's row index to the form's.
func readResources(v url.Values, n int, f *form, l string, rename map[string]string) []RISResource {
	out := []RISResource{}
	for i := range n {
		pfx := fmt.Sprintf("resources_%d_", i)
		if v.Get(pfx+"kind") == "" && v.Get(pfx+"amount") == "" {
			continue
		}
		c, ok := parseEuroCents(v.Get(pfx + "amount"))
		if !ok {
			f.Fail(pfx+"amount", translate(l, "proposal.amount_invalid"))
		}
		for _, n := range []string{"kind", "period", "amount", "whose"} {
			rename[fmt.Sprintf("resources_%d_%s", len(out), n)] = pfx + n
		}
		whose := v.Get(pfx + "whose")
		if whose == "" {
			whose = "applicant"
		}
		out = append(out, RISResource{Kind: v.Get(pfx + "kind"), Period: v.Get(pfx + "period"), Amount: c, Whose: whose})
	}
	return out
}

func (s *Server) inquiryPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	p, req, err := s.loadRequest(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	q, err := s.decisions.Inquiry(r.Context(), s.call(r, sess), sess.Purpose(p.ID), req.ID)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	s.renderInquiry(w, r, sess, http.StatusOK, p, req, q, nil, len(q.Household)+inquiryBlankRows, len(q.Resources)+inquiryBlankRows)
}

// renderInquiry shows the form: f when the typed form comes back, else the report q.
func (s *Server) renderInquiry(w http.ResponseWriter, r *http.Request, sess *Session, status int, p Person, req AidRequest, q Inquiry, f *form, members, resources int) {
	var conds []string
	for _, c := range q.Conditions {
		conds = append(conds, c.Code)
	}
	if f == nil {
		f = newForm(inquiryFields(members, resources, conds), inquiryValues(q))
	}
	for i := range members {
		if k := fmt.Sprintf("household_%d_id", i); f.values.Get(k) == "" {
			f.values.Set(k, "m-"+newIdempotencyKey()[:8])
		}
	}
	d := inquiryData{Person: p, Request: req, Version: q.Version, Complete: q.Complete, Conditions: conds,
		Relations: inquiryRelations, Countings: risCountings, Kinds: risResourceKinds, Periods: risPeriods,
		Purpose: sess.Purpose(p.ID), Purposes: Purposes, Return: inquiryPagePath(p.ID, req.ID),
		HearingPath: requestPagePath(p.ID, req.ID) + "/hearing-letter", ProposalNew: requestPagePath(p.ID, req.ID) + "/proposals/new"}
	for i := range members {
		d.Members = append(d.Members, i)
	}
	for i := range resources {
		d.Resources = append(d.Resources, i)
	}
	l := langOf(r)
	d.Whose = append(d.Whose, option{Value: "applicant", Label: translate(l, "ris.whose.applicant")})
	for _, i := range d.Members {
		pfx := fmt.Sprintf("household_%d_", i)
		if name := f.values.Get(pfx + "name"); name != "" {
			d.Whose = append(d.Whose, option{Value: f.values.Get(pfx + "id"), Label: name})
		}
	}
	v := &view{Lang: l, Session: sess, Form: f, Data: d}
	v.Title = v.T("inquiry.title", "number", req.Number)
	s.render(w, r, status, "inquiry", v)
}

// WhoseSelect is the select of a resource's owner.
func (v *view) WhoseSelect(name string) selectView {
	sv := selectView{ID: "f-" + name, Name: name, Label: v.T("ris.resource.whose")}
	value := ""
	if v.Form != nil {
		value, sv.Error = v.Form.Value(name), v.Form.Error(name)
	}
	if sv.Error != "" {
		sv.ErrorID = sv.ID + "-error"
	}
	var whose []option
	switch d := v.Data.(type) {
	case inquiryData:
		whose = d.Whose
	case proposalFormData:
		whose = d.Whose
	}
	for _, o := range whose {
		o.Selected = o.Value == value || (value == "" && o.Value == "applicant")
		sv.Options = append(sv.Options, o)
	}
	return sv
}

// saveInquiry writes the report at the version the form carries.
func (s *Server) saveInquiry(w http.ResponseWriter, r *http.Request, sess *Session) {
	p, req, err := s.loadRequest(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	l := langOf(r)
	members, resources := rowCount(r, "household_rows"), rowCount(r, "resource_rows")
	var conds []string
	for i := range inquiryMaxRows {
		c := r.PostFormValue(fmt.Sprintf("conditions_%d_code", i))
		if c == "" {
			break
		}
		conds = append(conds, c)
	}
	f := newForm(inquiryFields(members, resources, conds), nil)
	f.values = postedValues(r, f.fields)
	v := f.values
	version, verr := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	var in InquiryReport
	in.Identity.Checked = v.Get("identity_checked") != ""
	in.Identity.Document, in.Identity.Note = v.Get("identity_document"), v.Get("identity_note")
	in.Residence.Address, in.Residence.HomeVisitOn, in.Residence.Findings = v.Get("residence_address"), v.Get("residence_home_visit_on"), v.Get("residence_findings")
	in.Household = []InquiryMember{}
	rename := map[string]string{}
	for i := range members {
		pfx := fmt.Sprintf("household_%d_", i)
		if v.Get(pfx+"name") == "" && v.Get(pfx+"birth_date") == "" && v.Get(pfx+"counted") == "" {
			continue
		}
		for _, n := range []string{"id", "name", "relation", "birth_date", "counted", "counting", "motivation"} {
			rename[fmt.Sprintf("household_%d_%s", len(in.Household), n)] = pfx + n
		}
		m := InquiryMember{ID: v.Get(pfx + "id"), Name: v.Get(pfx + "name"), Relation: v.Get(pfx + "relation"),
			BirthDate: v.Get(pfx + "birth_date"), Counted: v.Get(pfx+"counted") != "", Motivation: v.Get(pfx + "motivation")}
		if m.Counted {
			m.Counting = v.Get(pfx + "counting")
		}
		in.Household = append(in.Household, m)
	}
	in.Resources = readResources(v, resources, f, l, rename)
	in.Needs = v.Get("needs")
	for i, c := range conds {
		pfx := fmt.Sprintf("conditions_%d_", i)
		cond := InquiryCondition{Code: c, Note: v.Get(pfx + "note")}
		switch v.Get(pfx + "met") {
		case "met":
			t := true
			cond.Met = &t
		case "not_met":
			f := false
			cond.Met = &f
		}
		in.Conditions = append(in.Conditions, cond)
	}
	in.Conclusion = v.Get("conclusion")
	in.Hearing = InquiryHearing{AppointmentOn: v.Get("hearing_appointment_on"), Time: v.Get("hearing_time"),
		Place: v.Get("hearing_place"), AskBy: v.Get("hearing_ask_by")}
	back := Inquiry{InquiryReport: in, Version: version}
	back.Conditions = in.Conditions
	if verr != nil || f.HasErrors() {
		s.renderInquiry(w, r, sess, http.StatusUnprocessableEntity, p, req, back, f, members, resources)
		return
	}
	_, err = s.decisions.PutInquiry(r.Context(), s.call(r, sess), req.ID, version, in)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.inquiry_saved")
		http.Redirect(w, r, inquiryPagePath(p.ID, req.ID), http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		applyFieldErrors(f, ae, rename)
		s.renderInquiry(w, r, sess, ae.Status, p, req, back, f, members, resources)
	case errors.As(err, &ae) && (ae.Status == http.StatusPreconditionFailed || ae.Status == http.StatusConflict):
		if ae.Status == http.StatusConflict && ae.Detail != "" {
			f.General = append(f.General, ae.Detail)
		} else {
			f.General = append(f.General, translate(l, "inquiry.conflict"))
		}
		s.renderInquiry(w, r, sess, http.StatusConflict, p, req, back, f, members, resources)
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// hearingLetter serves the right-to-be-heard letter: the service's HTML as a page of its own (its stylesheet
// allowed by hash) or the PDF as a download.
func (s *Server) hearingLetter(pdf bool) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *Session) {
		p, req, err := s.loadRequest(r, sess)
		if err != nil {
			s.apiFailed(w, r, sess, err)
			return
		}
		res, err := s.decisions.HearingLetter(r.Context(), s.call(r, sess), sess.Purpose(p.ID), req.ID, pdf)
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusConflict {
			v := &view{Lang: langOf(r), Session: sess, Data: errorData{Message: ae.Detail}}
			v.Title = v.T("inquiry.hearing_unavailable")
			s.render(w, r, http.StatusConflict, "error", v)
			return
		}
		if err != nil {
			s.apiFailed(w, r, sess, err)
			return
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
		if err != nil {
			s.unavailable(w, r, sess, ErrDecisionsUnavailable)
			return
		}
		h := w.Header()
		if pdf {
			h.Set("Content-Type", "application/pdf")
			h.Set("Content-Disposition", `attachment; filename="audition-`+strings.NewReplacer("/", "-", `"`, "", "\\", "").Replace(req.Number)+`.pdf"`)
			h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		} else {
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Security-Policy", letterCSP(raw))
		}
		if l := res.Header.Get("Content-Language"); l != "" {
			h.Set("Content-Language", l)
		}
		_, _ = w.Write(raw)
	}
}

// inquiryRoutes registers the inquiry and proposal pages (pages_inquiry.go, pages_proposals.go).
func (s *Server) inquiryRoutes(handle func(string, http.Handler)) {
	handle("GET /persons/{id}/requests/{request}/inquiry", s.page(s.inquiryPage))
	handle("POST /persons/{id}/requests/{request}/inquiry", s.page(s.saveInquiry))
	handle("GET /persons/{id}/requests/{request}/hearing-letter", s.page(s.hearingLetter(false)))
	handle("GET /persons/{id}/requests/{request}/hearing-letter.pdf", s.page(s.hearingLetter(true)))
	handle("GET /persons/{id}/requests/{request}/proposals/new", s.page(s.newProposalPage))
	handle("POST /persons/{id}/requests/{request}/proposals/new", s.page(s.postNewProposal))
	handle("GET /persons/{id}/proposals/{proposal}", s.page(s.proposalPage))
	handle("GET /persons/{id}/proposals/{proposal}/edit", s.page(s.editProposalPage))
	handle("POST /persons/{id}/proposals/{proposal}/edit", s.page(s.postEditProposal))
	handle("POST /persons/{id}/proposals/{proposal}/submission", s.page(s.proposalStep("submission")))
	handle("POST /persons/{id}/proposals/{proposal}/validation", s.page(s.proposalStep("validation")))
	handle("POST /persons/{id}/proposals/{proposal}/return", s.page(s.proposalStep("return")))
	handle("GET /proposals", s.page(s.proposalsPage))
	handle("GET /ris-amounts", s.page(s.risAmountsPage))
	handle("POST /ris-amounts", s.page(s.saveRISAmounts))
}

// Inc is i + 1: a row's number for people.
func (v *view) Inc(i int) int { return i + 1 }

// MetState is a condition's state: "met", "not_met" or "" (not checked yet).
func (v *view) MetState(m *bool) string {
	switch {
	case m == nil:
		return ""
	case *m:
		return "met"
	}
	return "not_met"
}
