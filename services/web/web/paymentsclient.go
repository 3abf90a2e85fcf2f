package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// PaymentsClient calls the payments service's HTTP API (services/payments: instalments, runs, their files) on
// behalf of the signed-in user, with the user's access token, in the user's language. Reads of payees' names and
// accounts declare the purpose "payment".
type PaymentsClient struct {
	base   string
	http   *http.Client
	stream *http.Client // the files: no overall time limit (a run of 100,000 payments streams for a while)
}

// ErrPaymentsUnavailable wraps failures to reach the payments service or its 5xx answers.
var ErrPaymentsUnavailable = errors.New("payments service unavailable")

// NewPaymentsClient returns a client of the payments API at base ("http://127.0.0.1:8084").
func NewPaymentsClient(base string, timeout time.Duration) *PaymentsClient {
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &PaymentsClient{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: timeout, CheckRedirect: noRedirect},
		stream: &http.Client{CheckRedirect: noRedirect}}
}

func (c *PaymentsClient) do(ctx context.Context, cl call, method, path string, in, out any) (http.Header, error) {
	return doJSON(ctx, c.http, c.base, ErrPaymentsUnavailable, cl, method, path, in, out)
}

// paymentPurpose is the purpose finance declares.
const paymentPurpose = "payment"

// PaymentPart is an instalment's share for one period ("2026-03", or "once").
type PaymentPart struct {
	Period string `json:"period"`
	Cents  int64  `json:"cents"`
}

// Instalment is a payment the CPAS owes, as finance sees it.
type Instalment struct {
	ID            string        `json:"id"`
	DecisionID    string        `json:"decision_id"`
	FileID        string        `json:"file_id"`
	FileNumber    string        `json:"file_number"`
	Kind          string        `json:"kind"`
	BudgetArticle string        `json:"budget_article"`
	Label         string        `json:"label"`
	Periods       []PaymentPart `json:"periods"`
	AmountCents   int64         `json:"amount_cents"`
	DueOn         string        `json:"due_on"`
	Status        string        `json:"status"`
	PayeeKind     string        `json:"payee_kind"`
	PayeeName     string        `json:"payee_name"`
	PayeeIBAN     string        `json:"payee_iban"`
	Communication string        `json:"communication"`
	Reference     string        `json:"reference"`
	RunID         string        `json:"run_id"`
	EndToEndID    string        `json:"end_to_end_id"`
	HoldReason    string        `json:"hold_reason"`
}

// PeriodText is the instalment's period(s): "2026-03", "2026-01 – 2026-03", or "" for a one-off aid.
func (i Instalment) PeriodText() string {
	if len(i.Periods) == 0 || i.Periods[0].Period == "once" {
		return ""
	}
	if len(i.Periods) == 1 {
		return i.Periods[0].Period
	}
	return i.Periods[0].Period + " – " + i.Periods[len(i.Periods)-1].Period
}

// InstalmentPage is a page of instalments with the selection's totals.
type InstalmentPage struct {
	Items      []Instalment `json:"items"`
	Page       int          `json:"page"`
	PageSize   int          `json:"page_size"`
	TotalCount int64        `json:"total_count"`
	TotalCents int64        `json:"total_cents"`
}

// InstalmentFilter narrows the due list.
type InstalmentFilter struct {
	Status        string // "" or scheduled: the due list; returned: waiting for a reissue
	Kind          string
	BudgetArticle string
	DueBy         string
	FileNumber    string
}

// PaymentTotal is a count and sum under a key.
type PaymentTotal struct {
	Key        string `json:"key"`
	Count      int    `json:"count"`
	TotalCents int64  `json:"total_cents"`
}

// HeldPayment is a payment held back at export.
type HeldPayment struct {
	InstalmentID string `json:"instalment_id"`
	EndToEndID   string `json:"end_to_end_id"`
	AmountCents  int64  `json:"amount_cents"`
	Reason       string `json:"reason"`
}

// RunExport is the plan of a run's file.
type RunExport struct {
	PainVersion string        `json:"pain_version"`
	Count       int           `json:"count"`
	TotalCents  int64         `json:"total_cents"`
	Held        []HeldPayment `json:"held"`
	SHA256      string        `json:"sha256"`
	ExportedAt  time.Time     `json:"exported_at"`
}

// PaymentRun is a payment run.
type PaymentRun struct {
	ID            string         `json:"id"`
	Version       int64          `json:"version"`
	Number        string         `json:"number"`
	ExecutionDate string         `json:"execution_date"`
	Kinds         []string       `json:"kinds"`
	Articles      []string       `json:"budget_articles"`
	Status        string         `json:"status"`
	CreatedBy     string         `json:"created_by"`
	CreatedAt     time.Time      `json:"created_at"`
	ApprovedBy    string         `json:"approved_by"`
	ApprovedAt    time.Time      `json:"approved_at"`
	Count         int            `json:"count"`
	TotalCents    int64          `json:"total_cents"`
	ByKind        []PaymentTotal `json:"by_kind"`
	ByArticle     []PaymentTotal `json:"by_article"`
	Skipped       int            `json:"skipped"`
	MsgID         string         `json:"msg_id"`
	PmtInfID      string         `json:"pmt_inf_id"`
	Export        *RunExport     `json:"export"`
}

// RunInput is a run to build.
type RunInput struct {
	ExecutionDate string   `json:"execution_date"`
	Kinds         []string `json:"kinds,omitempty"`
	Articles      []string `json:"budget_articles,omitempty"`
}

// RunPaymentsPage is a page of a run's payments.
type RunPaymentsPage struct {
	Items      []Instalment `json:"items"`
	Page       int          `json:"page"`
	PageSize   int          `json:"page_size"`
	TotalCount int64        `json:"total_count"`
}

func runPath(id string) string { return "/v1/runs/" + url.PathEscape(id) }

// Instalments reads a page of the due list (status scheduled) under the filter.
func (c *PaymentsClient) Instalments(ctx context.Context, cl call, f InstalmentFilter, page, size int) (InstalmentPage, error) {
	q := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(size)}}
	for k, v := range map[string]string{"status": f.Status, "kind": f.Kind, "budget_article": f.BudgetArticle, "due_by": f.DueBy, "file_number": f.FileNumber} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out InstalmentPage
	_, err := c.do(ctx, cl.withPurpose(paymentPurpose), http.MethodGet, "/v1/instalments?"+q.Encode(), nil, &out)
	return out, err
}

// Runs reads a page of runs, newest first.
func (c *PaymentsClient) Runs(ctx context.Context, cl call, page, size int) ([]PaymentRun, error) {
	var out struct {
		Items []PaymentRun `json:"items"`
	}
	q := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(size)}}
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/runs?"+q.Encode(), nil, &out)
	return out.Items, err
}

// CreateRun builds a run.
func (c *PaymentsClient) CreateRun(ctx context.Context, cl call, key string, in RunInput) (PaymentRun, error) {
	var out PaymentRun
	_, err := c.do(ctx, cl.withIdempotencyKey(key), http.MethodPost, "/v1/runs", in, &out)
	return out, err
}

// Run reads a run.
func (c *PaymentsClient) Run(ctx context.Context, cl call, id string) (PaymentRun, error) {
	var out PaymentRun
	_, err := c.do(ctx, cl, http.MethodGet, runPath(id), nil, &out)
	return out, err
}

// RunPayments reads a page of a run's payments.
func (c *PaymentsClient) RunPayments(ctx context.Context, cl call, id string, page, size int) (RunPaymentsPage, error) {
	var out RunPaymentsPage
	q := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(size)}}
	_, err := c.do(ctx, cl.withPurpose(paymentPurpose), http.MethodGet, runPath(id)+"/payments?"+q.Encode(), nil, &out)
	return out, err
}

// ApproveRun approves a run read at version.
func (c *PaymentsClient) ApproveRun(ctx context.Context, cl call, key, id string, version int64) (PaymentRun, error) {
	var out PaymentRun
	_, err := c.do(ctx, cl.withIdempotencyKey(key).withVersion(version), http.MethodPost, runPath(id)+"/approval", nil, &out)
	return out, err
}

// CancelRun cancels a draft read at version.
func (c *PaymentsClient) CancelRun(ctx context.Context, cl call, id string, version int64) (PaymentRun, error) {
	var out PaymentRun
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPost, runPath(id)+"/cancellation", nil, &out)
	return out, err
}

// RunFile opens the pain.001 file of a run: the export (export true, with its Idempotency-Key) or the download
// of an exported run's file again. The caller closes the body.
func (c *PaymentsClient) RunFile(ctx context.Context, cl call, key, id string, export bool) (*http.Response, error) {
	method, p := http.MethodGet, runPath(id)+"/file"
	if export {
		method, p = http.MethodPost, runPath(id)+"/export"
		cl = cl.withIdempotencyKey(key)
	} else {
		cl = cl.withPurpose(paymentPurpose)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+p, nil)
	if err != nil {
		return nil, err
	}
	cl.apply(req)
	res, err := c.stream.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: run file: %v", ErrPaymentsUnavailable, errWithoutURL(err))
	}
	if res.StatusCode >= 400 {
		defer res.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if res.StatusCode >= 500 {
			return nil, fmt.Errorf("%w: run file answered %d", ErrPaymentsUnavailable, res.StatusCode)
		}
		return nil, decodeProblem(res, raw)
	}
	return res, nil
}
