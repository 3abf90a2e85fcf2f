package board_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/services/decisions/board"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/projection"
	"github.com/entraide/entraide/services/decisions/request"
)

// fakeSource is another package's clocks (a fake of the Source interface, not of the database).
type fakeSource struct {
	tenant string
	clock  string
	items  []board.Item
	calls  int
}

func (f *fakeSource) Clocks() []string { return []string{f.clock} }

func (f *fakeSource) Due(_ context.Context, tenant string, fileIDs []string, limit int64) ([]board.Item, error) {
	f.calls++
	var out []board.Item
	if tenant != f.tenant {
		return nil, nil
	}
	for _, it := range f.items {
		if fileIDs == nil || slices.Contains(fileIDs, it.FileID) {
			out = append(out, it)
		}
	}
	return out[:min(int64(len(out)), limit)], nil
}

// fileEvent feeds the projection a file.opened event (the directory follows through OnFile).
func fileEvent(t *testing.T, proj *projection.Repository, tenant, fileID, person, assignee, team string, at time.Time) {
	t.Helper()
	e, err := events.New(projection.TypeFileOpened, "test", tenant, fileID, "corr", map[string]any{"file_id": fileID,
		"number": "D" + fileID[:4], "person_id": person, "assignee": assignee, "team_id": team})
	if err != nil {
		t.Fatal(err)
	}
	e.Time = at
	if err := proj.Handle(context.Background(), e); err != nil {
		t.Fatal(err)
	}
}

func TestBoardMergesSourcesWithFiltersTotalsAndPages(t *testing.T) {
	ctx := context.Background()
	db := testkit.Database(t)
	if err := projection.EnsureIndexes(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := request.EnsureIndexes(ctx, db); err != nil {
		t.Fatal(err)
	}
	proj := projection.NewRepository(db)
	reqs := &request.Service{Repo: request.NewRepository(db, nil), Proj: proj, Audit: kit.NewAuditor(nil, nil)}
	today := civil.MustNew(2026, 11, 30)
	now := func() time.Time { return time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC) }
	reqs.Now = now
	svc := board.New(reqs, now)
	proj.OnFile = svc.Directory.FileChanged

	const tenant = "t-board"
	w1, w2, w3, team := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	at := time.Now()
	var files []string
	for i := range 6 {
		f := uuid.NewString()
		files = append(files, f)
		assignee, tm := w1, ""
		if i >= 3 {
			assignee = w2
		}
		if i == 5 {
			tm = team
		}
		fileEvent(t, proj, tenant, f, uuid.NewString(), assignee, tm, at)
	}
	teamEv, _ := events.New(projection.TypeTeamChanged, "test", tenant, team, "corr", map[string]any{"team_id": team, "members": []string{w3}, "version": 1})
	if err := proj.Handle(ctx, teamEv); err != nil {
		t.Fatal(err)
	}
	// One open request per file, received 40, 35, … 15 days ago: the first ones are late.
	var reqIDs []string
	for i, f := range files {
		file, _ := proj.File(ctx, tenant, f)
		// Register needs the person in the projection; write the request as the register stores it.
		received := today.AddDays(-40 + 5*i)
		dl, _ := legalclock.DecisionDue(legalclock.RIS, received)
		id := uuid.NewString()
		if err := reqs.Repo.Insert(ctx, tenant, id, request.Request{Number: request.FormatNumber(2026, i+1), Year: 2026, Seq: i + 1,
			PersonID: file.PersonID, FileID: f, Kind: legalclock.RIS, Channel: request.InPerson, ReceivedOn: received,
			DecisionDue: dl.Due, Status: request.Registered, Open: true}); err != nil {
			t.Fatal(err)
		}
		reqIDs = append(reqIDs, id)
	}
	// A second source: notification clocks of decisions on files 0 and 4, and a ratification flag without date.
	notif, _ := legalclock.NotificationDue(today.AddDays(-3))
	other := &fakeSource{tenant: tenant, clock: board.ClockNotification, items: []board.Item{
		{Clock: board.ClockNotification, RefType: board.RefDecision, RefID: "dec-1", FileID: files[4], Deadline: notif},
		{Clock: board.ClockNotification, RefType: board.RefDecision, RefID: "dec-0", FileID: files[0], Deadline: func() legalclock.Deadline {
			d, _ := legalclock.NotificationDue(today.AddDays(-20))
			return d
		}()},
	}}
	slices.SortFunc(other.items, func(a, b board.Item) int { return a.Deadline.Due.Compare(b.Deadline.Due) })
	svc.Add(other)

	head := kit.Actor{UserID: uuid.NewString(), Tenant: tenant, Roles: []string{kit.RoleHead}}
	build := func(a kit.Actor, q board.Query) board.Board {
		t.Helper()
		q.Purpose = "case_follow_up"
		if q.PageSize == 0 {
			q.PageSize = 100
		}
		bd, err := svc.Build(ctx, a, q)
		if err != nil {
			t.Fatal(err)
		}
		return bd
	}
	refs := func(bd board.Board) []string {
		var out []string
		for _, it := range bd.Items {
			out = append(out, it.RefID)
		}
		return out
	}

	all := build(head, board.Query{})
	if len(all.Items) != 8 || !slices.IsSortedFunc(all.Items, func(a, b board.Item) int { return a.Deadline.Due.Compare(b.Deadline.Due) }) {
		t.Fatalf("head board: %v", refs(all))
	}
	if it := all.Items[0]; it.RefID != "dec-0" || it.Due.State != legalclock.Late || it.FileNumber == "" || it.Assignee != w1 || it.PersonID == "" ||
		it.StatusFR == "" || it.Deadline.NL == "" {
		t.Errorf("first item: %+v", it)
	}
	first := all.Items[1]
	if first.Clock != board.ClockDecision || first.RefType != board.RefRequest || first.RefID != reqIDs[0] || first.RequestID != reqIDs[0] ||
		first.Number != "R2026/000001" || first.Status != "registered" || first.Kind != legalclock.RIS {
		t.Errorf("request item: %+v", first)
	}
	// Requests received 40, 35, 30 days ago are late (30 days + art. 53 shift), the notification of 20 days ago too.
	late := 0
	for _, it := range all.Items {
		if it.Due.State == legalclock.Late {
			late++
		}
	}
	if all.Totals.Late != late || all.Totals.Open != 8 {
		t.Errorf("totals %+v, %d late on the board", all.Totals, late)
	}

	// Pages of 3 cover the whole board in order, and say when there is more.
	var paged []string
	for p := 1; ; p++ {
		bd := build(head, board.Query{Page: p, PageSize: 3})
		paged = append(paged, refs(bd)...)
		if !bd.More {
			break
		}
	}
	if !slices.Equal(paged, refs(all)) {
		t.Errorf("pages %v, want %v", paged, refs(all))
	}

	// Filters: one clock, late only, one worker (the head), a worker's own view (their files and their team's).
	if bd := build(head, board.Query{Clock: board.ClockNotification}); len(bd.Items) != 2 || bd.Totals.Open != 2 {
		t.Errorf("notification clock: %v %+v", refs(bd), bd.Totals)
	}
	lateOnly := build(head, board.Query{LateOnly: true})
	if len(lateOnly.Items) != late {
		t.Errorf("late only: %v", refs(lateOnly))
	}
	for _, it := range lateOnly.Items {
		if it.Due.State != legalclock.Late {
			t.Errorf("not late: %+v", it)
		}
	}
	if bd := build(head, board.Query{Worker: w1}); len(bd.Items) != 4 { // 3 requests + dec-0
		t.Errorf("worker w1: %v", refs(bd))
	}
	if bd := build(kit.Actor{UserID: w3, Tenant: tenant, Roles: []string{kit.RoleSocialWorker}}, board.Query{}); len(bd.Items) != 1 ||
		bd.Items[0].RefID != reqIDs[5] {
		t.Errorf("team member w3: %v", refs(bd))
	}
	if bd := build(kit.Actor{UserID: w1, Tenant: tenant, Roles: []string{kit.RoleSocialWorker}}, board.Query{Worker: w2}); len(bd.Items) != 0 {
		t.Errorf("a worker asking for another's board: %v", refs(bd))
	}
	if bd := build(kit.Actor{UserID: w1, Tenant: "other", Roles: []string{kit.RoleHead}}, board.Query{}); len(bd.Items) != 0 {
		t.Errorf("other tenant: %v", refs(bd))
	}

	// A request decided leaves the board at once (request.Service.OnChange); a file reassigned moves its clocks.
	if _, err := reqs.Advance(ctx, tenant, reqIDs[0], request.Decided); err != nil {
		t.Fatal(err)
	}
	assigned, _ := events.New(projection.TypeFileAssigned, "test", tenant, files[1], "corr", map[string]any{"file_id": files[1], "assignee": w2})
	assigned.Time = at.Add(time.Second)
	if err := proj.Handle(ctx, assigned); err != nil {
		t.Fatal(err)
	}
	after := build(head, board.Query{})
	if slices.Contains(refs(after), reqIDs[0]) || after.Totals.Open != 7 {
		t.Errorf("decided request still on the board: %v", refs(after))
	}
	if bd := build(head, board.Query{Worker: w2}); !slices.Contains(refs(bd), reqIDs[1]) {
		t.Errorf("reassigned file's request not on w2's board: %v", refs(bd))
	}

	// A process that starts later (empty cache) and a rebuild read the same board.
	again := board.New(reqs, now)
	again.Add(other)
	again.Reconcile(ctx) // what Serve runs at start and hourly: rebuilds and loads
	if err := again.Rebuild(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	bd, err := again.Build(ctx, head, board.Query{Purpose: "case_follow_up", Page: 1, PageSize: 100})
	if err != nil || fmt.Sprint(refs(bd)) != fmt.Sprint(refs(after)) {
		t.Errorf("rebuilt board %v, want %v (%v)", refs(bd), refs(after), err)
	}
}

func TestClockIndexAsASource(t *testing.T) {
	ctx := context.Background()
	db := testkit.Database(t)
	proj := projection.NewRepository(db)
	reqs := &request.Service{Repo: request.NewRepository(db, nil), Proj: proj, Audit: kit.NewAuditor(nil, nil)}
	today := civil.MustNew(2026, 11, 30)
	svc := board.New(reqs, func() time.Time { return time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC) })
	proj.OnFile = svc.Directory.FileChanged
	const tenant = "t-index"
	worker, fileA, fileB := uuid.NewString(), uuid.NewString(), uuid.NewString()
	fileEvent(t, proj, tenant, fileA, uuid.NewString(), worker, "", time.Now())
	fileEvent(t, proj, tenant, fileB, uuid.NewString(), uuid.NewString(), "", time.Now())

	idx := board.NewClockIndex(db, "test", board.ClockNotification, board.ClockRatification)
	svc.Add(idx)
	notif, _ := legalclock.NotificationDue(today.AddDays(-14))
	put := func(c board.Clock) {
		t.Helper()
		if err := idx.Put(ctx, tenant, c); err != nil {
			t.Fatal(err)
		}
	}
	put(board.Clock{Key: "d1/notification", Clock: board.ClockNotification, RefType: board.RefDecision, RefID: "d1", FileID: fileA, Deadline: notif})
	put(board.Clock{Key: "u1/ratification", Clock: board.ClockRatification, RefType: board.RefUrgent, RefID: "u1", FileID: fileB,
		Deadline: legalclock.Deadline{FR: "Décision urgente non ratifiée", NL: "Dringende beslissing niet bekrachtigd"}})
	put(board.Clock{Key: "d1/notification", Clock: board.ClockNotification, RefType: board.RefDecision, RefID: "d1", FileID: fileA, Deadline: notif}) // again: no change

	head := kit.Actor{UserID: uuid.NewString(), Tenant: tenant, Roles: []string{kit.RoleHead}}
	bd, err := svc.Build(ctx, head, board.Query{Page: 1, PageSize: 10, Purpose: "case_follow_up"})
	if err != nil {
		t.Fatal(err)
	}
	if len(bd.Items) != 2 || bd.Items[0].RefID != "u1" || bd.Items[0].Due.State != legalclock.NotRunning || bd.Items[0].Deadline.NL == "" ||
		bd.Items[1].RefID != "d1" || bd.Items[1].Due.State != legalclock.Late || bd.Items[1].Deadline.FR != notif.FR || bd.Items[1].Assignee != worker {
		t.Fatalf("board %+v", bd.Items)
	}
	if bd.Totals != (board.Totals{Open: 2, Late: 1}) {
		t.Errorf("totals %+v", bd.Totals)
	}
	w := kit.Actor{UserID: worker, Tenant: tenant, Roles: []string{kit.RoleSocialWorker}}
	if bd, _ := svc.Build(ctx, w, board.Query{Page: 1, PageSize: 10, Purpose: "case_follow_up"}); len(bd.Items) != 1 || bd.Items[0].RefID != "d1" {
		t.Errorf("worker's board %+v", bd.Items)
	}
	if bd, _ := svc.Build(ctx, head, board.Query{Clock: board.ClockDecision, Page: 1, PageSize: 10, Purpose: "case_follow_up"}); len(bd.Items) != 0 {
		t.Errorf("decision clocks only: %+v", bd.Items)
	}
	if err := idx.Remove(ctx, tenant, "d1/notification"); err != nil {
		t.Fatal(err)
	}
	if bd, _ := svc.Build(ctx, head, board.Query{Page: 1, PageSize: 10, Purpose: "case_follow_up"}); len(bd.Items) != 1 {
		t.Errorf("after remove: %+v", bd.Items)
	}
}
