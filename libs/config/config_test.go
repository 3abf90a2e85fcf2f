package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReaderDefaultsAndValues(t *testing.T) {
	r := FromMap(map[string]string{"PORT": "9090", "DEBUG": "true", "TTL": "5m", "HOSTS": "a, b,,c", "EMPTY": "  "})
	if got := r.Int("PORT", 8080, "port"); got != 9090 {
		t.Errorf("PORT = %d", got)
	}
	if got := r.Int("OTHER", 7, "other"); got != 7 {
		t.Errorf("OTHER default = %d", got)
	}
	if !r.Bool("DEBUG", false, "debug") {
		t.Error("DEBUG not read")
	}
	if got := r.Duration("TTL", time.Minute, "ttl"); got != 5*time.Minute {
		t.Errorf("TTL = %v", got)
	}
	if got := r.List("HOSTS", "", "hosts"); strings.Join(got, "|") != "a|b|c" {
		t.Errorf("HOSTS = %q", got)
	}
	if got := r.String("EMPTY", "dflt", "blank means default"); got != "dflt" {
		t.Errorf("EMPTY = %q", got)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestReaderReportsEveryError(t *testing.T) {
	r := FromMap(map[string]string{"PORT": "x", "TTL": "soon"})
	r.Int("PORT", 1, "")
	r.Duration("TTL", time.Second, "")
	r.Required("KEY", "")
	err := r.Err()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"PORT", "TTL", "KEY is required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestMarkdownHidesNothingButMarksSecrets(t *testing.T) {
	r := FromMap(nil)
	r.Secret("JWT_KEY", "", "signing key")
	r.String("ADDR", ":8080", "listen address")
	md := Markdown(r.Vars())
	if !strings.Contains(md, "| `ADDR` | `:8080` |  | listen address |") || !strings.Contains(md, "| `JWT_KEY` | — | yes (or `JWT_KEY_FILE`) |") {
		t.Fatalf("unexpected table:\n%s", md)
	}
}

func TestSecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "uri")
	if err := os.WriteFile(path, []byte("mongodb://u:p@db/?replicaSet=rs0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := FromMap(map[string]string{"MONGO_URI_FILE": path, "KEY_FILE": filepath.Join(t.TempDir(), "missing"),
		"BOTH": "x", "BOTH_FILE": path})
	if got := r.Secret("MONGO_URI", "mongodb://localhost", ""); got != "mongodb://u:p@db/?replicaSet=rs0" {
		t.Errorf("MONGO_URI = %q", got)
	}
	if got := r.Secret("PLAIN", "dflt", ""); got != "dflt" {
		t.Errorf("PLAIN = %q", got)
	}
	r.Secret("KEY", "", "")
	r.Secret("BOTH", "", "")
	err := r.Err()
	if err == nil || !strings.Contains(err.Error(), "KEY_FILE") || !strings.Contains(err.Error(), "BOTH and BOTH_FILE") {
		t.Fatalf("err = %v", err)
	}
	if n := len(r.Vars()); n != 4 {
		t.Errorf("declared %d variables", n)
	}
}
