package allinone

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
)

// TestComposeFileLoads loads compose.yaml with Docker Compose's own loader (compose-go: the Compose
// specification's JSON schema, interpolation, merge keys, profiles) as `docker compose -f deploy/compose/compose.yaml
// config` would, with the one variable .env must give, and refuses it without that variable.
func TestComposeFileLoads(t *testing.T) {
	dir, err := filepath.Abs(composeDir)
	if err != nil {
		t.Fatal(err)
	}
	load := func(env ...string) (map[string]string, error) {
		opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "compose.yaml")}, cli.WithWorkingDirectory(dir),
			cli.WithName("entraide"), cli.WithEnv(env))
		if err != nil {
			return nil, err
		}
		p, err := opts.LoadProject(context.Background())
		if err != nil {
			return nil, err
		}
		images := map[string]string{}
		for name, s := range p.Services {
			images[name] = s.Image
		}
		return images, nil
	}
	images, err := load("ENTRAIDE_VERSION=1.2.3")
	if err != nil {
		t.Fatalf("docker compose would refuse compose.yaml: %v", err)
	}
	for _, s := range entraideServices {
		for _, name := range []string{s, s + "-setup"} {
			if images[name] != "entraide/"+s+":1.2.3" {
				t.Errorf("%s runs %q", name, images[name])
			}
		}
	}
	if _, ok := images["backup"]; ok {
		t.Error("the backup job (profile tools) would start with `up`")
	}
	if _, err := load(); err == nil || !strings.Contains(err.Error(), "ENTRAIDE_VERSION") {
		t.Errorf("without ENTRAIDE_VERSION: %v", err)
	}
}
