package servicekit

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/casbin/casbin/v2"
	"github.com/go-kit/kit/endpoint"
	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/authz"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/idempotency"
	"github.com/entraide/entraide/libs/store"
)

// CollIdempotency keeps the Idempotency-Key records of a service's creations.
const CollIdempotency = "idempotency_keys"

// EdgesConfig is what NewEdges needs of a service.
type EdgesConfig struct {
	// Source is the event source of the service's audit records (e.g. request.EventSource).
	Source string
	// Keys verify the access tokens; nil: the identity service's key set published at JWKSURL.
	Keys    authn.KeySource
	JWKSURL string
	// Issuer and Audience are the iss and aud claims the access tokens must carry.
	Issuer, Audience string
	// Logger is the service's (the relay's warnings, a failed purge); nil: nothing is logged.
	Logger *slog.Logger
}

// Edges are what an API service (beneficiaries, decisions, payments) puts around its packages, built once on
// its database: the outbox notification of its writes, the audit writer, the route policy, the token verifier and
// the Idempotency-Key store with its middleware.
type Edges struct {
	// OnWrite tells the outbox relay that a document was written (the repositories call it after each write). It
	// does nothing until NewRelay: nothing is served before, and the relay's first pass picks up anything pending.
	OnWrite func(collection, id string)
	// Audit writes the audit records (their collection is an outbox that NewRelay relays too).
	Audit *audit.Writer
	// Enforcer holds the route policy (api/policy).
	Enforcer *casbin.SyncedEnforcer
	// Verifier verifies the access tokens.
	Verifier *authn.Verifier
	// Idempotency keeps the Idempotency-Key records; Idempotent is the middleware of the routes that take one.
	Idempotency *idempotency.Store
	Idempotent  func(http.Handler) http.Handler

	auditColl *mongo.Collection
	relay     atomic.Pointer[store.Relay]
	logger    *slog.Logger
}

// NewEdges builds the edges on db and creates their indexes (audit records, Idempotency-Key records).
func NewEdges(ctx context.Context, db *mongo.Database, cfg EdgesConfig) (*Edges, error) {
	e := &Edges{auditColl: db.Collection(audit.CollectionName), logger: cfg.Logger}
	if e.logger == nil {
		e.logger = slog.New(slog.DiscardHandler)
	}
	e.OnWrite = func(collection, id string) {
		if r := e.relay.Load(); r != nil {
			r.NotifyDocument(collection, id)
		}
	}
	e.Audit = audit.NewWriter(e.auditColl, cfg.Source, e.OnWrite)
	if err := e.Audit.EnsureIndexes(ctx); err != nil {
		return nil, err
	}
	var err error
	if e.Enforcer, err = authz.NewEnforcer(); err != nil {
		return nil, err
	}
	keys := cfg.Keys
	if keys == nil {
		keys = authn.NewJWKSource(cfg.JWKSURL, authn.JWKSOptions{})
	}
	e.Verifier = authn.NewVerifier(keys, cfg.Issuer, cfg.Audience)
	if e.Idempotency, err = idempotency.NewStore(ctx, db.Collection(CollIdempotency)); err != nil {
		return nil, err
	}
	e.Idempotent = idempotency.Middleware(e.Idempotency, authn.Principal(e.Verifier), idempotency.WriteProblem)
	return e, nil
}

// Protect is the chain of every API route: authentication, the audit of refusals (au), authorization.
func (e *Edges) Protect(au *Auditor) endpoint.Middleware {
	return endpoint.Chain(authn.Middleware(e.Verifier), AuditDenials(au), authz.Middleware(e.Enforcer))
}

// NewRelay builds the service's outbox relay — the outboxes of collections and of the audit records, published
// to brokers, the audit records on cpas.audit.v1 and the rest on topic — and points OnWrite at it.
func (e *Edges) NewRelay(brokers []string, topic string, collections []*mongo.Collection, reg prometheus.Registerer) (*store.Relay, error) {
	r, err := store.NewRelay(store.RelayConfig{
		Publisher:   events.NewPublisher(brokers),
		Collections: append(collections[:len(collections):len(collections)], e.auditColl),
		TopicFor:    audit.TopicRouter(topic),
		Logger:      e.logger,
		Registerer:  reg,
	})
	if err != nil {
		return nil, err
	}
	e.relay.Store(r)
	return r, nil
}

// PurgeIdempotency drops the expired Idempotency-Key records (an hourly task of the service's Serve); a failure
// is logged.
func (e *Edges) PurgeIdempotency(ctx context.Context) {
	if _, err := e.Idempotency.DeleteExpired(ctx); err != nil && ctx.Err() == nil {
		e.logger.Warn("purge of idempotency keys failed", "error", err.Error())
	}
}
