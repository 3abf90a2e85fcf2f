package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/entraide/entraide/libs/lang"
)

//go:embed templates/*.html
var templateFiles embed.FS

// pages are the parsed page templates by name ("users_list"), each joined with the layout and the partials.
type pages map[string]*template.Template

func parsePages() (pages, error) {
	base, err := template.New("").ParseFS(templateFiles, "templates/_layout.html", "templates/_partials.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := pages{}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFiles, n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// view is what every page template receives: the language and its texts, the signed-in user, the navigation,
// the CSRF token, a one-time message, the form being filled in, and the page's own data.
type view struct {
	Lang  string
	Title string
	// Session is nil on the pages shown before login.
	Session *Session
	Nav     []navEntry
	// Route is the route template of the page, to mark the current navigation entry.
	Route     string
	CSRF      string
	Flash     string
	LangLinks []langLink
	Form      *form
	Data      any
	// authorize answers Can (the actions a page offers).
	authorize Authorizer
}

type langLink struct {
	Code, Name, Href string
	Current          bool
}

// T returns a text of the catalog in the page's language.
func (v *view) T(key string, args ...any) string { return translate(v.Lang, key, args...) }

// Date writes a time in the page's language.
func (v *view) Date(t time.Time) string { return formatDate(v.Lang, t) }

// Role returns a role's name in the page's language.
func (v *view) Role(role string) string { return translate(v.Lang, "role."+role) }

// Roles returns role names in the page's language, comma-separated.
func (v *view) Roles(roles []string) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = v.Role(r)
	}
	return strings.Join(names, ", ")
}

// LanguageName returns a language's name in itself.
func (v *view) LanguageName(code string) string { return languageNames[code] }

// Languages are the codes of the languages a user or tenant may have.
func (v *view) Languages() []string { return lang.Supported }

// Current tells whether route is the page shown, for aria-current in the navigation.
func (v *view) Current(route string) bool { return v.Route == route }

// Field describes one input of the view's form for the "field" partial. opts: "required",
// "autocomplete=<token>", "hint=<catalog key>".
func (v *view) Field(name, typ, label string, opts ...string) fieldView {
	f := fieldView{ID: "f-" + name, Name: name, Type: typ, Label: v.T(label)}
	if v.Form != nil {
		if typ != "password" {
			// A password is never sent back to the browser, not even the one just typed.
			f.Value = v.Form.Value(name)
		}
		f.Error = v.Form.Error(name)
	}
	var describedBy []string
	for _, o := range opts {
		switch {
		case o == "required":
			f.Required = true
		case strings.HasPrefix(o, "autocomplete="):
			f.Autocomplete = strings.TrimPrefix(o, "autocomplete=")
		case strings.HasPrefix(o, "hint="):
			f.Hint = v.T(strings.TrimPrefix(o, "hint="))
			f.HintID = f.ID + "-hint"
			describedBy = append(describedBy, f.HintID)
		}
	}
	if f.Error != "" {
		f.ErrorID = f.ID + "-error"
		describedBy = append(describedBy, f.ErrorID)
	}
	f.DescribedBy = strings.Join(describedBy, " ")
	return f
}

// Summary lists the form's errors for the summary at the top of the page, with links to the fields.
func (v *view) Summary() []summaryItem {
	if v.Form == nil {
		return nil
	}
	var out []summaryItem
	for _, fd := range v.Form.fields {
		if msg := v.Form.errs[fd.Name]; msg != "" {
			out = append(out, summaryItem{Href: "#f-" + fd.Name, Label: v.T(fd.Label), Message: msg})
		}
	}
	return out
}

// LanguageSelect describes a choice of language; a tenant's language is one of the country's (fr, nl, de).
func (v *view) LanguageSelect(name, label string, tenant bool) selectView {
	sv := selectView{ID: "f-" + name, Name: name, Label: v.T(label)}
	value := ""
	if v.Form != nil {
		value, sv.Error = v.Form.Value(name), v.Form.Error(name)
	}
	if sv.Error != "" {
		sv.ErrorID = sv.ID + "-error"
	}
	for _, code := range lang.Supported {
		if tenant && code == "en" {
			continue
		}
		sv.Options = append(sv.Options, option{Value: code, Label: languageNames[code], Lang: code, Selected: code == value})
	}
	return sv
}

type selectView struct {
	ID, Name, Label, Error, ErrorID string
	Options                         []option
}

type option struct {
	Value, Label, Lang string
	Selected           bool
}

// Pager adds the texts of the page navigation of a list.
func (v *view) Pager(p pager) pagerView {
	return pagerView{pager: p, Label: v.T("pager.label"), PrevText: v.T("pager.prev"), NextText: v.T("pager.next"),
		Position: v.T("pager.position", "page", p.Page, "pages", p.Pages)}
}

type pagerView struct {
	pager
	Label, PrevText, NextText, Position string
}

type fieldView struct {
	ID, Name, Type, Label, Value, Error, ErrorID, Hint, HintID, Autocomplete, DescribedBy string
	Required                                                                              bool
}

type summaryItem struct{ Href, Label, Message string }

// formField is an input of a form: its name and its label's catalog key.
type formField struct{ Name, Label string }

// form holds what the user typed and what is wrong with it, so that a refused form comes back filled in with
// each error next to its field.
type form struct {
	fields []formField
	values url.Values
	errs   map[string]string
	// General are errors that belong to no field, shown at the top.
	General []string
}

func newForm(fields []formField, values url.Values) *form {
	if values == nil {
		values = url.Values{}
	}
	return &form{fields: fields, values: values, errs: map[string]string{}}
}

// Value returns the typed value of a field.
func (f *form) Value(name string) string { return f.values.Get(name) }

// Checked tells whether a checkbox group has value v checked.
func (f *form) Checked(name, v string) bool {
	for _, x := range f.values[name] {
		if x == v {
			return true
		}
	}
	return false
}

// Error returns the error message of a field, or "".
func (f *form) Error(name string) string { return f.errs[name] }

// Fail records an error on a field (the first one is kept).
func (f *form) Fail(name, message string) {
	if f.errs[name] == "" {
		f.errs[name] = message
	}
}

// HasErrors tells whether any field or general error was recorded.
func (f *form) HasErrors() bool { return len(f.errs) > 0 || len(f.General) > 0 }

func (f *form) knows(name string) bool {
	for _, fd := range f.fields {
		if fd.Name == name {
			return true
		}
	}
	return false
}

// applyProblem maps the identity service's field errors onto the form's fields ("admin.username" becomes
// "admin_username", "roles[2]" becomes "roles"); the messages are already in the user's language. Errors of fields the form does not show
// become general errors.
func (f *form) applyProblem(e *APIError, rename map[string]string) {
	for _, fe := range e.Fields {
		name, _, _ := strings.Cut(fe.Field, "[")
		name = strings.ReplaceAll(name, ".", "_")
		if r, ok := rename[name]; ok {
			name = r
		}
		if f.knows(name) {
			f.Fail(name, fe.Message)
		} else if fe.Message != "" {
			f.General = append(f.General, fe.Message)
		}
	}
	if len(e.Fields) == 0 && e.Title != "" {
		f.General = append(f.General, e.Title)
	}
}

// render writes a page. The template runs into a buffer first, so a template error becomes a clean 500.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	t, ok := s.pages[page]
	if !ok {
		s.internalError(w, r, fmt.Errorf("no template %q", page))
		return
	}
	if v.Lang == "" {
		v.Lang = lang.FromRequest(r)
	}
	if v.Route == "" {
		v.Route = routeTemplate(r)
	}
	if v.Flash == "" {
		v.Flash = s.takeFlash(w, r, v.Lang)
	}
	v.LangLinks = langLinks(r, v.Lang)
	v.authorize = s.authorize
	if v.Session != nil {
		v.Nav = s.authorize.navFor(v.Session)
		if v.CSRF == "" {
			v.CSRF = sessionCSRFToken(v.Session)
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.internalError(w, r, fmt.Errorf("render %s: %w", page, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", v.Lang)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// langLinks are the language switch's links: each sets the lang cookie and comes back to this page.
func langLinks(r *http.Request, current string) []langLink {
	back := r.URL.Path
	if r.Method == http.MethodGet && r.URL.RawQuery != "" {
		back += "?" + r.URL.RawQuery
	}
	out := make([]langLink, 0, len(lang.Supported))
	for _, code := range lang.Supported {
		out = append(out, langLink{Code: code, Name: languageNames[code], Current: code == current,
			Href: "/lang/" + code + "?" + url.Values{"return": {back}}.Encode()})
	}
	return out
}
