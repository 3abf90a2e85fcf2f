package decisions_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"gopkg.in/yaml.v3"

	"github.com/entraide/entraide/api/policy"
	"github.com/entraide/entraide/services/decisions"
	"github.com/entraide/entraide/services/decisions/decision"
	"github.com/entraide/entraide/services/decisions/proposal"
	"github.com/entraide/entraide/services/decisions/request"
	"github.com/entraide/entraide/services/decisions/session"
	"github.com/entraide/entraide/services/decisions/urgent"
)

type operation struct {
	Parameters []struct {
		Ref string `yaml:"$ref"`
	} `yaml:"parameters"`
	Responses map[string]any `yaml:"responses"`
}

// contract reads api/openapi/decisions.v1.yaml: "METHOD /path" → operation.
func contract(t *testing.T) map[string]operation {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "api", "openapi", "decisions.v1.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                          `yaml:"openapi"`
		Paths   map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	out := map[string]operation{}
	for path, ops := range doc.Paths {
		for method, node := range ops {
			if method == "parameters" {
				continue
			}
			var op operation
			if err := node.Decode(&op); err != nil {
				t.Fatal(err)
			}
			out[strings.ToUpper(method)+" "+path] = op
		}
	}
	return out
}

// TestRoutesMatchContract: the routes the service mounts are exactly the OpenAPI paths, each one is in
// api/policy/policy.csv (no public route here), and each documents the headers its handler requires.
func TestRoutesMatchContract(t *testing.T) {
	ops := contract(t)
	var documented []string
	for r := range ops {
		documented = append(documented, r)
	}
	registered := decisions.Routes()
	slices.Sort(documented)
	slices.Sort(registered)
	if !slices.Equal(documented, registered) {
		t.Fatalf("routes and contract differ:\nregistered:\n%s\ndocumented:\n%s", strings.Join(registered, "\n"), strings.Join(documented, "\n"))
	}

	rules, _, err := policy.Rules()
	if err != nil {
		t.Fatal(err)
	}
	inPolicy := map[string]bool{}
	for _, r := range rules {
		inPolicy[r.Method+" "+r.Route] = true
	}
	for _, r := range registered {
		if !inPolicy[r] {
			t.Errorf("%s is not in api/policy/policy.csv", r)
		}
	}

	// Every route is mounted behind authentication: a well-formed request without a token answers 401, not 404
	// or 405. (Requests are decoded before the token is checked: a malformed one may get its 4xx first.)
	e := newEnv(t)
	for _, r := range registered {
		method, path, _ := strings.Cut(r, " ")
		var body io.Reader
		if method != "GET" {
			body = strings.NewReader(`{"reason":"x"}`)
			if r != request.RouteWithdraw {
				body = strings.NewReader(`{}`)
			}
		}
		req, _ := http.NewRequest(method, e.url+strings.NewReplacer("{id}", uuid.NewString(), "{ref}", uuid.NewString()).Replace(path), body)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("If-Match", `"1"`)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d, want 401", r, res.StatusCode)
		}
	}

	// The headers each handler requires are documented, and every operation documents 401 and 403.
	has := func(op operation, param string) bool {
		return slices.ContainsFunc(op.Parameters, func(p struct {
			Ref string `yaml:"$ref"`
		}) bool {
			return p.Ref == "#/components/parameters/"+param
		})
	}
	for _, r := range registered {
		op := ops[r]
		method, path, _ := strings.Cut(r, " ")
		purpose := method == "GET" && (strings.HasPrefix(path, "/v1/requests") || path == "/v1/board" ||
			strings.HasPrefix(path, "/v1/proposals"))
		purpose = purpose || slices.Contains(session.PurposeRoutes, r) || slices.Contains(urgent.PurposeRoutes, r)
		ifMatch := method == "PUT" || strings.HasSuffix(path, "/withdrawal") || slices.Contains(proposal.ChangeRoutes, r)
		ifMatch = ifMatch || slices.Contains(session.IfMatchRoutes, r)
		idem := slices.Contains(request.CreationRoutes, r) || slices.Contains(proposal.CreationRoutes, r)
		idem = idem || slices.Contains(session.CreationRoutes, r) || slices.Contains(urgent.CreationRoutes, r)
		purpose = purpose || (method == "GET" && strings.HasPrefix(path, "/v1/decisions"))
		ifMatch = ifMatch || slices.Contains(decision.IfMatchRoutes, r)
		idem = idem || slices.Contains(decision.CreationRoutes, r)
		for name, want := range map[string]bool{"Purpose": purpose, "IfMatch": ifMatch, "IdempotencyKey": idem} {
			if has(op, name) != want {
				t.Errorf("%s: parameter %s documented %v, want %v", r, name, !want, want)
			}
		}
		for _, code := range []string{"401", "403"} {
			if _, ok := op.Responses[code]; !ok {
				t.Errorf("%s: no %s response", r, code)
			}
		}
		if ifMatch {
			for _, code := range []string{"412", "428"} {
				if _, ok := op.Responses[code]; !ok {
					t.Errorf("%s: no %s response", r, code)
				}
			}
		}
		if purpose {
			if _, ok := op.Responses["422"]; !ok {
				t.Errorf("%s: no 422 response (X-Purpose)", r)
			}
		}
	}
}
