package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// CSRFField is the hidden form field carrying the CSRF token in every form.
const CSRFField = "csrf"

// loginCSRFCookie holds a random nonce for the login form, which has no session yet: the form carries the
// nonce's HMAC under a server key (a signed double-submit cookie), so a page of another site can neither read
// the token nor forge one, even if it manages to plant a cookie.
const loginCSRFCookie = "entraide_login_csrf"

// sessionCSRFToken is the session's CSRF token: derived from the session id, so it needs no storage and
// changes with every login.
func sessionCSRFToken(s *Session) string {
	return base64.RawURLEncoding.EncodeToString(derive(s.rawID, "csrf"))
}

// tokensEqual compares two tokens in constant time.
func tokensEqual(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// loginCSRF issues and checks the login form's token.
type loginCSRF struct {
	key []byte
}

func (l loginCSRF) sign(nonce string) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte("login csrf " + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// token returns the form token for the request, setting a nonce cookie when the browser has none.
func (l loginCSRF) token(w http.ResponseWriter, r *http.Request, secure bool) string {
	nonce := ""
	if c, err := r.Cookie(loginCSRFCookie); err == nil && len(c.Value) == 43 {
		nonce = c.Value
	} else {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		nonce = base64.RawURLEncoding.EncodeToString(b)
		http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: nonce, Path: "/", HttpOnly: true,
			Secure: secure, SameSite: http.SameSiteStrictMode, MaxAge: 12 * 3600})
	}
	return l.sign(nonce)
}

// valid tells whether the posted form token matches the browser's nonce cookie.
func (l loginCSRF) valid(r *http.Request) bool {
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || c.Value == "" {
		return false
	}
	return tokensEqual(r.PostFormValue(CSRFField), l.sign(c.Value))
}

// loginCSRFKey returns the configured key, or the one kept in MongoDB (created by the first replica that needs
// it; the others read the same).
func loginCSRFKey(ctx context.Context, db *mongo.Database, configured string) ([]byte, error) {
	if configured != "" {
		return []byte(configured), nil
	}
	coll := db.Collection("web_keys")
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	_, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: "login_csrf"}},
		bson.D{{Key: "$setOnInsert", Value: bson.D{{Key: "key", Value: b}}}}, options.UpdateOne().SetUpsert(true))
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return nil, fmt.Errorf("login CSRF key: %w", err)
	}
	var doc struct {
		Key []byte `bson:"key"`
	}
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "login_csrf"}}).Decode(&doc); err != nil {
		return nil, fmt.Errorf("login CSRF key: %w", err)
	}
	if len(doc.Key) < 32 {
		return nil, errors.New("login CSRF key: stored key too short")
	}
	return doc.Key, nil
}
