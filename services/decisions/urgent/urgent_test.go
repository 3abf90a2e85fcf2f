package urgent

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/decisions/committee"
	"github.com/entraide/entraide/services/decisions/internal/kit"
	"github.com/entraide/entraide/services/decisions/legalclock"
)

type outcomes struct {
	mu      sync.Mutex
	failing bool
	got     map[string]int
}

func (o *outcomes) UrgentDecided(_ context.Context, _ string, u committee.UrgentState) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failing {
		return errors.New("decisions unavailable")
	}
	o.got[u.ID]++
	return nil
}

// TestUrgentDecisionInForceAndFlagged: the decision is handed over at once or by the housekeeping when the
// decisions were down (once), refuses a closed request and bad terms field by field, and a session held since
// without it flags it on the board.
func TestUrgentDecisionInForceAndFlagged(t *testing.T) {
	db := testkit.Database(t)
	ctx := context.Background()
	if err := EnsureIndexes(ctx, db); err != nil {
		t.Fatal(err)
	}
	o := &outcomes{got: map[string]int{}, failing: true}
	s := NewService(db, kit.NewAuditor(nil, nil), nil)
	s.Outcomes = o
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, civil.Brussels)
	s.Now = func() time.Time { return now }
	president := kit.Actor{UserID: uuid.NewString(), Tenant: "t1", Roles: []string{"president"}}
	file := uuid.NewString()
	for i, st := range []string{"in_inquiry", "decided"} {
		if _, err := db.Collection("requests").InsertOne(ctx, bson.D{{Key: "_id", Value: uuid.NewString()}, {Key: "tenant", Value: "t1"},
			{Key: "version", Value: int64(1)}, {Key: "number", Value: []string{"R2026/000001", "R2026/000002"}[i]},
			{Key: "person_id", Value: uuid.NewString()}, {Key: "file_id", Value: file}, {Key: "kind", Value: "ris"}, {Key: "status", Value: st}}); err != nil {
			t.Fatal(err)
		}
	}
	in := Input{RequestNumber: "R2026/000001", Category: 2, MonthlyAmount: 131420, Start: civil.MustParse("2026-03-02"),
		Review: civil.MustParse("2026-09-02"), Motivation: "Expulsion imminente"}

	bad := in
	bad.Category, bad.MonthlyAmount, bad.Motivation = 0, 0, " "
	_, err := s.Decide(ctx, president, bad)
	if fs := problem.As(err).Fields; len(fs) != 3 {
		t.Fatalf("bad input: %v", err)
	}
	closed := in
	closed.RequestNumber = "R2026/000002"
	if _, err := s.Decide(ctx, president, closed); problem.As(err).Detail != "urgent.request_not_open" {
		t.Fatalf("decided request: %v", err)
	}
	if _, err := s.Decide(ctx, kit.Actor{UserID: president.UserID, Tenant: "t2"}, in); problem.As(err).Fields[0].Code != "urgent.unknown_request" {
		t.Fatalf("other tenant's request: %v", err)
	}

	rec, err := s.Decide(ctx, president, in)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.State.EffectPending || o.got[rec.ID] != 0 {
		t.Fatalf("in force while the decisions are down: %+v", rec.State)
	}
	o.failing = false
	s.Housekeep(ctx)
	s.Housekeep(ctx)
	rec, _ = s.load(ctx, "t1", rec.ID)
	if rec.State.EffectPending || o.got[rec.ID] != 1 {
		t.Fatalf("housekeeping: pending %v, handed %d times", rec.State.EffectPending, o.got[rec.ID])
	}

	// A session held after it, closed without it: flagged, on the board of its file.
	sess, err := committee.Plan(committee.NewSession{ID: uuid.NewString(), Tenant: "t1", Date: civil.MustParse("2026-03-20"), Time: "14:00",
		Place: "Salle", Members: []committee.Member{{UserID: "p", Role: committee.RolePresident}, {UserID: "m", Role: committee.RoleMember},
			{UserID: "s", Role: committee.RoleSecretary}}, Rules: committee.DefaultRules()})
	if err != nil {
		t.Fatal(err)
	}
	steps := []error{sess.Convene(now, false, ""),
		sess.Open(now.AddDate(0, 0, 18), map[string]committee.Attendance{"p": committee.Present, "m": committee.Present, "s": committee.Present}),
		sess.Close("s", now.AddDate(0, 0, 18).Add(time.Hour))}
	for _, err := range steps {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ApplySession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplySession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	items, err := s.Due(ctx, "t1", []string{file}, 10)
	if err != nil || len(items) != 1 || items[0].RefID != rec.ID || items[0].Deadline.Reason != ReasonRatification ||
		items[0].Kind != legalclock.RIS {
		t.Fatalf("board: %+v %v", items, err)
	}
	if items, _ := s.Due(ctx, "t1", []string{uuid.NewString()}, 10); len(items) != 0 {
		t.Fatalf("board of another file: %+v", items)
	}
	flags, _ := s.NotRatified(ctx, "t1", nil, 10)
	if len(flags) != 1 || flags[0].Missed != 1 {
		t.Fatalf("flags %+v", flags)
	}
	if a, _ := s.Awaiting(ctx, "t2"); len(a) != 0 {
		t.Fatalf("another tenant's awaiting: %d", len(a))
	}
}
