package authtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/token"
)

// refreshPath is where the refresh cases serve the refresh endpoint, the
// refresh cookie's Path.
const refreshPath = "/token/refresh"

// refreshApp is the app the refresh cookie cases run against: tokens and
// sessions linked, the refresh token handed out in the refresh cookie.
type refreshApp struct {
	t      *testing.T
	app    App
	issuer *token.Issuer
	name   string // the refresh cookie's name
}

func newRefreshApp(t *testing.T, f Factory, sessions bool, extra ...guard.Option) *refreshApp {
	t.Helper()
	clock := NewClock()
	iss := NewIssuer(t, token.ES256, clock.Now)
	opts := []guard.Option{guard.WithTokens(iss), guard.WithRefreshCookie(refreshPath), guard.WithAudit(audit.Discard)}
	if sessions {
		mgr, err := session.New(session.WithClock(clock.Now), session.WithAudit(audit.Discard))
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, guard.WithSessions(mgr))
	}
	opts = append(opts, extra...)
	g, err := guard.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &refreshApp{t: t, app: f(t, opts, refreshRoutes(iss, sessions)), issuer: iss, name: g.RefreshCookieName()}
}

// refreshRoutes sign in with the refresh token in the cookie, refresh from
// the cookie alone, and log out clearing it: what a browser client's flows
// do, with the cookie written and read by the guard.
func refreshRoutes(iss *token.Issuer, sessions bool) []Route {
	fail := func(err error) Reply { p := guard.ProblemForToken(err); return Reply{Status: p.Status, Body: p.Type} }
	return []Route{
		{Method: "POST", Path: "/login", Handle: func(ctx context.Context) Reply {
			pair, err := iss.IssuePair(ctx, token.Subject{ID: "alice", AMR: []string{"pwd"}})
			if err != nil {
				return fail(err)
			}
			if sessions {
				if _, err := guard.SignIn(ctx, guard.Principal{Subject: "alice", AMR: []string{"pwd"}, Family: pair.Family()}); err != nil {
					return fail(err)
				}
			}
			if err := guard.SetRefreshCookie(ctx, pair.RefreshToken, pair.RefreshExpiresIn()); err != nil {
				return fail(err)
			}
			return Reply{Status: http.StatusOK, Body: pair.AccessToken}
		}},
		{Method: "POST", Path: refreshPath, Handle: func(ctx context.Context) Reply {
			raw, ok := guard.RefreshCookie(ctx)
			if !ok {
				return Reply{Status: http.StatusBadRequest, Body: "no refresh cookie"}
			}
			pair, err := iss.Refresh(ctx, raw)
			if err != nil {
				_ = guard.ClearRefreshCookie(ctx)
				return fail(err)
			}
			if err := guard.SetRefreshCookie(ctx, pair.RefreshToken, pair.RefreshExpiresIn()); err != nil {
				return fail(err)
			}
			return Reply{Status: http.StatusOK, Body: pair.AccessToken}
		}},
		{Method: "POST", Path: "/logout", Rules: []guard.Rule{guard.Authenticated()}, Handle: func(ctx context.Context) Reply {
			if raw, ok := guard.BearerToken(ctx); ok {
				if err := iss.Revoke(ctx, raw); err != nil {
					return fail(err)
				}
			}
			if err := guard.ClearRefreshCookie(ctx); err != nil {
				return fail(err)
			}
			return Reply{Status: http.StatusNoContent}
		}},
		{Method: "GET", Path: "/me", Rules: []guard.Rule{guard.Authenticated()}, Handle: func(ctx context.Context) Reply {
			p, _ := guard.PrincipalFrom(ctx)
			return Reply{Status: http.StatusOK, Body: p.Subject + " " + p.Via}
		}},
	}
}

// send posts to path with the refresh cookie value (if not empty), a bearer
// token (if not empty) and extra headers as name, value pairs.
func (a *refreshApp) send(method, path, cookie, bearer string, hdr ...string) (*http.Response, string) {
	a.t.Helper()
	req := httptest.NewRequest(method, "http://example.com"+path, nil)
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: a.name, Value: cookie})
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(a.t, a.app, req)
}

// cookie returns the refresh cookie resp set, failing unless there is
// exactly one.
func (a *refreshApp) cookie(resp *http.Response) *http.Cookie {
	a.t.Helper()
	c, ok := setCookie(a.t, resp, a.name)
	if !ok {
		a.t.Fatalf("no refresh cookie set: %d %q", resp.StatusCode, resp.Header.Values("Set-Cookie"))
	}
	return c
}

// login signs in and returns the access token and the refresh cookie.
func (a *refreshApp) login() (access string, c *http.Cookie) {
	a.t.Helper()
	resp, body := a.send("POST", "/login", "", "")
	if resp.StatusCode != http.StatusOK {
		a.t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	return body, a.cookie(resp)
}

// wantRefreshCookie checks the attributes of a live refresh cookie.
func wantRefreshCookie(t *testing.T, c *http.Cookie, name string, secure bool) {
	t.Helper()
	const maxAge = int(token.DefaultRefreshTTL / 1e9)
	if c.Name != name || c.Value == "" || c.Path != refreshPath || c.Domain != "" || c.Secure != secure ||
		!c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.MaxAge != maxAge {
		t.Errorf("refresh cookie = %s, want %s=<token>; Path=%s; Max-Age=%d; HttpOnly; SameSite=Strict; Secure=%v", c, name, refreshPath, maxAge, secure)
	}
}

// wantCleared checks that c tells the browser to drop the refresh cookie
// at its path (a clearing cookie at another path would clear nothing).
func wantCleared(t *testing.T, c *http.Cookie) {
	t.Helper()
	if c.MaxAge >= 0 || c.Value != "" || c.Path != refreshPath {
		t.Errorf("refresh cookie not cleared at %s: %s", refreshPath, c)
	}
}

func runRefreshCookieCases(t *testing.T, f Factory) {
	t.Run("sign-in sets the cookie", func(t *testing.T) {
		a := newRefreshApp(t, f, true)
		resp, _ := a.send("POST", "/login", "", "")
		wantRefreshCookie(t, a.cookie(resp), guard.RefreshCookieName, true)
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store on an answer that sets the refresh cookie", cc)
		}
	})

	t.Run("refresh from the cookie stays in cookie mode", func(t *testing.T) {
		a := newRefreshApp(t, f, true)
		_, c1 := a.login()
		resp, access := a.send("POST", refreshPath, c1.Value, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("cookie refresh: %d %s", resp.StatusCode, access)
		}
		c2 := a.cookie(resp)
		wantRefreshCookie(t, c2, guard.RefreshCookieName, true)
		if c2.Value == c1.Value {
			t.Fatal("the refresh cookie was not rotated")
		}
		if v := resp.Header.Values("Vary"); !strings.Contains(strings.Join(v, ","), "Cookie") {
			t.Errorf("Vary = %q, want Cookie among it", v)
		}
		if r, body := a.send("GET", "/me", "", access); r.StatusCode != http.StatusOK || body != "alice token" {
			t.Errorf("the refreshed access token: %d %q", r.StatusCode, body)
		}
	})

	t.Run("reuse of a rotated cookie revokes the family", func(t *testing.T) {
		a := newRefreshApp(t, f, true)
		_, c1 := a.login()
		resp, _ := a.send("POST", refreshPath, c1.Value, "")
		c2 := a.cookie(resp)
		resp, body := a.send("POST", refreshPath, c1.Value, "")
		if resp.StatusCode != http.StatusUnauthorized || body != guard.TypeInvalidToken {
			t.Fatalf("replayed refresh cookie: %d %q, want 401", resp.StatusCode, body)
		}
		wantCleared(t, a.cookie(resp))
		if resp, _ := a.send("POST", refreshPath, c2.Value, ""); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("the newest cookie after a replay: %d, want 401 (family revoked)", resp.StatusCode)
		}
	})

	t.Run("a cross-site cookie refresh is refused and spends nothing", func(t *testing.T) {
		a := newRefreshApp(t, f, true)
		_, c := a.login()
		for _, hdr := range [][]string{
			{"Sec-Fetch-Site", "cross-site"},
			{"Origin", "https://evil.example"},
		} {
			resp, _ := a.send("POST", refreshPath, c.Value, "", hdr...)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("cookie refresh with %s: %s: %d, want 403", hdr[0], hdr[1], resp.StatusCode)
			}
		}
		resp, body := a.send("POST", refreshPath, c.Value, "", "Sec-Fetch-Site", "same-origin")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("same-origin cookie refresh after the refusals: %d %s, want 200", resp.StatusCode, body)
		}
	})

	t.Run("logout clears the cookie at its path", func(t *testing.T) {
		a := newRefreshApp(t, f, true)
		access, c := a.login()
		resp, _ := a.send("POST", "/logout", "", access)
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("logout: %d", resp.StatusCode)
		}
		wantCleared(t, a.cookie(resp))
		if resp, _ := a.send("POST", refreshPath, c.Value, ""); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("refresh cookie after logout: %d, want 401", resp.StatusCode)
		}
	})

	t.Run("insecure cookie", func(t *testing.T) {
		a := newRefreshApp(t, f, true, guard.WithInsecureRefreshCookie())
		_, c := a.login()
		wantRefreshCookie(t, c, guard.InsecureRefreshCookieName, false)
		if resp, _ := a.send("POST", refreshPath, c.Value, ""); resp.StatusCode != http.StatusOK {
			t.Errorf("refresh with the insecure cookie: %d", resp.StatusCode)
		}
	})

	t.Run("without sessions", func(t *testing.T) {
		a := newRefreshApp(t, f, false)
		_, c := a.login()
		wantRefreshCookie(t, c, guard.RefreshCookieName, true)
		if resp, _ := a.send("POST", refreshPath, c.Value, "", "Sec-Fetch-Site", "cross-site"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site cookie refresh without sessions: %d, want 403 (the refresh cookie turns the origin check on)", resp.StatusCode)
		}
		if resp, body := a.send("POST", refreshPath, c.Value, ""); resp.StatusCode != http.StatusOK {
			t.Errorf("cookie refresh without sessions: %d %s", resp.StatusCode, body)
		}
	})
}
