package payments_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	eventschema "github.com/entraide/entraide/api/events"
	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/civil"
	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/libs/events"
	"github.com/entraide/entraide/libs/store"
	"github.com/entraide/entraide/services/payments"
	"github.com/entraide/entraide/services/payments/projection"
	"github.com/entraide/entraide/services/payments/schedule"
)

type env struct {
	t    *testing.T
	app  *payments.App
	url  string
	priv ed25519.PrivateKey
	kid  string
	db   *mongo.Database
}

func newEnv(t *testing.T) *env {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	db := testkit.Database(t)
	cfg := payments.LoadConfig(config.FromMap(map[string]string{"MONGO_DATABASE": db.Name()}))
	app, err := payments.NewAppOnDB(context.Background(), cfg, slog.New(slog.DiscardHandler), db, authn.NewStaticKeys(pub))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(srv.Close)
	return &env{t: t, app: app, url: srv.URL, priv: priv, kid: authn.KeyID(pub), db: db}
}

type user struct{ tenant, id, role string }

func newUser(tenant, role string) user { return user{tenant, uuid.NewString(), role} }

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
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"iss": "entraide-identity", "aud": []string{payments.Audience},
		"sub": u.id, "tenant": u.tenant, "roles": []string{u.role}, "name": "Compta", "iat": now.Unix(),
		"exp": now.Add(time.Minute).Unix(), "jti": uuid.NewString()})
	tok.Header["kid"] = e.kid
	s, err := tok.SignedString(e.priv)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s)
	req.Header.Set("Accept-Language", "fr-BE")
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

// event builds an event as its producer sends it, checked against the contract in api/events.
func (e *env) event(tenant, typ, source, subject string, data any) events.Event {
	e.t.Helper()
	ev, err := events.New(typ, source, tenant, subject, uuid.NewString(), data)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := eventschema.Validate(typ, ev.Data); err != nil {
		e.t.Fatalf("%s fixture: %v", typ, err)
	}
	return ev
}

// feed applies events through the service's handlers (the Kafka consumers call the same).
func (e *env) feed(evs ...events.Event) {
	e.t.Helper()
	for _, ev := range evs {
		var err error
		if strings.HasPrefix(ev.Type, "be.cpas.beneficiaries.") {
			err = e.app.Projection.Handle(context.Background(), ev)
		} else {
			err = e.app.Schedules.Handle(context.Background(), ev)
		}
		if err != nil {
			e.t.Fatalf("%s: %v", ev.Type, err)
		}
	}
}

// beneficiary projects a person with an account and a file assigned to worker; returns person and file ids.
func (e *env) beneficiary(tenant, worker, number, given, family, account string) (string, string) {
	p, f := uuid.NewString(), uuid.NewString()
	e.feed(e.event(tenant, projection.TypePersonRegistered, "entraide-beneficiaries", p, map[string]any{"person_id": p, "niss": nil,
		"family_name": family, "given_names": given, "birth_date": "1985-07-14", "sex": "female", "nationality": "BE",
		"residence_status": "belgian", "language": "fr", "address": map[string]any{"street": "Rue Haute", "number": "3", "postcode": 1000,
			"municipality": "Bruxelles"}}))
	if account != "" {
		e.account(tenant, p, given+" "+family, account, nil)
	}
	e.feed(e.event(tenant, projection.TypeFileOpened, "entraide-beneficiaries", f, map[string]any{"file_id": f, "number": number,
		"person_id": p, "assignee": worker, "opened_on": "2026-01-05", "origin": "manual"}))
	return p, f
}

func (e *env) account(tenant, person, name, iban string, old any) {
	e.feed(e.event(tenant, projection.TypeBankAccount, "entraide-beneficiaries", person, map[string]any{"person_id": person,
		"account_id": uuid.NewString(), "holder": name, "old_iban": old, "new_iban": iban, "payee_name": name,
		"effective_at": time.Now().UTC().Format(time.RFC3339Nano)}))
}

func (e *env) adopted(tenant, person, file string, fields map[string]any) events.Event {
	id := uuid.NewString()
	data := map[string]any{"decision_id": id, "person_id": person, "file_id": file, "source": "session", "kind": "ris",
		"outcome": "granted", "category": 2, "monthly_cents": 131420, "first_month_cents": 0, "one_off_cents": 0,
		"periodicity": "monthly", "piis": false, "payee": map[string]any{"kind": "beneficiary"}, "decided_on": civil.Today().String()}
	for k, v := range fields {
		if v == nil {
			delete(data, k)
			continue
		}
		data[k] = v
	}
	return e.event(tenant, "be.cpas.decisions.decision.adopted.v1", "entraide-decisions", id, data)
}

func firstOfMonth(d civil.Date, add int) civil.Date {
	t := time.Date(d.Year(), d.Month()+time.Month(add), 1, 12, 0, 0, 0, time.UTC)
	return civil.MustNew(t.Year(), t.Month(), 1)
}

const purpose = "X-Purpose: payment"

func items(m map[string]any) []map[string]any {
	var out []map[string]any
	for _, x := range m["items"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func (e *env) instalmentsOf(tenant, decision string) []store.Versioned[schedule.Instalment] {
	e.t.Helper()
	v, err := e.app.Schedules.Repo.InstalmentsOf(context.Background(), tenant, decision)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

func (e *env) outbox(coll, id string) []store.OutboxEntry {
	e.t.Helper()
	var doc struct {
		Outbox []store.OutboxEntry `bson:"outbox"`
	}
	if err := e.db.Collection(coll).FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		e.t.Fatal(err)
	}
	for _, ev := range doc.Outbox {
		if err := eventschema.Validate(ev.Type, []byte(ev.Data)); err != nil {
			e.t.Errorf("%s: %v", ev.Type, err)
		}
		for _, secret := range []string{"Dubois", "BE68539007547034", "Electrabel"} {
			if strings.Contains(ev.Data, secret) {
				e.t.Errorf("%s payload carries %q", ev.Type, secret)
			}
		}
	}
	return doc.Outbox
}

func types(entries []store.OutboxEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Type)
	}
	return out
}
