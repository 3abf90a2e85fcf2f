package payments_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments"
	"github.com/entraide/entraide/services/payments/internal/heapwatch"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/projection"
	"github.com/entraide/entraide/services/payments/run"
	"github.com/entraide/entraide/services/payments/schedule"
)

type benchEngine struct{ name, uri string }

// benchEngines are the engines configured: MongoDB (MONGO_URI), FerretDB on PostgreSQL (BENCH_POSTGRES_URL, from
// scripts/postgres.sh), and, unless BENCH_SKIP_SQLITE is set, the embedded default: FerretDB on SQLite, with the
// _id index libs/embedded adds (every document update is still a transaction of its own there, about a
// millisecond each).
func benchEngines(b *testing.B, n int) ([]benchEngine, func()) {
	var out []benchEngine
	var stops []func()
	if uri := os.Getenv("MONGO_URI"); uri != "" {
		out = append(out, benchEngine{"mongodb", uri})
	}
	if pg := os.Getenv("BENCH_POSTGRES_URL"); pg != "" {
		if _, err := url.Parse(pg); err != nil {
			b.Fatal(err)
		}
		m, err := embedded.StartMongoPostgres(context.Background(), pg, "127.0.0.1:0", nil)
		if err != nil {
			b.Fatal(err)
		}
		out, stops = append(out, benchEngine{"ferretdb-postgresql", m.URI()}), append(stops, m.Close)
	}
	if os.Getenv("BENCH_SKIP_SQLITE") == "" {
		m, err := embedded.StartMongo(context.Background(), b.TempDir(), "127.0.0.1:0", nil)
		if err != nil {
			b.Fatal(err)
		}
		out, stops = append(out, benchEngine{"ferretdb-sqlite", m.URI()}), append(stops, m.Close)
	}
	return out, func() {
		for _, s := range stops {
			s()
		}
	}
}

// BenchmarkPaymentRun builds, approves and exports a run of BENCH_SIZE due instalments (default 100,000, the
// issue's size) through the service layer on a real engine: the claims (in batches of 500, one update and one
// EndToEndId per payment), the export plan (every account checked again) and the file streamed to io.Discard from
// the database. Reported: the time per payment of each phase and of the whole run, the peak heap of the whole run
// and the peak and retained heap while the file is written. Engines: the embedded default (FerretDB on SQLite)
// unless BENCH_SKIP_SQLITE, MONGO_URI, BENCH_POSTGRES_URL (see services/payments/BENCHMARKS.md):
//
//	BENCH_SIZE=100000 go test ./services/payments -run '^$' -bench PaymentRun -benchtime 1x -timeout 2h
func BenchmarkPaymentRun(b *testing.B) {
	n := 100_000
	if s := os.Getenv("BENCH_SIZE"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("BENCH_SIZE=%q", s)
		}
		n = v
	}
	engines, stop := benchEngines(b, n)
	defer stop()
	if len(engines) == 0 {
		msg := fmt.Sprintf("BenchmarkPaymentRun skipped: no engine for %d payments: unset BENCH_SKIP_SQLITE, or set BENCH_POSTGRES_URL "+
			"(eval \"$(scripts/postgres.sh start)\") or MONGO_URI", n)
		fmt.Fprintln(os.Stderr, msg)
		b.Skip(msg)
	}
	for _, e := range engines {
		b.Run(fmt.Sprintf("engine=%s/payments=%d", e.name, n), func(b *testing.B) {
			client, db, err := store.Connect(context.Background(), e.uri, "bench_payments_"+uuid.NewString()[:8])
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				_ = db.Drop(context.Background())
				_ = client.Disconnect(context.Background())
			}()
			for i := 0; i < b.N; i++ {
				benchRun(b, db.Client().Database(db.Name()+"_"+strconv.Itoa(i)), n)
			}
		})
	}
}

func benchRun(b *testing.B, db *mongo.Database, n int) {
	b.StopTimer()
	ctx := context.Background()
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	cfg := payments.LoadConfig(config.FromMap(map[string]string{"MONGO_DATABASE": db.Name()}))
	app, err := payments.NewAppOnDB(ctx, cfg, slog.New(slog.DiscardHandler), db, authn.NewStaticKeys(pub))
	if err != nil {
		b.Fatal(err)
	}
	const tenant = "bench"
	st, err := app.Settings.Get(ctx, tenant)
	if err != nil {
		b.Fatal(err)
	}
	next := st.State
	next.DebtorName, next.DebtorIBAN = "CPAS de Bruxelles", "BE21001234567803"
	if _, err := app.Settings.Put(ctx, tenant, st.Version, next); err != nil {
		b.Fatal(err)
	}
	// n beneficiaries with an account, one due instalment each, written in batches as the service stores them.
	today := civil.Today()
	now := time.Now().UTC().Truncate(time.Millisecond)
	names := []string{"Dubois", "Peeters", "Lefèvre", "Janssens", "Müller", "Martin", "Claes", "Öztürk"}
	var payees, instalments []any
	flush := func(force bool) {
		if len(payees) >= 1000 || (force && len(payees) > 0) {
			if _, err := db.Collection(projection.CollPayees).InsertMany(ctx, payees); err != nil {
				b.Fatal(err)
			}
			if _, err := db.Collection(schedule.CollInstalments).InsertMany(ctx, instalments); err != nil {
				b.Fatal(err)
			}
			payees, instalments = payees[:0], instalments[:0]
		}
	}
	for i := range n {
		person, decision := uuid.NewString(), uuid.NewString()
		name := "Amélie " + names[i%len(names)]
		payees = append(payees, projection.Payee{ID: person, Tenant: tenant, PersonName: name, AccountName: name,
			IBAN: "BE68539007547034", AccountAt: now})
		in := schedule.Instalment{DecisionID: decision, PersonID: person, FileID: uuid.NewString(), Kind: schedule.KindRIS,
			BudgetArticle: "8320/333-01", Label: schedule.LabelMonthly, Parts: []schedule.Part{{Period: schedule.MonthKey(today), Cents: 131420}},
			AmountCents: 131420 + int64(i%100), DueOn: today, Status: schedule.StatusScheduled, Payee: schedule.Payee{Kind: "beneficiary"},
			Reference: schedule.Reference(schedule.KindRIS, decision, []schedule.Part{{Period: schedule.MonthKey(today)}}), CreatedAt: now}
		raw, err := bson.Marshal(in)
		if err != nil {
			b.Fatal(err)
		}
		doc := bson.D{{Key: "_id", Value: uuid.NewString()}, {Key: "tenant", Value: tenant}, {Key: "version", Value: int64(1)}}
		elems, _ := bson.Raw(raw).Elements()
		for _, el := range elems {
			doc = append(doc, bson.E{Key: el.Key(), Value: el.Value()})
		}
		instalments = append(instalments, append(doc, bson.E{Key: store.OutboxField, Value: bson.A{}}))
		flush(false)
	}
	flush(true)

	acc := kit.Actor{UserID: "accountant", Tenant: tenant, Roles: []string{kit.RoleAccountant}}
	dir := kit.Actor{UserID: "director", Tenant: tenant, Roles: []string{kit.RoleFinanceDirector}}
	b.StartTimer()
	whole := heapwatch.Start()
	t0 := time.Now()
	rec, err := app.Runs.Build(ctx, acc, run.Input{ExecutionDate: today})
	if err != nil {
		b.Fatal(err)
	}
	built := time.Since(t0)
	if rec.State.Count != n {
		b.Fatalf("run of %d payments, want %d", rec.State.Count, n)
	}
	if _, err := app.Runs.Approve(ctx, dir, rec.ID, rec.Version); err != nil {
		b.Fatal(err)
	}
	t1 := time.Now()
	rec, err = app.Runs.Prepare(ctx, acc, rec.ID)
	if err != nil {
		b.Fatal(err)
	}
	prepared := time.Since(t1)
	w := heapwatch.Start()
	t2 := time.Now()
	cw := &checkpointWriter{w: w, t: b, every: int64(max(n/10, 1)) * 900}
	_, size, err := app.Runs.Write(ctx, tenant, rec, cw)
	if err != nil {
		b.Fatal(err)
	}
	written := time.Since(t2)
	total := time.Since(t0)
	peak := w.Stop()
	wholePeak := whole.Stop()
	b.StopTimer()
	b.ReportMetric(float64(total.Nanoseconds())/float64(n), "run-ns/payment")
	b.ReportMetric(wholePeak, "run-peak-heap-MiB")
	b.ReportMetric(float64(built.Nanoseconds())/float64(n), "build-ns/payment")
	b.ReportMetric(float64(prepared.Nanoseconds())/float64(n), "plan-ns/payment")
	b.ReportMetric(float64(written.Nanoseconds())/float64(n), "file-ns/payment")
	b.ReportMetric(peak, "file-peak-heap-MiB")
	b.ReportMetric(w.RetainedKiB()-w.Baseline(), "file-retained-KiB")
	b.ReportMetric(float64(size)/float64(n), "file-bytes/payment")
	_ = db.Drop(ctx)
}

// checkpointWriter discards the file and takes a retained-heap checkpoint every so many bytes.
type checkpointWriter struct {
	w     *heapwatch.Watch
	t     heapwatch.Timer
	every int64
	n     int64
	next  int64
}

func (c *checkpointWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	if c.n >= c.next {
		c.w.Checkpoint(c.t)
		c.next = c.n + c.every
	}
	return len(p), nil
}
