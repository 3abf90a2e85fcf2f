package beneficiaries

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/services/beneficiaries/document"
)

// Config is the beneficiaries service's configuration; LoadConfig reads it from the environment.
type Config struct {
	HTTPAddr      string
	MongoURI      string
	MongoDatabase string

	IdentityURL    string
	IdentityIssuer string

	DocumentMaxBytes int64
	// DocumentRetention is the retention period of each document type, as document.ParseRetention reads it.
	DocumentRetention string

	KafkaBrokers           []string
	KafkaReplicationFactor int

	ShutdownGrace time.Duration

	// Listener, when set, is served instead of listening on HTTPAddr (tests and the all-in-one use port 0).
	Listener net.Listener
	// Registerer receives the metrics; nil means a registry of this service's own, served on /metrics.
	Registerer *prometheus.Registry
}

// Audience is the audience of tokens this service accepts.
const Audience = "entraide-beneficiaries"

// LoadConfig declares and reads the service's variables; check r.Err() afterwards.
func LoadConfig(r *config.Reader) Config {
	return Config{
		HTTPAddr:       r.String("BENEFICIARIES_HTTP_ADDR", ":8082", "HTTP listen address of the beneficiaries service"),
		MongoURI:       r.Secret("MONGO_URI", "mongodb://localhost:27017", "MongoDB connection string (may hold credentials)"),
		MongoDatabase:  r.String("MONGO_DATABASE", "entraide_beneficiaries", "database of the beneficiaries service"),
		IdentityURL:    r.String("IDENTITY_URL", "http://localhost:8081", "base URL of the identity service; its JWKS is read at /.well-known/jwks.json"),
		IdentityIssuer: r.String("IDENTITY_ISSUER", "entraide-identity", "iss claim the access tokens must carry"),
		DocumentMaxBytes: int64(r.Int("BENEFICIARIES_DOCUMENT_MAX_BYTES", 20<<20,
			"largest document upload accepted, in bytes (default 20 MiB)")),
		DocumentRetention: r.String("BENEFICIARIES_DOCUMENT_RETENTION", document.DefaultRetention().String(),
			"retention of documents per type, counted from the file's closure (or the document's removal): type=period "+
				"with periods in years and days (10y, 90d, 1y30d); types not named keep 10y. CPAS policy: the DPO must set it"),
		KafkaBrokers:           r.List("KAFKA_BROKERS", "", "Kafka bootstrap brokers; empty: events wait in the outbox until a relay with brokers runs"),
		KafkaReplicationFactor: r.Int("KAFKA_REPLICATION_FACTOR", 1, "replication factor of the topics this service creates"),
		ShutdownGrace:          r.Duration("BENEFICIARIES_SHUTDOWN_GRACE", 10*time.Second, "time in-flight requests get to finish at shutdown"),
	}
}

// JWKSURL is where the identity service publishes its signing keys.
func (c Config) JWKSURL() string {
	return strings.TrimRight(c.IdentityURL, "/") + "/.well-known/jwks.json"
}

// Validate reports the values the service cannot run with.
func (c Config) Validate() error {
	switch {
	case c.MongoDatabase == "":
		return fmt.Errorf("MONGO_DATABASE must not be empty")
	case c.IdentityURL == "" || !(strings.HasPrefix(c.IdentityURL, "http://") || strings.HasPrefix(c.IdentityURL, "https://")):
		return fmt.Errorf("IDENTITY_URL must be an http(s) URL")
	case c.IdentityIssuer == "":
		return fmt.Errorf("IDENTITY_ISSUER must not be empty")
	case c.DocumentMaxBytes < 1<<10:
		return fmt.Errorf("BENEFICIARIES_DOCUMENT_MAX_BYTES must be at least 1024")
	case c.KafkaReplicationFactor < 1:
		return fmt.Errorf("KAFKA_REPLICATION_FACTOR must be at least 1")
	}
	if _, err := document.ParseRetention(c.DocumentRetention); err != nil {
		return fmt.Errorf("BENEFICIARIES_DOCUMENT_RETENTION: %w", err)
	}
	return nil
}
