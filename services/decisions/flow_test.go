package decisions_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"

	eventschema "github.com/entraide/entraide/api/events"
	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/services/decisions"
	"github.com/entraide/entraide/services/decisions/decision"
)

// flowClock is the services' clock in the full flow: the test moves it from the day the request is received to
// the committee's session and the notification, so that every date check runs as on those days.
type flowClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *flowClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// on sets the clock to hh:mm (Brussels) of day d.
func (c *flowClock) on(d civil.Date, hh, mm int) {
	c.mu.Lock()
	c.t = d.Start().Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
	c.mu.Unlock()
}

// newServedEnv runs the whole service (HTTP, outbox relay to Kafka, consumers) as it runs in production, on an
// embedded FerretDB database and the kfake broker, with the services' clocks on clock.
func newServedEnv(t *testing.T, clock *flowClock) (*env, []string) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	db := testkit.Database(t)
	brokers := testkit.KafkaBrokers(t)
	cfg := decisions.LoadConfig(config.FromMap(map[string]string{"MONGO_DATABASE": db.Name(), "KAFKA_BROKERS": strings.Join(brokers, ",")}))
	ctx, cancel := context.WithCancel(context.Background())
	app, err := decisions.NewAppOnDB(ctx, cfg, slog.New(slog.DiscardHandler), db, authn.NewStaticKeys(pub))
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range []*func() time.Time{&app.Requests.Now, &app.Inquiries.Now, &app.Proposals.Now, &app.Sessions.Now,
		&app.Decisions.Now, &app.Urgent.Now} {
		*set = clock.now
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("serve: %v", err)
		}
	})
	return &env{t: t, app: app, url: "http://" + ln.Addr().String(), priv: priv, kid: authn.KeyID(pub), db: db}, brokers
}

// downstream reads cpas.decisions.v1 as a downstream service would (a consumer group of its own, from the first
// offset) until it has seen each of the wanted event types about subject, and returns them by type.
func downstream(t *testing.T, brokers []string, tenant, subject string, want ...string) map[string]events.Event {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: events.TopicDecisions, GroupID: "flow-test-" + uuid.NewString(),
		StartOffset: kafka.FirstOffset, MaxWait: 200 * time.Millisecond})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	got := map[string]events.Event{}
	for len(got) < len(want) {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("reading %s: %v; seen %d of %v", events.TopicDecisions, err, len(got), want)
		}
		ev, err := events.FromMessage(m)
		if err != nil || ev.Tenant != tenant || ev.Subject != subject {
			continue
		}
		for _, w := range want {
			if ev.Type == w {
				if _, dup := got[w]; dup {
					t.Errorf("%s delivered twice for %s", w, subject)
				}
				got[w] = ev
			}
		}
	}
	return got
}

// TestFullFlowThroughTheAPI walks issue 4's full flow through the HTTP API of the running service: a RIS request
// registered, its social inquiry, the RIS calculation and the worker's proposal, the head's validation, a committee
// session planned, convened, its agenda built, opened without quorum (the vote is refused) then with it after an
// arrival (a convened member reads its items, a member not convened does not), a show-of-hands vote and the
// adoption (retried under its Idempotency-Key: one decision), the session closed, its minutes approved and the
// item's extract printed; another tenant does not see the decision; the decision letter carries every mandatory mention; the notification is
// recorded (retried: once); and the decision.adopted and decision.notified events are read back from Kafka by a
// consumer, as the payments service would, and validated against their schemas.
func TestFullFlowThroughTheAPI(t *testing.T) {
	clock := &flowClock{}
	today := civil.Today()
	received := today.AddDays(-20)
	sessionDay := today.AddDays(-8)
	clock.on(received, 9, 0)
	e, brokers := newServedEnv(t, clock)
	tenant := "flow" + strings.ReplaceAll(uuid.NewString(), "-", "")[:8]
	worker := user{tenant, uuid.NewString(), "social_worker"}
	head := user{tenant, uuid.NewString(), "social_service_head"}
	admin := user{tenant, uuid.NewString(), "tenant_admin"}
	secretary := user{tenant, uuid.NewString(), "committee_secretary"}
	president := user{tenant, uuid.NewString(), "president"}
	m1 := user{tenant, uuid.NewString(), "committee_member"}
	m2 := user{tenant, uuid.NewString(), "committee_member"}
	personID, fileID := e.openFile(tenant, worker.id, "2026/000321")

	// The tenant admin sets the CPAS's address and labour court (the letters need them).
	st, s, raw, h := e.call(admin, "GET", "/v1/settings", nil)
	if st != 200 {
		t.Fatalf("settings: %d %s", st, raw)
	}
	delete(s, "version")
	s["cpas_name"], s["service_name"] = "OCMW Gent", "Sociale dienst"
	s["address"] = map[string]any{"street": "Onderbergen 86", "postal_code": "9000", "city": "Gent"}
	s["labour_court"] = map[string]any{"name": "Arbeidsrechtbank Gent", "division": "afdeling Gent",
		"address": map[string]any{"street": "Opgeëistenlaan 401", "postal_code": "9000", "city": "Gent"}}
	if st, _, raw, _ := e.call(admin, "PUT", "/v1/settings", s, "If-Match: "+h.Get("Etag")); st != 200 {
		t.Fatalf("settings: %d %s", st, raw)
	}

	// The request, received and registered the same day.
	st, rq, raw, _ := e.call(worker, "POST", "/v1/requests", map[string]any{"person_id": personID, "file_id": fileID, "kind": "ris",
		"channel": "in_person", "received_on": received.String()}, "Idempotency-Key: flow-request")
	if st != 201 {
		t.Fatalf("register: %d %s", st, raw)
	}
	requestID := rq["id"].(string)
	requestStatus := func(want string) {
		t.Helper()
		if _, q, raw, _ := e.call(worker, "GET", "/v1/requests/"+requestID, nil, purpose); q["status"] != want {
			t.Fatalf("request status: %s, want %s", raw, want)
		}
	}

	// The social inquiry after the home visit, with the applicant's replacement income.
	clock.on(received.AddDays(2), 10, 0)
	resources := []map[string]any{{"kind": "replacement_income", "period": "yearly", "amount": 360000, "whose": "applicant"}}
	inq := map[string]any{"identity": map[string]any{"checked": true, "document": "eID"},
		"residence": map[string]any{"address": "Kerkstraat 3, 9000 Gent", "home_visit_on": received.AddDays(2).String(), "findings": "Studio"},
		"resources": resources, "needs": "Huur en levensonderhoud", "conditions": allMet("ris"), "conclusion": "Voorwaarden vervuld"}
	if st, _, raw, _ := e.call(worker, "PUT", "/v1/requests/"+requestID+"/inquiry", inq, `If-Match: "0"`); st != 200 {
		t.Fatalf("inquiry: %d %s", st, raw)
	}
	requestStatus("in_inquiry")

	// The RIS calculation (the calculator of the proposal form), then the proposal with its amount.
	clock.on(received.AddDays(4), 11, 0)
	st, calc, raw, _ := e.call(worker, "POST", "/v1/calculations/ris", map[string]any{"category": 1, "from": received.String(),
		"resources": resources, "members": []any{}})
	if st != 200 || calc["monthly"] == nil {
		t.Fatalf("calculation: %d %s", st, raw)
	}
	monthly := calc["monthly"].(float64)
	st, p, raw, h := e.call(worker, "POST", "/v1/requests/"+requestID+"/proposals", map[string]any{"outcome": "granted",
		"legal_basis": "Artikelen 3 en 14 van de wet van 26 mei 2002", "category": 1, "category_justification": "Woont samen met haar zus",
		"monthly_cents": monthly, "start": received.String(), "review": received.AddYears(1).String(), "piis": true,
		"payee": map[string]any{"kind": "beneficiary"}, "motivation": "Onvoldoende bestaansmiddelen, voorwaarden vervuld."},
		"Idempotency-Key: flow-proposal")
	if st != 201 {
		t.Fatalf("proposal: %d %s", st, raw)
	}
	proposalID := p["id"].(string)
	st, _, raw, h = e.call(worker, "POST", "/v1/proposals/"+proposalID+"/submission", nil, "If-Match: "+h.Get("Etag"))
	if st != 200 {
		t.Fatalf("submission: %d %s", st, raw)
	}
	clock.on(received.AddDays(5), 9, 0)
	if st, _, raw, _ := e.call(head, "POST", "/v1/proposals/"+proposalID+"/validation", nil, "If-Match: "+h.Get("Etag")); st != 200 {
		t.Fatalf("validation: %d %s", st, raw)
	}
	requestStatus("proposed")

	// The secretary plans the session, convenes it in time and puts the proposal on its agenda.
	clock.on(received.AddDays(5), 14, 0)
	st, sess, raw, h := e.call(secretary, "POST", "/v1/sessions", map[string]any{"date": sessionDay.String(), "time": "14:00",
		"place": "Raadzaal", "members": []map[string]any{{"user_id": president.id, "role": "president", "name": "Paul Voorzitter"},
			{"user_id": m1.id, "role": "member", "name": "Marie Lid"}, {"user_id": m2.id, "role": "member", "name": "Jan Lid"},
			{"user_id": secretary.id, "role": "secretary", "name": "Sara Secretaris"}}}, "Idempotency-Key: flow-session")
	if st != 201 {
		t.Fatalf("plan: %d %s", st, raw)
	}
	sessionID := sess["id"].(string)
	path := "/v1/sessions/" + sessionID
	step := func(who user, method, p string, body any, want int, headers ...string) map[string]any {
		t.Helper()
		st, out, raw, hh := e.call(who, method, path+p, body, headers...)
		if st != want {
			t.Fatalf("%s %s: %d %s", method, p, st, raw)
		}
		h = hh
		return out
	}
	step(secretary, "POST", "/convocation", map[string]any{}, 200, "If-Match: "+h.Get("Etag"))
	step(secretary, "POST", "/items", map[string]any{"kind": "proposal", "ref": proposalID}, 200, "If-Match: "+h.Get("Etag"))
	item := "/items/" + proposalID

	// The session day: opened with one member present of three voting — no quorum, no vote — until a member arrives.
	clock.on(sessionDay, 14, 5)
	step(secretary, "POST", "/opening", map[string]any{"attendance": map[string]string{president.id: "present", m1.id: "absent",
		m2.id: "excused", secretary.id: "present"}}, 200, "If-Match: "+h.Get("Etag"))
	if st, body, raw, _ := e.call(secretary, "POST", path+item+"/vote", map[string]any{"mode": "show_of_hands"}); st != 409 || body["code"] != "committee.no_quorum" {
		t.Fatalf("vote without quorum: %d %s", st, raw)
	}
	// A member convened to the session sees its items; a member of the committee not convened to it does not.
	if st, _, raw, _ := e.call(m2, "GET", path, nil, purpose); st != 200 || !strings.Contains(string(raw), proposalID) {
		t.Fatalf("convened member: %d %s", st, raw)
	}
	if st, _, _, _ := e.call(user{tenant, uuid.NewString(), "committee_member"}, "GET", path, nil, purpose); st != 404 {
		t.Fatalf("member not convened: %d", st)
	}
	clock.on(sessionDay, 14, 15)
	step(secretary, "POST", "/movements", map[string]any{"user_id": m1.id, "arrived": true}, 200)
	step(secretary, "POST", item+"/vote", map[string]any{"mode": "show_of_hands"}, 200)
	for _, voter := range []user{president, m1} {
		step(secretary, "POST", item+"/ballots", map[string]any{"user_id": voter.id, "choice": "for"}, 200)
	}
	var adopted map[string]any
	for range 2 { // a retried adoption answers the same, and decides once
		adopted = step(secretary, "POST", item+"/outcome", map[string]any{"outcome": "approved"}, 200, "Idempotency-Key: flow-adoption")
	}
	if n := len(adopted["pending_outcomes"].([]any)); n != 0 {
		t.Fatalf("outcome not handed over: %v", adopted["pending_outcomes"])
	}
	clock.on(sessionDay, 16, 0)
	step(secretary, "POST", "/closing", nil, 200, "If-Match: "+h.Get("Etag"))
	step(president, "POST", "/minutes-approval", nil, 200, "If-Match: "+h.Get("Etag"))
	if st, _, raw, _ := e.call(secretary, "GET", path+"/minutes", nil, purpose); st != 200 || !strings.Contains(string(raw), "Raadzaal") {
		t.Fatalf("minutes: %d %.300s", st, raw)
	}
	if st, _, raw, _ := e.call(secretary, "GET", path+item+"/extract.pdf", nil, purpose); st != 200 || !strings.HasPrefix(string(raw), "%PDF") {
		t.Fatalf("extract: %d", st)
	}

	// The decision, adopted on the session's day; the request is decided.
	decisionID := decision.SessionDecisionID(sessionID, proposalID)
	st, d, raw, h := e.call(worker, "GET", "/v1/decisions/"+decisionID, nil, purpose)
	if st != 200 || d["monthly_cents"] != monthly || d["request_id"] != requestID || d["decided_on"] != sessionDay.String() {
		t.Fatalf("decision: %d %s", st, raw)
	}
	requestStatus("decided")
	if st, _, _, _ := e.call(user{"other" + tenant, uuid.NewString(), "social_service_head"}, "GET", "/v1/decisions/"+decisionID, nil, purpose); st != 404 {
		t.Fatalf("another tenant's head reads the decision: %d", st)
	}
	if _, l, _, _ := e.call(head, "GET", "/v1/decisions?request_id="+requestID, nil, purpose); len(l["items"].([]any)) != 1 {
		t.Fatalf("decisions of the request: %v", l)
	}

	// The letter in the beneficiary's language with every mandatory mention, printable and as PDF.
	st, _, raw, _ = e.call(worker, "GET", "/v1/decisions/"+decisionID+"/letter", nil, purpose)
	if st != 200 {
		t.Fatalf("letter: %d %s", st, raw)
	}
	amount := fmt.Sprintf("%d,%02d", int(monthly)/100, int(monthly)%100)
	for _, want := range []string{"Arbeidsrechtbank Gent", "Opgeëistenlaan 401", "drie maanden", "niet opschortend", "2026/000321",
		"Marie Assistante", amount, "Peeters"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the letter lacks %q", want)
		}
	}
	if st, _, raw, _ := e.call(worker, "GET", "/v1/decisions/"+decisionID+"/letter.pdf", nil, purpose); st != 200 || !strings.HasPrefix(string(raw), "%PDF") {
		t.Fatalf("letter pdf: %d", st)
	}

	// The notification by registered letter two days later, retried under its key: recorded once.
	clock.on(sessionDay.AddDays(2), 10, 0)
	notified := sessionDay.AddDays(2).String()
	etag := h.Get("Etag")
	for range 2 {
		st, n, raw, _ := e.call(worker, "POST", "/v1/decisions/"+decisionID+"/notification", map[string]any{"method": "registered_letter",
			"reference": "RR 9876 5432 1BE", "date": notified}, "If-Match: "+etag, "Idempotency-Key: flow-notification")
		if st != 200 || n["status"] != "notified" {
			t.Fatalf("notification: %d %s", st, raw)
		}
	}
	requestStatus("notified")

	// Downstream: the events as the relay published them on cpas.decisions.v1, each valid against its schema.
	got := downstream(t, brokers, tenant, decisionID, decision.TypeAdopted, decision.TypeNotified)
	for typ, ev := range got {
		if err := eventschema.Validate(typ, ev.Data); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
	}
	var ad struct {
		DecisionID   string `json:"decision_id"`
		RequestID    string `json:"request_id"`
		PersonID     string `json:"person_id"`
		FileID       string `json:"file_id"`
		Kind         string `json:"kind"`
		Outcome      string `json:"outcome"`
		Category     int    `json:"category"`
		MonthlyCents int64  `json:"monthly_cents"`
		Start        string `json:"start"`
		Payee        struct {
			Kind string `json:"kind"`
		} `json:"payee"`
	}
	if err := json.Unmarshal(got[decision.TypeAdopted].Data, &ad); err != nil {
		t.Fatal(err)
	}
	if ad.DecisionID != decisionID || ad.RequestID != requestID || ad.PersonID != personID || ad.FileID != fileID || ad.Kind != "ris" ||
		ad.Outcome != "granted" || ad.Category != 1 || ad.MonthlyCents != int64(monthly) || ad.Start != received.String() || ad.Payee.Kind != "beneficiary" {
		t.Errorf("decision.adopted payload %s", got[decision.TypeAdopted].Data)
	}
	var nt struct {
		DecisionID string `json:"decision_id"`
		Method     string `json:"method"`
		NotifiedOn string `json:"notified_on"`
		AppealDue  string `json:"appeal_due"`
	}
	if err := json.Unmarshal(got[decision.TypeNotified].Data, &nt); err != nil {
		t.Fatal(err)
	}
	if nt.DecisionID != decisionID || nt.Method != "registered_letter" || nt.NotifiedOn != notified || nt.AppealDue <= notified {
		t.Errorf("decision.notified payload %s", got[decision.TypeNotified].Data)
	}
	for _, secret := range []string{"Peeters", "Onvoldoende", "RR 9876"} {
		for typ, ev := range got {
			if strings.Contains(string(ev.Data), secret) {
				t.Errorf("%s carries %q", typ, secret)
			}
		}
	}
}
