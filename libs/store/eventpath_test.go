package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
)

// TestEventPath drives the whole path on the engines in use (embedded FerretDB and kfake, or MONGO_URI and
// KAFKA_BROKERS): commands write state and outbox with Repository.Update, the relay publishes, a consumer applies
// an effect (a counter in another collection, guarded by event id) exactly once. Midway the relay crashes after
// publishing but before removing (so events are published twice) and is restarted; the consumer crashes after
// storing an effect but before marking and committing (so the event comes again) and is restarted. At the end
// the counter equals the number of commands and every event id was applied once, in each aggregate's order.
func TestEventPath(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	brokers := testkit.KafkaBrokers(t)
	topic := testkit.Name(t, "cases")
	group := testkit.Name(t, "counter")
	if err := events.EnsureTopics(ctx, brokers, events.TopicSpec{Name: topic, Partitions: 3, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	db := testkit.Database(t)
	counters := db.Collection("counters")
	processed := NewProcessed(db.Collection("processed_events"))
	if _, err := counters.InsertOne(ctx, bson.D{{Key: "_id", Value: "total"}, {Key: "n", Value: 0}, {Key: "applied", Value: bson.A{}}}); err != nil {
		t.Fatal(err)
	}

	// The relay of the moment: the repository notifies whichever is running (none while it is down).
	var current atomic.Pointer[Relay]
	repo := NewRepository[socialFile](db.Collection("cases"), func(coll, id string) {
		if r := current.Load(); r != nil {
			r.NotifyDocument(coll, id)
		}
	})
	real := events.NewPublisher(brokers)
	defer real.Close()
	startRelay := func(pub EventPublisher) (runCtx context.Context, stop context.CancelFunc, done chan struct{}) {
		relay, err := NewRelay(RelayConfig{Publisher: pub, Collections: []*mongo.Collection{repo.Collection()},
			TopicFor: func(events.Event) string { return topic }, Sweep: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		runCtx, stop = context.WithCancel(ctx)
		done = make(chan struct{})
		current.Store(relay)
		go func() {
			defer close(done)
			if err := relay.Run(runCtx); err != nil {
				t.Error(err)
			}
		}()
		return runCtx, stop, done
	}

	// The consumer's effect: +1 on the counter unless this event id was already applied, in one update.
	var deliveries, applications atomic.Int64
	var orderMu sync.Mutex
	firstSeen := map[string][]int{} // subject → seq of each event, in first-delivery order
	seenIDs := map[string]bool{}
	applyEffect := func(ctx context.Context, e events.Event) error {
		unlock := LockDocument(counters, "total")
		defer unlock()
		_, err := counters.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: "total"}, {Key: "applied", Value: bson.D{{Key: "$ne", Value: e.ID}}}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}, {Key: "$push", Value: bson.D{{Key: "applied", Value: e.ID}}}})
		return err
	}
	consumerFor := func(crashAt int64, crash context.CancelFunc) events.Handler {
		return func(ctx context.Context, e events.Event) error {
			deliveries.Add(1)
			orderMu.Lock()
			if !seenIDs[e.ID] {
				seenIDs[e.ID] = true
				var d struct{ Seq int }
				_ = json.Unmarshal(e.Data, &d)
				firstSeen[e.Subject] = append(firstSeen[e.Subject], d.Seq)
			}
			orderMu.Unlock()
			return processed.Once(ctx, "counter", e.ID, func(ctx context.Context) error {
				if err := applyEffect(ctx, e); err != nil {
					return err
				}
				// Counted in applications, not deliveries: a redelivered event skipped by its mark must not
				// move the crash point past the last event.
				if applications.Add(1) == crashAt {
					crash() // the process dies after the effect, before the mark and the commit
					return errors.New("crashed")
				}
				return nil
			})
		}
	}

	const commands, aggregates = 40, 4
	var emitted []string
	command := func(i int) {
		id := fmt.Sprintf("case-%d", i%aggregates)
		if i < aggregates {
			if err := repo.Insert(ctx, "t1", id, socialFile{Status: "open"}); err != nil {
				t.Fatal(err)
			}
		}
		e, err := events.New("be.cpas.test.case.noted.v1", "test", "t1", id, "corr", map[string]int{"seq": i})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := repo.Update(ctx, "t1", id, func(f *socialFile) ([]events.Event, error) {
			f.Notes++
			return []events.Event{e}, nil
		}); err != nil {
			t.Fatal(err)
		}
		emitted = append(emitted, e.ID)
	}

	// Consumer 1 crashes at its 12th application of the effect.
	c1Ctx, c1Crash := context.WithCancel(ctx)
	c1Done := make(chan error, 1)
	go func() {
		c1Done <- events.Consume(c1Ctx, events.ConsumerConfig{Brokers: brokers, GroupID: group, Topic: topic,
			Handler: consumerFor(12, c1Crash), BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond})
	}()

	// Relay 1 crashes right after its 5th successful publish, before removing what it published.
	var relay1Stop context.CancelFunc
	crashing := &hookedPublisher{real: real, after: func(call int) {
		if call == 5 {
			relay1Stop()
		}
	}}
	_, relay1Stop, relay1Done := startRelay(crashing)
	for i := 0; i < 15; i++ {
		command(i)
	}
	<-relay1Done
	current.Store(nil)
	for i := 15; i < 30; i++ { // commands while no relay runs: the outbox keeps them
		command(i)
	}
	_, relay2Stop, relay2Done := startRelay(real)
	for i := 30; i < commands; i++ {
		command(i)
	}
	if err := <-c1Done; err != nil {
		t.Fatal(err)
	}
	c2Ctx, c2Stop := context.WithCancel(ctx)
	c2Done := make(chan error, 1)
	go func() {
		c2Done <- events.Consume(c2Ctx, events.ConsumerConfig{Brokers: brokers, GroupID: group, Topic: topic,
			Handler: consumerFor(-1, nil), BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond})
	}()

	// Wait (bounded by ctx) until the outboxes are empty and the group has committed every message on the topic.
	waitFor(t, ctx, "outboxes drained", func() bool {
		n, err := repo.Collection().CountDocuments(ctx, bson.D{{Key: "outbox.0", Value: bson.D{{Key: "$exists", Value: true}}}})
		return err == nil && n == 0
	})
	waitFor(t, ctx, "every message consumed and committed", func() bool { return groupCaughtUp(ctx, brokers, group, topic) })
	relay2Stop()
	<-relay2Done
	c2Stop()
	if err := <-c2Done; err != nil {
		t.Fatal(err)
	}

	var counter struct {
		N       int      `bson:"n"`
		Applied []string `bson:"applied"`
	}
	if err := counters.FindOne(ctx, bson.D{{Key: "_id", Value: "total"}}).Decode(&counter); err != nil {
		t.Fatal(err)
	}
	if counter.N != commands || len(counter.Applied) != commands {
		t.Fatalf("counter = %d with %d applied ids, want exactly %d", counter.N, len(counter.Applied), commands)
	}
	applied := map[string]int{}
	for _, id := range counter.Applied {
		applied[id]++
	}
	for _, id := range emitted {
		if applied[id] != 1 {
			t.Fatalf("event %s applied %d times, want 1", id, applied[id])
		}
	}
	if deliveries.Load() <= commands {
		t.Fatalf("%d deliveries for %d events: the crashes should have caused redeliveries, the test lost its point", deliveries.Load(), commands)
	}
	for subject, seqs := range firstSeen {
		for i := 1; i < len(seqs); i++ {
			if seqs[i] < seqs[i-1] {
				t.Fatalf("aggregate %s: events first delivered in order %v", subject, seqs)
			}
		}
	}
	t.Logf("%d commands, %d deliveries", commands, deliveries.Load())
}

func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for: %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// groupCaughtUp tells whether the group's committed offset reached the end of every partition of topic.
func groupCaughtUp(ctx context.Context, brokers []string, group, topic string) bool {
	c := &kafka.Client{Addr: kafka.TCP(brokers...)}
	parts := []int{0, 1, 2}
	var reqs []kafka.OffsetRequest
	for _, p := range parts {
		reqs = append(reqs, kafka.LastOffsetOf(p))
	}
	ends, err := c.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return false
	}
	committed, err := c.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
	if err != nil {
		return false
	}
	end := map[int]int64{}
	for _, p := range ends.Topics[topic] {
		end[p.Partition] = p.LastOffset
	}
	for _, p := range committed.Topics[topic] {
		if end[p.Partition] > 0 && p.CommittedOffset < end[p.Partition] {
			return false
		}
	}
	return len(committed.Topics[topic]) == len(parts)
}
