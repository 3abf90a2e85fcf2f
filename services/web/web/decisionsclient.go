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

// DecisionsClient calls the decisions service's HTTP API (services/decisions: packages request, board and
// settings) on behalf of the signed-in user, with the user's access token (audience entraide-decisions), in the
// user's language. Every read declares its purpose in X-Purpose, like the registry's reads.
type DecisionsClient struct {
	base string
	http *http.Client
}

// ErrDecisionsUnavailable wraps failures to reach the decisions service or its 5xx answers.
var ErrDecisionsUnavailable = errors.New("decisions service unavailable")

// NewDecisionsClient returns a client of the decisions API at base ("http://127.0.0.1:8083").
func NewDecisionsClient(base string, timeout time.Duration) *DecisionsClient {
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &DecisionsClient{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: timeout, CheckRedirect: noRedirect}}
}

func (c *DecisionsClient) do(ctx context.Context, cl call, method, path string, in, out any) (http.Header, error) {
	return doJSON(ctx, c.http, c.base, ErrDecisionsUnavailable, cl, method, path, in, out)
}

// Request kinds, aide sociale subtypes and channels, as the decisions service knows them.
var (
	requestKinds    = []string{"ris", "eris", "aide_sociale", "amu"}
	requestSubtypes = []string{"rent_guarantee", "energy", "medical_costs", "food", "installation_premium", "other"}
	requestChannels = []string{"in_person", "written", "representative", "ex_officio"}
)

// RequestInput is a request as typed.
type RequestInput struct {
	PersonID   string `json:"person_id"`
	FileID     string `json:"file_id"`
	Kind       string `json:"kind"`
	Subtype    string `json:"subtype,omitempty"`
	Channel    string `json:"channel"`
	ReceivedOn string `json:"received_on"`
	LateReason string `json:"late_reason"`
	Note       string `json:"note"`
}

// Deadline is a legal deadline with its reason sentences in French and Dutch.
type Deadline struct {
	From    string `json:"from"`
	Nominal string `json:"nominal"`
	Due     string `json:"due"`
	FR      string `json:"fr"`
	NL      string `json:"nl"`
}

// Sentence is the deadline's reason in the page's language: Dutch for nl, French otherwise (the service writes
// both national languages of the social service).
func (d Deadline) Sentence(l string) string {
	if l == "nl" {
		return d.NL
	}
	return d.FR
}

// AidRequest is an entry of the register of requests.
type AidRequest struct {
	ID             string    `json:"id"`
	Version        int64     `json:"version"`
	Number         string    `json:"number"`
	PersonID       string    `json:"person_id"`
	FileID         string    `json:"file_id"`
	FileNumber     string    `json:"file_number"`
	Kind           string    `json:"kind"`
	Subtype        string    `json:"subtype"`
	Channel        string    `json:"channel"`
	ReceivedOn     string    `json:"received_on"`
	LateReason     string    `json:"late_reason"`
	Note           string    `json:"note"`
	DecisionDue    string    `json:"decision_due"`
	Status         string    `json:"status"`
	RegisteredAt   time.Time `json:"registered_at"`
	RegisteredBy   string    `json:"registered_by"`
	WithdrawnOn    string    `json:"withdrawn_on"`
	WithdrawReason string    `json:"withdraw_reason"`
	Deadline       Deadline  `json:"deadline"`
}

// RequestPage is a page of the register.
type RequestPage struct {
	Items    []AidRequest `json:"items"`
	Page     int          `json:"page"`
	PageSize int          `json:"page_size"`
}

// DueStatus is where a deadline stands today.
type DueStatus struct {
	State         string `json:"state"`
	DaysRemaining int    `json:"days_remaining"`
	DaysLate      int    `json:"days_late"`
}

// LetterAddress is a postal address as the letters print it.
type LetterAddress struct {
	Street     string `json:"street"`
	PostalCode string `json:"postal_code"`
	City       string `json:"city"`
}

// LabourCourt is the labour court of the CPAS's district (the appeal instance the letters name).
type LabourCourt struct {
	Name     string        `json:"name"`
	Division string        `json:"division,omitempty"`
	Address  LetterAddress `json:"address"`
}

// LegalRules are the legal periods a CPAS may configure.
type LegalRules struct {
	PIISConclusionMonths       int `json:"piis_conclusion_months"`
	PIISEvaluationsPerYear     int `json:"piis_evaluations_per_year"`
	PIISInterviewsPerYear      int `json:"piis_interviews_per_year"`
	ReviewMonths               int `json:"review_months"`
	ConvocationClearDays       int `json:"convocation_clear_days"`
	PIISSuspensionMonths       int `json:"piis_suspension_months"`
	PIISRepeatSuspensionMonths int `json:"piis_repeat_suspension_months"`
}

// CPASSettings are the tenant's settings the decisions service prints and computes with.
type CPASSettings struct {
	CPASName         string        `json:"cpas_name"`
	Address          LetterAddress `json:"address"`
	EnterpriseNumber string        `json:"enterprise_number"`
	ServiceName      string        `json:"service_name"`
	Phone            string        `json:"phone,omitempty"`
	Email            string        `json:"email,omitempty"`
	LabourCourt      LabourCourt   `json:"labour_court"`
	Rules            LegalRules    `json:"rules"`
	Version          int64         `json:"version,omitempty"`
}

func requestPath(id string) string { return "/v1/requests/" + url.PathEscape(id) }

// RegisterRequest enters a request in the register.
func (c *DecisionsClient) RegisterRequest(ctx context.Context, cl call, idempotencyKey string, in RequestInput) (AidRequest, error) {
	var out AidRequest
	_, err := c.do(ctx, cl.withIdempotencyKey(idempotencyKey), http.MethodPost, "/v1/requests", in, &out)
	return out, err
}

// GetRequest reads one request.
func (c *DecisionsClient) GetRequest(ctx context.Context, cl call, purpose, id string) (AidRequest, error) {
	var out AidRequest
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, requestPath(id), nil, &out)
	return out, err
}

// ListRequests reads a page of the register (newest first) of the files the caller may see.
func (c *DecisionsClient) ListRequests(ctx context.Context, cl call, purpose string, page, size int) (RequestPage, error) {
	var out RequestPage
	q := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(size)}}
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, "/v1/requests?"+q.Encode(), nil, &out)
	return out, err
}

// fileRequestsPageSize is how many of a file's requests the file page shows (newest first).
const fileRequestsPageSize = 200

// FileRequests lists the newest requests of one file (the register filtered by file_id); more tells that the file
// has older ones than the page holds.
func (c *DecisionsClient) FileRequests(ctx context.Context, cl call, purpose, fileID string) (items []AidRequest, more bool, err error) {
	var out RequestPage
	q := url.Values{"file_id": {fileID}, "page": {"1"}, "page_size": {strconv.Itoa(fileRequestsPageSize)}}
	if _, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, "/v1/requests?"+q.Encode(), nil, &out); err != nil {
		return nil, false, err
	}
	return out.Items, len(out.Items) == fileRequestsPageSize, nil
}

// Acknowledgment reads a request's acknowledgment of receipt: the HTML page (pdf false) or the PDF. The caller
// closes the body.
func (c *DecisionsClient) Acknowledgment(ctx context.Context, cl call, purpose, id string, pdf bool) (*http.Response, error) {
	p := requestPath(id) + "/acknowledgment"
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
		return nil, fmt.Errorf("%w: acknowledgment: %v", ErrDecisionsUnavailable, errWithoutURL(err))
	}
	if res.StatusCode >= 400 {
		defer res.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if res.StatusCode >= 500 {
			return nil, fmt.Errorf("%w: acknowledgment answered %d", ErrDecisionsUnavailable, res.StatusCode)
		}
		return nil, decodeProblem(res, raw)
	}
	return res, nil
}

// Settings reads the tenant's settings.
func (c *DecisionsClient) Settings(ctx context.Context, cl call) (CPASSettings, error) {
	var out CPASSettings
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/settings", nil, &out)
	return out, err
}

// PutSettings replaces the tenant's settings read at version.
func (c *DecisionsClient) PutSettings(ctx context.Context, cl call, version int64, in CPASSettings) (CPASSettings, error) {
	in.Version = 0
	var out CPASSettings
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPut, "/v1/settings", in, &out)
	return out, err
}

// Ready tells whether the decisions service answers.
func (c *DecisionsClient) Ready(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/readyz", nil)
	if err != nil {
		return err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDecisionsUnavailable, errWithoutURL(err))
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: readyz answered %d", ErrDecisionsUnavailable, res.StatusCode)
	}
	return nil
}
