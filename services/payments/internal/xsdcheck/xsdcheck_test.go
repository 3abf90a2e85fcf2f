package xsdcheck

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDirWalksUp(t *testing.T) {
	root := t.TempDir()
	want := filepath.Join(root, "shared", "iso20022")
	deep := filepath.Join(root, "main", "services", "payments", "sepa")
	for _, d := range []string{want, deep} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(EnvDir, "")
	t.Chdir(deep)
	got, err := Dir()
	if err != nil || got != want {
		t.Fatalf("Dir() = %q, %v, want %q", got, err, want)
	}

	other := t.TempDir()
	t.Setenv(EnvDir, other)
	if got, err := Dir(); err != nil || got != other {
		t.Errorf("with %s set: %q, %v", EnvDir, got, err)
	}
	t.Setenv(EnvDir, filepath.Join(other, "missing"))
	if _, err := Dir(); err == nil {
		t.Error("a missing folder in the environment variable was accepted")
	}
}

func TestDirMissing(t *testing.T) {
	t.Setenv(EnvDir, "")
	t.Chdir(t.TempDir())
	if d, err := Dir(); err == nil {
		// Only possible when a shared/iso20022 sits above the temporary directory.
		t.Logf("found %s above the temporary directory", d)
	}
}
