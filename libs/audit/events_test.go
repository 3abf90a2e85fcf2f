package audit

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	eventschema "github.com/entraide/entraide/api/events"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
)

// TestPublishedRecordsMatchTheSchema writes records through the Writer and validates the event each leaves in
// its outbox against api/events/audit: complete and minimal records, every outcome, an actor without roles.
func TestPublishedRecordsMatchTheSchema(t *testing.T) {
	ctx := context.Background()
	coll := testkit.Database(t).Collection(CollectionName)
	w := NewWriter(coll, "test-service", nil)
	at := time.Date(2026, 3, 1, 9, 30, 15, 123456789, time.FixedZone("CET", 3600))
	cases := []struct {
		name string
		rec  Record
	}{
		{"complete", Record{Tenant: "cpas-a", ActorID: "0190a000-0000-7000-8000-00000000000a", ActorRoles: []string{"social_worker", "dpo"},
			Action: "file.read", ResourceType: "file", ResourceID: "f-1", FileID: "f-1", Purpose: "case_follow_up",
			Outcome: OutcomeAllowed, RequestID: "req-1", At: at}},
		{"minimal, no roles", Record{Tenant: "platform", ActorID: "system", Action: "user.bootstrap_platform_admin",
			ResourceType: "user", Outcome: OutcomeAllowed}},
		{"denied route", Record{Tenant: "cpas-a", ActorID: "u-2", ActorRoles: []string{"committee_member"}, Action: "route.denied",
			ResourceType: "route", ResourceID: "GET /v1/persons/{id}", Outcome: OutcomeDenied}},
		{"error, anonymous", Record{Tenant: "cpas-a", ActorID: "anonymous", ActorRoles: []string{}, Action: "user.login.error",
			ResourceType: "user", Outcome: OutcomeError}},
	}
	for _, c := range cases {
		if err := w.Write(ctx, c.rec); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	cur, err := coll.Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		ID     string              `bson:"_id"`
		Outbox []store.OutboxEntry `bson:"outbox"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != len(cases) {
		t.Fatalf("%d records stored, want %d", len(docs), len(cases))
	}
	for _, d := range docs {
		if len(d.Outbox) != 1 {
			t.Fatalf("record %s: %d events in its outbox", d.ID, len(d.Outbox))
		}
		ev := d.Outbox[0].Event()
		if ev.Type != EventType || ev.Source != "test-service" || ev.Subject != d.ID {
			t.Errorf("attributes %+v", ev)
		}
		if err := eventschema.Validate(ev.Type, ev.Data); err != nil {
			t.Errorf("%v\n%s", err, ev.Data)
		}
		if _, err := RecordFromEvent(ev); err != nil {
			t.Error(err)
		}
	}
	// The schema is not blind: a free-text purpose, an unknown outcome or a missing actor are refused.
	bad := []string{
		`{"id":"0190a000-0000-7000-8000-00000000000a","tenant":"cpas-a","actorId":"u","actorRoles":null,"action":"file.read","resourceType":"file","purpose":"Dossier de Mme Dupont","outcome":"allowed","at":"2026-03-01T08:30:15.123Z"}`,
		`{"id":"0190a000-0000-7000-8000-00000000000a","tenant":"cpas-a","actorId":"u","actorRoles":null,"action":"file.read","resourceType":"file","outcome":"maybe","at":"2026-03-01T08:30:15.123Z"}`,
		`{"id":"0190a000-0000-7000-8000-00000000000a","tenant":"cpas-a","actorRoles":null,"action":"file.read","resourceType":"file","outcome":"allowed","at":"2026-03-01T08:30:15.123Z"}`,
	}
	for _, data := range bad {
		err := eventschema.Validate(EventType, []byte(data))
		if err == nil {
			t.Errorf("schema accepts %s", data)
		} else if strings.Contains(err.Error(), "Dupont") {
			t.Errorf("the error shows the payload: %v", err)
		}
	}
}

func TestTopicRouterSendsAuditRecordsToTheAuditTopic(t *testing.T) {
	route := TopicRouter(events.TopicDecisions)
	if got := route(events.Event{Type: EventType}); got != events.TopicAudit {
		t.Errorf("audit record routed to %s", got)
	}
	if got := route(events.Event{Type: "be.cpas.decisions.request.registered.v1"}); got != events.TopicDecisions {
		t.Errorf("service event routed to %s", got)
	}
}
