package payments_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments/schedule"
)

// paidYear stores, with the store's bulk insert, one instalment per beneficiary covering the twelve months of
// year (as arrears are: one instalment, twelve parts), with the status given, of kind.
func (e *env) paidYear(tenant string, year, persons int, kind, status string) []string {
	e.t.Helper()
	var docs []any
	var ids []string
	now := time.Now().UTC().Truncate(time.Millisecond)
	for range persons {
		person := uuid.NewString()
		ids = append(ids, person)
		parts := make([]schedule.Part, 12)
		for m := range parts {
			parts[m] = schedule.Part{Period: fmt.Sprintf("%d-%02d", year, m+1), Cents: 131420}
		}
		in := schedule.Instalment{DecisionID: uuid.NewString(), PersonID: person, FileID: uuid.NewString(), Kind: kind, BudgetArticle: "8320/333-01",
			Label: schedule.LabelMonthly, Parts: parts, AmountCents: 12 * 131420, Status: status, CreatedAt: now}
		raw, err := bson.Marshal(in)
		if err != nil {
			e.t.Fatal(err)
		}
		doc := bson.D{{Key: "_id", Value: uuid.NewString()}, {Key: "tenant", Value: tenant}, {Key: "version", Value: int64(1)}}
		elems, _ := bson.Raw(raw).Elements()
		for _, el := range elems {
			doc = append(doc, bson.E{Key: el.Key(), Value: el.Value()})
		}
		docs = append(docs, append(doc, bson.E{Key: store.OutboxField, Value: bson.A{}}))
	}
	if _, err := e.db.Collection(schedule.CollInstalments).InsertMany(context.Background(), docs); err != nil {
		e.t.Fatal(err)
	}
	return ids
}

func sub(m map[string]any, k string) map[string]any { v, _ := m[k].(map[string]any); return v }

// TestSubsidyBandAPI: instalments stored for two years — 480 then 510 distinct beneficiaries a month (+6.25%),
// plus payments that do not count (returned, scheduled, another kind, a second instalment of the same person and
// month, another tenant) — give 65 this year from the data, and next year's decline (nothing paid last year); the
// declared history (If-Match, field errors, the director only) changes the chain; the payment settings' band
// overrides it and 0 removes the override; access.
func TestSubsidyBandAPI(t *testing.T) {
	e := newEnv(t)
	const tenant = "anderlecht"
	fd, acc, w := newUser(tenant, "finance_director"), newUser(tenant, "accountant"), newUser(tenant, "social_worker")
	y := time.Now().Year()
	e.paidYear(tenant, y-3, 300, schedule.KindRIS, schedule.StatusBooked)
	e.paidYear(tenant, y-3, 180, schedule.KindRIS, schedule.StatusExported)
	ids := e.paidYear(tenant, y-2, 510, schedule.KindRIS, schedule.StatusBooked)
	e.paidYear(tenant, y-2, 40, schedule.KindRIS, schedule.StatusReturned)
	e.paidYear(tenant, y-2, 40, schedule.KindRIS, schedule.StatusScheduled)
	e.paidYear(tenant, y-2, 40, schedule.KindAideSociale, schedule.StatusBooked)
	e.paidYear("uccle", y-2, 60, schedule.KindRIS, schedule.StatusBooked)
	// The same beneficiary paid twice for one month (a revision's difference) counts once.
	if _, err := e.db.Collection(schedule.CollInstalments).InsertOne(context.Background(), bson.D{{Key: "_id", Value: uuid.NewString()},
		{Key: "tenant", Value: tenant}, {Key: "version", Value: int64(1)}, {Key: "person_id", Value: ids[0]}, {Key: "kind", Value: schedule.KindRIS},
		{Key: "status", Value: schedule.StatusBooked}, {Key: "parts", Value: bson.A{bson.D{{Key: "period", Value: fmt.Sprintf("%d-03", y-2)}}}}}); err != nil {
		t.Fatal(err)
	}

	band := func(u user, year int, want int) map[string]any {
		t.Helper()
		code, b, raw, _ := e.call(u, "GET", "/v1/subsidy/band?year="+strconv.Itoa(year), nil)
		if code != want {
			t.Fatalf("band %d: %d %s", year, code, raw)
		}
		return b
	}
	b := band(acc, y, 200)
	n2, n3 := sub(b, "n2"), sub(b, "n3")
	if num(b, "rate") != 65 || b["source"] != "computed" || b["rule"] != "up" || num(b, "previous_rate") != 55 ||
		n2["monthly_average"] != 510.0 || n2["source"] != "data" || num(n2, "months") != 12 || n3["monthly_average"] != 480.0 || b["override"] != nil {
		t.Fatalf("this year: %v", b)
	}
	if b := band(fd, y+1, 200); num(b, "rate") != 64 || b["rule"] != "decline" || sub(b, "n2")["monthly_average"] != 0.0 {
		t.Fatalf("next year: %v", b)
	}
	if b := band(fd, y-2, 200); num(b, "rate") != 55 || b["rule"] != "no_history" || sub(b, "n2")["source"] != "none" {
		t.Fatalf("first year: %v", b)
	}
	band(w, y, 403)
	if code, p, _, _ := e.call(fd, "GET", "/v1/subsidy/band?year=19", nil); code != 422 || fieldOf(p) != "year" {
		t.Fatalf("bad year: %d %v", code, p)
	}
	if code, _, _, _ := e.call(newUser("uccle", "finance_director"), "GET", "/v1/subsidy/band", nil); code != 200 {
		t.Fatal("other tenant")
	}

	// The declared history: 900 and 1,000 in y-5 and y-4, and 70 applied in y-4.
	code, h, raw, hdr := e.call(acc, "GET", "/v1/subsidy/history", nil)
	if code != 200 || hdr.Get("ETag") == "" || len(h["years"].([]any)) != 0 {
		t.Fatalf("history: %d %s", code, raw)
	}
	good := map[string]any{"years": []any{map[string]any{"year": y - 4, "monthly_average": 1000}, map[string]any{"year": y - 5, "monthly_average": 900.5}},
		"last_rate": 70}
	if code, _, _, _ := e.call(acc, "PUT", "/v1/subsidy/history", good, version(h)); code != 403 {
		t.Fatalf("accountant declares: %d", code)
	}
	if code, _, _, _ := e.call(fd, "PUT", "/v1/subsidy/history", good); code != 428 {
		t.Fatalf("no If-Match: %d", code)
	}
	bad := map[string]any{"years": []any{map[string]any{"year": y, "monthly_average": 10}, map[string]any{"year": y - 4, "monthly_average": -3},
		map[string]any{"year": y - 4, "monthly_average": 3}}, "last_rate": 80}
	code, p, raw, _ := e.call(fd, "PUT", "/v1/subsidy/history", bad, version(h))
	if code != 422 || !hasFields(p, "years.0.year", "years.1.monthly_average", "years.2.year", "last_rate") {
		t.Fatalf("bad history: %d %s", code, raw)
	}
	code, h2, raw, _ := e.call(fd, "PUT", "/v1/subsidy/history", good, version(h))
	if code != 200 || num(h2, "last_rate") != 70 || num(h2["years"].([]any)[0].(map[string]any), "year") != int64(y-5) {
		t.Fatalf("declare: %d %s", code, raw)
	}
	if code, _, _, _ := e.call(fd, "PUT", "/v1/subsidy/history", good, version(h)); code != 412 {
		t.Fatalf("stale: %d", code)
	}
	// y-3: 69 (900.5 < 1,000, no y-6); y-2: back to 70 (1,000); y-1: 69 (480 vs 1,000); y: 510 vs 480 is a rise,
	// the rate stays 69.
	b = band(acc, y, 200)
	if num(b, "rate") != 69 || b["rule"] != "drop_under_3" || num(b, "previous_rate") != 69 || num(sub(b, "declared"), "last_year") != int64(y-4) {
		t.Fatalf("with the history: %v", b)
	}
	if b := band(acc, y-2, 200); num(b, "rate") != 70 || b["rule"] != "back_in_band" || sub(b, "n2")["source"] != "declared" || sub(b, "n2")["monthly_average"] != 1000.0 {
		t.Fatalf("y-2 with the history: %v", b)
	}

	// The payment settings' band overrides the computed one; 0 removes the override.
	e.settings(fd, "pain.001.001.09")
	setBand := func(v int) {
		t.Helper()
		_, st, _, _ := e.call(fd, "GET", "/v1/payment-settings", nil)
		st["subsidy_band"] = v
		ver := version(st)
		delete(st, "version")
		if code, _, raw, _ := e.call(fd, "PUT", "/v1/payment-settings", st, ver); code != 200 {
			t.Fatalf("band %d: %d %s", v, code, raw)
		}
	}
	setBand(55)
	if b := band(acc, y, 200); num(b, "rate") != 55 || b["source"] != "override" || num(b, "override") != 55 || num(b, "computed_rate") != 69 {
		t.Fatalf("override: %v", b)
	}
	setBand(0)
	if b := band(acc, y, 200); num(b, "rate") != 69 || b["source"] != "computed" || b["override"] != nil {
		t.Fatalf("override removed: %v", b)
	}
}

func fieldOf(p map[string]any) string {
	fs, _ := p["errors"].([]any)
	if len(fs) == 0 {
		return ""
	}
	f, _ := fs[0].(map[string]any)
	s, _ := f["field"].(string)
	return s
}

func hasFields(p map[string]any, names ...string) bool {
	fs, _ := p["errors"].([]any)
	got := map[string]bool{}
	for _, f := range fs {
		if m, ok := f.(map[string]any); ok {
			s, _ := m["field"].(string)
			got[s] = true
		}
	}
	for _, n := range names {
		if !got[n] {
			return false
		}
	}
	return true
}
