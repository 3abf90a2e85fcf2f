package committee

import (
	"fmt"
	"testing"
)

// runSession300 runs a large CPAS's session: 300 validated proposals on the agenda, everybody present, then per item
// a secret ballot or a show of hands; every 10th item has a conflict of interest, every 7th is rejected, every 13th
// amended, every 25th postponed; closing, sign-off, minutes and 300 − postponed extracts.
func runSession300(tb testing.TB) (Minutes, []Extract) {
	s := planned(tb, DefaultRules())
	must(tb, s.Convene(convokedAt, false, ""))
	refs := make([]string, 300)
	for i := range refs {
		refs[i] = fmt.Sprintf("prop-%03d", i)
		must(tb, s.AddProposal(proposal(refs[i])))
	}
	must(tb, s.Open(openedAt, attendance(voters...)))
	for i, ref := range refs {
		if i%25 == 24 {
			must(tb, s.Postpone(ref, "pièce manquante", votedAt))
			continue
		}
		mode := Secret
		if i%2 == 0 {
			mode = ShowOfHands
		}
		if i%10 == 0 {
			must(tb, s.DeclareConflict(ref, "m3"))
		}
		must(tb, s.StartVote(ref, mode, votedAt))
		reject := i%7 == 0
		for j, id := range voters {
			if i%10 == 0 && id == "m3" {
				continue
			}
			c := For
			if reject && j > 1 {
				c = Against
			} else if j == 6 {
				c = Abstain
			}
			must(tb, s.CastVote(ref, id, c))
		}
		switch {
		case reject:
			must(tb, s.Reject(ref, votedAt))
		case i%13 == 0:
			nt := terms(100000)
			must(tb, s.Amend(ref, nt, "mot-amend", votedAt))
		default:
			must(tb, s.Adopt(ref, votedAt))
		}
	}
	must(tb, s.Close("sec", closedAt))
	must(tb, s.ApproveMinutes("p", signedAt))
	m, err := s.Minutes()
	must(tb, err)
	ex, err := s.Extracts()
	must(tb, err)
	return m, ex
}

func TestSession300Items(t *testing.T) {
	m, ex := runSession300(t)
	count := map[Outcome]int{}
	for _, it := range m.Items {
		count[it.Outcome]++
		if it.Tally != nil && it.Tally.Mode == Secret && it.Ballots != nil {
			t.Fatalf("item %d: secret ballot with names", it.Number)
		}
	}
	// 12 postponed (i%25==24, the last item among them); of the 288 voted: rejected i%7==0, amended i%13==0 and not i%7==0.
	var rejected, amended int
	for i := range 300 {
		switch {
		case i%25 == 24:
		case i%7 == 0:
			rejected++
		case i%13 == 0:
			amended++
		}
	}
	want := map[Outcome]int{Postponed: 12, Rejected: rejected, Amended: amended, Approved: 288 - rejected - amended}
	for o, n := range want {
		if count[o] != n {
			t.Errorf("%s: %d, want %d", o, count[o], n)
		}
	}
	if len(ex) != 288 || ex[287].Number != 299 || m.SignOff == nil {
		t.Fatalf("%d extracts, last %d, sign-off %v", len(ex), ex[len(ex)-1].Number, m.SignOff)
	}
}

// BenchmarkSession300Items: issue 4's benchmark at the domain level (the service layer adds persistence): a
// 300-item session from planning and agenda through opening, votes, closing and sign-off to the minutes and the
// extracts. Run: go test ./committee -run '^$' -bench Session300 -benchmem
func BenchmarkSession300Items(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		runSession300(b)
	}
}
