package guard

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
)

// HTTPExchange is the Exchange over net/http's request and response writer.
// The net/http, gin and echo adapters all use it, since those frameworks
// hand their handlers the standard types.
type HTTPExchange struct {
	W http.ResponseWriter
	R *http.Request
}

// Method implements Exchange.
func (x HTTPExchange) Method() string { return x.R.Method }

// Path implements Exchange.
func (x HTTPExchange) Path() string { return x.R.URL.Path }

// Host implements Exchange.
func (x HTTPExchange) Host() string { return x.R.Host }

// Header implements Exchange.
func (x HTTPExchange) Header(name string) string { return x.R.Header.Get(name) }

// HeaderValues implements Exchange.
func (x HTTPExchange) HeaderValues(name string) []string { return x.R.Header.Values(name) }

// Cookie implements Exchange.
func (x HTTPExchange) Cookie(name string) (string, bool) {
	c, err := x.R.Cookie(name)
	if err != nil {
		return "", false
	}
	return c.Value, true
}

// RemoteAddr implements Exchange.
func (x HTTPExchange) RemoteAddr() string { return x.R.RemoteAddr }

// TLS implements Exchange.
func (x HTTPExchange) TLS() bool { return x.R.TLS != nil }

// Context implements Exchange.
func (x HTTPExchange) Context() context.Context { return x.R.Context() }

// ResponseHeaderValue implements Exchange.
func (x HTTPExchange) ResponseHeaderValue(name string) string { return x.W.Header().Get(name) }

// SetHeader implements Exchange.
func (x HTTPExchange) SetHeader(name, value string) { x.W.Header().Set(name, value) }

// ResponseHeader returns the response header map, so the guard can set the
// security headers without an allocation per header.
func (x HTTPExchange) ResponseHeader() http.Header { return x.W.Header() }

// headerMap is implemented by exchanges over net/http's response writer.
type headerMap interface{ ResponseHeader() http.Header }

// SetCookie implements Exchange.
func (x HTTPExchange) SetCookie(c *http.Cookie) { http.SetCookie(x.W, c) }

// WriteDenial writes d to w. The Guard has already set the headers.
func WriteDenial(w http.ResponseWriter, d *Denial) {
	w.WriteHeader(d.Status)
	_, _ = w.Write(d.Body)
}

// CommitWriter wraps w so that commit runs right before the response header
// is written (by WriteHeader, Write or Flush). The net/http adapter uses it to
// set the session cookie while headers can still change. commit is called on
// every write and must make later calls no-ops, as (*Guard).Commit does.
func CommitWriter(w http.ResponseWriter, commit func()) http.ResponseWriter {
	return &commitWriter{ResponseWriter: w, commit: commit}
}

type commitWriter struct {
	http.ResponseWriter
	commit func()
}

// WriteHeader commits before the final status; an informational 1xx (103
// Early Hints) goes out without committing, since the session may still
// change. 101 Switching Protocols is final for HTTP: it commits.
func (w *commitWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.commit()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *commitWriter) Write(b []byte) (int, error) { w.commit(); return w.ResponseWriter.Write(b) }

// Flush commits and flushes, when the underlying writer can.
func (w *commitWriter) Flush() {
	w.commit()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *commitWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ReadFrom commits and copies r with the underlying writer's ReadFrom (so
// sendfile still applies) when it has one.
func (w *commitWriter) ReadFrom(r io.Reader) (int64, error) {
	w.commit()
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(w.ResponseWriter, r)
}

// Hijack commits and hands over the connection, for WebSocket libraries
// that type-assert http.Hijacker. Whatever the caller writes on the
// connection replaces the response, session cookie included.
func (w *commitWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.commit()
	return http.NewResponseController(w.ResponseWriter).Hijack()
}
