package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// EnsureIndexes creates the indexes of a collection, one call per index: FerretDB v1.24 drops the connection
// when a single createIndexes names several indexes that all exist already (every restart). Creating an index
// that exists with the same keys and options is a no-op on both engines.
func EnsureIndexes(ctx context.Context, coll *mongo.Collection, models ...mongo.IndexModel) error {
	for _, m := range models {
		if _, err := coll.Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("store: index on %s: %w", coll.Name(), err)
		}
	}
	return nil
}
