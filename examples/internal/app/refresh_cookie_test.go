package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// refreshCookieOf returns the refresh cookie resp set, nil when none.
func (s *testServer) refreshCookieOf(resp *http.Response) *http.Cookie {
	s.t.Helper()
	var found *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == s.app.guard.RefreshCookieName() {
			if found != nil {
				s.t.Fatalf("two refresh cookies: %q", resp.Header.Values("Set-Cookie"))
			}
			found = c
		}
	}
	return found
}

// cookieLogin signs name in with "refresh_cookie":true and returns the
// access token, the refresh cookie's value and the session cookie's.
func (s *testServer) cookieLogin(name string) (access, refresh, session string) {
	s.t.Helper()
	b, _ := json.Marshal(map[string]any{"username": name, "password": testPass, "refresh_cookie": true})
	resp := s.call("POST", "/login", string(b), nil)
	body := readAll(s.t, resp)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("cookie login %s: %d %s", name, resp.StatusCode, body)
	}
	s.wantCookieMode(resp, body)
	var p struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal([]byte(body), &p)
	for _, c := range resp.Cookies() {
		if c.Name == s.app.sessions.CookieName() {
			session = c.Value
		}
	}
	return p.AccessToken, s.refreshCookieOf(resp).Value, session
}

// wantCookieMode checks a 200 token answer in cookie mode: a refresh
// cookie with the reference API's attributes, and no refresh_token in the
// body.
func (s *testServer) wantCookieMode(resp *http.Response, body string) {
	s.t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		s.t.Fatalf("body %q: %v", body, err)
	}
	if _, ok := m["refresh_token"]; ok || m["access_token"] == "" || m["token_type"] != "Bearer" || m["expires_in"] != 900.0 {
		s.t.Errorf("cookie-mode body = %s, want access_token, token_type and expires_in without refresh_token", body)
	}
	c := s.refreshCookieOf(resp)
	if c == nil {
		s.t.Fatalf("no refresh cookie in %q", resp.Header.Values("Set-Cookie"))
	}
	if c.Name != "__Secure-refresh" || c.Value == "" || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode ||
		c.Path != "/token/refresh" || c.MaxAge != 14*24*3600 {
		s.t.Errorf("refresh cookie = %s, want __Secure-refresh; HttpOnly; Secure; SameSite=Strict; Path=/token/refresh; Max-Age=1209600", c)
	}
}

func (s *testServer) refreshWithCookie(value string, header ...string) (*http.Response, string) {
	s.t.Helper()
	h := map[string]string{"Cookie": s.app.guard.RefreshCookieName() + "=" + value}
	for i := 0; i+1 < len(header); i += 2 {
		h[header[i]] = header[i+1]
	}
	resp := s.call("POST", "/token/refresh", "", h)
	return resp, readAll(s.t, resp)
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func TestRefreshCookieMode(t *testing.T) {
	s := newTestServer(t, Config{})
	s.register("alice", testPass)
	_, rt1, _ := s.cookieLogin("alice")

	// Refresh with no body: from the cookie, and the answer stays in
	// cookie mode.
	resp, body := s.refreshWithCookie(rt1)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("cookie refresh: %d %s", resp.StatusCode, body)
	}
	s.wantCookieMode(resp, body)
	rt2 := s.refreshCookieOf(resp).Value
	if rt2 == rt1 {
		t.Fatal("the refresh cookie was not rotated")
	}
	// Reuse of the rotated token: 401, the family revoked, the cookie
	// dropped — as for a refresh token in the body.
	resp, body = s.refreshWithCookie(rt1)
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
		t.Fatalf("cookie reuse: %d %s", resp.StatusCode, body)
	}
	if c := s.refreshCookieOf(resp); c == nil || c.MaxAge >= 0 || c.Path != "/token/refresh" {
		t.Errorf("cookie reuse: refresh cookie not cleared: %q", resp.Header.Values("Set-Cookie"))
	}
	if resp, _ := s.refreshWithCookie(rt2); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("newest cookie after reuse: %d, want 401 (family revoked)", resp.StatusCode)
	}
	if resp := s.call("POST", "/token/refresh", `{"refresh_token":"`+rt2+`"}`, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("newest token in the body after cookie reuse: %d, want 401", resp.StatusCode)
	}

	// A body works as before, cookie or not: the pair in the body.
	_, rt, _ := s.cookieLogin("alice")
	resp = s.call("POST", "/token/refresh", `{"refresh_token":"`+rt+`"}`, map[string]string{"Cookie": "__Secure-refresh=ignored"})
	body = readAll(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"refresh_token":"`) || s.refreshCookieOf(resp) != nil {
		t.Errorf("body refresh with a cookie present: %d %s %q, want the pair in the body and no cookie", resp.StatusCode, body, resp.Header.Values("Set-Cookie"))
	}

	// Neither body nor cookie: 400.
	if resp := s.call("POST", "/token/refresh", "", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("refresh with nothing: %d, want 400", resp.StatusCode)
	}
	// "refresh_cookie": false is the body mode.
	resp = s.call("POST", "/login", `{"username":"alice","password":"`+testPass+`","refresh_cookie":false}`, nil)
	if body := readAll(t, resp); !strings.Contains(body, `"refresh_token":"`) || s.refreshCookieOf(resp) != nil {
		t.Errorf("refresh_cookie false: %s %q", body, resp.Header.Values("Set-Cookie"))
	}
	if resp := s.call("POST", "/login", `{"username":"alice","password":"`+testPass+`","refresh_cookie":"yes"}`, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("refresh_cookie as a string: %d, want 400", resp.StatusCode)
	}
}

// A cookie refresh is an unsafe request no bearer token authenticates: it
// passes the origin check, and a refused one spends nothing.
func TestRefreshCookieOriginCheck(t *testing.T) {
	s := newTestServer(t, Config{})
	s.register("alice", testPass)
	_, rt, _ := s.cookieLogin("alice")
	for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
		if resp, _ := s.refreshWithCookie(rt, h...); resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-origin cookie refresh (%s): %d, want 403", h[1], resp.StatusCode)
		}
	}
	if resp, body := s.refreshWithCookie(rt, "Sec-Fetch-Site", "same-origin"); resp.StatusCode != http.StatusOK {
		t.Errorf("same-origin cookie refresh after the refusals: %d %s", resp.StatusCode, body)
	}
}

// /logout and /logout/all clear the refresh cookie and end its family —
// through the access token or the linked session; the cookie itself never
// reaches them.
func TestLogoutClearsRefreshCookie(t *testing.T) {
	s := newTestServer(t, Config{})
	s.register("alice", testPass)
	for _, path := range []string{"/logout", "/logout/all"} {
		for _, via := range []string{"bearer", "session", "refresh token"} {
			access, rt, session := s.cookieLogin("alice")
			h, body := bearer(access), ""
			switch via {
			case "session":
				h = map[string]string{"Cookie": s.app.sessions.CookieName() + "=" + session}
			case "refresh token":
				if path != "/logout" {
					continue // /logout/all needs the signed-in user
				}
				h, body = nil, `{"refresh_token":"`+rt+`"}`
			}
			resp := s.call("POST", path, body, h)
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("%s by %s: %d %s", path, via, resp.StatusCode, readAll(t, resp))
			}
			if c := s.refreshCookieOf(resp); c == nil || c.MaxAge >= 0 || c.Value != "" || c.Path != "/token/refresh" {
				t.Errorf("%s by %s: refresh cookie not cleared at its path: %q", path, via, resp.Header.Values("Set-Cookie"))
			}
			if resp, _ := s.refreshWithCookie(rt); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s by %s: the refresh cookie still refreshes: %d", path, via, resp.StatusCode)
			}
		}
	}
}

func TestInsecureRefreshCookie(t *testing.T) {
	s := newTestServer(t, Config{InsecureCookies: true})
	s.register("alice", testPass)
	b, _ := json.Marshal(map[string]any{"username": "alice", "password": testPass, "refresh_cookie": true})
	resp := s.call("POST", "/login", string(b), nil)
	c := s.refreshCookieOf(resp)
	if c == nil || c.Name != "refresh" || c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/token/refresh" {
		t.Fatalf("-insecure-cookies refresh cookie = %v (Set-Cookie %q), want refresh; HttpOnly; SameSite=Strict; Path=/token/refresh; no Secure", c, resp.Header.Values("Set-Cookie"))
	}
	if resp, body := s.refreshWithCookie(c.Value); resp.StatusCode != http.StatusOK {
		t.Errorf("refresh with the insecure cookie: %d %s", resp.StatusCode, body)
	}
}

// /login/mfa hands out the refresh cookie as /login does, and so does
// /login with a code.
func TestRefreshCookieAfterMFA(t *testing.T) {
	s := newMFAServer(t, Config{})
	s.register("alice", testPass)
	_, ses := s.signIn("alice", nil)
	secret, _, _ := s.enrol(ses)
	s.nextStep()
	pending := mfaRequired(t, "login", s.send("POST", "/login", map[string]any{"username": "alice", "password": testPass, "refresh_cookie": true}, cred{}))
	b, _ := json.Marshal(map[string]any{"mfa_token": pending, "otp": s.code(secret, 0), "refresh_cookie": true})
	resp := s.call("POST", "/login/mfa", string(b), nil)
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/login/mfa: %d %s", resp.StatusCode, body)
	}
	s.wantCookieMode(resp, body)
	if r, body := s.refreshWithCookie(s.refreshCookieOf(resp).Value); r.StatusCode != http.StatusOK {
		t.Errorf("refresh with the cookie /login/mfa set: %d %s", r.StatusCode, body)
	}
	s.nextStep()
	b, _ = json.Marshal(map[string]any{"username": "alice", "password": testPass, "otp": s.code(secret, 0), "refresh_cookie": true})
	resp = s.call("POST", "/login", string(b), nil)
	body = readAll(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/login with a code: %d %s", resp.StatusCode, body)
	}
	s.wantCookieMode(resp, body)
}
