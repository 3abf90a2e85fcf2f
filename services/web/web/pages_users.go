package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The user management pages of a tenant admin. Every call goes to the identity service with the admin's own
// access token, which scopes it to the admin's tenant.
//
// The search term is posted (POST /users) and kept in the server-side session, then the list is shown by a
// redirect to GET /users?page=N: a name typed in the search box never appears in a URL, a log or a browser
// history; only page numbers do.

const usersPageSize = 20

// usersData is the page data of users_list.html.
type usersData struct {
	Query string
	Users []User
	Pager pager
}

// pager describes a list's page and the links to its neighbours.
type pager struct {
	Page, Pages, Total int
	Prev, Next         string
}

func newPager(base string, extra url.Values, page, size, total int) pager {
	p := pager{Page: page, Total: total, Pages: (total + size - 1) / size}
	if p.Pages < 1 {
		p.Pages = 1
	}
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range extra {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(n))
		return base + "?" + v.Encode()
	}
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if page < p.Pages {
		p.Next = link(page + 1)
	}
	return p
}

// pageNumber reads ?page=, 1 when absent or bad.
func pageNumber(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 || n > 100000 {
		return 1
	}
	return n
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	q := sess.UserSearch()
	page := pageNumber(r)
	list, err := s.identity.ListUsers(r.Context(), s.call(r, sess), q, page, usersPageSize)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	v := &view{Lang: langOf(r), Session: sess, Form: newForm([]formField{{Name: "q", Label: "users.search"}}, url.Values{"q": {q}})}
	v.Title = v.T("users.title")
	v.Data = usersData{Query: q, Users: list.Items, Pager: newPager("/users", nil, page, usersPageSize, list.Total)}
	s.render(w, r, http.StatusOK, "users_list", v)
}

// searchUsers keeps the search term in the session and shows the first page of results.
func (s *Server) searchUsers(w http.ResponseWriter, r *http.Request, sess *Session) {
	q := strings.TrimSpace(r.PostFormValue("q"))
	if r.PostFormValue("clear") != "" {
		q = ""
	}
	if len(q) > 100 {
		q = q[:100]
	}
	if err := s.sessions.SetUserSearch(r.Context(), sess, q); err != nil {
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, "/users", http.StatusSeeOther)
}

var newUserFields = []formField{
	{Name: "username", Label: "user.username"},
	{Name: "display_name", Label: "user.display_name"},
	{Name: "email", Label: "user.email"},
	{Name: "roles", Label: "user.roles"},
	{Name: "language", Label: "user.language"},
	{Name: "password", Label: "user.initial_password"},
	{Name: "confirm_password", Label: "password.confirm"},
}

// userFormData is the page data of the forms that choose roles.
type userFormData struct {
	User  User
	Roles []string
	// IdempotencyKey makes a double submission of the creation form create one user.
	IdempotencyKey string
	Conflict       bool
}

func newIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) newUserPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderNewUser(w, r, sess, http.StatusOK, newForm(newUserFields, url.Values{"language": {langOf(r)}}))
}

func (s *Server) renderNewUser(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form) {
	roles, err := s.identity.Roles(r.Context(), s.call(r, sess))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: userFormData{Roles: roles, IdempotencyKey: newIdempotencyKey()}}
	v.Title = v.T("user.new.title")
	s.render(w, r, status, "user_new", v)
}

// createUser creates the user; a refusal comes back as the same form, filled in, each error next to its field.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request, sess *Session) {
	l := langOf(r)
	values := url.Values{}
	for _, k := range []string{"username", "display_name", "email", "language"} {
		values.Set(k, strings.TrimSpace(r.PostFormValue(k)))
	}
	values["roles"] = r.PostForm["roles"]
	f := newForm(newUserFields, values)
	password := r.PostFormValue("password")
	if password == "" {
		f.Fail("password", translate(l, "form.required"))
	}
	if c := r.PostFormValue("confirm_password"); c == "" {
		f.Fail("confirm_password", translate(l, "form.required"))
	} else if c != password {
		f.Fail("confirm_password", translate(l, "password.mismatch"))
	}
	if f.HasErrors() {
		s.renderNewUser(w, r, sess, http.StatusUnprocessableEntity, f)
		return
	}
	roles := values["roles"]
	if roles == nil {
		roles = []string{}
	}
	u, err := s.identity.CreateUser(r.Context(), s.call(r, sess), r.PostFormValue("idempotency_key"), NewUser{
		Username: values.Get("username"), DisplayName: values.Get("display_name"), Email: values.Get("email"),
		Roles: roles, Language: values.Get("language"), Password: password,
	})
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.user_created")
		http.Redirect(w, r, "/users/"+url.PathEscape(u.ID), http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f.applyProblem(ae, nil)
		s.renderNewUser(w, r, sess, http.StatusUnprocessableEntity, f)
	default:
		s.apiFailed(w, r, sess, err)
	}
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	u, err := s.identity.GetUser(r.Context(), s.call(r, sess), r.PathValue("id"))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	v := &view{Lang: langOf(r), Session: sess, Data: u}
	v.Title = v.T("user.title", "username", u.Username)
	s.render(w, r, http.StatusOK, "user_detail", v)
}

var userRolesFields = []formField{{Name: "roles", Label: "user.roles"}}

func (s *Server) userRolesPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderUserRoles(w, r, sess, http.StatusOK, nil, false)
}

// renderUserRoles shows the roles form with the user as stored now; f, when given, keeps the refused choice.
func (s *Server) renderUserRoles(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form, conflict bool) {
	cl := s.call(r, sess)
	u, err := s.identity.GetUser(r.Context(), cl, r.PathValue("id"))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	roles, err := s.identity.Roles(r.Context(), cl)
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	if f == nil {
		f = newForm(userRolesFields, url.Values{"roles": u.Roles})
	}
	if conflict {
		f.General = append(f.General, translate(langOf(r), "user.roles.conflict"))
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: userFormData{User: u, Roles: roles, Conflict: conflict}}
	v.Title = v.T("user.roles.title", "username", u.Username)
	s.render(w, r, status, "user_roles", v)
}

// setUserRoles saves the roles if nobody changed the user since the form was shown (If-Match on the version the
// form carries). On a conflict the form comes back with the user's current roles and says so.
func (s *Server) setUserRoles(w http.ResponseWriter, r *http.Request, sess *Session) {
	id := r.PathValue("id")
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		s.errorPage(w, r, sess, http.StatusBadRequest, "error.badrequest.title", "error.badrequest.message")
		return
	}
	roles := r.PostForm["roles"]
	_, err = s.identity.SetRoles(r.Context(), s.call(r, sess), id, version, roles)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.roles_saved")
		http.Redirect(w, r, "/users/"+url.PathEscape(id), http.StatusSeeOther)
	case errors.As(err, &ae) && (ae.Status == http.StatusConflict || ae.Status == http.StatusPreconditionFailed):
		s.renderUserRoles(w, r, sess, http.StatusConflict, nil, true)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f := newForm(userRolesFields, url.Values{"roles": roles})
		f.applyProblem(ae, nil)
		s.renderUserRoles(w, r, sess, http.StatusUnprocessableEntity, f, false)
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// userStatusData is the page data of the disable/enable confirmation.
type userStatusData struct {
	User    User
	Disable bool
	Error   string
}

// userStatusPage asks for confirmation before disabling (or enabling) an account.
func (s *Server) userStatusPage(disable bool) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *Session) {
		s.renderUserStatus(w, r, sess, http.StatusOK, disable, "")
	}
}

func (s *Server) renderUserStatus(w http.ResponseWriter, r *http.Request, sess *Session, status int, disable bool, problem string) {
	u, err := s.identity.GetUser(r.Context(), s.call(r, sess), r.PathValue("id"))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	v := &view{Lang: langOf(r), Session: sess, Data: userStatusData{User: u, Disable: disable, Error: problem}}
	if disable {
		v.Title = v.T("user.disable.title", "username", u.Username)
	} else {
		v.Title = v.T("user.enable.title", "username", u.Username)
	}
	s.render(w, r, status, "user_status", v)
}

// setUserStatus disables or enables the account once confirmed.
func (s *Server) setUserStatus(disable bool) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *Session) {
		id := r.PathValue("id")
		_, err := s.identity.SetDisabled(r.Context(), s.call(r, sess), id, disable)
		var ae *APIError
		switch {
		case err == nil:
			if disable {
				s.setFlash(w, r, "flash.user_disabled")
			} else {
				s.setFlash(w, r, "flash.user_enabled")
			}
			http.Redirect(w, r, "/users/"+url.PathEscape(id), http.StatusSeeOther)
		case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
			msg := ae.Title
			if len(ae.Fields) > 0 && ae.Fields[0].Message != "" {
				msg = ae.Fields[0].Message
			}
			s.renderUserStatus(w, r, sess, http.StatusUnprocessableEntity, disable, msg)
		default:
			s.apiFailed(w, r, sess, err)
		}
	}
}

var resetPasswordFields = []formField{
	{Name: "new_password", Label: "password.new"},
	{Name: "confirm_password", Label: "password.confirm"},
}

func (s *Server) resetPasswordPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderResetPassword(w, r, sess, http.StatusOK, newForm(resetPasswordFields, nil))
}

func (s *Server) renderResetPassword(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form) {
	u, err := s.identity.GetUser(r.Context(), s.call(r, sess), r.PathValue("id"))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	v := &view{Lang: langOf(r), Session: sess, Form: f, Data: u}
	v.Title = v.T("user.password.title", "username", u.Username)
	s.render(w, r, status, "user_password", v)
}

// resetPassword sets a new password for the user (who is signed out everywhere by the identity service).
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request, sess *Session) {
	l := langOf(r)
	f := newForm(resetPasswordFields, nil)
	next := r.PostFormValue("new_password")
	checkNewPassword(f, l, next, r.PostFormValue("confirm_password"))
	if f.HasErrors() {
		s.renderResetPassword(w, r, sess, http.StatusUnprocessableEntity, f)
		return
	}
	id := r.PathValue("id")
	err := s.identity.ResetPassword(r.Context(), s.call(r, sess), id, next)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.password_reset")
		http.Redirect(w, r, "/users/"+url.PathEscape(id), http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f.applyProblem(ae, map[string]string{"password": "new_password"})
		s.renderResetPassword(w, r, sess, http.StatusUnprocessableEntity, f)
	default:
		s.apiFailed(w, r, sess, err)
	}
}
