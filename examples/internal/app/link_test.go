package app

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/authkit-go/authkit/core/authtest/redistest"
)

// loginPair signs alice in and returns her token pair and session cookie.
func (s *testServer) loginPair() (access, refresh, cookie string) {
	s.t.Helper()
	resp := s.call("POST", "/login", `{"username":"alice","password":"Correct-Horse-42"}`, nil)
	body := readAll(s.t, resp)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	var pair struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal([]byte(body), &pair); err != nil || pair.AccessToken == "" || pair.RefreshToken == "" {
		s.t.Fatalf("login body %s: %v", body, err)
	}
	for _, c := range resp.Cookies() {
		if c.Value != "" && c.MaxAge >= 0 {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		s.t.Fatal("login set no session cookie")
	}
	return pair.AccessToken, pair.RefreshToken, cookie
}

func (s *testServer) status(method, path, body string, header map[string]string) int {
	s.t.Helper()
	resp := s.call(method, path, body, header)
	readAll(s.t, resp)
	return resp.StatusCode
}

// Issue 10, finding 7, end to end: a login gives a token pair and a
// session; revoking either end — reuse of an old refresh token, a logout
// with the bearer token alone, a logout with the cookie alone — ends both.
func TestLoginSessionAndTokensEndTogether(t *testing.T) {
	configs := map[string]func(t *testing.T) Config{
		"memory": func(*testing.T) Config { return Config{} },
		"redis": func(t *testing.T) Config {
			redistest.Client(t) // skips, or fails under REQUIRE_REDIS=1, without Redis
			return Config{RedisURL: redistest.URL(), RedisPrefix: redistest.Prefix(t)}
		},
		"cluster": func(t *testing.T) Config {
			c := redistest.ClusterClient(t) // skips, or fails under REQUIRE_REDIS_CLUSTER=1, without a Cluster
			return Config{Redis: c, RedisPrefix: redistest.PrefixFor(t, c)}
		},
	}
	for name, cfg := range configs {
		t.Run(name, func(t *testing.T) {
			s := newTestServer(t, cfg(t))
			s.register("alice", "Correct-Horse-42")
			byCookie := func(c string) map[string]string { return map[string]string{"Cookie": c} }
			bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
			refresh := func(rt string) int { return s.status("POST", "/token/refresh", `{"refresh_token":"`+rt+`"}`, nil) }

			t.Run("login gives a pair and a session", func(t *testing.T) {
				access, _, cookie := s.loginPair()
				if got := s.status("GET", "/me", "", bearer(access)); got != http.StatusOK {
					t.Errorf("/me by token: %d", got)
				}
				if got := s.status("GET", "/me", "", byCookie(cookie)); got != http.StatusOK {
					t.Errorf("/me by cookie: %d", got)
				}
			})
			t.Run("reuse of an old refresh token ends the session", func(t *testing.T) {
				_, rt, cookie := s.loginPair()
				if got := refresh(rt); got != http.StatusOK {
					t.Fatalf("first refresh: %d", got)
				}
				if got := refresh(rt); got != http.StatusUnauthorized {
					t.Fatalf("replay: %d, want 401", got)
				}
				if got := s.status("GET", "/me", "", byCookie(cookie)); got != http.StatusUnauthorized {
					t.Errorf("/me by cookie after refresh-token reuse: %d, want 401", got)
				}
			})
			t.Run("logout with the bearer token alone ends the session", func(t *testing.T) {
				access, _, cookie := s.loginPair()
				if got := s.status("POST", "/logout", "", bearer(access)); got != http.StatusNoContent {
					t.Fatalf("logout: %d", got)
				}
				if got := s.status("GET", "/me", "", byCookie(cookie)); got != http.StatusUnauthorized {
					t.Errorf("/me by cookie after a bearer logout: %d, want 401", got)
				}
			})
			t.Run("logout with the cookie ends the refresh token", func(t *testing.T) {
				access, rt, cookie := s.loginPair()
				if got := s.status("POST", "/logout", "", byCookie(cookie)); got != http.StatusNoContent {
					t.Fatalf("logout: %d", got)
				}
				if got := refresh(rt); got != http.StatusUnauthorized {
					t.Errorf("refresh after a logout by cookie: %d, want 401", got)
				}
				if got := s.status("GET", "/me", "", bearer(access)); got != http.StatusUnauthorized {
					t.Errorf("/me by token after a logout by cookie: %d, want 401", got)
				}
			})
			t.Run("another login survives", func(t *testing.T) {
				access, _, cookie := s.loginPair()
				other, _, _ := s.loginPair()
				if got := s.status("POST", "/logout", "", bearer(other)); got != http.StatusNoContent {
					t.Fatalf("logout: %d", got)
				}
				if s.status("GET", "/me", "", byCookie(cookie)) != http.StatusOK || s.status("GET", "/me", "", bearer(access)) != http.StatusOK {
					t.Error("logging out one login ended another")
				}
			})
		})
	}
}
