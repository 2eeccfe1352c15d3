package blackbox

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// raw sends one request, written out byte for byte as a hostile client
// would (the request line and header fields as given, then
// Connection: close), and reads the answer; the answer is checked and
// recorded as do's are.
func (r *run) raw(step, requestLine string, header ...string) reply {
	r.t.Helper()
	var b strings.Builder
	b.WriteString(requestLine + "\r\nHost: " + strings.TrimPrefix(r.s.URL, "http://") + "\r\n")
	for i := 0; i+1 < len(header); i += 2 {
		b.WriteString(header[i] + ": " + header[i+1] + "\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n")
	method, path := requestLine, ""
	if f := strings.Fields(requestLine); len(f) > 1 {
		method, path = f[0], f[1]
	}
	return r.rawBytes(step, method, path, b.String())
}

// rawBytes sends request, bytes as they are, and reads, checks and records
// the answer (as one to method and path) under step.
func (r *run) rawBytes(step, method, path, request string) reply {
	r.t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(r.s.URL, "http://"), 5*time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		r.t.Fatal(err)
	}
	if _, err := io.WriteString(conn, request); err != nil {
		r.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		r.t.Fatalf("%s: %s: %s %s: no answer: %v", r.s.Name, step, method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	a := reply{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
	who := fmt.Sprintf("%s %s: %s %s", r.s.Name, step, method, path)
	checkSecurityHeaders(r.t, who, a.Header)
	checkProblem(r.t, who, method, a)
	r.record(step, req{method: method, path: path}, a)
	return a
}

// gzipped compresses s.
func gzipped(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = io.WriteString(w, s)
	_ = w.Close()
	return b.String()
}

// hostileScenario sends what a hostile client would and what a careless
// one might: methods no route has (unknown tokens, lower case), the
// asterisk request target, bodies in a content coding, requests that do
// not parse. Each answer is a problem+json with the security headers,
// alike on the four servers.
func hostileScenario(t *testing.T, s *Server) []string {
	r := &run{t: t, s: s}
	for _, tc := range []struct {
		line, allow string
		status      int
	}{
		{"OPTIONS * HTTP/1.1", "", 404},
		{"FOO /me HTTP/1.1", "GET, HEAD", 405},
		{"get /healthz HTTP/1.1", "GET, HEAD", 405},
		{"M-SEARCH /login HTTP/1.1", "POST", 405},
		{"FOO /no/such/path HTTP/1.1", "", 404},
	} {
		a := r.raw("method or target", tc.line)
		if a.Status != tc.status || a.Header.Get("Allow") != tc.allow {
			t.Errorf("%s: %q: %d with Allow %q, want %d with Allow %q", s.Name, tc.line, a.Status, a.Header.Get("Allow"), tc.status, tc.allow)
		}
	}

	// A body in a content coding is refused, whatever it holds: the
	// servers read request bodies as sent (identity) and never inflate
	// one, so a small request cannot grow into a large one.
	registration := creds("gzipped", goodPass)
	for _, tc := range []struct {
		step, coding, body string
	}{
		{"gzip", "gzip", gzipped(registration)},
		{"deflate", "deflate", registration},
		{"br", "br", registration},
		{"two codings", "gzip, gzip", gzipped(gzipped(registration))},
		// 32 MiB of zeros in about 32 KiB: a bomb for a server that inflates.
		{"gzip bomb", "gzip", gzipped(`{"username":"` + strings.Repeat("0", 32<<20) + `"}`)},
	} {
		a := r.do("content coding "+tc.step, req{method: "POST", path: "/register", body: tc.body, header: []string{"Content-Encoding", tc.coding}})
		r.expect("content coding "+tc.step, a, 415)
		if a.Header.Get("Accept-Encoding") != "identity" {
			t.Errorf("%s: content coding %s: Accept-Encoding %q, want identity (RFC 9110 §12.5.3)", s.Name, tc.step, a.Header.Get("Accept-Encoding"))
		}
	}
	r.expect("identity coding", r.do("identity coding", req{method: "POST", path: "/register", body: registration, header: []string{"Content-Encoding", "identity"}}), 201)

	// Bodies at the edges: exactly the 64 KiB a body may have (padded
	// with whitespace) is read, one byte more is 413; nesting beyond the
	// parser's depth, NUL and lone surrogates, names outside the username
	// rule (unicode letters, a fullwidth look-alike) are 400s that name
	// the problem; signing in with such a name is the usual 401.
	fits := creds("edge", goodPass)
	fits += strings.Repeat(" ", 64<<10-len(fits))
	r.expect("a body of 64 KiB", r.do("a body of 64 KiB", req{method: "POST", path: "/register", body: fits}), 201)
	r.expect("a byte more", r.do("a byte more", req{method: "POST", path: "/register", body: fits + " "}), 413)
	r.expect("nested deep", r.do("nested deep", req{method: "POST", path: "/register", body: strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)}), 400)
	for _, name := range []string{"ålice", "ａｌｉｃｅ", `al\u0000ice`, `al\ud800ice`, "\u0430lice"} {
		a := r.do("register "+name, req{method: "POST", path: "/register", body: `{"username":"` + name + `","password":"` + goodPass + `"}`})
		r.wantCodes("register "+name, a, "invalid_username")
		r.expect("login "+name, r.do("login "+name, req{method: "POST", path: "/login", body: `{"username":"` + name + `","password":"` + goodPass + `"}`}), 401)
	}

	// Requests net/http refuses before any handler (app.OwnAnswers
	// rewrites its answers) and fasthttp hands to the fiber server's error
	// handler or takes (app.Refusal refuses those): the same problem, with
	// the security headers, on every server.
	host := "Host: " + strings.TrimPrefix(s.URL, "http://") + "\r\n"
	login := creds("alice", goodPass)
	for _, tc := range []struct {
		name, request string
		status        int
	}{
		{"a header name with a space", "GET /healthz HTTP/1.1\r\n" + host + "Bad Header: x\r\nConnection: close\r\n\r\n", 400},
		{"a Content-Length that is no number", "POST /login HTTP/1.1\r\n" + host + "Content-Type: application/json\r\nContent-Length: two\r\nConnection: close\r\n\r\n{}", 400},
		{"a TLS handshake", "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n", 400},
		// RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host.
		{"HTTP/1.1 without Host", "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", 400},
		{"two Host fields", "GET /healthz HTTP/1.1\r\n" + host + host + "Connection: close\r\n\r\n", 400},
		{"a space in the target", "GET /heal thz HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n", 400},
		{"HTTP/9.9", "GET /healthz HTTP/9.9\r\n" + host + "Connection: close\r\n\r\n", 505},
		{"a transfer coding", "POST /login HTTP/1.1\r\n" + host + "Content-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n0\r\n\r\n", 501},
		{"Expect other than 100-continue", "POST /login HTTP/1.1\r\n" + host + "Content-Type: application/json\r\nExpect: 200-ok\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", 417},
		// A body's Content-Type sent twice is no application/json, on
		// every server (fasthttp keeps the last one, net/http the first).
		{"two Content-Type fields", "POST /login HTTP/1.1\r\n" + host + "Content-Type: application/json\r\nContent-Type: text/plain\r\nContent-Length: " + strconv.Itoa(len(login)) + "\r\nConnection: close\r\n\r\n" + login, 415},
		{"HTTP/1.0 without Host", "GET /healthz HTTP/1.0\r\n\r\n", 200},
	} {
		r.expect("wire: "+tc.name, r.rawBytes("wire: "+tc.name, "RAW", "-", tc.request), tc.status)
	}
	return r.lines
}

// TestHostileRequests runs hostileScenario on the four servers, on memory
// and on Redis, and compares their transcripts.
func TestHostileRequests(t *testing.T) {
	onEveryServer(t, func(string, string) []string { return []string{"-dev-fast-hash"} }, hostileScenario)
}

// crossOriginScenario: an unsafe request that no bearer token
// authenticates passes the origin check first — signed in by cookie or
// not at all — and a cross-site one is refused with 403 before it does
// anything; a bearer token is exempt, as are safe methods and same-origin
// requests.
func crossOriginScenario(t *testing.T, s *Server) []string {
	r := &run{t: t, s: s}
	r.expect("register", r.do("register", req{method: "POST", path: "/register", body: body("username", "alice", "password", goodPass, "email", "alice@example.com")}), 201)
	p, c := r.login("login", "alice", "device", "")
	unsafe := []req{
		{method: "POST", path: "/logout"},
		{method: "POST", path: "/logout/all"},
		{method: "POST", path: "/sessions/revoke", body: body("id_hint", "00000000")},
		{method: "POST", path: "/mfa/enroll", body: body("password", goodPass)},
		{method: "POST", path: "/password/change", body: body("current_password", goodPass, "new_password", "Fresh-Staple-Horse-9")},
		{method: "POST", path: "/email/change", body: body("password", goodPass, "email", "evil@example.com")},
		{method: "POST", path: "/email/verify/request"},
	}
	anonymous := []req{
		{method: "POST", path: "/register", body: creds("mallory", goodPass)},
		{method: "POST", path: "/login", body: creds("alice", goodPass)},
		{method: "POST", path: "/password/forgot", body: body("username", "alice")},
		{method: "POST", path: "/token/refresh", body: body("refresh_token", p.RefreshToken)},
	}
	for _, from := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}, {"Origin", "null"}} {
		for _, q := range append(slices.Clone(unsafe), anonymous...) {
			q.header = from
			if !slices.ContainsFunc(anonymous, func(a req) bool { return a.path == q.path }) {
				q.cookie = c
			}
			a := r.do("cross-origin "+q.path, q)
			r.expect("cross-origin "+q.path, a, 403)
			if !strings.Contains(a.Body, `"type":"urn:authkit:problem:cross-origin-request"`) {
				t.Errorf("%s: cross-origin %s: %s", s.Name, q.path, a.Body)
			}
		}
	}
	// Nothing happened: the session, the token, the address and the
	// password are as they were.
	r.whoami("session after the refusals", req{cookie: c}, "alice", "session")
	r.meEmail("email after the refusals", req{bearer: p.AccessToken}, "alice@example.com", false)
	r.expect("refresh after the refusals", r.do("refresh after the refusals", req{method: "POST", path: "/token/refresh", body: body("refresh_token", p.RefreshToken)}), 200)
	r.login("password after the refusals", "alice", "device", "")
	r.expect("no mallory", r.do("no mallory", req{method: "POST", path: "/register", body: creds("mallory", goodPass)}), 201)

	// A bearer token is no ambient credential: exempt. So are a safe
	// method and a same-origin request.
	r.expect("bearer cross-site", r.do("bearer cross-site", req{method: "POST", path: "/sessions/revoke", bearer: p.AccessToken, body: body("id_hint", "00000000"), header: []string{"Sec-Fetch-Site", "cross-site"}}), 404)
	r.expect("GET cross-site", r.do("GET cross-site", req{method: "GET", path: "/me", cookie: c, header: []string{"Sec-Fetch-Site", "cross-site"}}), 200)
	for _, same := range [][]string{{"Sec-Fetch-Site", "same-origin"}, {"Origin", s.URL}} {
		r.expect("same origin", r.do("same origin", req{method: "POST", path: "/sessions/revoke", cookie: c, body: body("id_hint", "00000000"), header: same}), 404)
	}
	return r.lines
}

// TestCrossOriginContract runs crossOriginScenario on the four servers, on
// memory and on Redis.
func TestCrossOriginContract(t *testing.T) {
	onEveryServer(t, func(string, string) []string { return []string{"-dev-fast-hash"} }, crossOriginScenario)
}
