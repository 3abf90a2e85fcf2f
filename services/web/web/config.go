package web

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/entraide/entraide/libs/config"
)

// Config is the web front end's configuration, read from environment variables by LoadConfig.
type Config struct {
	// HTTPAddr is where the web server listens when Listener is nil.
	HTTPAddr string
	// Listener, when set, is used instead of HTTPAddr (tests and the all-in-one process listen on port 0 first).
	Listener net.Listener
	// DemoLogins, set in code by the all-in-one only (never from the environment), are listed on the login page
	// so that someone trying the embedded default can sign in; DemoPassword is their shared password.
	DemoLogins   []DemoLogin
	DemoPassword string
	// IdentityURL is the base URL of the identity service's HTTP API.
	IdentityURL string
	// BeneficiariesURL is the base URL of the beneficiaries service's HTTP API (the registry pages).
	BeneficiariesURL string
	// BeneficiariesTimeout bounds each call to the beneficiaries service, except the transfer of a document's
	// content (uploads and downloads run as long as the browser sends or reads).
	BeneficiariesTimeout time.Duration
	// DecisionsURL is the base URL of the decisions service's HTTP API (requests, deadline board, CPAS settings).
	DecisionsURL string
	// DecisionsTimeout bounds each call to the decisions service.
	DecisionsTimeout time.Duration
	// PaymentsURL is the base URL of the payments service's HTTP API (due instalments, payment runs, their files).
	PaymentsURL string
	// PaymentsTimeout bounds each call to the payments service (a run's file is streamed without a limit).
	PaymentsTimeout time.Duration
	// DocumentMaxBytes is the largest document the upload form accepts (the beneficiaries service's own limit,
	// same variable): a larger file is refused while it streams, before the service stores anything.
	DocumentMaxBytes int64
	// MongoURI and MongoDatabase locate the web_sessions collection.
	MongoURI      string
	MongoDatabase string
	// CookieSecure forces the Secure flag on cookies (behind a TLS-terminating proxy). Requests that arrive over
	// TLS get Secure cookies and HSTS anyway.
	CookieSecure bool
	// SessionIdle ends a session nobody used for that long; SessionMax ends any session that old.
	SessionIdle time.Duration
	SessionMax  time.Duration
	// RefreshMargin: the access token is refreshed when it expires within this margin.
	RefreshMargin time.Duration
	// LoginCSRFKey signs the login form's CSRF cookie. Empty: a key kept in MongoDB (web_keys) is used, so that
	// every replica shares it without configuration.
	LoginCSRFKey string
	// TrustedProxyHops is the number of reverse proxies in front of the web front end whose X-Forwarded-For
	// entries are trusted to name the client's address (0: the connection's peer is the client).
	TrustedProxyHops int
	// IdentityTimeout bounds each call to the identity service.
	IdentityTimeout time.Duration
	// ShutdownGrace is how long in-flight requests may finish on shutdown.
	ShutdownGrace time.Duration
}

// LoadConfig declares and reads the web front end's variables.
func LoadConfig(r *config.Reader) (Config, error) {
	c := Config{
		HTTPAddr:         r.String("WEB_HTTP_ADDR", ":8080", "address the web front end listens on"),
		IdentityURL:      r.String("IDENTITY_URL", "http://127.0.0.1:8081", "base URL of the identity service's HTTP API"),
		BeneficiariesURL: r.String("BENEFICIARIES_URL", "http://127.0.0.1:8082", "base URL of the beneficiaries service's HTTP API"),
		BeneficiariesTimeout: r.Duration("WEB_BENEFICIARIES_TIMEOUT", 10*time.Second,
			"time limit of each call to the beneficiaries service (document uploads and downloads excepted)"),
		DecisionsURL: r.String("DECISIONS_URL", "http://127.0.0.1:8083", "base URL of the decisions service's HTTP API"),
		DecisionsTimeout: r.Duration("WEB_DECISIONS_TIMEOUT", 10*time.Second,
			"time limit of each call to the decisions service"),
		PaymentsURL: r.String("PAYMENTS_URL", "http://127.0.0.1:8084", "base URL of the payments service's HTTP API"),
		PaymentsTimeout: r.Duration("WEB_PAYMENTS_TIMEOUT", 30*time.Second,
			"time limit of each call to the payments service (building a run claims every due payment; file downloads excepted)"),
		DocumentMaxBytes: int64(r.Int("BENEFICIARIES_DOCUMENT_MAX_BYTES", 20<<20,
			"largest document upload accepted, in bytes (the beneficiaries service reads the same variable)")),
		MongoURI:         r.Secret("MONGO_URI", "mongodb://127.0.0.1:27017", "MongoDB connection string (sessions are kept in web_sessions)"),
		MongoDatabase:    r.String("MONGO_DATABASE", "entraide", "MongoDB database of the web front end's sessions"),
		CookieSecure:     r.Bool("WEB_COOKIE_SECURE", false, "mark cookies Secure and send HSTS even over plain HTTP (set behind a TLS-terminating proxy)"),
		SessionIdle:      r.Duration("WEB_SESSION_IDLE", 30*time.Minute, "a session unused for this long ends"),
		SessionMax:       r.Duration("WEB_SESSION_MAX", 8*time.Hour, "a session ends this long after login whatever its use"),
		RefreshMargin:    r.Duration("WEB_REFRESH_MARGIN", 2*time.Minute, "refresh the access token when it expires within this margin"),
		LoginCSRFKey:     r.Secret("WEB_LOGIN_CSRF_KEY", "", "key (at least 32 characters) signing the login form's CSRF cookie; empty: a random key kept in MongoDB (web_keys) and shared by the replicas"),
		TrustedProxyHops: r.Int("WEB_TRUSTED_PROXY_HOPS", 0, "number of reverse proxies in front whose X-Forwarded-For entries name the client's address (for the login rate limit)"),
		IdentityTimeout:  r.Duration("WEB_IDENTITY_TIMEOUT", 10*time.Second, "time limit of each call to the identity service"),
		ShutdownGrace:    r.Duration("WEB_SHUTDOWN_GRACE", 15*time.Second, "how long in-flight requests may finish on shutdown"),
	}
	err := r.Err()
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	if u, perr := url.Parse(c.IdentityURL); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("IDENTITY_URL: %q is not an http(s) URL", c.IdentityURL))
	}
	if u, perr := url.Parse(c.BeneficiariesURL); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("BENEFICIARIES_URL: %q is not an http(s) URL", c.BeneficiariesURL))
	}
	if u, perr := url.Parse(c.DecisionsURL); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("DECISIONS_URL: %q is not an http(s) URL", c.DecisionsURL))
	}
	if u, perr := url.Parse(c.PaymentsURL); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("PAYMENTS_URL: %q is not an http(s) URL", c.PaymentsURL))
	}
	if c.PaymentsTimeout <= 0 {
		errs = append(errs, errors.New("WEB_PAYMENTS_TIMEOUT must be positive"))
	}
	if c.DecisionsTimeout <= 0 {
		errs = append(errs, errors.New("WEB_DECISIONS_TIMEOUT must be positive"))
	}
	if c.BeneficiariesTimeout <= 0 {
		errs = append(errs, errors.New("WEB_BENEFICIARIES_TIMEOUT must be positive"))
	}
	if c.DocumentMaxBytes < 1<<10 {
		errs = append(errs, errors.New("BENEFICIARIES_DOCUMENT_MAX_BYTES must be at least 1024"))
	}
	if c.SessionIdle <= 0 || c.SessionMax <= 0 || c.SessionIdle > c.SessionMax {
		errs = append(errs, errors.New("WEB_SESSION_IDLE and WEB_SESSION_MAX must be positive, idle at most max"))
	}
	if c.RefreshMargin < 0 {
		errs = append(errs, errors.New("WEB_REFRESH_MARGIN must not be negative"))
	}
	if c.TrustedProxyHops < 0 {
		errs = append(errs, errors.New("WEB_TRUSTED_PROXY_HOPS must not be negative"))
	}
	if c.LoginCSRFKey != "" && len(c.LoginCSRFKey) < 32 {
		errs = append(errs, errors.New("WEB_LOGIN_CSRF_KEY must hold at least 32 characters"))
	}
	return c, errors.Join(errs...)
}

// DemoLogin is a demo account shown on the login page of the embedded default.
type DemoLogin struct {
	Tenant, Username, Role string
}
