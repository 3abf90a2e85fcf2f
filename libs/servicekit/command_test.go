package servicekit

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/entraide/entraide/libs/config"
)

type testConfig struct{ Addr string }

func testCommand(ran, setUp *bool) Command[testConfig] {
	return Command[testConfig]{
		Name: "svc",
		LoadConfig: ReaderErr(func(r *config.Reader) testConfig {
			return testConfig{Addr: r.Required("SERVICEKIT_TEST_ADDR", "listen address")}
		}),
		HTTPAddr: func(c testConfig) string { return c.Addr },
		Setup: func(context.Context, testConfig, *slog.Logger) error {
			*setUp = true
			return nil
		},
		Run: func(_ context.Context, c testConfig, _ *slog.Logger) error {
			*ran = true
			if c.Addr == "fail" {
				return errors.New("boom")
			}
			return nil
		},
	}
}

func runMain(t *testing.T, cmd Command[testConfig], args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	fs := flag.NewFlagSet("svc", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	code = cmd.main(fs, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCommand_EnvPrintsTheVariablesEvenWhenTheConfigurationIsBad(t *testing.T) {
	var ran, setUp bool
	code, out, _ := runMain(t, testCommand(&ran, &setUp), "-env")
	if code != 0 || !strings.Contains(out, "SERVICEKIT_TEST_ADDR") || ran || setUp {
		t.Fatalf("code %d, ran %v, setup %v, output %q", code, ran, setUp, out)
	}
}

func TestCommand_BadConfigurationExits2(t *testing.T) {
	var ran, setUp bool
	code, _, logs := runMain(t, testCommand(&ran, &setUp))
	if code != 2 || !strings.Contains(logs, `"msg":"bad configuration"`) || ran {
		t.Fatalf("code %d, ran %v, logs %q", code, ran, logs)
	}
}

func TestCommand_SetupRunsInsteadOfTheService(t *testing.T) {
	t.Setenv("SERVICEKIT_TEST_ADDR", ":0")
	var ran, setUp bool
	if code, _, logs := runMain(t, testCommand(&ran, &setUp), "-setup"); code != 0 || !setUp || ran {
		t.Fatalf("code %d, setup %v, ran %v, logs %q", code, setUp, ran, logs)
	}
}

func TestCommand_RunErrorExits1(t *testing.T) {
	t.Setenv("SERVICEKIT_TEST_ADDR", "fail")
	var ran, setUp bool
	code, _, logs := runMain(t, testCommand(&ran, &setUp))
	if code != 1 || !ran || !strings.Contains(logs, `"msg":"svc stopped"`) {
		t.Fatalf("code %d, ran %v, logs %q", code, ran, logs)
	}
	t.Setenv("SERVICEKIT_TEST_ADDR", ":0")
	if code, _, logs := runMain(t, testCommand(&ran, &setUp)); code != 0 {
		t.Fatalf("code %d, logs %q", code, logs)
	}
}

func TestCommand_LogAttrs(t *testing.T) {
	var ran, setUp bool
	cmd := testCommand(&ran, &setUp)
	cmd.LogAttrs = []any{"service", "svc"}
	if _, _, logs := runMain(t, cmd); !strings.Contains(logs, `"service":"svc"`) {
		t.Fatalf("logs %q", logs)
	}
}
