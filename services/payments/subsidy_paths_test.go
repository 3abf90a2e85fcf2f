package payments_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entraide/entraide/services/payments/schedule"
)

// TestSubsidyPaths walks the band and declared-history paths the API test leaves aside:
//   - two tenants: what tenant B declares (history, last rate, the override of its payment settings) and pays is
//     never shown to tenant A (history, band), and A's declaration leaves B's as it was;
//   - bad input: a year that is not a number or far out of range is a field error (not a 500), in the user's
//     language; a history with a duplicate year, a future year and a negative or non-finite average gets every
//     field error at once, in French and in Dutch, and nothing is written;
//   - a second click: the same PUT twice (one after the other, and both at once) with the same If-Match saves once.
func TestSubsidyPaths(t *testing.T) {
	e := newEnv(t)
	y := time.Now().Year()
	fdA, accA := newUser("jette", "finance_director"), newUser("jette", "accountant")
	fdB := newUser("evere", "finance_director")
	e.paidYear("evere", y-2, 120, schedule.KindRIS, schedule.StatusBooked)
	e.paidYear("evere", y-3, 100, schedule.KindRIS, schedule.StatusBooked)

	// Tenant B declares its history and sets an override.
	_, hB, _, _ := e.call(fdB, "GET", "/v1/subsidy/history", nil)
	declB := map[string]any{"years": []any{map[string]any{"year": y - 5, "monthly_average": 777.25}, map[string]any{"year": y - 4, "monthly_average": 801}},
		"last_rate": 62}
	if code, _, raw, _ := e.call(fdB, "PUT", "/v1/subsidy/history", declB, version(hB)); code != 200 {
		t.Fatalf("B declares: %d %s", code, raw)
	}
	e.settings(fdB, "pain.001.001.09")
	_, stB, _, _ := e.call(fdB, "GET", "/v1/payment-settings", nil)
	stB["subsidy_band"] = 65
	vB := version(stB)
	delete(stB, "version")
	if code, _, raw, _ := e.call(fdB, "PUT", "/v1/payment-settings", stB, vB); code != 200 {
		t.Fatalf("B's override: %d %s", code, raw)
	}

	t.Run("tenant A never sees tenant B's history, band or payments", func(t *testing.T) {
		code, h, raw, _ := e.call(accA, "GET", "/v1/subsidy/history", nil)
		if code != 200 || len(h["years"].([]any)) != 0 || h["last_rate"] != nil || strings.Contains(string(raw), "777") {
			t.Fatalf("A's history: %d %s", code, raw)
		}
		code, b, raw, _ := e.call(accA, "GET", "/v1/subsidy/band?year="+strconv.Itoa(y), nil)
		if code != 200 || num(b, "rate") != 55 || b["source"] != "computed" || b["override"] != nil || b["rule"] != "no_history" ||
			sub(b, "n2")["source"] != "none" || sub(b, "n3")["source"] != "none" || len(sub(b, "declared")) != 0 {
			t.Fatalf("A's band: %d %s", code, raw)
		}
		// The same year for B: its override, its data, its declaration.
		code, b, raw, _ = e.call(fdB, "GET", "/v1/subsidy/band?year="+strconv.Itoa(y), nil)
		if code != 200 || num(b, "rate") != 65 || b["source"] != "override" || sub(b, "n2")["monthly_average"] != 120.0 ||
			num(sub(b, "declared"), "last_rate") != 62 {
			t.Fatalf("B's band: %d %s", code, raw)
		}
		// A declares its own history: B's stays as it was.
		_, hA, _, _ := e.call(fdA, "GET", "/v1/subsidy/history", nil)
		if code, _, raw, _ := e.call(fdA, "PUT", "/v1/subsidy/history", map[string]any{"years": []any{map[string]any{"year": y - 4, "monthly_average": 10}}},
			version(hA)); code != 200 {
			t.Fatalf("A declares: %d %s", code, raw)
		}
		_, hB2, raw, _ := e.call(fdB, "GET", "/v1/subsidy/history", nil)
		if num(hB2, "version") != num(hB, "version")+1 || len(hB2["years"].([]any)) != 2 || num(hB2, "last_rate") != 62 {
			t.Fatalf("B's history after A's: %s", raw)
		}
	})

	t.Run("a bad year in the query is a field error in the user's language", func(t *testing.T) {
		for _, q := range []string{"abc", "2026.5", "-1", "0", "99999", "1999", "2101", "99999999999999999999", "%20"} {
			code, p, raw, _ := e.call(accA, "GET", "/v1/subsidy/band?year="+q, nil)
			if q == "%20" { // blank: this year
				if code != 200 || num(p, "year") != int64(y) {
					t.Fatalf("blank year: %d %s", code, raw)
				}
				continue
			}
			if code != 422 || strings.Join(fieldCodes(p), " ") != "year:payments.subsidy_year_invalid" || !strings.Contains(string(raw), "Année invalide") {
				t.Fatalf("year=%s: %d %s", q, code, raw)
			}
		}
		code, _, raw, _ := e.call(accA, "GET", "/v1/subsidy/band?year=abc", nil, "Accept-Language: nl-BE")
		if code != 422 || !strings.Contains(string(raw), "Ongeldig jaar") {
			t.Fatalf("year=abc in Dutch: %d %s", code, raw)
		}
	})

	t.Run("a bad history: every field error at once, in the user's language, nothing written", func(t *testing.T) {
		_, h, _, _ := e.call(fdA, "GET", "/v1/subsidy/history", nil)
		bad := map[string]any{"years": []any{
			map[string]any{"year": y - 3, "monthly_average": 400},
			map[string]any{"year": y - 3, "monthly_average": 410},  // duplicate
			map[string]any{"year": y + 1, "monthly_average": 500},  // future
			map[string]any{"year": y + 80, "monthly_average": 500}, // far future
			map[string]any{"year": y - 6, "monthly_average": -12.5},
			map[string]any{"year": y - 7, "monthly_average": 1e12},
		}}
		for lang, texts := range map[string][]string{
			"fr-BE": {"Cette année est déjà déclarée.", "Année invalide", "Moyenne mensuelle invalide"},
			"nl-BE": {"Dit jaar is al aangegeven.", "Ongeldig jaar", "Ongeldig maandgemiddelde"},
		} {
			code, p, raw, _ := e.call(fdA, "PUT", "/v1/subsidy/history", bad, version(h), "Accept-Language: "+lang)
			got := fieldCodes(p)
			want := []string{"years.1.year:payments.subsidy_year_duplicate", "years.2.year:payments.subsidy_year_invalid",
				"years.3.year:payments.subsidy_year_invalid", "years.4.monthly_average:payments.subsidy_average_invalid",
				"years.5.monthly_average:payments.subsidy_average_invalid"}
			slices.Sort(got)
			if code != 422 || !slices.Equal(got, want) {
				t.Fatalf("%s: %d %s", lang, code, raw)
			}
			for _, s := range texts {
				if !strings.Contains(string(raw), s) {
					t.Errorf("%s: the message lacks %q: %s", lang, s, raw)
				}
			}
		}
		// A year or an average that is not a number: a field error too, not a 500.
		for _, body := range []string{`{"years":[{"year":"abc","monthly_average":3}]}`, `{"years":[{"year":2020,"monthly_average":"x"}]}`} {
			if code, p, raw, _ := e.call(fdA, "PUT", "/v1/subsidy/history", json.RawMessage(body), version(h)); code != 422 || len(fieldCodes(p)) == 0 ||
				!strings.Contains(string(raw), "Type de valeur incorrect") {
				t.Fatalf("%s: %d %s", body, code, raw)
			}
		}
		if _, again, raw, _ := e.call(fdA, "GET", "/v1/subsidy/history", nil); num(again, "version") != num(h, "version") {
			t.Fatalf("a refused history was written: %s", raw)
		}
	})

	t.Run("the same PUT twice with the same If-Match saves once", func(t *testing.T) {
		_, h, _, _ := e.call(fdA, "GET", "/v1/subsidy/history", nil)
		decl := map[string]any{"years": []any{map[string]any{"year": y - 4, "monthly_average": 650}}, "last_rate": 65}
		if code, _, raw, _ := e.call(fdA, "PUT", "/v1/subsidy/history", decl, version(h)); code != 200 {
			t.Fatalf("first: %d %s", code, raw)
		}
		if code, p, raw, _ := e.call(fdA, "PUT", "/v1/subsidy/history", decl, version(h)); code != 412 || p["current_version"] == nil {
			t.Fatalf("second click: %d %s", code, raw)
		}
		// Both at once.
		_, h, _, _ = e.call(fdA, "GET", "/v1/subsidy/history", nil)
		decl["last_rate"] = 66
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i := range codes {
			wg.Go(func() { codes[i], _, _, _ = e.call(fdA, "PUT", "/v1/subsidy/history", decl, version(h)) })
		}
		wg.Wait()
		slices.Sort(codes)
		if codes[0] != 200 || codes[1] != 412 {
			t.Fatalf("two clicks at once: %v", codes)
		}
		if _, got, raw, _ := e.call(fdA, "GET", "/v1/subsidy/history", nil); num(got, "version") != num(h, "version")+1 || num(got, "last_rate") != 66 {
			t.Fatalf("after two clicks at once: %s", raw)
		}
	})
}
