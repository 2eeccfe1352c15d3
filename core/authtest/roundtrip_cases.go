package authtest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/session"
	sessionredis "github.com/authkit-go/authkit/core/session/redisstore"
	"github.com/authkit-go/authkit/core/token"
	tokenredis "github.com/authkit-go/authkit/core/token/tokenstore/redisstore"
)

// newRedisAuth returns a session manager and an issuer on c, under
// prefix, reading clock.
func newRedisAuth(t *testing.T, c redis.UniversalClient, prefix string, clock *Clock) (*session.Manager, *token.Issuer) {
	t.Helper()
	sessStore, err := sessionredis.New(c, sessionredis.WithPrefix(prefix+"session:"))
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := session.New(session.WithStore(sessStore), session.WithClock(clock.Now), session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	tokStore, err := tokenredis.New(c, tokenredis.WithPrefix(prefix+"tok:"), tokenredis.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	return mgr, NewIssuer(t, token.ES256, clock.Now, token.WithStore(tokStore))
}

// runRoundTripCases counts the Redis commands one request costs with every
// store on one Redis server, through a go-redis hook
// (redistest.CountRoundTrips) on a client of the test's own: the
// examples' setup (sessions and tokens on Redis) through the adapter.
func runRoundTripCases(t *testing.T, f Factory) {
	rc := redistest.NewClient(t)
	rt := redistest.CountRoundTrips(rc)
	clock := NewClock()
	mgr, iss := newRedisAuth(t, rc, redistest.PrefixFor(t, rc), clock)
	a := &sessionApp{t: t, mgr: mgr, clock: clock,
		app: f(t, []guard.Option{guard.WithSessions(mgr), guard.WithTokens(iss), guard.WithAudit(audit.Discard)}, sessionRoutes(mgr))}
	cookie := a.login("")
	pair, err := iss.IssuePair(context.Background(), token.Subject{ID: "alice", Roles: []string{"user"}})
	if err != nil {
		t.Fatal(err)
	}
	bearer := "Bearer " + pair.AccessToken
	// Warm the server's script cache: on a Redis that has not run the
	// stores' scripts yet (a fresh server, or after SCRIPT FLUSH or a
	// restart) the first EVALSHA answers NOSCRIPT and go-redis sends the
	// EVAL, a second round trip once. The counts below are the steady
	// state.
	a.send("GET", "/me", cookie)
	a.send("POST", "/note", cookie, "Sec-Fetch-Site", "same-origin")

	cases := []struct {
		name         string
		method, path string
		cookie       string
		header       []string
		before       func()
		want         string // body
		trips        int64
	}{
		// One MGET: revocation of the jti, the family and the generation.
		{name: "bearer token", method: "GET", path: "/me", header: []string{"Authorization", bearer}, want: "alice token", trips: 1},
		// The same token again: a verified-token cache hit, and still
		// one revocation check.
		{name: "bearer token again", method: "GET", path: "/me", header: []string{"Authorization", bearer}, want: "alice token", trips: 1},
		// A cookie beside the token is loaded only when a flow asks.
		{name: "bearer token and cookie", method: "GET", path: "/me", cookie: cookie, header: []string{"Authorization", bearer}, want: "alice token", trips: 1},
		// One EVALSHA: load and slide the idle timeout.
		{name: "session read", method: "GET", path: "/me", cookie: cookie, want: "alice session", trips: 1},
		// LastSeen is due: the load script rewrites it in the same call.
		{name: "session read that touches LastSeen", method: "GET", path: "/me", cookie: cookie, want: "alice session",
			before: func() { clock.Advance(2 * time.Minute) }, trips: 1},
		// A handler that changes the session: the load, then the save
		// (SET XX) once the handler has run. The save depends on what the
		// handler wrote and the handler on what the load returned, so two
		// round trips is the floor for a changed session.
		{name: "session changed", method: "POST", path: "/note", cookie: cookie, header: []string{"Sec-Fetch-Site", "same-origin"}, want: "noted", trips: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			sub := *a
			sub.t = t
			rt.Reset()
			resp, body := sub.send(tc.method, tc.path, tc.cookie, tc.header...)
			if resp.StatusCode != http.StatusOK || body != tc.want {
				t.Fatalf("%s %s: %d %q, want 200 %q", tc.method, tc.path, resp.StatusCode, body, tc.want)
			}
			if got := rt.Count(); got != tc.trips {
				t.Errorf("%d Redis round trips, want %d", got, tc.trips)
			}
		})
	}
	t.Run("rate limit, session and token together", func(t *testing.T) { runBatchedRoundTrips(t, f) })
}
