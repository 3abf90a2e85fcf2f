package decisions_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	eventschema "github.com/entraide/entraide/api/events"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/request"
)

// TestEmittedEventsMatchTheirSchema registers requests of every shape through the API and validates each event
// left in the outbox against api/events (eventschema.Validate); the payload carries no name, note or reason.
func TestEmittedEventsMatchTheirSchema(t *testing.T) {
	e := newEnv(t)
	w := user{"gent", uuid.NewString(), "social_worker"}
	p, f := e.openFile("gent", w.id, "2026/000042")
	today := civil.Today()
	cases := []struct {
		name string
		in   map[string]any
	}{
		{"ris in person", map[string]any{"kind": "ris", "channel": "in_person", "received_on": today.String()}},
		{"aide sociale with subtype and note", map[string]any{"kind": "aide_sociale", "subtype": "energy", "channel": "written",
			"received_on": today.AddDays(-3).String(), "note": "Facture Engie impayée"}},
		{"late amu with reason", map[string]any{"kind": "amu", "channel": "representative",
			"received_on": today.AddDays(-130).String(), "late_reason": "Courrier égaré au secrétariat"}},
		{"eris ex officio", map[string]any{"kind": "eris", "channel": "ex_officio", "received_on": today.String()}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.in["person_id"], c.in["file_id"] = p, f
			st, body, raw, _ := e.call(w, "POST", "/v1/requests", c.in)
			if st != 201 {
				t.Fatalf("register: %d %s", st, raw)
			}
			id := body["id"].(string)
			var doc struct {
				Outbox []store.OutboxEntry `bson:"outbox"`
			}
			if err := e.db.Collection(request.CollRequests).FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Outbox) != 1 {
				t.Fatalf("%d events in the outbox", len(doc.Outbox))
			}
			ev := doc.Outbox[0]
			if ev.Type != request.TypeRegistered || ev.Source != request.EventSource || ev.Subject != id || ev.Tenant != "gent" {
				t.Fatalf("event attributes %+v", ev)
			}
			if err := eventschema.Validate(ev.Type, []byte(ev.Data)); err != nil {
				t.Fatal(err)
			}
			var data map[string]any
			if err := json.Unmarshal([]byte(ev.Data), &data); err != nil {
				t.Fatal(err)
			}
			if data["request_id"] != id || data["number"] != body["number"] || data["decision_due"] != body["decision_due"] {
				t.Errorf("payload %v, body %v", data, body)
			}
			for _, secret := range []string{"Engie", "égaré", "Peeters"} {
				if strings.Contains(ev.Data, secret) {
					t.Errorf("payload carries %q", secret)
				}
			}
		})
	}
}

// TestSchemaRefusesWhatTheServiceMustNotEmit: the schema is strict enough to catch a wrong payload.
func TestSchemaRefusesWhatTheServiceMustNotEmit(t *testing.T) {
	ok := map[string]any{"request_id": uuid.NewString(), "number": "R2026/000001", "person_id": uuid.NewString(),
		"file_id": uuid.NewString(), "kind": "ris", "channel": "written", "received_on": "2026-03-02", "decision_due": "2026-04-01"}
	cases := []struct {
		name   string
		change func(m map[string]any)
		valid  bool
	}{
		{"valid", func(map[string]any) {}, true},
		{"aide sociale with subtype", func(m map[string]any) { m["kind"], m["subtype"] = "aide_sociale", "food" }, true},
		{"aide sociale without subtype", func(m map[string]any) { m["kind"] = "aide_sociale" }, false},
		{"ris with subtype", func(m map[string]any) { m["subtype"] = "food" }, false},
		{"a note", func(m map[string]any) { m["note"] = "texte libre" }, false},
		{"bad number", func(m map[string]any) { m["number"] = "2026/000001" }, false},
		{"bad date", func(m map[string]any) { m["received_on"] = "02/03/2026" }, false},
		{"no decision due", func(m map[string]any) { delete(m, "decision_due") }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := map[string]any{}
			for k, v := range ok {
				m[k] = v
			}
			c.change(m)
			raw, _ := json.Marshal(m)
			if err := eventschema.Validate(request.TypeRegistered, raw); (err == nil) != c.valid {
				t.Fatalf("valid %v, err %v", c.valid, err)
			}
		})
	}
}
