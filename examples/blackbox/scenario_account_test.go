package blackbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// mailDir reads the messages a server started with -mail-dir writes, one
// file DIR/<unix-nanos>-<username>.eml each, as a user's mail client would.
type mailDir struct {
	t    *testing.T
	dir  string
	seen map[string]bool
}

func mailDirOf(t *testing.T, s *Server) *mailDir {
	t.Helper()
	i := slices.Index(s.Flags, "-mail-dir")
	if i < 0 || i+1 >= len(s.Flags) {
		t.Fatalf("%s runs without -mail-dir", s.Name)
	}
	return &mailDir{t: t, dir: s.Flags[i+1], seen: map[string]bool{}}
}

// letter is one message read from the directory.
type letter struct {
	File, To, Kind, Body, Token string
}

var tokenRe = regexp.MustCompile(`(?m)^Token: (\S+)\r?$`)

// read parses every file of user not seen yet.
func (m *mailDir) read(user string) []letter {
	m.t.Helper()
	entries, err := os.ReadDir(m.dir)
	if err != nil {
		m.t.Fatal(err)
	}
	var out []letter
	for _, e := range entries {
		name := e.Name()
		if m.seen[name] || !strings.HasSuffix(name, "-"+user+".eml") || !regexp.MustCompile(`^\d+-`).MatchString(name) {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(m.dir, name))
		if err != nil {
			m.t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			m.t.Fatalf("%s is no RFC 5322 message: %v\n%s", name, err, raw)
		}
		text, err := io.ReadAll(msg.Body)
		if err != nil {
			m.t.Fatal(err)
		}
		l := letter{File: name, To: msg.Header.Get("To"), Kind: msg.Header.Get("X-Authkit-Kind"), Body: string(text)}
		if sub := tokenRe.FindStringSubmatch(l.Body); sub != nil {
			l.Token = sub[1]
		}
		m.seen[name] = true
		out = append(out, l)
	}
	return out
}

// next waits for the next message of kind to user (mail leaves the server
// in the background) and returns it; other messages read meanwhile are
// dropped.
func (m *mailDir) next(user, kind string) letter {
	m.t.Helper()
	return m.all(user, kind)[kind]
}

// all waits for one message of each kind to user and returns them by
// kind; other messages read meanwhile are dropped.
func (m *mailDir) all(user string, kinds ...string) map[string]letter {
	m.t.Helper()
	got := map[string]letter{}
	deadline := time.Now().Add(20 * time.Second)
	for len(got) < len(kinds) {
		for _, l := range m.read(user) {
			if slices.Contains(kinds, l.Kind) {
				got[l.Kind] = l
			}
		}
		if len(got) < len(kinds) && time.Now().After(deadline) {
			m.t.Fatalf("mail for %s: got %v, want one of each of %q", user, got, kinds)
		}
		if len(got) < len(kinds) {
			time.Sleep(20 * time.Millisecond) // the server's clock is its own: poll
		}
	}
	return got
}

// none fails if user has a message not seen yet. Call it only once the
// server has sent what it will: here, after a later message of another
// request arrived, or for requests that queue no mail at all.
func (m *mailDir) none(user string) {
	m.t.Helper()
	if ls := m.read(user); len(ls) > 0 {
		m.t.Errorf("unexpected mail for %s: %+v", user, ls)
	}
}

// accountFlags are the flags the account scenario's servers run with;
// each gets a mail directory of its own under base.
func accountFlags(t *testing.T) func(store, fw string) []string {
	base := t.TempDir()
	return func(store, fw string) []string {
		dir := filepath.Join(base, store+"-"+fw)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		return []string{"-dev-fast-hash", "-mail-dir", dir}
	}
}

// cookieLogin signs user in with "refresh_cookie":true and returns the
// access token, the refresh cookie and the session cookie.
func (r *run) cookieLogin(step, user, pw, ua string) (access, refresh, session string) {
	r.t.Helper()
	b, _ := json.Marshal(map[string]any{"username": user, "password": pw, "refresh_cookie": true})
	a := r.do(step, req{method: "POST", path: "/login", body: string(b), ua: ua})
	a = r.withCookieMode(step, a)
	var p map[string]any
	a.json(r.t, &p)
	return p["access_token"].(string), a.Refresh.Value, a.Cookie
}

// withCookieMode checks a 200 in cookie mode: the refresh cookie with the
// reference API's attributes, no refresh_token in the body.
func (r *run) withCookieMode(step string, a reply) reply {
	r.t.Helper()
	r.expect(step, a, 200)
	var p map[string]any
	a.json(r.t, &p)
	c := a.Refresh
	if _, ok := p["refresh_token"]; ok || p["access_token"] == nil || p["token_type"] != "Bearer" {
		r.t.Errorf("%s: %s: cookie-mode body %s", r.s.Name, step, a.Body)
	}
	if c == nil || c.Value == "" || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode ||
		c.Path != "/token/refresh" || c.MaxAge < 14*24*3600-2 || c.MaxAge > 14*24*3600 {
		r.t.Fatalf("%s: %s: refresh cookie %v, want __Secure-refresh; HttpOnly; Secure; SameSite=Strict; Path=/token/refresh; Max-Age=1209600", r.s.Name, step, c)
	}
	return a
}

func accountScenario(t *testing.T, s *Server) []string {
	r := &run{t: t, s: s}
	box := mailDirOf(t, s)
	const newPass = "Fresh-Staple-Horse-9"
	var secrets []string

	// Accounts with and without an address; a bad address is refused.
	r.expect("register alice", r.do("register alice", req{method: "POST", path: "/register", body: body("username", "alice", "password", goodPass, "email", "alice@example.com")}), 201)
	r.expect("register bob", r.do("register bob", req{method: "POST", path: "/register", body: creds("bob", goodPass)}), 201)
	a := r.do("register bad email", req{method: "POST", path: "/register", body: body("username", "carol", "password", goodPass, "email", "Carol <carol@example.com>")})
	r.wantCodes("register bad email", a, "invalid_email")

	// The refresh cookie: set at sign-in, used without a body, rotated,
	// its reuse revoking the family; refused cross-site; cleared at logout.
	access, rt1, _ := r.cookieLogin("cookie login", "alice", goodPass, "browser")
	a = r.do("cookie refresh", req{method: "POST", path: "/token/refresh", refresh: rt1})
	a = r.withCookieMode("cookie refresh", a)
	rt2 := a.Refresh.Value
	if rt2 == rt1 {
		t.Fatalf("%s: the refresh cookie was not rotated", s.Name)
	}
	a = r.do("cookie refresh cross-site", req{method: "POST", path: "/token/refresh", refresh: rt2, header: []string{"Sec-Fetch-Site", "cross-site"}})
	r.expect("cookie refresh cross-site", a, 403)
	a = r.do("cookie reuse", req{method: "POST", path: "/token/refresh", refresh: rt1})
	r.expect("cookie reuse", a, 401)
	if a.Refresh == nil || a.Refresh.MaxAge >= 0 {
		t.Errorf("%s: a reused refresh cookie was not cleared", s.Name)
	}
	r.expect("cookie newest after reuse", r.do("cookie newest after reuse", req{method: "POST", path: "/token/refresh", refresh: rt2}), 401)
	r.whoami("access after cookie reuse", req{bearer: access}, "", "")
	access, rt3, _ := r.cookieLogin("cookie login again", "alice", goodPass, "browser")
	a = r.do("logout cookie mode", req{method: "POST", path: "/logout", bearer: access})
	r.expect("logout cookie mode", a, 204)
	if a.Refresh == nil || a.Refresh.MaxAge >= 0 || a.Refresh.Path != "/token/refresh" {
		t.Errorf("%s: logout did not clear the refresh cookie at its path: %v", s.Name, a.Refresh)
	}
	r.expect("refresh cookie after logout", r.do("refresh cookie after logout", req{method: "POST", path: "/token/refresh", refresh: rt3}), 401)
	r.expect("refresh with nothing", r.do("refresh with nothing", req{method: "POST", path: "/token/refresh"}), 400)
	secrets = append(secrets, rt1, rt2, rt3)

	// Email verification.
	pA, cA := r.login("login alice", "alice", "device-A", "")
	r.meEmail("me unverified", req{bearer: pA.AccessToken}, "alice@example.com", false)
	pB, _ := r.login("login bob", "bob", "device-B", "")
	r.meEmail("me without email", req{bearer: pB.AccessToken}, "", false)
	r.wantCodes("verify request without email", r.do("verify request without email", req{method: "POST", path: "/email/verify/request", bearer: pB.AccessToken}), "no_email")
	r.expect("verify request anonymous", r.do("verify request anonymous", req{method: "POST", path: "/email/verify/request"}), 401)
	r.expect("verify request", r.do("verify request", req{method: "POST", path: "/email/verify/request", cookie: cA}), 202)
	verify := box.next("alice", "email_verification")
	if verify.To != "alice@example.com" || verify.Token == "" {
		t.Fatalf("%s: verification mail %+v", s.Name, verify)
	}
	r.expect("verify", r.do("verify", req{method: "POST", path: "/email/verify", body: body("token", verify.Token)}), 204)
	r.meEmail("me verified", req{cookie: cA}, "alice@example.com", true)
	r.wantCodes("verify again", r.do("verify again", req{method: "POST", path: "/email/verify", body: body("token", verify.Token)}), "invalid_token")

	// Password reset: one answer for every name; mail for alice only.
	var forgot []reply
	for _, name := range []string{"bob", "nobody", "alice"} {
		a := r.do("forgot "+name, req{method: "POST", path: "/password/forgot", body: body("username", name)})
		r.expect("forgot "+name, a, 202)
		forgot = append(forgot, a)
	}
	for _, a := range forgot[1:] {
		if a.Body != forgot[0].Body || a.Header.Get("Content-Type") != forgot[0].Header.Get("Content-Type") {
			t.Errorf("%s: /password/forgot answered %s and %s: they must be identical", s.Name, forgot[0].Body, a.Body)
		}
	}
	reset := box.next("alice", "password_reset")
	box.none("bob")
	box.none("nobody")
	// Tokens of one kind never work as another.
	r.wantCodes("reset with verification token", r.do("reset with verification token", req{method: "POST", path: "/password/reset", body: body("token", verify.Token, "password", newPass)}), "invalid_token")
	r.wantCodes("reset with access token", r.do("reset with access token", req{method: "POST", path: "/password/reset", body: body("token", pA.AccessToken, "password", newPass)}), "invalid_token")
	r.wantCodes("verify with reset token", r.do("verify with reset token", req{method: "POST", path: "/email/verify", body: body("token", reset.Token)}), "invalid_token")
	r.whoami("reset token as bearer", req{bearer: reset.Token}, "", "")
	r.expect("reset token as refresh", r.do("reset token as refresh", req{method: "POST", path: "/token/refresh", body: body("refresh_token", reset.Token)}), 401)
	// A weak password spends nothing.
	r.wantCodes("reset weak", r.do("reset weak", req{method: "POST", path: "/password/reset", body: body("token", reset.Token, "password", "alice")}), "too_short", "missing_upper", "missing_digit", "contains_user", "common")
	r.expect("reset", r.do("reset", req{method: "POST", path: "/password/reset", body: body("token", reset.Token, "password", newPass)}), 204)
	r.wantCodes("reset again", r.do("reset again", req{method: "POST", path: "/password/reset", body: body("token", reset.Token, "password", "Other-Staple-Horse-7")}), "invalid_token")
	r.whoami("token after reset", req{bearer: pA.AccessToken}, "", "")
	r.whoami("session after reset", req{cookie: cA}, "", "")
	r.expect("refresh after reset", r.do("refresh after reset", req{method: "POST", path: "/token/refresh", body: body("refresh_token", pA.RefreshToken)}), 401)
	r.expect("old password after reset", r.do("old password after reset", req{method: "POST", path: "/login", body: creds("alice", goodPass)}), 401)
	if n := box.next("alice", "password_was_reset"); n.Token != "" || strings.Contains(n.Body, reset.Token) {
		t.Errorf("%s: reset notice carries a token: %+v", s.Name, n)
	}
	secrets = append(secrets, verify.Token, reset.Token)

	// Password change: this sign-in goes on, on a new session id; the
	// other ends.
	_, _, c1 := r.cookieLogin("login for change", "alice", newPass, "device-A")
	_, _, c2 := r.cookieLogin("login other device", "alice", newPass, "device-B")
	a = r.do("change wrong current", req{method: "POST", path: "/password/change", cookie: c1, body: body("current_password", goodPass, "new_password", goodPass+"!")})
	r.expect("change wrong current", a, 401)
	r.wantCodes("change same", r.do("change same", req{method: "POST", path: "/password/change", cookie: c1, body: body("current_password", newPass, "new_password", newPass)}), "same_password")
	r.wantCodes("change weak", r.do("change weak", req{method: "POST", path: "/password/change", cookie: c1, body: body("current_password", newPass, "new_password", "password")}), "too_short", "missing_upper", "missing_digit", "common")
	a = r.do("change", req{method: "POST", path: "/password/change", cookie: c1, body: body("current_password", newPass, "new_password", goodPass)})
	r.expect("change", a, 204)
	if a.Cookie == "" || a.Cookie == c1 {
		t.Fatalf("%s: the password change did not rotate the session", s.Name)
	}
	r.whoami("rotated session", req{cookie: a.Cookie}, "alice", "session")
	r.whoami("old session id", req{cookie: c1}, "", "")
	r.whoami("other device", req{cookie: c2}, "", "")
	if n := box.next("alice", "password_changed"); n.Token != "" {
		t.Errorf("%s: change notice %+v", s.Name, n)
	}
	c1 = a.Cookie

	// Email change: the new address unverified and mailed a token, a
	// notice to the old one.
	r.expect("email change wrong password", r.do("email change wrong password", req{method: "POST", path: "/email/change", cookie: c1, body: body("password", newPass, "email", "new@example.org")}), 401)
	r.wantCodes("email change invalid", r.do("email change invalid", req{method: "POST", path: "/email/change", cookie: c1, body: body("password", goodPass, "email", "new@@example.org")}), "invalid_email")
	r.expect("email change", r.do("email change", req{method: "POST", path: "/email/change", cookie: c1, body: body("password", goodPass, "email", "new@example.org")}), 202)
	r.meEmail("me after email change", req{cookie: c1}, "new@example.org", false)
	changed := box.all("alice", "email_verification", "email_changed")
	if v, n := changed["email_verification"], changed["email_changed"]; v.To != "new@example.org" || n.To != "alice@example.com" ||
		n.Token != "" || strings.Contains(n.Body, "new@example.org") {
		t.Errorf("%s: email change mail: %+v", s.Name, changed)
	}
	r.expect("verify new address", r.do("verify new address", req{method: "POST", path: "/email/verify", body: body("token", changed["email_verification"].Token)}), 204)
	secrets = append(secrets, changed["email_verification"].Token)
	r.meEmail("me new address verified", req{cookie: c1}, "new@example.org", true)

	// Sign out one device.
	pX, cX := r.login("login device X", "alice", "device-X", "")
	hint := r.hintOf(req{cookie: c1}, "device-X")
	r.expect("revoke unknown", r.do("revoke unknown", req{method: "POST", path: "/sessions/revoke", cookie: c1, body: body("id_hint", "00000000")}), 404)
	r.expect("revoke anonymous", r.do("revoke anonymous", req{method: "POST", path: "/sessions/revoke", body: body("id_hint", hint)}), 401)
	r.expect("revoke device X", r.do("revoke device X", req{method: "POST", path: "/sessions/revoke", cookie: c1, body: body("id_hint", hint)}), 204)
	r.whoami("device X session", req{cookie: cX}, "", "")
	r.whoami("device X token", req{bearer: pX.AccessToken}, "", "")
	r.expect("device X refresh", r.do("device X refresh", req{method: "POST", path: "/token/refresh", body: body("refresh_token", pX.RefreshToken)}), 401)
	r.whoami("this device still in", req{cookie: c1}, "alice", "session")

	for _, sec := range append(secrets, goodPass, newPass) {
		if strings.Contains(s.Logs(), sec) {
			t.Errorf("%s: a token or password appears in the server log", s.Name)
		}
	}
	return r.lines
}

// hintOf lists the sessions of the user behind q and returns the id_hint
// of the one signed in from the device ua.
func (r *run) hintOf(q req, ua string) string {
	r.t.Helper()
	q.method, q.path = "GET", "/sessions"
	a := r.do("sessions", q)
	r.expect("sessions", a, 200)
	var list []struct {
		IDHint    string `json:"id_hint"`
		UserAgent string `json:"user_agent"`
	}
	a.json(r.t, &list)
	for _, e := range list {
		if e.UserAgent == ua {
			return e.IDHint
		}
	}
	r.t.Fatalf("%s: no session of %s in %s", r.s.Name, ua, a.Body)
	return ""
}

// wantCodes checks a 400 problem whose "errors" hold exactly codes.
func (r *run) wantCodes(step string, a reply, codes ...string) {
	r.t.Helper()
	r.expect(step, a, 400)
	var p struct {
		Errors []struct{ Code string } `json:"errors"`
	}
	a.json(r.t, &p)
	var got []string
	for _, e := range p.Errors {
		got = append(got, e.Code)
	}
	if !slices.Equal(got, codes) || a.Header.Get("Content-Type") != "application/problem+json" {
		r.t.Errorf("%s: %s: %s %s, want problem+json with codes %v", r.s.Name, step, a.Header.Get("Content-Type"), a.Body, codes)
	}
}

// meEmail checks /me's email members: email and email_verified, or
// neither when email is "".
func (r *run) meEmail(step string, q req, email string, verified bool) {
	r.t.Helper()
	q.method, q.path = "GET", "/me"
	a := r.do(step, q)
	r.expect(step, a, 200)
	var m map[string]any
	a.json(r.t, &m)
	want := fmt.Sprint(map[string]any{"email": email, "email_verified": verified})
	got := fmt.Sprint(map[string]any{"email": m["email"], "email_verified": m["email_verified"]})
	if email == "" {
		want = fmt.Sprint(map[string]any{"email": nil, "email_verified": nil})
	}
	if got != want {
		r.t.Errorf("%s: %s: /me %s, want %s", r.s.Name, step, a.Body, want)
	}
}

// TestAccountScenario drives the account flows — the refresh cookie,
// email verification, password reset (the token read from the -mail-dir
// files) and change, email change, signing out one device — on the four
// servers, on memory and on Redis, and compares their transcripts.
func TestAccountScenario(t *testing.T) {
	onEveryServer(t, accountFlags(t), accountScenario)
}
