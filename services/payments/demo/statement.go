package demo

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"text/template"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/services/payments"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/run"
	"github.com/entraide/entraide/services/payments/schedule"
	"github.com/entraide/entraide/services/payments/statement"
)

//go:embed statement.xml.tmpl
var statementTmpl string

var camtTmpl = template.Must(template.New("camt").Parse(statementTmpl))

// Demo statement's fixed figures: the account's opening balance and the bank's fees (the unmatched entry).
const (
	openingCents = 25_000_000
	feesCents    = 750
)

type stmtTx struct{ E2E, Amount, Name, IBAN, OGM string }

// stmtData fills statement.xml.tmpl (the fields of the payments tests' template).
type stmtData struct {
	MsgID, StmtID, Account string
	Seq                    int
	Opening, Closing       string
	OpenDate, Date         string
	RunMsgID, PmtInfID     string
	BatchCount             int
	BatchTotal             string
	Batch, Single          []stmtTx
	Return, Recovery       *stmtTx
	Fees                   string
}

func euro(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Camt053 writes the bank's camt.053.001.08 for the day of an exported run: its payments booked (in one batch line
// when there are several, else on their own line), the last one returned (AC04) and the bank's fees.
func Camt053(r run.Run, pays []schedule.View, on civil.Date) ([]byte, error) {
	if len(pays) == 0 {
		return nil, errors.New("payments demo: the exported run has no payment")
	}
	d := stmtData{MsgID: "DEMO-053-" + r.Number, StmtID: "DEMO-" + r.Number, Account: DebtorIBAN, Seq: 1,
		OpenDate: on.AddDays(-1).String(), Date: on.String(), RunMsgID: r.MsgID, PmtInfID: r.PmtInfID, Fees: euro(feesCents)}
	var total int64
	txs := make([]stmtTx, 0, len(pays))
	for _, p := range pays {
		txs = append(txs, stmtTx{E2E: p.EndToEndID, Amount: euro(p.AmountCents), Name: xmlText(p.PayeeName), IBAN: p.PayeeIBAN})
		total += p.AmountCents
	}
	if r.Export != nil && r.Export.TotalCents != 0 && r.Export.Count == len(txs) {
		total = r.Export.TotalCents // the control sum of the exported file
	}
	if len(txs) > 1 {
		d.Batch, d.BatchCount, d.BatchTotal = txs, len(txs), euro(total)
	} else {
		d.Single = txs
	}
	ret := txs[len(txs)-1]
	d.Return = &ret
	retCents := pays[len(pays)-1].AmountCents
	d.Opening, d.Closing = euro(openingCents), euro(openingCents-total-feesCents+retCents)
	var buf bytes.Buffer
	if err := camtTmpl.Execute(&buf, d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// seedStatement imports, as the accountant, the demo bank statement of the exported run (once: nothing when the
// tenant has a statement already), so that the reconciliation books the run, returns one payment and leaves the
// fees in the queue.
func seedStatement(ctx context.Context, app *payments.App, acc kit.Actor) (statement.Counts, bool, error) {
	if n, err := app.Statements.Statements.Collection().CountDocuments(ctx, bson.D{{Key: "tenant", Value: acc.Tenant}}); err != nil || n > 0 {
		return statement.Counts{}, false, err
	}
	found, err := app.Runs.Runs.Find(ctx, acc.Tenant, bson.D{{Key: "status", Value: run.StatusExported}}, firstOf())
	if err != nil || len(found) == 0 {
		return statement.Counts{}, false, err
	}
	doc := found[0]
	page, err := app.Runs.Payments(ctx, acc, doc.ID, "payment", 1, 500)
	if err != nil {
		return statement.Counts{}, false, fmt.Errorf("payments demo: the run's payments: %w", err)
	}
	var sent []schedule.View
	for _, p := range page.Items {
		if p.EndToEndID != "" && p.PayeeIBAN != "" {
			sent = append(sent, p)
		}
	}
	file, err := Camt053(doc.State, sent, civil.Today())
	if err != nil {
		return statement.Counts{}, false, err
	}
	rep, err := app.Statements.Import(ctx, acc, "", "demo-camt053-"+doc.State.Number+".xml", bytes.NewReader(file))
	if err != nil {
		return statement.Counts{}, false, fmt.Errorf("payments demo: statement: %w", err)
	}
	return rep.Totals, true, nil
}

// seedReceivable records a recovery decided (art. 24, an error of the CPAS) on the first demo RIS decision, as the
// decisions service's recovery.decided would (the same consumer path: the schedule records it, the receivables
// create the receivable with its OGM). Deterministic ids: a restart changes nothing; nothing when the tenant has a
// receivable already.
func seedReceivable(ctx context.Context, app *payments.App, tenant string) (string, error) {
	if n, err := app.Receivables.Repo.Collection().CountDocuments(ctx, bson.D{{Key: "tenant", Value: tenant}}); err != nil || n > 0 {
		return "", err
	}
	found, err := app.Schedules.Repo.Schedules.Find(ctx, tenant, bson.D{{Key: "kind", Value: schedule.KindRIS}, {Key: "status", Value: "active"}}, firstOf())
	if err != nil || len(found) == 0 {
		return "", err
	}
	doc := found[0]
	today := civil.Today()
	first := civil.MustNew(today.Year(), today.Month(), 1)
	from := civil.Of(first.Start().AddDate(0, -1, 0))
	ev, err := events.New(schedule.TypeRecoveryDecided, "entraide-decisions", tenant, doc.ID, "demo", map[string]any{
		"recovery_id": schedule.DeterministicID(tenant, "demo-recovery", doc.ID), "decision_id": doc.ID,
		"person_id": doc.State.PersonID, "file_id": doc.State.FileID, "kind": doc.State.Kind, "case": "cpas_error",
		"amount_cents": 15000, "period_from": from.String(), "period_to": first.AddDays(-1).String(),
		"decided_on": today.String()})
	if err != nil {
		return "", err
	}
	ev.ID = schedule.DeterministicID(tenant, "demo-recovery-event", doc.ID)
	if err := app.Schedules.Handle(ctx, ev); err != nil {
		return "", fmt.Errorf("payments demo: recovery: %w", err)
	}
	if err := app.Receivables.Sync(ctx, tenant, doc.ID); err != nil {
		return "", fmt.Errorf("payments demo: receivable: %w", err)
	}
	return doc.ID, nil
}

// firstOf is the oldest document first (by id: deterministic across restarts), one only.
func firstOf() *options.FindOptionsBuilder {
	return options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(1)
}
