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
	"github.com/entraide/entraide/services/web/web"
)

func main() {
	printEnv := flag.Bool("env", false, "print the environment variables and exit")
	flag.Parse()
	r := config.FromEnv()
	cfg, err := web.LoadConfig(r)
	if *printEnv {
		fmt.Print(config.Markdown(r.Vars()))
		return
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("service", "web")
	if err != nil {
		logger.Error("bad configuration", "error", err.Error())
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := web.Run(ctx, cfg, logger); err != nil {
		logger.Error("web stopped", "error", err.Error())
		os.Exit(1)
	}
}
