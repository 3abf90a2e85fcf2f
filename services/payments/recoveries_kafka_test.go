package payments_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/projection"
	"github.com/entraide/entraide/services/payments/receivable"
	"github.com/entraide/entraide/services/payments/schedule"
	"github.com/entraide/entraide/services/payments/subsidy"
)

// TestReceivablesThroughKafka runs the whole chain on topics of the test's own (kfake, or KAFKA_BROKERS): the
// registry's and the decisions' events, each published twice, reach the projection, the schedules and the
// subsidy; the outbox relay publishes the schedule's schedule.changed (recovery) on the payments topic, where the
// receivables' consumer creates the receivable — once, with the tenant's first OGM; the subsidy knows the
// person's NISS and the decision's PIIS.
func TestReceivablesThroughKafka(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	brokers := testkit.KafkaBrokers(t)
	benTopic, decTopic, payTopic := testkit.Name(t, "cpas.beneficiaries"), testkit.Name(t, "cpas.decisions"), testkit.Name(t, "cpas.payments")
	tctx, tcancel := context.WithTimeout(ctx, 30*time.Second)
	err := events.EnsureTopics(tctx, brokers, events.TopicSpec{Name: benTopic, Partitions: 2, ReplicationFactor: 1},
		events.TopicSpec{Name: decTopic, Partitions: 2, ReplicationFactor: 1}, events.TopicSpec{Name: payTopic, Partitions: 2, ReplicationFactor: 1})
	tcancel()
	if err != nil {
		t.Fatal(err)
	}
	pub := events.NewPublisher(brokers)
	t.Cleanup(func() { _ = pub.Close() })
	relay, err := store.NewRelay(store.RelayConfig{Publisher: pub, Collections: schedule.Collections(e.db),
		TopicFor: func(events.Event) string { return payTopic }, Sweep: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runs := []func(context.Context) error{
		relay.Run,
		projection.Consumer{Repo: e.app.Projection, Brokers: brokers, GroupID: benTopic + "-p", Topic: benTopic}.Run,
		schedule.Consumer{Service: e.app.Schedules, Brokers: brokers, GroupID: decTopic + "-s", Topic: decTopic}.Run,
		subsidy.Consumer{Service: e.app.Subsidy, Brokers: brokers, GroupID: decTopic + "-sub", Topic: decTopic}.Run,
		subsidy.Consumer{Service: e.app.Subsidy, Brokers: brokers, GroupID: benTopic + "-sub", Topic: benTopic}.Run,
		receivable.Consumer{Service: e.app.Receivables, Brokers: brokers, GroupID: payTopic + "-r", Topic: payTopic}.Run,
	}
	done := make(chan error, len(runs))
	for _, run := range runs {
		go func() { done <- run(ctx) }()
	}
	t.Cleanup(func() {
		cancel()
		for range runs {
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("consumer: %v", err)
			}
		}
	})

	const tenant = "jette"
	p, f := uuid.NewString(), uuid.NewString()
	person := e.event(tenant, projection.TypePersonRegistered, "entraide-beneficiaries", p, map[string]any{"person_id": p, "niss": "85071412330",
		"family_name": "Janssens", "given_names": "Piet", "birth_date": "1985-07-14", "sex": "male", "nationality": "BE",
		"residence_status": "belgian", "language": "nl", "address": map[string]any{"street": "Kerkstraat", "number": "3", "postcode": 1090,
			"municipality": "Jette"}})
	file := e.event(tenant, projection.TypeFileOpened, "entraide-beneficiaries", f, map[string]any{"file_id": f, "number": "2026/000950",
		"person_id": p, "assignee": uuid.NewString(), "opened_on": "2026-01-05", "origin": "manual"})
	adopted := e.adopted(tenant, p, f, map[string]any{"start": firstOfMonth(civil.Today(), 0).String(), "piis": true})
	recovery := e.event(tenant, schedule.TypeRecoveryDecided, "entraide-decisions", adopted.Subject, map[string]any{
		"recovery_id": uuid.NewString(), "decision_id": adopted.Subject, "person_id": p, "file_id": f, "kind": "ris",
		"case": "resources_received", "amount_cents": 40000, "period_from": "2026-01-01", "period_to": "2026-01-31",
		"decided_on": civil.Today().String()})
	for range 2 {
		if err := pub.Publish(ctx, benTopic, person, file); err != nil {
			t.Fatal(err)
		}
		if err := pub.Publish(ctx, decTopic, adopted, recovery); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		recs, err := e.app.Receivables.Of(ctx, tenant, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		d, derr := e.app.Subsidy.Decisions.Load(ctx, tenant, adopted.Subject)
		if len(recs) == 1 && derr == nil && d.State.PIIS {
			if recs[0].State.OGM != "000000000101" || recs[0].State.AmountCents != 40000 || recs[0].State.Case != "resources_received" {
				t.Fatalf("receivable %+v", recs[0].State)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not converged: %d receivables, subsidy decision %v", len(recs), derr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // the second copies are handled by now: nothing more may appear
	if n, _ := e.db.Collection(receivable.CollReceivables).CountDocuments(ctx, bson.D{{Key: "tenant", Value: tenant}}); n != 1 {
		t.Fatalf("%d receivables", n)
	}
	acc := newUser(tenant, "accountant")
	for {
		code, b, raw, _ := e.call(acc, "GET", "/v1/subsidy/claims?month="+schedule.MonthKey(civil.Today())+"&form=B", nil, purpose)
		if code != 200 || num(b, "count") != 1 {
			t.Fatalf("B: %d %s", code, raw)
		}
		r := b["rows"].([]any)[0].(map[string]any)
		if r["niss"] == "85071412330" && num(r, "share_percent") == 65 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B row %v", r)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
