package eventschema

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestEverySchemaCompilesAndNamesItsPath(t *testing.T) {
	if err := Check(); err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(files, "*/*"+schemaSuffix)
	if err != nil || len(names) == 0 {
		t.Fatalf("embedded schemas: %v %v", names, err)
	}
	for _, name := range names {
		raw, _ := files.ReadFile(name)
		var head struct {
			Schema string `json:"$schema"`
			ID     string `json:"$id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if head.Schema != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema %q, want draft 2020-12", name, head.Schema)
		}
		if head.ID != BaseURL+name {
			t.Errorf("%s: $id %q, want %q", name, head.ID, BaseURL+name)
		}
	}
	if got := len(Types()) + len(Families()); got != len(names) {
		t.Errorf("%d types and families for %d files", got, len(names))
	}
}

// asyncAPI is the part of asyncapi.yaml the contract test reads.
type asyncAPI struct {
	Channels map[string]struct {
		Address  string `yaml:"address"`
		Messages map[string]struct {
			Ref string `yaml:"$ref"`
		} `yaml:"messages"`
	} `yaml:"channels"`
	Operations map[string]struct {
		Channel struct {
			Ref string `yaml:"$ref"`
		} `yaml:"channel"`
	} `yaml:"operations"`
	Components struct {
		Messages map[string]struct {
			Name    string `yaml:"name"`
			Payload struct {
				Ref string `yaml:"$ref"`
			} `yaml:"payload"`
		} `yaml:"messages"`
	} `yaml:"components"`
}

func TestAsyncAPIListsExactlyTheTypesWithASchema(t *testing.T) {
	raw, err := os.ReadFile("asyncapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc asyncAPI
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for key, m := range doc.Components.Messages {
		listed = append(listed, m.Name)
		want, ok := SchemaPath(m.Name)
		if !ok {
			t.Errorf("asyncapi message %s (%s) has no schema", key, m.Name)
			continue
		}
		if m.Payload.Ref != want {
			t.Errorf("asyncapi message %s: payload $ref %q, want %q", key, m.Payload.Ref, want)
		}
	}
	slices.Sort(listed)
	if types := Types(); !slices.Equal(listed, types) {
		t.Errorf("asyncapi messages %v\nschemas %v", listed, types)
	}
	// Every message is on a channel, every channel's message exists, every channel has an operation.
	onChannel := map[string]bool{}
	for name, ch := range doc.Channels {
		if !strings.HasPrefix(ch.Address, "cpas.") {
			t.Errorf("channel %s: address %q", name, ch.Address)
		}
		for _, m := range ch.Messages {
			key, ok := strings.CutPrefix(m.Ref, "#/components/messages/")
			if _, exists := doc.Components.Messages[key]; !ok || !exists {
				t.Errorf("channel %s: message %q not in components", name, m.Ref)
			}
			onChannel[key] = true
		}
	}
	for key := range doc.Components.Messages {
		if !onChannel[key] {
			t.Errorf("message %s is on no channel", key)
		}
	}
	operated := map[string]bool{}
	for _, op := range doc.Operations {
		operated[strings.TrimPrefix(op.Channel.Ref, "#/channels/")] = true
	}
	for name := range doc.Channels {
		if !operated[name] {
			t.Errorf("channel %s has no operation", name)
		}
	}
}

func TestReadmeLinksEverySchema(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, m := range regexp.MustCompile(`\]\(([^)]+\.schema\.json)\)`).FindAllStringSubmatch(string(raw), -1) {
		linked[m[1]] = true
		if _, err := fs.Stat(files, m[1]); err != nil {
			t.Errorf("README links %s: %v", m[1], err)
		}
	}
	names, _ := fs.Glob(files, "*/*"+schemaSuffix)
	for _, name := range names {
		if !linked[name] {
			t.Errorf("README does not link %s", name)
		}
	}
}

func TestValidate(t *testing.T) {
	user := `{"user_id":"0190a000-0000-7000-8000-00000000000a","tenant":"cpas-a","username":"jdupont",
		"display_name":"Jeanne Dupont","roles":["social_worker"],"disabled":false}`
	task := `{"task_id":"t-1","file_id":"0190a000-0000-7000-8000-00000000000a","kind":"check_address",
		"title_fr":"Vérifier l'adresse","title_nl":"Adres nakijken"}`
	cases := []struct {
		name, typ, data string
		want            error // nil, ErrUnknownType, ErrNotJSON, or errValidation
	}{
		{"valid", "be.cpas.identity.user.created.v1", user, nil},
		{"unknown type", "be.cpas.identity.user.deleted.v1", user, ErrUnknownType},
		{"empty type", "", user, ErrUnknownType},
		{"not json", "be.cpas.identity.user.created.v1", `{"user_id":`, ErrNotJSON},
		{"enabled event of a disabled user", "be.cpas.identity.user.enabled.v1", strings.Replace(user, `"disabled":false`, `"disabled":true`, 1), errValidation},
		{"roles_changed without previous roles", "be.cpas.identity.user.roles_changed.v1", user, errValidation},
		{"family: payments", "be.cpas.payments.task.requested.v1", task, nil},
		{"family: decisions", "be.cpas.decisions.task.requested.v1", task, nil},
		{"family: invalid payload", "be.cpas.payments.task.requested.v1", `{"task_id":"t-1"}`, errValidation},
		{"family: two-word service", "be.cpas.a.b.task.requested.v1", task, ErrUnknownType},
		{"family: no service", "be.cpas.task.requested.v1", task, ErrUnknownType},
		{"family: foreign prefix", "org.other.payments.task.requested.v1", task, ErrUnknownType},
		{"family: other version", "be.cpas.payments.task.requested.v2", task, ErrUnknownType},
		{"family name alone", "task.requested.v1", task, ErrUnknownType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(c.typ, []byte(c.data))
			var ve *ValidationError
			switch {
			case c.want == nil && err != nil:
				t.Fatalf("err = %v", err)
			case c.want == errValidation && !errors.As(err, &ve):
				t.Fatalf("err = %v, want a *ValidationError", err)
			case c.want != nil && c.want != errValidation && !errors.Is(err, c.want):
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

var errValidation = errors.New("validation error expected")

// TestErrorsNameNoValue: a failing payload's values (a name, a NISS) stay out of the error, which names the place
// and the keyword.
func TestErrorsNameNoValue(t *testing.T) {
	data := `{"user_id":"0190a000-0000-7000-8000-00000000000a","tenant":"cpas-a","username":"Jeanne Secretname",
		"display_name":"Jeanne Secretname","roles":["social_worker","85073003328"],"disabled":false,"email":"x@y.be"}`
	err := Validate("be.cpas.identity.user.created.v1", []byte(data))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, secret := range []string{"Secretname", "85073003328", "x@y.be"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error shows %q: %s", secret, msg)
		}
	}
	for _, want := range []string{"/username: pattern", "/roles/1: enum", ": additionalProperties email"} {
		if !slices.Contains(ve.Problems, want) {
			t.Errorf("problems %q lack %q", ve.Problems, want)
		}
	}
}

// TestValidateConcurrently runs under -race: the schemas compile once, validations share them.
func TestValidateConcurrently(t *testing.T) {
	types := Types()
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			if err := Validate(types[i%len(types)], []byte(`{}`)); err == nil {
				t.Errorf("%s accepts {}", types[i%len(types)])
			}
		})
	}
	wg.Wait()
}
