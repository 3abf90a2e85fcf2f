package demo

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	eventschema "github.com/entraide/entraide/api/events"
	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/services/payments"
	"github.com/entraide/entraide/services/payments/internal/kit"
	"github.com/entraide/entraide/services/payments/projection"
	"github.com/entraide/entraide/services/payments/receivable"
	"github.com/entraide/entraide/services/payments/reconcile"
	"github.com/entraide/entraide/services/payments/run"
	"github.com/entraide/entraide/services/payments/schedule"
	"github.com/entraide/entraide/services/payments/statement"
)

// TestSeedRestart: the demo seeding interrupted before its first step, between its first and second, or between
// its second and third, then started again on the same database, does only the missing steps — one exported run
// reconciled by one imported statement, one run awaiting approval, one receivable, whatever the interruption — and
// a third start changes nothing: the statement is not imported twice, no payment is booked twice.
func TestSeedRestart(t *testing.T) {
	db := testkit.Database(t)
	cfg := payments.LoadConfig(config.FromMap(map[string]string{"MONGO_DATABASE": db.Name()}))
	app, err := payments.NewAppOnDB(context.Background(), cfg, slog.New(slog.DiscardHandler), db, authn.NewStaticKeys())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		name      string
		interrupt func(t *testing.T, st Staff)
		// what the second start must do: the runs, the statement, the receivable
		runs, statement bool
	}{
		{"cancelled while the first step waits", func(t *testing.T, st Staff) {
			cctx, cancel := context.WithTimeout(ctx, time.Second) // the runs step waits 5 s for late schedules
			defer cancel()
			if _, err := Seed(cctx, app, st, time.Minute, nil); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("cancelled seeding: %v", err)
			}
		}, true, true},
		{"stopped after the one-off run was built, before its export", func(t *testing.T, st Staff) {
			seedSettings(t, app, st)
			acc := kit.Actor{UserID: st.Accountant, Tenant: st.Tenant, Roles: []string{kit.RoleAccountant}}
			if _, err := app.Runs.Build(ctx, acc, run.Input{ExecutionDate: civil.Today(),
				Kinds: []string{schedule.KindAideSociale, schedule.KindAMU}}); err != nil {
				t.Fatalf("one-off run: %v", err)
			}
		}, true, true},
		{"stopped after the runs", func(t *testing.T, st Staff) {
			seedSettings(t, app, st)
			if res, err := seedRuns(ctx, app, st, time.Minute, nil); err != nil || res.Exported == "" || res.Awaiting == "" {
				t.Fatalf("runs step: %+v %v", res, err)
			}
		}, false, true},
		{"stopped after the statement", func(t *testing.T, st Staff) {
			seedSettings(t, app, st)
			if res, err := seedRuns(ctx, app, st, time.Minute, nil); err != nil || res.Exported == "" || res.Awaiting == "" {
				t.Fatalf("runs step: %+v %v", res, err)
			}
			acc := kit.Actor{UserID: st.Accountant, Tenant: st.Tenant, Roles: []string{kit.RoleAccountant}}
			if c, ok, err := seedStatement(ctx, app, acc); err != nil || !ok || c.Booked < 1 {
				t.Fatalf("statement step: %+v %v %v", c, ok, err)
			}
		}, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := Staff{Tenant: testkit.Name(t, "demo"), Accountant: uuid.NewString(), FinanceDirector: uuid.NewString()}
			decisions(t, app, st.Tenant)
			c.interrupt(t, st)
			before := census(t, db, st.Tenant)
			if before["receivables"] != 0 {
				t.Fatalf("the interruption left a receivable: %v", before)
			}

			res, err := Seed(ctx, app, st, time.Minute, nil)
			if err != nil {
				t.Fatalf("second start: %v", err)
			}
			if !res.Seeded || (res.Exported != "") != c.runs || (res.Awaiting != "") != c.runs || res.Statement != c.statement ||
				res.Receivable == "" {
				t.Fatalf("the second start did %+v; want runs %v, statement %v, receivable", res, c.runs, c.statement)
			}
			after := census(t, db, st.Tenant)
			for k, want := range map[string]int64{"runs": 2, "runs exported": 1, "runs draft": 1, "statements": 1,
				"statements reconciled": 1, "receivables": 1, "payments returned": 1, "payments exported": 0} {
				if after[k] != want {
					t.Errorf("%s: %d, want %d (%v)", k, after[k], want, after)
				}
			}
			if after["payments booked"] < 1 || after["payments in a run"] < 1 || after["queue"] < 1 {
				t.Errorf("the exported run is not reconciled, or the other run is empty: %v", after)
			}
			if !c.statement {
				// The statement imported before the interruption is the one reconciled: no line, no booking again.
				for _, k := range []string{"statement lines", "payments booked", "payments returned", "queue"} {
					if after[k] != before[k] {
						t.Errorf("%s: %d before the restart, %d after", k, before[k], after[k])
					}
				}
			}

			res, err = Seed(ctx, app, st, time.Minute, nil)
			if err != nil || res.Seeded {
				t.Fatalf("third start: %+v %v", res, err)
			}
			if again := census(t, db, st.Tenant); !maps.Equal(again, after) {
				t.Errorf("the third start changed the data:\n%v\n%v", after, again)
			}
		})
	}
}

// seedSettings sets the demo's debtor account as Seed does before its steps.
func seedSettings(t *testing.T, app *payments.App, st Staff) {
	t.Helper()
	set, err := app.Settings.Get(context.Background(), st.Tenant)
	if err != nil {
		t.Fatal(err)
	}
	next := set.State
	next.DebtorName, next.DebtorIBAN = "CPAS de demonstration", DebtorIBAN
	if _, err := app.Settings.Put(context.Background(), st.Tenant, set.Version, next); err != nil {
		t.Fatal(err)
	}
}

// decisions projects two beneficiaries with their accounts and files and feeds, as the decisions service would, a
// monthly RIS from this month and two one-off social aids: instalments due today for both demo runs.
func decisions(t *testing.T, app *payments.App, tenant string) {
	t.Helper()
	ctx := context.Background()
	feed := func(typ, source, subject string, data map[string]any) {
		t.Helper()
		ev, err := events.New(typ, source, tenant, subject, uuid.NewString(), data)
		if err != nil {
			t.Fatal(err)
		}
		if err := eventschema.Validate(typ, ev.Data); err != nil {
			t.Fatalf("%s fixture: %v", typ, err)
		}
		if source == "entraide-beneficiaries" {
			err = app.Projection.Handle(ctx, ev)
		} else {
			err = app.Schedules.Handle(ctx, ev)
		}
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
	today := civil.Today()
	month := civil.MustNew(today.Year(), today.Month(), 1)
	for i, b := range []struct{ given, family, iban string }{
		{"Amélie", "Dubois", "BE68539007547034"}, {"Jan", "Peeters", "BE05068123456775"},
	} {
		p, f := uuid.NewString(), uuid.NewString()
		feed(projection.TypePersonRegistered, "entraide-beneficiaries", p, map[string]any{"person_id": p, "niss": nil,
			"family_name": b.family, "given_names": b.given, "birth_date": "1985-07-14", "sex": "female", "nationality": "BE",
			"residence_status": "belgian", "language": "fr", "address": map[string]any{"street": "Rue Haute", "number": "3",
				"postcode": 1000, "municipality": "Bruxelles"}})
		feed(projection.TypeBankAccount, "entraide-beneficiaries", p, map[string]any{"person_id": p, "account_id": uuid.NewString(),
			"holder": b.given + " " + b.family, "old_iban": nil, "new_iban": b.iban, "payee_name": b.given + " " + b.family,
			"effective_at": time.Now().UTC().Format(time.RFC3339Nano)})
		feed(projection.TypeFileOpened, "entraide-beneficiaries", f, map[string]any{"file_id": f, "number": "2026/00010" + string(rune('1'+i)),
			"person_id": p, "assignee": uuid.NewString(), "opened_on": "2026-01-05", "origin": "manual"})
		adopted := func(fields map[string]any) {
			t.Helper()
			id := uuid.NewString()
			data := map[string]any{"decision_id": id, "person_id": p, "file_id": f, "source": "session", "kind": "ris",
				"outcome": "granted", "category": 2, "monthly_cents": 131420, "first_month_cents": 0, "one_off_cents": 0,
				"periodicity": "monthly", "piis": false, "payee": map[string]any{"kind": "beneficiary"}, "decided_on": today.String(),
				"start": month.String()}
			for k, v := range fields {
				if v == nil {
					delete(data, k)
				} else {
					data[k] = v
				}
			}
			feed("be.cpas.decisions.decision.adopted.v1", "entraide-decisions", id, data)
		}
		adopted(map[string]any{"kind": "aide_sociale", "subtype": "energy", "category": nil, "monthly_cents": 0,
			"one_off_cents": 45000 + int64(i)*1000, "periodicity": "once", "start": nil})
		if i == 0 {
			adopted(nil)
		}
	}
}

// census counts what the demo writes in the tenant.
func census(t *testing.T, db *mongo.Database, tenant string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for k, q := range map[string]struct {
		coll string
		f    bson.D
	}{
		"runs":                  {run.CollRuns, nil},
		"runs exported":         {run.CollRuns, bson.D{{Key: "status", Value: run.StatusExported}}},
		"runs draft":            {run.CollRuns, bson.D{{Key: "status", Value: run.StatusDraft}}},
		"statements":            {statement.CollStatements, nil},
		"statements reconciled": {statement.CollStatements, bson.D{{Key: "status", Value: statement.StatusReconciled}}},
		"statement lines":       {statement.CollLines, nil},
		"receivables":           {receivable.CollReceivables, nil},
		"schedules":             {schedule.CollSchedules, nil},
		"instalments":           {schedule.CollInstalments, nil},
		"payments booked":       {schedule.CollInstalments, bson.D{{Key: "status", Value: schedule.StatusBooked}}},
		"payments returned":     {schedule.CollInstalments, bson.D{{Key: "status", Value: schedule.StatusReturned}}},
		"payments exported":     {schedule.CollInstalments, bson.D{{Key: "status", Value: schedule.StatusExported}}},
		"payments in a run":     {schedule.CollInstalments, bson.D{{Key: "status", Value: schedule.StatusInRun}}},
		"queue":                 {reconcile.CollQueue, nil},
	} {
		n, err := db.Collection(q.coll).CountDocuments(context.Background(), append(bson.D{{Key: "tenant", Value: tenant}}, q.f...))
		if err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	return out
}
