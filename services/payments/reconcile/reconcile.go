// Package reconcile matches the lines of an imported bank statement (package statement) with what the CPAS sent
// and expects (domain.md §7): a debit line with the EndToEndId, amount and creditor IBAN of an exported payment
// books it; a batch-booked debit line with the PmtInfId and control sum of an exported run books every payment of
// the run; a credit line returning a payment (reason AC01, AC04, MD07…) marks it returned — still owed, a task
// for the social worker to obtain a valid account, reissued with a new EndToEndId once the account changed —;
// other credits are offered to the receivables (Receivables, by OGM then IBAN and amount). Whatever does not match
// exactly — an amount that differs is never forced — goes to a queue the accountant works through, with
// suggestions (same amount, same IBAN, close dates); every manual match is audited. Events: payment.booked,
// payment.returned and task.requested on cpas.payments.v1.
package reconcile

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/projection"
	"github.com/entraide/entraide/services/payments/run"
	"github.com/entraide/entraide/services/payments/schedule"
	"github.com/entraide/entraide/services/payments/statement"
)

// Collections: the queue of lines to match by hand, and the outbox documents of the reconciliation's events.
const (
	CollQueue  = "reconciliation_queue"
	CollOutbox = "reconciliation_outbox"
)

// Collections returns the collections whose outboxes the relay publishes.
func Collections(db *mongo.Database) []*mongo.Collection {
	return []*mongo.Collection{db.Collection(CollOutbox), db.Collection(CollQueue)}
}

// EnsureIndexes creates the queue's index (open items by booking date).
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	return store.EnsureIndexes(ctx, db.Collection(CollQueue),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "status", Value: 1}, {Key: "line.bd", Value: 1}}})
}

// Events.
const (
	TypePaymentBooked   = "be.cpas.payments.payment.booked.v1"
	TypePaymentReturned = "be.cpas.payments.payment.returned.v1"
	TypeTaskRequested   = "be.cpas.payments.task.requested.v1"
)

// Outcomes of a line.
const (
	OutcomeBooked     = "booked"
	OutcomeReturned   = "returned"
	OutcomeReceivable = "receivable"
	OutcomeUnmatched  = "unmatched"
	OutcomeNotBooked  = "not_booked"
	OutcomeMatched    = "matched" // by hand
	OutcomeExplained  = "explained"
)

// IncomingCredit is a credit line offered to the receivables.
type IncomingCredit struct {
	LineID      string     // statement line id (statement.LineID), the idempotency key of the match
	AmountCents int64      // positive
	OGM         string     // the twelve digits of a structured communication, if any
	DebtorIBAN  string     // as the bank gave it
	DebtorName  string     // as the bank gave it
	BookingDate civil.Date // of the line
}

// Receivables takes incoming money for the receivables (package receivable): by OGM, then IBAN and amount. It
// must be idempotent on the line id (a reconciliation retried after a crash offers the same line again).
type Receivables interface {
	MatchIncoming(ctx context.Context, tenant string, c IncomingCredit) (matched bool, err error)
}

// BookedPayload is the payload of TypePaymentBooked.
type BookedPayload struct {
	InstalmentID string     `json:"instalment_id"`
	DecisionID   string     `json:"decision_id"`
	PersonID     string     `json:"person_id"`
	FileID       string     `json:"file_id"`
	RunID        string     `json:"run_id"`
	EndToEndID   string     `json:"end_to_end_id"`
	AmountCents  int64      `json:"amount_cents"`
	BookedOn     civil.Date `json:"booked_on"`
	StatementID  string     `json:"statement_id"`
	LineID       string     `json:"line_id"`
	Batch        bool       `json:"batch"`
	Manual       bool       `json:"manual"`
}

// ReturnedPayload is the payload of TypePaymentReturned.
type ReturnedPayload struct {
	InstalmentID string     `json:"instalment_id"`
	DecisionID   string     `json:"decision_id"`
	PersonID     string     `json:"person_id"`
	FileID       string     `json:"file_id"`
	RunID        string     `json:"run_id"`
	EndToEndID   string     `json:"end_to_end_id"`
	AmountCents  int64      `json:"amount_cents"`
	Reason       string     `json:"reason"`
	ReturnedOn   civil.Date `json:"returned_on"`
	StatementID  string     `json:"statement_id"`
	LineID       string     `json:"line_id"`
	Manual       bool       `json:"manual"`
}

// TaskPayload is a task request to the registry (api/events/beneficiaries/task.requested.v1).
type TaskPayload struct {
	TaskID   string `json:"task_id"`
	FileID   string `json:"file_id,omitempty"`
	PersonID string `json:"person_id,omitempty"`
	Kind     string `json:"kind"`
	TitleFR  string `json:"title_fr"`
	TitleNL  string `json:"title_nl"`
	DueDate  string `json:"due_date,omitempty"`
}

// Service reconciles statements.
type Service struct {
	Statements  *store.Repository[statement.Statement]
	Lines       statement.Lines
	Schedules   *schedule.Repository
	Runs        *store.Repository[run.Run]
	Proj        *projection.Repository
	Queue       *store.Repository[Item]
	outbox      *mongo.Collection
	onWrite     func(collection, id string)
	Receivables Receivables
	Audit       *kit.Auditor
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// NewService works on db; onWrite wakes the relay.
func NewService(db *mongo.Database, onWrite func(collection, id string), sch *schedule.Repository, runs *store.Repository[run.Run],
	proj *projection.Repository, audit *kit.Auditor) *Service {
	return &Service{Statements: store.NewRepository[statement.Statement](db.Collection(statement.CollStatements), nil),
		Lines: statement.LinesOn(db), Schedules: sch, Runs: runs, Proj: proj,
		Queue: store.NewRepository[Item](db.Collection(CollQueue), onWrite), outbox: db.Collection(CollOutbox),
		onWrite: onWrite, Audit: audit}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// payRef is an exported payment as one attempt named it in its run's file.
type payRef struct {
	id, e2e, iban                 string
	decision, person, file, runID string
	amount                        int64
	st                            *instState
}

// instState is where an instalment stands during the pass (read with its run's payments, then kept up to date).
type instState struct {
	status, e2e, bookedLine string
}

// pendingBook is a booking decided during the pass, written in bulk at the end of the chunk.
type pendingBook struct {
	ref    *payRef
	line   *statement.Line
	lineID string
}

// runInfo is a run the statement refers to, with its payments by EndToEndId (loaded once per reconciliation).
type runInfo struct {
	id     string
	rec    run.Record
	byE2E  map[string]*payRef
	loaded bool
}

// pass is the state of one reconciliation: the runs met so far and the events to write.
type pass struct {
	tenant, statementID string
	byNumber            map[string]*runInfo
	byPmt               map[string]*runInfo
	evs                 []events.Event
	counts              statement.Counts
	correlation         string
	inst                map[string]*instState
	books               []pendingBook
	queue               []any
	account             string
	outcomes            map[int]string
}

var e2ePattern = regexp.MustCompile(`^E2E-(P[0-9]{4}-[0-9]{6})-[0-9]{6}$`)

func (s *Service) runBy(ctx context.Context, p *pass, field, value string, cache map[string]*runInfo) (*runInfo, error) {
	if ri, ok := cache[value]; ok {
		return ri, nil
	}
	recs, err := s.Runs.Find(ctx, p.tenant, bson.D{{Key: field, Value: value}}, options.Find().SetLimit(1))
	if err != nil {
		return nil, err
	}
	var ri *runInfo
	if len(recs) == 1 && recs[0].State.Export != nil {
		ri = &runInfo{id: recs[0].ID, rec: recs[0]}
		p.byNumber[recs[0].State.Number] = ri
		p.byPmt[recs[0].State.PmtInfID] = ri
	}
	cache[value] = ri
	return ri, nil
}

// payment finds the payment a file named e2e: the run is in the EndToEndId (E2E-<run number>-<n>), and the
// run's payments are read once.
func (s *Service) payment(ctx context.Context, p *pass, e2e string) (*payRef, error) {
	m := e2ePattern.FindStringSubmatch(e2e)
	if m == nil {
		return nil, nil
	}
	ri, err := s.runBy(ctx, p, "number", m[1], p.byNumber)
	if err != nil || ri == nil {
		return nil, err
	}
	if !ri.loaded {
		ri.byE2E = map[string]*payRef{}
		err := s.Schedules.EachSettled(ctx, p.tenant, schedule.Query{AttemptRun: ri.id},
			func(v store.Versioned[schedule.Instalment], settled schedule.Settlement) error {
				st := p.inst[v.ID]
				if st == nil {
					st = &instState{status: v.State.Status, e2e: v.State.EndToEndID}
					if settled.Booking != nil {
						st.bookedLine = settled.Booking.LineID
					}
					p.inst[v.ID] = st
				}
				for _, at := range v.State.Attempts {
					if at.RunID != ri.id {
						continue
					}
					ref := &payRef{id: v.ID, e2e: at.EndToEndID, amount: at.AmountCents, decision: v.State.DecisionID,
						person: v.State.PersonID, file: v.State.FileID, runID: ri.id, st: st}
					if at.AmountCents == 0 {
						ref.amount = v.State.AmountCents
					}
					if at.Creditor != nil {
						ref.iban = at.Creditor.IBAN
					}
					ri.byE2E[at.EndToEndID] = ref
				}
				return nil
			})
		if err != nil {
			return nil, err
		}
		ri.loaded = true
	}
	return ri.byE2E[e2e], nil
}

func correlation(ctx context.Context, fallback string) string {
	if id := httpkit.RequestID(ctx); id != "" {
		return id
	}
	return fallback
}

func (p *pass) event(typ, subject string, data any) error {
	ev, err := events.New(typ, run.EventSource, p.tenant, subject, p.correlation, data)
	if err != nil {
		return err
	}
	p.evs = append(p.evs, ev)
	return nil
}

// Reconcile goes through the lines of an imported statement. It can run again after a crash: every change is
// conditional or recognises its own earlier effect, and the events' documents have deterministic ids.
func (s *Service) Reconcile(ctx context.Context, tenant, statementID string) (statement.Counts, error) {
	rec, err := s.Statements.Load(ctx, tenant, statementID)
	if err != nil {
		return statement.Counts{}, err
	}
	st := rec.State
	if st.Status == statement.StatusReconciled {
		return st.Counts, nil
	}
	if st.Status != statement.StatusImported {
		return statement.Counts{}, fmt.Errorf("reconcile: statement %s is %s", statementID, st.Status)
	}
	p := newPass(ctx, tenant, statementID)
	p.account = st.Account
	p.counts.Lines = st.Lines
	for n := 0; n < st.Chunks; n++ {
		c, err := s.Lines.Chunk(ctx, tenant, statementID, n)
		if err != nil {
			return statement.Counts{}, err
		}
		p.outcomes = map[int]string{}
		for i := range c.Lines {
			l := &c.Lines[i]
			o, err := s.line(ctx, p, l)
			if err != nil {
				return statement.Counts{}, err
			}
			p.outcomes[l.Index] = o
		}
		if err := s.flushBooks(ctx, p); err != nil {
			return statement.Counts{}, err
		}
		if err := s.flushQueue(ctx, p); err != nil {
			return statement.Counts{}, err
		}
		if err := s.flush(ctx, p, fmt.Sprintf("%s/%d", statementID, n)); err != nil {
			return statement.Counts{}, err
		}
		if err := s.Lines.SetOutcomes(ctx, tenant, statementID, n, p.outcomes); err != nil {
			return statement.Counts{}, err
		}
	}
	at := s.now().UTC().Truncate(time.Millisecond)
	_, err = s.Statements.Update(ctx, tenant, statementID, func(x *statement.Statement) ([]events.Event, error) {
		x.Status, x.Counts, x.ReconciledAt = statement.StatusReconciled, p.counts, at
		return nil, nil
	})
	return p.counts, err
}

// pendingBook tells whether a booking of the instalment waits to be written.
func (p *pass) pendingBook(id string) bool {
	for _, b := range p.books {
		if b.ref.id == id {
			return true
		}
	}
	return false
}

func newPass(ctx context.Context, tenant, statementID string) *pass {
	return &pass{tenant: tenant, statementID: statementID, byNumber: map[string]*runInfo{}, byPmt: map[string]*runInfo{},
		correlation: correlation(ctx, statementID), inst: map[string]*instState{}, outcomes: map[int]string{}}
}

// flushBooks writes the bookings decided so far in one bulk write, then their events; a payment someone else
// changed meanwhile leaves its line unmatched (queued).
func (s *Service) flushBooks(ctx context.Context, p *pass) error {
	if len(p.books) == 0 {
		return nil
	}
	ops := make([]schedule.BookOp, len(p.books))
	for i, b := range p.books {
		ops[i] = schedule.BookOp{ID: b.ref.id, EndToEndID: b.ref.e2e, Booking: s.booking(p, b.line, b.lineID, false)}
	}
	done, err := s.Schedules.BookMany(ctx, p.tenant, ops)
	if err != nil {
		return err
	}
	for i, b := range p.books {
		if !done[i] {
			b.ref.st.status, b.ref.st.bookedLine = "", ""
			p.counts.Booked--
			p.counts.BookedLines--
			p.outcomes[b.line.Index] = OutcomeUnmatched
			s.enqueue(p, b.line, b.lineID, ReasonAlreadySettled)
			p.counts.Unmatched++
			continue
		}
		ref := b.ref
		if err := p.event(TypePaymentBooked, ref.id, BookedPayload{InstalmentID: ref.id, DecisionID: ref.decision, PersonID: ref.person,
			FileID: ref.file, RunID: ref.runID, EndToEndID: ref.e2e, AmountCents: ref.amount, BookedOn: b.line.BookingDate,
			StatementID: p.statementID, LineID: b.lineID}); err != nil {
			return err
		}
	}
	p.books = p.books[:0]
	return nil
}

// flush writes the pending events in documents of at most 500 (deterministic ids: a retried reconciliation does
// not write a chunk's events twice).
func (s *Service) flush(ctx context.Context, p *pass, base string) error {
	for k := 0; len(p.evs) > 0; k++ {
		n := min(len(p.evs), 500)
		if err := s.writeEvents(ctx, p.tenant, base+"/"+strconv.Itoa(k), p.evs[:n]); err != nil {
			return err
		}
		p.evs = p.evs[n:]
	}
	return nil
}

func (s *Service) writeEvents(ctx context.Context, tenant, id string, evs []events.Event) error {
	entries := make([]store.OutboxEntry, 0, len(evs))
	for _, e := range evs {
		entries = append(entries, store.NewOutboxEntry(e))
	}
	_, err := s.outbox.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "tenant", Value: tenant}, {Key: store.OutboxField, Value: entries}})
	if mongo.IsDuplicateKeyError(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reconcile: write events: %w", err)
	}
	if s.onWrite != nil {
		s.onWrite(CollOutbox, id)
	}
	return nil
}

// line reconciles one line and returns its outcome.
func (s *Service) line(ctx context.Context, p *pass, l *statement.Line) (string, error) {
	if l.Outcome == OutcomeMatched || l.Outcome == OutcomeExplained {
		return l.Outcome, nil
	}
	if !l.Booked {
		p.counts.NotBooked++
		return OutcomeNotBooked, nil
	}
	lineID := statement.LineID(p.statementID, l.Index)
	var reason string
	var err error
	switch {
	case !l.Credit && l.Batch != nil && l.Batch.PmtInfID != "":
		reason, err = s.batch(ctx, p, l, lineID)
		if err == nil && reason == "" {
			return OutcomeBooked, nil
		}
	case !l.Credit && !l.Reversal:
		reason, err = s.debit(ctx, p, l, lineID)
		if err == nil && reason == "" {
			return OutcomeBooked, nil
		}
	case l.Return():
		reason, err = s.returned(ctx, p, l, lineID)
		if err == nil && reason == "" {
			return OutcomeReturned, nil
		}
	case l.Credit && !l.Reversal && s.Receivables != nil:
		c := IncomingCredit{LineID: lineID, AmountCents: l.AmountCents, BookingDate: l.BookingDate}
		if len(l.Txs) > 0 {
			c.OGM, c.DebtorIBAN, c.DebtorName = l.Txs[0].OGM, l.Txs[0].IBAN, l.Txs[0].Name
		}
		ok, err := s.Receivables.MatchIncoming(ctx, p.tenant, c)
		if err != nil {
			return "", err
		}
		if ok {
			p.counts.Receivables++
			return OutcomeReceivable, nil
		}
		reason = ReasonNoReceivable
	default:
		reason = ReasonNoReference
	}
	if err != nil {
		return "", err
	}
	s.enqueue(p, l, lineID, reason)
	p.counts.Unmatched++
	return OutcomeUnmatched, nil
}

// Reasons a line is in the queue.
const (
	ReasonNoReference     = "no_reference"      // nothing on the line names a payment of the CPAS
	ReasonUnknownPayment  = "unknown_payment"   // an EndToEndId or PmtInfId that no exported payment or run has
	ReasonAmountMismatch  = "amount_mismatch"   // the payment's amount differs
	ReasonIBANMismatch    = "iban_mismatch"     // the account differs from the one in the file
	ReasonControlSum      = "control_sum"       // the batch's total or count differs from the run's
	ReasonAlreadySettled  = "already_settled"   // the payment was booked or returned by another line
	ReasonNoReceivable    = "no_receivable"     // a credit no receivable took
	ReasonSeveralPayments = "several_payments"  // a debit line with several transactions and no batch reference
	ReasonReturnUnknown   = "return_unknown"    // a return naming no payment of the CPAS
	ReasonReturnAmount    = "return_amount"     // a return whose amount differs from the payment's
	ReasonReturnNotSent   = "return_not_booked" // a return of a payment not exported or booked under that id
)

func (s *Service) booking(p *pass, l *statement.Line, lineID string, batch bool) schedule.Booking {
	return schedule.Booking{StatementID: p.statementID, LineID: lineID, BookedOn: l.BookingDate, Batch: batch}
}

// batch books every exported payment of the run whose PmtInfId and control sum the line carries.
func (s *Service) batch(ctx context.Context, p *pass, l *statement.Line, lineID string) (string, error) {
	ri, err := s.runBy(ctx, p, "pmt_inf_id", l.Batch.PmtInfID, p.byPmt)
	if err != nil {
		return "", err
	}
	if ri == nil {
		return ReasonUnknownPayment, nil
	}
	exp := ri.rec.State.Export
	if l.AmountCents != exp.TotalCents || (l.Batch.TotalCents != 0 && l.Batch.TotalCents != exp.TotalCents) ||
		(l.Batch.Count != 0 && l.Batch.Count != exp.Count) {
		return ReasonControlSum, nil
	}
	b := s.booking(p, l, lineID, true)
	if _, err := s.Schedules.BookRun(ctx, p.tenant, ri.id, b); err != nil {
		return "", err
	}
	// The events of the payments this line booked (also those booked by an earlier, interrupted pass).
	n := 0
	err = s.Schedules.EachSettled(ctx, p.tenant, schedule.Query{RunID: ri.id, Status: schedule.StatusBooked},
		func(v store.Versioned[schedule.Instalment], st schedule.Settlement) error {
			if st.Booking == nil || st.Booking.LineID != lineID {
				return nil
			}
			if x := p.inst[v.ID]; x != nil {
				x.status, x.bookedLine = schedule.StatusBooked, lineID
			}
			n++
			amount := v.State.AmountCents
			for _, at := range v.State.Attempts {
				if at.RunID == ri.id && at.AmountCents != 0 {
					amount = at.AmountCents
				}
			}
			return p.event(TypePaymentBooked, v.ID, BookedPayload{InstalmentID: v.ID, DecisionID: v.State.DecisionID, PersonID: v.State.PersonID,
				FileID: v.State.FileID, RunID: ri.id, EndToEndID: v.State.EndToEndID, AmountCents: amount, BookedOn: l.BookingDate,
				StatementID: p.statementID, LineID: lineID, Batch: true})
		})
	if err != nil {
		return "", err
	}
	if n == 0 {
		return ReasonAlreadySettled, nil
	}
	p.counts.Booked += n
	p.counts.BookedLines++
	return "", nil
}

// debit books the one payment the line names by EndToEndId, amount and IBAN.
func (s *Service) debit(ctx context.Context, p *pass, l *statement.Line, lineID string) (string, error) {
	if len(l.Txs) != 1 {
		if len(l.Txs) == 0 {
			return ReasonNoReference, nil
		}
		return ReasonSeveralPayments, nil
	}
	tx := l.Txs[0]
	if tx.EndToEndID == "" {
		return ReasonNoReference, nil
	}
	ref, err := s.payment(ctx, p, tx.EndToEndID)
	if err != nil {
		return "", err
	}
	if ref == nil {
		return ReasonUnknownPayment, nil
	}
	if l.AmountCents != ref.amount || (tx.AmountCents != 0 && tx.AmountCents != ref.amount) {
		return ReasonAmountMismatch, nil
	}
	if tx.IBAN != "" && ref.iban != "" && tx.IBAN != ref.iban {
		return ReasonIBANMismatch, nil
	}
	st := ref.st
	again := st.status == schedule.StatusBooked && st.bookedLine == lineID // a retried pass
	if !again && (st.status != schedule.StatusExported || st.e2e != ref.e2e) {
		return ReasonAlreadySettled, nil
	}
	st.status, st.bookedLine = schedule.StatusBooked, lineID
	p.books = append(p.books, pendingBook{ref: ref, line: l, lineID: lineID})
	p.counts.Booked++
	p.counts.BookedLines++
	return "", nil
}

// returned marks the payment a return line names returned (amount equal), with the events for the ledger and
// the social worker's task.
func (s *Service) returned(ctx context.Context, p *pass, l *statement.Line, lineID string) (string, error) {
	var tx statement.Tx
	for _, t := range l.Txs {
		if t.ReturnReason != "" {
			tx = t
			break
		}
	}
	if tx.EndToEndID == "" {
		return ReasonReturnUnknown, nil
	}
	ref, err := s.payment(ctx, p, tx.EndToEndID)
	if err != nil {
		return "", err
	}
	if ref == nil {
		return ReasonReturnUnknown, nil
	}
	amount := tx.AmountCents
	if amount == 0 || len(l.Txs) == 1 {
		amount = l.AmountCents
	}
	if amount != ref.amount {
		return ReasonReturnAmount, nil
	}
	if ref.st != nil && ref.st.status == schedule.StatusBooked && p.pendingBook(ref.id) {
		if err := s.flushBooks(ctx, p); err != nil { // booked earlier in this chunk: written first
			return "", err
		}
	}
	ok, err := s.markReturned(ctx, p, ref, tx.ReturnReason, l.BookingDate, lineID, false)
	if err != nil {
		return "", err
	}
	if !ok {
		return ReasonReturnNotSent, nil
	}
	return "", nil
}

func (s *Service) markReturned(ctx context.Context, p *pass, ref *payRef, reason string, on civil.Date, lineID string, manual bool) (bool, error) {
	ok, err := s.Schedules.MarkReturned(ctx, p.tenant, ref.id, schedule.Return{StatementID: p.statementID, LineID: lineID, RunID: ref.runID,
		EndToEndID: ref.e2e, Reason: reason, AmountCents: ref.amount, ReturnedOn: on, At: s.now().UTC().Truncate(time.Millisecond)})
	if err != nil || !ok {
		return ok, err
	}
	if ref.st != nil {
		ref.st.status = schedule.StatusReturned
	}
	p.counts.Returned++
	if err := p.event(TypePaymentReturned, ref.id, ReturnedPayload{InstalmentID: ref.id, DecisionID: ref.decision, PersonID: ref.person,
		FileID: ref.file, RunID: ref.runID, EndToEndID: ref.e2e, AmountCents: ref.amount, Reason: reason, ReturnedOn: on,
		StatementID: p.statementID, LineID: lineID, Manual: manual}); err != nil {
		return false, err
	}
	fr, nl := taskTitles(reason)
	task := TaskPayload{TaskID: "payment-returned/" + ref.id + "/" + ref.e2e, FileID: ref.file, PersonID: ref.person, Kind: "payment_account",
		TitleFR: fr, TitleNL: nl, DueDate: on.AddDays(7).String()}
	return true, p.event(TypeTaskRequested, ref.id, task)
}

// taskTitles are the social worker's task after a return, by reason (no amount, no name: the task names the file).
func taskTitles(reason string) (string, string) {
	why := map[string][2]string{
		"AC01": {"numéro de compte incorrect", "onjuist rekeningnummer"},
		"AC04": {"compte clôturé", "rekening afgesloten"},
		"AC06": {"compte bloqué", "rekening geblokkeerd"},
		"MD07": {"titulaire décédé", "rekeninghouder overleden"},
		"AG01": {"opération interdite sur ce compte", "verrichting niet toegestaan op deze rekening"},
		"AM05": {"paiement en double", "dubbele betaling"},
	}[reason]
	if why[0] == "" {
		why = [2]string{"motif " + reason, "reden " + reason}
	}
	return "Paiement retourné par la banque (" + why[0] + ") : obtenir un compte valide",
		"Betaling teruggestort door de bank (" + why[1] + "): een geldige rekening bekomen"
}
