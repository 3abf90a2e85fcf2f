package embedded

import (
	"context"
	"os"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func roundTrip(t *testing.T, m *Mongo) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := mongo.Connect(options.Client().ApplyURI(m.URI()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Disconnect(ctx) }()
	coll := client.Database("embedded_probe_" + time.Now().Format("150405")).Collection("probe")
	defer func() { _ = coll.Database().Drop(ctx) }()
	if _, err := coll.InsertOne(ctx, bson.M{"_id": "a", "tenant": "t1", "n": 1}); err != nil {
		t.Fatalf("insert: %v", err)
	}
	var got struct{ N int }
	if err := coll.FindOne(ctx, bson.M{"tenant": "t1", "_id": "a"}).Decode(&got); err != nil || got.N != 1 {
		t.Fatalf("find: %v %+v", err, got)
	}
}

func TestStartMongoServesTheWireProtocol(t *testing.T) {
	m, err := StartMongo(context.Background(), t.TempDir(), "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	roundTrip(t, m)
}

// TestStartMongoPostgres needs a PostgreSQL database: eval "$(scripts/postgres.sh start)" sets BENCH_POSTGRES_URL.
func TestStartMongoPostgres(t *testing.T) {
	url := os.Getenv("BENCH_POSTGRES_URL")
	if url == "" {
		t.Skip("BENCH_POSTGRES_URL is not set (eval \"$(scripts/postgres.sh start)\")")
	}
	m, err := StartMongoPostgres(context.Background(), url, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	roundTrip(t, m)
	if _, err := StartMongoPostgres(context.Background(), "", "127.0.0.1:0", nil); err == nil {
		t.Error("an empty URL was accepted")
	}
}
