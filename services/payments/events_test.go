package payments_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/services/payments/internal/xsdcheck"
	"github.com/entraide/entraide/services/payments/projection"
	"github.com/entraide/entraide/services/payments/schedule"
)

// TestSchedulesFedThroughKafka publishes the registry's and the decisions' events on topics of the test's own
// (kfake, or the Kafka of KAFKA_BROKERS) and runs the service's two consumers on them: the instalments appear
// with the payee's account; every event published a second time (the producer's at-least-once) changes nothing.
func TestSchedulesFedThroughKafka(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	brokers := testkit.KafkaBrokers(t)
	benTopic, decTopic := testkit.Name(t, "cpas.beneficiaries"), testkit.Name(t, "cpas.decisions")
	tctx, tcancel := context.WithTimeout(ctx, 30*time.Second)
	err := events.EnsureTopics(tctx, brokers, events.TopicSpec{Name: benTopic, Partitions: 2, ReplicationFactor: 1},
		events.TopicSpec{Name: decTopic, Partitions: 2, ReplicationFactor: 1})
	tcancel()
	if err != nil {
		t.Fatal(err)
	}
	pub := events.NewPublisher(brokers)
	t.Cleanup(func() { _ = pub.Close() })
	done := make(chan error, 2)
	go func() {
		done <- projection.Consumer{Repo: e.app.Projection, Brokers: brokers, GroupID: benTopic + "-g", Topic: benTopic}.Run(ctx)
	}()
	go func() {
		done <- schedule.Consumer{Service: e.app.Schedules, Brokers: brokers, GroupID: decTopic + "-g", Topic: decTopic}.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("consumer: %v", err)
			}
		}
	})

	const tenant = "forest"
	p, f := uuid.NewString(), uuid.NewString()
	person := e.event(tenant, projection.TypePersonRegistered, "entraide-beneficiaries", p, map[string]any{"person_id": p, "niss": nil,
		"family_name": "Janssens", "given_names": "Piet", "birth_date": "1985-07-14", "sex": "male", "nationality": "BE",
		"residence_status": "belgian", "language": "nl", "address": map[string]any{"street": "Kerkstraat", "number": "3", "postcode": 1190,
			"municipality": "Vorst"}})
	account := e.event(tenant, projection.TypeBankAccount, "entraide-beneficiaries", p, map[string]any{"person_id": p,
		"account_id": uuid.NewString(), "holder": "Piet Janssens", "old_iban": nil, "new_iban": "BE68539007547034",
		"payee_name": "Piet Janssens", "effective_at": time.Now().UTC().Format(time.RFC3339)})
	file := e.event(tenant, projection.TypeFileOpened, "entraide-beneficiaries", f, map[string]any{"file_id": f, "number": "2026/000900",
		"person_id": p, "assignee": uuid.NewString(), "opened_on": "2026-01-05", "origin": "manual"})
	adopted := e.adopted(tenant, p, f, map[string]any{"start": firstOfMonth(civil.Today(), -1).String()})
	for range 2 {
		if err := pub.Publish(ctx, benTopic, person, account, file); err != nil {
			t.Fatal(err)
		}
		if err := pub.Publish(ctx, decTopic, adopted); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, _ := e.db.Collection(schedule.CollInstalments).CountDocuments(ctx, bson.D{{Key: "tenant", Value: tenant}})
		payee, perr := e.app.Projection.Payee(ctx, tenant, p)
		if n == 3 && perr == nil && payee.IBAN == "BE68539007547034" && payee.Name() == "Piet Janssens" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not converged: %d instalments, payee %+v %v", n, payee, perr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // the second copies are handled by now or soon: nothing more may appear
	if n, _ := e.db.Collection(schedule.CollInstalments).CountDocuments(ctx, bson.D{{Key: "tenant", Value: tenant}}); n != 3 {
		t.Fatalf("%d instalments", n)
	}
}

// TestPain03ByTenantSetting: a tenant whose bank takes pain.001.001.03 gets a file valid against that schema.
func TestPain03ByTenantSetting(t *testing.T) {
	e := newEnv(t)
	const tenant = "uccle"
	w, acc, fd := newUser(tenant, "social_worker"), newUser(tenant, "accountant"), newUser(tenant, "finance_director")
	e.settings(fd, "pain.001.001.03")
	for i := range 3 {
		p, f := e.beneficiary(tenant, w.id, fmt.Sprintf("2026/00020%d", i), "Chloé", "Müller-Lefèvre", "BE68539007547034")
		e.feed(e.adopted(tenant, p, f, map[string]any{"start": civil.Today().String(), "monthly_cents": 100000 + i}))
	}
	st, body, raw, _ := e.call(acc, "POST", "/v1/runs", map[string]any{"execution_date": civil.Today().String()})
	if st != 201 {
		t.Fatalf("run: %d %s", st, raw)
	}
	id := body["id"].(string)
	if st, _, raw, _ := e.call(fd, "POST", "/v1/runs/"+id+"/approval", nil, `If-Match: "2"`); st != 200 {
		t.Fatalf("approve: %d %s", st, raw)
	}
	st, _, doc, _ := e.call(acc, "POST", "/v1/runs/"+id+"/export", nil)
	if st != 200 {
		t.Fatalf("export: %d %s", st, doc)
	}
	xsdcheck.Validate(t, "pain.001.001.03", doc)
	if !strings.Contains(string(doc), "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03") || !strings.Contains(string(doc), "Chloe Muller-Lefevre") {
		t.Fatalf("file %s", doc)
	}
}

// TestThirdPartyStructuredCommunication: a decision paying a landlord with the structured communication it asks
// for (payee.communication of decision.adopted) gives a file whose remittance is that OGM, structured (SCOR/BBA),
// valid against the schema.
func TestThirdPartyStructuredCommunication(t *testing.T) {
	e := newEnv(t)
	const tenant = "anderlecht"
	w, acc, fd := newUser(tenant, "social_worker"), newUser(tenant, "accountant"), newUser(tenant, "finance_director")
	e.settings(fd, "pain.001.001.09")
	p, f := e.beneficiary(tenant, w.id, "2026/000800", "Yasmine", "Benali", "")
	e.feed(e.adopted(tenant, p, f, map[string]any{"kind": "aide_sociale", "subtype": "rent_guarantee", "category": nil,
		"monthly_cents": 0, "one_off_cents": 180000, "periodicity": "once",
		"payee": map[string]any{"kind": "third_party", "name": "Immo Clémenceau SRL", "iban": "BE05068123456775", "communication": "123456789002"}}))
	st, body, raw, _ := e.call(acc, "POST", "/v1/runs", map[string]any{"execution_date": civil.Today().String()})
	if st != 201 || body["count"].(float64) != 1 {
		t.Fatalf("run: %d %s", st, raw)
	}
	id := body["id"].(string)
	if st, _, raw, _ := e.call(fd, "POST", "/v1/runs/"+id+"/approval", nil, `If-Match: "2"`); st != 200 {
		t.Fatalf("approve: %d %s", st, raw)
	}
	st, _, doc, _ := e.call(acc, "POST", "/v1/runs/"+id+"/export", nil)
	if st != 200 {
		t.Fatalf("export: %d %s", st, doc)
	}
	xsdcheck.Validate(t, "pain.001.001.09", doc)
	for _, want := range []string{"<Ref>123456789002</Ref>", "<Cd>SCOR</Cd>", "<Issr>BBA</Issr>", "Immo Clemenceau SRL"} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("file lacks %q", want)
		}
	}
}
