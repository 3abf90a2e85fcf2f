// Command payments runs the payments service (schedules, payment runs, SEPA files).
// Configuration comes from the environment (see `payments -env`).
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
	"github.com/entraide/entraide/services/payments"
)

func main() {
	env := flag.Bool("env", false, "print the environment variables (Markdown table) and exit")
	flag.Parse()

	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	r := config.FromEnv()
	cfg := payments.LoadConfig(r)
	if *env {
		fmt.Print(config.Markdown(r.Vars()))
		return
	}
	if err := r.Err(); err != nil {
		logger.Error("bad configuration", "error", err.Error())
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := payments.Run(ctx, cfg, logger); err != nil {
		logger.Error("payments stopped", "error", err.Error())
		os.Exit(1)
	}
}
