package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Bank statements and the reconciliation queue of the payments service (services/payments: statement,
// reconcile).

// StatementCounts are the reconciliation's counts of a statement (or of an import).
type StatementCounts struct {
	Lines         int `json:"lines"`
	Booked        int `json:"booked"`
	BookedLines   int `json:"booked_lines"`
	Returned      int `json:"returned"`
	Receivables   int `json:"receivables"`
	Unmatched     int `json:"unmatched"`
	NotBooked     int `json:"not_booked"`
	ManualMatches int `json:"manual_matches"`
}

// StatementBalance is a booked balance of the account.
type StatementBalance struct {
	Cents int64  `json:"cents"`
	Date  string `json:"date"`
}

// BankStatement is an imported statement.
type BankStatement struct {
	ID            string           `json:"id"`
	FormatVersion string           `json:"format_version"`
	StatementID   string           `json:"statement_id"`
	Sequence      int64            `json:"sequence"`
	Account       string           `json:"account"`
	Opening       StatementBalance `json:"opening"`
	Closing       StatementBalance `json:"closing"`
	Format        string           `json:"format"`
	Status        string           `json:"status"`
	FileName      string           `json:"file_name"`
	Lines         int              `json:"lines"`
	CreditsCents  int64            `json:"credits_cents"`
	DebitsCents   int64            `json:"debits_cents"`
	ImportedAt    time.Time        `json:"imported_at"`
	Counts        StatementCounts  `json:"counts"`
}

// StatementImport is the report of an import.
type StatementImport struct {
	Format     string `json:"format"`
	Version    string `json:"version"`
	FileName   string `json:"file_name"`
	Bytes      int64  `json:"bytes"`
	Statements []struct {
		ID          string          `json:"id"`
		StatementID string          `json:"statement_id"`
		Account     string          `json:"account"`
		Sequence    int64           `json:"sequence"`
		Lines       int             `json:"lines"`
		Status      string          `json:"status"`
		Counts      StatementCounts `json:"counts"`
	} `json:"statements"`
	Totals          StatementCounts `json:"totals"`
	AlreadyImported bool            `json:"already_imported"`
}

// StatementTx is a transaction of a statement line.
type StatementTx struct {
	EndToEndID   string `json:"end_to_end_id"`
	AmountCents  int64  `json:"amount_cents"`
	Name         string `json:"name"`
	IBAN         string `json:"iban"`
	Remittance   string `json:"remittance"`
	OGM          string `json:"ogm"`
	ReturnReason string `json:"return_reason"`
}

// StatementLine is a line of a statement.
type StatementLine struct {
	Index        int           `json:"index"`
	SourceLine   int           `json:"source_line"`
	AmountCents  int64         `json:"amount_cents"`
	Credit       bool          `json:"credit"`
	BookingDate  string        `json:"booking_date"`
	BankRef      string        `json:"bank_reference"`
	Transactions []StatementTx `json:"transactions"`
	Info         string        `json:"info"`
	Batch        *struct {
		PmtInfID string `json:"pmt_inf_id"`
		Count    int    `json:"count"`
	} `json:"batch"`
}

// Party is the line's other party (first transaction), if the bank named one.
func (l StatementLine) Party() StatementTx {
	if len(l.Transactions) > 0 {
		return l.Transactions[0]
	}
	return StatementTx{}
}

// QueueSuggestion is a payment that may be a queued line's.
type QueueSuggestion struct {
	InstalmentID string   `json:"instalment_id"`
	Status       string   `json:"status"`
	AmountCents  int64    `json:"amount_cents"`
	DueOn        string   `json:"due_on"`
	EndToEndID   string   `json:"end_to_end_id"`
	PayeeName    string   `json:"payee_name"`
	PayeeIBAN    string   `json:"payee_iban"`
	SentOn       string   `json:"sent_on"`
	Why          []string `json:"why"`
}

// QueueItem is a statement line waiting for the accountant.
type QueueItem struct {
	ID          string        `json:"id"`
	Version     int64         `json:"version"`
	StatementID string        `json:"statement_id"`
	LineID      string        `json:"line_id"`
	Account     string        `json:"account"`
	Reason      string        `json:"reason"`
	Status      string        `json:"status"`
	Line        StatementLine `json:"line"`
	Match       *struct {
		Kind         string    `json:"kind"`
		InstalmentID string    `json:"instalment_id"`
		ReceivableID string    `json:"receivable_id"`
		Note         string    `json:"note"`
		Repair       bool      `json:"repair"` // completed by the system after a match interrupted between its two writes
		At           time.Time `json:"at"`
	} `json:"match"`
	// BookedOnReceivable: an open credit line already booked on a receivable (a match interrupted by a crash, until
	// the service's repair completes it): the only match the line takes.
	BookedOnReceivable *struct {
		ReceivableID string `json:"receivable_id"`
		OGM          string `json:"ogm"`
	} `json:"booked_on_receivable"`
	Suggestions []QueueSuggestion `json:"suggestions"`
	// ReceivableSuggestions: for an open credit line, the open receivables it may pay.
	ReceivableSuggestions []ReceivableSuggestion `json:"receivable_suggestions"`
}

// ReceivableSuggestion is an open receivable a queued credit may pay.
type ReceivableSuggestion struct {
	ReceivableID string   `json:"receivable_id"`
	OGM          string   `json:"ogm"`
	PersonName   string   `json:"person_name"`
	FileNumber   string   `json:"file_number"`
	Source       string   `json:"source"`
	AmountCents  int64    `json:"amount_cents"`
	BalanceCents int64    `json:"balance_cents"`
	Why          []string `json:"why"`
}

// QueuePage is a page of the queue.
type QueuePage struct {
	Items      []QueueItem `json:"items"`
	TotalCount int         `json:"total_count"`
}

// QueueMatch is the accountant's match of a line.
type QueueMatch struct {
	Kind         string `json:"kind"`
	InstalmentID string `json:"instalment_id,omitempty"`
	ReceivableID string `json:"receivable_id,omitempty"`
	// ReceivableOGM names the receivable by its structured communication instead.
	ReceivableOGM string `json:"receivable_ogm,omitempty"`
	Note          string `json:"note,omitempty"`
}

// UploadStatement streams a statement file to the service (the raw body; format "" lets the service read the
// first bytes) and returns the import report. A file larger than the limit fails while it streams.
func (c *PaymentsClient) UploadStatement(ctx context.Context, cl call, idempotencyKey, name, format string, content io.Reader) (StatementImport, error) {
	q := url.Values{}
	if format != "" {
		q.Set("format", format)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/statements?"+q.Encode(), content)
	if err != nil {
		return StatementImport{}, err
	}
	cl.withIdempotencyKey(idempotencyKey).apply(req)
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("Content-Type", "application/octet-stream")
	if name != "" {
		req.Header.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	}
	res, err := c.stream.Do(req)
	if err != nil {
		var tl *tooLargeError
		if errors.As(err, &tl) {
			return StatementImport{}, tl
		}
		return StatementImport{}, fmt.Errorf("%w: statement upload: %v", ErrPaymentsUnavailable, errWithoutURL(err))
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return StatementImport{}, fmt.Errorf("%w: read answer: %v", ErrPaymentsUnavailable, err)
	}
	switch {
	case res.StatusCode >= 500:
		return StatementImport{}, fmt.Errorf("%w: statement upload answered %d", ErrPaymentsUnavailable, res.StatusCode)
	case res.StatusCode >= 400:
		return StatementImport{}, decodeProblem(res, raw)
	}
	var out StatementImport
	if err := json.Unmarshal(raw, &out); err != nil {
		return StatementImport{}, fmt.Errorf("%w: statement report: %v", ErrPaymentsUnavailable, err)
	}
	return out, nil
}

// Statements lists a page of the imported statements, newest first.
func (c *PaymentsClient) Statements(ctx context.Context, cl call, page, size int) ([]BankStatement, error) {
	var out struct {
		Items []BankStatement `json:"items"`
	}
	q := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(size)}}
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/statements?"+q.Encode(), nil, &out)
	return out.Items, err
}

// Statement reads an imported statement.
func (c *PaymentsClient) Statement(ctx context.Context, cl call, id string) (BankStatement, error) {
	var out BankStatement
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/statements/"+url.PathEscape(id), nil, &out)
	return out, err
}

// ReconciliationQueue reads a page of the queue (status open or matched).
func (c *PaymentsClient) ReconciliationQueue(ctx context.Context, cl call, status string, page, size int) (QueuePage, error) {
	var out QueuePage
	q := url.Values{"status": {status}, "page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(size)}}
	_, err := c.do(ctx, cl.withPurpose(paymentPurpose), http.MethodGet, "/v1/reconciliation-queue?"+q.Encode(), nil, &out)
	return out, err
}

// ReconciliationItem reads a queued line with its suggestions.
func (c *PaymentsClient) ReconciliationItem(ctx context.Context, cl call, id string) (QueueItem, error) {
	var out QueueItem
	_, err := c.do(ctx, cl.withPurpose(paymentPurpose), http.MethodGet, "/v1/reconciliation-queue/"+url.PathEscape(id), nil, &out)
	return out, err
}

// MatchQueueItem records the accountant's match of a line read at version.
func (c *PaymentsClient) MatchQueueItem(ctx context.Context, cl call, id string, version int64, in QueueMatch) (QueueItem, error) {
	var out QueueItem
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPost, "/v1/reconciliation-queue/"+url.PathEscape(id)+"/match", in, &out)
	return out, err
}
