package committee

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/ris"
)

// The fixture's session: Friday 20 March 2026 at 14:00, president "p", members "m1".."m6" (7 voting), secretary
// "sec". With 5 clear days the convocation leaves on 14 March at the latest.
var (
	sessionDay = civil.MustParse("2026-03-20")
	voters     = []string{"p", "m1", "m2", "m3", "m4", "m5", "m6"}
)

func brussels(day string, hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hhmm, civil.Brussels)
	if err != nil {
		panic(err)
	}
	return t
}

var (
	convokedAt = brussels("2026-03-10", "09:00")
	openedAt   = brussels("2026-03-20", "14:05")
	votedAt    = brussels("2026-03-20", "15:00")
	closedAt   = brussels("2026-03-20", "17:00")
	signedAt   = brussels("2026-04-17", "14:10")
)

func members() []Member {
	ms := []Member{{UserID: "p", Role: RolePresident}}
	for _, id := range voters[1:] {
		ms = append(ms, Member{UserID: id, Role: RoleMember})
	}
	return append(ms, Member{UserID: "sec", Role: RoleSecretary})
}

func planned(t testing.TB, rules Rules) *Session {
	t.Helper()
	s, err := Plan(NewSession{ID: "s1", Tenant: "t1", Date: sessionDay, Time: "14:00", Place: "Salle du conseil",
		Members: members(), Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func terms(amount ris.Cents) Terms {
	return Terms{Category: ris.Isole, MonthlyAmount: amount, Start: civil.MustParse("2026-02-10"),
		Review: civil.MustParse("2027-02-10"), PIIS: true, MotivationRef: "mot-1"}
}

func proposal(ref string) Proposal {
	return Proposal{Ref: ref, PersonRef: "person-" + ref, FileRef: "file-" + ref, Kind: legalclock.RIS,
		Terms: terms(131420), ValidatedBy: "head", ValidatedAt: brussels("2026-03-01", "10:00")}
}

// opened returns a session with items "a", "b", "c", opened with present (the others excused) and the secretary
// present.
func opened(t testing.TB, rules Rules, present ...string) *Session {
	t.Helper()
	s := planned(t, rules)
	must(t, s.Convene(convokedAt, false, ""))
	for _, ref := range []string{"a", "b", "c"} {
		must(t, s.AddProposal(proposal(ref)))
	}
	must(t, s.Open(openedAt, attendance(present...)))
	return s
}

func attendance(present ...string) map[string]Attendance {
	a := map[string]Attendance{"sec": Present}
	for _, id := range voters {
		a[id] = Excused
	}
	for _, id := range present {
		a[id] = Present
	}
	return a
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// vote opens the vote on ref by show of hands and casts the ballots given as user → choice.
func vote(t testing.TB, s *Session, ref string, mode VoteMode, ballots map[string]Choice) {
	t.Helper()
	must(t, s.StartVote(ref, mode, votedAt))
	for _, id := range voters {
		if c, ok := ballots[id]; ok {
			must(t, s.CastVote(ref, id, c))
		}
	}
}

// fieldCodes returns "field:code" for each field error of err, or nil when err is no validation problem.
func fieldCodes(err error) []string {
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Type != problem.Validation {
		return nil
	}
	var out []string
	for _, f := range pe.Fields {
		out = append(out, fmt.Sprintf("%s:%s", f.Field, f.Code))
	}
	return out
}
