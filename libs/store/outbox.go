package store

import (
	"encoding/json"
	"time"

	"github.com/entraide/entraide/libs/events"
)

// OutboxField is the array of pending events in an aggregate document.
const OutboxField = "outbox"

// OutboxEntry is an event as stored in a document's outbox until the relay has published it. Data is the JSON
// text of the payload, kept as a string so the bytes published are exactly those the domain produced.
type OutboxEntry struct {
	ID            string    `bson:"id"`
	Type          string    `bson:"type"`
	Source        string    `bson:"source"`
	Subject       string    `bson:"subject"`
	Tenant        string    `bson:"tenant"`
	CorrelationID string    `bson:"correlationid"`
	Time          time.Time `bson:"time"`
	Data          string    `bson:"data"`
}

// NewOutboxEntry converts an event for storage. A MongoDB date keeps milliseconds: events.New already truncates.
func NewOutboxEntry(e events.Event) OutboxEntry {
	return OutboxEntry{
		ID: e.ID, Type: e.Type, Source: e.Source, Subject: e.Subject, Tenant: e.Tenant,
		CorrelationID: e.CorrelationID, Time: e.Time.UTC(), Data: string(e.Data),
	}
}

// Event converts the entry back.
func (o OutboxEntry) Event() events.Event {
	var data json.RawMessage
	if o.Data != "" {
		data = json.RawMessage(o.Data)
	}
	return events.Event{
		ID: o.ID, Type: o.Type, Source: o.Source, Subject: o.Subject, Tenant: o.Tenant,
		CorrelationID: o.CorrelationID, Time: o.Time.UTC(), Data: data,
	}
}
