// Package demo seeds the payments side of the embedded default's demo tenant: the payment settings (a fictional
// debtor account, so that a file can be produced) and, once the decisions demo's schedules have instalments due,
// two payment runs built by the accountant: the one-off aids approved by the finance director and exported, the
// monthly aids awaiting approval. It goes through the service layer (the same rules as the API: claims, four eyes,
// the deterministic file) and does nothing when the tenant has runs already.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/payments"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/run"
	"github.com/entraide/entraide/services/payments/schedule"
)

// Staff are the demo's finance users.
type Staff struct {
	Tenant          string
	Accountant      string // user id
	FinanceDirector string // user id
}

// DebtorIBAN is the demo CPAS's fictional account (a valid Belgian IBAN of the domain reference's test vectors).
const DebtorIBAN = "BE21001234567803"

// Result says what was seeded.
type Result struct {
	Seeded   bool
	Exported string // run number
	Awaiting string // run number
}

// Seed seeds the demo (see the package comment); wait bounds the wait for due instalments.
func Seed(ctx context.Context, app *payments.App, st Staff, wait time.Duration, logger *slog.Logger) (Result, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	set, err := app.Settings.Get(ctx, st.Tenant)
	if err != nil {
		return Result{}, err
	}
	if set.State.DebtorIBAN == "" {
		next := set.State
		next.DebtorName, next.DebtorIBAN = "CPAS de demonstration", DebtorIBAN
		if _, err := app.Settings.Put(ctx, st.Tenant, set.Version, next); err != nil {
			return Result{}, fmt.Errorf("payments demo: settings: %w", err)
		}
	}
	runs := app.Runs.Runs
	if n, err := runs.Collection().CountDocuments(ctx, bson.D{{Key: "tenant", Value: st.Tenant}}); err != nil || n > 0 {
		return Result{}, err
	}
	// The decisions demo's schedules come through Kafka: wait until instalments are due today.
	today := civil.Today()
	deadline := time.Now().Add(wait)
	for {
		n, _, err := app.Schedules.Repo.Totals(ctx, st.Tenant, schedule.Query{Status: schedule.StatusScheduled, DueBy: today})
		if err != nil {
			return Result{}, err
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			logger.Info("payments demo: no instalment due yet, no demo run", "tenant", st.Tenant)
			return Result{}, nil
		}
		select {
		case <-ctx.Done():
			return Result{}, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	// Let the schedules of every demo decision arrive before the runs are cut.
	select {
	case <-ctx.Done():
		return Result{}, ctx.Err()
	case <-time.After(5 * time.Second):
	}
	acc := kit.Actor{UserID: st.Accountant, Tenant: st.Tenant, Roles: []string{kit.RoleAccountant}}
	dir := kit.Actor{UserID: st.FinanceDirector, Tenant: st.Tenant, Roles: []string{kit.RoleFinanceDirector}}
	var res Result
	oneOff, err := app.Runs.Build(ctx, acc, run.Input{ExecutionDate: today, Kinds: []string{schedule.KindAideSociale, schedule.KindAMU}})
	switch {
	case err == nil:
		if _, err := app.Runs.Approve(ctx, dir, oneOff.ID, oneOff.Version); err != nil {
			return res, fmt.Errorf("payments demo: approve: %w", err)
		}
		rec, err := app.Runs.Prepare(ctx, acc, oneOff.ID)
		if err != nil {
			return res, fmt.Errorf("payments demo: export: %w", err)
		}
		sum, size, err := app.Runs.Write(ctx, st.Tenant, rec, io.Discard)
		if err != nil {
			return res, fmt.Errorf("payments demo: file: %w", err)
		}
		if err := app.Runs.Exported(ctx, acc, rec, sum, size); err != nil {
			return res, err
		}
		res.Exported, res.Seeded = rec.State.Number, true
	case !isNothingDue(err):
		return res, fmt.Errorf("payments demo: one-off run: %w", err)
	}
	monthly, err := app.Runs.Build(ctx, acc, run.Input{ExecutionDate: today})
	switch {
	case err == nil:
		res.Awaiting, res.Seeded = monthly.State.Number, true
	case !isNothingDue(err):
		return res, fmt.Errorf("payments demo: run: %w", err)
	}
	if res.Seeded {
		logger.Info("payments demo seeded", "tenant", st.Tenant, "exported_run", res.Exported, "run_awaiting_approval", res.Awaiting)
	}
	return res, nil
}

func isNothingDue(err error) bool {
	var pe *problem.Error
	return errors.As(err, &pe) && pe.Type == problem.Validation
}
