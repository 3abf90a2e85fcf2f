package web

import (
	"errors"
	"net/http"
	"net/url"
)

// accountPage shows the signed-in user's own account.
func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	me, err := s.identity.Me(r.Context(), s.call(r, sess))
	if err != nil {
		s.apiFailed(w, r, sess, err)
		return
	}
	v := &view{Lang: langOf(r), Session: sess, Data: me}
	v.Title = v.T("account.title")
	s.render(w, r, http.StatusOK, "account", v)
}

var myPasswordFields = []formField{
	{Name: "current_password", Label: "account.current_password"},
	{Name: "new_password", Label: "password.new"},
	{Name: "confirm_password", Label: "password.confirm"},
}

func (s *Server) myPasswordPage(w http.ResponseWriter, r *http.Request, sess *Session) {
	s.renderMyPassword(w, r, sess, http.StatusOK, newForm(myPasswordFields, nil))
}

func (s *Server) renderMyPassword(w http.ResponseWriter, r *http.Request, sess *Session, status int, f *form) {
	v := &view{Lang: langOf(r), Session: sess, Form: f}
	v.Title = v.T("account.password.title")
	s.render(w, r, status, "account_password", v)
}

// changeMyPassword changes the user's own password; the identity service checks the current one and the rules.
func (s *Server) changeMyPassword(w http.ResponseWriter, r *http.Request, sess *Session) {
	l := langOf(r)
	f := newForm(myPasswordFields, url.Values{})
	current, next := r.PostFormValue("current_password"), r.PostFormValue("new_password")
	if current == "" {
		f.Fail("current_password", translate(l, "form.required"))
	}
	checkNewPassword(f, l, next, r.PostFormValue("confirm_password"))
	if f.HasErrors() {
		s.renderMyPassword(w, r, sess, http.StatusUnprocessableEntity, f)
		return
	}
	err := s.identity.ChangeMyPassword(r.Context(), s.call(r, sess), current, next)
	var ae *APIError
	switch {
	case err == nil:
		s.setFlash(w, r, "flash.password_changed")
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
		f.applyProblem(ae, nil)
		s.renderMyPassword(w, r, sess, http.StatusUnprocessableEntity, f)
	case errors.As(err, &ae) && ae.Status == http.StatusUnauthorized && ae.Slug() == "invalid-credentials":
		// A wrong current password, not an ended session.
		f.Fail("current_password", translate(l, "account.current_password.wrong"))
		s.renderMyPassword(w, r, sess, http.StatusUnprocessableEntity, f)
	default:
		s.apiFailed(w, r, sess, err)
	}
}

// checkNewPassword checks what the web front end can check itself: a new password typed twice the same.
func checkNewPassword(f *form, l, next, confirm string) {
	if next == "" {
		f.Fail("new_password", translate(l, "form.required"))
	}
	if confirm == "" {
		f.Fail("confirm_password", translate(l, "form.required"))
	} else if next != confirm {
		f.Fail("confirm_password", translate(l, "password.mismatch"))
	}
}
