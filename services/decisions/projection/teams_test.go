package projection_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/services/decisions/projection"
)

// TestTeamsProjectedThroughTheHandler feeds team.changed and file events to the handler and reads the access
// they give: a worker's files are those assigned to them or to one of their teams; changes apply in team
// version order, once each, per tenant; a malformed change is permanent.
func TestTeamsProjectedThroughTheHandler(t *testing.T) {
	ctx := context.Background()
	db := testkit.Database(t)
	if err := projection.EnsureIndexes(ctx, db); err != nil {
		t.Fatal(err)
	}
	repo := projection.NewRepository(db)
	const tenant = "gent"
	team, own, teamFile, w1, w2, w3 := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	handle := func(e events.Event) {
		t.Helper()
		if err := repo.Handle(ctx, e); err != nil {
			t.Fatalf("%s: %v", e.Type, err)
		}
	}
	changed := func(tenant string, version int, members []string, deleted bool) events.Event {
		d := map[string]any{"team_id": team, "members": members, "deleted": deleted, "version": version}
		if !deleted {
			d["name"] = "Noord"
		}
		return beneficiaryEvent(t, projection.TypeTeamChanged, tenant, team, d, true)
	}
	handle(beneficiaryEvent(t, projection.TypeFileOpened, tenant, own, map[string]any{"file_id": own, "number": "2026/000001",
		"person_id": uuid.NewString(), "assignee": w1, "opened_on": "2026-01-05", "origin": "manual"}, true))
	handle(beneficiaryEvent(t, projection.TypeFileOpened, tenant, teamFile, map[string]any{"file_id": teamFile, "number": "2026/000002",
		"person_id": uuid.NewString(), "assignee": w3, "team_id": team, "opened_on": "2026-01-05", "origin": "manual"}, true))

	v1 := changed(tenant, 1, []string{w1, w2}, false)
	steps := []struct {
		name  string
		feed  []events.Event
		files map[string][]string // worker → files they see
	}{
		{"no team yet", nil, map[string][]string{w1: {own}, w2: {}, w3: {teamFile}}},
		{"team created", []events.Event{v1}, map[string][]string{w1: {own, teamFile}, w2: {teamFile}, w3: {teamFile}}},
		{"other tenant's change ignored", []events.Event{changed("liege", 2, []string{w3}, false)}, map[string][]string{w1: {own, teamFile}, w2: {teamFile}}},
		{"w1 leaves", []events.Event{changed(tenant, 2, []string{w2}, false)}, map[string][]string{w1: {own}, w2: {teamFile}}},
		{"older change and redelivery ignored", []events.Event{v1, changed(tenant, 1, []string{w1}, false)}, map[string][]string{w1: {own}, w2: {teamFile}}},
		{"team deleted", []events.Event{changed(tenant, 3, []string{}, true)}, map[string][]string{w1: {own}, w2: {}, w3: {teamFile}}},
	}
	for _, s := range steps {
		for _, e := range s.feed {
			handle(e)
		}
		for w, want := range s.files {
			got, err := repo.WorkerFileIDs(ctx, tenant, w)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			want = slices.Clone(want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: worker sees %v, want %v", s.name, got, want)
			}
			v, err := repo.Viewer(ctx, tenant, w, false)
			if err != nil {
				t.Fatal(err)
			}
			f, err := repo.File(ctx, tenant, teamFile)
			if err != nil {
				t.Fatal(err)
			}
			if v.CanSee(f) != slices.Contains(want, teamFile) {
				t.Errorf("%s: CanSee(team file) = %v, disagrees with the listing", s.name, v.CanSee(f))
			}
		}
	}
	if ids, err := repo.WorkerFileIDs(ctx, "liege", w3); err != nil || len(ids) != 0 {
		t.Errorf("other tenant's worker sees %v %v", ids, err)
	}
	for _, data := range []map[string]any{{"members": []string{w1}, "deleted": false, "version": 1}, {"team_id": team, "members": []string{}, "deleted": false}} {
		e, err := events.New(projection.TypeTeamChanged, "entraide-beneficiaries", tenant, team, "c", data)
		if err != nil {
			t.Fatal(err)
		}
		if err := repo.Handle(ctx, e); !events.IsPermanent(err) {
			t.Errorf("malformed %v: %v, want permanent", data, err)
		}
	}
}
