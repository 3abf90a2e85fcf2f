// Package run is the payment runs: the accountant builds a run for an execution date from the due instalments
// (filtered by kind and budget article), a finance director who is not its creator approves it, and the run is
// exported as one pain.001 file (streamed). A run claims its instalments (a payment is in at most one live run)
// and gives each a new EndToEndId; once approved it cannot change. The export is deterministic: its plan (MsgId,
// creation time, debtor, version, the payments held back with their reason) is stored before the first byte is
// written, so exporting again, or after a crash before the run was marked exported, gives the same bytes.
package run

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/httpkit"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/projection"
	"github.com/entraide/entraide/services/payments/schedule"
	"github.com/entraide/entraide/services/payments/settings"
)

// Collections.
const (
	CollRuns     = "runs"
	CollCounters = "run_counters"
)

// Collections returns the collections whose outboxes the relay publishes.
func Collections(db *mongo.Database) []*mongo.Collection {
	return []*mongo.Collection{db.Collection(CollRuns)}
}

// EnsureIndexes creates the indexes: the list by status, the run number, and the PmtInfId a batch-booked debit
// line carries back (the reconciliation finds the run by it).
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	return store.EnsureIndexes(ctx, db.Collection(CollRuns),
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "number", Value: 1}}, Options: options.Index().SetUnique(true)},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "status", Value: 1}, {Key: "execution_date", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "pmt_inf_id", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "msg_id", Value: 1}}},
	)
}

// Statuses of a run. Building is the short moment the run claims its instalments; a run left building by a crash
// is cancelled by the housekeeping.
const (
	StatusBuilding  = "building"
	StatusDraft     = "draft"
	StatusApproved  = "approved"
	StatusExported  = "exported"
	StatusCancelled = "cancelled"
)

// Events.
const (
	EventSource      = "entraide-payments"
	TypeRunApproved  = "be.cpas.payments.run.approved.v1"
	TypeRunExported  = "be.cpas.payments.run.exported.v1"
	holdIBANInvalid  = "iban_invalid"
	holdAccountMoved = "account_changed"
	holdNoAccount    = "no_account"
	holdNameInvalid  = "name_invalid"
)

// Total is a count and a sum under a key (a kind, a budget article).
type Total struct {
	Key        string `bson:"key" json:"key"`
	Count      int    `bson:"count" json:"count"`
	TotalCents int64  `bson:"total_cents" json:"total_cents"`
}

// Held is a payment held back at export, with the reason.
type Held struct {
	InstalmentID string `bson:"instalment_id" json:"instalment_id"`
	EndToEndID   string `bson:"end_to_end_id" json:"end_to_end_id"`
	AmountCents  int64  `bson:"amount_cents" json:"amount_cents"`
	Reason       string `bson:"reason" json:"reason"`
}

// Export is the plan of the file, fixed before its first byte: everything the file depends on besides the run's
// payments, which cannot change once the run is approved.
type Export struct {
	PainVersion      string    `bson:"pain_version" json:"pain_version"`
	CreatedAt        time.Time `bson:"created_at" json:"created_at"`
	DebtorName       string    `bson:"debtor_name" json:"debtor_name"`
	DebtorIBAN       string    `bson:"debtor_iban" json:"debtor_iban"`
	DebtorBIC        string    `bson:"debtor_bic,omitempty" json:"debtor_bic,omitempty"`
	EnterpriseNumber string    `bson:"enterprise_number,omitempty" json:"enterprise_number,omitempty"`
	BatchBooking     bool      `bson:"batch_booking" json:"batch_booking"`
	Held             []Held    `bson:"held" json:"held"`
	Count            int       `bson:"count" json:"count"`
	TotalCents       int64     `bson:"total_cents" json:"total_cents"`
	// SHA256 and Size are recorded when the file was first written whole.
	SHA256     string    `bson:"sha256,omitempty" json:"sha256,omitempty"`
	Size       int64     `bson:"size,omitempty" json:"size,omitempty"`
	ExportedAt time.Time `bson:"exported_at,omitzero" json:"exported_at,omitzero"`
	ExportedBy string    `bson:"exported_by,omitempty" json:"exported_by,omitempty"`
}

// Run is a payment run.
type Run struct {
	Number        string     `bson:"number" json:"number"`
	ExecutionDate civil.Date `bson:"execution_date" json:"execution_date"`
	Kinds         []string   `bson:"kinds" json:"kinds"`
	Articles      []string   `bson:"budget_articles" json:"budget_articles"`
	Status        string     `bson:"status" json:"status"`
	CreatedBy     string     `bson:"created_by" json:"created_by"`
	CreatedAt     time.Time  `bson:"created_at" json:"created_at"`
	ApprovedBy    string     `bson:"approved_by,omitempty" json:"approved_by,omitempty"`
	ApprovedAt    time.Time  `bson:"approved_at,omitzero" json:"approved_at,omitzero"`
	CancelledBy   string     `bson:"cancelled_by,omitempty" json:"cancelled_by,omitempty"`
	Count         int        `bson:"count" json:"count"`
	TotalCents    int64      `bson:"total_cents" json:"total_cents"`
	ByKind        []Total    `bson:"by_kind" json:"by_kind"`
	ByArticle     []Total    `bson:"by_article" json:"by_article"`
	// Skipped counts the due instalments left out because no account is known for their payee.
	Skipped  int     `bson:"skipped" json:"skipped"`
	MsgID    string  `bson:"msg_id" json:"msg_id"`
	PmtInfID string  `bson:"pmt_inf_id" json:"pmt_inf_id"`
	Export   *Export `bson:"export,omitempty" json:"export,omitempty"`
	// Settled: after the export the held payments went back to the due list and the others were marked exported
	// (or, for a cancelled run, its payments were released).
	Settled bool `bson:"settled" json:"settled"`
}

// Record is a stored run.
type Record = store.Versioned[Run]

// ApprovedPayload is the payload of TypeRunApproved.
type ApprovedPayload struct {
	RunID         string     `json:"run_id"`
	Number        string     `json:"number"`
	ExecutionDate civil.Date `json:"execution_date"`
	Count         int        `json:"count"`
	TotalCents    int64      `json:"total_cents"`
	CreatedBy     string     `json:"created_by"`
	ApprovedBy    string     `json:"approved_by"`
}

// ExportedPayload is the payload of TypeRunExported.
type ExportedPayload struct {
	RunID         string     `json:"run_id"`
	Number        string     `json:"number"`
	ExecutionDate civil.Date `json:"execution_date"`
	MsgID         string     `json:"msg_id"`
	PmtInfID      string     `json:"pmt_inf_id"`
	PainVersion   string     `json:"pain_version"`
	Count         int        `json:"count"`
	TotalCents    int64      `json:"total_cents"`
	HeldCount     int        `json:"held_count"`
	SHA256        string     `json:"sha256"`
}

// Service is the runs' use cases.
type Service struct {
	Runs      *store.Repository[Run]
	Schedules *schedule.Repository
	Proj      *projection.Repository
	Settings  *settings.Store
	Audit     *kit.Auditor
	counters  *mongo.Collection
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// NewService works on db.
func NewService(db *mongo.Database, onWrite func(collection, id string), sch *schedule.Repository, proj *projection.Repository,
	st *settings.Store, audit *kit.Auditor) *Service {
	return &Service{Runs: store.NewRepository[Run](db.Collection(CollRuns), onWrite), Schedules: sch, Proj: proj, Settings: st,
		Audit: audit, counters: db.Collection(CollCounters)}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) nextSeq(ctx context.Context, tenant string, year int) (int, error) {
	id := tenant + "/" + strconv.Itoa(year)
	unlock := store.LockDocument(s.counters, id)
	defer unlock()
	var doc struct {
		Last int `bson:"last"`
	}
	err := s.counters.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "last", Value: 1}}},
			{Key: "$setOnInsert", Value: bson.D{{Key: "tenant", Value: tenant}, {Key: "year", Value: year}}}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	if err != nil {
		return 0, fmt.Errorf("run: draw number: %w", err)
	}
	return doc.Last, nil
}

// Input is a run to build.
type Input struct {
	ExecutionDate civil.Date `json:"execution_date"`
	Kinds         []string   `json:"kinds"`
	Articles      []string   `json:"budget_articles"`
}

func (in *Input) check(today civil.Date) error {
	var fs problem.Fields
	switch {
	case in.ExecutionDate.IsZero():
		fs.Add("execution_date", "required")
	case in.ExecutionDate.Before(today):
		fs.Add("execution_date", "payments.execution_past")
	case in.ExecutionDate.After(today.AddDays(366)):
		fs.Add("execution_date", "payments.execution_far")
	}
	for _, k := range in.Kinds {
		if !slices.Contains(schedule.Kinds, k) {
			fs.Add("kinds", "payments.kind_unknown")
			break
		}
	}
	for i, a := range in.Articles {
		in.Articles[i] = strings.TrimSpace(a)
		if in.Articles[i] == "" || len(in.Articles[i]) > 20 {
			fs.Add("budget_articles", "payments.article_invalid")
			break
		}
	}
	slices.Sort(in.Kinds)
	in.Kinds = slices.Compact(in.Kinds)
	slices.Sort(in.Articles)
	in.Articles = slices.Compact(in.Articles)
	return fs.Err()
}

// Identifiers of a run: the file's MsgId and PmtInfId and each payment's EndToEndId derive from the run number,
// unique in the tenant and never reused (the counter only goes up), so an EndToEndId is never reused either.
func msgID(number string) string    { return "MSG-" + number }
func pmtInfID(number string) string { return "PMT-" + number + "-1" }
func endToEnd(number string, n int) string {
	return fmt.Sprintf("E2E-%s-%06d", number, n)
}

// creditor resolves the payee of an instalment as the file will name it.
func (s *Service) creditor(ctx context.Context, tenant string, in schedule.Instalment) (*schedule.Creditor, error) {
	if in.Payee.Kind == "third_party" {
		return &schedule.Creditor{Name: in.Payee.Name, IBAN: in.Payee.IBAN, BIC: in.Payee.BIC, Communication: in.Payee.Communication}, nil
	}
	p, err := s.Proj.Payee(ctx, tenant, in.PersonID)
	if errors.Is(err, projection.ErrNotFound) || (err == nil && (p.IBAN == "" || p.Name() == "")) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &schedule.Creditor{Name: p.Name(), IBAN: p.IBAN}, nil
}

type totals map[string]*Total

func (t totals) add(key string, cents int64) {
	x := t[key]
	if x == nil {
		x = &Total{Key: key}
		t[key] = x
	}
	x.Count++
	x.TotalCents += cents
}

func (t totals) list() []Total {
	out := make([]Total, 0, len(t))
	for _, x := range t {
		out = append(out, *x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// claimBatch is how many payments a run claims in one bulk write.
const claimBatch = 500

// Build creates a run for the execution date from the due instalments matching the filters, claims them (each
// gets a new EndToEndId) and records the totals. Due instalments whose payee has no known account are left out
// and counted.
func (s *Service) Build(ctx context.Context, a kit.Actor, in Input) (Record, error) {
	now := s.now()
	if err := in.check(civil.Of(now)); err != nil {
		return Record{}, err
	}
	year := in.ExecutionDate.Year()
	seq, err := s.nextSeq(ctx, a.Tenant, year)
	if err != nil {
		return Record{}, err
	}
	number := fmt.Sprintf("P%d-%06d", year, seq)
	id := uuid.NewString()
	r := Run{Number: number, ExecutionDate: in.ExecutionDate, Kinds: in.Kinds, Articles: in.Articles, Status: StatusBuilding,
		CreatedBy: a.UserID, CreatedAt: now.UTC().Truncate(time.Millisecond), MsgID: msgID(number), PmtInfID: pmtInfID(number),
		ByKind: []Total{}, ByArticle: []Total{}}
	if r.Kinds == nil {
		r.Kinds = []string{}
	}
	if r.Articles == nil {
		r.Articles = []string{}
	}
	if err := s.Runs.Insert(ctx, a.Tenant, id, r); err != nil {
		return Record{}, err
	}
	byKind, byArticle := totals{}, totals{}
	n, skipped := 0, 0
	var sum int64
	q := schedule.Query{Status: schedule.StatusScheduled, Kinds: in.Kinds, Articles: in.Articles, DueBy: in.ExecutionDate}
	// Collect the candidates' ids first (small documents), then claim one by one: the scan does not run over
	// documents it is changing.
	type cand struct {
		id string
		in schedule.Instalment
	}
	var cands []cand
	err = s.Schedules.Each(ctx, a.Tenant, q, bson.D{{Key: "due_on", Value: 1}, {Key: "_id", Value: 1}}, func(v store.Versioned[schedule.Instalment]) error {
		cands = append(cands, cand{v.ID, v.State})
		return nil
	})
	if err != nil {
		return Record{}, err
	}
	at := now.UTC().Truncate(time.Millisecond)
	// Claim in batches (one bulk write each). EndToEndIds are numbered in the order of the candidates; one lost
	// to another run meanwhile leaves its number unused (never reused).
	seqE2E := 0
	for start := 0; start < len(cands); start += claimBatch {
		batch := cands[start:min(start+claimBatch, len(cands))]
		ops := make([]schedule.ClaimOp, 0, len(batch))
		kept := make([]cand, 0, len(batch))
		for _, c := range batch {
			cr, err := s.creditor(ctx, a.Tenant, c.in)
			if err != nil {
				return Record{}, err
			}
			if cr == nil {
				skipped++
				continue
			}
			seqE2E++
			e2e := endToEnd(number, seqE2E)
			ops = append(ops, schedule.ClaimOp{ID: c.id, EndToEndID: e2e, Creditor: cr, Attempt: schedule.Attempt{RunID: id,
				EndToEndID: e2e, At: at, AmountCents: c.in.AmountCents, Creditor: cr, Reference: c.in.Reference}})
			kept = append(kept, c)
		}
		got, err := s.Schedules.Claim(ctx, a.Tenant, id, ops)
		if err != nil {
			return Record{}, err
		}
		for i, c := range kept {
			if !got[i] {
				continue // taken by another run or cancelled meanwhile
			}
			n++
			sum += c.in.AmountCents
			byKind.add(c.in.Kind, c.in.AmountCents)
			byArticle.add(c.in.BudgetArticle, c.in.AmountCents)
		}
	}
	if n == 0 {
		// Nothing claimed: the empty run is dropped (its number stays unused).
		if _, err := s.Runs.Collection().DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "tenant", Value: a.Tenant}}); err != nil {
			return Record{}, fmt.Errorf("run: drop an empty run: %w", err)
		}
		return Record{}, problem.Invalid(problem.Field("execution_date", "payments.nothing_due"))
	}
	status := StatusDraft
	_, err = s.Runs.Update(ctx, a.Tenant, id, func(x *Run) ([]events.Event, error) {
		x.Status, x.Count, x.TotalCents, x.Skipped = status, n, sum, skipped
		x.ByKind, x.ByArticle = byKind.list(), byArticle.list()
		return nil, nil
	})
	if err != nil {
		return Record{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "run.create", ResourceType: "run", ResourceID: id})
	return s.Runs.Load(ctx, a.Tenant, id)
}

// Get reads a run of the actor's tenant.
func (s *Service) Get(ctx context.Context, a kit.Actor, id string) (Record, error) {
	rec, err := s.Runs.Load(ctx, a.Tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return rec, kit.ErrNotFound
	}
	return rec, err
}

// List reads a page of the tenant's runs, newest first.
func (s *Service) List(ctx context.Context, a kit.Actor, status string, skip, limit int64) ([]Record, error) {
	f := bson.D{}
	if status != "" {
		f = append(f, bson.E{Key: "status", Value: status})
	}
	return s.Runs.Find(ctx, a.Tenant, f, options.Find().SetSort(bson.D{{Key: "number", Value: -1}}).SetSkip(skip).SetLimit(limit))
}

// Approve records the finance director's approval of a draft read at version expected. The creator of the run
// cannot approve it (two people); two approvals at once give one (the version moves under the second).
func (s *Service) Approve(ctx context.Context, a kit.Actor, id string, expected int64) (Record, error) {
	rec, err := s.Get(ctx, a, id)
	if err != nil {
		return rec, err
	}
	if rec.State.CreatedBy == a.UserID {
		s.Audit.Record(ctx, a, kit.Entry{Action: "run.approve", ResourceType: "run", ResourceID: id, Outcome: "denied"})
		return rec, (&problem.Error{Type: problem.Forbidden, Detail: "four-eyes"}).With("code", "payments.creator_cannot_approve")
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	_, err = s.Runs.UpdateIfVersion(ctx, a.Tenant, id, expected, func(x *Run) ([]events.Event, error) {
		if x.Status != StatusDraft {
			return nil, problem.New(problem.Conflict).With("code", "payments.run_not_draft").With("status", x.Status)
		}
		x.Status, x.ApprovedBy, x.ApprovedAt = StatusApproved, a.UserID, now
		ev, err := events.New(TypeRunApproved, EventSource, a.Tenant, id, correlation(ctx, id), ApprovedPayload{RunID: id, Number: x.Number,
			ExecutionDate: x.ExecutionDate, Count: x.Count, TotalCents: x.TotalCents, CreatedBy: x.CreatedBy, ApprovedBy: a.UserID})
		if err != nil {
			return nil, err
		}
		return []events.Event{ev}, nil
	})
	if err != nil {
		return Record{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "run.approve", ResourceType: "run", ResourceID: id})
	return s.Runs.Load(ctx, a.Tenant, id)
}

func correlation(ctx context.Context, fallback string) string {
	if id := httpkit.RequestID(ctx); id != "" {
		return id
	}
	return fallback
}

// Cancel drops a draft (read at version expected) and gives its payments back to the due list.
func (s *Service) Cancel(ctx context.Context, a kit.Actor, id string, expected int64) (Record, error) {
	if _, err := s.Get(ctx, a, id); err != nil {
		return Record{}, err
	}
	_, err := s.Runs.UpdateIfVersion(ctx, a.Tenant, id, expected, func(x *Run) ([]events.Event, error) {
		if x.Status != StatusDraft {
			return nil, problem.New(problem.Conflict).With("code", "payments.run_not_draft").With("status", x.Status)
		}
		x.Status, x.CancelledBy = StatusCancelled, a.UserID
		return nil, nil
	})
	if err != nil {
		return Record{}, err
	}
	s.Audit.Record(ctx, a, kit.Entry{Action: "run.cancel", ResourceType: "run", ResourceID: id})
	if err := s.release(ctx, a.Tenant, id); err != nil {
		return Record{}, err
	}
	return s.Runs.Load(ctx, a.Tenant, id)
}

// release gives the payments of a cancelled run back to the due list (idempotent), then marks it settled.
func (s *Service) release(ctx context.Context, tenant, id string) error {
	var ids []string
	err := s.Schedules.Each(ctx, tenant, schedule.Query{RunID: id, Status: schedule.StatusInRun}, bson.D{{Key: "_id", Value: 1}},
		func(v store.Versioned[schedule.Instalment]) error { ids = append(ids, v.ID); return nil })
	if err != nil {
		return err
	}
	for _, iid := range ids {
		if err := s.unclaim(ctx, tenant, id, iid, ""); err != nil {
			return err
		}
	}
	_, err = s.Runs.Update(ctx, tenant, id, func(x *Run) ([]events.Event, error) { x.Settled = true; return nil, nil })
	return err
}

// unclaim puts one payment of run back to the due list, with the reason it was held back (if any).
func (s *Service) unclaim(ctx context.Context, tenant, run, id, reason string) error {
	set := bson.D{{Key: "status", Value: schedule.StatusScheduled}, {Key: "hold_reason", Value: reason}}
	err := s.Schedules.Transition(ctx, tenant, id, schedule.StatusInRun, run, set)
	if errors.Is(err, schedule.ErrMoved) {
		return nil // released before
	}
	if err != nil {
		return err
	}
	return s.Schedules.Unset(ctx, tenant, id, schedule.StatusScheduled, "run_id", "end_to_end_id", "creditor")
}

// Housekeep cancels runs a crash left building (older than a few minutes) and settles runs whose settlement a
// crash interrupted.
func (s *Service) Housekeep(ctx context.Context) {
	cur, err := s.Runs.Collection().Find(ctx, bson.D{{Key: "settled", Value: false},
		{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{StatusBuilding, StatusCancelled, StatusExported}}}}})
	if err != nil {
		return
	}
	var docs []struct {
		ID        string    `bson:"_id"`
		Tenant    string    `bson:"tenant"`
		Status    string    `bson:"status"`
		CreatedAt time.Time `bson:"created_at"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return
	}
	for _, d := range docs {
		switch d.Status {
		case StatusBuilding:
			if s.now().Sub(d.CreatedAt) < 10*time.Minute {
				continue
			}
			_, err := s.Runs.Update(ctx, d.Tenant, d.ID, func(x *Run) ([]events.Event, error) {
				if x.Status != StatusBuilding {
					return nil, nil
				}
				x.Status = StatusCancelled
				return nil, nil
			})
			if err == nil {
				_ = s.release(ctx, d.Tenant, d.ID)
			}
		case StatusCancelled:
			_ = s.release(ctx, d.Tenant, d.ID)
		case StatusExported:
			_ = s.settle(ctx, d.Tenant, d.ID)
		}
	}
}
