package app

import (
	"bytes"
	"fmt"
	"iter"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Problem type URIs of the answers net/http gives before any handler that
// fiber never gives (OwnAnswers).
const (
	TypeNotImplemented          = "urn:authkit:problem:not-implemented"
	TypeHTTPVersionNotSupported = "urn:authkit:problem:http-version-not-supported"
	TypeRequestRefused          = "urn:authkit:problem:request-refused"
	TypeExpectationFailed       = "urn:authkit:problem:expectation-failed"
)

// ownAnswerPath is the path of the request OwnAnswers sends through the
// handler for the headers of its answers: one that no server routes.
const ownAnswerPath = "/.well-known/authkit-own-answer"

// OwnAnswers returns ln with connections on which the answers net/http
// writes itself, before any handler runs — 400 for a request it cannot
// parse, 431 for a header over MaxHeaderBytes, 501 for a transfer coding
// it does not know, 505 for an HTTP version — are rewritten as the
// reference API answers everything: problem+json, with the headers h puts
// on an answer of its own (the security headers, Vary, Cache-Control).
// net/http writes those in plain text without them, and no handler sees
// the request; the fiber server answers its equivalents through its error
// handler. The connection is closed after such an answer, as net/http
// does.
//
// net/http's own answers are recognised by their fixed form (a status
// line, then exactly "Content-Type: text/plain; charset=utf-8",
// "Connection: close" and the blank line, written in one piece), which no
// answer through a handler has: those carry Date and, here, the security
// headers.
func OwnAnswers(ln net.Listener, h http.Handler) net.Listener { return ownListener{Listener: ln, h: h} }

type ownListener struct {
	net.Listener
	h http.Handler
}

func (l ownListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	return &ownConn{Conn: c, h: l.h}, nil
}

type ownConn struct {
	net.Conn
	h http.Handler
}

// CloseWrite half-closes the connection, as net/http does after its 431
// (so a client still sending reads the answer rather than a reset).
func (c *ownConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *ownConn) Write(p []byte) (int, error) {
	status, ok := netHTTPOwnAnswer(p)
	if !ok {
		return c.Conn.Write(p)
	}
	if _, err := c.Conn.Write(c.answer(status)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// ownAnswerHeader is the header of net/http's own answers (errorHeaders in
// net/http's server.go), after their status line.
var ownAnswerHeader = []byte("\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n")

// expectationFailed ends the status line of the 417 net/http sends to an
// Expect field other than 100-continue (through its response writer, so
// with Date, as HTTP/1.1 or HTTP/1.0; no handler here ever answers 417).
var expectationFailed = []byte(" 417 Expectation Failed\r\n")

// netHTTPOwnAnswer reports whether p is an answer net/http wrote itself,
// and its status.
func netHTTPOwnAnswer(p []byte) (int, bool) {
	if (bytes.HasPrefix(p, []byte("HTTP/1.1")) || bytes.HasPrefix(p, []byte("HTTP/1.0"))) && bytes.HasPrefix(p[len("HTTP/1.1"):], expectationFailed) {
		return http.StatusExpectationFailed, true
	}
	rest, ok := bytes.CutPrefix(p, []byte("HTTP/1.1 "))
	if !ok || len(rest) < 4 || rest[3] != ' ' {
		return 0, false
	}
	status := 0
	for _, d := range rest[:3] {
		if d < '0' || d > '9' {
			return 0, false
		}
		status = status*10 + int(d-'0')
	}
	end := bytes.IndexByte(rest, '\r')
	if status < 400 || end < 0 || !bytes.HasPrefix(rest[end:], ownAnswerHeader) {
		return 0, false
	}
	return status, true
}

// OwnAnswer is the problem that stands for net/http's own answer status:
// what OwnAnswers writes instead of it, and what the fiber server answers
// to a request Refusal refuses.
func OwnAnswer(status int) Response {
	switch status {
	case http.StatusBadRequest:
		return Malformed()
	case http.StatusRequestHeaderFieldsTooLarge:
		return HeaderTooLarge()
	case http.StatusNotImplemented:
		return problem(status, TypeNotImplemented, "the request's transfer coding is not supported")
	case http.StatusHTTPVersionNotSupported:
		return problem(status, TypeHTTPVersionNotSupported, "the request's HTTP version is not supported")
	case http.StatusExpectationFailed:
		return problem(status, TypeExpectationFailed, "the request's Expect field can only be 100-continue")
	}
	return problem(status, TypeRequestRefused, "the request was refused")
}

// answer is the bytes of the answer that replaces net/http's own one of
// status: the problem, with the headers h gives a request to
// ownAnswerPath from this connection's peer.
func (c *ownConn) answer(status int) []byte {
	r, err := http.NewRequest(http.MethodGet, "http://"+c.LocalAddr().String()+ownAnswerPath, nil)
	if err != nil {
		return []byte(fmt.Sprintf("HTTP/1.1 %d %s\r\nConnection: close\r\n\r\n", status, http.StatusText(status)))
	}
	r.RemoteAddr = c.RemoteAddr().String()
	rec := &headerRecorder{header: http.Header{}}
	c.h.ServeHTTP(rec, r)
	header := rec.header
	status, fields, body := Encode(OwnAnswer(status))
	for k, v := range fields {
		header.Set(k, v)
	}
	for _, k := range []string{"Set-Cookie", "Allow", "Location", "WWW-Authenticate", "Transfer-Encoding"} {
		header.Del(k) // the 404's own, if any: not this answer's
	}
	header.Set("Content-Length", strconv.Itoa(len(body)))
	header.Set("Connection", "close")
	header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	_ = header.Write(&b)
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// headerRecorder is an http.ResponseWriter that keeps the header and drops
// the body.
type headerRecorder struct {
	header http.Header
}

func (w *headerRecorder) Header() http.Header         { return w.header }
func (w *headerRecorder) Write(p []byte) (int, error) { return len(p), nil }
func (w *headerRecorder) WriteHeader(int)             {}

// HeaderFields returns the values of every field line named name (compared
// case-insensitively) in raw, a request's header block as sent
// ("Name: value" lines ending in CRLF), each trimmed: a field sent twice
// reads as sent, on a server whose framework keeps one value only
// (fasthttp's Content-Type).
func HeaderFields(raw []byte, name string) []string {
	var vs []string
	for k, v := range fieldLines(raw) {
		if equalFold(k, name) {
			vs = append(vs, string(v))
		}
	}
	return vs
}

// fieldLines yields the name and value of every field line of raw (as
// HeaderFields reads it), each trimmed, without allocating.
func fieldLines(raw []byte) iter.Seq2[[]byte, []byte] {
	return func(yield func(k, v []byte) bool) {
		for len(raw) > 0 {
			line := raw
			if i := bytes.IndexByte(raw, '\n'); i >= 0 {
				line, raw = raw[:i], raw[i+1:]
			} else {
				raw = nil
			}
			if k, v, ok := bytes.Cut(line, []byte(":")); ok && !yield(bytes.TrimSpace(k), bytes.TrimSpace(v)) {
				return
			}
		}
	}
}

// equalFold reports whether the field name b is name, ASCII case ignored.
func equalFold(b []byte, name string) bool {
	if len(b) != len(name) {
		return false
	}
	for i := range b {
		x, y := b[i], name[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// HeaderOf reads a request header as the flows do (Request.Header): every
// field line of name joined with ", " (RFC 9110 §5.3), so that a field sent
// twice reads as sent — two Content-Type values are no application/json —
// on every server alike. "" when there is none.
func HeaderOf(h http.Header) func(string) string {
	return func(name string) string {
		vs := h.Values(name)
		if len(vs) == 1 {
			return vs[0]
		}
		return strings.Join(vs, ", ")
	}
}

// Refusal is the status net/http answers by itself, before any handler, to
// a request for target of protocol proto with the header block raw, for
// the refusals fasthttp does not make: 400 for a target with a space (net/http
// reads the rest as the version) or a version that is not "HTTP/d.d", a
// request with more than one Host field, an HTTP/1.1 one without; 505 for
// a major version other than 1; 501 for an HTTP/1.1 request whose
// Transfer-Encoding is not exactly one "chunked"; 417 for an Expect field
// other than 100-continue. 0 when net/http would hand the request to its
// handler. The fiber server answers those requests with
// OwnAnswer(Refusal(...)), as the others do.
func Refusal(target, proto string, raw []byte) int {
	if strings.Contains(target, " ") || len(proto) != len("HTTP/1.1") || !strings.HasPrefix(proto, "HTTP/") || proto[6] != '.' ||
		proto[5] < '0' || proto[5] > '9' || proto[7] < '0' || proto[7] > '9' {
		return http.StatusBadRequest
	}
	if proto[5] != '1' {
		return http.StatusHTTPVersionNotSupported
	}
	// One pass over the header, without allocating: this runs on every
	// request the fiber server takes.
	var hosts, tes, expects int
	var te, expect []byte // the first of each
	for k, v := range fieldLines(raw) {
		switch {
		case equalFold(k, "Host"):
			hosts++
		case equalFold(k, "Transfer-Encoding"):
			if tes++; tes == 1 {
				te = v
			}
		case equalFold(k, "Expect"):
			if expects++; expects == 1 {
				expect = v
			}
		}
	}
	switch {
	case hosts > 1, hosts == 0 && proto != "HTTP/1.0":
		return http.StatusBadRequest
	}
	if proto != "HTTP/1.0" && tes > 0 && (tes != 1 || !strings.EqualFold(string(te), "chunked")) {
		return http.StatusNotImplemented
	}
	if expects > 0 && !strings.EqualFold(string(expect), "100-continue") {
		return http.StatusExpectationFailed
	}
	return 0
}
