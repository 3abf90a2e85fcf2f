package committee

import (
	"errors"
	"slices"
	"testing"

	"github.com/entraide/entraide/libs/civil"
)

func TestVoteRefusals(t *testing.T) {
	tests := []struct {
		name string
		// present at the opening; the secretary is always present
		present []string
		do      func(t *testing.T, s *Session) error
		want    error
	}{
		{"vote without quorum", []string{"p", "m1", "m2"}, func(t *testing.T, s *Session) error {
			return s.StartVote("a", Secret, votedAt)
		}, ErrNoQuorum},
		{"adopt without quorum (someone left)", voters[:4], func(t *testing.T, s *Session) error {
			vote(t, s, "a", Secret, map[string]Choice{"p": For, "m1": For, "m2": For})
			must(t, s.Leave("m3", votedAt))
			return s.Adopt("a", votedAt)
		}, ErrNoQuorum},
		{"adopt an item not on the session", voters, func(t *testing.T, s *Session) error {
			return s.Adopt("z", votedAt)
		}, ErrNotOnAgenda},
		{"vote on an item not on the session", voters, func(t *testing.T, s *Session) error {
			return s.CastVote("z", "m1", For)
		}, ErrNotOnAgenda},
		{"adopt without a vote", voters, func(t *testing.T, s *Session) error {
			return s.Adopt("a", votedAt)
		}, ErrVoteNotStarted},
		{"ballot before the vote opens", voters, func(t *testing.T, s *Session) error {
			return s.CastVote("a", "m1", For)
		}, ErrVoteNotStarted},
		{"vote opened twice", voters, func(t *testing.T, s *Session) error {
			must(t, s.StartVote("a", Secret, votedAt))
			return s.StartVote("a", Secret, votedAt)
		}, ErrVoteStarted},
		{"voting twice", voters, func(t *testing.T, s *Session) error {
			vote(t, s, "a", Secret, map[string]Choice{"m1": For})
			return s.CastVote("a", "m1", Against)
		}, ErrAlreadyVoted},
		{"a non-member voting", voters, func(t *testing.T, s *Session) error {
			must(t, s.StartVote("a", ShowOfHands, votedAt))
			return s.CastVote("a", "head", For)
		}, ErrNotMember},
		{"the secretary voting", voters, func(t *testing.T, s *Session) error {
			must(t, s.StartVote("a", ShowOfHands, votedAt))
			return s.CastVote("a", "sec", For)
		}, ErrNotVoting},
		{"an excused member voting", voters[:5], func(t *testing.T, s *Session) error {
			must(t, s.StartVote("a", ShowOfHands, votedAt))
			return s.CastVote("a", "m6", For)
		}, ErrNotPresent},
		{"a member who left voting", voters, func(t *testing.T, s *Session) error {
			must(t, s.StartVote("a", ShowOfHands, votedAt))
			must(t, s.Leave("m6", votedAt))
			return s.CastVote("a", "m6", For)
		}, ErrNotPresent},
		{"a member with a conflict voting", voters, func(t *testing.T, s *Session) error {
			must(t, s.DeclareConflict("a", "m2"))
			must(t, s.StartVote("a", ShowOfHands, votedAt))
			return s.CastVote("a", "m2", For)
		}, ErrConflictOfInterest},
		{"conflict declared after voting", voters, func(t *testing.T, s *Session) error {
			vote(t, s, "a", ShowOfHands, map[string]Choice{"m2": For})
			return s.DeclareConflict("a", "m2")
		}, ErrAlreadyVoted},
		{"secretary declaring a conflict", voters, func(t *testing.T, s *Session) error {
			return s.DeclareConflict("a", "sec")
		}, ErrNotVoting},
		{"stranger declaring a conflict", voters, func(t *testing.T, s *Session) error {
			return s.DeclareConflict("a", "x")
		}, ErrNotMember},
		{"adopt without majority", voters, func(t *testing.T, s *Session) error {
			vote(t, s, "a", Secret, map[string]Choice{"p": For, "m1": Against, "m2": Against, "m3": Abstain})
			return s.Adopt("a", votedAt)
		}, ErrNoMajority},
		{"adopt on a tie (rejects by default)", voters, func(t *testing.T, s *Session) error {
			vote(t, s, "a", Secret, map[string]Choice{"p": For, "m1": Against})
			return s.Adopt("a", votedAt)
		}, ErrNoMajority},
		{"adopt when all abstain", voters, func(t *testing.T, s *Session) error {
			vote(t, s, "a", Secret, map[string]Choice{"p": Abstain, "m1": Abstain, "m2": Abstain, "m3": Abstain})
			return s.Adopt("a", votedAt)
		}, ErrNoMajority},
		{"reject what the vote approved", voters, func(t *testing.T, s *Session) error {
			vote(t, s, "a", Secret, map[string]Choice{"p": For, "m1": For, "m2": Against})
			return s.Reject("a", votedAt)
		}, ErrMajorityReached},
		{"amend without majority", voters, func(t *testing.T, s *Session) error {
			vote(t, s, "a", Secret, map[string]Choice{"p": Against, "m1": Against})
			return s.Amend("a", terms(90000), "mot-amend", votedAt)
		}, ErrNoMajority},
		{"adopt twice", voters, func(t *testing.T, s *Session) error {
			vote(t, s, "a", Secret, map[string]Choice{"p": For})
			must(t, s.Adopt("a", votedAt))
			return s.Adopt("a", votedAt)
		}, ErrItemDecided},
		{"vote on a postponed item", voters, func(t *testing.T, s *Session) error {
			must(t, s.Postpone("a", "pièce manquante", votedAt))
			return s.StartVote("a", Secret, votedAt)
		}, ErrItemDecided},
		{"casting vote without the rule", voters, func(t *testing.T, s *Session) error {
			vote(t, s, "a", Secret, map[string]Choice{"p": For, "m1": Against})
			return s.CastingVote("a", "p", For)
		}, ErrNoCastingVote},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := opened(t, DefaultRules(), tt.present...)
			before := s.State()
			err := tt.do(t, s)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if it, ok := s.Item("a"); ok && tt.want != ErrItemDecided && it.Outcome != "" {
				t.Fatalf("outcome %s recorded on a refusal", it.Outcome)
			}
			if tt.want == ErrNoQuorum || tt.want == ErrNotOnAgenda {
				after := s.State()
				if !slices.EqualFunc(before.Items, after.Items, func(a, b Item) bool { return a.Outcome == b.Outcome }) {
					t.Fatal("items changed")
				}
			}
		})
	}
}

func TestVoteInvalidInput(t *testing.T) {
	s := opened(t, DefaultRules(), voters...)
	if got := fieldCodes(s.StartVote("a", "raised", votedAt)); !slices.Equal(got, []string{"mode:invalid_choice"}) {
		t.Fatalf("fields %v", got)
	}
	must(t, s.StartVote("a", Secret, votedAt))
	if got := fieldCodes(s.CastVote("a", "m1", "maybe")); !slices.Equal(got, []string{"choice:invalid_choice"}) {
		t.Fatalf("fields %v", got)
	}
}

func TestAmend(t *testing.T) {
	newTerms := terms(100000)
	newTerms.End, newTerms.Review = civil.MustParse("2026-08-31"), civil.Date{}
	bad := newTerms
	bad.MotivationRef = ""
	tests := []struct {
		name       string
		terms      Terms
		motivation string
		fields     []string
	}{
		{"new terms and motivation", newTerms, "mot-amend", nil},
		{"no new terms", Terms{}, "mot-amend", []string{"new_terms:committee.new_terms_required"}},
		{"same terms", terms(131420), "mot-amend", []string{"new_terms:committee.new_terms_required"}},
		{"no motivation", newTerms, " ", []string{"amendment_motivation_ref:committee.amendment_motivation_required"}},
		{"bad new terms", bad, "mot-amend", []string{"new_terms.motivation_ref:required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := opened(t, DefaultRules(), voters...)
			vote(t, s, "a", Secret, map[string]Choice{"p": For, "m1": For})
			err := s.Amend("a", tt.terms, tt.motivation, votedAt)
			it, _ := s.Item("a")
			if tt.fields != nil {
				if got := fieldCodes(err); !slices.Equal(got, tt.fields) {
					t.Fatalf("fields %v, want %v", got, tt.fields)
				}
				if it.Outcome != "" || it.NewTerms != nil {
					t.Fatalf("half-written: %+v", it)
				}
				return
			}
			must(t, err)
			if it.Outcome != Amended || *it.NewTerms != newTerms || it.AmendmentMotivationRef != "mot-amend" || it.FinalTerms() != newTerms || it.Terms != terms(131420) {
				t.Fatalf("item %+v", it)
			}
		})
	}
}

func TestQuorum(t *testing.T) {
	fixed3 := DefaultRules()
	fixed3.Quorum, fixed3.QuorumFixed = QuorumFixed, 3
	six := func(t *testing.T, present ...string) *Session {
		// six voting members: drop m6
		ms := slices.DeleteFunc(members(), func(m Member) bool { return m.UserID == "m6" })
		s, err := Plan(NewSession{ID: "s6", Tenant: "t1", Date: sessionDay, Time: "14:00", Place: "Salle", Members: ms, Rules: DefaultRules()})
		must(t, err)
		must(t, s.Convene(convokedAt, false, ""))
		must(t, s.AddProposal(proposal("a")))
		a := attendance(present...)
		delete(a, "m6")
		must(t, s.Open(openedAt, a))
		return s
	}
	tests := []struct {
		name    string
		session func(t *testing.T) *Session
		change  func(t *testing.T, s *Session)
		want    Quorum
	}{
		{"7 voting, 4 present", func(t *testing.T) *Session { return opened(t, DefaultRules(), voters[:4]...) }, nil,
			Quorum{7, 4, 4, true}},
		{"7 voting, 3 present", func(t *testing.T) *Session { return opened(t, DefaultRules(), voters[:3]...) }, nil,
			Quorum{7, 3, 4, false}},
		{"6 voting, exactly half present", func(t *testing.T) *Session { return six(t, "p", "m1", "m2") }, nil,
			Quorum{6, 3, 4, false}},
		{"6 voting, 4 present", func(t *testing.T) *Session { return six(t, "p", "m1", "m2", "m3") }, nil,
			Quorum{6, 4, 4, true}},
		{"the secretary does not count", func(t *testing.T) *Session { return opened(t, DefaultRules(), voters[:3]...) }, nil,
			Quorum{7, 3, 4, false}},
		{"late arrival brings the quorum", func(t *testing.T) *Session { return opened(t, DefaultRules(), voters[:3]...) },
			func(t *testing.T, s *Session) { must(t, s.Arrive("m5", votedAt)) }, Quorum{7, 4, 4, true}},
		{"departure loses it", func(t *testing.T) *Session { return opened(t, DefaultRules(), voters[:4]...) },
			func(t *testing.T, s *Session) { must(t, s.Leave("m1", votedAt)) }, Quorum{7, 3, 4, false}},
		{"conflict of interest counts as absent", func(t *testing.T) *Session { return opened(t, DefaultRules(), voters[:4]...) },
			func(t *testing.T, s *Session) { must(t, s.DeclareConflict("a", "m2")) }, Quorum{7, 3, 4, false}},
		{"conflict of an absent member changes nothing", func(t *testing.T) *Session { return opened(t, DefaultRules(), voters[:4]...) },
			func(t *testing.T, s *Session) { must(t, s.DeclareConflict("a", "m6")) }, Quorum{7, 4, 4, true}},
		{"fixed number reached", func(t *testing.T) *Session { return opened(t, fixed3, voters[:3]...) }, nil,
			Quorum{7, 3, 3, true}},
		{"fixed number missed", func(t *testing.T) *Session { return opened(t, fixed3, voters[:2]...) }, nil,
			Quorum{7, 2, 3, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.session(t)
			if tt.change != nil {
				tt.change(t, s)
			}
			q, err := s.QuorumFor("a")
			must(t, err)
			if q != tt.want {
				t.Fatalf("quorum %+v, want %+v", q, tt.want)
			}
			err = s.StartVote("a", Secret, votedAt)
			if tt.want.Reached != (err == nil) || (!tt.want.Reached && !errors.Is(err, ErrNoQuorum)) {
				t.Fatalf("start vote: %v", err)
			}
		})
	}
	t.Run("conflict on one item only", func(t *testing.T) {
		s := opened(t, DefaultRules(), voters[:4]...)
		must(t, s.DeclareConflict("a", "m2"))
		must(t, s.DeclareConflict("a", "m2")) // idempotent
		if q, _ := s.QuorumFor("b"); !q.Reached {
			t.Fatalf("b %+v", q)
		}
		if _, err := s.QuorumFor("z"); !errors.Is(err, ErrNotOnAgenda) {
			t.Fatalf("err %v", err)
		}
		if it, _ := s.Item("a"); !slices.Equal(it.Conflicts, []string{"m2"}) {
			t.Fatalf("conflicts %v", it.Conflicts)
		}
	})
}

func TestTally(t *testing.T) {
	members := DefaultRules()
	members.Majority = MajorityOfMembersPresent
	casting := DefaultRules()
	casting.Tie = TiePresidentDecides
	membersCasting := members
	membersCasting.Tie = TiePresidentDecides
	type step func(t *testing.T, s *Session) error
	adopt := func(t *testing.T, s *Session) error { return s.Adopt("a", votedAt) }
	reject := func(t *testing.T, s *Session) error { return s.Reject("a", votedAt) }
	castingVote := func(c Choice) step {
		return func(t *testing.T, s *Session) error { return s.CastingVote("a", "p", c) }
	}
	tests := []struct {
		name    string
		rules   Rules
		present []string
		ballots map[string]Choice
		before  func(t *testing.T, s *Session)
		steps   []step
		want    []error
		outcome Outcome
	}{
		{"votes cast: abstentions not counted", DefaultRules(), voters,
			map[string]Choice{"p": For, "m1": For, "m2": Against, "m3": Abstain, "m4": Abstain, "m5": Abstain}, nil,
			[]step{adopt}, []error{nil}, Approved},
		{"members present: abstentions weigh against", members, voters,
			map[string]Choice{"p": For, "m1": For, "m2": Against, "m3": Abstain, "m4": Abstain, "m5": Abstain}, nil,
			[]step{adopt, reject}, []error{ErrNoMajority, nil}, Rejected},
		{"members present: 4 of 7", members, voters,
			map[string]Choice{"p": For, "m1": For, "m2": For, "m3": For}, nil, []step{adopt}, []error{nil}, Approved},
		{"members present: a conflict leaves the room", members, voters[:5],
			map[string]Choice{"p": For, "m1": For, "m3": For}, func(t *testing.T, s *Session) { must(t, s.DeclareConflict("a", "m2")) },
			[]step{adopt}, []error{nil}, Approved}, // 3 of 4 eligible
		{"tie rejects by default", DefaultRules(), voters,
			map[string]Choice{"p": For, "m1": For, "m2": Against, "m3": Against}, nil,
			[]step{adopt, castingVote(For), reject}, []error{ErrNoMajority, ErrNoCastingVote, nil}, Rejected},
		{"tie: president's casting vote for", casting, voters,
			map[string]Choice{"p": Abstain, "m1": For, "m2": Against}, nil,
			[]step{adopt, reject, func(t *testing.T, s *Session) error {
				if got := fieldCodes(s.CastingVote("a", "p", Abstain)); !slices.Equal(got, []string{"choice:invalid_choice"}) {
					t.Fatalf("abstaining casting vote: %v", got)
				}
				return nil
			}, castingVote(For), castingVote(For), adopt}, []error{ErrTie, ErrTie, nil, nil, ErrNoCastingVote, nil}, Approved},
		{"tie: president's casting vote against", casting, voters,
			map[string]Choice{"p": Against, "m1": For}, nil,
			[]step{castingVote(Against), adopt, reject}, []error{nil, ErrNoMajority, nil}, Rejected},
		{"tie: only the president casts it", casting, voters,
			map[string]Choice{"p": Against, "m1": For}, nil,
			[]step{func(t *testing.T, s *Session) error { return s.CastingVote("a", "m1", For) }}, []error{ErrNotPresident}, ""},
		{"tie: president left, the tie rejects", casting, voters,
			map[string]Choice{"p": Against, "m1": For}, nil,
			[]step{func(t *testing.T, s *Session) error { return s.Leave("p", votedAt) }, castingVote(For), adopt, reject},
			[]error{nil, ErrNotPresent, ErrNoMajority, nil}, Rejected},
		{"tie: president with a conflict, the tie rejects", casting, voters,
			map[string]Choice{"m1": For, "m2": Against}, func(t *testing.T, s *Session) { must(t, s.DeclareConflict("a", "p")) },
			[]step{castingVote(For), reject}, []error{ErrConflictOfInterest, nil}, Rejected},
		{"no tie: no casting vote", casting, voters,
			map[string]Choice{"p": For, "m1": For, "m2": Against}, nil,
			[]step{castingVote(Against), adopt}, []error{ErrNoCastingVote, nil}, Approved},
		{"members present tie: 2 for of 4 eligible", membersCasting, voters[:4],
			map[string]Choice{"p": Against, "m1": For, "m2": For, "m3": Abstain}, nil,
			[]step{adopt, castingVote(For), adopt}, []error{ErrTie, nil, nil}, Approved},
		{"casting vote before any vote", casting, voters, nil, nil,
			[]step{castingVote(For)}, []error{ErrNoCastingVote}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := opened(t, tt.rules, tt.present...)
			if tt.before != nil {
				tt.before(t, s)
			}
			vote(t, s, "a", ShowOfHands, tt.ballots)
			for i, st := range tt.steps {
				if err := st(t, s); !errors.Is(err, tt.want[i]) || (tt.want[i] == nil && err != nil) {
					t.Fatalf("step %d: err %v, want %v", i, err, tt.want[i])
				}
			}
			it, _ := s.Item("a")
			if it.Outcome != tt.outcome {
				t.Fatalf("outcome %q, want %q", it.Outcome, tt.outcome)
			}
			if tt.outcome != "" && (it.QuorumAtDecision == nil || !it.QuorumAtDecision.Reached || !it.DecidedAt.Equal(votedAt)) {
				t.Fatalf("decision record %+v at %v", it.QuorumAtDecision, it.DecidedAt)
			}
		})
	}
}

func TestPostponeWithoutQuorum(t *testing.T) {
	s := opened(t, DefaultRules(), "p", "m1")
	if err := s.StartVote("a", Secret, votedAt); !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("err %v", err)
	}
	must(t, s.Postpone("a", " quorum non atteint ", votedAt))
	it, _ := s.Item("a")
	if it.Outcome != Postponed || it.PostponeReason != "quorum non atteint" || it.PostponedAtClose {
		t.Fatalf("item %+v", it)
	}
}
