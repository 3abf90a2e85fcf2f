package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
)

// Handler applies one event. It returns nil once the effect is stored (the offset is committed right after), an
// error marked with Permanent when retrying cannot help (the message goes to the dead-letter topic), or any other
// error for a transient failure (retried with backoff). Delivery is at least once: the same event may come again
// after a crash or a rebalance, so a handler must be idempotent. Error texts end up in logs and in the
// `dlq_reason` header: never put personal data in them.
type Handler func(ctx context.Context, e Event) error

type permanentError struct{ err error }

func (p *permanentError) Error() string { return "permanent: " + p.err.Error() }
func (p *permanentError) Unwrap() error { return p.err }

// Permanent marks err as permanent: the event can never be handled (invalid payload, unknown aggregate, a rule
// that refuses it), so the consumer parks it in the dead-letter topic instead of retrying. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent tells whether err, or an error it wraps, was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// Dead-letter headers added to the original message's headers, key and value.
const (
	HeaderDLQReason      = "dlq_reason"
	HeaderDLQSourceTopic = "dlq_source_topic"
	HeaderDLQPartition   = "dlq_partition"
	HeaderDLQOffset      = "dlq_offset"
)

// ConsumerConfig configures Consume. Zero durations take the defaults in brackets.
//
// The reader settings are shorter than kafka-go's defaults, which are tuned for throughput and make a consumer
// (and every test) wait seconds: a fetch waits at most MaxWait [1.5s] for data (kafka-go: 10 s; closing the
// reader waits for the fetch in flight, so this bounds the shutdown). kafka-go asks the broker to answer within
// MaxWait minus 1 s and keeps 1 s of slack for the round trip: a MaxWait under about 1.2 s shrinks that slack to a
// quarter (250 ms gave i/o timeouts and reconnections on a busy machine with real Kafka), and 1 s exactly makes the
// broker answer at once, a busy loop. A member heartbeats every HeartbeatInterval [1s] (3 s), which is when it notices a
// rebalance; a dead member is evicted after SessionTimeout [10s] (30 s; a broker accepts 6 s at least by default)
// and a rebalance waits RebalanceTimeout [10s] (30 s) for members to rejoin; after a failed join the member waits
// JoinGroupBackoff [250ms] (5 s). A new group starts at the first offset, so events published before a consumer's
// first deployment are not skipped.
type ConsumerConfig struct {
	Brokers []string
	GroupID string
	Topic   string
	Handler Handler
	Logger  *slog.Logger

	// MaxRetries bounds the attempts at a transiently failing message before it is parked in the dead-letter
	// topic. 0 [the default] retries until the context ends: a transient failure (database or broker down) must
	// not empty a topic into its DLQ, and parking a message lets the next ones of the aggregate overtake it.
	MaxRetries int
	// BackoffMin [100ms] doubles at each retry up to BackoffMax [30s].
	BackoffMin time.Duration
	BackoffMax time.Duration
	// ShutdownGrace [10s] is how long the in-flight handler may still run once ctx is cancelled; its own context
	// is cancelled after that.
	ShutdownGrace time.Duration

	MaxWait           time.Duration
	HeartbeatInterval time.Duration
	SessionTimeout    time.Duration
	RebalanceTimeout  time.Duration
	JoinGroupBackoff  time.Duration
}

func (c *ConsumerConfig) defaults() error {
	switch {
	case len(c.Brokers) == 0:
		return errors.New("events: consumer needs brokers")
	case c.GroupID == "":
		return errors.New("events: consumer needs a group id")
	case c.Topic == "":
		return errors.New("events: consumer needs a topic")
	case c.Handler == nil:
		return errors.New("events: consumer needs a handler")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	setDefault(&c.BackoffMin, 100*time.Millisecond)
	setDefault(&c.BackoffMax, 30*time.Second)
	setDefault(&c.ShutdownGrace, 10*time.Second)
	setDefault(&c.MaxWait, 1500*time.Millisecond)
	setDefault(&c.HeartbeatInterval, time.Second)
	setDefault(&c.SessionTimeout, 10*time.Second)
	setDefault(&c.RebalanceTimeout, 10*time.Second)
	setDefault(&c.JoinGroupBackoff, 250*time.Millisecond)
	return nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Consume runs a consumer-group member on cfg.Topic until ctx is cancelled, then finishes the in-flight message,
// closes the reader (leaving the group, so the partitions move at once) and returns nil.
//
// Each message is fetched, handled, and only then committed (FetchMessage + CommitMessages; ReadMessage would
// commit before the effect is stored). Messages are handled one at a time, which keeps each partition in order.
// A transient error is retried with exponential backoff, never skipped; a permanent error or an undecodable
// message is copied to `<topic>.dlq` with the dlq_* headers and then committed. It returns an error only for a
// bad configuration or a reader failure.
func Consume(ctx context.Context, cfg ConsumerConfig) error {
	if err := cfg.defaults(); err != nil {
		return err
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:           cfg.Brokers,
		GroupID:           cfg.GroupID,
		Topic:             cfg.Topic,
		MinBytes:          1,
		MaxBytes:          10 << 20,
		MaxWait:           cfg.MaxWait,
		ReadBackoffMin:    50 * time.Millisecond,
		ReadBackoffMax:    500 * time.Millisecond,
		HeartbeatInterval: cfg.HeartbeatInterval,
		SessionTimeout:    cfg.SessionTimeout,
		RebalanceTimeout:  cfg.RebalanceTimeout,
		JoinGroupBackoff:  cfg.JoinGroupBackoff,
		StartOffset:       kafka.FirstOffset,
		CommitInterval:    0, // synchronous: CommitMessages returns once the offset is stored
		// kafka-go reports group and connection trouble here (never message contents).
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			cfg.Logger.Warn("kafka reader: " + fmt.Sprintf(msg, args...))
		}),
	})
	dlq := NewPublisher(cfg.Brokers)
	c := &consumer{cfg: cfg, reader: r, dlq: dlq}
	err := c.run(ctx)
	_ = r.Close()
	_ = dlq.Close()
	return err
}

type consumer struct {
	cfg    ConsumerConfig
	reader *kafka.Reader
	dlq    *Publisher
}

func (c *consumer) run(ctx context.Context) error {
	for {
		// kafka-go's FetchMessage may still hand out a buffered message when ctx is already cancelled (its
		// select picks at random), so the shutdown is checked before and after.
		if ctx.Err() != nil {
			return nil
		}
		m, err := c.reader.FetchMessage(ctx)
		if ctx.Err() != nil {
			return nil // not started: it stays uncommitted for the next member
		}
		if err != nil {
			return fmt.Errorf("events: fetch from %s: %w", c.cfg.Topic, err)
		}
		if !c.process(ctx, m) {
			return nil // stopped before the message was done: it stays uncommitted
		}
		c.commit(ctx, m)
	}
}

// process handles m until it is done (handled or parked in the DLQ) and reports true, or reports false when ctx
// ended first.
func (c *consumer) process(ctx context.Context, m kafka.Message) bool {
	log := c.cfg.Logger.With("topic", m.Topic, "partition", m.Partition, "offset", m.Offset)
	e, decodeErr := FromMessage(m)
	if decodeErr == nil {
		log = log.With("event_id", e.ID, "event_type", e.Type)
	}
	for attempt := 1; ; attempt++ {
		err := Permanent(fmt.Errorf("undecodable message: %w", decodeErr))
		if decodeErr == nil {
			err = c.handle(ctx, e)
		}
		if err == nil {
			return true
		}
		exhausted := c.cfg.MaxRetries > 0 && attempt >= c.cfg.MaxRetries
		if IsPermanent(err) || exhausted {
			dlqErr := c.deadLetter(ctx, m, err)
			if dlqErr == nil {
				log.Warn("event parked in dead-letter topic", "error", err.Error())
				return true
			}
			log.Error("dead-letter publish failed, will retry", "error", dlqErr.Error())
		} else {
			log.Warn("event handler failed, will retry", "attempt", attempt, "error", err.Error())
		}
		if !sleep(ctx, backoff(c.cfg.BackoffMin, c.cfg.BackoffMax, attempt)) {
			return false
		}
	}
}

// handle runs the handler with a context that outlives ctx by ShutdownGrace, so a shutdown lets the in-flight
// effect finish instead of cutting it between two writes. A panic is a bug: it is treated as permanent.
func (c *consumer) handle(ctx context.Context, e Event) (err error) {
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(c.cfg.ShutdownGrace, cancel)
		context.AfterFunc(hctx, func() { t.Stop() })
	})
	defer stop()
	defer func() {
		if p := recover(); p != nil {
			err = Permanent(fmt.Errorf("handler panic: %v", p))
		}
	}()
	return c.cfg.Handler(hctx, e)
}

func (c *consumer) deadLetter(ctx context.Context, m kafka.Message, reason error) error {
	headers := make([]kafka.Header, 0, len(m.Headers)+4)
	for _, h := range m.Headers {
		switch h.Key {
		case HeaderDLQReason, HeaderDLQSourceTopic, HeaderDLQPartition, HeaderDLQOffset:
			continue // a message re-parked from a replayed DLQ gets fresh values
		}
		headers = append(headers, h)
	}
	headers = append(headers,
		kafka.Header{Key: HeaderDLQReason, Value: []byte(reason.Error())},
		kafka.Header{Key: HeaderDLQSourceTopic, Value: []byte(m.Topic)},
		kafka.Header{Key: HeaderDLQPartition, Value: []byte(strconv.Itoa(m.Partition))},
		kafka.Header{Key: HeaderDLQOffset, Value: []byte(strconv.FormatInt(m.Offset, 10))},
	)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	return c.dlq.write(wctx, kafka.Message{Topic: DLQ(m.Topic), Key: m.Key, Value: m.Value, Headers: headers})
}

// commit stores the offset after m. A failure (typically the partition moved to another member in a rebalance)
// is logged and not retried: the new owner reads m again and the idempotent handler skips it.
func (c *consumer) commit(ctx context.Context, m kafka.Message) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := c.reader.CommitMessages(cctx, m); err != nil {
		c.cfg.Logger.Warn("offset commit failed; the message will be delivered again",
			"topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "error", err.Error())
	}
}

// backoff returns min·2^(attempt-1), capped at max.
func backoff(min, max time.Duration, attempt int) time.Duration {
	d := min
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
