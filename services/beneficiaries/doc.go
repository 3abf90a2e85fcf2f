// Package beneficiaries assembles the beneficiary registry service: the person, file and document packages on
// one HTTP router behind token verification (the identity service's JWKS) and the route policy, one outbox relay
// over their collections (audit records go to the audit topic, everything else to cpas.beneficiaries.v1), their
// event consumers, and the operational endpoints. Run is the entry point of cmd/beneficiaries and of the
// all-in-one process.
package beneficiaries
