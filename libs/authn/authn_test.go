package authn

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/entraide/entraide/libs/problem"
)

const (
	testIssuer   = "entraide-identity"
	testAudience = "entraide-beneficiaries"
)

func newKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func goodClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": testIssuer, "aud": []string{"entraide-web", testAudience}, "sub": "u-1", "tenant": "demo",
		"roles": []string{"social_worker"}, "name": "Amélie", "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(15 * time.Minute).Unix(), "jti": "j-1", "sid": "f-1",
	}
}

func sign(t *testing.T, priv ed25519.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyAcceptsAGoodToken(t *testing.T) {
	pub, priv := newKey(t)
	v := NewVerifier(NewStaticKeys(pub), testIssuer, testAudience)
	c, err := v.Verify(context.Background(), sign(t, priv, KeyID(pub), goodClaims(time.Now())))
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "u-1" || c.Tenant != "demo" || len(c.Roles) != 1 || c.Roles[0] != "social_worker" || c.Name != "Amélie" || c.SessionID != "f-1" || c.ID != "j-1" {
		t.Fatalf("claims %+v", c)
	}
	if !c.HasRole("social_worker") || c.HasRole("dpo") {
		t.Fatal("HasRole")
	}
}

func TestVerifyRefusesAttacks(t *testing.T) {
	pub, priv := newKey(t)
	_, otherPriv := newKey(t)
	kid := KeyID(pub)
	now := time.Now()
	v := NewVerifier(NewStaticKeys(pub), testIssuer, testAudience)
	with := func(mut func(jwt.MapClaims)) jwt.MapClaims {
		c := goodClaims(now)
		mut(c)
		return c
	}
	header := func(h map[string]any) string {
		b, _ := json.Marshal(h)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	payload := func(c jwt.MapClaims) string {
		b, _ := json.Marshal(c)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	// alg none: header says none, no signature.
	algNone := header(map[string]any{"alg": "none", "typ": "JWT", "kid": kid}) + "." + payload(goodClaims(now)) + "."
	// HS256 keyed with the public key bytes: the classic algorithm-confusion attack.
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, goodClaims(now))
	hs.Header["kid"] = kid
	hsToken, err := hs.SignedString([]byte(pub))
	if err != nil {
		t.Fatal(err)
	}
	good := sign(t, priv, kid, goodClaims(now))
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + payload(with(func(c jwt.MapClaims) { c["roles"] = []string{"tenant_admin"} })) + "." + parts[2]

	for name, tok := range map[string]string{
		"empty":               "",
		"garbage":             "not.a.jwt",
		"alg none":            algNone,
		"HS256 with pub key":  hsToken,
		"tampered payload":    tampered,
		"other key same kid":  sign(t, otherPriv, kid, goodClaims(now)),
		"no kid":              sign(t, priv, "", goodClaims(now)),
		"unknown kid":         sign(t, priv, "nope", goodClaims(now)),
		"expired":             sign(t, priv, kid, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() })),
		"no exp":              sign(t, priv, kid, with(func(c jwt.MapClaims) { delete(c, "exp") })),
		"not yet valid":       sign(t, priv, kid, with(func(c jwt.MapClaims) { c["nbf"] = now.Add(5 * time.Minute).Unix() })),
		"issued in future":    sign(t, priv, kid, with(func(c jwt.MapClaims) { c["iat"] = now.Add(5 * time.Minute).Unix() })),
		"wrong audience":      sign(t, priv, kid, with(func(c jwt.MapClaims) { c["aud"] = []string{"entraide-payments"} })),
		"no audience":         sign(t, priv, kid, with(func(c jwt.MapClaims) { delete(c, "aud") })),
		"wrong issuer":        sign(t, priv, kid, with(func(c jwt.MapClaims) { c["iss"] = "evil" })),
		"no issuer":           sign(t, priv, kid, with(func(c jwt.MapClaims) { delete(c, "iss") })),
		"missing tenant":      sign(t, priv, kid, with(func(c jwt.MapClaims) { delete(c, "tenant") })),
		"empty tenant":        sign(t, priv, kid, with(func(c jwt.MapClaims) { c["tenant"] = "" })),
		"tenant not a string": sign(t, priv, kid, with(func(c jwt.MapClaims) { c["tenant"] = 42 })),
		"missing sub":         sign(t, priv, kid, with(func(c jwt.MapClaims) { delete(c, "sub") })),
		"missing roles":       sign(t, priv, kid, with(func(c jwt.MapClaims) { delete(c, "roles") })),
		"empty roles":         sign(t, priv, kid, with(func(c jwt.MapClaims) { c["roles"] = []string{} })),
		"roles not an array":  sign(t, priv, kid, with(func(c jwt.MapClaims) { c["roles"] = "tenant_admin" })),
		"role not a string":   sign(t, priv, kid, with(func(c jwt.MapClaims) { c["roles"] = []any{1} })),
		"empty role":          sign(t, priv, kid, with(func(c jwt.MapClaims) { c["roles"] = []string{""} })),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tok)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("accepted or wrong error: %v", err)
			}
		})
	}
}

func TestLeewayToleratesSmallClockSkewOnly(t *testing.T) {
	pub, priv := newKey(t)
	now := time.Now()
	c := goodClaims(now)
	c["exp"] = now.Add(-10 * time.Second).Unix()
	tok := sign(t, priv, KeyID(pub), c)
	if _, err := NewVerifier(NewStaticKeys(pub), testIssuer, testAudience).Verify(context.Background(), tok); err != nil {
		t.Fatalf("10 s past exp refused within the 30 s leeway: %v", err)
	}
	c["exp"] = now.Add(-time.Minute).Unix()
	tok = sign(t, priv, KeyID(pub), c)
	if _, err := NewVerifier(NewStaticKeys(pub), testIssuer, testAudience).Verify(context.Background(), tok); err == nil {
		t.Fatal("1 min past exp accepted")
	}
}

func TestKeyIDIsTheRFC7638Thumbprint(t *testing.T) {
	// RFC 8037 appendix A.3: the thumbprint of its example Ed25519 key.
	x, _ := base64.RawURLEncoding.DecodeString("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
	if got := KeyID(ed25519.PublicKey(x)); got != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" {
		t.Fatalf("thumbprint %s", got)
	}
}

// jwksServer serves the current key set and counts fetches.
type jwksServer struct {
	keys    atomic.Value // []ed25519.PublicKey
	fetches atomic.Int32
	srv     *httptest.Server
}

func newJWKSServer(t *testing.T, keys ...ed25519.PublicKey) *jwksServer {
	s := &jwksServer{}
	s.keys.Store(keys)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		var set JWKS
		for _, k := range s.keys.Load().([]ed25519.PublicKey) {
			set.Keys = append(set.Keys, PublicJWK(k))
		}
		// A key of another type must be skipped, not break the set.
		set.Keys = append(set.Keys, JWK{Kty: "RSA", Kid: "rsa-1"})
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func TestJWKSRotationAndRateLimitedRefetch(t *testing.T) {
	pub1, priv1 := newKey(t)
	pub2, priv2 := newKey(t)
	_, rogue := newKey(t)
	srv := newJWKSServer(t, pub1)
	now := time.Now()
	clock := func() time.Time { return now }
	src := NewJWKSource(srv.srv.URL, JWKSOptions{MinInterval: 30 * time.Second, RefreshInterval: 10 * time.Minute, Now: clock})
	v := NewVerifier(src, testIssuer, testAudience, WithClock(clock))
	ctx := context.Background()

	if _, err := v.Verify(ctx, sign(t, priv1, KeyID(pub1), goodClaims(now))); err != nil {
		t.Fatal(err)
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("fetches %d after first verification", n)
	}
	// Cached: no new fetch.
	for range 5 {
		if _, err := v.Verify(ctx, sign(t, priv1, KeyID(pub1), goodClaims(now))); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("fetches %d for a cached key", n)
	}

	// A flood of unknown kids within MinInterval: at most one refetch.
	now = now.Add(31 * time.Second)
	for i := range 50 {
		if _, err := v.Verify(ctx, sign(t, rogue, "forged-"+string(rune('a'+i%26)), goodClaims(now))); err == nil {
			t.Fatal("unknown kid accepted")
		}
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Fatalf("fetches %d after a flood of unknown kids, want exactly one more", n)
	}

	// Rotation: identity publishes key 2 and signs with it. Within MinInterval of the last fetch the new kid is
	// not fetched yet; after it, one refetch finds it.
	srv.keys.Store([]ed25519.PublicKey{pub2, pub1})
	tok2 := sign(t, priv2, KeyID(pub2), goodClaims(now))
	if _, err := v.Verify(ctx, tok2); err == nil {
		t.Fatal("new kid accepted before a refetch was allowed")
	}
	now = now.Add(31 * time.Second)
	if _, err := v.Verify(ctx, sign(t, priv2, KeyID(pub2), goodClaims(now))); err != nil {
		t.Fatalf("rotated key refused: %v", err)
	}
	if n := srv.fetches.Load(); n != 3 {
		t.Fatalf("fetches %d after rotation", n)
	}

	// Periodic refresh: once the set is older than RefreshInterval, a retired key disappears.
	srv.keys.Store([]ed25519.PublicKey{pub2})
	now = now.Add(11 * time.Minute)
	if _, err := v.Verify(ctx, sign(t, priv1, KeyID(pub1), goodClaims(now))); err == nil {
		t.Fatal("retired key still accepted after the periodic refresh")
	}
	if n := srv.fetches.Load(); n != 4 {
		t.Fatalf("fetches %d after refresh interval", n)
	}
}

func TestJWKSUnreachableKeepsKnownKeys(t *testing.T) {
	pub, priv := newKey(t)
	srv := newJWKSServer(t, pub)
	now := time.Now()
	clock := func() time.Time { return now }
	v := NewVerifier(NewJWKSource(srv.srv.URL, JWKSOptions{Now: clock}), testIssuer, testAudience, WithClock(clock))
	if _, err := v.Verify(context.Background(), sign(t, priv, KeyID(pub), goodClaims(now))); err != nil {
		t.Fatal(err)
	}
	srv.srv.Close()
	now = now.Add(11 * time.Minute)
	if _, err := v.Verify(context.Background(), sign(t, priv, KeyID(pub), goodClaims(now))); err != nil {
		t.Fatalf("known key refused while identity is unreachable: %v", err)
	}
	// Never reached: the first fetch fails, nothing is known, every token is refused.
	v2 := NewVerifier(NewJWKSource("http://127.0.0.1:1/jwks.json", JWKSOptions{}), testIssuer, testAudience)
	if _, err := v2.Verify(context.Background(), sign(t, priv, KeyID(pub), goodClaims(time.Now()))); err == nil {
		t.Fatal("accepted without keys")
	}
}

func TestMiddlewareAndBearer(t *testing.T) {
	pub, priv := newKey(t)
	v := NewVerifier(NewStaticKeys(pub), testIssuer, testAudience)
	var seen Claims
	ep := Middleware(v)(func(ctx context.Context, _ any) (any, error) {
		seen, _ = ClaimsFrom(ctx)
		return "ok", nil
	})
	tok := sign(t, priv, KeyID(pub), goodClaims(time.Now()))

	r := httptest.NewRequest("GET", "/v1/x", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	if _, err := ep(BearerFromHeader(context.Background(), r), nil); err != nil || seen.Subject != "u-1" {
		t.Fatalf("err %v claims %+v", err, seen)
	}

	for name, req := range map[string]*http.Request{
		"no header":      httptest.NewRequest("GET", "/v1/x", nil),
		"token in query": httptest.NewRequest("GET", "/v1/x?access_token="+tok, nil),
		"basic scheme": func() *http.Request {
			r := httptest.NewRequest("GET", "/v1/x", nil)
			r.Header.Set("Authorization", "Basic "+tok)
			return r
		}(),
		"bare token": func() *http.Request {
			r := httptest.NewRequest("GET", "/v1/x", nil)
			r.Header.Set("Authorization", tok)
			return r
		}(),
		"bad token": func() *http.Request {
			r := httptest.NewRequest("GET", "/v1/x", nil)
			r.Header.Set("Authorization", "Bearer x.y.z")
			return r
		}(),
		"empty bearer": func() *http.Request {
			r := httptest.NewRequest("GET", "/v1/x", nil)
			r.Header.Set("Authorization", "Bearer ")
			return r
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ep(BearerFromHeader(context.Background(), req), nil)
			pe := problem.As(err)
			if pe.Type != problem.Unauthorized {
				t.Fatalf("got %v", err)
			}
			doc, _ := problem.Render(err, "en")
			if doc.Detail != "" || len(doc.Errors) != 0 || doc.Status != 401 {
				t.Fatalf("problem leaks or wrong: %+v", doc)
			}
		})
	}
	if _, ok := ClaimsFrom(context.Background()); ok {
		t.Fatal("claims from empty context")
	}
}
