package identity

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/authz"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/servicekit"
)

// Route patterns, as registered and as named in api/policy and api/openapi/identity.v1.yaml.
const (
	RouteJWKS          = "GET /.well-known/jwks.json"
	RouteLogin         = "POST /v1/auth/login"
	RouteRefresh       = "POST /v1/auth/refresh"
	RouteLogout        = "POST /v1/auth/logout"
	RouteMe            = "GET /v1/me"
	RouteMePassword    = "POST /v1/me/password"
	RouteRoles         = "GET /v1/roles"
	RouteListUsers     = "GET /v1/users"
	RouteCreateUser    = "POST /v1/users"
	RouteGetUser       = "GET /v1/users/{id}"
	RouteSetRoles      = "PUT /v1/users/{id}/roles"
	RouteDisableUser   = "POST /v1/users/{id}/disable"
	RouteEnableUser    = "POST /v1/users/{id}/enable"
	RouteResetPassword = "POST /v1/users/{id}/password"
	RouteListStaff     = "GET /v1/staff"
	RouteSearchAudit   = "GET /v1/audit"
	RouteListTenants   = "GET /v1/tenants"
	RouteCreateTenant  = "POST /v1/tenants"
	RouteGetTenant     = "GET /v1/tenants/{id}"
)

// PublicRoutes need no token.
var PublicRoutes = []string{RouteJWKS, RouteLogin, RouteRefresh, RouteLogout}

// TransportConfig tunes the HTTP layer.
type TransportConfig struct {
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed for the client address.
	TrustedProxies []netip.Prefix
	// Wrap, when set, decorates the handlers of the routes that create something (POST /v1/users,
	// POST /v1/tenants): the Idempotency-Key middleware plugs in here.
	Wrap func(route string, h http.Handler) http.Handler
}

// MakeHandler mounts every route on rt.
func MakeHandler(rt *httpkit.Router, eps Endpoints, keys *SigningKeys, logger *slog.Logger, tc TransportConfig) {
	opts := httpkit.ServerOptions(logger,
		kithttp.ServerBefore(authn.BearerFromHeader),
		kithttp.ServerErrorEncoder(encodeError),
	)
	wrap := tc.Wrap
	if wrap == nil {
		wrap = func(_ string, h http.Handler) http.Handler { return h }
	}
	mount := func(route string, ep endpoint.Endpoint, dec kithttp.DecodeRequestFunc) {
		rt.Handle(route, wrap(route, kithttp.NewServer(ep, dec, httpkit.EncodeJSON, opts...)))
	}
	jwks, _ := json.Marshal(keys.JWKS())
	rt.HandleFunc(RouteJWKS, func(w http.ResponseWriter, r *http.Request) {
		// Cacheable for a while (verifiers refetch on an unknown kid anyway), unlike the API's answers.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(jwks)
	})
	for _, r := range routeTable(eps, tc) {
		mount(r.pattern, r.ep, r.dec)
	}
}

type route struct {
	pattern string
	ep      endpoint.Endpoint
	dec     kithttp.DecodeRequestFunc
}

func routeTable(eps Endpoints, tc TransportConfig) []route {
	return []route{
		{RouteLogin, eps.Login, decodeLogin(tc.TrustedProxies)},
		{RouteRefresh, eps.Refresh, decodeRefresh},
		{RouteLogout, eps.Logout, decodeRefresh},
		{RouteMe, eps.Me, decodeNothing},
		{RouteMePassword, eps.ChangeOwnPassword, decodeJSON[passwordRequest]},
		{RouteRoles, eps.Roles, decodeNothing},
		{RouteListUsers, eps.ListUsers, decodePageQuery},
		{RouteCreateUser, eps.CreateUser, decodeJSON[createUserRequest]},
		{RouteGetUser, eps.GetUser, decodeID},
		{RouteSetRoles, eps.SetUserRoles, decodeSetRoles},
		{RouteDisableUser, eps.DisableUser, decodeID},
		{RouteEnableUser, eps.EnableUser, decodeID},
		{RouteResetPassword, eps.ResetPassword, decodeResetPassword},
		{RouteListStaff, eps.ListStaff, decodeStaffQuery},
		{RouteSearchAudit, eps.SearchAudit, decodeAuditQuery},
		{RouteListTenants, eps.ListTenants, decodePageQuery},
		{RouteCreateTenant, eps.CreateTenant, decodeJSON[createTenantRequest]},
		{RouteGetTenant, eps.GetTenant, decodeID},
	}
}

// Routes are every route pattern MakeHandler registers (the JWKS first).
func Routes() []string {
	out := []string{RouteJWKS}
	for _, r := range routeTable(Endpoints{}, TransportConfig{}) {
		out = append(out, r.pattern)
	}
	return out
}

func decodeJSON[T any](_ context.Context, r *http.Request) (any, error) {
	var v T
	if err := httpkit.DecodeJSON(r, &v, 16<<10); err != nil {
		return nil, err
	}
	return v, nil
}

func decodeNothing(context.Context, *http.Request) (any, error) { return nil, nil }

func decodeLogin(trusted []netip.Prefix) kithttp.DecodeRequestFunc {
	return func(_ context.Context, r *http.Request) (any, error) {
		var req loginRequest
		if err := httpkit.DecodeJSON(r, &req, 16<<10); err != nil {
			return nil, err
		}
		req.clientAddr = ClientAddr(r, trusted)
		return req, nil
	}
}

func decodeRefresh(_ context.Context, r *http.Request) (any, error) {
	var req refreshRequest
	if err := httpkit.DecodeJSON(r, &req, 16<<10); err != nil {
		return nil, err
	}
	return req, nil
}

func decodeID(_ context.Context, r *http.Request) (any, error) {
	id, err := servicekit.PathID(r)
	return idRequest{id: id}, err
}

func decodeResetPassword(_ context.Context, r *http.Request) (any, error) {
	id, err := servicekit.PathID(r)
	if err != nil {
		return nil, err
	}
	var req resetPasswordRequest
	if err := httpkit.DecodeJSON(r, &req, 16<<10); err != nil {
		return nil, err
	}
	req.id = id
	return req, nil
}

func decodeSetRoles(_ context.Context, r *http.Request) (any, error) {
	id, err := servicekit.PathID(r)
	if err != nil {
		return nil, err
	}
	im := strings.TrimSpace(r.Header.Get("If-Match"))
	if im == "" {
		return nil, problem.New(problem.PreconditionRequired)
	}
	im = strings.TrimPrefix(im, "W/")
	version, perr := strconv.ParseInt(strings.Trim(im, `"`), 10, 64)
	if perr != nil || version < 1 {
		return nil, problem.Invalid(problem.Field("If-Match", "invalid_if_match"))
	}
	var req setRolesRequest
	if err := httpkit.DecodeJSON(r, &req, 16<<10); err != nil {
		return nil, err
	}
	req.id, req.version = id, version
	return req, nil
}

// queryNumber reads a positive number from the query: an absent one takes its default (0); an unreadable one
// becomes -1, refused with the range check.
func queryNumber(q url.Values, name string) int {
	s := q.Get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return -1
	}
	return n
}

func decodePageQuery(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	return PageQuery{Q: q.Get("q"), Page: queryNumber(q, "page"), PageSize: queryNumber(q, "page_size")}, nil
}

func decodeStaffQuery(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	return StaffQuery{Role: q.Get("role"), Page: queryNumber(q, "page"), PageSize: queryNumber(q, "page_size")}, nil
}

// decodeAuditQuery reads the trail's filters. A bound is an RFC 3339 time or a day (YYYY-MM-DD, Europe/Brussels):
// from a day means from its start, to a day means to its end (the next day's start, exclusive).
func decodeAuditQuery(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	var fs problem.Fields
	bound := func(name string, endOfDay bool) time.Time {
		s := strings.TrimSpace(q.Get(name))
		if s == "" {
			return time.Time{}
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.UTC()
		}
		d, err := civil.Parse(s)
		if err != nil {
			fs.Add(name, "invalid_date")
			return time.Time{}
		}
		day := d.Day()
		if endOfDay {
			day++
		}
		return time.Date(d.Year(), d.Month(), day, 0, 0, 0, 0, civil.Brussels).UTC()
	}
	aq := AuditQuery{ActorID: strings.TrimSpace(q.Get("actor")), FileID: strings.TrimSpace(q.Get("file")), Action: strings.TrimSpace(q.Get("action")),
		From: bound("from", false), To: bound("to", true), After: q.Get("after"), Size: queryNumber(q, "size")}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	return aq, nil
}

// ClientAddr is the caller's IP address: the connection's peer, or, when that peer is a trusted proxy, the
// right-most address of X-Forwarded-For that is not a trusted proxy (the left-most entries are the client's to
// write and prove nothing).
func ClientAddr(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	if !isTrusted(peer) {
		return peer.Unmap().String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer.Unmap().String()
		}
		if !isTrusted(a) {
			return a.Unmap().String()
		}
	}
	return peer.Unmap().String()
}

// toProblem is the one place where the service's errors become HTTP problems.
func toProblem(err error) error {
	var pe *problem.Error
	var rl *RateLimitedError
	var vm *VersionMismatchError
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &rl):
		return problem.New(problem.TooManyRequests).With("retry_after", int(rl.RetryAfter.Seconds()))
	case errors.As(err, &vm):
		return problem.New(problem.PreconditionFailed).With("current_version", vm.Current)
	case errors.Is(err, ErrNotFound), errors.Is(err, servicekit.ErrNotFound):
		return problem.New(problem.NotFound)
	case errors.Is(err, ErrInvalidCredentials):
		return problem.New(problem.InvalidCredentials)
	case errors.Is(err, ErrInvalidSession):
		return problem.New(problem.Unauthorized)
	case errors.Is(err, ErrConflict):
		return &problem.Error{Type: problem.VersionConflict, Cause: err}
	}
	return &problem.Error{Type: problem.Internal, Cause: err}
}

// encodeError writes err as problem+json; a rate-limited login also gets Retry-After.
func encodeError(ctx context.Context, err error, w http.ResponseWriter) {
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds()+0.999)))
	}
	problem.EncodeError(ctx, toProblem(err), w)
}

// Protect is the middleware chain of routes that need a token: authentication, then authorization.
func Protect(v *authn.Verifier, e *casbin.SyncedEnforcer) endpoint.Middleware {
	return endpoint.Chain(authn.Middleware(v), authz.Middleware(e))
}

func init() {
	for code, texts := range map[string]map[string]string{
		"identity.kbo_invalid": {
			"fr": "Numéro d'entreprise (BCE) invalide : 10 chiffres dont les 2 derniers sont le contrôle modulo 97.",
			"nl": "Ongeldig ondernemingsnummer (KBO): 10 cijfers waarvan de laatste 2 de controle modulo 97 zijn.",
			"de": "Ungültige Unternehmensnummer (ZDU): 10 Ziffern, die letzten 2 sind die Prüfziffer modulo 97.",
			"en": "Invalid enterprise number (KBO/BCE): 10 digits, the last 2 being the modulo-97 check.",
		},
		"identity.tenant_code_invalid": {
			"fr": "Code de 2 à 32 caractères : lettres minuscules, chiffres et tirets, commençant par une lettre.",
			"nl": "Code van 2 tot 32 tekens: kleine letters, cijfers en koppeltekens, beginnend met een letter.",
			"de": "Code mit 2 bis 32 Zeichen: Kleinbuchstaben, Ziffern und Bindestriche, beginnend mit einem Buchstaben.",
			"en": "Code of 2 to 32 characters: lower-case letters, digits and hyphens, starting with a letter.",
		},
		"identity.code_reserved": {
			"fr": "Ce code est réservé.", "nl": "Deze code is voorbehouden.", "de": "Dieser Code ist reserviert.", "en": "This code is reserved.",
		},
		"identity.username_invalid": {
			"fr": "Identifiant de 2 à 64 caractères : lettres minuscules, chiffres, points, tirets et soulignés.",
			"nl": "Gebruikersnaam van 2 tot 64 tekens: kleine letters, cijfers, punten, koppeltekens en underscores.",
			"de": "Benutzername mit 2 bis 64 Zeichen: Kleinbuchstaben, Ziffern, Punkte, Binde- und Unterstriche.",
			"en": "Username of 2 to 64 characters: lower-case letters, digits, dots, hyphens and underscores.",
		},
		"identity.self_lockout": {
			"fr": "Vous ne pouvez ni désactiver votre propre compte ni vous retirer le rôle d'administrateur.",
			"nl": "U kunt uw eigen account niet uitschakelen en uzelf de beheerdersrol niet ontnemen.",
			"de": "Sie können weder Ihr eigenes Konto deaktivieren noch sich selbst die Administratorrolle entziehen.",
			"en": "You cannot disable your own account nor remove the administrator role from yourself.",
		},
		"identity.audit_range": {
			"fr": "La fin de la période doit suivre son début.", "nl": "Het einde van de periode moet na het begin liggen.",
			"de": "Das Ende des Zeitraums muss nach dessen Beginn liegen.", "en": "The end of the period must come after its start.",
		},
		"identity.wrong_password": {
			"fr": "Mot de passe actuel incorrect.", "nl": "Huidig wachtwoord onjuist.", "de": "Aktuelles Passwort falsch.", "en": "Wrong current password.",
		},
	} {
		problem.RegisterMessages(code, texts)
	}
}
