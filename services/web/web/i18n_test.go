package web

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/entraide/entraide/libs/lang"
)

func TestEveryLanguageHasEveryKey(t *testing.T) {
	for _, l := range lang.Supported {
		for key := range catalogs[lang.Default] {
			if catalogs[l][key] == "" {
				t.Errorf("%s: missing %q", l, key)
			}
		}
		for key := range catalogs[l] {
			if _, ok := catalogs[lang.Default][key]; !ok {
				t.Errorf("%s: %q is not in the French catalog", l, key)
			}
		}
	}
}

// Every catalog key a template or handler names exists: a missing one would show as ⟦key⟧.
func TestTemplatesAndCodeNameExistingKeys(t *testing.T) {
	keyRef := regexp.MustCompile(`"((?:layout|nav|login|form|home|account|password|users|user|tenants|tenant|pager|error|flash|date|caseload|persons|person|household|file|document|journal|note|team|teams|task|purpose|staff|address|size|audit)\.[a-z_.]+)"`)
	var missing []string
	for _, dir := range []string{"templates", "."} {
		files, err := sourceFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		for name, text := range files {
			for _, m := range keyRef.FindAllStringSubmatch(text, -1) {
				if _, ok := catalogs[lang.Default][m[1]]; !ok {
					missing = append(missing, name+": "+m[1])
				}
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("unknown catalog key %s", m)
	}
}

func TestDatesInTheUsersLanguage(t *testing.T) {
	at := time.Date(2026, 3, 2, 13, 5, 0, 0, time.UTC) // 14:05 in Brussels (CET)
	for l, want := range map[string]string{
		"fr": "2 mars 2026, 14:05",
		"nl": "2 maart 2026, 14:05",
		"en": "2 March 2026, 14:05",
		"de": "2. März 2026, 14:05",
	} {
		if got := formatDate(l, at); got != want {
			t.Errorf("%s: %q, want %q", l, got, want)
		}
	}
}

func sourceFiles(dir string) (map[string]string, error) {
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !(strings.HasSuffix(n, ".html") || strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go")) {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		out[filepath.Join(dir, n)] = string(raw)
	}
	return out, nil
}
