package beneficiaries

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/entraide/entraide/api/policy"
)

// registeredRoutes are the API routes the assembled service serves (ops endpoints excluded).
func registeredRoutes() []string {
	return Routes()
}

// TestRoutesMatchContract checks the registered routes against api/openapi/beneficiaries.v1.yaml and that every
// one of them is in api/policy (no public route in this service).
func TestRoutesMatchContract(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "api", "openapi", "beneficiaries.v1.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	registered := registeredRoutes()
	sort.Strings(documented)
	sort.Strings(registered)
	if strings.Join(documented, "\n") != strings.Join(registered, "\n") {
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
}
