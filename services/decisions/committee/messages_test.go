package committee

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/entraide/entraide/libs/problem"
)

// Every "committee.*" code the package uses (refusals and field errors) has its text in fr, nl, de and en.
func TestMessagesRegistered(t *testing.T) {
	files, err := filepath.Glob("*.go")
	must(t, err)
	code := regexp.MustCompile(`"(committee\.[a-z_]+)"`)
	seen := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		must(t, err)
		for _, m := range code.FindAllStringSubmatch(string(b), -1) {
			seen[m[1]] = true
		}
	}
	if len(seen) < 35 {
		t.Fatalf("only %d codes found", len(seen))
	}
	for c := range seen {
		fr := problem.Message("fr", c, nil)
		if fr == c {
			t.Errorf("%s: not registered", c)
			continue
		}
		for _, l := range []string{"nl", "de", "en"} {
			if m := problem.Message(l, c, nil); m == fr {
				t.Errorf("%s: no %s text", c, l)
			}
		}
	}
}

func TestRuleErrorCode(t *testing.T) {
	s := opened(t, DefaultRules(), "p")
	err := s.StartVote("a", Secret, votedAt)
	var re *RuleError
	if !errors.As(err, &re) || re.Code() != "committee.no_quorum" || !strings.Contains(err.Error(), "1 present of 4 required") {
		t.Fatalf("err %v", err)
	}
	if strings.Contains(err.Error(), "person-") {
		t.Fatal("refusal names a person")
	}
}
