package guard_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/guard"
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
