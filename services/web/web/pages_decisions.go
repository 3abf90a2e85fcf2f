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

// Decisions (the decisions service's package decision): the decision page under the applicant
// (/persons/{id}/decisions/{decision}) with its terms, its clocks, the letter (the service's HTML, printable, and
// its PDF, in the beneficiary's language) and the notification form (registered letter number or signed
// receipt, date; Idempotency-Key hidden field, version for If-Match); the after-decision forms (revision,
// suspension, withdrawal, termination, recovery, appeal lodged and judgment, PIIS follow-up, MediPrima
// encoding), one page each; and the list of decisions for finance (amounts and periods only).

// decisionRoutes registers the decision pages (called from routes()).
func (s *Server) decisionRoutes(handle func(string, http.Handler)) {
	handle("GET /persons/{id}/decisions/{decision}", s.page(s.decisionPage))
	handle("POST /persons/{id}/decisions/{decision}/notification", s.page(s.notifyDecision))
	handle("GET /persons/{id}/decisions/{decision}/letter", s.page(s.decisionLetter(false)))
	handle("GET /persons/{id}/decisions/{decision}/letter.pdf", s.page(s.decisionLetter(true)))
	handle("GET /persons/{id}/decisions/{decision}/actions/{action}", s.page(s.decisionActionPage))
	handle("POST /persons/{id}/decisions/{decision}/actions/{action}", s.page(s.decisionAction))
	handle("GET /decisions", s.page(s.decisionsListPage))
	s.decisionChangeRoutes(handle)
}

func decisionPagePath(personID, decisionID string) string {
	return "/persons/" + url.PathEscape(personID) + "/decisions/" + url.PathEscape(decisionID)
}

// Codes the forms offer, as the service knows them.
var (
	notificationMethods = []string{"registered_letter", "receipt_signed", "handed"}
	suspensionReasons   = []string{"piis_breach", "no_cooperation", "other"}
	terminationReasons  = []string{"resources_sufficient", "conditions_not_met", "moved", "deceased", "beneficiary_request", "end_of_period", "other"}
	withdrawalReasons   = []string{"false_declaration", "cpas_error", "conditions_not_met", "other"}
	recoveryCases       = []string{"retroactive_review", "change_in_law", "cpas_error", "false_declaration", "resources_received"}
	judgments           = []string{"confirmed", "annulled", "reformed"}
	decisionCategories  = []string{"1", "2", "3"}
)

var notificationFields = []formField{
	{Name: "method", Label: "decision.notification.method"},
	{Name: "reference", Label: "decision.notification.reference"},
	{Name: "date", Label: "decision.notification.date"},
}

// actionField is one input of an after-decision form: Type "date", "text", "money" (euros, sent as cents),
// "select" (Codes translated with Prefix), "checkbox" or "textarea".
type actionField struct {
	Name, Type, Label string
	Prefix            string
	Codes             []string
	Optional          bool
}

// decisionAction is an after-decision operation: its service path and its form.
type decisionActionDef struct {
	Name   string
	Path   string
	Fields []actionField
	// Applies tells whether the operation is offered on d.
	Applies func(d Decision) bool
}

func running(d Decision) bool { return d.Grants() && !d.Over() }

var decisionActions = []decisionActionDef{
	{Name: "revision", Path: "revisions", Applies: running, Fields: []actionField{
		{Name: "from", Type: "date", Label: "decision.revision.from"},
		{Name: "monthly", Type: "money", Label: "decision.revision.monthly"},
		{Name: "category", Type: "select", Label: "decision.category", Prefix: "decision_category", Codes: decisionCategories, Optional: true},
		{Name: "reason", Type: "textarea", Label: "decision.reason"}}},
	{Name: "suspension", Path: "suspensions", Applies: running, Fields: []actionField{
		{Name: "from", Type: "date", Label: "decision.period.from"},
		{Name: "to", Type: "date", Label: "decision.period.to"},
		{Name: "reason_code", Type: "select", Label: "decision.reason_code", Prefix: "decision_suspension_reason", Codes: suspensionReasons},
		{Name: "repeated", Type: "checkbox", Label: "decision.suspension.repeated", Optional: true},
		{Name: "note", Type: "textarea", Label: "decision.note", Optional: true}}},
	{Name: "withdrawal", Path: "withdrawal", Applies: running, Fields: []actionField{
		{Name: "date", Type: "date", Label: "decision.ending.date"},
		{Name: "reason_code", Type: "select", Label: "decision.reason_code", Prefix: "decision_withdrawal_reason", Codes: withdrawalReasons},
		{Name: "note", Type: "textarea", Label: "decision.note", Optional: true}}},
	{Name: "termination", Path: "termination", Applies: running, Fields: []actionField{
		{Name: "date", Type: "date", Label: "decision.ending.date"},
		{Name: "reason_code", Type: "select", Label: "decision.reason_code", Prefix: "decision_termination_reason", Codes: terminationReasons},
		{Name: "note", Type: "textarea", Label: "decision.note", Optional: true}}},
	{Name: "recovery", Path: "recoveries", Applies: Decision.Grants, Fields: []actionField{
		{Name: "case", Type: "select", Label: "decision.recovery.case", Prefix: "decision_recovery_case", Codes: recoveryCases},
		{Name: "amount", Type: "money", Label: "decision.recovery.amount"},
		{Name: "period_from", Type: "date", Label: "decision.period.from"},
		{Name: "period_to", Type: "date", Label: "decision.period.to"},
		{Name: "reason", Type: "textarea", Label: "decision.reason"}}},
	{Name: "appeal", Path: "appeals", Applies: func(d Decision) bool { return !d.PendingAppeal() }, Fields: []actionField{
		{Name: "lodged_on", Type: "date", Label: "decision.appeal.lodged_on"},
		{Name: "court_reference", Type: "text", Label: "decision.appeal.court_reference"}}},
	{Name: "judgment", Path: "appeals/judgment", Applies: Decision.PendingAppeal, Fields: []actionField{
		{Name: "judged_on", Type: "date", Label: "decision.appeal.judged_on"},
		{Name: "judgment", Type: "select", Label: "decision.appeal.judgment", Prefix: "decision_judgment", Codes: judgments}}},
	{Name: "piis", Path: "piis", Applies: func(d Decision) bool { return d.PIIS && running(d) }, Fields: []actionField{
		{Name: "signed_on", Type: "date", Label: "decision.piis.signed_on"},
		{Name: "evaluations_0", Type: "date", Label: "decision.piis.evaluation_1", Optional: true},
		{Name: "evaluations_1", Type: "date", Label: "decision.piis.evaluation_2", Optional: true},
		{Name: "evaluations_2", Type: "date", Label: "decision.piis.evaluation_3", Optional: true},
		{Name: "note", Type: "textarea", Label: "decision.note", Optional: true}}},
	{Name: "letter_texts", Path: "letter-texts", Applies: func(d Decision) bool { return d.Source == "urgent" && d.Notification == nil },
		Fields: letterTextFields()},
	{Name: "mediprima", Path: "mediprima", Applies: func(d Decision) bool { return d.Kind == "amu" && d.MediPrimaEncoded == "" },
		Fields: []actionField{{Name: "encoded_on", Type: "date", Label: "decision.mediprima.encoded_on"}}},
}

// letterWorkingLines is how many calculation lines the letter texts form offers.
const letterWorkingLines = 5

// letterTextFields are the inputs of the urgent decision's letter texts: the grounds, then the calculation lines.
func letterTextFields() []actionField {
	out := []actionField{
		{Name: "legal_basis", Type: "textarea", Label: "decision.legal_basis"},
		{Name: "category_justification", Type: "text", Label: "decision.category_justification", Optional: true},
		{Name: "motivation", Type: "textarea", Label: "decision.motivation"},
	}
	for i := range letterWorkingLines {
		n := strconv.Itoa(i)
		out = append(out,
			actionField{Name: "working_" + n + "_label", Type: "text", Label: "decision.working.label_" + n, Optional: true},
			actionField{Name: "working_" + n + "_amount", Type: "money", Label: "decision.working.amount_" + n, Optional: true})
	}
	return out
}

func findAction(name string) (decisionActionDef, bool) {
	for _, a := range decisionActions {
		if a.Name == name {
			return a, true
		}
	}
	return decisionActionDef{}, false
}

func (a decisionActionDef) formFields() []formField {
	out := make([]formField, 0, len(a.Fields))
	for _, f := range a.Fields {
		out = append(out, formField{Name: f.Name, Label: f.Label})
	}
	if a.Name == "revision" {
		out = append(out, revisionCalcFields()...)
		out = append(out, revisionPayeeFields()...)
	}
	return out
}

// decisionData is the page data of decision.html.
type decisionData struct {
	Person         Person
	Decision       Decision
	Actions        []string
	IdempotencyKey string
	Methods        []string
	// Changes are the decisions after the adoption with their letters and notification forms.
	Changes []changeRow
	// Purpose, Purposes and Return serve the purpose form.
	Purpose  string
	Purposes []string
	Return   string
}

// decisionActionData is the page data of decision_action.html.
type decisionActionData struct {
	Person   Person
	Decision Decision
	Action   decisionActionDef
	// The revision's RIS calculator (RIS and ERIS): rows, choices, and the service's calculation once asked.
	Calculator     bool
	Resources      []int
	Kinds, Periods []string
	Calculation    *RISCalculation
	// PayeeKinds: the revision's payee choice (pages_decision_payee.go).
	PayeeKinds []string
}

// loadDecision reads the page's person and decision; a decision of another person is not found.
func (s *Server) loadDecision(r *http.Request, sess *Session) (Person, Decision, error) {
	p, err := s.loadPerson(r, sess)
	if err != nil {
		return Person{}, Decision{}, err
	}
	if !uuidLike(r.PathValue("decision")) {
		return Person{}, Decision{}, &APIError{Status: http.StatusNotFound}
	}
	d, err := s.decisions.GetDecision(r.Context(), s.call(r, sess), sess.Purpose(p.ID), r.PathValue("decision"))
	if err != nil {
		return Person{}, Decision{}, err
	}
	if d.PersonID != p.ID {
		return Person{}, Decision{}, &APIError{Status: http.StatusNotFound}
	}
	return p, d, nil
}

func (s *Server) decisionPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	f := newForm(notificationFields, url.Values{"date": {civil.Today().String()}, "method": {"registered_letter"}})
	s.renderDecision(w, r, sess, http.StatusOK, f, newIdempotencyKey())
}

func (s *Server) renderDecision(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form, key string) {
	s.renderDecisionPage(w, r, sess, status, f, key, nil)
}

// renderDecisionPage shows the decision with f as its notification form and, when failed is set, a change's
// refused notification form.
func (s *Server) renderDecisionPage(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form, key string, failed *changeFormState) {
	p, d, err := s.loadDecision(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	var actions []string
	for _, a := range decisionActions {
		if a.Applies(d) {
			actions = append(actions, a.Name)
		}
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: decisionData{Person: p, Decision: d, Actions: actions,
		IdempotencyKey: key, Methods: notificationMethods, Purpose: sess.Purpose(p.ID), Purposes: Purposes,
		Return: decisionPagePath(p.ID, d.ID), Changes: changeRows(langOf(r), p, d, failed)}}
	v.Title = v.T("decision.title", "kind", v.Code("request_kind", d.Kind), "date", v.CivilDate(d.DecidedOn))
	s.render(w, r, status, "decision", v)
}

// notifyDecision records the notification on the version shown, under the form's Idempotency-Key: a double
// submission records it once.
func (s *Server) notifyDecision(w http.ResponseWriter, r *http.Request, sess *Session) {
	values := url.Values{}
	for _, fd := range notificationFields {
		values.Set(fd.Name, strings.TrimSpace(r.PostFormValue(fd.Name)))
	}
	f := newForm(notificationFields, values)
	key := r.PostFormValue("idempotency_key")
	version, verr := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	p, d, err := s.loadDecision(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	if verr != nil {
		version = d.Version
	}
	in := map[string]any{"method": values.Get("method"), "reference": values.Get("reference"), "date": values.Get("date")}
	_, err = s.decisions.NotifyDecision(r.Context(), s.call(r, sess), key, d.ID, version, in)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.decision_notified")
		http.Redirect(w, r, decisionPagePath(p.ID, d.ID), http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusPreconditionFailed:
		f.General = append(f.General, translate(langOf(r), "decision.conflict"))
		s.renderDecision(w, r, sess, http.StatusConflict, f, newIdempotencyKey())
	case errors.As(err, &ae) && (ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusConflict):
		f.applyProblem(ae, nil)
		if ae.Detail != "" {
			f.General = append([]string{ae.Detail}, f.General...)
		}
		// The refused request is kept under its key: the corrected form is a new request, with a new key.
		s.renderDecision(w, r, sess, ae.Status, f, newIdempotencyKey())
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// decisionLetter serves the decision letter: the service's HTML as a page of its own (its inline stylesheet
// allowed by its hash only) or the PDF as a download.
func (s *Server) decisionLetter(pdf bool) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *Session) {
		p, d, err := s.loadDecision(r, sess)
		if err != nil {
			s.apiFailed(w, r, sess, err)
			return
		}
		res, err := s.decisions.DecisionLetter(r.Context(), s.call(r, sess), sess.Purpose(p.ID), d.ID, pdf)
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusConflict {
			// The letter lacks mandatory mentions (the settings' labour court…): the service says which.
			msg := ae.Detail
			for _, fe := range ae.Fields {
				msg += " " + fe.Message
			}
			v := &view{Lang: langOf(r), Session: sess, Data: errorData{Message: msg}}
			v.Title = v.T("decision.letter_unavailable")
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
			name := "decision-" + strings.NewReplacer("/", "-", `"`, "", "\\", "").Replace(d.FileNumber) + ".pdf"
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

func (s *Server) decisionActionPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	a, ok := findAction(r.PathValue("action"))
	if !ok {
		s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
		return
	}
	var initial url.Values
	if a.Name == "revision" {
		initial = revisionPayeeDefaults()
	}
	s.renderDecisionAction(w, r, sess, http.StatusOK, a, newForm(a.formFields(), initial))
}

func (s *Server) renderDecisionAction(w http.ResponseWriter, r *http.Request, sess *Session, status int, a decisionActionDef, f *form) {
	s.renderDecisionActionCalc(w, r, sess, status, a, f, nil)
}

func (s *Server) renderDecisionActionCalc(w http.ResponseWriter, r *http.Request, sess *Session, status int, a decisionActionDef, f *form, calc *RISCalculation) {
	p, d, err := s.loadDecision(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	data := decisionActionData{Person: p, Decision: d, Action: a, Calculation: calc}
	if a.Name == "revision" {
		data.PayeeKinds = revisionPayeeKinds
	}
	if a.Name == "revision" && calculable(d) {
		data.Calculator, data.Kinds, data.Periods = true, risResourceKinds, risPeriods
		for i := range revisionResourceRows {
			data.Resources = append(data.Resources, i)
		}
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: data}
	v.Title = v.T("decision.action." + a.Name)
	s.render(w, r, status, "decision_action", v)
}

// decisionAction posts an after-decision operation on the version shown; a refused form comes back filled in
// with each error at its field, in the user's language.
func (s *Server) decisionAction(w http.ResponseWriter, r *http.Request, sess *Session) {
	a, ok := findAction(r.PathValue("action"))
	if !ok {
		s.apiFailed(w, r, sess, &APIError{Status: http.StatusNotFound})
		return
	}
	l := langOf(r)
	values := url.Values{}
	for _, fd := range a.formFields() {
		values.Set(fd.Name, strings.TrimSpace(r.PostFormValue(fd.Name)))
	}
	f := newForm(a.formFields(), values)
	body := map[string]any{}
	// The revision's calculator: the resources typed go with the revision (or to the calculator) as its
	// calculation; the monthly amount may then be left empty (the service takes the calculation's).
	rename := map[string]string{"monthly_cents": "monthly", "amount_cents": "amount"}
	var resources []RISResource
	if a.Name == "revision" {
		resources = readResources(values, revisionResourceRows, f, l, rename)
		for k, v := range rename {
			if strings.HasPrefix(k, "resources_") {
				rename["calculation_"+k] = v
			}
		}
		if len(resources) > 0 {
			body["calculation"] = map[string]any{"resources": resources, "socio_professional": values.Get("socio_professional") == "on"}
		}
	}
	var evaluations []string
	working := []map[string]any{}
	for _, fd := range a.Fields {
		x := values.Get(fd.Name)
		switch {
		case strings.HasPrefix(fd.Name, "working_") && strings.HasSuffix(fd.Name, "_label"):
			amountField := strings.TrimSuffix(fd.Name, "_label") + "_amount"
			amount := values.Get(amountField)
			if x == "" && amount == "" {
				continue
			}
			c, ok := euroCents(strings.TrimPrefix(amount, "-"))
			if !ok && amount != "" {
				f.Fail(amountField, translate(l, "decision.amount_format"))
			}
			if strings.HasPrefix(amount, "-") {
				c = -c
			}
			working = append(working, map[string]any{"label": x, "amount_cents": c})
		case strings.HasPrefix(fd.Name, "working_"):
			// the amount goes with its label
		case fd.Type == "money" && x == "" && len(resources) > 0:
			// recomputed: the calculation's amount
		case fd.Type == "money":
			c, ok := euroCents(x)
			if !ok {
				f.Fail(fd.Name, translate(l, "decision.amount_format"))
			}
			body[fd.Name+"_cents"] = c
		case fd.Type == "checkbox":
			body[fd.Name] = x == "on" || x == "true"
		case strings.HasPrefix(fd.Name, "evaluations_"):
			evaluations = append(evaluations, x)
		case fd.Name == "category":
			if x != "" {
				n, _ := strconv.Atoi(x)
				body["category"] = n
			}
		default:
			body[fd.Name] = x
		}
	}
	if a.Name == "piis" {
		body["evaluations"] = evaluations
	}
	if a.Name == "letter_texts" {
		body["working"] = working
	}
	if a.Name == "revision" {
		if p := revisionPayee(values); p != nil {
			body["payee"] = p
		}
	}
	version, verr := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if f.HasErrors() || verr != nil {
		if verr != nil {
			f.General = append(f.General, translate(l, "decision.conflict"))
		}
		s.renderDecisionAction(w, r, sess, http.StatusUnprocessableEntity, a, f)
		return
	}
	p, d, err := s.loadDecision(r, sess)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	if a.Name == "revision" && r.PostFormValue("action") == "calculate" {
		s.calculateRevision(w, r, sess, a, f, d, resources, rename)
		return
	}
	_, err = s.decisions.DecisionAction(r.Context(), s.call(r, sess), d.ID, a.Path, version, body)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.decision_changed")
		http.Redirect(w, r, decisionPagePath(p.ID, d.ID), http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusPreconditionFailed:
		f.General = append(f.General, translate(l, "decision.conflict"))
		s.renderDecisionAction(w, r, sess, http.StatusConflict, a, f)
	case errors.As(err, &ae) && (ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusConflict):
		if a.Name == "revision" {
			// The calculation's errors come as calculation.resources[i].x: each at its row.
			for _, fe := range ae.Fields {
				if name := rename[apiFormName(fe.Field)]; name != "" && f.knows(name) {
					f.Fail(name, fe.Message)
				} else {
					f.applyProblem(&APIError{Fields: []APIFieldError{fe}}, rename)
				}
			}
		} else {
			f.applyProblem(ae, rename)
		}
		if ae.Detail != "" && len(ae.Fields) == 0 {
			f.General = append(f.General[:0], ae.Detail)
		}
		s.renderDecisionAction(w, r, sess, ae.Status, a, f)
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// decisionsListData is the page data of decisions_list.html.
type decisionsListData struct {
	Items      []Decision
	Page       int
	Prev, Next string
}

// decisionsListPage lists the tenant's decisions as finance reads them: amounts and periods (the service gives
// finance nothing else).
func (s *Server) decisionsListPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page < 1 {
		page = 1
	}
	const size = 50
	res, err := s.decisions.ListDecisions(r.Context(), s.call(r, sess), "payment", "", "", page, size)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	data := decisionsListData{Items: res.Items, Page: page}
	if page > 1 {
		data.Prev = "/decisions?page=" + strconv.Itoa(page-1)
	}
	if len(res.Items) == size {
		data.Next = "/decisions?page=" + strconv.Itoa(page+1)
	}
	v := &view{Lang: langOf(r), Session: sess, Data: data}
	v.Title = v.T("decisions.list.title")
	s.render(w, r, http.StatusOK, "decisions_list", v)
}

// DecisionMoney writes cents as euros in the page's language: "1.314,20 €" ("€1,314.20" in English).
func (v *view) DecisionMoney(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	units := strconv.FormatInt(c/100, 10)
	var b strings.Builder
	thousands, decimal := ".", ","
	if v.Lang == "en" {
		thousands, decimal = ",", "."
	}
	for i, r := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteString(thousands)
		}
		b.WriteRune(r)
	}
	cents := strconv.FormatInt(c%100, 10)
	if len(cents) == 1 {
		cents = "0" + cents
	}
	if v.Lang == "en" {
		return sign + "€" + b.String() + decimal + cents
	}
	return sign + b.String() + decimal + cents + " €"
}

// DueSentence is a clock's sentence in the page's language (Dutch for nl, French otherwise).
func (v *view) DueSentence(d Deadline) string { return d.Sentence(v.Lang) }

// ActionField describes an after-decision form's input for the templates.
func (v *view) ActionField(f actionField) fieldView {
	opts := []string{}
	if !f.Optional {
		opts = append(opts, "required")
	}
	typ := f.Type
	if typ == "money" {
		typ = "text"
		opts = append(opts, "hint=decision.money.hint")
	}
	return v.Field(f.Name, typ, f.Label, opts...)
}

// ActionChoice is the select of an after-decision form's coded input.
func (v *view) ActionChoice(f actionField) selectView {
	return v.Choice(f.Name, f.Label, f.Prefix, f.Codes, true)
}

// euroCents reads an amount typed in euros ("589,05", "1.314,20", "589.05", "589") as cents.
func euroCents(s string) (int64, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "€"))
	if s == "" {
		return 0, false
	}
	s = strings.ReplaceAll(s, " ", "")
	// The last separator followed by one or two digits is the decimal one; the others group thousands.
	dec := ""
	if i := strings.LastIndexAny(s, ",."); i >= 0 && len(s)-i-1 <= 2 {
		dec, s = s[i+1:], s[:i]
	}
	s = strings.NewReplacer(".", "", ",", "").Replace(s)
	for len(dec) < 2 {
		dec += "0"
	}
	units, err := strconv.ParseInt(s, 10, 64)
	if err != nil || units < 0 {
		return 0, false
	}
	c, err := strconv.ParseInt(dec, 10, 64)
	if err != nil {
		return 0, false
	}
	return units*100 + c, true
}

// decisionActionNames lists the names of the after-decision forms (tests).
func decisionActionNames() []string {
	var out []string
	for _, a := range decisionActions {
		out = append(out, a.Name)
	}
	return slices.Clip(out)
}
