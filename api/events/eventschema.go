// Package eventschema (import path github.com/entraide/entraide/api/events) holds the event contract as code: it
// embeds the JSON Schema (draft 2020-12) of every event payload of api/events/<service>/ and validates payloads
// against them.
//
// A schema file is named after what it describes:
//   - <type>.schema.json for one CloudEvents type ("be.cpas.identity.user.created.v1.schema.json");
//   - <aggregate>.<verb>.v<N>.schema.json (no "be.cpas." prefix) for a family of types that several services
//     produce with one payload, be.cpas.<service>.<aggregate>.<verb>.v<N> ("task.requested.v1.schema.json").
//
// The schemas are compiled once, on first use; Validate is safe for concurrent use. Its errors name the places
// (JSON pointers) and keywords that failed, never the payload's values: payloads hold personal data, and a
// consumer may log the error.
package eventschema

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

//go:embed */*.schema.json
var files embed.FS

// BaseURL is the base of every schema's $id: BaseURL + "<service>/<file>".
const BaseURL = "https://entraide.example/api/events/"

const (
	typePrefix   = "be.cpas."
	schemaSuffix = ".schema.json"
)

// ErrUnknownType reports an event type without a schema.
var ErrUnknownType = errors.New("eventschema: unknown event type")

// ErrNotJSON reports a payload that is not one JSON value.
var ErrNotJSON = errors.New("eventschema: payload is not JSON")

// ValidationError reports a payload that does not match its type's schema.
type ValidationError struct {
	Type string
	// Problems are "<instance pointer>: <keyword>[ <property names>]" (e.g. "/niss: pattern",
	// ": required new_iban"), in the validator's order.
	Problems []string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("eventschema: %s payload does not match its schema: %s", e.Type, strings.Join(e.Problems, "; "))
}

// servicePattern is the <service> segment of a family's types: one lower-case word.
var servicePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

type registry struct {
	exact    map[string]*jsonschema.Schema // type → schema
	families map[string]*jsonschema.Schema // "<aggregate>.<verb>.v<N>" → schema
	paths    map[string]string             // type or family → file path in the embedded tree
}

var load = sync.OnceValues(compileAll)

func compileAll() (*registry, error) {
	names, err := fs.Glob(files, "*/*"+schemaSuffix)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, name := range names {
		raw, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("eventschema: %s: %w", name, err)
		}
		if err := c.AddResource(BaseURL+name, doc); err != nil {
			return nil, fmt.Errorf("eventschema: %s: %w", name, err)
		}
	}
	r := &registry{exact: map[string]*jsonschema.Schema{}, families: map[string]*jsonschema.Schema{}, paths: map[string]string{}}
	for _, name := range names {
		s, err := c.Compile(BaseURL + name)
		if err != nil {
			return nil, fmt.Errorf("eventschema: compile %s: %w", name, err)
		}
		key := strings.TrimSuffix(path.Base(name), schemaSuffix)
		if prev, dup := r.paths[key]; dup {
			return nil, fmt.Errorf("eventschema: %s described twice (%s, %s)", key, prev, name)
		}
		r.paths[key] = name
		if strings.HasPrefix(key, typePrefix) {
			r.exact[key] = s
		} else {
			r.families[key] = s
		}
	}
	return r, nil
}

// lookup finds the schema of an event type: its own, else its family's.
func (r *registry) lookup(eventType string) (*jsonschema.Schema, string, bool) {
	if s, ok := r.exact[eventType]; ok {
		return s, r.paths[eventType], true
	}
	rest, ok := strings.CutPrefix(eventType, typePrefix)
	if !ok {
		return nil, "", false
	}
	service, family, ok := strings.Cut(rest, ".")
	if !ok || !servicePattern.MatchString(service) {
		return nil, "", false
	}
	s, ok := r.families[family]
	return s, r.paths[family], ok
}

// Validate checks data, the payload of an event of type eventType, against the type's schema. A type without a
// schema is an error (ErrUnknownType), so is a payload that is not JSON (ErrNotJSON) or does not match
// (*ValidationError).
func Validate(eventType string, data []byte) error {
	r, err := load()
	if err != nil {
		return err
	}
	s, _, ok := r.lookup(eventType)
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownType, eventType)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%w (%s)", ErrNotJSON, eventType)
	}
	err = s.Validate(v)
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		out := &ValidationError{Type: eventType}
		collect(ve, &out.Problems)
		return out
	}
	return err
}

// collect appends the leaves of a validation error tree: where and which keyword, never the value.
func collect(e *jsonschema.ValidationError, out *[]string) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collect(c, out)
		}
		return
	}
	p := ""
	for _, tok := range e.InstanceLocation {
		p += "/" + strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
	}
	msg := p + ": " + strings.Join(e.ErrorKind.KeywordPath(), "/")
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		msg += " " + strings.Join(k.Missing, ",")
	case *kind.AdditionalProperties:
		msg += " " + strings.Join(k.Properties, ",")
	}
	*out = append(*out, msg)
}

// Types returns the event types that have a schema of their own, sorted; nil when a schema does not compile
// (Check returns why). Families (see Families) are not listed: their types are open-ended.
func Types() []string {
	r, err := load()
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(r.exact))
	for t := range r.exact {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Families returns the type families, sorted: "<aggregate>.<verb>.v<N>", whose types are
// be.cpas.<service>.<aggregate>.<verb>.v<N> for any service; nil when a schema does not compile.
func Families() []string {
	r, err := load()
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(r.families))
	for f := range r.families {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// SchemaPath returns the path, relative to api/events, of the schema eventType validates against.
func SchemaPath(eventType string) (string, bool) {
	r, err := load()
	if err != nil {
		return "", false
	}
	_, p, ok := r.lookup(eventType)
	return p, ok
}

// Check compiles every schema (on first use) and returns the error if one does not compile; services may call
// it at start-up, tests do.
func Check() error {
	_, err := load()
	return err
}
