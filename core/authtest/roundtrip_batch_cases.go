package authtest

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/port"
	"github.com/authkit-go/authkit/core/ratelimit"
	rlredis "github.com/authkit-go/authkit/core/ratelimit/redisstore"
	"github.com/authkit-go/authkit/core/token"
)

// accessCookie is the token cookie of the batched round-trip cases.
const accessCookie = "access"

// floodHeader keys the tight limit of the batched round-trip cases: a
// request carrying it is also charged to a limit of one per minute under
// its value, so the second one is refused.
const floodHeader = "X-Flood"

// batchedApp is the setup of the batched round-trip cases: a per-IP rate
// limit at the guard's step (every route), sessions and tokens (from the
// Authorization header or the token cookie), all on one Redis client.
type batchedApp struct {
	*sessionApp
	cookie string // alice's session
	access string // an access token of alice's
	iss    *token.Issuer
}

func newBatchedApp(t *testing.T, f Factory, c redis.UniversalClient, prefix string) *batchedApp {
	t.Helper()
	clock := NewClock()
	mgr, iss := newRedisAuth(t, c, prefix, clock)
	rlStore, err := rlredis.New(c, rlredis.WithPrefix(prefix+"rl:"))
	if err != nil {
		t.Fatal(err)
	}
	tight, err := ratelimit.New("flood", ratelimit.PerMinute(1), rlStore, ratelimit.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	byFlood := func(x port.Exchange, _ netip.Addr, _ port.Principal, _ bool) (ratelimit.Key, bool) {
		v := x.Header(floodHeader)
		return ratelimit.Key{Kind: "flood", Value: v}, v != ""
	}
	limit := NewRequestLimit(t, "ip", ratelimit.PerMinute(100_000), rlStore, ratelimit.ByIP(), ratelimit.WithLimit(tight, byFlood))
	opts := []guard.Option{guard.WithSessions(mgr), guard.WithTokens(iss), guard.WithTokenCookie(accessCookie),
		guard.WithRateLimit(limit), guard.WithAudit(audit.Discard)}
	a := &batchedApp{sessionApp: &sessionApp{t: t, mgr: mgr, clock: clock, app: f(t, opts, sessionRoutes(mgr))}}
	a.cookie = a.login("")
	pair, err := iss.IssuePair(context.Background(), token.Subject{ID: "alice", Roles: []string{"user"}})
	if err != nil {
		t.Fatal(err)
	}
	a.access, a.iss = pair.AccessToken, iss
	return a
}

// batchedCase is one request of the batched round-trip cases.
type batchedCase struct {
	name         string
	method, path string
	session      bool   // send alice's session cookie
	access       string // "header", "cookie" or ""
	header       []string
	status       int
	want         string // body, for a 200
	trips        int64  // on one server; on Cluster, at most this many per node
}

// batchedCases are the requests that meet the rate limit, the session and
// the token together.
var batchedCases = []batchedCase{
	// The rate-limit script and the revocation MGET in one pipeline.
	{name: "bearer token", method: "GET", path: "/me", access: "header", status: 200, want: "alice token", trips: 1},
	// The rate-limit script and the session load in one pipeline.
	{name: "session read", method: "GET", path: "/me", session: true, status: 200, want: "alice session", trips: 1},
	// All three: the token (from its cookie) authenticates, the handler
	// reads the session loaded before it.
	{name: "token cookie and session", method: "GET", path: "/note", session: true, access: "cookie", status: 200, want: "alice:", trips: 1},
	// A bearer request loads its session only when a flow asks (most
	// never do), so the handler's SessionFrom costs its own round trip.
	{name: "bearer token, the handler reads the session", method: "GET", path: "/note", session: true, access: "header", status: 200, want: "alice:", trips: 2},
	// The save after the handler cannot join the load before it.
	{name: "session changed", method: "POST", path: "/note", session: true, header: []string{"Sec-Fetch-Site", "same-origin"}, status: 200, want: "noted", trips: 2},
}

// send sends tc's request with flood (if any) as the flood header's value.
func (a *batchedApp) send(tc batchedCase, flood string) (*http.Response, string) {
	a.t.Helper()
	hdr := append([]string(nil), tc.header...)
	cookies := []string(nil)
	if tc.session {
		cookies = append(cookies, a.mgr.CookieName()+"="+a.cookie)
	}
	switch tc.access {
	case "header":
		hdr = append(hdr, "Authorization", "Bearer "+a.access)
	case "cookie":
		cookies = append(cookies, accessCookie+"="+a.access)
	}
	if len(cookies) > 0 {
		hdr = append(hdr, "Cookie", strings.Join(cookies, "; "))
	}
	if flood != "" {
		hdr = append(hdr, floodHeader, flood)
	}
	return a.sessionApp.send(tc.method, tc.path, "", hdr...)
}

// runBatchedRoundTrips runs batchedCases through the adapter on one Redis
// server and on a Redis Cluster, counting round trips through go-redis
// hooks: on the server in all, on the Cluster per node.
func runBatchedRoundTrips(t *testing.T, f Factory) {
	t.Run("one server", func(t *testing.T) {
		rc := redistest.NewClient(t)
		rt := redistest.CountRoundTrips(rc)
		a := newBatchedApp(t, f, rc, redistest.PrefixFor(t, rc))
		check := func(t *testing.T, want int64) {
			if got := rt.Count(); got != want {
				t.Errorf("%d Redis round trips, want %d", got, want)
			}
		}
		runBatched(t, a, rt.Reset, check)
		runRevoked(t, a, rt.Reset, check)
	})
	t.Run("cluster", func(t *testing.T) {
		cc := redistest.NewClusterClient(t)
		rt := redistest.CountNodeRoundTrips(t, cc)
		a := newBatchedApp(t, f, cc, redistest.PrefixFor(t, cc))
		perNode := func(t *testing.T, want int64) (total int64) {
			counts := rt.Counts()
			if len(counts) == 0 {
				t.Fatal("no round trip counted on any node")
			}
			for node, got := range counts {
				total += got
				if got > want {
					t.Errorf("%d round trips to node %s, want at most %d (all: %v)", got, node, want, counts)
				}
			}
			return total
		}
		check := func(t *testing.T, want int64) { perNode(t, want) }
		runBatched(t, a, rt.Reset, check)
		// The three calls (rate limit, session, revocation) land on nodes
		// by their keys' slots, so one request proves nothing when they
		// land on three: sign in afresh (a new session key) until two of
		// them share a node, which must then get them in one round trip.
		t.Run("two of the calls on one node", func(t *testing.T) {
			a.t = t
			tc := batchedCases[2] // token cookie and session
			for range 40 {
				a.cookie = a.login("")
				a.send(tc, "")
				rt.Reset()
				if resp, body := a.send(tc, ""); resp.StatusCode != 200 {
					t.Fatalf("%d %q, want 200", resp.StatusCode, body)
				}
				if perNode(t, 1) < 3 {
					return
				}
			}
			t.Fatal("the three calls never shared a node in 40 sign-ins (2/3 chance each)")
		})
		runRevoked(t, a, rt.Reset, check)
	})
}

// runBatched sends each case twice (the first loads the scripts a fresh
// Redis lacks) and checks the second's round trips, then a request the
// tight limit refuses.
func runBatched(t *testing.T, a *batchedApp, reset func(), check func(t *testing.T, want int64)) {
	for _, tc := range batchedCases {
		t.Run(tc.name, func(t *testing.T) {
			a.t = t
			a.send(tc, "")
			reset()
			resp, body := a.send(tc, "")
			if resp.StatusCode != tc.status || body != tc.want {
				t.Fatalf("%s %s: %d %q, want %d %q", tc.method, tc.path, resp.StatusCode, body, tc.status, tc.want)
			}
			check(t, tc.trips)
		})
	}
	// The rate limit still answers first: a refused request carrying a
	// session and a token is a 429, in the one round trip that also
	// loaded the session and checked the token.
	t.Run("refused by the rate limit", func(t *testing.T) {
		a.t = t
		tc := batchedCases[2] // token cookie and session
		flood := randomID()
		if resp, body := a.send(tc, flood); resp.StatusCode != 200 {
			t.Fatalf("first request: %d %q, want 200", resp.StatusCode, body)
		}
		reset()
		resp, body := a.send(tc, flood)
		checkTooManyRequests(t, resp, body)
		if c, ok := a.sessionCookie(resp); ok {
			t.Errorf("the 429 sets the session cookie %q", c.String())
		}
		check(t, 1)
	})
	// The revocation keys of a token the verified-token cache lacks come
	// from its claims, read before the signature is checked: a forged
	// signature over alice's claims is still refused.
	t.Run("forged signature", func(t *testing.T) {
		a.t = t
		forged := batchedCase{method: "GET", path: "/me", access: "header"}
		sig := a.access[strings.LastIndexByte(a.access, '.')+1:]
		flipped := "A"
		if sig[0] == 'A' {
			flipped = "B"
		}
		good := a.access
		a.access = good[:len(good)-len(sig)] + flipped + sig[1:]
		defer func() { a.access = good }()
		resp, body := a.send(forged, "")
		checkInvalidToken(t, resp, body)
	})
}

// runRevoked checks that a revocation is seen through the batched check.
// It ends the token the other cases use: run it last.
func runRevoked(t *testing.T, a *batchedApp, reset func(), check func(t *testing.T, want int64)) {
	t.Run("revoked token", func(t *testing.T) {
		a.t = t
		if err := a.iss.Revoke(context.Background(), a.access); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []batchedCase{batchedCases[0], batchedCases[2]} { // header, cookie
			reset()
			resp, body := a.send(tc, "")
			checkInvalidToken(t, resp, body)
			check(t, 1)
		}
	})
}

// checkInvalidToken fails t unless resp is a 401 with the invalid_token
// challenge.
func checkInvalidToken(t *testing.T, resp *http.Response, body string) {
	t.Helper()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("%d %q, WWW-Authenticate %q; want 401 invalid_token", resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
	}
}
