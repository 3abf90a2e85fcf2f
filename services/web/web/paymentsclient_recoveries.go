package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The payments service's recoveries, ledgers and exports (services/payments: receivable, ledger, subsidy), as
// finance reads them. Reads of a beneficiary's debts and payments declare the purpose "payment".

// ReceivablePayment is an incoming transfer booked on a receivable.
type ReceivablePayment struct {
	StatementLineID string `json:"statement_line_id"`
	AmountCents     int64  `json:"amount_cents"`
	BookedOn        string `json:"booked_on"`
	MatchedBy       string `json:"matched_by"`
	DebtorIBAN      string `json:"debtor_iban"`
}

// ReceivablePlan is an instalment plan.
type ReceivablePlan struct {
	MonthlyCents int64  `json:"monthly_cents"`
	Start        string `json:"start"`
}

// ReceivableClosure is a waiver or cancellation.
type ReceivableClosure struct {
	Kind         string    `json:"kind"`
	Reason       string    `json:"reason"`
	BalanceCents int64     `json:"balance_cents"`
	At           time.Time `json:"at"`
}

// Receivable is what a beneficiary owes back.
type Receivable struct {
	ID           string              `json:"id"`
	Version      int64               `json:"version"`
	DecisionID   string              `json:"decision_id"`
	PersonID     string              `json:"person_id"`
	PersonName   string              `json:"person_name"`
	FileNumber   string              `json:"file_number"`
	Kind         string              `json:"kind"`
	Source       string              `json:"source"`
	Case         string              `json:"case"`
	AmountCents  int64               `json:"amount_cents"`
	PaidCents    int64               `json:"paid_cents"`
	BalanceCents int64               `json:"balance_cents"`
	BehindCents  int64               `json:"behind_cents"`
	PeriodFrom   string              `json:"period_from"`
	PeriodTo     string              `json:"period_to"`
	CreatedOn    string              `json:"created_on"`
	OGMDisplay   string              `json:"ogm_display"`
	Status       string              `json:"status"`
	Payments     []ReceivablePayment `json:"payments"`
	Plan         *ReceivablePlan     `json:"plan"`
	Timetable    []struct {
		Month string `json:"month"`
		Cents int64  `json:"cents"`
	} `json:"timetable"`
	Closure *ReceivableClosure `json:"closure"`
}

// ReceivablePage is a page of receivables with the selection's totals.
type ReceivablePage struct {
	Items        []Receivable `json:"items"`
	TotalCount   int64        `json:"total_count"`
	TotalCents   int64        `json:"total_cents"`
	BalanceCents int64        `json:"balance_cents"`
}

// Receivables reads a page of receivables (status "" is all).
func (c *PaymentsClient) Receivables(ctx context.Context, cl call, status, fileNumber string, page, size int) (ReceivablePage, error) {
	q := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(size)}}
	if status != "" {
		q.Set("status", status)
	}
	if fileNumber != "" {
		q.Set("file_number", fileNumber)
	}
	var out ReceivablePage
	_, err := c.do(ctx, cl.withPurpose(paymentPurpose), http.MethodGet, "/v1/receivables?"+q.Encode(), nil, &out)
	return out, err
}

func receivablePath(id string) string { return "/v1/receivables/" + url.PathEscape(id) }

// Receivable reads one receivable with its payments and plan.
func (c *PaymentsClient) Receivable(ctx context.Context, cl call, id string) (Receivable, error) {
	var out Receivable
	_, err := c.do(ctx, cl.withPurpose(paymentPurpose), http.MethodGet, receivablePath(id), nil, &out)
	return out, err
}

// SetReceivablePlan sets (monthly 0: removes) the plan of a receivable read at version.
func (c *PaymentsClient) SetReceivablePlan(ctx context.Context, cl call, id string, version, monthly int64, start string) (Receivable, error) {
	var out Receivable
	body := map[string]any{"monthly_cents": monthly}
	if start != "" {
		body["start"] = start
	}
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPut, receivablePath(id)+"/plan", body, &out)
	return out, err
}

// CloseReceivable waives or cancels a receivable read at version (the finance director).
func (c *PaymentsClient) CloseReceivable(ctx context.Context, cl call, key, id string, version int64, kind, reason string) (Receivable, error) {
	var out Receivable
	_, err := c.do(ctx, cl.withVersion(version).withIdempotencyKey(key), http.MethodPost, receivablePath(id)+"/closure",
		map[string]string{"kind": kind, "reason": reason}, &out)
	return out, err
}

// LedgerTotals are the sums of a ledger.
type LedgerTotals struct {
	DueCents         int64 `json:"due_cents"`
	PaidCents        int64 `json:"paid_cents"`
	ReturnedCents    int64 `json:"returned_cents"`
	ReceivableCents  int64 `json:"receivable_cents"`
	RecoveredCents   int64 `json:"recovered_cents"`
	WaivedCents      int64 `json:"waived_cents"`
	OutstandingCents int64 `json:"outstanding_cents"`
	ToRecoverCents   int64 `json:"to_recover_cents"`
}

// LedgerRow is a beneficiary with their totals.
type LedgerRow struct {
	PersonID    string       `json:"person_id"`
	Name        string       `json:"name"`
	FileNumbers []string     `json:"file_numbers"`
	Totals      LedgerTotals `json:"totals"`
}

// LedgerPage is a page of beneficiaries.
type LedgerPage struct {
	Items      []LedgerRow `json:"items"`
	TotalCount int         `json:"total_count"`
}

// LedgerEntry is a line of a ledger with its references.
type LedgerEntry struct {
	Date            string   `json:"date"`
	Type            string   `json:"type"`
	AmountCents     int64    `json:"amount_cents"`
	Kind            string   `json:"kind"`
	BudgetArticle   string   `json:"budget_article"`
	Periods         []string `json:"periods"`
	DecisionID      string   `json:"decision_id"`
	RunID           string   `json:"run_id"`
	RunNumber       string   `json:"run_number"`
	EndToEndID      string   `json:"end_to_end_id"`
	StatementID     string   `json:"statement_id"`
	StatementLineID string   `json:"statement_line_id"`
	ReceivableID    string   `json:"receivable_id"`
	Status          string   `json:"status"`
	Reason          string   `json:"reason"`
}

// PersonLedger is a beneficiary's ledger.
type PersonLedger struct {
	PersonID    string        `json:"person_id"`
	Name        string        `json:"name"`
	FileNumbers []string      `json:"file_numbers"`
	Totals      LedgerTotals  `json:"totals"`
	Entries     []LedgerEntry `json:"entries"`
}

// KeyedTotals are totals under a budget article or a month.
type KeyedTotals struct {
	Key string `json:"key"`
	LedgerTotals
}

// TenantLedger is the CPAS's totals over months.
type TenantLedger struct {
	From      string        `json:"from"`
	To        string        `json:"to"`
	Totals    LedgerTotals  `json:"totals"`
	ByArticle []KeyedTotals `json:"by_article"`
	ByMonth   []KeyedTotals `json:"by_month"`
}

// LedgerBeneficiaries reads a page of beneficiaries whose name or file number contains q.
func (c *PaymentsClient) LedgerBeneficiaries(ctx context.Context, cl call, q string, page, size int) (LedgerPage, error) {
	v := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(size)}}
	if q != "" {
		v.Set("q", q)
	}
	var out LedgerPage
	_, err := c.do(ctx, cl.withPurpose(paymentPurpose), http.MethodGet, "/v1/ledger/beneficiaries?"+v.Encode(), nil, &out)
	return out, err
}

// LedgerBeneficiary reads a beneficiary's ledger.
func (c *PaymentsClient) LedgerBeneficiary(ctx context.Context, cl call, personID string) (PersonLedger, error) {
	var out PersonLedger
	_, err := c.do(ctx, cl.withPurpose(paymentPurpose), http.MethodGet, "/v1/ledger/beneficiaries/"+url.PathEscape(personID), nil, &out)
	return out, err
}

// LedgerTenant reads the CPAS's totals for the months from–to ("YYYY-MM").
func (c *PaymentsClient) LedgerTenant(ctx context.Context, cl call, from, to string) (TenantLedger, error) {
	var out TenantLedger
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/ledger/tenant?"+url.Values{"from": {from}, "to": {to}}.Encode(), nil, &out)
	return out, err
}

// Export opens an export of the payments service: the subsidy's data set of form for month, or the accounting
// journal (form ""), as CSV or JSON. The caller closes the body.
func (c *PaymentsClient) Export(ctx context.Context, cl call, form, month, format string) (*http.Response, error) {
	q := url.Values{"month": {month}, "format": {format}}
	p := "/v1/accounting/journal?"
	if form != "" {
		q.Set("form", form)
		p = "/v1/subsidy/claims?"
		cl = cl.withPurpose(paymentPurpose)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+p+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	cl.apply(req)
	res, err := c.stream.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: export: %v", ErrPaymentsUnavailable, errWithoutURL(err))
	}
	if res.StatusCode >= 400 {
		defer res.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if res.StatusCode >= 500 {
			return nil, fmt.Errorf("%w: export answered %d", ErrPaymentsUnavailable, res.StatusCode)
		}
		return nil, decodeProblem(res, raw)
	}
	return res, nil
}

// SubsidyChange is a decision event as the subsidy's forms see it.
type SubsidyChange struct {
	Type         string `json:"type"`
	DecidedOn    string `json:"decided_on"`
	From         string `json:"from"`
	To           string `json:"to"`
	MonthlyCents int64  `json:"monthly_cents"`
	Ending       string `json:"ending"`
}

// SubsidyDecision is a decision's federal subsidy: its basis, share and why.
type SubsidyDecision struct {
	ID                     string          `json:"id"`
	Version                int64           `json:"version"`
	PersonID               string          `json:"person_id"`
	Kind                   string          `json:"kind"`
	Outcome                string          `json:"outcome"`
	Category               int             `json:"category"`
	PIIS                   bool            `json:"piis"`
	MonthlyCents           int64           `json:"monthly_cents"`
	Start                  string          `json:"start"`
	End                    string          `json:"end"`
	DecidedOn              string          `json:"decided_on"`
	Changes                []SubsidyChange `json:"changes"`
	HomelessFirstResidence bool            `json:"homeless_first_residence"`
	Band                   int             `json:"band"`
	ForeignersRegister     bool            `json:"foreigners_register"`
	SharePercent           int             `json:"share_percent"`
	ShareReason            string          `json:"share_reason"`
	MonthlyStateCents      int64           `json:"monthly_state_cents"`
}

func subsidyDecisionPath(id string) string { return "/v1/subsidy/decisions/" + url.PathEscape(id) }

// SubsidyDecision reads a decision's subsidy.
func (c *PaymentsClient) SubsidyDecision(ctx context.Context, cl call, id string) (SubsidyDecision, error) {
	var out SubsidyDecision
	_, err := c.do(ctx, cl.withPurpose(paymentPurpose), http.MethodGet, subsidyDecisionPath(id), nil, &out)
	return out, err
}

// MarkSubsidyDecision marks (or unmarks) a decision read at version as a homeless person's first residence.
func (c *PaymentsClient) MarkSubsidyDecision(ctx context.Context, cl call, id string, version int64, homeless bool) (SubsidyDecision, error) {
	var out SubsidyDecision
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPut, subsidyDecisionPath(id), map[string]bool{"homeless_first_residence": homeless}, &out)
	return out, err
}

// FileReceivable is a receivable of a social file as the social service sees it (amounts, status, the
// communication the beneficiary quotes; no account, no payment detail).
type FileReceivable struct {
	ID           string          `json:"id"`
	Source       string          `json:"source"`
	Case         string          `json:"case"`
	AmountCents  int64           `json:"amount_cents"`
	PaidCents    int64           `json:"paid_cents"`
	BalanceCents int64           `json:"balance_cents"`
	Status       string          `json:"status"`
	OGMDisplay   string          `json:"ogm_display"`
	Plan         *ReceivablePlan `json:"plan"`
	CreatedOn    string          `json:"created_on"`
}

// FileReceivables lists a social file's receivables (a social worker only the files assigned to them or their
// team).
func (c *PaymentsClient) FileReceivables(ctx context.Context, cl call, purpose, fileID string) ([]FileReceivable, error) {
	var out struct {
		Items []FileReceivable `json:"items"`
	}
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, "/v1/files/"+url.PathEscape(fileID)+"/receivables", nil, &out)
	return out.Items, err
}

// fileReceivables reads the file's receivables for the file page; nothing when the payments service does not
// answer (the payments section already says it is unavailable) or has no trace of the file.
func (s *Server) fileReceivables(r *http.Request, sess *Session, purpose, fileID string) []FileReceivable {
	if s.payments == nil || s.cfg.PaymentsURL == "" {
		return nil
	}
	items, err := s.payments.FileReceivables(r.Context(), s.call(r, sess), purpose, fileID)
	if err != nil {
		s.log.DebugContext(r.Context(), "file receivables unavailable", "error", err.Error())
		return nil
	}
	return items
}
