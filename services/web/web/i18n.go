package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Brussels must exist even in a minimal container image.

	"github.com/entraide/entraide/libs/lang"
)

// The message catalogs: per language one main file (i18n/fr.json…) and any number of part files of a feature
// (i18n/fr.sessions.json…), merged; flat keys, placeholders written {name}. A key defined twice for a language
// is a startup error. A test checks that every language has every key.
//
//go:embed i18n/*.json
var catalogFiles embed.FS

// catalogs maps language → key → text.
var catalogs = mustLoadCatalogs()

// brussels is the time zone dates are shown in: the CPAS are all in Belgium.
var brussels = mustLoadLocation("Europe/Brussels")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func mustLoadCatalogs() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, code := range lang.Supported {
		names, err := fs.Glob(catalogFiles, "i18n/"+code+".*json")
		if err != nil || !slices.Contains(names, "i18n/"+code+".json") {
			panic(fmt.Sprintf("web: no message catalog for %q", code))
		}
		m := map[string]string{}
		for _, name := range names {
			raw, err := catalogFiles.ReadFile(name)
			if err != nil {
				panic(err)
			}
			part := map[string]string{}
			if err := json.Unmarshal(raw, &part); err != nil {
				panic(fmt.Sprintf("web: catalog %s: %v", name, err))
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					panic(fmt.Sprintf("web: catalog %s: key %q defined twice", name, k))
				}
				m[k] = v
			}
		}
		out[code] = m
	}
	return out
}

// languageNames are each language's name in itself, for the language switch.
var languageNames = map[string]string{"fr": "Français", "nl": "Nederlands", "de": "Deutsch", "en": "English"}

// translate returns key's text in language l (falling back to French, then English) with args ("name", value,
// …) filled in. An unknown key comes back marked ⟦key⟧ so that tests and reviewers spot it.
func translate(l, key string, args ...any) string {
	s, ok := catalogs[l][key]
	if !ok {
		if s, ok = catalogs[lang.Default][key]; !ok {
			if s, ok = catalogs["en"][key]; !ok {
				return "⟦" + key + "⟧"
			}
		}
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+fmt.Sprint(args[i])+"}", fmt.Sprint(args[i+1]))
	}
	return s
}

// formatDate writes a time as a date and time in Brussels, in language l: "2 mars 2026, 14:05".
func formatDate(l string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(brussels)
	return translate(l, "date.format",
		"day", t.Day(), "month", translate(l, "month."+strconv.Itoa(int(t.Month()))), "year", t.Year(),
		"time", t.Format("15:04"))
}

// langOf is the language of a request: the lang cookie the language switch sets, else Accept-Language.
func langOf(r *http.Request) string { return lang.FromRequest(r) }
