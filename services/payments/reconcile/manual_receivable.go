package reconcile

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"

	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
)

// MatchReceivable is the manual match of a credit line to a receivable: an incoming transfer the rules could not
// place (no structured communication, a wrong one, an account the registry does not know).
const MatchReceivable = "receivable"

// ReceivableSuggestion is an open receivable a queued credit may pay (package receivable's candidates).
type ReceivableSuggestion struct {
	ReceivableID string `json:"receivable_id"`
	OGM          string `json:"ogm"`
	PersonName   string `json:"person_name,omitempty"`
	FileNumber   string `json:"file_number,omitempty"`
	Source       string `json:"source"`
	AmountCents  int64  `json:"amount_cents"`
	BalanceCents int64  `json:"balance_cents"`
	// Why: same_amount, plan_instalment, same_iban.
	Why   []string `json:"why"`
	Score int      `json:"score"`
}

// ReceivableDesk is what the accountant's match of a credit to a receivable needs from the receivables (package
// receivable). The Receivables wired in run.go implement it as well: the automatic and the manual match book the
// line by the same path (one payment per statement line — the same line again books nothing —, the balance, the
// settlement and its receivable.settled event in one write).
type ReceivableDesk interface {
	// SuggestReceivables lists open receivables the credit may pay (same amount, plan instalment, same IBAN).
	SuggestReceivables(ctx context.Context, tenant string, c IncomingCredit) ([]ReceivableSuggestion, error)
	// BookOnReceivable books the credit on the receivable (open, of the tenant, balance at least the amount);
	// refusals are field errors on receivable_id.
	BookOnReceivable(ctx context.Context, tenant, receivableID string, c IncomingCredit) error
	// ReceivableByOGM is the id of the tenant's receivable with that structured communication ("" when none).
	ReceivableByOGM(ctx context.Context, tenant string, code ogm.OGM) (string, error)
}

func (s *Service) desk() (ReceivableDesk, error) {
	d, ok := s.Receivables.(ReceivableDesk)
	if !ok {
		return nil, fmt.Errorf("reconcile: the receivables wired cannot take a manual match")
	}
	return d, nil
}

// takesReceivable tells whether a line can pay a receivable: an incoming credit (not the reversal of a debit).
func takesReceivable(it Item) bool { return it.Line.Credit && !it.Line.Reversal }

// incoming is the queued line as the receivables read a credit.
func incoming(it Item) IncomingCredit {
	c := IncomingCredit{LineID: it.LineID, AmountCents: it.Line.AmountCents, BookingDate: it.Line.BookingDate}
	if len(it.Line.Txs) > 0 {
		c.OGM, c.DebtorIBAN, c.DebtorName = it.Line.Txs[0].OGM, it.Line.Txs[0].IBAN, it.Line.Txs[0].Name
	}
	return c
}

// ReceivableSuggestions lists the open receivables a queued credit may pay (none for a debit).
func (s *Service) ReceivableSuggestions(ctx context.Context, tenant string, it Item) ([]ReceivableSuggestion, error) {
	if !takesReceivable(it) {
		return []ReceivableSuggestion{}, nil
	}
	d, err := s.desk()
	if err != nil {
		return nil, err
	}
	out, err := d.SuggestReceivables(ctx, tenant, incoming(it))
	if out == nil {
		out = []ReceivableSuggestion{}
	}
	return out, err
}

// itemLocks serialise this process's manual matches of one queued line, whatever their kind (ManualMatch takes
// it): a match's booking (a receivable's, a payment's) and the item's change are two writes, and two accountants
// matching the same line at once — two receivables, or a receivable and a payment or an explanation — must not
// both book it (the second finds the item matched).
var itemLocks [64]sync.Mutex

func lockItem(id string) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	m := &itemLocks[h.Sum32()%uint32(len(itemLocks))]
	m.Lock()
	return m.Unlock
}

// matchReceivable books the queued credit of item id (read at version expected) on the receivable the accountant
// chose, then marks the item matched. The booking comes first and is idempotent on the line: after a crash between
// the two writes, the same match again books nothing more and marks the item. Audited, refusals too. The caller
// holds the item's lock (lockItem).
func (s *Service) matchReceivable(ctx context.Context, a kit.Actor, id string, expected int64, in MatchInput) (ItemRecord, error) {
	d, err := s.desk()
	if err != nil {
		return ItemRecord{}, err
	}
	rec, err := s.Get(ctx, a, id)
	if err != nil {
		return rec, err
	}
	if rec.State.Status != ItemOpen {
		return rec, problem.New(problem.Conflict).With("code", "payments.item_matched")
	}
	if rec.Version != expected {
		return rec, &store.ConflictError{Current: rec.Version}
	}
	denied := func() {
		s.Audit.Record(ctx, a, kit.Entry{Action: "reconciliation.match", ResourceType: "reconciliation_item", ResourceID: id,
			Outcome: "denied"})
	}
	if in.ReceivableOGM != "" {
		// The accountant named the receivable by its structured communication (validated by ManualMatch).
		code, _ := ogm.Parse(in.ReceivableOGM)
		rid, err := d.ReceivableByOGM(ctx, a.Tenant, code)
		if err != nil {
			return rec, err
		}
		if rid == "" {
			denied()
			return rec, problem.Invalid(problem.Field("receivable_ogm", "payments.receivable_ogm_unknown"))
		}
		in.ReceivableID = rid
	}
	if err := d.BookOnReceivable(ctx, a.Tenant, in.ReceivableID, incoming(rec.State)); err != nil {
		var pe *problem.Error
		if errors.As(err, &pe) {
			denied()
			if in.ReceivableOGM != "" {
				// The refusal goes to the field the accountant filled in.
				for i := range pe.Fields {
					if pe.Fields[i].Field == "receivable_id" {
						pe.Fields[i].Field = "receivable_ogm"
					}
				}
			}
		}
		return rec, err
	}
	return s.recordMatch(ctx, a, id, expected, rec.State, OutcomeMatched, Match{Kind: MatchReceivable, ReceivableID: in.ReceivableID,
		Note: in.Note})
}

func init() {
	problem.RegisterMessages("payments.receivable_credit_only", map[string]string{
		"fr": "Seul un crédit (un virement reçu) peut être imputé sur une créance.",
		"nl": "Alleen een creditlijn (een ontvangen overschrijving) kan op een vordering worden geboekt.",
		"de": "Nur eine Gutschrift (eine eingegangene Überweisung) kann auf eine Forderung gebucht werden.",
		"en": "Only a credit (an incoming transfer) can be booked on a receivable."})
	problem.RegisterMessages("payments.receivable_ogm_unknown", map[string]string{
		"fr": "Aucune créance n'a cette communication structurée.",
		"nl": "Geen enkele vordering heeft deze gestructureerde mededeling.",
		"de": "Keine Forderung hat diese strukturierte Mitteilung.",
		"en": "No receivable has this structured communication."})
	problem.RegisterMessages("payments.receivable_id_or_ogm", map[string]string{
		"fr": "Indiquez la créance par son identifiant ou par sa communication structurée, pas les deux.",
		"nl": "Geef de vordering aan met haar id of met haar gestructureerde mededeling, niet beide.",
		"de": "Geben Sie die Forderung mit ihrer Kennung oder mit ihrer strukturierten Mitteilung an, nicht beides.",
		"en": "Name the receivable by its id or by its structured communication, not both."})
}
