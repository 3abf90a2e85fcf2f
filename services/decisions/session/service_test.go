package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/decisions/committee"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
	"github.com/entraide/entraide/services/decisions/letter"
	"github.com/entraide/entraide/services/decisions/projection"
	"github.com/entraide/entraide/services/decisions/ris"
	"github.com/entraide/entraide/services/decisions/settings"
	"github.com/entraide/entraide/services/decisions/urgent"
)

// fakeProposals stands for the proposal package (slice A): validated proposals by id, their agenda marks.
type fakeProposals struct {
	mu        sync.Mutex
	validated map[string]committee.Proposal
	scheduled map[string]string
	rejected  map[string]string
}

func newFakeProposals() *fakeProposals {
	return &fakeProposals{validated: map[string]committee.Proposal{}, scheduled: map[string]string{}, rejected: map[string]string{}}
}

func (f *fakeProposals) add(p committee.Proposal) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.validated[p.Ref] = p
}

func (f *fakeProposals) AgendaProposal(_ context.Context, _ string, id string) (committee.Proposal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.validated[id]
	if !ok {
		return p, kit.ErrNotFound
	}
	return p, nil
}

func (f *fakeProposals) Scheduled(_ context.Context, _ string, id, session string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scheduled[id] = session
	return nil
}

func (f *fakeProposals) CommitteeRejected(_ context.Context, _ string, id, session string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejected[id] = session
	return nil
}

// fakeOutcomes stands for the decision package (slice C): it records each item decided once, and fails while
// failing is set.
type fakeOutcomes struct {
	mu      sync.Mutex
	failing bool
	items   map[string]committee.Item
	urgent  map[string]committee.UrgentState
}

func newFakeOutcomes() *fakeOutcomes {
	return &fakeOutcomes{items: map[string]committee.Item{}, urgent: map[string]committee.UrgentState{}}
}

func (f *fakeOutcomes) ItemDecided(_ context.Context, _ string, session string, _ civil.Date, it committee.Item) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing {
		return errors.New("decisions unavailable")
	}
	f.items[session+"/"+it.Ref] = it
	return nil
}

func (f *fakeOutcomes) UrgentDecided(_ context.Context, _ string, u committee.UrgentState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing {
		return errors.New("decisions unavailable")
	}
	f.urgent[u.ID] = u
	return nil
}

type fixture struct {
	svc       *Service
	db        *mongo.Database
	props     *fakeProposals
	outcomes  *fakeOutcomes
	urgent    *urgent.Service
	now       time.Time
	secretary kit.Actor
	president kit.Actor
	members   []kit.Actor
}

func brussels(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, civil.Brussels)
	if err != nil {
		panic(err)
	}
	return t
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	db := testkit.Database(tb)
	ctx := context.Background()
	if err := EnsureIndexes(ctx, db); err != nil {
		tb.Fatal(err)
	}
	if err := urgent.EnsureIndexes(ctx, db); err != nil {
		tb.Fatal(err)
	}
	st := settings.NewStore(db, legalclock.DefaultRules())
	f := &fixture{db: db, props: newFakeProposals(), outcomes: newFakeOutcomes(), now: brussels("2026-03-02 09:00")}
	au := kit.NewAuditor(nil, nil)
	f.urgent = urgent.NewService(db, au, nil)
	f.urgent.Outcomes = f.outcomes
	f.urgent.Now = func() time.Time { return f.now }
	f.svc = &Service{Repo: NewRepository(db, nil), Rules: NewRulesStore(db, st), Settings: st, Proj: projection.NewRepository(db),
		Audit: au, Proposals: f.props, Outcomes: f.outcomes, Ratifications: f.urgent, Now: func() time.Time { return f.now }}
	tenant := "t-" + uuid.NewString()[:8]
	actor := func(role string) kit.Actor {
		return kit.Actor{UserID: uuid.NewString(), Tenant: tenant, Roles: []string{role}}
	}
	f.secretary, f.president = actor(committee.TokenCommitteeSecretary), actor(committee.TokenPresident)
	for range 4 {
		f.members = append(f.members, actor(committee.TokenCommitteeMember))
	}
	return f
}

func (f *fixture) plan(tb testing.TB, day string) Record {
	tb.Helper()
	in := PlanInput{Date: civil.MustParse(day), Time: "14:00", Place: "Salle du conseil",
		Members: []Member{{UserID: f.president.UserID, Role: committee.RolePresident, Name: "Paula Président"},
			{UserID: f.secretary.UserID, Role: committee.RoleSecretary, Name: "Serge Secrétaire"}}}
	for i, m := range f.members {
		in.Members = append(in.Members, Member{UserID: m.UserID, Role: committee.RoleMember, Name: fmt.Sprintf("Membre %d", i+1)})
	}
	rec, err := f.svc.Plan(context.Background(), f.secretary, in)
	if err != nil {
		tb.Fatal(err)
	}
	return rec
}

func (f *fixture) proposal(ref string) committee.Proposal {
	p := committee.Proposal{Ref: ref, PersonRef: uuid.NewString(), FileRef: uuid.NewString(), Kind: legalclock.RIS,
		Terms: committee.Terms{Category: ris.Isole, MonthlyAmount: 131420, Start: civil.MustParse("2026-02-10"),
			Review: civil.MustParse("2027-02-10"), PIIS: true, MotivationRef: ref},
		ValidatedBy: uuid.NewString(), ValidatedAt: brussels("2026-03-01 10:00")}
	f.props.add(p)
	return p
}

// must fails the test on err, else returns v: must(f())(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(tb testing.TB) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

func code(err error) string {
	var pe *problem.Error
	if errors.As(err, &pe) {
		if c, ok := pe.Extra["code"].(string); ok {
			return c
		}
		if pe.Detail != "" {
			return pe.Detail
		}
		if len(pe.Fields) > 0 {
			return pe.Fields[0].Field + ":" + pe.Fields[0].Code
		}
		return pe.Type.Slug
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// TestSessionFromAgendaToMinutes runs a session through the service on FerretDB: planning, convocation (late
// refused unless urgent), agenda of proposals and a ratification, opening with attendance, a quorum lost and
// regained, votes in both modes, the four outcomes, the closing with its event, the hand-over of every outcome
// (the decisions, the proposals' status, the urgent decision ratified), the sign-off, the minutes and extracts.
func TestSessionFromAgendaToMinutes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s := f.svc
	rec := f.plan(t, "2026-03-20")
	id := rec.ID
	if rec.Version != 1 || rec.State.Session.Status != committee.Planned || len(rec.State.MemberIDs) != 6 {
		t.Fatalf("planned %+v", rec.State)
	}

	// The urgent decision of the president, before the session.
	reqID := uuid.NewString()
	if _, err := f.db.Collection("requests").InsertOne(ctx, bson.D{{Key: "_id", Value: reqID}, {Key: "tenant", Value: f.president.Tenant},
		{Key: "version", Value: int64(1)}, {Key: "number", Value: "R2026/000007"}, {Key: "person_id", Value: uuid.NewString()},
		{Key: "file_id", Value: uuid.NewString()}, {Key: "kind", Value: "aide_sociale"}, {Key: "status", Value: "in_inquiry"}}); err != nil {
		t.Fatal(err)
	}
	u := must(f.urgent.Decide(ctx, f.president, urgent.Input{RequestNumber: "R2026/000007", MonthlyAmount: 25000,
		Start: civil.MustParse("2026-03-02"), End: civil.MustParse("2026-03-31"), Motivation: "coupure d'énergie imminente"}))(t)
	if u.State.EffectPending || f.outcomes.urgent[u.ID].ID != u.ID {
		t.Fatalf("urgent decision not in force: %+v", u.State)
	}

	// Convened today (2 March) for 20 March: in time (latest 14 March).
	rec = must(s.Convene(ctx, f.secretary, id, rec.Version, false, ""))(t)
	if rec.State.Session.Convocation.Latest != civil.MustParse("2026-03-14") {
		t.Fatalf("convocation %+v", rec.State.Session.Convocation)
	}
	refs := []string{uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()}
	for _, ref := range refs {
		f.proposal(ref)
		rec = must(s.AddItem(ctx, f.secretary, id, rec.Version, ItemInput{Kind: committee.ItemProposal, Ref: ref}))(t)
		if f.props.scheduled[ref] != id {
			t.Fatalf("proposal %s not scheduled", ref)
		}
	}
	rec = must(s.AddItem(ctx, f.secretary, id, rec.Version, ItemInput{Kind: committee.ItemRatification, Ref: u.ID}))(t)
	if _, err := s.AddItem(ctx, f.secretary, id, rec.Version, ItemInput{Kind: committee.ItemProposal, Ref: uuid.NewString()}); code(err) != "ref:session.unknown_proposal" {
		t.Fatalf("unknown proposal: %v", err)
	}
	if _, err := s.AddItem(ctx, f.secretary, id, rec.Version-1, ItemInput{Kind: committee.ItemProposal, Ref: refs[0]}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale version: %v", err)
	}

	// Members see the convened session; a stranger does not.
	stranger := kit.Actor{UserID: uuid.NewString(), Tenant: f.secretary.Tenant, Roles: []string{committee.TokenCommitteeMember}}
	if _, err := s.Get(ctx, stranger, id, "decision_preparation"); !errors.Is(err, kit.ErrNotFound) {
		t.Fatalf("stranger reads the session: %v", err)
	}
	mine := must(s.List(ctx, f.members[0], true, "decision_preparation"))(t)
	if len(mine) != 1 || mine[0].ID != id {
		t.Fatalf("member's sessions: %d", len(mine))
	}

	// Opening: president, members 1-2 present (3 of 5 voting), member 3 excused, member 4 absent.
	f.now = brussels("2026-03-20 14:05")
	att := map[string]committee.Attendance{f.president.UserID: committee.Present, f.secretary.UserID: committee.Present,
		f.members[0].UserID: committee.Present, f.members[1].UserID: committee.Present,
		f.members[2].UserID: committee.Excused, f.members[3].UserID: committee.Absent}
	rec = must(s.Open(ctx, f.secretary, id, rec.Version, att))(t)

	// Member 2 leaves: 2 of 5, no quorum: no vote, no adoption; postponing stays possible.
	must(s.Move(ctx, f.secretary, id, f.members[1].UserID, false))(t)
	if _, err := s.StartVote(ctx, f.secretary, id, refs[0], committee.ShowOfHands); code(err) != "committee.no_quorum" {
		t.Fatalf("vote without quorum: %v", err)
	}
	if _, err := s.Outcome(ctx, f.secretary, id, refs[0], OutcomeInput{Outcome: committee.Approved}); code(err) != "committee.vote_not_started" {
		t.Fatalf("adopt without vote: %v", err)
	}
	must(s.Move(ctx, f.secretary, id, f.members[1].UserID, true))(t)

	// Item 1: show of hands recorded by the secretary, approved.
	must(s.StartVote(ctx, f.secretary, id, refs[0], committee.ShowOfHands))(t)
	for _, v := range []kit.Actor{f.president, f.members[0], f.members[1]} {
		must(s.Ballot(ctx, f.secretary, id, refs[0], BallotInput{UserID: v.UserID, Choice: committee.For}))(t)
	}
	must(s.Outcome(ctx, f.secretary, id, refs[0], OutcomeInput{Outcome: committee.Approved}))(t)
	if _, err := s.Outcome(ctx, f.secretary, id, refs[0], OutcomeInput{Outcome: committee.Approved}); code(err) != "committee.item_decided" {
		t.Fatalf("second outcome: %v", err)
	}

	// Item 2: secret ballot, each member for themself (the secretary may not cast for them), rejected.
	must(s.StartVote(ctx, f.secretary, id, refs[1], committee.Secret))(t)
	if _, err := s.Ballot(ctx, f.secretary, id, refs[1], BallotInput{UserID: f.members[0].UserID, Choice: committee.For}); code(err) != "user_id:session.secret_ballot_own_vote" {
		t.Fatalf("secretary casting a secret ballot: %v", err)
	}
	if _, err := s.Ballot(ctx, f.members[0], id, refs[1], BallotInput{UserID: f.members[1].UserID, Choice: committee.For}); !errors.Is(err, kit.ErrForbidden) {
		t.Fatalf("a member voting for another: %v", err)
	}
	must(s.Ballot(ctx, f.president, id, refs[1], BallotInput{Choice: committee.Against}))(t)
	must(s.Ballot(ctx, f.members[0], id, refs[1], BallotInput{Choice: committee.Against}))(t)
	must(s.Ballot(ctx, f.members[1], id, refs[1], BallotInput{Choice: committee.For}))(t)
	if _, err := s.Outcome(ctx, f.secretary, id, refs[1], OutcomeInput{Outcome: committee.Approved}); code(err) != "committee.no_majority" {
		t.Fatalf("adopting a rejected item: %v", err)
	}
	must(s.Outcome(ctx, f.secretary, id, refs[1], OutcomeInput{Outcome: committee.Rejected}))(t)

	// Item 3: amended with new terms and motivation (the decisions are down meanwhile: the ref stays pending).
	f.outcomes.failing = true
	must(s.StartVote(ctx, f.secretary, id, refs[2], committee.ShowOfHands))(t)
	for _, v := range []kit.Actor{f.president, f.members[0], f.members[1]} {
		must(s.Ballot(ctx, v, id, refs[2], BallotInput{Choice: committee.For}))(t)
	}
	nt := f.props.validated[refs[2]].Terms
	nt.MonthlyAmount = 100000
	rec = must(s.Outcome(ctx, f.secretary, id, refs[2], OutcomeInput{Outcome: committee.Amended, NewTerms: &nt,
		AmendmentMotivationRef: "revenus du fils majeur"}))(t)
	if len(rec.State.PendingOutcomes) != 1 || rec.State.PendingOutcomes[0] != refs[2] || !rec.State.HasPending {
		t.Fatalf("pending %v", rec.State.PendingOutcomes)
	}
	f.outcomes.failing = false
	s.Housekeep(ctx)
	rec = must(s.Repo.Load(ctx, f.secretary.Tenant, id))(t)
	if len(rec.State.PendingOutcomes) != 0 || f.outcomes.items[id+"/"+refs[2]].Outcome != committee.Amended {
		t.Fatalf("housekeeping: pending %v", rec.State.PendingOutcomes)
	}

	// The ratification: approved. Item 4 left untreated: postponed at the closing.
	must(s.StartVote(ctx, f.secretary, id, u.ID, committee.ShowOfHands))(t)
	for _, v := range []kit.Actor{f.president, f.members[0]} {
		must(s.Ballot(ctx, f.secretary, id, u.ID, BallotInput{UserID: v.UserID, Choice: committee.For}))(t)
	}
	rec = must(s.Outcome(ctx, f.secretary, id, u.ID, OutcomeInput{Outcome: committee.Approved}))(t)
	if _, err := s.Close(ctx, f.president, id, rec.Version); code(err) != "committee.not_secretary" {
		t.Fatalf("president closing: %v", err)
	}
	f.now = brussels("2026-03-20 17:00")
	rec = must(s.Close(ctx, f.secretary, id, rec.Version))(t)
	if rec.State.Session.Status != committee.Closed || len(rec.State.PendingOutcomes) != 0 || !rec.State.UrgentApplied {
		t.Fatalf("closed: %s pending %v applied %v", rec.State.Session.Status, rec.State.PendingOutcomes, rec.State.UrgentApplied)
	}
	if f.props.rejected[refs[1]] != id || f.props.scheduled[refs[3]] != "" || len(f.outcomes.items) != 4 {
		t.Fatalf("hand-over: rejected %v scheduled %v decided %d", f.props.rejected, f.props.scheduled, len(f.outcomes.items))
	}
	ud := must(f.urgent.Decision(ctx, f.president.Tenant, u.ID))(t)
	if ud.Ratification() != committee.Ratified {
		t.Fatalf("urgent decision %s", ud.Ratification())
	}
	var doc struct {
		Outbox []store.OutboxEntry `bson:"outbox"`
	}
	if err := f.db.Collection(CollSessions).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Outbox) != 1 || doc.Outbox[0].Type != TypeClosed ||
		!strings.Contains(doc.Outbox[0].Data, `"approved":2,"amended":1,"rejected":1,"postponed":1`) {
		t.Fatalf("outbox %+v", doc.Outbox)
	}

	// Minutes and extracts, before and after the sign-off; members see the session until then.
	m := must(s.Minutes(ctx, f.members[0], id, "decision_preparation"))(t)
	var html bytes.Buffer
	if err := m.HTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Procès-verbal", "Serge Secrétaire", "Paula Président", "approuvé avec amendement", "revenus du fils majeur",
		"Reporté à la clôture", "non encore approuvé"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("minutes lack %q", want)
		}
	}
	rec = must(s.ApproveMinutes(ctx, f.president, id, rec.Version))(t)
	if rec.State.Session.Status != committee.MinutesApproved {
		t.Fatalf("status %s", rec.State.Session.Status)
	}
	if _, err := s.Get(ctx, f.members[0], id, "decision_preparation"); !errors.Is(err, kit.ErrNotFound) {
		t.Fatalf("member reads after the sign-off: %v", err)
	}
	exs := must(s.Extracts(ctx, f.secretary, id, "decision_preparation"))(t)
	if len(exs) != 4 {
		t.Fatalf("%d extracts", len(exs))
	}
	exu := must(s.Extract(ctx, f.secretary, id, u.ID, "decision_preparation"))(t)
	var exHTML bytes.Buffer
	if err := exu.HTML(&exHTML); err != nil || !strings.Contains(exHTML.String(), "coupure d&#39;énergie imminente") {
		t.Fatalf("the ratification's extract lacks its motivation (%v):\n%s", err, exHTML.String())
	}
	ex := must(s.Extract(ctx, f.secretary, id, refs[2], "decision_preparation"))(t)
	var pdf bytes.Buffer
	if err := ex.PDF(&pdf, letter.PDFOptions{}); err != nil || !bytes.HasPrefix(pdf.Bytes(), []byte("%PDF")) {
		t.Fatalf("extract pdf: %v", err)
	}
	if _, err := s.Extract(ctx, f.secretary, id, refs[3], "decision_preparation"); code(err) != "session.no_extract" {
		t.Fatalf("extract of a postponed item: %v", err)
	}
}

// TestConvocationRules: a late convocation needs urgency and a motivation; the rules come from the tenant.
func TestConvocationRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rec := f.plan(t, "2026-03-05")
	if _, err := f.svc.Convene(ctx, f.secretary, rec.ID, rec.Version, false, ""); code(err) != "committee.convocation_late" {
		t.Fatalf("late: %v", err)
	}
	if _, err := f.svc.Convene(ctx, f.secretary, rec.ID, rec.Version, true, " "); code(err) != "motivation:committee.urgent_motivation_required" {
		t.Fatalf("urgent without motivation: %v", err)
	}
	rec = must(f.svc.Convene(ctx, f.secretary, rec.ID, rec.Version, true, "Expulsion prévue le 6 mars"))(t)
	if c := rec.State.Session.Convocation; !c.Urgent || c.Motivation == "" {
		t.Fatalf("convocation %+v", c)
	}
	if _, err := f.svc.Plan(ctx, f.secretary, PlanInput{Date: civil.MustParse("2026-03-01"), Time: "25:00"}); err == nil {
		t.Fatal("bad plan accepted")
	} else {
		got := fmt.Sprint(problem.As(err).Fields)
		for _, w := range []string{"date", "time", "place", "members"} {
			if !strings.Contains(got, w) {
				t.Errorf("no %s error in %s", w, got)
			}
		}
	}
	// Committee rules of the tenant: a fixed quorum of 2 lets 2 members decide.
	cr := must(f.svc.Rules.Get(ctx, f.secretary.Tenant))(t)
	if _, err := f.svc.Rules.Put(ctx, f.secretary.Tenant, cr.Version, CommitteeRules{Quorum: committee.QuorumFixed, Majority: committee.MajorityOfVotesCast, Tie: "coin"}); err == nil {
		t.Fatal("bad rules accepted")
	}
	must(f.svc.Rules.Put(ctx, f.secretary.Tenant, cr.Version, CommitteeRules{Quorum: committee.QuorumFixed, QuorumFixed: 2,
		Majority: committee.MajorityOfVotesCast, Tie: committee.TiePresidentDecides}))(t)
	rec = f.plan(t, "2026-04-20")
	if r := rec.State.Session.Rules; r.Quorum != committee.QuorumFixed || r.QuorumFixed != 2 || r.Clock.ConvocationClearDays != 5 {
		t.Fatalf("session rules %+v", r)
	}
}

// TestSessionTenantIsolation: a session of one tenant is not found from another, even by its secretary role.
func TestSessionTenantIsolation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rec := f.plan(t, "2026-03-20")
	other := kit.Actor{UserID: f.secretary.UserID, Tenant: "other-" + f.secretary.Tenant, Roles: f.secretary.Roles}
	if _, err := f.svc.Get(ctx, other, rec.ID, "decision_preparation"); !errors.Is(err, kit.ErrNotFound) {
		t.Fatalf("other tenant reads: %v", err)
	}
	if _, err := f.svc.Convene(ctx, other, rec.ID, rec.Version, false, ""); !errors.Is(err, kit.ErrNotFound) {
		t.Fatalf("other tenant convenes: %v", err)
	}
	if l := must(f.svc.List(ctx, other, false, "decision_preparation"))(t); len(l) != 0 {
		t.Fatalf("other tenant lists %d", len(l))
	}
}
