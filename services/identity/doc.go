// Package identity is the identity service: the tenants (one per CPAS), their users and roles, passwords
// (argon2id), login with rate limiting, EdDSA access tokens and rotating refresh tokens, and the JWKS other
// services verify tokens with. The domain files (tenant.go, user.go, roles.go, password.go, session.go) do no
// I/O; service.go holds the use cases, endpoint.go/transport.go the go-kit HTTP layer, mongo.go the storage,
// tokens.go the signing keys and JWTs, ratelimit.go the login limits, run.go the wiring used by cmd/identity and
// the all-in-one process. It also serves the staff directory the social service names and chooses colleagues
// from (GET /v1/staff, no username nor e-mail), and keeps the DPO's audit trail (audittrail.go): every service's
// audit records consumed from cpas.audit.v1 into `audit_trail`, searched with GET /v1/audit.
package identity
