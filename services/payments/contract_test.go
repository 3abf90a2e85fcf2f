package payments_test

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
	"github.com/entraide/entraide/services/payments"
	"github.com/entraide/entraide/services/payments/ledger"
	"github.com/entraide/entraide/services/payments/receivable"
	"github.com/entraide/entraide/services/payments/reconcile"
	"github.com/entraide/entraide/services/payments/run"
	"github.com/entraide/entraide/services/payments/schedule"
	"github.com/entraide/entraide/services/payments/settings"
	"github.com/entraide/entraide/services/payments/statement"
	"github.com/entraide/entraide/services/payments/subsidy"
)

type operation struct {
	Parameters []struct {
		Ref string `yaml:"$ref"`
	} `yaml:"parameters"`
	Responses map[string]any `yaml:"responses"`
}

// contract reads api/openapi/payments.v1.yaml: "METHOD /path" → operation.
func contract(t *testing.T) map[string]operation {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "api", "openapi", "payments.v1.yaml"))
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
			var op operation
			if err := node.Decode(&op); err != nil {
				t.Fatal(err)
			}
			out[strings.ToUpper(method)+" "+path] = op
		}
	}
	return out
}

// TestRoutesMatchContract: the routes the service mounts are exactly the OpenAPI paths, each is in
// api/policy/policy.csv, each answers 401 without a token, and each documents the headers its handler requires
// (X-Purpose, If-Match, Idempotency-Key) with their answers.
func TestRoutesMatchContract(t *testing.T) {
	ops := contract(t)
	var documented []string
	for r := range ops {
		documented = append(documented, r)
	}
	registered := payments.Routes()
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

	e := newEnv(t)
	for _, r := range registered {
		method, path, _ := strings.Cut(r, " ")
		var body io.Reader
		if method != "GET" {
			body = strings.NewReader(`{}`)
		}
		req, _ := http.NewRequest(method, e.url+strings.ReplaceAll(path, "{id}", uuid.NewString()), body)
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

	has := func(op operation, param string) bool {
		return slices.ContainsFunc(op.Parameters, func(p struct {
			Ref string `yaml:"$ref"`
		}) bool {
			return p.Ref == "#/components/parameters/"+param
		})
	}
	for _, r := range registered {
		op := ops[r]
		purpose := slices.Contains(schedule.PurposeRoutes, r) || slices.Contains(run.PurposeRoutes, r) ||
			slices.Contains(reconcile.PurposeRoutes, r) || slices.Contains(receivable.PurposeRoutes, r) ||
			slices.Contains(ledger.PurposeRoutes, r) || slices.Contains(subsidy.PurposeRoutes, r)
		ifMatch := slices.Contains(run.IfMatchRoutes, r) || slices.Contains(settings.IfMatchRoutes, r) ||
			slices.Contains(schedule.IfMatchRoutes, r) || slices.Contains(reconcile.IfMatchRoutes, r) || slices.Contains(receivable.IfMatchRoutes, r) ||
			slices.Contains(subsidy.IfMatchRoutes, r)
		idem := slices.Contains(run.CreationRoutes, r) || slices.Contains(statement.IdempotentRoutes, r) ||
			slices.Contains(receivable.CreationRoutes, r) || slices.Contains(schedule.CreationRoutes, r)
		for name, want := range map[string]bool{"Purpose": purpose, "IfMatch": ifMatch, "IdempotencyKey": idem} {
			if has(op, name) != want {
				t.Errorf("%s: parameter %s documented %v, want %v", r, name, !want, want)
			}
		}
		codes := []string{"401", "403"}
		if ifMatch {
			codes = append(codes, "412", "428")
		}
		if purpose {
			codes = append(codes, "422")
		}
		for _, code := range codes {
			if _, ok := op.Responses[code]; !ok {
				t.Errorf("%s: no %s response", r, code)
			}
		}
	}
}
