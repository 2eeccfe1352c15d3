package app

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Problem type URIs of the answers net/http gives before any handler that
// fiber never gives (OwnAnswers).
const (
	TypeNotImplemented          = "urn:authkit:problem:not-implemented"
	TypeHTTPVersionNotSupported = "urn:authkit:problem:http-version-not-supported"
	TypeRequestRefused          = "urn:authkit:problem:request-refused"
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

// netHTTPOwnAnswer reports whether p is an answer net/http wrote itself,
// and its status.
func netHTTPOwnAnswer(p []byte) (int, bool) {
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

// ownAnswer is the problem that stands for net/http's own answer status.
func ownAnswer(status int) Response {
	switch status {
	case http.StatusBadRequest:
		return Malformed()
	case http.StatusRequestHeaderFieldsTooLarge:
		return HeaderTooLarge()
	case http.StatusNotImplemented:
		return problem(status, TypeNotImplemented, "the request's transfer coding is not supported")
	case http.StatusHTTPVersionNotSupported:
		return problem(status, TypeHTTPVersionNotSupported, "the request's HTTP version is not supported")
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
	status, fields, body := Encode(ownAnswer(status))
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
