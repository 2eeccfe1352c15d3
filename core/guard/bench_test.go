package guard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/ratelimit"
	rlredis "github.com/authkit-go/authkit/core/ratelimit/redisstore"
	"github.com/authkit-go/authkit/core/session"
	sessionredis "github.com/authkit-go/authkit/core/session/redisstore"
	"github.com/authkit-go/authkit/core/token"
	tokenredis "github.com/authkit-go/authkit/core/token/tokenstore/redisstore"
)

// BenchmarkBefore measures the guard alone, without a framework: Before
// and the route rules for one request, with the response header map reused
// (every header is set, not added, so it does not grow).
//
//	headers           the default security headers only
//	token             a valid ES256 bearer token on an Authenticated route
//	session           a signed-in session cookie (memory store), read only
//	session+token     both configured; the bearer token decides
//	ratelimit/memory  POST /login through the rate-limit step (one limit by
//	                  client address, admitted, fields set), memory store
//	ratelimit/redis   the same on Redis: one round trip per request
//	                  (reported as roundtrips/op)
//	ratelimit+session+token/redis
//	                  all three on one Redis client: GET /me with a
//	                  session cookie and an access-token cookie, limited
//	                  by client address; one round trip per request
func BenchmarkBefore(b *testing.B) {
	authed := []guard.Rule{guard.Authenticated()}
	b.Run("headers", func(b *testing.B) {
		loopBefore(b, newBenchGuard(b), httptest.NewRequest("GET", "/", nil), nil)
	})
	b.Run("token", func(b *testing.B) {
		iss := authtest.NewIssuer(b, token.ES256, authtest.NewClock().Now)
		loopBefore(b, newBenchGuard(b, guard.WithTokens(iss)), bearerRequest(b, iss), authed)
	})
	b.Run("session", func(b *testing.B) {
		mgr := newBenchSessions(b)
		s, err := mgr.Create(context.Background(), session.Meta{UserID: "alice"})
		if err != nil {
			b.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/me", nil)
		r.AddCookie(&http.Cookie{Name: mgr.CookieName(), Value: s.ID().Secret()})
		loopBefore(b, newBenchGuard(b, guard.WithSessions(mgr)), r, authed)
	})
	b.Run("session+token", func(b *testing.B) {
		iss := authtest.NewIssuer(b, token.ES256, authtest.NewClock().Now)
		g := newBenchGuard(b, guard.WithSessions(newBenchSessions(b)), guard.WithTokens(iss))
		loopBefore(b, g, bearerRequest(b, iss), authed)
	})
	login := httptest.NewRequest("POST", "/login", nil)
	b.Run("ratelimit/memory", func(b *testing.B) {
		store, err := ratelimit.NewMemoryStore()
		if err != nil {
			b.Fatal(err)
		}
		loopBefore(b, newBenchGuard(b, guard.WithRateLimit(benchLimit(b, store))), login, nil)
	})
	b.Run("ratelimit/redis", func(b *testing.B) {
		redistest.Client(b) // skip (or fail under REQUIRE_REDIS=1) without Redis
		opts, err := redis.ParseURL(redistest.URL())
		if err != nil {
			b.Fatal(err)
		}
		c := redis.NewClient(opts) // our own, so the count is ours
		defer c.Close()
		rt := redistest.CountRoundTrips(c)
		store, err := rlredis.New(c, rlredis.WithPrefix(redistest.Prefix(b)))
		if err != nil {
			b.Fatal(err)
		}
		loopBefore(b, newBenchGuard(b, guard.WithRateLimit(benchLimit(b, store))), login, nil)
		b.ReportMetric(float64(rt.Count())/float64(b.N), "roundtrips/op")
	})
	b.Run("ratelimit+session+token/redis", func(b *testing.B) {
		c := redistest.NewClient(b)
		prefix := redistest.PrefixFor(b, c)
		ss, err := sessionredis.New(c, sessionredis.WithPrefix(prefix+"sess:"))
		if err != nil {
			b.Fatal(err)
		}
		mgr, err := session.New(session.WithStore(ss), session.WithAudit(audit.Discard))
		if err != nil {
			b.Fatal(err)
		}
		s, err := mgr.Create(context.Background(), session.Meta{UserID: "alice"})
		if err != nil {
			b.Fatal(err)
		}
		clock := authtest.NewClock()
		ts, err := tokenredis.New(c, tokenredis.WithPrefix(prefix+"tok:"), tokenredis.WithClock(clock.Now))
		if err != nil {
			b.Fatal(err)
		}
		iss := authtest.NewIssuer(b, token.ES256, clock.Now, token.WithStore(ts))
		rs, err := rlredis.New(c, rlredis.WithPrefix(prefix+"rl:"))
		if err != nil {
			b.Fatal(err)
		}
		lim, err := ratelimit.New("ip", ratelimit.PerSecond(1<<30), rs, ratelimit.WithAudit(audit.Discard))
		if err != nil {
			b.Fatal(err)
		}
		perIP, err := ratelimit.NewRequestLimit(lim, ratelimit.ByIP())
		if err != nil {
			b.Fatal(err)
		}
		g := newBenchGuard(b, guard.WithSessions(mgr), guard.WithTokens(iss), guard.WithTokenCookie("access"), guard.WithRateLimit(perIP))
		r := bearerRequest(b, iss)
		r.AddCookie(&http.Cookie{Name: "access", Value: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")})
		r.Header.Del("Authorization")
		r.AddCookie(&http.Cookie{Name: mgr.CookieName(), Value: s.ID().Secret()})
		rt := redistest.CountRoundTrips(c)
		loopBefore(b, g, r, []guard.Rule{guard.Authenticated()})
		b.ReportMetric(float64(rt.Count())/float64(b.N), "roundtrips/op")
	})
}

// benchLimit limits POST /login per client address, far above what the
// benchmark reaches.
func benchLimit(b *testing.B, store ratelimit.Store) *ratelimit.RequestLimit {
	lim, err := ratelimit.New("ip", ratelimit.PerSecond(1<<30), store, ratelimit.WithAudit(audit.Discard))
	if err != nil {
		b.Fatal(err)
	}
	rl, err := ratelimit.NewRequestLimit(lim, ratelimit.ByIP(), ratelimit.OnRoutes("POST /login"))
	if err != nil {
		b.Fatal(err)
	}
	return rl
}

// bearerRequest is GET /me with a fresh access token of iss.
func bearerRequest(b *testing.B, iss *token.Issuer) *http.Request {
	pair, err := iss.IssuePair(context.Background(), token.Subject{ID: "alice", Roles: []string{"user"}, Scope: "read"})
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/me", nil)
	r.Header.Set("Authorization", "Bearer "+pair.AccessToken)
	return r
}

func newBenchSessions(b *testing.B) *session.Manager {
	mgr, err := session.New(session.WithAudit(audit.Discard))
	if err != nil {
		b.Fatal(err)
	}
	return mgr
}

func newBenchGuard(b testing.TB, opts ...guard.Option) *guard.Guard {
	b.Helper()
	g, err := guard.New(append(opts, guard.WithAudit(audit.Discard))...)
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// loopBefore runs Before, the rules and Commit on r, as an adapter does,
// failing on any denial.
func loopBefore(b *testing.B, g *guard.Guard, r *http.Request, rules []guard.Rule) {
	b.Helper()
	round := adapterRound(b, g, r, rules)
	b.ReportAllocs()
	for b.Loop() {
		round()
	}
}

// adapterRound returns one run of r through g as an adapter runs it —
// Before, the route's rules, Commit — failing t on any denial; for loops
// that count or time requests.
func adapterRound(t testing.TB, g *guard.Guard, r *http.Request, rules []guard.Rule) func() {
	w := httptest.NewRecorder()
	return func() {
		x := guard.HTTPExchange{W: w, R: r}
		ctx, d := g.Before(x)
		if d != nil {
			t.Fatalf("Before denied: %d %s", d.Status, d.Body)
		}
		x.R = r.WithContext(ctx)
		if d := guard.Authorize(x, rules...); d != nil {
			t.Fatalf("Authorize denied: %d %s", d.Status, d.Body)
		}
		g.Commit(ctx, x)
	}
}

// BenchmarkSessionRead is a request by the cookie of a signed-in session
// (memory store) whose principal has roles, scopes and a second factor, as
// after a login: Before, the route's rule and Commit.
func BenchmarkSessionRead(b *testing.B) {
	mgr := newBenchSessions(b)
	g := newBenchGuard(b, guard.WithSessions(mgr))
	cookie := signedIn(b, g, mgr, guard.Principal{Subject: "alice", Roles: []string{"user"}, Scopes: []string{"read"}, AMR: []string{"pwd", "otp"}})
	r := httptest.NewRequest("GET", "/me", nil)
	r.AddCookie(&http.Cookie{Name: mgr.CookieName(), Value: cookie})
	loopBefore(b, g, r, []guard.Rule{guard.Authenticated()})
}
