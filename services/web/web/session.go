package web

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/entraide/entraide/libs/store"
)

// SessionCookie is the cookie holding the opaque session id. The id itself is never stored: MongoDB keeps its
// SHA-256 as the document key, and the tokens are sealed with a key derived from the id, so a copy of the
// web_sessions collection lets nobody act as a signed-in user.
const SessionCookie = "entraide_session"

// sessionCollection holds one document per signed-in browser; every replica reads the same documents, and a
// restart keeps users signed in.
const sessionCollection = "web_sessions"

// ErrNoSession means the cookie names no live session (unknown, expired, or ended).
var ErrNoSession = errors.New("no session")

// Session is a signed-in browser: who the user is, and the tokens the web front end calls the services with.
type Session struct {
	// rawID is the cookie's value; it is never stored nor logged.
	rawID string
	key   string // hex SHA-256 of rawID: the document's _id

	Tenant      string
	UserID      string
	secrets     sessionSecrets
	CreatedAt   time.Time
	LastSeenAt  time.Time
	ExpiresAt   time.Time
	lockedUntil time.Time
	version     int64
}

// sessionSecrets is sealed (AES-256-GCM) in the document: the tokens, the user's profile and search.
type sessionSecrets struct {
	AccessToken    string    `json:"a"`
	AccessExpires  time.Time `json:"ae"`
	RefreshToken   string    `json:"r"`
	RefreshExpires time.Time `json:"re"`
	TenantName     string    `json:"tn"`
	Username       string    `json:"u"`
	DisplayName    string    `json:"n"`
	Roles          []string  `json:"ro"`
	Language       string    `json:"l"`
	// UserSearch is the last user search typed by a tenant admin: kept here so it never travels in a URL.
	UserSearch string `json:"us,omitempty"`
	// PersonSearch is the last person search of a social worker; HouseholdSearch the last search of a person to
	// add to a household. Like UserSearch, they never travel in a URL.
	PersonSearch    string `json:"ps,omitempty"`
	HouseholdSearch string `json:"hs,omitempty"`
	// Purposes are the declared purposes of consultation chosen per person (person id → purpose code).
	Purposes map[string]string `json:"pu,omitempty"`
	// AuditFilter is the DPO's filter of the audit trail and AuditCursors the cursors of its pages 2, 3, …:
	// like the searches, they never travel in a URL.
	AuditFilter  AuditFilter `json:"af,omitzero"`
	AuditCursors []string    `json:"ac,omitempty"`
}

// The user's profile, as read by handlers and templates.
func (s *Session) Username() string         { return s.secrets.Username }
func (s *Session) DisplayName() string      { return s.secrets.DisplayName }
func (s *Session) TenantName() string       { return s.secrets.TenantName }
func (s *Session) Roles() []string          { return s.secrets.Roles }
func (s *Session) Language() string         { return s.secrets.Language }
func (s *Session) AccessToken() string      { return s.secrets.AccessToken }
func (s *Session) UserSearch() string       { return s.secrets.UserSearch }
func (s *Session) PersonSearch() string     { return s.secrets.PersonSearch }
func (s *Session) HouseholdSearch() string  { return s.secrets.HouseholdSearch }
func (s *Session) AccessExpires() time.Time { return s.secrets.AccessExpires }

type sessionDoc struct {
	ID          string    `bson:"_id"`
	Tenant      string    `bson:"tenant"`
	UserID      string    `bson:"user_id"`
	Sealed      []byte    `bson:"sealed"`
	CreatedAt   time.Time `bson:"created_at"`
	LastSeenAt  time.Time `bson:"last_seen_at"`
	ExpiresAt   time.Time `bson:"expires_at"`
	LockedUntil time.Time `bson:"refresh_locked_until"`
	Version     int64     `bson:"version"`
}

// SessionStore keeps sessions in MongoDB. Its conditional updates ({_id, version}) are atomic on MongoDB; on
// the embedded FerretDB, which can lose a concurrent update of one document, every update of a session also
// holds libs/store's per-document lock (enough there, since the embedded default is one process).
type SessionStore struct {
	coll *mongo.Collection
	idle time.Duration
	max  time.Duration
	now  func() time.Time
}

// NewSessionStore returns a store over db's web_sessions collection.
func NewSessionStore(db *mongo.Database, idle, max time.Duration) *SessionStore {
	return &SessionStore{coll: db.Collection(sessionCollection), idle: idle, max: max, now: time.Now}
}

// EnsureIndexes creates the indexes the store queries by: a user's sessions and expired ones.
func (st *SessionStore) EnsureIndexes(ctx context.Context) error {
	return store.EnsureIndexes(ctx, st.coll,
		mongo.IndexModel{Keys: bson.D{{Key: "tenant", Value: 1}, {Key: "user_id", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "expires_at", Value: 1}}},
	)
}

func newRawID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

func storageKey(rawID string) string {
	sum := sha256.Sum256([]byte(rawID))
	return hex.EncodeToString(sum[:])
}

func derive(rawID, purpose string) []byte {
	m := hmac.New(sha256.New, []byte(rawID))
	m.Write([]byte("entraide-web " + purpose))
	return m.Sum(nil)
}

func seal(rawID string, v sessionSecrets) ([]byte, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(derive(rawID, "session seal"))
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	_, _ = rand.Read(nonce)
	return gcm.Seal(nonce, nonce, plain, []byte(storageKey(rawID))), nil
}

func unseal(rawID string, sealed []byte) (sessionSecrets, error) {
	var v sessionSecrets
	block, err := aes.NewCipher(derive(rawID, "session seal"))
	if err != nil {
		return v, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return v, err
	}
	if len(sealed) < gcm.NonceSize() {
		return v, errors.New("sealed session too short")
	}
	plain, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], []byte(storageKey(rawID)))
	if err != nil {
		return v, err
	}
	return v, json.Unmarshal(plain, &v)
}

func (st *SessionStore) expiry(created, lastSeen time.Time) time.Time {
	idle, abs := lastSeen.Add(st.idle), created.Add(st.max)
	if idle.Before(abs) {
		return idle
	}
	return abs
}

func (st *SessionStore) applyTokens(s *Session, t Tokens) {
	now := st.now()
	s.Tenant, s.UserID = t.User.Tenant, t.User.ID
	s.secrets.AccessToken, s.secrets.RefreshToken = t.AccessToken, t.RefreshToken
	s.secrets.AccessExpires = now.Add(time.Duration(t.ExpiresIn) * time.Second)
	s.secrets.RefreshExpires = now.Add(time.Duration(t.RefreshExpiresIn) * time.Second)
	s.secrets.TenantName, s.secrets.Username, s.secrets.DisplayName = t.User.TenantName, t.User.Username, t.User.DisplayName
	s.secrets.Roles, s.secrets.Language = t.User.Roles, t.User.Language
}

// Create stores a new session for a successful login, under a new id (never one the browser proposed: no
// session fixation).
func (st *SessionStore) Create(ctx context.Context, t Tokens) (*Session, error) {
	now := st.now()
	s := &Session{rawID: newRawID(), CreatedAt: now, LastSeenAt: now, version: 1}
	s.key = storageKey(s.rawID)
	st.applyTokens(s, t)
	s.ExpiresAt = st.expiry(now, now)
	sealed, err := seal(s.rawID, s.secrets)
	if err != nil {
		return nil, err
	}
	_, err = st.coll.InsertOne(ctx, sessionDoc{ID: s.key, Tenant: s.Tenant, UserID: s.UserID, Sealed: sealed,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: s.ExpiresAt, Version: s.version})
	if err != nil {
		return nil, fmt.Errorf("store session: %w", err)
	}
	return s, nil
}

// Load returns the live session of a cookie value. An expired session is deleted and reported as ErrNoSession.
func (st *SessionStore) Load(ctx context.Context, rawID string) (*Session, error) {
	if len(rawID) != 43 {
		return nil, ErrNoSession
	}
	key := storageKey(rawID)
	var doc sessionDoc
	if err := st.coll.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&doc); err != nil {
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil, ErrNoSession
		}
		return nil, fmt.Errorf("load session: %w", err)
	}
	if !st.now().Before(doc.ExpiresAt) {
		_, _ = st.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}})
		return nil, ErrNoSession
	}
	secrets, err := unseal(rawID, doc.Sealed)
	if err != nil {
		return nil, ErrNoSession
	}
	return &Session{rawID: rawID, key: key, Tenant: doc.Tenant, UserID: doc.UserID, secrets: secrets,
		CreatedAt: doc.CreatedAt, LastSeenAt: doc.LastSeenAt, ExpiresAt: doc.ExpiresAt,
		lockedUntil: doc.LockedUntil, version: doc.Version}, nil
}

// Touch records activity, which pushes the idle timeout back. It writes at most once a minute per session.
func (st *SessionStore) Touch(ctx context.Context, s *Session) error {
	now := st.now()
	if now.Sub(s.LastSeenAt) < time.Minute {
		return nil
	}
	exp := st.expiry(s.CreatedAt, now)
	unlock := store.LockDocument(st.coll, s.key)
	defer unlock()
	_, err := st.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: s.key}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "last_seen_at", Value: now}, {Key: "expires_at", Value: exp}}}})
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	s.LastSeenAt, s.ExpiresAt = now, exp
	return nil
}

// errStaleSession means another request changed the session first.
var errStaleSession = errors.New("session changed meanwhile")

// save writes the sealed secrets if the session is still at the version s was loaded at, and releases the
// refresh lock.
func (st *SessionStore) save(ctx context.Context, s *Session) error {
	sealed, err := seal(s.rawID, s.secrets)
	if err != nil {
		return err
	}
	unlock := store.LockDocument(st.coll, s.key)
	defer unlock()
	res, err := st.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: s.key}, {Key: "version", Value: s.version}},
		bson.D{
			{Key: "$set", Value: bson.D{{Key: "sealed", Value: sealed}, {Key: "tenant", Value: s.Tenant},
				{Key: "user_id", Value: s.UserID}, {Key: "refresh_locked_until", Value: time.Time{}}}},
			{Key: "$inc", Value: bson.D{{Key: "version", Value: int64(1)}}},
		})
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	if res.MatchedCount == 0 {
		return errStaleSession
	}
	s.version++
	s.lockedUntil = time.Time{}
	return nil
}

// SetUserSearch remembers a tenant admin's user search in the session.
func (st *SessionStore) SetUserSearch(ctx context.Context, s *Session, q string) error {
	return st.update(ctx, s, func(v *sessionSecrets) { v.UserSearch = q })
}

// SetPersonSearch remembers a person search in the session.
func (st *SessionStore) SetPersonSearch(ctx context.Context, s *Session, q string) error {
	return st.update(ctx, s, func(v *sessionSecrets) { v.PersonSearch = q })
}

// AuditFilter is the DPO's current filter of the audit trail.
func (s *Session) AuditFilter() AuditFilter { return s.secrets.AuditFilter }

// AuditCursors are the cursors of the audit trail's pages 2, 3, … under the current filter.
func (s *Session) AuditCursors() []string { return s.secrets.AuditCursors }

// SetAuditFilter remembers the DPO's filter of the audit trail; its pages start again from the first.
func (st *SessionStore) SetAuditFilter(ctx context.Context, s *Session, f AuditFilter) error {
	return st.update(ctx, s, func(v *sessionSecrets) { v.AuditFilter, v.AuditCursors = f, nil })
}

// SetAuditCursors remembers the cursors of the audit trail's pages.
func (st *SessionStore) SetAuditCursors(ctx context.Context, s *Session, cursors []string) error {
	return st.update(ctx, s, func(v *sessionSecrets) { v.AuditCursors = cursors })
}

// SetHouseholdSearch remembers the search of a person to add to a household.
func (st *SessionStore) SetHouseholdSearch(ctx context.Context, s *Session, q string) error {
	return st.update(ctx, s, func(v *sessionSecrets) { v.HouseholdSearch = q })
}

// maxPurposes bounds the purposes a session remembers (the oldest choices go first).
const maxPurposes = 50

// Purpose is the declared purpose of consulting a person in this session; the default is case_follow_up.
func (s *Session) Purpose(personID string) string {
	if p := s.secrets.Purposes[personID]; validPurpose(p) {
		return p
	}
	return Purposes[0]
}

// SetPurpose remembers the declared purpose of consulting a person.
func (st *SessionStore) SetPurpose(ctx context.Context, s *Session, personID, purpose string) error {
	return st.update(ctx, s, func(v *sessionSecrets) {
		if v.Purposes == nil || len(v.Purposes) >= maxPurposes {
			v.Purposes = map[string]string{}
		}
		v.Purposes[personID] = purpose
	})
}

// update applies fn to the session's secrets and saves them, retrying over a concurrent change of the session.
func (st *SessionStore) update(ctx context.Context, s *Session, fn func(*sessionSecrets)) error {
	for range 3 {
		fn(&s.secrets)
		err := st.save(ctx, s)
		if !errors.Is(err, errStaleSession) {
			return err
		}
		fresh, lerr := st.Load(ctx, s.rawID)
		if lerr != nil {
			return lerr
		}
		*s = *fresh
	}
	return errStaleSession
}

// lockRefresh takes the session's refresh lock until the given time, if no other request took it or changed the
// session since s was loaded. Only the holder spends the refresh token: spending it twice would make the
// identity service revoke the whole token family.
func (st *SessionStore) lockRefresh(ctx context.Context, s *Session, until time.Time) (bool, error) {
	unlock := store.LockDocument(st.coll, s.key)
	defer unlock()
	res, err := st.coll.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: s.key}, {Key: "version", Value: s.version}},
		bson.D{
			{Key: "$set", Value: bson.D{{Key: "refresh_locked_until", Value: until}}},
			{Key: "$inc", Value: bson.D{{Key: "version", Value: int64(1)}}},
		})
	if err != nil {
		return false, fmt.Errorf("lock session refresh: %w", err)
	}
	if res.MatchedCount == 0 {
		return false, nil
	}
	s.version++
	s.lockedUntil = until
	return true, nil
}

// Delete ends a session.
func (st *SessionStore) Delete(ctx context.Context, s *Session) error {
	_, err := st.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: s.key}})
	return err
}

// DeleteExpired removes the sessions past their expiry; Run calls it periodically.
func (st *SessionStore) DeleteExpired(ctx context.Context) (int64, error) {
	res, err := st.coll.DeleteMany(ctx, bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lte", Value: st.now()}}}})
	if err != nil {
		return 0, err
	}
	return res.DeletedCount, nil
}
