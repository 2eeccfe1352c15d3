// Package authtest is the conformance suite every authkit adapter runs
// against its real router. It is framework-free: an adapter's test supplies a
// Factory that builds an app of its framework from guard options and neutral
// routes, and Run drives the whole behaviour table through it.
//
//	func TestConformance(t *testing.T) {
//		authtest.Run(t, func(t testing.TB, opts []guard.Option, routes []authtest.Route) authtest.App {
//			r := gin.New()
//			r.Use(authgin.Middleware(opts...))
//			... register routes: rt.Handle, or authgin.Serve(rt.Serve) ...
//			return authtest.Recorder(r)
//		})
//	}
//
// A behaviour is done when it is in this table and passes on all four
// adapters.
package authtest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authkit-go/authkit/core/guard"
)

// Reply is what a neutral route handler answers: a status and a plain-text
// body.
type Reply struct {
	Status int
	Body   string
	// Flush asks the handler to flush the response (status 200) before
	// writing the body, in its framework's way, without setting the status
	// first (fiber buffers, so it ignores it).
	Flush bool
}

// Route is one route of the app a case runs against. The adapter registers
// Handle at Method and Path behind its Require(Rules...) route guard; when
// Serve is set instead, it registers the adapter's Serve(Serve) there (a
// port handler: the OAuth sign-in's login and callback, say).
type Route struct {
	Method string
	Path   string
	Rules  []guard.Rule
	Handle func(ctx context.Context) Reply
	Serve  guard.Handler
}

// App sends one request through the framework and returns its response.
type App func(*http.Request) *http.Response

// Factory builds an app of the adapter's framework: its middleware built
// from opts on every route (including the framework's own 404 and 405
// answers), and routes registered in the framework's idiom. Frameworks that
// answer a wrong method with 404 by default must be configured to answer 405.
type Factory func(t testing.TB, opts []guard.Option, routes []Route) App

// Recorder turns an http.Handler into an App through httptest.
func Recorder(h http.Handler) App {
	return func(r *http.Request) *http.Response {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Result()
	}
}

// Run runs the whole conformance table against the adapter behind f.
func Run(t *testing.T, f Factory) {
	t.Run("headers", func(t *testing.T) { runHeaderCases(t, f) })
	t.Run("rules", func(t *testing.T) { runRuleCases(t, f) })
	t.Run("sessions", func(t *testing.T) { runSessionCases(t, f) })
	t.Run("tokens", func(t *testing.T) { runTokenCases(t, f) })
	t.Run("mfa", func(t *testing.T) { runMFACases(t, f) })
	t.Run("proxies", func(t *testing.T) { runProxyCases(t, f) })
	t.Run("caching", func(t *testing.T) { runCacheCases(t, f) })
	t.Run("refresh cookie", func(t *testing.T) { runRefreshCookieCases(t, f) })
	t.Run("handlers", func(t *testing.T) { runServeCases(t, f) })
	t.Run("oauth", func(t *testing.T) { runOAuthCases(t, f) })
	t.Run("ratelimit", func(t *testing.T) { runRateLimitCases(t, f) })
	t.Run("redis round trips", func(t *testing.T) { runRoundTripCases(t, f) })
}

// do sends req through app and returns the response with its body read.
func do(t testing.TB, app App, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp := app(req)
	if resp == nil {
		t.Fatalf("%s %s: the app returned no response", req.Method, req.URL.Path)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL.Path, err)
	}
	return resp, string(body)
}

// fixed is a handler answering a constant reply.
func fixed(status int, body string) func(context.Context) Reply {
	return func(context.Context) Reply { return Reply{Status: status, Body: body} }
}

// setCookie returns the cookie named name that resp sets, if any; two of
// them, or a Set-Cookie that does not parse, fail t.
func setCookie(t testing.TB, resp *http.Response, name string) (*http.Cookie, bool) {
	t.Helper()
	var found *http.Cookie
	for _, line := range resp.Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("unparseable Set-Cookie %q: %v", line, err)
		}
		if c.Name == name {
			if found != nil {
				t.Fatalf("two %s cookies set: %q", name, resp.Header.Values("Set-Cookie"))
			}
			found = c
		}
	}
	return found, found != nil
}
