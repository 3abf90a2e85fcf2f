package decisions

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/services/decisions/legalclock"
)

// Config is the decisions service's configuration; LoadConfig reads it from the environment.
type Config struct {
	HTTPAddr      string
	MongoURI      string
	MongoDatabase string

	IdentityURL    string
	IdentityIssuer string

	KafkaBrokers           []string
	KafkaReplicationFactor int

	ShutdownGrace time.Duration

	// DefaultRules are the legal periods a tenant starts with (DECISIONS_DEFAULT_RULES, JSON of legalclock.Rules).
	DefaultRules string

	// Listener, when set, is served instead of listening on HTTPAddr.
	Listener net.Listener
	// Registerer receives the metrics; nil means a registry of this service's own.
	Registerer *prometheus.Registry
}

// Audience is the audience of tokens this service accepts.
const Audience = "entraide-decisions"

// LoadConfig declares and reads the service's variables; check r.Err() afterwards.
func LoadConfig(r *config.Reader) Config {
	def, _ := json.Marshal(legalclock.DefaultRules())
	return Config{
		HTTPAddr:               r.String("DECISIONS_HTTP_ADDR", ":8083", "HTTP listen address of the decisions service"),
		MongoURI:               r.Secret("MONGO_URI", "mongodb://localhost:27017", "MongoDB connection string (may hold credentials)"),
		MongoDatabase:          r.String("MONGO_DATABASE", "entraide_decisions", "database of the decisions service"),
		IdentityURL:            r.String("IDENTITY_URL", "http://localhost:8081", "base URL of the identity service; its JWKS is read at /.well-known/jwks.json"),
		IdentityIssuer:         r.String("IDENTITY_ISSUER", "entraide-identity", "iss claim the access tokens must carry"),
		KafkaBrokers:           r.List("KAFKA_BROKERS", "", "Kafka bootstrap brokers; empty: events wait in the outbox and the beneficiaries projection is not fed"),
		KafkaReplicationFactor: r.Int("KAFKA_REPLICATION_FACTOR", 1, "replication factor of the topics this service creates"),
		ShutdownGrace:          r.Duration("DECISIONS_SHUTDOWN_GRACE", 10*time.Second, "time in-flight requests get to finish at shutdown"),
		DefaultRules: r.String("DECISIONS_DEFAULT_RULES", string(def),
			"legal periods a new tenant starts with (JSON of legalclock.Rules); each tenant admin may change theirs in the settings"),
	}
}

// JWKSURL is where the identity service publishes its signing keys.
func (c Config) JWKSURL() string {
	return strings.TrimRight(c.IdentityURL, "/") + "/.well-known/jwks.json"
}

// Rules parses DefaultRules.
func (c Config) Rules() (legalclock.Rules, error) {
	var r legalclock.Rules
	dec := json.NewDecoder(strings.NewReader(c.DefaultRules))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("DECISIONS_DEFAULT_RULES: %w", err)
	}
	if err := r.Validate(); err != nil {
		return r, fmt.Errorf("DECISIONS_DEFAULT_RULES: %w", err)
	}
	return r, nil
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
	case c.KafkaReplicationFactor < 1:
		return fmt.Errorf("KAFKA_REPLICATION_FACTOR must be at least 1")
	}
	_, err := c.Rules()
	return err
}
