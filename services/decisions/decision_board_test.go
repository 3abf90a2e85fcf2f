package decisions_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
)

// TestDecisionBoardSource: the decisions' clocks for the deadline board (notification until notified, PIIS
// conclusion, review), in the files asked for only.
func TestDecisionBoardSource(t *testing.T) {
	fx := newDecisionFixture(t)
	e := fx.e
	ctx := context.Background()
	b := fx.basis(fx.reqNL, fx.pNL, fx.fNL)
	b.Review = fx.received.AddDays(100)
	id := fx.decide(t, b)
	t.Run("board", func(t *testing.T) {
		items, err := e.app.Decisions.Due(ctx, "gent", nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		clocks := map[string]bool{}
		for _, it := range items {
			if it.RefID == id {
				clocks[it.Clock] = true
			}
		}
		if !clocks["notification"] || !clocks["piis_conclusion"] || !clocks["review"] {
			t.Errorf("board clocks %v", clocks)
		}
		if items, _ := e.app.Decisions.Due(ctx, "gent", []string{uuid.NewString()}, 10); len(items) != 0 {
			t.Errorf("other files: %d", len(items))
		}
	})

	t.Run("on the board through the API", func(t *testing.T) {
		st, b, raw, _ := e.call(fx.w1, "GET", "/v1/board?clock=notification", nil, purpose)
		if st != 200 {
			t.Fatalf("%d %s", st, raw)
		}
		found := false
		for _, x := range b["items"].([]any) {
			it := x.(map[string]any)
			if it["ref_id"] == id && it["ref_type"] == "decision" && it["file_number"] == "2026/000101" {
				found = true
			}
		}
		if !found {
			t.Fatalf("no notification clock of the decision: %s", raw)
		}
		_, b, _, _ = e.call(fx.w2, "GET", "/v1/board?clock=notification", nil, purpose)
		if n := len(b["items"].([]any)); n != 0 {
			t.Errorf("another worker sees %d", n)
		}
	})
}
