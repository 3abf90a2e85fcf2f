package board_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/audit"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/embedded"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/board"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/projection"
	"github.com/entraide/entraide/services/decisions/request"
)

// benchEngine is a MongoDB the benchmark runs on.
type benchEngine struct {
	name, label, uri string
	stop             func()
}

func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		b.Fatalf("%s=%q: want a non-negative integer", name, s)
	}
	return n
}

// engines: FerretDB on PostgreSQL when BENCH_POSTGRES_URL is set (scripts/postgres.sh), a real MongoDB with
// MONGO_URI, and always the embedded FerretDB on SQLite (the default engine of `make run`).
func engines(b *testing.B) []benchEngine {
	var out []benchEngine
	if pg := os.Getenv("BENCH_POSTGRES_URL"); pg != "" {
		u, _ := url.Parse(pg)
		m, err := embedded.StartMongoPostgres(context.Background(), pg, "127.0.0.1:0", nil)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, benchEngine{name: "ferretdb-postgresql", label: "FerretDB v1.24.2 (embedded) on PostgreSQL at " + u.Host, uri: m.URI(), stop: m.Close})
	}
	if uri := os.Getenv("MONGO_URI"); uri != "" {
		out = append(out, benchEngine{name: "mongodb", label: "MongoDB (MONGO_URI)", uri: uri, stop: func() {}})
	}
	if os.Getenv("BENCH_SKIP_SQLITE") == "" {
		m, err := embedded.StartMongo(context.Background(), b.TempDir(), "127.0.0.1:0", nil)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, benchEngine{name: "ferretdb-sqlite", label: "FerretDB v1.24.2 (embedded) on SQLite", uri: m.URI(), stop: m.Close})
	}
	return out
}

// BenchmarkBoard measures the deadline board of a tenant with BENCH_FILES open files (default 20,000), each with
// an open request, shared by BENCH_WORKERS social workers (default 40, in teams of 4; every 5th file is assigned
// to a team), beside BENCH_OTHER open files of another tenant (default 5,000) in the same collections. It seeds
// with bulk inserts in the repositories' document shape, then measures, over BENCH_SAMPLES rounds (default 200):
// the head's board (first page of 100, the late and due-this-week totals), the head's board of one worker, the
// head's "only late" board of one clock, a deep page (page 20), and a social worker's own board. It reports
// p50/p95/p99 in ms of each. See services/decisions/BENCHMARKS.md.
//
//	eval "$(scripts/postgres.sh start)"
//	go test ./services/decisions/board -run '^$' -bench Board -benchtime 1x -timeout 30m
func BenchmarkBoard(b *testing.B) {
	p := boardBench{files: envInt(b, "BENCH_FILES", 20_000), other: envInt(b, "BENCH_OTHER", 5_000),
		workers: envInt(b, "BENCH_WORKERS", 40), samples: envInt(b, "BENCH_SAMPLES", 200)}
	if p.workers < 4 {
		b.Fatal("BENCH_WORKERS: at least 4")
	}
	for _, e := range engines(b) {
		b.Run(fmt.Sprintf("engine=%s/files=%d", e.name, p.files), func(b *testing.B) {
			defer e.stop()
			runBoardBench(b, e, p)
		})
	}
}

type boardBench struct{ files, other, workers, samples int }

// today is the benchmark's fixed day: received dates spread over the 50 days before it, so about a third of the
// requests are late.
var benchToday = civil.MustNew(2026, 11, 30)

// seedTenant inserts n open files (projected_files), their teams and one open request each, in batches.
func seedTenant(ctx context.Context, db *mongo.Database, tenant string, n, workers int, rng *rand.Rand) (ws, reqIDs []string, err error) {
	ws = make([]string, workers)
	for i := range ws {
		ws[i] = uuid.NewString()
	}
	teams := make([]string, workers/4)
	var teamDocs []any
	for i := range teams {
		teams[i] = uuid.NewString()
		teamDocs = append(teamDocs, projection.Team{ID: teams[i], Tenant: tenant, Members: ws[i*4 : i*4+4], Version: 1})
	}
	if _, err := db.Collection(projection.CollTeams).InsertMany(ctx, teamDocs); err != nil {
		return nil, nil, err
	}
	kinds := []legalclock.Kind{legalclock.RIS, legalclock.RIS, legalclock.AideSociale, legalclock.ERIS, legalclock.AMU}
	statuses := []request.Status{request.Registered, request.InInquiry, request.InInquiry, request.Proposed}
	const batch = 1000
	for start := 0; start < n; start += batch {
		var files, reqs []any
		for i := start; i < min(n, start+batch); i++ {
			fileID, personID := uuid.NewString(), uuid.NewString()
			f := projection.File{ID: fileID, Tenant: tenant, Number: fmt.Sprintf("D%07d", i+1), PersonID: personID,
				Assignee: ws[i%workers], Open: true, LastEventAt: time.Now().UTC().Truncate(time.Millisecond)}
			if i%5 == 0 {
				f.TeamID = teams[(i/5)%len(teams)]
			}
			files = append(files, f)
			kind := kinds[rng.IntN(len(kinds))]
			received := benchToday.AddDays(-rng.IntN(50))
			dl, err := legalclock.DecisionDue(kind, received)
			if err != nil {
				return nil, nil, err
			}
			st := statuses[rng.IntN(len(statuses))]
			q := request.Request{Number: request.FormatNumber(2026, i+1), Year: 2026, Seq: i + 1, PersonID: personID, FileID: fileID,
				Kind: kind, Channel: request.InPerson, ReceivedOn: received, DecisionDue: dl.Due, Status: st, Open: true,
				RegisteredAt: time.Now().UTC().Truncate(time.Millisecond), RegisteredBy: ws[i%workers]}
			raw, err := bson.Marshal(q)
			if err != nil {
				return nil, nil, err
			}
			reqIDs = append(reqIDs, uuid.NewString())
			doc := bson.D{{Key: "_id", Value: reqIDs[len(reqIDs)-1]}, {Key: "tenant", Value: tenant}, {Key: "version", Value: int64(1)}}
			var fields bson.D
			if err := bson.Unmarshal(raw, &fields); err != nil {
				return nil, nil, err
			}
			doc = append(append(doc, fields...), bson.E{Key: store.OutboxField, Value: bson.A{}})
			reqs = append(reqs, doc)
		}
		if _, err := db.Collection(projection.CollFiles).InsertMany(ctx, files); err != nil {
			return nil, nil, err
		}
		if _, err := db.Collection(request.CollRequests).InsertMany(ctx, reqs); err != nil {
			return nil, nil, err
		}
	}
	return ws, reqIDs, nil
}

func runBoardBench(b *testing.B, e benchEngine, p boardBench) {
	ctx := context.Background()
	b.Logf("engine: %s; command: BENCH_FILES=%d BENCH_OTHER=%d BENCH_WORKERS=%d BENCH_SAMPLES=%d go test -run '^$' -bench Board -benchtime 1x ./services/decisions/board (GOMAXPROCS %d)",
		e.label, p.files, p.other, p.workers, p.samples, runtime.GOMAXPROCS(0))
	dbName := fmt.Sprintf("bench_board_%d", time.Now().UnixNano())
	client, db, err := store.Connect(ctx, e.uri, dbName)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = db.Drop(context.WithoutCancel(ctx))
		_ = client.Disconnect(context.WithoutCancel(ctx))
	}()
	for _, ensure := range []func(context.Context, *mongo.Database) error{projection.EnsureIndexes, request.EnsureIndexes, board.EnsureIndexes} {
		if err := ensure(ctx, db); err != nil {
			b.Fatal(err)
		}
	}
	aw := audit.NewWriter(db.Collection(audit.CollectionName), request.EventSource, nil)
	if err := aw.EnsureIndexes(ctx); err != nil {
		b.Fatal(err)
	}
	proj := projection.NewRepository(db)
	reqs := &request.Service{Repo: request.NewRepository(db, nil), Proj: proj, Audit: kit.NewAuditor(aw, slog.New(slog.DiscardHandler))}
	now := func() time.Time { return time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC) }
	svc := board.New(reqs, now)

	rng := rand.New(rand.NewPCG(4, 2))
	t0 := time.Now()
	const tenant = "bench-board"
	workers, reqIDs, err := seedTenant(ctx, db, tenant, p.files, p.workers, rng)
	if err != nil {
		b.Fatal(err)
	}
	if p.other > 0 {
		if _, _, err := seedTenant(ctx, db, "bench-other", p.other, p.workers, rng); err != nil {
			b.Fatal(err)
		}
	}
	seeded := time.Since(t0).Round(time.Millisecond)

	// The first read builds the packed indexes from the collections (once per tenant, ever), the second one
	// reads them cold (a process that just started), then a fresh service reads them cold again.
	head := kit.Actor{UserID: uuid.NewString(), Tenant: tenant, Roles: []string{kit.RoleHead}}
	var firsts [2]time.Duration
	for i := range firsts {
		svc = board.New(reqs, now)
		t0 = time.Now()
		if _, err := svc.Build(ctx, head, board.Query{Page: 1, PageSize: 100, Purpose: "case_follow_up"}); err != nil {
			b.Fatal(err)
		}
		firsts[i] = time.Since(t0)
	}
	b.ReportMetric(ms(firsts[0]), "build-ms")
	b.ReportMetric(ms(firsts[1]), "cold-ms")
	b.Logf("seeded %d + %d open files with their requests in %s; head's board, first read ever (builds the packed indexes) %s, first read of a new process (empty cache) %s",
		p.files, p.other, seeded, firsts[0].Round(time.Millisecond), firsts[1].Round(time.Millisecond))
	closed := 0
	type view struct {
		name, metric string
		run          func() (board.Board, error)
		check        func(board.Board) error
		d            []time.Duration
		timed        bool // run measures itself (lastTimed)
	}
	var lastTimed time.Duration
	full := func(bd board.Board) error {
		if len(bd.Items) != 100 {
			return fmt.Errorf("%d items", len(bd.Items))
		}
		if !slices.IsSortedFunc(bd.Items, func(x, y board.Item) int { return x.Deadline.Due.Compare(y.Deadline.Due) }) {
			return fmt.Errorf("not sorted by due date")
		}
		return nil
	}
	some := func(bd board.Board) error {
		if len(bd.Items) == 0 {
			return fmt.Errorf("empty")
		}
		return nil
	}
	views := []*view{
		{name: "head, whole tenant, page 1 of 100 with totals", metric: "head", run: func() (board.Board, error) {
			return svc.Build(ctx, head, board.Query{Page: 1, PageSize: 100, Purpose: "case_follow_up"})
		}, check: func(bd board.Board) error {
			if bd.Totals.Open != p.files-closed || bd.Totals.Late == 0 || bd.Totals.Late >= p.files {
				return fmt.Errorf("totals %+v", bd.Totals)
			}
			return full(bd)
		}},
		{name: "head, one worker", metric: "head-worker", run: func() (board.Board, error) {
			return svc.Build(ctx, head, board.Query{Worker: workers[rng.IntN(len(workers))], Page: 1, PageSize: 100, Purpose: "case_follow_up"})
		}, check: some},
		{name: "head, only late decision clocks", metric: "head-late", run: func() (board.Board, error) {
			return svc.Build(ctx, head, board.Query{Clock: board.ClockDecision, LateOnly: true, Page: 1, PageSize: 100, Purpose: "case_follow_up"})
		}, check: func(bd board.Board) error {
			for _, it := range bd.Items {
				if it.Due.State != legalclock.Late {
					return fmt.Errorf("not late: %+v", it.Due)
				}
			}
			return full(bd)
		}},
		{name: "head, page 20", metric: "head-page20", run: func() (board.Board, error) {
			return svc.Build(ctx, head, board.Query{Page: 20, PageSize: 100, Purpose: "case_follow_up"})
		}, check: full},
		{name: "head, page 1 right after a request changed (its shard reloaded)", metric: "head-after-write", run: func() (board.Board, error) {
			// Untimed: a decision closes a request (the index drops it), as the decision slice does.
			if _, err := reqs.Advance(ctx, tenant, reqIDs[closed], request.Decided); err != nil {
				return board.Board{}, err
			}
			closed++
			t0 := time.Now()
			bd, err := svc.Build(ctx, head, board.Query{Page: 1, PageSize: 100, Purpose: "case_follow_up"})
			lastTimed = time.Since(t0)
			return bd, err
		}, check: func(bd board.Board) error {
			if bd.Totals.Open != p.files-closed {
				return fmt.Errorf("open %d, want %d", bd.Totals.Open, p.files-closed)
			}
			return full(bd)
		}, timed: true},
		{name: "social worker, own files", metric: "worker", run: func() (board.Board, error) {
			w := kit.Actor{UserID: workers[rng.IntN(len(workers))], Tenant: tenant, Roles: []string{kit.RoleSocialWorker}}
			return svc.Build(ctx, w, board.Query{Page: 1, PageSize: 100, Purpose: "case_follow_up"})
		}, check: some},
	}
	round := func() {
		for _, v := range views {
			t0 := time.Now()
			bd, err := v.run()
			d := time.Since(t0)
			if v.timed {
				d = lastTimed
			}
			v.d = append(v.d, d)
			if err == nil {
				err = v.check(bd)
			}
			if err != nil {
				b.Fatalf("%s: %v", v.name, err)
			}
		}
	}
	for range 5 { // warm the pool and the caches
		round()
	}
	for _, v := range views {
		v.d = nil
	}
	for b.Loop() {
		round()
	}
	for len(views[0].d) < p.samples {
		round()
	}
	line := fmt.Sprintf("%d samples each:", len(views[0].d))
	for _, v := range views {
		p50, p95, p99 := percentile(v.d, 50), percentile(v.d, 95), percentile(v.d, 99)
		b.ReportMetric(ms(p50), v.metric+"-p50-ms")
		b.ReportMetric(ms(p95), v.metric+"-p95-ms")
		b.ReportMetric(ms(p99), v.metric+"-p99-ms")
		line += fmt.Sprintf("\n  %s: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms", v.name, ms(p50), ms(p95), ms(p99))
	}
	b.Log(line)
}

func percentile(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
