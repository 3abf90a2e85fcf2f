// Package apitest runs the assembled beneficiaries service for the API tests of its packages: a fresh database
// of the test engine (embedded FerretDB or MONGO_URI), an httptest server, tokens signed by a test key the
// service trusts through a static key source, and helpers to call the API and register persons. Test code only.
package apitest

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
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/authn"
	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/embedded/testkit"
	"github.com/entraide/entraide/services/beneficiaries"
)

// Env is the service under test.
type Env struct {
	T   testing.TB
	App *beneficiaries.App
	DB  *mongo.Database
	URL string

	priv ed25519.PrivateKey
	kid  string
	seq  atomic.Int64
}

// New starts the service; vars override the configuration (e.g. BENEFICIARIES_DOCUMENT_MAX_BYTES).
func New(t testing.TB, vars map[string]string) *Env {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	db := testkit.Database(t)
	env := map[string]string{"MONGO_DATABASE": db.Name()}
	for k, v := range vars {
		env[k] = v
	}
	cfg := beneficiaries.LoadConfig(config.FromMap(env))
	app, err := beneficiaries.NewAppOnDB(context.Background(), cfg, slog.New(slog.DiscardHandler), db, authn.NewStaticKeys(pub))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(srv.Close)
	return &Env{T: t, App: app, DB: db, URL: srv.URL, priv: priv, kid: authn.KeyID(pub)}
}

// User is a caller.
type User struct {
	Tenant, ID string
	Roles      []string
}

// Token signs an access token for u.
func (e *Env) Token(u User) string {
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
		"iss": "entraide-identity", "aud": []string{beneficiaries.Audience}, "sub": u.ID, "tenant": u.Tenant, "roles": u.Roles,
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "jti": fmt.Sprintf("%s-%d", u.ID, e.seq.Add(1)),
	})
	tok.Header["kid"] = e.kid
	s, err := tok.SignedString(e.priv)
	if err != nil {
		e.T.Fatal(err)
	}
	return s
}

// Answer is an HTTP answer with its body decoded when it is JSON.
type Answer struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// Str returns a string member of the body.
func (a Answer) Str(k string) string { s, _ := a.Body[k].(string); return s }

// Codes returns field → code of a problem's field errors.
func (a Answer) Codes() map[string]string { return a.fieldsBy("code") }

// Messages returns field → localized message of a problem's field errors.
func (a Answer) Messages() map[string]string { return a.fieldsBy("message") }

func (a Answer) fieldsBy(k string) map[string]string {
	out := map[string]string{}
	errs, _ := a.Body["errors"].([]any)
	for _, e := range errs {
		m := e.(map[string]any)
		out[m["field"].(string)], _ = m[k].(string)
	}
	return out
}

// Items returns the "items" array of the body.
func (a Answer) Items() []map[string]any {
	var out []map[string]any
	items, _ := a.Body["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any))
	}
	return out
}

// Call sends a request as u (no token when u.ID is empty). body is JSON-encoded unless it is a *Raw; headers
// are "Name: value". Answers are in Dutch (Accept-Language nl-BE) so tests see localized messages.
func (e *Env) Call(u User, method, path string, body any, headers ...string) Answer {
	e.T.Helper()
	var rd io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case *Raw:
		rd, contentType = bytes.NewReader(b.Body), b.ContentType
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		rd, contentType = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if u.ID != "" {
		req.Header.Set("Authorization", "Bearer "+e.Token(u))
	}
	req.Header.Set("Accept-Language", "nl-BE")
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := Answer{Status: res.StatusCode, Header: res.Header, Raw: raw}
	_ = json.Unmarshal(raw, &a.Body)
	return a
}

// Raw is a request body sent as it is.
type Raw struct {
	ContentType string
	Body        []byte
}

// NISS returns the n-th valid NISS of a man born on 1985-07-14 (n from 1 to 498).
func NISS(n int) string {
	base := 850714*1000 + 2*n - 1
	return fmt.Sprintf("%09d%02d", base, 97-base%97)
}

// RegisterPerson registers a person as u (who then sees them) and returns the person's id.
func (e *Env) RegisterPerson(u User, n int, family string) string {
	e.T.Helper()
	a := e.Call(u, "POST", "/v1/persons", map[string]any{"niss": NISS(n), "family_name": family, "given_names": "Jean",
		"birth_date": "1985-07-14", "sex": "male", "nationality": "BE", "residence_status": "belgian", "language": "fr",
		"address": map[string]any{"street": "Rue Haute", "number": "12", "postcode": "1000", "municipality": "Bruxelles"}})
	if a.Status != http.StatusCreated {
		e.T.Fatalf("register person: %d %s", a.Status, a.Raw)
	}
	return a.Str("id")
}

// Count counts the documents of a collection matching f.
func (e *Env) Count(coll string, f bson.D) int64 {
	e.T.Helper()
	if f == nil {
		f = bson.D{}
	}
	n, err := e.DB.Collection(coll).CountDocuments(context.Background(), f)
	if err != nil {
		e.T.Fatal(err)
	}
	return n
}
