package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// IdentityClient calls the identity service's HTTP API (api/openapi/identity-contract.md) on behalf of the
// signed-in user, with the user's access token, in the user's language.
type IdentityClient struct {
	base string
	http *http.Client
}

// NewIdentityClient returns a client of the identity API at base ("http://127.0.0.1:8081").
func NewIdentityClient(base string, timeout time.Duration) *IdentityClient {
	return &IdentityClient{base: strings.TrimRight(base, "/"), http: &http.Client{
		Timeout: timeout,
		// The API never redirects; following one could send the token elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// User is a user account as the identity service returns it.
type User struct {
	ID          string    `json:"id"`
	Tenant      string    `json:"tenant"`
	TenantName  string    `json:"tenant_name"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Email       string    `json:"email"`
	Roles       []string  `json:"roles"`
	Language    string    `json:"language"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
	Version     int64     `json:"version"`
}

// Tenant is a CPAS (or the platform) as the identity service returns it.
type Tenant struct {
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	KBO       string    `json:"kbo"`
	Language  string    `json:"language"`
	CreatedAt time.Time `json:"created_at"`
}

// Tokens is the answer to a login or a refresh.
type Tokens struct {
	AccessToken      string `json:"access_token"`
	ExpiresIn        int    `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int    `json:"refresh_expires_in"`
	User             User   `json:"user"`
}

// Page is one page of a list.
type Page[T any] struct {
	Items    []T `json:"items"`
	Total    int `json:"total"`
	Page     int `json:"page"`
	PageSize int `json:"page_size"`
}

// NewUser is what a tenant admin fills in to create a user.
type NewUser struct {
	Username    string   `json:"username"`
	DisplayName string   `json:"display_name"`
	Email       string   `json:"email"`
	Roles       []string `json:"roles"`
	Language    string   `json:"language"`
	Password    string   `json:"password"`
}

// NewTenant is what a platform admin fills in to create a tenant with its first administrator.
type NewTenant struct {
	Code     string       `json:"code"`
	Name     string       `json:"name"`
	KBO      string       `json:"kbo"`
	Language string       `json:"language"`
	Admin    NewTenantAdm `json:"admin"`
}

// NewTenantAdm is the first tenant_admin of a new tenant.
type NewTenantAdm struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
	Password    string `json:"password"`
}

// ErrIdentityUnavailable wraps failures to reach the identity service or its 5xx answers.
var ErrIdentityUnavailable = errors.New("identity service unavailable")

// APIError is a 4xx problem+json answer of a service (identity, beneficiaries).
type APIError struct {
	Status int
	// Type is the problem type URI ("urn:entraide:problem:invalid-credentials").
	Type   string
	Title  string
	Detail string
	Fields []APIFieldError
	// Extra holds the problem's extension members (file_numbers, candidates, current_version…).
	Extra map[string]json.RawMessage
	// RetryAfter is set on 429 answers.
	RetryAfter time.Duration
}

// APIFieldError is one field error of a validation problem, its message already in the caller's language.
type APIFieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *APIError) Error() string { return fmt.Sprintf("api: %d %s", e.Status, e.Type) }

// Slug is the problem type without its URN prefix ("invalid-credentials").
func (e *APIError) Slug() string { return strings.TrimPrefix(e.Type, "urn:entraide:problem:") }

// apiStatus returns the status of a service's API error, or 0.
func apiStatus(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// call is who calls and in which language.
type call struct {
	token     string
	lang      string
	requestID string
	// clientAddr is the end user's address, forwarded on login so the identity service's rate limit per client
	// address counts people, not the web front end.
	clientAddr string
	header     http.Header
}

func (c *IdentityClient) do(ctx context.Context, cl call, method, path string, in, out any) (http.Header, error) {
	return doJSON(ctx, c.http, c.base, ErrIdentityUnavailable, cl, method, path, in, out)
}

// doJSON calls a service's JSON API: in (when not nil) is the JSON body, out receives a 2xx answer's JSON. A
// 4xx answer is an *APIError; a failure to reach the service or its 5xx answer wraps unavailable.
func doJSON(ctx context.Context, hc *http.Client, base string, unavailable error, cl call, method, path string, in, out any) (http.Header, error) {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return nil, err
	}
	cl.apply(req)
	req.Header.Set("Accept", "application/json, application/problem+json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: %v", unavailable, method, routeOf(path), errWithoutURL(err))
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: read answer: %v", unavailable, err)
	}
	switch {
	case res.StatusCode >= 500:
		return nil, fmt.Errorf("%w: %s %s answered %d", unavailable, method, routeOf(path), res.StatusCode)
	case res.StatusCode >= 400:
		return res.Header, decodeProblem(res, raw)
	}
	if out != nil && res.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fmt.Errorf("%w: %s %s: undecodable answer: %v", unavailable, method, routeOf(path), err)
		}
	}
	return res.Header, nil
}

// apply sets the headers of a call on a request: extra headers, language, token, request id, client address.
func (cl call) apply(req *http.Request) {
	for k, vs := range cl.header {
		req.Header[k] = vs
	}
	if cl.lang != "" {
		req.Header.Set("Accept-Language", cl.lang)
	}
	if cl.token != "" {
		req.Header.Set("Authorization", "Bearer "+cl.token)
	}
	if cl.requestID != "" {
		req.Header.Set("X-Request-Id", cl.requestID)
	}
	if cl.clientAddr != "" {
		req.Header.Set("X-Forwarded-For", cl.clientAddr)
	}
}

// errWithoutURL drops the URL from a transport error: it may hold a search term.
func errWithoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// routeOf keeps the first two segments of a path for error messages: ids and queries stay out of the logs.
func routeOf(path string) string {
	path, _, _ = strings.Cut(path, "?")
	parts := strings.SplitN(path, "/", 4)
	if len(parts) > 3 {
		return strings.Join(parts[:3], "/") + "/…"
	}
	return path
}

func decodeProblem(res *http.Response, raw []byte) error {
	var doc struct {
		Type   string          `json:"type"`
		Title  string          `json:"title"`
		Detail string          `json:"detail"`
		Errors []APIFieldError `json:"errors"`
	}
	_ = json.Unmarshal(raw, &doc)
	e := &APIError{Status: res.StatusCode, Type: doc.Type, Title: doc.Title, Detail: doc.Detail, Fields: doc.Errors}
	_ = json.Unmarshal(raw, &e.Extra)
	if s := res.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		} else if t, err := http.ParseTime(s); err == nil {
			e.RetryAfter = time.Until(t)
		}
	}
	return e
}

// Login exchanges credentials for tokens.
func (c *IdentityClient) Login(ctx context.Context, cl call, tenant, username, password string) (Tokens, error) {
	var t Tokens
	_, err := c.do(ctx, cl, http.MethodPost, "/v1/auth/login",
		map[string]string{"tenant": tenant, "username": username, "password": password}, &t)
	return t, err
}

// Refresh spends a refresh token for new tokens.
func (c *IdentityClient) Refresh(ctx context.Context, cl call, refreshToken string) (Tokens, error) {
	var t Tokens
	_, err := c.do(ctx, cl, http.MethodPost, "/v1/auth/refresh", map[string]string{"refresh_token": refreshToken}, &t)
	return t, err
}

// Logout revokes the refresh token's family.
func (c *IdentityClient) Logout(ctx context.Context, cl call, refreshToken string) error {
	_, err := c.do(ctx, cl, http.MethodPost, "/v1/auth/logout", map[string]string{"refresh_token": refreshToken}, nil)
	return err
}

// Me returns the caller's account.
func (c *IdentityClient) Me(ctx context.Context, cl call) (User, error) {
	var u User
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/me", nil, &u)
	return u, err
}

// ChangeMyPassword changes the caller's password.
func (c *IdentityClient) ChangeMyPassword(ctx context.Context, cl call, current, next string) error {
	_, err := c.do(ctx, cl, http.MethodPost, "/v1/me/password",
		map[string]string{"current_password": current, "new_password": next}, nil)
	return err
}

// Roles returns the roles a tenant admin may assign.
func (c *IdentityClient) Roles(ctx context.Context, cl call) ([]string, error) {
	var out struct {
		Items []string `json:"items"`
	}
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/roles", nil, &out)
	return out.Items, err
}

func listQuery(q string, page, size int) string {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	v.Set("page", strconv.Itoa(page))
	v.Set("page_size", strconv.Itoa(size))
	return "?" + v.Encode()
}

// ListUsers returns a page of the tenant's users whose username, name or e-mail starts with q.
func (c *IdentityClient) ListUsers(ctx context.Context, cl call, q string, page, size int) (Page[User], error) {
	var p Page[User]
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/users"+listQuery(q, page, size), nil, &p)
	return p, err
}

// CreateUser creates a user; idempotencyKey makes a double submission create it once.
func (c *IdentityClient) CreateUser(ctx context.Context, cl call, idempotencyKey string, nu NewUser) (User, error) {
	var u User
	if idempotencyKey != "" {
		cl.header = http.Header{"Idempotency-Key": {idempotencyKey}}
	}
	_, err := c.do(ctx, cl, http.MethodPost, "/v1/users", nu, &u)
	return u, err
}

// GetUser returns one user of the tenant.
func (c *IdentityClient) GetUser(ctx context.Context, cl call, id string) (User, error) {
	var u User
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/users/"+url.PathEscape(id), nil, &u)
	return u, err
}

// SetRoles replaces a user's roles if the user is still at version.
func (c *IdentityClient) SetRoles(ctx context.Context, cl call, id string, version int64, roles []string) (User, error) {
	var u User
	cl.header = http.Header{"If-Match": {`"` + strconv.FormatInt(version, 10) + `"`}}
	if roles == nil {
		roles = []string{}
	}
	_, err := c.do(ctx, cl, http.MethodPut, "/v1/users/"+url.PathEscape(id)+"/roles", map[string][]string{"roles": roles}, &u)
	return u, err
}

// SetDisabled disables or enables a user.
func (c *IdentityClient) SetDisabled(ctx context.Context, cl call, id string, disabled bool) (User, error) {
	var u User
	action := "/enable"
	if disabled {
		action = "/disable"
	}
	_, err := c.do(ctx, cl, http.MethodPost, "/v1/users/"+url.PathEscape(id)+action, nil, &u)
	return u, err
}

// ResetPassword sets a user's password (an admin's reset).
func (c *IdentityClient) ResetPassword(ctx context.Context, cl call, id, password string) error {
	_, err := c.do(ctx, cl, http.MethodPost, "/v1/users/"+url.PathEscape(id)+"/password", map[string]string{"new_password": password}, nil)
	return err
}

// ListTenants returns a page of tenants (platform admins).
func (c *IdentityClient) ListTenants(ctx context.Context, cl call, q string, page, size int) (Page[Tenant], error) {
	var p Page[Tenant]
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/tenants"+listQuery(q, page, size), nil, &p)
	return p, err
}

// CreateTenant creates a tenant and its first tenant admin.
func (c *IdentityClient) CreateTenant(ctx context.Context, cl call, idempotencyKey string, nt NewTenant) (Tenant, error) {
	var t Tenant
	if idempotencyKey != "" {
		cl.header = http.Header{"Idempotency-Key": {idempotencyKey}}
	}
	_, err := c.do(ctx, cl, http.MethodPost, "/v1/tenants", nt, &t)
	return t, err
}

// GetTenant returns one tenant.
func (c *IdentityClient) GetTenant(ctx context.Context, cl call, id string) (Tenant, error) {
	var t Tenant
	_, err := c.do(ctx, cl, http.MethodGet, "/v1/tenants/"+url.PathEscape(id), nil, &t)
	return t, err
}

// Ready tells whether the identity service answers its health check.
func (c *IdentityClient) Ready(ctx context.Context) error {
	_, err := c.do(ctx, call{}, http.MethodGet, "/healthz", nil, nil)
	return err
}
