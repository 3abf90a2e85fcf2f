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

// The decisions service's social inquiries, proposals, RIS calculator and RIS amounts table (packages inquiry,
// proposal and ristable), as the inquiry and proposal pages use them.

// InquiryCondition is one condition the inquiry checks; Met is nil while not checked.
type InquiryCondition struct {
	Code string `json:"code"`
	Met  *bool  `json:"met"`
	Note string `json:"note,omitempty"`
}

// InquiryMember is a household member of the inquiry.
type InquiryMember struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Relation   string `json:"relation"`
	BirthDate  string `json:"birth_date,omitempty"`
	Counted    bool   `json:"counted"`
	Counting   string `json:"counting,omitempty"`
	Motivation string `json:"motivation,omitempty"`
}

// RISResource is one resource line (amount in cents).
type RISResource struct {
	Kind   string `json:"kind"`
	Period string `json:"period"`
	Amount int64  `json:"amount"`
	Whose  string `json:"whose"`
}

// RISMember is a household member the RIS calculation counts.
type RISMember struct {
	ID         string `json:"id"`
	Label      string `json:"label,omitempty"`
	Relation   string `json:"relation"`
	Counting   string `json:"counting"`
	Motivation string `json:"motivation,omitempty"`
}

// InquiryReport is what the social worker writes.
type InquiryReport struct {
	Identity struct {
		Checked  bool   `json:"checked"`
		Document string `json:"document,omitempty"`
		Note     string `json:"note,omitempty"`
	} `json:"identity"`
	Residence struct {
		Address     string `json:"address,omitempty"`
		HomeVisitOn string `json:"home_visit_on,omitempty"`
		Findings    string `json:"findings,omitempty"`
	} `json:"residence"`
	Household  []InquiryMember    `json:"household"`
	Resources  []RISResource      `json:"resources"`
	Needs      string             `json:"needs,omitempty"`
	Conditions []InquiryCondition `json:"conditions"`
	Conclusion string             `json:"conclusion,omitempty"`
	Hearing    InquiryHearing     `json:"hearing"`
}

// InquiryHearing is how the applicant is offered to be heard.
type InquiryHearing struct {
	AppointmentOn string `json:"appointment_on,omitempty"`
	Time          string `json:"time,omitempty"`
	Place         string `json:"place,omitempty"`
	AskBy         string `json:"ask_by,omitempty"`
}

// Inquiry is a request's social inquiry as read (Version 0: not written yet).
type Inquiry struct {
	InquiryReport
	RequestID string    `json:"request_id"`
	Kind      string    `json:"kind"`
	Complete  bool      `json:"complete"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// WorkingLine is one line of a RIS calculation's working, in French and Dutch.
type WorkingLine struct {
	Code   string `json:"code"`
	FR     string `json:"fr"`
	NL     string `json:"nl"`
	Amount int64  `json:"amount"`
}

// Text is the line in the page's language (Dutch for nl, French otherwise).
func (l WorkingLine) Text(lang string) string {
	if lang == "nl" {
		return l.NL
	}
	return l.FR
}

// RISCalculation is the service's RIS calculation.
type RISCalculation struct {
	Category         int           `json:"category"`
	From             string        `json:"from"`
	Yearly           int64         `json:"yearly"`
	Monthly          int64         `json:"monthly"`
	FirstMonth       int64         `json:"first_month"`
	FirstMonthDays   int           `json:"first_month_days"`
	DaysInFirstMonth int           `json:"days_in_first_month"`
	Working          []WorkingLine `json:"working"`
}

// RISCalculationInput is what the calculator computes.
type RISCalculationInput struct {
	Category          int           `json:"category"`
	From              string        `json:"from"`
	Resources         []RISResource `json:"resources"`
	Members           []RISMember   `json:"members"`
	SocioProfessional bool          `json:"socio_professional"`
}

// ProposalPayee is to whom the aid is paid.
type ProposalPayee struct {
	Kind string `json:"kind,omitempty"`
	Name string `json:"name,omitempty"`
	IBAN string `json:"iban,omitempty"`
	// Communication is a third party's structured communication (the service answers its 12 digits).
	Communication string `json:"communication,omitempty"`
}

// ProposalInput is a proposal as typed.
type ProposalInput struct {
	Outcome               string        `json:"outcome"`
	LegalBasis            string        `json:"legal_basis"`
	Category              int           `json:"category,omitempty"`
	CategoryJustification string        `json:"category_justification,omitempty"`
	Resources             []RISResource `json:"resources"`
	Members               []RISMember   `json:"members"`
	SocioProfessional     bool          `json:"socio_professional"`
	MonthlyCents          int64         `json:"monthly_cents"`
	OneOffCents           int64         `json:"one_off_cents"`
	Periodicity           string        `json:"periodicity,omitempty"`
	Start                 string        `json:"start"`
	End                   string        `json:"end,omitempty"`
	Review                string        `json:"review,omitempty"`
	PIIS                  bool          `json:"piis"`
	Payee                 ProposalPayee `json:"payee"`
	Motivation            string        `json:"motivation"`
}

// Proposal is a proposal of decision as read.
type Proposal struct {
	ProposalInput
	ID              string             `json:"id"`
	RequestID       string             `json:"request_id"`
	RequestNumber   string             `json:"request_number"`
	PersonID        string             `json:"person_id"`
	PersonName      string             `json:"person_name"`
	FileID          string             `json:"file_id"`
	FileNumber      string             `json:"file_number"`
	Kind            string             `json:"kind"`
	Subtype         string             `json:"subtype"`
	ReceivedOn      string             `json:"received_on"`
	Status          string             `json:"status"`
	Calculation     *RISCalculation    `json:"calculation"`
	FirstMonthCents int64              `json:"first_month_cents"`
	Conditions      []InquiryCondition `json:"conditions"`
	SocialWorker    string             `json:"social_worker"`
	SubmittedAt     time.Time          `json:"submitted_at"`
	ValidatedAt     time.Time          `json:"validated_at"`
	ValidatedBy     string             `json:"validated_by"`
	ReturnReason    string             `json:"return_reason"`
	Version         int64              `json:"version"`
}

// ProposalPage is a page of proposals.
type ProposalPage struct {
	Items    []Proposal `json:"items"`
	Page     int        `json:"page"`
	PageSize int        `json:"page_size"`
	HasMore  bool       `json:"has_more"`
}

// RISAmountRow is a row of the RIS amounts table.
type RISAmountRow struct {
	Category  int    `json:"category"`
	ValidFrom string `json:"valid_from"`
	Yearly    int64  `json:"yearly"`
	Monthly   int64  `json:"monthly,omitempty"`
}

// RISExemptionRow is a row of the socio-professional exemption table.
type RISExemptionRow struct {
	ValidFrom string `json:"valid_from"`
	Monthly   int64  `json:"monthly"`
}

// RISAmounts is the tenant's RIS tables.
type RISAmounts struct {
	Amounts    []RISAmountRow    `json:"amounts"`
	Exemptions []RISExemptionRow `json:"exemptions"`
	Version    int64             `json:"version,omitempty"`
}

// Inquiry reads a request's social inquiry.
func (c *DecisionsClient) Inquiry(ctx context.Context, cl call, purpose, requestID string) (Inquiry, error) {
	var out Inquiry
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, requestPath(requestID)+"/inquiry", nil, &out)
	return out, err
}

// PutInquiry writes a request's social inquiry read at version (0: creates it).
func (c *DecisionsClient) PutInquiry(ctx context.Context, cl call, requestID string, version int64, in InquiryReport) (Inquiry, error) {
	var out Inquiry
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPut, requestPath(requestID)+"/inquiry", in, &out)
	return out, err
}

// HearingLetter reads a request's right-to-be-heard letter: the HTML page (pdf false) or the PDF. The caller
// closes the body.
func (c *DecisionsClient) HearingLetter(ctx context.Context, cl call, purpose, requestID string, pdf bool) (*http.Response, error) {
	p := requestPath(requestID) + "/hearing-letter"
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
		return nil, fmt.Errorf("%w: hearing letter: %v", ErrDecisionsUnavailable, errWithoutURL(err))
	}
	if res.StatusCode >= 400 {
		defer res.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if res.StatusCode >= 500 {
			return nil, fmt.Errorf("%w: hearing letter answered %d", ErrDecisionsUnavailable, res.StatusCode)
		}
		return nil, decodeProblem(res, raw)
	}
	return res, nil
}

// CalculateRIS computes a RIS with the tenant's tables (nothing stored).
func (c *DecisionsClient) CalculateRIS(ctx context.Context, cl call, in RISCalculationInput) (RISCalculation, error) {
	var out RISCalculation
	_, err := c.do(ctx, cl, http.MethodPost, "/v1/calculations/ris", in, &out)
	return out, err
}

func proposalPath(id string) string { return "/v1/proposals/" + url.PathEscape(id) }

// CreateProposal writes a draft proposal on a request.
func (c *DecisionsClient) CreateProposal(ctx context.Context, cl call, idempotencyKey, requestID string, in ProposalInput) (Proposal, error) {
	var out Proposal
	_, err := c.do(ctx, cl.withIdempotencyKey(idempotencyKey), http.MethodPost, requestPath(requestID)+"/proposals", in, &out)
	return out, err
}

// UpdateProposal changes a draft or returned proposal read at version.
func (c *DecisionsClient) UpdateProposal(ctx context.Context, cl call, id string, version int64, in ProposalInput) (Proposal, error) {
	var out Proposal
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPut, proposalPath(id), in, &out)
	return out, err
}

// ProposalStep posts a step of a proposal read at version: "submission", "validation" or "return" (with the
// reason).
func (c *DecisionsClient) ProposalStep(ctx context.Context, cl call, id, step string, version int64, reason string) (Proposal, error) {
	var out Proposal
	var in any
	if step == "return" {
		in = map[string]string{"reason": reason}
	}
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPost, proposalPath(id)+"/"+step, in, &out)
	return out, err
}

// GetProposal reads one proposal.
func (c *DecisionsClient) GetProposal(ctx context.Context, cl call, purpose, id string) (Proposal, error) {
	var out Proposal
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, proposalPath(id), nil, &out)
	return out, err
}

// ListProposals reads a page of proposals: status, request and search (the beginning of a number) narrow it.
func (c *DecisionsClient) ListProposals(ctx context.Context, cl call, purpose, status, requestID, search string, page, size int) (ProposalPage, error) {
	var out ProposalPage
	q := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(size)}}
	if status != "" {
		q.Set("status", status)
	}
	if requestID != "" {
		q.Set("request_id", requestID)
	}
	if search != "" {
		q.Set("q", search)
	}
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, "/v1/proposals?"+q.Encode(), nil, &out)
	return out, err
}

// RISAmounts reads the tenant's RIS tables.
func (c *DecisionsClient) RISAmounts(ctx context.Context, cl call) (RISAmounts, error) {
	var out RISAmounts
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/ris-amounts", nil, &out)
	return out, err
}

// PutRISAmounts replaces the tenant's RIS tables read at version.
func (c *DecisionsClient) PutRISAmounts(ctx context.Context, cl call, version int64, in RISAmounts) (RISAmounts, error) {
	in.Version = 0
	for i := range in.Amounts {
		in.Amounts[i].Monthly = 0
	}
	var out RISAmounts
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPut, "/v1/ris-amounts", in, &out)
	return out, err
}
