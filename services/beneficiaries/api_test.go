package beneficiaries

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/services/beneficiaries/person"
)

func TestRegisterReadUpdate(t *testing.T) {
	e := newEnv(t)
	a := e.register(workerA, jean())
	id := a.str("id")
	if a.header.Get("Location") != "/v1/persons/"+id || a.header.Get("ETag") != `"1"` || a.str("niss_formatted") != "85.07.14-123.30" {
		t.Fatalf("created: %v %s", a.header, a.raw)
	}
	if got := e.call(workerA, "GET", "/v1/persons/"+id, nil); got.status != 422 || got.codes()["X-Purpose"] != "required" {
		t.Errorf("read without purpose: %d %s", got.status, got.raw)
	}
	if got := e.call(workerA, "GET", "/v1/persons/"+id, nil, "X-Purpose: curiosity"); got.status != 422 || got.codes()["X-Purpose"] != "person.purpose_invalid" {
		t.Errorf("read with unknown purpose: %d %s", got.status, got.raw)
	}
	got := e.call(workerA, "GET", "/v1/persons/"+id, nil, purpose)
	if got.status != 200 || got.header.Get("ETag") != `"1"` || got.str("family_name") != "Dupont-Lefèvre" || got.str("birth_date") != "1985-07-14" {
		t.Fatalf("read: %d %s", got.status, got.raw)
	}
	body := jean()
	body["given_names"] = "Jean-Marie"
	if got := e.call(workerA, "PUT", "/v1/persons/"+id, body); got.status != 428 {
		t.Errorf("update without If-Match: %d", got.status)
	}
	if got := e.call(workerA, "PUT", "/v1/persons/"+id, body, "If-Match: soon"); got.status != 422 {
		t.Errorf("update with bad If-Match: %d", got.status)
	}
	got = e.call(workerA, "PUT", "/v1/persons/"+id, body, `If-Match: "1"`)
	if got.status != 200 || got.header.Get("ETag") != `"2"` || got.str("given_names") != "Jean-Marie" {
		t.Fatalf("update: %d %s", got.status, got.raw)
	}
	got = e.call(workerA, "PUT", "/v1/persons/"+id, jean(), `If-Match: "1"`)
	if got.status != 409 || got.body["current_version"] != float64(2) {
		t.Errorf("stale update: %d %s", got.status, got.raw)
	}
	if got := e.call(workerA, "GET", "/v1/persons/not-a-uuid", nil, purpose); got.status != 404 {
		t.Errorf("bad id: %d", got.status)
	}
	// Every read was audited with its purpose; the failed ones as denied.
	n, _ := e.db.Collection(audit.CollectionName).CountDocuments(context.Background(),
		bson.D{{Key: "action", Value: "person.read"}, {Key: "resource_id", Value: id}, {Key: "purpose", Value: "case_follow_up"}, {Key: "outcome", Value: audit.OutcomeAllowed}})
	if n != 1 {
		t.Errorf("allowed reads audited: %d", n)
	}
	n, _ = e.db.Collection(audit.CollectionName).CountDocuments(context.Background(),
		bson.D{{Key: "action", Value: "person.read"}, {Key: "outcome", Value: audit.OutcomeDenied}})
	if n != 2 { // the two reads without a valid purpose; "not-a-uuid" names nothing and is refused before any read
		t.Errorf("refused reads audited: %d", n)
	}
}

func TestBadInputGetsFieldErrorsInTheUsersLanguage(t *testing.T) {
	e := newEnv(t)
	body := jean()
	body["niss"] = "85071412331"
	body["address"] = map[string]any{"street": "Kerkstraat", "number": "1", "postcode": "999", "municipality": "Gent"}
	body["nationality"] = "Belgique"
	a := e.call(workerA, "POST", "/v1/persons", body, "Accept-Language: nl-BE,nl;q=0.9")
	f := a.fields()
	if a.status != 422 || f["niss"] != "Ongeldig rijksregisternummer (INSZ) of BIS-nummer." ||
		f["address.postcode"] != "Ongeldige Belgische postcode (1000 tot 9999)." || f["nationality"] == "" || a.header.Get("Content-Language") != "nl" {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	body = jean()
	body["niss"], body["birth_date"] = "", "2025-02-29"
	if a := e.call(workerA, "POST", "/v1/persons", body, "Accept-Language: nl"); a.fields()["birth_date"] != "Ongeldige datum (JJJJ-MM-DD)." {
		t.Errorf("date: %s", a.raw)
	}
	body = jean()
	body["birth_date"] = "1985-07-15"
	if a := e.call(workerA, "POST", "/v1/persons", body, "Accept-Language: fr"); a.fields()["birth_date"] != "La date de naissance ne correspond pas au numéro de registre national." {
		t.Errorf("mismatch: %s", a.raw)
	}
	if a := e.call(workerA, "POST", "/v1/persons", map[string]any{"family_name": "X", "colour": "blue"}); a.status != 422 && a.status != 400 {
		t.Errorf("unknown field: %d %s", a.status, a.raw)
	}
	id := e.register(workerA, jean()).str("id")
	a = e.call(workerA, "POST", "/v1/persons/"+id+"/bank-accounts", map[string]any{"iban": "BE68 5390 0754 7035", "holder": "Jean"},
		`If-Match: "1"`, "Accept-Language: nl")
	if a.status != 422 || a.fields()["iban"] != "Ongeldig IBAN-rekeningnummer (SEPA-land, lengte en controlecijfers)." {
		t.Errorf("iban: %d %s", a.status, a.raw)
	}
	if n, _ := e.db.Collection(person.CollPersons).CountDocuments(context.Background(), bson.D{}); n != 1 {
		t.Errorf("bad input stored persons: %d", n)
	}
}

func TestDuplicates(t *testing.T) {
	e := newEnv(t)
	id := e.register(workerA, jean()).str("id")
	if err := e.app.Persons.Repository.SetFileLinks(context.Background(), "cpas-a", id,
		[]person.FileLink{{FileID: "f1", Number: "2026/000123", Open: true, Worker: workerA.id}}); err != nil {
		t.Fatal(err)
	}
	body := jean()
	body["niss"] = "85071412330"
	// A worker who may not see the person learns the file number, not the person.
	a := e.call(worker2A, "POST", "/v1/persons", body)
	if a.status != 409 || a.str("type") != "urn:entraide:problem:duplicate-niss" || a.body["person_id"] != nil ||
		fmt.Sprint(a.body["file_numbers"]) != "[2026/000123]" {
		t.Fatalf("duplicate for a stranger: %d %s", a.status, a.raw)
	}
	// The head sees it.
	if a := e.call(headA, "POST", "/v1/persons", body); a.status != 409 || a.str("person_id") != id {
		t.Errorf("duplicate for the head: %d %s", a.status, a.raw)
	}
	// Another tenant has its own registry: the same NISS is a new person there.
	e.register(workerB, jean())
	// Changing another person's NISS to an existing one is refused too.
	other := jean()
	other["niss"], other["birth_date"], other["sex"] = "03022824093", "2003-02-28", "female"
	oid := e.register(workerA, other).str("id")
	if a := e.call(workerA, "PUT", "/v1/persons/"+oid, jean(), `If-Match: "1"`); a.status != 409 || a.str("type") != "urn:entraide:problem:duplicate-niss" {
		t.Errorf("update to a taken NISS: %d %s", a.status, a.raw)
	}

	// Without NISS: same folded names and birth date → possible duplicate, unless a reason is given.
	anon := map[string]any{"family_name": "Müller", "given_names": "Anna", "birth_date": "1990-01-02", "sex": "female",
		"nationality": "DE", "residence_status": "eu", "language": "de"}
	first := e.register(workerA, anon).str("id")
	anon["family_name"] = "MULLER"
	a = e.call(workerA, "POST", "/v1/persons", anon)
	if a.status != 409 || a.str("type") != "urn:entraide:problem:possible-duplicate" || a.codes()["duplicate_reason"] != "person.duplicate_reason_required" {
		t.Fatalf("possible duplicate: %d %s", a.status, a.raw)
	}
	cands := a.body["candidates"].([]any)
	if len(cands) != 1 || cands[0].(map[string]any)["person_id"] != first || len(cands[0].(map[string]any)) != 2 {
		t.Errorf("candidates: %v", cands)
	}
	anon["duplicate_reason"] = "Homonyme : autre mère selon la carte de séjour"
	if a := e.register(workerA, anon); a.str("duplicate_reason") != anon["duplicate_reason"] {
		t.Errorf("reason not kept: %s", a.raw)
	}
}

func TestConcurrentUpdatesOfOneVersion(t *testing.T) {
	e := newEnv(t)
	id := e.register(workerA, jean()).str("id")
	const n = 6
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			body := jean()
			body["given_names"] = fmt.Sprintf("Writer %d", i)
			statuses[i] = e.call(workerA, "PUT", "/v1/persons/"+id, body, `If-Match: "1"`).status
		})
	}
	wg.Wait()
	won := slices.Index(statuses, 200)
	if won < 0 || slices.Index(statuses[won+1:], 200) >= 0 {
		t.Fatalf("statuses %v: want exactly one 200", statuses)
	}
	for i, s := range statuses {
		if i != won && s != 409 {
			t.Errorf("loser %d got %d", i, s)
		}
	}
	got := e.call(workerA, "GET", "/v1/persons/"+id, nil, purpose)
	if got.str("given_names") != fmt.Sprintf("Writer %d", won) || got.header.Get("ETag") != `"2"` {
		t.Errorf("stored %s at %s, winner %d", got.str("given_names"), got.header.Get("ETag"), won)
	}
	// The outbox holds the registration and exactly one update.
	var doc struct {
		Outbox []bson.M `bson:"outbox"`
	}
	if err := e.db.Collection(person.CollPersons).FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Outbox) != 2 {
		t.Errorf("outbox has %d events", len(doc.Outbox))
	}
}

func TestRetriedRegistrationMakesOnePerson(t *testing.T) {
	e := newEnv(t)
	key := "Idempotency-Key: 6d1c7a52-reg-0001"
	a := e.call(workerA, "POST", "/v1/persons", jean(), key)
	b := e.call(workerA, "POST", "/v1/persons", jean(), key)
	if a.status != 201 || b.status != 201 || a.str("id") != b.str("id") || b.header.Get("Idempotent-Replayed") == "" {
		t.Fatalf("first %d %s, retry %d %s %v", a.status, a.str("id"), b.status, b.str("id"), b.header)
	}
	if n, _ := e.db.Collection(person.CollPersons).CountDocuments(context.Background(), bson.D{}); n != 1 {
		t.Errorf("%d persons", n)
	}
	// The same key with another body is refused; without a key a second try is a duplicate NISS.
	other := jean()
	other["given_names"] = "Paul"
	if c := e.call(workerA, "POST", "/v1/persons", other, key); c.status != 422 {
		t.Errorf("key reused: %d %s", c.status, c.raw)
	}
	if c := e.call(workerA, "POST", "/v1/persons", jean()); c.status != 409 {
		t.Errorf("no key: %d", c.status)
	}
}

func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	id := e.register(workerA, jean()).str("id")
	e.register(headA, map[string]any{"family_name": "Peeters", "given_names": "An", "birth_date": "1970-01-01", "sex": "female",
		"nationality": "BE", "residence_status": "belgian", "language": "nl"})
	for _, u := range []user{workerB, headB} {
		for _, path := range []string{"/v1/persons/" + id, "/v1/persons/" + id + "/payee", "/v1/persons/" + id + "/ris-category"} {
			if a := e.call(u, "GET", path, nil, purpose); a.status != 404 {
				t.Errorf("%v GET %s: %d", u.roles, path, a.status)
			}
		}
		if a := e.call(u, "PUT", "/v1/persons/"+id, jean(), `If-Match: "1"`); a.status != 404 {
			t.Errorf("%v PUT: %d", u.roles, a.status)
		}
		if a := e.call(u, "POST", "/v1/persons/"+id+"/bank-accounts", map[string]any{"iban": "BE68539007547034", "holder": "X"}, `If-Match: "1"`); a.status != 404 {
			t.Errorf("%v account: %d", u.roles, a.status)
		}
		for _, q := range []string{"85071412330", "dupont", "peeters"} {
			if a := e.call(u, "POST", "/v1/persons/search", map[string]any{"query": q}, purpose); a.status != 200 || len(a.body["items"].([]any)) != 0 {
				t.Errorf("%v search %s: %d %s", u.roles, q, a.status, a.raw)
			}
		}
	}
	// Tenant B cannot put tenant A's person in a household either.
	bid := e.register(headB, jean()).str("id")
	a := e.call(headB, "PUT", "/v1/persons/"+bid+"/household", map[string]any{"members": []any{
		map[string]any{"person_id": id, "relation": "spouse", "valid_from": "2020-01-01"}}}, `If-Match: "1"`)
	if a.status != 422 || a.codes()["members[0].person_id"] != "person.member_unknown" {
		t.Errorf("foreign member: %d %s", a.status, a.raw)
	}
	if got := e.call(workerA, "GET", "/v1/persons/"+id, nil, purpose); got.header.Get("ETag") != `"1"` || got.str("family_name") != "Dupont-Lefèvre" {
		t.Errorf("A's person changed: %s", got.raw)
	}
}

// teamsOf is the team hook as the file package fills it, here with fixed teams.
type teamsOf map[string][]string

func (t teamsOf) TeamsOf(_ context.Context, _, user string) ([]string, error) { return t[user], nil }

// fileNumbers resolves file numbers as the file package does, here from a fixed table.
type fileNumbers map[string][]string

func (f fileNumbers) PersonsByFileNumber(_ context.Context, _, number string) ([]string, error) {
	return f[number], nil
}

func TestObjectLevelRulesPerRole(t *testing.T) {
	e := newEnv(t)
	id := e.register(workerA, jean()).str("id")
	if a := e.call(workerA, "POST", "/v1/persons/"+id+"/bank-accounts", map[string]any{"iban": "BE68 5390 0754 7034", "holder": "Jean Dupont"}, `If-Match: "1"`); a.status != 200 {
		t.Fatalf("account: %d %s", a.status, a.raw)
	}
	// No registry data at all for these roles.
	for _, role := range []string{"committee_member", "committee_secretary", "president", "tenant_admin", "dpo"} {
		u := user{"cpas-a", "0190a000-0000-7000-8000-0000000000ff", []string{role}}
		for _, c := range []struct{ method, path string }{
			{"GET", "/v1/persons/" + id}, {"GET", "/v1/persons/" + id + "/payee"}, {"POST", "/v1/persons/search"}, {"POST", "/v1/persons"},
			{"GET", "/v1/persons/" + id + "/ris-category"},
		} {
			var body any
			switch c.path {
			case "/v1/persons/search":
				body = map[string]any{"query": "dupont"}
			case "/v1/persons":
				body = jean()
			}
			if a := e.call(u, c.method, c.path, body, purpose); a.status != 403 {
				t.Errorf("%s %s %s: %d", role, c.method, c.path, a.status)
			}
		}
	}
	plat := user{"platform", "0190a000-0000-7000-8000-0000000000fe", []string{"platform_admin"}}
	if a := e.call(plat, "GET", "/v1/persons/"+id, nil, purpose); a.status != 403 {
		t.Errorf("platform admin: %d", a.status)
	}
	if a := e.call(user{}, "GET", "/v1/persons/"+id, nil, purpose); a.status != 401 {
		t.Errorf("no token: %d", a.status)
	}
	n, _ := e.db.Collection(audit.CollectionName).CountDocuments(context.Background(),
		bson.D{{Key: "actor_roles", Value: "dpo"}, {Key: "action", Value: "person.read"}, {Key: "outcome", Value: audit.OutcomeDenied}, {Key: "resource_id", Value: id}})
	if n != 1 {
		t.Errorf("denied DPO read audited %d times", n)
	}

	// Finance: the payee projection only.
	if a := e.call(accA, "GET", "/v1/persons/"+id, nil, purpose); a.status != 403 {
		t.Errorf("accountant reads the person: %d", a.status)
	}
	a := e.call(accA, "GET", "/v1/persons/"+id+"/payee", nil, "X-Purpose: payment")
	if a.status != 200 || a.str("name") != "Dupont-Lefèvre Jean" || a.str("iban") != "BE68539007547034" || len(a.body) != 5 {
		t.Errorf("payee: %d %s", a.status, a.raw)
	}

	// Social workers: the registering worker until a file exists, then the file's worker and team.
	if a := e.call(worker2A, "GET", "/v1/persons/"+id, nil, purpose); a.status != 404 {
		t.Errorf("other worker: %d", a.status)
	}
	if a := e.call(worker2A, "POST", "/v1/persons/search", map[string]any{"query": "dupont"}, purpose); len(a.body["items"].([]any)) != 0 {
		t.Errorf("other worker finds: %s", a.raw)
	}
	if a := e.call(headA, "GET", "/v1/persons/"+id, nil, purpose); a.status != 200 {
		t.Errorf("head: %d", a.status)
	}
	e.app.Persons.SetHooks(person.Hooks{Teams: teamsOf{worker2A.id: {"team-north"}}, Files: fileNumbers{"2026/000123": {id}}})
	if err := e.app.Persons.Repository.SetFileLinks(context.Background(), "cpas-a", id,
		[]person.FileLink{{FileID: "f1", Number: "2026/000123", Open: true, Worker: headA.id, Team: "team-north"}}); err != nil {
		t.Fatal(err)
	}
	if a := e.call(worker2A, "GET", "/v1/persons/"+id, nil, purpose); a.status != 200 || fmt.Sprint(a.body["files"]) != "[map[file_id:f1 number:2026/000123 open:true]]" {
		t.Errorf("team member: %d %s", a.status, a.raw)
	}
	if a := e.call(worker2A, "POST", "/v1/persons/search", map[string]any{"query": "2026/000123"}, purpose); len(a.body["items"].([]any)) != 1 {
		t.Errorf("search by file number: %s", a.raw)
	}
	if a := e.call(workerA, "GET", "/v1/persons/"+id, nil, purpose); a.status != 404 {
		t.Errorf("registering worker after the file went to another team: %d", a.status)
	}
	if a := e.call(workerA, "POST", "/v1/persons/search", map[string]any{"query": "2026/000123"}, purpose); len(a.body["items"].([]any)) != 0 {
		t.Errorf("file number search shows an invisible person: %s", a.raw)
	}
}

func TestSearch(t *testing.T) {
	e := newEnv(t)
	id := e.register(workerA, jean()).str("id")
	e.register(workerA, map[string]any{"family_name": "Müller", "given_names": "Anna", "birth_date": "1990-01-02", "sex": "female",
		"nationality": "DE", "residence_status": "eu", "language": "de"})
	e.register(workerA, map[string]any{"family_name": "Mulder", "given_names": "Piet", "birth_date": "1960-05-05", "sex": "male",
		"nationality": "NL", "residence_status": "eu", "language": "nl"})
	names := func(a answer) []string {
		var out []string
		for _, it := range a.body["items"].([]any) {
			out = append(out, it.(map[string]any)["family_name"].(string))
		}
		return out
	}
	for q, want := range map[string]string{
		"muller": "[Müller]", "MÜLL": "[Müller]", "mul": "[Mulder Müller]", "dupont lefevre": "[Dupont-Lefèvre]",
		"Dupont-Lefèvre J": "[Dupont-Lefèvre]", "lefèvre": "[Dupont-Lefèvre]", "anna": "[Müller]", "85071412330": "[Dupont-Lefèvre]",
		"85.07.14-123.30": "[Dupont-Lefèvre]", "850714 123 30": "[Dupont-Lefèvre]", "dupont jean x": "[]", "2026/000001": "[]",
	} {
		a := e.call(workerA, "POST", "/v1/persons/search", map[string]any{"query": q}, purpose)
		if a.status != 200 || fmt.Sprint(names(a)) != want {
			t.Errorf("search %q: %d %v, want %s", q, a.status, names(a), want)
		}
	}
	a := e.call(workerA, "POST", "/v1/persons/search", map[string]any{"query": "mul", "page_size": 1}, purpose)
	if fmt.Sprint(names(a)) != "[Mulder]" || a.body["has_more"] != true {
		t.Errorf("page 1: %s", a.raw)
	}
	a = e.call(workerA, "POST", "/v1/persons/search", map[string]any{"query": "mul", "page_size": 1, "page": 2}, purpose)
	if fmt.Sprint(names(a)) != "[Müller]" || a.body["has_more"] != false {
		t.Errorf("page 2: %s", a.raw)
	}
	hit := e.call(workerA, "POST", "/v1/persons/search", map[string]any{"query": "dupont"}, purpose).body["items"].([]any)[0].(map[string]any)
	if hit["id"] != id || hit["niss_formatted"] != "85.07.14-123.30" || hit["birth_date"] != "1985-07-14" {
		t.Errorf("hit %v", hit)
	}
	for _, c := range []struct {
		body   map[string]any
		header string
		field  string
	}{
		{map[string]any{"query": "m"}, purpose, "query"},
		{map[string]any{"query": "85071412331"}, purpose, "query"},
		{map[string]any{"query": "dupont", "page_size": 1000}, purpose, "page_size"},
		{map[string]any{"query": "dupont"}, "X-Other: 1", "X-Purpose"},
	} {
		if a := e.call(workerA, "POST", "/v1/persons/search", c.body, c.header); a.status != 422 || a.codes()[c.field] == "" {
			t.Errorf("%v: %d %s", c.body, a.status, a.raw)
		}
	}
}

func TestBankAccountsHouseholdAndCategory(t *testing.T) {
	e := newEnv(t)
	id := e.register(workerA, jean()).str("id")
	a := e.call(workerA, "POST", "/v1/persons/"+id+"/bank-accounts", map[string]any{"iban": "be68 5390 0754 7034", "holder": "Jean Dupont"}, `If-Match: "1"`)
	if a.status != 200 || a.header.Get("ETag") != `"2"` {
		t.Fatalf("first account: %d %s", a.status, a.raw)
	}
	a = e.call(workerA, "POST", "/v1/persons/"+id+"/bank-accounts", map[string]any{"iban": "FR14 2004 1010 0505 0001 3M02 606", "holder": "Jean Dupont", "activate": true}, `If-Match: "2"`)
	accs := a.body["bank_accounts"].([]any)
	if a.status != 200 || len(accs) != 2 || accs[0].(map[string]any)["active"] != false || accs[1].(map[string]any)["active"] != true ||
		accs[1].(map[string]any)["iban_formatted"] != "FR14 2004 1010 0505 0001 3M02 606" {
		t.Fatalf("second account: %d %s", a.status, a.raw)
	}
	first := accs[0].(map[string]any)["id"].(string)
	a = e.call(workerA, "POST", "/v1/persons/"+id+"/bank-accounts/"+first+"/activate", nil, `If-Match: "3"`)
	if a.status != 200 || a.body["bank_accounts"].([]any)[0].(map[string]any)["active"] != true {
		t.Fatalf("reactivate: %d %s", a.status, a.raw)
	}
	if a := e.call(workerA, "POST", "/v1/persons/"+id+"/bank-accounts/0190a000-0000-7000-8000-000000000999/activate", nil, `If-Match: "4"`); a.status != 404 {
		t.Errorf("unknown account: %d", a.status)
	}
	changes := outboxOf(t, e, id, person.EventBankAccountChanged)
	if len(changes) != 3 || changes[0]["old_iban"] != nil || changes[1]["old_iban"] != "BE68539007547034" || changes[1]["new_iban"] != "FR1420041010050500013M02606" ||
		changes[2]["old_iban"] != "FR1420041010050500013M02606" {
		t.Errorf("bankaccount.changed events: %v", changes)
	}

	kid := e.register(workerA, map[string]any{"family_name": "Dupont", "given_names": "Léa", "birth_date": "2015-04-01", "sex": "female",
		"nationality": "BE", "residence_status": "belgian", "language": "fr"}).str("id")
	partner := e.register(workerA, map[string]any{"family_name": "Martin", "given_names": "Sophie", "birth_date": "1987-09-09", "sex": "female",
		"nationality": "FR", "residence_status": "eu", "language": "fr"}).str("id")
	cat := func(date string) answer {
		return e.call(workerA, "GET", "/v1/persons/"+id+"/ris-category?date="+date, nil, "X-Purpose: decision_preparation")
	}
	if c := cat("2026-01-01"); c.status != 200 || c.body["category"] != float64(2) {
		t.Fatalf("alone: %d %s", c.status, c.raw)
	}
	a = e.call(workerA, "PUT", "/v1/persons/"+id+"/household", map[string]any{"members": []any{
		map[string]any{"person_id": partner, "relation": "legal_cohabitant", "valid_from": "2020-01-01"},
		map[string]any{"person_id": kid, "relation": "child", "dependent": true, "valid_from": "2024-01-01"},
	}}, `If-Match: "4"`)
	if a.status != 200 || len(a.body["household"].([]any)) != 2 {
		t.Fatalf("household: %d %s", a.status, a.raw)
	}
	for date, want := range map[string]float64{"2019-12-31": 2, "2023-06-01": 1, "2026-01-01": 3, "2033-04-01": 1} {
		c := cat(date)
		if c.body["category"] != want {
			t.Errorf("%s: category %v, want %v (%s)", date, c.body["category"], want, c.raw)
		}
	}
	expl := cat("2026-01-01").body["explanation"].(map[string]any)
	if expl["fr"] != "Catégorie 3 (famille à charge) : le demandeur vit avec une famille à charge comptant 1 enfant(s) mineur(s) non marié(s) au 1er janvier 2026." || expl["nl"] == "" {
		t.Errorf("explanation %v", expl)
	}
	if c := cat("2026-13-01"); c.status != 422 || c.codes()["date"] != "invalid_date" {
		t.Errorf("bad date: %d %s", c.status, c.raw)
	}
	hh := outboxOf(t, e, id, person.EventHouseholdChanged)
	if len(hh) != 1 || len(hh[0]["members"].([]any)) != 2 {
		t.Errorf("household.changed: %v", hh)
	}
}

// outboxOf returns the payloads of the events of type typ waiting in the person's outbox.
func outboxOf(t *testing.T, e *env, id, typ string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, ev := range pendingEvents(t, e, id) {
		if ev.Type == typ {
			var m map[string]any
			if err := jsonUnmarshal(ev.Data, &m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
	}
	return out
}

func TestOpsEndpoints(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		if a := e.call(user{}, "GET", p, nil); a.status != http.StatusOK {
			t.Errorf("%s: %d %s", p, a.status, a.raw)
		}
	}
}
