// Package testkit gives integration tests real engines: the MongoDB and Kafka named by MONGO_URI and KAFKA_BROKERS
// when set (CI runs real Apache Kafka), otherwise an embedded FerretDB (SQLite in a temp dir) and an embedded kfake
// started once per test binary on free ports. Each test gets its own database and topic names, so tests never see
// each other's data even on a shared broker. It also finds Chromium for browser tests.
package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/embedded"
)

var (
	mongoOnce sync.Once
	mongoURI  string
	mongoErr  error

	kafkaOnce    sync.Once
	kafkaBrokers []string
	kafkaErr     error
)

// MongoURI returns MONGO_URI, or the URI of an embedded FerretDB shared by the tests of this binary.
func MongoURI(t testing.TB) string {
	t.Helper()
	if uri := os.Getenv("MONGO_URI"); uri != "" {
		return uri
	}
	mongoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "entraide-ferretdb-*")
		if err != nil {
			mongoErr = err
			return
		}
		m, err := embedded.StartMongo(context.Background(), dir, "127.0.0.1:0", nil)
		if err != nil {
			mongoErr = err
			return
		}
		mongoURI = m.URI()
	})
	if mongoErr != nil {
		t.Fatalf("testkit: start embedded FerretDB: %v", mongoErr)
	}
	return mongoURI
}

// Database connects to the test MongoDB and returns a database of its own for this test, dropped at the end.
func Database(t testing.TB) *mongo.Database {
	t.Helper()
	client, err := mongo.Connect(options.Client().ApplyURI(MongoURI(t)).SetTimeout(30 * time.Second))
	if err != nil {
		t.Fatalf("testkit: connect mongo: %v", err)
	}
	db := client.Database(Name(t, "db"))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = db.Drop(ctx)
		_ = client.Disconnect(ctx)
	})
	return db
}

// KafkaBrokers returns KAFKA_BROKERS (comma-separated), or the address of an embedded kfake shared by the tests of
// this binary.
func KafkaBrokers(t testing.TB) []string {
	t.Helper()
	if b := os.Getenv("KAFKA_BROKERS"); b != "" {
		return strings.Split(b, ",")
	}
	kafkaOnce.Do(func() {
		k, err := embedded.StartKafka("", 0)
		if err != nil {
			kafkaErr = err
			return
		}
		kafkaBrokers = k.Brokers()
	})
	if kafkaErr != nil {
		t.Fatalf("testkit: start embedded kfake: %v", kafkaErr)
	}
	return kafkaBrokers
}

// RealKafka tells whether the tests run against a Kafka given by KAFKA_BROKERS.
func RealKafka() bool { return os.Getenv("KAFKA_BROKERS") != "" }

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9]+`)

// Name returns a name unique to this test run, built from the test's name: for databases, topics, groups.
func Name(t testing.TB, prefix string) string {
	t.Helper()
	base := strings.Trim(unsafeName.ReplaceAllString(t.Name(), "_"), "_")
	if len(base) > 30 {
		base = base[len(base)-30:]
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "_" + base + "_" + hex.EncodeToString(b)
}

// Chromium returns the path of a Chromium binary for browser tests. Without one the test is skipped with a clear
// message, except in CI (CI=true) where browser tests must run and the test fails instead.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/lib/chromium/chromium"} {
		if _, err := os.Stat(p); err == nil {
			return filepath.Clean(p)
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("testkit: Chromium is required in CI (install Debian's chromium package); browser test cannot run")
	}
	t.Skip("testkit: Chromium not found (install Debian's chromium package, or set CHROMIUM): browser test skipped")
	return ""
}
