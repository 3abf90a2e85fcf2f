package decisions_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/services/decisions"
	"github.com/entraide/entraide/services/decisions/projection"
)

type env struct {
	t    *testing.T
	app  *decisions.App
	url  string
	priv ed25519.PrivateKey
	kid  string
	db   *mongo.Database
	// sessionClock shifts the committee sessions' clock (nanoseconds ahead of now): a session opens on its day.
	sessionClock *atomic.Int64
}

func newEnv(t *testing.T) *env {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	db := testkit.Database(t)
	cfg := decisions.LoadConfig(config.FromMap(map[string]string{"MONGO_DATABASE": db.Name()}))
	app, err := decisions.NewAppOnDB(context.Background(), cfg, slog.New(slog.DiscardHandler), db, authn.NewStaticKeys(pub))
	if err != nil {
		t.Fatal(err)
	}
	shift := new(atomic.Int64)
	app.Sessions.Now = func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(srv.Close)
	return &env{t: t, app: app, url: srv.URL, priv: priv, kid: authn.KeyID(pub), db: db, sessionClock: shift}
}

type user struct{ tenant, id, role string }

func (e *env) call(u user, method, path string, body any, headers ...string) (int, map[string]any, []byte, http.Header) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"iss": "entraide-identity", "aud": []string{decisions.Audience},
		"sub": u.id, "tenant": u.tenant, "roles": []string{u.role}, "name": "Marie Assistante", "iat": now.Unix(),
		"exp": now.Add(time.Minute).Unix(), "jti": uuid.NewString()})
	tok.Header["kid"] = e.kid
	s, err := tok.SignedString(e.priv)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s)
	req.Header.Set("Accept-Language", "nl-BE")
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return res.StatusCode, m, raw, res.Header
}

// feed applies beneficiaries-shaped events through the projection's handler.
func (e *env) feed(tenant, typ, subject string, data any) {
	e.t.Helper()
	ev, err := events.New(typ, "entraide-beneficiaries", tenant, subject, uuid.NewString(), data)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.app.Projection.Handle(context.Background(), ev); err != nil {
		e.t.Fatal(err)
	}
}

// openFile projects a person (Dutch-speaking) and a file assigned to worker; returns person and file ids.
func (e *env) openFile(tenant, worker, number string) (string, string) {
	p, f := uuid.NewString(), uuid.NewString()
	e.feed(tenant, projection.TypePersonRegistered, p, map[string]any{"person_id": p, "niss": nil, "family_name": "Peeters",
		"given_names": "An", "birth_date": "1985-07-14", "sex": "female", "nationality": "BE", "residence_status": "belgian",
		"language": "nl", "address": map[string]any{"street": "Kerkstraat", "number": "3", "postcode": 9000, "municipality": "Gent"}})
	e.feed(tenant, projection.TypeFileOpened, f, map[string]any{"file_id": f, "number": number, "person_id": p, "assignee": worker,
		"opened_on": "2026-01-05", "origin": "manual"})
	return p, f
}

const purpose = "X-Purpose: case_follow_up"

func TestRequestRegisterAPI(t *testing.T) {
	e := newEnv(t)
	w1 := user{"gent", uuid.NewString(), "social_worker"}
	w2 := user{"gent", uuid.NewString(), "social_worker"}
	head := user{"gent", uuid.NewString(), "social_service_head"}
	other := user{"liege", uuid.NewString(), "social_service_head"}
	p1, f1 := e.openFile("gent", w1.id, "2026/000001")
	p2, f2 := e.openFile("gent", w2.id, "2026/000002")
	today := civil.Today()

	t.Run("bad input gives Dutch field errors", func(t *testing.T) {
		st, body, raw, _ := e.call(w1, "POST", "/v1/requests", map[string]any{"person_id": p1, "file_id": f1, "kind": "aide_sociale",
			"subtype": "holiday", "channel": "fax", "received_on": today.AddDays(1).String()})
		if st != http.StatusUnprocessableEntity {
			t.Fatalf("status %d %s", st, raw)
		}
		msgs := map[string]string{}
		for _, x := range body["errors"].([]any) {
			m := x.(map[string]any)
			msgs[m["field"].(string)] = m["message"].(string)
		}
		for field, want := range map[string]string{"subtype": "Onbekend subtype", "channel": "Onbekend kanaal", "received_on": "toekomst"} {
			if !strings.Contains(msgs[field], want) {
				t.Errorf("%s: %q, want %q", field, msgs[field], want)
			}
		}
		st, body, _, _ = e.call(w1, "POST", "/v1/requests", map[string]any{"person_id": p1, "file_id": f1, "kind": "ris",
			"channel": "written", "received_on": today.AddDays(-120).String()})
		if st != 422 || !strings.Contains(fmt.Sprint(body["errors"]), "late_reason") {
			t.Fatalf("late request without reason: %d %v", st, body)
		}
	})

	var id string
	t.Run("idempotent retry registers one request", func(t *testing.T) {
		in := map[string]any{"person_id": p1, "file_id": f1, "kind": "ris", "channel": "in_person", "received_on": today.String()}
		st, a, raw, h := e.call(w1, "POST", "/v1/requests", in, "Idempotency-Key: k-1")
		if st != http.StatusCreated {
			t.Fatalf("%d %s", st, raw)
		}
		st2, b, _, _ := e.call(w1, "POST", "/v1/requests", in, "Idempotency-Key: k-1")
		if st2 != http.StatusCreated || a["id"] != b["id"] {
			t.Fatalf("retry: %d %v vs %v", st2, a["id"], b["id"])
		}
		id = a["id"].(string)
		if want := fmt.Sprintf("R%d/", today.Year()); !strings.HasPrefix(a["number"].(string), want) || h.Get("Etag") != `"1"` {
			t.Fatalf("number %v etag %q", a["number"], h.Get("Etag"))
		}
		if a["decision_due"] == nil || a["file_number"] != "2026/000001" {
			t.Fatalf("body %v", a)
		}
	})

	t.Run("numbering under concurrency", func(t *testing.T) {
		var wg sync.WaitGroup
		numbers := make(chan string, 20)
		for range 20 {
			wg.Go(func() {
				_, b, _, _ := e.call(w2, "POST", "/v1/requests", map[string]any{"person_id": p2, "file_id": f2, "kind": "aide_sociale",
					"subtype": "energy", "channel": "written", "received_on": today.String()})
				numbers <- fmt.Sprint(b["number"])
			})
		}
		wg.Wait()
		close(numbers)
		seen := map[string]bool{}
		for n := range numbers {
			if seen[n] || !strings.HasPrefix(n, "R") {
				t.Fatalf("number %q duplicated or missing", n)
			}
			seen[n] = true
		}
		if len(seen) != 20 {
			t.Fatalf("%d numbers", len(seen))
		}
	})

	t.Run("access: own files, head all, other tenant and roles", func(t *testing.T) {
		if st, _, _, _ := e.call(w2, "GET", "/v1/requests/"+id, nil, purpose); st != 404 {
			t.Errorf("other worker: %d", st)
		}
		if st, _, _, _ := e.call(head, "GET", "/v1/requests/"+id, nil, purpose); st != 200 {
			t.Errorf("head: %d", st)
		}
		if st, _, _, _ := e.call(other, "GET", "/v1/requests/"+id, nil, purpose); st != 404 {
			t.Errorf("other tenant: %d", st)
		}
		if st, _, _, _ := e.call(w1, "GET", "/v1/requests/"+id, nil); st != 422 {
			t.Errorf("no purpose: %d", st)
		}
		_, l1, _, _ := e.call(w1, "GET", "/v1/requests", nil, purpose)
		_, lh, _, _ := e.call(head, "GET", "/v1/requests?page_size=100", nil, purpose)
		if n1, nh := len(l1["items"].([]any)), len(lh["items"].([]any)); n1 != 1 || nh != 21 {
			t.Errorf("worker sees %d, head %d", n1, nh)
		}
		_, one, _, _ := e.call(w1, "GET", "/v1/requests/"+id, nil, purpose)
		file, _ := one["file_id"].(string)
		for _, tc := range []struct {
			who  user
			want int
		}{{w1, 1}, {head, 1}, {w2, 0}} {
			st, l, _, _ := e.call(tc.who, "GET", "/v1/requests?file_id="+file, nil, purpose)
			if items, _ := l["items"].([]any); st != 200 || len(items) != tc.want {
				t.Errorf("file filter as %s: %d, %d items, want %d", tc.who.role, st, len(items), tc.want)
			}
		}
		if st, _, _, _ := e.call(head, "GET", "/v1/requests?file_id=2026-000001", nil, purpose); st != 422 {
			t.Errorf("file filter that is no id: %d", st)
		}
		for _, role := range []string{"committee_member", "committee_secretary", "president", "accountant", "finance_director", "tenant_admin", "dpo"} {
			if st, _, _, _ := e.call(user{"gent", uuid.NewString(), role}, "GET", "/v1/requests/"+id, nil, purpose); st != 403 {
				t.Errorf("%s: %d", role, st)
			}
		}
	})

	t.Run("settings for the tenant admin", func(t *testing.T) {
		admin := user{"gent", uuid.NewString(), "tenant_admin"}
		st, s, _, h := e.call(admin, "GET", "/v1/settings", nil)
		if st != 200 || s["cpas_name"] != "CPAS gent" {
			t.Fatalf("%d %v", st, s)
		}
		if st, _, _, _ := e.call(w1, "GET", "/v1/requests/"+id+"/acknowledgment", nil, purpose); st != http.StatusConflict {
			t.Errorf("acknowledgment without the CPAS address: %d", st)
		}
		delete(s, "version")
		s["cpas_name"] = "OCMW Gent"
		s["address"] = map[string]any{"street": "Onderbergen 86", "postal_code": "9000", "city": "Gent"}
		st, _, raw, _ := e.call(admin, "PUT", "/v1/settings", s, "If-Match: "+h.Get("Etag"))
		if st != 200 {
			t.Fatalf("put %d %s", st, raw)
		}
	})
	t.Run("acknowledgment in Dutch with the deadline and the file number; PDF", func(t *testing.T) {
		st, _, raw, h := e.call(w1, "GET", "/v1/requests/"+id+"/acknowledgment", nil, purpose)
		if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Fatalf("%d %s", st, raw)
		}
		html := string(raw)
		for _, want := range []string{"2026/000001", "OCMW Gent", "Peeters", "beslissing"} {
			if !strings.Contains(html, want) {
				t.Errorf("acknowledgment lacks %q", want)
			}
		}
		st, _, raw, _ = e.call(w1, "GET", "/v1/requests/"+id+"/acknowledgment.pdf", nil, purpose)
		if st != 200 || !bytes.HasPrefix(raw, []byte("%PDF")) {
			t.Fatalf("pdf: %d %.20q", st, raw)
		}
	})

	t.Run("board and withdrawal", func(t *testing.T) {
		_, b, raw, _ := e.call(w1, "GET", "/v1/board", nil, purpose)
		items, _ := b["items"].([]any)
		if len(items) != 1 {
			t.Fatalf("board: %s", raw)
		}
		it := items[0].(map[string]any)
		if it["due"].(map[string]any)["state"] != "upcoming" || it["deadline"].(map[string]any)["nl"] == "" {
			t.Errorf("board item %v", it)
		}
		_, hb, _, _ := e.call(head, "GET", "/v1/board?page_size=500&worker="+w2.id, nil, purpose)
		if n := len(hb["items"].([]any)); n != 20 {
			t.Errorf("head filtered by worker: %d", n)
		}
		st, _, raw, _ := e.call(w1, "POST", "/v1/requests/"+id+"/withdrawal", map[string]any{"reason": "verhuisd"}, `If-Match: "1"`)
		if st != 200 {
			t.Fatalf("withdraw %d %s", st, raw)
		}
		_, b, _, _ = e.call(w1, "GET", "/v1/board", nil, purpose)
		if n := len(b["items"].([]any)); n != 0 {
			t.Errorf("withdrawn still on the board: %d", n)
		}
	})

}
