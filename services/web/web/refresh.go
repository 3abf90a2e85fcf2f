package web

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrSessionEnded means the identity service refused to refresh the session's tokens (user disabled, token
// family revoked, refresh token expired): the session is over and the user must sign in again.
var ErrSessionEnded = errors.New("session ended by the identity service")

// refresher keeps a session's access token fresh, server-side: the browser never sees a token.
type refresher struct {
	store    *SessionStore
	identity *IdentityClient
	margin   time.Duration
	lockFor  time.Duration
	// poll is how often a request waiting for another one's refresh looks at the session again.
	poll time.Duration
}

// ensureFresh refreshes s's tokens when the access token expires within the margin. Concurrent requests of the
// same session (in this process or on other replicas) elect one refresher through a version-guarded lock in
// MongoDB; the others use the current token while it is valid, or wait for the new one.
func (rf *refresher) ensureFresh(ctx context.Context, s *Session, cl call) error {
	deadline := time.Now().Add(rf.lockFor)
	for {
		now := rf.store.now()
		if s.secrets.AccessExpires.Sub(now) > rf.margin {
			return nil
		}
		if !now.Before(s.secrets.RefreshExpires) {
			_ = rf.store.Delete(context.WithoutCancel(ctx), s)
			return ErrSessionEnded
		}
		if now.After(s.lockedUntil) {
			won, err := rf.store.lockRefresh(ctx, s, now.Add(rf.lockFor))
			if err != nil {
				return err
			}
			if won {
				return rf.refresh(ctx, s, cl)
			}
		} else if now.Before(s.secrets.AccessExpires) {
			// Another request is refreshing and the current token still works: no need to wait.
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: waited too long for another request's token refresh", ErrIdentityUnavailable)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(rf.poll):
		}
		fresh, err := rf.store.Load(ctx, s.rawID)
		if err != nil {
			if errors.Is(err, ErrNoSession) {
				return ErrSessionEnded
			}
			return err
		}
		*s = *fresh
	}
}

func (rf *refresher) refresh(ctx context.Context, s *Session, cl call) error {
	cl.token = ""
	t, err := rf.identity.Refresh(ctx, cl, s.secrets.RefreshToken)
	if err != nil {
		if st := apiStatus(err); st >= 400 && st < 500 {
			// Refused for good: the token is spent, revoked, or its user disabled.
			_ = rf.store.Delete(context.WithoutCancel(ctx), s)
			return fmt.Errorf("%w: %v", ErrSessionEnded, err)
		}
		// The identity service is unreachable: keep the session; a later request retries once the lock lapses.
		if rf.store.now().Before(s.secrets.AccessExpires) {
			return nil
		}
		return err
	}
	search := s.secrets.UserSearch
	rf.store.applyTokens(s, t)
	s.secrets.UserSearch = search
	// Store the new tokens whatever the caller does next: the old refresh token is spent.
	if err := rf.store.save(context.WithoutCancel(ctx), s); err != nil {
		return fmt.Errorf("store refreshed tokens: %w", err)
	}
	return nil
}
