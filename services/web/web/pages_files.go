package web

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// A person's social file (dossier): its facts, its journal (notes normal or restricted to their author and the
// head), its documents (upload streamed to the service, download streamed back, removal by the head), and the
// closing and reassignment forms. Pages live under the person (/persons/{id}/files/{file}) so that the purpose
// declared for the person applies to every read.

var (
	closeReasons  = []string{"aid_ended", "request_withdrawn", "request_refused", "moved_away", "transferred", "deceased", "no_contact", "other"}
	documentTypes = []string{"identity", "income_proof", "lease", "bank_proof", "medical_certificate", "letter", "other"}
	noteLevels    = []string{"normal", "restricted"}
)

var fileFields = []formField{
	{Name: "date", Label: "note.date"},
	{Name: "text", Label: "note.text"},
	{Name: "confidentiality", Label: "note.confidentiality"},
	{Name: "type", Label: "document.type"},
	{Name: "file", Label: "document.file"},
}

// fileData is the page data of file.html.
type fileData struct {
	Person    Person
	File      SocialFile
	Notes     []Note
	Documents []Document
	Names     staffNames
	TeamName  string
	Purpose   string
	Purposes  []string
	Return    string
	// NoteKey and UploadKey are the Idempotency-Keys of the note and upload forms.
	NoteKey, UploadKey string
	MaxSize            int64
	Levels, DocTypes   []string
	// Requests are the file's aid requests (decisions service), newest first; RequestsMore tells that older
	// ones may exist beyond the register pages read; RequestsUnavailable that the service did not answer.
	Requests            []AidRequest
	RequestsMore        bool
	RequestsUnavailable bool
	// Payments are the file's instalments with their status (payments service, pages_payments.go);
	// PaymentsUnavailable that the service did not answer.
	Payments            []FilePayment
	PaymentsUnavailable bool
	// Receivables are what the beneficiary owes back on this file (pages_recoveries.go).
	Receivables []FileReceivable
}

// loadFile reads the page's person and file; a file where the person is not managed is not found.
func (s *Server) loadFile(r *http.Request, sess *Session) (Person, SocialFile, error) {
	p, err := s.loadPerson(r, sess)
	if err != nil {
		return Person{}, SocialFile{}, err
	}
	f, err := s.registry.GetFile(r.Context(), s.call(r, sess), sess.Purpose(p.ID), r.PathValue("file"))
	if err != nil {
		return Person{}, SocialFile{}, err
	}
	if !f.Manages(p.ID) {
		return Person{}, SocialFile{}, &APIError{Status: http.StatusNotFound}
	}
	return p, f, nil
}

func (s *Server) filePage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderFile(w, r, sess, http.StatusOK, nil)
}

func filePagePath(personID, fileID string) string {
	return "/persons/" + url.PathEscape(personID) + "/files/" + url.PathEscape(fileID)
}

// renderFile shows the file page; f, when given, is the refused note or upload form.
func (s *Server) renderFile(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form) {
	p, file, err := s.loadFile(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	cl, purpose := s.call(r, sess), sess.Purpose(p.ID)
	notes, err := s.registry.Journal(r.Context(), cl, purpose, file.ID)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	docs, err := s.registry.Documents(r.Context(), cl, purpose, file.ID)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	names, _ := s.staff(r, sess)
	d := fileData{Person: p, File: file, Notes: notes, Documents: docs, Names: names, Purpose: purpose, Purposes: Purposes,
		Return: filePagePath(p.ID, file.ID), NoteKey: newIdempotencyKey(), UploadKey: newIdempotencyKey(),
		MaxSize: s.cfg.DocumentMaxBytes, Levels: noteLevels, DocTypes: documentTypes}
	if d.Requests, d.RequestsMore, err = s.decisions.FileRequests(r.Context(), cl, purpose, file.ID); err != nil {
		// The file stays readable when the decisions service does not answer; its requests are said missing.
		s.log.WarnContext(r.Context(), "file requests unavailable", "error", err.Error())
		d.RequestsUnavailable = true
	}
	d.Payments, d.PaymentsUnavailable = s.filePayments(r, sess, purpose, file.ID)
	if !d.PaymentsUnavailable {
		d.Receivables = s.fileReceivables(r, sess, purpose, file.ID)
	}
	if file.TeamID != "" {
		if t, err := s.registry.GetTeam(r.Context(), cl, file.TeamID); err == nil {
			d.TeamName = t.Name
		}
	}
	if f == nil {
		f = newForm(fileFields, url.Values{"confidentiality": {"normal"}})
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: d}
	v.Title = v.T("file.title", "number", file.Number)
	s.render(w, r, status, "file", v)
}

// addNote writes a journal note; a refused note comes back with its text and its errors.
func (s *Server) addNote(w http.ResponseWriter, r *http.Request, sess *Session) {
	values := url.Values{"date": {strings.TrimSpace(r.PostFormValue("date"))}, "text": {strings.TrimSpace(r.PostFormValue("text"))},
		"confidentiality": {r.PostFormValue("confidentiality")}}
	f := newForm(fileFields, values)
	if values.Get("text") == "" {
		f.Fail("text", translate(langOf(r), "form.required"))
		s.renderFile(w, r, sess, http.StatusUnprocessableEntity, f)
		return
	}
	err := s.registry.AddNote(r.Context(), s.call(r, sess), r.PostFormValue("idempotency_key"), r.PathValue("file"),
		values.Get("date"), values.Get("text"), values.Get("confidentiality"))
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.note_added")
		http.Redirect(w, r, filePagePath(r.PathValue("id"), r.PathValue("file"))+"#journal", http.StatusSeeOther)
	case errors.As(err, &ae) && (ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusConflict):
		f.applyProblem(ae, nil)
		if ae.Detail != "" && len(ae.Fields) == 0 {
			f.General = append(f.General[:0], ae.Detail)
		}
		s.renderFile(w, r, sess, ae.Status, f)
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// uploadDocument streams the form's file to the service: the CSRF token (checked by multipartPage) and the small
// fields come first, then the file, never held whole in memory. A file larger than the limit is refused while it
// streams (the service stores nothing) and the form comes back with the document type chosen and the error.
func (s *Server) uploadDocument(w http.ResponseWriter, r *http.Request, sess *Session, mr *multipart.Reader) {
	l := langOf(r)
	values := url.Values{}
	var filePart *multipart.Part
	for filePart == nil {
		part, err := mr.NextPart()
		if err != nil {
			break
		}
		switch part.FormName() {
		case "file":
			filePart = part
		case "idempotency_key", "type":
			b, err := io.ReadAll(io.LimitReader(part, 200))
			if err != nil {
				s.errorPage(w, r, sess, http.StatusBadRequest, "error.badrequest.title", "error.badrequest.message")
				return
			}
			values.Set(part.FormName(), strings.TrimSpace(string(b)))
		}
	}
	f := newForm(fileFields, url.Values{"type": {values.Get("type")}, "confidentiality": {"normal"}})
	if values.Get("type") == "" {
		f.Fail("type", translate(l, "form.required"))
	}
	if filePart == nil || filePart.FileName() == "" {
		f.Fail("file", translate(l, "document.file.required"))
	}
	if f.HasErrors() {
		s.drain(r)
		s.renderFile(w, r, sess, http.StatusUnprocessableEntity, f)
		return
	}
	content := &limitedReader{r: filePart, left: s.cfg.DocumentMaxBytes, max: s.cfg.DocumentMaxBytes}
	_, err := s.registry.UploadDocument(r.Context(), s.call(r, sess), values.Get("idempotency_key"), r.PathValue("file"),
		Upload{Type: values.Get("type"), Name: cleanFileName(filePart.FileName()), Content: content})
	var ae *APIError
	var tl *tooLargeError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.document_added")
		http.Redirect(w, r, filePagePath(r.PathValue("id"), r.PathValue("file"))+"#documents", http.StatusSeeOther)
		return
	case errors.As(err, &tl) || apiStatus(err) == http.StatusRequestEntityTooLarge:
		f.Fail("file", translate(l, "document.too_large", "max", formatSize(l, s.cfg.DocumentMaxBytes)))
		s.drain(r)
		s.renderFile(w, r, sess, http.StatusRequestEntityTooLarge, f)
	case errors.As(err, &ae) && ae.Status == http.StatusUnsupportedMediaType:
		f.Fail("file", translate(l, "document.type_not_allowed"))
		s.drain(r)
		s.renderFile(w, r, sess, http.StatusUnsupportedMediaType, f)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f.applyProblem(ae, nil)
		s.drain(r)
		s.renderFile(w, r, sess, http.StatusUnprocessableEntity, f)
	default:
		s.drain(r)
		s.apiFailed(w, r, sess, err)
	}
}

// drain reads what is left of a refused upload (bounded by bodyLimit), so that the browser, still sending,
// receives the answer rather than a reset connection.
func (s *Server) drain(r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }

// cleanFileName keeps the base name of an uploaded file (some browsers send a full path).
func cleanFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if len(name) > 200 {
		name = name[len(name)-200:]
	}
	return name
}

// downloadDocument streams a document's content from the service with the service's type and file name: an
// attachment, never shown inline. The document must belong to a file on which the page's person is registered:
// the service checks only that the caller sees the document, so without this check any person's page (whose
// purpose the read is declared under) would serve any visible document. Another person's document is not found.
func (s *Server) downloadDocument(w http.ResponseWriter, r *http.Request, sess *Session) {
	cl, personID := s.call(r, sess), r.PathValue("id")
	purpose := sess.Purpose(personID)
	doc, err := s.registry.GetDocument(r.Context(), cl, purpose, r.PathValue("doc"))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	f, err := s.registry.GetFile(r.Context(), cl, purpose, doc.FileID)
	if err == nil && !f.Manages(personID) {
		err = &APIError{Status: http.StatusNotFound}
	}
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	res, err := s.registry.DownloadDocument(r.Context(), cl, purpose, doc.ID)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	defer res.Body.Close()
	h := w.Header()
	for _, k := range []string{"Content-Type", "Content-Disposition", "Content-Length"} {
		if v := res.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	if h.Get("Content-Disposition") == "" {
		h.Set("Content-Disposition", "attachment")
	}
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, res.Body); err != nil {
		s.log.WarnContext(r.Context(), "document download interrupted", "error", err.Error())
	}
}

// removalData is the page data of document_removal.html.
type removalData struct {
	Person   Person
	Document Document
	Return   string
}

var removalFields = []formField{{Name: "reason", Label: "document.removal.reason"}}

func (s *Server) removeDocumentPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderRemoval(w, r, sess, http.StatusOK, newForm(removalFields, nil))
}

func (s *Server) renderRemoval(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form) {
	p, err := s.loadPerson(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	d, err := s.registry.GetDocument(r.Context(), s.call(r, sess), sess.Purpose(p.ID), r.PathValue("doc"))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: removalData{Person: p, Document: d, Return: filePagePath(p.ID, d.FileID)}}
	v.Title = v.T("document.removal.title")
	s.render(w, r, status, "document_removal", v)
}

// removeDocument hides the document (the head), with the reason typed on the confirmation page.
func (s *Server) removeDocument(w http.ResponseWriter, r *http.Request, sess *Session) {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	f := newForm(removalFields, url.Values{"reason": {reason}})
	version, ok := postedVersion(r)
	if !ok {
		s.errorPage(w, r, sess, http.StatusBadRequest, "error.badrequest.title", "error.badrequest.message")
		return
	}
	if reason == "" {
		f.Fail("reason", translate(langOf(r), "form.required"))
		s.renderRemoval(w, r, sess, http.StatusUnprocessableEntity, f)
		return
	}
	err := s.registry.RemoveDocument(r.Context(), s.call(r, sess), r.PathValue("doc"), version, reason)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.document_removed")
		back := "/persons/" + url.PathEscape(r.PathValue("id"))
		if fid := r.PostFormValue("file"); uuidLike(fid) {
			back = filePagePath(r.PathValue("id"), fid) + "#documents"
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f.applyProblem(ae, nil)
		s.renderRemoval(w, r, sess, http.StatusUnprocessableEntity, f)
	case errors.As(err, &ae) && (ae.Status == http.StatusConflict || ae.Status == http.StatusPreconditionFailed):
		f.General = append(f.General, translate(langOf(r), "document.conflict"))
		s.renderRemoval(w, r, sess, http.StatusConflict, f)
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// fileFormData is the page data of the closing and reassignment forms.
type fileFormData struct {
	Person  Person
	File    SocialFile
	Reasons []string
	Staff   []StaffMember
	Teams   []Team
	Names   staffNames
	// Unlisted is the current assignee when they can no longer be chosen (disabled, or out of the social service).
	Unlisted string
	Return   string
}

var closeFields = []formField{{Name: "reason", Label: "file.close.reason"}, {Name: "note", Label: "file.close.note"}}
var assignFields = []formField{{Name: "assignee", Label: "file.assignee"}, {Name: "team_id", Label: "file.team"}}

func (s *Server) closeFilePage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderFileForm(w, r, sess, http.StatusOK, "file_close", newForm(closeFields, nil))
}

func (s *Server) reassignPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderFileForm(w, r, sess, http.StatusOK, "file_assignment", nil)
}

func (s *Server) renderFileForm(w http.ResponseWriter, r *http.Request, sess *Session, status int, page string, f *form) {
	p, file, err := s.loadFile(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	d := fileFormData{Person: p, File: file, Reasons: closeReasons, Return: filePagePath(p.ID, file.ID)}
	if page == "file_assignment" {
		d.Names, d.Staff = s.staff(r, sess)
		d.Unlisted = file.Assignee
		for _, m := range d.Staff {
			if m.ID == file.Assignee {
				d.Unlisted = ""
			}
		}
		if d.Teams, err = s.registry.Teams(r.Context(), s.call(r, sess)); err != nil {
			s.apiFailed(w, r, sess, err)
			return
		}
		if f == nil {
			f = newForm(assignFields, url.Values{"assignee": {file.Assignee}, "team_id": {file.TeamID}})
		}
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: d}
	if page == "file_close" {
		v.Title = v.T("file.close.title", "number", file.Number)
	} else {
		v.Title = v.T("file.assignment.title", "number", file.Number)
	}
	s.render(w, r, status, page, v)
}

// closeFile closes the file with a reason, if it is still at the version shown.
func (s *Server) closeFile(w http.ResponseWriter, r *http.Request, sess *Session) {
	values := url.Values{"reason": {r.PostFormValue("reason")}, "note": {strings.TrimSpace(r.PostFormValue("note"))}}
	f := newForm(closeFields, values)
	version, ok := postedVersion(r)
	if !ok {
		s.errorPage(w, r, sess, http.StatusBadRequest, "error.badrequest.title", "error.badrequest.message")
		return
	}
	if values.Get("reason") == "" {
		f.Fail("reason", translate(langOf(r), "form.required"))
		s.renderFileForm(w, r, sess, http.StatusUnprocessableEntity, "file_close", f)
		return
	}
	err := s.registry.CloseFile(r.Context(), s.call(r, sess), r.PathValue("file"), version, values.Get("reason"), values.Get("note"))
	s.afterFileUpdate(w, r, sess, err, "flash.file_closed", "file_close", f)
}

// reassign gives the file to another worker and team (the head).
func (s *Server) reassign(w http.ResponseWriter, r *http.Request, sess *Session) {
	assignee := strings.TrimSpace(r.PostFormValue("assignee"))
	values := url.Values{"assignee": {assignee}, "team_id": {r.PostFormValue("team_id")}}
	f := newForm(assignFields, values)
	version, ok := postedVersion(r)
	if !ok {
		s.errorPage(w, r, sess, http.StatusBadRequest, "error.badrequest.title", "error.badrequest.message")
		return
	}
	err := s.registry.Reassign(r.Context(), s.call(r, sess), r.PathValue("file"), version, assignee, values.Get("team_id"))
	s.afterFileUpdate(w, r, sess, err, "flash.file_reassigned", "file_assignment", f)
}

func (s *Server) afterFileUpdate(w http.ResponseWriter, r *http.Request, sess *Session, err error, flash, page string, f *form) {
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, flash)
		http.Redirect(w, r, filePagePath(r.PathValue("id"), r.PathValue("file")), http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f.applyProblem(ae, nil)
		s.renderFileForm(w, r, sess, http.StatusUnprocessableEntity, page, f)
	case errors.As(err, &ae) && (ae.Status == http.StatusConflict || ae.Status == http.StatusPreconditionFailed):
		msg := translate(langOf(r), "file.conflict")
		if ae.Status == http.StatusConflict && ae.Detail != "" {
			msg = ae.Detail
		}
		f.General = append(f.General, msg)
		s.renderFileForm(w, r, sess, http.StatusConflict, page, f)
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// MaxSizeHint is the hint of the upload form: the types accepted and the largest size.
func (v *view) MaxSizeHint(max int64) string {
	return v.T("document.file.hint", "max", formatSize(v.Lang, max))
}
