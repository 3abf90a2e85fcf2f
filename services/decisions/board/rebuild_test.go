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

// paused runs rebuild in a goroutine whose source scan blocks in pause until the returned resume is called;
// resume waits for the rebuild to finish and returns its error. started is closed once the scan is paused.
func paused(t *testing.T, rebuild func(pause func()) error) (started chan struct{}, resume func() error) {
	t.Helper()
	started, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	pause := func() {
		close(started)
		<-release
	}
	go func() { done <- rebuild(pause) }()
	return started, func() error {
		close(release)
		select {
		case err := <-done:
			return err
		case <-time.After(time.Minute):
			t.Fatal("rebuild did not finish")
			return nil
		}
	}
}

func clockAt(key, fileID string, due civil.Date) board.Clock {
	return board.Clock{Key: key, Clock: board.ClockNotification, RefType: board.RefDecision, RefID: key, FileID: fileID,
		Deadline: legalclock.Deadline{Due: due, FR: "Notification", NL: "Kennisgeving"}}
}

// dueOf reads the index as the board does: the due date of each key (RefID).
func dueOf(t *testing.T, idx *board.ClockIndex, tenant string) map[string]civil.Date {
	t.Helper()
	items, err := idx.Due(context.Background(), tenant, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]civil.Date{}
	for _, it := range items {
		out[it.RefID] = it.Deadline.Due
	}
	return out
}

// A rebuild reads the owner's documents, then writes the whole index: a Put or Remove that lands in between (here
// from another ClockIndex on the same collection, as another replica would) must survive it.
func TestClockIndexReplaceKeepsPutsAndRemovesMadeDuringItsScan(t *testing.T) {
	ctx := context.Background()
	db := testkit.Database(t)
	const tenant = "t-rebuild"
	day := civil.MustNew(2026, 12, 1)
	file := uuid.NewString()
	idx := board.NewClockIndex(db, "race", board.ClockNotification)
	other := board.NewClockIndex(db, "race", board.ClockNotification) // another process's copy
	for _, k := range []string{"moved", "removed", "kept", "stale"} {
		if err := idx.Put(ctx, tenant, clockAt(k, file, day)); err != nil {
			t.Fatal(err)
		}
	}
	if got := dueOf(t, idx, tenant); len(got) != 4 {
		t.Fatalf("before: %v", got)
	}

	// The scan reads the documents as they were before the changes below; "stale" is gone from them (a Remove
	// that was lost, what a rebuild repairs) and "missed" was never put.
	started, resume := paused(t, func(pause func()) error {
		return idx.Replace(ctx, tenant, func(context.Context) ([]board.Clock, error) {
			cs := []board.Clock{clockAt("moved", file, day), clockAt("removed", file, day), clockAt("kept", file, day), clockAt("missed", file, day)}
			pause()
			return cs, nil
		})
	})
	<-started
	if err := other.Put(ctx, tenant, clockAt("moved", file, day.AddDays(10))); err != nil {
		t.Fatal(err)
	}
	if err := other.Remove(ctx, tenant, "removed"); err != nil {
		t.Fatal(err)
	}
	if err := other.Put(ctx, tenant, clockAt("added", file, day.AddDays(3))); err != nil {
		t.Fatal(err)
	}
	if err := resume(); err != nil {
		t.Fatal(err)
	}

	want := map[string]civil.Date{"moved": day.AddDays(10), "kept": day, "missed": day, "added": day.AddDays(3)}
	for name, x := range map[string]*board.ClockIndex{"rebuilding process": idx, "other process": other} {
		if got := dueOf(t, x, tenant); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s reads %v, want %v", name, got, want)
		}
	}

	// A later rebuild with nothing happening meanwhile writes what it read.
	if err := idx.Replace(ctx, tenant, func(context.Context) ([]board.Clock, error) {
		return []board.Clock{clockAt("moved", file, day.AddDays(11))}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := dueOf(t, other, tenant); fmt.Sprint(got) != fmt.Sprint(map[string]civil.Date{"moved": day.AddDays(11)}) {
		t.Errorf("after a quiet rebuild: %v", got)
	}
}

// When a shard changed more times during the scan than its log holds, the rebuild cannot tell which of its lines
// are older than the changes: it leaves that shard as the changes made it.
func TestClockIndexReplaceLeavesAShardThatChangedTooOften(t *testing.T) {
	ctx := context.Background()
	db := testkit.Database(t)
	const tenant = "t-rebuild-busy"
	day := civil.MustNew(2026, 12, 1)
	file := uuid.NewString()
	idx := board.NewClockIndex(db, "busy", board.ClockNotification)
	var busy []string // keys of one shard
	for i := 0; len(busy) < board.LogMax+8; i++ {
		if k := fmt.Sprintf("k%d", i); board.ShardOf(k) == board.ShardOf("k0") {
			busy = append(busy, k)
		}
	}
	if err := idx.Put(ctx, tenant, clockAt("elsewhere", file, day)); err != nil {
		t.Fatal(err)
	}
	started, resume := paused(t, func(pause func()) error {
		return idx.Replace(ctx, tenant, func(context.Context) ([]board.Clock, error) {
			pause()
			return []board.Clock{clockAt("elsewhere", file, day.AddDays(1))}, nil
		})
	})
	<-started
	for _, k := range busy {
		if err := idx.Put(ctx, tenant, clockAt(k, file, day)); err != nil {
			t.Fatal(err)
		}
	}
	if err := resume(); err != nil {
		t.Fatal(err)
	}
	got := dueOf(t, idx, tenant)
	for _, k := range busy {
		if _, ok := got[k]; !ok {
			t.Errorf("%s, put during the rebuild, is gone", k)
		}
	}
	if board.ShardOf("elsewhere") != board.ShardOf("k0") && got["elsewhere"] != day.AddDays(1) {
		t.Errorf("the other shards are rebuilt: elsewhere due %v", got["elsewhere"])
	}
}

// The board's own indexes: a request decided and a request registered while the request clocks are rebuilt, and a
// file reassigned while the directory is rebuilt, are on the board once the rebuilds finish.
func TestBoardRebuildKeepsChangesMadeDuringIt(t *testing.T) {
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

	const tenant = "t-board-rebuild"
	w1, w2 := uuid.NewString(), uuid.NewString()
	var files []string
	for range 3 {
		f := uuid.NewString()
		files = append(files, f)
		fileEvent(t, proj, tenant, f, uuid.NewString(), w1, "", time.Now())
	}
	insert := func(i int, file string) string {
		t.Helper()
		received := today.AddDays(-20 + i)
		dl, _ := legalclock.DecisionDue(legalclock.RIS, received)
		id := uuid.NewString()
		if err := reqs.Repo.Insert(ctx, tenant, id, request.Request{Number: request.FormatNumber(2026, i+1), Year: 2026, Seq: i + 1,
			FileID: file, Kind: legalclock.RIS, Channel: request.InPerson, ReceivedOn: received, DecisionDue: dl.Due,
			Status: request.Registered, Open: true}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	first, second := insert(0, files[0]), insert(1, files[1])
	if err := svc.Rebuild(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	head := kit.Actor{UserID: uuid.NewString(), Tenant: tenant, Roles: []string{kit.RoleHead}}
	refs := func(q board.Query) []string {
		t.Helper()
		q.Purpose, q.Page, q.PageSize = "case_follow_up", 1, 100
		bd, err := svc.Build(ctx, head, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range bd.Items {
			out = append(out, it.RefID)
		}
		slices.Sort(out)
		return out
	}
	if got := refs(board.Query{}); len(got) != 2 {
		t.Fatalf("before: %v", got)
	}

	// Request clocks: the first request is decided (Advance → OnChange → Sync removes it), a third registered and
	// synced, while the rebuild's scan (which saw the first open and no third) waits.
	var third string
	started, resume := paused(t, func(pause func()) error {
		board.OnRebuildScanned(svc, pause)
		defer board.OnRebuildScanned(svc, nil)
		return svc.Requests.Rebuild(ctx, tenant)
	})
	<-started
	if _, err := reqs.Advance(ctx, tenant, first, request.Decided); err != nil {
		t.Fatal(err)
	}
	third = insert(2, files[2])
	if err := svc.Requests.Sync(ctx, tenant, third); err != nil {
		t.Fatal(err)
	}
	if err := resume(); err != nil {
		t.Fatal(err)
	}
	want := []string{second, third}
	slices.Sort(want)
	if got := refs(board.Query{}); !slices.Equal(got, want) {
		t.Errorf("after the request clocks' rebuild: %v, want %v (the decided %s gone, %s there)", got, want, first, third)
	}

	// Directory: the second file is reassigned to w2 while the directory's scan (which saw it with w1) waits.
	started, resume = paused(t, func(pause func()) error {
		board.OnRebuildScanned(svc, pause)
		defer board.OnRebuildScanned(svc, nil)
		return svc.Directory.Rebuild(ctx, tenant)
	})
	<-started
	assigned, _ := events.New(projection.TypeFileAssigned, "test", tenant, files[1], "corr", map[string]any{"file_id": files[1], "assignee": w2})
	assigned.Time = time.Now().Add(time.Second)
	if err := proj.Handle(ctx, assigned); err != nil {
		t.Fatal(err)
	}
	if err := resume(); err != nil {
		t.Fatal(err)
	}
	if got := refs(board.Query{Worker: w2}); !slices.Equal(got, []string{second}) {
		t.Errorf("w2's board after the directory's rebuild: %v, want [%s]", got, second)
	}
	if got := refs(board.Query{Worker: w1}); !slices.Equal(got, []string{third}) {
		t.Errorf("w1's board after the directory's rebuild: %v, want [%s]", got, third)
	}
}
