package allinone

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's configuration section from the code")

const (
	beginMarker = "<!-- configuration:begin (generated: go test ./deploy/allinone -run TestREADME -update) -->\n"
	endMarker   = "<!-- configuration:end -->"
)

// TestREADMEConfigurationIsCurrent fails when a service reads a variable the README does not document (or the
// README documents one nobody reads, or a default changed).
func TestREADMEConfigurationIsCurrent(t *testing.T) {
	const path = "../../README.md"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	begin, end := strings.Index(readme, beginMarker), strings.Index(readme, endMarker)
	if begin < 0 || end < begin {
		t.Fatalf("README.md lacks the configuration markers %q … %q", beginMarker, endMarker)
	}
	checkGenerated(t, "../configuration.json", ConfigurationJSON())
	want := ConfigurationTables()
	got := readme[begin+len(beginMarker) : end]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(readme[:begin+len(beginMarker)]+want+readme[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("README.md's configuration section is out of date; run: go test ./deploy/allinone -run TestREADME -update\n--- want ---\n%s", want)
}

// checkGenerated keeps a generated file equal to what the code produces (-update rewrites it).
func checkGenerated(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err == nil && string(got) == string(want) {
		return
	}
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is out of date; run: go test ./deploy/allinone -run TestREADME -update", path)
}
