package beneficiaries

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded/testkit"
)

func TestConfigValidation(t *testing.T) {
	for name, vars := range map[string]map[string]string{
		"identity url":  {"IDENTITY_URL": "localhost:8081"},
		"document size": {"BENEFICIARIES_DOCUMENT_MAX_BYTES": "10"},
		"replication":   {"KAFKA_REPLICATION_FACTOR": "0"},
	} {
		if err := LoadConfig(config.FromMap(vars)).Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c := LoadConfig(config.FromMap(nil))
	if err := c.Validate(); err != nil || c.HTTPAddr != ":8082" || c.MongoDatabase != "entraide_beneficiaries" || c.DocumentMaxBytes != 20<<20 ||
		c.JWKSURL() != "http://localhost:8081/.well-known/jwks.json" {
		t.Errorf("defaults: %+v %v", c, err)
	}
}

func TestRunServesAndStopsOnCancel(t *testing.T) {
	cfg := LoadConfig(config.FromMap(map[string]string{
		"MONGO_URI": testkit.MongoURI(t), "MONGO_DATABASE": testkit.Name(t, "run"), "IDENTITY_URL": "http://127.0.0.1:1",
		"KAFKA_BROKERS": testkit.KafkaBrokers(t)[0],
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listener = ln
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, slog.New(slog.DiscardHandler)) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + ln.Addr().String() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("service did not become ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A token that cannot be verified (identity unreachable) is a 401, never a 500.
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/v1/persons/0190a000-0000-7000-8000-00000000000a", nil)
	req.Header.Set("Authorization", "Bearer a.b.c")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("unverifiable token: %v %v", resp, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
