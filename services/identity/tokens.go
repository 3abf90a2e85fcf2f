package identity

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/entraide/entraide/libs/authn"
)

// SigningKeys are the service's Ed25519 keys: the first signs new tokens, all are published in the JWKS so that
// tokens signed by a previous key stay valid during a rotation (put the new key first, keep the old one listed
// until the longest access token it signed has expired, then drop it).
type SigningKeys struct {
	keys []ed25519.PrivateKey
}

// generatedKeyFile is the key kept in IDENTITY_KEY_DIR when no key file is configured.
const generatedKeyFile = "identity-signing-key.pem"

// LoadSigningKeys reads PKCS#8 PEM files ("openssl genpkey -algorithm ed25519"). With no path, it uses the key
// in keyDir, generating and saving it (mode 0600) on first start, so the embedded default keeps its sessions
// valid across restarts.
func LoadSigningKeys(paths []string, keyDir string) (*SigningKeys, error) {
	if len(paths) == 0 {
		if keyDir == "" {
			return nil, errors.New("identity: no signing key file and no key directory")
		}
		path := filepath.Join(keyDir, generatedKeyFile)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if err := generateKeyFile(path); err != nil {
				return nil, err
			}
		}
		paths = []string{path}
	}
	sk := &SigningKeys{}
	for _, p := range paths {
		k, err := readKeyFile(p)
		if err != nil {
			return nil, err
		}
		sk.keys = append(sk.keys, k)
	}
	return sk, nil
}

// NewSigningKeys wraps keys (tests, tools); the first signs.
func NewSigningKeys(keys ...ed25519.PrivateKey) *SigningKeys { return &SigningKeys{keys: keys} }

func readKeyFile(path string) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("identity: read signing key: %w", err)
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("identity: %s: not a PEM \"PRIVATE KEY\"", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("identity: %s: %w", path, err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("identity: %s: not an Ed25519 key", path)
	}
	return ek, nil
}

func generateKeyFile(path string) error {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("identity: generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("identity: encode signing key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("identity: key directory: %w", err)
	}
	// O_EXCL: two processes starting together must not overwrite each other's key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("identity: write signing key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return fmt.Errorf("identity: write signing key: %w", err)
	}
	return f.Close()
}

// JWKS is the public key set.
func (s *SigningKeys) JWKS() authn.JWKS {
	set := authn.JWKS{Keys: []authn.JWK{}}
	for _, k := range s.keys {
		set.Keys = append(set.Keys, authn.PublicJWK(k.Public().(ed25519.PublicKey)))
	}
	return set
}

// KeySource verifies with every published key (the identity service checks its own tokens without HTTP).
func (s *SigningKeys) KeySource() authn.StaticKeys {
	pubs := make([]ed25519.PublicKey, 0, len(s.keys))
	for _, k := range s.keys {
		pubs = append(pubs, k.Public().(ed25519.PublicKey))
	}
	return authn.NewStaticKeys(pubs...)
}

// TokenIssuer signs access tokens.
type TokenIssuer struct {
	keys   *SigningKeys
	issuer string
	ttl    time.Duration
}

// MaxAccessTTL is the longest access-token lifetime allowed (docs/architecture.md).
const MaxAccessTTL = 15 * time.Minute

// NewTokenIssuer returns an issuer; ttl is capped at MaxAccessTTL.
func NewTokenIssuer(keys *SigningKeys, issuer string, ttl time.Duration) (*TokenIssuer, error) {
	if len(keys.keys) == 0 {
		return nil, errors.New("identity: no signing key")
	}
	if ttl <= 0 || ttl > MaxAccessTTL {
		return nil, fmt.Errorf("identity: access token lifetime %s not in (0, %s]", ttl, MaxAccessTTL)
	}
	return &TokenIssuer{keys: keys, issuer: issuer, ttl: ttl}, nil
}

// Issue signs an access token for u in session sid, for the given audiences.
func (ti *TokenIssuer) Issue(u *User, sid string, audience []string, now time.Time) (string, time.Time, error) {
	exp := now.Add(ti.ttl)
	claims := authn.TokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: ti.issuer, Subject: u.ID(), Audience: audience, ID: uuid.NewString(),
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
		},
		Tenant: u.Tenant(), Roles: roleStrings(u.Roles()), Name: u.DisplayName(), SessionID: sid,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	signer := ti.keys.keys[0]
	tok.Header["kid"] = authn.KeyID(signer.Public().(ed25519.PublicKey))
	s, err := tok.SignedString(signer)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("identity: sign token: %w", err)
	}
	return s, exp, nil
}
