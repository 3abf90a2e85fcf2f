package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/entraide/entraide/libs/civil"
)

// Template helpers of the registry pages: civil dates, coded values translated, choices, staff names.

// CivilDate writes a civil date ("2026-03-02") in the page's language: "2 mars 2026". An unreadable value is
// shown as it is.
func (v *view) CivilDate(s string) string {
	d, err := civil.Parse(s)
	if err != nil {
		return s
	}
	return translate(v.Lang, "date.civil", "day", d.Day(), "month", translate(v.Lang, "month."+strconv.Itoa(int(d.Month()))), "year", d.Year())
}

// Code translates a coded value: Code "relation" "spouse" is the text of "relation.spouse".
func (v *view) Code(prefix, code string) string {
	if code == "" {
		return ""
	}
	return translate(v.Lang, prefix+"."+code)
}

// TaskTitle is a task's title in the page's language (tasks carry French and Dutch titles).
func (v *view) TaskTitle(t Task) string {
	if v.Lang == "nl" && t.TitleNL != "" {
		return t.TitleNL
	}
	if t.TitleFR != "" {
		return t.TitleFR
	}
	return t.TitleNL
}

// Localized picks a text of a FR/NL map in the page's language (French for German and English pages, as the
// texts a decision quotes exist in the two languages of the CPAS).
func (v *view) Localized(m map[string]string) string {
	if s := m[v.Lang]; s != "" {
		return s
	}
	return m["fr"]
}

// Size writes a number of bytes for people: "2,4 Mo" / "2.4 MB".
func (v *view) Size(n int64) string { return formatSize(v.Lang, n) }

func formatSize(l string, n int64) string {
	unit, div := "size.kb", float64(1<<10)
	if n >= 1<<20 {
		unit, div = "size.mb", float64(1<<20)
	}
	s := strconv.FormatFloat(float64(n)/div, 'f', 1, 64)
	if l != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return translate(l, unit, "n", s)
}

// Time writes an instant as a date and time in Brussels.
func (v *view) Time(t time.Time) string { return formatDate(v.Lang, t) }

// Choice describes a select of coded values for the "select" partial: the option texts are the catalog's
// prefix.<value>; empty adds a first "choose" option with the empty value.
func (v *view) Choice(name, label, prefix string, values []string, empty bool) selectView {
	sv := selectView{ID: "f-" + name, Name: name, Label: v.T(label)}
	value := ""
	if v.Form != nil {
		value, sv.Error = v.Form.Value(name), v.Form.Error(name)
	}
	if sv.Error != "" {
		sv.ErrorID = sv.ID + "-error"
	}
	if empty {
		sv.Options = append(sv.Options, option{Value: "", Label: v.T("form.choose"), Selected: value == ""})
	}
	for _, c := range values {
		sv.Options = append(sv.Options, option{Value: c, Label: v.T(prefix + "." + c), Selected: c == value})
	}
	return sv
}

// Textarea describes a multi-line input for the "textarea" partial.
func (v *view) Textarea(name, label string, opts ...string) fieldView {
	return v.Field(name, "textarea", label, opts...)
}

// Checked tells whether the view's form has the checkbox name checked (value "on" or "true").
func (v *view) Checked(name string) bool {
	if v.Form == nil {
		return false
	}
	x := v.Form.Value(name)
	return x == "on" || x == "true" || x == "1"
}

// Value is the typed value of a field of the view's form.
func (v *view) Value(name string) string {
	if v.Form == nil {
		return ""
	}
	return v.Form.Value(name)
}

// Error is the error of a field of the view's form.
func (v *view) Error(name string) string {
	if v.Form == nil {
		return ""
	}
	return v.Form.Error(name)
}

// Can tells whether the signed-in user may open a page (method and route template of the policy): the pages
// show only the actions the user may take.
func (v *view) Can(method, route string) bool {
	return v.Session != nil && v.authorize != nil && v.authorize(v.Session.Tenant, v.Session.Roles(), method, route)
}

// MonthNames are the months' names in the page's language, "|"-separated (for static/niss.js).
func (v *view) MonthNames() string {
	names := make([]string, 12)
	for i := range names {
		names[i] = translate(v.Lang, "month."+strconv.Itoa(i+1))
	}
	return strings.Join(names, "|")
}

// With is the view with other page data, for a partial that reads .Data (the caseload table on the home page).
func (v *view) With(data any) *view {
	c := *v
	c.Data = data
	return &c
}
