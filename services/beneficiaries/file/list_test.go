package file_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/services/beneficiaries/internal/apitest"
)

// TestListOpenFilesByWorkerAndTeam is the head's view of every open file of the tenant: filtered by worker and
// by team, paginated, each item with the applicant's name, the last note and the count of open tasks; a worker
// lists only what they see whatever the filters; bad filter ids are field errors.
func TestListOpenFilesByWorkerAndTeam(t *testing.T) {
	e := apitest.New(t, nil)
	north, south := teams(t, e)
	ctx := context.Background()

	// workerA (North) opens two files, worker2A (North) one, workerC (South) one; workerA closes a third.
	fa1 := open(t, e, workerA, e.RegisterPerson(workerA, 1, "Albert")).Str("id")
	fa2 := open(t, e, workerA, e.RegisterPerson(workerA, 2, "Bernard")).Str("id")
	f2a := open(t, e, worker2A, e.RegisterPerson(worker2A, 3, "Claes")).Str("id")
	fc := open(t, e, workerC, e.RegisterPerson(workerC, 4, "Dumont")).Str("id")
	closed := open(t, e, workerA, e.RegisterPerson(workerA, 5, "Evrard")).Str("id")
	if a := e.Call(workerA, "POST", "/v1/files/"+closed+"/closure", map[string]any{"reason": "aid_ended"}, `If-Match: "1"`); a.Status != 200 {
		t.Fatalf("close: %s", a.Raw)
	}
	if a := e.Call(workerA, "POST", "/v1/files/"+fa1+"/journal", map[string]any{"text": "Visite à domicile.", "date": "2026-01-15"}); a.Status != 201 {
		t.Fatalf("note: %s", a.Raw)
	}
	for i, f := range []string{fa1, fa1, fc} {
		ev, err := events.New("be.cpas.payments.task.requested.v1", "entraide-payments", "cpas-a", f, "corr",
			map[string]any{"task_id": fmt.Sprintf("0190d000-0000-7000-8000-00000000000%d", i), "file_id": f, "kind": "provide_account",
				"title_fr": "Compte", "title_nl": "Rekening"})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.App.Files.Tasks.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}

	ids := func(a apitest.Answer) map[string]map[string]any {
		t.Helper()
		if a.Status != 200 {
			t.Fatalf("list: %d %s", a.Status, a.Raw)
		}
		out := map[string]map[string]any{}
		for _, it := range a.Items() {
			out[it["id"].(string)] = it
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		u     apitest.User
		query string
		want  []string
	}{
		{"head, all open", headA, "status=open", []string{fa1, fa2, f2a, fc}},
		{"head, by worker", headA, "status=open&assignee=" + workerA.ID, []string{fa1, fa2}},
		{"head, by team North", headA, "status=open&team_id=" + north, []string{fa1, fa2, f2a}},
		{"head, by team South", headA, "status=open&team_id=" + south, []string{fc}},
		{"head, worker and team", headA, "status=open&team_id=" + south + "&assignee=" + workerA.ID, nil},
		{"head, closed by worker", headA, "status=closed&assignee=" + workerA.ID, []string{closed}},
		{"worker asks for the other team", workerA, "status=open&team_id=" + south, nil},
		{"worker asks for a team mate", workerA, "status=open&assignee=" + worker2A.ID, []string{f2a}},
		{"other tenant's head", headB, "status=open&assignee=" + workerA.ID, nil},
	} {
		got := ids(e.Call(tc.u, "GET", "/v1/files?"+tc.query, nil, purpose))
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d files, want %d", tc.name, len(got), len(tc.want))
		}
		for _, id := range tc.want {
			if got[id] == nil {
				t.Errorf("%s: %s missing", tc.name, id)
			}
		}
	}

	// The items name the applicant, the last note and the open tasks.
	all := ids(e.Call(headA, "GET", "/v1/files?status=open", nil, purpose))
	if it := all[fa1]; it["person_name"] != "Albert, Jean" || it["last_note_on"] != "2026-01-15" || it["open_tasks"] != 2.0 {
		t.Errorf("item of fa1: %v", it)
	}
	if it := all[fa2]; it["open_tasks"] != 0.0 || it["last_note_on"] != nil {
		t.Errorf("item of fa2: %v", it)
	}
	if it := all[fc]; it["open_tasks"] != 1.0 || it["assignee"] != workerC.ID || it["team_id"] != south {
		t.Errorf("item of fc: %v", it)
	}

	// Pages of two: two pages, nothing lost or repeated.
	seen := map[string]bool{}
	for page, more := 1, true; more; page++ {
		a := e.Call(headA, "GET", fmt.Sprintf("/v1/files?status=open&page=%d&page_size=2", page), nil, purpose)
		for id := range ids(a) {
			if seen[id] {
				t.Errorf("page %d repeats %s", page, id)
			}
			seen[id] = true
		}
		more = a.Body["has_more"] == true
		if page > 3 {
			t.Fatal("pages never end")
		}
	}
	if len(seen) != 4 {
		t.Errorf("pages gave %d files", len(seen))
	}

	// Filters are ids: anything else is a field error.
	a := e.Call(headA, "GET", "/v1/files?status=open&assignee=Dupont&team_id=x", nil, purpose)
	if c := a.Codes(); a.Status != 422 || c["assignee"] != "invalid" || c["team_id"] != "invalid" {
		t.Fatalf("bad filters: %d %s", a.Status, a.Raw)
	}
}
