package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Family is one login session: the chain of refresh tokens that rotate from one login. Only the SHA-256 of each
// token is kept: the current one, and the spent ones so that a reuse is recognized (a stolen token used after
// its owner refreshed, or the owner refreshing after the thief did) and ends the session for both. The family
// also ends at ExpiresAt, counted from the login, however often it is refreshed.
type Family struct {
	ID        string
	Tenant    string
	UserID    string
	Audience  []string
	Current   string
	Spent     []string
	CreatedAt time.Time
	ExpiresAt time.Time
	Revoked   bool
}

// RefreshVerdict is what a presented refresh token is to its family.
type RefreshVerdict int

// The verdicts.
const (
	// RefreshValid: the current token of a live family.
	RefreshValid RefreshVerdict = iota
	// RefreshReused: a spent token of the family: the family must be revoked.
	RefreshReused
	// RefreshEnded: the family is revoked or past its lifetime.
	RefreshEnded
	// RefreshUnknown: no token of this family ever had this hash (forged or mistyped): refused, family kept.
	RefreshUnknown
)

// Judge classifies a token hash against the family at time now.
func (f *Family) Judge(tokenHash string, now time.Time) RefreshVerdict {
	if f.Revoked || !now.Before(f.ExpiresAt) {
		return RefreshEnded
	}
	if subtle.ConstantTimeCompare([]byte(tokenHash), []byte(f.Current)) == 1 {
		return RefreshValid
	}
	for _, s := range f.Spent {
		if subtle.ConstantTimeCompare([]byte(tokenHash), []byte(s)) == 1 {
			return RefreshReused
		}
	}
	return RefreshUnknown
}

// refreshPrefix marks Entraide refresh tokens (secret scanners can recognise a leaked one).
const refreshPrefix = "ert1"

var refreshPattern = regexp.MustCompile(`^ert1\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$`)

// NewRefreshToken makes a token of family familyID: "ert1.<family id>.<256 random bits>", and its hash.
func NewRefreshToken(familyID string) (token, hash string, err error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", "", fmt.Errorf("identity: refresh token: %w", err)
	}
	token = refreshPrefix + "." + familyID + "." + base64.RawURLEncoding.EncodeToString(secret)
	return token, HashRefreshToken(token), nil
}

// ParseRefreshToken returns the family id of a well-formed token.
func ParseRefreshToken(token string) (familyID string, ok bool) {
	m := refreshPattern.FindStringSubmatch(strings.TrimSpace(token))
	if m == nil {
		return "", false
	}
	return m[1], true
}

// HashRefreshToken is the stored form of a refresh token: hex SHA-256.
func HashRefreshToken(token string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return hex.EncodeToString(sum[:])
}
