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

	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/services/identity"
)

func main() {
	bootstrapUser := flag.String("bootstrap-admin", "", "platform admin username to create at start when missing (overrides IDENTITY_BOOTSTRAP_ADMIN_USERNAME; the password comes from IDENTITY_BOOTSTRAP_ADMIN_PASSWORD)")
	seed := flag.Bool("seed-demo", false, "create the demo tenant and one user per role (same as IDENTITY_SEED_DEMO=true)")
	env := flag.Bool("env", false, "print the environment variables (Markdown table) and exit")
	flag.Parse()

	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	r := config.FromEnv()
	cfg := identity.LoadConfig(r)
	if *env {
		fmt.Print(config.Markdown(r.Vars()))
		return
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
	if err := identity.Run(ctx, cfg, logger); err != nil {
		logger.Error("identity stopped", "error", err.Error())
		os.Exit(1)
	}
}
