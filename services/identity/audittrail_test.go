package identity

import (
	"context"
	"encoding/json"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
)

// auditEvent is the event a service's audit.Writer publishes for rec (same type, subject, tenant and payload).
func auditEvent(t *testing.T, source string, rec audit.Record) events.Event {
	t.Helper()
	ev, err := events.New(audit.EventType, source, rec.Tenant, rec.ID, rec.ID, rec)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// fileRead is a beneficiaries-style record: a worker read a file for a declared purpose.
func fileRead(tenant, actor, fileID string, at time.Time) audit.Record {
	return audit.Record{ID: uuid.NewString(), Tenant: tenant, ActorID: actor, ActorRoles: []string{"social_worker"}, Action: "file.read",
		ResourceType: "file", ResourceID: fileID, FileID: fileID, Purpose: "case_follow_up", Outcome: audit.OutcomeAllowed, At: at}
}

func TestAuditTrailConsumerStoresOnce(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	rec := fileRead("demo", uuid.NewString(), uuid.NewString(), time.Now())
	ev := auditEvent(t, "entraide-beneficiaries", rec)
	for range 3 { // a redelivery, and the same record again in another event
		if err := e.app.trail.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.app.trail.Handle(ctx, auditEvent(t, "entraide-beneficiaries", rec)); err != nil {
		t.Fatal(err)
	}
	if n := e.count(CollAuditTrail, bson.D{{Key: "_id", Value: rec.ID}}); n != 1 {
		t.Fatalf("stored %d times", n)
	}
	var stored audit.Record
	if err := e.db.Collection(CollAuditTrail).FindOne(ctx, bson.D{{Key: "_id", Value: rec.ID}}).Decode(&stored); err != nil {
		t.Fatal(err)
	}
	if stored.FileID != rec.FileID || stored.Purpose != "case_follow_up" || stored.Tenant != "demo" || !stored.At.Equal(rec.At.Truncate(time.Millisecond)) {
		t.Errorf("stored %+v", stored)
	}

	// Unreadable or inconsistent records go to the dead-letter topic; other event types are skipped.
	bad := ev
	bad.Data = json.RawMessage(`{"id": 12}`)
	otherTenant := auditEvent(t, "x", fileRead("demo", "u", "f", time.Now()))
	otherTenant.Tenant = "liege"
	noActor := fileRead("demo", "", "f", time.Now())
	for name, ev := range map[string]events.Event{"undecodable": bad, "tenant mismatch": otherTenant, "no actor": auditEvent(t, "x", noActor)} {
		if err := e.app.trail.Handle(ctx, ev); !events.IsPermanent(err) {
			t.Errorf("%s: %v, want a permanent error", name, err)
		}
	}
	other, _ := events.New("be.cpas.beneficiaries.person.registered.v1", "x", "demo", "p", "c", map[string]string{"person_id": "p"})
	if err := e.app.trail.Handle(ctx, other); err != nil {
		t.Errorf("other type: %v", err)
	}
	if n := e.count(CollAuditTrail, bson.D{}); n != 1 {
		t.Fatalf("%d records stored, want 1", n)
	}
}

// searchAudit calls GET /v1/audit with the query and returns the answer and the records' ids.
func (e *env) searchAudit(token string, q url.Values) (answer, []string) {
	e.t.Helper()
	a := e.do("GET", "/v1/audit?"+q.Encode(), token, nil)
	var ids []string
	items, _ := a.body["items"].([]any)
	for _, it := range items {
		ids = append(ids, it.(map[string]any)["id"].(string))
	}
	return a, ids
}

func TestAuditTrailSearch(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	dpo, _, dpoUser := e.mustLogin("demo", "dpo", DemoPassword)
	amelie, bart := uuid.NewString(), uuid.NewString()
	fileA, fileB := uuid.NewString(), uuid.NewString()
	day := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	// Six records of demo over three days (newest last), and one of another tenant on the same file id.
	recs := []audit.Record{
		fileRead("demo", amelie, fileA, day(1, 9)),
		fileRead("demo", bart, fileA, day(1, 10)),
		fileRead("demo", amelie, fileB, day(2, 9)),
		fileRead("demo", amelie, fileA, day(2, 23)), // 3 March at 0:00 in Brussels
		fileRead("demo", bart, fileB, day(3, 9)),
		fileRead("demo", amelie, fileA, day(3, 10)),
		fileRead("liege", uuid.NewString(), fileA, day(3, 11)),
	}
	recs[4].Action, recs[4].Outcome = "document.read", audit.OutcomeDenied
	for _, r := range recs {
		if err := e.app.trail.Store(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(idx ...int) string {
		var out []string
		for _, i := range idx {
			out = append(out, recs[i].ID)
		}
		return strings.Join(out, ",")
	}

	t.Run("roles", func(t *testing.T) {
		root, _, _ := e.mustLogin("platform", "root", "root-password-long")
		for _, u := range []string{"assistant", "chef", "admin", "membre", "president", "comptable", "directeur"} {
			tok, _, _ := e.mustLogin("demo", u, DemoPassword)
			if a, _ := e.searchAudit(tok, nil); a.status != 403 || strings.Contains(a.raw, fileA) {
				t.Errorf("%s: %d %s", u, a.status, a.raw)
			}
		}
		if a, _ := e.searchAudit(root, nil); a.status != 403 {
			t.Errorf("platform admin: %d", a.status)
		}
		if a, _ := e.searchAudit("", nil); a.status != 401 {
			t.Errorf("no token: %d", a.status)
		}
	})

	t.Run("filters, order and tenant isolation", func(t *testing.T) {
		for _, c := range []struct {
			name string
			q    url.Values
			want string
		}{
			{"file", url.Values{"file": {fileA}}, ids(5, 3, 1, 0)},
			{"actor", url.Values{"actor": {bart}}, ids(4, 1)},
			{"action", url.Values{"action": {"document.read"}}, ids(4)},
			{"actor and file", url.Values{"actor": {amelie}, "file": {fileA}}, ids(5, 3, 0)},
			{"days in Brussels", url.Values{"from": {"2026-03-02"}, "to": {"2026-03-02"}, "action": {"file.read"}}, ids(2)},
			{"from a day", url.Values{"from": {"2026-03-03"}, "file": {fileA}}, ids(5, 3)},
			{"RFC 3339", url.Values{"from": {"2026-03-01T09:30:00Z"}, "to": {"2026-03-02T10:00:00Z"}}, ids(2, 1)},
		} {
			a, got := e.searchAudit(dpo, c.q)
			if a.status != 200 || strings.Join(got, ",") != c.want {
				t.Errorf("%s: %d, got %v, want %v: %s", c.name, a.status, got, c.want, a.raw)
			}
		}
		a, got := e.searchAudit(dpo, url.Values{"action": {"file.read"}, "to": {"2026-03-04"}})
		if strings.Join(got, ",") != ids(5, 3, 2, 1, 0) || strings.Contains(a.raw, recs[6].ID) {
			t.Errorf("all demo file reads: %v", got)
		}
		item := a.body["items"].([]any)[0].(map[string]any)
		if item["purpose"] != "case_follow_up" || item["file_id"] != fileA || item["actor_id"] != amelie || item["outcome"] != "allowed" ||
			item["at"] != "2026-03-03T10:00:00Z" || item["resource_type"] != "file" || item["actor_roles"].([]any)[0] != "social_worker" {
			t.Errorf("entry %v", item)
		}
	})

	t.Run("cursor pages", func(t *testing.T) {
		var all []string
		q := url.Values{"action": {"file.read"}, "size": {"2"}, "to": {"2026-03-04"}}
		for range 4 {
			a, got := e.searchAudit(dpo, q)
			all = append(all, got...)
			next, _ := a.body["next"].(string)
			if next == "" {
				break
			}
			q.Set("after", next)
		}
		if strings.Join(all, ",") != ids(5, 3, 2, 1, 0) {
			t.Errorf("pages %v", all)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, c := range []struct {
			q     url.Values
			field string
		}{
			{url.Values{"after": {"not-a-cursor"}}, "after"},
			{url.Values{"from": {"2026-13-01"}}, "from"},
			{url.Values{"to": {"yesterday"}}, "to"},
			{url.Values{"from": {"2026-03-03"}, "to": {"2026-03-01"}}, "to"},
			{url.Values{"size": {"501"}}, "size"},
			{url.Values{"file": {strings.Repeat("x", 101)}}, "file"},
		} {
			if a, _ := e.searchAudit(dpo, c.q); a.status != 422 || a.fields()[c.field] == "" {
				t.Errorf("%v: %d %s", c.q, a.status, a.raw)
			}
		}
		a, _ := e.searchAudit(dpo, url.Values{"from": {"2026-03-03"}, "to": {"2026-03-01"}})
		if !strings.Contains(a.fields()["to"], "Het einde van de periode moet na het begin liggen.") {
			t.Errorf("message not in Dutch: %s", a.raw)
		}
	})

	t.Run("reading the trail is audited", func(t *testing.T) {
		before := e.count(audit.CollectionName, bson.D{{Key: "action", Value: "audit.read"}})
		e.searchAudit(dpo, url.Values{"file": {fileB}})
		var rec audit.Record
		err := e.db.Collection(audit.CollectionName).FindOne(ctx, bson.D{{Key: "action", Value: "audit.read"}, {Key: "file_id", Value: fileB}}).Decode(&rec)
		if err != nil || before < 1 || rec.ActorID != dpoUser["id"] || rec.Purpose != PurposeAuditReview || rec.Tenant != "demo" ||
			rec.Outcome != audit.OutcomeAllowed || rec.ActorRoles[0] != "dpo" {
			t.Errorf("audit.read record %+v (%v), %d before", rec, err, before)
		}
	})
}

// TestAuditTrailThroughKafka: a beneficiaries-style audit record published twice on cpas.audit.v1 reaches the
// running identity service's trail once, and the DPO finds it through the API.
func TestAuditTrailThroughKafka(t *testing.T) {
	brokers := testkit.KafkaBrokers(t)
	e := newEnv(t, func(c *Config) { c.KafkaBrokers, c.KafkaReplicationFactor = brokers, 1 })
	e.app.trail.group = testkit.Name(t, "trail")
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.app.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("Serve did not stop")
		}
	})

	tctx, tcancel := context.WithTimeout(ctx, 60*time.Second)
	defer tcancel()
	if err := events.EnsureTopics(tctx, brokers, events.TopicSpec{Name: events.TopicAudit, Partitions: 6, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	rec := fileRead("demo", uuid.NewString(), uuid.NewString(), time.Now())
	ev := auditEvent(t, "entraide-beneficiaries", rec)
	pub := events.NewPublisher(brokers)
	defer pub.Close()
	if err := pub.Publish(tctx, events.TopicAudit, ev, ev); err != nil {
		t.Fatal(err)
	}
	dpo, _, _ := e.mustLogin("demo", "dpo", DemoPassword)
	for {
		a, got := e.searchAudit(dpo, url.Values{"file": {rec.FileID}})
		if len(got) > 0 {
			if strings.Join(got, ",") != rec.ID || a.body["items"].([]any)[0].(map[string]any)["action"] != "file.read" {
				t.Fatalf("trail: %s", a.raw)
			}
			break
		}
		select {
		case <-tctx.Done():
			t.Fatal("the record never reached the trail")
		case <-time.After(100 * time.Millisecond):
		}
	}
	// The second copy is on the topic too: once it is consumed the trail still holds one record.
	time.Sleep(500 * time.Millisecond)
	if n := e.count(CollAuditTrail, bson.D{{Key: "_id", Value: rec.ID}}); n != 1 {
		t.Fatalf("%d copies", n)
	}
}
