package authn

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// JWKSOptions tunes a JWKSource. Zero values take the defaults in brackets.
type JWKSOptions struct {
	// Client fetches the key set [a client with a 5 s timeout].
	Client *http.Client
	// RefreshInterval is the age after which the cached set is fetched again at the next verification [10m]:
	// it picks up new keys before they sign and drops keys identity stopped publishing.
	RefreshInterval time.Duration
	// MinInterval is the least time between two fetches [30s]. A token with an unknown kid triggers at most one
	// fetch per MinInterval, so forged kids cannot make every request hit the identity service.
	MinInterval time.Duration
	// Now replaces time.Now (tests).
	Now func() time.Time
}

// JWKSource fetches the identity service's JWKS and caches it by kid. Safe for concurrent use.
type JWKSource struct {
	url  string
	opts JWKSOptions

	mu        sync.Mutex
	keys      map[string]ed25519.PublicKey
	fetchedAt time.Time // last successful fetch
	triedAt   time.Time // last attempt, successful or not
}

// NewJWKSource returns a key source reading url (".../.well-known/jwks.json"). Nothing is fetched until the
// first verification.
func NewJWKSource(url string, opts JWKSOptions) *JWKSource {
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 5 * time.Second}
	}
	if opts.RefreshInterval <= 0 {
		opts.RefreshInterval = 10 * time.Minute
	}
	if opts.MinInterval <= 0 {
		opts.MinInterval = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &JWKSource{url: url, opts: opts}
}

// Key implements KeySource: a cached key is returned at once; an unknown kid or a stale cache causes a fetch
// unless one was attempted less than MinInterval ago. A failed fetch keeps the keys already known.
func (s *JWKSource) Key(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	k, known := s.keys[kid]
	stale := s.keys == nil || now.Sub(s.fetchedAt) >= s.opts.RefreshInterval
	if known && !stale {
		return k, nil
	}
	if s.triedAt.IsZero() || now.Sub(s.triedAt) >= s.opts.MinInterval {
		s.triedAt = now
		if keys, err := s.fetch(ctx); err == nil {
			s.keys, s.fetchedAt = keys, now
		} else if s.keys == nil {
			return nil, err
		}
	}
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}

func (s *JWKSource) fetch(ctx context.Context) (map[string]ed25519.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("authn: JWKS request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	res, err := s.opts.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("authn: fetch JWKS: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("authn: fetch JWKS: status %d", res.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("authn: read JWKS: %w", err)
	}
	keys, err := ParseJWKS(body)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("authn: JWKS holds no Ed25519 key")
	}
	return keys, nil
}
