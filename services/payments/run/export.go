package run

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/iban"
	"github.com/entraide/entraide/libs/ogm"
	"github.com/entraide/entraide/libs/problem"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/projection"
	"github.com/entraide/entraide/services/payments/schedule"
	"github.com/entraide/entraide/services/payments/sepa"
	"github.com/entraide/entraide/services/payments/settings"
)

// holdReason says why a payment cannot go in the file (empty: it can).
func (s *Service) holdReason(ctx context.Context, tenant string, in schedule.Instalment) (string, error) {
	if reason := creditorHold(in.Creditor); reason != "" {
		return reason, nil
	}
	cr := in.Creditor
	if in.Payee.Kind != "third_party" {
		p, err := s.Proj.Payee(ctx, tenant, in.PersonID)
		if errors.Is(err, projection.ErrNotFound) {
			return holdNoAccount, nil
		}
		if err != nil {
			return "", err
		}
		if p.IBAN != cr.IBAN {
			return holdAccountMoved, nil
		}
	}
	return "", nil
}

// creditorHold says why a creditor as frozen in a run cannot be paid (empty: it can): no account, an IBAN that
// does not check, a name with no SEPA character.
func creditorHold(cr *schedule.Creditor) string {
	if cr == nil || cr.IBAN == "" {
		return holdNoAccount
	}
	if _, err := iban.Parse(cr.IBAN); err != nil {
		return holdIBANInvalid
	}
	if sepa.Text(cr.Name, sepa.MaxNameLength) == "" {
		return holdNameInvalid
	}
	return ""
}

// Prepare fixes the export plan of an approved run (once: a run that has one keeps it) and returns the run.
func (s *Service) Prepare(ctx context.Context, a kit.Actor, id string) (Record, error) {
	rec, err := s.Get(ctx, a, id)
	if err != nil {
		return rec, err
	}
	switch rec.State.Status {
	case StatusApproved, StatusExported:
	default:
		return rec, problem.New(problem.Conflict).With("code", "payments.run_not_approved").With("status", rec.State.Status)
	}
	if rec.State.Export != nil {
		return rec, nil
	}
	st, err := s.Settings.Get(ctx, a.Tenant)
	if err != nil {
		return rec, err
	}
	if !st.State.Ready() {
		return rec, problem.New(problem.Conflict).With("code", "payments.debtor_missing")
	}
	plan := Export{PainVersion: st.State.PainVersion, CreatedAt: s.now().UTC().Truncate(time.Second),
		DebtorName: st.State.DebtorName, DebtorIBAN: st.State.DebtorIBAN, DebtorBIC: st.State.DebtorBIC,
		EnterpriseNumber: st.State.EnterpriseNumber, BatchBooking: st.State.BatchBooking, Held: []Held{}}
	if plan.PainVersion == "" {
		plan.PainVersion = settings.Pain09
	}
	err = s.Schedules.Each(ctx, a.Tenant, schedule.Query{RunID: id, Status: schedule.StatusInRun}, bson.D{{Key: "end_to_end_id", Value: 1}},
		func(v store.Versioned[schedule.Instalment]) error {
			reason, err := s.holdReason(ctx, a.Tenant, v.State)
			if err != nil {
				return err
			}
			if reason != "" {
				plan.Held = append(plan.Held, Held{InstalmentID: v.ID, EndToEndID: v.State.EndToEndID, AmountCents: v.State.AmountCents, Reason: reason})
				return nil
			}
			plan.Count++
			plan.TotalCents += v.State.AmountCents
			return nil
		})
	if err != nil {
		return rec, err
	}
	if plan.Count == 0 {
		return rec, problem.New(problem.Conflict).With("code", "payments.all_held").With("held", plan.Held)
	}
	_, err = s.Runs.UpdateIfVersion(ctx, a.Tenant, id, rec.Version, func(x *Run) ([]events.Event, error) {
		x.Export = &plan
		return nil, nil
	})
	if errors.Is(err, store.ErrConflict) {
		// Another export fixed its plan first: that one stands.
		return s.Get(ctx, a, id)
	}
	if err != nil {
		return rec, err
	}
	return s.Get(ctx, a, id)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Write streams the file of a run whose plan is fixed to w and returns its SHA-256 and size. The same run gives
// the same bytes every time: the plan and the payments (frozen since the approval) are all it reads.
func (s *Service) Write(ctx context.Context, tenant string, rec Record, w io.Writer) (string, int64, error) {
	// The payments as the run claimed them (their attempt of this run), in id order.
	return writeFile(w, rec, func(fn func(id string, at schedule.Attempt) error) error {
		return s.Schedules.EachAttempt(ctx, tenant, rec.ID, fn)
	})
}

// writeFile streams the file of rec (its plan fixed) to w from the payments each gives, in the file's order.
func writeFile(w io.Writer, rec Record, each func(fn func(id string, at schedule.Attempt) error) error) (string, int64, error) {
	plan := rec.State.Export
	if plan == nil {
		return "", 0, fmt.Errorf("run: %s has no export plan", rec.ID)
	}
	version := sepa.Pain00100109
	if plan.PainVersion == settings.Pain03 {
		version = sepa.Pain00100103
	}
	debtor, err := iban.Parse(plan.DebtorIBAN)
	if err != nil {
		return "", 0, fmt.Errorf("run: debtor account: %w", err)
	}
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(w, h)}
	xw, err := sepa.NewWriter(cw, version, sepa.GroupHeader{MsgID: rec.State.MsgID, CreatedAt: plan.CreatedAt,
		NumberOfTransactions: plan.Count, ControlSumCents: plan.TotalCents, InitiatingPartyName: plan.DebtorName,
		InitiatingPartyID: plan.EnterpriseNumber})
	if err != nil {
		return "", 0, err
	}
	err = xw.StartPaymentInfo(sepa.PaymentInfo{ID: rec.State.PmtInfID, BatchBooking: plan.BatchBooking,
		ExecutionDate: rec.State.ExecutionDate, DebtorName: plan.DebtorName, DebtorIBAN: debtor, DebtorBIC: plan.DebtorBIC,
		NumberOfTransactions: plan.Count, ControlSumCents: plan.TotalCents})
	if err != nil {
		return "", 0, err
	}
	held := make(map[string]bool, len(plan.Held))
	for _, x := range plan.Held {
		held[x.InstalmentID] = true
	}
	err = each(func(id string, at schedule.Attempt) error {
		if held[id] {
			return nil
		}
		tx, err := transaction(id, rec.ID, at)
		if err != nil {
			return err
		}
		return xw.Add(tx)
	})
	if err != nil {
		return "", 0, err
	}
	if err := xw.Close(); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), cw.n, nil
}

// Exported records that the file of a run was written whole (first time: status exported, its hash, the event),
// then settles the run. Recording twice changes nothing.
func (s *Service) Exported(ctx context.Context, a kit.Actor, rec Record, sum string, size int64) error {
	now := s.now().UTC().Truncate(time.Millisecond)
	_, err := s.Runs.Update(ctx, a.Tenant, rec.ID, func(x *Run) ([]events.Event, error) {
		if x.Status == StatusExported {
			return nil, nil
		}
		if x.Status != StatusApproved || x.Export == nil {
			return nil, fmt.Errorf("run: %s cannot be marked exported from %s", rec.ID, x.Status)
		}
		x.Status = StatusExported
		x.Export.SHA256, x.Export.Size, x.Export.ExportedAt, x.Export.ExportedBy = sum, size, now, a.UserID
		ev, err := events.New(TypeRunExported, EventSource, a.Tenant, rec.ID, correlation(ctx, rec.ID), ExportedPayload{RunID: rec.ID,
			Number: x.Number, ExecutionDate: x.ExecutionDate, MsgID: x.MsgID, PmtInfID: x.PmtInfID, PainVersion: x.Export.PainVersion,
			Count: x.Export.Count, TotalCents: x.Export.TotalCents, HeldCount: len(x.Export.Held), SHA256: sum})
		if err != nil {
			return nil, err
		}
		return []events.Event{ev}, nil
	})
	if err != nil {
		return err
	}
	return s.settle(ctx, a.Tenant, rec.ID)
}

// settle, after the export: the held payments go back to the due list with their reason, the others are marked
// exported. Idempotent; the housekeeping retries it after a crash.
func (s *Service) settle(ctx context.Context, tenant, id string) error {
	rec, err := s.Runs.Load(ctx, tenant, id)
	if err != nil {
		return err
	}
	if rec.State.Settled || rec.State.Status != StatusExported || rec.State.Export == nil {
		return nil
	}
	for _, h := range rec.State.Export.Held {
		if err := s.unclaim(ctx, tenant, id, h.InstalmentID, h.Reason); err != nil {
			return err
		}
	}
	_, err = s.Schedules.Instalments.Collection().UpdateMany(ctx,
		bson.D{{Key: "tenant", Value: tenant}, {Key: "run_id", Value: id}, {Key: "status", Value: schedule.StatusInRun}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: schedule.StatusExported}}}, {Key: "$inc", Value: bson.D{{Key: "version", Value: int64(1)}}}})
	if err != nil {
		return fmt.Errorf("run: mark payments exported: %w", err)
	}
	_, err = s.Runs.Update(ctx, tenant, id, func(x *Run) ([]events.Event, error) { x.Settled = true; return nil, nil })
	return err
}

// transaction is what the file says of a payment: its attempt in the run (amount, creditor and remittance as
// the run froze them).
func transaction(id, run string, at schedule.Attempt) (sepa.Transaction, error) {
	cr := at.Creditor
	if cr == nil {
		return sepa.Transaction{}, fmt.Errorf("run: payment %s has no creditor in run %s", id, run)
	}
	to, err := iban.Parse(cr.IBAN)
	if err != nil {
		return sepa.Transaction{}, err
	}
	tx := sepa.Transaction{EndToEndID: at.EndToEndID, AmountCents: at.AmountCents, CreditorName: cr.Name,
		CreditorIBAN: to, CreditorBIC: cr.BIC, Unstructured: at.Reference}
	if cr.Communication != "" {
		if o, err := ogm.Parse(cr.Communication); err == nil {
			tx.StructuredOGM = o
		}
	}
	return tx, nil
}
