package web

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/entraide/entraide/libs/civil"
)

// Aid requests (the decisions service's register): registered from a social file for its applicant, shown with
// their legal decision deadline and the acknowledgment of receipt (the service's HTML, printable, and its PDF).
// Pages of a request live under the applicant (/persons/{id}/requests/{request}) so that the purpose declared
// for the person applies to every read, like the file's pages.

var requestFields = []formField{
	{Name: "kind", Label: "request.kind"},
	{Name: "subtype", Label: "request.subtype"},
	{Name: "channel", Label: "request.channel"},
	{Name: "received_on", Label: "request.received_on"},
	{Name: "late_reason", Label: "request.late_reason"},
	{Name: "note", Label: "request.note"},
}

// requestFormData is the page data of request_new.html.
type requestFormData struct {
	Person                    Person
	File                      SocialFile
	IdempotencyKey            string
	Kinds, Subtypes, Channels []string
}

func requestPagePath(personID, requestID string) string {
	return "/persons/" + url.PathEscape(personID) + "/requests/" + url.PathEscape(requestID)
}

func (s *Server) newRequestPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	f := newForm(requestFields, url.Values{"received_on": {civil.Today().String()}, "channel": {"in_person"}})
	s.renderRequestForm(w, r, sess, http.StatusOK, f, newIdempotencyKey())
}

// renderRequestForm shows the registration form of a request on the page's file; only an open file takes one.
func (s *Server) renderRequestForm(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form, key string) {
	p, file, err := s.loadFile(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	if file.Status != "open" {
		s.errorPage(w, r, sess, http.StatusConflict, "request.file_closed.title", "request.file_closed.message")
		return
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: requestFormData{Person: p, File: file, IdempotencyKey: key,
		Kinds: requestKinds, Subtypes: requestSubtypes, Channels: requestChannels}}
	v.Title = v.T("request.new.title", "number", file.Number)
	s.render(w, r, status, "request_new", v)
}

// registerRequest enters the request in the register for the file's applicant; a refused form comes back with
// everything typed and each error at its field, in the user's language.
func (s *Server) registerRequest(w http.ResponseWriter, r *http.Request, sess *Session) {
	values := url.Values{}
	for _, fd := range requestFields {
		values.Set(fd.Name, strings.TrimSpace(r.PostFormValue(fd.Name)))
	}
	if values.Get("kind") != "aide_sociale" {
		// The subtype belongs to an aide sociale request only; the select stays in the form for the other kinds.
		values.Del("subtype")
	}
	key := r.PostFormValue("idempotency_key")
	f := newForm(requestFields, values)
	_, file, err := s.loadFile(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	in := RequestInput{PersonID: file.PersonID, FileID: file.ID, Kind: values.Get("kind"), Subtype: values.Get("subtype"),
		Channel: values.Get("channel"), ReceivedOn: values.Get("received_on"), LateReason: values.Get("late_reason"),
		Note: values.Get("note")}
	req, err := s.decisions.RegisterRequest(r.Context(), s.call(r, sess), key, in)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.request_registered")
		http.Redirect(w, r, requestPagePath(file.PersonID, req.ID), http.StatusSeeOther)
	case errors.As(err, &ae) && (ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusConflict):
		f.applyProblem(ae, nil)
		if ae.Detail != "" && len(ae.Fields) == 0 {
			f.General = append(f.General[:0], ae.Detail)
		}
		// The service keeps the refused request under its key: the corrected form is a new request, with a new key.
		s.renderRequestForm(w, r, sess, ae.Status, f, newIdempotencyKey())
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// requestData is the page data of request.html.
type requestData struct {
	Person  Person
	Request AidRequest
	Names   staffNames
	// Decisions are the request's decisions (pages_decisions.go), newest first.
	Decisions []Decision
	// Purpose, Purposes and Return serve the purpose form (the "purpose" partial).
	Purpose  string
	Purposes []string
	Return   string
	// Proposals are the request's proposals of decision (pages_proposals.go).
	Proposals []Proposal
}

// loadRequest reads the page's person and request; a request of another applicant is not found (the page's
// person decides the purpose of the read).
func (s *Server) loadRequest(r *http.Request, sess *Session) (Person, AidRequest, error) {
	p, err := s.loadPerson(r, sess)
	if err != nil {
		return Person{}, AidRequest{}, err
	}
	if !uuidLike(r.PathValue("request")) {
		return Person{}, AidRequest{}, &APIError{Status: http.StatusNotFound}
	}
	req, err := s.decisions.GetRequest(r.Context(), s.call(r, sess), sess.Purpose(p.ID), r.PathValue("request"))
	if err != nil {
		return Person{}, AidRequest{}, err
	}
	if req.PersonID != p.ID {
		return Person{}, AidRequest{}, &APIError{Status: http.StatusNotFound}
	}
	return p, req, nil
}

func (s *Server) requestPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	p, req, err := s.loadRequest(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	names, _ := s.staffDirectory(r, sess)
	decisions, _ := s.decisions.ListDecisions(r.Context(), s.call(r, sess), sess.Purpose(p.ID), req.ID, "", 1, 20)
	v := &view{Lang: langOf(r), Session: sess, Data: requestData{Person: p, Request: req, Names: names, Decisions: decisions.Items,
		Purpose: sess.Purpose(p.ID), Purposes: Purposes, Return: requestPagePath(p.ID, req.ID),
		Proposals: s.requestProposals(r, sess, p.ID, req.ID)}}
	v.Title = v.T("request.title", "number", req.Number)
	s.render(w, r, http.StatusOK, "request", v)
}

// acknowledgment serves the request's acknowledgment of receipt: the service's HTML as a page of its own (no
// script; its inline print stylesheet allowed by its hash only) or the PDF as a download.
func (s *Server) acknowledgment(pdf bool) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *Session) {
		p, req, err := s.loadRequest(r, sess)
		if err != nil {
			s.apiFailed(w, r, sess, err)
			return
		}
		res, err := s.decisions.Acknowledgment(r.Context(), s.call(r, sess), sess.Purpose(p.ID), req.ID, pdf)
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusConflict {
			// The CPAS's settings lack what the letter prints (its address): the service says so.
			v := &view{Lang: langOf(r), Session: sess, Data: errorData{Message: ae.Detail}}
			v.Title = v.T("request.ack_unavailable")
			s.render(w, r, http.StatusConflict, "error", v)
			return
		}
		if err != nil {
			s.apiFailed(w, r, sess, err)
			return
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
		if err != nil {
			s.unavailable(w, r, sess, ErrDecisionsUnavailable)
			return
		}
		h := w.Header()
		if pdf {
			h.Set("Content-Type", "application/pdf")
			h.Set("Content-Disposition", `attachment; filename="`+ackFileName(req.Number)+`"`)
			h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		} else {
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Security-Policy", letterCSP(raw))
		}
		if l := res.Header.Get("Content-Language"); l != "" {
			h.Set("Content-Language", l)
		}
		_, _ = w.Write(raw)
	}
}

// ackFileName is the PDF's file name: "accuse-R2026-000123.pdf".
func ackFileName(number string) string {
	return "accuse-" + strings.NewReplacer("/", "-", `"`, "", "\\", "").Replace(number) + ".pdf"
}

var styleBlock = regexp.MustCompile(`(?s)<style[^>]*>(.*?)</style>`)

// letterCSP is the policy of a letter's HTML page: nothing but its own inline stylesheets, each allowed by its
// SHA-256 (no script, no other resource, no form, no framing).
func letterCSP(html []byte) string {
	styles := "'none'"
	var hashes []string
	for _, m := range styleBlock.FindAllSubmatch(html, -1) {
		sum := sha256.Sum256(m[1])
		hashes = append(hashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	if len(hashes) > 0 {
		styles = strings.Join(hashes, " ")
	}
	return "default-src 'none'; style-src " + styles + "; img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
}
