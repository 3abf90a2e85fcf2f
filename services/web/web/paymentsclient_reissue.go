package web

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// One payment of the payments service (services/payments: schedule, reissue.go) and the accountant's reissue of a
// returned one.

// PaymentCreditor is a creditor as a run's file named it (or as the accountant corrected it).
type PaymentCreditor struct {
	Name          string `json:"name"`
	IBAN          string `json:"iban"`
	BIC           string `json:"bic"`
	Communication string `json:"communication"`
}

// PaymentAttempt is a run the payment went into.
type PaymentAttempt struct {
	RunID       string           `json:"run_id"`
	EndToEndID  string           `json:"end_to_end_id"`
	At          time.Time        `json:"at"`
	AmountCents int64            `json:"amount_cents"`
	Creditor    *PaymentCreditor `json:"creditor"`
}

// PaymentReturn is a return of the payment by the payee's bank.
type PaymentReturn struct {
	StatementID string `json:"statement_id"`
	RunID       string `json:"run_id"`
	EndToEndID  string `json:"end_to_end_id"`
	Reason      string `json:"reason"`
	AmountCents int64  `json:"amount_cents"`
	ReturnedOn  string `json:"returned_on"`
}

// PaymentReissue is a reissue of the returned payment.
type PaymentReissue struct {
	EndToEndID string           `json:"end_to_end_id"`
	Creditor   *PaymentCreditor `json:"creditor"`
	IBAN       string           `json:"iban"`
	At         time.Time        `json:"at"`
	// ApplyToDecision: the corrected creditor was recorded for the decision's later payments too.
	ApplyToDecision bool `json:"apply_to_decision"`
}

// InstalmentDetail is one payment as finance sees it, with its history.
type InstalmentDetail struct {
	Instalment
	Version      int64            `json:"version"`
	PayeeBIC     string           `json:"payee_bic"`
	Attempts     []PaymentAttempt `json:"attempts"`
	Returns      []PaymentReturn  `json:"returns"`
	Reissues     []PaymentReissue `json:"reissues"`
	ReturnedIBAN string           `json:"returned_iban"`
	ReturnedName string           `json:"returned_name"`
	AccountIBAN  string           `json:"account_iban"`
	AccountName  string           `json:"account_name"`
	Reissuable   bool             `json:"reissuable"`
	Booking      *struct {
		StatementID string `json:"statement_id"`
		BookedOn    string `json:"booked_on"`
	} `json:"booking"`
}

// ReissueInput is the corrected creditor of a third party (empty for a beneficiary: the registry's account).
// Communication nil keeps the payee's structured communication, "" removes it; ApplyToDecision records the
// corrected creditor for the decision's later payments to the same third party too.
type ReissueInput struct {
	Name            string  `json:"name,omitempty"`
	IBAN            string  `json:"iban,omitempty"`
	BIC             string  `json:"bic,omitempty"`
	Communication   *string `json:"communication,omitempty"`
	ApplyToDecision bool    `json:"apply_to_decision,omitempty"`
}

func instalmentPath(id string) string { return "/v1/instalments/" + url.PathEscape(id) }

// InstalmentDetail reads one payment with its history.
func (c *PaymentsClient) InstalmentDetail(ctx context.Context, cl call, id string) (InstalmentDetail, error) {
	var out InstalmentDetail
	_, err := c.do(ctx, cl.withPurpose(paymentPurpose), http.MethodGet, instalmentPath(id), nil, &out)
	return out, err
}

// ReissueInstalment reissues a returned payment read at version (Idempotency-Key of the form).
func (c *PaymentsClient) ReissueInstalment(ctx context.Context, cl call, key, id string, version int64, in ReissueInput) (InstalmentDetail, error) {
	var out InstalmentDetail
	_, err := c.do(ctx, cl.withIdempotencyKey(key).withVersion(version), http.MethodPost, instalmentPath(id)+"/reissue", in, &out)
	return out, err
}
