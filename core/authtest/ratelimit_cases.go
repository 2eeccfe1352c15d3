package authtest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/ratelimit"
	rlredis "github.com/authkit-go/authkit/core/ratelimit/redisstore"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/token"
)

// rateLimitStores are the stores every rate-limit case runs on, each
// reading the case's clock, so the header fields' numbers are exact.
var rateLimitStores = []struct {
	name string
	new  func(t *testing.T, now func() time.Time) ratelimit.Store
}{
	{"memory", func(t *testing.T, now func() time.Time) ratelimit.Store {
		s, err := ratelimit.NewMemoryStore(ratelimit.WithClock(now))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
	{"redis", func(t *testing.T, now func() time.Time) ratelimit.Store {
		s, err := rlredis.New(redistest.Client(t), rlredis.WithPrefix(redistest.Prefix(t)), rlredis.WithClock(now))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

// NewRequestLimit returns a RequestLimit charging one unit per request to a
// limiter named name applying l in store (a fresh memory store when nil),
// by key, with its audit events discarded.
func NewRequestLimit(tb testing.TB, name string, l ratelimit.Limit, store ratelimit.Store, key ratelimit.KeyFunc, opts ...ratelimit.RequestOption) *ratelimit.RequestLimit {
	tb.Helper()
	if store == nil {
		ms, err := ratelimit.NewMemoryStore()
		if err != nil {
			tb.Fatal(err)
		}
		store = ms
	}
	lim, err := ratelimit.New(name, l, store, ratelimit.WithAudit(audit.Discard))
	if err != nil {
		tb.Fatal(err)
	}
	rl, err := ratelimit.NewRequestLimit(lim, key, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return rl
}

// rateLimitRoutes: POST /login (limited per IP at the guard's step) and
// GET /open (not limited).
func rateLimitRoutes() []Route {
	return []Route{
		{Method: http.MethodPost, Path: "/login", Handle: fixed(http.StatusOK, "in")},
		{Method: http.MethodGet, Path: "/open", Handle: fixed(http.StatusOK, "open")},
	}
}

// runRateLimitCases checks the guard's rate-limit step and rate-limit
// rules through every adapter, on memory and on Redis: the RateLimit
// fields on admitted answers the handler wrote, the 429's shape, the
// client address from the guard's proxy logic only, the limit before the
// origin check, and a per-user limit through Require.
func runRateLimitCases(t *testing.T, f Factory) {
	for _, st := range rateLimitStores {
		t.Run(st.name, func(t *testing.T) {
			t.Run("admitted answers carry the fields, the refusal is a 429", func(t *testing.T) {
				clock := NewClock()
				perIP := NewRequestLimit(t, "ip", ratelimit.PerMinute(2), st.new(t, clock.Now), ratelimit.ByIP(), ratelimit.OnRoutes("POST /login"))
				app := f(t, []guard.Option{guard.WithAudit(audit.Discard), guard.WithRateLimit(perIP)}, rateLimitRoutes())
				for i, want := range []string{`"ip";r=1;t=30`, `"ip";r=0;t=60`} {
					resp, body := do(t, app, httptest.NewRequest("POST", "/login", nil))
					if resp.StatusCode != 200 || body != "in" {
						t.Fatalf("request %d: %d %q, want the handler's 200", i+1, resp.StatusCode, body)
					}
					checkFields(t, resp.Header, `"ip";q=2;w=60`, want, "")
				}
				clock.Advance(10 * time.Second)
				resp, body := do(t, app, httptest.NewRequest("POST", "/login", nil))
				checkTooManyRequests(t, resp, body)
				checkFields(t, resp.Header, `"ip";q=2;w=60`, `"ip";r=0;t=20`, "20")
				resp, _ = do(t, app, httptest.NewRequest("GET", "/open", nil))
				if resp.StatusCode != 200 || resp.Header.Get("RateLimit") != "" || resp.Header.Get("RateLimit-Policy") != "" {
					t.Errorf("a route the limit does not cover: %d, fields %q %q; want 200 without", resp.StatusCode, resp.Header.Get("RateLimit-Policy"), resp.Header.Get("RateLimit"))
				}
				clock.Advance(20 * time.Second)
				if resp, _ := do(t, app, httptest.NewRequest("POST", "/login", nil)); resp.StatusCode != 200 {
					t.Errorf("after Retry-After: %d, want 200", resp.StatusCode)
				}
			})

			t.Run("spoofed forwarding headers from an untrusted peer change no bucket", func(t *testing.T) {
				perIP := NewRequestLimit(t, "ip", ratelimit.PerMinute(1), st.new(t, NewClock().Now), ratelimit.ByIP())
				// A documentation prefix no harness reports as the peer.
				app := f(t, []guard.Option{guard.WithAudit(audit.Discard), guard.WithRateLimit(perIP), guard.WithTrustedProxies("2001:db8::dead/128")}, rateLimitRoutes())
				if resp, _ := do(t, app, httptest.NewRequest("POST", "/login", nil)); resp.StatusCode != 200 {
					t.Fatalf("first request: %d", resp.StatusCode)
				}
				for i, spoof := range []map[string]string{
					{"X-Forwarded-For": "198.51.100.1"},
					{"X-Forwarded-For": "198.51.100.2, 198.51.100.3"},
					{"Forwarded": "for=198.51.100.4"},
					{"X-Real-IP": "198.51.100.5"},
				} {
					req := httptest.NewRequest("POST", "/login", nil)
					for k, v := range spoof {
						req.Header.Set(k, v)
					}
					if resp, _ := do(t, app, req); resp.StatusCode != http.StatusTooManyRequests {
						t.Errorf("spoof %d %v: %d, want 429 (the peer's bucket)", i+1, spoof, resp.StatusCode)
					}
				}
			})

			t.Run("through a trusted proxy each client has its bucket", func(t *testing.T) {
				peer := proxyIP(t, f, nil, nil)
				perIP := NewRequestLimit(t, "ip", ratelimit.PerMinute(1), st.new(t, NewClock().Now), ratelimit.ByIP())
				app := f(t, []guard.Option{guard.WithAudit(audit.Discard), guard.WithRateLimit(perIP), guard.WithTrustedProxies(peer)}, rateLimitRoutes())
				send := func(client string) int {
					req := httptest.NewRequest("POST", "/login", nil)
					req.Header.Set("X-Forwarded-For", client)
					resp, _ := do(t, app, req)
					return resp.StatusCode
				}
				if a, b, a2 := send("198.51.100.1"), send("198.51.100.2"), send("198.51.100.1"); a != 200 || b != 200 || a2 != http.StatusTooManyRequests {
					t.Errorf("client 1, client 2, client 1 again: %d %d %d; want 200 200 429", a, b, a2)
				}
			})

			t.Run("the limit runs before the origin check", func(t *testing.T) {
				mgr, err := session.New(session.WithAudit(audit.Discard))
				if err != nil {
					t.Fatal(err)
				}
				perIP := NewRequestLimit(t, "ip", ratelimit.PerMinute(2), st.new(t, NewClock().Now), ratelimit.ByIP())
				app := f(t, []guard.Option{guard.WithAudit(audit.Discard), guard.WithSessions(mgr), guard.WithRateLimit(perIP)}, rateLimitRoutes())
				crossSite := func() *http.Request {
					req := httptest.NewRequest("POST", "/login", nil)
					req.Header.Set("Sec-Fetch-Site", "cross-site")
					return req
				}
				for i := range 2 {
					resp, _ := do(t, app, crossSite())
					if resp.StatusCode != http.StatusForbidden || resp.Header.Get("RateLimit") == "" {
						t.Fatalf("cross-site request %d: %d, RateLimit %q; want 403 after being charged", i+1, resp.StatusCode, resp.Header.Get("RateLimit"))
					}
				}
				resp, body := do(t, app, crossSite())
				checkTooManyRequests(t, resp, body)
				if resp, _ := do(t, app, httptest.NewRequest("POST", "/login", nil)); resp.StatusCode != http.StatusTooManyRequests {
					t.Errorf("same-origin request after the cross-site ones: %d, want 429", resp.StatusCode)
				}
			})

			t.Run("a per-user limit through Require", func(t *testing.T) {
				clock := NewClock()
				store := st.new(t, clock.Now)
				perIP := NewRequestLimit(t, "ip", ratelimit.PerMinute(100), store, ratelimit.ByIP())
				perUser := NewRequestLimit(t, "user", ratelimit.PerMinute(1), store, ratelimit.ByUser())
				iss := NewIssuer(t, token.HS256, clock.Now)
				opts := []guard.Option{guard.WithAudit(audit.Discard), guard.WithTokens(iss), guard.WithRateLimit(perIP)}
				g, err := guard.New(opts...)
				if err != nil {
					t.Fatal(err)
				}
				app := f(t, opts, []Route{{Method: "GET", Path: "/export", Rules: []guard.Rule{guard.Authenticated(), guard.RateLimit(g, perUser)}, Handle: fixed(200, "data")}})
				bearer := func(sub string) *http.Request {
					pair, err := iss.IssuePair(context.Background(), token.Subject{ID: sub})
					if err != nil {
						t.Fatal(err)
					}
					req := httptest.NewRequest("GET", "/export", nil)
					req.Header.Set("Authorization", "Bearer "+pair.AccessToken)
					return req
				}
				resp, body := do(t, app, bearer("alice"))
				if resp.StatusCode != 200 || body != "data" {
					t.Fatalf("alice: %d %q", resp.StatusCode, body)
				}
				checkFields(t, resp.Header, `"ip";q=100;w=60, "user";q=1;w=60`, `"user";r=0;t=60`, "")
				resp, body = do(t, app, bearer("alice"))
				checkTooManyRequests(t, resp, body)
				checkFields(t, resp.Header, `"ip";q=100;w=60, "user";q=1;w=60`, `"user";r=0;t=60`, "60")
				if resp, _ := do(t, app, bearer("bob")); resp.StatusCode != 200 {
					t.Errorf("bob: %d, want his own bucket", resp.StatusCode)
				}
				if resp, _ := do(t, app, httptest.NewRequest("GET", "/export", nil)); resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("anonymous: %d, want 401 from Authenticated", resp.StatusCode)
				}
			})
		})
	}
}

// checkFields checks the RateLimit-Policy, RateLimit and Retry-After
// fields ("" for absent), one field line each.
func checkFields(t *testing.T, h http.Header, policy, rateLimit, retryAfter string) {
	t.Helper()
	for name, want := range map[string]string{"RateLimit-Policy": policy, "RateLimit": rateLimit, "Retry-After": retryAfter} {
		got := h.Values(name)
		if want == "" && len(got) != 0 || want != "" && (len(got) != 1 || got[0] != want) {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// checkTooManyRequests checks a 429's shape: problem+json, no-store, the
// security headers.
func checkTooManyRequests(t *testing.T, resp *http.Response, body string) {
	t.Helper()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %d %q, want 429", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != guard.ProblemContentType {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("a 429 without the security headers: %v", resp.Header)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(body), &p); err != nil || p["type"] != guard.TypeTooManyRequests || p["status"] != float64(429) || p["title"] != "Too Many Requests" {
		t.Errorf("body %s, want a too-many-requests problem (%v)", body, err)
	}
}
