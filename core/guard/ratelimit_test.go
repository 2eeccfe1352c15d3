package guard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/port"
	"github.com/authkit-go/authkit/core/ratelimit"
)

// before runs g's protections and the route rules on r as an adapter does,
// and returns the recorder with the status written.
func before(g *guard.Guard, r *http.Request, rules ...guard.Rule) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	x := guard.HTTPExchange{W: w, R: r}
	ctx, d := g.Before(x)
	if d == nil {
		x.R = r.WithContext(ctx)
		d = guard.Authorize(x, rules...)
	}
	if d != nil {
		w.WriteHeader(d.Status)
		_, _ = w.Write(d.Body)
		return w
	}
	w.WriteHeader(http.StatusOK)
	return w
}

// TestRateLimitStepOrder: the rate-limit step runs after the security
// headers and before the origin check and the bearer token: a cross-origin
// request is charged, and once the bucket is empty it is a 429 (with the
// security headers), not a 403; a refused request's token is never
// verified.
func TestRateLimitStepOrder(t *testing.T) {
	var verified atomic.Int64
	tokens := guard.AuthenticatorFunc(func(context.Context, string) (guard.Principal, error) {
		verified.Add(1)
		return guard.Principal{Subject: "alice", Via: guard.ViaToken}, nil
	})
	perIP := authtest.NewRequestLimit(t, "ip", ratelimit.PerMinute(2), nil, ratelimit.ByIP(), ratelimit.OnRoutes("POST /login"))
	g := newBenchGuard(t, guard.WithTokenCookie("tok"), guard.WithTokens(tokens), guard.WithRateLimit(perIP))
	login := func(crossSite bool) *http.Request {
		r := httptest.NewRequest("POST", "/login", nil)
		if crossSite {
			r.Header.Set("Sec-Fetch-Site", "cross-site")
		}
		return r
	}
	for i := range 2 {
		w := before(g, login(true))
		if w.Code != http.StatusForbidden {
			t.Fatalf("cross-site request %d: %d, want 403 from the origin check", i+1, w.Code)
		}
		if w.Header().Get("RateLimit") == "" {
			t.Errorf("cross-site request %d: no RateLimit field: it was not charged first", i+1)
		}
	}
	for _, crossSite := range []bool{false, true} {
		w := before(g, login(crossSite))
		if w.Code != http.StatusTooManyRequests {
			t.Fatalf("request after the bucket emptied (cross-site %v): %d %s, want 429", crossSite, w.Code, w.Body)
		}
		checkTooMany(t, w, `"ip";q=2;w=60`, `"ip";r=0;t=30`, "30")
	}
	r := login(false)
	r.Header.Set("Authorization", "Bearer abc")
	if w := before(g, r); w.Code != http.StatusTooManyRequests || verified.Load() != 0 {
		t.Errorf("refused request with a bearer token: %d, token verified %d times; want 429 and never", w.Code, verified.Load())
	}
	if w := before(g, httptest.NewRequest("GET", "/me", nil)); w.Code != http.StatusOK || w.Header().Get("RateLimit") != "" {
		t.Errorf("a route the limit does not cover: %d, RateLimit %q; want 200 without fields", w.Code, w.Header().Get("RateLimit"))
	}
}

// checkTooMany checks a 429's shape: problem+json, no-store, the security
// headers, Retry-After and the RateLimit fields.
func checkTooMany(t *testing.T, w *httptest.ResponseRecorder, policy, rateLimit, retryAfter string) {
	t.Helper()
	h := w.Header()
	for name, want := range map[string]string{
		"Content-Type":     guard.ProblemContentType,
		"Cache-Control":    "no-store",
		"Retry-After":      retryAfter,
		"RateLimit-Policy": policy,
		"RateLimit":        rateLimit,
	} {
		if got := h.Values(name); len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want exactly %q", name, got, want)
		}
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") == "" {
		t.Errorf("a 429 without the security headers: %v", h)
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["type"] != guard.TypeTooManyRequests || body["status"] != float64(429) {
		t.Errorf("body %s, want a too-many-requests problem (%v)", w.Body, err)
	}
}

// TestRateLimitStepClientAddress: the step keys by ClientIP: a forwarding
// header from a peer that is not a trusted proxy changes no bucket; from a
// trusted proxy, only the configured header counts.
func TestRateLimitStepClientAddress(t *testing.T) {
	store, err := ratelimit.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	newGuard := func(opts ...guard.Option) *guard.Guard {
		rl := authtest.NewRequestLimit(t, "ip", ratelimit.PerMinute(1), store, ratelimit.ByIP())
		return newBenchGuard(t, append(opts, guard.WithRateLimit(rl))...)
	}
	req := func(peer string, header ...string) *http.Request {
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = peer
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Add(header[i], header[i+1])
		}
		return r
	}
	direct := newGuard()
	if w := before(direct, req("192.0.2.10:1111")); w.Code != 200 {
		t.Fatalf("first request: %d", w.Code)
	}
	for _, spoof := range [][]string{
		{"X-Forwarded-For", "198.51.100.1"},
		{"Forwarded", "for=198.51.100.2"},
		{"X-Real-IP", "198.51.100.3"},
		{"X-Forwarded-For", "198.51.100.4", "X-Forwarded-For", "198.51.100.5"},
	} {
		if w := before(direct, req("192.0.2.10:2222", spoof...)); w.Code != http.StatusTooManyRequests {
			t.Errorf("untrusted peer spoofing %q: %d, want 429 (its own bucket, already empty)", spoof, w.Code)
		}
	}

	proxied := newGuard(guard.WithTrustedProxies("192.0.2.99"), guard.WithForwardedHeader(guard.Forwarded))
	if w := before(proxied, req("192.0.2.99:1", "Forwarded", "for=203.0.113.1")); w.Code != 200 {
		t.Fatalf("first client through the proxy: %d", w.Code)
	}
	if w := before(proxied, req("192.0.2.99:2", "Forwarded", "for=203.0.113.2")); w.Code != 200 {
		t.Errorf("second client through the proxy: %d, want its own bucket", w.Code)
	}
	if w := before(proxied, req("192.0.2.99:3", "Forwarded", "for=203.0.113.1", "X-Forwarded-For", "203.0.113.77")); w.Code != http.StatusTooManyRequests {
		t.Errorf("first client again, with an X-Forwarded-For the guard does not read: %d, want 429", w.Code)
	}
}

// TestRateLimitRule: guard.RateLimit counts by user after authentication
// and reports the step's policy and its own together; anonymous requests
// are not charged to anybody.
func TestRateLimitRule(t *testing.T) {
	store, err := ratelimit.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	perIP := authtest.NewRequestLimit(t, "ip", ratelimit.PerMinute(100), store, ratelimit.ByIP())
	perUser := authtest.NewRequestLimit(t, "user", ratelimit.PerMinute(2), store, ratelimit.ByUser())
	tokens := guard.AuthenticatorFunc(func(_ context.Context, raw string) (guard.Principal, error) {
		return guard.Principal{Subject: raw, Via: guard.ViaToken}, nil
	})
	g := newBenchGuard(t, guard.WithTokens(tokens), guard.WithRateLimit(perIP))
	rules := []guard.Rule{guard.Authenticated(), guard.RateLimit(g, perUser)}
	as := func(user string) *http.Request {
		r := httptest.NewRequest("GET", "/export", nil)
		if user != "" {
			r.Header.Set("Authorization", "Bearer "+user)
		}
		return r
	}
	for i, want := range []string{`"user";r=1;t=30`, `"user";r=0;t=60`} {
		w := before(g, as("alice"), rules...)
		if w.Code != 200 || w.Header().Get("RateLimit-Policy") != `"ip";q=100;w=60, "user";q=2;w=60` || w.Header().Get("RateLimit") != want {
			t.Fatalf("alice %d: %d, RateLimit-Policy %q, RateLimit %q; want 200, both policies, %s", i+1, w.Code, w.Header().Get("RateLimit-Policy"), w.Header().Get("RateLimit"), want)
		}
	}
	w := before(g, as("alice"), rules...)
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("alice 3: %d, want 429", w.Code)
	}
	checkTooMany(t, w, `"ip";q=100;w=60, "user";q=2;w=60`, `"user";r=0;t=30`, "30")
	if w := before(g, as("bob"), rules...); w.Code != 200 {
		t.Errorf("bob: %d, want his own bucket", w.Code)
	}
	if w := before(g, as(""), guard.RateLimit(g, perUser)); w.Code != 200 {
		t.Errorf("anonymous without Authenticated: %d, want 200 (ByUser leaves it out)", w.Code)
	}
	if w := before(g, as("carol"), guard.RateLimit(nil, perUser)); w.Code != 200 {
		t.Errorf("a rule without a guard: %d, want it to work on the peer address", w.Code)
	}
	if w := before(g, as("carol"), guard.RateLimit(g, nil)); w.Code != http.StatusInternalServerError {
		t.Errorf("a rule without a limiter: %d, want 500", w.Code)
	}
}

// downStore is a rate-limit store whose backend is unreachable.
type downStore struct{}

func (downStore) Take(context.Context, []ratelimit.Request, []ratelimit.Result) error {
	return errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
}

// TestRateLimitStoreDown: a limiter that fails closed makes the step and
// the rule answer 503, not 429 and never 200.
func TestRateLimitStoreDown(t *testing.T) {
	rl := authtest.NewRequestLimit(t, "ip", ratelimit.PerMinute(5), downStore{}, ratelimit.ByIP())
	g := newBenchGuard(t, guard.WithRateLimit(rl))
	w := before(g, httptest.NewRequest("POST", "/login", nil))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "" {
		t.Errorf("step with the store down: %d, Retry-After %q; want 503 without", w.Code, w.Header().Get("Retry-After"))
	}
	w = before(newBenchGuard(t), httptest.NewRequest("POST", "/login", nil), guard.RateLimit(g, rl))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("rule with the store down: %d, want 503", w.Code)
	}
}

func TestWithRateLimitRejectsNil(t *testing.T) {
	ok := authtest.NewRequestLimit(t, "ip", ratelimit.PerMinute(5), nil, ratelimit.ByIP())
	for _, opt := range []guard.Option{guard.WithRateLimit(nil), guard.WithRateLimit(ok, port.RequestLimiter(nil))} {
		if _, err := guard.New(opt); !errors.Is(err, authkit.ErrInvalidConfig) {
			t.Errorf("a nil limiter: %v, want ErrInvalidConfig", err)
		}
	}
}

// Limit sign-in attempts per client address before anything else runs:
// the third request within the minute is a 429 with Retry-After.
func ExampleWithRateLimit() {
	stopped := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) // a clock that stands still, for the output
	store, err := ratelimit.NewMemoryStore(ratelimit.WithClock(func() time.Time { return stopped }))
	if err != nil {
		panic(err)
	}
	perIP, err := ratelimit.New("ip", ratelimit.PerMinute(2), store, ratelimit.WithAudit(audit.Discard))
	if err != nil {
		panic(err)
	}
	signIn, err := ratelimit.NewRequestLimit(perIP, ratelimit.ByIP(), ratelimit.OnRoutes("POST /login"))
	if err != nil {
		panic(err)
	}
	g, err := guard.New(guard.WithRateLimit(signIn))
	if err != nil {
		panic(err)
	}
	for range 3 {
		rec := httptest.NewRecorder()
		_, denial := g.Before(guard.HTTPExchange{W: rec, R: httptest.NewRequest("POST", "/login", nil)})
		if denial != nil {
			guard.WriteDenial(rec, denial)
			fmt.Println(rec.Code, "Retry-After:", rec.Header().Get("Retry-After"))
			continue
		}
		fmt.Println("admitted,", rec.Header().Get("RateLimit-Policy"))
	}
	// Output:
	// admitted, "ip";q=2;w=60
	// admitted, "ip";q=2;w=60
	// 429 Retry-After: 30
}
