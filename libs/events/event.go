// Package events owns the event contract on the wire: CloudEvents 1.0 in Kafka's binary mode (the attributes in
// `ce_*` headers, the JSON payload as the message value), the topic names and their explicit creation, a
// Publisher that keeps one aggregate's events in one partition and in order, and a consumer runner that commits
// an offset only after its handler succeeded, retries transient errors and parks permanent ones in `<topic>.dlq`.
// Delivery is at least once: handlers must be idempotent (see store.Processed for the dedup helper).
package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"
)

// SpecVersion is the CloudEvents version written in `ce_specversion`.
const SpecVersion = "1.0"

// Header names of CloudEvents' Kafka binary mode, plus this project's extensions `tenant` and `correlationid`.
const (
	HeaderSpecVersion   = "ce_specversion"
	HeaderID            = "ce_id"
	HeaderType          = "ce_type"
	HeaderSource        = "ce_source"
	HeaderTime          = "ce_time"
	HeaderSubject       = "ce_subject"
	HeaderTenant        = "ce_tenant"
	HeaderCorrelationID = "ce_correlationid"
	HeaderContentType   = "content-type"
	ContentTypeJSON     = "application/json"
)

// Event is one CloudEvent. ID is a UUID and the consumers' dedup key; Subject is the id of the aggregate the event
// is about and the Kafka key, so one aggregate's events stay in one partition, in order; Type is reverse-DNS and
// versioned, e.g. "be.cpas.decisions.decision.adopted.v1"; Source is the producing service.
type Event struct {
	ID            string
	Type          string
	Source        string
	Subject       string
	Tenant        string
	CorrelationID string
	Time          time.Time
	Data          json.RawMessage
}

// ErrInvalidEvent reports an event missing a required attribute or carrying an unreadable one.
var ErrInvalidEvent = errors.New("events: invalid event")

// New builds an event with a fresh UUID and the current time, marshalling data to JSON. The time is truncated to
// milliseconds in UTC because that is what a MongoDB date (the outbox) keeps: the event read back from the outbox
// is then equal to the one built here.
func New(typ, source, tenant, subject, correlationID string, data any) (Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, fmt.Errorf("events: marshal %s data: %w", typ, err)
	}
	e := Event{
		ID:            uuid.NewString(),
		Type:          typ,
		Source:        source,
		Subject:       subject,
		Tenant:        tenant,
		CorrelationID: correlationID,
		Time:          time.Now().UTC().Truncate(time.Millisecond),
		Data:          raw,
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// Validate checks that every attribute this project requires is present. CorrelationID is required too: an event
// always descends from a request or from another event, and tracing a case across services depends on it.
func (e Event) Validate() error {
	missing := ""
	switch {
	case e.ID == "":
		missing = "id"
	case e.Type == "":
		missing = "type"
	case e.Source == "":
		missing = "source"
	case e.Subject == "":
		missing = "subject"
	case e.Tenant == "":
		missing = "tenant"
	case e.CorrelationID == "":
		missing = "correlationid"
	case e.Time.IsZero():
		missing = "time"
	}
	if missing != "" {
		return fmt.Errorf("%w: missing %s", ErrInvalidEvent, missing)
	}
	if _, err := uuid.Parse(e.ID); err != nil {
		return fmt.Errorf("%w: id is not a UUID", ErrInvalidEvent)
	}
	if len(e.Data) > 0 && !json.Valid(e.Data) {
		return fmt.Errorf("%w: data is not JSON", ErrInvalidEvent)
	}
	return nil
}

// ToMessage encodes e as a Kafka message for topic in binary mode, keyed by the subject.
func ToMessage(topic string, e Event) kafka.Message {
	return kafka.Message{
		Topic: topic,
		Key:   []byte(e.Subject),
		Value: e.Data,
		Headers: []kafka.Header{
			{Key: HeaderSpecVersion, Value: []byte(SpecVersion)},
			{Key: HeaderID, Value: []byte(e.ID)},
			{Key: HeaderType, Value: []byte(e.Type)},
			{Key: HeaderSource, Value: []byte(e.Source)},
			{Key: HeaderTime, Value: []byte(e.Time.UTC().Format(time.RFC3339Nano))},
			{Key: HeaderSubject, Value: []byte(e.Subject)},
			{Key: HeaderTenant, Value: []byte(e.Tenant)},
			{Key: HeaderCorrelationID, Value: []byte(e.CorrelationID)},
			{Key: HeaderContentType, Value: []byte(ContentTypeJSON)},
		},
	}
}

// FromMessage decodes a binary-mode CloudEvent. A missing or repeated required header, another spec version,
// another content type or an unreadable time is an error wrapping ErrInvalidEvent.
func FromMessage(m kafka.Message) (Event, error) {
	h := make(map[string]string, len(m.Headers))
	for _, kv := range m.Headers {
		if _, dup := h[kv.Key]; dup {
			return Event{}, fmt.Errorf("%w: header %s repeated", ErrInvalidEvent, kv.Key)
		}
		h[kv.Key] = string(kv.Value)
	}
	for _, name := range []string{HeaderSpecVersion, HeaderID, HeaderType, HeaderSource, HeaderTime, HeaderSubject,
		HeaderTenant, HeaderCorrelationID} {
		if h[name] == "" {
			return Event{}, fmt.Errorf("%w: header %s missing", ErrInvalidEvent, name)
		}
	}
	if h[HeaderSpecVersion] != SpecVersion {
		return Event{}, fmt.Errorf("%w: spec version %q", ErrInvalidEvent, h[HeaderSpecVersion])
	}
	if ct, ok := h[HeaderContentType]; ok && ct != ContentTypeJSON {
		return Event{}, fmt.Errorf("%w: content type %q", ErrInvalidEvent, ct)
	}
	at, err := time.Parse(time.RFC3339Nano, h[HeaderTime])
	if err != nil {
		return Event{}, fmt.Errorf("%w: time %q", ErrInvalidEvent, h[HeaderTime])
	}
	e := Event{
		ID:            h[HeaderID],
		Type:          h[HeaderType],
		Source:        h[HeaderSource],
		Subject:       h[HeaderSubject],
		Tenant:        h[HeaderTenant],
		CorrelationID: h[HeaderCorrelationID],
		Time:          at,
		Data:          json.RawMessage(m.Value),
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}
