package projection

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/store"
)

// EnsureIBANIndex indexes the payees by their active account (the recoveries match an incoming transfer by the
// debtor's IBAN).
func EnsureIBANIndex(ctx context.Context, db *mongo.Database) error {
	return store.EnsureIndexes(ctx, db.Collection(CollPayees),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "iban", Value: 1}}})
}

// PersonsByIBAN lists the persons of tenant whose active account is iban (compact form), at most 20.
func (r *Repository) PersonsByIBAN(ctx context.Context, tenant, iban string) ([]string, error) {
	cur, err := r.payees.Find(ctx, bson.D{{Key: "tenant", Value: tenant}, {Key: "iban", Value: iban}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).SetLimit(20))
	if err != nil {
		return nil, fmt.Errorf("projection: payees by IBAN: %w", err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.ID)
	}
	return out, nil
}

// Payees reads the payees of tenant among ids (one query; the missing ones are absent from the map).
func (r *Repository) Payees(ctx context.Context, tenant string, ids []string) (map[string]Payee, error) {
	out := map[string]Payee{}
	if len(ids) == 0 {
		return out, nil
	}
	cur, err := r.payees.Find(ctx, bson.D{{Key: "tenant", Value: tenant}, {Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return nil, fmt.Errorf("projection: payees: %w", err)
	}
	var ps []Payee
	if err := cur.All(ctx, &ps); err != nil {
		return nil, err
	}
	for _, p := range ps {
		out[p.ID] = p
	}
	return out, nil
}
