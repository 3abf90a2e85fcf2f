// Package kit names for the decisions service's packages what they share at their edges (libs/servicekit): the
// authenticated actor, the declared purpose of a read (X-Purpose), audit records, path and header decoding, the
// mapping of errors to problems and the mounting of routes. It does no business logic.
package kit

import "github.com/entraide/entraide/libs/servicekit"

// Errors the packages return and ToProblem maps.
var (
	ErrNotFound  = servicekit.ErrNotFound
	ErrForbidden = servicekit.ErrForbidden
)

// Role names the packages reason about (the route policy already keeps the other roles out).
const (
	RoleSocialWorker    = servicekit.RoleSocialWorker
	RoleHead            = servicekit.RoleHead
	RoleAccountant      = servicekit.RoleAccountant
	RoleFinanceDirector = servicekit.RoleFinanceDirector
)

// PurposeHeader is the request header in which a client declares why it reads personal data; MaxJSON bounds a
// JSON request body.
const (
	PurposeHeader = servicekit.PurposeHeader
	MaxJSON       = servicekit.MaxJSON
)

// The edge types: the caller, the audit writer and its entries, a route.
type (
	Actor   = servicekit.Actor
	Auditor = servicekit.Auditor
	Entry   = servicekit.Entry
	Route   = servicekit.Route
)

// The edge functions.
var (
	ActorFrom     = servicekit.ActorFrom
	CheckPurpose  = servicekit.CheckPurpose
	NewAuditor    = servicekit.NewAuditor
	AuditDenials  = servicekit.AuditDenials
	IsUUID        = servicekit.IsUUID
	PathID        = servicekit.PathID
	IfMatch       = servicekit.IfMatch
	ETag          = servicekit.ETag
	ToProblem     = servicekit.ToProblem
	EncodeError   = servicekit.EncodeError
	Mount         = servicekit.Mount
	DecodeNothing = servicekit.DecodeNothing
)
