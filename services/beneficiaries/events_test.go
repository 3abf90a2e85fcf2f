package beneficiaries

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	eventschema "github.com/entraide/entraide/api/events"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/beneficiaries/person"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// pendingEvents reads the events waiting in the outbox of person id.
func pendingEvents(t *testing.T, e *env, id string) []events.Event {
	t.Helper()
	var doc struct {
		Outbox []store.OutboxEntry `bson:"outbox"`
	}
	if err := e.db.Collection(person.CollPersons).FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	out := make([]events.Event, 0, len(doc.Outbox))
	for _, o := range doc.Outbox {
		out = append(out, o.Event())
	}
	return out
}

// emitScenario registers persons, changes them, their accounts and household: every event type of the person
// package is emitted at least once. It returns the ids of the persons.
func emitScenario(t *testing.T, e *env) []string {
	id := e.register(workerA, jean()).str("id")
	kid := e.register(workerA, map[string]any{"family_name": "Dupont", "given_names": "Léa", "birth_date": "2015-04-01", "sex": "female",
		"nationality": "BE", "residence_status": "belgian", "language": "fr"}).str("id")
	anon := e.register(workerA, map[string]any{"family_name": "Nowak", "birth_date": "1999-09-09", "sex": "unknown",
		"nationality": "PL", "residence_status": "irregular_stay", "language": "en"}).str("id")
	body := jean()
	body["address"] = map[string]any{"street": "Kerkstraat", "number": "1", "box": "b2", "postcode": "9000", "municipality": "Gent"}
	steps := []struct {
		method, path string
		body         any
		version      string
	}{
		{"PUT", "/v1/persons/" + id, body, `"1"`},
		{"POST", "/v1/persons/" + id + "/bank-accounts", map[string]any{"iban": "BE68539007547034", "holder": "Jean Dupont"}, `"2"`},
		{"POST", "/v1/persons/" + id + "/bank-accounts", map[string]any{"iban": "NL91ABNA0417164300", "holder": "J. Dupont", "activate": true}, `"3"`},
		{"PUT", "/v1/persons/" + id + "/household", map[string]any{"members": []any{
			map[string]any{"person_id": kid, "relation": "child", "dependent": true, "valid_from": "2015-04-01"},
			map[string]any{"person_id": anon, "relation": "other", "valid_from": "2020-01-01", "until": "2021-01-01"}}}, `"4"`},
	}
	for _, s := range steps {
		if a := e.call(workerA, s.method, s.path, s.body, "If-Match: "+s.version); a.status != 200 {
			t.Fatalf("%s %s: %d %s", s.method, s.path, a.status, a.raw)
		}
	}
	return []string{id, kid, anon}
}

func TestEmittedEventsMatchTheirSchemas(t *testing.T) {
	e := newEnv(t)
	for _, typ := range person.EventTypes {
		if p, ok := eventschema.SchemaPath(typ); !ok || p != "beneficiaries/"+typ+".schema.json" {
			t.Errorf("event type %s: schema %q, %v", typ, p, ok)
		}
	}
	seen := map[string]int{}
	for _, id := range emitScenario(t, e) {
		for _, ev := range pendingEvents(t, e, id) {
			if ev.Source != person.EventSource || ev.Subject != id || ev.Tenant != "cpas-a" {
				t.Errorf("attributes of %s: %+v", ev.Type, ev)
			}
			if err := eventschema.Validate(ev.Type, ev.Data); err != nil {
				t.Errorf("%s: %v\n%s", ev.Type, err, ev.Data)
			}
			seen[ev.Type]++
		}
	}
	for _, typ := range person.EventTypes {
		if seen[typ] == 0 {
			t.Errorf("scenario emitted no %s", typ)
		}
	}
	// The schemas are not blind: a payload missing the new IBAN is refused.
	bad := []byte(`{"person_id":"0190a000-0000-7000-8000-00000000000a","account_id":"0190a000-0000-7000-8000-00000000000a","holder":"X","old_iban":null,"payee_name":"X","effective_at":"2026-01-01T00:00:00Z"}`)
	if eventschema.Validate(person.EventBankAccountChanged, bad) == nil {
		t.Error("schema accepts a bankaccount.changed without new_iban")
	}
}

// TestEventsReachAConsumerOnKafka runs the outbox relay over the persons collection to a test topic and a
// consumer group on it: every event the scenario emitted arrives, with its CloudEvents attributes.
func TestEventsReachAConsumerOnKafka(t *testing.T) {
	e := newEnv(t)
	ids := emitScenario(t, e)
	want := map[string]events.Event{}
	for _, id := range ids {
		for _, ev := range pendingEvents(t, e, id) {
			want[ev.ID] = ev
		}
	}
	brokers := testkit.KafkaBrokers(t)
	topic := testkit.Name(t, "beneficiaries")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := events.EnsureTopics(ctx, brokers, events.TopicSpec{Name: topic, Partitions: 3, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	pub := events.NewPublisher(brokers)
	defer pub.Close()
	relay, err := store.NewRelay(store.RelayConfig{Publisher: pub, Collections: e.app.Persons.Collections(),
		TopicFor: func(events.Event) string { return topic }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := relay.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if left := pendingEvents(t, e, id); len(left) != 0 {
			t.Errorf("%d events left in %s's outbox after the relay", len(left), id)
		}
	}
	var mu sync.Mutex
	got := map[string]events.Event{}
	done := make(chan struct{})
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		_ = events.Consume(cctx, events.ConsumerConfig{Brokers: brokers, GroupID: topic + "-test", Topic: topic,
			Handler: func(_ context.Context, ev events.Event) error {
				mu.Lock()
				defer mu.Unlock()
				got[ev.ID] = ev
				if len(got) == len(want) {
					select {
					case <-done:
					default:
						close(done)
					}
				}
				return nil
			}})
	}()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("received %d of %d events", len(got), len(want))
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	for id, w := range want {
		g := got[id]
		if g.Type != w.Type || g.Subject != w.Subject || g.Tenant != w.Tenant || g.Source != person.EventSource || string(g.Data) != string(w.Data) {
			t.Errorf("event %s: got %+v, want %+v", id, g, w)
		}
	}
}
