// Command entraide runs the embedded default: every Entraide service and the web front end in one process, on an
// embedded FerretDB and kfake that keep their data under -data-dir. `make run` starts it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"

	"github.com/entraide/entraide/deploy/allinone"
	"github.com/entraide/entraide/libs/config"
)

func main() {
	env := config.FromEnv()
	opts := allinone.Declare(env)
	flag.StringVar(&opts.DataDir, "data-dir", opts.DataDir, "directory of the embedded engines' data (ENTRAIDE_DATA_DIR)")
	flag.StringVar(&opts.MongoAddr, "mongo-addr", opts.MongoAddr, "address of the embedded FerretDB (ENTRAIDE_MONGO_ADDR)")
	flag.IntVar(&opts.KafkaPort, "kafka-port", opts.KafkaPort, "port of the embedded kfake broker (ENTRAIDE_KAFKA_PORT)")
	flag.BoolVar(&opts.SeedDemo, "seed-demo", opts.SeedDemo, "create the demo tenant and users when missing (ENTRAIDE_SEED_DEMO)")
	flag.Parse()

	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	opts.Logger = logger
	opts.Started = printWelcome

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := allinone.Run(ctx, opts); err != nil {
		logger.Error("entraide stopped on an error", "error", err.Error())
		os.Exit(1)
	}
	logger.Info("entraide stopped")
}

func printWelcome(s allinone.Started) {
	fmt.Printf("\nEntraide is running: open %s\n", s.WebURL)
	fmt.Printf("  identity API %s · beneficiaries API %s · decisions API %s\n", s.IdentityURL, s.BeneficiariesURL, s.DecisionsURL)
	fmt.Printf("  MongoDB (FerretDB) %s · Kafka (kfake) %v\n", s.MongoURI, s.Brokers)
	if len(s.DemoLogins) > 0 {
		fmt.Println("\nDemo logins (fictional data; never use these passwords for real data):")
		w := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(w, "  CPAS\tusername\tpassword\trole")
		for _, l := range s.DemoLogins {
			fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", l.Tenant, l.Username, l.Password, l.Role)
		}
		_ = w.Flush()
	}
	fmt.Println("\nCtrl-C stops everything; data stays in the data directory.")
}
