package committee

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/entraide/entraide/libs/civil"
)

// closedSession: item a by secret ballot (approved 4–2–1), b by show of hands with m6 in conflict (amended),
// c postponed at the closing.
func closedSession(t *testing.T) *Session {
	t.Helper()
	s := opened(t, DefaultRules(), voters...)
	vote(t, s, "a", Secret, map[string]Choice{"p": For, "m1": For, "m2": Against, "m3": For, "m4": Against, "m5": Abstain, "m6": For})
	must(t, s.Adopt("a", votedAt))
	must(t, s.DeclareConflict("b", "m6"))
	vote(t, s, "b", ShowOfHands, map[string]Choice{"p": For, "m1": For, "m2": Against})
	nt := terms(90000)
	nt.End, nt.Review = civil.MustParse("2026-06-30"), civil.Date{}
	must(t, s.Amend("b", nt, "mot-amend-b", votedAt))
	must(t, s.Close("sec", closedAt))
	return s
}

func TestMinutes(t *testing.T) {
	s := closedSession(t)
	m, err := s.Minutes()
	must(t, err)
	if m.President != "p" || m.Secretary != "sec" || m.SessionID != "s1" || m.Tenant != "t1" || !m.OpenedAt.Equal(openedAt) ||
		!m.ClosedAt.Equal(closedAt) || len(m.Attendance) != 8 || m.SignOff != nil || m.Convocation.SentOn != civil.MustParse("2026-03-10") {
		t.Fatalf("minutes %+v", m)
	}
	a, b, c := m.Items[0], m.Items[1], m.Items[2]
	wantA := Tally{Mode: Secret, For: 4, Against: 2, Abstain: 1, Quorum: Quorum{7, 7, 4, true}}
	if a.Outcome != Approved || a.Tally == nil || *a.Tally != wantA || a.Ballots != nil || a.Terms != terms(131420) {
		t.Fatalf("a %+v tally %+v", a, a.Tally)
	}
	wantB := Tally{Mode: ShowOfHands, For: 2, Against: 1, Conflicts: 1, Quorum: Quorum{7, 6, 4, true}}
	if b.Outcome != Amended || *b.Tally != wantB || b.Terms.MonthlyAmount != 90000 || b.ProposedTerms.MonthlyAmount != 131420 ||
		b.AmendmentMotivationRef != "mot-amend-b" || !slices.Equal(b.Conflicts, []string{"m6"}) ||
		!slices.Equal(b.Ballots, []Ballot{{"p", For}, {"m1", For}, {"m2", Against}}) {
		t.Fatalf("b %+v", b)
	}
	if c.Outcome != Postponed || !c.PostponedAtClose || c.Tally != nil {
		t.Fatalf("c %+v", c)
	}
	must(t, s.ApproveMinutes("p", signedAt))
	m, _ = s.Minutes()
	if m.SignOff == nil || *m.SignOff != (SignOff{By: "p", At: signedAt}) {
		t.Fatalf("sign-off %+v", m.SignOff)
	}
}

// The secret ballot's minutes item and every extract name nobody: no voter id appears in their JSON.
func TestSecretBallotNamesNobody(t *testing.T) {
	s := closedSession(t)
	m, err := s.Minutes()
	must(t, err)
	ex, err := s.Extracts()
	must(t, err)
	secretItem, err := json.Marshal(m.Items[0])
	must(t, err)
	extracts, err := json.Marshal(ex)
	must(t, err)
	for _, id := range voters {
		for name, doc := range map[string][]byte{"minutes item a": secretItem, "extracts": extracts} {
			if strings.Contains(string(doc), `"`+id+`"`) && !(name == "extracts" && id == "p") {
				t.Errorf("%s names %s: %s", name, id, doc)
			}
		}
	}
	// The show of hands is named in the minutes (not in the extract).
	shown, _ := json.Marshal(m.Items[1])
	if !strings.Contains(string(shown), `"m2"`) {
		t.Fatalf("show of hands without names: %s", shown)
	}
	// The extracts do name the president who chairs (the letter is signed in their name), as president only.
	for _, e := range ex {
		if e.President != "p" || e.Secretary != "sec" {
			t.Fatalf("extract %+v", e)
		}
	}
}

func TestExtracts(t *testing.T) {
	s := closedSession(t)
	ex, err := s.Extracts()
	must(t, err)
	if len(ex) != 2 {
		t.Fatalf("%d extracts, want 2 (postponed has none)", len(ex))
	}
	a, b := ex[0], ex[1]
	if a.Ref != "a" || a.PersonRef != "person-a" || a.FileRef != "file-a" || a.Aid != "ris" || a.Outcome != Approved ||
		a.Terms != terms(131420) || a.MotivationRef != "mot-1" || a.SessionDate != sessionDay || a.Number != 1 ||
		a.Tally.For != 4 || !a.DecidedAt.Equal(votedAt) || a.SignOff != nil {
		t.Fatalf("a %+v", a)
	}
	if b.Outcome != Amended || b.Terms.MonthlyAmount != 90000 || b.ProposedTerms.MonthlyAmount != 131420 ||
		b.AmendmentMotivationRef != "mot-amend-b" || b.Tally.Conflicts != 1 {
		t.Fatalf("b %+v", b)
	}
	must(t, s.ApproveMinutes("p", signedAt))
	ex, _ = s.Extracts()
	if ex[0].SignOff == nil || ex[0].SignOff.By != "p" {
		t.Fatalf("extract sign-off %+v", ex[0].SignOff)
	}
	if _, err := opened(t, DefaultRules(), voters...).Extracts(); !errors.Is(err, ErrNotClosed) {
		t.Fatalf("err %v", err)
	}
}
