package authtest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/audit/audittest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/oauth"
	"github.com/authkit-go/authkit/core/session"
)

// The provider the OAuth cases sign in at. Nothing here reaches it: the
// cases stop at the login's redirect and at callbacks refused before the
// token request. The full flow against a real provider runs in the
// oauthtest-backed tests of the examples module.
var oauthProvider = oauth.Provider{
	Issuer:                "https://op.example",
	AuthorizationEndpoint: "https://op.example/authorize",
	TokenEndpoint:         "https://op.example/token",
	JWKSURI:               "https://op.example/keys",
	CodeChallengeMethods:  []string{"S256"},
}

const oauthRedirect = "https://app.example/oauth/callback"

type oauthApp struct {
	t       *testing.T
	app     App
	mgr     *session.Manager
	audit   *audittest.Recorder
	signIns atomic.Int32
}

func newOAuthApp(t *testing.T, f Factory) *oauthApp {
	t.Helper()
	a := &oauthApp{t: t, audit: &audittest.Recorder{}}
	var err error
	if a.mgr, err = session.New(session.WithAudit(audit.Discard)); err != nil {
		t.Fatal(err)
	}
	client, err := oauth.NewClient(&oauthProvider, "app", []string{oauthRedirect}, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	h, err := oauth.NewHandlers(client, func(ctx context.Context, res *oauth.Result) (string, error) {
		a.signIns.Add(1)
		_, err := guard.SignIn(ctx, res.Principal())
		return res.LocalSubject(), err
	}, oauth.WithAudit(a.audit))
	if err != nil {
		t.Fatal(err)
	}
	a.app = f(t, []guard.Option{guard.WithSessions(a.mgr), guard.WithAudit(audit.Discard)}, []Route{
		{Method: "GET", Path: "/oauth/login", Serve: h.Login()},
		{Method: "GET", Path: "/oauth/callback", Serve: h.Callback()},
	})
	return a
}

// begin runs the login and returns the provider's authorization request
// and the attempt cookie.
func (a *oauthApp) begin(next string) (url.Values, *http.Cookie) {
	a.t.Helper()
	q, attempt, _ := a.beginWith(next, nil)
	return q, attempt
}

// beginWith runs the login with the browser's cookies and returns the
// provider's authorization request, the attempt cookie and the names of
// the attempt cookies it cleared.
func (a *oauthApp) beginWith(next string, cookies []*http.Cookie) (url.Values, *http.Cookie, []string) {
	a.t.Helper()
	req := httptest.NewRequest("GET", "https://app.example/oauth/login?next="+url.QueryEscape(next), nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, _ := do(a.t, a.app, req)
	if resp.StatusCode != http.StatusFound {
		a.t.Fatalf("login: %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Scheme+"://"+loc.Host+loc.Path != oauthProvider.AuthorizationEndpoint {
		a.t.Fatalf("login redirects to %q", resp.Header.Get("Location"))
	}
	var attempt *http.Cookie
	var cleared []string
	for _, c := range resp.Cookies() {
		switch {
		case !strings.HasPrefix(c.Name, oauth.CookiePrefix):
		case c.MaxAge < 0:
			cleared = append(cleared, c.Name)
		case attempt != nil:
			a.t.Fatalf("two attempt cookies: %q", resp.Header.Values("Set-Cookie"))
		default:
			attempt = c
		}
	}
	if attempt == nil {
		a.t.Fatalf("login set no attempt cookie: %q", resp.Header.Values("Set-Cookie"))
	}
	return loc.Query(), attempt, cleared
}

// runOAuthCases checks the OAuth sign-in handlers (core/oauth's Handlers
// through the adapter's Serve): the login's redirect and attempt cookie,
// at most MaxAttempts attempt cookies however often the login is visited,
// and every callback refused before the provider is asked — 400
// problem+json with the reason in "code", no session, the attempt cookie
// cleared when it was found, an audit event.
func runOAuthCases(t *testing.T, f Factory) {
	a := newOAuthApp(t, f)

	t.Run("login redirects to the provider with PKCE S256", func(t *testing.T) {
		resp, body := do(t, a.app, httptest.NewRequest("GET", "https://app.example/oauth/login?next=%2Fsettings", nil))
		if resp.StatusCode != http.StatusFound || body != "" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("got %d %q, Cache-Control %q", resp.StatusCode, body, resp.Header.Get("Cache-Control"))
		}
		checkHeaders(t, resp.Header, DefaultHeaders)
		q, c := a.begin("/settings")
		for k, want := range map[string]string{"response_type": "code", "client_id": "app", "redirect_uri": oauthRedirect, "code_challenge_method": "S256", "scope": "openid"} {
			if q.Get(k) != want {
				t.Errorf("%s = %q, want %q", k, q.Get(k), want)
			}
		}
		for _, k := range []string{"state", "nonce", "code_challenge"} {
			if len(q.Get(k)) != 43 {
				t.Errorf("%s = %q, want 256 bits", k, q.Get(k))
			}
		}
		if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.MaxAge <= 0 {
			t.Errorf("attempt cookie %+v", c)
		}
	})
	t.Run("two tabs, two attempts", func(t *testing.T) {
		q1, c1 := a.begin("/")
		q2, c2 := a.begin("/")
		if q1.Get("state") == q2.Get("state") || c1.Name == c2.Name {
			t.Fatal("two attempts share a state or a cookie")
		}
	})
	t.Run("repeated logins keep at most MaxAttempts attempts", func(t *testing.T) {
		var held []*http.Cookie // the browser's attempt cookies, oldest first
		for i := range 3 * oauth.MaxAttempts {
			_, c, cleared := a.beginWith("/", held)
			var want []string
			if len(held) == oauth.MaxAttempts {
				want = []string{held[0].Name}
			}
			if !slices.Equal(cleared, want) {
				t.Fatalf("login %d with %d attempts under way cleared %q, want %q", i+1, len(held), cleared, want)
			}
			held = slices.DeleteFunc(held, func(h *http.Cookie) bool { return slices.Contains(cleared, h.Name) })
			held = append(held, &http.Cookie{Name: c.Name, Value: c.Value})
		}
	})

	for _, tc := range []struct {
		name    string
		query   func(state string) string
		cookie  bool // the browser sends its attempt cookie
		code    string
		cleared bool
	}{
		{"state missing", func(string) string { return "code=c" }, true, oauth.CodeStateMissing, false},
		{"state forged", func(string) string { return "code=c&state=" + strings.Repeat("A", 43) }, true, oauth.CodeStateMismatch, false},
		{"another browser's callback (login CSRF)", func(s string) string { return "code=c&state=" + s }, false, oauth.CodeStateMismatch, false},
		{"provider error", func(s string) string { return "error=access_denied&error_description=no&state=" + s }, true, oauth.CodeProviderError, true},
		{"code missing", func(s string) string { return "state=" + s }, true, oauth.CodeCodeMissing, true},
		{"iss of another provider", func(s string) string { return "code=c&iss=https%3A%2F%2Fevil.example&state=" + s }, true, oauth.CodeIssMismatch, true},
		{"parameter repeated", func(s string) string { return "code=c&state=" + s + "&state=" + s }, true, oauth.CodeCallbackMalformed, false},
	} {
		t.Run("callback: "+tc.name, func(t *testing.T) {
			q, attempt := a.begin("/")
			a.audit.Reset()
			before := a.signIns.Load()
			req := httptest.NewRequest("GET", "https://app.example/oauth/callback?"+tc.query(q.Get("state")), nil)
			if tc.cookie {
				req.AddCookie(&http.Cookie{Name: attempt.Name, Value: attempt.Value})
			}
			resp, body := do(t, a.app, req)
			var p map[string]any
			if resp.StatusCode != http.StatusBadRequest || json.Unmarshal([]byte(body), &p) != nil || p["code"] != tc.code || p["type"] != guard.TypeInvalidRequest {
				t.Fatalf("got %d %s, want 400 with code %s", resp.StatusCode, body, tc.code)
			}
			if resp.Header.Get("Content-Type") != guard.ProblemContentType || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Location") != "" {
				t.Errorf("Content-Type %q, Cache-Control %q, Location %q", resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), resp.Header.Get("Location"))
			}
			checkHeaders(t, resp.Header, DefaultHeaders)
			cleared := false
			for _, c := range resp.Cookies() {
				switch {
				case c.Name == a.mgr.CookieName():
					t.Errorf("a refused callback set the session cookie: %q", resp.Header.Values("Set-Cookie"))
				case c.Name == attempt.Name && c.MaxAge < 0:
					cleared = true
				}
			}
			if cleared != tc.cleared {
				t.Errorf("attempt cookie cleared %v, want %v: %q", cleared, tc.cleared, resp.Header.Values("Set-Cookie"))
			}
			if a.signIns.Load() != before {
				t.Error("signed in anyway")
			}
			if evs := a.audit.Of(audit.OAuthFailed); len(evs) != 1 || !strings.HasPrefix(evs[0].Reason, tc.code) {
				t.Errorf("audit events %+v", a.audit.Events())
			}
		})
	}
}
