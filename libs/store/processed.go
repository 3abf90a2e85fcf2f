package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Processed records which events each consumer has handled, one document per (consumer, event id) with that
// pair as its unique _id, so a consumer can skip an event Kafka delivers again (at-least-once delivery: after a
// crash before the commit, after a rebalance, after the relay republished).
//
// The mark and the effect are two writes and, without transactions (FerretDB has none), they are not atomic.
// Once therefore stores the effect first and the mark after: a crash in between repeats the effect on
// redelivery, it never loses it. So the effect itself must be idempotent or guarded (a version-guarded
// Repository.Update, an insert with the event id as unique key, an update filtered on "event id not yet
// applied"); the mark only saves the work of repeating it. Marks are never deleted by this package: prune those
// older than the topics' retention (no TTL index on FerretDB).
type Processed struct {
	coll *mongo.Collection
}

// NewProcessed keeps the marks in coll (e.g. "processed_events"), which may be shared by the consumers of a
// service.
func NewProcessed(coll *mongo.Collection) *Processed { return &Processed{coll: coll} }

func markID(consumer, eventID string) string { return consumer + "/" + eventID }

// Seen tells whether consumer already marked eventID.
func (p *Processed) Seen(ctx context.Context, consumer, eventID string) (bool, error) {
	err := p.coll.FindOne(ctx, bson.D{{Key: "_id", Value: markID(consumer, eventID)}}).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: read processed mark: %w", err)
	}
	return true, nil
}

// Mark records that consumer handled eventID; marking twice is not an error.
func (p *Processed) Mark(ctx context.Context, consumer, eventID string) error {
	_, err := p.coll.InsertOne(ctx, bson.D{
		{Key: "_id", Value: markID(consumer, eventID)},
		{Key: "consumer", Value: consumer},
		{Key: "event_id", Value: eventID},
		{Key: "at", Value: time.Now().UTC()},
	})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("store: write processed mark: %w", err)
	}
	return nil
}

// Once runs fn unless consumer already marked eventID, then marks it. See the type's comment: fn must be
// idempotent, the mark only skips it.
func (p *Processed) Once(ctx context.Context, consumer, eventID string, fn func(ctx context.Context) error) error {
	if consumer == "" || eventID == "" {
		return errors.New("store: Once needs a consumer and an event id")
	}
	seen, err := p.Seen(ctx, consumer, eventID)
	if err != nil || seen {
		return err
	}
	if err := fn(ctx); err != nil {
		return err
	}
	return p.Mark(ctx, consumer, eventID)
}
