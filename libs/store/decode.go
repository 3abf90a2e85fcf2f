package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Decode reads an aggregate document a query returned (its _id, version and state) for tenant.
func Decode[T any](raw bson.Raw, tenant string) (Versioned[T], error) {
	id, ok := raw.Lookup("_id").StringValueOK()
	if !ok {
		return Versioned[T]{}, fmt.Errorf("store: document without a string _id")
	}
	version, _ := raw.Lookup("version").AsInt64OK()
	var state T
	if err := bson.Unmarshal(raw, &state); err != nil {
		return Versioned[T]{}, fmt.Errorf("store: decode %s: %w", id, err)
	}
	return Versioned[T]{ID: id, Tenant: tenant, Version: version, State: state}, nil
}

// Find runs a query of the tenant's aggregates (the filter gets the tenant first, the outbox is not read) and
// decodes every document found.
func (r *Repository[T]) Find(ctx context.Context, tenant string, f bson.D, opts *options.FindOptionsBuilder) ([]Versioned[T], error) {
	filter, err := TenantFilter(tenant, f)
	if err != nil {
		return nil, err
	}
	if opts == nil {
		opts = options.Find()
	}
	cur, err := r.coll.Find(ctx, filter, opts.SetProjection(bson.D{{Key: OutboxField, Value: 0}}))
	if err != nil {
		return nil, fmt.Errorf("store: find in %s: %w", r.coll.Name(), err)
	}
	defer cur.Close(ctx)
	var out []Versioned[T]
	for cur.Next(ctx) {
		v, err := Decode[T](cur.Current, tenant)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, cur.Err()
}
