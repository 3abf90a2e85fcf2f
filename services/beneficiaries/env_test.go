package beneficiaries

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
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded/testkit"
)

// env is the service on a fresh database of the test engine, behind an httptest server, with tokens signed by a
// test key the service trusts through a static key source.
type env struct {
	t    *testing.T
	app  *App
	db   *mongo.Database
	srv  *httptest.Server
	priv ed25519.PrivateKey
	kid  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	db := testkit.Database(t)
	cfg := LoadConfig(config.FromMap(map[string]string{"MONGO_DATABASE": db.Name()}))
	app, err := NewAppOnDB(context.Background(), cfg, slog.New(slog.DiscardHandler), db, authn.NewStaticKeys(pub))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(srv.Close)
	return &env{t: t, app: app, db: db, srv: srv, priv: priv, kid: authn.KeyID(pub)}
}

// user is a caller: tenant, user id and roles.
type user struct {
	tenant, id string
	roles      []string
}

func (e *env) token(u user) string {
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
		"iss": "entraide-identity", "aud": []string{Audience}, "sub": u.id, "tenant": u.tenant, "roles": u.roles,
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "jti": u.id + now.String(),
	})
	tok.Header["kid"] = e.kid
	s, err := tok.SignedString(e.priv)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// answer is an HTTP answer with its decoded JSON body.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// fields returns field → message of a problem's errors.
func (a answer) fields() map[string]string {
	out := map[string]string{}
	errs, _ := a.body["errors"].([]any)
	for _, e := range errs {
		m := e.(map[string]any)
		out[m["field"].(string)] = m["message"].(string)
	}
	return out
}

func (a answer) codes() map[string]string {
	out := map[string]string{}
	errs, _ := a.body["errors"].([]any)
	for _, e := range errs {
		m := e.(map[string]any)
		out[m["field"].(string)] = m["code"].(string)
	}
	return out
}

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

// call sends a request as u (no token when u.id is empty) with a JSON body and extra headers "K: v".
func (e *env) call(u user, method, path string, body any, headers ...string) answer {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if u.id != "" {
		req.Header.Set("Authorization", "Bearer "+e.token(u))
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// Callers of tenant "cpas-a" and "cpas-b".
var (
	workerA  = user{"cpas-a", "0190a000-0000-7000-8000-00000000000a", []string{"social_worker"}}
	worker2A = user{"cpas-a", "0190a000-0000-7000-8000-00000000002a", []string{"social_worker"}}
	headA    = user{"cpas-a", "0190a000-0000-7000-8000-0000000000ea", []string{"social_service_head"}}
	accA     = user{"cpas-a", "0190a000-0000-7000-8000-0000000000ca", []string{"accountant"}}
	workerB  = user{"cpas-b", "0190b000-0000-7000-8000-00000000000b", []string{"social_worker"}}
	headB    = user{"cpas-b", "0190b000-0000-7000-8000-0000000000eb", []string{"social_service_head"}}
)

const purpose = "X-Purpose: case_follow_up"

func jean() map[string]any {
	return map[string]any{"niss": "85.07.14-123.30", "family_name": "Dupont-Lefèvre", "given_names": "Jean", "birth_date": "1985-07-14",
		"sex": "male", "nationality": "BE", "residence_status": "belgian", "language": "fr",
		"address": map[string]any{"street": "Rue Haute", "number": "12", "postcode": "1000", "municipality": "Bruxelles"}}
}

func (e *env) register(u user, body map[string]any) answer {
	e.t.Helper()
	a := e.call(u, "POST", "/v1/persons", body)
	if a.status != http.StatusCreated {
		e.t.Fatalf("register: %d %s", a.status, a.raw)
	}
	return a
}
