// Command identity runs the identity service (tenants, users, login, JWKS). Configuration comes from the
// environment (see `identity -env`); flags cover one-off tasks.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/services/identity"
)

func main() {
	bootstrapUser := flag.String("bootstrap-admin", "", "platform admin username to create at start when missing (overrides IDENTITY_BOOTSTRAP_ADMIN_USERNAME; the password comes from IDENTITY_BOOTSTRAP_ADMIN_PASSWORD)")
	seed := flag.Bool("seed-demo", false, "create the demo tenant and one user per role (same as IDENTITY_SEED_DEMO=true)")
	env := flag.Bool("env", false, "print the environment variables (Markdown table) and exit")
	healthcheck := flag.Bool("healthcheck", false, httpkit.HealthcheckUsage)
	setup := flag.Bool("setup", false, setupUsage)
	flag.Parse()

	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	r := config.FromEnv()
	cfg := identity.LoadConfig(r)
	if *env {
		fmt.Print(config.Markdown(r.Vars()))
		return
	}
	if *healthcheck {
		os.Exit(httpkit.HealthcheckExit(cfg.HTTPAddr))
	}
	if err := r.Err(); err != nil {
		logger.Error("bad configuration", "error", err.Error())
		os.Exit(2)
	}
	if *bootstrapUser != "" {
		cfg.BootstrapAdminUsername = *bootstrapUser
	}
	if *seed {
		cfg.SeedDemo = true
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *setup {
		if err := runSetup(ctx, cfg, logger); err != nil {
			logger.Error("setup failed", "error", err.Error())
			os.Exit(1)
		}
		logger.Info("setup done: indexes and topics exist")
		return
	}
	if err := identity.Run(ctx, cfg, logger); err != nil {
		logger.Error("identity stopped", "error", err.Error())
		os.Exit(1)
	}
}

const setupUsage = "create this service's MongoDB indexes (as every start does) and the Kafka topics, then exit: " +
	"the init job run before the service starts or is upgraded"

// runSetup assembles the service once — which creates its indexes, as every start does — and creates the
// topics (events.DefaultTopics with their .dlq twins; existing ones are left as they are), then returns.
func runSetup(ctx context.Context, cfg identity.Config, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	app, err := identity.NewApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	if err := app.Close(ctx); err != nil {
		return err
	}
	if len(cfg.KafkaBrokers) == 0 {
		logger.Warn("KAFKA_BROKERS is empty: no topic created")
		return nil
	}
	return events.EnsureTopics(ctx, cfg.KafkaBrokers, events.DefaultTopics(cfg.KafkaReplicationFactor)...)
}
