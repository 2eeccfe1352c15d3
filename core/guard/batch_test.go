package guard_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/port"
	"github.com/authkit-go/authkit/core/ratelimit"
	ratelimitredis "github.com/authkit-go/authkit/core/ratelimit/redisstore"
	"github.com/authkit-go/authkit/core/session"
	sessionredis "github.com/authkit-go/authkit/core/session/redisstore"
	"github.com/authkit-go/authkit/core/token"
	tokenredis "github.com/authkit-go/authkit/core/token/tokenstore/redisstore"
)

// A Redis that has never seen the scripts (a fresh or restarted server)
// answers the batch's EVALSHAs NOSCRIPT: the batch sends those once more
// with the scripts' bodies, so the request is decided as usual in two
// round trips, and the next one takes one.
func TestBatchLoadsScriptsOnAFreshServer(t *testing.T) {
	srv := redistest.StartServer(t)
	c := srv.Client()
	t.Cleanup(func() { _ = c.Close() })
	ss, err := sessionredis.New(c)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tokenredis.New(c)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ratelimitredis.New(c)
	if err != nil {
		t.Fatal(err)
	}
	lim, err := ratelimit.New("ip", ratelimit.PerMinute(1000), rs, ratelimit.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	perIP, err := ratelimit.NewRequestLimit(lim, ratelimit.ByIP())
	if err != nil {
		t.Fatal(err)
	}
	f := &linkFixture{}
	if f.mgr, err = session.New(session.WithStore(ss), session.WithAudit(audit.Discard)); err != nil {
		t.Fatal(err)
	}
	f.iss = authtest.NewIssuer(t, token.ES256, time.Now, token.WithStore(ts), token.WithAudit(audit.Discard))
	if f.g, err = guard.New(guard.WithSessions(f.mgr), guard.WithTokens(f.iss), guard.WithRateLimit(perIP), guard.WithAudit(audit.Discard)); err != nil {
		t.Fatal(err)
	}
	_, cookie := f.login(t) // loads the rate-limit script, not the session's
	rt := redistest.CountRoundTrips(c)
	for i, want := range []int64{2, 1} {
		rt.Reset()
		r := httptest.NewRequest("GET", "https://app.example/", nil)
		r.AddCookie(cookie)
		w := before(f.g, r, guard.Authenticated())
		if w.Code != http.StatusOK {
			t.Fatalf("request %d: %d %s, want 200", i+1, w.Code, w.Body)
		}
		if got := rt.Count(); got != want {
			t.Errorf("request %d: %d round trips, want %d", i+1, got, want)
		}
	}
}

// A request with neither a session cookie nor a token has one store call,
// the rate limit's: the batch step prepares nothing for it (no Set, no
// plan of the limit's script call to drop), so the limit's KeyFunc runs
// once, at the rate-limit step, as without the batch step.
func TestBatchPreparesNothingForOneCall(t *testing.T) {
	keyed := 0
	byIP := ratelimit.ByIP()
	g, _, c := limitedSessions(t, func(x port.Exchange, client netip.Addr, p port.Principal, authed bool) (ratelimit.Key, bool) {
		keyed++
		return byIP(x, client, p, authed)
	})
	rt := redistest.CountRoundTrips(c)
	for range 2 { // the first loads the script a fresh Redis lacks
		keyed = 0
		rt.Reset()
		if w := before(g, httptest.NewRequest("GET", "https://app.example/", nil)); w.Code != http.StatusOK {
			t.Fatalf("%d %s, want 200", w.Code, w.Body)
		}
	}
	if keyed != 1 || rt.Count() != 1 {
		t.Errorf("KeyFunc ran %d times in %d round trips, want once in 1", keyed, rt.Count())
	}
}

// forwardedReads counts how often the guard reads X-Forwarded-For.
type forwardedReads struct {
	guard.HTTPExchange
	n int
}

func (x *forwardedReads) HeaderValues(name string) []string {
	if name == "X-Forwarded-For" {
		x.n++
	}
	return x.HTTPExchange.HeaderValues(name)
}

// The batch step and the rate-limit step after it need the client address
// of one request: the proxy's X-Forwarded-For is parsed once for both.
func TestBatchReadsTheClientOnce(t *testing.T) {
	g, mgr, _ := limitedSessions(t, ratelimit.ByIP(), guard.WithTrustedProxies("192.0.2.0/24"))
	r := httptest.NewRequest("GET", "https://app.example/", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	r.Header.Set("X-Forwarded-For", "198.51.100.7")
	r.AddCookie(&http.Cookie{Name: mgr.CookieName(), Value: "not-a-live-session"})
	x := &forwardedReads{HTTPExchange: guard.HTTPExchange{W: httptest.NewRecorder(), R: r}}
	if _, d := g.Before(x); d != nil {
		t.Fatalf("%d %s, want no denial", d.Status, d.Body)
	}
	if x.n != 1 {
		t.Errorf("X-Forwarded-For read %d times, want once", x.n)
	}
}

// limitedSessions returns a guard with sessions and a rate limit keyed by
// key, both on the returned Redis client, and its session manager.
func limitedSessions(t *testing.T, key ratelimit.KeyFunc, opts ...guard.Option) (*guard.Guard, *session.Manager, *redis.Client) {
	c := redistest.NewClient(t)
	prefix := redistest.PrefixFor(t, c)
	ss, err := sessionredis.New(c, sessionredis.WithPrefix(prefix+"s:"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ratelimitredis.New(c, ratelimitredis.WithPrefix(prefix+"rl:"))
	if err != nil {
		t.Fatal(err)
	}
	lim, err := ratelimit.New("ip", ratelimit.PerMinute(1000), rs, ratelimit.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	limit, err := ratelimit.NewRequestLimit(lim, key)
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := session.New(session.WithStore(ss), session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]guard.Option{guard.WithSessions(mgr), guard.WithRateLimit(limit), guard.WithAudit(audit.Discard)}, opts...)
	g, err := guard.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return g, mgr, c
}
