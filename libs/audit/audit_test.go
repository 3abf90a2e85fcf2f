package audit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
)

func rec(actor, file, action string, at time.Time) Record {
	return Record{Tenant: "t1", ActorID: actor, ActorRoles: []string{"social_worker"}, Action: action,
		ResourceType: "file", ResourceID: file, FileID: file, Purpose: "inquiry", Outcome: OutcomeAllowed,
		RequestID: "req-1", At: at}
}

func TestWriteRefusesIncompleteRecords(t *testing.T) {
	w := NewWriter(testkit.Database(t).Collection(CollectionName), "test", nil)
	base := rec("u1", "f1", "file.read", time.Now())
	cases := map[string]func(*Record){
		"no tenant":     func(r *Record) { r.Tenant = "" },
		"no actor":      func(r *Record) { r.ActorID = "" },
		"no action":     func(r *Record) { r.Action = "" },
		"no resource":   func(r *Record) { r.ResourceType = "" },
		"odd outcome":   func(r *Record) { r.Outcome = "maybe" },
		"empty outcome": func(r *Record) { r.Outcome = "" },
	}
	for name, change := range cases {
		r := base
		change(&r)
		if err := w.Write(context.Background(), r); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("%s: err = %v, want ErrInvalidRecord", name, err)
		}
	}
}

// A purpose the client typed is recorded only when it is one of the codes: a refused read is audited without
// carrying what was typed into the trail.
func TestWriteKeepsOnlyKnownPurposes(t *testing.T) {
	ctx := context.Background()
	w := NewWriter(testkit.Database(t).Collection(CollectionName), "test", nil)
	for typed, want := range map[string]string{"social_inquiry": "social_inquiry", "Jean Dupont 85.07.14-123.30": PurposeInvalid, "": ""} {
		r := rec("u1", "f1", "file.read", time.Now())
		r.ID, r.Purpose = "", typed
		if err := w.Write(ctx, r); err != nil {
			t.Fatal(err)
		}
		res, err := w.Search(ctx, r.Tenant, Filter{}, Page{Size: 1})
		if err != nil || len(res.Records) != 1 || res.Records[0].Purpose != want {
			t.Fatalf("purpose %q recorded as %+v (%v), want %q", typed, res.Records, err, want)
		}
	}
}

func TestSearchNewestFirstPaginated(t *testing.T) {
	ctx := context.Background()
	w := NewWriter(testkit.Database(t).Collection(CollectionName), "test", nil)
	if err := w.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 7; i++ {
		actor := "u1"
		if i%2 == 1 {
			actor = "u2"
		}
		if err := w.Write(ctx, rec(actor, "f1", "file.read", t0.Add(time.Duration(i)*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	// Two records at the same instant: the cursor must not skip or repeat either.
	same := t0.Add(10 * time.Minute)
	_ = w.Write(ctx, rec("u1", "f2", "file.update", same))
	_ = w.Write(ctx, rec("u1", "f2", "file.update", same))
	other := rec("u1", "f1", "file.read", t0)
	other.Tenant = "t2"
	_ = w.Write(ctx, other)

	var all []Record
	page := Page{Size: 3}
	for {
		res, err := w.Search(ctx, "t1", Filter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, res.Records...)
		if res.Next == "" {
			break
		}
		page.After = res.Next
	}
	if len(all) != 9 {
		t.Fatalf("paged through %d records, want 9 (tenant t1 only)", len(all))
	}
	seen := map[string]bool{}
	for i, r := range all {
		if seen[r.ID] {
			t.Fatalf("record %s returned twice", r.ID)
		}
		seen[r.ID] = true
		if i > 0 && r.At.After(all[i-1].At) {
			t.Fatalf("not newest first at %d", i)
		}
	}
	cases := []struct {
		name string
		f    Filter
		want int
	}{
		{"by actor", Filter{ActorID: "u2"}, 3},
		{"by file", Filter{FileID: "f2"}, 2},
		{"by action", Filter{Action: "file.update"}, 2},
		{"by period", Filter{From: t0.Add(2 * time.Minute), To: t0.Add(5 * time.Minute)}, 3},
		{"actor and file", Filter{ActorID: "u1", FileID: "f1"}, 4},
	}
	for _, c := range cases {
		res, err := w.Search(ctx, "t1", c.f, Page{})
		if err != nil || len(res.Records) != c.want {
			t.Errorf("%s: %d records (%v), want %d", c.name, len(res.Records), err, c.want)
		}
	}
	if _, err := w.Search(ctx, "", Filter{}, Page{}); !errors.Is(err, store.ErrNoTenant) {
		t.Fatalf("search without tenant: %v", err)
	}
	if _, err := w.Search(ctx, "t1", Filter{}, Page{After: "not-a-cursor"}); err == nil {
		t.Fatal("bad cursor accepted")
	}
}

// A record reaches the audit topic through the relay and stays in the collection, its outbox drained.
func TestRecordReachesTopicThroughRelay(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	brokers := testkit.KafkaBrokers(t)
	topic := testkit.Name(t, "audit")
	if err := events.EnsureTopics(ctx, brokers, events.TopicSpec{Name: topic, Partitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	coll := testkit.Database(t).Collection(CollectionName)
	pub := events.NewPublisher(brokers)
	defer pub.Close()
	relay, err := store.NewRelay(store.RelayConfig{Publisher: pub, Collections: []*mongo.Collection{coll},
		TopicFor: func(events.Event) string { return topic }})
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(coll, "beneficiaries", relay.NotifyDocument)
	r := rec("u1", "f1", "file.read", time.Time{})
	r.ID = "0195a0c4-0000-7000-8000-000000000001"
	if err := w.Write(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, r); err != nil { // a retried write is a no-op
		t.Fatal(err)
	}
	if err := relay.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	reader := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: 0, MaxWait: 100 * time.Millisecond})
	defer reader.Close()
	m, err := reader.ReadMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e, err := events.FromMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := RecordFromEvent(e)
	if err != nil || got.ID != r.ID || got.FileID != "f1" || got.Outcome != OutcomeAllowed || e.Tenant != "t1" {
		t.Fatalf("event record %+v (%v)", got, err)
	}
	var doc bson.M
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: r.ID}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if ob, ok := doc["outbox"].(bson.A); !ok || len(ob) != 0 || doc["actor_id"] != "u1" {
		t.Fatalf("stored record %v: want the record kept with an empty outbox", doc)
	}
}
