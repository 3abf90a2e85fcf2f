package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/entraide/entraide/libs/civil"
)

// Proposals of decision (decisions service, package proposal): the social worker writes one from the request's
// inquiry with the RIS calculator inside the form (resources, counted household members, socio-professional
// exemption; "Calculate" asks the service and shows the working line by line, and puts the monthly amount the
// proposal must carry), saves it as a draft or submits it to the head; the head lists the proposals to validate
// and validates each or returns it with a reason. A refused form comes back with everything typed and each error
// at its field.

var (
	proposalOutcomes      = []string{"granted", "partially_granted", "refused"}
	risCategories         = []string{"1", "2", "3"}
	proposalPeriodicities = []string{"monthly", "once"}
	payeeKinds            = []string{"beneficiary", "third_party"}
	memberRelations       = []string{"partner", "ascendant", "descendant"}
)

// proposalFormData is the page data of proposal_form.html.
type proposalFormData struct {
	Person                                                                                Person
	Request                                                                               AidRequest
	ProposalID                                                                            string
	IdempotencyKey                                                                        string
	Version                                                                               int64
	Action                                                                                string
	IsRIS                                                                                 bool
	Resources                                                                             []int
	Members                                                                               []int
	Whose                                                                                 []option
	Calculation                                                                           *RISCalculation
	Outcomes, Categories, Periodicities, PayeeKinds, Kinds, Periods, Relations, Countings []string
}

func proposalPagePath(personID, proposalID string) string {
	return "/persons/" + url.PathEscape(personID) + "/proposals/" + url.PathEscape(proposalID)
}

// proposalFields lists the form's fields (rows by index).
func proposalFields(resources, members int) []formField {
	out := []formField{{"outcome", "proposal.outcome"}, {"legal_basis", "proposal.legal_basis"}, {"category", "proposal.category"},
		{"category_justification", "proposal.category_justification"}, {"socio_professional", "proposal.socio_professional"}}
	for i := range resources {
		for _, n := range []string{"kind", "period", "amount", "whose"} {
			out = append(out, formField{fmt.Sprintf("resources_%d_%s", i, n), "ris.resource." + n})
		}
	}
	for i := range members {
		for _, n := range []string{"id", "label", "relation", "counted", "counting", "motivation"} {
			out = append(out, formField{fmt.Sprintf("members_%d_%s", i, n), "proposal.member." + n})
		}
	}
	return append(out, formField{"monthly_cents", "proposal.monthly"}, formField{"one_off_cents", "proposal.one_off"},
		formField{"periodicity", "proposal.periodicity"}, formField{"start", "proposal.start"}, formField{"end", "proposal.end"},
		formField{"review", "proposal.review"}, formField{"piis", "proposal.piis"}, formField{"payee_kind", "proposal.payee_kind"},
		formField{"payee_name", "proposal.payee_name"}, formField{"payee_iban", "proposal.payee_iban"},
		formField{"payee_communication", "proposal.payee_communication"},
		formField{"motivation", "proposal.motivation"}, formField{"inquiry", "proposal.inquiry"})
}

func isRIS(kind string) bool { return kind == "ris" || kind == "eris" }

// proposalValues are the form's values of a proposal (or of a new one from the inquiry).
func proposalValues(p ProposalInput) url.Values {
	v := url.Values{}
	v.Set("outcome", p.Outcome)
	v.Set("legal_basis", p.LegalBasis)
	if p.Category != 0 {
		v.Set("category", strconv.Itoa(p.Category))
	}
	v.Set("category_justification", p.CategoryJustification)
	if p.SocioProfessional {
		v.Set("socio_professional", "on")
	}
	setResources(v, p.Resources)
	for i, m := range p.Members {
		pfx := fmt.Sprintf("members_%d_", i)
		v.Set(pfx+"id", m.ID)
		v.Set(pfx+"label", m.Label)
		v.Set(pfx+"relation", m.Relation)
		v.Set(pfx+"counted", "on")
		v.Set(pfx+"counting", m.Counting)
		v.Set(pfx+"motivation", m.Motivation)
	}
	if p.MonthlyCents != 0 {
		v.Set("monthly_cents", euroText(p.MonthlyCents))
	}
	if p.OneOffCents != 0 {
		v.Set("one_off_cents", euroText(p.OneOffCents))
	}
	v.Set("periodicity", p.Periodicity)
	v.Set("start", p.Start)
	v.Set("end", p.End)
	v.Set("review", p.Review)
	if p.PIIS {
		v.Set("piis", "on")
	}
	v.Set("payee_kind", p.Payee.Kind)
	v.Set("payee_name", p.Payee.Name)
	v.Set("payee_iban", p.Payee.IBAN)
	v.Set("payee_communication", ogmText(p.Payee.Communication))
	v.Set("motivation", p.Motivation)
	return v
}

// newProposalInput starts a proposal from the request's inquiry: its resources and counted members, the start on
// the date the request was received, a review a year later, the legal basis of the kind.
func newProposalInput(req AidRequest, q Inquiry, l string) ProposalInput {
	in := ProposalInput{Outcome: "granted", Start: req.ReceivedOn, Resources: q.Resources, PIIS: isRIS(req.Kind),
		Payee: ProposalPayee{Kind: "beneficiary"}}
	if d, err := civil.Parse(req.ReceivedOn); err == nil {
		in.Review = d.AddYears(1).String()
	}
	if isRIS(req.Kind) {
		in.Periodicity = "monthly"
	}
	in.LegalBasis = translate(l, "proposal.legal_basis."+req.Kind)
	for _, m := range q.Household {
		if m.Counted {
			label := m.Name
			if f := strings.Fields(label); len(f) > 0 {
				label = f[0]
			}
			in.Members = append(in.Members, RISMember{ID: m.ID, Label: label, Relation: m.Relation, Counting: m.Counting, Motivation: m.Motivation})
		}
	}
	return in
}

// readProposal reads the typed proposal; bad amounts fail their fields; rename maps the service's row indexes.
func readProposal(v url.Values, resources, members int, f *form, l string, rename map[string]string) ProposalInput {
	in := ProposalInput{Outcome: v.Get("outcome"), LegalBasis: v.Get("legal_basis"), CategoryJustification: v.Get("category_justification"),
		SocioProfessional: v.Get("socio_professional") != "", Periodicity: v.Get("periodicity"), Start: v.Get("start"),
		End: v.Get("end"), Review: v.Get("review"), PIIS: v.Get("piis") != "", Motivation: v.Get("motivation"),
		Payee: ProposalPayee{Kind: v.Get("payee_kind"), Name: v.Get("payee_name"), IBAN: v.Get("payee_iban"),
			Communication: v.Get("payee_communication")}}
	if c := v.Get("category"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil {
			f.Fail("category", translate(l, "proposal.category_invalid"))
		}
		in.Category = n
	}
	for _, n := range []string{"monthly_cents", "one_off_cents"} {
		c, ok := parseEuroCents(v.Get(n))
		if !ok {
			f.Fail(n, translate(l, "proposal.amount_invalid"))
		}
		if n == "monthly_cents" {
			in.MonthlyCents = c
		} else {
			in.OneOffCents = c
		}
	}
	in.Resources = readResources(v, resources, f, l, rename)
	in.Members = []RISMember{}
	for i := range members {
		pfx := fmt.Sprintf("members_%d_", i)
		if v.Get(pfx+"counted") == "" || v.Get(pfx+"id") == "" {
			continue
		}
		for _, n := range []string{"id", "label", "relation", "counting", "motivation"} {
			rename[fmt.Sprintf("members_%d_%s", len(in.Members), n)] = pfx + n
		}
		in.Members = append(in.Members, RISMember{ID: v.Get(pfx + "id"), Label: v.Get(pfx + "label"), Relation: v.Get(pfx + "relation"),
			Counting: v.Get(pfx + "counting"), Motivation: v.Get(pfx + "motivation")})
	}
	return in
}

func (s *Server) newProposalPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	p, req, err := s.loadRequest(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	q, err := s.decisions.Inquiry(r.Context(), s.call(r, sess), sess.Purpose(p.ID), req.ID)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	in := newProposalInput(req, q, langOf(r))
	f := newForm(proposalFields(len(in.Resources)+inquiryBlankRows, len(in.Members)), proposalValues(in))
	if q.Version == 0 {
		f.Fail("inquiry", translate(langOf(r), "proposal.inquiry_first"))
	}
	d := proposalFormData{Person: p, Request: req, IdempotencyKey: newIdempotencyKey(), Action: requestPagePath(p.ID, req.ID) + "/proposals/new"}
	s.renderProposalForm(w, r, sess, http.StatusOK, d, f, len(in.Resources)+inquiryBlankRows, len(in.Members))
}

func (s *Server) renderProposalForm(w http.ResponseWriter, r *http.Request, sess *Session, status int, d proposalFormData, f *form, resources, members int) {
	l := langOf(r)
	d.IsRIS = isRIS(d.Request.Kind)
	d.Outcomes, d.Categories, d.Periodicities, d.PayeeKinds = proposalOutcomes, risCategories, proposalPeriodicities, payeeKinds
	d.Kinds, d.Periods, d.Relations, d.Countings = risResourceKinds, risPeriods, memberRelations, risCountings
	d.Resources, d.Members = nil, nil
	for i := range resources {
		d.Resources = append(d.Resources, i)
	}
	for i := range members {
		d.Members = append(d.Members, i)
	}
	d.Whose = []option{{Value: "applicant", Label: translate(l, "ris.whose.applicant")}}
	for _, i := range d.Members {
		pfx := fmt.Sprintf("members_%d_", i)
		label := f.values.Get(pfx + "label")
		if label == "" {
			label = translate(l, "inquiry_relation."+f.values.Get(pfx+"relation"))
		}
		d.Whose = append(d.Whose, option{Value: f.values.Get(pfx + "id"), Label: label})
	}
	v := &view{Lang: l, Session: sess, Form: f, Data: d}
	v.Title = v.T("proposal.new.title", "number", d.Request.Number)
	if d.ProposalID != "" {
		v.Title = v.T("proposal.edit.title", "number", d.Request.Number)
	}
	s.render(w, r, status, "proposal_form", v)
}

// handleProposalForm runs the button pressed on a proposal form: calculate (the service's calculation shown,
// nothing stored), save (create or update) or submit (save, then submit to the head).
func (s *Server) handleProposalForm(w http.ResponseWriter, r *http.Request, sess *Session, d proposalFormData) {
	l := langOf(r)
	resources, members := rowCount(r, "resource_rows"), rowCount(r, "member_rows")
	f := newForm(proposalFields(resources, members), nil)
	f.values = postedValues(r, f.fields)
	rename := map[string]string{"monthly": "monthly_cents"}
	in := readProposal(f.values, resources, members, f, l, rename)
	rename["from"] = "start"
	if f.HasErrors() {
		s.renderProposalForm(w, r, sess, http.StatusUnprocessableEntity, d, f, resources, members)
		return
	}
	cl := s.call(r, sess)
	var ae *APIError
	if r.PostFormValue("action") == "calculate" {
		calc, err := s.decisions.CalculateRIS(r.Context(), cl, RISCalculationInput{Category: in.Category, From: in.Start,
			Resources: in.Resources, Members: in.Members, SocioProfessional: in.SocioProfessional})
		switch {
		case err == nil:
			d.Calculation = &calc
			f.values.Set("monthly_cents", euroText(calc.Monthly))
			s.renderProposalForm(w, r, sess, http.StatusOK, d, f, resources, members)
		case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
			applyFieldErrors(f, ae, rename)
			s.renderProposalForm(w, r, sess, ae.Status, d, f, resources, members)
		default:
			s.apiFailed(w, r, sess, err)
		}
		return
	}
	var saved Proposal
	var err error
	if d.ProposalID == "" {
		saved, err = s.decisions.CreateProposal(r.Context(), cl, r.PostFormValue("idempotency_key"), d.Request.ID, in)
	} else {
		saved, err = s.decisions.UpdateProposal(r.Context(), cl, d.ProposalID, d.Version, in)
	}
	switch {
	case err == nil:
	case errors.As(err, &ae) && (ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusConflict || ae.Status == http.StatusPreconditionFailed):
		applyFieldErrors(f, ae, rename)
		if ae.Status == http.StatusPreconditionFailed {
			f.General = append(f.General[:0], translate(l, "proposal.conflict"))
		}
		// The service keeps a refused creation under its key: the corrected form is a new creation, with a new key.
		d.IdempotencyKey = newIdempotencyKey()
		s.renderProposalForm(w, r, sess, ae.Status, d, f, resources, members)
		return
	default:
		s.apiFailed(w, r, sess, err)
		return
	}
	flash := "flash.proposal_saved"
	if r.PostFormValue("action") == "submit" {
		_, err := s.decisions.ProposalStep(r.Context(), cl, saved.ID, "submission", saved.Version, "")
		switch {
		case err == nil:
			flash = "flash.proposal_submitted"
		case errors.As(err, &ae) && ae.Status < 500:
			// Saved but not submitted (the inquiry is not complete): the proposal page says why.
			flash = "flash.proposal_saved_not_submitted"
		default:
			s.apiFailed(w, r, sess, err)
			return
		}
	}
	s.setFlash(w, r, flash)
	http.Redirect(w, r, proposalPagePath(d.Person.ID, saved.ID), http.StatusSeeOther)
}

func (s *Server) postNewProposal(w http.ResponseWriter, r *http.Request, sess *Session) {
	p, req, err := s.loadRequest(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	d := proposalFormData{Person: p, Request: req, IdempotencyKey: r.PostFormValue("idempotency_key"),
		Action: requestPagePath(p.ID, req.ID) + "/proposals/new"}
	if d.IdempotencyKey == "" {
		d.IdempotencyKey = newIdempotencyKey()
	}
	s.handleProposalForm(w, r, sess, d)
}

// loadProposal reads the page's person and proposal; a proposal of another applicant is not found.
func (s *Server) loadProposal(r *http.Request, sess *Session) (Person, Proposal, error) {
	p, err := s.loadPerson(r, sess)
	if err != nil {
		return Person{}, Proposal{}, err
	}
	if !uuidLike(r.PathValue("proposal")) {
		return Person{}, Proposal{}, &APIError{Status: http.StatusNotFound}
	}
	pr, err := s.decisions.GetProposal(r.Context(), s.call(r, sess), sess.Purpose(p.ID), r.PathValue("proposal"))
	if err != nil {
		return Person{}, Proposal{}, err
	}
	if pr.PersonID != p.ID {
		return Person{}, Proposal{}, &APIError{Status: http.StatusNotFound}
	}
	return p, pr, nil
}

func (s *Server) editProposalPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	p, pr, err := s.loadProposal(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	req, err := s.decisions.GetRequest(r.Context(), s.call(r, sess), sess.Purpose(p.ID), pr.RequestID)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	f := newForm(proposalFields(len(pr.Resources)+inquiryBlankRows, len(pr.Members)), proposalValues(pr.ProposalInput))
	d := proposalFormData{Person: p, Request: req, ProposalID: pr.ID, Version: pr.Version, Calculation: pr.Calculation,
		Action: proposalPagePath(p.ID, pr.ID) + "/edit"}
	s.renderProposalForm(w, r, sess, http.StatusOK, d, f, len(pr.Resources)+inquiryBlankRows, len(pr.Members))
}

func (s *Server) postEditProposal(w http.ResponseWriter, r *http.Request, sess *Session) {
	p, pr, err := s.loadProposal(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	req, err := s.decisions.GetRequest(r.Context(), s.call(r, sess), sess.Purpose(p.ID), pr.RequestID)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if version < 1 {
		version = pr.Version
	}
	d := proposalFormData{Person: p, Request: req, ProposalID: pr.ID, Version: version, Action: proposalPagePath(p.ID, pr.ID) + "/edit"}
	s.handleProposalForm(w, r, sess, d)
}

// proposalData is the page data of proposal.html.
type proposalData struct {
	Person   Person
	Proposal Proposal
	Names    staffNames
	Purpose  string
	Purposes []string
	Return   string
	Editable bool
}

func (s *Server) proposalPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	p, pr, err := s.loadProposal(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	s.renderProposal(w, r, sess, http.StatusOK, p, pr, nil)
}

func (s *Server) renderProposal(w http.ResponseWriter, r *http.Request, sess *Session, status int, p Person, pr Proposal, f *form) {
	names, _ := s.staffDirectory(r, sess)
	if f == nil {
		f = newForm([]formField{{"reason", "proposal.return_reason"}}, nil)
	}
	d := proposalData{Person: p, Proposal: pr, Names: names, Purpose: sess.Purpose(p.ID), Purposes: Purposes,
		Return: proposalPagePath(p.ID, pr.ID), Editable: pr.Status == "draft" || pr.Status == "returned"}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: d}
	v.Title = v.T("proposal.title", "number", pr.RequestNumber)
	s.render(w, r, status, "proposal", v)
}

// proposalStep posts a step (submission, validation, return) at the version the page showed.
func (s *Server) proposalStep(step string) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *Session) {
		p, pr, err := s.loadProposal(r, sess)
		if err != nil {
			s.apiFailed(w, r, sess, err)
			return
		}
		l := langOf(r)
		version, verr := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		f := newForm([]formField{{"reason", "proposal.return_reason"}}, url.Values{"reason": {reason}})
		if verr != nil {
			f.General = append(f.General, translate(l, "proposal.conflict"))
			s.renderProposal(w, r, sess, http.StatusConflict, p, pr, f)
			return
		}
		_, err = s.decisions.ProposalStep(r.Context(), s.call(r, sess), pr.ID, step, version, reason)
		var ae *APIError
		switch {
		case err == nil:
			s.setFlash(w, r, map[string]string{"submission": "flash.proposal_submission", "validation": "flash.proposal_validation",
				"return": "flash.proposal_return"}[step])
			if step == "submission" {
				http.Redirect(w, r, proposalPagePath(p.ID, pr.ID), http.StatusSeeOther)
			} else {
				http.Redirect(w, r, "/proposals", http.StatusSeeOther)
			}
		case errors.As(err, &ae) && ae.Status == http.StatusPreconditionFailed:
			f.General = append(f.General, translate(l, "proposal.conflict"))
			s.renderProposal(w, r, sess, http.StatusConflict, p, pr, f)
		case errors.As(err, &ae) && (ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusConflict):
			applyFieldErrors(f, ae, nil)
			s.renderProposal(w, r, sess, ae.Status, p, pr, f)
		default:
			s.apiFailed(w, r, sess, err)
		}
	}
}

// proposalsPageSize is how many proposals the head's list shows a page.
const proposalsPageSize = 25

// proposalsData is the page data of proposals_list.html.
type proposalsData struct {
	Items    []Proposal
	Search   string
	Status   string
	Statuses []string
	Names    staffNames
	Pager    pager
}

// proposalsPage is the head's list of the proposals to validate (status submitted by default), oldest submission
// first, searchable by the beginning of the request's or file's number.
func (s *Server) proposalsPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	q := r.URL.Query()
	search := strings.TrimSpace(q.Get("q"))
	if len(search) > 40 {
		search = search[:40]
	}
	status := q.Get("status")
	statuses := []string{"submitted", "validated", "returned", "draft", "on_agenda", "decided", "rejected_by_committee"}
	if !slices.Contains(statuses, status) {
		status = "submitted"
	}
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	res, err := s.decisions.ListProposals(r.Context(), s.call(r, sess), "decision_preparation", status, "", search, page, proposalsPageSize)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	names, _ := s.staffDirectory(r, sess)
	extra := url.Values{"status": {status}}
	if search != "" {
		extra.Set("q", search)
	}
	pg := pager{Page: page, Pages: page}
	if res.HasMore {
		pg.Pages = page + 1
		pg.Next = "/proposals?" + withPage(extra, page+1)
	}
	if page > 1 {
		pg.Prev = "/proposals?" + withPage(extra, page-1)
	}
	v := &view{Lang: langOf(r), Session: sess, Data: proposalsData{Items: res.Items, Search: search, Status: status,
		Statuses: statuses, Names: names, Pager: pg}}
	v.Title = v.T("proposals.title")
	s.render(w, r, http.StatusOK, "proposals_list", v)
}

func withPage(v url.Values, page int) string {
	c := url.Values{}
	for k, x := range v {
		c[k] = x
	}
	c.Set("page", strconv.Itoa(page))
	return c.Encode()
}

// requestProposals lists the proposals of a request for its page (empty when the service does not answer).
func (s *Server) requestProposals(r *http.Request, sess *Session, personID, requestID string) []Proposal {
	res, err := s.decisions.ListProposals(r.Context(), s.call(r, sess), sess.Purpose(personID), "", requestID, "", 1, 20)
	if err != nil {
		s.log.WarnContext(r.Context(), "proposals of a request unavailable", "error", err.Error())
		return nil
	}
	return res.Items
}
