package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/entraide/entraide/libs/civil"
)

// The committee's pages (decisions service, packages session and urgent): the secretary plans a session with
// members from the staff directory, convenes it, builds its agenda from validated proposals and urgent decisions
// awaiting ratification, opens it with the attendance and runs it live (arrivals and departures, the quorum,
// conflicts of interest, the vote on each item by secret ballot or show of hands, the outcome), closes it and
// prints the minutes and the extracts; a member or the president sees the sessions they are convened to, from
// the convocation until the minutes are approved, and casts their own vote while one is open; the president
// signs the minutes off and takes urgent decisions. Every step is a plain form (keyboard, no script): the page
// comes back after each one with the quorum counted again and the focus on the item concerned.

// sessionRoutes registers the committee pages (called from routes()).
func (s *Server) sessionRoutes(handle func(string, http.Handler)) {
	handle("GET /sessions", s.page(s.sessionsPage))
	handle("GET /sessions/new", s.page(s.newSessionPage))
	handle("POST /sessions/new", s.page(s.planSession))
	handle("GET /sessions/{id}", s.page(s.sessionPage))
	for _, st := range sessionSteps {
		handle("POST "+st.Route, s.page(s.sessionStep(st)))
	}
	handle("GET /sessions/{id}/minutes", s.page(s.sessionDocument(false, false)))
	handle("GET /sessions/{id}/minutes.pdf", s.page(s.sessionDocument(false, true)))
	handle("GET /sessions/{id}/items/{ref}/extract", s.page(s.sessionDocument(true, false)))
	handle("GET /sessions/{id}/items/{ref}/extract.pdf", s.page(s.sessionDocument(true, true)))
	handle("GET /committee-rules", s.page(s.committeeRulesPage))
	handle("POST /committee-rules", s.page(s.saveCommitteeRules))
	handle("GET /urgent-decisions", s.page(s.urgentDecisionsPage))
	handle("GET /urgent-decisions/new", s.page(s.newUrgentPage))
	handle("POST /urgent-decisions/new", s.page(s.decideUrgently))
}

func sessionPagePath(id string) string { return "/sessions/" + url.PathEscape(id) }

// ---- list and planning ----------------------------------------------------------------------------------

type sessionsData struct {
	Items     []SessionSummary
	Secretary bool
}

func isSecretary(sess *Session) bool { return slices.Contains(sess.Roles(), "committee_secretary") }

func (s *Server) sessionsPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	items, err := s.decisions.Sessions(r.Context(), s.call(r, sess), !isSecretary(sess))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	v := &view{Lang: langOf(r), Session: sess, Data: sessionsData{Items: items, Secretary: isSecretary(sess)}}
	v.Title = v.T("session.list.title")
	s.render(w, r, http.StatusOK, "sessions_list", v)
}

var sessionPlanFields = []formField{
	{Name: "date", Label: "session.date"},
	{Name: "time", Label: "session.time"},
	{Name: "place", Label: "session.place"},
	{Name: "president", Label: "session.president"},
	{Name: "secretary", Label: "session.secretary"},
	{Name: "members", Label: "session.members"},
}

type sessionPlanData struct {
	IdempotencyKey string
	Presidents     []StaffMember
	Secretaries    []StaffMember
	Members        []StaffMember
}

// committeeStaff splits the active staff by the committee role they hold.
func committeeStaff(all []StaffMember) (presidents, secretaries, members []StaffMember) {
	for _, m := range all {
		if m.Disabled {
			continue
		}
		if m.HasRole("president") {
			presidents = append(presidents, m)
		}
		if m.HasRole("committee_secretary") {
			secretaries = append(secretaries, m)
		}
		if m.HasRole("committee_member") {
			members = append(members, m)
		}
	}
	return
}

func (s *Server) newSessionPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	f := newForm(sessionPlanFields, url.Values{"date": {civil.Today().AddDays(14).String()}, "time": {"14:00"},
		"secretary": {sess.UserID}})
	s.renderSessionPlan(w, r, sess, http.StatusOK, f, newIdempotencyKey())
}

func (s *Server) renderSessionPlan(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form, key string) {
	_, all := s.staffDirectory(r, sess)
	d := sessionPlanData{IdempotencyKey: key}
	d.Presidents, d.Secretaries, d.Members = committeeStaff(all)
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: d}
	v.Title = v.T("session.new.title")
	s.render(w, r, status, "session_new", v)
}

func (s *Server) planSession(w http.ResponseWriter, r *http.Request, sess *Session) {
	values := url.Values{}
	for _, fd := range sessionPlanFields {
		values.Set(fd.Name, strings.TrimSpace(r.PostFormValue(fd.Name)))
	}
	values["members"] = r.PostForm["members"]
	f := newForm(sessionPlanFields, values)
	names, _ := s.staffDirectory(r, sess)
	in := SessionPlan{Date: values.Get("date"), Time: values.Get("time"), Place: values.Get("place")}
	add := func(id, role string) {
		if id != "" {
			in.Members = append(in.Members, SessionMember{UserID: id, Role: role, Name: names.Name(id)})
		}
	}
	add(values.Get("president"), "president")
	add(values.Get("secretary"), "secretary")
	for _, m := range values["members"] {
		if m != values.Get("president") && m != values.Get("secretary") {
			add(m, "member")
		}
	}
	key := r.PostFormValue("idempotency_key")
	out, err := s.decisions.PlanSession(r.Context(), s.call(r, sess), key, in)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.session_planned")
		http.Redirect(w, r, sessionPagePath(out.ID), http.StatusSeeOther)
	case errors.As(err, &ae) && (ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusConflict):
		applySessionProblem(f, ae)
		s.renderSessionPlan(w, r, sess, ae.Status, f, newIdempotencyKey())
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// applySessionProblem puts a refusal's field errors on the form's fields (the members' roles on "members", a
// member's id on the role chosen), the rest at the top.
func applySessionProblem(f *form, ae *APIError) {
	for _, fe := range ae.Fields {
		name, _, _ := strings.Cut(fe.Field, "[")
		name = strings.ReplaceAll(name, ".", "_")
		if f.knows(name) {
			f.Fail(name, fe.Message)
		} else if fe.Message != "" {
			f.General = append(f.General, fe.Message)
		}
	}
	if len(ae.Fields) == 0 {
		msg := ae.Detail
		if msg == "" {
			msg = ae.Title
		}
		f.General = append(f.General, msg)
	}
}

// ---- the session page -------------------------------------------------------------------------------------

// sessionPageData is the page data of session.html.
type sessionPageData struct {
	Session    CommitteeSession
	Candidates AgendaCandidates
	// Role is the user's role in the session ("" when none: the secretary of another session).
	Role      string
	Secretary bool
	Me        string
	Names     map[string]string
	// ErrStep, ErrRef and Errors are a refused step's errors, shown at its form.
	ErrStep, ErrRef string
	Errors          map[string]string
	Keys            map[string]string
}

// Name is a member's display name.
func (d sessionPageData) Name(id string) string {
	if n := d.Names[id]; n != "" {
		return n
	}
	return id
}

// FileNumber is an item's file number.
func (d sessionPageData) FileNumber(id string) string {
	if n := d.Session.FileNumbers[id]; n != "" {
		return n
	}
	return id
}

// Detail is what the members read of an item besides its terms.
func (d sessionPageData) Detail(ref string) ItemDetails { return d.Session.Details[ref] }

// FieldError is the error of a field of a step's form on an item ("" ref for the session's own steps).
func (d sessionPageData) FieldError(step, ref, field string) string {
	if d.ErrStep != step || d.ErrRef != ref {
		return ""
	}
	return d.Errors[field]
}

// Key is the Idempotency-Key of an item's outcome form, new on each page.
func (d sessionPageData) Key(ref string) string { return d.Keys[ref] }

// Present lists the members present now.
func (d sessionPageData) Present() []SessionAttendance {
	var out []SessionAttendance
	for _, a := range d.Session.Attendance {
		if a.Present {
			out = append(out, a)
		}
	}
	return out
}

// VotingPresent lists the voting members present now (not the secretary), without a conflict on it.
func (d sessionPageData) VotingPresent(it SessionItem) []string {
	var out []string
	for _, a := range d.Session.Attendance {
		if a.Present && d.roleOf(a.UserID) != "secretary" && !slices.Contains(it.Conflicts, a.UserID) {
			out = append(out, a.UserID)
		}
	}
	return out
}

// VotingMembers are the voting members of the session (conflicts are declared for them).
func (d sessionPageData) VotingMembers() []SessionMember {
	var out []SessionMember
	for _, m := range d.Session.Members {
		if m.Role != "secretary" {
			out = append(out, m)
		}
	}
	return out
}

func (d sessionPageData) roleOf(id string) string {
	for _, m := range d.Session.Members {
		if m.UserID == id {
			return m.Role
		}
	}
	return ""
}

// Voted tells whether user voted on it.
func (d sessionPageData) Voted(it SessionItem, user string) bool {
	return it.Vote != nil && slices.Contains(it.Vote.Voters, user)
}

// Ballot is what user voted on it in a show of hands ("" in a secret ballot or not yet).
func (d sessionPageData) Ballot(it SessionItem, user string) string {
	if it.Vote == nil {
		return ""
	}
	for _, b := range it.Vote.Ballots {
		if b.UserID == user {
			return b.Choice
		}
	}
	return ""
}

// CanVote tells whether the signed-in member may cast their own vote on it now.
func (d sessionPageData) CanVote(it SessionItem) bool {
	return d.Session.Status == "opened" && it.Outcome == "" && it.Vote != nil && (d.Role == "member" || d.Role == "president") &&
		!d.Voted(it, d.Me) && slices.Contains(d.VotingPresent(it), d.Me)
}

// Tied tells whether the vote on it is tied (the president's casting vote may decide).
func (d sessionPageData) Tied(it SessionItem) bool {
	return it.Vote != nil && it.Vote.For > 0 && it.Vote.For == it.Vote.Against && it.Vote.CastingVote == ""
}

// Attendances are the attendances at the opening, in the form's order.
func (d sessionPageData) Attendances() []string { return []string{"present", "excused", "absent"} }

// Outcomes are the outcomes of an item, in the form's order.
func (d sessionPageData) Outcomes() []string {
	return []string{"approved", "amended", "rejected", "postponed"}
}

// Live tells whether the session is opened.
func (d sessionPageData) Live() bool { return d.Session.Status == "opened" }

// Editable tells whether the agenda may still change.
func (d sessionPageData) Editable() bool {
	return d.Session.Status == "planned" || d.Session.Status == "convened"
}

// Closed tells whether the minutes exist.
func (d sessionPageData) Closed() bool {
	return d.Session.Status == "closed" || d.Session.Status == "minutes_approved"
}

// Decided counts the items with an outcome.
func (d sessionPageData) Decided() int {
	n := 0
	for _, it := range d.Session.Items {
		if it.Outcome != "" {
			n++
		}
	}
	return n
}

// Final are the terms decided: the new terms when amended.
func (it SessionItem) Final() SessionTerms {
	if it.NewTerms != nil {
		return *it.NewTerms
	}
	return it.Terms
}

func (s *Server) sessionPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderSession(w, r, sess, http.StatusOK, "", "", nil, nil)
}

// renderSession shows the session; a refused step's errors go to its form (step, ref) and to the summary.
func (s *Server) renderSession(w http.ResponseWriter, r *http.Request, sess *Session, status int, step, ref string,
	errs map[string]string, general []string) {
	id := r.PathValue("id")
	if !uuidLike(id) {
		s.errorPage(w, r, sess, http.StatusNotFound, "error.notfound.title", "error.notfound.message")
		return
	}
	cs, err := s.decisions.Session(r.Context(), s.call(r, sess), id)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	d := sessionPageData{Session: cs, Secretary: isSecretary(sess), Me: sess.UserID, Names: map[string]string{},
		ErrStep: step, ErrRef: ref, Errors: errs, Keys: map[string]string{}}
	for _, m := range cs.Members {
		d.Names[m.UserID] = m.Name
		if m.UserID == sess.UserID {
			d.Role = m.Role
		}
	}
	for _, it := range cs.Items {
		d.Keys[it.Ref] = newIdempotencyKey()
	}
	if d.Secretary && d.Editable() {
		if c, err := s.decisions.AgendaCandidates(r.Context(), s.call(r, sess)); err == nil {
			// What is already on this agenda is no candidate.
			on := map[string]bool{}
			for _, it := range cs.Items {
				on[it.Ref] = true
			}
			c.Proposals = slices.DeleteFunc(c.Proposals, func(p AgendaProposal) bool { return on[p.Ref] })
			c.Ratifications = slices.DeleteFunc(c.Ratifications, func(u UrgentDecision) bool { return on[u.ID] })
			d.Candidates = c
		} else if !errors.Is(err, ErrDecisionsUnavailable) {
			s.apiFailed(w, r, sess, err)
			return
		}
	}
	f := newForm(nil, nil)
	f.General = general
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: d}
	v.Title = v.T("session.title", "date", v.CivilDate(cs.Date))
	s.render(w, r, status, "session", v)
}

// sessionStepDef is a form of the session page: its route, how it reads the form into the service's body, its
// service path, and whether it sends If-Match (version) or an Idempotency-Key.
type sessionStepDef struct {
	Name    string
	Route   string
	IfMatch bool
	Keyed   bool
	Body    func(r *http.Request, errs map[string]string) any
	// Path is the service path under the session (ref substituted).
	Path string
	// Flash is the message shown after the step.
	Flash string
}

var sessionSteps = []sessionStepDef{
	{Name: "convocation", Route: "/sessions/{id}/convocation", Flash: "flash.session_convocation", IfMatch: true, Path: "/convocation",
		Body: func(r *http.Request, _ map[string]string) any {
			return map[string]any{"urgent": r.PostFormValue("urgent") != "", "motivation": strings.TrimSpace(r.PostFormValue("motivation"))}
		}},
	{Name: "items", Route: "/sessions/{id}/items", Flash: "flash.session_items", IfMatch: true, Path: "/items",
		Body: func(r *http.Request, _ map[string]string) any {
			kind, ref, _ := strings.Cut(r.PostFormValue("candidate"), ":")
			if typed := strings.TrimSpace(r.PostFormValue("proposal_ref")); typed != "" {
				kind, ref = "proposal", strings.ToLower(typed)
			}
			return map[string]any{"kind": kind, "ref": ref}
		}},
	{Name: "removal", Route: "/sessions/{id}/items/{ref}/removal", Flash: "flash.session_removal", IfMatch: true},
	{Name: "opening", Route: "/sessions/{id}/opening", Flash: "flash.session_opening", IfMatch: true, Path: "/opening",
		Body: func(r *http.Request, _ map[string]string) any {
			att := map[string]string{}
			for k, v := range r.PostForm {
				if u, ok := strings.CutPrefix(k, "attendance_"); ok && uuidLike(u) && len(v) == 1 {
					att[u] = v[0]
				}
			}
			return map[string]any{"attendance": att}
		}},
	{Name: "movements", Route: "/sessions/{id}/movements", Flash: "flash.session_movements", Path: "/movements",
		Body: func(r *http.Request, _ map[string]string) any {
			return map[string]any{"user_id": r.PostFormValue("user_id"), "arrived": r.PostFormValue("arrived") == "true"}
		}},
	{Name: "conflicts", Route: "/sessions/{id}/items/{ref}/conflicts", Flash: "flash.session_conflicts", Path: "/items/{ref}/conflicts",
		Body: func(r *http.Request, _ map[string]string) any {
			return map[string]any{"user_id": r.PostFormValue("user_id")}
		}},
	{Name: "vote", Route: "/sessions/{id}/items/{ref}/vote", Flash: "flash.session_vote", Path: "/items/{ref}/vote",
		Body: func(r *http.Request, _ map[string]string) any { return map[string]any{"mode": r.PostFormValue("mode")} }},
	{Name: "ballots", Route: "/sessions/{id}/items/{ref}/ballots", Flash: "flash.session_ballots", Path: "/items/{ref}/ballots",
		Body: func(r *http.Request, _ map[string]string) any {
			b := map[string]any{"choice": r.PostFormValue("choice")}
			if u := r.PostFormValue("user_id"); u != "" {
				b["user_id"] = u
			}
			return b
		}},
	{Name: "casting-vote", Route: "/sessions/{id}/items/{ref}/casting-vote", Flash: "flash.session_casting_vote", Path: "/items/{ref}/casting-vote",
		Body: func(r *http.Request, _ map[string]string) any {
			return map[string]any{"choice": r.PostFormValue("choice")}
		}},
	{Name: "outcome", Route: "/sessions/{id}/items/{ref}/outcome", Flash: "flash.session_outcome", Keyed: true, Path: "/items/{ref}/outcome",
		Body: func(r *http.Request, errs map[string]string) any {
			o := SessionOutcome{Outcome: r.PostFormValue("outcome"), Reason: strings.TrimSpace(r.PostFormValue("reason")),
				AmendmentReason: strings.TrimSpace(r.PostFormValue("amendment_reason"))}
			if o.Outcome == "amended" {
				t := SessionTerms{Start: r.PostFormValue("start"), End: r.PostFormValue("end"), Review: r.PostFormValue("review"),
					PIIS: r.PostFormValue("piis") != "", MotivationRef: r.PostFormValue("motivation_ref")}
				if c, err := strconv.Atoi(r.PostFormValue("category")); err == nil {
					t.Category = c
				}
				cents, ok := parseEuroCents(r.PostFormValue("monthly_amount"))
				if !ok {
					errs["monthly_amount"] = translate(langOf(r), "session.amount_invalid")
				}
				t.MonthlyAmount = cents
				o.NewTerms = &t
			}
			return o
		}},
	{Name: "closing", Route: "/sessions/{id}/closing", Flash: "flash.session_closing", IfMatch: true, Path: "/closing"},
	{Name: "minutes-approval", Route: "/sessions/{id}/minutes-approval", Flash: "flash.session_minutes_approval", IfMatch: true, Path: "/minutes-approval"},
}

// sessionErrorFields maps the service's field names to the page's inputs.
var sessionErrorFields = map[string]string{"new_terms.monthly_amount_cents": "monthly_amount", "new_terms.start": "start",
	"new_terms.end": "end", "new_terms.review": "review", "new_terms.category": "category",
	"new_terms": "monthly_amount", "amendment_motivation_ref": "amendment_reason", "new_terms.motivation_ref": "amendment_reason"}

// sessionStep posts one step of the session to the service and comes back to the page at the item (or with the
// refusal next to the form).
func (s *Server) sessionStep(st sessionStepDef) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *Session) {
		id, ref := r.PathValue("id"), r.PathValue("ref")
		if !uuidLike(id) || (strings.Contains(st.Route, "{ref}") && !uuidLike(ref)) {
			s.errorPage(w, r, sess, http.StatusNotFound, "error.notfound.title", "error.notfound.message")
			return
		}
		errs := map[string]string{}
		var body any
		if st.Body != nil {
			body = st.Body(r, errs)
		}
		if len(errs) > 0 {
			s.renderSession(w, r, sess, http.StatusUnprocessableEntity, st.Name, ref, errs, nil)
			return
		}
		var version int64
		if st.IfMatch {
			version, _ = strconv.ParseInt(r.PostFormValue("version"), 10, 64)
		}
		key := ""
		if st.Keyed {
			key = r.PostFormValue("idempotency_key")
		}
		var err error
		cl := s.call(r, sess)
		if st.Name == "removal" {
			_, err = s.decisions.RemoveSessionItem(r.Context(), cl, id, ref, version)
		} else {
			_, err = s.decisions.SessionStep(r.Context(), cl, id, strings.ReplaceAll(st.Path, "{ref}", url.PathEscape(ref)), version, key, body)
		}
		var ae *APIError
		switch {
		case err == nil:
			s.setFlash(w, r, st.Flash)
			target := sessionPagePath(id)
			switch {
			case st.Name == "minutes-approval":
				// The members and the president see a session until its minutes are approved: back to the list.
				target = "/sessions"
			case ref != "" && st.Name != "removal":
				target += "#item-" + ref
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
		case errors.As(err, &ae) && (ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusConflict ||
			ae.Status == http.StatusPreconditionFailed || ae.Status == http.StatusPreconditionRequired):
			var general []string
			if ae.Status == http.StatusPreconditionFailed || ae.Status == http.StatusPreconditionRequired {
				general = append(general, translate(langOf(r), "session.stale"))
			}
			for _, fe := range ae.Fields {
				name := fe.Field
				if n, ok := sessionErrorFields[name]; ok {
					name = n
				}
				if errs[name] == "" {
					errs[name] = fe.Message
				}
			}
			if len(ae.Fields) == 0 && ae.Status != http.StatusPreconditionFailed && ae.Status != http.StatusPreconditionRequired {
				msg := ae.Detail
				if msg == "" {
					msg = ae.Title
				}
				errs["_"] = msg
			}
			for _, msg := range errs {
				general = append(general, msg)
			}
			s.renderSession(w, r, sess, ae.Status, st.Name, ref, errs, general)
		default:
			s.apiFailed(w, r, sess, err)
		}
	}
}

// sessionDocument serves the minutes or an item's extract: the service's HTML as a page of its own (its inline
// print stylesheet allowed by its hash only) or the PDF as a download.
func (s *Server) sessionDocument(extract, pdf bool) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *Session) {
		id, ref := r.PathValue("id"), ""
		if extract {
			ref = r.PathValue("ref")
		}
		if !uuidLike(id) || (extract && !uuidLike(ref)) {
			s.errorPage(w, r, sess, http.StatusNotFound, "error.notfound.title", "error.notfound.message")
			return
		}
		res, err := s.decisions.SessionDocument(r.Context(), s.call(r, sess), id, ref, pdf)
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusConflict {
			v := &view{Lang: langOf(r), Session: sess, Data: errorData{Message: ae.Detail}}
			v.Title = v.T("session.document_unavailable")
			s.render(w, r, http.StatusConflict, "error", v)
			return
		}
		if err != nil {
			s.apiFailed(w, r, sess, err)
			return
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(io.LimitReader(res.Body, 32<<20))
		if err != nil {
			s.unavailable(w, r, sess, ErrDecisionsUnavailable)
			return
		}
		h := w.Header()
		if pdf {
			name := "pv-seance.pdf"
			if extract {
				name = "extrait.pdf"
			}
			h.Set("Content-Type", "application/pdf")
			h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
			h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		} else {
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Security-Policy", letterCSP(raw))
		}
		h.Set("Cache-Control", "no-store")
		if l := res.Header.Get("Content-Language"); l != "" {
			h.Set("Content-Language", l)
		}
		_, _ = w.Write(raw)
	}
}

// ---- urgent decisions ------------------------------------------------------------------------------------

type urgentListData struct {
	Awaiting []UrgentDecision
	All      []UrgentDecision
}

func (s *Server) urgentDecisionsPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	all, err := s.decisions.UrgentDecisions(r.Context(), s.call(r, sess), false)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	d := urgentListData{}
	for _, u := range all {
		if u.Ratification == "awaiting" {
			d.Awaiting = append(d.Awaiting, u)
		} else {
			d.All = append(d.All, u)
		}
	}
	v := &view{Lang: langOf(r), Session: sess, Data: d}
	v.Title = v.T("urgent.list.title")
	s.render(w, r, http.StatusOK, "urgent_list", v)
}

var urgentFields = []formField{
	{Name: "request_number", Label: "urgent.request_number"},
	{Name: "category", Label: "urgent.category"},
	{Name: "monthly_amount", Label: "urgent.monthly_amount"},
	{Name: "start", Label: "urgent.start"},
	{Name: "end", Label: "urgent.end"},
	{Name: "review", Label: "urgent.review"},
	{Name: "piis", Label: "urgent.piis"},
	{Name: "motivation", Label: "urgent.motivation"},
}

type urgentFormData struct {
	IdempotencyKey string
	Categories     []string
}

func (s *Server) newUrgentPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	f := newForm(urgentFields, url.Values{"start": {civil.Today().String()}})
	s.renderUrgentForm(w, r, sess, http.StatusOK, f, newIdempotencyKey())
}

func (s *Server) renderUrgentForm(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form, key string) {
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: urgentFormData{IdempotencyKey: key, Categories: []string{"1", "2", "3"}}}
	v.Title = v.T("urgent.new.title")
	s.render(w, r, status, "urgent_new", v)
}

func (s *Server) decideUrgently(w http.ResponseWriter, r *http.Request, sess *Session) {
	values := url.Values{}
	for _, fd := range urgentFields {
		values.Set(fd.Name, strings.TrimSpace(r.PostFormValue(fd.Name)))
	}
	f := newForm(urgentFields, values)
	in := UrgentInput{RequestNumber: values.Get("request_number"), Start: values.Get("start"), End: values.Get("end"),
		Review: values.Get("review"), PIIS: values.Get("piis") != "", Motivation: values.Get("motivation")}
	if c, err := strconv.Atoi(values.Get("category")); err == nil {
		in.Category = c
	}
	cents, ok := parseEuroCents(values.Get("monthly_amount"))
	if !ok {
		f.Fail("monthly_amount", translate(langOf(r), "session.amount_invalid"))
		s.renderUrgentForm(w, r, sess, http.StatusUnprocessableEntity, f, r.PostFormValue("idempotency_key"))
		return
	}
	in.MonthlyAmount = cents
	_, err := s.decisions.DecideUrgently(r.Context(), s.call(r, sess), r.PostFormValue("idempotency_key"), in)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.urgent_decided")
		http.Redirect(w, r, "/urgent-decisions", http.StatusSeeOther)
	case errors.As(err, &ae) && (ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusConflict):
		for _, fe := range ae.Fields {
			name := strings.TrimPrefix(fe.Field, "terms.")
			if name == "monthly_amount_cents" {
				name = "monthly_amount"
			}
			if f.knows(name) {
				f.Fail(name, fe.Message)
			} else if fe.Message != "" {
				f.General = append(f.General, fe.Message)
			}
		}
		if len(ae.Fields) == 0 {
			f.General = append(f.General, ae.Detail)
		}
		// The refused request stays under its key: the corrected form is a new request.
		s.renderUrgentForm(w, r, sess, ae.Status, f, newIdempotencyKey())
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// ---- the committee's rules of order (tenant admin) --------------------------------------------------------

var committeeRulesFields = []formField{
	{Name: "quorum", Label: "committee_rules.quorum"},
	{Name: "quorum_fixed", Label: "committee_rules.quorum_fixed"},
	{Name: "majority", Label: "committee_rules.majority"},
	{Name: "tie", Label: "committee_rules.tie"},
}

type committeeRulesData struct {
	Version   int64
	ClearDays int
	Quorums   []string
	Majority  []string
	Ties      []string
}

func (s *Server) committeeRulesPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	cr, err := s.decisions.CommitteeRules(r.Context(), s.call(r, sess))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	f := newForm(committeeRulesFields, url.Values{"quorum": {cr.Quorum}, "quorum_fixed": {strconv.Itoa(cr.QuorumFixed)},
		"majority": {cr.Majority}, "tie": {cr.Tie}})
	s.renderCommitteeRules(w, r, sess, http.StatusOK, f, cr)
}

func (s *Server) renderCommitteeRules(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form, cr CommitteeRules) {
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: committeeRulesData{Version: cr.Version, ClearDays: cr.ConvocationClearDays,
		Quorums: []string{"majority_of_members", "fixed_number"}, Majority: []string{"votes_cast", "members_present"},
		Ties: []string{"rejected", "president_casting_vote"}}}
	v.Title = v.T("committee_rules.title")
	s.render(w, r, status, "committee_rules", v)
}

func (s *Server) saveCommitteeRules(w http.ResponseWriter, r *http.Request, sess *Session) {
	values := url.Values{}
	for _, fd := range committeeRulesFields {
		values.Set(fd.Name, strings.TrimSpace(r.PostFormValue(fd.Name)))
	}
	f := newForm(committeeRulesFields, values)
	in := CommitteeRules{Quorum: values.Get("quorum"), Majority: values.Get("majority"), Tie: values.Get("tie")}
	if values.Get("quorum") == "fixed_number" {
		n, err := strconv.Atoi(values.Get("quorum_fixed"))
		if err != nil {
			n = -1
		}
		in.QuorumFixed = n
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	out, err := s.decisions.PutCommitteeRules(r.Context(), s.call(r, sess), version, in)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.committee_rules_saved")
		http.Redirect(w, r, "/committee-rules", http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		applySessionProblem(f, ae)
		cur, _ := s.decisions.CommitteeRules(r.Context(), s.call(r, sess))
		cur.Version = version
		s.renderCommitteeRules(w, r, sess, ae.Status, f, cur)
	case errors.As(err, &ae) && (ae.Status == http.StatusPreconditionFailed || ae.Status == http.StatusPreconditionRequired):
		f.General = append(f.General, translate(langOf(r), "committee_rules.stale"))
		cur, err := s.decisions.CommitteeRules(r.Context(), s.call(r, sess))
		if err != nil {
			s.apiFailed(w, r, sess, err)
			return
		}
		s.renderCommitteeRules(w, r, sess, http.StatusConflict, f, cur)
	default:
		_ = out
		s.apiFailed(w, r, sess, err)
	}
}
