package guard_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/session"
	sessionredis "github.com/authkit-go/authkit/core/session/redisstore"
	"github.com/authkit-go/authkit/core/token"
	"github.com/authkit-go/authkit/core/token/tokenstore"
	tokenredis "github.com/authkit-go/authkit/core/token/tokenstore/redisstore"
)

var _ guard.SubjectRevoker = (*token.Issuer)(nil)

// forEachStoreKind runs fn with a linked fixture on memory stores, on a
// single Redis server and on a Redis Cluster.
func forEachStoreKind(t *testing.T, fn func(t *testing.T, newFixture func(t *testing.T) *linkFixture)) {
	t.Run("memory", func(t *testing.T) {
		fn(t, func(t *testing.T) *linkFixture {
			ss, err := session.NewMemoryStore()
			if err != nil {
				t.Fatal(err)
			}
			return linkedOn(t, tokenstore.NewMemoryStore(), ss)
		})
	})
	redistest.ForEachBackend(t, func(t *testing.T, b redistest.Backend) {
		fn(t, func(t *testing.T) *linkFixture {
			return linkedOn(t, mustStore(tokenredis.New(b.Client, tokenredis.WithPrefix(b.Prefix+"tok:"))),
				mustStore(sessionredis.New(b.Client, sessionredis.WithPrefix(b.Prefix+"sess:"))))
		})
	})
}

func mustStore[S any](s S, err error) S {
	if err != nil {
		panic(err)
	}
	return s
}

// linkedOn is a guard with an issuer and a session manager, linked, over
// the stores given.
func linkedOn(t *testing.T, ts tokenstore.Store, ss session.Store) *linkFixture {
	t.Helper()
	mgr, err := session.New(session.WithStore(ss), session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	f := &linkFixture{mgr: mgr, iss: authtest.NewIssuer(t, token.ES256, time.Now, token.WithStore(ts), token.WithAudit(audit.Discard))}
	if f.g, err = guard.New(guard.WithSessions(f.mgr), guard.WithTokens(f.iss), guard.WithAudit(audit.Discard)); err != nil {
		t.Fatal(err)
	}
	return f
}

// signIn is one login of alice: its token pair and session cookie.
type signIn struct {
	pair   token.Pair
	cookie *http.Cookie
}

// alive reports whether each part of the sign-in still works: the cookie
// signs in, the access token authenticates, the refresh token refreshes
// (the pair moves on to the refreshed one).
func (f *linkFixture) alive(t *testing.T, s *signIn) (cookie, access, refresh bool) {
	t.Helper()
	ctx := context.Background()
	cookie = f.sessionAlive(t, s.cookie)
	_, err := f.iss.Authenticate(ctx, s.pair.AccessToken)
	access = err == nil
	if next, err := f.iss.Refresh(ctx, s.pair.RefreshToken); err == nil {
		s.pair, refresh = next, true
	}
	return cookie, access, refresh
}

func (f *linkFixture) signIn(t *testing.T) *signIn {
	t.Helper()
	pair, cookie := f.login(t)
	return &signIn{pair: pair, cookie: cookie}
}

// "Every sign-in but this one": two other sign-ins of the user (a session
// and a refresh family each) end, the current one goes on (its session
// cookie, access token and refresh token), whether the request came with
// the session cookie or with the access token; a thief refreshing another
// sign-in in a loop meanwhile is dead afterwards; another user is not
// touched.
func TestSignOutOthers(t *testing.T) {
	forEachStoreKind(t, func(t *testing.T, newFixture func(t *testing.T) *linkFixture) {
		for _, via := range []string{guard.ViaSession, guard.ViaToken} {
			t.Run("by "+via, func(t *testing.T) {
				f := newFixture(t)
				current, other1, other2 := f.signIn(t), f.signIn(t), f.signIn(t)
				// other1 is in the thief's hands: refreshed in a loop.
				var stop atomic.Bool
				started, last := make(chan struct{}), make(chan token.Pair, 1)
				go func() {
					p, n := other1.pair, 0
					for !stop.Load() {
						next, err := f.iss.Refresh(context.Background(), p.RefreshToken)
						if err != nil {
							break
						}
						if p, n = next, n+1; n == 1 {
							close(started)
						}
					}
					if n == 0 {
						close(started)
					}
					last <- p
				}()
				<-started
				var cookie *http.Cookie
				var bearer string
				if via == guard.ViaSession {
					cookie = current.cookie
				} else {
					bearer = current.pair.AccessToken
				}
				f.request(t, cookie, bearer, func(ctx context.Context) {
					if p, _ := guard.PrincipalFrom(ctx); p.Via != via {
						t.Fatalf("the request is authenticated via %q, want %q", p.Via, via)
					}
					if err := guard.SignOutOthers(ctx); err != nil {
						t.Fatalf("SignOutOthers: %v", err)
					}
				})
				stop.Store(true)
				other1.pair = <-last
				if c, a, r := f.alive(t, current); !c || !a || !r {
					t.Errorf("the current sign-in: cookie %v, access token %v, refresh token %v; want all working", c, a, r)
				}
				if c, a, r := f.alive(t, current); !c || !a || !r {
					t.Errorf("the current sign-in, refreshed: cookie %v, access token %v, refresh token %v", c, a, r)
				}
				for name, s := range map[string]*signIn{"the thief's sign-in": other1, "another sign-in": other2} {
					if c, a, r := f.alive(t, s); c || a || r {
						t.Errorf("%s: cookie %v, access token %v, refresh token %v; want none working", name, c, a, r)
					}
				}
				bob, err := f.iss.IssuePair(context.Background(), token.Subject{ID: "bob"})
				if err != nil {
					t.Fatal(err)
				}
				f.request(t, cookie, bearer, func(ctx context.Context) {
					if err := guard.SignOutOthers(ctx); err != nil {
						t.Fatalf("SignOutOthers, again: %v", err)
					}
				})
				if _, err := f.iss.Refresh(context.Background(), bob.RefreshToken); err != nil {
					t.Errorf("another user's sign-in: %v", err)
				}
				if c, a, r := f.alive(t, current); !c || !a || !r {
					t.Errorf("the current sign-in after a second call: cookie %v, access token %v, refresh token %v", c, a, r)
				}
			})
		}
	})
}

func TestSignOutOthersRefuses(t *testing.T) {
	f := linkedOn(t, tokenstore.NewMemoryStore(), mustStore(session.NewMemoryStore()))
	f.request(t, nil, "", func(ctx context.Context) {
		err := guard.SignOutOthers(ctx)
		if !errors.Is(err, guard.ErrNotSignedIn) || !errors.Is(err, authkit.ErrUnauthenticated) || guard.ProblemFor(err).Status != http.StatusUnauthorized {
			t.Errorf("anonymous request: %v, want ErrNotSignedIn (an authkit.ErrUnauthenticated, 401)", err)
		}
	})
	if err := guard.SignOutOthers(context.Background()); !errors.Is(err, guard.ErrNoSessions) {
		t.Errorf("a context without the guard's state: %v, want ErrNoSessions", err)
	}
	// The request's own sign-in revoked meanwhile: every sign-in ends.
	current, other := f.signIn(t), f.signIn(t)
	if err := f.iss.RevokeLinked(context.Background(), "alice", current.pair.Family()); err != nil {
		t.Fatal(err)
	}
	f.request(t, current.cookie, "", func(ctx context.Context) {
		err := guard.SignOutOthers(ctx)
		if !errors.Is(err, token.ErrRevoked) || guard.ProblemFor(err).Status != http.StatusUnauthorized {
			t.Errorf("own sign-in revoked: %v, want token.ErrRevoked (401)", err)
		}
	})
	if c, a, r := f.alive(t, other); c || a || r {
		t.Errorf("another sign-in: cookie %v, access %v, refresh %v; want none", c, a, r)
	}
}

// The session store down: 503, not 401.
func TestSignOutOthersStoreDown(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	t.Cleanup(func() { c.Close() })
	f := linkedOn(t, tokenstore.NewMemoryStore(), mustStore(sessionredis.New(c)))
	cookie := &http.Cookie{Name: f.mgr.CookieName(), Value: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}
	f.request(t, cookie, "", func(ctx context.Context) {
		err := guard.SignOutOthers(ctx)
		if !errors.Is(err, authkit.ErrUnavailable) || guard.ProblemFor(err).Status != http.StatusServiceUnavailable {
			t.Errorf("session store down: %v, want an authkit.ErrUnavailable (503)", err)
		}
	})
}
