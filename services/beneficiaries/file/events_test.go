package file_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	eventschema "github.com/entraide/entraide/api/events"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/beneficiaries/document"
	"github.com/entraide/entraide/services/beneficiaries/file"
	"github.com/entraide/entraide/services/beneficiaries/internal/apitest"
)

// outbox returns the events waiting in a collection's outboxes (no brokers in the test env: nothing is relayed).
func outbox(t *testing.T, coll *mongo.Collection) []events.Event {
	t.Helper()
	cur, err := coll.Find(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		Outbox []store.OutboxEntry `bson:"outbox"`
	}
	if err := cur.All(context.Background(), &docs); err != nil {
		t.Fatal(err)
	}
	var out []events.Event
	for _, d := range docs {
		for _, o := range d.Outbox {
			out = append(out, o.Event())
		}
	}
	return out
}

// TestEventsValidateAgainstSchemas runs a file's life (open, reassign, close, a document) and validates every
// event emitted against its schema in api/events; none carries a name or a note.
func TestEventsValidateAgainstSchemas(t *testing.T) {
	e := apitest.New(t, nil)
	_, south := teams(t, e)
	p := e.RegisterPerson(workerA, 1, "Vandenberghe")
	id := open(t, e, workerA, p).Str("id")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("type", "lease")
	w, _ := mw.CreateFormFile("file", "bail Vandenberghe.pdf")
	_, _ = w.Write([]byte("%PDF-1.4 bail"))
	_ = mw.Close()
	if a := e.Call(workerA, "POST", "/v1/files/"+id+"/documents", &apitest.Raw{ContentType: mw.FormDataContentType(), Body: buf.Bytes()}); a.Status != 201 {
		t.Fatalf("upload: %s", a.Raw)
	}
	if a := e.Call(headA, "POST", "/v1/files/"+id+"/assignment", map[string]any{"assignee": workerC.ID, "team_id": south}, `If-Match: "1"`); a.Status != 200 {
		t.Fatalf("reassign: %s", a.Raw)
	}
	if a := e.Call(workerC, "POST", "/v1/files/"+id+"/closure", map[string]any{"reason": "other", "note": "Déménagement chez sa fille Vandenberghe"}, `If-Match: "2"`); a.Status != 200 {
		t.Fatalf("close: %s", a.Raw)
	}
	evs := append(outbox(t, e.DB.Collection(file.CollFiles)), outbox(t, e.DB.Collection(document.CollDocuments))...)
	seen := map[string]int{}
	for _, ev := range evs {
		seen[ev.Type]++
		if err := eventschema.Validate(ev.Type, ev.Data); err != nil {
			t.Errorf("%s: %v\n%s", ev.Type, err, ev.Data)
		}
		if strings.Contains(string(ev.Data), "Vandenberghe") || strings.Contains(string(ev.Data), "Déménagement") {
			t.Errorf("%s carries personal data: %s", ev.Type, ev.Data)
		}
		if ev.Source != file.EventSource || ev.Tenant != "cpas-a" || ev.CorrelationID == "" {
			t.Errorf("attributes of %s: %+v", ev.Type, ev)
		}
	}
	for _, typ := range []string{file.EventFileOpened, file.EventFileAssigned, file.EventFileClosed, document.EventDocumentAdded} {
		if seen[typ] != 1 {
			t.Errorf("%s emitted %d times", typ, seen[typ])
		}
	}
	// The schemas refuse what they must: a closed event with a note, an opened one without a number.
	bad := map[string]string{
		file.EventFileClosed: `{"file_id":"` + id + `","number":"2026/000001","closed_on":"2026-01-01","reason":"other","person_ids":["` + p + `"],"note":"x"}`,
		file.EventFileOpened: `{"file_id":"` + id + `","person_id":"` + p + `","assignee":"u","opened_on":"2026-01-01","origin":"manual"}`,
	}
	for typ, data := range bad {
		if eventschema.Validate(typ, []byte(data)) == nil {
			t.Errorf("%s schema accepted %s", typ, data)
		}
	}
}

// TestTeamEventsTellEveryChange creates, updates and deletes a team: each change leaves a team.changed event in
// the team document's outbox (kept by the deletion's tombstone) with the whole team and its version, valid
// against the schema; the deleted team is gone from the API and its name is free again.
func TestTeamEventsTellEveryChange(t *testing.T) {
	e := apitest.New(t, nil)
	c := e.Call(headA, "POST", "/v1/teams", map[string]any{"name": "Ouest", "members": []string{workerA.ID, worker2A.ID}})
	if c.Status != 201 {
		t.Fatalf("create: %d %s", c.Status, c.Raw)
	}
	id := c.Str("id")
	if a := e.Call(headA, "PUT", "/v1/teams/"+id, map[string]any{"name": "Ouest", "members": []string{workerC.ID}}, `If-Match: "1"`); a.Status != 200 {
		t.Fatalf("update: %d %s", a.Status, a.Raw)
	}
	if a := e.Call(headA, "DELETE", "/v1/teams/"+id, nil, `If-Match: "2"`); a.Status != 204 {
		t.Fatalf("delete: %d %s", a.Status, a.Raw)
	}
	want := []file.TeamChangedData{
		{TeamID: id, Name: "Ouest", Members: []string{workerA.ID, worker2A.ID}, Version: 1},
		{TeamID: id, Name: "Ouest", Members: []string{workerC.ID}, Version: 2},
		{TeamID: id, Members: []string{}, Deleted: true, Version: 3},
	}
	evs := outbox(t, e.DB.Collection(file.CollTeams))
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d", len(evs), len(want))
	}
	for i, ev := range evs {
		if ev.Type != file.EventTeamChanged || ev.Subject != id || ev.Tenant != "cpas-a" || ev.Source != file.EventSource || ev.CorrelationID == "" {
			t.Errorf("event %d attributes: %+v", i, ev)
		}
		if err := eventschema.Validate(ev.Type, ev.Data); err != nil {
			t.Errorf("event %d: %v\n%s", i, err, ev.Data)
		}
		var got file.TeamChangedData
		if err := json.Unmarshal(ev.Data, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("event %d: %+v, want %+v", i, got, want[i])
		}
	}
	if a := e.Call(headA, "GET", "/v1/teams/"+id, nil); a.Status != 404 {
		t.Errorf("deleted team read: %d", a.Status)
	}
	if a := e.Call(headA, "GET", "/v1/teams", nil); a.Status != 200 || len(a.Items()) != 0 {
		t.Errorf("teams after deletion: %d %s", a.Status, a.Raw)
	}
	if a := e.Call(headA, "PUT", "/v1/teams/"+id, map[string]any{"name": "Ouest", "members": []string{}}, `If-Match: "3"`); a.Status != 404 {
		t.Errorf("update of a deleted team: %d %s", a.Status, a.Raw)
	}
	if a := e.Call(headA, "POST", "/v1/teams", map[string]any{"name": "Ouest", "members": []string{}}); a.Status != 201 {
		t.Errorf("name of a deleted team reused: %d %s", a.Status, a.Raw)
	}
	// The schema refuses a deleted team that keeps members, and a live one without a name.
	for _, data := range []string{
		`{"team_id":"` + id + `","members":["u"],"deleted":true,"version":3}`,
		`{"team_id":"` + id + `","members":[],"deleted":false,"version":1}`,
	} {
		if eventschema.Validate(file.EventTeamChanged, []byte(data)) == nil {
			t.Errorf("schema accepted %s", data)
		}
	}
}

// taskEvent builds a task request as the payments service would publish it.
func taskEvent(t *testing.T, tenant, subject string, data any) events.Event {
	t.Helper()
	ev, err := events.New("be.cpas.payments.task.requested.v1", "entraide-payments", tenant, subject, "corr-"+subject, data)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestTasksFromKafkaExactlyOnceAndCaseload publishes task requests on a topic consumed by the task consumer:
// a redelivered event and a second event with the same task id make one task; a malformed request and one
// naming another tenant's file go to the dead-letter topic; the caseload shows the open tasks, and a task is
// marked done once.
func TestTasksFromKafkaExactlyOnceAndCaseload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	e := apitest.New(t, nil)
	teams(t, e)
	p := e.RegisterPerson(workerA, 1, "Lambert")
	opened := open(t, e, workerA, p)
	id := opened.Str("id")
	if a := e.Call(workerA, "POST", "/v1/files/"+id+"/journal", map[string]any{"text": "Visite.", "date": civil.Today().AddDays(-10).String()}); a.Status != 201 {
		t.Fatal(a.Status)
	}
	if a := e.Call(workerA, "POST", "/v1/files/"+id+"/journal", map[string]any{"text": "Santé.", "confidentiality": "restricted"}); a.Status != 201 {
		t.Fatal(a.Status)
	}
	pB := e.RegisterPerson(workerB, 1, "Autre")
	fileB := open(t, e, workerB, pB).Str("id")

	brokers := testkit.KafkaBrokers(t)
	topic := testkit.Name(t, "payments")
	if err := events.EnsureTopics(ctx, brokers, events.TopicSpec{Name: topic, Partitions: 2, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	account := uuid.NewString()
	good := taskEvent(t, "cpas-a", "payment-1", map[string]any{"task_id": account, "file_id": id, "kind": "provide_valid_account",
		"title_fr": "Obtenir un compte bancaire valide", "title_nl": "Een geldige bankrekening bekomen", "due_date": "2026-06-30"})
	sameTask := taskEvent(t, "cpas-a", "payment-1", map[string]any{"task_id": account, "file_id": id, "kind": "provide_valid_account",
		"title_fr": "Obtenir un compte bancaire valide", "title_nl": "Een geldige bankrekening bekomen"})
	byPerson := taskEvent(t, "cpas-a", "payment-2", map[string]any{"task_id": uuid.NewString(), "person_id": p, "kind": "check_address",
		"title_fr": "Vérifier l'adresse", "title_nl": "Adres nakijken"})
	malformed := taskEvent(t, "cpas-a", "payment-3", map[string]any{"task_id": uuid.NewString(), "file_id": id, "kind": "Bad Kind"})
	foreign := taskEvent(t, "cpas-a", "payment-4", map[string]any{"task_id": uuid.NewString(), "file_id": fileB, "kind": "x",
		"title_fr": "x", "title_nl": "x"})
	other, _ := events.New("be.cpas.payments.payment.booked.v1", "entraide-payments", "cpas-a", "payment-5", "c", map[string]any{"amount": 1})
	for _, s := range []EventCheck{
		{good, "schema"}, {sameTask, "schema"}, {byPerson, "schema"}, {malformed, "no schema"},
	} {
		err := eventschema.Validate(s.ev.Type, s.ev.Data)
		if (err == nil) != (s.want == "schema") {
			t.Errorf("task schema on %s: %v", s.ev.Data, err)
		}
	}
	pub := events.NewPublisher(brokers)
	defer pub.Close()
	// The good event is published twice (a redelivery), then the same task under another event id.
	if err := pub.Publish(ctx, topic, good, good, sameTask, byPerson, malformed, foreign, other); err != nil {
		t.Fatal(err)
	}
	group := testkit.Name(t, "tasks")
	cctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- events.Consume(cctx, events.ConsumerConfig{Brokers: brokers, GroupID: group, Topic: topic,
			Handler: e.App.Files.Tasks.Handle, BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond})
	}()
	dlq := readDLQ(t, ctx, brokers, events.DLQ(topic), 2)
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !dlq[malformed.ID] || !dlq[foreign.ID] {
		t.Fatalf("dead letters: %v", dlq)
	}
	if n := e.Count(file.CollTasks, nil); n != 2 {
		t.Fatalf("%d tasks stored, want 2", n)
	}

	// The caseload: the worker's open file with the person's name, the last journal date they may see, the tasks.
	cl := e.Call(workerA, "GET", "/v1/caseload", nil)
	if cl.Status != 200 || len(cl.Items()) != 1 {
		t.Fatalf("caseload: %d %s", cl.Status, cl.Raw)
	}
	item := cl.Items()[0]
	if item["number"] != opened.Str("number") || !strings.Contains(item["person_name"].(string), "Lambert") || item["last_note_on"] != civil.Today().String() {
		t.Fatalf("caseload item: %v", item)
	}
	tasks := item["tasks"].([]any)
	if len(tasks) != 2 {
		t.Fatalf("tasks: %v", tasks)
	}
	// The team colleague sees the file's tasks, but not the restricted note's date.
	cl2 := e.Call(worker2A, "GET", "/v1/caseload", nil)
	if len(cl2.Items()) != 1 || cl2.Items()[0]["last_note_on"] != civil.Today().AddDays(-10).String() {
		t.Fatalf("colleague's caseload: %s", cl2.Raw)
	}
	if a := e.Call(workerC, "GET", "/v1/caseload", nil); a.Status != 200 || len(a.Items()) != 0 {
		t.Fatalf("other team's caseload: %s", a.Raw)
	}

	if a := e.Call(workerC, "POST", "/v1/tasks/"+account+"/done", nil, `If-Match: "1"`); a.Status != 404 {
		t.Fatalf("other team completes the task: %d", a.Status)
	}
	if a := e.Call(workerB, "POST", "/v1/tasks/"+account+"/done", nil, `If-Match: "1"`); a.Status != 404 {
		t.Fatalf("other tenant completes the task: %d", a.Status)
	}
	if a := e.Call(workerA, "POST", "/v1/tasks/"+account+"/done", nil); a.Status != 428 {
		t.Fatalf("done without If-Match: %d", a.Status)
	}
	doneA := e.Call(worker2A, "POST", "/v1/tasks/"+account+"/done", nil, `If-Match: "1"`)
	if doneA.Status != 200 || doneA.Str("status") != "done" || doneA.Str("done_by") != worker2A.ID {
		t.Fatalf("done: %d %s", doneA.Status, doneA.Raw)
	}
	if a := e.Call(workerA, "GET", "/v1/caseload", nil); len(a.Items()[0]["tasks"].([]any)) != 1 {
		t.Fatalf("caseload after done: %s", a.Raw)
	}
	// A redelivery after completion does not reopen it.
	if err := e.App.Files.Tasks.Handle(ctx, good); err != nil {
		t.Fatal(err)
	}
	if a := e.Call(workerA, "GET", "/v1/caseload", nil); len(a.Items()[0]["tasks"].([]any)) != 1 {
		t.Fatalf("redelivery reopened the task: %s", a.Raw)
	}
}

// EventCheck pairs an event with whether its payload should satisfy the task schema.
type EventCheck struct {
	ev   events.Event
	want string
}

// readDLQ reads the dead-letter topic until it holds n messages and returns their event ids.
func readDLQ(t *testing.T, ctx context.Context, brokers []string, topic string, n int) map[string]bool {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, GroupID: testkit.Name(t, "dlq-reader"),
		StartOffset: kafka.FirstOffset, MaxWait: 1500 * time.Millisecond})
	defer r.Close()
	got := map[string]bool{}
	for len(got) < n {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("dead-letter topic: %v (got %v)", err, got)
		}
		for _, h := range m.Headers {
			if h.Key == events.HeaderID {
				got[string(h.Value)] = true
			}
		}
	}
	return got
}
