package decisions_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/decisions/projection"
)

// TestTeamMembersSeeTheirTeamsRequests: a file assigned to a worker and a team is seen by the team's members
// (read, register list, board, registration on it) and by no one else; a member removed from the team, or a
// deleted team, loses the access, and a change delivered late does not give it back.
func TestTeamMembersSeeTheirTeamsRequests(t *testing.T) {
	e := newEnv(t)
	assignee := user{"gent", uuid.NewString(), "social_worker"}
	member := user{"gent", uuid.NewString(), "social_worker"}
	outsider := user{"gent", uuid.NewString(), "social_worker"}
	team := uuid.NewString()
	changed := func(version int, members []string, deleted bool) map[string]any {
		d := map[string]any{"team_id": team, "members": members, "deleted": deleted, "version": version}
		if !deleted {
			d["name"] = "Noord"
		}
		return d
	}
	e.feed("gent", projection.TypeTeamChanged, team, changed(1, []string{member.id}, false))
	p, f := uuid.NewString(), uuid.NewString()
	e.feed("gent", projection.TypePersonRegistered, p, map[string]any{"person_id": p, "niss": nil, "family_name": "Peeters",
		"given_names": "An", "birth_date": "1985-07-14", "sex": "female", "nationality": "BE", "residence_status": "belgian",
		"language": "nl", "address": map[string]any{"street": "Kerkstraat", "number": "3", "postcode": 9000, "municipality": "Gent"}})
	e.feed("gent", projection.TypeFileOpened, f, map[string]any{"file_id": f, "number": "2026/000009", "person_id": p,
		"assignee": assignee.id, "team_id": team, "opened_on": "2026-01-05", "origin": "manual"})

	in := map[string]any{"person_id": p, "file_id": f, "kind": "ris", "channel": "in_person", "received_on": civil.Today().String()}
	if st, _, raw, _ := e.call(outsider, "POST", "/v1/requests", in); st != http.StatusUnprocessableEntity {
		t.Fatalf("outsider registers on the team's file: %d %s", st, raw)
	}
	st, body, raw, _ := e.call(member, "POST", "/v1/requests", in)
	if st != http.StatusCreated {
		t.Fatalf("member registers on the team's file: %d %s", st, raw)
	}
	id := body["id"].(string)

	sees := func(u user) (read, listed, board bool) {
		t.Helper()
		st, _, _, _ := e.call(u, "GET", "/v1/requests/"+id, nil, purpose)
		_, l, _, _ := e.call(u, "GET", "/v1/requests", nil, purpose)
		_, b, _, _ := e.call(u, "GET", "/v1/board", nil, purpose)
		items, _ := l["items"].([]any)
		bitems, _ := b["items"].([]any)
		return st == http.StatusOK, len(items) == 1, len(bitems) == 1
	}
	check := func(step string, want map[user]bool) {
		t.Helper()
		for u, w := range want {
			if r, l, b := sees(u); r != w || l != w || b != w {
				t.Errorf("%s: worker %s reads %v, lists %v, board %v; want %v", step, u.id[:8], r, l, b, w)
			}
		}
	}
	check("team with the member", map[user]bool{assignee: true, member: true, outsider: false})

	e.feed("gent", projection.TypeTeamChanged, team, changed(2, []string{outsider.id}, false))
	check("member replaced by the outsider", map[user]bool{assignee: true, member: false, outsider: true})

	e.feed("gent", projection.TypeTeamChanged, team, changed(1, []string{member.id}, false))
	check("an older change delivered late", map[user]bool{member: false, outsider: true})

	e.feed("gent", projection.TypeTeamChanged, team, changed(3, []string{}, true))
	check("team deleted", map[user]bool{assignee: true, member: false, outsider: false})
}
