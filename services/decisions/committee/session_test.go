package committee

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/legalclock"
)

func inStatus(t *testing.T, st Status) *Session {
	t.Helper()
	s := planned(t, DefaultRules())
	for _, ref := range []string{"a", "b", "c"} {
		must(t, s.AddProposal(proposal(ref)))
	}
	if st == Planned {
		return s
	}
	must(t, s.Convene(convokedAt, false, ""))
	if st == Convened {
		return s
	}
	must(t, s.Open(openedAt, attendance(voters...)))
	if st == Opened {
		return s
	}
	must(t, s.Close("sec", closedAt))
	if st == Closed {
		return s
	}
	must(t, s.ApproveMinutes("p", signedAt))
	return s
}

func TestTransitions(t *testing.T) {
	all := []Status{Planned, Convened, Opened, Closed, MinutesApproved}
	tests := []struct {
		name    string
		do      func(*Session) error
		allowed []Status
		refusal error
		after   Status // status after success; "" when unchanged
	}{
		{"convene", func(s *Session) error { return s.Convene(convokedAt, false, "") }, []Status{Planned}, ErrTransition, Convened},
		{"add proposal", func(s *Session) error { return s.AddProposal(proposal("z")) }, []Status{Planned, Convened}, ErrAgendaClosed, ""},
		{"remove item", func(s *Session) error { return s.RemoveItem("a") }, []Status{Planned, Convened}, ErrAgendaClosed, ""},
		{"open", func(s *Session) error { return s.Open(openedAt, attendance(voters...)) }, []Status{Convened}, ErrTransition, Opened},
		{"leave", func(s *Session) error { return s.Leave("m1", votedAt) }, []Status{Opened}, ErrTransition, ""},
		{"start vote", func(s *Session) error { return s.StartVote("a", Secret, votedAt) }, []Status{Opened}, ErrTransition, ""},
		{"declare conflict", func(s *Session) error { return s.DeclareConflict("a", "m1") }, []Status{Opened}, ErrTransition, ""},
		{"postpone", func(s *Session) error { return s.Postpone("a", "", votedAt) }, []Status{Opened}, ErrTransition, ""},
		{"close", func(s *Session) error { return s.Close("sec", closedAt) }, []Status{Opened}, ErrTransition, Closed},
		{"approve minutes", func(s *Session) error { return s.ApproveMinutes("p", signedAt) }, []Status{Closed}, ErrTransition, MinutesApproved},
		{"minutes", func(s *Session) error { _, err := s.Minutes(); return err }, []Status{Closed, MinutesApproved}, ErrNotClosed, ""},
		{"extracts", func(s *Session) error { _, err := s.Extracts(); return err }, []Status{Closed, MinutesApproved}, ErrNotClosed, ""},
	}
	for _, tt := range tests {
		for _, st := range all {
			t.Run(tt.name+"/"+string(st), func(t *testing.T) {
				s := inStatus(t, st)
				err := tt.do(s)
				if slices.Contains(tt.allowed, st) {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					if want := cmpOr(tt.after, st); s.Status() != want {
						t.Fatalf("status %s, want %s", s.Status(), want)
					}
					return
				}
				if !errors.Is(err, tt.refusal) {
					t.Fatalf("err %v, want %v", err, tt.refusal)
				}
				if s.Status() != st {
					t.Fatalf("status moved to %s on a refusal", s.Status())
				}
			})
		}
	}
}

func cmpOr(a, b Status) Status {
	if a != "" {
		return a
	}
	return b
}

func TestPlanValidation(t *testing.T) {
	good := NewSession{ID: "s1", Tenant: "t1", Date: sessionDay, Time: "14:00", Place: "Salle", Members: members(), Rules: DefaultRules()}
	tests := []struct {
		name   string
		change func(*NewSession)
		want   []string
	}{
		{"good", func(*NewSession) {}, nil},
		{"empty", func(n *NewSession) { *n = NewSession{Rules: DefaultRules()} },
			[]string{"id:required", "tenant:required", "date:required", "time:committee.time_invalid", "place:required", "members:committee.one_president", "members:committee.one_secretary"}},
		{"time 24:00", func(n *NewSession) { n.Time = "24:00" }, []string{"time:committee.time_invalid"}},
		{"time 9:30", func(n *NewSession) { n.Time = "9:30" }, []string{"time:committee.time_invalid"}},
		{"time 12:60", func(n *NewSession) { n.Time = "12:60" }, []string{"time:committee.time_invalid"}},
		{"time 2a:00", func(n *NewSession) { n.Time = "2a:00" }, []string{"time:committee.time_invalid"}},
		{"duplicate member", func(n *NewSession) { n.Members = append(n.Members, Member{UserID: "m1", Role: RoleMember}) }, []string{"members[8].user_id:duplicate"}},
		{"blank member", func(n *NewSession) { n.Members = append(n.Members, Member{UserID: " ", Role: RoleMember}) }, []string{"members[8].user_id:required"}},
		{"unknown role", func(n *NewSession) { n.Members = append(n.Members, Member{UserID: "x", Role: "guest"}) }, []string{"members[8].role:committee.role_invalid"}},
		{"two presidents", func(n *NewSession) { n.Members = append(n.Members, Member{UserID: "x", Role: RolePresident}) }, []string{"members:committee.one_president"}},
		{"two secretaries", func(n *NewSession) { n.Members = append(n.Members, Member{UserID: "x", Role: RoleSecretary}) }, []string{"members:committee.one_secretary"}},
		{"bad rules", func(n *NewSession) { n.Rules = Rules{} },
			[]string{"rules.quorum:invalid_choice", "rules.majority:invalid_choice", "rules.tie:invalid_choice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good
			in.Members = members()
			tt.change(&in)
			_, err := Plan(in)
			got := fieldCodes(err)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %s in %v", w, got)
				}
			}
		})
	}
}

func TestRulesValidate(t *testing.T) {
	bad := DefaultRules()
	bad.Clock.ConvocationClearDays = 31
	tests := []struct {
		name  string
		rules Rules
		want  []string
	}{
		{"default", DefaultRules(), nil},
		{"fixed 4", Rules{Quorum: QuorumFixed, QuorumFixed: 4, Majority: MajorityOfMembersPresent, Tie: TiePresidentDecides, Clock: legalclock.DefaultRules()}, nil},
		{"fixed 0", Rules{Quorum: QuorumFixed, Majority: MajorityOfVotesCast, Tie: TieRejects, Clock: legalclock.DefaultRules()}, []string{"quorum_fixed:out_of_range"}},
		{"clock", bad, []string{"clock.convocation_clear_days:out_of_range"}},
		{"zero", Rules{}, []string{"quorum:invalid_choice", "majority:invalid_choice", "tie:invalid_choice", "clock.review_months:out_of_range"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fieldCodes(tt.rules.Validate())
			if len(got) < len(tt.want) || (tt.want == nil && got != nil) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %s in %v", w, got)
				}
			}
		})
	}
}

func TestConvene(t *testing.T) {
	// 20 March 2026 with 5 clear days: the latest day is 14 March (15 to 19 March are the clear days).
	tests := []struct {
		name       string
		at         string
		urgent     bool
		motivation string
		want       error
		wantFields []string
		wantUrgent bool
	}{
		{"well ahead", "2026-03-01 08:00", false, "", nil, nil, false},
		{"last day, late evening", "2026-03-14 23:59", false, "", nil, nil, false},
		{"one day late", "2026-03-15 00:01", false, "", ErrConvocationLate, nil, false},
		{"late, urgent without motivation", "2026-03-17 10:00", true, "  ", nil, []string{"motivation:committee.urgent_motivation_required"}, false},
		{"late, urgent with motivation", "2026-03-17 10:00", true, "expulsion le 21 mars", nil, nil, true},
		{"urgent flag on time is not recorded as urgent", "2026-03-02 10:00", true, "x", nil, nil, false},
		{"the eve", "2026-03-19 18:00", true, "x", nil, nil, true},
		{"session day, urgent", "2026-03-20 08:00", true, "x", ErrConvocationAfterSession, nil, false},
		{"after the session", "2026-03-21 08:00", false, "", ErrConvocationAfterSession, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := planned(t, DefaultRules())
			day, hm := tt.at[:10], tt.at[11:]
			err := s.Convene(brussels(day, hm), tt.urgent, tt.motivation)
			switch {
			case tt.wantFields != nil:
				if got := fieldCodes(err); !slices.Equal(got, tt.wantFields) {
					t.Fatalf("fields %v, want %v (err %v)", got, tt.wantFields, err)
				}
			case tt.want != nil:
				if !errors.Is(err, tt.want) {
					t.Fatalf("err %v, want %v", err, tt.want)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				c, ok := s.Convocation()
				if !ok || c.Urgent != tt.wantUrgent || c.Latest != civil.MustParse("2026-03-14") || c.SentOn.String() != day {
					t.Fatalf("convocation %+v", c)
				}
				if !c.Urgent && c.Motivation != "" {
					t.Fatalf("motivation kept on a timely convocation: %q", c.Motivation)
				}
				return
			}
			if s.Status() != Planned {
				t.Fatalf("status %s after a refusal", s.Status())
			}
		})
	}
	t.Run("clear days from the rules", func(t *testing.T) {
		r := DefaultRules()
		r.Clock.ConvocationClearDays = 10
		s := planned(t, r)
		if err := s.Convene(brussels("2026-03-10", "09:00"), false, ""); !errors.Is(err, ErrConvocationLate) {
			t.Fatalf("err %v, want late with 10 clear days", err)
		}
		must(t, s.Convene(brussels("2026-03-09", "09:00"), false, ""))
	})
	t.Run("no time", func(t *testing.T) {
		s := planned(t, DefaultRules())
		if got := fieldCodes(s.Convene(time.Time{}, false, "")); !slices.Equal(got, []string{"sent_at:required"}) {
			t.Fatalf("fields %v", got)
		}
	})
}

func TestAgenda(t *testing.T) {
	notValidated := proposal("x")
	notValidated.ValidatedBy = ""
	noDate := proposal("x")
	noDate.ValidatedAt = time.Time{}
	badTerms := proposal("x")
	badTerms.Terms = Terms{Category: 9, MonthlyAmount: 0, Start: civil.MustParse("2026-03-01"), End: civil.MustParse("2026-03-01")}
	noEnd := proposal("x")
	noEnd.Terms.Review = civil.Date{}
	reviewBefore := proposal("x")
	reviewBefore.Terms.Review = civil.MustParse("2026-01-01")
	aide := proposal("x")
	aide.Kind = legalclock.AideSociale
	aide.Terms.Category = 0
	aide.Terms.MonthlyAmount = 0
	aideWithCategory := aide
	aideWithCategory.Terms.Category = 2
	negative := aide
	negative.Terms.MonthlyAmount = -1
	noRefs := proposal("")
	noRefs.PersonRef, noRefs.FileRef, noRefs.Kind = "", "", "loan"
	tests := []struct {
		name   string
		p      Proposal
		want   error
		fields []string
	}{
		{"validated", proposal("x"), nil, nil},
		{"aide sociale without category nor amount", aide, nil, nil},
		{"not validated", notValidated, ErrNotValidated, nil},
		{"validated without a date", noDate, ErrNotValidated, nil},
		{"duplicate", proposal("a"), ErrAlreadyOnAgenda, nil},
		{"bad terms", badTerms, nil, []string{"terms.category:committee.category_invalid", "terms.monthly_amount_cents:committee.amount_required",
			"terms.end:committee.date_before_start", "terms.motivation_ref:required"}},
		{"no end nor review", noEnd, nil, []string{"terms.end:committee.end_or_review_required"}},
		{"review before start", reviewBefore, nil, []string{"terms.review:committee.date_before_start"}},
		{"aide sociale with a category", aideWithCategory, nil, []string{"terms.category:committee.category_invalid"}},
		{"negative amount", negative, nil, []string{"terms.monthly_amount_cents:committee.amount_required"}},
		{"no refs", noRefs, nil, []string{"ref:required", "person_ref:required", "file_ref:required", "kind:invalid_choice", "terms.category:committee.category_invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := planned(t, DefaultRules())
			must(t, s.AddProposal(proposal("a")))
			err := s.AddProposal(tt.p)
			switch {
			case tt.fields != nil:
				if got := fieldCodes(err); !slices.Equal(got, tt.fields) {
					t.Fatalf("fields %v, want %v", got, tt.fields)
				}
			case tt.want != nil:
				if !errors.Is(err, tt.want) {
					t.Fatalf("err %v, want %v", err, tt.want)
				}
			default:
				must(t, err)
				if it, ok := s.Item(tt.p.Ref); !ok || it.Number != 2 || it.Kind != ItemProposal {
					t.Fatalf("item %+v", it)
				}
				return
			}
			if len(s.Items()) != 1 {
				t.Fatalf("a refused proposal was added: %d items", len(s.Items()))
			}
		})
	}
	t.Run("remove renumbers", func(t *testing.T) {
		s := inStatus(t, Convened)
		must(t, s.RemoveItem("a"))
		if err := s.RemoveItem("a"); !errors.Is(err, ErrNotOnAgenda) {
			t.Fatalf("err %v", err)
		}
		items := s.Items()
		if len(items) != 2 || items[0].Ref != "b" || items[0].Number != 1 || items[1].Number != 2 {
			t.Fatalf("items %+v", items)
		}
		must(t, s.AddProposal(proposal("a")))
		if it, _ := s.Item("a"); it.Number != 3 {
			t.Fatalf("re-added as %d", it.Number)
		}
		if it, _ := s.Item("c"); it.Number != 2 {
			t.Fatalf("c is %d", it.Number)
		}
	})
}

func TestOpen(t *testing.T) {
	t.Run("attendance missing", func(t *testing.T) {
		s := inStatus(t, Convened)
		a := attendance(voters...)
		delete(a, "m3")
		a["m4"] = "late"
		got := fieldCodes(s.Open(openedAt, a))
		if !slices.Equal(got, []string{"attendance[3]:committee.attendance_missing", "attendance[4]:committee.attendance_missing"}) {
			t.Fatalf("fields %v", got)
		}
		if s.Status() != Convened {
			t.Fatal("opened")
		}
	})
	t.Run("not a member", func(t *testing.T) {
		s := inStatus(t, Convened)
		a := attendance(voters...)
		a["stranger"] = Present
		if err := s.Open(openedAt, a); !errors.Is(err, ErrNotMember) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("recorded", func(t *testing.T) {
		s := inStatus(t, Convened)
		a := attendance("p", "m1", "m2", "m3")
		a["m6"] = Absent
		must(t, s.Open(openedAt, a))
		want := map[string]AttendanceRecord{"p": {"p", Present, true}, "m4": {"m4", Excused, false}, "m6": {"m6", Absent, false}, "sec": {"sec", Present, true}}
		for _, r := range s.Attendance() {
			if w, ok := want[r.UserID]; ok && r != w {
				t.Errorf("%+v, want %+v", r, w)
			}
		}
		if q := s.QuorumNow(); q != (Quorum{Voting: 7, Present: 4, Required: 4, Reached: true}) {
			t.Fatalf("quorum %+v", q)
		}
	})
}

func TestArriveLeave(t *testing.T) {
	s := opened(t, DefaultRules(), "p", "m1", "m2")
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"stranger arrives", func() error { return s.Arrive("x", votedAt) }, ErrNotMember},
		{"present arrives", func() error { return s.Arrive("m1", votedAt) }, ErrAlreadyPresent},
		{"excused arrives late", func() error { return s.Arrive("m3", votedAt) }, nil},
		{"absent leaves", func() error { return s.Leave("m4", votedAt) }, ErrNotPresent},
		{"stranger leaves", func() error { return s.Leave("x", votedAt) }, ErrNotMember},
		{"present leaves", func() error { return s.Leave("m1", closedAt) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
		})
	}
	want := []Movement{{"m3", true, votedAt}, {"m1", false, closedAt}}
	if got := s.State().Movements; !slices.Equal(got, want) {
		t.Fatalf("movements %+v", got)
	}
}

func TestClose(t *testing.T) {
	t.Run("only the secretary", func(t *testing.T) {
		s := opened(t, DefaultRules(), voters...)
		for _, by := range []string{"p", "m1", "x"} {
			if err := s.Close(by, closedAt); !errors.Is(err, ErrNotSecretary) {
				t.Fatalf("%s: err %v", by, err)
			}
		}
	})
	t.Run("undecided items are postponed automatically", func(t *testing.T) {
		s := opened(t, DefaultRules(), voters...)
		vote(t, s, "a", Secret, map[string]Choice{"p": For, "m1": For})
		must(t, s.Adopt("a", votedAt))
		must(t, s.StartVote("b", Secret, votedAt)) // opened, no ballot
		must(t, s.Close("sec", closedAt))
		for ref, want := range map[string]Outcome{"a": Approved, "b": Postponed, "c": Postponed} {
			it, _ := s.Item(ref)
			if it.Outcome != want || it.PostponedAtClose != (want == Postponed) {
				t.Errorf("%s: %s at close %v", ref, it.Outcome, it.PostponedAtClose)
			}
			if want == Postponed && it.Vote != nil {
				t.Errorf("%s keeps an empty vote", ref)
			}
		}
	})
	t.Run("vote in progress refuses", func(t *testing.T) {
		s := opened(t, DefaultRules(), voters...)
		vote(t, s, "a", Secret, map[string]Choice{"p": For})
		if err := s.Close("sec", closedAt); !errors.Is(err, ErrVoteInProgress) {
			t.Fatalf("err %v", err)
		}
		if err := s.Postpone("a", "", closedAt); !errors.Is(err, ErrVoteInProgress) {
			t.Fatalf("postpone: err %v", err)
		}
	})
	t.Run("vote voided by a lost quorum is postponed", func(t *testing.T) {
		s := opened(t, DefaultRules(), "p", "m1", "m2", "m3")
		vote(t, s, "a", Secret, map[string]Choice{"p": For})
		must(t, s.Leave("m3", votedAt))
		must(t, s.Close("sec", closedAt))
		if it, _ := s.Item("a"); it.Outcome != Postponed || it.Vote != nil {
			t.Fatalf("item %+v", it)
		}
	})
	t.Run("minutes signed by the president only", func(t *testing.T) {
		s := inStatus(t, Closed)
		for _, by := range []string{"sec", "m1", "x"} {
			if err := s.ApproveMinutes(by, signedAt); !errors.Is(err, ErrNotPresident) {
				t.Fatalf("%s: err %v", by, err)
			}
		}
		must(t, s.ApproveMinutes("p", signedAt))
		if so, ok := s.SignOff(); !ok || so != (SignOff{By: "p", At: signedAt}) {
			t.Fatalf("sign-off %+v", so)
		}
	})
}

func TestStateRoundTrip(t *testing.T) {
	s := opened(t, DefaultRules(), voters...)
	vote(t, s, "a", ShowOfHands, map[string]Choice{"p": For, "m1": Against, "m2": Abstain})
	must(t, s.DeclareConflict("b", "m4"))
	b, err := json.Marshal(s.State())
	must(t, err)
	var st State
	must(t, json.Unmarshal(b, &st))
	r, err := FromState(st)
	must(t, err)
	// The copy carries on: nobody votes twice, the conflict holds, the item index works.
	if err := r.CastVote("a", "m1", For); !errors.Is(err, ErrAlreadyVoted) {
		t.Fatalf("err %v", err)
	}
	must(t, r.CastVote("a", "m3", For))
	must(t, r.Adopt("a", votedAt))
	if err := r.StartVote("b", Secret, votedAt); err != nil {
		t.Fatal(err)
	}
	if err := r.CastVote("b", "m4", For); !errors.Is(err, ErrConflictOfInterest) {
		t.Fatalf("err %v", err)
	}
	// State is a copy: changing it does not change the session.
	st2 := r.State()
	st2.Items[0].Vote.For = 99
	st2.Members[0].Role = RoleSecretary
	if it, _ := r.Item("a"); it.Vote.For != 2 {
		t.Fatalf("for %d", it.Vote.For)
	}
	if role, _ := r.RoleOf("p"); role != RolePresident {
		t.Fatal("members shared")
	}
	st.Status = "lost"
	if got := fieldCodes(func() error { _, err := FromState(st); return err }()); !slices.Equal(got, []string{"status:invalid_choice"}) {
		t.Fatalf("fields %v", got)
	}
	st.Status, st.Tenant = Opened, ""
	if _, err := FromState(st); problem.As(err).Type != problem.Validation {
		t.Fatalf("err %v", err)
	}
}

func TestSessionOpensOnItsDayNotBefore(t *testing.T) {
	s := planned(t, DefaultRules())
	day := s.Date()
	must(t, s.Convene(brussels(day.AddDays(-10).String(), "09:00"), false, ""))
	att := attendance(voters...)
	if err := s.Open(brussels(day.AddDays(-1).String(), "18:00"), att); !errors.Is(err, ErrOpenedBeforeDay) {
		t.Fatalf("opened the day before: %v", err)
	}
	if s.Status() != Convened {
		t.Fatalf("status changed by a refused opening: %s", s.Status())
	}
	must(t, s.Open(brussels(day.String(), "18:00"), att))
}
