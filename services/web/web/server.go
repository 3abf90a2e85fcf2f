package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/lang"
)

// Server is the web front end: server-rendered pages over the services' HTTP APIs, sessions in MongoDB.
type Server struct {
	cfg       Config
	log       *slog.Logger
	identity  *IdentityClient
	registry  *BeneficiariesClient
	decisions *DecisionsClient
	payments  *PaymentsClient
	sessions  *SessionStore
	refresher *refresher
	loginCSRF loginCSRF
	authorize Authorizer
	pages     pages
	handler   http.Handler
}

// Deps are what the server needs besides its Config: the database holding web_sessions, the authorizer of pages
// (PolicyAuthorizer), the logger and the metrics registry.
type Deps struct {
	DB        *mongo.Database
	Authorize Authorizer
	Logger    *slog.Logger
	Registry  prometheus.Registerer
	Gatherer  prometheus.Gatherer
}

// NewServer builds the server and its routes.
func NewServer(ctx context.Context, cfg Config, d Deps) (*Server, error) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Registry == nil || d.Gatherer == nil {
		reg := prometheus.NewRegistry()
		d.Registry, d.Gatherer = reg, reg
	}
	pg, err := parsePages()
	if err != nil {
		return nil, err
	}
	key, err := loginCSRFKey(ctx, d.DB, cfg.LoginCSRFKey)
	if err != nil {
		return nil, err
	}
	store := NewSessionStore(d.DB, cfg.SessionIdle, cfg.SessionMax)
	if err := store.EnsureIndexes(ctx); err != nil {
		return nil, fmt.Errorf("session indexes: %w", err)
	}
	identity := NewIdentityClient(cfg.IdentityURL, cfg.IdentityTimeout)
	// The staff directory now lives at the identity service; the front end's former copy (users remembered at
	// login) is dropped so that no stale list of colleagues stays behind.
	if err := d.DB.Collection(legacyDirectoryCollection).Drop(ctx); err != nil {
		return nil, fmt.Errorf("drop the former staff directory: %w", err)
	}
	if cfg.BeneficiariesTimeout <= 0 {
		cfg.BeneficiariesTimeout = 10 * time.Second
	}
	if cfg.DocumentMaxBytes <= 0 {
		cfg.DocumentMaxBytes = 20 << 20
	}
	if cfg.DecisionsTimeout <= 0 {
		cfg.DecisionsTimeout = 10 * time.Second
	}
	s := &Server{
		cfg: cfg, log: d.Logger, identity: identity, sessions: store, loginCSRF: loginCSRF{key: key},
		registry:  NewBeneficiariesClient(cfg.BeneficiariesURL, cfg.BeneficiariesTimeout),
		decisions: NewDecisionsClient(cfg.DecisionsURL, cfg.DecisionsTimeout),
		payments:  NewPaymentsClient(cfg.PaymentsURL, cfg.PaymentsTimeout),
		refresher: &refresher{store: store, identity: identity, margin: cfg.RefreshMargin,
			lockFor: cfg.IdentityTimeout + 5*time.Second, poll: 100 * time.Millisecond},
		authorize: d.Authorize, pages: pg,
	}
	if s.authorize == nil {
		return nil, errors.New("web: no authorizer")
	}
	rt := httpkit.NewRouter()
	s.routes(rt)
	httpkit.Ops(rt, "web", d.Gatherer,
		httpkit.Check{Name: "mongodb", Fn: func(ctx context.Context) error { return d.DB.Client().Ping(ctx, nil) }},
		httpkit.Check{Name: "identity", Fn: identity.Ready})
	s.handler = httpkit.Chain(rt,
		httpkit.RequestIDs(),
		httpkit.AccessLog("web", d.Logger, d.Registry),
		s.recoverHTML(),
		securityHeaders(s.secure),
		s.bodyLimit(1<<20),
	)
	return s, nil
}

// legacyDirectoryCollection held the front end's own staff directory before GET /v1/staff existed.
const legacyDirectoryCollection = "web_directory"

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Sessions is the session store (the all-in-one process and tests use it).
func (s *Server) Sessions() *SessionStore { return s.sessions }

// routes lists every page. Each route template is also the route the policy (api/policy/policy.csv, web section)
// grants, so a page and its authorization are found by the same string.
func (s *Server) routes(rt *httpkit.Router) {
	handle := rt.Handle
	handle("GET /static/{file}", staticHandler())
	handle("GET /lang/{code}", http.HandlerFunc(s.switchLanguage))
	handle("GET /login", http.HandlerFunc(s.loginPage))
	handle("POST /login", http.HandlerFunc(s.login))
	handle("POST /logout", s.signedIn(s.logout))

	handle("GET /{$}", s.page(s.home))

	handle("GET /account", s.page(s.accountPage))
	handle("GET /account/password", s.page(s.myPasswordPage))
	handle("POST /account/password", s.page(s.changeMyPassword))

	handle("GET /users", s.page(s.usersPage))
	handle("POST /users", s.page(s.searchUsers))
	handle("GET /users/new", s.page(s.newUserPage))
	handle("POST /users/new", s.page(s.createUser))
	handle("GET /users/{id}", s.page(s.userPage))
	handle("GET /users/{id}/roles", s.page(s.userRolesPage))
	handle("POST /users/{id}/roles", s.page(s.setUserRoles))
	handle("GET /users/{id}/disable", s.page(s.userStatusPage(true)))
	handle("POST /users/{id}/disable", s.page(s.setUserStatus(true)))
	handle("GET /users/{id}/enable", s.page(s.userStatusPage(false)))
	handle("POST /users/{id}/enable", s.page(s.setUserStatus(false)))
	handle("GET /users/{id}/password", s.page(s.resetPasswordPage))
	handle("POST /users/{id}/password", s.page(s.resetPassword))

	handle("GET /tenants", s.page(s.tenantsPage))
	handle("GET /tenants/new", s.page(s.newTenantPage))
	handle("POST /tenants/new", s.page(s.createTenant))
	handle("GET /tenants/{id}", s.page(s.tenantPage))

	// The beneficiary registry (social workers and their head); pages_caseload.go, pages_persons.go,
	// pages_files.go, pages_teams.go.
	handle("GET /caseload", s.page(s.caseloadPage))
	handle("GET /files", s.page(s.allFilesPage))
	handle("POST /tasks/{id}/done", s.page(s.completeTask))
	handle("GET /persons", s.page(s.personsPage))
	handle("POST /persons", s.page(s.searchPersons))
	handle("GET /persons/new", s.page(s.newPersonPage))
	handle("POST /persons/new", s.page(s.registerPerson))
	handle("GET /persons/{id}", s.page(s.personPage))
	handle("GET /persons/{id}/edit", s.page(s.editPersonPage))
	handle("POST /persons/{id}/edit", s.page(s.updatePerson))
	handle("POST /persons/{id}/purpose", s.page(s.setPurpose))
	handle("POST /persons/{id}/bank-accounts", s.page(s.addBankAccount))
	handle("POST /persons/{id}/bank-accounts/{account}/activate", s.page(s.activateBankAccount))
	handle("GET /persons/{id}/household", s.page(s.householdPage))
	handle("POST /persons/{id}/household", s.page(s.searchHousehold))
	handle("POST /persons/{id}/household/members", s.page(s.addHouseholdMember))
	handle("POST /persons/{id}/household/removal", s.page(s.removeHouseholdMember))
	handle("POST /persons/{id}/files", s.page(s.openFile))
	handle("GET /persons/{id}/files/{file}", s.page(s.filePage))
	handle("POST /persons/{id}/files/{file}/journal", s.page(s.addNote))
	handle("POST /persons/{id}/files/{file}/documents", s.multipartPage(s.uploadDocument))
	handle("GET /persons/{id}/files/{file}/closure", s.page(s.closeFilePage))
	handle("POST /persons/{id}/files/{file}/closure", s.page(s.closeFile))
	handle("GET /persons/{id}/files/{file}/assignment", s.page(s.reassignPage))
	handle("POST /persons/{id}/files/{file}/assignment", s.page(s.reassign))
	handle("GET /persons/{id}/files/{file}/legal-hold", s.page(s.legalHoldPage))
	handle("POST /persons/{id}/files/{file}/legal-hold", s.page(s.setLegalHold))
	handle("GET /persons/{id}/documents/{doc}", s.page(s.downloadDocument))
	handle("GET /persons/{id}/documents/{doc}/removal", s.page(s.removeDocumentPage))
	handle("POST /persons/{id}/documents/{doc}/removal", s.page(s.removeDocument))
	handle("GET /teams", s.page(s.teamsPage))
	handle("GET /teams/new", s.page(s.newTeamPage))
	handle("POST /teams/new", s.page(s.createTeam))
	handle("GET /teams/{id}", s.page(s.teamPage))
	handle("POST /teams/{id}", s.page(s.updateTeam))
	// Retention of documents, the head's (pages_retention.go).
	handle("GET /retention", s.page(s.retentionPage))
	handle("POST /retention", s.page(s.purge))

	// Aid requests, the deadline board and the CPAS's settings, over the decisions service (pages_requests.go,
	// pages_settings.go).
	handle("GET /persons/{id}/files/{file}/requests/new", s.page(s.newRequestPage))
	handle("POST /persons/{id}/files/{file}/requests/new", s.page(s.registerRequest))
	handle("GET /persons/{id}/requests/{request}", s.page(s.requestPage))
	handle("GET /persons/{id}/requests/{request}/acknowledgment", s.page(s.acknowledgment(false)))
	handle("GET /persons/{id}/requests/{request}/acknowledgment.pdf", s.page(s.acknowledgment(true)))
	handle("GET /deadlines", s.page(s.deadlinesPage))
	handle("GET /settings", s.page(s.settingsPage))
	handle("POST /settings", s.page(s.saveSettings))
	// Decisions: the decision page, its letter and notification, the after-decision forms, finance's list
	// (pages_decisions.go).
	s.decisionRoutes(handle)
	// The social inquiry, the proposals with the RIS calculator, the head's validation, the RIS amounts
	// (pages_inquiry.go, pages_proposals.go, pages_risamounts.go).
	s.inquiryRoutes(handle)
	// The committee's sessions and the president's urgent decisions (pages_sessions.go).
	s.sessionRoutes(handle)
	// Due instalments and payment runs, over the payments service (pages_payments.go); a payment's page and the
	// reissue of a returned one (pages_reissue.go).
	s.paymentRoutes(handle)
	s.reissueRoutes(handle)
	// Recoveries, ledgers, subsidy and accounting exports (pages_recoveries.go, pages_ledger.go, pages_subsidy.go).
	s.recoveryRoutes(handle)
	// The subsidy's band of this year and the next, and the declared history (pages_subsidy_band.go).
	s.subsidyBandRoutes(handle)
	// Bank statements and the reconciliation queue (pages_statements.go).
	s.statementRoutes(handle)

	// The DPO's audit trail (pages_audit.go).
	handle("GET /audit", s.page(s.auditPage))
	handle("POST /audit", s.page(s.searchAudit))

	// Anything else is an HTML 404 page rather than the API's problem+json.
	handle("/", http.HandlerFunc(s.notFound))
}

// pageHandler serves a page for a signed-in user.
type pageHandler func(w http.ResponseWriter, r *http.Request, sess *Session)

// page guards a page: a live session (else the login page), the CSRF token on every POST (else 403), and the
// policy's permission for the route template (deny by default, else 403). The access token is refreshed first
// when it is about to expire.
func (s *Server) page(h pageHandler) http.Handler {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request, sess *Session) {
		route, _ := httpkit.RouteFrom(r.Context())
		if !s.authorize(sess.Tenant, sess.Roles(), route.Method, routeTemplate(r)) {
			s.forbidden(w, r, sess, "error.forbidden.message")
			return
		}
		h(w, r, sess)
	})
}

// signedIn requires a live session and, on POST, its CSRF token; no page permission is checked (logout).
func (s *Server) signedIn(h pageHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.currentSession(r)
		if err != nil {
			s.sessionFailed(w, r, err)
			return
		}
		if r.Method == http.MethodPost {
			if isMultipart(r) || r.ParseForm() != nil || !tokensEqual(r.PostFormValue(CSRFField), sessionCSRFToken(sess)) {
				// A multipart body is read only by multipartPage's handlers, which check the token first.
				s.forbidden(w, r, sess, "error.csrf.message")
				return
			}
		}
		s.touch(r, sess)
		h(w, r, sess)
	})
}

func (s *Server) touch(r *http.Request, sess *Session) {
	if err := s.sessions.Touch(r.Context(), sess); err != nil {
		s.log.WarnContext(r.Context(), "session touch failed", "request_id", httpkit.RequestID(r.Context()), "error", err)
	}
}

func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

// multipartHandler serves a multipart form (a document upload) part by part: its content is streamed, never
// held whole in memory nor written to a temporary file.
type multipartHandler func(w http.ResponseWriter, r *http.Request, sess *Session, mr *multipart.Reader)

// multipartPage guards a multipart POST like page does: a live session, the policy's permission, and the CSRF
// token, which must be the form's first part (the hidden input comes first in the form), before anything else is
// read.
func (s *Server) multipartPage(h multipartHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.currentSession(r)
		if err != nil {
			s.sessionFailed(w, r, err)
			return
		}
		mr, err := r.MultipartReader()
		if err != nil {
			s.forbidden(w, r, sess, "error.csrf.message")
			return
		}
		token, ok := readSmallPart(mr, CSRFField)
		if !ok || !tokensEqual(token, sessionCSRFToken(sess)) {
			s.forbidden(w, r, sess, "error.csrf.message")
			return
		}
		route, _ := httpkit.RouteFrom(r.Context())
		if !s.authorize(sess.Tenant, sess.Roles(), route.Method, routeTemplate(r)) {
			s.forbidden(w, r, sess, "error.forbidden.message")
			return
		}
		s.touch(r, sess)
		h(w, r, sess, mr)
	})
}

// readSmallPart reads the next part of a multipart form, which must be the field name, up to 1 KiB.
func readSmallPart(mr *multipart.Reader, name string) (string, bool) {
	p, err := mr.NextPart()
	if err != nil || p.FormName() != name || p.FileName() != "" {
		return "", false
	}
	defer p.Close()
	b, err := io.ReadAll(io.LimitReader(p, 1<<10))
	if err != nil {
		return "", false
	}
	return string(b), true
}

// uploadRoute matches the path of a document upload, whose body may be as large as a document.
var uploadRoute = regexp.MustCompile(`^/persons/[^/]+/files/[^/]+/documents$`)

// bodyLimit bounds request bodies: max for every form, the document size (plus room for the form's other
// fields and a rest the upload handler drains to answer a too-large file cleanly) for an upload.
func (s *Server) bodyLimit(max int64) httpkit.Middleware {
	forms := httpkit.BodyLimit(max)
	return func(next http.Handler) http.Handler {
		limited := forms(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && uploadRoute.MatchString(r.URL.Path) {
				r.Body = http.MaxBytesReader(w, r.Body, s.uploadBodyMax())
				next.ServeHTTP(w, r)
				return
			}
			if isStatementUpload(r) {
				r.Body = http.MaxBytesReader(w, r.Body, 2*statementMaxBytes+1<<20)
				next.ServeHTTP(w, r)
				return
			}
			limited.ServeHTTP(w, r)
		})
	}
}

// uploadBodyMax is the most an upload request may send: a too-large file is drained up to this bound so that the
// browser receives the form with its error rather than a reset connection.
func (s *Server) uploadBodyMax() int64 { return 4*s.cfg.DocumentMaxBytes + 1<<20 }

// currentSession loads the request's session and makes sure its access token is fresh.
func (s *Server) currentSession(r *http.Request) (*Session, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil, ErrNoSession
	}
	sess, err := s.sessions.Load(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	if err := s.refresher.ensureFresh(r.Context(), sess, s.call(r, nil)); err != nil {
		return nil, err
	}
	return sess, nil
}

// sessionFailed sends a request without a usable session to the login page, saying why when the user had one.
func (s *Server) sessionFailed(w http.ResponseWriter, r *http.Request, err error) {
	_, noCookie := r.Cookie(SessionCookie)
	switch {
	case errors.Is(err, ErrSessionEnded):
		s.clearSessionCookie(w, r)
		s.setFlash(w, r, "flash.session_ended")
	case errors.Is(err, ErrNoSession):
		if noCookie == nil {
			// The browser had a session that is gone: it expired.
			s.clearSessionCookie(w, r)
			s.setFlash(w, r, "flash.session_expired")
		}
	default:
		s.unavailable(w, r, nil, err)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// call is how a handler calls a service: with the session's access token, in the user's language.
func (s *Server) call(r *http.Request, sess *Session) call {
	c := call{lang: lang.FromRequest(r), requestID: httpkit.RequestID(r.Context())}
	if sess != nil {
		c.token = sess.AccessToken()
	}
	return c
}

// apiFailed answers a failed call to a service that the handler did not handle itself.
func (s *Server) apiFailed(w http.ResponseWriter, r *http.Request, sess *Session, err error) {
	switch apiStatus(err) {
	case http.StatusUnauthorized:
		// The token was refused although fresh: the user was disabled or signed out everywhere.
		_ = s.sessions.Delete(context.WithoutCancel(r.Context()), sess)
		s.sessionFailed(w, r, ErrSessionEnded)
	case http.StatusForbidden:
		s.forbidden(w, r, sess, "error.forbidden.message")
	case http.StatusNotFound:
		s.errorPage(w, r, sess, http.StatusNotFound, "error.notfound.title", "error.notfound.message")
	case 0:
		if errors.Is(err, ErrIdentityUnavailable) || errors.Is(err, ErrBeneficiariesUnavailable) || errors.Is(err, ErrDecisionsUnavailable) ||
			errors.Is(err, ErrPaymentsUnavailable) {
			s.unavailable(w, r, sess, err)
			return
		}
		s.internalError(w, r, err)
	default:
		s.internalError(w, r, err)
	}
}

func (s *Server) secure(r *http.Request) bool { return s.cfg.CookieSecure || r.TLS != nil }

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, sess *Session) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: sess.rawID, Path: "/", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteStrictMode})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// flashCookie carries a one-time message to the page after a redirect: only a catalog key, never data.
const flashCookie = "entraide_flash"

func (s *Server) setFlash(w http.ResponseWriter, r *http.Request, key string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: key, Path: "/", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: 60})
}

func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request, l string) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: -1})
	if !strings.HasPrefix(c.Value, "flash.") {
		return ""
	}
	if _, known := catalogs[lang.Default][c.Value]; !known {
		return ""
	}
	return translate(l, c.Value)
}

// clientAddr is the end user's address: the connection's peer, or the entry a trusted proxy added.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if s.cfg.TrustedProxyHops > 0 {
		var hops []string
		for _, v := range r.Header.Values("X-Forwarded-For") {
			for _, h := range strings.Split(v, ",") {
				if h = strings.TrimSpace(h); h != "" {
					hops = append(hops, h)
				}
			}
		}
		if i := len(hops) - s.cfg.TrustedProxyHops; i >= 0 && i < len(hops) && net.ParseIP(hops[i]) != nil {
			host = hops[i]
		}
	}
	return host
}

// routeTemplate is the route template the request matched, as the policy names it: the home page's exact-match
// pattern "/{$}" is the policy's "/".
func routeTemplate(r *http.Request) string {
	rt, _ := httpkit.RouteFrom(r.Context())
	return strings.TrimSuffix(rt.Template, "{$}")
}
