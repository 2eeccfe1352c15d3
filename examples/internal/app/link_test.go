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
			me := func(h map[string]string) int { return s.status("GET", "/me", "", h) }
			logout := func(h map[string]string) int { return s.status("POST", "/logout", "", h) }
			refresh := func(rt string) int { return s.status("POST", "/token/refresh", `{"refresh_token":"`+rt+`"}`, nil) }
			// check stops the subtest when a step answers other than want:
			// the steps after it would prove nothing.
			check := func(t *testing.T, step string, got, want int) {
				t.Helper()
				if got != want {
					t.Fatalf("%s: %d, want %d", step, got, want)
				}
			}

			t.Run("login gives a pair and a session", func(t *testing.T) {
				access, _, cookie := s.loginPair()
				check(t, "/me by token", me(bearer(access)), http.StatusOK)
				check(t, "/me by cookie", me(byCookie(cookie)), http.StatusOK)
			})
			t.Run("reuse of an old refresh token ends the session", func(t *testing.T) {
				_, rt, cookie := s.loginPair()
				check(t, "first refresh", refresh(rt), http.StatusOK)
				check(t, "replay", refresh(rt), http.StatusUnauthorized)
				check(t, "/me by cookie after refresh-token reuse", me(byCookie(cookie)), http.StatusUnauthorized)
			})
			t.Run("logout with the bearer token alone ends the session", func(t *testing.T) {
				access, _, cookie := s.loginPair()
				check(t, "logout", logout(bearer(access)), http.StatusNoContent)
				check(t, "/me by cookie after a bearer logout", me(byCookie(cookie)), http.StatusUnauthorized)
			})
			t.Run("logout with the cookie ends the refresh token", func(t *testing.T) {
				access, rt, cookie := s.loginPair()
				check(t, "logout", logout(byCookie(cookie)), http.StatusNoContent)
				check(t, "refresh after a logout by cookie", refresh(rt), http.StatusUnauthorized)
				check(t, "/me by token after a logout by cookie", me(bearer(access)), http.StatusUnauthorized)
			})
			t.Run("another login survives", func(t *testing.T) {
				access, _, cookie := s.loginPair()
				other, _, _ := s.loginPair()
				check(t, "logout of the other login", logout(bearer(other)), http.StatusNoContent)
				check(t, "/me by cookie of the surviving login", me(byCookie(cookie)), http.StatusOK)
				check(t, "/me by token of the surviving login", me(bearer(access)), http.StatusOK)
			})
		})
	}
}
