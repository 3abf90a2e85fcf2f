package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// BeneficiariesClient calls the beneficiaries service's HTTP API (services/beneficiaries: packages person, file
// and document) on behalf of the signed-in user, with the user's access token, in the user's language. Every
// read of personal data declares its purpose in X-Purpose (the service audits it). Names, NISS numbers and
// search terms travel in JSON bodies only, never in a URL.
type BeneficiariesClient struct {
	base string
	http *http.Client
	// stream carries document contents: no overall time limit (a large upload over a slow counter line takes
	// its time), but the service must start answering within the header timeout.
	stream *http.Client
}

// ErrBeneficiariesUnavailable wraps failures to reach the beneficiaries service or its 5xx answers.
var ErrBeneficiariesUnavailable = errors.New("beneficiaries service unavailable")

// NewBeneficiariesClient returns a client of the beneficiaries API at base ("http://127.0.0.1:8082").
func NewBeneficiariesClient(base string, timeout time.Duration) *BeneficiariesClient {
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 2 * timeout
	return &BeneficiariesClient{base: strings.TrimRight(base, "/"),
		http:   &http.Client{Timeout: timeout, CheckRedirect: noRedirect},
		stream: &http.Client{Transport: tr, CheckRedirect: noRedirect}}
}

// Purposes are the declared purposes of a consultation, as the beneficiaries service knows them; the first is
// the default.
var Purposes = []string{"case_follow_up", "social_inquiry", "decision_preparation", "payment", "data_subject_request", "audit_review"}

func validPurpose(p string) bool {
	for _, x := range Purposes {
		if x == p {
			return true
		}
	}
	return false
}

// withPurpose adds the X-Purpose header of a read.
func (cl call) withPurpose(purpose string) call {
	h := http.Header{}
	for k, v := range cl.header {
		h[k] = v
	}
	h.Set("X-Purpose", purpose)
	cl.header = h
	return cl
}

// withVersion adds the If-Match header of an update.
func (cl call) withVersion(version int64) call {
	h := http.Header{}
	for k, v := range cl.header {
		h[k] = v
	}
	h.Set("If-Match", strconv.Quote(strconv.FormatInt(version, 10)))
	cl.header = h
	return cl
}

// withIdempotencyKey adds the Idempotency-Key header of a creation.
func (cl call) withIdempotencyKey(key string) call {
	if key == "" {
		return cl
	}
	h := http.Header{}
	for k, v := range cl.header {
		h[k] = v
	}
	h.Set("Idempotency-Key", key)
	cl.header = h
	return cl
}

func (c *BeneficiariesClient) do(ctx context.Context, cl call, method, path string, in, out any) (http.Header, error) {
	return doJSON(ctx, c.http, c.base, ErrBeneficiariesUnavailable, cl, method, path, in, out)
}

// Address is a Belgian postal address.
type Address struct {
	Street       string `json:"street"`
	Number       string `json:"number"`
	Box          string `json:"box,omitempty"`
	Postcode     int    `json:"postcode"`
	Municipality string `json:"municipality"`
}

// AddressInput is an address as typed (the service validates the postcode).
type AddressInput struct {
	Street       string `json:"street"`
	Number       string `json:"number"`
	Box          string `json:"box"`
	Postcode     string `json:"postcode"`
	Municipality string `json:"municipality"`
}

// PersonInput is a registration as typed.
type PersonInput struct {
	NISS            string        `json:"niss"`
	FamilyName      string        `json:"family_name"`
	GivenNames      string        `json:"given_names"`
	BirthDate       string        `json:"birth_date"`
	Sex             string        `json:"sex"`
	Nationality     string        `json:"nationality"`
	ResidenceStatus string        `json:"residence_status"`
	Address         *AddressInput `json:"address,omitempty"`
	Phone           string        `json:"phone"`
	Email           string        `json:"email"`
	Language        string        `json:"language"`
	DuplicateReason string        `json:"duplicate_reason,omitempty"`
}

// BankAccount is an account of a person.
type BankAccount struct {
	ID            string    `json:"id"`
	IBAN          string    `json:"iban"`
	IBANFormatted string    `json:"iban_formatted"`
	Holder        string    `json:"holder"`
	Active        bool      `json:"active"`
	AddedAt       time.Time `json:"added_at"`
	ActivatedAt   time.Time `json:"activated_at"`
	DeactivatedAt time.Time `json:"deactivated_at"`
}

// HouseholdMember is someone living with the person.
type HouseholdMember struct {
	PersonID  string `json:"person_id"`
	Relation  string `json:"relation"`
	Dependent bool   `json:"dependent"`
	Married   bool   `json:"married"`
	ValidFrom string `json:"valid_from"`
	Until     string `json:"until,omitempty"`
}

// FileLink is a social file where the person is managed.
type FileLink struct {
	FileID string `json:"file_id"`
	Number string `json:"number"`
	Open   bool   `json:"open"`
}

// Person is a person as a social worker sees it.
type Person struct {
	ID              string            `json:"id"`
	Version         int64             `json:"version"`
	NISS            string            `json:"niss"`
	NISSFormatted   string            `json:"niss_formatted"`
	BIS             bool              `json:"bis"`
	FamilyName      string            `json:"family_name"`
	GivenNames      string            `json:"given_names"`
	BirthDate       string            `json:"birth_date"`
	Sex             string            `json:"sex"`
	Nationality     string            `json:"nationality"`
	ResidenceStatus string            `json:"residence_status"`
	Address         *Address          `json:"address"`
	Phone           string            `json:"phone"`
	Email           string            `json:"email"`
	Language        string            `json:"language"`
	DuplicateReason string            `json:"duplicate_reason"`
	BankAccounts    []BankAccount     `json:"bank_accounts"`
	Household       []HouseholdMember `json:"household"`
	Files           []FileLink        `json:"files"`
	RegisteredAt    time.Time         `json:"registered_at"`
}

// Name is "FAMILY Given".
func (p Person) Name() string { return strings.TrimSpace(p.FamilyName + " " + p.GivenNames) }

// OpenFile is the person's open file, if any.
func (p Person) OpenFile() (FileLink, bool) {
	for _, f := range p.Files {
		if f.Open {
			return f, true
		}
	}
	return FileLink{}, false
}

// CategoryProposal is the RIS category the household proposes, with its one-line explanation (FR and NL).
type CategoryProposal struct {
	Date          string            `json:"date"`
	Category      int               `json:"category"`
	Name          map[string]string `json:"name"`
	Explanation   map[string]string `json:"explanation"`
	Members       int               `json:"members"`
	MinorChildren int               `json:"dependent_minor_children"`
}

// SearchHit is one line of a person search.
type SearchHit struct {
	ID            string   `json:"id"`
	NISSFormatted string   `json:"niss_formatted"`
	FamilyName    string   `json:"family_name"`
	GivenNames    string   `json:"given_names"`
	BirthDate     string   `json:"birth_date"`
	FileNumbers   []string `json:"file_numbers"`
}

// SearchPage is a page of a person search; the service tells whether more follow rather than a total.
type SearchPage struct {
	Items    []SearchHit `json:"items"`
	Page     int         `json:"page"`
	PageSize int         `json:"page_size"`
	HasMore  bool        `json:"has_more"`
}

// SocialFile is a social file (dossier).
type SocialFile struct {
	ID            string         `json:"id"`
	Version       int64          `json:"version"`
	Number        string         `json:"number"`
	Status        string         `json:"status"`
	Origin        string         `json:"origin"`
	PersonID      string         `json:"person_id"`
	OpenedOn      string         `json:"opened_on"`
	OpenedBy      string         `json:"opened_by"`
	Assignee      string         `json:"assignee"`
	TeamID        string         `json:"team_id"`
	Registrations []Registration `json:"registrations"`
	Closure       *Closure       `json:"closure"`
	// LegalHold is set while the file's documents are kept past their retention.
	LegalHold    *LegalHold        `json:"legal_hold"`
	LegalHoldLog []LegalHoldChange `json:"legal_hold_log"`
}

// LegalHold is why and since when a file's documents are kept whatever their retention.
type LegalHold struct {
	Since  time.Time `json:"since"`
	By     string    `json:"by"`
	Reason string    `json:"reason"`
}

// LegalHoldChange is one setting or lifting of a legal hold.
type LegalHoldChange struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Hold   bool      `json:"hold"`
	Reason string    `json:"reason"`
}

// DueDocument is a document whose retention is over (ids, type, file number, dates: no name, no content).
type DueDocument struct {
	DocumentID string `json:"document_id"`
	FileID     string `json:"file_id"`
	FileNumber string `json:"file_number"`
	Type       string `json:"type"`
	From       string `json:"from"`
	StartOn    string `json:"start_on"`
	DueOn      string `json:"due_on"`
	Removed    bool   `json:"removed"`
	LegalHold  bool   `json:"legal_hold"`
}

// DueList is what retention allows to delete today.
type DueList struct {
	AsOf      string        `json:"as_of"`
	Retention string        `json:"retention"`
	Items     []DueDocument `json:"items"`
}

// PurgeResult is what a purge did.
type PurgeResult struct {
	Purged  []string `json:"purged"`
	Skipped []struct {
		DocumentID string `json:"document_id"`
		Reason     string `json:"reason"`
	} `json:"skipped"`
	Absent []string `json:"absent"`
}

// Registration is a person managed on a file under a quality code.
type Registration struct {
	PersonID string `json:"person_id"`
	Quality  string `json:"quality"`
	Start    string `json:"start"`
	End      string `json:"end"`
}

// Closure is how a file was closed.
type Closure struct {
	On     string `json:"on"`
	By     string `json:"by"`
	Reason string `json:"reason"`
	Note   string `json:"note"`
}

// Manages tells whether the person is registered on the file.
func (f SocialFile) Manages(personID string) bool {
	if f.PersonID == personID {
		return true
	}
	for _, r := range f.Registrations {
		if r.PersonID == personID {
			return true
		}
	}
	return false
}

// Note is a journal note.
type Note struct {
	ID              string    `json:"id"`
	Date            string    `json:"date"`
	Text            string    `json:"text"`
	Confidentiality string    `json:"confidentiality"`
	Author          string    `json:"author"`
	CreatedAt       time.Time `json:"created_at"`
}

// Document is a document of a file.
type Document struct {
	ID          string    `json:"id"`
	Version     int64     `json:"version"`
	FileID      string    `json:"file_id"`
	Type        string    `json:"type"`
	Restricted  bool      `json:"restricted"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	Name        string    `json:"name"`
	UploadedBy  string    `json:"uploaded_by"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

// Team is a group of social workers (members are user ids of the identity service).
type Team struct {
	ID      string   `json:"id"`
	Version int64    `json:"version"`
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// Task is a task on a file (e.g. "provide a valid account" after a returned payment).
type Task struct {
	ID      string `json:"id"`
	Version int64  `json:"version"`
	FileID  string `json:"file_id"`
	Kind    string `json:"kind"`
	TitleFR string `json:"title_fr"`
	TitleNL string `json:"title_nl"`
	DueDate string `json:"due_date"`
	Status  string `json:"status"`
}

// CaseloadItem is one open file of the caller's caseload.
type CaseloadItem struct {
	FileID     string `json:"file_id"`
	Number     string `json:"number"`
	PersonID   string `json:"person_id"`
	PersonName string `json:"person_name"`
	Assignee   string `json:"assignee"`
	TeamID     string `json:"team_id"`
	OpenedOn   string `json:"opened_on"`
	LastNoteOn string `json:"last_note_on"`
	Tasks      []Task `json:"tasks"`
}

func personPath(id string) string { return "/v1/persons/" + url.PathEscape(id) }
func filePath(id string) string   { return "/v1/files/" + url.PathEscape(id) }

// RegisterPerson registers a person; idempotencyKey makes a double submission register once.
func (c *BeneficiariesClient) RegisterPerson(ctx context.Context, cl call, idempotencyKey string, in PersonInput) (Person, error) {
	var p Person
	_, err := c.do(ctx, cl.withIdempotencyKey(idempotencyKey), http.MethodPost, "/v1/persons", in, &p)
	return p, err
}

// SearchPersons searches the persons the caller may see by NISS, file number or name prefix.
func (c *BeneficiariesClient) SearchPersons(ctx context.Context, cl call, purpose, query string, page, size int) (SearchPage, error) {
	var out SearchPage
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodPost, "/v1/persons/search",
		map[string]any{"query": query, "page": page, "page_size": size}, &out)
	return out, err
}

// GetPerson reads a person.
func (c *BeneficiariesClient) GetPerson(ctx context.Context, cl call, purpose, id string) (Person, error) {
	var p Person
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, personPath(id), nil, &p)
	return p, err
}

// UpdatePerson replaces the person's identity (the registration's fields) if the person is still at version.
func (c *BeneficiariesClient) UpdatePerson(ctx context.Context, cl call, id string, version int64, in PersonInput) (Person, error) {
	var p Person
	in.DuplicateReason = ""
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPut, personPath(id), in, &p)
	return p, err
}

// RISCategory reads the RIS category the person's household proposes today.
func (c *BeneficiariesClient) RISCategory(ctx context.Context, cl call, purpose, id string) (CategoryProposal, error) {
	var out CategoryProposal
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, personPath(id)+"/ris-category", nil, &out)
	return out, err
}

// AddBankAccount adds (and optionally activates) an account if the person is still at version.
func (c *BeneficiariesClient) AddBankAccount(ctx context.Context, cl call, id string, version int64, iban, holder string, activate bool) (Person, error) {
	var p Person
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPost, personPath(id)+"/bank-accounts",
		map[string]any{"iban": iban, "holder": holder, "activate": activate}, &p)
	return p, err
}

// ActivateBankAccount makes an account the one payments go to.
func (c *BeneficiariesClient) ActivateBankAccount(ctx context.Context, cl call, id string, version int64, account string) (Person, error) {
	var p Person
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPost, personPath(id)+"/bank-accounts/"+url.PathEscape(account)+"/activate", nil, &p)
	return p, err
}

// SetHousehold replaces the household if the person is still at version.
func (c *BeneficiariesClient) SetHousehold(ctx context.Context, cl call, id string, version int64, members []HouseholdMember) (Person, error) {
	var p Person
	if members == nil {
		members = []HouseholdMember{}
	}
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPut, personPath(id)+"/household", map[string]any{"members": members}, &p)
	return p, err
}

// OpenFile opens a social file for the person (assigned to the caller unless the head names someone else).
func (c *BeneficiariesClient) OpenFile(ctx context.Context, cl call, idempotencyKey, personID string) (SocialFile, error) {
	var f SocialFile
	_, err := c.do(ctx, cl.withIdempotencyKey(idempotencyKey), http.MethodPost, "/v1/files", map[string]string{"person_id": personID}, &f)
	return f, err
}

// GetFile reads a file.
func (c *BeneficiariesClient) GetFile(ctx context.Context, cl call, purpose, id string) (SocialFile, error) {
	var f SocialFile
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, filePath(id), nil, &f)
	return f, err
}

// Journal reads the notes of a file the caller may read (restricted notes of others are left out by the service).
func (c *BeneficiariesClient) Journal(ctx context.Context, cl call, purpose, fileID string) ([]Note, error) {
	var out struct {
		Items []Note `json:"items"`
	}
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, filePath(fileID)+"/journal", nil, &out)
	return out.Items, err
}

// AddNote writes a journal note.
func (c *BeneficiariesClient) AddNote(ctx context.Context, cl call, idempotencyKey, fileID, date, text, confidentiality string) error {
	_, err := c.do(ctx, cl.withIdempotencyKey(idempotencyKey), http.MethodPost, filePath(fileID)+"/journal",
		map[string]string{"date": date, "text": text, "confidentiality": confidentiality}, nil)
	return err
}

// CloseFile closes a file with a reason.
func (c *BeneficiariesClient) CloseFile(ctx context.Context, cl call, id string, version int64, reason, note string) error {
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPost, filePath(id)+"/closure", map[string]string{"reason": reason, "note": note}, nil)
	return err
}

// Reassign gives a file to another worker and team (the head).
func (c *BeneficiariesClient) Reassign(ctx context.Context, cl call, id string, version int64, assignee, teamID string) error {
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPost, filePath(id)+"/assignment", map[string]string{"assignee": assignee, "team_id": teamID}, nil)
	return err
}

// Documents lists the documents of a file the caller may see.
func (c *BeneficiariesClient) Documents(ctx context.Context, cl call, purpose, fileID string) ([]Document, error) {
	var out struct {
		Items []Document `json:"items"`
	}
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, filePath(fileID)+"/documents", nil, &out)
	return out.Items, err
}

// GetDocument reads a document's description.
func (c *BeneficiariesClient) GetDocument(ctx context.Context, cl call, purpose, id string) (Document, error) {
	var d Document
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, "/v1/documents/"+url.PathEscape(id), nil, &d)
	return d, err
}

// RemoveDocument hides a document from use (the head), with a reason.
func (c *BeneficiariesClient) RemoveDocument(ctx context.Context, cl call, id string, version int64, reason string) error {
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPost, "/v1/documents/"+url.PathEscape(id)+"/removal", map[string]string{"reason": reason}, nil)
	return err
}

// Upload is a document being uploaded: its type, file name and content, streamed.
type Upload struct {
	Type, Name string
	Content    io.Reader
}

// UploadDocument streams a document to the service as multipart/form-data (fields "type" and "file"): the
// content is never held whole in memory. An error of Content (the web's own size limit) aborts the request,
// so the service stores nothing.
func (c *BeneficiariesClient) UploadDocument(ctx context.Context, cl call, idempotencyKey, fileID string, up Upload) (Document, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := mw.WriteField("type", up.Type)
		if err == nil {
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, up.Name))
			h.Set("Content-Type", "application/octet-stream")
			var part io.Writer
			if part, err = mw.CreatePart(h); err == nil {
				if _, err = io.Copy(part, up.Content); err == nil {
					err = mw.Close()
				}
			}
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+filePath(fileID)+"/documents", pr)
	if err != nil {
		_ = pr.Close()
		return Document{}, err
	}
	cl.withIdempotencyKey(idempotencyKey).apply(req)
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.stream.Do(req)
	_ = pr.Close()
	if err != nil {
		var tl *tooLargeError
		if errors.As(err, &tl) {
			return Document{}, tl
		}
		return Document{}, fmt.Errorf("%w: upload: %v", ErrBeneficiariesUnavailable, errWithoutURL(err))
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return Document{}, fmt.Errorf("%w: read answer: %v", ErrBeneficiariesUnavailable, err)
	}
	switch {
	case res.StatusCode >= 500:
		return Document{}, fmt.Errorf("%w: upload answered %d", ErrBeneficiariesUnavailable, res.StatusCode)
	case res.StatusCode >= 400:
		return Document{}, decodeProblem(res, raw)
	}
	var d Document
	if err := json.Unmarshal(raw, &d); err != nil {
		return Document{}, fmt.Errorf("%w: upload: undecodable answer: %v", ErrBeneficiariesUnavailable, err)
	}
	return d, nil
}

// tooLargeError is the error a size-limited upload content returns past its limit.
type tooLargeError struct{ max int64 }

func (e *tooLargeError) Error() string { return fmt.Sprintf("document larger than %d bytes", e.max) }

// limitedReader reads at most max bytes and fails with *tooLargeError beyond.
type limitedReader struct {
	r    io.Reader
	left int64
	max  int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, &tooLargeError{max: l.max}
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, &tooLargeError{max: l.max}
	}
	return n, err
}

// DownloadDocument opens a document's content; the caller streams it and closes the body.
func (c *BeneficiariesClient) DownloadDocument(ctx context.Context, cl call, purpose, id string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/documents/"+url.PathEscape(id)+"/content", nil)
	if err != nil {
		return nil, err
	}
	cl.withPurpose(purpose).apply(req)
	res, err := c.stream.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: download: %v", ErrBeneficiariesUnavailable, errWithoutURL(err))
	}
	if res.StatusCode >= 400 {
		defer res.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if res.StatusCode >= 500 {
			return nil, fmt.Errorf("%w: download answered %d", ErrBeneficiariesUnavailable, res.StatusCode)
		}
		return nil, decodeProblem(res, raw)
	}
	return res, nil
}

// Caseload returns the caller's open files with their open tasks.
func (c *BeneficiariesClient) Caseload(ctx context.Context, cl call) ([]CaseloadItem, error) {
	var out struct {
		Items []CaseloadItem `json:"items"`
	}
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/caseload", nil, &out)
	return out.Items, err
}

// FileListItem is a file of a listing, with its applicant's name, its last note and its open tasks count.
type FileListItem struct {
	SocialFile
	PersonName string `json:"person_name"`
	LastNoteOn string `json:"last_note_on"`
	OpenTasks  int    `json:"open_tasks"`
}

// FileFilter narrows a listing of files: by status, assigned worker and team (ids only: the query string
// carries no personal data).
type FileFilter struct {
	Status, Assignee, TeamID string
	Page, PageSize           int
}

// FileList is a page of files and whether more follow.
type FileList struct {
	Items   []FileListItem `json:"items"`
	HasMore bool           `json:"has_more"`
}

// ListFiles reads a page of the files the caller sees (every file of the tenant for the head).
func (c *BeneficiariesClient) ListFiles(ctx context.Context, cl call, purpose string, f FileFilter) (FileList, error) {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "assignee": f.Assignee, "team_id": f.TeamID} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Page > 0 {
		q.Set("page", strconv.Itoa(f.Page))
	}
	if f.PageSize > 0 {
		q.Set("page_size", strconv.Itoa(f.PageSize))
	}
	var out FileList
	_, err := c.do(ctx, cl.withPurpose(purpose), http.MethodGet, "/v1/files?"+q.Encode(), nil, &out)
	return out, err
}

// SetLegalHold sets (hold) or lifts a file's legal hold, with a reason.
func (c *BeneficiariesClient) SetLegalHold(ctx context.Context, cl call, fileID string, version int64, hold bool, reason string) error {
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPost, filePath(fileID)+"/legal-hold",
		map[string]any{"hold": hold, "reason": reason}, nil)
	return err
}

// RetentionDue lists the documents whose retention is over (the head).
func (c *BeneficiariesClient) RetentionDue(ctx context.Context, cl call) (DueList, error) {
	var out DueList
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/retention/due", nil, &out)
	return out, err
}

// Purge deletes for good the documents named whose retention is over (the head), with a reason.
func (c *BeneficiariesClient) Purge(ctx context.Context, cl call, ids []string, reason string) (PurgeResult, error) {
	var out PurgeResult
	_, err := c.do(ctx, cl, http.MethodPost, "/v1/retention/purge", map[string]any{"document_ids": ids, "reason": reason}, &out)
	return out, err
}

// CompleteTask marks a task done.
func (c *BeneficiariesClient) CompleteTask(ctx context.Context, cl call, id string, version int64) error {
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPost, "/v1/tasks/"+url.PathEscape(id)+"/done", nil, nil)
	return err
}

// Teams lists the tenant's teams.
func (c *BeneficiariesClient) Teams(ctx context.Context, cl call) ([]Team, error) {
	var out struct {
		Items []Team `json:"items"`
	}
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/teams", nil, &out)
	return out.Items, err
}

// GetTeam reads a team.
func (c *BeneficiariesClient) GetTeam(ctx context.Context, cl call, id string) (Team, error) {
	var t Team
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/teams/"+url.PathEscape(id), nil, &t)
	return t, err
}

// CreateTeam creates a team (the head).
func (c *BeneficiariesClient) CreateTeam(ctx context.Context, cl call, name string, members []string) (Team, error) {
	var t Team
	if members == nil {
		members = []string{}
	}
	_, err := c.do(ctx, cl, http.MethodPost, "/v1/teams", map[string]any{"name": name, "members": members}, &t)
	return t, err
}

// UpdateTeam renames a team and replaces its members if it is still at version.
func (c *BeneficiariesClient) UpdateTeam(ctx context.Context, cl call, id string, version int64, name string, members []string) (Team, error) {
	var t Team
	if members == nil {
		members = []string{}
	}
	_, err := c.do(ctx, cl.withVersion(version), http.MethodPut, "/v1/teams/"+url.PathEscape(id), map[string]any{"name": name, "members": members}, &t)
	return t, err
}

// Ready tells whether the beneficiaries service answers its health check.
func (c *BeneficiariesClient) Ready(ctx context.Context) error {
	_, err := c.do(ctx, call{}, http.MethodGet, "/healthz", nil, nil)
	return err
}
