package authz

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/entraide/entraide/api/policy"
	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
)

const everyone = "*every*"

// expected is the policy written a second time, by hand: route → roles allowed. A change to policy.csv that is
// not made here too fails the test, so the policy never changes by accident.
var expected = map[string][]string{
	// identity API
	"GET /v1/me":                   {everyone},
	"POST /v1/me/password":         {everyone},
	"GET /v1/roles":                {everyone},
	"GET /v1/users":                {"tenant_admin"},
	"POST /v1/users":               {"tenant_admin"},
	"GET /v1/users/{id}":           {"tenant_admin"},
	"PUT /v1/users/{id}/roles":     {"tenant_admin"},
	"POST /v1/users/{id}/disable":  {"tenant_admin"},
	"POST /v1/users/{id}/enable":   {"tenant_admin"},
	"POST /v1/users/{id}/password": {"tenant_admin"},
	"GET /v1/staff":                {"social_worker", "social_service_head", "tenant_admin", "dpo", "committee_secretary", "president"},
	"GET /v1/audit":                {"dpo"},
	"GET /v1/tenants":              {"platform_admin"},
	"POST /v1/tenants":             {"platform_admin"},
	"GET /v1/tenants/{id}":         {"platform_admin"},
	// web pages
	"GET /":                     {everyone},
	"GET /account":              {everyone},
	"POST /account":             {everyone},
	"GET /account/password":     {everyone},
	"POST /account/password":    {everyone},
	"GET /users":                {"tenant_admin"},
	"POST /users":               {"tenant_admin"},
	"GET /users/new":            {"tenant_admin"},
	"POST /users/new":           {"tenant_admin"},
	"GET /users/{id}":           {"tenant_admin"},
	"POST /users/{id}":          {"tenant_admin"},
	"GET /users/{id}/roles":     {"tenant_admin"},
	"POST /users/{id}/roles":    {"tenant_admin"},
	"GET /users/{id}/disable":   {"tenant_admin"},
	"POST /users/{id}/disable":  {"tenant_admin"},
	"GET /users/{id}/enable":    {"tenant_admin"},
	"POST /users/{id}/enable":   {"tenant_admin"},
	"GET /users/{id}/password":  {"tenant_admin"},
	"POST /users/{id}/password": {"tenant_admin"},
	"GET /tenants":              {"platform_admin"},
	"POST /tenants":             {"platform_admin"},
	"GET /tenants/new":          {"platform_admin"},
	"POST /tenants/new":         {"platform_admin"},
	"GET /tenants/{id}":         {"platform_admin"},
	"POST /tenants/{id}":        {"platform_admin"},
	"GET /audit":                {"dpo"},
	"POST /audit":               {"dpo"},
	// web pages: the beneficiary registry
	"GET /caseload":                    {"social_worker", "social_service_head"},
	"GET /files":                       {"social_service_head"},
	"POST /tasks/{id}/done":            {"social_worker", "social_service_head"},
	"GET /persons":                     {"social_worker", "social_service_head"},
	"POST /persons":                    {"social_worker", "social_service_head"},
	"GET /persons/new":                 {"social_worker", "social_service_head"},
	"POST /persons/new":                {"social_worker", "social_service_head"},
	"GET /persons/{id}":                {"social_worker", "social_service_head"},
	"GET /persons/{id}/edit":           {"social_worker", "social_service_head"},
	"POST /persons/{id}/edit":          {"social_worker", "social_service_head"},
	"POST /persons/{id}/purpose":       {"social_worker", "social_service_head"},
	"POST /persons/{id}/bank-accounts": {"social_worker", "social_service_head"},
	"POST /persons/{id}/bank-accounts/{account}/activate": {"social_worker", "social_service_head"},
	"GET /persons/{id}/household":                         {"social_worker", "social_service_head"},
	"POST /persons/{id}/household":                        {"social_worker", "social_service_head"},
	"POST /persons/{id}/household/members":                {"social_worker", "social_service_head"},
	"POST /persons/{id}/household/removal":                {"social_worker", "social_service_head"},
	"POST /persons/{id}/files":                            {"social_worker", "social_service_head"},
	"GET /persons/{id}/files/{file}":                      {"social_worker", "social_service_head"},
	"POST /persons/{id}/files/{file}/journal":             {"social_worker", "social_service_head"},
	"POST /persons/{id}/files/{file}/documents":           {"social_worker", "social_service_head"},
	"GET /persons/{id}/files/{file}/closure":              {"social_worker", "social_service_head"},
	"POST /persons/{id}/files/{file}/closure":             {"social_worker", "social_service_head"},
	"GET /persons/{id}/documents/{doc}":                   {"social_worker", "social_service_head"},
	"GET /teams":                                          {"social_worker", "social_service_head"},
	"GET /persons/{id}/files/{file}/assignment":           {"social_service_head"},
	"POST /persons/{id}/files/{file}/assignment":          {"social_service_head"},
	"GET /persons/{id}/documents/{doc}/removal":           {"social_service_head"},
	"POST /persons/{id}/documents/{doc}/removal":          {"social_service_head"},
	"GET /persons/{id}/files/{file}/legal-hold":           {"social_service_head"},
	"POST /persons/{id}/files/{file}/legal-hold":          {"social_service_head"},
	"GET /retention":                                      {"social_service_head"},
	"POST /retention":                                     {"social_service_head"},
	"GET /teams/new":                                      {"social_service_head"},
	"POST /teams/new":                                     {"social_service_head"},
	"GET /teams/{id}":                                     {"social_service_head"},
	"POST /teams/{id}":                                    {"social_service_head"},
	// web pages: aid requests and the deadline board (decisions), the CPAS's settings
	"GET /persons/{id}/files/{file}/requests/new":                           {"social_worker", "social_service_head"},
	"POST /persons/{id}/files/{file}/requests/new":                          {"social_worker", "social_service_head"},
	"GET /persons/{id}/requests/{request}":                                  {"social_worker", "social_service_head"},
	"GET /persons/{id}/requests/{request}/acknowledgment":                   {"social_worker", "social_service_head"},
	"GET /persons/{id}/requests/{request}/acknowledgment.pdf":               {"social_worker", "social_service_head"},
	"GET /persons/{id}/decisions/{decision}":                                {"social_worker", "social_service_head"},
	"POST /persons/{id}/decisions/{decision}/notification":                  {"social_worker", "social_service_head"},
	"GET /persons/{id}/decisions/{decision}/letter":                         {"social_worker", "social_service_head"},
	"GET /persons/{id}/decisions/{decision}/letter.pdf":                     {"social_worker", "social_service_head"},
	"GET /persons/{id}/decisions/{decision}/actions/{action}":               {"social_worker", "social_service_head"},
	"POST /persons/{id}/decisions/{decision}/actions/{action}":              {"social_worker", "social_service_head"},
	"GET /persons/{id}/decisions/{decision}/changes/{change}/letter":        {"social_worker", "social_service_head"},
	"GET /persons/{id}/decisions/{decision}/changes/{change}/letter.pdf":    {"social_worker", "social_service_head"},
	"POST /persons/{id}/decisions/{decision}/changes/{change}/notification": {"social_worker", "social_service_head"},
	"GET /decisions": {"social_service_head", "accountant", "finance_director"},
	"GET /deadlines": {"social_worker", "social_service_head"},
	"GET /settings":  {"tenant_admin"},
	"POST /settings": {"tenant_admin"},
	// web pages: inquiry, proposals, RIS amounts (decisions)
	"GET /persons/{id}/requests/{request}/inquiry":            {"social_worker", "social_service_head"},
	"POST /persons/{id}/requests/{request}/inquiry":           {"social_worker", "social_service_head"},
	"GET /persons/{id}/requests/{request}/hearing-letter":     {"social_worker", "social_service_head"},
	"GET /persons/{id}/requests/{request}/hearing-letter.pdf": {"social_worker", "social_service_head"},
	"GET /persons/{id}/requests/{request}/proposals/new":      {"social_worker", "social_service_head"},
	"POST /persons/{id}/requests/{request}/proposals/new":     {"social_worker", "social_service_head"},
	"GET /persons/{id}/proposals/{proposal}":                  {"social_worker", "social_service_head"},
	"GET /persons/{id}/proposals/{proposal}/edit":             {"social_worker", "social_service_head"},
	"POST /persons/{id}/proposals/{proposal}/edit":            {"social_worker", "social_service_head"},
	"POST /persons/{id}/proposals/{proposal}/submission":      {"social_worker", "social_service_head"},
	"POST /persons/{id}/proposals/{proposal}/validation":      {"social_service_head"},
	"POST /persons/{id}/proposals/{proposal}/return":          {"social_service_head"},
	"GET /proposals":    {"social_service_head"},
	"GET /ris-amounts":  {"tenant_admin"},
	"POST /ris-amounts": {"tenant_admin"},
	// web pages: committee sessions and urgent decisions (decisions)
	"GET /sessions":                                {"committee_secretary", "committee_member", "president"},
	"GET /sessions/new":                            {"committee_secretary"},
	"POST /sessions/new":                           {"committee_secretary"},
	"GET /sessions/{id}":                           {"committee_secretary", "committee_member", "president"},
	"POST /sessions/{id}/convocation":              {"committee_secretary"},
	"POST /sessions/{id}/items":                    {"committee_secretary"},
	"POST /sessions/{id}/items/{ref}/removal":      {"committee_secretary"},
	"POST /sessions/{id}/opening":                  {"committee_secretary"},
	"POST /sessions/{id}/movements":                {"committee_secretary"},
	"POST /sessions/{id}/items/{ref}/conflicts":    {"committee_secretary"},
	"POST /sessions/{id}/items/{ref}/vote":         {"committee_secretary"},
	"POST /sessions/{id}/items/{ref}/ballots":      {"committee_secretary", "committee_member", "president"},
	"POST /sessions/{id}/items/{ref}/casting-vote": {"committee_secretary", "president"},
	"POST /sessions/{id}/items/{ref}/outcome":      {"committee_secretary"},
	"POST /sessions/{id}/closing":                  {"committee_secretary"},
	"GET /sessions/{id}/minutes":                   {"committee_secretary", "committee_member", "president"},
	"GET /sessions/{id}/minutes.pdf":               {"committee_secretary", "committee_member", "president"},
	"GET /sessions/{id}/items/{ref}/extract":       {"committee_secretary", "president"},
	"GET /sessions/{id}/items/{ref}/extract.pdf":   {"committee_secretary", "president"},
	"GET /urgent-decisions":                        {"committee_secretary", "president", "social_service_head"},
	"POST /sessions/{id}/minutes-approval":         {"president"},
	"GET /urgent-decisions/new":                    {"president"},
	"POST /urgent-decisions/new":                   {"president"},
	"GET /committee-rules":                         {"tenant_admin"},
	"POST /committee-rules":                        {"tenant_admin"},
	// beneficiaries API: persons
	"POST /v1/persons":                                       {"social_worker", "social_service_head"},
	"POST /v1/persons/search":                                {"social_worker", "social_service_head"},
	"GET /v1/persons/{id}":                                   {"social_worker", "social_service_head"},
	"PUT /v1/persons/{id}":                                   {"social_worker", "social_service_head"},
	"GET /v1/persons/{id}/payee":                             {"social_worker", "social_service_head", "accountant", "finance_director"},
	"POST /v1/persons/{id}/bank-accounts":                    {"social_worker", "social_service_head"},
	"POST /v1/persons/{id}/bank-accounts/{account}/activate": {"social_worker", "social_service_head"},
	"PUT /v1/persons/{id}/household":                         {"social_worker", "social_service_head"},
	"GET /v1/persons/{id}/ris-category":                      {"social_worker", "social_service_head"},
	// beneficiaries API: files, journal, documents, teams, caseload, tasks
	"POST /v1/files":                  {"social_worker", "social_service_head"},
	"GET /v1/files":                   {"social_worker", "social_service_head"},
	"GET /v1/files/{id}":              {"social_worker", "social_service_head"},
	"POST /v1/files/{id}/closure":     {"social_worker", "social_service_head"},
	"POST /v1/files/{id}/members":     {"social_worker", "social_service_head"},
	"POST /v1/files/{id}/journal":     {"social_worker", "social_service_head"},
	"GET /v1/files/{id}/journal":      {"social_worker", "social_service_head"},
	"POST /v1/files/{id}/documents":   {"social_worker", "social_service_head"},
	"GET /v1/files/{id}/documents":    {"social_worker", "social_service_head"},
	"GET /v1/documents/{id}":          {"social_worker", "social_service_head"},
	"GET /v1/documents/{id}/content":  {"social_worker", "social_service_head"},
	"GET /v1/teams":                   {"social_worker", "social_service_head"},
	"GET /v1/teams/{id}":              {"social_worker", "social_service_head"},
	"GET /v1/caseload":                {"social_worker", "social_service_head"},
	"POST /v1/tasks/{id}/done":        {"social_worker", "social_service_head"},
	"POST /v1/files/{id}/assignment":  {"social_service_head"},
	"POST /v1/documents/{id}/removal": {"social_service_head"},
	"POST /v1/files/{id}/legal-hold":  {"social_service_head"},
	"GET /v1/retention/due":           {"social_service_head"},
	"POST /v1/retention/purge":        {"social_service_head"},
	"POST /v1/teams":                  {"social_service_head"},
	"PUT /v1/teams/{id}":              {"social_service_head"},
	"DELETE /v1/teams/{id}":           {"social_service_head"},
	// decisions API
	"POST /v1/requests":                        {"social_worker", "social_service_head"},
	"GET /v1/requests":                         {"social_worker", "social_service_head"},
	"GET /v1/requests/{id}":                    {"social_worker", "social_service_head"},
	"POST /v1/requests/{id}/withdrawal":        {"social_worker", "social_service_head"},
	"GET /v1/requests/{id}/acknowledgment":     {"social_worker", "social_service_head"},
	"GET /v1/requests/{id}/acknowledgment.pdf": {"social_worker", "social_service_head"},
	"GET /v1/board":                            {"social_worker", "social_service_head"},
	"GET /v1/settings":                         {"tenant_admin"},
	"PUT /v1/settings":                         {"tenant_admin"},
	// decisions API: inquiries, proposals, RIS amounts
	"GET /v1/requests/{id}/inquiry":            {"social_worker", "social_service_head"},
	"PUT /v1/requests/{id}/inquiry":            {"social_worker", "social_service_head"},
	"GET /v1/requests/{id}/hearing-letter":     {"social_worker", "social_service_head"},
	"GET /v1/requests/{id}/hearing-letter.pdf": {"social_worker", "social_service_head"},
	"POST /v1/requests/{id}/proposals":         {"social_worker", "social_service_head"},
	"GET /v1/proposals":                        {"social_worker", "social_service_head"},
	"GET /v1/proposals/{id}":                   {"social_worker", "social_service_head"},
	"PUT /v1/proposals/{id}":                   {"social_worker", "social_service_head"},
	"POST /v1/proposals/{id}/submission":       {"social_worker", "social_service_head"},
	"POST /v1/calculations/ris":                {"social_worker", "social_service_head"},
	"GET /v1/ris-amounts":                      {"social_worker", "social_service_head", "tenant_admin"},
	"POST /v1/proposals/{id}/validation":       {"social_service_head"},
	"POST /v1/proposals/{id}/return":           {"social_service_head"},
	"PUT /v1/ris-amounts":                      {"tenant_admin"},
	// decisions API: committee sessions, committee rules, urgent decisions
	"POST /v1/sessions":                               {"committee_secretary"},
	"GET /v1/sessions":                                {"committee_secretary", "committee_member", "president"},
	"GET /v1/me/sessions":                             {"committee_secretary", "committee_member", "president"},
	"GET /v1/sessions/{id}":                           {"committee_secretary", "committee_member", "president"},
	"POST /v1/sessions/{id}/convocation":              {"committee_secretary"},
	"POST /v1/sessions/{id}/items":                    {"committee_secretary"},
	"DELETE /v1/sessions/{id}/items/{ref}":            {"committee_secretary"},
	"POST /v1/sessions/{id}/opening":                  {"committee_secretary"},
	"POST /v1/sessions/{id}/movements":                {"committee_secretary"},
	"POST /v1/sessions/{id}/items/{ref}/conflicts":    {"committee_secretary"},
	"POST /v1/sessions/{id}/items/{ref}/vote":         {"committee_secretary"},
	"POST /v1/sessions/{id}/items/{ref}/ballots":      {"committee_secretary", "committee_member", "president"},
	"POST /v1/sessions/{id}/items/{ref}/casting-vote": {"committee_secretary", "president"},
	"POST /v1/sessions/{id}/items/{ref}/outcome":      {"committee_secretary"},
	"POST /v1/sessions/{id}/closing":                  {"committee_secretary"},
	"GET /v1/sessions/{id}/minutes":                   {"committee_secretary", "committee_member", "president"},
	"GET /v1/sessions/{id}/minutes.pdf":               {"committee_secretary", "committee_member", "president"},
	"GET /v1/sessions/{id}/items/{ref}/extract":       {"committee_secretary", "president"},
	"GET /v1/sessions/{id}/items/{ref}/extract.pdf":   {"committee_secretary", "president"},
	"GET /v1/agenda-candidates":                       {"committee_secretary"},
	"GET /v1/committee-rules":                         {"committee_secretary", "tenant_admin"},
	"POST /v1/sessions/{id}/minutes-approval":         {"president"},
	"PUT /v1/committee-rules":                         {"tenant_admin"},
	"POST /v1/urgent-decisions":                       {"president"},
	"GET /v1/urgent-decisions":                        {"president", "committee_secretary", "social_service_head"},
	"GET /v1/urgent-decisions/{id}":                   {"president", "committee_secretary", "social_service_head"},
	// decisions API: adopted decisions, letters, notification and what follows; finance reads amounts only
	"GET /v1/decisions":                                     {"social_worker", "social_service_head", "accountant", "finance_director"},
	"GET /v1/decisions/{id}":                                {"social_worker", "social_service_head", "accountant", "finance_director"},
	"GET /v1/decisions/{id}/letter":                         {"social_worker", "social_service_head"},
	"GET /v1/decisions/{id}/letter.pdf":                     {"social_worker", "social_service_head"},
	"POST /v1/decisions/{id}/notification":                  {"social_worker", "social_service_head"},
	"GET /v1/decisions/{id}/changes/{change}/letter":        {"social_worker", "social_service_head"},
	"GET /v1/decisions/{id}/changes/{change}/letter.pdf":    {"social_worker", "social_service_head"},
	"POST /v1/decisions/{id}/changes/{change}/notification": {"social_worker", "social_service_head"},
	"POST /v1/decisions/{id}/revisions":                     {"social_worker", "social_service_head"},
	"POST /v1/decisions/{id}/suspensions":                   {"social_worker", "social_service_head"},
	"POST /v1/decisions/{id}/withdrawal":                    {"social_worker", "social_service_head"},
	"POST /v1/decisions/{id}/termination":                   {"social_worker", "social_service_head"},
	"POST /v1/decisions/{id}/recoveries":                    {"social_worker", "social_service_head"},
	"POST /v1/decisions/{id}/appeals":                       {"social_worker", "social_service_head"},
	"POST /v1/decisions/{id}/appeals/judgment":              {"social_worker", "social_service_head"},
	"POST /v1/decisions/{id}/piis":                          {"social_worker", "social_service_head"},
	"POST /v1/decisions/{id}/mediprima":                     {"social_worker", "social_service_head"},
	"POST /v1/decisions/{id}/letter-texts":                  {"social_worker", "social_service_head"},
	// web pages: payments (due instalments, runs, approval, export), finance only
	"GET /payments":                           {"accountant", "finance_director"},
	"GET /payments/instalments/{id}":          {"accountant", "finance_director"},
	"POST /payments/instalments/{id}/reissue": {"accountant", "finance_director"},
	"GET /payments/runs":                      {"accountant", "finance_director"},
	"POST /payments/runs":                     {"accountant", "finance_director"},
	"GET /payments/runs/{id}":                 {"accountant", "finance_director"},
	"POST /payments/runs/{id}/approval":       {"finance_director"},
	"POST /payments/runs/{id}/cancellation":   {"accountant", "finance_director"},
	"POST /payments/runs/{id}/export":         {"accountant", "finance_director"},
	"GET /payments/runs/{id}/file":            {"accountant", "finance_director"},
	"GET /payments/settings":                  {"accountant", "finance_director"},
	"POST /payments/settings":                 {"finance_director"},
	// web pages: bank statements and reconciliation, finance only
	"GET /payments/statements":                 {"accountant", "finance_director"},
	"POST /payments/statements":                {"accountant", "finance_director"},
	"GET /payments/statements/{id}":            {"accountant", "finance_director"},
	"GET /payments/reconciliation":             {"accountant", "finance_director"},
	"GET /payments/reconciliation/{id}":        {"accountant", "finance_director"},
	"POST /payments/reconciliation/{id}/match": {"accountant", "finance_director"},
	// web pages: recoveries, ledgers, subsidy and accounting exports, finance only (closure: the director)
	"GET /payments/recoveries":               {"accountant", "finance_director"},
	"GET /payments/recoveries/{id}":          {"accountant", "finance_director"},
	"POST /payments/recoveries/{id}/plan":    {"accountant", "finance_director"},
	"POST /payments/recoveries/{id}/closure": {"finance_director"},
	"GET /payments/ledger":                   {"accountant", "finance_director"},
	"GET /payments/ledger/{id}":              {"accountant", "finance_director"},
	"GET /payments/exports":                  {"accountant", "finance_director"},
	"GET /payments/exports/subsidy":          {"accountant", "finance_director"},
	"GET /payments/exports/journal":          {"accountant", "finance_director"},
	"GET /payments/subsidy/decisions/{id}":   {"accountant", "finance_director"},
	"POST /payments/subsidy/decisions/{id}":  {"accountant", "finance_director"},
	"GET /payments/subsidy":                  {"accountant", "finance_director"},
	"POST /payments/subsidy":                 {"finance_director"},
	// payments API: finance builds, approves (the director) and exports runs; the social service reads a file's
	// payment status
	"GET /v1/instalments":               {"accountant", "finance_director"},
	"GET /v1/instalments/{id}":          {"accountant", "finance_director"},
	"POST /v1/instalments/{id}/reissue": {"accountant", "finance_director"},
	"GET /v1/schedules/{id}":            {"accountant", "finance_director"},
	"GET /v1/files/{id}/payments":       {"social_worker", "social_service_head", "accountant", "finance_director"},
	"POST /v1/runs":                     {"accountant", "finance_director"},
	"GET /v1/runs":                      {"accountant", "finance_director"},
	"GET /v1/runs/{id}":                 {"accountant", "finance_director"},
	"GET /v1/runs/{id}/payments":        {"accountant", "finance_director"},
	"POST /v1/runs/{id}/approval":       {"finance_director"},
	"POST /v1/runs/{id}/cancellation":   {"accountant", "finance_director"},
	"POST /v1/runs/{id}/export":         {"accountant", "finance_director"},
	"GET /v1/runs/{id}/file":            {"accountant", "finance_director"},
	"GET /v1/payment-settings":          {"accountant", "finance_director"},
	"PUT /v1/payment-settings":          {"finance_director"},
	// payments API: bank statements and the reconciliation queue, finance only (no social worker)
	"POST /v1/statements":                      {"accountant", "finance_director"},
	"GET /v1/statements":                       {"accountant", "finance_director"},
	"GET /v1/statements/{id}":                  {"accountant", "finance_director"},
	"GET /v1/reconciliation-queue":             {"accountant", "finance_director"},
	"GET /v1/reconciliation-queue/{id}":        {"accountant", "finance_director"},
	"POST /v1/reconciliation-queue/{id}/match": {"accountant", "finance_director"},
	// payments API: recoveries, ledgers, subsidy, accounting journal (finance; waiver by the director; a file's
	// receivables for the social service)
	"GET /v1/receivables":               {"accountant", "finance_director"},
	"GET /v1/receivables/{id}":          {"accountant", "finance_director"},
	"PUT /v1/receivables/{id}/plan":     {"accountant", "finance_director"},
	"POST /v1/receivables/{id}/closure": {"finance_director"},
	"GET /v1/files/{id}/receivables":    {"social_worker", "social_service_head", "accountant", "finance_director"},
	"GET /v1/ledger/beneficiaries":      {"accountant", "finance_director"},
	"GET /v1/ledger/beneficiaries/{id}": {"accountant", "finance_director"},
	"GET /v1/ledger/tenant":             {"accountant", "finance_director"},
	"GET /v1/accounting/journal":        {"accountant", "finance_director"},
	"GET /v1/subsidy/claims":            {"accountant", "finance_director"},
	"GET /v1/subsidy/decisions/{id}":    {"accountant", "finance_director"},
	"PUT /v1/subsidy/decisions/{id}":    {"accountant", "finance_director"},
	"GET /v1/subsidy/band":              {"accountant", "finance_director"},
	"GET /v1/subsidy/history":           {"accountant", "finance_director"},
	"PUT /v1/subsidy/history":           {"finance_director"},
	// not in the policy at all: denied to everyone
	"DELETE /v1/users/{id}":      {},
	"GET /v1/users/{id}/secrets": {},
	"GET /v1/users/42":           {},
	"GET /v1/users/*":            {},
	"GET /healthz":               {},
}

func allowedRoles(spec []string) map[string]bool {
	m := map[string]bool{}
	for _, r := range spec {
		if r == everyone {
			for _, tr := range policy.Roles {
				m[tr] = true
			}
			continue
		}
		m[r] = true
	}
	return m
}

func TestEveryRoleReachesExactlyItsRoutes(t *testing.T) {
	e, err := NewEnforcer()
	if err != nil {
		t.Fatal(err)
	}
	rules, _, err := policy.Rules()
	if err != nil {
		t.Fatal(err)
	}
	// Every route of the policy must be in the expected table.
	for _, r := range rules {
		if _, ok := expected[r.Method+" "+r.Route]; !ok {
			t.Errorf("policy route %s %s missing from the expected table", r.Method, r.Route)
		}
	}
	keys := make([]string, 0, len(expected))
	for k := range expected {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, route := range keys {
		method, tmpl, _ := strings.Cut(route, " ")
		want := allowedRoles(expected[route])
		for _, role := range policy.Roles {
			home := "demo"
			if role == "platform_admin" {
				home = policy.PlatformDomain
			}
			if got := Allowed(e, home, []string{role}, method, tmpl); got != want[role] {
				t.Errorf("%s in %s: %s allowed=%v, want %v", role, home, route, got, want[role])
			}
			// Outside its home domain a role reaches nothing: tenant roles in the platform domain, platform
			// admins in a tenant.
			away := policy.PlatformDomain
			if role == "platform_admin" {
				away = "demo"
			}
			if Allowed(e, away, []string{role}, method, tmpl) {
				t.Errorf("%s allowed %s in foreign domain %s", role, route, away)
			}
		}
	}
}

func TestDenyByDefault(t *testing.T) {
	e, err := NewEnforcer()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tenant        string
		roles         []string
		method, route string
	}{
		{"demo", nil, "GET", "/v1/me"},
		{"demo", []string{}, "GET", "/v1/me"},
		{"demo", []string{""}, "GET", "/v1/me"},
		{"demo", []string{"wizard"}, "GET", "/v1/me"},
		{"", []string{"tenant_admin"}, "GET", "/v1/users"},
		{"*", []string{"tenant_admin"}, "GET", "/v1/users"},
		{"demo", []string{"tenant_admin"}, "", "/v1/users"},
		{"demo", []string{"tenant_admin"}, "GET", ""},
		{"demo", []string{"tenant_admin"}, "get", "/v1/users"},
		{"demo", []string{"tenant_admin"}, "GET", "/v1/users/"},
		{"demo", []string{"social_worker"}, "GET", "/v1/users"},
	} {
		if Allowed(e, tc.tenant, tc.roles, tc.method, tc.route) {
			t.Errorf("allowed: %+v", tc)
		}
	}
	// Any of several roles is enough.
	if !Allowed(e, "demo", []string{"social_worker", "tenant_admin"}, "GET", "/v1/users") {
		t.Error("second role not honoured")
	}
}

func TestGroupingInheritsRoles(t *testing.T) {
	e, err := NewEnforcerFrom(policy.Model, "p, committee_member, *, /v1/sessions, GET\ng, president, committee_member, *\n")
	if err != nil {
		t.Fatal(err)
	}
	if !Allowed(e, "demo", []string{"president"}, "GET", "/v1/sessions") {
		t.Error("president does not inherit committee_member")
	}
	if Allowed(e, "demo", []string{"dpo"}, "GET", "/v1/sessions") {
		t.Error("dpo allowed")
	}
	if _, err := NewEnforcerFrom(policy.Model, "p, wizard, *, /x, GET"); err == nil {
		t.Error("bad policy accepted")
	}
}

func TestMiddleware(t *testing.T) {
	e, err := NewEnforcer()
	if err != nil {
		t.Fatal(err)
	}
	ok := func(context.Context, any) (any, error) { return "ok", nil }
	ep := Middleware(e)(ok)
	claims := func(tenant string, roles ...string) context.Context {
		return authn.WithClaims(context.Background(), authn.Claims{Subject: "u", Tenant: tenant, Roles: roles})
	}
	route := func(ctx context.Context, method, tmpl string) context.Context {
		return httpkit.WithRoute(ctx, httpkit.Route{Method: method, Template: tmpl})
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want *problem.Type
	}{
		{"allowed", route(claims("demo", "tenant_admin"), "GET", "/v1/users"), nil},
		{"no claims", route(context.Background(), "GET", "/v1/users"), problem.Unauthorized},
		{"no route", claims("demo", "tenant_admin"), problem.Forbidden},
		{"role lacks route", route(claims("demo", "social_worker"), "GET", "/v1/users"), problem.Forbidden},
		{"own tenant in path", WithPathTenant(route(claims("demo", "tenant_admin"), "GET", "/v1/users"), "demo"), nil},
		{"route not in policy", WithPathTenant(route(claims("demo", "tenant_admin"), "GET", "/v1/tenants/{tenant}/users"), "demo"), problem.Forbidden /* not in policy */},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ep(tc.ctx, nil)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var pe *problem.Error
			if !errors.As(err, &pe) || pe.Type != tc.want {
				t.Fatalf("got %v, want %s", err, tc.want.Slug)
			}
		})
	}
}

func TestMiddlewareRefusesAnotherTenantInPath(t *testing.T) {
	// A policy with a {tenant} route, to exercise the tenancy rule independently of today's policy.
	e, err := NewEnforcerFrom(policy.Model, "p, dpo, *, /v1/tenants/{tenant}/audit, GET\np, platform_admin, platform, /v1/tenants/{tenant}/audit, GET\n")
	if err != nil {
		t.Fatal(err)
	}
	ep := Middleware(e)(func(context.Context, any) (any, error) { return "ok", nil })
	call := func(tokenTenant, pathTenant string, roles ...string) error {
		ctx := authn.WithClaims(context.Background(), authn.Claims{Subject: "u", Tenant: tokenTenant, Roles: roles})
		ctx = httpkit.WithRoute(ctx, httpkit.Route{Method: "GET", Template: "/v1/tenants/{tenant}/audit"})
		if pathTenant != "" {
			ctx = WithPathTenant(ctx, pathTenant)
		}
		_, err := ep(ctx, nil)
		return err
	}
	if err := call("demo", "demo", "dpo"); err != nil {
		t.Fatalf("own tenant refused: %v", err)
	}
	if err := call("demo", "liege", "dpo"); problem.As(err).Type != problem.Forbidden {
		t.Fatalf("other tenant: %v", err)
	}
	if err := call("demo", "", "dpo"); problem.As(err).Type != problem.Forbidden {
		t.Fatalf("missing path tenant: %v", err)
	}
	if err := call("platform", "liege", "platform_admin"); err != nil {
		t.Fatalf("platform admin refused: %v", err)
	}
}

func TestPathTenantFromRequestThroughTheRouter(t *testing.T) {
	var got string
	rt := httpkit.NewRouter()
	rt.HandleFunc("GET /v1/tenants/{tenant}/audit", func(w http.ResponseWriter, r *http.Request) {
		got, _ = PathTenantFromRequest(r.Context(), r).Value(pathTenantKey{}).(string)
	})
	rt.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/v1/tenants/liege/audit", nil))
	if got != "liege" {
		t.Fatalf("path tenant %q", got)
	}
}
