package identity

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-kit/kit/endpoint"

	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/problem"
)

// Endpoints are the service's go-kit endpoints, one per route.
type Endpoints struct {
	Login, Refresh, Logout                       endpoint.Endpoint
	Me, ChangeOwnPassword, Roles                 endpoint.Endpoint
	ListUsers, CreateUser, GetUser, SetUserRoles endpoint.Endpoint
	ListStaff                                    endpoint.Endpoint
	DisableUser, EnableUser, ResetPassword       endpoint.Endpoint
	ListTenants, CreateTenant, GetTenant         endpoint.Endpoint
	// SearchAudit is the DPO's audit trail (AuditService; MakeAuditEndpoint).
	SearchAudit endpoint.Endpoint
}

// MakeEndpoints builds the endpoints; protect wraps the ones that need a token (authn then authz).
func MakeEndpoints(s Service, protect endpoint.Middleware) Endpoints {
	return Endpoints{
		Login:             makeLogin(s),
		Refresh:           makeRefresh(s),
		Logout:            makeLogout(s),
		Me:                protect(makeMe(s)),
		ChangeOwnPassword: protect(makeChangeOwnPassword(s)),
		Roles:             protect(makeRoles(s)),
		ListUsers:         protect(makeListUsers(s)),
		ListStaff:         protect(makeListStaff(s)),
		CreateUser:        protect(makeCreateUser(s)),
		GetUser:           protect(makeGetUser(s)),
		SetUserRoles:      protect(makeSetUserRoles(s)),
		DisableUser:       protect(makeUserAction(s.DisableUser)),
		EnableUser:        protect(makeUserAction(s.EnableUser)),
		ResetPassword:     protect(makeResetPassword(s)),
		ListTenants:       protect(makeListTenants(s)),
		CreateTenant:      protect(makeCreateTenant(s)),
		GetTenant:         protect(makeGetTenant(s)),
	}
}

// MakeAuditEndpoint builds the audit trail's endpoint, behind protect like the others.
func MakeAuditEndpoint(s AuditService, protect endpoint.Middleware) endpoint.Endpoint {
	return protect(func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		return s.SearchAudit(ctx, a, request.(AuditQuery))
	})
}

// actorFrom reads the caller from the claims authn.Middleware verified.
func actorFrom(ctx context.Context) (Actor, error) {
	c, ok := authn.ClaimsFrom(ctx)
	if !ok {
		return Actor{}, problem.New(problem.Unauthorized)
	}
	return Actor{UserID: c.Subject, Tenant: c.Tenant, Roles: c.Roles, SessionID: c.SessionID}, nil
}

type loginRequest struct {
	Tenant     string   `json:"tenant"`
	Username   string   `json:"username"`
	Password   string   `json:"password"`
	Audience   []string `json:"audience,omitempty"`
	clientAddr string
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

type resetPasswordRequest struct {
	id          string
	NewPassword string `json:"new_password"`
}

type createUserRequest struct {
	Username    string   `json:"username"`
	DisplayName string   `json:"display_name"`
	Email       string   `json:"email"`
	Roles       []string `json:"roles"`
	Language    string   `json:"language"`
	Password    string   `json:"password"`
}

type setRolesRequest struct {
	id      string
	version int64
	Roles   []string `json:"roles"`
}

type idRequest struct{ id string }

type createTenantRequest struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	KBO      string `json:"kbo"`
	Language string `json:"language"`
	Admin    struct {
		Username    string `json:"username"`
		DisplayName string `json:"display_name"`
		Email       string `json:"email"`
		Password    string `json:"password"`
	} `json:"admin"`
}

// noContent answers 204.
type noContent struct{}

func (noContent) StatusCode() int { return http.StatusNoContent }

// userResponse is a user with its ETag; created answers 201 with a Location.
type userResponse struct {
	UserView
	created bool
}

func (r userResponse) StatusCode() int {
	if r.created {
		return http.StatusCreated
	}
	return http.StatusOK
}

func (r userResponse) Headers() http.Header {
	h := http.Header{"Etag": {strconv.Quote(strconv.FormatInt(r.Version, 10))}}
	if r.created {
		h.Set("Location", "/v1/users/"+r.ID)
	}
	return h
}

type createdTenantResponse struct {
	TenantView
	Admin UserView `json:"admin"`
}

func (createdTenantResponse) StatusCode() int { return http.StatusCreated }
func (r createdTenantResponse) Headers() http.Header {
	return http.Header{"Location": {"/v1/tenants/" + r.ID}}
}

type rolesResponse struct {
	Items []Role `json:"items"`
}

func makeLogin(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		r := request.(loginRequest)
		return s.Login(ctx, LoginInput{Tenant: r.Tenant, Username: r.Username, Password: r.Password, Audience: r.Audience, ClientAddr: r.clientAddr})
	}
}

func makeRefresh(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		return s.Refresh(ctx, request.(refreshRequest).RefreshToken)
	}
}

func makeLogout(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		return noContent{}, s.Logout(ctx, request.(refreshRequest).RefreshToken)
	}
}

func makeMe(s Service) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		v, err := s.Me(ctx, a)
		return userResponse{UserView: v}, err
	}
}

func makeChangeOwnPassword(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := request.(passwordRequest)
		return noContent{}, s.ChangeOwnPassword(ctx, a, r.CurrentPassword, r.NewPassword)
	}
}

func makeRoles(s Service) endpoint.Endpoint {
	return func(ctx context.Context, _ any) (any, error) {
		return rolesResponse{Items: s.Roles(ctx)}, nil
	}
}

func makeListUsers(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		return s.ListUsers(ctx, a, request.(PageQuery))
	}
}

func makeListStaff(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		return s.ListStaff(ctx, a, request.(StaffQuery))
	}
}

func makeCreateUser(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := request.(createUserRequest)
		//lint:ignore S1016 the wire type and the domain input are kept apart on purpose: they change separately
		v, err := s.CreateUser(ctx, a, UserInput{Username: r.Username, DisplayName: r.DisplayName, Email: r.Email, Roles: r.Roles, Language: r.Language, Password: r.Password})
		return userResponse{UserView: v, created: true}, err
	}
}

func makeGetUser(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		v, err := s.GetUser(ctx, a, request.(idRequest).id)
		return userResponse{UserView: v}, err
	}
}

func makeSetUserRoles(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := request.(setRolesRequest)
		v, err := s.SetUserRoles(ctx, a, r.id, r.version, r.Roles)
		return userResponse{UserView: v}, err
	}
}

func makeUserAction(fn func(context.Context, Actor, string) (UserView, error)) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		v, err := fn(ctx, a, request.(idRequest).id)
		return userResponse{UserView: v}, err
	}
}

func makeResetPassword(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := request.(resetPasswordRequest)
		return noContent{}, s.ResetPassword(ctx, a, r.id, r.NewPassword)
	}
}

func makeListTenants(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		return s.ListTenants(ctx, a, request.(PageQuery))
	}
}

func makeCreateTenant(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		r := request.(createTenantRequest)
		t, u, err := s.CreateTenant(ctx, a, TenantInput{Code: r.Code, Name: r.Name, KBO: r.KBO, Language: r.Language},
			UserInput{Username: r.Admin.Username, DisplayName: r.Admin.DisplayName, Email: r.Admin.Email, Password: r.Admin.Password})
		return createdTenantResponse{TenantView: t, Admin: u}, err
	}
}

func makeGetTenant(s Service) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		a, err := actorFrom(ctx)
		if err != nil {
			return nil, err
		}
		return s.GetTenant(ctx, a, request.(idRequest).id)
	}
}
