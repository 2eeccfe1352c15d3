package blackbox

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The reference API's lifetimes and cookies, as "Details the tests rely
// on" states them.
const (
	accessTTL  = 15 * time.Minute
	refreshTTL = 14 * 24 * time.Hour
	idleTTL    = 30 * time.Minute // the session cookie's Max-Age
)

// cookieNames are the cookies' names: __Host-session and __Secure-refresh,
// or session and refresh under -insecure-cookies.
type cookieNames struct {
	session, refresh string
	secure           bool
}

var (
	secureCookies   = cookieNames{session: cookieName, refresh: refreshCookieName, secure: true}
	insecureCookies = cookieNames{session: "session", refresh: "refresh"}
)

// setCookies returns the cookies an answer sets or clears, by name.
func setCookies(a reply) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: a.Header}).Cookies() {
		out[c.Name] = c
	}
	return out
}

// jwtClaims decodes the claims of a JWT without verifying it: what a
// client may read of the tokens it holds.
func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("%.20s… is no JWT", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil {
		t.Fatalf("the claims of %.20s…: %v", tok, err)
	}
	return c
}

// lifetime is a JWT's exp - iat.
func lifetime(t *testing.T, tok string) time.Duration {
	t.Helper()
	c := jwtClaims(t, tok)
	exp, _ := c["exp"].(float64)
	iat, _ := c["iat"].(float64)
	return time.Duration((exp - iat) * float64(time.Second))
}

// about reports whether d is want, less at most the second a
// NumericDate's rounding costs.
func about(d, want time.Duration) bool { return d > want-time.Second-time.Millisecond && d <= want }

// checkSessionCookie checks the session cookie a sign-in set: HttpOnly,
// Secure (unless insecure), SameSite=Lax, Path=/, no Domain, Max-Age the
// idle TTL.
func (r *run) checkSessionCookie(step string, a reply, n cookieNames) string {
	r.t.Helper()
	c := setCookies(a)[n.session]
	if c == nil || c.Value == "" || c.MaxAge < 0 {
		r.t.Fatalf("%s: %s: no %s cookie in %q", r.s.Name, step, n.session, a.Header.Values("Set-Cookie"))
	}
	if !c.HttpOnly || c.Secure != n.secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" ||
		c.MaxAge < int(idleTTL/time.Second)-2 || c.MaxAge > int(idleTTL/time.Second) {
		r.t.Errorf("%s: %s: session cookie %q, want %s; HttpOnly; Secure=%v; SameSite=Lax; Path=/; Max-Age=%d",
			r.s.Name, step, c.String(), n.session, n.secure, int(idleTTL/time.Second))
	}
	return c.Value
}

// checkRefreshCookie checks the refresh cookie of a cookie-mode answer:
// HttpOnly, Secure (unless insecure), SameSite=Strict,
// Path=/token/refresh, Max-Age the refresh token's remaining lifetime.
func (r *run) checkRefreshCookie(step string, a reply, n cookieNames) string {
	r.t.Helper()
	c := setCookies(a)[n.refresh]
	if c == nil || c.Value == "" || c.MaxAge < 0 {
		r.t.Fatalf("%s: %s: no %s cookie in %q", r.s.Name, step, n.refresh, a.Header.Values("Set-Cookie"))
	}
	left := time.Until(time.Unix(int64(jwtClaims(r.t, c.Value)["exp"].(float64)), 0))
	if !c.HttpOnly || c.Secure != n.secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/token/refresh" ||
		time.Duration(c.MaxAge)*time.Second > left+2*time.Second || time.Duration(c.MaxAge)*time.Second < left-2*time.Second {
		r.t.Errorf("%s: %s: refresh cookie %q, want %s; HttpOnly; Secure=%v; SameSite=Strict; Path=/token/refresh; Max-Age=%v",
			r.s.Name, step, c.String(), n.refresh, n.secure, left.Round(time.Second))
	}
	return c.Value
}

// checkCleared fails unless the answer clears both cookies, the refresh
// cookie at its path.
func (r *run) checkCleared(step string, a reply, n cookieNames) {
	r.t.Helper()
	got := setCookies(a)
	for _, c := range []struct{ name, path string }{{n.session, "/"}, {n.refresh, "/token/refresh"}} {
		if k := got[c.name]; k == nil || k.MaxAge >= 0 || k.Value != "" || k.Path != c.path {
			r.t.Errorf("%s: %s: %s cookie not cleared at Path=%s: Set-Cookie %q", r.s.Name, step, c.name, c.path, a.Header.Values("Set-Cookie"))
		}
	}
}

// withCookie is q sending a session cookie of n's name.
func withCookie(q req, n cookieNames, value string) req {
	q.header = append(q.header, "Cookie", n.session+"="+value)
	return q
}

// cookieScenario checks the pair's lifetimes and the cookies' attributes,
// and that /logout and /logout/all clear both cookies however the request
// authenticates.
func cookieScenario(t *testing.T, s *Server, n cookieNames) []string {
	r := &run{t: t, s: s}
	r.expect("register", r.do("register", req{method: "POST", path: "/register", body: creds("alice", goodPass)}), 201)
	// The endpoints that want a sign-in: 401 with a challenge without one.
	for _, q := range []req{{method: "POST", path: "/logout"}, {method: "POST", path: "/logout/all"}, {method: "GET", path: "/sessions"}, {method: "GET", path: "/me"}} {
		a := r.do("anonymous "+q.path, q)
		r.expect("anonymous "+q.path, a, 401)
		if a.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: anonymous %s: 401 without WWW-Authenticate", s.Name, q.path)
		}
	}

	a := r.do("login", req{method: "POST", path: "/login", body: creds("alice", goodPass)})
	r.expect("login", a, 200)
	var p pair
	a.json(t, &p)
	if p.TokenType != "Bearer" || p.ExpiresIn != int(accessTTL/time.Second) {
		t.Errorf("%s: login %s, want token_type Bearer and expires_in %d", s.Name, a.Body, int(accessTTL/time.Second))
	}
	if d := lifetime(t, p.AccessToken); !about(d, accessTTL) {
		t.Errorf("%s: the access token lives %v, want %v", s.Name, d, accessTTL)
	}
	if d := lifetime(t, p.RefreshToken); !about(d, refreshTTL) {
		t.Errorf("%s: the refresh token lives %v, want %v", s.Name, d, refreshTTL)
	}
	if setCookies(a)[n.refresh] != nil {
		t.Errorf("%s: a body-mode login set the refresh cookie", s.Name)
	}
	sess := r.checkSessionCookie("login", a, n)
	a = r.do("me by cookie", withCookie(req{method: "GET", path: "/me"}, n, sess))
	r.expect("me by cookie", a, 200)
	if !strings.Contains(a.Body, `"via":"session"`) {
		t.Errorf("%s: /me by the %s cookie: %s", s.Name, n.session, a.Body)
	}

	// Cookie mode: the refresh cookie, at sign-in and at each refresh.
	cookieLogin := func(step string) (access, refresh, session string) {
		t.Helper()
		a := r.do(step, req{method: "POST", path: "/login", body: `{"username":"alice","password":"` + goodPass + `","refresh_cookie":true}`})
		r.expect(step, a, 200)
		var m map[string]any
		a.json(t, &m)
		if _, ok := m["refresh_token"]; ok {
			t.Errorf("%s: %s: cookie mode with refresh_token in the body", s.Name, step)
		}
		access, _ = m["access_token"].(string)
		return access, r.checkRefreshCookie(step, a, n), r.checkSessionCookie(step, a, n)
	}
	_, rt, _ := cookieLogin("cookie login")
	a = r.do("cookie refresh", req{method: "POST", path: "/token/refresh", header: []string{"Cookie", n.refresh + "=" + rt}})
	r.expect("cookie refresh", a, 200)
	if strings.Contains(a.Body, "refresh_token") {
		t.Errorf("%s: a cookie refresh answered %s, want no refresh_token", s.Name, a.Body)
	}
	r.checkRefreshCookie("cookie refresh", a, n)

	// /logout and /logout/all clear both cookies, whichever credential
	// the request brings.
	for _, path := range []string{"/logout", "/logout/all"} {
		for _, by := range []string{"bearer", "session", "refresh token"} {
			if path == "/logout/all" && by == "refresh token" {
				continue // bearer or session only
			}
			step := path + " by " + by
			access, refresh, session := cookieLogin("login for " + step)
			q := map[string]req{
				"bearer":        {bearer: access},
				"session":       withCookie(req{}, n, session),
				"refresh token": {body: body("refresh_token", refresh)},
			}[by]
			q.method, q.path = "POST", path
			a := r.do(step, q)
			r.expect(step, a, 204)
			r.checkCleared(step, a, n)
		}
	}
	return r.lines
}

// TestCookieContract checks the lifetimes and cookies of the reference API
// on the four servers, on memory and on Redis.
func TestCookieContract(t *testing.T) {
	onEveryServer(t, func(string, string) []string { return []string{"-dev-fast-hash"} }, func(t *testing.T, s *Server) []string {
		return cookieScenario(t, s, secureCookies)
	})
}

// TestInsecureCookiesContract: under -insecure-cookies the cookies are
// session and refresh, without Secure, and work as the secure ones do.
func TestInsecureCookiesContract(t *testing.T) {
	onEveryServer(t, func(string, string) []string { return []string{"-dev-fast-hash", "-insecure-cookies"} }, func(t *testing.T, s *Server) []string {
		return cookieScenario(t, s, insecureCookies)
	})
}
