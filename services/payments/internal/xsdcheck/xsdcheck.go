// Package xsdcheck validates the bank files the tests produce or read against the official ISO 20022 schemas, with
// xmllint. The schemas are public standards that the project does not ship: they are read from the folder named by
// ISO20022_SCHEMAS, or else from shared/iso20022 found by walking up from the test's directory (the workplace lays
// shared/ beside the repository). When xmllint or the schemas are missing the check skips with a message saying
// what to install; in CI (CI=true) it fails instead, because there the check must run.
package xsdcheck

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// EnvDir is the environment variable that points at a folder of ISO 20022 XSDs, overriding the search.
const EnvDir = "ISO20022_SCHEMAS"

// Dir returns the folder holding the ISO 20022 schemas, or an error saying where it looked.
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, nil
		}
		return "", errors.New(EnvDir + "=" + d + " is not a folder")
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		c := filepath.Join(d, "shared", "iso20022")
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("no shared/iso20022 folder above " + wd + " and " + EnvDir + " unset")
		}
	}
}

// unavailable skips the test outside CI and fails it in CI.
func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("xsdcheck: %s; the ISO 20022 schema check must run in CI", why)
	}
	t.Skipf("xsdcheck: %s; schema check skipped (install xmllint from Debian's libxml2-utils and lay shared/iso20022 beside the repository, or set %s)", why, EnvDir)
}

// Schema returns the path of the XSD of message (e.g. "pain.001.001.09"), skipping or failing the test when the
// schema or xmllint is not available.
func Schema(t testing.TB, message string) string {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		unavailable(t, "xmllint not found")
	}
	dir, err := Dir()
	if err != nil {
		unavailable(t, err.Error())
	}
	p := filepath.Join(dir, message+".xsd")
	if _, err := os.Stat(p); err != nil {
		unavailable(t, "no schema "+p)
	}
	return p
}

// Available reports whether the schema of message can be checked here, without skipping; for tests that check
// a message whose schema the workplace may not have (camt.053.001.02).
func Available(message string) bool {
	if _, err := exec.LookPath("xmllint"); err != nil {
		return false
	}
	dir, err := Dir()
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(dir, message+".xsd"))
	return err == nil
}

// ValidateFile runs xmllint --noout --schema on the file at path and fails the test with xmllint's output when the
// file is not valid.
func ValidateFile(t testing.TB, message, path string) {
	t.Helper()
	xsd := Schema(t, message)
	out, err := exec.Command("xmllint", "--noout", "--nonet", "--schema", xsd, path).CombinedOutput()
	if err != nil {
		t.Fatalf("%s is not a valid %s: %v\n%s", path, message, err, out)
	}
}

// Validate writes doc to a temporary file and validates it like ValidateFile.
func Validate(t testing.TB, message string, doc []byte) {
	t.Helper()
	xsd := Schema(t, message)
	p := filepath.Join(t.TempDir(), message+".xml")
	if err := os.WriteFile(p, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("xmllint", "--noout", "--nonet", "--schema", xsd, p).CombinedOutput()
	if err != nil {
		if len(doc) > 4000 {
			doc = append(doc[:4000:4000], "…"...)
		}
		t.Fatalf("not a valid %s: %v\n%s\n--- document:\n%s", message, err, bytes.TrimSpace(out), doc)
	}
}
