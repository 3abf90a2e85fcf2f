package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/events"
)

// EventPublisher publishes events to a topic, in order; *events.Publisher is one.
type EventPublisher interface {
	Publish(ctx context.Context, topic string, evs ...events.Event) error
}

// RelayConfig configures a Relay. Zero values take the defaults in brackets.
type RelayConfig struct {
	Publisher   EventPublisher
	Collections []*mongo.Collection
	// TopicFor chooses the topic of each event (usually one topic per service: a constant function).
	TopicFor func(events.Event) string
	// Sweep [30s] is the period of the full scan that catches what a crash left behind. Keep it slow: on
	// FerretDB/SQLite every sweep reads whole collections.
	Sweep  time.Duration
	Logger *slog.Logger
	// Registerer, when set, receives the relay's metrics.
	Registerer prometheus.Registerer
}

// Relay publishes the outbox entries of aggregate documents and then removes exactly the published entries.
//
// Delivery is at least once: a crash between publish and removal publishes the entries again, and consumers
// deduplicate by event id. Within one document the entries are published in array order, one document's
// events sharing one key and so one partition; the first occurrence of each event on the topic keeps that order
// even when two relays race, because an entry is removed only after it and all before it were published.
//
// The relay never touches `version` (a user's If-Match stays valid) and removes entries with $pullAll of the
// exact stored sub-documents, so entries appended while it published stay (FerretDB ignores $pull with a
// condition; $pullAll of exact values works on both engines). The removal holds LockDocument because
// FerretDB would otherwise lose an append racing with it.
//
// It works when woken: NotifyDocument (called by Repository after a write) makes it publish that document, read
// by _id; Notify asks for a full pass; a sweep every Sweep does a full pass. There is no tight polling.
type Relay struct {
	cfg   RelayConfig
	colls map[string]*mongo.Collection

	wake    chan struct{}
	mu      sync.Mutex
	pending map[string]map[string]bool // collection → ids
	full    bool

	backlog   *prometheus.GaugeVec
	published *prometheus.CounterVec
	failures  *prometheus.CounterVec
}

// NewRelay checks cfg and returns a relay; call Run to start it.
func NewRelay(cfg RelayConfig) (*Relay, error) {
	if cfg.Publisher == nil || cfg.TopicFor == nil || len(cfg.Collections) == 0 {
		return nil, errors.New("store: relay needs a publisher, a topic function and collections")
	}
	if cfg.Sweep <= 0 {
		cfg.Sweep = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Relay{
		cfg:     cfg,
		colls:   map[string]*mongo.Collection{},
		wake:    make(chan struct{}, 1),
		pending: map[string]map[string]bool{},
		backlog: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "entraide_outbox_backlog_entries",
			Help: "Outbox entries left unpublished after the relay's last full pass, per collection.",
		}, []string{"collection"}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "entraide_outbox_published_total",
			Help: "Outbox entries published by the relay, per collection.",
		}, []string{"collection"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "entraide_outbox_publish_failures_total",
			Help: "Failed attempts to publish a document's outbox, per collection.",
		}, []string{"collection"}),
	}
	for _, c := range cfg.Collections {
		r.colls[c.Name()] = c
	}
	if cfg.Registerer != nil {
		r.backlog = register(cfg.Registerer, r.backlog)
		r.published = register(cfg.Registerer, r.published)
		r.failures = register(cfg.Registerer, r.failures)
	}
	return r, nil
}

// register registers c, or returns the collector already registered under its name (several relays in one
// process share the metrics, told apart by the collection label).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}

// NotifyDocument asks the relay to publish the outbox of document id of collection soon. It never blocks.
func (r *Relay) NotifyDocument(collection, id string) {
	r.mu.Lock()
	if r.pending[collection] == nil {
		r.pending[collection] = map[string]bool{}
	}
	r.pending[collection][id] = true
	r.mu.Unlock()
	r.signal()
}

// Notify asks the relay for a full pass over its collections soon. It never blocks.
func (r *Relay) Notify() {
	r.mu.Lock()
	r.full = true
	r.mu.Unlock()
	r.signal()
}

func (r *Relay) signal() {
	select {
	case r.wake <- struct{}{}:
	default: // a wake-up is already pending; it will see this work too
	}
}

// Run relays until ctx is cancelled, then returns nil. It starts with a full pass (what a crash left behind).
// A failed pass (Kafka down) is retried with a backoff that grows up to Sweep.
func (r *Relay) Run(ctx context.Context) error {
	sweep := time.NewTicker(r.cfg.Sweep)
	defer sweep.Stop()
	r.Notify()
	retry := 100 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sweep.C:
			r.Notify()
			continue
		case <-r.wake:
		}
		r.mu.Lock()
		full, pending := r.full, r.pending
		r.full, r.pending = false, map[string]map[string]bool{}
		r.mu.Unlock()

		var err error
		if full {
			err = r.Drain(ctx)
		} else {
			err = r.drainDocuments(ctx, pending)
		}
		if err == nil || ctx.Err() != nil {
			retry = 100 * time.Millisecond
			continue
		}
		r.cfg.Logger.Warn("outbox relay pass failed, will retry", "error", err.Error(), "retry_in", retry.String())
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		retry = min(retry*2, r.cfg.Sweep)
		if full {
			r.Notify()
		} else {
			for coll, ids := range pending {
				for id := range ids {
					r.NotifyDocument(coll, id)
				}
			}
		}
	}
}

// Drain makes one full pass: every document of every collection with a pending outbox is relayed. It returns
// the first error after trying every document.
func (r *Relay) Drain(ctx context.Context) error {
	var first error
	for name, coll := range r.colls {
		left, err := r.drainCollection(ctx, coll)
		r.backlog.WithLabelValues(name).Set(float64(left))
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (r *Relay) drainCollection(ctx context.Context, coll *mongo.Collection) (left int, err error) {
	filter := bson.D{{Key: OutboxField + ".0", Value: bson.D{{Key: "$exists", Value: true}}}}
	cur, err := coll.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: OutboxField, Value: 1}}))
	if err != nil {
		return 0, fmt.Errorf("store: relay scan %s: %w", coll.Name(), err)
	}
	defer cur.Close(ctx)
	var first error
	for cur.Next(ctx) {
		n, err := r.relayDocument(ctx, coll, cur.Current)
		left += n
		if err != nil && first == nil {
			first = err
		}
	}
	if err := cur.Err(); err != nil && first == nil {
		first = fmt.Errorf("store: relay scan %s: %w", coll.Name(), err)
	}
	return left, first
}

func (r *Relay) drainDocuments(ctx context.Context, pending map[string]map[string]bool) error {
	var first error
	for name, ids := range pending {
		coll, ok := r.colls[name]
		if !ok {
			continue // not a collection of this relay
		}
		for id := range ids {
			raw, err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}},
				options.FindOne().SetProjection(bson.D{{Key: OutboxField, Value: 1}})).Raw()
			if errors.Is(err, mongo.ErrNoDocuments) {
				continue
			}
			if err == nil {
				_, err = r.relayDocument(ctx, coll, raw)
			}
			if err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// relayDocument publishes the outbox of one document in order, consecutive events of one topic in one call, and
// removes the published entries. It returns how many entries are left unpublished.
func (r *Relay) relayDocument(ctx context.Context, coll *mongo.Collection, doc bson.Raw) (left int, err error) {
	id := doc.Lookup("_id")
	arr, ok := doc.Lookup(OutboxField).ArrayOK()
	if !ok {
		return 0, nil
	}
	values, err := arr.Values()
	if err != nil {
		return 0, fmt.Errorf("store: relay %s: read outbox: %w", coll.Name(), err)
	}
	raws := make([]bson.Raw, 0, len(values))
	evs := make([]events.Event, 0, len(values))
	for _, v := range values {
		sub, ok := v.DocumentOK()
		if !ok {
			return len(values), fmt.Errorf("store: relay %s: outbox entry is not a document", coll.Name())
		}
		var e OutboxEntry
		if err := bson.Unmarshal(sub, &e); err != nil {
			return len(values), fmt.Errorf("store: relay %s: decode outbox entry: %w", coll.Name(), err)
		}
		raws = append(raws, sub)
		evs = append(evs, e.Event())
	}
	done := 0
	for done < len(evs) {
		topic := r.cfg.TopicFor(evs[done])
		end := done + 1
		for end < len(evs) && r.cfg.TopicFor(evs[end]) == topic {
			end++
		}
		if err = r.cfg.Publisher.Publish(ctx, topic, evs[done:end]...); err != nil {
			r.failures.WithLabelValues(coll.Name()).Inc()
			break
		}
		done = end
	}
	if done > 0 {
		if rmErr := r.remove(ctx, coll, id, raws[:done]); rmErr != nil {
			return len(evs), rmErr // published but still stored: published again next time
		}
		r.published.WithLabelValues(coll.Name()).Add(float64(done))
	}
	return len(evs) - done, err
}

// remove pulls exactly the given stored entries, leaving any appended since.
func (r *Relay) remove(ctx context.Context, coll *mongo.Collection, id bson.RawValue, entries []bson.Raw) error {
	list := make(bson.A, 0, len(entries))
	for _, e := range entries {
		list = append(list, e)
	}
	unlock := LockDocument(coll, id)
	defer unlock()
	_, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$pullAll", Value: bson.D{{Key: OutboxField, Value: list}}}})
	if err != nil {
		return fmt.Errorf("store: relay %s: remove published entries: %w", coll.Name(), err)
	}
	return nil
}
