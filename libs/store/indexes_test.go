package store

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/embedded/testkit"
)

// A restart creates every index again: it must succeed and keep uniqueness.
func TestEnsureIndexesTwice(t *testing.T) {
	ctx := context.Background()
	coll := testkit.Database(t).Collection("things")
	models := []mongo.IndexModel{
		{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "code", Value: 1}}, Options: options.Index().SetUnique(true)},
		{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "at", Value: -1}}},
		{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "owner", Value: 1}}},
	}
	for range 2 {
		if err := EnsureIndexes(ctx, coll, models...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := coll.InsertOne(ctx, bson.M{"tenant": "a", "code": "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(ctx, bson.M{"tenant": "a", "code": "x"}); !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("unique index lost: %v", err)
	}
}
