package authn

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// JWK is an Ed25519 public key in JSON Web Key form (RFC 8037 OKP).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
}

// JWKS is a JSON Web Key Set, the body of GET /.well-known/jwks.json.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// KeyID is the RFC 7638 thumbprint of an Ed25519 public key: base64url(SHA-256 of the canonical JWK members
// crv, kty, x in that order, no spaces). Identity uses it as kid, so a key id is derived, never chosen.
func KeyID(pub ed25519.PublicKey) string {
	canonical := fmt.Sprintf(`{"crv":"Ed25519","kty":"OKP","x":"%s"}`, base64.RawURLEncoding.EncodeToString(pub))
	sum := sha256.Sum256([]byte(canonical))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// PublicJWK returns the JWK of pub with its thumbprint as kid.
func PublicJWK(pub ed25519.PublicKey) JWK {
	return JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub), Kid: KeyID(pub), Alg: "EdDSA", Use: "sig"}
}

// PublicKey decodes an Ed25519 JWK; a key of another type, curve or size is refused.
func (k JWK) PublicKey() (ed25519.PublicKey, error) {
	if k.Kty != "OKP" || k.Crv != "Ed25519" {
		return nil, fmt.Errorf("authn: unsupported key type %q/%q", k.Kty, k.Crv)
	}
	if k.Alg != "" && k.Alg != "EdDSA" {
		return nil, fmt.Errorf("authn: unsupported key algorithm %q", k.Alg)
	}
	if k.Use != "" && k.Use != "sig" {
		return nil, fmt.Errorf("authn: key use %q", k.Use)
	}
	x, err := base64.RawURLEncoding.DecodeString(k.X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		return nil, errors.New("authn: bad Ed25519 key")
	}
	return ed25519.PublicKey(x), nil
}

// ParseJWKS reads a key set and returns its usable keys by kid; keys it cannot use are skipped.
func ParseJWKS(data []byte) (map[string]ed25519.PublicKey, error) {
	var set JWKS
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("authn: parse JWKS: %w", err)
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range set.Keys {
		pub, err := k.PublicKey()
		if err != nil || k.Kid == "" {
			continue
		}
		keys[k.Kid] = pub
	}
	return keys, nil
}

// StaticKeys is a fixed key set, kid = KeyID: for the identity service (which holds its own keys) and tests.
type StaticKeys map[string]ed25519.PublicKey

// NewStaticKeys indexes keys by their thumbprint.
func NewStaticKeys(keys ...ed25519.PublicKey) StaticKeys {
	s := StaticKeys{}
	for _, k := range keys {
		s[KeyID(k)] = k
	}
	return s
}

// Key implements KeySource.
func (s StaticKeys) Key(_ context.Context, kid string) (ed25519.PublicKey, error) {
	if k, ok := s[kid]; ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}
