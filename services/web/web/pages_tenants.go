package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// The tenant pages of a platform admin: the list of CPAS and the creation of a CPAS with its first tenant admin.
// A tenant's code and name are public (an institution, not a person), so the tenant search is a plain GET ?q=.

const tenantsPageSize = 20

// tenantsData is the page data of tenants_list.html.
type tenantsData struct {
	Query   string
	Tenants []Tenant
	Pager   pager
}

func (s *Server) tenantsPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 100 {
		q = q[:100]
	}
	page := pageNumber(r)
	list, err := s.identity.ListTenants(r.Context(), s.call(r, sess), q, page, tenantsPageSize)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	var extra url.Values
	if q != "" {
		extra = url.Values{"q": {q}}
	}
	v := &view{Lang: langOf(r), Session: sess, Form: newForm([]formField{{Name: "q", Label: "tenants.search"}}, url.Values{"q": {q}})}
	v.Title = v.T("tenants.title")
	v.Data = tenantsData{Query: q, Tenants: list.Items, Pager: newPager("/tenants", extra, page, tenantsPageSize, list.Total)}
	s.render(w, r, http.StatusOK, "tenants_list", v)
}

var newTenantFields = []formField{
	{Name: "code", Label: "tenant.code"},
	{Name: "name", Label: "tenant.name"},
	{Name: "kbo", Label: "tenant.kbo"},
	{Name: "language", Label: "tenant.language"},
	{Name: "admin_username", Label: "user.username"},
	{Name: "admin_display_name", Label: "user.display_name"},
	{Name: "admin_email", Label: "user.email"},
	{Name: "admin_password", Label: "user.initial_password"},
	{Name: "admin_confirm_password", Label: "password.confirm"},
}

// tenantFormData is the page data of tenant_new.html.
type tenantFormData struct {
	IdempotencyKey string
}

func (s *Server) newTenantPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderNewTenant(w, r, sess, http.StatusOK, newForm(newTenantFields, url.Values{"language": {"fr"}}))
}

func (s *Server) renderNewTenant(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form) {
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: tenantFormData{IdempotencyKey: newIdempotencyKey()}}
	v.Title = v.T("tenant.new.title")
	s.render(w, r, status, "tenant_new", v)
}

// createTenant creates the CPAS and its first tenant admin.
func (s *Server) createTenant(w http.ResponseWriter, r *http.Request, sess *Session) {
	l := langOf(r)
	values := url.Values{}
	for _, fd := range newTenantFields {
		if !strings.Contains(fd.Name, "password") {
			values.Set(fd.Name, strings.TrimSpace(r.PostFormValue(fd.Name)))
		}
	}
	values.Set("code", strings.ToLower(values.Get("code")))
	f := newForm(newTenantFields, values)
	password := r.PostFormValue("admin_password")
	if password == "" {
		f.Fail("admin_password", translate(l, "form.required"))
	}
	if c := r.PostFormValue("admin_confirm_password"); c == "" {
		f.Fail("admin_confirm_password", translate(l, "form.required"))
	} else if c != password {
		f.Fail("admin_confirm_password", translate(l, "password.mismatch"))
	}
	if f.HasErrors() {
		s.renderNewTenant(w, r, sess, http.StatusUnprocessableEntity, f)
		return
	}
	t, err := s.identity.CreateTenant(r.Context(), s.call(r, sess), r.PostFormValue("idempotency_key"), NewTenant{
		Code: values.Get("code"), Name: values.Get("name"), KBO: values.Get("kbo"), Language: values.Get("language"),
		Admin: NewTenantAdm{Username: values.Get("admin_username"), DisplayName: values.Get("admin_display_name"),
			Email: values.Get("admin_email"), Password: password},
	})
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.tenant_created")
		http.Redirect(w, r, "/tenants/"+url.PathEscape(t.ID), http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f.applyProblem(ae, nil)
		s.renderNewTenant(w, r, sess, http.StatusUnprocessableEntity, f)
	default:
		s.apiFailed(w, r, sess, err)
	}
}

func (s *Server) tenantPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	t, err := s.identity.GetTenant(r.Context(), s.call(r, sess), r.PathValue("id"))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	v := &view{Lang: langOf(r), Session: sess, Data: t}
	v.Title = v.T("tenant.title", "name", t.Name)
	s.render(w, r, http.StatusOK, "tenant_detail", v)
}
