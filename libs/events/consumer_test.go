package events

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/entraide/entraide/libs/embedded/testkit"
)

// fastConsumer is the configuration the tests use: the defaults, a short backoff.
func fastConsumer(brokers []string, group, topic string, h Handler) ConsumerConfig {
	return ConsumerConfig{Brokers: brokers, GroupID: group, Topic: topic, Handler: h,
		BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond}
}

// newTopic creates a one-partition topic (and its DLQ) with a name unique to the test.
func newTopic(t *testing.T, ctx context.Context, brokers []string) string {
	t.Helper()
	topic := testkit.Name(t, "topic")
	if err := EnsureTopics(ctx, brokers, TopicSpec{Name: topic, Partitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	return topic
}

func publishN(t *testing.T, ctx context.Context, brokers []string, topic string, n int) []Event {
	t.Helper()
	p := NewPublisher(brokers)
	defer p.Close()
	var evs []Event
	for i := 0; i < n; i++ {
		e, err := New("be.cpas.test.thing.happened.v1", "test", "t1", "agg-1", "corr", map[string]int{"i": i})
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	if err := p.Publish(ctx, topic, evs...); err != nil {
		t.Fatal(err)
	}
	return evs
}

// committedOffset reads the group's committed offset of partition 0 from the broker.
func committedOffset(t *testing.T, ctx context.Context, brokers []string, group, topic string) int64 {
	t.Helper()
	c := &kafka.Client{Addr: kafka.TCP(brokers...)}
	res, err := c.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: {0}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Topics[topic] {
		if p.Partition == 0 {
			return p.CommittedOffset
		}
	}
	t.Fatalf("no offset for %s/0", topic)
	return 0
}

// readN reads n messages of partition 0 of topic from the start, without a group.
func readN(t *testing.T, ctx context.Context, brokers []string, topic string, n int) []kafka.Message {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: 0, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	var out []kafka.Message
	for len(out) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read %s: %v (got %d of %d)", topic, err, len(out), n)
		}
		out = append(out, m)
	}
	return out
}

func header(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// runConsumer starts Consume in the background; the returned stop cancels it and waits for it to return.
func runConsumer(t *testing.T, ctx context.Context, cfg ConsumerConfig) (stop func()) {
	t.Helper()
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- Consume(cctx, cfg) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Consume returned %v", err)
		}
	}
}

func TestConsumerParksPermanentFailuresInDLQ(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	brokers := testkit.KafkaBrokers(t)
	topic := newTopic(t, ctx, brokers)
	group := testkit.Name(t, "group")

	evs := publishN(t, ctx, brokers, topic, 3)
	// An undecodable message (no CloudEvents headers) after them.
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, BatchTimeout: 10 * time.Millisecond}
	if err := w.WriteMessages(ctx, kafka.Message{Key: []byte("agg-1"), Value: []byte("garbage")}); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	last := publishN(t, ctx, brokers, topic, 1)[0]

	var mu sync.Mutex
	var handled []string
	lastDone := make(chan struct{})
	stop := runConsumer(t, ctx, fastConsumer(brokers, group, topic, func(_ context.Context, e Event) error {
		if e.ID == evs[1].ID {
			return Permanent(errors.New("household unknown"))
		}
		mu.Lock()
		handled = append(handled, e.ID)
		mu.Unlock()
		if e.ID == last.ID {
			close(lastDone)
		}
		return nil
	}))
	select {
	case <-lastDone:
	case <-ctx.Done():
		t.Fatal("last event never handled")
	}
	stop()

	if want := []string{evs[0].ID, evs[2].ID, last.ID}; len(handled) != 3 || handled[0] != want[0] || handled[1] != want[1] || handled[2] != want[2] {
		t.Fatalf("handled %v, want %v", handled, want)
	}
	if got := committedOffset(t, ctx, brokers, group, topic); got != 5 {
		t.Fatalf("committed offset = %d, want 5 (all five messages done)", got)
	}
	dead := readN(t, ctx, brokers, DLQ(topic), 2)
	if header(dead[0], HeaderID) != evs[1].ID || header(dead[0], HeaderDLQReason) == "" ||
		header(dead[0], HeaderDLQSourceTopic) != topic || header(dead[0], HeaderDLQPartition) != "0" ||
		header(dead[0], HeaderDLQOffset) != "1" || string(dead[0].Key) != "agg-1" {
		t.Fatalf("first dead letter headers %+v", dead[0].Headers)
	}
	if string(dead[1].Value) != "garbage" || header(dead[1], HeaderDLQOffset) != "3" || header(dead[1], HeaderDLQReason) == "" {
		t.Fatalf("second dead letter %q %+v", dead[1].Value, dead[1].Headers)
	}
}

func TestConsumerRetriesTransientFailures(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	brokers := testkit.KafkaBrokers(t)
	topic := newTopic(t, ctx, brokers)
	group := testkit.Name(t, "group")
	evs := publishN(t, ctx, brokers, topic, 2)

	attempts := map[string]int{}
	done := make(chan struct{})
	stop := runConsumer(t, ctx, fastConsumer(brokers, group, topic, func(_ context.Context, e Event) error {
		attempts[e.ID]++ // the runner handles one message at a time: no lock needed
		if e.ID == evs[0].ID && attempts[e.ID] < 4 {
			return errors.New("database unavailable")
		}
		if e.ID == evs[1].ID {
			close(done)
		}
		return nil
	}))
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("second event never handled")
	}
	stop()
	if attempts[evs[0].ID] != 4 || attempts[evs[1].ID] != 1 {
		t.Fatalf("attempts = %v, want 4 then 1", attempts)
	}
	if got := committedOffset(t, ctx, brokers, group, topic); got != 2 {
		t.Fatalf("committed offset = %d, want 2", got)
	}
}

// A shutdown in the middle of a stream finishes the in-flight message when it can, and commits nothing that was
// not handled: a restarted member resumes exactly at the first unfinished message.
func TestConsumerShutdownMidStream(t *testing.T) {
	cases := []struct {
		name          string
		inFlightErr   error // what the handler of the third event returns after the shutdown began
		resumeAt      int   // index of the first event the restarted member must see
		wantCommitted int64
	}{
		{"in-flight message finishes and is committed", nil, 3, 3},
		{"in-flight message fails and stays uncommitted", errors.New("interrupted"), 2, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			brokers := testkit.KafkaBrokers(t)
			topic := newTopic(t, ctx, brokers)
			group := testkit.Name(t, "group")
			evs := publishN(t, ctx, brokers, topic, 5)

			cctx, stopFirst := context.WithCancel(ctx)
			var seen []string
			err := Consume(cctx, fastConsumer(brokers, group, topic, func(hctx context.Context, e Event) error {
				seen = append(seen, e.ID)
				if e.ID == evs[2].ID {
					stopFirst() // the shutdown begins while this message is in flight
					if hctx.Err() != nil {
						t.Error("handler context cancelled at once: no grace for the in-flight message")
					}
					return c.inFlightErr
				}
				return nil
			}))
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) != 3 {
				t.Fatalf("first member handled %d events after shutdown began, want 3", len(seen))
			}
			if got := committedOffset(t, ctx, brokers, group, topic); got != c.wantCommitted {
				t.Fatalf("committed = %d, want %d", got, c.wantCommitted)
			}

			var resumed []string
			allDone := make(chan struct{})
			stop := runConsumer(t, ctx, fastConsumer(brokers, group, topic, func(_ context.Context, e Event) error {
				resumed = append(resumed, e.ID)
				if e.ID == evs[4].ID {
					close(allDone)
				}
				return nil
			}))
			select {
			case <-allDone:
			case <-ctx.Done():
				t.Fatal("restarted member never reached the last event")
			}
			stop()
			if len(resumed) != 5-c.resumeAt || resumed[0] != evs[c.resumeAt].ID {
				t.Fatalf("restarted member saw %d events starting with %s, want %d starting with event %d",
					len(resumed), resumed[0], 5-c.resumeAt, c.resumeAt)
			}
		})
	}
}
