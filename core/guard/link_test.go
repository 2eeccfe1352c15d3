package guard_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/session"
	sessionredis "github.com/authkit-go/authkit/core/session/redisstore"
	"github.com/authkit-go/authkit/core/token"
	"github.com/authkit-go/authkit/core/token/tokenstore"
	tokenredis "github.com/authkit-go/authkit/core/token/tokenstore/redisstore"
)

// linkFixture is an issuer and a session manager linked by a guard, on
// memory stores or on Redis (each with its own client, so round trips can
// be counted per store).
type linkFixture struct {
	g          *guard.Guard
	iss        *token.Issuer
	mgr        *session.Manager
	tokTrips   *redistest.RoundTrips // nil on memory
	sessTrips  *redistest.RoundTrips
	otherLogin token.Pair
}

func newLinkFixture(t *testing.T, onRedis bool) *linkFixture {
	t.Helper()
	f := &linkFixture{}
	tokStore := tokenstore.Store(tokenstore.NewMemoryStore())
	sessStore, err := session.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	var sessionStore session.Store = sessStore
	if onRedis {
		prefix := redistest.Prefix(t)
		client := func() *redis.Client {
			opts := *redistest.Client(t).Options()
			c := redis.NewClient(&opts)
			t.Cleanup(func() { c.Close() })
			return c
		}
		tc, sc := client(), client()
		f.tokTrips, f.sessTrips = redistest.CountRoundTrips(tc), redistest.CountRoundTrips(sc)
		if tokStore, err = tokenredis.New(tc, tokenredis.WithPrefix(prefix+"tok:")); err != nil {
			t.Fatal(err)
		}
		if sessionStore, err = sessionredis.New(sc, sessionredis.WithPrefix(prefix+"sess:")); err != nil {
			t.Fatal(err)
		}
	}
	f.mgr, err = session.New(session.WithStore(sessionStore), session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	f.iss = authtest.NewIssuer(t, token.ES256, time.Now, token.WithStore(tokStore), token.WithAudit(audit.Discard))
	if f.g, err = guard.New(guard.WithSessions(f.mgr), guard.WithTokens(f.iss), guard.WithAudit(audit.Discard)); err != nil {
		t.Fatal(err)
	}
	f.otherLogin, _ = f.login(t)
	return f
}

// request runs one GET through the guard with cookie (may be nil) and
// bearer (may be ""), calls flow with the handler's context, commits, and
// returns the response.
func (f *linkFixture) request(t *testing.T, cookie *http.Cookie, bearer string, flow func(ctx context.Context)) *http.Response {
	t.Helper()
	r := httptest.NewRequest("GET", "https://app.example/", nil)
	if cookie != nil {
		r.AddCookie(cookie)
	}
	if bearer != "" {
		r.Header.Set("Authorization", "Bearer "+bearer)
	}
	w := httptest.NewRecorder()
	x := guard.HTTPExchange{W: w, R: r}
	ctx, d := f.g.Before(x)
	if d != nil {
		return &http.Response{StatusCode: d.Status}
	}
	if flow != nil {
		flow(ctx)
	}
	f.g.Commit(ctx, x)
	return w.Result()
}

// login signs alice in as the example app does: a token pair and a
// session linked to its family.
func (f *linkFixture) login(t *testing.T) (token.Pair, *http.Cookie) {
	t.Helper()
	var pair token.Pair
	resp := f.request(t, nil, "", func(ctx context.Context) {
		var err error
		if pair, err = f.iss.IssuePair(ctx, token.Subject{ID: "alice"}); err != nil {
			t.Fatal(err)
		}
		if _, err := guard.SignIn(ctx, guard.Principal{Subject: "alice", Family: pair.Family()}); err != nil {
			t.Fatal(err)
		}
	})
	for _, c := range resp.Cookies() {
		if c.Name == f.mgr.CookieName() && c.Value != "" {
			return pair, c
		}
	}
	t.Fatal("login set no session cookie")
	return pair, nil
}

// sessionAlive reports whether the session cookie still signs in.
func (f *linkFixture) sessionAlive(t *testing.T, c *http.Cookie) bool {
	t.Helper()
	alive := false
	f.request(t, c, "", func(ctx context.Context) {
		p, ok := guard.PrincipalFrom(ctx)
		alive = ok && p.Via == guard.ViaSession
	})
	return alive
}

// wantSessionEnded fails t when the session cookie still signs in after
// what.
func (f *linkFixture) wantSessionEnded(t *testing.T, c *http.Cookie, what string) {
	t.Helper()
	if f.sessionAlive(t, c) {
		t.Errorf("the session cookie still signs in after %s", what)
	}
}

// wantOtherLoginAlive fails t unless another sign-in of the same user still
// refreshes: revoking one login must not end another.
func (f *linkFixture) wantOtherLoginAlive(t *testing.T) {
	t.Helper()
	next, err := f.iss.Refresh(context.Background(), f.otherLogin.RefreshToken)
	if err != nil {
		t.Errorf("another login ended too: %v", err)
		return
	}
	f.otherLogin = next
}

// Issue 10, finding 7: a login's session and refresh family are linked, so
// reuse detection, logout and revocation of either end both — and nothing
// of another login.
func TestLoginSessionAndTokensEndTogether(t *testing.T) {
	for _, onRedis := range []bool{false, true} {
		name := map[bool]string{false: "memory", true: "redis"}[onRedis]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			t.Run("refresh-token reuse destroys the session", func(t *testing.T) {
				f := newLinkFixture(t, onRedis)
				pair, cookie := f.login(t)
				if !f.sessionAlive(t, cookie) {
					t.Fatal("the login's session does not sign in")
				}
				if _, err := f.iss.Refresh(ctx, pair.RefreshToken); err != nil {
					t.Fatal(err)
				}
				if _, err := f.iss.Refresh(ctx, pair.RefreshToken); !errors.Is(err, token.ErrReused) {
					t.Fatalf("replay: %v, want ErrReused", err)
				}
				f.wantSessionEnded(t, cookie, "refresh-token reuse")
				f.wantOtherLoginAlive(t)
			})
			t.Run("logout with the bearer token alone destroys the session", func(t *testing.T) {
				f := newLinkFixture(t, onRedis)
				pair, cookie := f.login(t)
				f.request(t, nil, pair.AccessToken, func(ctx context.Context) {
					raw, _ := guard.BearerToken(ctx)
					if err := f.iss.Revoke(ctx, raw); err != nil {
						t.Fatal(err)
					}
				})
				f.wantSessionEnded(t, cookie, "a logout with the bearer token")
				f.wantOtherLoginAlive(t)
			})
			t.Run("signing out by cookie revokes the refresh family", func(t *testing.T) {
				f := newLinkFixture(t, onRedis)
				pair, cookie := f.login(t)
				f.request(t, cookie, "", func(ctx context.Context) {
					if err := guard.SignOut(ctx); err != nil {
						t.Fatal(err)
					}
				})
				if _, err := f.iss.Refresh(ctx, pair.RefreshToken); !errors.Is(err, token.ErrRevoked) {
					t.Errorf("refresh after logout by cookie: %v, want ErrRevoked", err)
				}
				if _, err := f.iss.Authenticate(ctx, pair.AccessToken); !errors.Is(err, token.ErrRevoked) {
					t.Errorf("access token after logout by cookie: %v, want ErrRevoked", err)
				}
				f.wantOtherLoginAlive(t)
			})
			t.Run("logging out a device by hint revokes its refresh family", func(t *testing.T) {
				f := newLinkFixture(t, onRedis)
				pair, cookie := f.login(t)
				s, err := f.mgr.Load(ctx, cookie.Value)
				if err != nil {
					t.Fatal(err)
				}
				if n, err := f.mgr.DestroyByHint(ctx, "alice", s.Hint()); err != nil || n != 1 {
					t.Fatalf("DestroyByHint = %d, %v", n, err)
				}
				if _, err := f.iss.Refresh(ctx, pair.RefreshToken); !errors.Is(err, token.ErrRevoked) {
					t.Errorf("refresh after the device was logged out: %v, want ErrRevoked", err)
				}
				f.wantOtherLoginAlive(t)
			})
			if !onRedis {
				return // round trips are counted on Redis
			}
			t.Run("an ordinary request still costs one round trip", func(t *testing.T) {
				f := newLinkFixture(t, onRedis)
				pair, cookie := f.login(t)
				for _, tc := range []struct {
					name   string
					cookie *http.Cookie
					bearer string
				}{{"/me by token", nil, pair.AccessToken}, {"/me by cookie", cookie, ""}} {
					f.tokTrips.Reset()
					f.sessTrips.Reset()
					resp := f.request(t, tc.cookie, tc.bearer, func(ctx context.Context) {
						if _, ok := guard.PrincipalFrom(ctx); !ok {
							t.Errorf("%s: not authenticated", tc.name)
						}
					})
					if resp.StatusCode != http.StatusOK {
						t.Errorf("%s: status %d", tc.name, resp.StatusCode)
					}
					if n := f.tokTrips.Count() + f.sessTrips.Count(); n != 1 {
						t.Errorf("%s: %d Redis round trips, want 1", tc.name, n)
					}
				}
			})
		})
	}
}
