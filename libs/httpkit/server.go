package httpkit

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/go-kit/kit/transport"
	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/entraide/entraide/libs/problem"
)

// ServerOptions are the go-kit server options every endpoint uses: the request's language, id and route reach
// the endpoint context; errors become problem+json; 5xx causes are logged (not sent).
func ServerOptions(logger *slog.Logger, extra ...kithttp.ServerOption) []kithttp.ServerOption {
	opts := []kithttp.ServerOption{
		kithttp.ServerBefore(contextFromRequest),
		kithttp.ServerErrorEncoder(problem.EncodeError),
		kithttp.ServerErrorHandler(errorLogger{logger}),
	}
	return append(opts, extra...)
}

type errorLogger struct{ logger *slog.Logger }

func (l errorLogger) Handle(ctx context.Context, err error) {
	pe := problem.As(err)
	if pe.Type.Status >= 500 {
		// The cause may come from a driver; it holds no request data, but keep it at the server side only.
		l.logger.ErrorContext(ctx, "request failed", "request_id", RequestID(ctx), "problem", pe.Type.Slug, "error", err.Error())
	}
}

var _ transport.ErrorHandler = errorLogger{}

// Serve listens on addr and serves h until ctx is done, then shuts down gracefully: it stops accepting, lets
// in-flight requests finish within grace, and returns.
func Serve(ctx context.Context, addr string, h http.Handler, grace time.Duration, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return ServeListener(ctx, ln, h, grace, logger)
}

// ServeListener is Serve on an existing listener (tests listen on port 0 first).
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads of documents and bank statements
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("http server listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	logger.Info("http server stopped", "addr", ln.Addr().String())
	return err
}

// Task is background work a service runs beside its HTTP server (outbox relay, consumers, purges): it returns
// when ctx is done (nil or context.Canceled) or on a failure.
type Task func(ctx context.Context) error

// ServeWith serves h on ln and runs the tasks beside it. When ctx is done, or a task fails (the process should
// then stop and be restarted rather than serve without, say, its relay), the server shuts down gracefully, the
// tasks are cancelled and awaited, and the first failure is returned (nil after a clean stop).
func ServeWith(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, logger *slog.Logger, tasks ...Task) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(tasks))
	var wg sync.WaitGroup
	for _, task := range tasks {
		wg.Go(func() {
			if err := task(ctx); err != nil && !errors.Is(err, context.Canceled) {
				logger.Error("background task failed: stopping", "error", err.Error())
				errc <- err
				cancel()
			}
		})
	}
	err := ServeListener(ctx, ln, h, grace, logger)
	cancel()
	wg.Wait()
	close(errc)
	if taskErr := <-errc; taskErr != nil {
		return taskErr
	}
	return err
}

// Every is a Task that runs fn at once and then at each interval until ctx is done: housekeeping such as purging
// expired idempotency keys. fn logs its own failures; a failed round is tried again at the next one.
func Every(interval time.Duration, fn func(ctx context.Context)) Task {
	return func(ctx context.Context) error {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			fn(ctx)
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	}
}

// ListenerOr returns ln when set (tests and the all-in-one bind port 0 first), else a listener on addr.
func ListenerOr(ln net.Listener, addr string) (net.Listener, error) {
	if ln != nil {
		return ln, nil
	}
	return net.Listen("tcp", addr)
}
