package authhttp_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/session"
)

// headerWriter is a ResponseWriter whose header map is emptied, not
// replaced, between requests, so that only what the middleware allocates
// is counted.
type headerWriter struct{ h http.Header }

func (w *headerWriter) Header() http.Header         { return w.h }
func (w *headerWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *headerWriter) WriteHeader(int)             {}

// server returns serve: serve(h) is a GET / through h to w, its header map
// emptied first, for testing.AllocsPerRun.
func server(w *headerWriter) func(http.Handler) func() {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	return func(h http.Handler) func() {
		return func() {
			clear(w.h)
			h.ServeHTTP(w, req)
		}
	}
}

// TestAllocationBudgets pins what the headers-only middleware
// (Middleware() with no options) adds to a request on net/http: nothing.
// The headers are values computed once, and the guard sets them without
// building a port.Exchange (guard.BeforeHTTP), whose interface value
// would cost one allocation. (On a fresh header map, as net/http's server
// gives each response, a ninth field makes the map grow: 3 allocations of
// the map's own, whoever sets the field.)
func TestAllocationBudgets(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	w := &headerWriter{h: make(http.Header, 16)}
	serve := server(w)
	bare := testing.AllocsPerRun(100, serve(handler))
	mw := authhttp.Middleware()(handler)
	serve(mw)()
	if w.h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatal("the middleware set no security headers")
	}
	authtest.AllocBudget(t, "headers-only middleware", bare, serve(mw))
}

// TestStatefulAllocationBudget pins what the middleware of a guard with
// sessions adds to a request that presents no credentials: 6 — the
// exchange and the request's context (Before), WithContext, the exchange
// boxed once for Commit, the commit closure and the CommitWriter, with
// Commit itself allocating nothing when there is no session to save. It
// was 8 when every commit call boxed the exchange anew (three per request:
// the header, the body, and the call after the handler).
func TestStatefulAllocationBudget(t *testing.T) {
	mgr, err := session.New(session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	g := guard.Must(guard.New(guard.WithSessions(mgr), guard.WithoutHeaders(), guard.WithAudit(audit.Discard)))
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("ok"))
	})
	w := &headerWriter{h: make(http.Header, 16)}
	serve := server(w)
	bare := testing.AllocsPerRun(100, serve(handler))
	authtest.AllocBudget(t, "stateful middleware", bare+6, serve(authhttp.FromGuard(g)(handler)))
}
