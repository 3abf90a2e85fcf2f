package embedded

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The _id lookups FerretDB's SQLite backend sends must be served by an index (sqliteid.go): the query plan of the
// statement it runs for a find or an update by _id searches the added index instead of scanning the table, for a
// collection created after the server started, and dropping the database leaves no file behind.
func TestIDLookupsUseAnIndex(t *testing.T) {
	dir := t.TempDir()
	m, err := StartMongo(context.Background(), dir, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := mongo.Connect(options.Client().ApplyURI(m.URI()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Disconnect(ctx) }()
	coll := client.Database("idindex").Collection("things")
	if _, err := coll.InsertOne(ctx, bson.M{"_id": "a", "n": 1}); err != nil {
		t.Fatal(err)
	}
	// The indexer's tick finds the new collection by itself. Each check opens the file anew, as a connection
	// FerretDB opens would.
	file := filepath.Join(dir, "idindex.sqlite")
	var table string
	plan := func() string {
		db, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.QueryRowContext(ctx, `SELECT table_name FROM "_ferretdb_collections" WHERE name = 'things'`).Scan(&table); err != nil {
			t.Fatal(err)
		}
		var id, parent, unused int
		var detail string
		// The statement FerretDB's backend runs for {_id: …} (metadata.IDColumn).
		err = db.QueryRowContext(ctx, `EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM "`+table+`" WHERE _ferretdb_sjson->'$._id' = ?`, `"a"`).
			Scan(&id, &parent, &unused, &detail)
		if err != nil {
			t.Fatal(err)
		}
		return detail
	}
	deadline := time.Now().Add(10 * time.Second)
	for p := plan(); !strings.Contains(p, "USING INDEX "+table+idIndexSuffix); p = plan() {
		if time.Now().After(deadline) {
			t.Fatalf("lookup by _id not indexed after 10 s: %s", p)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// FerretDB still reads and updates through it.
	if _, err := coll.UpdateOne(ctx, bson.M{"_id": "a"}, bson.M{"$inc": bson.M{"n": 1}}); err != nil {
		t.Fatal(err)
	}
	var got struct{ N int }
	if err := coll.FindOne(ctx, bson.M{"_id": "a"}).Decode(&got); err != nil || got.N != 2 {
		t.Fatalf("find after update: %v %+v", err, got)
	}
	// Indexing again creates nothing; a dropped database is not brought back by the indexer.
	if n, err := IndexSQLiteIDs(ctx, dir); err != nil || n != 0 {
		t.Fatalf("second pass: %d created, %v", n, err)
	}
	if err := coll.Database().Drop(ctx); err != nil {
		t.Fatal(err)
	}
	// Three ticks later the main file is still gone (its -wal and -shm go with the last connection, at the
	// engine's pace): the indexer opens files without creating them.
	time.Sleep(3 * idIndexInterval)
	if _, err := os.Stat(filepath.Join(dir, "idindex.sqlite")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("dropped database's file: %v", err)
	}
}

// A collection of an earlier run is indexed before FerretDB starts serving it: when StartMongo returns, the index
// is there (no write of FerretDB waits for an index being built on a large table).
func TestIDIndexBuiltBeforeStart(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := StartMongo(ctx, dir, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	client, err := mongo.Connect(options.Client().ApplyURI(m.URI()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Database("earlier").Collection("things").InsertOne(ctx, bson.M{"_id": "a"}); err != nil {
		t.Fatal(err)
	}
	_ = client.Disconnect(ctx)
	m.Close()
	// As an earlier version left it: without the added index.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "earlier.sqlite")+"?mode=rw")
	if err != nil {
		t.Fatal(err)
	}
	var table string
	if err := db.QueryRowContext(ctx, `SELECT table_name FROM "_ferretdb_collections" WHERE name = 'things'`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `DROP INDEX IF EXISTS "`+table+idIndexSuffix+`"`); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()

	m, err = StartMongo(ctx, dir, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	db, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "earlier.sqlite")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?`, table+idIndexSuffix).Scan(&n); err != nil || n != 1 {
		t.Fatalf("index of the earlier collection at start: %d, %v", n, err)
	}
}
