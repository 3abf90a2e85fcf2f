package schedule

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/store"
)

// What the bank statements say of an exported payment (package reconcile): booked on the account, or returned by
// the payee's bank. A returned payment is still owed: it waits (status returned) until it is reissued — back to
// the due list, where its next run gives it a new EndToEndId.
const (
	StatusBooked   = "booked"
	StatusReturned = "returned"
)

// Booking is the statement line that booked a payment.
type Booking struct {
	StatementID string     `bson:"statement_id" json:"statement_id"`
	LineID      string     `bson:"line_id" json:"line_id"`
	BookedOn    civil.Date `bson:"booked_on" json:"booked_on"`
	// Batch: booked by the run's batch line (PmtInfId and control sum) rather than its own line.
	Batch  bool   `bson:"batch,omitempty" json:"batch,omitempty"`
	Manual bool   `bson:"manual,omitempty" json:"manual,omitempty"`
	By     string `bson:"by,omitempty" json:"-"`
}

// Return is a return (or reject) of one attempt of a payment, with the bank's reason code.
type Return struct {
	StatementID string     `bson:"statement_id" json:"statement_id"`
	LineID      string     `bson:"line_id" json:"line_id"`
	RunID       string     `bson:"run_id" json:"run_id"`
	EndToEndID  string     `bson:"end_to_end_id" json:"end_to_end_id"`
	Reason      string     `bson:"reason" json:"reason"`
	AmountCents int64      `bson:"amount_cents" json:"amount_cents"`
	ReturnedOn  civil.Date `bson:"returned_on" json:"returned_on"`
	At          time.Time  `bson:"at" json:"at"`
}

// HoldReturned is the hold reason of a returned payment: "returned_" + the reason code.
func HoldReturned(reason string) string { return "returned_" + reason }

type bookingState struct {
	Tenant     string    `bson:"tenant"`
	Status     string    `bson:"status"`
	EndToEndID string    `bson:"end_to_end_id"`
	Booking    *Booking  `bson:"booking"`
	Returns    []Return  `bson:"returns"`
	Attempts   []Attempt `bson:"attempts"`
}

func (r *Repository) readBooking(ctx context.Context, id string) (bookingState, bool, error) {
	var cur bookingState
	err := r.Instalments.Collection().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&cur)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return cur, false, nil
	}
	if err != nil {
		return cur, false, fmt.Errorf("schedule: read instalment: %w", err)
	}
	return cur, true, nil
}

// Book marks the exported payment id of tenant, sent with EndToEndId e2e, booked by b. It reports whether the
// payment is booked by b now (true also when b had already booked it: a retried reconciliation); false when the
// payment is elsewhere (another tenant, not exported, or no longer under that EndToEndId).
func (r *Repository) Book(ctx context.Context, tenant, id, e2e string, b Booking) (bool, error) {
	coll := r.Instalments.Collection()
	unlock := store.LockDocument(coll, id)
	defer unlock()
	cur, ok, err := r.readBooking(ctx, id)
	if err != nil || !ok || cur.Tenant != tenant {
		return false, err
	}
	if cur.Status == StatusBooked && cur.Booking != nil && cur.Booking.LineID == b.LineID {
		return true, nil
	}
	if cur.Status != StatusExported || cur.EndToEndID != e2e {
		return false, nil
	}
	res, err := coll.UpdateOne(ctx, r.checked(id, bson.E{Key: "tenant", Value: tenant}, bson.E{Key: "status", Value: StatusExported},
		bson.E{Key: "end_to_end_id", Value: e2e}),
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: StatusBooked}, {Key: "booking", Value: b}}},
			{Key: "$inc", Value: bson.D{{Key: "version", Value: int64(1)}}}})
	if err != nil {
		return false, fmt.Errorf("schedule: book: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// checked is the filter of a change checked under the document lock: _id and the conditions again on MongoDB
// (atomic across replicas), _id alone on FerretDB (see DetectEngine).
func (r *Repository) checked(id string, conds ...bson.E) bson.D {
	f := bson.D{{Key: "_id", Value: id}}
	if !r.bareID {
		f = append(f, conds...)
	}
	return f
}

// BookRun marks every payment of run still exported as booked by b (the batch line of the run's payment
// information block); it returns how many it marked.
func (r *Repository) BookRun(ctx context.Context, tenant, runID string, b Booking) (int64, error) {
	res, err := r.Instalments.Collection().UpdateMany(ctx,
		bson.D{{Key: "tenant", Value: tenant}, {Key: "run_id", Value: runID}, {Key: "status", Value: StatusExported}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: StatusBooked}, {Key: "booking", Value: b}}},
			{Key: "$inc", Value: bson.D{{Key: "version", Value: int64(1)}}}})
	if err != nil {
		return 0, fmt.Errorf("schedule: book run: %w", err)
	}
	return res.ModifiedCount, nil
}

// MarkReturned records the return ret of the payment id of tenant (exported or booked under ret.EndToEndID): the
// payment becomes returned, still owed, held with the reason until it is reissued. It reports whether the return
// is recorded now (true also when this line had already recorded it).
func (r *Repository) MarkReturned(ctx context.Context, tenant, id string, ret Return) (bool, error) {
	coll := r.Instalments.Collection()
	unlock := store.LockDocument(coll, id)
	defer unlock()
	cur, ok, err := r.readBooking(ctx, id)
	if err != nil || !ok || cur.Tenant != tenant {
		return false, err
	}
	if slices.ContainsFunc(cur.Returns, func(x Return) bool { return x.LineID == ret.LineID }) {
		return true, nil
	}
	if (cur.Status != StatusExported && cur.Status != StatusBooked) || cur.EndToEndID != ret.EndToEndID {
		return false, nil
	}
	res, err := coll.UpdateOne(ctx, r.checked(id, bson.E{Key: "tenant", Value: tenant}, bson.E{Key: "status", Value: cur.Status},
		bson.E{Key: "end_to_end_id", Value: ret.EndToEndID}),
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: StatusReturned}, {Key: "hold_reason", Value: HoldReturned(ret.Reason)}}},
			{Key: "$unset", Value: bson.D{{Key: "booking", Value: ""}}},
			{Key: "$push", Value: bson.D{{Key: "returns", Value: ret}}},
			{Key: "$inc", Value: bson.D{{Key: "version", Value: int64(1)}}}})
	if err != nil {
		return false, fmt.Errorf("schedule: return: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// Reissue puts a returned payment of tenant back in the due list: its next run claims it with a new EndToEndId
// (the returned one stays in its attempts, never reused). The hold reason stays until then. ErrMoved when it is
// not returned.
func (r *Repository) Reissue(ctx context.Context, tenant, id string) error {
	if err := r.Transition(ctx, tenant, id, StatusReturned, "", bson.D{{Key: "status", Value: StatusScheduled}}); err != nil {
		return err
	}
	return r.Unset(ctx, tenant, id, StatusScheduled, "run_id", "end_to_end_id", "creditor")
}

// Settlement is what the statements said of an instalment (also in Instalment's Booking and Returns).
type Settlement struct {
	Booking *Booking `bson:"booking"`
	Returns []Return `bson:"returns"`
}

// EachSettled calls fn for every instalment of tenant matching q, with its settlement, in no particular order: the
// reconciliation only builds maps from them, and an unsorted query streams on every engine (FerretDB sorts in
// memory, which held a whole run's instalments — 1.2 GiB of heap for 80,000 payments).
func (r *Repository) EachSettled(ctx context.Context, tenant string, q Query, fn func(store.Versioned[Instalment], Settlement) error) error {
	filter, err := store.TenantFilter(tenant, q.filter())
	if err != nil {
		return err
	}
	cur, err := r.Instalments.Collection().Find(ctx, filter, options.Find().SetBatchSize(1000))
	if err != nil {
		return fmt.Errorf("schedule: scan instalments: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		v, err := store.Decode[Instalment](cur.Current, tenant)
		if err != nil {
			return err
		}
		var st Settlement
		if err := bson.Unmarshal(cur.Current, &st); err != nil {
			return fmt.Errorf("schedule: decode settlement: %w", err)
		}
		if err := fn(v, st); err != nil {
			return err
		}
	}
	return cur.Err()
}

// bookParallel is how many parts of a BookMany are written at once.
const bookParallel = 8

// BookOp is one payment to mark booked (BookMany).
type BookOp struct {
	ID, EndToEndID string
	Booking        Booking
}

// BookMany marks exported payments booked, in one bulk write (the reconciliation of a statement checked their
// status when it read its runs' payments). It reports for each op whether the payment is now booked by that
// op's line: a payment changed meanwhile by someone else is read back and reported false.
func (r *Repository) BookMany(ctx context.Context, tenant string, ops []BookOp) ([]bool, error) {
	out := make([]bool, len(ops))
	if len(ops) == 0 {
		return out, nil
	}
	models := make([]mongo.WriteModel, 0, len(ops))
	for _, op := range ops {
		filter := r.checked(op.ID, bson.E{Key: "tenant", Value: tenant}, bson.E{Key: "status", Value: StatusExported},
			bson.E{Key: "end_to_end_id", Value: op.EndToEndID})
		models = append(models, mongo.NewUpdateOneModel().SetFilter(filter).SetUpdate(bson.D{
			{Key: "$set", Value: bson.D{{Key: "status", Value: StatusBooked}, {Key: "booking", Value: op.Booking}}},
			{Key: "$inc", Value: bson.D{{Key: "version", Value: int64(1)}}}}))
	}
	// Each document changed is one committed transaction on FerretDB: the bulk goes in a few parts at once, so
	// that the engine's commits are grouped (PostgreSQL flushes concurrent commits together).
	parts := min(bookParallel, max(1, len(models)/50))
	size := (len(models) + parts - 1) / parts
	var matched atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, parts)
	for p := range parts {
		part := models[p*size : min(len(models), (p+1)*size)]
		wg.Go(func() {
			res, err := r.Instalments.Collection().BulkWrite(ctx, part, options.BulkWrite().SetOrdered(false))
			if err != nil {
				errs[p] = err
				return
			}
			matched.Add(res.MatchedCount)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return out, fmt.Errorf("schedule: book payments: %w", err)
	}
	if matched.Load() == int64(len(ops)) {
		for i := range out {
			out[i] = true
		}
		return out, nil
	}
	for i, op := range ops {
		cur, ok, err := r.readBooking(ctx, op.ID)
		if err != nil {
			return out, err
		}
		out[i] = ok && cur.Tenant == tenant && cur.Status == StatusBooked && cur.Booking != nil && cur.Booking.LineID == op.Booking.LineID
	}
	return out, nil
}
