package payments_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/services/payments/schedule"
)

// TestArrearsPayeeRevision: a late RIS decision whose arrears over three months are one scheduled instalment; a
// revision naming the landlord from the second month, with the same amount, splits the arrears by payee (the first
// month to the beneficiary, the next two to the landlord, the sum unchanged) and the next run pays each to its
// creditor; replaying every decision event (even with the consumer's marks lost) changes nothing. A second
// decision whose revision names the landlord from the first month keeps one arrears instalment, re-pointed.
func TestArrearsPayeeRevision(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const tenant = "schaerbeek"
	w, acc, fd := newUser(tenant, "social_worker"), newUser(tenant, "accountant"), newUser(tenant, "finance_director")
	e.settings(fd, "pain.001.001.09")
	today := civil.Today()
	const benIBAN1, benIBAN2, landlordIBAN = "BE68539007547034", "BE56731045678988", "BE20735001122356"
	landlord := map[string]any{"kind": "third_party", "name": "Logis Schaerbeek SC", "iban": landlordIBAN, "communication": "123456789002"}
	m := func(add int) string { return schedule.MonthKey(firstOfMonth(today, add)) }
	terms := map[string]any{"start": firstOfMonth(today, -3).String(), "monthly_cents": 131420}
	p1, f1 := e.beneficiary(tenant, w.id, "2026/000920", "Nadia", "Haddad", benIBAN1)
	p2, f2 := e.beneficiary(tenant, w.id, "2026/000921", "Pieter", "Claes", benIBAN2)
	adopted1, adopted2 := e.adopted(tenant, p1, f1, terms), e.adopted(tenant, p2, f2, terms)
	e.feed(adopted1, adopted2)
	d1, d2 := adopted1.Subject, adopted2.Subject
	revised := func(decision, person, file string, from civil.Date) events.Event {
		return e.event(tenant, "be.cpas.decisions.decision.revised.v1", "entraide-decisions", decision, map[string]any{
			"decision_id": decision, "person_id": person, "file_id": file, "kind": "ris", "revision_id": uuid.NewString(),
			"from": from.String(), "monthly_cents": 131420, "previous_cents": 131420, "decided_on": today.String(), "payee": landlord})
	}
	// open lists the decision's instalments not cancelled: their periods → label, amount, payee IBAN (or kind).
	open := func(decision string) map[string]string {
		t.Helper()
		out := map[string]string{}
		for _, in := range e.instalmentsOf(tenant, decision) {
			if in.State.Status == schedule.StatusCancelled {
				continue
			}
			var ks []string
			var sum int64
			for _, p := range in.State.Parts {
				ks = append(ks, p.Period)
				sum += p.Cents
			}
			if sum != in.State.AmountCents {
				t.Fatalf("instalment %+v: parts %d", in.State, sum)
			}
			payee := in.State.Payee.IBAN
			if payee == "" {
				payee = in.State.Payee.Kind
			}
			out[strings.Join(ks, ",")] = in.State.Label + " " + cents(in.State.AmountCents) + " " + payee
		}
		return out
	}
	arrears := m(-3) + "," + m(-2) + "," + m(-1)
	if got := open(d1); len(got) != 3 || got[arrears] != "arrears "+cents(3*131420)+" beneficiary" {
		t.Fatalf("before the revision: %v", got)
	}

	rev1, rev2 := revised(d1, p1, f1, firstOfMonth(today, -2).AddDays(9)), revised(d2, p2, f2, firstOfMonth(today, -3))
	e.feed(rev1, rev2)
	want1 := map[string]string{
		m(-3):               "arrears " + cents(131420) + " beneficiary",
		m(-2) + "," + m(-1): "arrears " + cents(2*131420) + " " + landlordIBAN,
		m(0):                "monthly " + cents(131420) + " " + landlordIBAN,
		m(1):                "monthly " + cents(131420) + " " + landlordIBAN,
	}
	got1 := open(d1)
	if len(got1) != len(want1) {
		t.Fatalf("after the revision from the second month: %v", got1)
	}
	for k, v := range want1 {
		if got1[k] != v {
			t.Fatalf("after the revision from the second month, %s: %v", k, got1)
		}
	}
	got2 := open(d2)
	if len(got2) != 3 || got2[arrears] != "arrears "+cents(3*131420)+" "+landlordIBAN {
		t.Fatalf("after the revision from the first month: %v", got2)
	}
	n, _ := e.db.Collection(schedule.CollInstalments).CountDocuments(ctx, bson.D{{Key: "decision_id", Value: d2},
		{Key: "status", Value: schedule.StatusCancelled}})
	if n != 0 {
		t.Fatalf("second decision: %d cancelled", n)
	}

	t.Run("replaying every decision event changes nothing", func(t *testing.T) {
		before := e.instalmentsOf(tenant, d1)
		e.feed(adopted1, adopted2, rev1, rev2)
		if _, err := e.db.Collection(schedule.CollProcessed).DeleteMany(ctx, bson.D{}); err != nil {
			t.Fatal(err)
		}
		e.feed(adopted1, adopted2, rev1, rev2) // the consumer's marks lost: the schedules' own memory of the events holds
		for _, d := range []string{d1, d2} {
			if err := e.app.Schedules.Reconcile(ctx, tenant, d); err != nil {
				t.Fatal(err)
			}
		}
		after := e.instalmentsOf(tenant, d1)
		if len(after) != len(before) || len(before) != 5 { // the arrears cancelled, one per payee, this month, next
			t.Fatalf("instalments %d → %d", len(before), len(after))
		}
		for i := range after {
			if after[i].ID != before[i].ID || after[i].Version != before[i].Version {
				t.Fatalf("instalment moved: %+v → %+v", before[i], after[i])
			}
		}
		if !maps.Equal(open(d2), got2) {
			t.Fatalf("second decision after the replay: %v", open(d2))
		}
	})

	t.Run("the next run pays each month to its payee", func(t *testing.T) {
		run, doc := e.exportRun(acc, fd, 5) // d1: 3 arrears parts in 2, this month; d2: arrears, this month
		_, pays, raw, _ := e.call(acc, "GET", "/v1/runs/"+run+"/payments", nil, purpose)
		got := map[string]string{}
		for _, it := range items(pays) {
			if it["decision_id"] != d1 {
				continue
			}
			var ks []string
			for _, p := range it["periods"].([]any) {
				ks = append(ks, p.(map[string]any)["period"].(string))
			}
			got[strings.Join(ks, ",")] = it["payee_iban"].(string) + " " + it["payee_name"].(string)
		}
		if len(got) != 3 || got[m(-3)] != benIBAN1+" Nadia Haddad" || got[m(-2)+","+m(-1)] != landlordIBAN+" Logis Schaerbeek SC" ||
			got[m(0)] != landlordIBAN+" Logis Schaerbeek SC" {
			t.Fatalf("run payments %v\n%s", got, raw)
		}
		if !strings.Contains(string(doc), "<IBAN>"+landlordIBAN+"</IBAN>") || !strings.Contains(string(doc), "<IBAN>"+benIBAN1+"</IBAN>") ||
			!strings.Contains(string(doc), "<InstdAmt Ccy=\"EUR\">"+euro(2*131420)+"</InstdAmt>") {
			t.Fatalf("file:\n%s", doc)
		}
		// In the run, the arrears keep what the run froze: a revision back to the beneficiary from the second
		// month moves nothing of them.
		e.feed(e.event(tenant, "be.cpas.decisions.decision.revised.v1", "entraide-decisions", d1, map[string]any{
			"decision_id": d1, "person_id": p1, "file_id": f1, "kind": "ris", "revision_id": uuid.NewString(),
			"from": firstOfMonth(today, -2).String(), "monthly_cents": 131420, "previous_cents": 131420,
			"decided_on": today.String(), "payee": map[string]any{"kind": "beneficiary"}}))
		for _, in := range e.instalmentsOf(tenant, d1) {
			if in.State.Status == schedule.StatusExported && slices.ContainsFunc(in.State.Parts, func(p schedule.Part) bool { return p.Period == m(-2) }) &&
				in.State.Payee.IBAN != landlordIBAN {
				t.Fatalf("exported arrears moved: %+v", in.State)
			}
		}
	})
}
