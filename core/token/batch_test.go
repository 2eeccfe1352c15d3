package token

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/ratelimit"
	rlredis "github.com/authkit-go/authkit/core/ratelimit/redisstore"
	tokenredis "github.com/authkit-go/authkit/core/token/tokenstore/redisstore"
)

// With the rate limit and the revocation check batched on one Redis, the
// revocation keys of a token the cache lacks come from its claims read
// before the signature is checked: a request the limit refuses is a 429
// whose token was never verified (it is not in the verified-token cache),
// and an admitted one is verified in full (it is).
func TestBatchedRefusalVerifiesNoToken(t *testing.T) {
	c := redistest.NewClient(t)
	prefix := redistest.PrefixFor(t, c)
	ts, err := tokenredis.New(c, tokenredis.WithPrefix(prefix+"tok:"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := NewKeySet(testKey(t, ES256))
	if err != nil {
		t.Fatal(err)
	}
	iss, err := NewIssuer(keys, WithStore(ts), WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rlredis.New(c, rlredis.WithPrefix(prefix+"rl:"))
	if err != nil {
		t.Fatal(err)
	}
	lim, err := ratelimit.New("ip", ratelimit.PerMinute(1), rs, ratelimit.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	perIP, err := ratelimit.NewRequestLimit(lim, ratelimit.ByIP())
	if err != nil {
		t.Fatal(err)
	}
	g, err := guard.New(guard.WithTokens(iss), guard.WithRateLimit(perIP), guard.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	send := func() int {
		pair, err := iss.IssuePair(context.Background(), Subject{ID: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "https://app.example/", nil)
		r.RemoteAddr = "198.51.100.7:1234" // a bucket of the test's own
		r.Header.Set("Authorization", "Bearer "+pair.AccessToken)
		_, d := g.Before(guard.HTTPExchange{W: httptest.NewRecorder(), R: r})
		if d != nil {
			return d.Status
		}
		return http.StatusOK
	}
	if got := send(); got != http.StatusOK || iss.cache.len() != 1 {
		t.Fatalf("first request: %d with %d cached tokens, want 200 and the token cached", got, iss.cache.len())
	}
	if got := send(); got != http.StatusTooManyRequests || iss.cache.len() != 1 {
		t.Fatalf("second request: %d with %d cached tokens, want 429 and its token never verified", got, iss.cache.len())
	}
}
