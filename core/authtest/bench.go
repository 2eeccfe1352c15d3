package authtest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/session"
	sessionredis "github.com/authkit-go/authkit/core/session/redisstore"
	"github.com/authkit-go/authkit/core/token"
)

// RunBenchmarks measures the whole middleware path through the adapter
// behind f: the framework's routing, the guard, the route guard and a
// trivial handler, with allocations. Every adapter runs the same
// sub-benchmarks, so their numbers compare:
//
//	headers                          security headers only (the defaults)
//	token/{HS256,ES256,RS256,EdDSA}  a valid bearer token on an Authenticated route
//	session/{memory,redis}           a signed-in session loaded, changed and saved
//	session/{memory,redis}/read      a signed-in session loaded only (on Redis,
//	                                 one round trip)
//
// Adapters call it from a BenchmarkMiddleware with the factory their
// conformance test uses. The Redis benchmarks use the test Redis
// (REDIS_URL) and skip when none answers. The numbers include the cost of sending the request through the
// adapter's App (httptest, or fiber's app.Test), which is the same for every
// sub-benchmark of one adapter.
func RunBenchmarks(b *testing.B, f Factory) {
	b.Run("headers", func(b *testing.B) {
		app := f(b, []guard.Option{guard.WithAudit(audit.Discard)}, []Route{
			{Method: "GET", Path: "/", Handle: fixed(http.StatusOK, "ok")},
		})
		loop(b, app, func() *http.Request { return httptest.NewRequest("GET", "/", nil) })
	})
	for _, alg := range []token.Algorithm{token.HS256, token.ES256, token.RS256, token.EdDSA} {
		b.Run("token/"+string(alg), func(b *testing.B) { benchToken(b, f, alg) })
	}
	b.Run("session/memory", func(b *testing.B) { benchSession(b, f, memoryStore, true) })
	b.Run("session/memory/read", func(b *testing.B) { benchSession(b, f, memoryStore, false) })
	b.Run("session/redis", func(b *testing.B) { benchSession(b, f, redisStore, true) })
	b.Run("session/redis/read", func(b *testing.B) { benchSession(b, f, redisStore, false) })
}

func benchToken(b *testing.B, f Factory, alg token.Algorithm) {
	iss := NewIssuer(b, alg, time.Now)
	app := f(b, []guard.Option{guard.WithTokens(iss), guard.WithAudit(audit.Discard)}, []Route{
		{Method: "GET", Path: "/me", Rules: []guard.Rule{guard.Authenticated()}, Handle: fixed(http.StatusOK, "ok")},
	})
	pair, err := iss.IssuePair(context.Background(), token.Subject{ID: "alice", Roles: []string{"user"}, Scope: "read"})
	if err != nil {
		b.Fatal(err)
	}
	loop(b, app, func() *http.Request {
		req := httptest.NewRequest("GET", "/me", nil)
		req.Header.Set("Authorization", "Bearer "+pair.AccessToken)
		return req
	})
}

func memoryStore(b *testing.B) session.Store {
	store, err := session.NewMemoryStore()
	if err != nil {
		b.Fatal(err)
	}
	return store
}

func redisStore(b *testing.B) session.Store {
	store, err := sessionredis.New(redistest.Client(b), sessionredis.WithPrefix(redistest.Prefix(b)))
	if err != nil {
		b.Fatal(err)
	}
	return store
}

// benchSession signs in once, then sends requests bearing the session
// cookie: with write, POST /write sets a value, so each request is a load
// and a save; without, GET /read only loads.
func benchSession(b *testing.B, f Factory, store func(*testing.B) session.Store, write bool) {
	mgr, err := session.New(session.WithStore(store(b)), session.WithAudit(audit.Discard))
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	app := f(b, []guard.Option{guard.WithSessions(mgr), guard.WithAudit(audit.Discard)}, []Route{
		{Method: "POST", Path: "/login", Handle: func(ctx context.Context) Reply {
			if _, err := guard.SignIn(ctx, guard.Principal{Subject: "alice", Roles: []string{"user"}, AMR: []string{"pwd"}}); err != nil {
				return Reply{Status: http.StatusServiceUnavailable, Body: err.Error()}
			}
			return Reply{Status: http.StatusOK, Body: "signed in"}
		}},
		{Method: "POST", Path: "/write", Rules: []guard.Rule{guard.Authenticated()}, Handle: func(ctx context.Context) Reply {
			s, ok := guard.SessionFrom(ctx)
			if !ok {
				return Reply{Status: http.StatusInternalServerError, Body: "no session"}
			}
			n++ // a new value each time, so every request saves
			if err := s.Set("n", n); err != nil {
				return Reply{Status: http.StatusInternalServerError, Body: err.Error()}
			}
			return Reply{Status: http.StatusOK, Body: "ok"}
		}},
		{Method: "GET", Path: "/read", Rules: []guard.Rule{guard.Authenticated()}, Handle: fixed(http.StatusOK, "ok")},
	})

	resp, body := do(b, app, httptest.NewRequest("POST", "/login", nil))
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == mgr.CookieName() {
			cookie = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	if resp.StatusCode != http.StatusOK || cookie == nil {
		b.Fatalf("POST /login: %d %q, session cookie %v", resp.StatusCode, body, cookie)
	}

	newReq := func() *http.Request {
		req := httptest.NewRequest("GET", "/read", nil)
		req.AddCookie(cookie)
		return req
	}
	if write {
		newReq = func() *http.Request {
			req := httptest.NewRequest("POST", "/write", nil)
			req.AddCookie(cookie)
			req.Header.Set("Sec-Fetch-Site", "same-origin") // passes the origin check
			return req
		}
	}
	loop(b, app, newReq)
}

// loop checks once that a request from newReq gets 200, then times sending
// it through app. The request is built once and reused: its body is nil, so
// fiber's app.Test adds no Content-Length to it, and no framework changes it
// otherwise (net/http's ServeMux records the matched pattern, the same each
// time).
func loop(b *testing.B, app App, newReq func() *http.Request) {
	b.Helper()
	if resp, body := do(b, app, newReq()); resp.StatusCode != http.StatusOK {
		b.Fatalf("status = %d (%s), want 200", resp.StatusCode, body)
	}
	req := newReq()
	b.ReportAllocs()
	for b.Loop() {
		resp := app(req)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status = %d, want 200", resp.StatusCode)
		}
	}
}
