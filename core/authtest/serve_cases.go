package authtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/port"
	"github.com/authkit-go/authkit/core/session"
)

// coded is a refusal with a code word, as a feature's would be.
type coded struct{}

func (coded) Error() string     { return "refused" }
func (coded) Unwrap() error     { return authkit.ErrInvalidRequest }
func (coded) ErrorCode() string { return "thing_refused" }

// serveRoutes are port handlers (guard.Handler) served by the adapter's
// Serve: what the OAuth handlers need of it, without a provider.
func serveRoutes() []Route {
	return []Route{
		// Reads the raw query, a cookie and a header; answers with a status,
		// a header, two cookies and a body.
		{Method: "GET", Path: "/echo", Serve: guard.HandlerFunc(func(x guard.Exchange) (guard.Reply, error) {
			c, _ := x.Cookie("in")
			x.SetHeader("Content-Type", "text/plain")
			x.SetHeader("X-Seen", x.Header("X-In"))
			x.SetCookie(&http.Cookie{Name: "one", Value: "1", Path: "/", HttpOnly: true})
			x.SetCookie(&http.Cookie{Name: "two", Value: "2", Path: "/", HttpOnly: true})
			return guard.Reply{Status: http.StatusCreated, Body: fmt.Appendf(nil, "%s|%s|%s", x.Path(), x.RawQuery(), c)}, nil
		})},
		// Signs alice in through the request's context and redirects.
		{Method: "GET", Path: "/signin", Serve: guard.HandlerFunc(func(x guard.Exchange) (guard.Reply, error) {
			if _, err := guard.SignIn(x.Context(), guard.Principal{Subject: "alice", AMR: []string{"ext"}}); err != nil {
				return guard.Reply{}, err
			}
			return port.Redirect(x, "/home"), nil
		})},
		// Fails after setting a cookie: the problem keeps it.
		{Method: "GET", Path: "/refuse", Serve: guard.HandlerFunc(func(x guard.Exchange) (guard.Reply, error) {
			x.SetCookie(&http.Cookie{Name: "attempt", Path: "/", MaxAge: -1})
			return guard.Reply{}, coded{}
		})},
		{Method: "GET", Path: "/guarded", Rules: []guard.Rule{guard.Authenticated()}, Serve: guard.HandlerFunc(func(x guard.Exchange) (guard.Reply, error) {
			p, _ := guard.PrincipalFrom(x.Context())
			return guard.Reply{Body: []byte(p.Subject + " " + p.Via)}, nil
		})},
	}
}

// runServeCases checks the adapter's Serve: a port handler reads the
// request (raw query, cookies, headers, context) and answers (status,
// headers, cookies, body, redirect) alike on every framework, behind the
// guard's headers and route rules, with its errors answered by
// guard.ProblemFor and the session committed.
func runServeCases(t *testing.T, f Factory) {
	mgr, err := session.New(session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	app := f(t, []guard.Option{guard.WithSessions(mgr), guard.WithAudit(audit.Discard)}, serveRoutes())
	cookieName := mgr.CookieName()

	t.Run("reads the request, writes the answer", func(t *testing.T) {
		req := httptest.NewRequest("GET", "/echo?next=%2F%2Fa%20b&x=1&x=2", nil)
		req.AddCookie(&http.Cookie{Name: "in", Value: "cookie-value"})
		req.Header.Set("X-In", "header-value")
		resp, body := do(t, app, req)
		if resp.StatusCode != http.StatusCreated || body != "/echo|next=%2F%2Fa%20b&x=1&x=2|cookie-value" {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
		if resp.Header.Get("X-Seen") != "header-value" || resp.Header.Get("Content-Type") != "text/plain" {
			t.Errorf("headers %v", resp.Header)
		}
		if cs := resp.Cookies(); len(cs) != 2 || cs[0].Name != "one" || cs[1].Name != "two" || !cs[0].HttpOnly {
			t.Errorf("cookies %v", resp.Header.Values("Set-Cookie"))
		}
		checkHeaders(t, resp.Header, DefaultHeaders)
	})
	t.Run("no query", func(t *testing.T) {
		resp, body := do(t, app, httptest.NewRequest("GET", "/echo", nil))
		if resp.StatusCode != http.StatusCreated || body != "/echo||" {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
	})
	t.Run("signs in and redirects", func(t *testing.T) {
		resp, body := do(t, app, httptest.NewRequest("GET", "/signin", nil))
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/home" || body != "" {
			t.Fatalf("got %d Location %q body %q", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		checkHeaders(t, resp.Header, DefaultHeaders)
		var sess string
		for _, c := range resp.Cookies() {
			if c.Name == cookieName {
				sess = c.Value
			}
		}
		if sess == "" {
			t.Fatalf("no session cookie on the redirect: %q", resp.Header.Values("Set-Cookie"))
		}
		req := httptest.NewRequest("GET", "/guarded", nil)
		req.AddCookie(&http.Cookie{Name: cookieName, Value: sess})
		if resp, body := do(t, app, req); resp.StatusCode != 200 || body != "alice session" {
			t.Errorf("with the new session: %d %q", resp.StatusCode, body)
		}
	})
	t.Run("an error is a problem, cookies kept", func(t *testing.T) {
		resp, body := do(t, app, httptest.NewRequest("GET", "/refuse", nil))
		want := `{"code":"thing_refused","detail":"the request is invalid","status":400,"title":"Bad Request","type":"` + guard.TypeInvalidRequest + `"}`
		if resp.StatusCode != http.StatusBadRequest || body != want {
			t.Fatalf("got %d %s, want 400 %s", resp.StatusCode, body, want)
		}
		if resp.Header.Get("Content-Type") != guard.ProblemContentType || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Content-Type %q, Cache-Control %q", resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
		}
		if cs := resp.Cookies(); len(cs) != 1 || cs[0].Name != "attempt" || cs[0].MaxAge >= 0 {
			t.Errorf("cookies %q", resp.Header.Values("Set-Cookie"))
		}
		checkHeaders(t, resp.Header, DefaultHeaders)
	})
	t.Run("route rules run first", func(t *testing.T) {
		resp, _ := do(t, app, httptest.NewRequest("GET", "/guarded", nil))
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != guard.BearerChallenge {
			t.Fatalf("anonymous: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	})
}
