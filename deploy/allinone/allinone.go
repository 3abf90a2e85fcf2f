// Package allinone is the embedded default that `make run` starts: FerretDB (SQLite files under the data dir) and
// kfake (Kafka log under the data dir) inside the process, the project's topics created, then every service and the
// web front end, each on its own port as in production. On every start it makes sure the demo tenant exists (one
// user per role) and prints the demo logins, fills the registry with fictional beneficiaries and, in the background
// once they reached the decisions service, the decisions demo (requests at every stage, committee sessions) — each
// demo once; all data survives a restart; cancelling the context (Ctrl-C) stops
// the services first, then flushes Kafka's state and closes the database.
package allinone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/beneficiaries"
	"github.com/entraide/entraide/services/beneficiaries/demo"
	"github.com/entraide/entraide/services/beneficiaries/file"
	"github.com/entraide/entraide/services/beneficiaries/person"
	"github.com/entraide/entraide/services/decisions"
	decdemo "github.com/entraide/entraide/services/decisions/demo"
	"github.com/entraide/entraide/services/identity"
	"github.com/entraide/entraide/services/payments"
	paydemo "github.com/entraide/entraide/services/payments/demo"
	"github.com/entraide/entraide/services/web/web"
)

// Options are the all-in-one's own settings; each service reads the rest of its configuration from the
// environment as it does on its own (see README's configuration table), except the engines' addresses, which point
// at the embedded ones.
type Options struct {
	// DataDir holds mongo/ (FerretDB's SQLite files), kafka/ (kfake's log) and identity/ (the signing key).
	DataDir string
	// MongoAddr and KafkaPort are where the embedded engines listen (port 0: a free one).
	MongoAddr string
	KafkaPort int
	// SeedDemo creates the demo tenant and its users when missing.
	SeedDemo bool

	// Env configures the services (nil: the process environment).
	Env *config.Reader
	// The listeners, when set, replace WEB_HTTP_ADDR, IDENTITY_HTTP_ADDR and BENEFICIARIES_HTTP_ADDR (tests use
	// port 0).
	WebListener           net.Listener
	IdentityListener      net.Listener
	BeneficiariesListener net.Listener
	DecisionsListener     net.Listener
	PaymentsListener      net.Listener

	Logger *slog.Logger
	// Started is called once every service accepts requests, with their addresses and the demo logins.
	Started func(Started)
	// DecisionsDemo, when set, is called once the background step that seeds the decisions demo ended (nil: seeded
	// now or before; else why not).
	DecisionsDemo func(error)
	// PaymentsDemo, when set, is called once the background step that seeds the payments demo ended.
	PaymentsDemo func(paydemo.Result, error)
	// DemoWait bounds the wait of that step for the registry's demo files in the decisions projection [3m].
	DemoWait time.Duration
}

// Started tells where the running all-in-one answers.
type Started struct {
	WebURL           string
	IdentityURL      string
	BeneficiariesURL string
	DecisionsURL     string
	PaymentsURL      string
	MongoURI         string
	Brokers          []string
	DemoLogins       []identity.Login
}

// Declare declares the all-in-one's own variables on r and returns the options they give.
func Declare(r *config.Reader) Options {
	return Options{
		DataDir:   r.String("ENTRAIDE_DATA_DIR", ".data", "all-in-one: directory of the embedded engines' data (mongo/, kafka/) and the identity key"),
		MongoAddr: r.String("ENTRAIDE_MONGO_ADDR", "127.0.0.1:27117", "all-in-one: address of the embedded FerretDB (MongoDB wire protocol)"),
		KafkaPort: r.Int("ENTRAIDE_KAFKA_PORT", 39092, "all-in-one: port of the embedded kfake broker on 127.0.0.1"),
		SeedDemo:  r.Bool("ENTRAIDE_SEED_DEMO", true, "all-in-one: create the demo tenant with one user per role when missing"),
		Env:       r,
	}
}

// Run starts everything and blocks until ctx is cancelled or a service fails, then shuts down cleanly.
func Run(ctx context.Context, opts Options) error {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if opts.Env == nil {
		opts.Env = config.FromEnv()
	}
	engineLog := logger.With("component", "embedded")

	// FerretDB logs whole wire messages (documents included) even at warning level: keep its log closed so no
	// personal data reaches a log; its failures still surface as errors to the services.
	mongo, err := embedded.StartMongo(ctx, filepath.Join(opts.DataDir, "mongo"), opts.MongoAddr, nil)
	if err != nil {
		return err
	}
	defer mongo.Close()
	kafka, err := embedded.StartKafka(filepath.Join(opts.DataDir, "kafka"), opts.KafkaPort)
	if err != nil {
		return err
	}
	defer kafka.Close()
	brokers := kafka.Brokers()
	engineLog.Info("embedded engines started", "mongo", mongo.URI(), "kafka", brokers)

	topicCtx, cancel := context.WithTimeout(ctx, time.Minute)
	err = events.EnsureTopics(topicCtx, brokers, events.DefaultTopics(1)...)
	cancel()
	if err != nil {
		return fmt.Errorf("allinone: create topics: %w", err)
	}

	idCfg := identity.LoadConfig(opts.Env)
	benCfg := beneficiaries.LoadConfig(opts.Env)
	decCfg := decisions.LoadConfig(opts.Env)
	payCfg := payments.LoadConfig(opts.Env)
	webCfg, webErr := web.LoadConfig(opts.Env)
	if err := errors.Join(opts.Env.Err(), webErr); err != nil {
		return fmt.Errorf("allinone: configuration: %w", err)
	}
	idCfg.MongoURI, idCfg.KafkaBrokers, idCfg.KafkaReplicationFactor = mongo.URI(), brokers, 1
	idCfg.KeyDir = filepath.Join(opts.DataDir, "identity")
	idCfg.SeedDemo = false // seeded below, so the logins can be printed
	webCfg.MongoURI = mongo.URI()
	benCfg.MongoURI, benCfg.KafkaBrokers, benCfg.KafkaReplicationFactor = mongo.URI(), brokers, 1
	decCfg.MongoURI, decCfg.KafkaBrokers, decCfg.KafkaReplicationFactor = mongo.URI(), brokers, 1
	payCfg.MongoURI, payCfg.KafkaBrokers, payCfg.KafkaReplicationFactor = mongo.URI(), brokers, 1

	var logins []identity.Login
	if opts.SeedDemo {
		if logins, err = seedDemo(ctx, idCfg, benCfg, logger); err != nil {
			return err
		}
	}

	listeners := []struct {
		name   string
		given  net.Listener
		addr   string
		target *net.Listener
	}{
		{"identity", opts.IdentityListener, idCfg.HTTPAddr, &idCfg.Listener},
		{"beneficiaries", opts.BeneficiariesListener, benCfg.HTTPAddr, &benCfg.Listener},
		{"decisions", opts.DecisionsListener, decCfg.HTTPAddr, &decCfg.Listener},
		{"payments", opts.PaymentsListener, payCfg.HTTPAddr, &payCfg.Listener},
		{"web", opts.WebListener, webCfg.HTTPAddr, &webCfg.Listener},
	}
	for i, l := range listeners {
		if *l.target = l.given; l.given != nil {
			continue
		}
		if *l.target, err = net.Listen("tcp", l.addr); err != nil {
			for _, opened := range listeners[:i] {
				_ = (*opened.target).Close()
			}
			return fmt.Errorf("allinone: %s listener: %w", l.name, err)
		}
	}
	webCfg.IdentityURL = "http://" + loopback(idCfg.Listener.Addr())
	benCfg.IdentityURL = webCfg.IdentityURL
	decCfg.IdentityURL = webCfg.IdentityURL
	payCfg.IdentityURL = webCfg.IdentityURL
	webCfg.BeneficiariesURL = "http://" + loopback(benCfg.Listener.Addr())
	webCfg.DecisionsURL = "http://" + loopback(decCfg.Listener.Addr())
	webCfg.PaymentsURL = "http://" + loopback(payCfg.Listener.Addr())
	for _, l := range logins {
		webCfg.DemoLogins = append(webCfg.DemoLogins, web.DemoLogin{Tenant: l.Tenant, Username: l.Username, Role: string(l.Role)})
		webCfg.DemoPassword = l.Password
	}

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	decLog := logger.With("service", "decisions")
	var wg sync.WaitGroup
	errc := make(chan error, 5)
	for name, run := range map[string]func() error{
		"identity":      func() error { return identity.Run(ctx, idCfg, logger.With("service", "identity")) },
		"beneficiaries": func() error { return beneficiaries.Run(ctx, benCfg, logger.With("service", "beneficiaries")) },
		"decisions":     func() error { return runDecisions(ctx, decCfg, benCfg, logins, opts, decLog) },
		"payments":      func() error { return runPayments(ctx, payCfg, logins, opts, logger.With("service", "payments")) },
		"web":           func() error { return web.Run(ctx, webCfg, logger.With("service", "web")) },
	} {
		wg.Go(func() {
			if err := run(); err != nil {
				errc <- fmt.Errorf("%s: %w", name, err)
				stop()
			}
		})
	}
	if opts.Started != nil {
		opts.Started(Started{
			WebURL:           "http://" + loopback(webCfg.Listener.Addr()),
			IdentityURL:      webCfg.IdentityURL,
			BeneficiariesURL: webCfg.BeneficiariesURL,
			DecisionsURL:     webCfg.DecisionsURL,
			PaymentsURL:      webCfg.PaymentsURL,
			MongoURI:         mongo.URI(),
			Brokers:          brokers,
			DemoLogins:       logins,
		})
	}
	<-ctx.Done()
	wg.Wait()
	close(errc)
	return <-errc
}

// seedDemo makes sure the demo tenant and its users exist, fills the demo tenant's registry with fictional
// beneficiaries on the first start (files spread over the demo social workers), and returns the logins.
func seedDemo(ctx context.Context, cfg identity.Config, benCfg beneficiaries.Config, logger *slog.Logger) ([]identity.Login, error) {
	client, db, err := store.Connect(ctx, cfg.MongoURI, cfg.MongoDatabase)
	if err != nil {
		return nil, err
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }()
	logins, err := identity.SeedDemo(ctx, db, identity.DemoOptions{Password: cfg.DemoPassword}, cfg.Argon2)
	if err != nil {
		return nil, fmt.Errorf("allinone: seed the demo tenant: %w", err)
	}
	opts := demo.Options{Tenant: identity.DemoTenantCode}
	for _, l := range logins {
		switch {
		case l.Tenant != identity.DemoTenantCode:
		case l.Role == identity.RoleSocialServiceHead:
			opts.Head = l.UserID
		case l.Role == identity.RoleSocialWorker:
			opts.Workers = append(opts.Workers, l.UserID)
		}
	}
	benClient, benDB, err := store.Connect(ctx, benCfg.MongoURI, benCfg.MongoDatabase)
	if err != nil {
		return nil, err
	}
	defer func() { _ = benClient.Disconnect(context.WithoutCancel(ctx)) }()
	res, err := demo.SeedDemo(ctx, benDB, opts)
	if err != nil {
		return nil, fmt.Errorf("allinone: seed the demo beneficiaries: %w", err)
	}
	if res.Seeded {
		logger.Info("demo beneficiaries seeded", "tenant", opts.Tenant, "persons", res.Persons, "files", res.Files,
			"notes", res.Notes, "documents", res.Documents)
	}
	return logins, nil
}

// runDecisions runs the decisions service as decisions.Run does and, with the demo, seeds the decisions demo in
// the background once the registry's demo files reached its projection (they come over Kafka after the start).
func runDecisions(ctx context.Context, cfg decisions.Config, benCfg beneficiaries.Config, logins []identity.Login, opts Options, logger *slog.Logger) error {
	app, err := decisions.NewApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer func() { _ = app.Close(context.WithoutCancel(ctx)) }()
	ln, err := httpkit.ListenerOr(cfg.Listener, cfg.HTTPAddr)
	if err != nil {
		return err
	}
	seedCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if opts.SeedDemo {
		wg.Go(func() {
			err := seedDecisions(seedCtx, cfg, benCfg, logins, opts.DemoWait, logger)
			if err != nil && seedCtx.Err() == nil {
				logger.Error("decisions demo not seeded", "error", err.Error())
			}
			if opts.DecisionsDemo != nil {
				opts.DecisionsDemo(err)
			}
		})
	}
	err = app.Serve(ctx, ln)
	cancel()
	wg.Wait()
	return err
}

// demoStaff picks the decisions demo's staff from the identity demo's logins.
func demoStaff(logins []identity.Login) decdemo.Staff {
	st := decdemo.Staff{Tenant: identity.DemoTenantCode}
	for _, l := range logins {
		p := decdemo.Person{UserID: l.UserID, Name: l.Name}
		switch {
		case l.Tenant != identity.DemoTenantCode:
		case l.Role == identity.RoleSocialWorker:
			st.Workers = append(st.Workers, p)
		case l.Role == identity.RoleSocialServiceHead:
			st.Head = p
		case l.Role == identity.RolePresident:
			st.President = p
		case l.Role == identity.RoleCommitteeSecretary:
			st.Secretary = p
		case l.Role == identity.RoleCommitteeMember:
			st.Members = append(st.Members, p)
		}
	}
	return st
}

// seedDecisions seeds the decisions demo unless it was seeded before: it waits (at most wait) until the decisions
// projection holds the demo tenant's files and persons as the registry has them, then seeds through the service
// layer.
func seedDecisions(ctx context.Context, cfg decisions.Config, benCfg beneficiaries.Config, logins []identity.Login, wait time.Duration, logger *slog.Logger) error {
	client, db, err := store.Connect(ctx, cfg.MongoURI, cfg.MongoDatabase)
	if err != nil {
		return err
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }()
	tenant := identity.DemoTenantCode
	if done, err := decdemo.Seeded(ctx, db, tenant); err != nil || done {
		return err
	}
	benClient, benDB, err := store.Connect(ctx, benCfg.MongoURI, benCfg.MongoDatabase)
	if err != nil {
		return err
	}
	defer func() { _ = benClient.Disconnect(context.WithoutCancel(ctx)) }()
	if wait <= 0 {
		wait = 3 * time.Minute
	}
	logger.Info("decisions demo: waiting for the registry's demo files in the projection", "tenant", tenant, "timeout", wait.String())
	waitCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		ready, err := projected(waitCtx, db, benDB, tenant)
		if err != nil && waitCtx.Err() == nil {
			return err
		}
		if ready {
			break
		}
		select {
		case <-waitCtx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("allinone: the registry's demo files did not reach the decisions projection within %s", wait)
		case <-tick.C:
		}
	}
	res, err := decdemo.Seed(ctx, cfg, db, demoStaff(logins))
	if err != nil {
		return err
	}
	if res.Seeded {
		logger.Info("decisions demo seeded", "tenant", tenant, "requests", res.Requests, "sessions", res.Sessions, "decisions", res.Decisions)
	}
	return nil
}

// projected tells whether the decisions projection holds as many of tenant's files and persons as the registry
// (and at least one file).
func projected(ctx context.Context, decDB, benDB *mongodriver.Database, tenant string) (bool, error) {
	filter := bson.D{{Key: "tenant", Value: tenant}}
	wantFiles, err := benDB.Collection(file.CollFiles).CountDocuments(ctx, filter)
	if err != nil || wantFiles == 0 {
		return false, err
	}
	wantPersons, err := benDB.Collection(person.CollPersons).CountDocuments(ctx, filter)
	if err != nil {
		return false, err
	}
	files, err := decdemo.ProjectedFiles(ctx, decDB, tenant)
	if err != nil {
		return false, err
	}
	persons, err := decdemo.ProjectedPersons(ctx, decDB, tenant)
	return err == nil && files >= wantFiles && persons >= wantPersons, err
}

// loopback turns a wildcard listen address into one a client on this machine can dial.
func loopback(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
