package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/audit/audittest"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/ratelimit"
)

func TestParseRateFlags(t *testing.T) {
	getenv := func(string) string { return "" }
	cfg, err := ParseFlags("t", nil, io.Discard, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RateIP != DefaultRateIP || cfg.RateLogin != DefaultRateLogin {
		t.Fatalf("defaults: -rate-ip %d, -rate-login %d; want %d, %d", cfg.RateIP, cfg.RateLogin, DefaultRateIP, DefaultRateLogin)
	}
	if DefaultRateIP > 60 || DefaultRateLogin != 5 {
		t.Fatalf("DefaultRateIP %d must be at most 60 and DefaultRateLogin %d 5 (REFERENCE-API.md)", DefaultRateIP, DefaultRateLogin)
	}
	cfg, err = ParseFlags("t", []string{"-rate-ip", "7", "-rate-login", "1000000"}, io.Discard, getenv)
	if err != nil || cfg.RateIP != 7 || cfg.RateLogin != 1000000 {
		t.Fatalf("-rate-ip 7 -rate-login 1000000: %+v, %v", cfg, err)
	}
	for _, args := range [][]string{
		{"-rate-ip", "0"}, {"-rate-ip", "-1"}, {"-rate-login", "0"}, {"-rate-login", "x"}, {"-rate-ip", "100000001"},
	} {
		if _, err := ParseFlags("t", args, io.Discard, getenv); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// rateServer is a testServer behind a trusted proxy at httptest's peer
// address, so that each request names its client in X-Forwarded-For, with
// the rate limits on a clock the test moves.
type rateServer struct {
	*testServer
	clock *authtest.Clock
}

func newRateServer(t *testing.T, cfg Config) *rateServer {
	t.Helper()
	clock := authtest.NewClock()
	cfg.RateLimitClock = clock.Now
	cfg.GuardOptions = append(cfg.GuardOptions, guard.WithTrustedProxies("192.0.2.1")) // httptest.NewRequest's peer
	return &rateServer{testServer: newTestServer(t, cfg), clock: clock}
}

// from sends a request as client ip.
func (s *rateServer) from(ip, method, path, body string, header ...string) (*http.Response, string) {
	s.t.Helper()
	h := map[string]string{"X-Forwarded-For": ip}
	for i := 0; i+1 < len(header); i += 2 {
		h[header[i]] = header[i+1]
	}
	resp := s.call(method, path, body, h)
	return resp, readAll(s.t, resp)
}

func loginBody(name, pw string) string {
	b, _ := json.Marshal(map[string]string{"username": name, "password": pw})
	return string(b)
}

// wantFields checks the RateLimit-Policy, RateLimit and Retry-After fields
// of an answer ("" for absent).
func wantFields(t *testing.T, what string, h http.Header, policy, rateLimit, retryAfter string) {
	t.Helper()
	for name, want := range map[string]string{"RateLimit-Policy": policy, "RateLimit": rateLimit, "Retry-After": retryAfter} {
		if got := h.Values(name); want == "" && len(got) != 0 || want != "" && (len(got) != 1 || got[0] != want) {
			t.Errorf("%s: %s = %q, want %q", what, name, got, want)
		}
	}
}

// TestRateLimitPerIP: the six endpoints share one bucket per client IP,
// charged for every request that reaches the guard's step (400 and 415
// included, and a route that does not exist yet), with the fields on
// every answer; other endpoints are not limited; each client has its own
// bucket.
func TestRateLimitPerIP(t *testing.T) {
	s := newRateServer(t, Config{RateIP: 6})
	const ip = "198.51.100.7"
	steps := []struct {
		method, path, body, ct string
		status                 int
	}{
		{"POST", "/register", loginBody("alice", testPass), "", 201},
		{"POST", "/login", `{}`, "", 400},
		{"POST", "/login", loginBody("alice", testPass), "text/plain", 415},
		{"POST", "/token/refresh", `{"refresh_token":"nope"}`, "", 401},
		{"POST", "/login/mfa", `{"mfa_token":"x","otp":"123456"}`, "", 401},
		{"POST", "/mfa/confirm", `{"code":"123456"}`, "", 401},
	}
	for i, st := range steps {
		var hdr []string
		if st.ct != "" {
			hdr = []string{"Content-Type", st.ct}
		}
		resp, body := s.from(ip, st.method, st.path, st.body, hdr...)
		if resp.StatusCode != st.status {
			t.Fatalf("%s %s: %d %s, want %d", st.method, st.path, resp.StatusCode, body, st.status)
		}
		wantFields(t, st.path, resp.Header, `"ip";q=6;w=60`, fmt.Sprintf(`"ip";r=%d;t=%d`, 5-i, 10*(i+1)), "")
	}
	for _, path := range []string{"/password/forgot", "/login", "/register"} {
		resp, body := s.from(ip, "POST", path, loginBody("alice", testPass))
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, `"type":"urn:authkit:problem:too-many-requests"`) ||
			resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("POST %s with the bucket empty: %d %s, want a 429 problem", path, resp.StatusCode, body)
		}
		wantFields(t, path, resp.Header, `"ip";q=6;w=60`, `"ip";r=0;t=10`, "10")
	}
	for _, q := range []struct{ method, path string }{{"GET", "/healthz"}, {"POST", "/logout"}, {"GET", "/me"}} {
		resp, _ := s.from(ip, q.method, q.path, "")
		if resp.StatusCode == http.StatusTooManyRequests || resp.Header.Get("RateLimit") != "" {
			t.Errorf("%s %s: %d, RateLimit %q; it is not a limited endpoint", q.method, q.path, resp.StatusCode, resp.Header.Get("RateLimit"))
		}
	}
	if resp, _ := s.from("198.51.100.8", "POST", "/login", `{}`); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("another client: %d, want its own bucket (400)", resp.StatusCode)
	}
	s.clock.Advance(10 * time.Second)
	if resp, _ := s.from(ip, "POST", "/login", `{}`); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("after Retry-After: %d, want the request through (400)", resp.StatusCode)
	}
}

// TestRateLimitFlowsPerIP: the endpoints that redeem a mailed token and
// the one that ends a device's session share a second bucket per client
// IP, of -rate-ip's size, apart from the sign-in bucket: hammering them
// answers 429, and it costs no sign-in attempt.
func TestRateLimitFlowsPerIP(t *testing.T) {
	s := newRateServer(t, Config{RateIP: 3})
	const ip = "198.51.100.9"
	for i, path := range []string{"/password/reset", "/email/verify", "/sessions/revoke"} {
		resp, body := s.from(ip, "POST", path, `{}`)
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, body)
		}
		wantFields(t, path, resp.Header, `"flows";q=3;w=60`, fmt.Sprintf(`"flows";r=%d;t=%d`, 2-i, 20*(i+1)), "")
	}
	for _, route := range FlowLimitedRoutes {
		method, path, _ := strings.Cut(route, " ")
		resp, body := s.from(ip, method, path, `{}`)
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, `"type":"urn:authkit:problem:too-many-requests"`) {
			t.Fatalf("POST %s with the bucket empty: %d %s, want a 429 problem", path, resp.StatusCode, body)
		}
		wantFields(t, path, resp.Header, `"flows";q=3;w=60`, `"flows";r=0;t=20`, "20")
	}
	// The sign-in bucket is untouched.
	resp, body := s.from(ip, "POST", "/login", `{}`)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("POST /login after the flows bucket ran dry: %d %s, want 400", resp.StatusCode, body)
	}
	wantFields(t, "/login", resp.Header, `"ip";q=3;w=60`, `"ip";r=2;t=20`, "")
}

// TestSignInThrottle: attempts are limited per account, whatever the
// spelling of the name and whether the account exists, and a stranger
// cannot lock the owner out: a client network that signed in before still
// gets in with the right password while everyone else waits.
func TestSignInThrottle(t *testing.T) {
	sink := &audittest.Recorder{}
	s := newRateServer(t, Config{RateLogin: 2, Audit: sink})
	s.register("alice", testPass)
	const owner, stranger, ownerNew = "198.51.100.1", "203.0.113.9", "198.51.100.77"
	both := `"ip";q=100000000;w=60, "account";q=2;w=60`

	resp, body := s.from(owner, "POST", "/login", loginBody("alice", testPass))
	if resp.StatusCode != 200 {
		t.Fatalf("owner's sign-in: %d %s", resp.StatusCode, body)
	}
	// Every attempt costs a unit, a success too (the example's costs are
	// 1 and 1).
	wantFields(t, "owner's sign-in", resp.Header, both, `"account";r=1;t=30`, "")
	resp, _ = s.from(stranger, "POST", "/login", loginBody("alice", "Wrong-Horse-42"))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("stranger's first guess: %d", resp.StatusCode)
	}
	wantFields(t, "stranger's first guess", resp.Header, both, `"account";r=0;t=60`, "")
	var refused []string
	for _, name := range []string{"alice", "Alice", "ALICE", "ａｌｉｃｅ", "alice "} {
		for _, pw := range []string{"Wrong-Horse-44", testPass} {
			resp, body := s.from(stranger, "POST", "/login", loginBody(name, pw))
			if resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("stranger as %q with password %q after the bucket emptied: %d %s, want 429", name, pw, resp.StatusCode, body)
			}
			wantFields(t, "stranger refused", resp.Header, both, `"account";r=0;t=30`, "30")
			refused = append(refused, body)
		}
	}
	// A name without an account is refused alike: a 429 tells nothing.
	s.from(stranger, "POST", "/login", loginBody("nobody", "x"))
	s.from(stranger, "POST", "/login", loginBody("nobody", "x"))
	resp, body = s.from(stranger, "POST", "/login", loginBody("nobody", "x"))
	if resp.StatusCode != http.StatusTooManyRequests || body != refused[0] {
		t.Errorf("unknown name after two attempts: %d %s, want the same 429 as for alice: %s", resp.StatusCode, body, refused[0])
	}
	wantFields(t, "unknown name refused", resp.Header, both, `"account";r=0;t=30`, "30")

	if resp, body := s.from(ownerNew, "POST", "/login", loginBody("alice", testPass)); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("owner from a network that never signed in: %d %s, want 429 (waits like everyone)", resp.StatusCode, body)
	}
	resp, body = s.from(owner, "POST", "/login", loginBody("alice", testPass))
	if resp.StatusCode != 200 {
		t.Fatalf("owner from the network that signed in before, under attack: %d %s, want 200", resp.StatusCode, body)
	}
	// The known client's own bucket admitted it, and the fields say so.
	wantFields(t, "owner under attack", resp.Header, `"ip";q=100000000;w=60, "known-client";q=2;w=60`, `"known-client";r=1;t=30`, "")

	s.clock.Advance(30 * time.Second)
	if resp, _ := s.from(ownerNew, "POST", "/login", loginBody("alice", testPass)); resp.StatusCode != 200 {
		t.Errorf("30 s later from the new network: %d, want 200", resp.StatusCode)
	}

	s.app.Close() // flushes the coalesced events
	var hits []audit.Event
	for _, e := range sink.Of(audit.RateLimitHit) {
		if e.Limit == ratelimit.PolicyAccount {
			hits = append(hits, e)
		}
	}
	if len(hits) != 2 || hits[0].Count+hits[1].Count != 12 {
		t.Fatalf("account hits %+v, want one coalesced event per account (alice 11, nobody 1)", hits)
	}
	if hits[0].Count != 11 && hits[1].Count != 11 {
		t.Errorf("account hits %+v, want alice's 11 refusals in one event", hits)
	}
	for _, e := range hits {
		if !strings.HasPrefix(e.Key, "account:") || strings.Contains(strings.ToLower(e.Key), "alice") || strings.Contains(e.Key, "nobody") {
			t.Errorf("event key %q: want account: and a keyed hash, never the name", e.Key)
		}
	}
}

// TestSignInThrottleMFA: /login/mfa charges the account of its
// mfa_token, on the same budget as /login, and reports it.
func TestSignInThrottleMFA(t *testing.T) {
	s := newMFAServer(t, Config{RateLogin: 5, RateLimitClock: authtest.NewClock().Now})
	s.register("alice", testPass)
	_, ses := s.signIn("alice", nil)
	secret, _, _ := s.enrol(ses)
	pw := map[string]string{"username": "alice", "password": testPass}
	// The sign-in and the enrolment's password check (a re-authentication,
	// on the same budget) have spent two units.
	a := s.send("POST", "/login", pw, cred{})
	tok := mfaRequired(t, "login", a)
	wantFields(t, "login, a code due", a.header, `"ip";q=100000000;w=60, "account";q=5;w=60`, `"account";r=2;t=36`, "")
	a = s.send("POST", "/login/mfa", map[string]string{"mfa_token": tok, "otp": "000000"}, cred{})
	tok = mfaRequired(t, "a wrong code", a)
	wantFields(t, "a wrong code", a.header, `"ip";q=100000000;w=60, "account";q=5;w=60`, `"account";r=1;t=48`, "")
	a = s.expect("the right code", s.send("POST", "/login/mfa", map[string]string{"mfa_token": tok, "otp": s.code(secret, 0)}, cred{}), 200)
	wantFields(t, "the right code", a.header, `"ip";q=100000000;w=60, "account";q=5;w=60`, `"account";r=0;t=60`, "")
}

// TestRateLimitsFailClosed: with Redis down, the limited endpoints answer
// 503 before anything else (a malformed body too, which needs no store),
// the sign-in throttle does too, and the others are not limited.
func TestRateLimitsFailClosed(t *testing.T) {
	srv := redistest.StartServer(t)
	s := newTestServer(t, Config{RedisURL: "redis://" + srv.Addr() + "/0?dial_timeout=200ms&max_retries=-1", RedisPrefix: "t:"})
	s.register("alice", testPass)
	srv.Stop()
	for _, path := range []string{"/login", "/register", "/token/refresh", "/login/mfa", "/mfa/confirm", "/password/forgot"} {
		resp := s.call("POST", path, `{}`, nil)
		if body := readAll(t, resp); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"type":"urn:authkit:problem:unavailable"`) {
			t.Errorf("POST %s with Redis down: %d %s, want 503 (fail closed)", path, resp.StatusCode, body)
		}
	}
	if resp := s.call("GET", "/healthz", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz with Redis down: %d, want 200 (not limited)", resp.StatusCode)
	}
	at, refused := s.app.throttleSignIn(Request{Ctx: t.Context(), ClientIP: "198.51.100.1"}, "alice")
	if at != nil || refused == nil || refused.Status != http.StatusServiceUnavailable {
		t.Errorf("sign-in throttle with Redis down: %v, %+v; want a 503", at, refused)
	}
}

// TestRateLimitsSharedOnRedis: two servers on one Redis and prefix share
// the IP bucket and the account buckets.
func TestRateLimitsSharedOnRedis(t *testing.T) {
	_, prefix := testRedis(t)
	cfg := Config{RedisURL: redistest.URL(), RedisPrefix: prefix, RateIP: 3, RateLogin: 2}
	one, two := newTestServer(t, cfg), newTestServer(t, cfg)
	for i, s := range []*testServer{one, two, one} {
		if resp := s.call("POST", "/login", `{}`, nil); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("request %d: %d, want 400", i+1, resp.StatusCode)
		}
	}
	if resp := two.call("POST", "/login", `{}`, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("fourth request, on the second server: %d, want 429 (one bucket)", resp.StatusCode)
	}

	cfg = Config{RedisURL: redistest.URL(), RedisPrefix: prefix + "acct:", RateLogin: 2}
	one, two = newTestServer(t, cfg), newTestServer(t, cfg)
	one.call("POST", "/login", loginBody("carol", "x"), nil)
	two.call("POST", "/login", loginBody("Carol", "x"), nil)
	if resp := one.call("POST", "/login", loginBody("CAROL", "x"), nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("third attempt for carol across two servers: %d, want 429", resp.StatusCode)
	}
}

func TestNewRefusesBadRateLimits(t *testing.T) {
	for _, cfg := range []Config{{RateIP: -1}, {RateLogin: -5}, {RateIP: maxRate + 1}} {
		cfg.DevFastHash, cfg.Audit = true, audit.Discard
		if a, err := New(cfg); err == nil {
			a.Close()
			t.Errorf("New(%+v) accepted the limits", cfg)
		}
	}
}

// TestSignInThrottleForgot: /password/forgot charges the account named, on
// /login's budget, and its 429 is the same whether the account exists.
func TestSignInThrottleForgot(t *testing.T) {
	s := newRateServer(t, Config{RateLogin: 2})
	s.register("alice", testPass)
	const ip = "203.0.113.9"
	forgot := func(name string) (*http.Response, string) {
		return s.from(ip, "POST", "/password/forgot", `{"username":"`+name+`"}`)
	}
	if resp, _ := forgot("alice"); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("first reset request: %d", resp.StatusCode)
	} else {
		wantFields(t, "forgot", resp.Header, `"ip";q=100000000;w=60, "account";q=2;w=60`, `"account";r=1;t=30`, "")
	}
	if resp, _ := s.from(ip, "POST", "/login", loginBody("ALICE", "Wrong-Horse-42")); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a guess after it: %d", resp.StatusCode)
	}
	known, body := forgot("Alice")
	if known.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third charge to alice's account, a reset request: %d %s, want 429", known.StatusCode, body)
	}
	forgot("nobody")
	forgot("nobody")
	unknown, body2 := forgot("nobody")
	if unknown.StatusCode != http.StatusTooManyRequests || body2 != body || unknown.Header.Get("Retry-After") != known.Header.Get("Retry-After") {
		t.Errorf("the 429 for a name without an account: %d %s %q, want alice's: %s %q", unknown.StatusCode, body2, unknown.Header.Get("Retry-After"), body, known.Header.Get("Retry-After"))
	}
}
