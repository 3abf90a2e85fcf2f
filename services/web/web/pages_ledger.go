package web

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/entraide/entraide/libs/civil"
)

// Ledgers (the payments service's ledger): the CPAS's totals over a range of months (due, paid, returned,
// receivables, recovered, waived; by budget article and by month) and the beneficiaries with their totals
// (searchable by name or file number, paginated); a beneficiary's ledger lists every line with links to the
// decision, the run and its file line (EndToEndId), the statement line and the receivable. Finance only.

var ledgerFilterFields = []formField{{"q", "ledger.search"}, {"from", "ledger.from"}, {"to", "ledger.to"}}

var monthPattern = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)

// ledgerData is the page data of payments_ledger.html.
type ledgerData struct {
	Tenant TenantLedger
	Page   LedgerPage
	Pager  pager
}

func (s *Server) ledgerPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	l := langOf(r)
	q := r.URL.Query()
	month := civil.Today().String()[:7]
	values := url.Values{"from": {month}, "to": {month}}
	for _, k := range []string{"q", "from", "to"} {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			values.Set(k, v)
		}
	}
	f := newForm(ledgerFilterFields, values)
	for _, k := range []string{"from", "to"} {
		if !monthPattern.MatchString(values.Get(k)) {
			f.Fail(k, translate(l, "ledger.month_invalid"))
		}
	}
	if len(values.Get("q")) > 100 {
		f.Fail("q", translate(l, "payments.invalid"))
	}
	data := ledgerData{Page: LedgerPage{Items: []LedgerRow{}}}
	status := http.StatusOK
	if f.HasErrors() {
		status = http.StatusUnprocessableEntity
	} else {
		cl := s.call(r, sess)
		tl, err := s.payments.LedgerTenant(r.Context(), cl, values.Get("from"), values.Get("to"))
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity {
			f.applyProblem(ae, nil)
			status = ae.Status
		} else if err != nil {
			s.apiFailed(w, r, sess, err)
			return
		} else {
			data.Tenant = tl
			page := pageParam(r)
			res, err := s.payments.LedgerBeneficiaries(r.Context(), cl, values.Get("q"), page, paymentsPageSize)
			if err != nil {
				s.apiFailed(w, r, sess, err)
				return
			}
			data.Page = res
			data.Pager = newPager("/payments/ledger", values, page, paymentsPageSize, res.TotalCount)
		}
	}
	v := &view{Lang: l, Session: sess, Form: f, Data: data}
	v.Title = v.T("ledger.title")
	s.render(w, r, status, "payments_ledger", v)
}

func (s *Server) ledgerPersonPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	id := r.PathValue("id")
	if !uuidLike(id) {
		s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
		return
	}
	led, err := s.payments.LedgerBeneficiary(r.Context(), s.call(r, sess), id)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	v := &view{Lang: langOf(r), Session: sess, Form: newForm(nil, nil), Data: led}
	v.Title = v.T("ledger.person.title", "name", led.Name)
	s.render(w, r, http.StatusOK, "payments_ledger_person", v)
}
