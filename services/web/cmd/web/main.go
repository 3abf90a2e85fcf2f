// Command web serves Entraide's web front end. Its configuration comes from environment variables; `web -env`
// prints them as a Markdown table.
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
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/services/web/web"
)

func main() {
	printEnv := flag.Bool("env", false, "print the environment variables and exit")
	healthcheck := flag.Bool("healthcheck", false, httpkit.HealthcheckUsage)
	setup := flag.Bool("setup", false, "create the front end's MongoDB indexes (web_sessions) and its shared login CSRF key, then exit (the init job)")
	flag.Parse()
	r := config.FromEnv()
	cfg, err := web.LoadConfig(r)
	if *printEnv {
		fmt.Print(config.Markdown(r.Vars()))
		return
	}
	if *healthcheck {
		os.Exit(httpkit.HealthcheckExit(cfg.HTTPAddr))
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("service", "web")
	if err != nil {
		logger.Error("bad configuration", "error", err.Error())
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *setup {
		if err := web.Setup(ctx, cfg, logger); err != nil {
			logger.Error("setup failed", "error", err.Error())
			os.Exit(1)
		}
		return
	}
	if err := web.Run(ctx, cfg, logger); err != nil {
		logger.Error("web stopped", "error", err.Error())
		os.Exit(1)
	}
}
