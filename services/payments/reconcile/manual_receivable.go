package reconcile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

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
	// LinesBookedOn tells, for each of the statement lines booked on a receivable of the tenant, which one holds it
	// (lines booked nowhere are absent).
	LinesBookedOn(ctx context.Context, tenant string, lineIDs []string) (map[string]BookedOn, error)
}

// BookedOn is the receivable a queued line is already booked on: a manual match interrupted between its two writes
// (the receivable booked, the item not yet matched) until the repair (RepairReceivableMatches) completes it. Its
// structured communication names it to the accountant (no personal data).
type BookedOn struct {
	ReceivableID string `json:"receivable_id"`
	OGM          string `json:"ogm"`
}

// bookedOn is the receivable the credit line of it is booked on (nil when none, or not a credit).
func (s *Service) bookedOn(ctx context.Context, tenant string, it Item) (*BookedOn, error) {
	if !takesReceivable(it) {
		return nil, nil
	}
	d, err := s.desk()
	if err != nil {
		return nil, err
	}
	held, err := d.LinesBookedOn(ctx, tenant, []string{it.LineID})
	if err != nil {
		return nil, err
	}
	if b, ok := held[it.LineID]; ok {
		return &b, nil
	}
	return nil, nil
}

// refuseBookedElsewhere is the refusal of a match other than to the receivable that already holds the line, on
// field, naming that receivable by its structured communication (the accountant confirms that match instead).
func refuseBookedElsewhere(field string, b *BookedOn) error {
	return problem.Invalid(problem.Field(field, "payments.line_booked_elsewhere", "ogm", b.OGM))
}

// repairActor is the system, as the audit records the repair's matches.
func repairActor(tenant string) kit.Actor {
	return kit.Actor{UserID: "system", Tenant: tenant, Roles: []string{"system"}}
}

// repairBatch bounds the lines asked of the receivables at once.
const repairBatch = 500

// RepairReceivableMatches completes the manual matches to a receivable that a crash interrupted between their two
// writes (housekeeping, from Pending): an open queue item whose credit line is booked on a receivable is marked
// matched to that receivable exactly as ManualMatch would have — kind receivable, the line's outcome, the
// statement's counts —, by the system, with the match and its audit record (reconciliation.match_repair) marked as
// a repair. It takes the item's lock and re-reads it, and the item changes only from its version if still open:
// running it twice, or while the accountant matches the line, changes nothing more. It returns the items completed.
func (s *Service) RepairReceivableMatches(ctx context.Context) (int, error) {
	d, err := s.desk()
	if err != nil {
		return 0, err
	}
	cur, err := s.Queue.Collection().Find(ctx, bson.D{{Key: "status", Value: ItemOpen}, {Key: "line.cr", Value: true}},
		options.Find().SetProjection(bson.D{{Key: "tenant", Value: 1}, {Key: "line_id", Value: 1}}))
	if err != nil {
		return 0, err
	}
	var docs []struct {
		ID     string `bson:"_id"`
		Tenant string `bson:"tenant"`
		LineID string `bson:"line_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return 0, err
	}
	byTenant := map[string]map[string]string{} // tenant → line id → item id
	for _, x := range docs {
		if byTenant[x.Tenant] == nil {
			byTenant[x.Tenant] = map[string]string{}
		}
		byTenant[x.Tenant][x.LineID] = x.ID
	}
	done := 0
	var firstErr error
	for tenant, items := range byTenant {
		lines := slices.Sorted(maps.Keys(items))
		for batch := range slices.Chunk(lines, repairBatch) {
			held, err := d.LinesBookedOn(ctx, tenant, batch)
			if err != nil {
				firstErr = cmp.Or(firstErr, err)
				continue
			}
			for _, line := range batch {
				b, ok := held[line]
				if !ok {
					continue
				}
				ok, err := s.repairOne(ctx, tenant, items[line], b)
				if err != nil {
					firstErr = cmp.Or(firstErr, err)
				} else if ok {
					done++
				}
			}
		}
	}
	return done, firstErr
}

// repairOne completes item id of tenant, whose line b holds, if it is still open and a credit.
func (s *Service) repairOne(ctx context.Context, tenant, id string, b BookedOn) (bool, error) {
	unlock := lockItem(tenant + "/" + id) // the lock ManualMatch takes
	defer unlock()
	a := repairActor(tenant)
	rec, err := s.Get(ctx, a, id)
	if err != nil {
		return false, err
	}
	if rec.State.Status != ItemOpen || !takesReceivable(rec.State) {
		return false, nil
	}
	_, err = s.recordMatch(ctx, a, id, rec.Version, rec.State, OutcomeMatched, Match{Kind: MatchReceivable, ReceivableID: b.ReceivableID,
		Repair: true})
	if errors.Is(err, store.ErrConflict) {
		return false, nil // changed meanwhile (another process's match): the next run looks again
	}
	return err == nil, err
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
