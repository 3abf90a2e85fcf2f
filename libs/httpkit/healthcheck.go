package httpkit

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// HealthcheckUsage is the help text of the services' `-healthcheck` flag.
const HealthcheckUsage = "GET this service's own /healthz on its listen address and exit 0 if it answers 200, 1 otherwise " +
	"(the container image's HEALTHCHECK: the image has no shell nor curl)"

// Healthcheck GETs /healthz of the server listening on addr (a listen address such as ":8081" or "0.0.0.0:8081":
// an unspecified host becomes the loopback) and reports an error unless it answers 200 within 3 s. TLS is
// terminated in front of the services (deploy/compose: Caddy), so the check speaks plain HTTP.
func Healthcheck(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("healthcheck: listen address %q: %w", addr, err)
	}
	switch ip := net.ParseIP(host); {
	case host == "":
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified() && ip.To4() != nil:
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{Proxy: nil}}
	res, err := client.Get("http://" + net.JoinHostPort(host, port) + "/healthz")
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %d", res.StatusCode)
	}
	return nil
}

// HealthcheckExit runs Healthcheck and returns the process exit code (0 healthy, 1 not), printing the reason
// on stderr: `if *hc { os.Exit(httpkit.HealthcheckExit(cfg.HTTPAddr)) }`.
func HealthcheckExit(addr string) int {
	if err := Healthcheck(addr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
