package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/entraide/entraide/libs/store"
)

// LoginLimiter limits failed logins per account and per client address with fixed-window counters kept in
// MongoDB, so that every replica of the service counts together. One counter is one document whose _id names the
// key and the window ("acct:<hash>:<window start>"): an upserted $inc on exactly {_id} is the one update that
// FerretDB/SQLite pushes down, and a new window is simply a new document (old ones are purged, no TTL index on
// FerretDB).
//
// An attempt is counted before the password is checked, so parallel guesses cannot all slip under the limit;
// when the password was right the attempt is taken back. On success the account's counter is deleted (its owner
// proved to know the password), the address's is only decremented: a successful login must not wipe the
// failures an attacker spread over other accounts from that address. Counter keys are hashes: no username or IP
// address is stored in clear.
type LoginLimiter struct {
	coll       *mongo.Collection
	perAccount int
	perAddress int
	window     time.Duration
	now        func() time.Time
}

// AttemptKeys are the counters an attempt counts against; an empty key is not counted.
type AttemptKeys struct {
	Account string
	Address string
}

// NewLoginLimiter allows perAccount failures per account and perAddress failures per client address in each
// window.
func NewLoginLimiter(db *mongo.Database, perAccount, perAddress int, window time.Duration, now func() time.Time) *LoginLimiter {
	if now == nil {
		now = time.Now
	}
	return &LoginLimiter{coll: db.Collection(CollLoginAttempts), perAccount: perAccount, perAddress: perAddress, window: window, now: now}
}

func hashKey(prefix, s string) string {
	sum := sha256.Sum256([]byte(s))
	return prefix + ":" + hex.EncodeToString(sum[:16])
}

// AccountKey is the counter key of a tenant's username.
func AccountKey(tenant, username string) string { return hashKey("acct", tenant+"\x00"+username) }

// AddressKey is the counter key of a client address; IPv6 addresses count per /64 (one host has a whole /64).
// An unparsable or empty address gives no key.
func AddressKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return ""
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		ip = p.Addr()
	}
	return hashKey("addr", ip.String())
}

func (l *LoginLimiter) windowStart(now time.Time) time.Time {
	return now.Truncate(l.window)
}

func (l *LoginLimiter) docID(key string, start time.Time) string {
	return key + ":" + strconv.FormatInt(start.Unix(), 10)
}

// add changes a counter by delta and returns its new value.
func (l *LoginLimiter) add(ctx context.Context, key string, start time.Time, delta int) (int, error) {
	id := l.docID(key, start)
	unlock := store.LockDocument(l.coll, id)
	defer unlock()
	var doc struct {
		N int `bson:"n"`
	}
	err := l.coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: delta}}},
			{Key: "$setOnInsert", Value: bson.D{{Key: "expires_at", Value: start.Add(l.window)}}}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	if err != nil {
		return 0, fmt.Errorf("identity: login counter: %w", err)
	}
	return doc.N, nil
}

// Attempt counts an attempt against each key and tells how long to wait when a limit is exceeded (0: go on).
func (l *LoginLimiter) Attempt(ctx context.Context, k AttemptKeys) (time.Duration, error) {
	now := l.now()
	start := l.windowStart(now)
	blocked := false
	for _, c := range []struct {
		key   string
		limit int
	}{{k.Account, l.perAccount}, {k.Address, l.perAddress}} {
		if c.key == "" || c.limit <= 0 {
			continue
		}
		n, err := l.add(ctx, c.key, start, 1)
		if err != nil {
			return 0, err
		}
		if n > c.limit {
			blocked = true
		}
	}
	if !blocked {
		return 0, nil
	}
	retry := start.Add(l.window).Sub(now)
	if retry < time.Second {
		retry = time.Second
	}
	return retry, nil
}

// Succeeded takes back the attempt of a successful login: the account's failures are forgiven, the address's
// count only loses this attempt.
func (l *LoginLimiter) Succeeded(ctx context.Context, k AttemptKeys) error {
	start := l.windowStart(l.now())
	if k.Account != "" && l.perAccount > 0 {
		id := l.docID(k.Account, start)
		unlock := store.LockDocument(l.coll, id)
		_, err := l.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
		unlock()
		if err != nil {
			return fmt.Errorf("identity: login counter: %w", err)
		}
	}
	if k.Address != "" && l.perAddress > 0 {
		if _, err := l.add(ctx, k.Address, start, -1); err != nil {
			return err
		}
	}
	return nil
}

// Purge deletes the counters of past windows.
func (l *LoginLimiter) Purge(ctx context.Context) error {
	_, err := l.coll.DeleteMany(ctx, bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lt", Value: l.now()}}}})
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("identity: purge login counters: %w", err)
	}
	return err
}
