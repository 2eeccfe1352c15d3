package guard

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

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
