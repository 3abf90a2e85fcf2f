// Package authz decides whether a request may run: one casbin enforcer built from the project's single model and
// role policy (api/policy), asked with (role, tenant, route template, method) for each role of the caller's
// token, deny by default. It also enforces the tenancy rule that a request never names another tenant than its
// token's. Object-level rules (which file a social worker may see) are not here: they belong to each service's
// repository queries.
package authz

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/util"
	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/entraide/entraide/api/policy"
	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
)

// PlatformAdmin is the role that may act on any tenant named in a path.
const PlatformAdmin = "platform_admin"

// NewEnforcer builds the shared enforcer from the embedded model and policy of api/policy.
func NewEnforcer() (*casbin.SyncedEnforcer, error) {
	return NewEnforcerFrom(policy.Model, policy.CSV)
}

// NewEnforcerFrom builds an enforcer from a model and a policy text (tests of other policies).
func NewEnforcerFrom(modelText, policyText string) (*casbin.SyncedEnforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("authz: model: %w", err)
	}
	rules, groups, err := policy.Parse(policyText)
	if err != nil {
		return nil, fmt.Errorf("authz: %w", err)
	}
	e, err := casbin.NewSyncedEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("authz: enforcer: %w", err)
	}
	e.EnableLog(false)
	// Grouping lines may use "*" as domain: let the role manager match it against any tenant.
	e.AddNamedDomainMatchingFunc("g", "keyMatch", util.KeyMatch)
	ps := make([][]string, 0, len(rules))
	for _, r := range rules {
		ps = append(ps, []string{r.Role, r.Domain, r.Route, r.Method})
	}
	if len(ps) > 0 {
		if _, err := e.AddPolicies(ps); err != nil {
			return nil, fmt.Errorf("authz: load policy: %w", err)
		}
	}
	for _, g := range groups {
		if _, err := e.AddGroupingPolicy(g.Role, g.Inherits, g.Domain); err != nil {
			return nil, fmt.Errorf("authz: load grouping: %w", err)
		}
	}
	return e, nil
}

// Allowed tells whether any of roles may call method on routeTemplate in tenant. An empty tenant, template or
// role list, or a tenant spelled like a policy wildcard, is denied.
func Allowed(e *casbin.SyncedEnforcer, tenant string, roles []string, method, routeTemplate string) bool {
	if tenant == "" || tenant == policy.AnyTenant || strings.ContainsAny(tenant, "*,") || routeTemplate == "" || method == "" {
		return false
	}
	for _, role := range roles {
		if role == "" {
			continue
		}
		ok, err := e.Enforce(role, tenant, routeTemplate, method)
		if err == nil && ok {
			return true
		}
	}
	return false
}

type pathTenantKey struct{}

// PathTenantFromRequest is a go-kit RequestFunc (kithttp.ServerBefore) that copies the request's {tenant} path
// value, when the route has one, into the context for Middleware to check.
func PathTenantFromRequest(ctx context.Context, r *http.Request) context.Context {
	if v := r.PathValue("tenant"); v != "" {
		return context.WithValue(ctx, pathTenantKey{}, v)
	}
	return ctx
}

var _ kithttp.RequestFunc = PathTenantFromRequest

// WithPathTenant stores the {tenant} path value (PathTenantFromRequest does it for HTTP requests).
func WithPathTenant(ctx context.Context, tenant string) context.Context {
	return context.WithValue(ctx, pathTenantKey{}, tenant)
}

// Middleware lets a request through only when the claims (authn.Middleware must run first) grant one of their
// roles the route template of the context (httpkit.Router puts it there). A request without claims is a 401;
// without a route template, or refused by the policy, a 403. When the route template has a {tenant} segment, its
// value must be the token's tenant, unless the caller is a platform admin.
func Middleware(e *casbin.SyncedEnforcer) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, request any) (any, error) {
			claims, ok := authn.ClaimsFrom(ctx)
			if !ok {
				return nil, problem.New(problem.Unauthorized)
			}
			route, ok := httpkit.RouteFrom(ctx)
			if !ok || route.Template == "" {
				return nil, &problem.Error{Type: problem.Forbidden, Cause: fmt.Errorf("authz: no route template in context")}
			}
			if strings.Contains(route.Template, "{tenant}") {
				named, _ := ctx.Value(pathTenantKey{}).(string)
				if named == "" || (named != claims.Tenant && !claims.HasRole(PlatformAdmin)) {
					return nil, &problem.Error{Type: problem.Forbidden, Cause: fmt.Errorf("authz: path names another tenant")}
				}
			}
			if !Allowed(e, claims.Tenant, claims.Roles, route.Method, route.Template) {
				return nil, &problem.Error{Type: problem.Forbidden, Cause: fmt.Errorf("authz: %s %s denied", route.Method, route.Template)}
			}
			return next(ctx, request)
		}
	}
}
