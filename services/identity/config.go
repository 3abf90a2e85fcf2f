package identity

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/entraide/entraide/libs/config"
)

// Config is the identity service's configuration; LoadConfig reads it from the environment.
type Config struct {
	HTTPAddr      string
	MongoURI      string
	MongoDatabase string

	Issuer     string
	Audiences  []string
	AccessTTL  time.Duration
	RefreshTTL time.Duration

	SigningKeyFiles []string
	KeyDir          string

	BootstrapAdminUsername string
	BootstrapAdminPassword string

	LoginWindow             time.Duration
	LoginFailuresPerAccount int
	LoginFailuresPerAddress int
	TrustedProxies          []netip.Prefix

	Argon2 Argon2Params

	KafkaBrokers           []string
	KafkaReplicationFactor int

	SeedDemo     bool
	DemoPassword string

	ShutdownGrace time.Duration

	// Listener, when set, is served instead of listening on HTTPAddr (tests and the all-in-one use port 0).
	Listener net.Listener
	// Registerer receives the metrics; nil means a registry of this service's own, served on /metrics.
	Registerer *prometheus.Registry

	configErr error
}

// Audience is the audience of tokens this service accepts on its own API.
const Audience = "entraide-identity"

// DemoPassword is the password of every demo user (SeedDemo): for the embedded demo only, never production.
const DemoPassword = "entraide-demo-2025"

// LoadConfig declares and reads the service's variables; check r.Err() afterwards.
func LoadConfig(r *config.Reader) Config {
	c := Config{
		HTTPAddr:      r.String("IDENTITY_HTTP_ADDR", ":8081", "HTTP listen address of the identity service"),
		MongoURI:      r.Secret("MONGO_URI", "mongodb://localhost:27017", "MongoDB connection string (may hold credentials)"),
		MongoDatabase: r.String("MONGO_DATABASE", "entraide_identity", "database of the identity service"),
		Issuer:        r.String("IDENTITY_ISSUER", "entraide-identity", "iss claim of access tokens; services verify it"),
		Audiences: r.List("IDENTITY_AUDIENCES", "entraide-identity,entraide-web,entraide-beneficiaries,entraide-decisions,entraide-payments",
			"service audiences an access token may be issued for (a login without audience gets all)"),
		AccessTTL:       r.Duration("IDENTITY_ACCESS_TTL", 15*time.Minute, "access token lifetime (at most 15m)"),
		RefreshTTL:      r.Duration("IDENTITY_REFRESH_TTL", 8*time.Hour, "absolute session lifetime from login, however often refreshed"),
		SigningKeyFiles: r.List("IDENTITY_SIGNING_KEYS", "", "comma-separated Ed25519 PKCS#8 PEM files; the first signs, all are published (rotation)"),
		KeyDir:          r.String("IDENTITY_KEY_DIR", ".data/identity", "where a signing key is generated and kept when IDENTITY_SIGNING_KEYS is empty"),
		BootstrapAdminUsername: r.String("IDENTITY_BOOTSTRAP_ADMIN_USERNAME", "",
			"platform admin created at start when missing (tenant \"platform\"); never overwritten"),
		BootstrapAdminPassword:  r.Secret("IDENTITY_BOOTSTRAP_ADMIN_PASSWORD", "", "password of that platform admin (min 12 characters)"),
		LoginWindow:             r.Duration("IDENTITY_LOGIN_WINDOW", 15*time.Minute, "window of the failed-login counters"),
		LoginFailuresPerAccount: r.Int("IDENTITY_LOGIN_MAX_FAILURES_PER_ACCOUNT", 10, "failed logins allowed per account and window, then 429"),
		LoginFailuresPerAddress: r.Int("IDENTITY_LOGIN_MAX_FAILURES_PER_ADDRESS", 50, "failed logins allowed per client address (IPv6: /64) and window, then 429"),
		Argon2: Argon2Params{
			MemoryKiB: uint32(r.Int("IDENTITY_ARGON2_MEMORY_KIB", int(DefaultArgon2.MemoryKiB), "argon2id memory per hash in KiB")),
			Time:      uint32(r.Int("IDENTITY_ARGON2_TIME", int(DefaultArgon2.Time), "argon2id passes")),
			Threads:   uint8(r.Int("IDENTITY_ARGON2_THREADS", int(DefaultArgon2.Threads), "argon2id lanes")),
		},
		KafkaBrokers:           r.List("KAFKA_BROKERS", "", "Kafka bootstrap brokers; empty: events wait in the outbox until a relay with brokers runs"),
		KafkaReplicationFactor: r.Int("KAFKA_REPLICATION_FACTOR", 1, "replication factor of the topics this service creates"),
		SeedDemo:               r.Bool("IDENTITY_SEED_DEMO", false, "create the demo tenant and one user per role at start (idempotent)"),
		DemoPassword:           r.Secret("IDENTITY_DEMO_PASSWORD", DemoPassword, "password of the demo users"),
		ShutdownGrace:          r.Duration("IDENTITY_SHUTDOWN_GRACE", 10*time.Second, "time in-flight requests get to finish at shutdown"),
	}
	for _, s := range r.List("IDENTITY_TRUSTED_PROXIES", "127.0.0.1/32,::1/128", "CIDRs of reverse proxies (and the web front end) whose X-Forwarded-For gives the client address") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			if a, aerr := netip.ParseAddr(s); aerr == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				c.TrustedProxies = nil
				c.configErr = fmt.Errorf("IDENTITY_TRUSTED_PROXIES: %q is not a CIDR", s)
				continue
			}
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	return c
}

// Validate reports the values the service cannot run with.
func (c Config) Validate() error {
	switch {
	case c.configErr != nil:
		return c.configErr
	case c.AccessTTL <= 0 || c.AccessTTL > MaxAccessTTL:
		return fmt.Errorf("IDENTITY_ACCESS_TTL must be in (0, %s]", MaxAccessTTL)
	case c.RefreshTTL < c.AccessTTL:
		return fmt.Errorf("IDENTITY_REFRESH_TTL must be at least IDENTITY_ACCESS_TTL")
	case len(c.Audiences) == 0 || !oneOf(Audience, c.Audiences):
		return fmt.Errorf("IDENTITY_AUDIENCES must include %s", Audience)
	case c.LoginWindow <= 0:
		return fmt.Errorf("IDENTITY_LOGIN_WINDOW must be positive")
	case c.Argon2.MemoryKiB < 8 || c.Argon2.Time < 1 || c.Argon2.Threads < 1:
		return fmt.Errorf("IDENTITY_ARGON2_* out of range")
	case (c.BootstrapAdminUsername == "") != (c.BootstrapAdminPassword == ""):
		return fmt.Errorf("IDENTITY_BOOTSTRAP_ADMIN_USERNAME and _PASSWORD go together")
	}
	return nil
}
