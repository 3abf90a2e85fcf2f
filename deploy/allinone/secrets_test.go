package allinone

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entraide/entraide/services/identity"
)

// TestSecretsScript runs deploy/compose/secrets.sh in a copy of the directory: it makes every secret compose.yaml
// declares, in the form its reader expects (identity's Ed25519 keys, connection strings of each service's own
// user, the lengths the services require), a .env with ENTRAIDE_VERSION, and a second run changes nothing.
func TestSecretsScript(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	cf := loadCompose(t)
	dir := t.TempDir()
	script, err := os.ReadFile(filepath.Join(composeDir, "secrets.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets.sh"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func() {
		cmd := exec.Command("bash", filepath.Join(dir, "secrets.sh"), "entraide.example.org")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("secrets.sh: %v\n%s", err, out)
		}
	}
	run()
	read := func(name string) string {
		raw, err := os.ReadFile(filepath.Join(dir, "secrets", name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimRight(string(raw), "\n")
	}
	first := map[string]string{}
	for name := range cf.Secrets {
		first[name] = read(name)
		if first[name] == "" {
			t.Errorf("secrets/%s is empty", name)
		}
	}
	keys, err := identity.LoadSigningKeys([]string{filepath.Join(dir, "secrets", "identity_signing_key"),
		filepath.Join(dir, "secrets", "identity_signing_key_next")}, "")
	if err != nil || keys == nil {
		t.Errorf("identity cannot read the signing keys: %v", err)
	}
	for _, svc := range entraideServices {
		u, err := url.Parse(read("mongo_uri_" + svc))
		if err != nil {
			t.Fatalf("mongo_uri_%s: %v", svc, err)
		}
		pw, _ := u.User.Password()
		q := u.Query()
		if u.User.Username() != svc || pw != read("mongo_password_"+svc) || q.Get("replicaSet") != "rs0" ||
			q.Get("authSource") != "admin" || u.Host != "mongo1:27017,mongo2:27017,mongo3:27017" {
			t.Errorf("mongo_uri_%s: user %q, query %v, hosts %q", svc, u.User.Username(), q, u.Host)
		}
	}
	if n := len(read("web_login_csrf_key")); n < 32 {
		t.Errorf("web_login_csrf_key has %d characters, WEB_LOGIN_CSRF_KEY needs 32", n)
	}
	if n := len(read("identity_admin_password")); n < 12 {
		t.Errorf("identity_admin_password has %d characters, identity needs 12", n)
	}
	if !strings.Contains(read("tls_cert"), "BEGIN CERTIFICATE") || !strings.Contains(read("tls_key"), "PRIVATE KEY") {
		t.Error("no TLS certificate and key")
	}
	env, err := os.ReadFile(filepath.Join(dir, ".env"))
	if err != nil || !strings.Contains(string(env), "ENTRAIDE_VERSION=") || !strings.Contains(string(env), "ENTRAIDE_HOSTNAME=entraide.example.org") {
		t.Errorf(".env: %v\n%s", err, env)
	}
	if info, err := os.Stat(filepath.Join(dir, "secrets")); err != nil {
		t.Error(err)
	} else if info.Mode().Perm() != 0o700 {
		t.Errorf("secrets/ is %v: it must be the operator's only", info.Mode().Perm())
	}
	run()
	for name, v := range first {
		if read(name) != v {
			t.Errorf("a second run changed secrets/%s", name)
		}
	}
}
