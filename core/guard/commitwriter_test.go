package guard_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/guard"
)

func TestCommitWriter(t *testing.T) {
	t.Run("informational status does not commit; the final one does", func(t *testing.T) {
		commits := 0
		rec := httptest.NewRecorder()
		w := guard.CommitWriter(rec, func() { commits++ })
		w.WriteHeader(http.StatusEarlyHints)
		if commits != 0 {
			t.Fatalf("103 committed")
		}
		w.WriteHeader(http.StatusOK)
		if commits != 1 {
			t.Fatalf("200 made %d commits, want 1", commits)
		}
	})
	t.Run("101 Switching Protocols is final and commits", func(t *testing.T) {
		commits := 0
		w := guard.CommitWriter(httptest.NewRecorder(), func() { commits++ })
		w.WriteHeader(http.StatusSwitchingProtocols)
		if commits != 1 {
			t.Fatalf("101 made %d commits, want 1", commits)
		}
	})
	t.Run("ReadFrom commits and copies", func(t *testing.T) {
		commits := 0
		rec := httptest.NewRecorder()
		w := guard.CommitWriter(rec, func() { commits++ })
		rf, ok := w.(io.ReaderFrom)
		if !ok {
			t.Fatal("the writer lost io.ReaderFrom")
		}
		if n, err := rf.ReadFrom(strings.NewReader("body")); err != nil || n != 4 || rec.Body.String() != "body" || commits != 1 {
			t.Fatalf("ReadFrom = %d, %v; body %q; commits %d", n, err, rec.Body.String(), commits)
		}
	})
	t.Run("Hijack commits and reaches the connection", func(t *testing.T) {
		commits := 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w = guard.CommitWriter(w, func() { commits++ })
			h, ok := w.(http.Hijacker)
			if !ok {
				t.Error("the writer lost http.Hijacker")
				return
			}
			conn, buf, err := h.Hijack()
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			defer conn.Close()
			_, _ = buf.WriteString("HTTP/1.1 204 No Content\r\n\r\n")
			_ = buf.Flush()
		}))
		defer srv.Close()
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent || commits != 1 {
			t.Fatalf("status %d, commits %d", resp.StatusCode, commits)
		}
	})
	t.Run("ResponseController reaches the underlying writer", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w = guard.CommitWriter(w, func() {})
			if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Second)); err != nil {
				t.Errorf("SetWriteDeadline through the wrapper: %v", err)
			}
		}))
		defer srv.Close()
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	})
}
