package payments

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/services/payments/settings"
)

// Config is the payments service's configuration; LoadConfig reads it from the environment.
type Config struct {
	HTTPAddr      string
	MongoURI      string
	MongoDatabase string

	IdentityURL    string
	IdentityIssuer string

	KafkaBrokers           []string
	KafkaReplicationFactor int

	ShutdownGrace time.Duration

	// PainVersion is the pain.001 version a new tenant starts with (PAYMENTS_DEFAULT_PAIN_VERSION).
	PainVersion string
	// BudgetArticles is the JSON object kind → budget article a new tenant starts with.
	BudgetArticles string
	// HorizonMonths is how many months after the current one the schedules issue ahead.
	HorizonMonths int

	// Listener, when set, is served instead of listening on HTTPAddr.
	Listener net.Listener
	// Registerer receives the metrics; nil means a registry of this service's own.
	Registerer *prometheus.Registry
}

// Audience is the audience of tokens this service accepts.
const Audience = "entraide-payments"

// DefaultBudgetArticles are the budget articles a new tenant starts with, by kind of aid (verify: each CPAS keeps
// its own budget; the finance director changes them in the payment settings).
const DefaultBudgetArticles = `{"ris":"8320/333-01","eris":"8321/333-01","aide_sociale":"8440/333-01","amu":"8441/333-01"}`

// LoadConfig declares and reads the service's variables; check r.Err() afterwards.
func LoadConfig(r *config.Reader) Config {
	return Config{
		HTTPAddr:               r.String("PAYMENTS_HTTP_ADDR", ":8084", "HTTP listen address of the payments service"),
		MongoURI:               r.Secret("MONGO_URI", "mongodb://localhost:27017", "MongoDB connection string (may hold credentials)"),
		MongoDatabase:          r.String("MONGO_DATABASE", "entraide_payments", "database of the payments service"),
		IdentityURL:            r.String("IDENTITY_URL", "http://localhost:8081", "base URL of the identity service; its JWKS is read at /.well-known/jwks.json"),
		IdentityIssuer:         r.String("IDENTITY_ISSUER", "entraide-identity", "iss claim the access tokens must carry"),
		KafkaBrokers:           r.List("KAFKA_BROKERS", "", "Kafka bootstrap brokers; empty: events wait in the outbox and no decision or registry event is consumed"),
		KafkaReplicationFactor: r.Int("KAFKA_REPLICATION_FACTOR", 1, "replication factor of the topics this service creates"),
		ShutdownGrace:          r.Duration("PAYMENTS_SHUTDOWN_GRACE", 10*time.Second, "time in-flight requests get to finish at shutdown"),
		PainVersion: r.String("PAYMENTS_DEFAULT_PAIN_VERSION", settings.Pain09,
			"pain.001 version of a new tenant's payment files (pain.001.001.09 or pain.001.001.03); each finance director may change theirs"),
		BudgetArticles: r.String("PAYMENTS_DEFAULT_BUDGET_ARTICLES", DefaultBudgetArticles,
			"budget article per kind of aid of a new tenant (JSON object); each finance director may change theirs"),
		HorizonMonths: r.Int("PAYMENTS_HORIZON_MONTHS", 1, "months after the current one for which monthly instalments are scheduled ahead"),
	}
}

// JWKSURL is where the identity service publishes its signing keys.
func (c Config) JWKSURL() string {
	return strings.TrimRight(c.IdentityURL, "/") + "/.well-known/jwks.json"
}

// Defaults are the payment settings a new tenant starts with (no debtor account: its finance director sets it).
func (c Config) Defaults() (settings.Settings, error) {
	s := settings.Settings{PainVersion: c.PainVersion, BatchBooking: true}
	if err := json.Unmarshal([]byte(c.BudgetArticles), &s.BudgetArticles); err != nil {
		return s, fmt.Errorf("PAYMENTS_DEFAULT_BUDGET_ARTICLES: %w", err)
	}
	return s, nil
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
	case c.PainVersion != settings.Pain09 && c.PainVersion != settings.Pain03:
		return fmt.Errorf("PAYMENTS_DEFAULT_PAIN_VERSION must be %s or %s", settings.Pain09, settings.Pain03)
	case c.HorizonMonths < 0 || c.HorizonMonths > 12:
		return fmt.Errorf("PAYMENTS_HORIZON_MONTHS must be between 0 and 12")
	}
	_, err := c.Defaults()
	return err
}
