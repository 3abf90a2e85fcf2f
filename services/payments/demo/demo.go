// Package demo seeds the payments side of the embedded default's demo tenant: the payment settings (a fictional
// debtor account, so that a file can be produced) and, once the decisions demo's schedules have instalments due,
// two payment runs built by the accountant: the one-off aids approved by the finance director and exported, the
// monthly aids awaiting approval; then the bank's camt.053.001.08 for the exported run (statement.xml.tmpl: the run
// batch-booked, one payment returned AC04, the bank's fees left unmatched in the accountant's queue) imported
// through the statement service, so the reconciliation runs; and a receivable with its OGM from a recovery
// decided (art. 24) on a demo RIS decision, fed to the schedules' consumer as the decisions service's
// recovery.decided would be (the decisions demo records no recovery). It goes through the service layer (the same
// rules as the API: claims, four eyes, the deterministic file) and each step does nothing when the tenant has its
// runs, a statement, a receivable already.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/services/payments"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/run"
	"github.com/entraide/entraide/services/payments/schedule"
	"github.com/entraide/entraide/services/payments/statement"
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
	// Statement: the demo bank statement was imported now, with its reconciliation's counts.
	Statement bool
	Counts    statement.Counts
	// Receivable is the schedule (decision) on which the demo recovery was recorded now.
	Receivable string
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
	acc := kit.Actor{UserID: st.Accountant, Tenant: st.Tenant, Roles: []string{kit.RoleAccountant}}
	res, err := seedRuns(ctx, app, st, wait, logger)
	if err != nil {
		return res, err
	}
	// Each further step has its own marker (a statement, a receivable in the tenant): a restart after a crash
	// between two steps does the missing ones.
	counts, imported, err := seedStatement(ctx, app, acc)
	if err != nil {
		return res, err
	}
	if imported {
		res.Statement, res.Counts, res.Seeded = true, counts, true
	}
	rec, err := seedReceivable(ctx, app, st.Tenant)
	if err != nil {
		return res, err
	}
	if rec != "" {
		res.Receivable, res.Seeded = rec, true
	}
	if res.Seeded {
		logger.Info("payments demo seeded", "tenant", st.Tenant, "exported_run", res.Exported, "run_awaiting_approval", res.Awaiting,
			"statement", res.Statement, "booked", res.Counts.Booked, "returned", res.Counts.Returned, "unmatched", res.Counts.Unmatched,
			"receivable", res.Receivable != "")
	}
	return res, nil
}

// seedRuns waits for due instalments and builds the two demo runs (the one-off aids exported). Each run is its
// own marker: a restart after a crash within the step finishes the one-off run where it stopped (approval,
// export) and builds the run awaiting approval if it is missing; a tenant with both does nothing.
func seedRuns(ctx context.Context, app *payments.App, st Staff, wait time.Duration, logger *slog.Logger) (Result, error) {
	existing, err := app.Runs.Runs.Find(ctx, st.Tenant, bson.D{}, options.Find())
	if err != nil {
		return Result{}, err
	}
	var oneOff, monthly *run.Record
	exported := false
	for i := range existing {
		r := &existing[i]
		switch {
		case r.State.Status == run.StatusExported:
			exported = true
		case len(r.State.Kinds) > 0 && (r.State.Status == run.StatusDraft || r.State.Status == run.StatusApproved):
			oneOff = r
		case len(r.State.Kinds) == 0 && r.State.Status == run.StatusDraft:
			monthly = r
		}
	}
	today := civil.Today()
	if len(existing) == 0 {
		// The decisions demo's schedules come through Kafka: wait until instalments are due today.
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
	}
	acc := kit.Actor{UserID: st.Accountant, Tenant: st.Tenant, Roles: []string{kit.RoleAccountant}}
	dir := kit.Actor{UserID: st.FinanceDirector, Tenant: st.Tenant, Roles: []string{kit.RoleFinanceDirector}}
	var res Result
	if !exported {
		if oneOff == nil {
			built, err := app.Runs.Build(ctx, acc, run.Input{ExecutionDate: today, Kinds: []string{schedule.KindAideSociale, schedule.KindAMU}})
			switch {
			case err == nil:
				oneOff = &built
			case !isNothingDue(err):
				return res, fmt.Errorf("payments demo: one-off run: %w", err)
			}
		}
		if oneOff != nil {
			number, err := exportRun(ctx, app, acc, dir, *oneOff)
			if err != nil {
				return res, err
			}
			res.Exported, res.Seeded = number, true
		}
	}
	if monthly == nil {
		built, err := app.Runs.Build(ctx, acc, run.Input{ExecutionDate: today})
		switch {
		case err == nil:
			res.Awaiting, res.Seeded = built.State.Number, true
		case !isNothingDue(err):
			return res, fmt.Errorf("payments demo: run: %w", err)
		}
	}
	return res, nil
}

// exportRun approves a draft run (as the finance director) and exports it, or exports an approved one.
func exportRun(ctx context.Context, app *payments.App, acc, dir kit.Actor, rec run.Record) (string, error) {
	if rec.State.Status == run.StatusDraft {
		approved, err := app.Runs.Approve(ctx, dir, rec.ID, rec.Version)
		if err != nil {
			return "", fmt.Errorf("payments demo: approve: %w", err)
		}
		rec = approved
	}
	prepared, err := app.Runs.Prepare(ctx, acc, rec.ID)
	if err != nil {
		return "", fmt.Errorf("payments demo: export: %w", err)
	}
	sum, size, err := app.Runs.Write(ctx, acc.Tenant, prepared, io.Discard)
	if err != nil {
		return "", fmt.Errorf("payments demo: file: %w", err)
	}
	if err := app.Runs.Exported(ctx, acc, prepared, sum, size); err != nil {
		return "", err
	}
	return prepared.State.Number, nil
}

func isNothingDue(err error) bool {
	var pe *problem.Error
	return errors.As(err, &pe) && pe.Type == problem.Validation
}
