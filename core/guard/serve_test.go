package guard_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/port"
)

func TestServe(t *testing.T) {
	for _, tc := range []struct {
		name   string
		h      guard.Handler
		status int
		body   string
		header map[string]string
	}{
		{"reply", guard.HandlerFunc(func(x guard.Exchange) (guard.Reply, error) {
			x.SetHeader("Content-Type", "text/plain")
			return guard.Reply{Status: 201, Body: []byte("made")}, nil
		}), 201, "made", map[string]string{"Content-Type": "text/plain"}},
		{"status 0 is 200", guard.HandlerFunc(func(guard.Exchange) (guard.Reply, error) { return guard.Reply{}, nil }), 200, "", nil},
		{"redirect", guard.HandlerFunc(func(x guard.Exchange) (guard.Reply, error) { return port.Redirect(x, "/home"), nil }),
			302, "", map[string]string{"Location": "/home"}},
		{"coded error", guard.HandlerFunc(func(x guard.Exchange) (guard.Reply, error) {
			x.SetCookie(&http.Cookie{Name: "attempt", MaxAge: -1})
			return guard.Reply{Status: 302}, &coded{"state_missing", authkit.ErrInvalidRequest}
		}), 400, `{"code":"state_missing","detail":"the request is invalid","status":400,"title":"Bad Request","type":"urn:authkit:problem:invalid-request"}`,
			map[string]string{"Content-Type": guard.ProblemContentType, "Cache-Control": "no-store", "Set-Cookie": "attempt=; Max-Age=0"}},
		{"unavailable", guard.HandlerFunc(func(guard.Exchange) (guard.Reply, error) {
			return guard.Reply{}, fmt.Errorf("store: %w", authkit.ErrUnavailable)
		}), 503, `{"detail":"a backing store is unavailable; try again later","status":503,"title":"Service Unavailable","type":"urn:authkit:problem:unavailable"}`, nil},
		{"unknown error", guard.HandlerFunc(func(guard.Exchange) (guard.Reply, error) { return guard.Reply{}, errors.New("boom") }),
			500, `{"detail":"the server could not complete the request","status":500,"title":"Internal Server Error","type":"urn:authkit:problem:internal"}`, nil},
		{"nil handler", nil, 500, `{"detail":"the server could not complete the request","status":500,"title":"Internal Server Error","type":"urn:authkit:problem:internal"}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rep := guard.Serve(guard.HTTPExchange{W: rec, R: httptest.NewRequest("GET", "/x", nil)}, tc.h)
			if rep.Status != tc.status || string(rep.Body) != tc.body {
				t.Fatalf("Serve = %d %s, want %d %s", rep.Status, rep.Body, tc.status, tc.body)
			}
			for k, v := range tc.header {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}
