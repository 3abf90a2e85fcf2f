package committee

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/decisions/legalclock"
)

var urgentAt = brussels("2026-03-05", "11:00")

func urgent(t *testing.T) *UrgentDecision {
	t.Helper()
	u, err := DecideUrgently(NewUrgentDecision{ID: "u1", Tenant: "t1", President: "p", PersonRef: "person-u", FileRef: "file-u",
		Kind: legalclock.AideSociale, Terms: Terms{MonthlyAmount: 25000, Start: civil.MustParse("2026-03-05"),
			End: civil.MustParse("2026-03-31"), MotivationRef: "mot-u"}, Motivation: "coupure d'énergie imminente", DecidedAt: urgentAt})
	must(t, err)
	return u
}

func TestDecideUrgentlyValidation(t *testing.T) {
	_, err := DecideUrgently(NewUrgentDecision{Kind: "loan", Motivation: "  "})
	got := fieldCodes(err)
	for _, w := range []string{"id:required", "tenant:required", "president:required", "person_ref:required", "file_ref:required",
		"motivation:required", "kind:invalid_choice", "terms.start:required", "terms.end:committee.end_or_review_required", "decided_at:required"} {
		if !slices.Contains(got, w) {
			t.Errorf("missing %s in %v", w, got)
		}
	}
	u := urgent(t)
	if !u.NeedsRatification() || u.NotRatified() || u.Ratification() != AwaitingRatification || u.ID() != "u1" {
		t.Fatalf("new urgent decision %+v", u.State())
	}
}

// session runs a session of tenant opened at openAt with the urgent decision on its agenda (when onAgenda) and
// decides it with outcome ("" leaves it to the closing's postponement).
func sessionWith(t *testing.T, id string, u *UrgentDecision, onAgenda bool, outcome Outcome, openAt time.Time) *Session {
	t.Helper()
	s, err := Plan(NewSession{ID: id, Tenant: "t1", Date: civil.Of(openAt), Time: "14:00", Place: "Salle", Members: members(), Rules: DefaultRules()})
	must(t, err)
	must(t, s.Convene(openAt.AddDate(0, 0, -10), false, ""))
	must(t, s.AddProposal(proposal("a")))
	if onAgenda {
		must(t, s.AddRatification(u))
	}
	must(t, s.Open(openAt, attendance(voters...)))
	switch outcome {
	case Approved:
		vote(t, s, "u1", ShowOfHands, map[string]Choice{"p": For, "m1": For})
		must(t, s.Adopt("u1", openAt))
	case Amended:
		vote(t, s, "u1", ShowOfHands, map[string]Choice{"p": For, "m1": For})
		nt := u.State().Terms
		nt.MonthlyAmount = 20000
		must(t, s.Amend("u1", nt, "mot-ratif", openAt))
	case Rejected:
		vote(t, s, "u1", ShowOfHands, map[string]Choice{"p": Against, "m1": For, "m2": Against})
		must(t, s.Reject("u1", openAt))
	case Postponed:
		must(t, s.Postpone("u1", "dossier incomplet", openAt))
	}
	must(t, s.Close("sec", openAt.Add(time.Hour)))
	return s
}

func TestRatification(t *testing.T) {
	next := brussels("2026-03-20", "14:00")
	tests := []struct {
		name        string
		onAgenda    bool
		outcome     Outcome
		want        Ratification
		notRatified bool
	}{
		{"ratified", true, Approved, Ratified, false},
		{"ratified with amendment", true, Amended, Ratified, false},
		{"refused", true, Rejected, RatificationRefused, false},
		{"postponed", true, Postponed, AwaitingRatification, true},
		{"left undecided at closing", true, "", AwaitingRatification, true},
		{"forgotten", false, "", AwaitingRatification, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := urgent(t)
			s := sessionWith(t, "s-next", u, tt.onAgenda, tt.outcome, next)
			if tt.onAgenda {
				it, _ := s.Item("u1")
				if it.Kind != ItemRatification || !it.UrgentDecidedAt.Equal(urgentAt) || it.ValidatedBy != "p" || it.Aid != legalclock.AideSociale {
					t.Fatalf("ratification item %+v", it)
				}
			}
			u.ApplySession(s)
			u.ApplySession(s) // twice changes nothing
			st := u.State()
			if u.Ratification() != tt.want || u.NotRatified() != tt.notRatified || u.NeedsRatification() != (tt.want == AwaitingRatification) {
				t.Fatalf("state %+v", st)
			}
			if tt.notRatified && !slices.Equal(st.MissedSessions, []string{"s-next"}) {
				t.Fatalf("missed %v", st.MissedSessions)
			}
			if !tt.notRatified && st.RatifiedIn != "s-next" {
				t.Fatalf("ratified in %q", st.RatifiedIn)
			}
			if !u.NeedsRatification() {
				if err := inStatus(t, Planned).AddRatification(u); !errors.Is(err, ErrNoRatificationNeeded) {
					t.Fatalf("err %v", err)
				}
			}
		})
	}
	t.Run("a later session ratifies a flagged one", func(t *testing.T) {
		u := urgent(t)
		u.ApplySession(sessionWith(t, "s-next", u, false, "", next))
		u.ApplySession(sessionWith(t, "s-after", u, true, Approved, brussels("2026-04-17", "14:00")))
		if u.Ratification() != Ratified || u.NotRatified() || u.State().RatifiedIn != "s-after" {
			t.Fatalf("state %+v", u.State())
		}
	})
	t.Run("sessions that do not count", func(t *testing.T) {
		u := urgent(t)
		before := sessionWith(t, "s-before", u, false, "", brussels("2026-03-05", "09:00")) // opened before the decision
		u.ApplySession(before)
		open := inStatus(t, Opened) // not closed
		u.ApplySession(open)
		other, err := Plan(NewSession{ID: "s-other", Tenant: "t2", Date: sessionDay, Time: "14:00", Place: "Salle", Members: members(), Rules: DefaultRules()})
		must(t, err)
		must(t, other.Convene(convokedAt, false, ""))
		must(t, other.Open(openedAt, attendance(voters...)))
		must(t, other.Close("sec", closedAt))
		u.ApplySession(other)
		if !u.NeedsRatification() || u.NotRatified() {
			t.Fatalf("state %+v", u.State())
		}
		if err := other.RemoveItem("x"); !errors.Is(err, ErrAgendaClosed) {
			t.Fatalf("err %v", err)
		}
		p2, _ := Plan(NewSession{ID: "s-other2", Tenant: "t2", Date: sessionDay, Time: "14:00", Place: "Salle", Members: members(), Rules: DefaultRules()})
		if err := p2.AddRatification(u); !errors.Is(err, ErrOtherTenant) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("state round trip", func(t *testing.T) {
		u := urgent(t)
		u.ApplySession(sessionWith(t, "s-next", u, false, "", next))
		r, err := UrgentFromState(u.State())
		must(t, err)
		if !r.NotRatified() {
			t.Fatal("flag lost")
		}
		st := u.State()
		st.Ratification = "maybe"
		if _, err := UrgentFromState(st); fieldCodes(err) == nil {
			t.Fatalf("err %v", err)
		}
	})
}
