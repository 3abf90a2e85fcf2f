// Package store owns how services keep state in MongoDB (or the embedded FerretDB) without transactions: the
// connection, tenancy in every filter, versioned aggregate documents that carry their own outbox of events (one
// single-document update changes the state, bumps the version and appends the events), the relay that publishes
// those outboxes to Kafka and then removes exactly what it published, and the processed-event marks idempotent
// consumers use to skip work they already did.
//
// Engine quirks measured on FerretDB v1.24 (SQLite backend), which this package works around:
//   - An update is read, apply in Go, write back by _id, with nothing in between to stop another writer: two
//     concurrent updates of one document both "match" a {_id, version} filter and the second overwrites the
//     first (lost update; 8 concurrent $push kept 4 of 100 entries). MongoDB applies an update atomically. The
//     package therefore serialises its own writes to one document inside the process (LockDocument): enough for
//     the embedded default, where every service runs in one process; several processes must never write the same
//     FerretDB. Other writers of a document (a consumer's effect, say) must take LockDocument too.
//   - No transactions, no change streams, no TTL indexes (expireAfterSeconds is "not implemented").
//   - $pull with a condition is silently ignored; $pull of an exact value, $pullAll and $pop work. The relay uses
//     $pullAll with the exact stored entries.
//   - Only a filter that is exactly {_id: value} is pushed down to SQLite; anything else scans the collection.
//     Load therefore reads by _id alone and checks the tenant itself; the relay reads one document by _id when a
//     writer notifies it and scans only in the periodic sweep.
//   - Write concern "majority" is accepted.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// Errors of this package; match them with errors.Is.
var (
	ErrNotFound  = errors.New("store: not found")
	ErrDuplicate = errors.New("store: duplicate id")
	ErrConflict  = errors.New("store: version conflict")
	ErrNoTenant  = errors.New("store: empty tenant")
)

// ConflictError is returned when the document changed since it was read: Current is its version now, for the
// HTTP 409 answer and the ETag. It matches ErrConflict.
type ConflictError struct{ Current int64 }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("store: version conflict (current version %d)", e.Current)
}

func (e *ConflictError) Unwrap() error { return ErrConflict }

// Connect connects to uri with write concern majority (a replica set acknowledges a write once most members have
// it, so a failover cannot undo an acknowledged decision; FerretDB accepts and ignores it), bounded connection
// and server-selection timeouts, and checks the server answers before returning.
func Connect(ctx context.Context, uri, database string) (*mongo.Client, *mongo.Database, error) {
	if database == "" {
		return nil, nil, errors.New("store: empty database name")
	}
	opts := options.Client().ApplyURI(uri).
		SetWriteConcern(writeconcern.Majority()).
		SetConnectTimeout(10 * time.Second).
		SetServerSelectionTimeout(10 * time.Second)
	client, err := mongo.Connect(opts)
	if err != nil {
		return nil, nil, fmt.Errorf("store: connect: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := client.Ping(pctx, readpref.Primary()); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, nil, fmt.Errorf("store: ping: %w", err)
	}
	return client, client.Database(database), nil
}

// TenantFilter returns f preceded by {tenant: tenant}, so no query can forget the tenant; an empty tenant is
// refused (ErrNoTenant) rather than matching the documents that lack one.
func TenantFilter(tenant string, f bson.D) (bson.D, error) {
	if tenant == "" {
		return nil, ErrNoTenant
	}
	out := make(bson.D, 0, len(f)+1)
	out = append(out, bson.E{Key: "tenant", Value: tenant})
	for _, e := range f {
		if e.Key == "tenant" {
			continue // the caller's tenant never overrides the scope
		}
		out = append(out, e)
	}
	return out, nil
}

// Tenanted is a collection seen through one tenant: every filter it builds starts with that tenant. It is built
// by NewTenanted, which refuses an empty tenant, so its methods cannot fail on that.
type Tenanted struct {
	Coll   *mongo.Collection
	tenant string
}

// NewTenanted scopes coll to tenant.
func NewTenanted(coll *mongo.Collection, tenant string) (Tenanted, error) {
	if tenant == "" {
		return Tenanted{}, ErrNoTenant
	}
	return Tenanted{Coll: coll, tenant: tenant}, nil
}

// Tenant is the tenant of the scope.
func (t Tenanted) Tenant() string { return t.tenant }

// Filter returns f preceded by the tenant.
func (t Tenanted) Filter(f bson.D) bson.D {
	out, _ := TenantFilter(t.tenant, f)
	return out
}

// Find runs a tenant-scoped find.
func (t Tenanted) Find(ctx context.Context, f bson.D, opts ...options.Lister[options.FindOptions]) (*mongo.Cursor, error) {
	return t.Coll.Find(ctx, t.Filter(f), opts...)
}

// FindOne runs a tenant-scoped findOne.
func (t Tenanted) FindOne(ctx context.Context, f bson.D, opts ...options.Lister[options.FindOneOptions]) *mongo.SingleResult {
	return t.Coll.FindOne(ctx, t.Filter(f), opts...)
}

// Count counts the tenant's documents matching f.
func (t Tenanted) Count(ctx context.Context, f bson.D) (int64, error) {
	return t.Coll.CountDocuments(ctx, t.Filter(f))
}
