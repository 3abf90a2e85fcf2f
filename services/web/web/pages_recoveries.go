package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/entraide/entraide/libs/civil"
)

// Recoveries (the payments service's receivables): the list (status, file number, paginated, with the
// selection's totals and the balance still owed), a receivable's page (its structured communication to give the
// beneficiary, its payments by statement line, its instalment plan with the timetable and the form that sets it,
// the finance director's waiver or cancellation with a reason: If-Match on the version shown, Idempotency-Key
// hidden field). Amounts in the Belgian format. Finance only.

// recoveryRoutes registers the recovery, ledger and export pages (called from routes()).
func (s *Server) recoveryRoutes(handle func(string, http.Handler)) {
	handle("GET /payments/recoveries", s.page(s.recoveriesPage))
	handle("GET /payments/recoveries/{id}", s.page(s.recoveryPage))
	handle("POST /payments/recoveries/{id}/plan", s.page(s.saveRecoveryPlan))
	handle("POST /payments/recoveries/{id}/closure", s.page(s.closeRecovery))
	handle("GET /payments/ledger", s.page(s.ledgerPage))
	handle("GET /payments/ledger/{id}", s.page(s.ledgerPersonPage))
	handle("GET /payments/exports", s.page(s.exportsPage))
	handle("GET /payments/exports/subsidy", s.page(s.exportFile(true)))
	handle("GET /payments/exports/journal", s.page(s.exportFile(false)))
	handle("GET /payments/subsidy/decisions/{id}", s.page(s.subsidyDecisionPage))
	handle("POST /payments/subsidy/decisions/{id}", s.page(s.markSubsidyDecision))
}

func recoveryPagePath(id string) string { return "/payments/recoveries/" + url.PathEscape(id) }

var recoveryStatuses = []string{"open", "settled", "waived", "cancelled", "all"}

var recoveryFilterFields = []formField{{"status", "recoveries.status"}, {"file_number", "payments.file_number"}}

// recoveriesData is the page data of payments_recoveries.html.
type recoveriesData struct {
	Page     ReceivablePage
	Pager    pager
	Statuses []string
}

func (s *Server) recoveriesPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	l := langOf(r)
	q := r.URL.Query()
	values := url.Values{"status": {"open"}}
	if v := q.Get("status"); v != "" {
		values.Set("status", v)
	}
	if v := strings.TrimSpace(q.Get("file_number")); v != "" {
		values.Set("file_number", v)
	}
	f := newForm(recoveryFilterFields, values)
	if !slices.Contains(recoveryStatuses, values.Get("status")) {
		f.Fail("status", translate(l, "payments.invalid"))
	}
	data := recoveriesData{Page: ReceivablePage{Items: []Receivable{}}, Statuses: recoveryStatuses}
	status := http.StatusOK
	if f.HasErrors() {
		status = http.StatusUnprocessableEntity
	} else {
		page := pageParam(r)
		st := values.Get("status")
		if st == "all" {
			st = ""
		}
		res, err := s.payments.Receivables(r.Context(), s.call(r, sess), st, values.Get("file_number"), page, paymentsPageSize)
		var ae *APIError
		switch {
		case err == nil:
			data.Page = res
			data.Pager = newPager("/payments/recoveries", values, page, paymentsPageSize, int(res.TotalCount))
		case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
			f.applyProblem(ae, nil)
			status = ae.Status
		default:
			s.apiFailed(w, r, sess, err)
			return
		}
	}
	v := &view{Lang: l, Session: sess, Form: f, Data: data}
	v.Title = v.T("recoveries.title")
	s.render(w, r, status, "payments_recoveries", v)
}

var recoveryPlanFields = []formField{{"monthly", "recoveries.plan.monthly"}, {"start", "recoveries.plan.start"}}

var recoveryClosureFields = []formField{{"kind", "recoveries.closure.kind"}, {"reason", "recoveries.closure.reason"}}

// recoveryData is the page data of payments_recovery.html.
type recoveryData struct {
	Receivable Receivable
	// PlanForm and ClosureForm are the two forms of the page (one carries the errors of a refused submission).
	PlanForm, ClosureForm *form
	ClosureKey            string
	ClosureKinds          []string
}

func (s *Server) recoveryPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderRecovery(w, r, sess, http.StatusOK, nil, nil)
}

func (s *Server) renderRecovery(w http.ResponseWriter, r *http.Request, sess *Session, status int, plan, closure *form) {
	id := r.PathValue("id")
	if !uuidLike(id) {
		s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
		return
	}
	rc, err := s.payments.Receivable(r.Context(), s.call(r, sess), id)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	if plan == nil {
		values := url.Values{"start": {civil.Today().String()}}
		if rc.Plan != nil {
			values = url.Values{"monthly": {euroText(rc.Plan.MonthlyCents)}, "start": {rc.Plan.Start}}
		}
		plan = newForm(recoveryPlanFields, values)
	}
	if closure == nil {
		closure = newForm(recoveryClosureFields, url.Values{"kind": {"waiver"}})
	}
	data := recoveryData{Receivable: rc, PlanForm: plan, ClosureForm: closure, ClosureKey: newIdempotencyKey(),
		ClosureKinds: []string{"waiver", "cancellation"}}
	// The page's form (error summary) is the one that was refused, if any.
	f := plan
	if closure.HasErrors() {
		f = closure
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: data}
	v.Title = v.T("recoveries.detail.title", "ogm", rc.OGMDisplay)
	s.render(w, r, status, "payments_recovery", v)
}

// recoveryChangeFailed shows a refused plan or closure on the receivable's page.
func (s *Server) recoveryChangeFailed(w http.ResponseWriter, r *http.Request, sess *Session, err error, f *form, isPlan bool) {
	l := langOf(r)
	var ae *APIError
	if !errors.As(err, &ae) {
		s.apiFailed(w, r, sess, err)
		return
	}
	switch ae.Status {
	case http.StatusUnprocessableEntity:
		f.applyProblem(ae, map[string]string{"monthly_cents": "monthly"})
		if !f.HasErrors() {
			f.General = append(f.General, translate(l, "recoveries.error.closed"))
		}
	case http.StatusPreconditionFailed:
		f.General = append(f.General, translate(l, "recoveries.error.conflict"))
	default:
		s.apiFailed(w, r, sess, err)
		return
	}
	if isPlan {
		s.renderRecovery(w, r, sess, ae.Status, f, nil)
	} else {
		s.renderRecovery(w, r, sess, ae.Status, nil, f)
	}
}

func (s *Server) saveRecoveryPlan(w http.ResponseWriter, r *http.Request, sess *Session) {
	l := langOf(r)
	id := r.PathValue("id")
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || !uuidLike(id) {
		s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
		return
	}
	values := url.Values{"monthly": {strings.TrimSpace(r.PostFormValue("monthly"))}, "start": {strings.TrimSpace(r.PostFormValue("start"))}}
	f := newForm(recoveryPlanFields, values)
	monthly, ok := parseEuroCents(values.Get("monthly"))
	if !ok || monthly < 0 {
		f.Fail("monthly", translate(l, "recoveries.amount_invalid"))
	}
	if monthly > 0 {
		if values.Get("start") == "" {
			f.Fail("start", translate(l, "payments.required"))
		} else if _, err := civil.Parse(values.Get("start")); err != nil {
			f.Fail("start", translate(l, "payments.date_invalid"))
		}
	}
	if f.HasErrors() {
		s.renderRecovery(w, r, sess, http.StatusUnprocessableEntity, f, nil)
		return
	}
	if _, err := s.payments.SetReceivablePlan(r.Context(), s.call(r, sess), id, version, monthly, values.Get("start")); err != nil {
		s.recoveryChangeFailed(w, r, sess, err, f, true)
		return
	}
	s.setFlash(w, r, "flash.recovery_plan_saved")
	http.Redirect(w, r, recoveryPagePath(id), http.StatusSeeOther)
}

func (s *Server) closeRecovery(w http.ResponseWriter, r *http.Request, sess *Session) {
	l := langOf(r)
	id := r.PathValue("id")
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || !uuidLike(id) {
		s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
		return
	}
	values := url.Values{"kind": {r.PostFormValue("kind")}, "reason": {strings.TrimSpace(r.PostFormValue("reason"))}}
	f := newForm(recoveryClosureFields, values)
	if !slices.Contains([]string{"waiver", "cancellation"}, values.Get("kind")) {
		f.Fail("kind", translate(l, "payments.invalid"))
	}
	if n := len([]rune(values.Get("reason"))); n < 3 || n > 500 {
		f.Fail("reason", translate(l, "recoveries.closure.reason_invalid"))
	}
	if f.HasErrors() {
		s.renderRecovery(w, r, sess, http.StatusUnprocessableEntity, nil, f)
		return
	}
	if _, err := s.payments.CloseReceivable(r.Context(), s.call(r, sess), r.PostFormValue("idempotency_key"), id, version,
		values.Get("kind"), values.Get("reason")); err != nil {
		s.recoveryChangeFailed(w, r, sess, err, f, false)
		return
	}
	s.setFlash(w, r, "flash.recovery_closed")
	http.Redirect(w, r, recoveryPagePath(id), http.StatusSeeOther)
}

// WithForm is the view with another form, for a page that has two (the plan and the closure of a receivable).
func (v *view) WithForm(f *form) *view {
	c := *v
	c.Form = f
	return &c
}
