// Package config reads a service's configuration from environment variables. Every variable is declared with its
// default and a one-line description, so the same declarations print the documentation table (README, deploy/)
// and report every bad value at once instead of failing on the first.
package config

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Var describes one environment variable.
type Var struct {
	Name        string
	Default     string
	Description string
	Secret      bool
}

// Reader collects declared variables and the errors found while reading them.
type Reader struct {
	lookup func(string) (string, bool)
	vars   []Var
	errs   []error
}

// FromEnv reads from the process environment.
func FromEnv() *Reader { return &Reader{lookup: os.LookupEnv} }

// FromMap reads from a map: for tests and for the all-in-one process that configures services in code.
func FromMap(m map[string]string) *Reader {
	return &Reader{lookup: func(k string) (string, bool) { v, ok := m[k]; return v, ok }}
}

func (r *Reader) raw(v Var) string {
	r.vars = append(r.vars, v)
	if s, ok := r.lookup(v.Name); ok && strings.TrimSpace(s) != "" {
		return strings.TrimSpace(s)
	}
	return v.Default
}

// String declares and reads a string variable.
func (r *Reader) String(name, def, desc string) string {
	return r.raw(Var{Name: name, Default: def, Description: desc})
}

// FileSuffix names the companion of a secret variable that gives a file to read the value from instead
// (MONGO_URI_FILE=/run/secrets/mongo_uri): container secrets are mounted as files, never put in the environment.
const FileSuffix = "_FILE"

// Secret declares and reads a variable holding a secret: its value is never printed. The value may instead come
// from the file named by NAME_FILE (trailing newlines dropped); setting both is an error.
func (r *Reader) Secret(name, def, desc string) string {
	v := Var{Name: name, Default: def, Description: desc, Secret: true}
	path, hasFile := r.lookup(name + FileSuffix)
	path = strings.TrimSpace(path)
	if !hasFile || path == "" {
		return r.raw(v)
	}
	r.vars = append(r.vars, v)
	if s, ok := r.lookup(name); ok && strings.TrimSpace(s) != "" {
		r.errs = append(r.errs, fmt.Errorf("%s and %s%s are both set: keep one", name, name, FileSuffix))
		return def
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s%s: %w", name, FileSuffix, err))
		return def
	}
	if s := strings.TrimRight(string(raw), "\r\n"); s != "" {
		return s
	}
	return def
}

// Required declares a string variable that must be set.
func (r *Reader) Required(name, desc string) string {
	s := r.raw(Var{Name: name, Description: desc + " (required)"})
	if s == "" {
		r.errs = append(r.errs, fmt.Errorf("%s is required", name))
	}
	return s
}

// Int declares and reads an integer variable.
func (r *Reader) Int(name string, def int, desc string) int {
	s := r.raw(Var{Name: name, Default: strconv.Itoa(def), Description: desc})
	n, err := strconv.Atoi(s)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %q is not an integer", name, s))
		return def
	}
	return n
}

// Bool declares and reads a boolean variable (true/false/1/0).
func (r *Reader) Bool(name string, def bool, desc string) bool {
	s := r.raw(Var{Name: name, Default: strconv.FormatBool(def), Description: desc})
	b, err := strconv.ParseBool(s)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %q is not a boolean", name, s))
		return def
	}
	return b
}

// Duration declares and reads a duration variable ("15m", "30s").
func (r *Reader) Duration(name string, def time.Duration, desc string) time.Duration {
	s := r.raw(Var{Name: name, Default: def.String(), Description: desc})
	d, err := time.ParseDuration(s)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %q is not a duration", name, s))
		return def
	}
	return d
}

// List declares and reads a comma-separated list.
func (r *Reader) List(name, def, desc string) []string {
	s := r.raw(Var{Name: name, Default: def, Description: desc})
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Err returns every problem found, or nil.
func (r *Reader) Err() error { return errors.Join(r.errs...) }

// Vars returns the declared variables sorted by name, without duplicates.
func (r *Reader) Vars() []Var {
	seen := map[string]bool{}
	var out []Var
	for _, v := range r.vars {
		if !seen[v.Name] {
			seen[v.Name] = true
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Markdown renders the declared variables as a Markdown table (name, default, secret, description); a secret's
// row names its NAME_FILE companion.
func Markdown(vars []Var) string {
	var b strings.Builder
	b.WriteString("| variable | default | secret | description |\n|---|---|---|---|\n")
	for _, v := range vars {
		def := "`" + v.Default + "`"
		if v.Default == "" {
			def = "—"
		}
		secret := ""
		if v.Secret {
			secret = "yes (or `" + v.Name + FileSuffix + "`)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", v.Name, def, secret, v.Description)
	}
	return b.String()
}
