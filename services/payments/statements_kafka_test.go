package payments_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/reconcile"
)

// TestReconciliationEventsThroughKafka: the events a statement's reconciliation leaves in its outbox documents
// reach the payments topic through the relay (kfake, or KAFKA_BROKERS): three payment.booked, one payment.returned
// and the social worker's task.requested, keyed by the payment; the outbox is emptied.
func TestReconciliationEventsThroughKafka(t *testing.T) {
	e := newEnv(t)
	const tenant = "evere"
	r := e.monthBeforeStatement(tenant)
	d := statementOf(r, 7, 100000000, false, nil)
	if st, _, raw := e.upload(newUser(tenant, "accountant"), d.camt(t, "v08"), "application/xml"); st != 201 {
		t.Fatalf("import: %d %s", st, raw)
	}

	ctx, cancel := context.WithCancel(context.Background())
	brokers := testkit.KafkaBrokers(t)
	topic := testkit.Name(t, "cpas.payments")
	tctx, tcancel := context.WithTimeout(ctx, 30*time.Second)
	err := events.EnsureTopics(tctx, brokers, events.TopicSpec{Name: topic, Partitions: 2, ReplicationFactor: 1})
	tcancel()
	if err != nil {
		t.Fatal(err)
	}
	pub := events.NewPublisher(brokers)
	t.Cleanup(func() { _ = pub.Close() })
	relay, err := store.NewRelay(store.RelayConfig{Publisher: pub, Collections: reconcile.Collections(e.db),
		TopicFor: func(events.Event) string { return topic }, Sweep: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string][]events.Event{}
	done := make(chan error, 2)
	go func() { done <- relay.Run(ctx) }()
	go func() {
		done <- events.Consume(ctx, events.ConsumerConfig{Brokers: brokers, GroupID: topic + "-test", Topic: topic,
			Handler: func(_ context.Context, ev events.Event) error {
				mu.Lock()
				got[ev.Type] = append(got[ev.Type], ev)
				mu.Unlock()
				return nil
			}})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		<-done
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		ok := len(got[reconcile.TypePaymentBooked]) == 3 && len(got[reconcile.TypePaymentReturned]) == 1 && len(got[reconcile.TypeTaskRequested]) == 1
		mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			mu.Lock()
			t.Fatalf("events on the topic: %d booked, %d returned, %d tasks", len(got[reconcile.TypePaymentBooked]),
				len(got[reconcile.TypePaymentReturned]), len(got[reconcile.TypeTaskRequested]))
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	ret, task := got[reconcile.TypePaymentReturned][0], got[reconcile.TypeTaskRequested][0]
	mu.Unlock()
	if ret.Subject != r.Payments[1].ID || task.Subject != r.Payments[1].ID || ret.Tenant != tenant || ret.Source != "entraide-payments" {
		t.Fatalf("returned %+v task %+v", ret, task)
	}
	for time.Now().Before(deadline) {
		n, _ := e.db.Collection(reconcile.CollOutbox).CountDocuments(context.Background(), bson.D{{Key: "outbox.0", Value: bson.D{{Key: "$exists", Value: true}}}})
		if n == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the outbox was not emptied")
}
