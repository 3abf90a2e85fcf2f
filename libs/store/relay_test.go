package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
)

// hookedPublisher is the real Kafka publisher with a hook run before each publish: the tests use it to act at a
// precise moment of the relay's work (append an event, simulate a crash), not to replace Kafka.
type hookedPublisher struct {
	real   *events.Publisher
	mu     sync.Mutex
	calls  int
	before func(call int)
	after  func(call int)
}

func (h *hookedPublisher) Publish(ctx context.Context, topic string, evs ...events.Event) error {
	h.mu.Lock()
	h.calls++
	call := h.calls
	h.mu.Unlock()
	if h.before != nil {
		h.before(call)
	}
	if err := h.real.Publish(ctx, topic, evs...); err != nil {
		return err
	}
	if h.after != nil {
		h.after(call)
	}
	return nil
}

func kafkaTopic(t *testing.T, ctx context.Context, partitions int) (brokers []string, topic string) {
	t.Helper()
	brokers = testkit.KafkaBrokers(t)
	topic = testkit.Name(t, "topic")
	if err := events.EnsureTopics(ctx, brokers, events.TopicSpec{Name: topic, Partitions: partitions, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	return brokers, topic
}

func readEvents(t *testing.T, ctx context.Context, brokers []string, topic string, n int) []events.Event {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: 0, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	var out []events.Event
	for len(out) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read: %v after %d of %d", err, len(out), n)
		}
		e, err := events.FromMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// An event appended while the relay is publishing the outbox must survive the removal of the published entries,
// and the relay must leave the version alone.
func TestRelayKeepsEntriesAppendedDuringPublish(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	brokers, topic := kafkaTopic(t, ctx, 1)
	repo := NewRepository[socialFile](testkit.Database(t).Collection("files"), nil)
	e1 := fileEvent(t, "t1", "f1", "be.cpas.beneficiaries.file.opened.v1")
	e2 := fileEvent(t, "t1", "f1", "be.cpas.beneficiaries.file.assigned.v1")
	if err := repo.Insert(ctx, "t1", "f1", socialFile{Status: "open"}, e1, e2); err != nil {
		t.Fatal(err)
	}
	real := events.NewPublisher(brokers)
	defer real.Close()
	e3 := fileEvent(t, "t1", "f1", "be.cpas.beneficiaries.file.noted.v1")
	pub := &hookedPublisher{real: real, before: func(call int) {
		if call != 1 {
			return
		}
		// A command lands while the first publish is in flight.
		if _, err := repo.Update(ctx, "t1", "f1", func(f *socialFile) ([]events.Event, error) {
			f.Notes++
			return []events.Event{e3}, nil
		}); err != nil {
			t.Error(err)
		}
	}}
	relay, err := NewRelay(RelayConfig{Publisher: pub, Collections: []*mongo.Collection{repo.Collection()},
		TopicFor: func(events.Event) string { return topic }})
	if err != nil {
		t.Fatal(err)
	}
	if err := relay.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if ids := outboxIDs(t, repo, "f1"); len(ids) != 1 || ids[0] != e3.ID {
		t.Fatalf("outbox after the first pass = %v, want only the event appended meanwhile", ids)
	}
	got, _ := repo.Load(ctx, "t1", "f1")
	if got.Version != 2 {
		t.Fatalf("version = %d after the relay, want 2 (one update, the relay must not bump it)", got.Version)
	}
	if err := relay.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if ids := outboxIDs(t, repo, "f1"); len(ids) != 0 {
		t.Fatalf("outbox after the second pass = %v", ids)
	}
	published := readEvents(t, ctx, brokers, topic, 3)
	for i, want := range []events.Event{e1, e2, e3} {
		if published[i].ID != want.ID || string(published[i].Data) != string(want.Data) || !published[i].Time.Equal(want.Time) {
			t.Fatalf("published[%d] = %+v, want %+v", i, published[i], want)
		}
	}
	if v, _ := repo.Load(ctx, "t1", "f1"); v.Version != 2 {
		t.Fatalf("version = %d", v.Version)
	}
}

// Run publishes as soon as a writer notifies it, without waiting for the sweep.
func TestRelayRunPublishesOnNotify(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	brokers, topic := kafkaTopic(t, ctx, 1)
	coll := testkit.Database(t).Collection("files")
	real := events.NewPublisher(brokers)
	defer real.Close()
	relay, err := NewRelay(RelayConfig{Publisher: real, Collections: []*mongo.Collection{coll},
		TopicFor: func(events.Event) string { return topic }, Sweep: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- relay.Run(runCtx) }()
	repo := NewRepository[socialFile](coll, relay.NotifyDocument)
	e := fileEvent(t, "t1", "f9", "be.cpas.beneficiaries.file.opened.v1")
	if err := repo.Insert(ctx, "t1", "f9", socialFile{Status: "open"}, e); err != nil {
		t.Fatal(err)
	}
	if got := readEvents(t, ctx, brokers, topic, 1); got[0].ID != e.ID {
		t.Fatalf("published %s, want %s", got[0].ID, e.ID)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
