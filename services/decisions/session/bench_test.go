package session

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/decisions/committee"
	"github.com/entraide/entraide/services/decisions/letter"
)

// runSession300 runs a large CPAS's session through the service layer, persisted in FerretDB: 300 validated
// proposals put on the agenda one by one, the opening with everybody present, then per item a vote (secret ballot
// cast by each voting member, or a show of hands recorded by the secretary) and its outcome — every 7th rejected,
// every 13th amended, every 25th postponed — each outcome handed over to the decisions; the closing, the sign-off,
// the minutes (HTML and PDF) and the extracts of the 288 items decided (HTML and PDF).
func runSession300(tb testing.TB, f *fixture, day string) { runSession(tb, f, day, 300) }

// runSession runs a session of n items (n a multiple of 25 keeps the proportions of the 300).
func runSession(tb testing.TB, f *fixture, day string, n int) {
	ctx := context.Background()
	s := f.svc
	f.now = brussels("2026-03-02 09:00")
	rec := f.plan(tb, day)
	id := rec.ID
	rec = must(s.Convene(ctx, f.secretary, id, rec.Version, false, ""))(tb)
	refs := make([]string, n)
	for i := range refs {
		refs[i] = uuid.NewString()
		f.proposal(refs[i])
		rec = must(s.AddItem(ctx, f.secretary, id, rec.Version, ItemInput{Kind: committee.ItemProposal, Ref: refs[i]}))(tb)
	}
	att := map[string]committee.Attendance{f.president.UserID: committee.Present, f.secretary.UserID: committee.Present}
	voters := []string{f.president.UserID}
	for _, m := range f.members {
		att[m.UserID] = committee.Present
		voters = append(voters, m.UserID)
	}
	f.now = civil.MustParse(day).Start().Add(14 * 3600e9)
	rec = must(s.Open(ctx, f.secretary, id, rec.Version, att))(tb)
	for i, ref := range refs {
		if i%25 == 24 {
			must(s.Outcome(ctx, f.secretary, id, ref, OutcomeInput{Outcome: committee.Postponed, Reason: "pièce manquante"}))(tb)
			continue
		}
		mode := committee.Secret
		if i%2 == 0 {
			mode = committee.ShowOfHands
		}
		must(s.StartVote(ctx, f.secretary, id, ref, mode))(tb)
		reject := i%7 == 0
		for j, uid := range voters {
			c := committee.For
			if reject && j > 0 {
				c = committee.Against
			} else if j == len(voters)-1 {
				c = committee.Abstain
			}
			if mode == committee.ShowOfHands {
				must(s.Ballot(ctx, f.secretary, id, ref, BallotInput{UserID: uid, Choice: c}))(tb)
			} else {
				a := f.president
				for _, m := range f.members {
					if m.UserID == uid {
						a = m
					}
				}
				must(s.Ballot(ctx, a, id, ref, BallotInput{Choice: c}))(tb)
			}
		}
		switch {
		case reject:
			must(s.Outcome(ctx, f.secretary, id, ref, OutcomeInput{Outcome: committee.Rejected}))(tb)
		case i%13 == 0:
			nt := f.props.validated[ref].Terms
			nt.MonthlyAmount = 100000
			must(s.Outcome(ctx, f.secretary, id, ref, OutcomeInput{Outcome: committee.Amended, NewTerms: &nt, AmendmentMotivationRef: "ressources du ménage"}))(tb)
		default:
			must(s.Outcome(ctx, f.secretary, id, ref, OutcomeInput{Outcome: committee.Approved}))(tb)
		}
	}
	rec = must(s.Repo.Load(ctx, f.secretary.Tenant, id))(tb)
	rec = must(s.Close(ctx, f.secretary, id, rec.Version))(tb)
	if len(rec.State.PendingOutcomes) != 0 {
		tb.Fatalf("%d outcomes pending", len(rec.State.PendingOutcomes))
	}
	must(s.ApproveMinutes(ctx, f.president, id, rec.Version))(tb)
	m := must(s.Minutes(ctx, f.secretary, id, "decision_preparation"))(tb)
	if err := m.HTML(io.Discard); err != nil {
		tb.Fatal(err)
	}
	if err := m.PDF(io.Discard, letter.PDFOptions{}); err != nil {
		tb.Fatal(err)
	}
	exs := must(s.Extracts(ctx, f.secretary, id, "decision_preparation"))(tb)
	if len(exs) != n-n/25 {
		tb.Fatalf("%d extracts", len(exs))
	}
	for _, e := range exs {
		if err := e.HTML(io.Discard); err != nil {
			tb.Fatal(err)
		}
		if err := e.PDF(io.Discard, letter.PDFOptions{}); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkSession300Persisted: issue 4's benchmark through the service layer on FerretDB (embedded, the test
// engine): a 300-item session from the agenda and the opening to the minutes and 288 extracts (HTML and PDF),
// every change persisted as the API makes it. Run:
//
//	go test ./session -run '^$' -bench Session300Persisted -benchtime 3x -benchmem
func BenchmarkSession300Persisted(b *testing.B) {
	f := newFixture(b)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		runSession300(b, f, fmt.Sprintf("2026-%02d-20", 3+n%9))
	}
}

// TestSessionPersisted50 runs runSession with 50 items (the benchmark's path, kept fast).
func TestSessionPersisted50(t *testing.T) {
	runSession(t, newFixture(t), "2026-04-20", 50)
}
