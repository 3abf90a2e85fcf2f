package decisions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	eventschema "github.com/entraide/entraide/api/events"
	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/session"
)

// committee is a tenant's committee for the API tests: a secretary, a president, members, and a social worker
// whose requests the president decides urgently.
type committeeUsers struct {
	tenant    string
	secretary user
	president user
	members   []user
	worker    user
}

func newCommittee(tenant string, members int) committeeUsers {
	c := committeeUsers{tenant: tenant, secretary: user{tenant, uuid.NewString(), "committee_secretary"},
		president: user{tenant, uuid.NewString(), "president"}, worker: user{tenant, uuid.NewString(), "social_worker"}}
	for range members {
		c.members = append(c.members, user{tenant, uuid.NewString(), "committee_member"})
	}
	return c
}

const decisionPurpose = "X-Purpose: decision_preparation"

func etag(h http.Header) string { return "If-Match: " + h.Get("Etag") }

// plan plans and convenes a session in ten days with the committee; returns its id and ETag header.
func (e *env) plan(c committeeUsers) (string, string) {
	e.t.Helper()
	members := []map[string]any{{"user_id": c.president.id, "role": "president", "name": "Paula Président"},
		{"user_id": c.secretary.id, "role": "secretary", "name": "Serge Secrétaire"}}
	for i, m := range c.members {
		members = append(members, map[string]any{"user_id": m.id, "role": "member", "name": fmt.Sprintf("Membre %d", i+1)})
	}
	st, body, raw, h := e.call(c.secretary, "POST", "/v1/sessions", map[string]any{"date": civil.Today().AddDays(10).String(),
		"time": "14:00", "place": "Salle du conseil", "members": members})
	if st != 201 {
		e.t.Fatalf("plan: %d %s", st, raw)
	}
	id := body["id"].(string)
	st, _, raw, h = e.call(c.secretary, "POST", "/v1/sessions/"+id+"/convocation", map[string]any{}, etag(h))
	if st != 200 {
		e.t.Fatalf("convene: %d %s", st, raw)
	}
	return id, etag(h)
}

// urgentDecision registers a request on a file of the worker and has the president decide it urgently.
func (e *env) urgentDecision(c committeeUsers) string {
	e.t.Helper()
	p, f := e.openFile(c.tenant, c.worker.id, "2026/"+uuid.NewString()[:6])
	st, body, raw, _ := e.call(c.worker, "POST", "/v1/requests", map[string]any{"person_id": p, "file_id": f, "kind": "aide_sociale",
		"subtype": "energy", "channel": "in_person", "received_on": civil.Today().String()})
	if st != 201 {
		e.t.Fatalf("register: %d %s", st, raw)
	}
	today := civil.Today()
	st, body, raw, _ = e.call(c.president, "POST", "/v1/urgent-decisions", map[string]any{"request_number": body["number"],
		"monthly_amount_cents": 25000, "start": today.String(), "end": today.AddDays(30).String(),
		"motivation": "Coupure d'énergie imminente"}, "Idempotency-Key: "+uuid.NewString())
	if st != 201 {
		e.t.Fatalf("urgent decision: %d %s", st, raw)
	}
	return body["id"].(string)
}

func (e *env) addItem(c committeeUsers, id, match, kind, ref string) string {
	e.t.Helper()
	st, _, raw, h := e.call(c.secretary, "POST", "/v1/sessions/"+id+"/items", map[string]any{"kind": kind, "ref": ref}, match)
	if st != 200 {
		e.t.Fatalf("add item: %d %s", st, raw)
	}
	return etag(h)
}

func (e *env) open(c committeeUsers, id, match string, present ...user) string {
	e.t.Helper()
	att := map[string]string{c.secretary.id: "present", c.president.id: "excused"}
	for _, m := range c.members {
		att[m.id] = "excused"
	}
	for _, p := range present {
		att[p.id] = "present"
	}
	// The sessions of e.plan are held ten days ahead: the committee's clock moves to that day for the opening only.
	e.sessionClock.Store(int64(10 * 24 * time.Hour))
	st, _, raw, h := e.call(c.secretary, "POST", "/v1/sessions/"+id+"/opening", map[string]any{"attendance": att}, match)
	e.sessionClock.Store(0)
	if st != 200 {
		e.t.Fatalf("open: %d %s", st, raw)
	}
	return etag(h)
}

func problemCode(body map[string]any) string {
	if c, ok := body["code"].(string); ok {
		return c
	}
	return fmt.Sprint(body["errors"])
}

// TestSessionWithoutQuorumCannotAdopt: a vote cannot open without quorum, and an item whose vote lost its quorum
// cannot be adopted (nor rejected); nothing is written; postponing is what is left.
func TestSessionWithoutQuorumCannotAdopt(t *testing.T) {
	e := newEnv(t)
	c := newCommittee("gent", 4) // 5 voting members: the quorum is 3
	u := e.urgentDecision(c)
	id, m := e.plan(c)
	m = e.addItem(c, id, m, "ratification", u)
	e.open(c, id, m, c.president, c.members[0])
	items := "/v1/sessions/" + id + "/items/" + u
	st, body, raw, _ := e.call(c.secretary, "POST", items+"/vote", map[string]any{"mode": "show_of_hands"})
	if st != 409 || problemCode(body) != "committee.no_quorum" || !strings.Contains(body["detail"].(string), "quorum") {
		t.Fatalf("vote without quorum: %d %s", st, raw)
	}
	st, body, raw, _ = e.call(c.secretary, "POST", items+"/outcome", map[string]any{"outcome": "approved"}, "Idempotency-Key: "+uuid.NewString())
	if st != 409 || problemCode(body) != "committee.vote_not_started" {
		t.Fatalf("adopt without vote: %d %s", st, raw)
	}
	// A third member arrives: the vote opens and is cast; the member leaves before the outcome.
	if st, _, raw, _ := e.call(c.secretary, "POST", "/v1/sessions/"+id+"/movements", map[string]any{"user_id": c.members[1].id, "arrived": true}); st != 200 {
		t.Fatalf("arrival: %d %s", st, raw)
	}
	if st, _, raw, _ := e.call(c.secretary, "POST", items+"/vote", map[string]any{"mode": "secret"}); st != 200 {
		t.Fatalf("vote: %d %s", st, raw)
	}
	for _, v := range []user{c.president, c.members[0], c.members[1]} {
		if st, _, raw, _ := e.call(v, "POST", items+"/ballots", map[string]any{"choice": "for"}); st != 200 {
			t.Fatalf("ballot: %d %s", st, raw)
		}
	}
	if st, _, raw, _ := e.call(c.secretary, "POST", "/v1/sessions/"+id+"/movements", map[string]any{"user_id": c.members[1].id, "arrived": false}); st != 200 {
		t.Fatalf("departure: %d %s", st, raw)
	}
	for _, o := range []string{"approved", "rejected"} {
		st, body, raw, _ = e.call(c.secretary, "POST", items+"/outcome", map[string]any{"outcome": o}, "Idempotency-Key: "+uuid.NewString())
		if st != 409 || problemCode(body) != "committee.no_quorum" {
			t.Fatalf("%s without quorum: %d %s", o, st, raw)
		}
	}
	_, body, _, _ = e.call(c.secretary, "GET", "/v1/sessions/"+id, nil, decisionPurpose)
	it := body["items"].([]any)[0].(map[string]any)
	if it["outcome"] != nil || len(body["pending_outcomes"].([]any)) != 0 {
		t.Fatalf("an outcome was written: %v", it)
	}
	st, body, raw, _ = e.call(c.secretary, "POST", items+"/outcome", map[string]any{"outcome": "postponed", "reason": "quorum perdu"}, "Idempotency-Key: "+uuid.NewString())
	if st != 200 || body["items"].([]any)[0].(map[string]any)["outcome"] != "postponed" {
		t.Fatalf("postpone: %d %s", st, raw)
	}
}

// TestSessionItemsOnlyForConvenedMembers: a member convened to session A reads A (from the convocation) and
// votes there, never session B: 404 like a missing session, audited as a refusal; the president's and the
// secretary's steps are refused to a member by the policy (403, audited).
func TestSessionItemsOnlyForConvenedMembers(t *testing.T) {
	e := newEnv(t)
	a := newCommittee("gent", 2)
	b := newCommittee("gent", 2)
	b.secretary = a.secretary
	idA, _ := e.plan(a)
	idB, _ := e.plan(b)
	member := a.members[0]
	if st, _, raw, _ := e.call(member, "GET", "/v1/sessions/"+idA, nil, decisionPurpose); st != 200 {
		t.Fatalf("member reads A: %d %s", st, raw)
	}
	st, _, raw, _ := e.call(member, "GET", "/v1/sessions/"+idB, nil, decisionPurpose)
	if st != 404 {
		t.Fatalf("member reads B: %d %s", st, raw)
	}
	if st, _, _, _ := e.call(member, "POST", "/v1/sessions/"+idB+"/items/"+uuid.NewString()+"/ballots", map[string]any{"choice": "for"}); st != 404 {
		t.Fatalf("member votes in B: %d", st)
	}
	if st, _, _, _ := e.call(member, "GET", "/v1/sessions/"+idB+"/minutes", nil, decisionPurpose); st != 404 {
		t.Fatalf("member reads B's minutes: %d", st)
	}
	_, body, _, _ := e.call(member, "GET", "/v1/me/sessions", nil, decisionPurpose)
	if items := body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != idA || items[0].(map[string]any)["role"] != "member" {
		t.Fatalf("member's sessions: %v", body)
	}
	_, body, _, _ = e.call(member, "GET", "/v1/sessions", nil, decisionPurpose)
	if items := body["items"].([]any); len(items) != 1 {
		t.Fatalf("member lists %d sessions", len(items))
	}
	if st, _, _, _ := e.call(member, "POST", "/v1/sessions/"+idA+"/closing", nil, `If-Match: "1"`); st != 403 {
		t.Fatalf("member closes: %d", st)
	}
	if st, _, _, _ := e.call(member, "GET", "/v1/sessions/"+idA, nil); st != 422 {
		t.Fatalf("read without purpose: %d", st)
	}
	// The refusals are in the audit trail.
	ctx := context.Background()
	n, err := e.db.Collection(audit.CollectionName).CountDocuments(ctx, bson.D{{Key: "actor_id", Value: member.id},
		{Key: "resource_id", Value: idB}, {Key: "outcome", Value: audit.OutcomeDenied}})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Fatalf("%d denied records for B", n)
	}
	if n, _ := e.db.Collection(audit.CollectionName).CountDocuments(ctx, bson.D{{Key: "actor_id", Value: member.id},
		{Key: "action", Value: "route.denied"}}); n != 1 {
		t.Fatalf("%d route refusals audited", n)
	}
}

// TestSessionTenantIsolation: another CPAS's secretary, president and members see nothing of this one's.
func TestSessionTenantIsolation(t *testing.T) {
	e := newEnv(t)
	c := newCommittee("gent", 2)
	o := newCommittee("liege", 2)
	u := e.urgentDecision(c)
	id, _ := e.plan(c)
	for _, usr := range []user{o.secretary, o.president, o.members[0]} {
		if st, _, _, _ := e.call(usr, "GET", "/v1/sessions/"+id, nil, decisionPurpose); st != 404 {
			t.Errorf("%s of liege reads gent's session: %d", usr.role, st)
		}
	}
	if st, _, _, _ := e.call(o.secretary, "POST", "/v1/sessions/"+id+"/convocation", map[string]any{}, `If-Match: "2"`); st != 404 {
		t.Errorf("liege convenes gent's session: %d", st)
	}
	if st, _, _, _ := e.call(o.president, "GET", "/v1/urgent-decisions/"+u, nil, decisionPurpose); st != 404 {
		t.Errorf("liege reads gent's urgent decision: %d", st)
	}
	_, body, _, _ := e.call(o.secretary, "GET", "/v1/sessions", nil, decisionPurpose)
	if len(body["items"].([]any)) != 0 {
		t.Errorf("liege lists gent's sessions")
	}
	_, body, _, _ = e.call(o.secretary, "GET", "/v1/agenda-candidates", nil, decisionPurpose)
	if len(body["ratifications"].([]any)) != 0 {
		t.Errorf("liege sees gent's urgent decisions as candidates")
	}
	// The urgent decision of gent does not go on a session of liege.
	oid, m := e.plan(o)
	if st, _, raw, _ := e.call(o.secretary, "POST", "/v1/sessions/"+oid+"/items", map[string]any{"kind": "ratification", "ref": u}, m); st != 422 {
		t.Errorf("gent's urgent decision on liege's agenda: %d %s", st, raw)
	}
}

// TestUrgentDecisionForRatification: the president's urgent decision is listed for ratification and offered to
// the agenda; a session closed without it flags it not ratified; the next session ratifies it.
func TestUrgentDecisionForRatification(t *testing.T) {
	e := newEnv(t)
	c := newCommittee("gent", 2)
	u := e.urgentDecision(c)
	if st, _, _, _ := e.call(c.secretary, "POST", "/v1/urgent-decisions", map[string]any{}, "Idempotency-Key: "+uuid.NewString()); st != 403 {
		t.Fatalf("the secretary decides urgently: %d", st)
	}
	if st, body, _, _ := e.call(c.president, "POST", "/v1/urgent-decisions", map[string]any{"request_number": "R2026/999999",
		"monthly_amount_cents": 100, "start": civil.Today().String(), "end": civil.Today().AddDays(3).String(), "motivation": "x"}); st != 422 ||
		!strings.Contains(problemCode(body), "Idempotency-Key") {
		t.Fatalf("urgent decision without key: %d %v", st, body)
	}
	_, body, _, _ := e.call(c.secretary, "GET", "/v1/agenda-candidates", nil, decisionPurpose)
	if r := body["ratifications"].([]any); len(r) != 1 || r[0].(map[string]any)["id"] != u {
		t.Fatalf("candidates: %v", body)
	}
	_, body, _, _ = e.call(c.secretary, "GET", "/v1/urgent-decisions?status=awaiting", nil, decisionPurpose)
	if it := body["items"].([]any); len(it) != 1 || it[0].(map[string]any)["not_ratified"] != false || it[0].(map[string]any)["ratification"] != "awaiting" {
		t.Fatalf("awaiting: %v", body)
	}

	// A session held without it: closed, it is flagged not ratified.
	time.Sleep(5 * time.Millisecond)
	id, m := e.plan(c)
	m = e.open(c, id, m, c.president, c.members[0])
	if st, _, raw, _ := e.call(c.secretary, "POST", "/v1/sessions/"+id+"/closing", nil, m); st != 200 {
		t.Fatalf("close: %d %s", st, raw)
	}
	_, body, _, _ = e.call(c.president, "GET", "/v1/urgent-decisions/"+u, nil, decisionPurpose)
	if body["not_ratified"] != true || len(body["missed_sessions"].([]any)) != 1 {
		t.Fatalf("not flagged: %v", body)
	}
	_, body, _, _ = e.call(c.worker, "GET", "/v1/urgent-decisions", nil, decisionPurpose)
	if body["items"] != nil {
		t.Fatalf("a social worker lists urgent decisions: %v", body)
	}
	// The flag is on the deadline board of the file's social worker (and the head's).
	_, body, raw, _ := e.call(c.worker, "GET", "/v1/board?clock=ratification", nil, "X-Purpose: case_follow_up")
	found := false
	for _, x := range body["items"].([]any) {
		it := x.(map[string]any)
		found = found || (it["ref_id"] == u && it["clock"] == "ratification")
	}
	if !found {
		t.Fatalf("not on the board: %s", raw)
	}

	// The next session ratifies it.
	id, m = e.plan(c)
	m = e.addItem(c, id, m, "ratification", u)
	e.open(c, id, m, c.president, c.members[0], c.members[1])
	items := "/v1/sessions/" + id + "/items/" + u
	e.call(c.secretary, "POST", items+"/vote", map[string]any{"mode": "show_of_hands"})
	for _, v := range []user{c.president, c.members[0]} {
		e.call(c.secretary, "POST", items+"/ballots", map[string]any{"user_id": v.id, "choice": "for"})
	}
	if st, _, raw, _ := e.call(c.secretary, "POST", items+"/outcome", map[string]any{"outcome": "approved"}, "Idempotency-Key: "+uuid.NewString()); st != 200 {
		t.Fatalf("ratify: %d %s", st, raw)
	}
	_, _, _, h := e.call(c.secretary, "GET", "/v1/sessions/"+id, nil, decisionPurpose)
	if st, _, raw, _ := e.call(c.secretary, "POST", "/v1/sessions/"+id+"/closing", nil, etag(h)); st != 200 {
		t.Fatalf("close: %d %s", st, raw)
	}
	_, body, _, _ = e.call(c.president, "GET", "/v1/urgent-decisions/"+u, nil, decisionPurpose)
	if body["ratification"] != "ratified" || body["ratified_in"] != id || body["not_ratified"] != false {
		t.Fatalf("not ratified: %v", body)
	}
}

// TestOutcomeIdempotent: the same outcome POST twice with one Idempotency-Key decides once (the second answer is
// the first, replayed); without a key it is refused; the session.closed event matches its schema.
func TestOutcomeIdempotent(t *testing.T) {
	e := newEnv(t)
	c := newCommittee("gent", 2)
	u := e.urgentDecision(c)
	id, m := e.plan(c)
	m = e.addItem(c, id, m, "ratification", u)
	e.open(c, id, m, c.president, c.members[0], c.members[1])
	items := "/v1/sessions/" + id + "/items/" + u
	e.call(c.secretary, "POST", items+"/vote", map[string]any{"mode": "show_of_hands"})
	for _, v := range []user{c.president, c.members[0], c.members[1]} {
		e.call(c.secretary, "POST", items+"/ballots", map[string]any{"user_id": v.id, "choice": "for"})
	}
	if st, _, _, _ := e.call(c.secretary, "POST", items+"/outcome", map[string]any{"outcome": "approved"}); st != 422 {
		t.Fatalf("outcome without key: %d", st)
	}
	key := "Idempotency-Key: " + uuid.NewString()
	st1, b1, raw1, _ := e.call(c.secretary, "POST", items+"/outcome", map[string]any{"outcome": "approved"}, key)
	st2, b2, raw2, h2 := e.call(c.secretary, "POST", items+"/outcome", map[string]any{"outcome": "approved"}, key)
	if st1 != 200 || st2 != 200 || h2.Get("Idempotent-Replayed") == "" || b1["version"] != b2["version"] {
		t.Fatalf("doubled outcome: %d %s / %d %s", st1, raw1, st2, raw2)
	}
	// Another key is another request: refused, the item is decided.
	st, body, _, _ := e.call(c.secretary, "POST", items+"/outcome", map[string]any{"outcome": "approved"}, "Idempotency-Key: "+uuid.NewString())
	if st != 409 || problemCode(body) != "committee.item_decided" {
		t.Fatalf("second decision: %d %v", st, body)
	}
	_, body, _, h := e.call(c.secretary, "GET", "/v1/sessions/"+id, nil, decisionPurpose)
	it := body["items"].([]any)[0].(map[string]any)
	if it["outcome"] != "approved" || it["quorum_at_decision"].(map[string]any)["present"] != float64(3) {
		t.Fatalf("item %v", it)
	}
	// The members read the person's name and the motivation of the item.
	if d := body["details"].(map[string]any)[u].(map[string]any); d["person_name"] != "An Peeters" || d["motivation"] != "Coupure d'énergie imminente" {
		t.Fatalf("details %v", d)
	}
	// The decisions recorded the ratification: nothing is left to hand over.
	if p := body["pending_outcomes"].([]any); len(p) != 0 {
		t.Fatalf("pending outcomes %v", p)
	}
	if st, _, raw, _ := e.call(c.secretary, "POST", "/v1/sessions/"+id+"/closing", nil, etag(h)); st != 200 {
		t.Fatalf("close: %d %s", st, raw)
	}
	var doc struct {
		Outbox []store.OutboxEntry `bson:"outbox"`
	}
	if err := e.db.Collection(session.CollSessions).FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Outbox) != 1 || doc.Outbox[0].Type != session.TypeClosed || doc.Outbox[0].Subject != id {
		t.Fatalf("outbox %+v", doc.Outbox)
	}
	if err := eventschema.Validate(session.TypeClosed, []byte(doc.Outbox[0].Data)); err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	_ = json.Unmarshal([]byte(doc.Outbox[0].Data), &p)
	if p["approved"] != float64(1) || p["items"] != float64(1) || strings.Contains(doc.Outbox[0].Data, "Paula") {
		t.Fatalf("payload %v", p)
	}
	// Minutes and extract, HTML and PDF, in Dutch (Accept-Language of the calls).
	st, _, raw, hh := e.call(c.secretary, "GET", "/v1/sessions/"+id+"/minutes", nil, decisionPurpose)
	if st != 200 || !strings.Contains(string(raw), "Notulen") || !strings.Contains(string(raw), "(An Peeters)") || hh.Get("Content-Language") != "nl" {
		t.Fatalf("minutes: %d %.300s", st, raw)
	}
	st, _, raw, _ = e.call(c.president, "GET", "/v1/sessions/"+id+"/items/"+u+"/extract.pdf", nil, decisionPurpose)
	if st != 200 || !strings.HasPrefix(string(raw), "%PDF") {
		t.Fatalf("extract pdf: %d", st)
	}
}
