package blackbox

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
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
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(r.s.URL, "http://"), 5*time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		r.t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(requestLine + "\r\nHost: " + strings.TrimPrefix(r.s.URL, "http://") + "\r\n")
	for i := 0; i+1 < len(header); i += 2 {
		b.WriteString(header[i] + ": " + header[i+1] + "\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		r.t.Fatal(err)
	}
	method, _, _ := strings.Cut(requestLine, " ")
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		r.t.Fatalf("%s: %s: %q: no answer: %v", r.s.Name, step, requestLine, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	a := reply{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
	who := fmt.Sprintf("%s %s: %q", r.s.Name, step, requestLine)
	checkSecurityHeaders(r.t, who, a.Header)
	checkProblem(r.t, who, method, a)
	path := requestLine
	if f := strings.Fields(requestLine); len(f) > 1 {
		method, path = f[0], f[1]
	}
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
// asterisk request target, and bodies in a content coding. Each answer is
// a problem+json with the security headers, alike on the four servers.
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
	return r.lines
}

// TestHostileRequests runs hostileScenario on the four servers, on memory
// and on Redis, and compares their transcripts.
func TestHostileRequests(t *testing.T) {
	onEveryServer(t, func(string, string) []string { return []string{"-dev-fast-hash"} }, hostileScenario)
}
