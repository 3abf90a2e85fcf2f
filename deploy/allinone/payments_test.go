package allinone

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/libs/store"
	paydemo "github.com/entraide/entraide/services/payments/demo"
)

// TestPaymentsDemo: the all-in-one's payments service receives the decisions demo's schedules through Kafka and
// seeds its demo runs: one exported (the one-off aids) or awaiting approval, and the debtor account is set; the
// demo bank statement of the exported run is imported and reconciled (the run booked, one payment returned AC04
// with its task, the bank's fees in the accountant's queue); a receivable from a recovery has a valid OGM.
func TestPaymentsDemo(t *testing.T) {
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan Started, 1)
	done := make(chan error, 1)
	demo := make(chan error, 1)
	var res paydemo.Result
	opts := Options{
		DataDir: t.TempDir(), MongoAddr: "127.0.0.1:0", KafkaPort: 0, SeedDemo: true, DemoWait: 3 * time.Minute,
		Env:         config.FromMap(map[string]string{"IDENTITY_ARGON2_MEMORY_KIB": "8192", "IDENTITY_ARGON2_TIME": "1"}),
		WebListener: listen(), IdentityListener: listen(), BeneficiariesListener: listen(), DecisionsListener: listen(), PaymentsListener: listen(),
		Logger:       slog.New(slog.DiscardHandler),
		Started:      func(s Started) { started <- s },
		PaymentsDemo: func(r paydemo.Result, err error) { res = r; demo <- err },
	}
	go func() { done <- Run(ctx, opts) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Error("the all-in-one did not stop within 60s")
		}
	}()
	var s Started
	select {
	case s = <-started:
	case err := <-done:
		t.Fatalf("Run failed at start: %v", err)
	case <-time.After(120 * time.Second):
		t.Fatal("the all-in-one did not start within 120s")
	}
	select {
	case err := <-demo:
		if err != nil {
			t.Fatalf("payments demo: %v", err)
		}
	case <-time.After(5 * time.Minute):
		t.Fatal("the payments demo step did not end within 5 minutes")
	}
	if !res.Seeded || (res.Exported == "" && res.Awaiting == "") {
		t.Fatalf("payments demo seeded nothing: %+v", res)
	}
	client, db, err := store.Connect(context.Background(), s.MongoURI, "entraide_payments")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	n, err := db.Collection("schedules").CountDocuments(context.Background(), bson.D{{Key: "tenant", Value: "demo"}})
	if err != nil || n == 0 {
		t.Fatalf("%d schedules (%v)", n, err)
	}
	t.Logf("payments demo: %d schedules, exported run %q, run awaiting approval %q, statement %+v", n, res.Exported, res.Awaiting, res.Counts)
	count := func(coll string, f bson.D) int64 {
		t.Helper()
		n, err := db.Collection(coll).CountDocuments(context.Background(), append(bson.D{{Key: "tenant", Value: "demo"}}, f...))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if res.Exported == "" {
		t.Fatalf("no exported demo run: %+v", res)
	}
	if !res.Statement || res.Counts.Booked < 1 || res.Counts.Returned != 1 || res.Counts.Unmatched < 1 {
		t.Fatalf("demo statement: %+v", res)
	}
	if n := count("statements", bson.D{{Key: "status", Value: "reconciled"}}); n != 1 {
		t.Fatalf("%d reconciled statements", n)
	}
	// The exported run is reconciled: each of its payments booked (or booked then returned), none left exported.
	settled := count("instalments", bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{"booked", "returned"}}}}})
	if left := count("instalments", bson.D{{Key: "status", Value: "exported"}}); settled < 1 || left != 0 {
		t.Fatalf("%d payments settled, %d still exported: the exported run is not reconciled", settled, left)
	}
	if n := count("instalments", bson.D{{Key: "status", Value: "returned"}}); n != 1 {
		t.Fatalf("%d returned payments", n)
	}
	if n := count("reconciliation_queue", nil); n < 1 {
		t.Fatalf("%d entries in the reconciliation queue", n)
	}
	var rec struct {
		OGM         string `bson:"ogm"`
		AmountCents int64  `bson:"amount_cents"`
	}
	if err := db.Collection("receivables").FindOne(context.Background(), bson.D{{Key: "tenant", Value: "demo"}}).Decode(&rec); err != nil {
		t.Fatalf("demo receivable: %v", err)
	}
	if _, err := ogm.Parse(rec.OGM); err != nil || rec.AmountCents <= 0 || res.Receivable == "" {
		t.Fatalf("demo receivable: ogm %q (%v), %d cents, %+v", rec.OGM, err, rec.AmountCents, res)
	}
}
