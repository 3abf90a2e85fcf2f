package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/lang"
)

// tenantCookie remembers the tenant code typed at the last login, for convenience: a CPAS code is public.
const tenantCookie = "entraide_tenant"

var tenantCode = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

var loginFields = []formField{
	{Name: "tenant", Label: "login.tenant"},
	{Name: "username", Label: "login.username"},
	{Name: "password", Label: "login.password"},
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if _, err := s.sessions.Load(r.Context(), c.Value); err == nil {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
	}
	values := url.Values{}
	if c, err := r.Cookie(tenantCookie); err == nil && tenantCode.MatchString(c.Value) {
		values.Set("tenant", c.Value)
	}
	s.renderLogin(w, r, http.StatusOK, newForm(loginFields, values))
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, f *form) {
	v := &view{Lang: langOf(r), Form: f}
	if len(s.cfg.DemoLogins) > 0 {
		v.Data = demoView{Logins: s.cfg.DemoLogins, Password: s.cfg.DemoPassword}
	}
	v.Title = v.T("login.title")
	v.CSRF = s.loginCSRF.token(w, r, s.secure(r))
	s.render(w, r, status, "login", v)
}

// login checks the credentials with the identity service and, when they are right, starts a session under a new
// id: the tokens stay on the server, the browser gets only the opaque session cookie.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || !s.loginCSRF.valid(r) {
		s.forbidden(w, r, nil, "error.csrf.message")
		return
	}
	l := langOf(r)
	values := url.Values{
		"tenant":   {strings.ToLower(strings.TrimSpace(r.PostFormValue("tenant")))},
		"username": {strings.TrimSpace(r.PostFormValue("username"))},
	}
	password := r.PostFormValue("password")
	f := newForm(loginFields, values)
	for _, fd := range loginFields {
		if fd.Name != "password" && values.Get(fd.Name) == "" || fd.Name == "password" && password == "" {
			f.Fail(fd.Name, translate(l, "form.required"))
		}
	}
	if f.HasErrors() {
		s.renderLogin(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	cl := s.call(r, nil)
	cl.clientAddr = s.clientAddr(r)
	tokens, err := s.identity.Login(r.Context(), cl, values.Get("tenant"), values.Get("username"), password)
	if err != nil {
		var ae *APIError
		switch {
		case errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests:
			minutes := int((ae.RetryAfter + 59e9) / 60e9)
			if minutes < 1 {
				minutes = 1
			}
			f.General = append(f.General, translate(l, "login.rate_limited", "minutes", minutes))
			s.renderLogin(w, r, http.StatusTooManyRequests, f)
		case errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity:
			f.applyProblem(ae, nil)
			s.renderLogin(w, r, http.StatusUnprocessableEntity, f)
		case errors.As(err, &ae) && ae.Status < 500:
			// Unknown tenant or user, wrong password, disabled account: one answer for all.
			f.General = append(f.General, translate(l, "login.invalid_credentials"))
			s.renderLogin(w, r, http.StatusUnauthorized, f)
		default:
			s.log.WarnContext(r.Context(), "login: identity unavailable", "request_id", httpkit.RequestID(r.Context()), "error", err.Error())
			f.General = append(f.General, translate(l, "error.unavailable.message"))
			s.renderLogin(w, r, http.StatusServiceUnavailable, f)
		}
		return
	}
	// A session the browser may already hold is ended: a login always gets a new id.
	if c, err := r.Cookie(SessionCookie); err == nil {
		if old, err := s.sessions.Load(r.Context(), c.Value); err == nil {
			_ = s.sessions.Delete(r.Context(), old)
		}
	}
	sess, err := s.sessions.Create(r.Context(), tokens)
	if err != nil {
		_ = s.identity.Logout(context.WithoutCancel(r.Context()), cl, tokens.RefreshToken)
		s.internalError(w, r, err)
		return
	}
	s.setSessionCookie(w, r, sess)
	http.SetCookie(w, &http.Cookie{Name: tenantCookie, Value: values.Get("tenant"), Path: "/", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: -1})
	if lang.Valid(tokens.User.Language) {
		// The pages speak the language of the user's profile (a shared counter computer keeps no one's choice);
		// the language switch changes it for this browser afterwards.
		setLangCookie(w, r, tokens.User.Language, s.secure(r))
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logout revokes the session's refresh token family at the identity service and forgets the session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess *Session) {
	if err := s.identity.Logout(r.Context(), s.call(r, nil), sess.secrets.RefreshToken); err != nil {
		s.log.WarnContext(r.Context(), "logout: refresh token not revoked", "request_id", httpkit.RequestID(r.Context()), "error", err.Error())
	}
	if err := s.sessions.Delete(r.Context(), sess); err != nil {
		s.internalError(w, r, err)
		return
	}
	s.clearSessionCookie(w, r)
	s.setFlash(w, r, "flash.logged_out")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// switchLanguage sets the lang cookie and returns to the page the user was on. It is a link (GET) so that it
// works on every page, signed in or not, without a form: it changes nothing but a display preference.
func (s *Server) switchLanguage(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if !lang.Valid(code) {
		s.notFound(w, r)
		return
	}
	setLangCookie(w, r, code, s.secure(r))
	http.Redirect(w, r, localPath(r.URL.Query().Get("return")), http.StatusSeeOther)
}

func setLangCookie(w http.ResponseWriter, r *http.Request, code string, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: lang.CookieName, Value: code, Path: "/", Secure: secure,
		SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600, HttpOnly: true})
}

// localPath keeps a return address only when it is a path of this site (no open redirect), else "/".
func localPath(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.IsAbs() || u.Host != "" {
		return "/"
	}
	return u.RequestURI()
}

// demoView is what the login page of the embedded default shows about its demo accounts.
type demoView struct {
	Logins   []DemoLogin
	Password string
}
