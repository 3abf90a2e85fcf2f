package decision

import (
	"context"
	"slices"

	"github.com/entraide/entraide/services/decisions/board"
)

// Clocks are the board clocks the decisions give (board.Clocker).
func (s *Service) Clocks() []string {
	return []string{board.ClockNotification, board.ClockAppeal, board.ClockMediPrima, board.ClockPIISConclusion, board.ClockPIISEvaluation, board.ClockReview}
}

// Due is the decisions' source of the deadline board: the notification until notified (8 days) — the decision's
// and each change's (revision, suspension, withdrawal, termination, recovery), with their appeal windows —, the MediPrima
// encoding of an AMU decision (45 days), the PIIS conclusion until signed then its next evaluation, and the review
// date, earliest first,
// at most limit, in fileIDs (nil: every file of the tenant). It reads the decisions with something due (one
// top-level equality, on_board) and keeps the first limit by their earliest due date.
func (s *Service) Due(ctx context.Context, tenant string, fileIDs []string, limit int64) ([]board.Item, error) {
	recs, err := s.Repo.DueOn(ctx, tenant, fileIDs, limit)
	if err != nil {
		return nil, err
	}
	rules, err := s.rules(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []board.Item
	for _, rec := range recs {
		d := rec.State
		for _, due := range d.Dues(rules) {
			out = append(out, board.Item{Clock: due.Clock, RefType: board.RefDecision, RefID: rec.ID, RequestID: d.RequestID,
				Number: d.RequestNumber, FileID: d.FileID, PersonID: d.PersonID, Kind: d.Kind, Status: string(d.Status),
				ReceivedOn: d.Requested, Deadline: due.Deadline, Change: due.Change})
		}
	}
	slices.SortStableFunc(out, func(a, b board.Item) int { return a.Deadline.Due.Compare(b.Deadline.Due) })
	if limit > 0 && int64(len(out)) > limit {
		out = out[:limit]
	}
	return out, nil
}
