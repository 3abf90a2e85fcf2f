package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/entraide/entraide/libs/civil"
)

// Exports (the payments service's subsidy and ledger): a month picker and the downloads of the federal subsidy's
// claim data sets (forms B, C, D and the month's claim, CSV or JSON) and of the accounting journal by budget
// article (CSV or JSON). The month and form go in the query string (no personal data). Finance only.

var subsidyForms = []string{"B", "C", "D", "claim"}

var exportFormats = []string{"csv", "json"}

var exportFields = []formField{{"month", "exports.month"}}

// exportsData is the page data of payments_exports.html.
type exportsData struct {
	Month   string
	Forms   []string
	Formats []string
}

func (s *Server) exportsPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	month := strings.TrimSpace(r.URL.Query().Get("month"))
	if !monthPattern.MatchString(month) {
		month = civil.Today().String()[:7]
	}
	v := &view{Lang: langOf(r), Session: sess, Form: newForm(exportFields, url.Values{"month": {month}}),
		Data: exportsData{Month: month, Forms: subsidyForms, Formats: exportFormats}}
	v.Title = v.T("exports.title")
	s.render(w, r, http.StatusOK, "payments_exports", v)
}

// exportFile streams an export to the browser as a download (the service's bytes, unchanged); a bad month,
// form or format shows the exports page with the field's error.
func (s *Server) exportFile(subsidy bool) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *Session) {
		l := langOf(r)
		q := r.URL.Query()
		month, form, format := q.Get("month"), q.Get("form"), q.Get("format")
		f := newForm(exportFields, url.Values{"month": {month}})
		if !monthPattern.MatchString(month) {
			f.Fail("month", translate(l, "ledger.month_invalid"))
		}
		if subsidy && !slices.Contains(subsidyForms, form) || !slices.Contains(exportFormats, format) {
			f.General = append(f.General, translate(l, "payments.invalid"))
		}
		if f.HasErrors() {
			v := &view{Lang: l, Session: sess, Form: f, Data: exportsData{Month: month, Forms: subsidyForms, Formats: exportFormats}}
			v.Title = v.T("exports.title")
			s.render(w, r, http.StatusUnprocessableEntity, "payments_exports", v)
			return
		}
		if !subsidy {
			form = ""
		}
		res, err := s.payments.Export(r.Context(), s.call(r, sess), form, month, format)
		if err != nil {
			s.apiFailed(w, r, sess, err)
			return
		}
		defer res.Body.Close()
		name := "journal-" + month + "." + format
		if subsidy {
			name = "subsidy-" + form + "-" + month + "." + format
		}
		h := w.Header()
		h.Set("Content-Type", res.Header.Get("Content-Type"))
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		w.WriteHeader(http.StatusOK)
		if _, err := io.Copy(w, res.Body); err != nil {
			s.log.WarnContext(r.Context(), "export download interrupted", "error", err.Error())
		}
	}
}

func subsidyDecisionPagePath(id string) string {
	return "/payments/subsidy/decisions/" + url.PathEscape(id)
}

// subsidyDecisionPage shows a decision's federal subsidy: band, PIIS, foreigners' register, the homeless
// first-residence mark (a form: the finance staff set it, no event carries it), the share and the State's part of
// a month, and the changes the B forms resend.
func (s *Server) subsidyDecisionPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderSubsidyDecision(w, r, sess, http.StatusOK, newForm(nil, nil))
}

func (s *Server) renderSubsidyDecision(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form) {
	id := r.PathValue("id")
	if !uuidLike(id) {
		s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
		return
	}
	d, err := s.payments.SubsidyDecision(r.Context(), s.call(r, sess), id)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: d}
	v.Title = v.T("subsidy.decision.title")
	s.render(w, r, status, "payments_subsidy_decision", v)
}

func (s *Server) markSubsidyDecision(w http.ResponseWriter, r *http.Request, sess *Session) {
	id := r.PathValue("id")
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || !uuidLike(id) {
		s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
		return
	}
	_, err = s.payments.MarkSubsidyDecision(r.Context(), s.call(r, sess), id, version, r.PostFormValue("homeless_first_residence") == "on")
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.subsidy_marked")
		http.Redirect(w, r, subsidyDecisionPagePath(id), http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusPreconditionFailed:
		f := newForm(nil, nil)
		f.General = append(f.General, translate(langOf(r), "subsidy.error.conflict"))
		s.renderSubsidyDecision(w, r, sess, ae.Status, f)
	default:
		s.apiFailed(w, r, sess, err)
	}
}
