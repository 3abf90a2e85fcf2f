package projection_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"
	"go.mongodb.org/mongo-driver/v2/bson"

	eventschema "github.com/entraide/entraide/api/events"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/services/decisions/projection"
)

// beneficiaryEvent builds an event as the beneficiaries service emits it; valid ones are checked against the
// contract in api/events, so the test feeds what the producer really sends.
func beneficiaryEvent(t *testing.T, typ, tenant, subject string, data any, valid bool) events.Event {
	t.Helper()
	e, err := events.New(typ, "entraide-beneficiaries", tenant, subject, uuid.NewString(), data)
	if err != nil {
		t.Fatal(err)
	}
	if err := eventschema.Validate(typ, e.Data); (err == nil) != valid {
		t.Fatalf("%s fixture: schema says %v, want valid=%v", typ, err, valid)
	}
	return e
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok, got := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached, last %s", what, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestProjectionFedThroughKafka publishes beneficiaries events on a topic of its own and runs the projection's
// consumer on it: the projection converges, a malformed event is parked in <topic>.dlq (the consumer goes on),
// and a redelivered event changes nothing.
func TestProjectionFedThroughKafka(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := testkit.Database(t)
	if err := projection.EnsureIndexes(ctx, db); err != nil {
		t.Fatal(err)
	}
	repo := projection.NewRepository(db)
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
		done <- projection.Consumer{Repo: repo, Brokers: brokers, GroupID: topic + "-group", Topic: topic}.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("consumer: %v", err)
		}
	})

	const tenant = "gent"
	person, file, w1, w2 := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	registered := beneficiaryEvent(t, projection.TypePersonRegistered, tenant, person, map[string]any{"person_id": person,
		"niss": nil, "family_name": "Peeters", "given_names": "An", "birth_date": "1985-07-14", "sex": "female",
		"nationality": "BE", "residence_status": "belgian", "language": "nl",
		"address": map[string]any{"street": "Kerkstraat", "number": "3", "postcode": 9000, "municipality": "Gent"}}, true)
	opened := beneficiaryEvent(t, projection.TypeFileOpened, tenant, file, map[string]any{"file_id": file, "number": "2026/000007",
		"person_id": person, "assignee": w1, "opened_on": "2026-01-05", "origin": "manual"}, true)
	assigned := beneficiaryEvent(t, projection.TypeFileAssigned, tenant, file, map[string]any{"file_id": file, "number": "2026/000007",
		"assignee": w2, "previous_assignee": w1}, true)
	malformed := beneficiaryEvent(t, projection.TypePersonRegistered, tenant, uuid.NewString(),
		map[string]any{"family_name": "Janssens"}, false)

	if err := pub.Publish(ctx, topic, registered, malformed, opened, assigned); err != nil {
		t.Fatal(err)
	}

	t.Run("the projection converges", func(t *testing.T) {
		eventually(t, "file assigned to w2", func() (bool, string) {
			f, err := repo.File(ctx, tenant, file)
			return err == nil && f.Assignee == w2 && f.Open && f.PersonID == person && f.Number == "2026/000007",
				"err " + errString(err) + " assignee " + f.Assignee
		})
		eventually(t, "person projected", func() (bool, string) {
			p, err := repo.Person(ctx, tenant, person)
			return err == nil && p.DisplayName() == "An Peeters" && p.Language == "nl" && p.Address != nil && p.Address.Postcode == 9000,
				"err " + errString(err)
		})
		ids, err := repo.WorkerFileIDs(ctx, tenant, w2)
		if err != nil || len(ids) != 1 || ids[0] != file {
			t.Fatalf("w2's files %v %v", ids, err)
		}
		if ids, _ := repo.WorkerFileIDs(ctx, tenant, w1); len(ids) != 0 {
			t.Fatalf("w1 still sees %v", ids)
		}
		if _, err := repo.File(ctx, "liege", file); !errors.Is(err, projection.ErrNotFound) {
			t.Fatalf("other tenant reads the file: %v", err)
		}
	})

	t.Run("a malformed event lands in the dlq", func(t *testing.T) {
		rctx, rcancel := context.WithTimeout(ctx, 60*time.Second)
		defer rcancel()
		var got []kafka.Message
		for p := range 3 {
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: events.DLQ(topic), Partition: p, MaxWait: 100 * time.Millisecond})
			if err := r.SetOffset(kafka.FirstOffset); err != nil {
				t.Fatal(err)
			}
			pctx, pcancel := context.WithTimeout(rctx, 3*time.Second)
			for {
				m, err := r.ReadMessage(pctx)
				if err != nil {
					break
				}
				got = append(got, m)
			}
			pcancel()
			_ = r.Close()
		}
		if len(got) != 1 {
			t.Fatalf("%d messages in the dlq, want the malformed one only", len(got))
		}
		e, err := events.FromMessage(got[0])
		if err != nil || e.ID != malformed.ID {
			t.Fatalf("dlq holds %q (%v), want %q", e.ID, err, malformed.ID)
		}
		reason := ""
		for _, h := range got[0].Headers {
			if h.Key == events.HeaderDLQReason {
				reason = string(h.Value)
			}
		}
		if !strings.Contains(reason, "malformed") || strings.Contains(reason, "Janssens") {
			t.Errorf("dlq reason %q", reason)
		}
		if _, err := repo.Person(ctx, tenant, malformed.Subject); !errors.Is(err, projection.ErrNotFound) {
			t.Errorf("malformed person projected: %v", err)
		}
	})

	t.Run("a redelivered event changes nothing", func(t *testing.T) {
		before, err := repo.File(ctx, tenant, file)
		if err != nil {
			t.Fatal(err)
		}
		// The opening (assignee w1) comes again, then a closing of the same file as a barrier: one key, one
		// partition, so once the closing is applied the redelivery has been handled.
		closed := beneficiaryEvent(t, projection.TypeFileClosed, tenant, file, map[string]any{"file_id": file, "number": "2026/000007",
			"closed_on": "2026-03-01", "reason": "aid_ended", "person_ids": []string{person}}, true)
		if err := pub.Publish(ctx, topic, opened, registered, closed); err != nil {
			t.Fatal(err)
		}
		eventually(t, "file closed", func() (bool, string) {
			f, err := repo.File(ctx, tenant, file)
			return err == nil && !f.Open, "err " + errString(err)
		})
		after, _ := repo.File(ctx, tenant, file)
		if after.Assignee != w2 || after.PersonID != before.PersonID || after.Number != before.Number {
			t.Fatalf("redelivery changed the file: before %+v after %+v", before, after)
		}
		n, err := db.Collection(projection.CollProcessed).CountDocuments(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		if n != 4 { // registered, opened, assigned, closed: once each
			t.Fatalf("%d processed marks, want 4", n)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
