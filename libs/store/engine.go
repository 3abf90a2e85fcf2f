package store

import (
	"context"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// ferretByClient remembers, per client, whether its server is FerretDB.
var ferretByClient sync.Map // *mongo.Client → bool

// IsFerretDB reports whether db's server is FerretDB (its buildInfo names a ferretdbVersion), asking once per
// client. FerretDB v1.24 pushes down to its backend only a filter on _id alone (any other filter decodes the whole
// collection) and applies an update as read-modify-write (a filter's conditions give no atomicity there): on it,
// a guarded single-document change checks its conditions under LockDocument and updates by _id. A server that
// does not answer buildInfo is taken for MongoDB, whose path is right on both.
func IsFerretDB(ctx context.Context, db *mongo.Database) bool {
	client := db.Client()
	if v, ok := ferretByClient.Load(client); ok {
		return v.(bool)
	}
	var info bson.M
	if err := db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return false
	}
	_, ferret := info["ferretdbVersion"]
	ferretByClient.Store(client, ferret)
	return ferret
}
