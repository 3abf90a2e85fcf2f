// Package authn verifies the access tokens the identity service issues (EdDSA JWTs, docs/architecture.md
// "Security model") and carries the verified claims through a request's context. It owns the JWT rules every
// service shares: accepted algorithm, issuer, audience, required claims, leeway, and where keys come from (the
// identity service's JWKS, cached and rotated by key id, or a static set for identity itself and for tests).
package authn

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultLeeway tolerates small clock differences between identity and the verifying service.
const DefaultLeeway = 30 * time.Second

// Claims are the verified facts of an access token.
type Claims struct {
	// Subject is the user id.
	Subject string
	// Tenant is the CPAS code of the user ("platform" for platform operators).
	Tenant string
	// Roles are the user's roles in that tenant; never empty.
	Roles []string
	// Name is the user's display name, for screens (never log it).
	Name string
	// SessionID is the refresh-token family the token was issued in, empty when none.
	SessionID string
	ID        string
	Issuer    string
	Audience  []string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// HasRole tells whether the claims carry role.
func (c Claims) HasRole(role string) bool {
	for _, r := range c.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// TokenClaims is the JSON shape of an access token's claims: registered claims plus Entraide's own. The identity
// service signs exactly this type, so issuing and verifying cannot drift apart.
type TokenClaims struct {
	jwt.RegisteredClaims
	Tenant    string   `json:"tenant"`
	Roles     []string `json:"roles"`
	Name      string   `json:"name,omitempty"`
	SessionID string   `json:"sid,omitempty"`
}

// ErrInvalidToken is returned for every token that is refused; the wrapped cause is for logs only.
var ErrInvalidToken = errors.New("authn: invalid token")

// KeySource returns the public key of a key id.
type KeySource interface {
	Key(ctx context.Context, kid string) (ed25519.PublicKey, error)
}

// ErrUnknownKey is returned by a KeySource that does not know a key id.
var ErrUnknownKey = errors.New("authn: unknown signing key")

// Verifier checks access tokens for one audience (the verifying service's own).
type Verifier struct {
	keys     KeySource
	issuer   string
	audience string
	leeway   time.Duration
	now      func() time.Time
}

// VerifierOption tunes a Verifier.
type VerifierOption func(*Verifier)

// WithLeeway replaces DefaultLeeway.
func WithLeeway(d time.Duration) VerifierOption { return func(v *Verifier) { v.leeway = d } }

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) VerifierOption { return func(v *Verifier) { v.now = now } }

// NewVerifier returns a Verifier accepting tokens signed by keys, issued by issuer, for audience.
func NewVerifier(keys KeySource, issuer, audience string, opts ...VerifierOption) *Verifier {
	v := &Verifier{keys: keys, issuer: issuer, audience: audience, leeway: DefaultLeeway, now: time.Now}
	for _, o := range opts {
		o(v)
	}
	return v
}

// Verify checks the signature and every rule and returns the claims, or an error wrapping ErrInvalidToken.
func (v *Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	if token == "" {
		return Claims{}, fmt.Errorf("%w: no token", ErrInvalidToken)
	}
	var tc TokenClaims
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"EdDSA"}),
		jwt.WithIssuer(v.issuer),
		jwt.WithAudience(v.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(v.leeway),
		jwt.WithTimeFunc(v.now),
	)
	_, err := parser.ParseWithClaims(token, &tc, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("no kid in header")
		}
		return v.keys.Key(ctx, kid)
	})
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	c := Claims{
		Subject: tc.Subject, Tenant: tc.Tenant, Roles: tc.Roles, Name: tc.Name, SessionID: tc.SessionID,
		ID: tc.ID, Issuer: tc.Issuer, Audience: tc.Audience,
	}
	if tc.IssuedAt != nil {
		c.IssuedAt = tc.IssuedAt.Time
	}
	if tc.ExpiresAt != nil {
		c.ExpiresAt = tc.ExpiresAt.Time
	}
	switch {
	case c.Subject == "":
		return Claims{}, fmt.Errorf("%w: no sub", ErrInvalidToken)
	case c.Tenant == "":
		return Claims{}, fmt.Errorf("%w: no tenant", ErrInvalidToken)
	case len(c.Roles) == 0:
		return Claims{}, fmt.Errorf("%w: no roles", ErrInvalidToken)
	}
	for _, r := range c.Roles {
		if r == "" {
			return Claims{}, fmt.Errorf("%w: empty role", ErrInvalidToken)
		}
	}
	return c, nil
}

type ctxKey int

const (
	claimsKey ctxKey = iota
	tokenKey
)

// WithClaims stores verified claims in the context.
func WithClaims(ctx context.Context, c Claims) context.Context {
	return context.WithValue(ctx, claimsKey, c)
}

// ClaimsFrom returns the claims stored by WithClaims.
func ClaimsFrom(ctx context.Context) (Claims, bool) {
	c, ok := ctx.Value(claimsKey).(Claims)
	return c, ok
}

// WithToken stores a raw bearer token in the context, for Middleware to verify.
func WithToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, tokenKey, token)
}

// TokenFrom returns the raw bearer token stored by WithToken: services that call another service on the user's
// behalf forward it.
func TokenFrom(ctx context.Context) (string, bool) {
	s, ok := ctx.Value(tokenKey).(string)
	return s, ok && s != ""
}
