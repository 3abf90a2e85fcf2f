package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/entraide/entraide/libs/civil"
)

// The changes of a decision on its page (/persons/{id}/decisions/{decision}): each revision, suspension,
// withdrawal, termination and recovery is a decision of its own, listed with its letter (the service's HTML,
// printable, and its PDF, in the beneficiary's language) and, until notified, its notification form (method,
// registered letter number or receipt, date; its own Idempotency-Key, the decision's version for If-Match); once
// notified, how and when, and the last day of its appeal window. The revision form offers the RIS calculator: the
// resources typed are computed with the tenant's tables by the service (as the proposal form's calculator does),
// the working shown and the monthly amount filled in, and the revision is recorded with its calculation.

// decisionChangeRoutes registers the change pages (called from decisionRoutes).
func (s *Server) decisionChangeRoutes(handle func(string, http.Handler)) {
	handle("GET /persons/{id}/decisions/{decision}/changes/{change}/letter", s.page(s.changeLetter(false)))
	handle("GET /persons/{id}/decisions/{decision}/changes/{change}/letter.pdf", s.page(s.changeLetter(true)))
	handle("POST /persons/{id}/decisions/{decision}/changes/{change}/notification", s.page(s.notifyChange))
}

// changeIDRe is what a change id looks like (the ending of an older decision is "ending").
var changeIDRe = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|ending)$`)

// changeRow is a change on the decision page: its links, and its notification (recorded, or the form).
type changeRow struct {
	DecisionChange
	LetterURL, PDFURL, PostURL string
	IdempotencyKey             string
	Method                     selectView
	Reference, Date            fieldView
	// Errors are the refused form's messages that belong to no field.
	Errors []string
}

// changeFormState is a change's notification form that comes back refused.
type changeFormState struct {
	ID string
	f  *form
}

// changeRows builds the rows of d's changes in lang; failed, when set, is the refused form of one of them.
func changeRows(lang string, p Person, d Decision, failed *changeFormState) []changeRow {
	var out []changeRow
	base := decisionPagePath(p.ID, d.ID) + "/changes/"
	for _, c := range d.Changes {
		row := changeRow{DecisionChange: c, LetterURL: base + url.PathEscape(c.ID) + "/letter",
			PDFURL: base + url.PathEscape(c.ID) + "/letter.pdf", PostURL: base + url.PathEscape(c.ID) + "/notification",
			IdempotencyKey: newIdempotencyKey()}
		f := newForm(notificationFields, url.Values{"date": {civil.Today().String()}, "method": {"registered_letter"}})
		if failed != nil && failed.ID == c.ID {
			f = failed.f
			row.Errors = f.General
		}
		v := &view{Lang: lang, Form: f}
		// Each change's inputs have ids of their own: several forms share the page.
		prefix := "f-c" + strings.ReplaceAll(c.ID, "-", "")[:8] + "-"
		re := func(s string) string { return strings.ReplaceAll(s, "f-", prefix) }
		row.Method = v.Choice("method", "decision.notification.method", "decision_method", notificationMethods, false)
		row.Method.ID, row.Method.ErrorID = re(row.Method.ID), re(row.Method.ErrorID)
		for dst, fv := range map[*fieldView]fieldView{
			&row.Reference: v.Field("reference", "text", "decision.notification.reference", "hint=decision.notification.reference.hint"),
			&row.Date:      v.Field("date", "date", "decision.notification.date", "required"),
		} {
			fv.ID, fv.ErrorID, fv.HintID, fv.DescribedBy = re(fv.ID), re(fv.ErrorID), re(fv.HintID), re(fv.DescribedBy)
			*dst = fv
		}
		out = append(out, row)
	}
	return out
}

// findChange returns the change of d named in the path.
func findChange(r *http.Request, d Decision) (DecisionChange, bool) {
	id := strings.ToLower(r.PathValue("change"))
	if !changeIDRe.MatchString(id) {
		return DecisionChange{}, false
	}
	for _, c := range d.Changes {
		if c.ID == id {
			return c, true
		}
	}
	return DecisionChange{}, false
}

// notifyChange records a change's notification on the version shown, under its form's Idempotency-Key: a double
// submission records it once. A refused form comes back on the decision page at its change, with a new key.
func (s *Server) notifyChange(w http.ResponseWriter, r *http.Request, sess *Session) {
	values := url.Values{}
	for _, fd := range notificationFields {
		values.Set(fd.Name, strings.TrimSpace(r.PostFormValue(fd.Name)))
	}
	f := newForm(notificationFields, values)
	p, d, err := s.loadDecision(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	c, ok := findChange(r, d)
	if !ok {
		s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
		return
	}
	version, verr := parseVersion(r.PostFormValue("version"))
	if verr != nil {
		version = d.Version
	}
	in := map[string]any{"method": values.Get("method"), "reference": values.Get("reference"), "date": values.Get("date")}
	_, err = s.decisions.NotifyDecisionChange(r.Context(), s.call(r, sess), r.PostFormValue("idempotency_key"), d.ID, c.ID, version, in)
	var ae *APIError
	again := func(status int) {
		s.renderDecisionPage(w, r, sess, status, newForm(notificationFields, url.Values{"date": {civil.Today().String()}, "method": {"registered_letter"}}),
			newIdempotencyKey(), &changeFormState{ID: c.ID, f: f})
	}
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.change_notified")
		http.Redirect(w, r, decisionPagePath(p.ID, d.ID)+"#change-"+c.ID, http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusPreconditionFailed:
		f.General = append(f.General, translate(langOf(r), "decision.conflict"))
		again(http.StatusConflict)
	case errors.As(err, &ae) && (ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusConflict):
		f.applyProblem(ae, nil)
		if ae.Detail != "" {
			f.General = append([]string{ae.Detail}, f.General...)
		}
		again(ae.Status)
	default:
		s.apiFailed(w, r, sess, err)
	}
}

func parseVersion(s string) (int64, error) {
	var v int64
	_, err := fmt.Sscan(s, &v)
	if err == nil && v < 1 {
		err = errors.New("version")
	}
	return v, err
}

// changeLetter serves a change's letter: the service's HTML as a page of its own (its inline stylesheet allowed
// by its hash only) or the PDF as a download.
func (s *Server) changeLetter(pdf bool) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *Session) {
		p, d, err := s.loadDecision(r, sess)
		if err != nil {
			s.apiFailed(w, r, sess, err)
			return
		}
		c, ok := findChange(r, d)
		if !ok {
			s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
			return
		}
		res, err := s.decisions.DecisionChangeLetter(r.Context(), s.call(r, sess), sess.Purpose(p.ID), d.ID, c.ID, pdf)
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusConflict {
			msg := ae.Detail
			for _, fe := range ae.Fields {
				msg += " " + fe.Message
			}
			v := &view{Lang: langOf(r), Session: sess, Data: errorData{Message: msg}}
			v.Title = v.T("decision.letter_unavailable")
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
			name := c.Change + "-" + strings.NewReplacer("/", "-", `"`, "", "\\", "").Replace(d.FileNumber) + ".pdf"
			h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
			h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		} else {
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Security-Policy", letterCSP(raw))
		}
		h.Set("Cache-Control", "no-store")
		if l := res.Header.Get("Content-Language"); l != "" {
			h.Set("Content-Language", l)
		}
		_, _ = w.Write(raw)
	}
}

// The revision form's RIS calculator: resource rows and the socio-professional exemption.
const revisionResourceRows = 3

func revisionCalcFields() []formField {
	var out []formField
	for i := range revisionResourceRows {
		for _, n := range []string{"kind", "period", "amount", "whose"} {
			out = append(out, formField{fmt.Sprintf("resources_%d_%s", i, n), "ris.resource." + n})
		}
	}
	return append(out, formField{"socio_professional", "decision.revision.socio_professional"})
}

// calculable tells whether a revision of d may be recomputed with the RIS tables.
func calculable(d Decision) bool { return d.Kind == "ris" || d.Kind == "eris" }

// calculateRevision asks the service's calculator for the revision's amount with the tenant's tables (nothing
// stored): the working is shown and the monthly amount filled in, as the proposal form's calculator does.
func (s *Server) calculateRevision(w http.ResponseWriter, r *http.Request, sess *Session, a decisionActionDef, f *form, d Decision,
	resources []RISResource, rename map[string]string) {
	l := langOf(r)
	if !calculable(d) {
		f.General = append(f.General, translate(l, "decision.revision.not_calculable"))
		s.renderDecisionAction(w, r, sess, http.StatusUnprocessableEntity, a, f)
		return
	}
	category := d.Category
	if x := f.Value("category"); x != "" {
		_, _ = fmt.Sscan(x, &category)
	}
	from := f.Value("from")
	if from == "" {
		f.Fail("from", translate(l, "decision.revision.from_required"))
		s.renderDecisionAction(w, r, sess, http.StatusUnprocessableEntity, a, f)
		return
	}
	calc, err := s.decisions.CalculateRIS(r.Context(), s.call(r, sess), RISCalculationInput{Category: category, From: from,
		Resources: resources, Members: []RISMember{}, SocioProfessional: f.Value("socio_professional") == "on"})
	var ae *APIError
	switch {
	case err == nil:
		f.values.Set("monthly", euroText(calc.Monthly))
		s.renderDecisionActionCalc(w, r, sess, http.StatusOK, a, f, &calc)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		applyFieldErrors(f, ae, rename)
		s.renderDecisionAction(w, r, sess, ae.Status, a, f)
	default:
		s.apiFailed(w, r, sess, err)
	}
}
