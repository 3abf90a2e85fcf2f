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

// The decisions service's adopted decisions (package decision): the decision with its terms and what followed,
// its letter (HTML and PDF), the notification and the after-decision operations; finance reads amounts and
// periods only (the service answers the same fields, without the texts).

// DecisionNotification is how and when the decision was notified.
type DecisionNotification struct {
	Method    string `json:"method"`
	Reference string `json:"reference"`
	Date      string `json:"date"`
	AppealDue string `json:"appeal_due"`
}

// DecisionRevision is a new amount from a date and, when it changed who is paid, the new payee.
type DecisionRevision struct {
	From         string         `json:"from"`
	MonthlyCents int64          `json:"monthly_cents"`
	Reason       string         `json:"reason"`
	DecidedOn    string         `json:"decided_on"`
	Payee        *DecisionPayee `json:"payee"`
}

// DecisionSuspension is a sanction over a period.
type DecisionSuspension struct {
	From       string `json:"from"`
	To         string `json:"to"`
	ReasonCode string `json:"reason_code"`
	Repeated   bool   `json:"repeated"`
	Note       string `json:"note"`
}

// DecisionEnding is a withdrawal, a termination or a refused ratification.
type DecisionEnding struct {
	Kind       string `json:"kind"`
	Date       string `json:"date"`
	ReasonCode string `json:"reason_code"`
	Note       string `json:"note"`
}

// DecisionRecovery is a recovery decided (art. 24).
type DecisionRecovery struct {
	Case        string `json:"case"`
	AmountCents int64  `json:"amount_cents"`
	PeriodFrom  string `json:"period_from"`
	PeriodTo    string `json:"period_to"`
	Reason      string `json:"reason"`
}

// DecisionAppeal is an appeal and its judgment.
type DecisionAppeal struct {
	LodgedOn       string `json:"lodged_on"`
	CourtReference string `json:"court_reference"`
	JudgedOn       string `json:"judged_on"`
	Judgment       string `json:"judgment"`
}

// DecisionPIIS is the PIIS follow-up.
type DecisionPIIS struct {
	SignedOn    string   `json:"signed_on"`
	Evaluations []string `json:"evaluations"`
}

// DecisionDue is a clock of the decision (notification, MediPrima, PIIS, review).
type DecisionDue struct {
	Clock    string   `json:"clock"`
	Deadline Deadline `json:"deadline"`
}

// Decision is an adopted decision as the social service (or, with fewer fields, finance) reads it.
type Decision struct {
	ID                    string                `json:"id"`
	Version               int64                 `json:"version"`
	Source                string                `json:"source"`
	RequestID             string                `json:"request_id"`
	RequestNumber         string                `json:"request_number"`
	PersonID              string                `json:"person_id"`
	FileID                string                `json:"file_id"`
	FileNumber            string                `json:"file_number"`
	Kind                  string                `json:"kind"`
	Subtype               string                `json:"subtype"`
	Outcome               string                `json:"outcome"`
	Status                string                `json:"status"`
	LegalBasis            string                `json:"legal_basis"`
	Category              int                   `json:"category"`
	CategoryJustification string                `json:"category_justification"`
	MonthlyCents          int64                 `json:"monthly_cents"`
	FirstMonthCents       int64                 `json:"first_month_cents"`
	OneOffCents           int64                 `json:"one_off_cents"`
	CurrentMonthlyCents   int64                 `json:"current_monthly_cents"`
	Periodicity           string                `json:"periodicity"`
	Start                 string                `json:"start"`
	End                   string                `json:"end"`
	Review                string                `json:"review"`
	PIIS                  bool                  `json:"piis"`
	Payee                 DecisionPayee         `json:"payee"`
	CurrentPayee          DecisionPayee         `json:"current_payee"`
	Motivation            string                `json:"motivation"`
	Amended               bool                  `json:"amended"`
	AmendmentMotivation   string                `json:"amendment_motivation"`
	DecidedOn             string                `json:"decided_on"`
	AdoptedAt             time.Time             `json:"adopted_at"`
	Ratification          string                `json:"ratification"`
	Running               bool                  `json:"running"`
	Notification          *DecisionNotification `json:"notification"`
	Revisions             []DecisionRevision    `json:"revisions"`
	Suspensions           []DecisionSuspension  `json:"suspensions"`
	Ending                *DecisionEnding       `json:"ending"`
	EndedOn               string                `json:"ended_on"`
	Recoveries            []DecisionRecovery    `json:"recoveries"`
	Appeals               []DecisionAppeal      `json:"appeals"`
	PIISFollowUp          *DecisionPIIS         `json:"piis_follow_up"`
	MediPrimaEncoded      string                `json:"mediprima_encoded"`
	ReviewDue             string                `json:"review_due"`
	Dues                  []DecisionDue         `json:"dues"`
	// Changes are the decisions taken after the adoption, each with its notification once recorded.
	Changes []DecisionChange `json:"changes"`
}

// PendingAppeal tells whether the last appeal awaits its judgment.
func (d Decision) PendingAppeal() bool {
	return len(d.Appeals) > 0 && d.Appeals[len(d.Appeals)-1].Judgment == ""
}

// Over tells whether the decision was withdrawn or terminated.
func (d Decision) Over() bool { return d.Status == "withdrawn" || d.Status == "terminated" }

// Grants tells whether the decision grants something.
func (d Decision) Grants() bool { return d.Outcome == "granted" || d.Outcome == "partially_granted" }

// DecisionPage is a page of decisions.
type DecisionPage struct {
	Items    []Decision `json:"items"`
	Page     int        `json:"page"`
	PageSize int        `json:"page_size"`
}

func decisionPath(id string) string { return "/v1/decisions/" + url.PathEscape(id) }

// GetDecision reads one decision.
func (c *DecisionsClient) GetDecision(ctx context.Context, cl call, purpose, id string) (Decision, error) {
	var out Decision
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, decisionPath(id), nil, &out)
	return out, err
}

// ListDecisions reads a page of decisions, narrowed by request or file ("" for none).
func (c *DecisionsClient) ListDecisions(ctx context.Context, cl call, purpose, requestID, fileID string, page, size int) (DecisionPage, error) {
	var out DecisionPage
	q := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(size)}}
	if requestID != "" {
		q.Set("request_id", requestID)
	}
	if fileID != "" {
		q.Set("file_id", fileID)
	}
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, "/v1/decisions?"+q.Encode(), nil, &out)
	return out, err
}

// DecisionAction posts an after-decision operation (path "revisions", "suspensions", "withdrawal",
// "termination", "recoveries", "appeals", "appeals/judgment", "piis", "mediprima") on the version read.
func (c *DecisionsClient) DecisionAction(ctx context.Context, cl call, id, path string, version int64, in any) (Decision, error) {
	var out Decision
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPost, decisionPath(id)+"/"+path, in, &out)
	return out, err
}

// NotifyDecision records the notification under an Idempotency-Key.
func (c *DecisionsClient) NotifyDecision(ctx context.Context, cl call, key, id string, version int64, in any) (Decision, error) {
	var out Decision
	_, err := c.do(ctx, cl.withVersion(version).withIdempotencyKey(key), http.MethodPost, decisionPath(id)+"/notification", in, &out)
	return out, err
}

// DecisionLetter reads the decision letter: the HTML page (pdf false) or the PDF. The caller closes the body.
func (c *DecisionsClient) DecisionLetter(ctx context.Context, cl call, purpose, id string, pdf bool) (*http.Response, error) {
	p := decisionPath(id) + "/letter"
	if pdf {
		p += ".pdf"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+p, nil)
	if err != nil {
		return nil, err
	}
	cl.withPurpose(purpose).apply(req)
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: decision letter: %v", ErrDecisionsUnavailable, errWithoutURL(err))
	}
	if res.StatusCode >= 400 {
		defer res.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if res.StatusCode >= 500 {
			return nil, fmt.Errorf("%w: decision letter answered %d", ErrDecisionsUnavailable, res.StatusCode)
		}
		return nil, decodeProblem(res, raw)
	}
	return res, nil
}
