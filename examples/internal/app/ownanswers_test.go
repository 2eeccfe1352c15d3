package app

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/authtest"
)

// serveOwn serves h as ServeHTTP does (HTTPServer, OwnAnswers) on a
// loopback port until the test ends, and returns its address.
func serveOwn(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := HTTPServer(h)
	go func() { _ = srv.Serve(OwnAnswers(ln, h)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// rawAnswer sends request on a new connection and reads one answer.
func rawAnswer(t *testing.T, addr, request string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%.40q: %v", request, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// What net/http answers itself becomes a problem with the handler's
// headers; what the handler answers — even plain text with
// Connection: close, the form of net/http's own answers — stays as it is.
func TestOwnAnswers(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
		if r.URL.Path == ownAnswerPath {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "the handler's own 400")
	})
	addr := serveOwn(t, h)

	resp, body := rawAnswer(t, addr, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 400 || body != "the handler's own 400" || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("the handler's answer was changed: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	for _, tc := range []struct {
		name, request, typ string
		status             int
	}{
		{"malformed header", "GET /x HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", "urn:authkit:problem:invalid-request", 400},
		{"no Host", "GET /x HTTP/1.1\r\n\r\n", "urn:authkit:problem:invalid-request", 400},
		{"unknown transfer coding", "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", TypeNotImplemented, 501},
		{"HTTP version", "GET /x HTTP/9.9\r\nHost: x\r\n\r\n", TypeHTTPVersionNotSupported, 505},
		{"Expect other than 100-continue", "POST /x HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nContent-Length: 0\r\n\r\n", TypeExpectationFailed, 417},
		{"Expect, HTTP/1.0", "GET /x HTTP/1.0\r\nExpect: foo\r\n\r\n", TypeExpectationFailed, 417},
		{"header over the limit", "GET /x HTTP/1.1\r\nHost: x\r\nCookie: " + strings.Repeat("c", MaxHeaderBytes+HeaderSlack) + "\r\n\r\n", TypeHeaderTooLarge, 431},
	} {
		resp, body := rawAnswer(t, addr, tc.request)
		var p map[string]any
		if err := json.Unmarshal([]byte(body), &p); err != nil || resp.StatusCode != tc.status || p["type"] != tc.typ ||
			p["status"] != float64(tc.status) || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %v %q, want %d problem+json of type %s", tc.name, resp.StatusCode, resp.Header, body, tc.status, tc.typ)
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("Date") == "" || !resp.Close {
			t.Errorf("%s: header %v, want the handler's, a Date and Connection: close", tc.name, resp.Header)
		}
	}
}

func TestNetHTTPOwnAnswer(t *testing.T) {
	for _, tc := range []struct {
		p      string
		status int
	}{
		{"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request", 400},
		{"HTTP/1.1 400 Bad Request: missing required Host header\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request: missing required Host header", 400},
		{"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large", 431},
		{"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n", 0},
		{"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nDate: x\r\n\r\n", 0},
		{"HTTP/1.1 400 Bad Request\r\nCache-Control: no-store\r\n", 0},
		{"HTTP/1.1 4x0 Bad\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n", 0},
		{`{"detail":"HTTP/1.1 400 Bad Request"}`, 0},
		{"HTTP/1.1 40", 0},
		{"HTTP/1.1 417 Expectation Failed\r\nConnection: close\r\nContent-Length: 0\r\nDate: x\r\n\r\n", 417},
		{"HTTP/1.0 417 Expectation Failed\r\nConnection: close\r\n\r\n", 417},
		{"HTTP/1.0 417", 0},
	} {
		status, ok := netHTTPOwnAnswer([]byte(tc.p))
		if status != tc.status || ok != (tc.status != 0) {
			t.Errorf("netHTTPOwnAnswer(%.50q) = %d, %v; want %d", tc.p, status, ok, tc.status)
		}
	}
}

// Refusal says what net/http does: each request goes to a net/http server
// and through Refusal, and the two must agree (a handler's 200 is
// Refusal's 0).
func TestRefusalIsNetHTTPs(t *testing.T) {
	addr := serveOwn(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, request := range []string{
		"GET /x HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /x HTTP/1.1\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
		"GET /x HTTP/1.1\r\nhost: x\r\n\r\n",
		"GET /x HTTP/1.0\r\n\r\n",
		"GET /x HTTP/1.0\r\nHost: x\r\nHost: y\r\n\r\n",
		"GET /x HTTP/1.5\r\nHost: x\r\n\r\n",
		"GET /x HTTP/9.9\r\nHost: x\r\n\r\n",
		"GET /x HTTP/2.0\r\nHost: x\r\n\r\n",
		"GET /x HTTP/1.10\r\nHost: x\r\n\r\n",
		"GET /x HTTPS/1.1\r\nHost: x\r\n\r\n",
		"GET /x http/1.1\r\nHost: x\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"POST /x HTTP/1.0\r\nTransfer-Encoding: gzip\r\nContent-Length: 0\r\n\r\n",
		"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 0\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nContent-Length: 0\r\n\r\n",
		"GET /x HTTP/1.0\r\nExpect: foo\r\n\r\n",
	} {
		line, rest, _ := strings.Cut(request, "\r\n")
		_, target, _ := strings.Cut(line, " ")
		target, proto, _ := strings.Cut(target, " ") // net/http's reading: "/a b HTTP/1.1" is "/a" of "b HTTP/1.1"
		header, _, _ := strings.Cut(rest, "\r\n\r\n")
		want := Refusal(target, proto, []byte(header+"\r\n"))
		resp, _ := rawAnswer(t, addr, request)
		if got := resp.StatusCode; got != want && !(got == 200 && want == 0) {
			t.Errorf("%q: net/http answers %d, Refusal says %d", line+" "+header, got, want)
		}
	}
}

func TestHeaderFields(t *testing.T) {
	raw := []byte("Host: x\r\nContent-Type: application/json\r\ncontent-type:  text/plain \r\nX-Empty:\r\n\r\n")
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"Content-Type", []string{"application/json", "text/plain"}},
		{"HOST", []string{"x"}},
		{"X-Empty", []string{""}},
		{"Cookie", nil},
	} {
		if got := HeaderFields(raw, tc.name); !slices.Equal(got, tc.want) {
			t.Errorf("HeaderFields(%s) = %q, want %q", tc.name, got, tc.want)
		}
	}
	h := http.Header{"Content-Type": {"application/json", "text/plain"}, "Accept": {"a"}}
	if got := HeaderOf(h)("Content-Type"); got != "application/json, text/plain" || HeaderOf(h)("Accept") != "a" || HeaderOf(h)("Cookie") != "" {
		t.Errorf("HeaderOf: %q", got)
	}
}

// Refusal runs on every request the fiber server takes: it allocates
// nothing, whichever of the fields it reads are there.
func TestRefusalAllocations(t *testing.T) {
	raw := []byte("Host: x\r\nAuthorization: Bearer t\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\nAccept: */*\r\n")
	authtest.AllocBudget(t, "Refusal", 0, func() {
		if Refusal("/me", "HTTP/1.1", raw) != 0 {
			t.Fatal("refused")
		}
	})
}
