package decisions_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	eventschema "github.com/entraide/entraide/api/events"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/services/decisions/decision"
)

// TestChangeLettersAndNotifications: each decision taken after the adoption (revision, suspension, recovery,
// termination, withdrawal) has its letter in the beneficiary's language (FR and NL) with the mandatory mentions,
// as HTML and PDF; its notification is refused before the change or in the future, recorded once per
// Idempotency-Key, and starts its own appeal window; the board shows each change's notification due; the
// change.notified event validates against its schema.
func TestChangeLettersAndNotifications(t *testing.T) {
	fx := newDecisionFixture(t)
	fx.setCourt(t)
	e := fx.e
	today := civil.Today()
	idNL := fx.decide(t, fx.basis(fx.reqNL, fx.pNL, fx.fNL))
	idFR := fx.decide(t, fx.basis(fx.reqFR, fx.pFR, fx.fFR))
	etag := func(id string) string {
		_, _, _, h := e.call(fx.w1, "GET", "/v1/decisions/"+id, nil, purpose)
		return "If-Match: " + h.Get("Etag")
	}
	post := func(t *testing.T, id, path string, in map[string]any) map[string]any {
		t.Helper()
		st, body, raw, _ := e.call(fx.w1, "POST", "/v1/decisions/"+id+path, in, etag(id))
		if st != 200 {
			t.Fatalf("%s: %d %s", path, st, raw)
		}
		return body
	}
	start := fx.received
	for _, id := range []string{idNL, idFR} {
		post(t, id, "/revisions", map[string]any{"from": start.AddDays(10).String(), "monthly_cents": 50000, "reason": "Werk deeltijds / travail à temps partiel"})
		post(t, id, "/suspensions", map[string]any{"from": start.AddDays(15).String(), "to": start.AddDays(25).String(), "reason_code": "piis_breach", "note": "Drie afspraken gemist"})
		post(t, id, "/recoveries", map[string]any{"case": "resources_received", "amount_cents": 30000, "period_from": start.String(),
			"period_to": start.AddDays(30).String(), "reason": "Achterstallige werkloosheidsuitkering"})
	}
	post(t, idNL, "/termination", map[string]any{"date": today.String(), "reason_code": "moved"})
	body := post(t, idFR, "/withdrawal", map[string]any{"date": today.String(), "reason_code": "false_declaration", "note": "Revenus non déclarés"})

	changesOf := func(id string) []map[string]any {
		_, d, _, _ := e.call(fx.w1, "GET", "/v1/decisions/"+id, nil, purpose)
		var out []map[string]any
		for _, c := range d["changes"].([]any) {
			out = append(out, c.(map[string]any))
		}
		return out
	}
	if cs := changesOf(idFR); len(cs) != 4 || cs[3]["change"] != "withdrawal" || body["changes"] == nil {
		t.Fatalf("changes %v", cs)
	}

	mentions := map[string][]string{
		"nl": {"Arbeidsrechtbank Gent", "Opgeëistenlaan 401", "binnen een termijn van drie maanden vanaf de kennisgeving", "Het beroep is kosteloos.",
			"Het beroep is niet opschortend", "2026/000101", "Marie Assistante", "Sociale dienst", "OCMW Gent", "Juridische grondslag"},
		"fr": {"Arbeidsrechtbank Gent", "Opgeëistenlaan 401", "dans un délai de trois mois à compter de sa notification", "Le recours est gratuit.",
			"Le recours n'est pas suspensif", "2026/000102", "Marie Assistante", "Sociale dienst", "OCMW Gent", "Motifs de droit"},
	}
	what := map[string]map[string]string{
		"nl": {"revision": "Nieuw maandelijks bedrag", "suspension": "geschorst", "recovery": "Achterstallige werkloosheidsuitkering", "termination": "Verhuizing buiten het grondgebied"},
		"fr": {"revision": "Nouveau montant mensuel", "suspension": "suspendu", "recovery": "Achterstallige werkloosheidsuitkering", "withdrawal": "Revenus non déclarés"},
	}
	t.Run("each change's letter in the beneficiary's language, HTML and PDF", func(t *testing.T) {
		for lang, id := range map[string]string{"nl": idNL, "fr": idFR} {
			for _, c := range changesOf(id) {
				path := "/v1/decisions/" + id + "/changes/" + c["id"].(string) + "/letter"
				st, _, raw, h := e.call(fx.w1, "GET", path, nil, purpose)
				if st != 200 || h.Get("Content-Language") != lang || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
					t.Fatalf("%s %s: %d %s", lang, c["change"], st, raw)
				}
				for _, m := range append(mentions[lang], what[lang][c["change"].(string)]) {
					if !strings.Contains(string(raw), strings.ReplaceAll(m, "'", "&#39;")) {
						t.Errorf("%s %s letter lacks %q", lang, c["change"], m)
					}
				}
				st, _, raw, h = e.call(fx.w1, "GET", path+".pdf", nil, purpose)
				if st != 200 || !bytes.HasPrefix(raw, []byte("%PDF")) || h.Get("Content-Type") != "application/pdf" {
					t.Fatalf("%s %s pdf: %d", lang, c["change"], st)
				}
			}
		}
		if st, _, _, _ := e.call(fx.w1, "GET", "/v1/decisions/"+idNL+"/changes/00000000-0000-4000-8000-000000000000/letter", nil, purpose); st != 404 {
			t.Errorf("unknown change: %d", st)
		}
		if st, _, _, _ := e.call(fx.w1, "GET", "/v1/decisions/"+idNL+"/changes/"+changesOf(idNL)[0]["id"].(string)+"/letter", nil); st != 400 && st != 422 {
			t.Errorf("without a purpose: %d", st)
		}
		if st, _, _, _ := e.call(fx.w2, "GET", "/v1/decisions/"+idNL+"/changes/"+changesOf(idNL)[0]["id"].(string)+"/letter", nil, purpose); st != 404 {
			t.Errorf("another worker: %d", st)
		}
	})

	rev := changesOf(idNL)[0]
	revPath := "/v1/decisions/" + idNL + "/changes/" + rev["id"].(string) + "/notification"
	t.Run("each change's notification is due on the board", func(t *testing.T) {
		_, d, _, _ := e.call(fx.w1, "GET", "/v1/decisions/"+idNL, nil, purpose)
		n := 0
		for _, x := range d["dues"].([]any) {
			if due := x.(map[string]any); due["clock"] == "notification" && due["change"] != nil {
				n++
			}
		}
		if n != 4 {
			t.Errorf("%d change notifications due: %v", n, d["dues"])
		}
		_, b, raw, _ := e.call(fx.head, "GET", "/v1/board?clock=notification", nil, purpose)
		found := false
		for _, x := range b["items"].([]any) {
			if it := x.(map[string]any); it["change"] == "revision:"+rev["id"].(string) {
				found = true
			}
		}
		if !found {
			t.Errorf("revision's notification not on the board: %s", raw)
		}
	})
	t.Run("notification refusals", func(t *testing.T) {
		for _, c := range []struct {
			in          map[string]any
			field, code string
		}{
			// After the decision but before the change: the change's own date counts.
			{map[string]any{"method": "handed", "date": today.AddDays(-1).String()}, "date", "decision.notified_before_change"},
			{map[string]any{"method": "handed", "date": today.AddDays(1).String()}, "date", "decision.date_in_future"},
			{map[string]any{"method": "registered_letter", "date": today.String()}, "reference", "decision.registered_number_required"},
		} {
			st, body, raw, _ := e.call(fx.w1, "POST", revPath, c.in, etag(idNL))
			if st != 422 || codesOf(body)[c.field] != c.code {
				t.Errorf("%v: %d %s", c.in, st, raw)
			}
		}
		if st, _, _, _ := e.call(fx.w1, "POST", revPath, map[string]any{"method": "handed", "date": today.String()}); st != 428 {
			t.Errorf("without If-Match: %d", st)
		}
		if st, _, _, _ := e.call(fx.w1, "POST", "/v1/decisions/"+idNL+"/changes/ending/notification",
			map[string]any{"method": "handed", "date": today.String()}, etag(idNL)); st != 404 {
			t.Errorf("legacy ending id on a decision whose ending has one: %d", st)
		}
	})
	t.Run("same Idempotency-Key twice: one notification, one event, its own appeal window", func(t *testing.T) {
		in := map[string]any{"method": "registered_letter", "reference": "RR987654321BE", "date": today.String()}
		h := etag(idNL)
		st, a, raw, _ := e.call(fx.w1, "POST", revPath, in, h, "Idempotency-Key: cn-1")
		if st != 200 {
			t.Fatalf("%d %s", st, raw)
		}
		st, b, _, _ := e.call(fx.w1, "POST", revPath, in, h, "Idempotency-Key: cn-1")
		if st != 200 || b["version"] != a["version"] {
			t.Fatalf("retry: %d %v", st, b["version"])
		}
		st, c, _, _ := e.call(fx.w1, "POST", revPath, in, etag(idNL))
		if st != 200 || c["version"] != a["version"] {
			t.Fatalf("same notification again: %d %v", st, c["version"])
		}
		if st, _, _, _ := e.call(fx.w1, "POST", revPath, map[string]any{"method": "handed", "date": today.String()}, etag(idNL)); st != 409 {
			t.Errorf("another notification: %d", st)
		}
		if n := countType(fx.outbox(t, idNL), decision.TypeChangeNotified); n != 1 {
			t.Fatalf("%d change.notified events", n)
		}
		var notice map[string]any
		for _, x := range changesOf(idNL) {
			if x["id"] == rev["id"] {
				notice, _ = x["notification"].(map[string]any)
			}
		}
		if notice == nil || notice["reference"] != "RR987654321BE" || notice["appeal_due"] == nil || notice["appeal_open"] != true {
			t.Fatalf("notice %v", notice)
		}
		_, d, _, _ := e.call(fx.w1, "GET", "/v1/decisions/"+idNL, nil, purpose)
		appeal := false
		for _, x := range d["dues"].([]any) {
			due := x.(map[string]any)
			if due["change"] == "revision:"+rev["id"].(string) {
				if due["clock"] == "notification" {
					t.Error("revision's notification still due")
				}
				appeal = appeal || due["clock"] == "appeal"
			}
		}
		if !appeal {
			t.Errorf("no appeal window for the revision: %v", d["dues"])
		}
		_, _, raw, _ = e.call(fx.w1, "GET", "/v1/decisions/"+idNL+"/changes/"+rev["id"].(string)+"/letter", nil, purpose)
		if !strings.Contains(string(raw), "de beroepstermijn verstrijkt op") {
			t.Error("the notified change's letter does not state the appeal's last day")
		}
		// The ending is notified too (a termination is a decision of its own).
		end := changesOf(idNL)[3]
		st, _, raw, _ = e.call(fx.w1, "POST", "/v1/decisions/"+idNL+"/changes/"+end["id"].(string)+"/notification",
			map[string]any{"method": "receipt_signed", "reference": "QR-7", "date": today.String()}, etag(idNL), "Idempotency-Key: cn-2")
		if st != 200 {
			t.Fatalf("termination notified: %d %s", st, raw)
		}
	})
	t.Run("change.notified validates against its schema, without notes", func(t *testing.T) {
		n := 0
		for _, ev := range fx.outbox(t, idNL) {
			if ev.Type != decision.TypeChangeNotified {
				continue
			}
			n++
			if err := eventschema.Validate(ev.Type, []byte(ev.Data)); err != nil {
				t.Errorf("%v: %s", err, ev.Data)
			}
			var p map[string]any
			_ = json.Unmarshal([]byte(ev.Data), &p)
			if p["decision_id"] != idNL || (p["change"] != "revision" && p["change"] != "termination") || p["change_id"] == "" {
				t.Errorf("payload %v", p)
			}
			for _, secret := range []string{"RR987654321BE", "deeltijds", "Peeters"} {
				if strings.Contains(ev.Data, secret) {
					t.Errorf("carries %q", secret)
				}
			}
		}
		if n != 2 {
			t.Errorf("%d change.notified events", n)
		}
	})
}

// TestThirdPartyCommunicationInTheAdoptedEvent: a third party's structured communication reaches
// decision.adopted's payee.communication, valid against the schema.
func TestThirdPartyCommunicationInTheAdoptedEvent(t *testing.T) {
	fx := newDecisionFixture(t)
	b := fx.basis(fx.reqFR, fx.pFR, fx.fFR)
	b.Payee = decision.Payee{Kind: decision.PayeeThirdParty, Name: "Immo Bruxelles", IBAN: "BE68 5390 0754 7034", Communication: "123456789002"}
	id := fx.decide(t, b)
	for _, ev := range fx.outbox(t, id) {
		if ev.Type != decision.TypeAdopted {
			continue
		}
		if err := eventschema.Validate(ev.Type, []byte(ev.Data)); err != nil {
			t.Fatal(err)
		}
		var p struct {
			Payee map[string]string `json:"payee"`
		}
		_ = json.Unmarshal([]byte(ev.Data), &p)
		if p.Payee["communication"] != "123456789002" || p.Payee["iban"] != "BE68539007547034" {
			t.Fatalf("payee %v", p.Payee)
		}
		return
	}
	t.Fatal("no decision.adopted")
}
