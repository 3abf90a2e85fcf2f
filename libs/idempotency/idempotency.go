// Package idempotency makes POST requests with money or legal effects safe to retry: a client sends an
// `Idempotency-Key`, the first request with that key runs and its response is stored, and a retry with the same
// key and the same request gets the stored response instead of a second effect. Keys are scoped by tenant and
// principal (one user's key never collides with another's), reserved by a unique insert (so two concurrent
// requests cannot both run), and kept for a TTL (48 h by default).
//
// FerretDB v1.24 has no TTL indexes ("expireAfterSeconds is not implemented"): the store tries to create one
// (MongoDB then deletes expired keys itself) and, either way, treats an expired key as absent, replacing it on
// the next use. On FerretDB expired keys stay on disk until a cleanup deletes them (DeleteExpired).
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/store"
)

// Errors, mapped to HTTP by the caller: ErrKeyReused → 422, ErrInProgress → 409, ErrInvalidKey → 400,
// ErrNoPrincipal → 401.
var (
	ErrKeyReused   = errors.New("idempotency: key reused with a different request")
	ErrInProgress  = errors.New("idempotency: a request with this key is still in progress")
	ErrInvalidKey  = errors.New("idempotency: invalid Idempotency-Key")
	ErrNoPrincipal = errors.New("idempotency: no authenticated principal")
)

// Scope identifies a key: the same key string from two users, or two tenants, are two keys.
type Scope struct {
	Tenant    string
	Principal string
	Key       string
}

func (s Scope) id() string {
	h := sha256.Sum256([]byte(s.Tenant + "\x00" + s.Principal + "\x00" + s.Key))
	return hex.EncodeToString(h[:])
}

// Response is a stored response: status, the headers worth replaying and the body.
type Response struct {
	Status int               `bson:"status"`
	Header map[string]string `bson:"header,omitempty"`
	Body   []byte            `bson:"body,omitempty"`
}

// ReplayedHeaders are the response headers stored and replayed.
var ReplayedHeaders = []string{"Content-Type", "Location", "ETag"}

const (
	statePending = "pending"
	stateDone    = "done"
)

type record struct {
	ID          string    `bson:"_id"`
	Tenant      string    `bson:"tenant"`
	Principal   string    `bson:"principal"`
	State       string    `bson:"state"`
	RequestHash string    `bson:"request_hash"`
	Response    *Response `bson:"response,omitempty"`
	Reserved    time.Time `bson:"reserved_at"`
	ExpiresAt   time.Time `bson:"expires_at"`
}

// Store keeps keys in a collection.
type Store struct {
	coll *mongo.Collection
	// TTL [48h] is how long a key is remembered.
	TTL time.Duration
	// PendingTimeout [2m] is how long a reservation blocks retries: past it, the first attempt is presumed dead
	// (process crash) and a retry may take the key over.
	PendingTimeout time.Duration
	now            func() time.Time
}

// NewStore returns a store on coll and creates its indexes: the TTL index where the engine has them.
func NewStore(ctx context.Context, coll *mongo.Collection) (*Store, error) {
	s := &Store{coll: coll, TTL: 48 * time.Hour, PendingTimeout: 2 * time.Minute, now: time.Now}
	_, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "expires_at", Value: 1}},
		Options: options.Index().SetExpireAfterSeconds(0),
	})
	if err != nil && !notImplemented(err) {
		return nil, fmt.Errorf("idempotency: create TTL index: %w", err)
	}
	return s, nil
}

func notImplemented(err error) bool {
	var se mongo.ServerError
	return errors.As(err, &se) && se.HasErrorCode(238) // NotImplemented: FerretDB without TTL indexes
}

// RequestHash fingerprints a request: method, path with query, body.
func RequestHash(method, uri string, body []byte) string {
	h := sha256.New()
	_, _ = fmt.Fprintf(h, "%s\n%s\n", method, uri)
	_, _ = h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Reserve claims the key for a request with the given hash. It returns (nil, nil) when the caller should run
// the request and then call Complete or Release; a stored response to replay when the same request already
// completed; ErrKeyReused when the key was used for another request; ErrInProgress while the first attempt runs.
func (s *Store) Reserve(ctx context.Context, scope Scope, requestHash string) (*Response, error) {
	if scope.Tenant == "" || scope.Principal == "" || scope.Key == "" {
		return nil, errors.New("idempotency: scope needs tenant, principal and key")
	}
	for attempt := 0; attempt < 3; attempt++ {
		now := s.now().UTC()
		rec := record{ID: scope.id(), Tenant: scope.Tenant, Principal: scope.Principal, State: statePending,
			RequestHash: requestHash, Reserved: now, ExpiresAt: now.Add(s.TTL)}
		_, err := s.coll.InsertOne(ctx, rec)
		if err == nil {
			return nil, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return nil, fmt.Errorf("idempotency: reserve: %w", err)
		}
		var existing record
		err = s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: rec.ID}}).Decode(&existing)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue // released meanwhile: try again
		}
		if err != nil {
			return nil, fmt.Errorf("idempotency: read key: %w", err)
		}
		switch {
		case !existing.ExpiresAt.After(now),
			existing.State == statePending && now.Sub(existing.Reserved) > s.PendingTimeout:
			// Expired, or abandoned by a dead attempt: remove exactly that record and try again.
			if err := s.deleteExact(ctx, existing); err != nil {
				return nil, err
			}
			continue
		case existing.RequestHash != requestHash:
			return nil, ErrKeyReused
		case existing.State == statePending:
			return nil, ErrInProgress
		default:
			return existing.Response, nil
		}
	}
	return nil, ErrInProgress
}

// deleteExact deletes the record only if it is still the one read (same reservation time and state), so two
// retries racing to take over do not delete each other's fresh reservation.
func (s *Store) deleteExact(ctx context.Context, rec record) error {
	unlock := store.LockDocument(s.coll, rec.ID)
	defer unlock()
	var now record
	err := s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: rec.ID}}).Decode(&now)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("idempotency: read key: %w", err)
	}
	if !now.Reserved.Equal(rec.Reserved) || now.State != rec.State {
		return nil
	}
	if _, err := s.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: rec.ID}}); err != nil {
		return fmt.Errorf("idempotency: drop stale key: %w", err)
	}
	return nil
}

// Complete stores the response of the reserved request.
func (s *Store) Complete(ctx context.Context, scope Scope, resp Response) error {
	id := scope.id()
	unlock := store.LockDocument(s.coll, id)
	defer unlock()
	res, err := s.coll.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: "state", Value: statePending}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: stateDone}, {Key: "response", Value: resp}}}})
	if err != nil {
		return fmt.Errorf("idempotency: complete: %w", err)
	}
	if res.MatchedCount == 0 {
		return errors.New("idempotency: complete: reservation lost")
	}
	return nil
}

// Release forgets the reservation of a request that failed without effect (a 5xx), so a retry runs again.
func (s *Store) Release(ctx context.Context, scope Scope) error {
	id := scope.id()
	unlock := store.LockDocument(s.coll, id)
	defer unlock()
	if _, err := s.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "state", Value: statePending}}); err != nil {
		return fmt.Errorf("idempotency: release: %w", err)
	}
	return nil
}

// DeleteExpired removes expired keys: the cleanup for engines without TTL indexes.
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) {
	res, err := s.coll.DeleteMany(ctx, bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lte", Value: s.now().UTC()}}}})
	if err != nil {
		return 0, fmt.Errorf("idempotency: delete expired: %w", err)
	}
	return res.DeletedCount, nil
}

// headerOf picks the replayed headers of h.
func headerOf(h http.Header) map[string]string {
	out := map[string]string{}
	for _, k := range ReplayedHeaders {
		if v := h.Get(k); v != "" {
			out[k] = v
		}
	}
	return out
}
