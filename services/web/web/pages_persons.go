package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/entraide/entraide/libs/niss"
)

// The persons of the registry: search, registration, the person's page (identity, household and the RIS category
// it proposes, bank accounts, social files) and the household editor. Every call goes to the beneficiaries
// service with the worker's own token: the service decides which persons the worker sees.
//
// No personal data in a URL: search terms are posted and kept in the server-side session (like the users page),
// pages are addressed by the person's id (a UUID). The declared purpose of the consultation (X-Purpose) is chosen
// on the person's page, kept in the session per person, and sent with every read of that person's data.

const personsPageSize = 20

// Residence statuses, sexes, relations and languages the registry accepts (services/beneficiaries, package person).
var (
	residenceStatuses = []string{"belgian", "eu", "population_register", "foreigners_register", "refugee", "subsidiary_protection", "irregular_stay"}
	sexes             = []string{"female", "male", "unknown"}
	relations         = []string{"spouse", "legal_cohabitant", "de_facto_partner", "child", "parent", "other"}
	personLanguages   = []string{"fr", "nl", "de", "en"}
)

// personsData is the page data of persons_list.html.
type personsData struct {
	Query string
	Hits  []SearchHit
	Pager pager
}

// searchPager is the pager of a search that knows whether more results follow, not their total.
func searchPager(base string, page int, hasMore bool) pager {
	p := pager{Page: page, Pages: page}
	if hasMore {
		p.Pages = page + 1
	}
	if page > 1 {
		p.Prev = base + "?page=" + strconv.Itoa(page-1)
	}
	if hasMore {
		p.Next = base + "?page=" + strconv.Itoa(page+1)
	}
	return p
}

var searchFields = []formField{{Name: "q", Label: "persons.search"}}

func (s *Server) personsPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	q := sess.PersonSearch()
	page := pageNumber(r)
	f := newForm(searchFields, url.Values{"q": {q}})
	data := personsData{Query: q, Pager: pager{Page: 1, Pages: 1}}
	status := http.StatusOK
	if q != "" {
		res, err := s.registry.SearchPersons(r.Context(), s.call(r, sess), Purposes[0], q, page, personsPageSize)
		var ae *APIError
		switch {
		case err == nil:
			data.Hits, data.Pager = res.Items, searchPager("/persons", page, res.HasMore)
		case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
			f.applyProblem(ae, map[string]string{"query": "q"})
			status = http.StatusUnprocessableEntity
		default:
			s.apiFailed(w, r, sess, err)
			return
		}
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: data}
	v.Title = v.T("persons.title")
	s.render(w, r, status, "persons_list", v)
}

// searchPersons keeps the search term in the session and shows the first page of results.
func (s *Server) searchPersons(w http.ResponseWriter, r *http.Request, sess *Session) {
	q := strings.TrimSpace(r.PostFormValue("q"))
	if r.PostFormValue("clear") != "" {
		q = ""
	}
	if len(q) > 100 {
		q = q[:100]
	}
	if err := s.sessions.SetPersonSearch(r.Context(), sess, q); err != nil {
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, "/persons", http.StatusSeeOther)
}

var personFields = []formField{
	{Name: "niss", Label: "person.niss"},
	{Name: "family_name", Label: "person.family_name"},
	{Name: "given_names", Label: "person.given_names"},
	{Name: "birth_date", Label: "person.birth_date"},
	{Name: "sex", Label: "person.sex"},
	{Name: "nationality", Label: "person.nationality"},
	{Name: "residence_status", Label: "person.residence_status"},
	{Name: "address_street", Label: "address.street"},
	{Name: "address_number", Label: "address.number"},
	{Name: "address_box", Label: "address.box"},
	{Name: "address_postcode", Label: "address.postcode"},
	{Name: "address_municipality", Label: "address.municipality"},
	{Name: "phone", Label: "person.phone"},
	{Name: "email", Label: "person.email"},
	{Name: "language", Label: "person.language"},
	{Name: "duplicate_reason", Label: "person.duplicate_reason"},
}

// newPersonData is the page data of person_new.html.
type newPersonData struct {
	IdempotencyKey string
	// Derived is what the NISS typed says (birth date and sex), shown under the field.
	Derived nissDerived
	// Duplicates are the possible duplicates the service found (no NISS given): their file numbers only.
	Duplicates []duplicateCandidate
	// Existing is the answer to a NISS already registered: the person's id when the worker may see them, and the
	// file numbers.
	Existing                   *duplicateCandidate
	Statuses, Sexes, Languages []string
	// Person is the person whose identity is edited (the edit form), nil on the registration form.
	Person *Person
}

type duplicateCandidate struct {
	PersonID    string   `json:"person_id"`
	FileNumbers []string `json:"file_numbers"`
}

// nissDerived is what a NISS tells: its formatted form, the birth date (when the number holds it) and the sex.
type nissDerived struct {
	Valid, Invalid      bool
	Formatted, BirthDay string
	Sex                 string
	BIS                 bool
}

// deriveNISS reads a typed NISS the way the registry does (libs/niss): the same rules as static/niss.js.
func deriveNISS(s string) nissDerived {
	if strings.TrimSpace(s) == "" {
		return nissDerived{}
	}
	n, err := niss.Parse(s)
	if err != nil {
		return nissDerived{Invalid: true}
	}
	d := nissDerived{Valid: true, Formatted: n.Format(), Sex: string(n.Sex()), BIS: n.IsBIS()}
	if b, ok := n.BirthDate(); ok {
		d.BirthDay = b.String()
	}
	return d
}

func (s *Server) newPersonPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderNewPerson(w, r, sess, http.StatusOK, newForm(personFields, url.Values{"nationality": {"BE"}, "language": {langOf(r)}}), newPersonData{})
}

func (s *Server) renderNewPerson(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form, d newPersonData) {
	d.IdempotencyKey = newIdempotencyKey()
	d.Derived = deriveNISS(f.Value("niss"))
	d.Statuses, d.Sexes, d.Languages = residenceStatuses, sexes, personLanguages
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: d}
	v.Title = v.T("person.new.title")
	if d.Person != nil {
		v.Title = v.T("person.edit.title", "name", d.Person.Name())
	}
	s.render(w, r, status, "person_new", v)
}

// personInput is the identity typed in the registration or edit form.
func personInput(values url.Values) PersonInput {
	in := PersonInput{NISS: values.Get("niss"), FamilyName: values.Get("family_name"), GivenNames: values.Get("given_names"),
		BirthDate: values.Get("birth_date"), Sex: values.Get("sex"), Nationality: strings.ToUpper(values.Get("nationality")),
		ResidenceStatus: values.Get("residence_status"), Phone: values.Get("phone"), Email: values.Get("email"),
		Language: values.Get("language"), DuplicateReason: values.Get("duplicate_reason")}
	if values.Get("address_street")+values.Get("address_number")+values.Get("address_box")+values.Get("address_postcode")+values.Get("address_municipality") != "" {
		in.Address = &AddressInput{Street: values.Get("address_street"), Number: values.Get("address_number"), Box: values.Get("address_box"),
			Postcode: values.Get("address_postcode"), Municipality: values.Get("address_municipality")}
	}
	return in
}

// postedPersonValues reads the registration or edit form.
func postedPersonValues(r *http.Request) url.Values {
	values := url.Values{}
	for _, fd := range personFields {
		values.Set(fd.Name, strings.TrimSpace(r.PostFormValue(fd.Name)))
	}
	return values
}

// personValues fills the edit form with the person's current identity.
func personValues(p Person) url.Values {
	v := url.Values{"niss": {p.NISSFormatted}, "family_name": {p.FamilyName}, "given_names": {p.GivenNames}, "birth_date": {p.BirthDate},
		"sex": {p.Sex}, "nationality": {p.Nationality}, "residence_status": {p.ResidenceStatus}, "phone": {p.Phone}, "email": {p.Email},
		"language": {p.Language}}
	if a := p.Address; a != nil {
		v.Set("address_street", a.Street)
		v.Set("address_number", a.Number)
		v.Set("address_box", a.Box)
		v.Set("address_postcode", strconv.Itoa(a.Postcode))
		v.Set("address_municipality", a.Municipality)
	}
	return v
}

// editPersonPage shows the person's identity in the registration's form, to correct it.
func (s *Server) editPersonPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	p, err := s.loadPerson(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	s.renderNewPerson(w, r, sess, http.StatusOK, newForm(personFields, personValues(p)), newPersonData{Person: &p})
}

// updatePerson replaces the identity if the person is still at the version the form was filled from (If-Match).
// A refusal comes back as the same form, filled in, each error next to its field; a change made meanwhile shows
// the person's current identity with a message, to start again from it.
func (s *Server) updatePerson(w http.ResponseWriter, r *http.Request, sess *Session) {
	l := langOf(r)
	version, ok := postedVersion(r)
	if !ok {
		s.errorPage(w, r, sess, http.StatusBadRequest, "error.badrequest.title", "error.badrequest.message")
		return
	}
	values := postedPersonValues(r)
	values.Del("duplicate_reason")
	f := newForm(personFields, values)
	shown := Person{ID: r.PathValue("id"), Version: version, FamilyName: values.Get("family_name"), GivenNames: values.Get("given_names")}
	if r.PostFormValue("action") == "check" {
		if d := deriveNISS(values.Get("niss")); d.Invalid {
			f.Fail("niss", translate(l, "person.niss.invalid"))
		}
		s.renderNewPerson(w, r, sess, http.StatusOK, f, newPersonData{Person: &shown})
		return
	}
	p, err := s.registry.UpdatePerson(r.Context(), s.call(r, sess), shown.ID, version, personInput(values))
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.person_updated")
		http.Redirect(w, r, "/persons/"+url.PathEscape(p.ID), http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f.applyProblem(ae, nil)
		s.renderNewPerson(w, r, sess, http.StatusUnprocessableEntity, f, newPersonData{Person: &shown})
	case errors.As(err, &ae) && ae.Status == http.StatusConflict && ae.Slug() == "duplicate-niss":
		var existing duplicateCandidate
		existing.PersonID = extraString(ae, "person_id")
		extraJSON(ae, "file_numbers", &existing.FileNumbers)
		f.Fail("niss", translate(l, "person.niss.duplicate"))
		s.renderNewPerson(w, r, sess, http.StatusConflict, f, newPersonData{Person: &shown, Existing: &existing})
	case errors.As(err, &ae) && (ae.Status == http.StatusConflict || ae.Status == http.StatusPreconditionFailed):
		current, gerr := s.loadPerson(r, sess)
		if gerr != nil {
			s.apiFailed(w, r, sess, gerr)
			return
		}
		f = newForm(personFields, personValues(current))
		f.General = append(f.General, translate(l, "person.conflict"))
		s.renderNewPerson(w, r, sess, http.StatusConflict, f, newPersonData{Person: &current})
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// registerPerson registers the person. Without JavaScript, the "check" button shows what the NISS says without
// registering; a refusal comes back as the same form, filled in, each error next to its field; a possible
// duplicate (no NISS) lists the existing files and asks for a reason.
func (s *Server) registerPerson(w http.ResponseWriter, r *http.Request, sess *Session) {
	l := langOf(r)
	values := postedPersonValues(r)
	f := newForm(personFields, values)
	if r.PostFormValue("action") == "check" {
		if d := deriveNISS(values.Get("niss")); d.Invalid {
			f.Fail("niss", translate(l, "person.niss.invalid"))
		}
		s.renderNewPerson(w, r, sess, http.StatusOK, f, newPersonData{})
		return
	}
	p, err := s.registry.RegisterPerson(r.Context(), s.call(r, sess), r.PostFormValue("idempotency_key"), personInput(values))
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.person_registered")
		http.Redirect(w, r, "/persons/"+url.PathEscape(p.ID), http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f.applyProblem(ae, nil)
		s.renderNewPerson(w, r, sess, http.StatusUnprocessableEntity, f, newPersonData{})
	case errors.As(err, &ae) && ae.Status == http.StatusConflict && ae.Slug() == "duplicate-niss":
		var existing duplicateCandidate
		existing.PersonID = extraString(ae, "person_id")
		extraJSON(ae, "file_numbers", &existing.FileNumbers)
		f.Fail("niss", translate(l, "person.niss.duplicate"))
		s.renderNewPerson(w, r, sess, http.StatusConflict, f, newPersonData{Existing: &existing})
	case errors.As(err, &ae) && ae.Status == http.StatusConflict && ae.Slug() == "possible-duplicate":
		var d newPersonData
		extraJSON(ae, "candidates", &d.Duplicates)
		f.Fail("duplicate_reason", translate(l, "person.duplicate_reason.required"))
		s.renderNewPerson(w, r, sess, http.StatusConflict, f, d)
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// personData is the page data of person.html.
type personData struct {
	Person   Person
	Members  []memberRow
	Category *CategoryProposal
	Files    []FileLink
	Purpose  string
	Purposes []string
	Return   string
	// Conflict says the person changed since the page was shown (a refused update).
	Conflict bool
	// CanOpen: the person has no open file yet.
	CanOpen        bool
	IdempotencyKey string
}

// memberRow is a household member with their name when the worker may see them.
type memberRow struct {
	HouseholdMember
	Index   int
	Name    string
	Visible bool
}

var accountFields = []formField{
	{Name: "iban", Label: "account.iban"},
	{Name: "holder", Label: "account.holder"},
}

func (s *Server) personPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderPerson(w, r, sess, http.StatusOK, nil, false)
}

// loadPerson reads the person of the page's {id} with the purpose declared for them.
func (s *Server) loadPerson(r *http.Request, sess *Session) (Person, error) {
	id := r.PathValue("id")
	return s.registry.GetPerson(r.Context(), s.call(r, sess), sess.Purpose(id), id)
}

// householdRows names the household's members (a member the worker may not see is shown without a name).
func (s *Server) householdRows(r *http.Request, sess *Session, p Person) []memberRow {
	rows := make([]memberRow, 0, len(p.Household))
	cl := s.call(r, sess)
	for i, m := range p.Household {
		row := memberRow{HouseholdMember: m, Index: i}
		if mp, err := s.registry.GetPerson(r.Context(), cl, sess.Purpose(p.ID), m.PersonID); err == nil {
			row.Name, row.Visible = mp.Name(), true
		}
		rows = append(rows, row)
	}
	return rows
}

// renderPerson shows the person's page; f, when given, is the refused bank account form.
func (s *Server) renderPerson(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form, conflict bool) {
	p, err := s.loadPerson(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	purpose := sess.Purpose(p.ID)
	d := personData{Person: p, Purpose: purpose, Purposes: Purposes, Return: "/persons/" + p.ID, Files: p.Files,
		Conflict: conflict, IdempotencyKey: newIdempotencyKey()}
	_, open := p.OpenFile()
	d.CanOpen = !open
	d.Members = s.householdRows(r, sess, p)
	if c, err := s.registry.RISCategory(r.Context(), s.call(r, sess), purpose, p.ID); err == nil {
		d.Category = &c
	} else if apiStatus(err) == 0 {
		s.apiFailed(w, r, sess, err)
		return
	}
	if f == nil {
		f = newForm(accountFields, url.Values{"holder": {p.Name()}})
	}
	if conflict {
		f.General = append(f.General, translate(langOf(r), "person.conflict"))
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: d}
	v.Title = p.Name()
	s.render(w, r, status, "person", v)
}

// setPurpose keeps the declared purpose of consulting this person in the session, then shows the page again.
func (s *Server) setPurpose(w http.ResponseWriter, r *http.Request, sess *Session) {
	id := r.PathValue("id")
	purpose := r.PostFormValue("purpose")
	if !validPurpose(purpose) || !uuidLike(id) {
		s.errorPage(w, r, sess, http.StatusBadRequest, "error.badrequest.title", "error.badrequest.message")
		return
	}
	if err := s.sessions.SetPurpose(r.Context(), sess, id, purpose); err != nil {
		s.internalError(w, r, err)
		return
	}
	back := r.PostFormValue("return")
	if !strings.HasPrefix(back, "/persons/"+id) || strings.ContainsAny(back, "?#\\") {
		back = "/persons/" + id
	}
	s.setFlash(w, r, "flash.purpose_set")
	http.Redirect(w, r, back, http.StatusSeeOther)
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func uuidLike(id string) bool { return uuidPattern.MatchString(id) }

// postedVersion reads the version a form carries (the If-Match of its update).
func postedVersion(r *http.Request) (int64, bool) {
	v, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	return v, err == nil && v > 0
}

// addBankAccount adds an account (IBAN validated by the service); errors come back next to the fields.
func (s *Server) addBankAccount(w http.ResponseWriter, r *http.Request, sess *Session) {
	id := r.PathValue("id")
	version, ok := postedVersion(r)
	if !ok {
		s.errorPage(w, r, sess, http.StatusBadRequest, "error.badrequest.title", "error.badrequest.message")
		return
	}
	values := url.Values{"iban": {strings.TrimSpace(r.PostFormValue("iban"))}, "holder": {strings.TrimSpace(r.PostFormValue("holder"))},
		"activate": {r.PostFormValue("activate")}}
	_, err := s.registry.AddBankAccount(r.Context(), s.call(r, sess), id, version, values.Get("iban"), values.Get("holder"), values.Get("activate") != "")
	s.afterPersonUpdate(w, r, sess, err, "flash.account_added", newForm(accountFields, values))
}

// activateBankAccount makes an account the one payments go to.
func (s *Server) activateBankAccount(w http.ResponseWriter, r *http.Request, sess *Session) {
	version, ok := postedVersion(r)
	if !ok {
		s.errorPage(w, r, sess, http.StatusBadRequest, "error.badrequest.title", "error.badrequest.message")
		return
	}
	_, err := s.registry.ActivateBankAccount(r.Context(), s.call(r, sess), r.PathValue("id"), version, r.PathValue("account"))
	s.afterPersonUpdate(w, r, sess, err, "flash.account_activated", nil)
}

// afterPersonUpdate answers an update of the person: back to the page with a message, the form with its errors,
// or the page as it is now with a conflict message.
func (s *Server) afterPersonUpdate(w http.ResponseWriter, r *http.Request, sess *Session, err error, flash string, f *form) {
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, flash)
		http.Redirect(w, r, "/persons/"+url.PathEscape(r.PathValue("id")), http.StatusSeeOther)
	case errors.As(err, &ae) && (ae.Status == http.StatusConflict || ae.Status == http.StatusPreconditionFailed):
		s.renderPerson(w, r, sess, http.StatusConflict, f, true)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity && f != nil:
		f.applyProblem(ae, nil)
		s.renderPerson(w, r, sess, http.StatusUnprocessableEntity, f, false)
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// openFile opens a social file for the person, assigned to the worker.
func (s *Server) openFile(w http.ResponseWriter, r *http.Request, sess *Session) {
	id := r.PathValue("id")
	f, err := s.registry.OpenFile(r.Context(), s.call(r, sess), r.PostFormValue("idempotency_key"), id)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.file_opened")
		http.Redirect(w, r, "/persons/"+url.PathEscape(id)+"/files/"+url.PathEscape(f.ID), http.StatusSeeOther)
	case errors.As(err, &ae) && (ae.Status == http.StatusConflict || ae.Status == http.StatusUnprocessableEntity):
		fm := newForm(accountFields, nil)
		fm.applyProblem(ae, nil)
		if ae.Detail != "" {
			fm.General = append(fm.General[:0], ae.Detail)
		}
		s.renderPerson(w, r, sess, ae.Status, fm, false)
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// householdData is the page data of household.html.
type householdData struct {
	Person    Person
	Members   []memberRow
	Query     string
	Hits      []SearchHit
	Relations []string
	Purpose   string
	Purposes  []string
	Return    string
}

var memberFields = []formField{
	{Name: "member", Label: "household.member"},
	{Name: "relation", Label: "household.relation"},
	{Name: "valid_from", Label: "household.valid_from"},
	{Name: "q", Label: "household.search"},
}

func (s *Server) householdPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderHousehold(w, r, sess, http.StatusOK, nil)
}

// renderHousehold shows the household editor: the members (each removable), and a search of a person to add with
// the relation, the dependent flag and the date from which they live with the person.
func (s *Server) renderHousehold(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form) {
	p, err := s.loadPerson(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	q := sess.HouseholdSearch()
	if f == nil {
		f = newForm(memberFields, url.Values{"q": {q}})
	}
	d := householdData{Person: p, Members: s.householdRows(r, sess, p), Query: q, Relations: relations,
		Purpose: sess.Purpose(p.ID), Purposes: Purposes, Return: "/persons/" + p.ID + "/household"}
	if q != "" {
		res, err := s.registry.SearchPersons(r.Context(), s.call(r, sess), sess.Purpose(p.ID), q, 1, 10)
		var ae *APIError
		switch {
		case err == nil:
			for _, h := range res.Items {
				if h.ID != p.ID {
					d.Hits = append(d.Hits, h)
				}
			}
		case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
			f.applyProblem(ae, map[string]string{"query": "q"})
			if status == http.StatusOK {
				status = http.StatusUnprocessableEntity
			}
		default:
			s.apiFailed(w, r, sess, err)
			return
		}
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: d}
	v.Title = v.T("household.title", "name", p.Name())
	s.render(w, r, status, "household", v)
}

// searchHousehold keeps the search of a person to add in the session.
func (s *Server) searchHousehold(w http.ResponseWriter, r *http.Request, sess *Session) {
	q := strings.TrimSpace(r.PostFormValue("q"))
	if r.PostFormValue("clear") != "" {
		q = ""
	}
	if len(q) > 100 {
		q = q[:100]
	}
	if err := s.sessions.SetHouseholdSearch(r.Context(), sess, q); err != nil {
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, "/persons/"+url.PathEscape(r.PathValue("id"))+"/household", http.StatusSeeOther)
}

// addHouseholdMember saves the household with one member more, if the person is still at the version the page
// showed (If-Match); on a conflict the editor shows the household as it is now and says so.
func (s *Server) addHouseholdMember(w http.ResponseWriter, r *http.Request, sess *Session) {
	version, ok := postedVersion(r)
	if !ok {
		s.errorPage(w, r, sess, http.StatusBadRequest, "error.badrequest.title", "error.badrequest.message")
		return
	}
	p, err := s.loadPerson(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	m := HouseholdMember{PersonID: r.PostFormValue("member"), Relation: r.PostFormValue("relation"),
		Dependent: r.PostFormValue("dependent") != "", ValidFrom: strings.TrimSpace(r.PostFormValue("valid_from"))}
	members := append(append([]HouseholdMember(nil), p.Household...), m)
	s.saveHousehold(w, r, sess, version, members, url.Values{"member": {m.PersonID}, "relation": {m.Relation}, "valid_from": {m.ValidFrom},
		"q": {sess.HouseholdSearch()}}, len(members)-1)
}

// removeHouseholdMember saves the household without the member at the posted index.
func (s *Server) removeHouseholdMember(w http.ResponseWriter, r *http.Request, sess *Session) {
	version, ok := postedVersion(r)
	idx, err := strconv.Atoi(r.PostFormValue("index"))
	if !ok || err != nil {
		s.errorPage(w, r, sess, http.StatusBadRequest, "error.badrequest.title", "error.badrequest.message")
		return
	}
	p, err := s.loadPerson(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	if idx < 0 || idx >= len(p.Household) || p.Household[idx].PersonID != r.PostFormValue("member") {
		// The household changed since the page was shown: the index no longer names that member.
		s.householdConflict(w, r, sess)
		return
	}
	members := append(append([]HouseholdMember(nil), p.Household[:idx]...), p.Household[idx+1:]...)
	s.saveHousehold(w, r, sess, version, members, nil, -1)
}

func (s *Server) householdConflict(w http.ResponseWriter, r *http.Request, sess *Session) {
	f := newForm(memberFields, url.Values{"q": {sess.HouseholdSearch()}})
	f.General = append(f.General, translate(langOf(r), "household.conflict"))
	s.renderHousehold(w, r, sess, http.StatusConflict, f)
}

func (s *Server) saveHousehold(w http.ResponseWriter, r *http.Request, sess *Session, version int64, members []HouseholdMember, typed url.Values, added int) {
	id := r.PathValue("id")
	_, err := s.registry.SetHousehold(r.Context(), s.call(r, sess), id, version, members)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.household_saved")
		http.Redirect(w, r, "/persons/"+url.PathEscape(id)+"/household", http.StatusSeeOther)
	case errors.As(err, &ae) && (ae.Status == http.StatusConflict || ae.Status == http.StatusPreconditionFailed):
		s.householdConflict(w, r, sess)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f := newForm(memberFields, typed)
		prefix := "members[" + strconv.Itoa(added) + "]."
		for _, fe := range ae.Fields {
			name := strings.TrimPrefix(fe.Field, prefix)
			switch {
			case added >= 0 && name == "person_id":
				f.Fail("member", fe.Message)
			case added >= 0 && (name == "relation" || name == "valid_from"):
				f.Fail(name, fe.Message)
			default:
				f.General = append(f.General, fe.Message)
			}
		}
		s.renderHousehold(w, r, sess, http.StatusUnprocessableEntity, f)
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// extraString reads a string extension member of a problem.
func extraString(e *APIError, name string) string {
	var s string
	extraJSON(e, name, &s)
	return s
}

// extraJSON decodes an extension member of a problem into out (left as it is when absent).
func extraJSON(e *APIError, name string, out any) {
	if raw, ok := e.Extra[name]; ok {
		_ = json.Unmarshal(raw, out)
	}
}
