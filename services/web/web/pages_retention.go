package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// Retention (domain.md §8), the head's: the documents whose retention is over, reviewed and purged as a batch
// with a reason and an explicit confirmation (the service deletes content and metadata and audits each
// document); and the legal hold of a file (an appeal, a recovery), set or lifted with a reason, which keeps
// every document of the file. The periods themselves are configuration (BENEFICIARIES_DOCUMENT_RETENTION),
// decided with the DPO, who sees no registry data.

// retentionData is the page data of retention.html.
type retentionData struct {
	Due DueList
	// Selected are the documents ticked (a refused form keeps them ticked).
	Selected map[string]bool
	// Result is the purge just made, if any.
	Result *PurgeResult
}

var retentionFields = []formField{{Name: "documents", Label: "retention.documents"}, {Name: "reason", Label: "retention.reason"},
	{Name: "confirm", Label: "retention.confirm"}}

func (s *Server) retentionPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderRetention(w, r, sess, http.StatusOK, newForm(retentionFields, nil), nil, nil)
}

func (s *Server) renderRetention(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form, selected map[string]bool, result *PurgeResult) {
	due, err := s.registry.RetentionDue(r.Context(), s.call(r, sess))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	if selected == nil {
		selected = map[string]bool{}
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: retentionData{Due: due, Selected: selected, Result: result}}
	v.Title = v.T("retention.title")
	s.render(w, r, status, "retention", v)
}

// purge deletes the ticked documents, once the reason is given and the deletion confirmed; the page comes
// back with what was done and what remains due.
func (s *Server) purge(w http.ResponseWriter, r *http.Request, sess *Session) {
	l := langOf(r)
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	f := newForm(retentionFields, url.Values{"reason": {reason}, "confirm": {r.PostFormValue("confirm")}})
	selected := map[string]bool{}
	var ids []string
	for _, id := range r.PostForm["documents"] {
		if !uuidLike(id) {
			s.errorPage(w, r, sess, http.StatusBadRequest, "error.badrequest.title", "error.badrequest.message")
			return
		}
		if !selected[id] {
			selected[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		f.Fail("documents", translate(l, "retention.none_selected"))
	}
	if reason == "" {
		f.Fail("reason", translate(l, "form.required"))
	}
	if r.PostFormValue("confirm") != "on" {
		f.Fail("confirm", translate(l, "retention.confirm.required"))
	}
	if f.HasErrors() {
		s.renderRetention(w, r, sess, http.StatusUnprocessableEntity, f, selected, nil)
		return
	}
	res, err := s.registry.Purge(r.Context(), s.call(r, sess), ids, reason)
	var ae *APIError
	switch {
	case err == nil:
		s.renderRetention(w, r, sess, http.StatusOK, newForm(retentionFields, nil), nil, &res)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f.applyProblem(ae, nil)
		s.renderRetention(w, r, sess, http.StatusUnprocessableEntity, f, selected, nil)
	default:
		s.apiFailed(w, r, sess, err)
	}
}

var legalHoldFields = []formField{{Name: "reason", Label: "legal_hold.reason"}}

func (s *Server) legalHoldPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderLegalHold(w, r, sess, http.StatusOK, newForm(legalHoldFields, nil))
}

func (s *Server) renderLegalHold(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form) {
	p, file, err := s.loadFile(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	names, _ := s.staffDirectory(r, sess)
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: fileFormData{Person: p, File: file, Names: names, Return: filePagePath(p.ID, file.ID)}}
	if file.LegalHold != nil {
		v.Title = v.T("legal_hold.lift.title", "number", file.Number)
	} else {
		v.Title = v.T("legal_hold.set.title", "number", file.Number)
	}
	s.render(w, r, status, "file_legal_hold", v)
}

// setLegalHold sets or lifts the hold (the posted "hold" says which), with the reason typed, at the version
// shown.
func (s *Server) setLegalHold(w http.ResponseWriter, r *http.Request, sess *Session) {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	f := newForm(legalHoldFields, url.Values{"reason": {reason}})
	version, ok := postedVersion(r)
	hold := r.PostFormValue("hold")
	if !ok || (hold != "true" && hold != "false") {
		s.errorPage(w, r, sess, http.StatusBadRequest, "error.badrequest.title", "error.badrequest.message")
		return
	}
	if reason == "" {
		f.Fail("reason", translate(langOf(r), "form.required"))
		s.renderLegalHold(w, r, sess, http.StatusUnprocessableEntity, f)
		return
	}
	err := s.registry.SetLegalHold(r.Context(), s.call(r, sess), r.PathValue("file"), version, hold == "true", reason)
	var ae *APIError
	switch {
	case err == nil:
		flash := "flash.legal_hold_set"
		if hold == "false" {
			flash = "flash.legal_hold_lifted"
		}
		s.setFlash(w, r, flash)
		http.Redirect(w, r, filePagePath(r.PathValue("id"), r.PathValue("file")), http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f.applyProblem(ae, nil)
		s.renderLegalHold(w, r, sess, http.StatusUnprocessableEntity, f)
	case errors.As(err, &ae) && (ae.Status == http.StatusConflict || ae.Status == http.StatusPreconditionFailed):
		f.General = append(f.General, translate(langOf(r), "file.conflict"))
		s.renderLegalHold(w, r, sess, http.StatusConflict, f)
	default:
		s.apiFailed(w, r, sess, err)
	}
}
