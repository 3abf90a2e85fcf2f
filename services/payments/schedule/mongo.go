package schedule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/store"
)

// Collections of this package: schedules carry an outbox; instalments are the payments to make, one document
// each (a run of 100,000 payments never sits in one document).
const (
	CollSchedules   = "schedules"
	CollInstalments = "instalments"
	CollProcessed   = "schedule_processed"
)

// Collections returns the collections whose outboxes the relay publishes.
func Collections(db *mongo.Database) []*mongo.Collection {
	return []*mongo.Collection{db.Collection(CollSchedules)}
}

// EnsureIndexes creates the package's indexes, tenant first: the due list (status, due date), a decision's and a
// file's instalments, a run's payments, and the EndToEndId a statement line carries back (current and earlier
// attempts), for the reconciliation.
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	if err := store.EnsureIndexes(ctx, db.Collection(CollSchedules),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "status", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "file_id", Value: 1}}}); err != nil {
		return err
	}
	return store.EnsureIndexes(ctx, db.Collection(CollInstalments),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "status", Value: 1}, {Key: "due_on", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "decision_id", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "file_id", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "run_id", Value: 1}, {Key: "end_to_end_id", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "end_to_end_id", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "attempts.end_to_end_id", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "attempts.run_id", Value: 1}}},
	)
}

// Payee is who a payment goes to: the beneficiary (the registry's active account, read when the run is built)
// or a third party named by the decision (landlord, supplier, hospital) with its own account and, when it asks
// for one, its structured communication.
type Payee struct {
	Kind          string `bson:"kind" json:"kind"` // "beneficiary" or "third_party"
	Name          string `bson:"name,omitempty" json:"name,omitempty"`
	IBAN          string `bson:"iban,omitempty" json:"iban,omitempty"`
	BIC           string `bson:"bic,omitempty" json:"bic,omitempty"` // a third party's bank, optional (ReissueReturned)
	Communication string `bson:"communication,omitempty" json:"communication,omitempty"`
}

// Schedule is what a decision makes the CPAS owe (id = the decision's id).
type Schedule struct {
	PersonID      string       `bson:"person_id" json:"person_id"`
	FileID        string       `bson:"file_id" json:"file_id"`
	Kind          string       `bson:"kind" json:"kind"`
	Subtype       string       `bson:"subtype,omitempty" json:"subtype,omitempty"`
	BudgetArticle string       `bson:"budget_article" json:"budget_article"`
	Payee         Payee        `bson:"payee" json:"payee"`
	Terms         Terms        `bson:"terms" json:"terms"`
	Status        string       `bson:"status" json:"status"` // active, ended, refused
	Receivables   []Receivable `bson:"receivables,omitempty" json:"receivables,omitempty"`
	// PayeeCorrections are the third parties' creditors the accountant corrected at a reissue for the decision's
	// later payments too (payee.go), oldest first.
	PayeeCorrections []PayeeCorrection `bson:"payee_corrections,omitempty" json:"payee_corrections,omitempty"`
	// Applied are the ids of the decision events applied to the terms (a redelivered one changes nothing).
	Applied   []string  `bson:"applied" json:"-"`
	CreatedAt time.Time `bson:"created_at" json:"created_at"`
}

// Creditor is the payee as written in the file: name and IBAN, fixed when the run is built.
type Creditor struct {
	Name          string `bson:"name" json:"name"`
	IBAN          string `bson:"iban" json:"iban"`
	BIC           string `bson:"bic,omitempty" json:"bic,omitempty"`
	Communication string `bson:"communication,omitempty" json:"communication,omitempty"`
}

// Attempt is one run a payment went into, with the EndToEndId it had there (never reused: a payment held back,
// returned or whose run was cancelled gets a new one in its next run), so that a statement line naming an old
// EndToEndId still finds its payment; and what the run's file says of it (amount, creditor, remittance), frozen
// when the run claimed it: the file of a run is written from its attempts, so it comes out the same even after
// the payment was reissued elsewhere.
type Attempt struct {
	RunID       string    `bson:"run_id" json:"run_id"`
	EndToEndID  string    `bson:"end_to_end_id" json:"end_to_end_id"`
	At          time.Time `bson:"at" json:"at"`
	AmountCents int64     `bson:"amount_cents,omitempty" json:"amount_cents,omitempty"`
	Creditor    *Creditor `bson:"creditor,omitempty" json:"-"`
	Reference   string    `bson:"reference,omitempty" json:"-"`
}

// Instalment is one payment the CPAS owes.
type Instalment struct {
	DecisionID    string     `bson:"decision_id" json:"decision_id"`
	PersonID      string     `bson:"person_id" json:"person_id"`
	FileID        string     `bson:"file_id" json:"file_id"`
	Kind          string     `bson:"kind" json:"kind"`
	BudgetArticle string     `bson:"budget_article" json:"budget_article"`
	Label         string     `bson:"label" json:"label"`
	Parts         []Part     `bson:"parts" json:"parts"`
	AmountCents   int64      `bson:"amount_cents" json:"amount_cents"`
	DueOn         civil.Date `bson:"due_on" json:"due_on"`
	Status        string     `bson:"status" json:"status"`
	Payee         Payee      `bson:"payee" json:"payee"`
	// Reference is the remittance text when the payee asks for no structured communication.
	Reference  string    `bson:"reference" json:"reference"`
	RunID      string    `bson:"run_id,omitempty" json:"run_id,omitempty"`
	EndToEndID string    `bson:"end_to_end_id,omitempty" json:"end_to_end_id,omitempty"`
	Creditor   *Creditor `bson:"creditor,omitempty" json:"creditor,omitempty"`
	Attempts   []Attempt `bson:"attempts,omitempty" json:"attempts,omitempty"`
	HoldReason string    `bson:"hold_reason,omitempty" json:"hold_reason,omitempty"`
	CreatedAt  time.Time `bson:"created_at" json:"created_at"`
	// Booking and Returns: what the bank statements said of it (package reconcile, booking.go).
	Booking *Booking `bson:"booking,omitempty" json:"booking,omitempty"`
	Returns []Return `bson:"returns,omitempty" json:"returns,omitempty"`
	// Reissues: the accountant put the returned payment back in the due list (reissue.go).
	Reissues []Reissued `bson:"reissues,omitempty" json:"reissues,omitempty"`
}

// Repository keeps schedules and instalments.
type Repository struct {
	Schedules   *store.Repository[Schedule]
	Instalments *store.Repository[Instalment]
	processed   *store.Processed
	// bareID: the engine is FerretDB, whose updates are read-modify-write (a filter's conditions give no
	// atomicity there) and whose SQLite backend scans the collection for any filter but a bare _id; an
	// instalment's change is then written by _id alone after the check under the process lock.
	bareID bool
}

// DetectEngine adapts the instalments' conditional changes to the server (store.IsFerretDB).
func (r *Repository) DetectEngine(ctx context.Context) {
	r.bareID = store.IsFerretDB(ctx, r.Instalments.Collection().Database())
}

// NewRepository works on db; onWrite wakes the relay.
func NewRepository(db *mongo.Database, onWrite func(collection, id string)) *Repository {
	return &Repository{Schedules: store.NewRepository[Schedule](db.Collection(CollSchedules), onWrite),
		Instalments: store.NewRepository[Instalment](db.Collection(CollInstalments), nil),
		processed:   store.NewProcessed(db.Collection(CollProcessed))}
}

// ErrMoved is a conditional change of an instalment that found it no longer in the expected status.
var ErrMoved = errors.New("schedule: instalment moved on")

// Transition changes an instalment of tenant from status from (and, when run is set, in that run) with set, under
// the document lock; ErrMoved when it is no longer there. It reads the instalment by _id and checks the
// conditions; on MongoDB the update's filter carries them again, so the change is atomic across replicas; on
// FerretDB (read-modify-write updates, see DetectEngine) the update goes by _id alone, the process lock being the
// guarantee there as for every aggregate of the project.
func (r *Repository) Transition(ctx context.Context, tenant, id, from, run string, set bson.D, push ...bson.E) error {
	update := bson.D{{Key: "$set", Value: set}, {Key: "$inc", Value: bson.D{{Key: "version", Value: int64(1)}}}}
	if len(push) > 0 {
		update = append(update, bson.E{Key: "$push", Value: bson.D(push)})
	}
	return r.change(ctx, tenant, id, from, run, update)
}

// Unset removes fields of an instalment of tenant in status from, under the document lock.
func (r *Repository) Unset(ctx context.Context, tenant, id, from string, fields ...string) error {
	u := bson.D{}
	for _, f := range fields {
		u = append(u, bson.E{Key: f, Value: ""})
	}
	err := r.change(ctx, tenant, id, from, "", bson.D{{Key: "$unset", Value: u}})
	if errors.Is(err, ErrMoved) {
		return nil
	}
	return err
}

func (r *Repository) change(ctx context.Context, tenant, id, from, run string, update bson.D) error {
	coll := r.Instalments.Collection()
	unlock := store.LockDocument(coll, id)
	defer unlock()
	var cur struct {
		Tenant string `bson:"tenant"`
		Status string `bson:"status"`
		RunID  string `bson:"run_id"`
	}
	err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}},
		options.FindOne().SetProjection(bson.D{{Key: "tenant", Value: 1}, {Key: "status", Value: 1}, {Key: "run_id", Value: 1}})).Decode(&cur)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ErrMoved
	}
	if err != nil {
		return fmt.Errorf("schedule: read instalment: %w", err)
	}
	if cur.Tenant != tenant || cur.Status != from || (run != "" && cur.RunID != run) {
		return ErrMoved
	}
	filter := bson.D{{Key: "_id", Value: id}}
	if !r.bareID {
		filter = append(filter, bson.E{Key: "tenant", Value: tenant}, bson.E{Key: "status", Value: from})
		if run != "" {
			filter = append(filter, bson.E{Key: "run_id", Value: run})
		}
	}
	res, err := coll.UpdateOne(ctx, filter, update)
	if err != nil {
		return fmt.Errorf("schedule: update instalment: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrMoved
	}
	return nil
}

// InstalmentsOf lists the instalments of a decision.
func (r *Repository) InstalmentsOf(ctx context.Context, tenant, decisionID string) ([]store.Versioned[Instalment], error) {
	return r.Instalments.Find(ctx, tenant, bson.D{{Key: "decision_id", Value: decisionID}},
		options.Find().SetSort(bson.D{{Key: "due_on", Value: 1}, {Key: "_id", Value: 1}}))
}

// Query narrows the instalments.
type Query struct {
	Status   string
	Kinds    []string
	Articles []string
	DueBy    civil.Date
	FileID   string
	RunID    string
	// AttemptRun keeps the payments that went into that run, wherever they are now.
	AttemptRun string
	Skip       int64
	Limit      int64
}

func (q Query) filter() bson.D {
	f := bson.D{}
	if q.Status != "" {
		f = append(f, bson.E{Key: "status", Value: q.Status})
	}
	if len(q.Kinds) > 0 {
		f = append(f, bson.E{Key: "kind", Value: bson.D{{Key: "$in", Value: q.Kinds}}})
	}
	if len(q.Articles) > 0 {
		f = append(f, bson.E{Key: "budget_article", Value: bson.D{{Key: "$in", Value: q.Articles}}})
	}
	if !q.DueBy.IsZero() {
		f = append(f, bson.E{Key: "due_on", Value: bson.D{{Key: "$lte", Value: q.DueBy}}})
	}
	if q.FileID != "" {
		f = append(f, bson.E{Key: "file_id", Value: q.FileID})
	}
	if q.RunID != "" {
		f = append(f, bson.E{Key: "run_id", Value: q.RunID})
	}
	if q.AttemptRun != "" {
		f = append(f, bson.E{Key: "attempts.run_id", Value: q.AttemptRun})
	}
	return f
}

// Find lists a page of the tenant's instalments matching q, by due date.
func (r *Repository) Find(ctx context.Context, tenant string, q Query) ([]store.Versioned[Instalment], error) {
	opts := options.Find().SetSort(bson.D{{Key: "due_on", Value: 1}, {Key: "_id", Value: 1}})
	if q.Skip > 0 {
		opts.SetSkip(q.Skip)
	}
	if q.Limit > 0 {
		opts.SetLimit(q.Limit)
	}
	return r.Instalments.Find(ctx, tenant, q.filter(), opts)
}

// Totals counts the tenant's instalments matching q and sums their amounts.
func (r *Repository) Totals(ctx context.Context, tenant string, q Query) (count int64, cents int64, err error) {
	filter, err := store.TenantFilter(tenant, q.filter())
	if err != nil {
		return 0, 0, err
	}
	cur, err := r.Instalments.Collection().Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "amount_cents", Value: 1}}))
	if err != nil {
		return 0, 0, fmt.Errorf("schedule: totals: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		v, _ := cur.Current.Lookup("amount_cents").AsInt64OK()
		count++
		cents += v
	}
	return count, cents, cur.Err()
}

// Each calls fn for every instalment of tenant matching q, in due date and id order, reading in batches (a run
// of 100,000 payments is never held in memory).
func (r *Repository) Each(ctx context.Context, tenant string, q Query, sort bson.D, fn func(store.Versioned[Instalment]) error) error {
	filter, err := store.TenantFilter(tenant, q.filter())
	if err != nil {
		return err
	}
	cur, err := r.Instalments.Collection().Find(ctx, filter, options.Find().SetSort(sort).SetBatchSize(1000))
	if err != nil {
		return fmt.Errorf("schedule: scan instalments: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		v, err := store.Decode[Instalment](cur.Current, tenant)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return cur.Err()
}
