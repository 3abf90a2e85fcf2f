package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/embedded/testkit"
)

func TestTenantFilter(t *testing.T) {
	cases := []struct {
		name   string
		tenant string
		in     bson.D
		want   string
		err    error
	}{
		{"empty tenant refused", "", bson.D{{Key: "status", Value: "open"}}, "", ErrNoTenant},
		{"tenant first", "cpas-namur", bson.D{{Key: "status", Value: "open"}}, `{"tenant": "cpas-namur","status": "open"}`, nil},
		{"nil filter", "cpas-namur", nil, `{"tenant": "cpas-namur"}`, nil},
		{"caller cannot name another tenant", "cpas-namur", bson.D{{Key: "tenant", Value: "cpas-liege"}}, `{"tenant": "cpas-namur"}`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := TenantFilter(c.tenant, c.in)
			if !errors.Is(err, c.err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if err != nil {
				return
			}
			if s := fmt.Sprint(got); s != fmt.Sprint(mustD(t, c.want)) {
				t.Fatalf("filter = %v, want %s", got, c.want)
			}
		})
	}
	if _, err := NewTenanted(nil, ""); !errors.Is(err, ErrNoTenant) {
		t.Fatalf("NewTenanted with empty tenant: %v", err)
	}
}

func mustD(t *testing.T, ext string) bson.D {
	t.Helper()
	var d bson.D
	if err := bson.UnmarshalExtJSON([]byte(ext), false, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestTenantedQueriesSeeOneTenant(t *testing.T) {
	ctx := context.Background()
	coll := testkit.Database(t).Collection("files")
	for i, tenant := range []string{"a", "a", "b"} {
		if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "tenant", Value: tenant}, {Key: "open", Value: true}}); err != nil {
			t.Fatal(err)
		}
	}
	a, err := NewTenanted(coll, "a")
	if err != nil {
		t.Fatal(err)
	}
	n, err := a.Count(ctx, bson.D{{Key: "open", Value: true}})
	if err != nil || n != 2 {
		t.Fatalf("count = %d, %v; want 2", n, err)
	}
	if err := a.FindOne(ctx, bson.D{{Key: "_id", Value: 2}}).Err(); err == nil {
		t.Fatal("tenant a found tenant b's document")
	}
}

func TestConnectWithMajorityWriteConcern(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, db, err := Connect(ctx, testkit.MongoURI(t), testkit.Name(t, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	defer db.Drop(ctx)
	if _, err := db.Collection("c").InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatalf("insert with w=majority: %v", err)
	}
	if _, _, err := Connect(ctx, testkit.MongoURI(t), ""); err == nil {
		t.Fatal("empty database name accepted")
	}
}

func TestStateFields(t *testing.T) {
	type ok struct {
		Status string `bson:"status"`
		Note   string `bson:"note,omitempty"`
	}
	type bad struct {
		Version int `bson:"version"`
	}
	f, err := stateFields(ok{Status: "open"})
	if err != nil || len(f) != 1 || f[0].Key != "status" {
		t.Fatalf("fields = %v, %v", f, err)
	}
	if _, err := stateFields(bad{}); err == nil {
		t.Fatal("a state field named version was accepted")
	}
	stored, _ := bson.Marshal(bson.D{{Key: "_id", Value: "x"}, {Key: "version", Value: 2}, {Key: "status", Value: "open"}, {Key: "note", Value: "n"}})
	gone := vanishedFields(stored, f)
	if len(gone) != 1 || gone[0].Key != "note" {
		t.Fatalf("vanished = %v, want [note]", gone)
	}
}
