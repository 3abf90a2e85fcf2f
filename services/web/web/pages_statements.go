package web

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Bank statements and reconciliation (the payments service's statement and reconcile packages): the statements
// imported, newest first, with the upload form (camt.053 .02/.08 or CODA 2.6; the file streams through to the
// service, a small script shows the upload's progress, the service's report comes at the end: the statement's
// page with its counts), the statement's page, the reconciliation queue (the lines left to match, with the
// reason) and a line's page with its suggestions, the manual match of a payment (same amount only), of a credit to
// a receivable (chosen among the suggestions, or typed in by its structured communication or its id; at most its
// balance) or an explanation. Finance only; social workers never see statements.

// statementMaxBytes is the largest statement file the upload form passes on (the payments service's default).
const statementMaxBytes = 200 << 20

// statementRoutes registers the pages (called from routes()).
func (s *Server) statementRoutes(handle func(string, http.Handler)) {
	handle("GET /payments/statements", s.page(s.statementsPage))
	handle("POST /payments/statements", s.multipartPage(s.uploadStatement))
	handle("GET /payments/statements/{id}", s.page(s.statementPage))
	handle("GET /payments/reconciliation", s.page(s.reconciliationPage))
	handle("GET /payments/reconciliation/{id}", s.page(s.reconciliationItemPage))
	handle("POST /payments/reconciliation/{id}/match", s.page(s.matchReconciliationItem))
}

// isStatementUpload tells whether the request is a statement upload, whose body may be as large as a statement.
func isStatementUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/payments/statements"
}

var statementFields = []formField{{"format", "statements.format"}, {"file", "statements.file"}}

var statementFormats = []string{"auto", "camt.053", "coda"}

// statementsData is the page data of payments_statements.html.
type statementsData struct {
	Statements     []BankStatement
	Page           int
	Prev, Next     string
	IdempotencyKey string
	Formats        []string
	MaxBytes       int64
}

func (s *Server) statementsPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderStatements(w, r, sess, http.StatusOK, newForm(statementFields, url.Values{"format": {"auto"}}))
}

func (s *Server) renderStatements(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form) {
	page := pageParam(r)
	const size = 20
	list, err := s.payments.Statements(r.Context(), s.call(r, sess), page, size)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	data := statementsData{Statements: list, Page: page, IdempotencyKey: newIdempotencyKey(), Formats: statementFormats,
		MaxBytes: statementMaxBytes}
	if page > 1 {
		data.Prev = "/payments/statements?page=" + strconv.Itoa(page-1)
	}
	if len(list) == size {
		data.Next = "/payments/statements?page=" + strconv.Itoa(page+1)
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: data}
	v.Title = v.T("statements.title")
	s.render(w, r, status, "payments_statements", v)
}

// uploadStatement streams the form's file to the service: the CSRF token (checked by multipartPage), the
// Idempotency-Key and the format come first, then the file, never held whole. The answer is the statement's page
// (the import report), or the form with the error naming the file's line and element.
func (s *Server) uploadStatement(w http.ResponseWriter, r *http.Request, sess *Session, mr *multipart.Reader) {
	l := langOf(r)
	values := url.Values{"format": {"auto"}}
	var filePart *multipart.Part
	for filePart == nil {
		part, err := mr.NextPart()
		if err != nil {
			break
		}
		switch part.FormName() {
		case "file":
			filePart = part
		case "idempotency_key", "format":
			b, err := io.ReadAll(io.LimitReader(part, 200))
			if err != nil {
				s.errorPage(w, r, sess, http.StatusBadRequest, "error.badrequest.title", "error.badrequest.message")
				return
			}
			values.Set(part.FormName(), strings.TrimSpace(string(b)))
		}
	}
	f := newForm(statementFields, url.Values{"format": {values.Get("format")}})
	format := values.Get("format")
	if !slices.Contains(statementFormats, format) {
		f.Fail("format", translate(l, "payments.invalid"))
	}
	if filePart == nil || filePart.FileName() == "" {
		f.Fail("file", translate(l, "statements.file.required"))
	}
	if f.HasErrors() {
		s.drain(r)
		s.renderStatements(w, r, sess, http.StatusUnprocessableEntity, f)
		return
	}
	if format == "auto" {
		format = ""
	}
	content := &limitedReader{r: filePart, left: statementMaxBytes, max: statementMaxBytes}
	rep, err := s.payments.UploadStatement(r.Context(), s.call(r, sess), values.Get("idempotency_key"), cleanFileName(filePart.FileName()),
		format, content)
	var ae *APIError
	var tl *tooLargeError
	switch {
	case err == nil && len(rep.Statements) > 0:
		if rep.AlreadyImported {
			s.setFlash(w, r, "flash.statement_already_imported")
		} else {
			s.setFlash(w, r, "flash.statement_imported")
		}
		http.Redirect(w, r, "/payments/statements/"+url.PathEscape(rep.Statements[0].ID), http.StatusSeeOther)
	case err == nil:
		http.Redirect(w, r, "/payments/statements", http.StatusSeeOther)
	case errors.As(err, &tl) || apiStatus(err) == http.StatusRequestEntityTooLarge:
		f.Fail("file", translate(l, "statements.too_large", "max", formatSize(l, statementMaxBytes)))
		s.drain(r)
		s.renderStatements(w, r, sess, http.StatusRequestEntityTooLarge, f)
	case errors.As(err, &ae) && (ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusConflict):
		f.applyProblem(ae, nil)
		s.drain(r)
		s.renderStatements(w, r, sess, ae.Status, f)
	default:
		s.drain(r)
		s.apiFailed(w, r, sess, err)
	}
}

// statementData is the page data of payments_statement.html.
type statementData struct {
	Statement BankStatement
}

func (s *Server) statementPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	id := r.PathValue("id")
	if !uuidLike(id) {
		s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
		return
	}
	st, err := s.payments.Statement(r.Context(), s.call(r, sess), id)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	v := &view{Lang: langOf(r), Session: sess, Data: statementData{Statement: st}}
	v.Title = v.T("statements.detail.title", "id", st.StatementID)
	s.render(w, r, http.StatusOK, "payments_statement", v)
}

// reconciliationData is the page data of payments_reconciliation.html.
type reconciliationData struct {
	Page     QueuePage
	Pager    pager
	Status   string
	Statuses []string
}

func (s *Server) reconciliationPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	status := r.URL.Query().Get("status")
	if status != "matched" {
		status = "open"
	}
	page := pageParam(r)
	res, err := s.payments.ReconciliationQueue(r.Context(), s.call(r, sess), status, page, paymentsPageSize)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	values := url.Values{"status": {status}}
	data := reconciliationData{Page: res, Pager: newPager("/payments/reconciliation", values, page, paymentsPageSize, res.TotalCount),
		Status: status, Statuses: []string{"open", "matched"}}
	v := &view{Lang: langOf(r), Session: sess, Form: newForm([]formField{{"status", "reconciliation.status"}}, values), Data: data}
	v.Title = v.T("reconciliation.title")
	s.render(w, r, http.StatusOK, "payments_reconciliation", v)
}

var matchFields = []formField{{"instalment_id", "reconciliation.payment"}, {"receivable_id", "reconciliation.receivable"},
	{"note", "reconciliation.note"}}

// reconciliationItemData is the page data of payments_reconciliation_item.html.
type reconciliationItemData struct {
	Item QueueItem
}

func (s *Server) reconciliationItemPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderReconciliationItem(w, r, sess, http.StatusOK, newForm(matchFields, nil))
}

func (s *Server) renderReconciliationItem(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form) {
	id := r.PathValue("id")
	if !uuidLike(id) {
		s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
		return
	}
	it, err := s.payments.ReconciliationItem(r.Context(), s.call(r, sess), id)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: reconciliationItemData{Item: it}}
	v.Title = v.T("reconciliation.item.title")
	s.render(w, r, status, "payments_reconciliation_item", v)
}

// matchReconciliationItem records the accountant's match (a payment of the same amount, or an explanation) with
// the version the page showed.
func (s *Server) matchReconciliationItem(w http.ResponseWriter, r *http.Request, sess *Session) {
	l := langOf(r)
	id := r.PathValue("id")
	if !uuidLike(id) {
		s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
		return
	}
	// The receivable: its id (a suggestion's button, or typed in) or its structured communication, as the
	// accountant knows it (the service checks the OGM and finds the receivable; its refusals come back here).
	receivable := strings.TrimSpace(r.PostFormValue("receivable_id"))
	in := QueueMatch{Kind: r.PostFormValue("kind"), InstalmentID: strings.TrimSpace(r.PostFormValue("instalment_id")),
		Note: strings.TrimSpace(r.PostFormValue("note"))}
	if uuidLike(strings.ToLower(receivable)) {
		in.ReceivableID = strings.ToLower(receivable)
	} else {
		in.ReceivableOGM = receivable
	}
	f := newForm(matchFields, url.Values{"note": {in.Note}, "instalment_id": {in.InstalmentID}, "receivable_id": {receivable}})
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	switch {
	case err != nil || version < 1:
		f.General = append(f.General, translate(l, "payments.invalid"))
	case in.Kind == "explained" && len(in.Note) < 3:
		f.Fail("note", translate(l, "reconciliation.note.required"))
	case in.Kind == "payment" && !uuidLike(in.InstalmentID):
		f.Fail("instalment_id", translate(l, "payments.invalid"))
	case in.Kind == "receivable" && receivable == "":
		f.Fail("receivable_id", translate(l, "reconciliation.receivable.required"))
	case in.Kind != "explained" && in.Kind != "payment" && in.Kind != "receivable":
		f.General = append(f.General, translate(l, "payments.invalid"))
	}
	if f.HasErrors() {
		s.renderReconciliationItem(w, r, sess, http.StatusUnprocessableEntity, f)
		return
	}
	if in.Kind != "receivable" {
		in.ReceivableID, in.ReceivableOGM = "", ""
	}
	_, err = s.payments.MatchQueueItem(r.Context(), s.call(r, sess), id, version, in)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.reconciliation_matched")
		http.Redirect(w, r, "/payments/reconciliation", http.StatusSeeOther)
	case errors.As(err, &ae) && (ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusConflict ||
		ae.Status == http.StatusPreconditionFailed):
		if ae.Status == http.StatusPreconditionFailed {
			f.General = append(f.General, translate(l, "reconciliation.changed"))
		} else {
			f.applyProblem(ae, map[string]string{"receivable_ogm": "receivable_id"})
		}
		s.renderReconciliationItem(w, r, sess, ae.Status, f)
	default:
		s.apiFailed(w, r, sess, err)
	}
}
