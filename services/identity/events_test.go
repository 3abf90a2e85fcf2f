package identity

import (
	"context"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	eventschema "github.com/entraide/entraide/api/events"
	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
)

// outboxEvents returns the events waiting in the outboxes of a collection's documents (no brokers in the test
// env: nothing is relayed).
func (e *env) outboxEvents(coll string) []events.Event {
	e.t.Helper()
	cur, err := e.db.Collection(coll).Find(context.Background(), bson.D{})
	if err != nil {
		e.t.Fatal(err)
	}
	var docs []struct {
		Outbox []store.OutboxEntry `bson:"outbox"`
	}
	if err := cur.All(context.Background(), &docs); err != nil {
		e.t.Fatal(err)
	}
	var out []events.Event
	for _, d := range docs {
		for _, o := range d.Outbox {
			out = append(out, o.Event())
		}
	}
	return out
}

// TestEmittedEventsMatchTheirSchemas drives identity's real paths (bootstrap and demo seed at start, a tenant
// created with its first admin, a user created, re-roled, re-roled to the same roles, disabled twice, enabled
// twice, a failed login) and validates every event left in the outboxes, audit records included, against
// api/events. None carries a password, a hash or an e-mail address.
func TestEmittedEventsMatchTheirSchemas(t *testing.T) {
	e := newEnv(t, nil)
	root, _, _ := e.mustLogin("platform", "root", "root-password-long")
	boss := e.createTenant(root, "cpas-events", "0207.123.407")
	a := e.do("POST", "/v1/users", boss, map[string]any{"username": "Nadia", "display_name": "Nadia Çelik", "email": "nadia@cpas.example",
		"roles": []string{"social_worker"}, "language": "nl", "password": newPassword})
	if a.status != 201 {
		t.Fatalf("create user: %d %s", a.status, a.raw)
	}
	id := a.body["id"].(string)
	steps := []struct {
		method, path string
		body         any
		headers      []string
	}{
		{"PUT", "/v1/users/" + id + "/roles", map[string]any{"roles": []string{"social_worker", "dpo"}}, []string{"If-Match", `"1"`}},
		{"PUT", "/v1/users/" + id + "/roles", map[string]any{"roles": []string{"social_worker", "dpo"}}, []string{"If-Match", `"2"`}},
		{"POST", "/v1/users/" + id + "/disable", nil, nil},
		{"POST", "/v1/users/" + id + "/disable", nil, nil},
		{"POST", "/v1/users/" + id + "/enable", nil, nil},
		{"POST", "/v1/users/" + id + "/enable", nil, nil},
	}
	for _, s := range steps {
		if r := e.do(s.method, s.path, boss, s.body, s.headers...); r.status != 200 {
			t.Fatalf("%s %s: %d %s", s.method, s.path, r.status, r.raw)
		}
	}
	if r := e.login("cpas-events", "nadia", "not the password"); r.status != 401 {
		t.Fatalf("wrong password: %d", r.status)
	}

	seen := map[string]int{}
	perUser := map[string][]string{}
	for _, coll := range []string{CollTenants, CollUsers, audit.CollectionName} {
		for _, ev := range e.outboxEvents(coll) {
			seen[ev.Type]++
			if err := eventschema.Validate(ev.Type, ev.Data); err != nil {
				t.Errorf("%s: %v\n%s", ev.Type, err, ev.Data)
			}
			if ev.Source != EventSource || ev.Tenant == "" || ev.Subject == "" || ev.CorrelationID == "" {
				t.Errorf("attributes of %s: %+v", ev.Type, ev)
			}
			for _, secret := range []string{newPassword, "not the password", "argon2", "@cpas.example", "@cpas-events.example", "root-password-long"} {
				if strings.Contains(string(ev.Data), secret) {
					t.Errorf("%s carries %q: %s", ev.Type, secret, ev.Data)
				}
			}
			if ev.Subject == id {
				perUser[coll] = append(perUser[coll], ev.Type)
			}
		}
	}
	for _, typ := range []string{EventTenantCreated, EventUserCreated, EventUserRolesChanged, EventUserDisabled, EventUserEnabled, audit.EventType} {
		if seen[typ] == 0 {
			t.Errorf("no %s emitted", typ)
		}
	}
	// Changes that change nothing emit nothing: one event per real change of the user.
	want := []string{EventUserCreated, EventUserRolesChanged, EventUserDisabled, EventUserEnabled}
	if got := perUser[CollUsers]; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("user's events %v, want %v", got, want)
	}
	// Every type identity publishes has a schema, and the schema is not blind: an enabled event for a disabled
	// user, or a user event with an e-mail address, is refused.
	for _, typ := range []string{EventTenantCreated, EventUserCreated, EventUserRolesChanged, EventUserDisabled, EventUserEnabled} {
		if _, ok := eventschema.SchemaPath(typ); !ok {
			t.Errorf("%s has no schema", typ)
		}
	}
	bad := map[string]string{
		EventUserEnabled: `{"user_id":"` + id + `","tenant":"cpas-events","username":"nadia","display_name":"N","roles":["dpo"],"disabled":true}`,
		EventUserCreated: `{"user_id":"` + id + `","tenant":"cpas-events","username":"nadia","display_name":"N","roles":["dpo"],"disabled":false,"email":"n@x.be"}`,
	}
	for typ, data := range bad {
		if eventschema.Validate(typ, []byte(data)) == nil {
			t.Errorf("%s schema accepts %s", typ, data)
		}
	}
}
