package beneficiaries_test

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
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded"
	"github.com/entraide/entraide/libs/niss"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/beneficiaries"
	"github.com/entraide/entraide/services/beneficiaries/demo"
	"github.com/entraide/entraide/services/beneficiaries/file"
	"github.com/entraide/entraide/services/beneficiaries/person"
)

// benchEngine is a MongoDB the benchmark can run on.
type benchEngine struct {
	name  string // in the sub-benchmark's name
	label string // printed: what it is
	uri   string
	stop  func()
}

// smallSize is the largest BENCH_SIZE the embedded SQLite FerretDB is used for (a smoke run of `make bench`).
const smallSize = 5_000

func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// engines lists the engines configured: a real MongoDB (MONGO_URI), FerretDB on PostgreSQL (BENCH_POSTGRES_URL,
// from scripts/postgres.sh), or, for a small BENCH_SIZE only, FerretDB on SQLite.
func engines(b *testing.B, persons int) []benchEngine {
	var out []benchEngine
	if uri := os.Getenv("MONGO_URI"); uri != "" {
		out = append(out, benchEngine{name: "mongodb", label: "MongoDB (MONGO_URI)", uri: uri, stop: func() {}})
	}
	if pg := os.Getenv("BENCH_POSTGRES_URL"); pg != "" {
		u, _ := url.Parse(pg)
		m, err := embedded.StartMongoPostgres(context.Background(), pg, "127.0.0.1:0", nil)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, benchEngine{name: "ferretdb-postgresql", label: "FerretDB v1.24 (embedded) on PostgreSQL at " + u.Host, uri: m.URI(), stop: m.Close})
	}
	if len(out) == 0 && os.Getenv("BENCH_SIZE") != "" && persons <= smallSize {
		m, err := embedded.StartMongo(context.Background(), b.TempDir(), "127.0.0.1:0", nil)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, benchEngine{name: "ferretdb-sqlite", label: "FerretDB v1.24 (embedded) on SQLite (smoke run, not the target engine)", uri: m.URI(), stop: m.Close})
	}
	return out
}

// BenchmarkRegistryAtScale registers BENCH_PERSONS persons (default 100,000) across BENCH_TENANTS tenants
// (default 20) through the service layer, opens a file for every BENCH_FILE_EVERY-th person (default 20), then
// measures the three reads a social worker's day is made of: a NISS lookup, a name-prefix search and a file read,
// each as the worker who follows the person. It reports registrations/s and the p50/p99 latency of each read in
// ms over BENCH_SAMPLES rounds (default 300). See BENCHMARKS.md for the commands and the results.
//
//	eval "$(scripts/postgres.sh start)"
//	go test ./services/beneficiaries -run '^$' -bench RegistryAtScale -benchtime 1x -timeout 2h
func BenchmarkRegistryAtScale(b *testing.B) {
	persons := envInt(b, "BENCH_PERSONS", envInt(b, "BENCH_SIZE", 100_000))
	tenants := envInt(b, "BENCH_TENANTS", 20)
	fileEvery := envInt(b, "BENCH_FILE_EVERY", 20)
	samples := envInt(b, "BENCH_SAMPLES", 300)
	writers := envInt(b, "BENCH_WRITERS", 8)
	list := engines(b, persons)
	if len(list) == 0 {
		msg := fmt.Sprintf("BenchmarkRegistryAtScale skipped: no engine for %d persons: set BENCH_POSTGRES_URL (eval \"$(scripts/postgres.sh start)\") "+
			"and/or MONGO_URI, or a small BENCH_SIZE (≤ %d) for a smoke run on embedded SQLite FerretDB", persons, smallSize)
		// go test hides a skipped benchmark's message unless -v: say it on stderr so `make bench` shows it.
		fmt.Fprintln(os.Stderr, msg)
		b.Skip(msg)
	}
	for _, e := range list {
		b.Run(fmt.Sprintf("engine=%s/persons=%d/tenants=%d", e.name, persons, tenants), func(b *testing.B) {
			defer e.stop()
			runRegistryBench(b, e, registryBench{persons: persons, tenants: tenants, fileEvery: fileEvery, samples: samples, writers: writers})
		})
	}
}

type registryBench struct {
	persons, tenants, fileEvery, samples, writers int
}

// benchPerson is what the measurement needs to know of a registered person.
type benchPerson struct {
	tenant, worker, id, niss, prefix, fileID string
}

var (
	benchFamilies = []string{"Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters",
		"De Smet", "Dubois", "Lambert", "Dupont", "Martin", "Simon", "Laurent", "Leclercq", "Lejeune", "Renard", "François",
		"Müller", "Dupont-Lefèvre", "Van den Broeck", "Çelik", "Nguyễn", "Öztürk", "El Idrissi", "Ben Saïd", "Kowalczyk",
		"Popescu", "D'Hondt", "Lemaître", "Vandenberghe", "Hernández", "Ferreira", "Rossi", "Schmitt", "Mbuyi", "Kabongo",
		"Haile", "Van Damme", "Declercq", "Desmet", "Hermans", "Michiels", "Verstraete", "Bogaert", "Pauwels", "Segers",
		"Smets", "Dumont", "Lefebvre", "Moreau", "Fontaine", "Denis", "Mathieu", "Henry", "Bernard", "Thomas", "Petit"}
	benchGivens = []string{"Marie", "Jean", "Sofie", "Pieter", "Lucas", "Emma", "Noah", "Louise", "Mohamed", "Fatima",
		"Ayşe", "Mehmet", "Chloé", "Théo", "Zoë", "Jef", "Griet", "Ionuț", "Agnieszka", "Senait", "Youssef", "Nour",
		"Élodie", "Loïc", "Anaïs", "Dirk", "Lotte", "Wout", "Hans", "Lucía"}
	benchPlaces = [][2]string{{"1000", "Bruxelles"}, {"1030", "Schaerbeek"}, {"1080", "Molenbeek-Saint-Jean"}, {"2000", "Antwerpen"},
		{"4000", "Liège"}, {"5000", "Namur"}, {"6000", "Charleroi"}, {"7000", "Mons"}, {"8000", "Brugge"}, {"9000", "Gent"}}
)

// workersPerTenant is how many social workers share a tenant's persons (each sees the persons they registered).
const workersPerTenant = 10

func benchIdentity(i int) (person.Identity, niss.NISS, error) {
	// Birth dates cycle over 1940-01-01…2023-12-31 (30,681 days), the serial grows once per cycle: (day, serial)
	// is unique, so is the NISS. Even i: men (odd serials), odd i: women.
	const days = 30_681
	birth := civil.MustNew(1940, 1, 1).AddDays(i % days)
	sex, s := niss.Male, person.SexMale
	if i%2 == 1 {
		sex, s = niss.Female, person.SexFemale
	}
	n, err := demo.NISSFor(birth, demo.Serial(i/days, sex), demo.NationalRegister)
	if err != nil {
		return person.Identity{}, n, err
	}
	place := benchPlaces[i%len(benchPlaces)]
	return person.Identity{NISS: n.String(), FamilyName: benchFamilies[(i/7)%len(benchFamilies)], GivenNames: benchGivens[i%len(benchGivens)],
		BirthDate: birth.String(), Sex: s, Nationality: "BE", ResidenceStatus: person.ResidenceBelgian, Language: "fr",
		Address: &person.AddressInput{Street: "Rue de la Bench", Number: strconv.Itoa(1 + i%300), Postcode: place[0], Municipality: place[1]}}, n, nil
}

func runRegistryBench(b *testing.B, e benchEngine, p registryBench) {
	ctx := context.Background()
	b.Logf("engine: %s; command: BENCH_PERSONS=%d BENCH_TENANTS=%d BENCH_FILE_EVERY=%d BENCH_SAMPLES=%d BENCH_WRITERS=%d go test -run '^$' -bench RegistryAtScale -benchtime 1x ./services/beneficiaries (GOMAXPROCS %d)",
		e.label, p.persons, p.tenants, p.fileEvery, p.samples, p.writers, runtime.GOMAXPROCS(0))
	dbName := fmt.Sprintf("bench_registry_%d", time.Now().UnixNano())
	client, db, err := store.Connect(ctx, e.uri, dbName)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = db.Drop(context.WithoutCancel(ctx))
		_ = client.Disconnect(context.WithoutCancel(ctx))
	}()
	if v := serverVersion(ctx, db); v != "" {
		b.Logf("server reports version %s", v)
	}
	cfg := beneficiaries.LoadConfig(config.FromMap(map[string]string{"MONGO_DATABASE": dbName}))
	app, err := beneficiaries.NewAppOnDB(ctx, cfg, slog.New(slog.DiscardHandler), db, authn.NewStaticKeys())
	if err != nil {
		b.Fatal(err)
	}

	// Registrations: BENCH_WRITERS concurrent workers, as many front ends would.
	people := make([]benchPerson, p.persons)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, p.writers)
	start := time.Now()
	for range p.writers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= p.persons {
					return
				}
				in, n, err := benchIdentity(i)
				if err != nil {
					errs <- err
					return
				}
				tenant := fmt.Sprintf("bench-%02d", i%p.tenants)
				worker := fmt.Sprintf("%s-worker-%d", tenant, (i/p.tenants)%workersPerTenant)
				v, err := app.Persons.Service.Register(ctx, person.Actor{UserID: worker, Tenant: tenant, Roles: []string{person.RoleSocialWorker}},
					person.Registration{Identity: in})
				if err != nil {
					errs <- fmt.Errorf("register %d: %w", i, err)
					return
				}
				people[i] = benchPerson{tenant: tenant, worker: worker, id: v.ID, niss: n.Format(), prefix: prefixOf(in.FamilyName)}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(p.persons)/elapsed.Seconds(), "registrations/s")
	b.Logf("%d persons registered across %d tenants in %s (%.0f/s)", p.persons, p.tenants, elapsed.Round(time.Millisecond), float64(p.persons)/elapsed.Seconds())

	// Files for every fileEvery-th person (the file service opens one file at a time per process).
	start = time.Now()
	var withFile []int
	for i := 0; i < p.persons; i += p.fileEvery {
		pp := &people[i]
		f, err := app.Files.Service.OpenFile(ctx, file.Actor{UserID: pp.worker, Tenant: pp.tenant, Roles: []string{file.RoleSocialWorker}},
			file.OpenInput{PersonID: pp.id})
		if err != nil {
			b.Fatalf("open file %d: %v", i, err)
		}
		pp.fileID = f.ID
		withFile = append(withFile, i)
	}
	b.Logf("%d files opened in %s", len(withFile), time.Since(start).Round(time.Millisecond))

	// The reads, each as the worker who follows the person, on random persons of random tenants.
	rng := rand.New(rand.NewPCG(1, 2))
	var nissLookup, nameSearch, fileRead []time.Duration
	round := func() {
		pp := people[rng.IntN(len(people))]
		pa := person.Actor{UserID: pp.worker, Tenant: pp.tenant, Roles: []string{person.RoleSocialWorker}}
		t0 := time.Now()
		page, err := app.Persons.Service.Search(ctx, pa, person.SearchInput{Query: pp.niss, Purpose: "case_follow_up"})
		nissLookup = append(nissLookup, time.Since(t0))
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != pp.id {
			b.Fatalf("NISS lookup: %d items, %v", len(page.Items), err)
		}
		t0 = time.Now()
		page, err = app.Persons.Service.Search(ctx, pa, person.SearchInput{Query: pp.prefix, Purpose: "case_follow_up"})
		nameSearch = append(nameSearch, time.Since(t0))
		if err != nil || len(page.Items) == 0 {
			b.Fatalf("name search %q: %d items, %v", pp.prefix, len(page.Items), err)
		}
		fp := people[withFile[rng.IntN(len(withFile))]]
		t0 = time.Now()
		f, err := app.Files.Service.GetFile(ctx, file.Actor{UserID: fp.worker, Tenant: fp.tenant, Roles: []string{file.RoleSocialWorker}}, "case_follow_up", fp.fileID)
		fileRead = append(fileRead, time.Since(t0))
		if err != nil || f.PersonID != fp.id {
			b.Fatalf("file read: %v", err)
		}
	}
	for range 20 { // warm the connection pool and the caches
		round()
	}
	nissLookup, nameSearch, fileRead = nil, nil, nil
	for b.Loop() {
		round()
	}
	for len(fileRead) < p.samples {
		round()
	}
	line := fmt.Sprintf("%d samples each:", len(fileRead))
	for _, m := range []struct {
		name, metric string
		d            []time.Duration
	}{{"NISS lookup", "niss", nissLookup}, {"name-prefix search", "name", nameSearch}, {"file read", "file", fileRead}} {
		p50, p99 := percentile(m.d, 50), percentile(m.d, 99)
		b.ReportMetric(ms(p50), m.metric+"-p50-ms")
		b.ReportMetric(ms(p99), m.metric+"-p99-ms")
		line += fmt.Sprintf(" %s p50 %.2f ms p99 %.2f ms;", m.name, ms(p50), ms(p99))
	}
	b.Log(line)
	if os.Getenv("BENCH_EXPLAIN") != "" {
		explainQueries(b, db, people[len(people)/2])
	}
}

// prefixOf is what a worker types to find someone by name: the first four letters of the family name, or the
// whole name when shorter.
func prefixOf(family string) string {
	n := person.Normalize(family)
	if r := []rune(n); len(r) > 4 {
		return string(r[:4])
	}
	return n
}

func percentile(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func serverVersion(ctx context.Context, db *mongo.Database) string {
	var info struct {
		Version string `bson:"version"`
	}
	if err := db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return ""
	}
	return info.Version
}

// explainQueries prints the plan the engine chose for the three reads, in the shape the repositories send them
// (BENCH_EXPLAIN=1): the winning plan's stages and index on MongoDB, FerretDB's pushdown flags and PostgreSQL plan.
func explainQueries(b *testing.B, db *mongo.Database, pp benchPerson) {
	ctx := context.Background()
	visible := bson.D{{Key: "$or", Value: bson.A{bson.D{{Key: "access.workers", Value: pp.worker}}}}}
	byName := bson.D{{Key: "family_name", Value: 1}, {Key: "given_names", Value: 1}, {Key: "_id", Value: 1}}
	n, _ := niss.Parse(pp.niss)
	queries := []struct {
		name string
		find bson.D
	}{
		{"NISS lookup", bson.D{{Key: "find", Value: person.CollPersons}, {Key: "filter", Value: bson.D{{Key: "tenant", Value: pp.tenant},
			{Key: "$and", Value: bson.A{bson.D{{Key: "niss_key", Value: n.String()}}, visible}}}}, {Key: "sort", Value: byName}, {Key: "limit", Value: 21}}},
		{"name-prefix search", bson.D{{Key: "find", Value: person.CollPersons}, {Key: "filter", Value: bson.D{{Key: "tenant", Value: pp.tenant},
			{Key: "$and", Value: bson.A{bson.D{{Key: "search_keys", Value: bson.D{{Key: "$regex", Value: "^" + pp.prefix}}}}, visible}}}},
			{Key: "sort", Value: byName}, {Key: "limit", Value: 21}}},
		{"NISS equality at the top level (as the duplicate check sends it)", bson.D{{Key: "find", Value: person.CollPersons},
			{Key: "filter", Value: bson.D{{Key: "tenant", Value: pp.tenant}, {Key: "niss_key", Value: n.String()}}}, {Key: "limit", Value: 1}}},
		{"file read", bson.D{{Key: "find", Value: file.CollFiles}, {Key: "filter", Value: bson.D{{Key: "_id", Value: pp.fileID}}}, {Key: "limit", Value: 1}}},
	}
	for _, q := range queries {
		out, err := db.RunCommand(ctx, bson.D{{Key: "explain", Value: q.find}, {Key: "verbosity", Value: "executionStats"}}).Raw()
		if err != nil {
			b.Logf("explain %s: %v", q.name, err)
			continue
		}
		b.Logf("explain %s: %s", q.name, planSummary(out))
	}
}

// planSummary condenses an explain answer: MongoDB's winning plan as stage(index bounds) ← stage…, with the keys
// and documents examined; FerretDB's pushdown flags and the PostgreSQL plan it ran.
func planSummary(out bson.Raw) string {
	if wp, ok := out.Lookup("queryPlanner", "winningPlan").DocumentOK(); ok {
		s := ""
		for stage := wp; stage != nil; {
			if s != "" {
				s += " ← "
			}
			s += stage.Lookup("stage").StringValue()
			if ix, ok := stage.Lookup("indexName").StringValueOK(); ok {
				s += fmt.Sprintf("(%s %s)", ix, stage.Lookup("indexBounds"))
			}
			stage, _ = stage.Lookup("inputStage").DocumentOK()
		}
		es := out.Lookup("executionStats")
		return s + fmt.Sprintf("; keys examined %s, documents examined %s, returned %s", es.Document().Lookup("totalKeysExamined"),
			es.Document().Lookup("totalDocsExamined"), es.Document().Lookup("nReturned"))
	}
	return fmt.Sprintf("filter pushdown %s, sort pushdown %s, limit pushdown %s; PostgreSQL plan %s",
		out.Lookup("filterPushdown"), out.Lookup("sortPushdown"), out.Lookup("limitPushdown"), out.Lookup("queryPlanner"))
}
