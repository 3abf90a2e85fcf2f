package web

import "testing"

// TestDecisionActionsHaveTheirTexts: every after-decision form has its title, introduction and field labels, and
// every code it offers has its text, in every language.
func TestDecisionActionsHaveTheirTexts(t *testing.T) {
	for _, l := range []string{"fr", "nl", "de", "en"} {
		for _, name := range decisionActionNames() {
			a, _ := findAction(name)
			keys := []string{"decision.action." + name, "decision.action." + name + ".intro"}
			for _, f := range a.Fields {
				keys = append(keys, f.Label)
				for _, c := range f.Codes {
					keys = append(keys, f.Prefix+"."+c)
				}
			}
			for _, k := range keys {
				if _, ok := catalogs[l][k]; !ok {
					t.Errorf("%s: no %q", l, k)
				}
			}
		}
		for _, c := range notificationMethods {
			if _, ok := catalogs[l]["decision_method."+c]; !ok {
				t.Errorf("%s: no method %q", l, c)
			}
		}
	}
}

func TestEuroCents(t *testing.T) {
	for in, want := range map[string]int64{"589,05": 58905, "589.05": 58905, "1.314,20": 131420, "1,314.20": 131420,
		"589": 58900, "589,5": 58950, " 12,00 € ": 1200, "1.314": 131400} {
		if got, ok := euroCents(in); !ok || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "veel", "-5", "12,3,4x"} {
		if _, ok := euroCents(in); ok {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestBoardItemLinksTheChange(t *testing.T) {
	it := BoardItem{RefType: "decision", RefID: "d1", PersonID: "p1", Change: "revision:3f0a1e20-bee5-5b93-8a27-021e711e208f"}
	if got := it.Link(); got != "/persons/p1/decisions/d1#change-3f0a1e20-bee5-5b93-8a27-021e711e208f" {
		t.Errorf("link %q", got)
	}
	it.Change = "revision:<script>"
	if got := it.Link(); got != "/persons/p1/decisions/d1" {
		t.Errorf("link %q", got)
	}
}
