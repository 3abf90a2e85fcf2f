package reconcile

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/projection"
	"github.com/entraide/entraide/services/payments/schedule"
	"github.com/entraide/entraide/services/payments/statement"
)

// Statuses of a queue item.
const (
	ItemOpen    = "open"
	ItemMatched = "matched"
)

// Kinds of manual match (and MatchReceivable, manual_receivable.go).
const (
	MatchPayment   = "payment"   // the line books (debit) or returns (credit) this payment
	MatchExplained = "explained" // no payment: bank fees, a transfer between the CPAS's accounts… with a note
)

// Match is what the accountant decided for a line.
type Match struct {
	Kind         string `bson:"kind" json:"kind"`
	InstalmentID string `bson:"instalment_id,omitempty" json:"instalment_id,omitempty"`
	ReceivableID string `bson:"receivable_id,omitempty" json:"receivable_id,omitempty"`
	Note         string `bson:"note,omitempty" json:"note,omitempty"`
	// Repair: completed by the system (RepairReceivableMatches) after a crash between the booking on the receivable
	// and the item's change; By is then "system".
	Repair bool      `bson:"repair,omitempty" json:"repair,omitempty"`
	By     string    `bson:"by" json:"by"`
	At     time.Time `bson:"at" json:"at"`
}

// Item is a statement line waiting for the accountant.
type Item struct {
	StatementID string         `bson:"statement_id" json:"statement_id"`
	LineID      string         `bson:"line_id" json:"line_id"`
	Account     string         `bson:"account" json:"account"`
	Line        statement.Line `bson:"line" json:"line"`
	Reason      string         `bson:"reason" json:"reason"`
	Status      string         `bson:"status" json:"status"`
	CreatedAt   time.Time      `bson:"created_at" json:"created_at"`
	Match       *Match         `bson:"match,omitempty" json:"match,omitempty"`
}

// ItemRecord is a stored item.
type ItemRecord = store.Versioned[Item]

func itemID(tenant, lineID string) string {
	return schedule.DeterministicID(tenant, "reconciliation", lineID)
}

// enqueue adds the line to the pass's queue items, written in bulk with the chunk (flushQueue).
func (s *Service) enqueue(p *pass, l *statement.Line, lineID, reason string) {
	line := *l
	line.Outcome = OutcomeUnmatched
	it := Item{StatementID: p.statementID, LineID: lineID, Account: p.account, Line: line, Reason: reason, Status: ItemOpen,
		CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	raw, err := bson.Marshal(it)
	if err != nil {
		return
	}
	doc := bson.D{{Key: "_id", Value: itemID(p.tenant, lineID)}, {Key: "tenant", Value: p.tenant}, {Key: "version", Value: int64(1)}}
	elems, _ := bson.Raw(raw).Elements()
	for _, el := range elems {
		doc = append(doc, bson.E{Key: el.Key(), Value: el.Value()})
	}
	p.queue = append(p.queue, append(doc, bson.E{Key: store.OutboxField, Value: bson.A{}}))
}

// flushQueue writes the pass's queue items (an item already there from an interrupted pass stays as it is).
func (s *Service) flushQueue(ctx context.Context, p *pass) error {
	if len(p.queue) == 0 {
		return nil
	}
	_, err := s.Queue.Collection().InsertMany(ctx, p.queue, options.InsertMany().SetOrdered(false))
	p.queue = p.queue[:0]
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) {
		for _, we := range bwe.WriteErrors {
			if !mongo.IsDuplicateKeyError(we) {
				return err
			}
		}
		return nil
	}
	return err
}

// List reads a page of the tenant's queue (status open or matched), oldest booking first.
func (s *Service) List(ctx context.Context, a kit.Actor, status string, skip, limit int64) ([]ItemRecord, int64, error) {
	f := bson.D{{Key: "status", Value: status}}
	filter, err := store.TenantFilter(a.Tenant, f)
	if err != nil {
		return nil, 0, err
	}
	total, err := s.Queue.Collection().CountDocuments(ctx, filter)
	if err != nil {
		return nil, 0, err
	}
	recs, err := s.Queue.Find(ctx, a.Tenant, f, options.Find().SetSort(bson.D{{Key: "line.bd", Value: 1}, {Key: "_id", Value: 1}}).SetSkip(skip).SetLimit(limit))
	return recs, total, err
}

// Get reads an item of the actor's tenant.
func (s *Service) Get(ctx context.Context, a kit.Actor, id string) (ItemRecord, error) {
	rec, err := s.Queue.Load(ctx, a.Tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return rec, kit.ErrNotFound
	}
	return rec, err
}

// Suggestion is a payment that may be the one of a queued line.
type Suggestion struct {
	InstalmentID string     `json:"instalment_id"`
	Status       string     `json:"status"`
	AmountCents  int64      `json:"amount_cents"`
	DueOn        civil.Date `json:"due_on"`
	RunID        string     `json:"run_id,omitempty"`
	EndToEndID   string     `json:"end_to_end_id,omitempty"`
	PayeeName    string     `json:"payee_name,omitempty"`
	PayeeIBAN    string     `json:"payee_iban,omitempty"`
	SentOn       civil.Date `json:"sent_on,omitzero"`
	// Why: same_amount, same_iban, close_date (within 10 days of the booking).
	Why   []string `json:"why"`
	Score int      `json:"score"`
}

// Suggestions lists up to ten payments that may be the line's: exported (a debit) or exported and booked (a
// return) payments with the same amount, ranked by same IBAN and closeness of the dates. Same amount only: a
// different amount is never offered.
func (s *Service) Suggestions(ctx context.Context, tenant string, it Item) ([]Suggestion, error) {
	statuses := bson.A{schedule.StatusExported}
	if it.Line.Credit {
		statuses = append(statuses, schedule.StatusBooked)
	}
	var iban string
	if len(it.Line.Txs) > 0 {
		iban = it.Line.Txs[0].IBAN
	}
	out := []Suggestion{}
	filter, err := store.TenantFilter(tenant, bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: statuses}}},
		{Key: "amount_cents", Value: it.Line.AmountCents}})
	if err != nil {
		return nil, err
	}
	cur, err := s.Schedules.Instalments.Collection().Find(ctx, filter, options.Find().SetLimit(200))
	if err != nil {
		return nil, err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		v, err := store.Decode[schedule.Instalment](cur.Current, tenant)
		if err != nil {
			return nil, err
		}
		in := v.State
		sg := Suggestion{InstalmentID: v.ID, Status: in.Status, AmountCents: in.AmountCents, DueOn: in.DueOn, RunID: in.RunID,
			EndToEndID: in.EndToEndID, Why: []string{"same_amount"}, Score: 2}
		if in.Creditor != nil {
			sg.PayeeName, sg.PayeeIBAN = in.Creditor.Name, in.Creditor.IBAN
		}
		for _, at := range in.Attempts {
			if at.EndToEndID == in.EndToEndID {
				sg.SentOn = civil.Of(at.At)
			}
		}
		if iban != "" && sg.PayeeIBAN == iban {
			sg.Why, sg.Score = append(sg.Why, "same_iban"), sg.Score+2
		}
		ref := sg.SentOn
		if ref.IsZero() {
			ref = in.DueOn
		}
		if d := ref.DaysUntil(it.Line.BookingDate); d >= -10 && d <= 10 {
			sg.Why, sg.Score = append(sg.Why, "close_date"), sg.Score+1
		}
		out = append(out, sg)
	}
	if err := cur.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > 10 {
		out = out[:10]
	}
	return out, nil
}

// MatchInput is the accountant's match of a queued line.
type MatchInput struct {
	Kind         string `json:"kind"`
	InstalmentID string `json:"instalment_id"`
	ReceivableID string `json:"receivable_id"`
	// ReceivableOGM names the receivable by its structured communication instead (+++123/4567/89012+++ or the
	// twelve digits), as the accountant knows it.
	ReceivableOGM string `json:"receivable_ogm"`
	Note          string `json:"note"`
}

// ManualMatch records the accountant's match of item id (read at version expected): a payment (the line's amount
// must be the payment's: never forced; a debit books it, a credit returns it), a receivable (a credit only, at
// most its balance: never forced; manual_receivable.go) or an explanation. Audited.
func (s *Service) ManualMatch(ctx context.Context, a kit.Actor, id string, expected int64, in MatchInput) (ItemRecord, error) {
	unlock := lockItem(a.Tenant + "/" + id) // one manual match of a line at a time (manual_receivable.go)
	defer unlock()
	rec, err := s.Get(ctx, a, id)
	if err != nil {
		return rec, err
	}
	it := rec.State
	if it.Status != ItemOpen {
		return rec, problem.New(problem.Conflict).With("code", "payments.item_matched")
	}
	if rec.Version != expected {
		return rec, &store.ConflictError{Current: rec.Version}
	}
	var fs problem.Fields
	switch in.Kind {
	case MatchPayment:
		if !kit.IsUUID(in.InstalmentID) {
			fs.Add("instalment_id", "required")
		}
	case MatchExplained:
		if len(in.Note) < 3 || len(in.Note) > 500 {
			fs.Add("note", "payments.note_length")
		}
	case MatchReceivable:
		if !takesReceivable(it) {
			fs.Add("kind", "payments.receivable_credit_only")
		}
		in.ReceivableOGM = strings.TrimSpace(in.ReceivableOGM)
		switch {
		case in.ReceivableOGM != "" && in.ReceivableID != "":
			fs.Add("receivable_ogm", "payments.receivable_id_or_ogm")
		case in.ReceivableOGM != "":
			if _, err := ogm.Parse(in.ReceivableOGM); err != nil {
				fs.Add("receivable_ogm", ogm.Code)
			}
		case !kit.IsUUID(in.ReceivableID):
			fs.Add("receivable_id", "required")
		}
		if len(in.Note) > 500 {
			fs.Add("note", "payments.note_length")
		}
	default:
		fs.Add("kind", "invalid")
	}
	if err := fs.Err(); err != nil {
		return rec, err
	}
	if in.Kind == MatchReceivable {
		return s.matchReceivable(ctx, a, id, expected, in)
	}
	// A credit already booked on a receivable (a match to it interrupted by a crash) takes no other match: the
	// accountant is told which receivable holds it, to confirm that match.
	if b, err := s.bookedOn(ctx, a.Tenant, it); err != nil {
		return rec, err
	} else if b != nil {
		s.Audit.Record(ctx, a, kit.Entry{Action: "reconciliation.match", ResourceType: "reconciliation_item", ResourceID: id,
			Outcome: "denied"})
		return rec, refuseBookedElsewhere("kind", b)
	}
	p := newPass(ctx, a.Tenant, it.StatementID)
	outcome := OutcomeExplained
	if in.Kind == MatchPayment {
		outcome = OutcomeMatched
		pay, err := s.Schedules.Instalments.Load(ctx, a.Tenant, in.InstalmentID)
		if errors.Is(err, store.ErrNotFound) {
			return rec, problem.Invalid(problem.Field("instalment_id", "payments.payment_unknown"))
		}
		if err != nil {
			return rec, err
		}
		ref := &payRef{id: pay.ID, e2e: pay.State.EndToEndID, decision: pay.State.DecisionID, person: pay.State.PersonID,
			file: pay.State.FileID, runID: pay.State.RunID, amount: pay.State.AmountCents}
		for _, at := range pay.State.Attempts {
			if at.EndToEndID == ref.e2e && at.AmountCents != 0 {
				ref.amount = at.AmountCents
			}
		}
		if ref.amount != it.Line.AmountCents {
			s.Audit.Record(ctx, a, kit.Entry{Action: "reconciliation.match", ResourceType: "reconciliation_item", ResourceID: id,
				Outcome: "denied"})
			return rec, problem.Invalid(problem.Field("instalment_id", "payments.amount_mismatch"))
		}
		if it.Line.Credit {
			reason := "MS03"
			for _, t := range it.Line.Txs {
				if t.ReturnReason != "" {
					reason = t.ReturnReason
				}
			}
			ok, err := s.markReturned(ctx, p, ref, reason, it.Line.BookingDate, it.LineID, true)
			if err != nil {
				return rec, err
			}
			if !ok {
				return rec, problem.Invalid(problem.Field("instalment_id", "payments.payment_not_sent"))
			}
		} else {
			b := schedule.Booking{StatementID: it.StatementID, LineID: it.LineID, BookedOn: it.Line.BookingDate, Manual: true, By: a.UserID}
			ok, err := s.Schedules.Book(ctx, a.Tenant, ref.id, ref.e2e, b)
			if err != nil {
				return rec, err
			}
			if !ok {
				return rec, problem.Invalid(problem.Field("instalment_id", "payments.payment_not_sent"))
			}
			if err := p.event(TypePaymentBooked, ref.id, BookedPayload{InstalmentID: ref.id, DecisionID: ref.decision, PersonID: ref.person,
				FileID: ref.file, RunID: ref.runID, EndToEndID: ref.e2e, AmountCents: ref.amount, BookedOn: it.Line.BookingDate,
				StatementID: it.StatementID, LineID: it.LineID, Manual: true}); err != nil {
				return rec, err
			}
		}
		if err := s.flush(ctx, p, "manual/"+id); err != nil {
			return rec, err
		}
	}
	return s.recordMatch(ctx, a, id, expected, it, outcome, Match{Kind: in.Kind, InstalmentID: in.InstalmentID, Note: in.Note})
}

// recordMatch marks item id (read at version expected) matched by the actor with m, sets its statement line's
// outcome and counts, and audits the match.
func (s *Service) recordMatch(ctx context.Context, a kit.Actor, id string, expected int64, it Item, outcome string, m Match) (ItemRecord, error) {
	m.By, m.At = a.UserID, s.now().UTC().Truncate(time.Millisecond)
	_, err := s.Queue.UpdateIfVersion(ctx, a.Tenant, id, expected, func(x *Item) ([]events.Event, error) {
		x.Status = ItemMatched
		x.Line.Outcome = outcome
		x.Match = &m
		return nil, nil
	})
	if err != nil {
		return ItemRecord{}, err
	}
	sid, idx, _ := statement.ParseLineID(it.LineID)
	_ = s.Lines.SetOutcomes(ctx, a.Tenant, sid, idx/statement.ChunkSize, map[int]string{idx: outcome})
	_, _ = s.Statements.Update(ctx, a.Tenant, sid, func(x *statement.Statement) ([]events.Event, error) {
		x.Counts.ManualMatches++
		x.Counts.Unmatched--
		return nil, nil
	})
	action := "reconciliation.match"
	if m.Repair {
		action = "reconciliation.match_repair"
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: action, ResourceType: "reconciliation_item", ResourceID: id, Purpose: "payment"})
	return s.Get(ctx, a, id)
}

// ReleaseReturned puts back in the due list the returned payments to a beneficiary whose account changed since
// the return (hourly): the next run reissues them with a new EndToEndId. A third party's returned payment waits
// for the accountant's reissue with the corrected creditor (schedule.Service.ReissueReturned).
func (s *Service) ReleaseReturned(ctx context.Context) {
	cur, err := s.Schedules.Instalments.Collection().Find(ctx, bson.D{{Key: "status", Value: schedule.StatusReturned}})
	if err != nil {
		return
	}
	type returned struct {
		v  store.Versioned[schedule.Instalment]
		st schedule.Settlement
	}
	var list []returned
	for cur.Next(ctx) {
		t, _ := cur.Current.Lookup("tenant").StringValueOK()
		v, err := store.Decode[schedule.Instalment](cur.Current, t)
		var st schedule.Settlement
		if err == nil && bson.Unmarshal(cur.Current, &st) == nil {
			list = append(list, returned{v, st})
		}
	}
	_ = cur.Close(ctx)
	for _, x := range list {
		_ = s.releaseOne(ctx, x.v, x.st)
	}
}

func (s *Service) releaseOne(ctx context.Context, v store.Versioned[schedule.Instalment], st schedule.Settlement) error {
	in := v.State
	if in.Payee.Kind != "beneficiary" || len(st.Returns) == 0 {
		return nil
	}
	last := st.Returns[len(st.Returns)-1]
	var returnedIBAN string
	for _, at := range in.Attempts {
		if at.EndToEndID == last.EndToEndID && at.Creditor != nil {
			returnedIBAN = at.Creditor.IBAN
		}
	}
	p, err := s.Proj.Payee(ctx, v.Tenant, in.PersonID)
	if errors.Is(err, projection.ErrNotFound) {
		return nil
	}
	if err != nil || p.IBAN == "" || p.IBAN == returnedIBAN {
		return err
	}
	err = s.Schedules.Reissue(ctx, v.Tenant, v.ID)
	if errors.Is(err, schedule.ErrMoved) {
		return nil
	}
	return err
}

// Pending reconciles the imported statements a failure or a crash left unreconciled, and completes the manual
// matches to a receivable a crash left half-done (RepairReceivableMatches) (housekeeping).
func (s *Service) Pending(ctx context.Context) {
	cur, err := s.Statements.Collection().Find(ctx, bson.D{{Key: "status", Value: statement.StatusImported}},
		options.Find().SetProjection(bson.D{{Key: "tenant", Value: 1}}))
	if err != nil {
		return
	}
	var docs []struct {
		ID     string `bson:"_id"`
		Tenant string `bson:"tenant"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return
	}
	for _, d := range docs {
		_, _ = s.Reconcile(ctx, d.Tenant, d.ID)
	}
	_, _ = s.RepairReceivableMatches(ctx)
}
