package allinone

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/services/beneficiaries"
	"github.com/entraide/entraide/services/decisions"
	"github.com/entraide/entraide/services/identity"
	"github.com/entraide/entraide/services/payments"
	"github.com/entraide/entraide/services/web/web"
)

// Process is one configuration table: the variables one binary reads, as its LoadConfig declares them.
type Process struct {
	// Name is the binary (cmd/<name>), "runtime" for what every Go binary reads, "allinone" for make run.
	Name  string     `json:"process"`
	Title string     `json:"title"`
	Vars  []Variable `json:"variables"`
}

// Variable is one documented environment variable.
type Variable struct {
	Name        string `json:"name"`
	Default     string `json:"default"`
	Secret      bool   `json:"secret"`
	FileVariant string `json:"file_variant,omitempty"` // NAME_FILE: a file to read a secret from (container secrets)
	Production  string `json:"production,omitempty"`   // why a production deployment must set it ("" = the default may do)
	Description string `json:"description"`
}

// productionMust lists the variables a production deployment (deploy/compose, k8s) must set, whatever the
// process, and why: their defaults suit the embedded default and a developer's laptop only. A variable listed here
// is "required" for the checks of deploy/compose (and of k8s): a service reading it must be given it.
var productionMust = map[string]string{
	"MONGO_URI":             "the replica set, with this service's own user (give it as `MONGO_URI_FILE`)",
	"KAFKA_BROKERS":         "the Kafka brokers; empty leaves every event in the outboxes",
	"IDENTITY_URL":          "where identity answers inside the deployment (JWKS, login)",
	"IDENTITY_SIGNING_KEYS": "the Ed25519 key files (secrets): the generated key of `IDENTITY_KEY_DIR` suits one laptop",
	"BENEFICIARIES_URL":     "where beneficiaries answers inside the deployment",
	"DECISIONS_URL":         "where decisions answers inside the deployment",
	"PAYMENTS_URL":          "where payments answers inside the deployment",
	"WEB_COOKIE_SECURE":     "`true`: TLS ends at the reverse proxy in front",
	"WEB_TRUSTED_PROXY_HOPS": "the number of reverse proxies in front (1 behind the stack's Caddy), or the login rate " +
		"limit counts the proxy's address",
}

// declareRuntime declares what the Go runtime of every binary reads (documented so that a deployment may set it).
func declareRuntime(r *config.Reader) {
	r.String("GOMEMLIMIT", "", "soft memory limit of the Go runtime (e.g. `400MiB`); set it a little below the container's memory limit")
	r.String("GOMAXPROCS", "", "CPUs the Go runtime uses; by default the container's CPU limit (Go 1.25+)")
	r.String("TMPDIR", "/tmp", "temporary files (the images set `/tmp`, mounted as tmpfs because the root file system is read-only)")
}

// Processes returns the configuration tables: one per binary, what every Go binary reads, and the all-in-one's.
func Processes() []Process {
	var out []Process
	for _, p := range []struct {
		name, title string
		declare     func(*config.Reader)
	}{
		{"identity", "identity (`services/identity`, `cmd/identity`)", func(r *config.Reader) { identity.LoadConfig(r) }},
		{"beneficiaries", "beneficiaries (`services/beneficiaries`, `cmd/beneficiaries`)", func(r *config.Reader) { beneficiaries.LoadConfig(r) }},
		{"decisions", "decisions (`services/decisions`, `cmd/decisions`)", func(r *config.Reader) { decisions.LoadConfig(r) }},
		{"payments", "payments (`services/payments`, `cmd/payments`)", func(r *config.Reader) { payments.LoadConfig(r) }},
		{"web", "web front end (`services/web`, `cmd/web`)", func(r *config.Reader) { _, _ = web.LoadConfig(r) }},
		{"runtime", "every binary (the Go runtime)", declareRuntime},
		{"allinone", "all-in-one only (`deploy/allinone`, `make run`; it also reads the variables above)", func(r *config.Reader) { Declare(r) }},
	} {
		r := config.FromMap(nil)
		p.declare(r)
		proc := Process{Name: p.name, Title: p.title}
		for _, v := range r.Vars() {
			doc := Variable{Name: v.Name, Default: v.Default, Secret: v.Secret, Description: v.Description}
			if v.Secret {
				doc.FileVariant = v.Name + config.FileSuffix
			}
			if p.name != "allinone" {
				doc.Production = productionMust[v.Name]
			}
			proc.Vars = append(proc.Vars, doc)
		}
		out = append(out, proc)
	}
	return out
}

// ConfigurationTables renders, per process, the environment variables it reads with their defaults, whether
// they are secrets and what production must set: the README's configuration section is this text (a test keeps
// them equal).
func ConfigurationTables() string {
	var b strings.Builder
	for _, p := range Processes() {
		b.WriteString("#### " + p.Title + "\n\n")
		b.WriteString("| variable | default | secret | production must set | description |\n|---|---|---|---|---|\n")
		for _, v := range p.Vars {
			def := "`" + v.Default + "`"
			if v.Default == "" {
				def = "—"
			}
			secret := ""
			if v.Secret {
				secret = "yes (or `" + v.FileVariant + "`)"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", v.Name, def, secret, v.Production, v.Description)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// ConfigurationJSON is the same tables, machine-readable (deploy/configuration.json): the checks of the
// deployment files that do not import the services (k8s) read it.
func ConfigurationJSON() []byte {
	out, err := json.MarshalIndent(Processes(), "", "  ")
	if err != nil {
		panic(err)
	}
	return append(out, '\n')
}
