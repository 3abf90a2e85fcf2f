package payments

import (
	"context"

	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/services/payments/receivable"
	"github.com/entraide/entraide/services/payments/reconcile"
)

// The accountant's manual match of a queued credit to a receivable (reconcile.ReceivableDesk), on the adapter
// that already offers the statements' credits to the receivables (run.go): both book a line by the same path.

func credit(c reconcile.IncomingCredit) receivable.Credit {
	return receivable.Credit{StatementLineID: c.LineID, AmountCents: c.AmountCents, OGM: c.OGM, DebtorIBAN: c.DebtorIBAN,
		DebtorName: c.DebtorName, BookedOn: c.BookingDate}
}

func (r receivablesAdapter) SuggestReceivables(ctx context.Context, tenant string, c reconcile.IncomingCredit) ([]reconcile.ReceivableSuggestion, error) {
	cands, err := r.s.Candidates(ctx, tenant, credit(c))
	if err != nil {
		return nil, err
	}
	out := make([]reconcile.ReceivableSuggestion, 0, len(cands))
	for _, x := range cands {
		out = append(out, reconcile.ReceivableSuggestion{ReceivableID: x.ID, OGM: x.OGM, PersonName: x.PersonName, FileNumber: x.FileNumber,
			Source: x.Source, AmountCents: x.AmountCents, BalanceCents: x.BalanceCents, Why: x.Why, Score: x.Score})
	}
	return out, nil
}

func (r receivablesAdapter) BookOnReceivable(ctx context.Context, tenant, id string, c reconcile.IncomingCredit) error {
	_, err := r.s.BookManual(ctx, tenant, id, credit(c))
	return err
}

func (r receivablesAdapter) ReceivableByOGM(ctx context.Context, tenant string, code ogm.OGM) (string, error) {
	return r.s.ByOGM(ctx, tenant, code)
}

func (r receivablesAdapter) LinesBookedOn(ctx context.Context, tenant string, lineIDs []string) (map[string]reconcile.BookedOn, error) {
	held, err := r.s.Holders(ctx, tenant, lineIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]reconcile.BookedOn, len(held))
	for line, h := range held {
		out[line] = reconcile.BookedOn{ReceivableID: h.ReceivableID, OGM: h.OGM}
	}
	return out, nil
}

var _ reconcile.ReceivableDesk = receivablesAdapter{}
