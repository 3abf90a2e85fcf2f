package allinone

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/events"
)

// The single-host stack (deploy/compose) and the images (deploy/images) checked against the configuration table
// and the project's rules; no Docker engine is needed.

const composeDir = "../compose"

// entraideServices are the binaries with an image and a configuration table of their own.
var entraideServices = []string{"identity", "beneficiaries", "decisions", "payments", "web"}

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Secrets  map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
	Volumes map[string]any `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Restart     string            `yaml:"restart"`
	ReadOnly    bool              `yaml:"read_only"`
	CapDrop     []string          `yaml:"cap_drop"`
	Command     any               `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Secrets     []string          `yaml:"secrets"`
	Volumes     []string          `yaml:"volumes"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(composeDir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// yaml.v3 resolves the anchors and merge keys (<<) the file uses, as Compose does.
	var cf composeFile
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&cf); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	if len(cf.Services) == 0 {
		t.Fatal("compose.yaml has no service")
	}
	return cf
}

func processVars(t *testing.T) map[string]map[string]Variable {
	t.Helper()
	out := map[string]map[string]Variable{}
	for _, p := range Processes() {
		out[p.Name] = map[string]Variable{}
		for _, v := range p.Vars {
			out[p.Name][v.Name] = v
		}
	}
	return out
}

// entraideImage returns which service's image a Compose service runs ("" for an engine's).
func entraideImage(image string) string {
	for _, s := range entraideServices {
		if regexp.MustCompile(`^\$\{ENTRAIDE_IMAGE_REPO:-entraide\}/` + s + `:`).MatchString(image) {
			return s
		}
	}
	return ""
}

// TestComposeEnvironmentMatchesConfiguration: every variable given to a service is in its configuration table (or
// the Go runtime's), secrets only through NAME_FILE pointing at a mounted secret, and every variable production
// must set is set.
func TestComposeEnvironmentMatchesConfiguration(t *testing.T) {
	cf := loadCompose(t)
	tables := processVars(t)
	seen := map[string]bool{}
	for name, svc := range cf.Services {
		proc := entraideImage(svc.Image)
		if proc == "" {
			continue
		}
		seen[proc] = true
		documented := tables[proc]
		for key, value := range svc.Environment {
			if v, ok := documented[key]; ok {
				if v.Secret && value != "" {
					t.Errorf("%s: secret %s given inline: use %s%s and a secret file", name, key, key, config.FileSuffix)
				}
				continue
			}
			if _, ok := tables["runtime"][key]; ok {
				continue
			}
			base, isFile := strings.CutSuffix(key, config.FileSuffix)
			if v, ok := documented[base]; isFile && ok && v.Secret {
				secret, ok := strings.CutPrefix(value, "/run/secrets/")
				if !ok || !slices.Contains(svc.Secrets, secret) {
					t.Errorf("%s: %s=%s is not one of its mounted secrets %v", name, key, value, svc.Secrets)
				}
				continue
			}
			t.Errorf("%s: %s is not in the configuration table of %s (README.md, Configuration)", name, key, proc)
		}
		for _, v := range documented {
			if v.Production == "" {
				continue
			}
			if _, ok := svc.Environment[v.Name]; ok {
				continue
			}
			if _, ok := svc.Environment[v.Name+config.FileSuffix]; ok && v.Secret {
				continue
			}
			t.Errorf("%s: %s is not set, and production must set it (%s)", name, v.Name, v.Production)
		}
	}
	for _, s := range entraideServices {
		if !seen[s] {
			t.Errorf("no Compose service runs the %s image", s)
		}
		svc, ok := cf.Services[s]
		if !ok {
			t.Errorf("no Compose service named %s", s)
			continue
		}
		setup, ok := cf.Services[s+"-setup"]
		if !ok {
			t.Errorf("no %s-setup job (indexes and topics)", s)
			continue
		}
		if fmt.Sprint(setup.Command) != "[-setup]" || setup.Restart != "no" || setup.Image != svc.Image {
			t.Errorf("%s-setup must run the %s image once with -setup: command %v, restart %q", s, s, setup.Command, setup.Restart)
		}
		if fmt.Sprint(setup.Environment) != fmt.Sprint(svc.Environment) || fmt.Sprint(setup.Secrets) != fmt.Sprint(svc.Secrets) {
			t.Errorf("%s-setup does not have the environment and secrets of %s", s, s)
		}
		if svc.DependsOn[s+"-setup"].Condition != "service_completed_successfully" {
			t.Errorf("%s does not wait for %s-setup to complete", s, s)
		}
	}
}

var pinnedImage = regexp.MustCompile(`^[a-z0-9./_-]+:[0-9]+(\.[0-9]+)+(-[a-z0-9.]+)?$`)

// TestComposeRules: pinned images, health checks, read-only non-root services, no secret inline, every secret a
// file that deploy/compose/secrets.sh creates, and the topic job creating every topic of the project.
func TestComposeRules(t *testing.T) {
	cf := loadCompose(t)
	script, err := os.ReadFile(filepath.Join(composeDir, "secrets.sh"))
	if err != nil {
		t.Fatal(err)
	}
	inlineSecret := regexp.MustCompile(`(?i)(password|secret|token|_key)$`)
	for name, svc := range cf.Services {
		switch proc := entraideImage(svc.Image); {
		case proc != "":
			if !strings.HasSuffix(svc.Image, ":${ENTRAIDE_VERSION:?set ENTRAIDE_VERSION in deploy/compose/.env}") {
				t.Errorf("%s: image %q is not tagged with ENTRAIDE_VERSION", name, svc.Image)
			}
			if !svc.ReadOnly || !slices.Equal(svc.CapDrop, []string{"ALL"}) {
				t.Errorf("%s: Entraide containers run with a read-only root and no capability", name)
			}
		case !pinnedImage.MatchString(svc.Image):
			t.Errorf("%s: image %q is not pinned to a version", name, svc.Image)
		}
		if strings.Contains(svc.Image, ":latest") {
			t.Errorf("%s: image %q uses latest", name, svc.Image)
		}
		if svc.Restart != "no" && (svc.Healthcheck == nil || len(svc.Healthcheck.Test) == 0) {
			t.Errorf("%s: a long-running service without a healthcheck", name)
		}
		for key, value := range svc.Environment {
			if inlineSecret.MatchString(key) && value != "" && !strings.HasPrefix(value, "/run/secrets/") {
				t.Errorf("%s: %s looks like a secret given inline", name, key)
			}
			if strings.Contains(value, "mongodb://") && strings.Contains(value, "@") {
				t.Errorf("%s: %s holds credentials inline", name, key)
			}
		}
		for _, s := range svc.Secrets {
			if _, ok := cf.Secrets[s]; !ok {
				t.Errorf("%s: secret %s is not declared", name, s)
			}
		}
	}
	for name, s := range cf.Secrets {
		if s.File != "./secrets/"+name {
			t.Errorf("secret %s: file %q, want ./secrets/%s (ignored by git, made by secrets.sh)", name, s.File, name)
		}
		// The per-user files are made in loops (mongo_password_$u, mongo_uri_$svc).
		made := strings.Contains(string(script), name)
		for _, prefix := range []string{"mongo_password_", "mongo_uri_"} {
			if user, ok := strings.CutPrefix(name, prefix); ok && strings.Contains(string(script), prefix+"$") {
				made = made || regexp.MustCompile(`for \w+ in [^;]*\b`+user+`\b`).Match(script)
			}
		}
		if !made {
			t.Errorf("secret %s: secrets.sh does not create it", name)
		}
	}
	ignore, err := os.ReadFile("../../.gitignore")
	if err != nil || !strings.Contains(string(ignore), "/deploy/compose/secrets/") || !strings.Contains(string(ignore), "/deploy/compose/.env") {
		t.Error(".gitignore must keep deploy/compose/secrets/ and deploy/compose/.env out of the repository")
	}

	topics, ok := cf.Services["kafka-topics"]
	if !ok {
		t.Fatal("no kafka-topics job")
	}
	cmd := fmt.Sprint(topics.Command)
	for _, spec := range events.DefaultTopics(1) {
		if !strings.Contains(cmd, spec.Name) || !strings.Contains(cmd, "--partitions "+strconv.Itoa(spec.Partitions)) {
			t.Errorf("kafka-topics does not create %s with %d partitions", spec.Name, spec.Partitions)
		}
	}
	if !strings.Contains(cmd, `"$$topic.dlq"`) {
		t.Error("kafka-topics does not create the .dlq twins")
	}
	if cf.Services["kafka"].Environment["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] != "false" {
		t.Error("the broker must not create topics implicitly")
	}
	for _, m := range []string{"mongo1", "mongo2", "mongo3"} {
		if len(cf.Services[m].Volumes) == 0 {
			t.Errorf("%s keeps its data in no volume", m)
		}
	}
	if len(cf.Services["kafka"].Volumes) == 0 {
		t.Error("kafka keeps its log in no volume")
	}
}

// TestDockerfiles: each service's image is a static, stamped build on a pinned base, running as nonroot with a
// healthcheck through its own binary.
func TestDockerfiles(t *testing.T) {
	from := regexp.MustCompile(`(?m)^FROM\s+(\S+)`)
	for _, s := range entraideServices {
		path := filepath.Join("..", "images", s+".Dockerfile")
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Error(err)
			continue
		}
		df := string(raw)
		bases := from.FindAllStringSubmatch(df, -1)
		if len(bases) != 2 {
			t.Errorf("%s: want a build stage and a final stage, got %d FROM", path, len(bases))
		}
		for _, b := range bases {
			if !strings.Contains(b[1], ":") || strings.HasSuffix(b[1], ":latest") {
				t.Errorf("%s: base image %s is not pinned", path, b[1])
			}
		}
		if len(bases) == 2 && !strings.Contains(bases[1][1], "distroless/static") {
			t.Errorf("%s: the final stage is not distroless static", path)
		}
		for _, want := range []string{
			"CGO_ENABLED=0", "GOWORK=/src/go.work", "-trimpath", `-ldflags "-s -w`,
			"-X github.com/entraide/entraide/libs/httpkit.Version=${VERSION}",
			"-X github.com/entraide/entraide/libs/httpkit.Commit=${COMMIT}",
			"./services/" + s + "/cmd/" + s, "USER 65532:65532", "ENV TMPDIR=/tmp",
			`HEALTHCHECK `, `CMD ["/usr/local/bin/` + s + `", "-healthcheck"]`, `ENTRYPOINT ["/usr/local/bin/` + s + `"]`,
		} {
			if !strings.Contains(df, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
		if _, err := os.Stat(filepath.Join("..", "..", "services", s, "cmd", s, "main.go")); err != nil {
			t.Errorf("%s builds a command that does not exist: %v", path, err)
		}
	}
}
