package blackbox

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestServerLimits checks what each server does at its edges, where the
// framework's server (net/http or fasthttp) answers before any handler:
// header sizes, oversized bodies, requests that stall, and which client
// address the application logs. The servers trust 127.0.0.1 as a proxy so
// the last check can see the guard's choice.
//
// All four servers run at once and each runs its checks at once, so the
// test takes about one read timeout (15 s: the stalled body).
func TestServerLimits(t *testing.T) {
	var mu sync.Mutex
	bodies := map[string]map[string]string{} // check -> server -> answer
	keep := func(check, fw string, a Answer) {
		mu.Lock()
		defer mu.Unlock()
		if bodies[check] == nil {
			bodies[check] = map[string]string{}
		}
		bodies[check][fw] = fmt.Sprintf("%d %s %s", a.Status, a.Header.Get("Content-Type"), a.Body)
	}

	t.Run("servers", func(t *testing.T) {
		for _, fw := range Frameworks {
			t.Run(fw, func(t *testing.T) {
				t.Parallel()
				s := start(t, fw, memoryEnv, "-dev-fast-hash", "-trusted-proxy", "127.0.0.1")

				t.Run("half-sent request is closed", func(t *testing.T) {
					t.Parallel()
					checkHalfSentClosed(t, s)
				})
				t.Run("stalled body", func(t *testing.T) {
					t.Parallel()
					checkStalledBody(t, s, fw)
				})
				t.Run("browser-sized headers are accepted", func(t *testing.T) {
					t.Parallel()
					for _, n := range []int{4 << 10, 8 << 10, 60 << 10} {
						a := s.withHeader(t, "GET", "/healthz", "Cookie", "jar="+strings.Repeat("c", n))
						if a.Status != http.StatusOK {
							t.Errorf("%d-byte cookie: %d %q, want 200", n, a.Status, a.Body)
						}
						checkSecurityHeaders(t, fmt.Sprintf("%d-byte cookie", n), a.Header)
					}
					// A 7 kB token is read and judged, not refused for its size.
					a := s.withHeader(t, "GET", "/me", "Authorization", "Bearer "+strings.Repeat("a", 7<<10))
					if a.Status != http.StatusUnauthorized || !strings.Contains(a.Header.Get("WWW-Authenticate"), "invalid_token") {
						t.Errorf("7 kB bearer token: %d %q, want 401 invalid_token", a.Status, a.Header.Get("WWW-Authenticate"))
					}
				})
				t.Run("header over 64 KiB is 431", func(t *testing.T) {
					t.Parallel()
					a := s.withHeader(t, "GET", "/healthz", "Cookie", "jar="+strings.Repeat("c", 80<<10))
					if a.Status != http.StatusRequestHeaderFieldsTooLarge {
						t.Fatalf("80 KiB cookie: %d %q, want 431", a.Status, a.Body)
					}
					// net/http (gin and echo too) writes this answer itself,
					// before any handler, and app.OwnAnswers rewrites it;
					// fasthttp lets the app write it.
					checkSecurityHeaders(t, "431", a.Header)
					if a.Header.Get("Content-Type") != "application/problem+json" {
						t.Errorf("431 Content-Type = %q, want problem+json", a.Header.Get("Content-Type"))
					}
				})
				t.Run("oversized bodies are answered alike", func(t *testing.T) {
					t.Parallel()
					// 100 KiB passes every server's own limit and reaches
					// the app; 2 MiB is beyond fiber's BodyLimit, so
					// fasthttp refuses it before any handler.
					for _, n := range []int{100 << 10, 2 << 20} {
						for i := range 3 { // a reset connection shows only sometimes
							req, err := http.NewRequest("POST", s.URL+"/login", strings.NewReader(`{"username":"`+strings.Repeat("a", n)+`"}`))
							if err != nil {
								t.Fatal(err)
							}
							req.Header.Set("Content-Type", "application/json")
							resp, err := http.DefaultClient.Do(req)
							if err != nil {
								t.Fatalf("%d-byte body, try %d: %v", n, i, err)
							}
							body, err := io.ReadAll(resp.Body)
							resp.Body.Close()
							if err != nil {
								t.Fatalf("%d-byte body, try %d: reading the answer: %v", n, i, err)
							}
							a := Answer{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
							if a.Status != http.StatusRequestEntityTooLarge {
								t.Errorf("%d-byte body: %d %q, want 413", n, a.Status, a.Body)
							}
							checkSecurityHeaders(t, fmt.Sprintf("%d-byte body", n), a.Header)
							keep(fmt.Sprintf("%d-byte body", n), fw, a)
						}
					}
				})
				t.Run("the client address is the guard's", func(t *testing.T) {
					t.Parallel()
					// The peer, 127.0.0.1, is a trusted proxy: the right-most
					// X-Forwarded-For entry over every field line is the
					// client; X-Real-IP is not the configured header.
					req, err := http.NewRequest("POST", s.URL+"/login", strings.NewReader(`{"username":"nobody-`+fw+`","password":"Wrong-Password-1"}`))
					if err != nil {
						t.Fatal(err)
					}
					req.Header.Set("Content-Type", "application/json")
					req.Header.Add("X-Forwarded-For", "1.2.3.4")
					req.Header.Add("X-Forwarded-For", "9.9.9.9")
					req.Header.Set("X-Real-IP", "5.6.7.8")
					if a := s.do(t, req); a.Status != http.StatusUnauthorized {
						t.Fatalf("login: %d %q, want 401", a.Status, a.Body)
					}
					deadline := time.Now().Add(10 * time.Second)
					for !strings.Contains(s.Logs(), "event=login.failed") && time.Now().Before(deadline) {
						time.Sleep(20 * time.Millisecond)
					}
					var line string
					for _, l := range strings.Split(s.Logs(), "\n") {
						if strings.Contains(l, "event=login.failed") {
							line = l
						}
					}
					if !strings.Contains(line, "ip=9.9.9.9") {
						t.Errorf("login.failed logged %q, want ip=9.9.9.9", line)
					}
				})
			})
		}
	})

	for check, byServer := range bodies {
		var first string
		for _, fw := range Frameworks {
			if a, ok := byServer[fw]; ok {
				if first == "" {
					first = a
				} else if a != first {
					t.Errorf("%s: %s answers %q, another server %q", check, fw, a, first)
				}
			}
		}
	}
}

// withHeader sends method path with one extra header.
func (s *Server) withHeader(t *testing.T, method, path, name, value string) Answer {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(name, value)
	return s.do(t, req)
}

// checkHalfSentClosed sends half a request header and checks the server
// closes the connection (any answer it sends first aside) within its header
// timeout, with slack for a loaded machine.
func checkHalfSentClosed(t *testing.T, s *Server) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Half: "); err != nil {
		t.Fatal(err)
	}
	const headerTimeout = 5 * time.Second
	if err := conn.SetReadDeadline(time.Now().Add(headerTimeout + 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(io.Discard, bufio.NewReader(conn))
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a half-sent request was still open after %v", headerTimeout+10*time.Second)
	}
}

// checkStalledBody sends a whole header and part of its body, then nothing:
// after the read timeout (15 s) fiber, which reads the body before any
// handler, answers fasthttp's timeout as a 408 problem with the security
// headers; the net/http servers (gin and echo too) close the connection,
// since their write deadline ends with the read deadline. Either way the
// connection does not stay open.
func checkStalledBody(t *testing.T, s *Server, fw string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"Content-Length: 100\r\nSec-Fetch-Site: same-origin\r\n\r\n{\"username\""); err != nil {
		t.Fatal(err)
	}
	const readTimeout = 15 * time.Second
	if err := conn.SetReadDeadline(time.Now().Add(readTimeout + 15*time.Second)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a stalled body was still open after %v", readTimeout+15*time.Second)
	}
	if fw != "fiber" {
		return
	}
	if err != nil {
		t.Fatalf("fiber: no answer to a stalled body: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || resp.Header.Get("Content-Type") != "application/problem+json" ||
		!strings.Contains(string(body), `"status":408`) {
		t.Fatalf("fiber, stalled body: %d %s %s, want a 408 problem", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	checkSecurityHeaders(t, "fiber, stalled body", resp.Header)
}
