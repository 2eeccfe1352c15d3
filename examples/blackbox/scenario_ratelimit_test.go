package blackbox

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// throttleFlags: the servers trust 127.0.0.1 as their proxy, so each
// request names its client in X-Forwarded-For, and run with small limits:
// 4 requests a minute per client IP (one unit back every 15 s) and 2
// sign-in attempts a minute per account (one every 30 s). They come after
// start's lifted limits, and a later flag wins.
var throttleFlags = []string{"-dev-fast-hash", "-trusted-proxy", "127.0.0.1", "-rate-ip", "4", "-rate-login", "2"}

// emission is each policy's emission interval in seconds under
// throttleFlags.
var emission = map[string]int{"ip": 15, "account": 30, "known-client": 30}

var rateLimitField = regexp.MustCompile(`^"([a-z-]+)";r=(\d+);t=(\d+)$`)

// roundUp rounds n up to a multiple of m.
func roundUp(n, m int) int { return (n + m - 1) / m * m }

// throttleLine records one answer with its rate-limit fields. Each t (and
// Retry-After) is rounded up to a whole emission interval of its policy:
// the buckets start when the scenario does, so every value is a multiple
// of the interval less the seconds the scenario has taken so far, and
// rounding makes transcripts of servers that ran at different speeds
// compare equal (the scenario takes far less than the 15 s that would make
// it ambiguous).
func (r *run) throttleLine(step string, q req, a reply) {
	r.t.Helper()
	rl := a.Header.Get("RateLimit")
	retry := a.Header.Get("Retry-After")
	if rl != "" {
		m := rateLimitField.FindStringSubmatch(rl)
		if m == nil || emission[m[1]] == 0 {
			r.t.Fatalf("%s: %s: RateLimit %q does not parse", r.s.Name, step, rl)
		}
		tv, _ := strconv.Atoi(m[3])
		rl = fmt.Sprintf(`"%s";r=%s;t≈%d`, m[1], m[2], roundUp(tv, emission[m[1]]))
		if retry != "" {
			// Retry-After is the refusing policy's t (the draft's rule).
			if retry != m[3] {
				r.t.Errorf("%s: %s: Retry-After %q but RateLimit's t is %s", r.s.Name, step, retry, m[3])
			}
			n, _ := strconv.Atoi(retry)
			retry = "≈" + strconv.Itoa(roundUp(n, emission[m[1]]))
		}
	}
	r.note(fmt.Sprintf("%-32s %s %s -> %d policy=%q ratelimit=%q retry=%q %s", step, q.method, q.path, a.Status,
		a.Header.Get("RateLimit-Policy"), rl, retry, normalize(a.Body)))
}

// as sends q from client ip (X-Forwarded-For), records it and checks its
// status.
func (r *run) as(ip, step string, q req, status int) reply {
	r.t.Helper()
	if !slices.Contains(q.header, "X-Forwarded-For") {
		q.header = append(q.header, "X-Forwarded-For", ip)
	}
	a := r.send(q)
	r.throttleLine(step, q, a)
	if a.Status != status {
		r.t.Fatalf("%s: %s: %d %s, want %d", r.s.Name, step, a.Status, a.Body, status)
	}
	return a
}

// throttleScenario drives the per-IP bucket of the limited endpoints and
// the per-account sign-in throttle over real HTTP, including the
// anti-lockout rule: a stranger spread over many addresses empties the
// account's bucket, yet the owner, from the network that signed in
// before, still gets in.
func throttleScenario(t *testing.T, s *Server) []string {
	r := &run{t: t, s: s}
	const bucket = `"ip";q=4;w=60`
	both := bucket + `, "account";q=2;w=60`

	// One client IP, one bucket for the limited endpoints together, every
	// request charged whatever its answer.
	ip := "198.51.100.10"
	a := r.as(ip, "register text/plain", req{method: "POST", path: "/register", body: creds("alice", goodPass), header: []string{"Content-Type", "text/plain"}}, 415)
	if a.Header.Get("RateLimit-Policy") != bucket || a.Header.Get("RateLimit") == "" {
		t.Errorf("%s: an admitted answer without the RateLimit fields: %v", s.Name, a.Header)
	}
	r.as(ip, "login empty object", req{method: "POST", path: "/login", body: `{}`}, 400)
	r.as(ip, "refresh garbage", req{method: "POST", path: "/token/refresh", body: `{"refresh_token":"x"}`}, 401)
	r.as(ip, "mfa confirm anonymous", req{method: "POST", path: "/mfa/confirm", body: `{"code":"123456"}`}, 401)
	a = r.as(ip, "forgot, bucket empty", req{method: "POST", path: "/password/forgot", body: `{"username":"alice"}`}, 429)
	if a.Header.Get("Retry-After") == "" || a.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(a.Body, `"type":"urn:authkit:problem:too-many-requests"`) {
		t.Errorf("%s: the 429 is %v %s", s.Name, a.Header, a.Body)
	}
	r.as(ip, "cross-site login, bucket empty", req{method: "POST", path: "/login", body: creds("alice", goodPass), header: []string{"Sec-Fetch-Site", "cross-site"}}, 429)
	// What the client adds to the list, or sends in a header the servers
	// do not read, does not change its bucket.
	r.as(ip, "prepended X-Forwarded-For", req{method: "POST", path: "/login", body: `{}`, header: []string{"X-Forwarded-For", "9.9.9.9, " + ip}}, 429)
	r.as(ip, "Forwarded and X-Real-IP", req{method: "POST", path: "/login", body: `{}`, header: []string{"Forwarded", "for=9.9.9.9", "X-Real-IP", "9.9.9.9"}}, 429)
	a = r.as(ip, "healthz is not limited", req{method: "GET", path: "/healthz"}, 200)
	if a.Header.Get("RateLimit") != "" || a.Header.Get("RateLimit-Policy") != "" {
		t.Errorf("%s: /healthz carries RateLimit fields", s.Name)
	}

	// The account's bucket: every attempt for the name, from anywhere.
	const owner, ownerNew = "198.51.100.1", "198.51.100.77"
	stranger := 0
	next := func() string { stranger++; return fmt.Sprintf("203.0.113.%d", stranger) }
	r.as(owner, "register alice", req{method: "POST", path: "/register", body: creds("alice", goodPass)}, 201)
	a = r.as(owner, "owner signs in", req{method: "POST", path: "/login", body: creds("alice", goodPass)}, 200)
	if a.Header.Get("RateLimit-Policy") != both {
		t.Errorf("%s: RateLimit-Policy %q, want %q", s.Name, a.Header.Get("RateLimit-Policy"), both)
	}
	r.as(next(), "stranger guesses", req{method: "POST", path: "/login", body: creds("alice", "Wrong-Horse-42")}, 401)
	refused := r.as(next(), "stranger, account empty", req{method: "POST", path: "/login", body: creds("alice", "Wrong-Horse-43")}, 429)
	r.as(next(), "stranger, right password", req{method: "POST", path: "/login", body: creds("alice", goodPass)}, 429)
	for _, name := range []string{"ALICE", "ａｌｉｃｅ", "alice "} {
		r.as(next(), "stranger spells it "+strconv.Quote(name), req{method: "POST", path: "/login", body: creds(name, "x")}, 429)
	}
	// A name without an account: the same 429 once its bucket is empty.
	r.as(next(), "unknown name", req{method: "POST", path: "/login", body: creds("nobody", "x")}, 401)
	r.as(next(), "unknown name", req{method: "POST", path: "/login", body: creds("nobody", "x")}, 401)
	a = r.as(next(), "unknown name, empty", req{method: "POST", path: "/login", body: creds("nobody", "x")}, 429)
	if a.Body != refused.Body || a.Header.Get("Retry-After") == "" {
		t.Errorf("%s: the 429 for a name without an account (%s) differs from alice's (%s)", s.Name, a.Body, refused.Body)
	}
	r.as(ownerNew, "owner from a new network", req{method: "POST", path: "/login", body: creds("alice", goodPass)}, 429)
	a = r.as(owner, "owner from the known network", req{method: "POST", path: "/login", body: creds("alice", goodPass)}, 200)
	if !strings.Contains(a.Header.Get("RateLimit-Policy"), `"known-client"`) {
		t.Errorf("%s: the owner's sign-in under attack reports %q, want the known-client policy", s.Name, a.Header.Get("RateLimit-Policy"))
	}

	// Refusals are audited, coalesced, without the names typed.
	s.Stop()
	logs := s.Logs()
	var hits []string
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "event=ratelimit.hit") {
			hits = append(hits, line)
		}
	}
	var account, perIP int
	for _, h := range hits {
		for _, name := range []string{"alice", "nobody", "ａｌｉｃｅ"} {
			if strings.Contains(strings.ToLower(h), name) {
				t.Errorf("%s: a rate-limit event names %q: %s", s.Name, name, h)
			}
		}
		switch {
		case strings.Contains(h, "limit=account") && strings.Contains(h, "key=account:"):
			account++
		case strings.Contains(h, "limit=ip") && strings.Contains(h, "ip="+ip+"/32"):
			perIP++
		}
		if !strings.Contains(h, "count=") {
			t.Errorf("%s: a rate-limit event without a count: %s", s.Name, h)
		}
	}
	if account != 2 || perIP != 1 {
		t.Errorf("%s: %d account and %d IP events, want 2 (alice, nobody) and 1, coalesced:\n%s", s.Name, account, perIP, strings.Join(hits, "\n"))
	}
	r.note(fmt.Sprintf("audit: %d ratelimit.hit events", len(hits)))
	return r.lines
}

// TestThrottleScenario runs the throttling scenario on the four servers,
// on memory stores and on Redis, and compares their transcripts: 429s,
// Retry-After and the RateLimit fields alike on every framework.
func TestThrottleScenario(t *testing.T) {
	onEveryServer(t, func(string, string) []string { return throttleFlags }, throttleScenario)
}

// TestThrottleUntrustedPeer: a server that trusts no proxy keys every
// request by its peer, whatever forwarding header the client sends.
func TestThrottleUntrustedPeer(t *testing.T) {
	onEveryServer(t, func(string, string) []string { return []string{"-rate-ip", "1"} }, func(t *testing.T, s *Server) []string {
		r := &run{t: t, s: s}
		r.as("198.51.100.1", "first", req{method: "POST", path: "/login", body: `{}`}, 400)
		for _, h := range [][]string{{"Forwarded", "for=198.51.100.3"}, {"X-Real-IP", "198.51.100.4"}} {
			r.as("198.51.100.2", "spoofed", req{method: "POST", path: "/login", body: `{}`, header: h}, 429)
		}
		return r.lines
	})
}

// TestThrottleSharedOnRedis: servers on one Redis under one prefix share
// every limit, whichever framework serves the request.
func TestThrottleSharedOnRedis(t *testing.T) {
	env, _ := redisEnv(t)
	servers := []*Server{
		start(t, "gin", env, "-dev-fast-hash", "-rate-ip", "2", "-rate-login", "1"),
		start(t, "fiber", env, "-dev-fast-hash", "-rate-ip", "2", "-rate-login", "1"),
	}
	for i, want := range []int{400, 400, 429, 429} {
		r := &run{t: t, s: servers[i%2]}
		if a := r.send(req{method: "POST", path: "/login", body: `{}`}); a.Status != want {
			t.Errorf("request %d, to %s: %d, want %d (one bucket for both)", i+1, servers[i%2].Name, a.Status, want)
		}
	}
}

// TestAccountLimitsSharedOnRedis: servers on one Redis under one prefix
// share the per-account sign-in budget and the MFA factor lock, whichever
// framework serves each attempt.
func TestAccountLimitsSharedOnRedis(t *testing.T) {
	t.Run("sign-in budget", func(t *testing.T) {
		t.Parallel()
		servers := sharingRedis(t, "-dev-fast-hash", "-rate-login", "2")
		r := &run{t: t, s: servers[0]}
		r.expect("register", r.do("register", req{method: "POST", path: "/register", body: creds("alice", goodPass)}), 201)
		for i, want := range []int{401, 401, 429, 429} {
			r := &run{t: t, s: servers[i]}
			if a := r.send(req{method: "POST", path: "/login", body: creds("alice", "Wrong-Horse-42")}); a.Status != want {
				t.Errorf("attempt %d, to %s: %d, want %d (one account budget of 2 for all four)", i+1, servers[i].Name, a.Status, want)
			}
		}
	})
	t.Run("factor lock", func(t *testing.T) {
		t.Parallel()
		servers, code, _ := erinWithMFA(t)
		signIn := func(extra ...string) string {
			return body(append([]string{"username", "erin", "password", goodPass}, extra...)...)
		}
		wrong := code.wrong()
		for i := range 5 {
			r := &run{t: t, s: servers[i%len(servers)]}
			r.mfaRequiredToken("wrong code", r.do("wrong code", req{method: "POST", path: "/login", body: signIn("otp", wrong)}))
		}
		right := code.next()
		for _, s := range servers {
			r := &run{t: t, s: s}
			if a := r.send(req{method: "POST", path: "/login", body: signIn("otp", right)}); a.Status != 429 || a.Header.Get("Retry-After") == "" {
				t.Errorf("%s: the right code after five wrong ones on the other servers: %d, want 429 with Retry-After (one lock for all four)", s.Name, a.Status)
			}
		}
	})
}

// sharingRedis starts the four servers with flags on one Redis prefix.
func sharingRedis(t *testing.T, flags ...string) []*Server {
	t.Helper()
	env, _ := redisEnv(t)
	var servers []*Server
	for _, fw := range Frameworks {
		servers = append(servers, start(t, fw, env, flags...))
	}
	return servers
}

// erinWithMFA starts the four servers on one Redis prefix and signs erin
// up on the first, with MFA on: its TOTP generator and recovery codes.
func erinWithMFA(t *testing.T) ([]*Server, *totp, []string) {
	t.Helper()
	servers := sharingRedis(t, "-dev-fast-hash")
	r := &run{t: t, s: servers[0]}
	r.expect("register", r.do("register", req{method: "POST", path: "/register", body: creds("erin", goodPass)}), 201)
	_, c := r.login("login", "erin", "device", "")
	code, recovery, _ := r.enrol("erin", req{cookie: c})
	return servers, code, recovery
}
