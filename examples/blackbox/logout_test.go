package blackbox

import "testing"

// TestLogoutRefreshTokenAlone checks on all four servers that a refresh
// token alone logs out (RFC 7009), ending that sign-in's tokens, and that a
// logout presenting nothing valid is a 401.
func TestLogoutRefreshTokenAlone(t *testing.T) {
	for _, fw := range Frameworks {
		t.Run(fw, func(t *testing.T) {
			t.Parallel()
			s := start(t, fw, memoryEnv, "-dev-fast-hash")
			r := &run{t: t, s: s}
			r.expect("register", r.do("register", req{method: "POST", path: "/register", body: creds("alice", goodPass)}), 201)
			p, _ := r.login("login", "alice", "device-A", "")
			other, _ := r.login("login again", "alice", "device-B", "")
			refresh := `{"refresh_token":"` + p.RefreshToken + `"}`
			r.expect("logout refresh token alone", r.do("logout refresh token alone", req{method: "POST", path: "/logout", body: refresh}), 204)
			r.expect("refresh after logout", r.do("refresh after logout", req{method: "POST", path: "/token/refresh", body: refresh}), 401)
			r.whoami("access token after logout", req{bearer: p.AccessToken}, "", "")
			r.whoami("other sign-in still in", req{bearer: other.AccessToken}, "alice", "token")
			for _, body := range []string{"", `{}`, `{"refresh_token":"not-a-token"}`, `{"refresh_token":"` + tamper(other.RefreshToken) + `"}`} {
				a := r.do("logout nothing valid", req{method: "POST", path: "/logout", body: body})
				r.expect("logout nothing valid", a, 401)
				if a.Header.Get("WWW-Authenticate") != "Bearer" {
					t.Errorf("%s: logout %q: WWW-Authenticate %q, want Bearer", fw, body, a.Header.Get("WWW-Authenticate"))
				}
			}
		})
	}
}
