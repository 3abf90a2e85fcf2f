// Package policy owns Entraide's authorization contract: the one casbin model (model.conf, RBAC with domains =
// tenants) and the role policy (policy.csv) that every service enforces through libs/authz. It holds data, not
// code that decides: parsing here only checks that each line is well formed, so a typo fails at start-up instead
// of silently denying (or allowing) a route.
package policy

import (
	_ "embed"
	"fmt"
	"strings"
)

// Model is the casbin model text.
//
//go:embed model.conf
var Model string

// CSV is the role policy text.
//
//go:embed policy.csv
var CSV string

// PlatformDomain is the domain (token tenant) of the platform operators.
const PlatformDomain = "platform"

// AnyTenant in a rule's domain means every CPAS tenant, never the platform domain.
const AnyTenant = "*"

// Roles are the roles of docs/architecture.md, the only subjects a rule may name.
var Roles = []string{
	"social_worker", "social_service_head", "committee_member", "committee_secretary", "president",
	"accountant", "finance_director", "dpo", "tenant_admin", "platform_admin",
}

// Rule is one "p" line: role may call Method on Route in Domain.
type Rule struct {
	Role, Domain, Route, Method string
}

// Grouping is one "g" line: Role has the rights of Inherits in Domain.
type Grouping struct {
	Role, Inherits, Domain string
}

var methods = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}

func knownRole(r string) bool {
	for _, k := range Roles {
		if k == r {
			return true
		}
	}
	return false
}

// Parse reads a policy text: blank lines and lines starting with # are ignored; any other line must be a
// well-formed "p" or "g" line naming known roles, or Parse fails with its line number.
func Parse(text string) ([]Rule, []Grouping, error) {
	var rules []Rule
	var groups []Grouping
	seen := map[Rule]bool{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		for j := range f {
			f[j] = strings.TrimSpace(f[j])
		}
		switch {
		case f[0] == "p" && len(f) == 5:
			r := Rule{Role: f[1], Domain: f[2], Route: f[3], Method: f[4]}
			switch {
			case !knownRole(r.Role):
				return nil, nil, fmt.Errorf("policy line %d: unknown role %q", i+1, r.Role)
			case r.Domain == "":
				return nil, nil, fmt.Errorf("policy line %d: empty domain", i+1)
			case !strings.HasPrefix(r.Route, "/"):
				return nil, nil, fmt.Errorf("policy line %d: route %q must start with /", i+1, r.Route)
			case !methods[r.Method]:
				return nil, nil, fmt.Errorf("policy line %d: method %q", i+1, r.Method)
			case seen[r]:
				return nil, nil, fmt.Errorf("policy line %d: duplicate rule", i+1)
			}
			seen[r] = true
			rules = append(rules, r)
		case f[0] == "g" && len(f) == 4:
			g := Grouping{Role: f[1], Inherits: f[2], Domain: f[3]}
			if !knownRole(g.Role) || !knownRole(g.Inherits) || g.Domain == "" {
				return nil, nil, fmt.Errorf("policy line %d: bad grouping", i+1)
			}
			groups = append(groups, g)
		default:
			return nil, nil, fmt.Errorf("policy line %d: expected \"p, role, domain, route, method\" or \"g, role, role, domain\"", i+1)
		}
	}
	return rules, groups, nil
}

// Rules parses the embedded policy.
func Rules() ([]Rule, []Grouping, error) { return Parse(CSV) }
