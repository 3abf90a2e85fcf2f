package servicekit

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
)

// Command is what Main needs of a service's command (cmd/<service>/main.go). C is the service's configuration.
type Command[C any] struct {
	// Name names the service in its messages ("<Name> stopped").
	Name string
	// LoadConfig declares and reads the configuration; an error is a bad configuration (exit 2). A service whose
	// LoadConfig leaves its errors in the reader passes it through ReaderErr.
	LoadConfig func(r *config.Reader) (C, error)
	// HTTPAddr is the listen address -healthcheck probes.
	HTTPAddr func(cfg C) string
	// Setup is -setup: what the init job runs before the service starts or is upgraded (see SetupByAssembly).
	Setup func(ctx context.Context, cfg C, logger *slog.Logger) error
	// SetupUsage is the help text of -setup; empty: SetupUsage.
	SetupUsage string
	// Run serves until ctx ends (SIGINT, SIGTERM).
	Run func(ctx context.Context, cfg C, logger *slog.Logger) error
	// LogAttrs are attributes every log line carries (slog.Logger.With).
	LogAttrs []any
}

// SetupUsage is the help text of the -setup of a service that creates its indexes as it assembles
// (SetupByAssembly).
const SetupUsage = "create this service's MongoDB indexes (as every start does) and the Kafka topics, then exit: " +
	"the init job run before the service starts or is upgraded"

// Main is the whole main function of a service's command: the flags -env (print the environment variables as a
// Markdown table), -healthcheck (the container image's HEALTHCHECK) and -setup (the init job), a JSON logger on
// stderr, the configuration from the environment (exit 2 when bad), then Setup or Run until SIGINT or SIGTERM
// (exit 1 on an error). Flags a command adds of its own are declared on flag.CommandLine before Main parses them.
func Main[C any](cmd Command[C]) {
	if code := cmd.main(flag.CommandLine, os.Args[1:], os.Stdout, os.Stderr); code != 0 {
		os.Exit(code)
	}
}

func (cmd Command[C]) main(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
	setupUsage := cmd.SetupUsage
	if setupUsage == "" {
		setupUsage = SetupUsage
	}
	env := fs.Bool("env", false, "print the environment variables (Markdown table) and exit")
	healthcheck := fs.Bool("healthcheck", false, httpkit.HealthcheckUsage)
	setup := fs.Bool("setup", false, setupUsage)
	if err := fs.Parse(args); err != nil {
		return 2
	}

	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	if len(cmd.LogAttrs) > 0 {
		logger = logger.With(cmd.LogAttrs...)
	}
	r := config.FromEnv()
	cfg, err := cmd.LoadConfig(r)
	if *env {
		fmt.Fprint(stdout, config.Markdown(r.Vars()))
		return 0
	}
	if *healthcheck {
		return httpkit.HealthcheckExit(cmd.HTTPAddr(cfg))
	}
	if err != nil {
		logger.Error("bad configuration", "error", err.Error())
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *setup {
		if err := cmd.Setup(ctx, cfg, logger); err != nil {
			logger.Error("setup failed", "error", err.Error())
			return 1
		}
		return 0
	}
	if err := cmd.Run(ctx, cfg, logger); err != nil {
		logger.Error(cmd.Name+" stopped", "error", err.Error())
		return 1
	}
	return 0
}

// ReaderErr adapts a LoadConfig that leaves its errors in the reader (check r.Err() afterwards) to
// Command.LoadConfig.
func ReaderErr[C any](load func(r *config.Reader) C) func(r *config.Reader) (C, error) {
	return func(r *config.Reader) (C, error) {
		cfg := load(r)
		return cfg, r.Err()
	}
}

// Kafka is where a service's topics are created: its brokers (none: no topic is created) and the replication
// factor of the topics.
type Kafka struct {
	Brokers           []string
	ReplicationFactor int
}

// SetupByAssembly is the -setup of a service that creates its MongoDB indexes as it assembles: it assembles the
// service once with newApp — which creates the indexes, as every start does — closes it, and creates the topics
// (events.DefaultTopics with their .dlq twins; existing ones are left as they are), all within 5 minutes.
func SetupByAssembly[C any, A interface{ Close(context.Context) error }](
	newApp func(ctx context.Context, cfg C, logger *slog.Logger) (A, error), kafka func(cfg C) Kafka,
) func(ctx context.Context, cfg C, logger *slog.Logger) error {
	return func(ctx context.Context, cfg C, logger *slog.Logger) error {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		app, err := newApp(ctx, cfg, logger)
		if err != nil {
			return err
		}
		if err := app.Close(ctx); err != nil {
			return err
		}
		k := kafka(cfg)
		if len(k.Brokers) == 0 {
			logger.Warn("KAFKA_BROKERS is empty: no topic created")
		} else if err := events.EnsureTopics(ctx, k.Brokers, events.DefaultTopics(k.ReplicationFactor)...); err != nil {
			return err
		}
		logger.Info("setup done: indexes and topics exist")
		return nil
	}
}

// RunApp is a service's Run: it assembles the service with newApp, serves it on ln (nil: a listener on addr) until
// ctx ends, then returns nil after a graceful shutdown (or the first failure), and closes it.
func RunApp[A interface {
	Serve(ctx context.Context, ln net.Listener) error
	Close(ctx context.Context) error
}](ctx context.Context, ln net.Listener, addr string, newApp func(ctx context.Context) (A, error)) error {
	app, err := newApp(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = app.Close(context.WithoutCancel(ctx)) }()
	ln, err = httpkit.ListenerOr(ln, addr)
	if err != nil {
		return err
	}
	return app.Serve(ctx, ln)
}
