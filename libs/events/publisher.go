package events

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// Publisher writes events to Kafka. Settings, and why:
//   - RequiredAcks RequireAll: an event is published only once every in-sync replica has it (the outbox entry is
//     removed right after, so a weaker ack could lose it with a broker).
//   - key = Subject with the Hash balancer: one aggregate's events land in one partition, hence in order.
//   - BatchTimeout 10 ms: kafka-go waits up to BatchTimeout (1 s by default) for a batch to fill; the relay
//     publishes one document's events in one call, so waiting longer only adds latency.
//   - AllowAutoTopicCreation false: topics are created explicitly by EnsureTopics, with their partitions.
//   - its own Transport: kafka-go serves a writer's metadata from a cache shared by every writer using the
//     default transport and refreshed every 6 s, and a writer fails at once (no retry) on a topic missing from
//     that cache. A topic created after the cache was filled (as in tests) would fail to publish for seconds;
//     a transport per Publisher reads fresh metadata when the Publisher starts, and every 2 s after.
type Publisher struct {
	w         *kafka.Writer
	transport *kafka.Transport
}

// NewPublisher returns a Publisher writing to the cluster reachable at brokers.
func NewPublisher(brokers []string) *Publisher {
	transport := &kafka.Transport{MetadataTTL: 2 * time.Second}
	return &Publisher{transport: transport, w: &kafka.Writer{
		Addr:                   kafka.TCP(brokers...),
		Transport:              transport,
		Balancer:               &kafka.Hash{},
		RequiredAcks:           kafka.RequireAll,
		BatchTimeout:           10 * time.Millisecond,
		WriteTimeout:           10 * time.Second,
		AllowAutoTopicCreation: false,
	}}
}

// Publish writes evs to topic in the order given and returns once all are acknowledged, or the first error. On
// error some events may have been written: callers retry the whole batch, and consumers deduplicate by ID.
func (p *Publisher) Publish(ctx context.Context, topic string, evs ...Event) error {
	if len(evs) == 0 {
		return nil
	}
	msgs := make([]kafka.Message, 0, len(evs))
	for _, e := range evs {
		if err := e.Validate(); err != nil {
			return err
		}
		msgs = append(msgs, ToMessage(topic, e))
	}
	return p.write(ctx, msgs...)
}

func (p *Publisher) write(ctx context.Context, msgs ...kafka.Message) error {
	if err := p.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("events: publish to %s: %w", msgs[0].Topic, err)
	}
	return nil
}

// Close flushes and closes the underlying writer.
func (p *Publisher) Close() error {
	err := p.w.Close()
	p.transport.CloseIdleConnections()
	return err
}
