package decisions_test

import (
	"encoding/json"
	"strings"
	"testing"

	eventschema "github.com/entraide/entraide/api/events"
	"github.com/entraide/entraide/services/decisions/decision"
)

// TestRevisionPayeeAPI: a revision may name who is paid from its month. A third party (name, IBAN, structured
// communication in any written form) is checked as on a proposal — a wrong IBAN is a field error on payee.iban,
// in the user's language — and stored in its normal form; the decision's current payee follows it; its
// decision.revised carries the payee as the schema and the payments read it; its letter names the new payee but
// no account. A revision that leaves the payee unchanged carries none; back to the beneficiary carries the kind
// alone; naming the payee already paid, with nothing else changed, is refused.
func TestRevisionPayeeAPI(t *testing.T) {
	fx := newDecisionFixture(t)
	fx.setCourt(t)
	e := fx.e
	id := fx.decide(t, fx.basis(fx.reqFR, fx.pFR, fx.fFR))
	start := fx.received
	revise := func(t *testing.T, in map[string]any, want int) map[string]any {
		t.Helper()
		_, _, _, h := e.call(fx.w1, "GET", "/v1/decisions/"+id, nil, purpose)
		st, body, raw, _ := e.call(fx.w1, "POST", "/v1/decisions/"+id+"/revisions", in, "If-Match: "+h.Get("Etag"))
		if st != want {
			t.Fatalf("%v: %d %s", in, st, raw)
		}
		return body
	}
	// revised lists the decision.revised payloads in the outbox, oldest first.
	revised := func(t *testing.T) []map[string]any {
		t.Helper()
		var out []map[string]any
		for _, ev := range fx.outbox(t, id) {
			if ev.Type != decision.TypeRevised {
				continue
			}
			if err := eventschema.Validate(ev.Type, []byte(ev.Data)); err != nil {
				t.Fatalf("%s: %v", ev.Data, err)
			}
			var p map[string]any
			_ = json.Unmarshal([]byte(ev.Data), &p)
			out = append(out, p)
		}
		return out
	}
	landlord := map[string]any{"kind": "third_party", "name": "Immo Sud SA", "iban": "BE68 5390 0754 7034", "communication": "+++123/4567/89002+++"}

	t.Run("unchanged: no payee in the event", func(t *testing.T) {
		b := revise(t, map[string]any{"from": start.AddDays(10).String(), "monthly_cents": 50000, "reason": "Travail à temps partiel",
			"payee": map[string]any{"kind": "unchanged"}}, 200)
		if cp := b["current_payee"].(map[string]any); cp["kind"] != "beneficiary" || len(cp) != 1 {
			t.Errorf("current payee %v", cp)
		}
		evs := revised(t)
		if len(evs) != 1 || evs[0]["payee"] != nil {
			t.Fatalf("revised %v", evs)
		}
	})

	t.Run("a wrong IBAN is a field error", func(t *testing.T) {
		bad := map[string]any{"kind": "third_party", "name": "Immo Sud SA", "iban": "BE68 5390 0754 7035", "communication": "123"}
		b := revise(t, map[string]any{"from": start.AddDays(40).String(), "monthly_cents": 52000, "reason": "Nouveau bail", "payee": bad}, 422)
		c := codesOf(b)
		if c["payee.iban"] != "proposal.iban_invalid" || c["payee.communication"] != "invalid_ogm" {
			t.Fatalf("%v", b)
		}
		for _, x := range b["errors"].([]any) {
			if m := x.(map[string]any); m["field"] == "payee.iban" && m["message"] != "Ongeldig IBAN." {
				t.Errorf("message %v", m)
			}
		}
		b = revise(t, map[string]any{"from": start.AddDays(40).String(), "monthly_cents": 52000, "reason": "Nouveau bail",
			"payee": map[string]any{"kind": "third_party"}}, 422)
		if c := codesOf(b); c["payee.name"] != "required" || c["payee.iban"] != "required" {
			t.Fatalf("%v", b)
		}
		if n := len(revised(t)); n != 1 {
			t.Fatalf("%d revised events after refusals", n)
		}
	})

	var revID string
	t.Run("a third party: stored, current, in the event", func(t *testing.T) {
		// The payee alone changes: a revision of its own, the amount the one in force.
		b := revise(t, map[string]any{"from": start.AddDays(40).String(), "monthly_cents": 50000, "reason": "Loyer payé directement au bailleur",
			"payee": landlord}, 200)
		want := map[string]any{"kind": "third_party", "name": "Immo Sud SA", "iban": "BE68539007547034", "communication": "123456789002"}
		if cp := b["current_payee"].(map[string]any); !equalMaps(cp, want) {
			t.Errorf("current payee %v", cp)
		}
		revs := b["revisions"].([]any)
		last := revs[len(revs)-1].(map[string]any)
		revID = last["id"].(string)
		if p, _ := last["payee"].(map[string]any); !equalMaps(p, want) {
			t.Errorf("revision's payee %v", last)
		}
		if adopted := b["payee"].(map[string]any); adopted["kind"] != "beneficiary" {
			t.Errorf("the adoption's payee changed: %v", adopted)
		}
		evs := revised(t)
		p, _ := evs[len(evs)-1]["payee"].(map[string]any)
		if len(evs) != 2 || !equalMaps(p, want) || evs[1]["revision_id"] != revID || evs[1]["monthly_cents"] != float64(50000) || evs[1]["previous_cents"] != float64(50000) {
			t.Fatalf("revised %v", evs)
		}
	})

	t.Run("the letter names the new payee, not its account", func(t *testing.T) {
		st, _, raw, _ := e.call(fx.w1, "GET", "/v1/decisions/"+id+"/changes/"+revID+"/letter", nil, purpose)
		page := string(raw)
		if st != 200 || !strings.Contains(page, "votre aide est versée directement à Immo Sud SA") || !strings.Contains(page, "par virement à Immo Sud SA") {
			t.Fatalf("%d %s", st, raw)
		}
		for _, account := range []string{"BE68539007547034", "BE68 5390", "7034", "123456789002", "123/4567/89002"} {
			if strings.Contains(page, account) {
				t.Errorf("the letter prints %q", account)
			}
		}
	})

	t.Run("the same payee again changes nothing; back to the beneficiary", func(t *testing.T) {
		b := revise(t, map[string]any{"from": start.AddDays(50).String(), "monthly_cents": 50000, "reason": "x",
			"payee": map[string]any{"kind": "third_party", "name": "Immo Sud SA", "iban": "BE68539007547034", "communication": "123456789002"}}, 422)
		if c := codesOf(b); c["payee.kind"] != "decision.payee_unchanged" || c["monthly_cents"] != "decision.amount_unchanged" {
			t.Fatalf("%v", b)
		}
		b = revise(t, map[string]any{"from": start.AddDays(60).String(), "monthly_cents": 50000, "reason": "Fin du bail",
			"payee": map[string]any{"kind": "beneficiary"}}, 200)
		if cp := b["current_payee"].(map[string]any); cp["kind"] != "beneficiary" || len(cp) != 1 {
			t.Errorf("current payee %v", cp)
		}
		evs := revised(t)
		if p, _ := evs[len(evs)-1]["payee"].(map[string]any); len(evs) != 3 || !equalMaps(p, map[string]any{"kind": "beneficiary"}) {
			t.Fatalf("revised %v", evs)
		}
	})
}

func equalMaps(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}
