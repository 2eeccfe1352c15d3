package authtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/internal/random"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/session"
	sessionredis "github.com/authkit-go/authkit/core/session/redisstore"
	"github.com/authkit-go/authkit/core/token"
)

// Clock is a settable clock for lifetime cases: Now for WithClock options,
// Advance instead of sleeping.
type Clock = testclock.Clock

// NewClock returns a Clock at a fixed instant.
func NewClock() *Clock { return testclock.New() }

// WallClock is the wall clock moved ahead by Advance, for tests against
// something that keeps real time, such as an OpenID provider signing ID
// tokens. Its zero value is the wall clock.
type WallClock = testclock.Wall

// sessionApp is the app every session case runs against.
type sessionApp struct {
	t     *testing.T
	app   App
	mgr   *session.Manager
	clock *Clock
}

func newSessionApp(t *testing.T, f Factory, extra ...guard.Option) *sessionApp {
	t.Helper()
	clock := NewClock()
	mgr, err := session.New(session.WithClock(clock.Now), session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	opts := append([]guard.Option{guard.WithSessions(mgr), guard.WithAudit(audit.Discard)}, extra...)
	return &sessionApp{t: t, app: f(t, opts, sessionRoutes(mgr)), mgr: mgr, clock: clock}
}

func sessionRoutes(mgr *session.Manager) []Route {
	who := func(ctx context.Context) Reply {
		p, _ := guard.PrincipalFrom(ctx)
		return Reply{Status: http.StatusOK, Body: p.Subject + " " + p.Via}
	}
	signIn := func(user string) func(context.Context) Reply {
		return func(ctx context.Context) Reply {
			if _, err := guard.SignIn(ctx, guard.Principal{Subject: user, Roles: []string{"user"}, AMR: []string{"pwd"}}); err != nil {
				return Reply{Status: http.StatusServiceUnavailable, Body: err.Error()}
			}
			return Reply{Status: http.StatusOK, Body: "signed in"}
		}
	}
	return []Route{
		{Method: "POST", Path: "/login-stream", Handle: func(ctx context.Context) Reply {
			r := signIn("alice")(ctx)
			r.Flush = true
			return r
		}},
		{Method: "POST", Path: "/start", Handle: func(ctx context.Context) Reply {
			if _, err := guard.StartSession(ctx); err != nil {
				return Reply{Status: http.StatusServiceUnavailable, Body: err.Error()}
			}
			return Reply{Status: http.StatusOK, Body: "started"}
		}},
		{Method: "POST", Path: "/login", Handle: signIn("alice")},
		{Method: "POST", Path: "/login-bob", Handle: signIn("bob")},
		{Method: "POST", Path: "/note", Rules: []guard.Rule{guard.Authenticated()}, Handle: func(ctx context.Context) Reply {
			s, ok := guard.SessionFrom(ctx)
			if !ok || s.Set("note", "private to "+s.UserID()) != nil {
				return Reply{Status: http.StatusInternalServerError}
			}
			return Reply{Status: http.StatusOK, Body: "noted"}
		}},
		{Method: "GET", Path: "/note", Rules: []guard.Rule{guard.Authenticated()}, Handle: func(ctx context.Context) Reply {
			s, _ := guard.SessionFrom(ctx)
			note, _ := session.Get[string](s, "note")
			return Reply{Status: http.StatusOK, Body: s.UserID() + ":" + note}
		}},
		{Method: "GET", Path: "/me", Rules: []guard.Rule{guard.Authenticated()}, Handle: who},
		{Method: "GET", Path: "/open", Handle: fixed(http.StatusOK, "open")},
		{Method: "POST", Path: "/write", Rules: []guard.Rule{guard.Authenticated()}, Handle: fixed(http.StatusOK, "written")},
		{Method: "POST", Path: "/hooks/in", Rules: []guard.Rule{guard.Authenticated()}, Handle: fixed(http.StatusOK, "hooked")},
		{Method: "POST", Path: "/logout", Rules: []guard.Rule{guard.Authenticated()}, Handle: func(ctx context.Context) Reply {
			if err := guard.SignOut(ctx); err != nil {
				return Reply{Status: http.StatusServiceUnavailable, Body: err.Error()}
			}
			return Reply{Status: http.StatusNoContent}
		}},
		{Method: "POST", Path: "/logout-all", Rules: []guard.Rule{guard.Authenticated()}, Handle: func(ctx context.Context) Reply {
			p, _ := guard.PrincipalFrom(ctx)
			if _, err := mgr.DestroyAll(ctx, p.Subject); err != nil {
				return Reply{Status: http.StatusServiceUnavailable, Body: err.Error()}
			}
			return Reply{Status: http.StatusNoContent}
		}},
	}
}

// send issues method path with the session cookie value (if not empty) and
// extra headers given as name, value pairs.
func (a *sessionApp) send(method, path, cookie string, hdr ...string) (*http.Response, string) {
	a.t.Helper()
	req := httptest.NewRequest(method, "http://example.com"+path, nil)
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: a.mgr.CookieName(), Value: cookie})
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(a.t, a.app, req)
}

// sessionCookie returns the session cookie the response set, if any.
func (a *sessionApp) sessionCookie(resp *http.Response) (*http.Cookie, bool) {
	a.t.Helper()
	return setCookie(a.t, resp, a.mgr.CookieName())
}

// login signs alice in and returns the new session id.
func (a *sessionApp) login(cookie string) string {
	a.t.Helper()
	resp, body := a.send("POST", "/login", cookie)
	if resp.StatusCode != 200 {
		a.t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	c, ok := a.sessionCookie(resp)
	if !ok || c.Value == "" {
		a.t.Fatalf("login set no session cookie: %q", resp.Header.Values("Set-Cookie"))
	}
	return c.Value
}

func (a *sessionApp) wantMe(cookie string, status int) {
	a.t.Helper()
	resp, body := a.send("GET", "/me", cookie)
	if resp.StatusCode != status {
		a.t.Fatalf("GET /me = %d %q, want %d", resp.StatusCode, body, status)
	}
	if status == 200 && body != "alice session" {
		a.t.Fatalf("GET /me body = %q, want \"alice session\"", body)
	}
}

func randomID() string { return random.Base64URL(32) }

func runSessionCases(t *testing.T, f Factory) {
	t.Run("cookie attributes", func(t *testing.T) {
		a := newSessionApp(t, f)
		resp, _ := a.send("POST", "/login", "")
		line := ""
		for _, l := range resp.Header.Values("Set-Cookie") {
			if strings.HasPrefix(l, session.DefaultCookieName+"=") {
				line = l
			}
		}
		c, ok := a.sessionCookie(resp)
		if !ok {
			t.Fatalf("no session cookie in %q", resp.Header.Values("Set-Cookie"))
		}
		if c.Name != "__Host-session" || len(c.Value) != 43 || c.Path != "/" || c.Domain != "" ||
			!c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge != 1800 {
			t.Errorf("cookie = %q, want __Host-session=<43 chars>; Path=/; Max-Age=1800; HttpOnly; Secure; SameSite=Lax", line)
		}
		a.wantMe(c.Value, 200)
	})

	t.Run("a handler that flushes still sets the cookie", func(t *testing.T) {
		a := newSessionApp(t, f)
		resp, body := a.send("POST", "/login-stream", "")
		c, ok := a.sessionCookie(resp)
		if resp.StatusCode != 200 || !ok || c.Value == "" {
			t.Fatalf("streamed sign-in: %d %q, cookies %q", resp.StatusCode, body, resp.Header.Values("Set-Cookie"))
		}
		a.wantMe(c.Value, 200)
	})

	t.Run("anonymous request creates no session", func(t *testing.T) {
		a := newSessionApp(t, f)
		resp, _ := a.send("GET", "/open", "")
		if _, ok := a.sessionCookie(resp); ok {
			t.Errorf("a session cookie was set for an anonymous read: %q", resp.Header.Values("Set-Cookie"))
		}
	})

	t.Run("fixation: the id changes at login", func(t *testing.T) {
		a := newSessionApp(t, f)
		resp, _ := a.send("POST", "/start", "")
		pre, ok := a.sessionCookie(resp)
		if !ok {
			t.Fatal("StartSession set no cookie")
		}
		a.wantMe(pre.Value, 401) // anonymous session: not authenticated
		post := a.login(pre.Value)
		if post == pre.Value {
			t.Fatal("login kept the pre-login session id")
		}
		a.wantMe(pre.Value, 401)
		a.wantMe(post, 200)
	})

	t.Run("fixation: a planted id is ignored", func(t *testing.T) {
		a := newSessionApp(t, f)
		planted := randomID()
		resp, _ := a.send("GET", "/me", planted)
		if resp.StatusCode != 401 {
			t.Fatalf("planted id authenticated: %d", resp.StatusCode)
		}
		if c, ok := a.sessionCookie(resp); !ok || c.MaxAge >= 0 || c.Value != "" {
			t.Errorf("stale cookie not cleared: %q", resp.Header.Values("Set-Cookie"))
		}
		got := a.login(planted)
		if got == planted {
			t.Fatal("login adopted the planted id")
		}
		a.wantMe(planted, 401)
		a.wantMe(got, 200)
	})

	t.Run("signing in as another user starts a clean session", func(t *testing.T) {
		a := newSessionApp(t, f)
		alice := a.login("")
		if resp, body := a.send("POST", "/note", alice); resp.StatusCode != 200 {
			t.Fatalf("POST /note = %d %q", resp.StatusCode, body)
		}
		resp, _ := a.send("POST", "/login-bob", alice)
		c, ok := a.sessionCookie(resp)
		if !ok || c.Value == "" || c.Value == alice {
			t.Fatalf("bob's sign-in on alice's cookie set %q", resp.Header.Values("Set-Cookie"))
		}
		if _, body := a.send("GET", "/note", c.Value); body != "bob:" {
			t.Errorf("bob's session holds %q, want nothing of alice's", body)
		}
		a.wantMe(alice, 401)
	})

	t.Run("idle expiry slides, then expires", func(t *testing.T) {
		a := newSessionApp(t, f)
		id := a.login("")
		for i := 0; i < 3; i++ { // 60 min in all, never 30 idle
			a.clock.Advance(20 * time.Minute)
			a.wantMe(id, 200)
		}
		a.clock.Advance(2 * time.Minute) // past the touch interval: the session slides
		resp, _ := a.send("GET", "/me", id)
		if c, ok := a.sessionCookie(resp); !ok || c.Value != id || c.MaxAge != 1800 {
			t.Errorf("sliding did not refresh the cookie: %q, want the same id with Max-Age=1800", resp.Header.Values("Set-Cookie"))
		}
		a.clock.Advance(31 * time.Minute)
		a.wantMe(id, 401)
	})

	t.Run("absolute lifetime ends a busy session", func(t *testing.T) {
		a := newSessionApp(t, f)
		id := a.login("")
		for elapsed := time.Duration(0); elapsed < 12*time.Hour-20*time.Minute; elapsed += 20 * time.Minute {
			a.clock.Advance(20 * time.Minute)
			a.wantMe(id, 200)
		}
		a.clock.Advance(21 * time.Minute)
		a.wantMe(id, 401)
	})

	t.Run("logout destroys and clears", func(t *testing.T) {
		a := newSessionApp(t, f)
		id := a.login("")
		resp, _ := a.send("POST", "/logout", id)
		if resp.StatusCode != 204 {
			t.Fatalf("logout = %d", resp.StatusCode)
		}
		if c, ok := a.sessionCookie(resp); !ok || c.MaxAge >= 0 {
			t.Errorf("logout did not clear the cookie: %q", resp.Header.Values("Set-Cookie"))
		}
		a.wantMe(id, 401)
	})

	t.Run("destroy-all ends every device", func(t *testing.T) {
		a := newSessionApp(t, f)
		one, two := a.login(""), a.login("")
		if one == two {
			t.Fatal("two logins share an id")
		}
		if resp, _ := a.send("POST", "/logout-all", two); resp.StatusCode != 204 {
			t.Fatalf("logout-all = %d", resp.StatusCode)
		}
		a.wantMe(one, 401)
		a.wantMe(two, 401)
	})

	t.Run("tampered, oversized and malformed cookies", func(t *testing.T) {
		a := newSessionApp(t, f)
		id := a.login("")
		flipped := []byte(id)
		if flipped[5] == 'A' {
			flipped[5] = 'B'
		} else {
			flipped[5] = 'A'
		}
		for _, bad := range []string{
			string(flipped), id + "A", id[:42], strings.Repeat("A", 4000), "..%2f..%2f", id[:40] + "+/=",
			"\x7f" + id[1:], "' OR 1=1 --",
		} {
			resp, body := a.send("GET", "/me", bad)
			if resp.StatusCode != 401 {
				t.Errorf("cookie %.20q…: /me = %d %q, want 401", bad, resp.StatusCode, body)
			}
		}
		a.wantMe(id, 200)
	})

	t.Run("CSRF origin matrix", func(t *testing.T) {
		a := newSessionApp(t, f, guard.WithTrustedOrigins("https://partner.example"), guard.WithCSRFExemptPaths("POST /hooks/"))
		id := a.login("")
		cases := []struct {
			name   string
			method string
			path   string
			cookie string
			hdr    []string
			want   int
		}{
			{"same-origin fetch", "POST", "/write", id, []string{"Sec-Fetch-Site", "same-origin"}, 200},
			{"user-initiated navigation", "POST", "/write", id, []string{"Sec-Fetch-Site", "none"}, 200},
			{"cross-site fetch", "POST", "/write", id, []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, 403},
			{"same-site is not same-origin", "POST", "/write", id, []string{"Sec-Fetch-Site", "same-site", "Origin", "https://sub.example.com"}, 403},
			{"old browser, Origin matches Host", "POST", "/write", id, []string{"Origin", "http://example.com"}, 200},
			{"old browser, foreign Origin", "POST", "/write", id, []string{"Origin", "https://evil.example"}, 403},
			{"non-browser client, no headers", "POST", "/write", id, nil, 200},
			{"trusted origin", "POST", "/write", id, []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://partner.example"}, 200},
			{"exempt path", "POST", "/hooks/in", id, []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, 200},
			{"safe method cross-site", "GET", "/me", id, []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, 200},
			{"login CSRF: a cross-site sign-in without a cookie", "POST", "/login", "", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, 403},
			{"same-origin sign-in without a cookie", "POST", "/login", "", []string{"Sec-Fetch-Site", "same-origin"}, 200},
			{"non-browser sign-in without a cookie", "POST", "/login", "", nil, 200},
			{"PUT cross-site", "PUT", "/write", id, []string{"Sec-Fetch-Site", "cross-site"}, 403},
			{"another Authorization scheme does not exempt", "POST", "/write", id, []string{"Authorization", "Basic YTpi", "Sec-Fetch-Site", "cross-site"}, 403},
			{"DELETE cross-site", "DELETE", "/write", id, []string{"Sec-Fetch-Site", "cross-site"}, 403},
		}
		for _, tc := range cases {
			resp, body := a.send(tc.method, tc.path, tc.cookie, tc.hdr...)
			// PUT and DELETE /write are not routed: past the origin check they get 405.
			got := resp.StatusCode
			if got == 405 && tc.want != 403 {
				got = tc.want
			}
			if got != tc.want {
				t.Errorf("%s: %s %s = %d %q, want %d", tc.name, tc.method, tc.path, resp.StatusCode, body, tc.want)
			}
			if tc.want == 403 && resp.Header.Get("Content-Type") != guard.ProblemContentType {
				t.Errorf("%s: denial Content-Type = %q", tc.name, resp.Header.Get("Content-Type"))
			}
		}
	})

	t.Run("sessions beside tokens", func(t *testing.T) {
		clock := NewClock()
		iss := NewIssuer(t, token.ES256, clock.Now, token.WithAudit(audit.Discard))
		a := newSessionApp(t, f, guard.WithTokens(iss))
		id := a.login("")
		bob, err := iss.IssuePair(context.Background(), token.Subject{ID: "bob"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, auth, want string
			status           int
		}{
			{"cookie alone", "", "alice session", 200},
			{"a Basic header leaves the cookie in charge", "Basic YTpi", "alice session", 200},
			{"a bearer token wins over the cookie", "Bearer " + bob.AccessToken, "bob token", 200},
			{"a bad bearer token is refused despite the cookie", "Bearer x.y.z", "", 401},
		} {
			hdr := []string{}
			if tc.auth != "" {
				hdr = append(hdr, "Authorization", tc.auth)
			}
			resp, body := a.send("GET", "/me", id, hdr...)
			if resp.StatusCode != tc.status || (tc.want != "" && body != tc.want) {
				t.Errorf("%s: %d %q, want %d %q", tc.name, resp.StatusCode, body, tc.status, tc.want)
			}
		}
	})

	t.Run("store outage and recovery", func(t *testing.T) {
		srv := redistest.StartServer(t)
		store, err := sessionredis.New(srv.Client())
		if err != nil {
			t.Fatal(err)
		}
		mgr, err := session.New(session.WithStore(store), session.WithAudit(audit.Discard))
		if err != nil {
			t.Fatal(err)
		}
		a := &sessionApp{t: t, mgr: mgr, clock: NewClock(),
			app: f(t, []guard.Option{guard.WithSessions(mgr), guard.WithAudit(audit.Discard)}, sessionRoutes(mgr))}
		id := a.login("")
		a.wantMe(id, 200)
		srv.Stop()
		resp, body := a.send("GET", "/me", id)
		if resp.StatusCode != 503 || resp.Header.Get("Content-Type") != guard.ProblemContentType {
			t.Errorf("/me while Redis is down = %d %q, want 503 problem+json", resp.StatusCode, body)
		}
		if resp, _ := a.send("GET", "/open", id); resp.StatusCode != 200 {
			t.Errorf("/open while Redis is down = %d, want 200", resp.StatusCode)
		}
		if resp, _ := a.send("POST", "/login", ""); resp.StatusCode != 503 {
			t.Errorf("sign-in while Redis is down = %d, want 503", resp.StatusCode)
		}
		srv.Start() // an empty Redis: the old session is gone, the service is back
		a.wantMe(id, 401)
		a.wantMe(a.login(""), 200)
	})

	t.Run("store unavailable: 503 where a session is needed, open routes work", func(t *testing.T) {
		store, err := sessionredis.New(redistest.Unreachable(t))
		if err != nil {
			t.Fatal(err)
		}
		mgr, err := session.New(session.WithStore(store), session.WithAudit(audit.Discard))
		if err != nil {
			t.Fatal(err)
		}
		app := f(t, []guard.Option{guard.WithSessions(mgr)}, sessionRoutes(mgr))
		req := httptest.NewRequest("GET", "/me", nil)
		req.AddCookie(&http.Cookie{Name: mgr.CookieName(), Value: randomID()})
		resp, body := do(t, app, req)
		if resp.StatusCode != 503 || resp.Header.Get("Content-Type") != guard.ProblemContentType {
			t.Errorf("/me with the store down = %d %s %q, want 503 problem+json", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		req = httptest.NewRequest("GET", "/open", nil)
		req.AddCookie(&http.Cookie{Name: mgr.CookieName(), Value: randomID()})
		if resp, _ := do(t, app, req); resp.StatusCode != 200 {
			t.Errorf("/open with the store down = %d, want 200", resp.StatusCode)
		}
	})
}
