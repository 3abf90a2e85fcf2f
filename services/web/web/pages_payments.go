package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/entraide/entraide/libs/civil"
)

// Payments (the payments service): the due instalments (searchable by kind, budget article, due date and file
// number, paginated, with the selection's totals), the payment runs with the form that builds one (execution date,
// kinds, budget article; Idempotency-Key hidden field), the run page (totals by kind and budget article, its
// payments, the finance director's approval with If-Match on the version shown, cancellation of a draft, the
// export and the download of its pain.001 file). Amounts in the Belgian format (1.234,56 €). Finance only.

// paymentRoutes registers the payment pages (called from routes()).
func (s *Server) paymentRoutes(handle func(string, http.Handler)) {
	handle("GET /payments", s.page(s.instalmentsPage))
	handle("GET /payments/runs", s.page(s.runsPage))
	handle("POST /payments/runs", s.page(s.createRun))
	handle("GET /payments/runs/{id}", s.page(s.runPage))
	handle("POST /payments/runs/{id}/approval", s.page(s.approveRun))
	handle("POST /payments/runs/{id}/cancellation", s.page(s.cancelRun))
	handle("POST /payments/runs/{id}/export", s.page(s.runFile(true)))
	handle("GET /payments/runs/{id}/file", s.page(s.runFile(false)))
	handle("GET /payments/settings", s.page(s.paymentSettingsPage))
	handle("POST /payments/settings", s.page(s.savePaymentSettings))
}

func runPagePath(id string) string { return "/payments/runs/" + url.PathEscape(id) }

var paymentKinds = []string{"ris", "eris", "aide_sociale", "amu"}

var instalmentFilterFields = []formField{
	{"status", "payments.status"}, {"kind", "payments.kind"}, {"budget_article", "payments.budget_article"}, {"due_by", "payments.due_by"},
	{"file_number", "payments.file_number"},
}

// instalmentsData is the page data of payments_instalments.html.
type instalmentsData struct {
	Page     InstalmentPage
	Pager    pager
	Kinds    []string
	Statuses []string
}

// instalmentStatuses are the lists the due instalments page shows: the due ones (the default), the returned
// ones waiting for a reissue.
var instalmentStatuses = []string{"scheduled", "returned"}

const paymentsPageSize = 50

func pageParam(r *http.Request) int {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page < 1 || page > 100000 {
		page = 1
	}
	return page
}

// instalmentsPage lists the due instalments under the filter of the query (a file number, never a name).
func (s *Server) instalmentsPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	l := langOf(r)
	q := r.URL.Query()
	values := url.Values{}
	for _, fd := range instalmentFilterFields {
		if v := strings.TrimSpace(q.Get(fd.Name)); v != "" {
			values.Set(fd.Name, v)
		}
	}
	f := newForm(instalmentFilterFields, values)
	if st := values.Get("status"); st != "" && !slices.Contains(instalmentStatuses, st) {
		f.Fail("status", translate(l, "payments.invalid"))
	}
	if k := values.Get("kind"); k != "" && !slices.Contains(paymentKinds, k) {
		f.Fail("kind", translate(l, "payments.invalid"))
	}
	if d := values.Get("due_by"); d != "" {
		if _, err := civil.Parse(d); err != nil {
			f.Fail("due_by", translate(l, "payments.date_invalid"))
		}
	}
	data := instalmentsData{Page: InstalmentPage{Items: []Instalment{}}, Kinds: paymentKinds, Statuses: instalmentStatuses}
	status := http.StatusOK
	if f.HasErrors() {
		status = http.StatusUnprocessableEntity
	} else {
		page := pageParam(r)
		res, err := s.payments.Instalments(r.Context(), s.call(r, sess), InstalmentFilter{Status: values.Get("status"), Kind: values.Get("kind"),
			BudgetArticle: values.Get("budget_article"), DueBy: values.Get("due_by"), FileNumber: values.Get("file_number")},
			page, paymentsPageSize)
		var ae *APIError
		switch {
		case err == nil:
			data.Page = res
			data.Pager = newPager("/payments", values, page, paymentsPageSize, int(res.TotalCount))
		case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
			f.applyProblem(ae, nil)
			status = ae.Status
		default:
			s.apiFailed(w, r, sess, err)
			return
		}
	}
	v := &view{Lang: l, Session: sess, Form: f, Data: data}
	v.Title = v.T("payments.instalments.title")
	s.render(w, r, status, "payments_instalments", v)
}

var runFields = []formField{{"execution_date", "payments.execution_date"}, {"kinds", "payments.kinds"},
	{"budget_articles", "payments.budget_article"}}

// runsData is the page data of payments_runs.html.
type runsData struct {
	Runs           []PaymentRun
	Page           int
	Prev, Next     string
	IdempotencyKey string
	Kinds          []string
}

func (s *Server) runsPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderRuns(w, r, sess, http.StatusOK, newForm(runFields, url.Values{"execution_date": {civil.Today().String()}}), newIdempotencyKey())
}

func (s *Server) renderRuns(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form, key string) {
	page := pageParam(r)
	const size = 20
	runs, err := s.payments.Runs(r.Context(), s.call(r, sess), page, size)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	data := runsData{Runs: runs, Page: page, IdempotencyKey: key, Kinds: paymentKinds}
	if page > 1 {
		data.Prev = "/payments/runs?page=" + strconv.Itoa(page-1)
	}
	if len(runs) == size {
		data.Next = "/payments/runs?page=" + strconv.Itoa(page+1)
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: data}
	v.Title = v.T("payments.runs.title")
	s.render(w, r, status, "payments_runs", v)
}

// createRun builds a run from the form; field errors come back in the user's language.
func (s *Server) createRun(w http.ResponseWriter, r *http.Request, sess *Session) {
	l := langOf(r)
	values := url.Values{"execution_date": {strings.TrimSpace(r.PostFormValue("execution_date"))},
		"budget_articles": {strings.TrimSpace(r.PostFormValue("budget_articles"))}}
	var kinds []string
	for _, k := range r.PostForm["kinds"] {
		if slices.Contains(paymentKinds, k) {
			kinds = append(kinds, k)
			values.Add("kinds", k)
		}
	}
	f := newForm(runFields, values)
	if values.Get("execution_date") == "" {
		f.Fail("execution_date", translate(l, "payments.required"))
	} else if _, err := civil.Parse(values.Get("execution_date")); err != nil {
		f.Fail("execution_date", translate(l, "payments.date_invalid"))
	}
	if f.HasErrors() {
		s.renderRuns(w, r, sess, http.StatusUnprocessableEntity, f, newIdempotencyKey())
		return
	}
	in := RunInput{ExecutionDate: values.Get("execution_date"), Kinds: kinds}
	if a := values.Get("budget_articles"); a != "" {
		in.Articles = []string{a}
	}
	run, err := s.payments.CreateRun(r.Context(), s.call(r, sess), r.PostFormValue("idempotency_key"), in)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.payment_run_created")
		http.Redirect(w, r, runPagePath(run.ID), http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f.applyProblem(ae, nil)
		s.renderRuns(w, r, sess, ae.Status, f, newIdempotencyKey())
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// runData is the page data of payments_run.html.
type runData struct {
	Run      PaymentRun
	Payments RunPaymentsPage
	Pager    pager
	// ApproveKey and ExportKey are the Idempotency-Keys of the approval and export forms.
	ApproveKey, ExportKey string
	// Mine: the signed-in user created the run (and so cannot approve it).
	Mine bool
}

func (s *Server) runPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderRun(w, r, sess, http.StatusOK, newForm(nil, nil))
}

func (s *Server) renderRun(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form) {
	id := r.PathValue("id")
	if !uuidLike(id) {
		s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
		return
	}
	cl := s.call(r, sess)
	run, err := s.payments.Run(r.Context(), cl, id)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	page := pageParam(r)
	pays, err := s.payments.RunPayments(r.Context(), cl, id, page, paymentsPageSize)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	data := runData{Run: run, Payments: pays, Pager: newPager(runPagePath(id), nil, page, paymentsPageSize, int(pays.TotalCount)),
		ApproveKey: newIdempotencyKey(), ExportKey: newIdempotencyKey(), Mine: run.CreatedBy == sess.UserID}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: data}
	v.Title = v.T("payments.run.title", "number", run.Number)
	s.render(w, r, status, "payments_run", v)
}

// runChangeFailed shows a refused approval or cancellation on the run page, in the user's language.
func (s *Server) runChangeFailed(w http.ResponseWriter, r *http.Request, sess *Session, err error) {
	l := langOf(r)
	var ae *APIError
	if !errors.As(err, &ae) {
		s.apiFailed(w, r, sess, err)
		return
	}
	f := newForm(nil, nil)
	switch {
	case ae.Status == http.StatusForbidden && problemCode(ae) == "payments.creator_cannot_approve":
		f.General = append(f.General, translate(l, "payments.error.creator"))
	case ae.Status == http.StatusPreconditionFailed:
		f.General = append(f.General, translate(l, "payments.error.conflict"))
	case ae.Status == http.StatusConflict:
		key := "payments.error." + strings.TrimPrefix(problemCode(ae), "payments.")
		if msg := translate(l, key); msg != key && problemCode(ae) != "" {
			f.General = append(f.General, msg)
		} else {
			f.General = append(f.General, translate(l, "payments.error.conflict"))
		}
	default:
		s.apiFailed(w, r, sess, err)
		return
	}
	s.renderRun(w, r, sess, ae.Status, f)
}

// problemCode is the "code" member of a problem.
func problemCode(ae *APIError) string {
	raw, ok := ae.Extra["code"]
	if !ok {
		return ""
	}
	var code string
	_ = json.Unmarshal(raw, &code)
	return code
}

func (s *Server) approveRun(w http.ResponseWriter, r *http.Request, sess *Session) {
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || !uuidLike(r.PathValue("id")) {
		s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
		return
	}
	_, err = s.payments.ApproveRun(r.Context(), s.call(r, sess), r.PostFormValue("idempotency_key"), r.PathValue("id"), version)
	if err != nil {
		s.runChangeFailed(w, r, sess, err)
		return
	}
	s.setFlash(w, r, "flash.payment_run_approved")
	http.Redirect(w, r, runPagePath(r.PathValue("id")), http.StatusSeeOther)
}

func (s *Server) cancelRun(w http.ResponseWriter, r *http.Request, sess *Session) {
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || !uuidLike(r.PathValue("id")) {
		s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
		return
	}
	if _, err := s.payments.CancelRun(r.Context(), s.call(r, sess), r.PathValue("id"), version); err != nil {
		s.runChangeFailed(w, r, sess, err)
		return
	}
	s.setFlash(w, r, "flash.payment_run_cancelled")
	http.Redirect(w, r, runPagePath(r.PathValue("id")), http.StatusSeeOther)
}

// runFile streams the run's pain.001 file to the browser as a download: the export (POST, which fixes the file
// the first time) or the download of an exported run's file again (GET). The bytes are the service's, unchanged.
func (s *Server) runFile(export bool) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *Session) {
		id := r.PathValue("id")
		if !uuidLike(id) {
			s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
			return
		}
		res, err := s.payments.RunFile(r.Context(), s.call(r, sess), r.PostFormValue("idempotency_key"), id, export)
		if err != nil {
			s.runChangeFailed(w, r, sess, err)
			return
		}
		defer res.Body.Close()
		h := w.Header()
		h.Set("Content-Type", "application/xml; charset=utf-8")
		h.Set("Content-Disposition", "attachment")
		if cd := res.Header.Get("Content-Disposition"); cd != "" {
			h.Set("Content-Disposition", cd)
		}
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		w.WriteHeader(http.StatusOK)
		if _, err := io.Copy(w, res.Body); err != nil {
			s.log.WarnContext(r.Context(), "payment file download interrupted", "error", err.Error())
		}
	}
}

// Money writes cents in the Belgian format: "1.234,56 €" (French, Dutch, German alike; English "€1,234.56").
func (v *view) Money(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	units := strconv.FormatInt(c/100, 10)
	sep, dec := ".", ","
	if v.Lang == "en" {
		sep, dec = ",", "."
	}
	var b strings.Builder
	for i, r := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	cents := strconv.FormatInt(c%100+100, 10)[1:]
	if v.Lang == "en" {
		return sign + "€" + b.String() + dec + cents
	}
	return sign + b.String() + dec + cents + " €"
}

// FilePayment is an instalment of a social file as the social service sees it: what, when, how much, where it
// stands (no account).
type FilePayment struct {
	ID          string        `json:"id"`
	DecisionID  string        `json:"decision_id"`
	Kind        string        `json:"kind"`
	Label       string        `json:"label"`
	Periods     []PaymentPart `json:"periods"`
	AmountCents int64         `json:"amount_cents"`
	DueOn       string        `json:"due_on"`
	Status      string        `json:"status"`
	PayeeKind   string        `json:"payee_kind"`
	HoldReason  string        `json:"hold_reason"`
}

// PeriodText is the payment's period(s), "" for a one-off aid.
func (p FilePayment) PeriodText() string { return Instalment{Periods: p.Periods}.PeriodText() }

// FilePayments lists a social file's instalments (the payments service lets a social worker read the files
// assigned to them or their team only).
func (c *PaymentsClient) FilePayments(ctx context.Context, cl call, purpose, fileID string) ([]FilePayment, error) {
	var out struct {
		Items []FilePayment `json:"items"`
	}
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, "/v1/files/"+url.PathEscape(fileID)+"/payments", nil, &out)
	return out.Items, err
}

// filePayments reads the file's payments for the file page; the page stays readable when the payments service
// does not answer (or has nothing for the file).
func (s *Server) filePayments(r *http.Request, sess *Session, purpose, fileID string) ([]FilePayment, bool) {
	if s.payments == nil || s.cfg.PaymentsURL == "" {
		return nil, true
	}
	items, err := s.payments.FilePayments(r.Context(), s.call(r, sess), purpose, fileID)
	var ae *APIError
	switch {
	case err == nil:
		return items, false
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		return nil, false // the payments service has no trace of the file yet: no payment
	default:
		s.log.WarnContext(r.Context(), "file payments unavailable", "error", err.Error())
		return nil, true
	}
}
