// Package embedded starts the engines of the embedded default inside the calling process: FerretDB (the MongoDB
// wire protocol on a SQLite backend, or on a PostgreSQL database for the benchmarks) and kfake (the Kafka protocol, persisted to disk). `make run` and the tests
// use it so that nothing but Go is needed; production points the services at a real MongoDB replica set and a real
// Apache Kafka cluster instead (see deploy/).
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Mongo is a running embedded FerretDB.
type Mongo struct {
	uri    string
	cancel context.CancelFunc
	done   chan struct{}
	// SQLite backend: the data directory and the stop of the _id indexer (sqliteid.go).
	dir          string
	stopIndexing func()
}

// StartMongo starts FerretDB with its SQLite backend storing its files in dir (created when missing) and
// listening on addr ("127.0.0.1:0" picks a free port). It returns once the server accepts connections.
func StartMongo(ctx context.Context, dir, addr string, logger *slog.Logger) (*Mongo, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded mongo: data dir: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("embedded mongo: data dir: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// The collections of an earlier run are indexed before FerretDB opens them: building an index on a large
	// table holds SQLite's write lock, which FerretDB's writes would otherwise wait for (10 s at most).
	if _, err := IndexSQLiteIDs(ctx, abs); err != nil {
		return nil, fmt.Errorf("embedded mongo: %w", err)
	}
	m, err := startFerretDB(ctx, &ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: addr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
	})
	if err != nil {
		return nil, err
	}
	m.dir = abs
	indexCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	indexed := make(chan struct{})
	go func() {
		defer close(indexed)
		indexIDs(indexCtx, abs)
	}()
	m.stopIndexing = func() {
		stop()
		<-indexed
	}
	return m, nil
}

// StartMongoPostgres starts FerretDB with its PostgreSQL backend on the database postgresURL names
// (postgres://user@host:port/db), listening on addr. FerretDB then pushes simple filters down to PostgreSQL and its
// indexes become PostgreSQL indexes: the benchmarks measure the registry on it (scripts/postgres.sh runs a
// throwaway cluster).
func StartMongoPostgres(ctx context.Context, postgresURL, addr string, logger *slog.Logger) (*Mongo, error) {
	if postgresURL == "" {
		return nil, errors.New("embedded mongo: empty PostgreSQL URL")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return startFerretDB(ctx, &ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: addr},
		Logger:        logger,
		Handler:       "postgresql",
		PostgreSQLURL: postgresURL,
	})
}

// startFerretDB runs FerretDB with cfg until Close and returns once it accepts connections.
func startFerretDB(ctx context.Context, cfg *ferretdb.Config) (*Mongo, error) {
	f, err := ferretdb.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("embedded mongo: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m := &Mongo{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		_ = f.Run(runCtx)
	}()
	// MongoDBURI reads the bound address, which exists once the listener is up.
	deadline := time.Now().Add(20 * time.Second)
	for {
		uri, ok := tryURI(f)
		if ok && dialable(uri) {
			m.uri = uri
			return m, nil
		}
		if time.Now().After(deadline) {
			m.Close()
			return nil, errors.New("embedded mongo: FerretDB did not start listening within 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tryURI(f *ferretdb.FerretDB) (uri string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return f.MongoDBURI(), true
}

func dialable(uri string) bool {
	u, err := url.Parse(uri)
	if err != nil {
		return false
	}
	c, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// IndexIDs adds at once the _id index FerretDB's queries can use to the collections created since the last tick of
// the indexer (see sqliteid.go); a no-op on the PostgreSQL backend.
func (m *Mongo) IndexIDs(ctx context.Context) error {
	if m.dir == "" {
		return nil
	}
	_, err := IndexSQLiteIDs(ctx, m.dir)
	return err
}

// URI is the mongodb:// connection string of the server.
func (m *Mongo) URI() string { return m.uri }

// Close stops the server and waits until its backend is closed.
func (m *Mongo) Close() {
	if m.stopIndexing != nil {
		m.stopIndexing()
	}
	m.cancel()
	<-m.done
}

// Kafka is a running embedded kfake cluster of one broker.
type Kafka struct {
	cluster *kfake.Cluster
}

// StartKafka starts kfake with one broker on 127.0.0.1:port (0 picks a free port). With a non-empty dir the log
// and the consumer groups' offsets are persisted there and reloaded on the next start.
func StartKafka(dir string, port int) (*Kafka, error) {
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.ClusterID("entraide-embedded"),
		kfake.DefaultNumPartitions(3),
	}
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("embedded kafka: data dir: %w", err)
		}
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return nil, fmt.Errorf("embedded kafka: data dir: %w", err)
		}
		opts = append(opts, kfake.DataDir(abs), kfake.SyncWrites())
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded kafka: %w", err)
	}
	return &Kafka{cluster: c}, nil
}

// Brokers are the bootstrap addresses of the cluster.
func (k *Kafka) Brokers() []string { return k.cluster.ListenAddrs() }

// Port is the TCP port of the broker.
func (k *Kafka) Port() int {
	_, p, _ := net.SplitHostPort(k.Brokers()[0])
	n, _ := strconv.Atoi(p)
	return n
}

// Close stops the cluster, flushing its state to the data dir when one is set.
func (k *Kafka) Close() { k.cluster.Close() }
