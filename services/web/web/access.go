package web

import (
	"github.com/casbin/casbin/v2"

	"github.com/entraide/entraide/libs/authz"
)

// Authorizer tells whether a user with roles in tenant may open a page (method and route template). The
// front end asks the shared casbin policy (api/policy, web section), deny by default: the same answer guards each
// page handler and decides which links the navigation shows, so a user never sees a link to a page that would
// refuse them.
type Authorizer func(tenant string, roles []string, method, routeTemplate string) bool

// PolicyAuthorizer asks the shared casbin enforcer.
func PolicyAuthorizer(e *casbin.SyncedEnforcer) Authorizer {
	return func(tenant string, roles []string, method, routeTemplate string) bool {
		return authz.Allowed(e, tenant, roles, method, routeTemplate)
	}
}

// navEntry is a page of the navigation: its route (also the policy's route template) and its texts.
type navEntry struct {
	Route string
	// Label and Description are catalog keys.
	Label       string
	Description string
}

// navEntries are the pages the navigation may show, in order. Only those the user may open are shown.
var navEntries = []navEntry{
	{Route: "/", Label: "nav.home", Description: "nav.home.description"},
	{Route: "/caseload", Label: "nav.caseload", Description: "nav.caseload.description"},
	{Route: "/files", Label: "nav.files", Description: "nav.files.description"},
	{Route: "/persons", Label: "nav.persons", Description: "nav.persons.description"},
	{Route: "/persons/new", Label: "nav.persons_new", Description: "nav.persons_new.description"},
	{Route: "/teams", Label: "nav.teams", Description: "nav.teams.description"},
	{Route: "/deadlines", Label: "nav.deadlines", Description: "nav.deadlines.description"},
	{Route: "/decisions", Label: "nav.decisions", Description: "nav.decisions.description"},
	{Route: "/payments", Label: "nav.payments", Description: "nav.payments.description"},
	{Route: "/payments/runs", Label: "nav.payment_runs", Description: "nav.payment_runs.description"},
	{Route: "/payments/statements", Label: "nav.statements", Description: "nav.statements.description"},
	{Route: "/payments/reconciliation", Label: "nav.reconciliation", Description: "nav.reconciliation.description"},
	{Route: "/payments/recoveries", Label: "nav.recoveries", Description: "nav.recoveries.description"},
	{Route: "/payments/ledger", Label: "nav.ledger", Description: "nav.ledger.description"},
	{Route: "/payments/exports", Label: "nav.exports", Description: "nav.exports.description"},
	{Route: "/payments/settings", Label: "nav.payment_settings", Description: "nav.payment_settings.description"},
	{Route: "/proposals", Label: "nav.proposals", Description: "nav.proposals.description"},
	{Route: "/sessions", Label: "nav.sessions", Description: "nav.sessions.description"},
	{Route: "/urgent-decisions", Label: "nav.urgent", Description: "nav.urgent.description"},
	{Route: "/retention", Label: "nav.retention", Description: "nav.retention.description"},
	{Route: "/audit", Label: "nav.audit", Description: "nav.audit.description"},
	{Route: "/users", Label: "nav.users", Description: "nav.users.description"},
	{Route: "/settings", Label: "nav.settings", Description: "nav.settings.description"},
	{Route: "/committee-rules", Label: "nav.committee_rules", Description: "nav.committee_rules.description"},
	{Route: "/ris-amounts", Label: "nav.ris_amounts", Description: "nav.ris_amounts.description"},
	{Route: "/tenants", Label: "nav.tenants", Description: "nav.tenants.description"},
	{Route: "/account", Label: "nav.account", Description: "nav.account.description"},
}

// navFor returns the entries the session's user may open.
func (a Authorizer) navFor(s *Session) []navEntry {
	var out []navEntry
	for _, e := range navEntries {
		if a(s.Tenant, s.Roles(), "GET", e.Route) {
			out = append(out, e)
		}
	}
	return out
}
