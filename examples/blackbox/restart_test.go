package blackbox

import (
	"context"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/core/authtest/redistest"
)

// TestRestartOnRedis stops a server and starts it again on the same Redis
// and prefix: accounts, sessions, the signing key, revocations and a
// pending password reset token survive.
// The first run hashes cheaply and the second with the argon2id defaults,
// so the login after the restart also upgrades the stored hash.
func TestRestartOnRedis(t *testing.T) {
	for _, fw := range Frameworks {
		t.Run(fw, func(t *testing.T) {
			t.Parallel()
			env, prefix := redisEnv(t)
			mailFlags := []string{"-mail-dir", t.TempDir()}
			s1 := start(t, fw, env, append(mailFlags, "-dev-fast-hash")...)
			r := &run{t: t, s: s1}
			r.expect("register", r.do("register", req{method: "POST", path: "/register", body: body("username", "erin", "password", goodPass, "email", "erin@example.com")}), 201)
			r.expect("forgot", r.do("forgot", req{method: "POST", path: "/password/forgot", body: body("username", "erin")}), 202)
			reset := mailDirOf(t, s1).next("erin", "password_reset")
			p1, c1 := r.login("login 1", "erin", "device-1", "")
			p2, _ := r.login("login 2", "erin", "device-2", "")
			r.expect("logout token 2", r.do("logout token 2", req{method: "POST", path: "/logout", bearer: p2.AccessToken}), 204)
			r.whoami("token 2 revoked", req{bearer: p2.AccessToken}, "", "")
			s1.Stop()

			s2 := start(t, fw, env, mailFlags...)
			r = &run{t: t, s: s2}
			r.whoami("session survives", req{cookie: c1}, "erin", "session")
			r.whoami("token survives", req{bearer: p1.AccessToken}, "erin", "token")
			r.whoami("revocation survives", req{bearer: p2.AccessToken}, "", "")
			r.expect("account survives", r.do("account survives", req{method: "POST", path: "/register", body: creds("erin", goodPass)}), 409)
			r.login("login after restart", "erin", "device-3", "")
			r.expect("refresh survives", r.do("refresh survives", req{method: "POST", path: "/token/refresh", body: `{"refresh_token":"` + p1.RefreshToken + `"}`}), 200)
			if !strings.Contains(s2.Logs(), "event=password.rehashed") {
				t.Errorf("%s: the cheap hash was not upgraded at login after the restart; log:\n%s", fw, s2.Logs())
			}
			h, err := redistest.Client(t).HGet(context.Background(), prefix+"user:erin", "hash").Result()
			if err != nil || !strings.Contains(h, "m=65536,t=3,p=4") {
				t.Errorf("%s: stored hash after the upgrade = %q (%v), want the argon2id defaults", fw, h, err)
			}
			const newPass = "Fresh-Staple-Horse-9"
			r.expect("reset token survives", r.do("reset token survives", req{method: "POST", path: "/password/reset", body: body("token", reset.Token, "password", newPass)}), 204)
			r.expect("new password after restart", r.do("new password after restart", req{method: "POST", path: "/login", body: creds("erin", newPass)}), 200)
			for _, secret := range []string{goodPass, newPass, p1.AccessToken, p1.RefreshToken, c1, reset.Token} {
				if strings.Contains(s1.Logs()+s2.Logs(), secret) {
					t.Errorf("%s: a secret appears in the server log", fw)
				}
			}
		})
	}
}
