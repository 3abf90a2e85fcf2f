package payments_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	"github.com/entraide/entraide/services/payments/camt"
	"github.com/entraide/entraide/services/payments/internal/heapwatch"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/run"
	"github.com/entraide/entraide/services/payments/schedule"
)

// statementEngines are the engines the statement benchmark runs on: MongoDB (MONGO_URI), FerretDB on PostgreSQL
// (BENCH_POSTGRES_URL, from scripts/postgres.sh), and, unless BENCH_SKIP_SQLITE is set, the embedded default:
// FerretDB on SQLite with the _id index libs/embedded adds (every document written is a committed transaction there).
func statementEngines(b *testing.B) ([]stmtEngine, func()) {
	var out []stmtEngine
	var stops []func()
	if uri := os.Getenv("MONGO_URI"); uri != "" {
		out = append(out, stmtEngine{"mongodb", uri, 0})
	}
	if pg := os.Getenv("BENCH_POSTGRES_URL"); pg != "" {
		m, err := embedded.StartMongoPostgres(context.Background(), pg, "127.0.0.1:0", nil)
		if err != nil {
			b.Fatal(err)
		}
		out, stops = append(out, stmtEngine{"ferretdb-postgresql", m.URI(), 0}), append(stops, m.Close)
	}
	if os.Getenv("BENCH_SKIP_SQLITE") == "" {
		m, err := embedded.StartMongo(context.Background(), b.TempDir(), "127.0.0.1:0", nil)
		if err != nil {
			b.Fatal(err)
		}
		out, stops = append(out, stmtEngine{"ferretdb-sqlite", m.URI(), 0}), append(stops, m.Close)
	}
	return out, func() {
		for _, s := range stops {
			s()
		}
	}
}

type stmtEngine struct {
	name, uri string
	max       int // largest size worth running (0: any)
}

// BenchmarkStatementImport imports and reconciles a camt.053.001.08 of n entries (BENCH_STATEMENT_SIZES, default
// 10000,100000) through the service layer, against a run of exported payments: 8 entries in 10 book a payment by
// its EndToEndId, amount and IBAN, 1 returns one of them (AC04: payment returned, event and task), 1 is an unknown
// credit left to the queue. Reported: the whole import (parse, staging, flip, reconciliation with its bulk writes,
// events and queue), the parsing alone of the same file (camt.Parser with the continuity check), their ratio, the
// peak heap during the import, and, for the largest size, the time ratio to the smallest (linear: ≈ size ratio).
//
//	go test ./services/payments -run '^$' -bench StatementImport -benchtime 1x -timeout 2h
func BenchmarkStatementImport(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if s := os.Getenv("BENCH_STATEMENT_SIZES"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			v, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || v < 10 {
				b.Fatalf("BENCH_STATEMENT_SIZES=%q", s)
			}
			sizes = append(sizes, v)
		}
	}
	engines, stop := statementEngines(b)
	defer stop()
	if len(engines) == 0 {
		msg := "BenchmarkStatementImport skipped: no engine: unset BENCH_SKIP_SQLITE, or set BENCH_POSTGRES_URL " +
			"(eval \"$(scripts/postgres.sh start)\") or MONGO_URI"
		fmt.Fprintln(os.Stderr, msg)
		b.Skip(msg)
	}
	for _, e := range engines {
		times := map[int]time.Duration{}
		for _, n := range sizes {
			if e.max > 0 && n > e.max {
				msg := fmt.Sprintf("BenchmarkStatementImport: %d entries skipped on %s (set BENCH_POSTGRES_URL: eval \"$(scripts/postgres.sh start)\", or MONGO_URI)", n, e.name)
				fmt.Fprintln(os.Stderr, msg)
				continue
			}
			b.Run(fmt.Sprintf("engine=%s/entries=%d", e.name, n), func(b *testing.B) {
				client, db, err := store.Connect(context.Background(), e.uri, "bench_statements_"+uuid.NewString()[:8])
				if err != nil {
					b.Fatal(err)
				}
				defer func() { _ = client.Disconnect(context.Background()) }()
				for i := 0; i < b.N; i++ {
					d := benchStatement(b, db.Client().Database(db.Name()+"_"+strconv.Itoa(i)), n)
					times[n] = d
				}
				if n == sizes[len(sizes)-1] && len(sizes) > 1 && times[sizes[0]] > 0 {
					b.ReportMetric(float64(times[n])/float64(times[sizes[0]]), "scaling-vs-smallest")
				}
			})
		}
	}
}

// writeStatement writes the benchmark's statement and returns its path.
func writeStatement(b *testing.B, n int, pays []sentPayment, pmtInfID string) string {
	path := filepath.Join(b.TempDir(), fmt.Sprintf("camt-%d.xml", n))
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	var sum int64
	k := 0
	type entry struct {
		kind int
		p    sentPayment
	}
	plan := make([]entry, n)
	for i := range n {
		switch i % 10 {
		case 8:
			plan[i] = entry{1, pays[k-8]} // the first payment of these ten, booked above
		case 9:
			plan[i] = entry{2, sentPayment{Cents: int64(1000 + i%5000)}}
		default:
			plan[i] = entry{0, pays[k]}
			k++
		}
	}
	for _, e := range plan {
		if e.kind == 0 {
			sum -= e.p.Cents
		} else {
			sum += e.p.Cents
		}
	}
	open := int64(10_000_000_000)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="%s">
<BkToCstmrStmt>
<GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-12-02T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>BENCH-1</Id><ElctrncSeqNb>1</ElctrncSeqNb><Acct><Id><IBAN>BE21001234567803</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-30</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-01</Dt></Dt></Bal>
`, camt.NamespaceV08, euro(open), euro(open+sum))
	for i, e := range plan {
		a := euro(e.p.Cents)
		switch e.kind {
		case 0:
			fmt.Fprintf(w, `<Ntry><Amt Ccy="EUR">%s</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-01</Dt></BookgDt><ValDt><Dt>2026-12-01</Dt></ValDt><AcctSvcrRef>R%d</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs><PmtInfId>%s</PmtInfId><EndToEndId>%s</EndToEndId></Refs><Amt Ccy="EUR">%s</Amt><CdtDbtInd>DBIT</CdtDbtInd><RltdPties><Cdtr><Pty><Nm>%s</Nm></Pty></Cdtr><CdtrAcct><Id><IBAN>%s</IBAN></Id></CdtrAcct></RltdPties><RmtInf><Ustrd>RIS decembre 2026</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
`, a, i, pmtInfID, e.p.E2E, a, e.p.Name, e.p.IBAN)
		case 1:
			fmt.Fprintf(w, `<Ntry><Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-01</Dt></BookgDt><ValDt><Dt>2026-12-01</Dt></ValDt><AcctSvcrRef>R%d</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>RRTN</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs><PmtInfId>%s</PmtInfId><EndToEndId>%s</EndToEndId></Refs><Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><RltdPties><Cdtr><Pty><Nm>%s</Nm></Pty></Cdtr><CdtrAcct><Id><IBAN>%s</IBAN></Id></CdtrAcct></RltdPties><RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>
`, a, i, pmtInfID, e.p.E2E, a, e.p.Name, e.p.IBAN)
		default:
			fmt.Fprintf(w, `<Ntry><Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-01</Dt></BookgDt><ValDt><Dt>2026-12-01</Dt></ValDt><AcctSvcrRef>R%d</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><RltdPties><Dbtr><Pty><Nm>Marc Dubois</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>BE62510007547061</IBAN></Id></DbtrAcct></RltdPties><RmtInf><Ustrd>remboursement</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
`, a, i, a)
		}
	}
	fmt.Fprint(w, "</Stmt>\n</BkToCstmrStmt>\n</Document>\n")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	_ = f.Close()
	return path
}

// parseAlone reads the file with the camt parser and the continuity check, nothing else.
func parseAlone(b *testing.B, path string) time.Duration {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	t0 := time.Now()
	p := camt.NewParser(f)
	for {
		st, err := p.NextStatement()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		var r camt.Running
		for {
			e, err := p.NextEntry()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			r.Add(e)
		}
		if err := camt.CheckContinuity(st, r); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(t0)
}

func benchStatement(b *testing.B, db *mongo.Database, n int) time.Duration {
	b.StopTimer()
	ctx := context.Background()
	defer func() { _ = db.Drop(ctx) }()
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	cfg := payments.LoadConfig(config.FromMap(map[string]string{"MONGO_DATABASE": db.Name()}))
	app, err := payments.NewAppOnDB(ctx, cfg, slog.New(slog.DiscardHandler), db, authn.NewStaticKeys(pub))
	if err != nil {
		b.Fatal(err)
	}
	app.Reconcile.Receivables = nil // the credits go to the queue (the receivables' own matching is not measured here)
	const tenant = "bench"
	// An exported run of the payments the statement books (8 in 10 entries), stored as the service stores them.
	nPay := n - n/10*2
	runID, number := uuid.NewString(), "P2026-000001"
	pmt := "PMT-" + number + "-1"
	now := time.Now().UTC().Truncate(time.Millisecond)
	today := civil.Today()
	pays := make([]sentPayment, nPay)
	var total int64
	var batch []any
	for i := range pays {
		p := sentPayment{ID: uuid.NewString(), E2E: fmt.Sprintf("E2E-%s-%06d", number, i+1), Name: "Amelie Dubois",
			IBAN: "BE68539007547034", Cents: 131420 + int64(i%1000)}
		pays[i] = p
		total += p.Cents
		cr := &schedule.Creditor{Name: p.Name, IBAN: p.IBAN}
		in := schedule.Instalment{DecisionID: uuid.NewString(), PersonID: uuid.NewString(), FileID: uuid.NewString(), Kind: schedule.KindRIS,
			BudgetArticle: "8320/333-01", Label: schedule.LabelMonthly, Parts: []schedule.Part{{Period: schedule.MonthKey(today), Cents: p.Cents}},
			AmountCents: p.Cents, DueOn: today, Status: schedule.StatusExported, Payee: schedule.Payee{Kind: "beneficiary"}, Reference: "RIS",
			RunID: runID, EndToEndID: p.E2E, Creditor: cr, CreatedAt: now,
			Attempts: []schedule.Attempt{{RunID: runID, EndToEndID: p.E2E, At: now, AmountCents: p.Cents, Creditor: cr, Reference: "RIS"}}}
		batch = append(batch, docOf(b, p.ID, tenant, in))
		if len(batch) == 1000 || i == len(pays)-1 {
			if _, err := db.Collection(schedule.CollInstalments).InsertMany(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	r := run.Run{Number: number, ExecutionDate: today, Kinds: []string{}, Articles: []string{}, Status: run.StatusExported, CreatedBy: "a",
		CreatedAt: now, MsgID: "MSG-" + number, PmtInfID: pmt, Count: nPay, TotalCents: total, ByKind: []run.Total{}, ByArticle: []run.Total{},
		Export: &run.Export{PainVersion: "pain.001.001.09", CreatedAt: now, Count: nPay, TotalCents: total, Held: []run.Held{}}, Settled: true}
	if _, err := db.Collection(run.CollRuns).InsertOne(ctx, docOf(b, runID, tenant, r)); err != nil {
		b.Fatal(err)
	}
	path := writeStatement(b, n, pays, pmt)
	st, _ := os.Stat(path)
	parsed := parseAlone(b, path)

	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	acc := kit.Actor{UserID: "accountant", Tenant: tenant, Roles: []string{kit.RoleAccountant}}
	// The two phases timed apart: the import (parse, checks, staged lines, flip), then the reconciliation the
	// import runs at its end.
	app.Statements.Reconciler = nil
	w := heapwatch.Start()
	b.StartTimer()
	t0 := time.Now()
	rep, err := app.Statements.Import(ctx, acc, "", "bench.xml", f)
	imported := time.Since(t0)
	if err != nil {
		b.Fatal(err)
	}
	t1 := time.Now()
	c, err := app.Reconcile.Reconcile(ctx, tenant, rep.Statements[0].ID)
	reconciled := time.Since(t1)
	took := time.Since(t0)
	b.StopTimer()
	peak := w.Stop()
	if err != nil {
		b.Fatal(err)
	}
	if c.Lines != n || c.Booked != nPay || c.Returned != n/10 || c.Unmatched != n/10 {
		b.Fatalf("counts %+v", c)
	}
	b.ReportMetric(took.Seconds(), "total-s")
	b.ReportMetric(imported.Seconds(), "import-s")
	b.ReportMetric(reconciled.Seconds(), "reconcile-s")
	b.ReportMetric(parsed.Seconds(), "parse-alone-s")
	b.ReportMetric(float64(took)/float64(parsed), "ratio-to-parse")
	b.ReportMetric(float64(imported)/float64(parsed), "import-ratio-to-parse")
	b.ReportMetric(float64(took.Nanoseconds())/float64(n), "ns/entry")
	b.ReportMetric(peak, "peak-heap-MiB")
	b.ReportMetric(float64(st.Size())/(1<<20), "file-MiB")
	return took
}

// docOf lays out a state as store.Repository stores it: _id, tenant, version, the fields, an empty outbox.
func docOf(b *testing.B, id, tenant string, state any) bson.D {
	raw, err := bson.Marshal(state)
	if err != nil {
		b.Fatal(err)
	}
	doc := bson.D{{Key: "_id", Value: id}, {Key: "tenant", Value: tenant}, {Key: "version", Value: int64(1)}}
	elems, _ := bson.Raw(raw).Elements()
	for _, el := range elems {
		doc = append(doc, bson.E{Key: el.Key(), Value: el.Value()})
	}
	return append(doc, bson.E{Key: store.OutboxField, Value: bson.A{}})
}
