package allinone

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/store"
	paydemo "github.com/entraide/entraide/services/payments/demo"
)

// TestPaymentsDemo: the all-in-one's payments service receives the decisions demo's schedules through Kafka and
// seeds its demo runs: one exported (the one-off aids) or awaiting approval, and the debtor account is set.
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
	t.Logf("payments demo: %d schedules, exported run %q, run awaiting approval %q", n, res.Exported, res.Awaiting)
}
