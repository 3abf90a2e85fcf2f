package allinone

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/entraide/entraide/libs/embedded/testkit"
)

// TestServicesRunWithTheComposeConfiguration builds the five binaries as the images do (static, -trimpath, version
// and commit by -ldflags) and runs them as separate processes with the environment compose.yaml gives them — the
// secrets as *_FILE files, the hosts of the stack mapped to the loopback — against the test engines (MongoDB and
// Kafka of testkit: real Kafka in CI): each `-setup` job exits 0, each service starts, its `-healthcheck` exits 0
// and /healthz shows the stamped version, identity publishes both keys of a rotation, and each stops cleanly.
func TestServicesRunWithTheComposeConfiguration(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the five binaries (-short)")
	}
	cf := loadCompose(t)
	const version, commit = "v0.0.0-composetest", "0123456789abcdef0123456789abcdef01234567"
	bin := t.TempDir()
	args := []string{"build", "-trimpath", "-ldflags", "-s -w -X github.com/entraide/entraide/libs/httpkit.Version=" + version +
		" -X github.com/entraide/entraide/libs/httpkit.Commit=" + commit, "-o", bin + string(filepath.Separator)}
	for _, s := range entraideServices {
		args = append(args, "./services/"+s+"/cmd/"+s)
	}
	build := exec.Command("go", args...)
	build.Dir = filepath.Join("..", "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// The secrets the stack mounts under /run/secrets, here files of a temp directory.
	secrets := t.TempDir()
	mongoURI := testkit.MongoURI(t)
	writeSecret := func(name, value string) {
		if err := os.WriteFile(filepath.Join(secrets, name), []byte(value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name := range cf.Secrets {
		switch {
		case strings.HasPrefix(name, "mongo_uri_"):
			writeSecret(name, mongoURI)
		case strings.HasPrefix(name, "identity_signing_key"):
			_, key, _ := ed25519.GenerateKey(rand.Reader)
			der, err := x509.MarshalPKCS8PrivateKey(key)
			if err != nil {
				t.Fatal(err)
			}
			writeSecret(name, strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))))
		default:
			writeSecret(name, "composetest-"+strings.Repeat("s", 40))
		}
	}

	// Ports on the loopback instead of the stack's host names; databases of this test's own.
	ports := map[string]string{}
	for _, s := range entraideServices {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		_, ports[s], _ = net.SplitHostPort(ln.Addr().String())
		ln.Close()
	}
	prefix := fmt.Sprintf("st%x", time.Now().UnixNano()&0xffffff) // short: FerretDB limits the length of a namespace
	// .env of a host in the middle of a key rotation: both keys published.
	dotenv := map[string]string{"ENTRAIDE_SIGNING_KEYS": "/run/secrets/identity_signing_key,/run/secrets/identity_signing_key_next"}
	hostURL := regexp.MustCompile(`^http://(identity|beneficiaries|decisions|payments|web):\d+$`)
	envOf := func(svc string) []string {
		env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + t.TempDir()}
		for k, v := range cf.Services[svc].Environment {
			v = interpolate(v, dotenv)
			switch {
			case k == "KAFKA_BROKERS":
				v = strings.Join(testkit.KafkaBrokers(t), ",")
			case k == "MONGO_DATABASE":
				v = prefix + "_" + v
			case strings.HasSuffix(k, "_HTTP_ADDR"):
				v = "127.0.0.1:" + ports[svc]
			case hostURL.MatchString(v):
				v = "http://127.0.0.1:" + ports[hostURL.FindStringSubmatch(v)[1]]
			case strings.Contains(v, "/run/secrets/"):
				v = strings.ReplaceAll(v, "/run/secrets/", secrets+string(filepath.Separator))
			}
			env = append(env, k+"="+v)
		}
		return env
	}
	run := func(svc string, timeout time.Duration, flags ...string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(bin, svc), flags...)
		cmd.Env = envOf(svc)
		return cmd.CombinedOutput()
	}

	for _, s := range entraideServices {
		if out, err := run(s, 3*time.Minute, "-setup"); err != nil {
			t.Fatalf("%s -setup: %v\n%s", s, err, out)
		}
	}

	type proc struct {
		cmd  *exec.Cmd
		done chan error
		log  *syncBuffer
	}
	procs := map[string]*proc{}
	t.Cleanup(func() {
		for s, p := range procs {
			_ = p.cmd.Process.Kill()
			if t.Failed() {
				out := p.log.String()
				if len(out) > 6000 {
					out = "…" + out[len(out)-6000:]
				}
				t.Logf("--- %s output:\n%s", s, out)
			}
		}
	})
	for _, s := range entraideServices {
		log := &syncBuffer{}
		cmd := exec.Command(filepath.Join(bin, s))
		cmd.Env = envOf(s)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		p := &proc{cmd: cmd, done: make(chan error, 1), log: log}
		go func() { p.done <- cmd.Wait() }()
		procs[s] = p
		deadline := time.Now().Add(90 * time.Second)
		for {
			out, err := run(s, 10*time.Second, "-healthcheck")
			if err == nil {
				break
			}
			select {
			case werr := <-p.done:
				t.Fatalf("%s exited before it was healthy: %v\n%s", s, werr, log.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s -healthcheck still failing: %v %s\n%s", s, err, out, log.String())
			}
			time.Sleep(300 * time.Millisecond)
		}
		var health map[string]string
		decodeGET(t, "http://127.0.0.1:"+ports[s]+"/healthz", &health)
		if health["version"] != version || health["commit"] != commit || health["service"] != s {
			t.Errorf("%s /healthz = %v", s, health)
		}
	}

	var jwks struct {
		Keys []map[string]any `json:"keys"`
	}
	decodeGET(t, "http://127.0.0.1:"+ports["identity"]+"/.well-known/jwks.json", &jwks)
	if len(jwks.Keys) != 2 {
		t.Errorf("identity publishes %d keys, want the two of IDENTITY_SIGNING_KEYS", len(jwks.Keys))
	}

	// One request → decision → payment path through the five processes, over HTTP and Kafka only.
	adminPassword, err := os.ReadFile(filepath.Join(secrets, "identity_admin_password"))
	if err != nil {
		t.Fatal(err)
	}
	adminUser := interpolate(cf.Services["identity"].Environment["IDENTITY_BOOTSTRAP_ADMIN_USERNAME"], dotenv)
	walkRequestToPayment(t, func(s string) string { return "http://127.0.0.1:" + ports[s] }, adminUser, strings.TrimSpace(string(adminPassword)))

	for i := len(entraideServices) - 1; i >= 0; i-- {
		s := entraideServices[i]
		p := procs[s]
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-p.done:
			if err != nil {
				t.Errorf("%s did not stop cleanly: %v\n%s", s, err, p.log.String())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("%s still running 30 s after SIGTERM", s)
		}
		delete(procs, s)
	}
}

// interpolate applies Compose's ${VAR:-default} and ${VAR:?message} with the variables of a .env.
func interpolate(s string, vars map[string]string) string {
	re := regexp.MustCompile(`\$\{(\w+)(?::([-?])([^}]*))?\}`)
	return re.ReplaceAllStringFunc(s, func(m string) string {
		g := re.FindStringSubmatch(m)
		if v, ok := vars[g[1]]; ok && v != "" {
			return v
		}
		if g[2] == "-" {
			return g[3]
		}
		return ""
	})
}

func decodeGET(t *testing.T, url string, v any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(fmt.Errorf("GET %s: %w", url, err))
	}
}

// syncBuffer collects a process's output while the test may read it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
