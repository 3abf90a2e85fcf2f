package schedule

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/store"
)

// ClaimOp is one due instalment a run claims: what the run fixes on it (EndToEndId, creditor) and the attempt
// pushed to its history.
type ClaimOp struct {
	ID         string
	EndToEndID string
	Creditor   *Creditor
	Attempt    Attempt
}

// Claim moves a batch of instalments of tenant from scheduled to in_run for run, in one bulk write, and reports
// for each op whether this run got it (false: taken by another run or changed meanwhile). A payment is in at most
// one live run: on MongoDB each update's filter carries the conditions (_id, tenant, scheduled), atomic per
// document; on FerretDB (read-modify-write updates, see DetectEngine) the batch is locked in this process, each
// instalment's status read by _id under the lock, and the updates of those still due go by _id alone.
func (r *Repository) Claim(ctx context.Context, tenant, run string, ops []ClaimOp) ([]bool, error) {
	got := make([]bool, len(ops))
	if len(ops) == 0 {
		return got, nil
	}
	coll := r.Instalments.Collection()
	ids := make([]string, len(ops))
	for i, op := range ops {
		ids[i] = op.ID
	}
	if r.bareID {
		unlock := store.LockDocuments(coll, ids)
		defer unlock()
	}
	models := make([]mongo.WriteModel, 0, len(ops))
	sent := make([]int, 0, len(ops))
	for i, op := range ops {
		filter := bson.D{{Key: "_id", Value: op.ID}}
		if r.bareID {
			ok, err := r.isDue(ctx, tenant, op.ID)
			if err != nil {
				return got, err
			}
			if !ok {
				continue
			}
		} else {
			filter = append(filter, bson.E{Key: "tenant", Value: tenant}, bson.E{Key: "status", Value: StatusScheduled})
		}
		models = append(models, mongo.NewUpdateOneModel().SetFilter(filter).SetUpdate(bson.D{
			{Key: "$set", Value: bson.D{{Key: "status", Value: StatusInRun}, {Key: "run_id", Value: run},
				{Key: "end_to_end_id", Value: op.EndToEndID}, {Key: "creditor", Value: op.Creditor}, {Key: "hold_reason", Value: ""}}},
			{Key: "$inc", Value: bson.D{{Key: "version", Value: int64(1)}}},
			{Key: "$push", Value: bson.D{{Key: "attempts", Value: op.Attempt}}}}))
		sent = append(sent, i)
	}
	if len(models) == 0 {
		return got, nil
	}
	var matched int64
	if r.bareID {
		// One update per command: FerretDB v1.24 keeps every statement's query open until the end of an update
		// command, and a bulk of hundreds of statements stalls its SQLite backend (measured: a 1,000-statement
		// bulk did not finish in minutes, where single updates take tens of milliseconds each).
		for _, m := range models {
			um := m.(*mongo.UpdateOneModel)
			res, err := coll.UpdateOne(ctx, um.Filter, um.Update)
			if err != nil {
				return got, fmt.Errorf("schedule: claim instalment: %w", err)
			}
			matched += res.MatchedCount
		}
	} else {
		res, err := coll.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
		if err != nil {
			return got, fmt.Errorf("schedule: claim instalments: %w", err)
		}
		matched = res.MatchedCount
	}
	if matched == int64(len(models)) {
		for _, i := range sent {
			got[i] = true
		}
		return got, nil
	}
	// Some were taken meanwhile (MongoDB only: on FerretDB the lock kept them): read back which are this run's.
	filter, err := store.TenantFilter(tenant, bson.D{{Key: "run_id", Value: run}, {Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return got, err
	}
	cur, err := coll.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return got, fmt.Errorf("schedule: read back claims: %w", err)
	}
	defer cur.Close(ctx)
	mine := make(map[string]bool, len(ops))
	for cur.Next(ctx) {
		id, _ := cur.Current.Lookup("_id").StringValueOK()
		mine[id] = true
	}
	if err := cur.Err(); err != nil {
		return got, fmt.Errorf("schedule: read back claims: %w", err)
	}
	for _, i := range sent {
		got[i] = mine[ops[i].ID]
	}
	return got, nil
}

// isDue reads an instalment by _id (the one filter FerretDB/SQLite pushes down) and tells whether it is a
// scheduled instalment of tenant.
func (r *Repository) isDue(ctx context.Context, tenant, id string) (bool, error) {
	var cur struct {
		Tenant string `bson:"tenant"`
		Status string `bson:"status"`
	}
	err := r.Instalments.Collection().FindOne(ctx, bson.D{{Key: "_id", Value: id}},
		options.FindOne().SetProjection(bson.D{{Key: "tenant", Value: 1}, {Key: "status", Value: 1}})).Decode(&cur)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("schedule: read instalment: %w", err)
	}
	return cur.Tenant == tenant && cur.Status == StatusScheduled, nil
}

// EachAttempt calls fn, in instalment id order, with each payment's attempt in run (what the run's file says of
// it), reading only the attempts of the payments that went into run, in batches.
func (r *Repository) EachAttempt(ctx context.Context, tenant, run string, fn func(id string, at Attempt) error) error {
	filter, err := store.TenantFilter(tenant, Query{AttemptRun: run}.filter())
	if err != nil {
		return err
	}
	cur, err := r.Instalments.Collection().Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).
		SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "tenant", Value: 1}, {Key: "attempts", Value: 1}}).SetBatchSize(1000))
	if err != nil {
		return fmt.Errorf("schedule: scan a run's payments: %w", err)
	}
	defer cur.Close(ctx)
	var doc struct {
		ID       string    `bson:"_id"`
		Tenant   string    `bson:"tenant"`
		Attempts []Attempt `bson:"attempts"`
	}
	for cur.Next(ctx) {
		doc.Attempts = doc.Attempts[:0]
		if err := cur.Decode(&doc); err != nil {
			return fmt.Errorf("schedule: decode a run's payment: %w", err)
		}
		if doc.Tenant != tenant {
			continue
		}
		var at *Attempt
		for i := range doc.Attempts {
			if doc.Attempts[i].RunID == run {
				at = &doc.Attempts[i]
			}
		}
		if at == nil {
			return fmt.Errorf("schedule: payment %s has no attempt in run %s", doc.ID, run)
		}
		if err := fn(doc.ID, *at); err != nil {
			return err
		}
	}
	return cur.Err()
}
