package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
)

// Topics: one per producing service, versioned with the contract in api/events/.
const (
	TopicIdentity      = "cpas.identity.v1"
	TopicBeneficiaries = "cpas.beneficiaries.v1"
	TopicDecisions     = "cpas.decisions.v1"
	TopicPayments      = "cpas.payments.v1"
	TopicAudit         = "cpas.audit.v1"
)

// DLQSuffix names the dead-letter topic of a topic: `<topic>.dlq`.
const DLQSuffix = ".dlq"

// DLQ returns the dead-letter topic of topic.
func DLQ(topic string) string { return topic + DLQSuffix }

// TopicSpec describes a topic to create. Partitions bounds how many consumers of a group work in parallel, and
// cannot be lowered later; ReplicationFactor is 1 on a single broker (kfake, CI), 3 on a production cluster.
type TopicSpec struct {
	Name              string
	Partitions        int
	ReplicationFactor int
}

// DefaultTopics are the project's topics with partitions enough to scale consumers, for the given replication.
func DefaultTopics(replicationFactor int) []TopicSpec {
	names := []string{TopicIdentity, TopicBeneficiaries, TopicDecisions, TopicPayments, TopicAudit}
	specs := make([]TopicSpec, 0, len(names))
	for _, n := range names {
		specs = append(specs, TopicSpec{Name: n, Partitions: 6, ReplicationFactor: replicationFactor})
	}
	return specs
}

// EnsureTopics creates each topic and its `<topic>.dlq` (same partitions and replication) through the cluster's
// controller; a topic that already exists is left as it is. It returns once the metadata of every topic shows all
// its partitions with a leader, because a real Kafka creates topics asynchronously and a producer writing right
// after CreateTopics would otherwise get UNKNOWN_TOPIC_OR_PARTITION. Topics are never created implicitly: the
// Publisher disables auto-creation.
func EnsureTopics(ctx context.Context, brokers []string, specs ...TopicSpec) error {
	if len(specs) == 0 {
		return nil
	}
	var configs []kafka.TopicConfig
	want := map[string]int{}
	for _, s := range specs {
		if s.Name == "" || s.Partitions < 1 || s.ReplicationFactor < 1 {
			return fmt.Errorf("events: invalid topic spec %+v", s)
		}
		for _, name := range []string{s.Name, DLQ(s.Name)} {
			configs = append(configs, kafka.TopicConfig{
				Topic: name, NumPartitions: s.Partitions, ReplicationFactor: s.ReplicationFactor,
			})
			want[name] = s.Partitions
		}
	}
	// The client sends CreateTopics to the controller, which it finds in the cluster metadata.
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 30 * time.Second}
	res, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: configs})
	if err != nil {
		return fmt.Errorf("events: create topics: %w", err)
	}
	for name, terr := range res.Errors {
		if terr != nil && !errors.Is(terr, kafka.TopicAlreadyExists) {
			return fmt.Errorf("events: create topic %s: %w", name, terr)
		}
	}
	return waitForTopics(ctx, brokers, want)
}

// waitForTopics polls the metadata until every topic has its partitions with a leader, or ctx ends. Without a
// deadline in ctx it gives up after 30 s.
func waitForTopics(ctx context.Context, brokers []string, want map[string]int) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	topics := make([]string, 0, len(want))
	for t := range want {
		topics = append(topics, t)
	}
	for {
		ready, err := topicsReady(ctx, brokers[0], topics, want)
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("events: topics not ready (%v): %w", err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func topicsReady(ctx context.Context, broker string, topics []string, want map[string]int) (bool, error) {
	conn, err := kafka.DialContext(ctx, "tcp", broker)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions(topics...)
	if err != nil {
		return false, err
	}
	led := map[string]int{}
	for _, p := range parts {
		if p.Error == nil && p.Leader.Host != "" {
			led[p.Topic]++
		}
	}
	for t, n := range want {
		if led[t] < n {
			return false, fmt.Errorf("topic %s has %d of %d partitions led", t, led[t], n)
		}
	}
	return true, nil
}

// EnsureTopicsRetrying is EnsureTopics for a service's start-up: while Kafka is unreachable it retries with a
// backoff (1 s doubling to 1 min) and logs a warning, because the service's API works meanwhile and its events
// wait in the outboxes. It returns once the topics exist or ctx is done.
func EnsureTopicsRetrying(ctx context.Context, brokers []string, logger *slog.Logger, specs ...TopicSpec) {
	for wait := time.Second; ; wait = min(2*wait, time.Minute) {
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := EnsureTopics(tctx, brokers, specs...)
		cancel()
		if err == nil || ctx.Err() != nil {
			return
		}
		names := make([]string, 0, len(specs))
		for _, s := range specs {
			names = append(names, s.Name)
		}
		logger.Warn("topics not created yet, retrying", "topics", names, "retry_in", wait.String(), "error", err.Error())
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
