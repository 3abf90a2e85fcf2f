package policy

import "testing"

func TestEmbeddedPolicyParses(t *testing.T) {
	rules, _, err := Rules()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) < 20 {
		t.Fatalf("only %d rules", len(rules))
	}
	if Model == "" {
		t.Fatal("model not embedded")
	}
}

func TestParseRefusesMalformedLines(t *testing.T) {
	for _, line := range []string{
		"p, wizard, *, /v1/x, GET",
		"p, dpo, *, v1/x, GET",
		"p, dpo, *, /v1/x, FETCH",
		"p, dpo, *, /v1/x",
		"p, dpo, , /v1/x, GET",
		"g, dpo, wizard, *",
		"x, dpo, *, /v1/x, GET",
		"p, dpo, *, /v1/x, GET\np, dpo, *, /v1/x, GET",
	} {
		if _, _, err := Parse(line); err == nil {
			t.Errorf("%q accepted", line)
		}
	}
	if _, _, err := Parse("# comment\n\np, dpo, *, /v1/x, GET\ng, president, committee_member, *\n"); err != nil {
		t.Errorf("valid text refused: %v", err)
	}
}
