package decisions_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	eventschema "github.com/entraide/entraide/api/events"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/services/decisions/decision"
	"github.com/entraide/entraide/services/decisions/projection"
)

// TestReviewConsumerThroughKafka runs the decisions' review consumer on a topic of its own: a household change and
// an identity change of a person with a running RIS (schema-valid, as the registry emits them) each request one
// review task, a redelivered event nothing more, and a change of another person nothing.
func TestReviewConsumerThroughKafka(t *testing.T) {
	fx := newDecisionFixture(t)
	e := fx.e
	id := fx.decide(t, fx.basis(fx.reqNL, fx.pNL, fx.fNL))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	brokers := testkit.KafkaBrokers(t)
	topic := testkit.Name(t, "cpas.beneficiaries")
	tctx, tcancel := context.WithTimeout(ctx, 30*time.Second)
	err := events.EnsureTopics(tctx, brokers, events.TopicSpec{Name: topic, Partitions: 3, ReplicationFactor: 1})
	tcancel()
	if err != nil {
		t.Fatal(err)
	}
	pub := events.NewPublisher(brokers)
	t.Cleanup(func() { _ = pub.Close() })
	done := make(chan error, 1)
	go func() {
		done <- decision.ReviewConsumer{Service: e.app.Decisions, Brokers: brokers, GroupID: topic + "-reviews", Topic: topic}.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("consumer: %v", err)
		}
	})
	event := func(typ, person string, data map[string]any) events.Event {
		ev, err := events.New(typ, "entraide-beneficiaries", "gent", person, uuid.NewString(), data)
		if err != nil {
			t.Fatal(err)
		}
		if err := eventschema.Validate(typ, ev.Data); err != nil {
			t.Fatalf("fixture %s: %v", typ, err)
		}
		return ev
	}
	household := event(decision.TypeHouseholdChanged, fx.pNL, map[string]any{"person_id": fx.pNL,
		"members":  []map[string]any{{"person_id": uuid.NewString(), "relation": "spouse", "dependent": false, "married": true, "valid_from": "2026-01-01"}},
		"proposal": map[string]any{"date": "2026-01-01", "category": 1}})
	updated := event(projection.TypePersonUpdated, fx.pNL, map[string]any{"person_id": fx.pNL, "niss": nil, "family_name": "Peeters",
		"given_names": "An", "birth_date": "1985-07-14", "sex": "female", "nationality": "BE", "residence_status": "belgian",
		"language": "nl", "address": map[string]any{"street": "Kerkstraat", "number": "5", "postcode": 9000, "municipality": "Gent"}})
	other := event(decision.TypeHouseholdChanged, fx.pFR, map[string]any{"person_id": fx.pFR, "members": []map[string]any{},
		"proposal": map[string]any{"date": "2026-01-01", "category": 2}})
	if err := pub.Publish(ctx, topic, household, updated, household, other); err != nil {
		t.Fatal(err)
	}
	count := func(decisionID string) int {
		n := 0
		for _, en := range fx.outbox(t, decisionID) {
			if en.Type == decision.TypeTaskRequested && strings.Contains(en.Data, decision.TaskChangeReview) {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(60 * time.Second)
	for count(id) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d change tasks after a minute", count(id))
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // the redelivered event and the other person's change have been read by now
	if n := count(id); n != 2 {
		t.Fatalf("%d change tasks, want 2", n)
	}
}
