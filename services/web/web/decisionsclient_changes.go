package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// The decisions taken after the adoption (revision, suspension, withdrawal, termination, recovery): each is a
// decision of its own with its letter (HTML and PDF, in the beneficiary's language) and its notification.

// DecisionChangeNotice is how and when a change was notified, and its appeal window.
type DecisionChangeNotice struct {
	Method     string `json:"method"`
	Reference  string `json:"reference"`
	Date       string `json:"date"`
	AppealDue  string `json:"appeal_due"`
	AppealOpen bool   `json:"appeal_open"`
}

// DecisionChange is a change as the decision lists it.
type DecisionChange struct {
	Change    string                `json:"change"`
	ID        string                `json:"id"`
	DecidedOn string                `json:"decided_on"`
	Notice    *DecisionChangeNotice `json:"notification"`
}

func decisionChangePath(id, change string) string {
	return decisionPath(id) + "/changes/" + url.PathEscape(change)
}

// NotifyDecisionChange records the notification of a change under an Idempotency-Key, on the decision's version.
func (c *DecisionsClient) NotifyDecisionChange(ctx context.Context, cl call, key, id, change string, version int64, in any) (Decision, error) {
	var out Decision
	_, err := c.do(ctx, cl.withVersion(version).withIdempotencyKey(key), http.MethodPost, decisionChangePath(id, change)+"/notification", in, &out)
	return out, err
}

// DecisionChangeLetter reads a change's letter: the HTML page (pdf false) or the PDF. The caller closes the body.
func (c *DecisionsClient) DecisionChangeLetter(ctx context.Context, cl call, purpose, id, change string, pdf bool) (*http.Response, error) {
	p := decisionChangePath(id, change) + "/letter"
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
		return nil, fmt.Errorf("%w: change letter: %v", ErrDecisionsUnavailable, errWithoutURL(err))
	}
	if res.StatusCode >= 400 {
		defer res.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if res.StatusCode >= 500 {
			return nil, fmt.Errorf("%w: change letter answered %d", ErrDecisionsUnavailable, res.StatusCode)
		}
		return nil, decodeProblem(res, raw)
	}
	return res, nil
}
