package file_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/beneficiaries/file"
	"github.com/entraide/entraide/services/beneficiaries/internal/apitest"
)

// Callers: tenant "cpas-a" (workers of two teams, a head, roles without registry access) and tenant "cpas-b".
var (
	workerA  = apitest.User{Tenant: "cpas-a", ID: "0190a000-0000-7000-8000-00000000000a", Roles: []string{"social_worker"}}
	worker2A = apitest.User{Tenant: "cpas-a", ID: "0190a000-0000-7000-8000-00000000002a", Roles: []string{"social_worker"}}
	workerC  = apitest.User{Tenant: "cpas-a", ID: "0190a000-0000-7000-8000-00000000003a", Roles: []string{"social_worker"}}
	headA    = apitest.User{Tenant: "cpas-a", ID: "0190a000-0000-7000-8000-0000000000ea", Roles: []string{"social_service_head"}}
	workerB  = apitest.User{Tenant: "cpas-b", ID: "0190b000-0000-7000-8000-00000000000b", Roles: []string{"social_worker"}}
	headB    = apitest.User{Tenant: "cpas-b", ID: "0190b000-0000-7000-8000-0000000000eb", Roles: []string{"social_service_head"}}
	noAccess = []string{"accountant", "finance_director", "committee_member", "committee_secretary", "president", "tenant_admin", "dpo"}
)

const purpose = "X-Purpose: case_follow_up"

// teams creates team North {workerA, worker2A} and team South {workerC} and returns their ids.
func teams(t *testing.T, e *apitest.Env) (north, south string) {
	t.Helper()
	a := e.Call(headA, "POST", "/v1/teams", map[string]any{"name": "Nord", "members": []string{workerA.ID, worker2A.ID}})
	b := e.Call(headA, "POST", "/v1/teams", map[string]any{"name": "Sud", "members": []string{workerC.ID}})
	if a.Status != 201 || b.Status != 201 {
		t.Fatalf("teams: %d %s / %d %s", a.Status, a.Raw, b.Status, b.Raw)
	}
	return a.Str("id"), b.Str("id")
}

func open(t *testing.T, e *apitest.Env, u apitest.User, personID string, headers ...string) apitest.Answer {
	t.Helper()
	a := e.Call(u, "POST", "/v1/files", map[string]any{"person_id": personID}, headers...)
	if a.Status != http.StatusCreated {
		t.Fatalf("open file: %d %s", a.Status, a.Raw)
	}
	return a
}

func TestFileLifecycleAndAccessRules(t *testing.T) {
	e := apitest.New(t, nil)
	north, south := teams(t, e)
	p := e.RegisterPerson(workerA, 1, "Müller")

	// Opening, retried with the same Idempotency-Key: one file, numbered for this year.
	first := open(t, e, workerA, p, "Idempotency-Key: open-1")
	again := open(t, e, workerA, p, "Idempotency-Key: open-1")
	id := first.Str("id")
	year := civil.Today().Year()
	if again.Str("id") != id || again.Header.Get("Idempotent-Replayed") != "true" || e.Count(file.CollFiles, nil) != 1 {
		t.Fatalf("retried opening: %s / %s", first.Raw, again.Raw)
	}
	if first.Str("number") != fmt.Sprintf("%d/000001", year) || first.Str("team_id") != north || first.Str("assignee") != workerA.ID ||
		first.Header.Get("ETag") != `"1"` || first.Header.Get("Location") != "/v1/files/"+id {
		t.Fatalf("opened: %s %v", first.Raw, first.Header)
	}
	if a := e.Call(workerA, "POST", "/v1/files", map[string]any{"person_id": p}); a.Status != 409 || a.Str("file_number") != first.Str("number") {
		t.Fatalf("second open file: %d %s", a.Status, a.Raw)
	}

	// Reading needs a declared purpose.
	if a := e.Call(workerA, "GET", "/v1/files/"+id, nil); a.Status != 422 || a.Codes()["X-Purpose"] != "required" {
		t.Fatalf("no purpose: %d %s", a.Status, a.Raw)
	}
	if a := e.Call(workerA, "GET", "/v1/files/"+id, nil, "X-Purpose: curiosity"); a.Status != 422 || !strings.Contains(a.Messages()["X-Purpose"], "Onbekend doel") {
		t.Fatalf("bad purpose: %d %s", a.Status, a.Raw)
	}
	// Who sees the file: its worker, their team, the head; not another team, not another tenant; other roles 403.
	for _, tc := range []struct {
		u    apitest.User
		want int
	}{{workerA, 200}, {worker2A, 200}, {headA, 200}, {workerC, 404}, {workerB, 404}, {headB, 404}} {
		if a := e.Call(tc.u, "GET", "/v1/files/"+id, nil, purpose); a.Status != tc.want {
			t.Errorf("%s reads the file: %d, want %d", tc.u.ID, a.Status, tc.want)
		}
		if a := e.Call(tc.u, "GET", "/v1/files?status=open", nil, purpose); a.Status != 200 || (len(a.Items()) == 1) != (tc.want == 200) {
			t.Errorf("%s lists files: %d %s", tc.u.ID, a.Status, a.Raw)
		}
	}
	for _, role := range noAccess {
		u := apitest.User{Tenant: "cpas-a", ID: "0190a000-0000-7000-8000-0000000000ff", Roles: []string{role}}
		for _, c := range [][2]string{{"GET", "/v1/files/" + id}, {"GET", "/v1/files/" + id + "/journal"}, {"GET", "/v1/caseload"}, {"GET", "/v1/teams"}} {
			if a := e.Call(u, c[0], c[1], nil, purpose); a.Status != 403 {
				t.Errorf("%s %s %s: %d", role, c[0], c[1], a.Status)
			}
		}
	}
	// The person follows the file: the team sees them, the other team does not.
	if a := e.Call(worker2A, "GET", "/v1/persons/"+p, nil, purpose); a.Status != 200 {
		t.Fatalf("team member reads the person: %d %s", a.Status, a.Raw)
	}
	if a := e.Call(workerC, "GET", "/v1/persons/"+p, nil, purpose); a.Status != 404 {
		t.Fatalf("other team reads the person: %d", a.Status)
	}

	// Journal: a restricted note is for its author and the head; a correction names the note it corrects.
	normal := e.Call(workerA, "POST", "/v1/files/"+id+"/journal", map[string]any{"text": "Premier entretien.", "date": civil.Today().AddDays(-10).String()}, "Idempotency-Key: note-1")
	restricted := e.Call(workerA, "POST", "/v1/files/"+id+"/journal", map[string]any{"text": "Certificat médical reçu.", "confidentiality": "restricted"})
	if normal.Status != 201 || restricted.Status != 201 {
		t.Fatalf("notes: %s / %s", normal.Raw, restricted.Raw)
	}
	if a := e.Call(workerA, "POST", "/v1/files/"+id+"/journal", map[string]any{"text": "Premier entretien.", "date": civil.Today().AddDays(-10).String()}, "Idempotency-Key: note-1"); a.Str("id") != normal.Str("id") {
		t.Fatalf("retried note created another: %s", a.Raw)
	}
	if a := e.Call(workerA, "POST", "/v1/files/"+id+"/journal", map[string]any{"text": "Correction : entretien du 6.", "corrects": normal.Str("id")}); a.Status != 201 || a.Str("corrects") != normal.Str("id") {
		t.Fatalf("correction: %d %s", a.Status, a.Raw)
	}
	for body, field := range map[string]string{
		`{"text":""}`:                        "text",
		`{"text":"x","date":"2999-01-01"}`:   "date",
		`{"text":"x","confidentiality":"x"}`: "confidentiality",
		`{"text":"x","corrects":"nope"}`:     "corrects",
		`{"text":"x","colour":"red"}`:        "colour",
	} {
		a := e.Call(workerA, "POST", "/v1/files/"+id+"/journal", &apitest.Raw{ContentType: "application/json", Body: []byte(body)})
		if a.Status != 422 || a.Messages()[field] == "" {
			t.Errorf("note %s: %d %s", body, a.Status, a.Raw)
		}
	}
	journal := func(u apitest.User) (n int, restrictedSeen bool) {
		a := e.Call(u, "GET", "/v1/files/"+id+"/journal", nil, purpose)
		if a.Status != 200 {
			t.Fatalf("journal as %s: %d %s", u.ID, a.Status, a.Raw)
		}
		for _, it := range a.Items() {
			if it["confidentiality"] == "restricted" {
				restrictedSeen = true
			}
		}
		return len(a.Items()), restrictedSeen
	}
	if n, r := journal(workerA); n != 3 || !r {
		t.Errorf("author sees %d notes, restricted %v", n, r)
	}
	if n, r := journal(worker2A); n != 2 || r {
		t.Errorf("team member sees %d notes, restricted %v", n, r)
	}
	if n, r := journal(headA); n != 3 || !r {
		t.Errorf("head sees %d notes, restricted %v", n, r)
	}
	if a := e.Call(workerC, "GET", "/v1/files/"+id+"/journal", nil, purpose); a.Status != 404 {
		t.Errorf("other team reads the journal: %d", a.Status)
	}

	// Reassignment: the head only, with If-Match.
	if a := e.Call(workerA, "POST", "/v1/files/"+id+"/assignment", map[string]any{"assignee": workerC.ID, "team_id": south}, `If-Match: "1"`); a.Status != 403 {
		t.Fatalf("worker reassigns: %d", a.Status)
	}
	if a := e.Call(headA, "POST", "/v1/files/"+id+"/assignment", map[string]any{"assignee": workerC.ID, "team_id": south}); a.Status != 428 {
		t.Fatalf("no If-Match: %d", a.Status)
	}
	if a := e.Call(headA, "POST", "/v1/files/"+id+"/assignment", map[string]any{"assignee": workerC.ID, "team_id": "0190a000-0000-7000-8000-000000000000"}, `If-Match: "1"`); a.Status != 422 || a.Codes()["team_id"] != "file.unknown_team" {
		t.Fatalf("unknown team: %d %s", a.Status, a.Raw)
	}
	if a := e.Call(headA, "POST", "/v1/files/"+id+"/assignment", map[string]any{"assignee": workerC.ID, "team_id": south}, `If-Match: "7"`); a.Status != 412 {
		t.Fatalf("stale If-Match: %d %s", a.Status, a.Raw)
	}
	re := e.Call(headA, "POST", "/v1/files/"+id+"/assignment", map[string]any{"assignee": workerC.ID, "team_id": south}, `If-Match: "1"`)
	if re.Status != 200 || re.Str("assignee") != workerC.ID || re.Header.Get("ETag") != `"2"` {
		t.Fatalf("reassign: %d %s", re.Status, re.Raw)
	}
	for _, tc := range []struct {
		u    apitest.User
		want int
	}{{workerA, 404}, {worker2A, 404}, {workerC, 200}} {
		if a := e.Call(tc.u, "GET", "/v1/files/"+id, nil, purpose); a.Status != tc.want {
			t.Errorf("after reassignment %s reads the file: %d", tc.u.ID, a.Status)
		}
		if a := e.Call(tc.u, "GET", "/v1/persons/"+p, nil, purpose); a.Status != tc.want {
			t.Errorf("after reassignment %s reads the person: %d", tc.u.ID, a.Status)
		}
	}

	// A member of the household registered as managed; then the worker closes the file with a reason.
	q := e.RegisterPerson(workerC, 2, "Müller")
	m := e.Call(workerC, "POST", "/v1/files/"+id+"/members", map[string]any{"person_id": q, "quality": "cohabitant"}, `If-Match: "2"`)
	if m.Status != 200 || len(m.Body["registrations"].([]any)) != 2 {
		t.Fatalf("register member: %d %s", m.Status, m.Raw)
	}
	if a := e.Call(workerC, "POST", "/v1/files/"+id+"/members", map[string]any{"person_id": q, "quality": "cohabitant"}, `If-Match: "3"`); a.Status != 409 {
		t.Fatalf("member twice: %d %s", a.Status, a.Raw)
	}
	if a := e.Call(workerC, "POST", "/v1/files/"+id+"/closure", map[string]any{"reason": "fed_up"}, `If-Match: "3"`); a.Status != 422 || !strings.Contains(a.Messages()["reason"], "Keuze niet toegestaan") {
		t.Fatalf("bad reason: %d %s", a.Status, a.Raw)
	}
	closed := e.Call(workerC, "POST", "/v1/files/"+id+"/closure", map[string]any{"reason": "aid_ended"}, `If-Match: "3"`)
	if closed.Status != 200 || closed.Str("status") != "closed" {
		t.Fatalf("close: %d %s", closed.Status, closed.Raw)
	}
	for _, r := range closed.Body["registrations"].([]any) {
		if r.(map[string]any)["end"] != civil.Today().String() {
			t.Errorf("registration not ended: %v", r)
		}
	}
	if a := e.Call(workerC, "POST", "/v1/files/"+id+"/journal", map[string]any{"text": "après"}); a.Status != 409 {
		t.Errorf("note on a closed file: %d", a.Status)
	}
	// The closed file stays visible to its worker, and the member follows it.
	if a := e.Call(workerC, "GET", "/v1/persons/"+q, nil, purpose); a.Status != 200 {
		t.Errorf("member after closing: %d", a.Status)
	}

	// Audit: reads carry their purpose; the other team's attempt is recorded as denied.
	if n := e.Count(audit.CollectionName, bson.D{{Key: "action", Value: "file.read"}, {Key: "file_id", Value: id}, {Key: "purpose", Value: "case_follow_up"}, {Key: "outcome", Value: "allowed"}}); n < 3 {
		t.Errorf("%d allowed file reads audited", n)
	}
	if n := e.Count(audit.CollectionName, bson.D{{Key: "action", Value: "file.read"}, {Key: "actor_id", Value: workerC.ID}, {Key: "outcome", Value: "denied"}}); n != 1 {
		t.Errorf("%d denied reads audited for the other team", n)
	}
	if n := e.Count(audit.CollectionName, bson.D{{Key: "action", Value: "journal.read"}, {Key: "file_id", Value: id}, {Key: "purpose", Value: "case_follow_up"}, {Key: "outcome", Value: "allowed"}}); n != 3 {
		t.Errorf("%d journal reads audited", n)
	}
	if n := e.Count(audit.CollectionName, bson.D{{Key: "action", Value: "route.denied"}, {Key: "outcome", Value: "denied"}}); n < int64(len(noAccess)) {
		t.Errorf("%d route refusals audited", n)
	}
	// Search by file number finds the managed persons for whoever sees them.
	if a := e.Call(workerC, "POST", "/v1/persons/search", map[string]any{"query": first.Str("number")}, purpose); a.Status != 200 || len(a.Items()) != 2 {
		t.Errorf("search by file number: %d %s", a.Status, a.Raw)
	}
	if a := e.Call(workerA, "POST", "/v1/persons/search", map[string]any{"query": first.Str("number")}, purpose); a.Status != 200 || len(a.Items()) != 0 {
		t.Errorf("search by file number by a worker who lost the file: %d %s", a.Status, a.Raw)
	}
}

func TestTenantIsolation(t *testing.T) {
	e := apitest.New(t, nil)
	p := e.RegisterPerson(workerA, 1, "Janssens")
	id := open(t, e, workerA, p).Str("id")
	note := e.Call(workerA, "POST", "/v1/files/"+id+"/journal", map[string]any{"text": "x"})
	pB := e.RegisterPerson(workerB, 1, "Peeters") // same NISS in another tenant: allowed
	fileB := open(t, e, workerB, pB)
	if fileB.Str("number") != fmt.Sprintf("%d/000001", civil.Today().Year()) {
		t.Errorf("numbering is not per tenant: %s", fileB.Raw)
	}
	for _, u := range []apitest.User{workerB, headB} {
		for _, c := range []struct{ method, path string }{
			{"GET", "/v1/files/" + id}, {"GET", "/v1/files/" + id + "/journal"},
		} {
			if a := e.Call(u, c.method, c.path, nil, purpose); a.Status != 404 {
				t.Errorf("%s %s %s: %d", u.ID, c.method, c.path, a.Status)
			}
		}
		if a := e.Call(u, "POST", "/v1/files/"+id+"/journal", map[string]any{"text": "intrusion"}); a.Status != 404 {
			t.Errorf("note into another tenant's file: %d", a.Status)
		}
		if a := e.Call(u, "POST", "/v1/files/"+id+"/closure", map[string]any{"reason": "aid_ended"}, `If-Match: "1"`); a.Status != 404 {
			t.Errorf("close another tenant's file: %d", a.Status)
		}
		a := e.Call(u, "GET", "/v1/files", nil, purpose)
		if a.Status != 200 || len(a.Items()) != 1 || a.Items()[0]["id"] != fileB.Str("id") {
			t.Errorf("listing leaks: %s", a.Raw)
		}
		if a := e.Call(u, "POST", "/v1/files", map[string]any{"person_id": p}); a.Status != 422 || a.Codes()["person_id"] != "file.unknown_person" {
			t.Errorf("open a file for another tenant's person: %d %s", a.Status, a.Raw)
		}
	}
	if a := e.Call(headB, "POST", "/v1/files/"+id+"/assignment", map[string]any{"assignee": workerB.ID}, `If-Match: "1"`); a.Status != 404 {
		t.Errorf("reassign another tenant's file: %d", a.Status)
	}
	if n := e.Count(file.CollNotes, bson.D{{Key: "file_id", Value: id}}); n != 1 || note.Status != 201 {
		t.Errorf("%d notes on the file", n)
	}
}

func TestConcurrentOpeningsGetConsecutiveNumbers(t *testing.T) {
	e := apitest.New(t, nil)
	const n = 20
	persons := make([]string, n)
	for i := range persons {
		persons[i] = e.RegisterPerson(workerA, i+1, fmt.Sprintf("Personne%02d", i))
	}
	numbers := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			a := e.Call(workerA, "POST", "/v1/files", map[string]any{"person_id": persons[i]})
			if a.Status != 201 {
				t.Errorf("open %d: %d %s", i, a.Status, a.Raw)
			}
			numbers[i] = a.Str("number")
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, num := range numbers {
		seen[num] = true
	}
	year := civil.Today().Year()
	for i := 1; i <= n; i++ {
		if !seen[fmt.Sprintf("%d/%06d", year, i)] {
			t.Errorf("number %d missing: %v", i, numbers)
		}
	}
	if len(seen) != n {
		t.Fatalf("numbers not distinct: %v", numbers)
	}
	// The counter also holds under direct concurrent draws (20 more, consecutive).
	repo := e.App.Files.Repository
	got := make(chan int, n)
	for range n {
		wg.Go(func() {
			num, err := repo.NextNumber(context.Background(), "cpas-a", year)
			if err != nil {
				t.Error(err)
			}
			got <- num.Seq
		})
	}
	wg.Wait()
	close(got)
	drawn := map[int]bool{}
	for s := range got {
		drawn[s] = true
	}
	for i := n + 1; i <= 2*n; i++ {
		if !drawn[i] {
			t.Fatalf("draw %d missing: %v", i, drawn)
		}
	}
}

func TestTeams(t *testing.T) {
	e := apitest.New(t, nil)
	if a := e.Call(workerA, "POST", "/v1/teams", map[string]any{"name": "X", "members": []string{}}); a.Status != 403 {
		t.Fatalf("worker creates a team: %d", a.Status)
	}
	north, _ := teams(t, e)
	if a := e.Call(headA, "POST", "/v1/teams", map[string]any{"name": " Nord ", "members": []string{}}); a.Status != 422 || a.Codes()["name"] != "duplicate" {
		t.Fatalf("duplicate name: %d %s", a.Status, a.Raw)
	}
	if a := e.Call(headA, "POST", "/v1/teams", map[string]any{"name": "", "members": []string{"u", "u"}}); a.Status != 422 || a.Codes()["name"] != "required" || a.Codes()["members[1]"] != "duplicate" {
		t.Fatalf("bad team: %d %s", a.Status, a.Raw)
	}
	if a := e.Call(workerA, "GET", "/v1/teams", nil); a.Status != 200 || len(a.Items()) != 2 {
		t.Fatalf("list: %d %s", a.Status, a.Raw)
	}
	if a := e.Call(headB, "GET", "/v1/teams/"+north, nil); a.Status != 404 {
		t.Fatalf("other tenant's team: %d", a.Status)
	}
	up := e.Call(headA, "PUT", "/v1/teams/"+north, map[string]any{"name": "Nord", "members": []string{workerA.ID}}, `If-Match: "1"`)
	if up.Status != 200 || up.Header.Get("ETag") != `"2"` || len(up.Body["members"].([]any)) != 1 {
		t.Fatalf("update: %d %s", up.Status, up.Raw)
	}
	// worker2A left the team: a file of the team is no longer theirs.
	p := e.RegisterPerson(workerA, 3, "Claes")
	id := open(t, e, workerA, p).Str("id")
	if a := e.Call(worker2A, "GET", "/v1/files/"+id, nil, purpose); a.Status != 404 {
		t.Fatalf("former member reads: %d", a.Status)
	}
	if a := e.Call(headA, "DELETE", "/v1/teams/"+north, nil, `If-Match: "2"`); a.Status != 409 {
		t.Fatalf("delete a team with files: %d %s", a.Status, a.Raw)
	}
	empty := e.Call(headA, "POST", "/v1/teams", map[string]any{"name": "Vide", "members": []string{}})
	if a := e.Call(headA, "DELETE", "/v1/teams/"+empty.Str("id"), nil, `If-Match: "1"`); a.Status != 204 {
		t.Fatalf("delete: %d %s", a.Status, a.Raw)
	}
	if a := e.Call(headA, "GET", "/v1/teams/"+empty.Str("id"), nil); a.Status != 404 {
		t.Fatalf("deleted team: %d", a.Status)
	}
}

// OpenForRequest (called by the handler of the decisions service's "request registered" events) opens the
// applicant's file on the first request and returns the same open file on the next ones.
func TestOpenForRequest(t *testing.T) {
	e := apitest.New(t, nil)
	p := e.RegisterPerson(workerA, 1, "Wouters")
	svc := e.App.Files.Service
	ctx := context.Background()
	received := civil.Today().AddDays(-2)
	first, opened, err := svc.OpenForRequest(ctx, file.RequestOpening{Tenant: "cpas-a", RequestID: "req-1", PersonID: p, ReceivedOn: received, Assignee: workerA.ID})
	if err != nil || !opened || first.Origin != file.OriginRequest || first.OpenedOn != received || first.Assignee != workerA.ID {
		t.Fatalf("first request: %+v %v %v", first, opened, err)
	}
	second, opened, err := svc.OpenForRequest(ctx, file.RequestOpening{Tenant: "cpas-a", RequestID: "req-2", PersonID: p, ReceivedOn: civil.Today(), Assignee: worker2A.ID})
	if err != nil || opened || second.ID != first.ID {
		t.Fatalf("second request: %+v %v %v", second, opened, err)
	}
	if _, _, err := svc.OpenForRequest(ctx, file.RequestOpening{Tenant: "cpas-b", RequestID: "req-3", PersonID: p, Assignee: workerB.ID}); err == nil {
		t.Fatal("opened a file for another tenant's person")
	}
	if e.Count(file.CollFiles, nil) != 1 {
		t.Fatal("more than one file")
	}
	if a := e.Call(workerA, "GET", "/v1/files/"+first.ID, nil, purpose); a.Status != 200 || a.Str("origin") != "request" {
		t.Fatalf("read: %d %s", a.Status, a.Raw)
	}
}
