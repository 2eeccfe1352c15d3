package blackbox

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/mfa"
)

// recoveryCodes reads the 10 recovery codes of a 200.
func (r *run) recoveryCodes(step string, a reply) []string {
	r.t.Helper()
	r.expect(step, a, 200)
	var rc struct {
		Codes []string `json:"recovery_codes"`
	}
	a.json(r.t, &rc)
	if len(rc.Codes) != 10 {
		r.t.Fatalf("%s: %s: %s, want 10 recovery codes", r.s.Name, step, a.Body)
	}
	return rc.Codes
}

// scrambled is a recovery code as a user might type it: lower case, its
// dashes dropped and spaces put in.
func scrambled(code string) string {
	var sb strings.Builder
	for i, c := range strings.ToLower(strings.ReplaceAll(code, "-", "")) {
		if i > 0 && i%3 == 0 {
			sb.WriteByte(' ')
		}
		sb.WriteRune(c)
	}
	return " " + sb.String() + " "
}

// mfaContractScenario checks the MFA rows and details of the reference API
// that the MFA scenario does not: a new enroll replaces a pending one,
// confirm refuses with 400 when nothing is pending (before enrolment and
// once MFA is on), codes are accepted ±1 step and no further, recovery
// codes are compared without spaces, dashes and case, /mfa/recovery-codes
// replaces the set, /mfa/disable takes a TOTP code, and the mfa_token
// lives 5 minutes.
func mfaContractScenario(t *testing.T, s *Server) []string {
	r := &run{t: t, s: s}
	r.expect("register", r.do("register", req{method: "POST", path: "/register", body: creds("carol", goodPass)}), 201)
	_, c := r.login("login", "carol", "carol-device", "")
	signIn := func(extra ...string) string {
		return body(append([]string{"username", "carol", "password", goodPass}, extra...)...)
	}

	r.expect("confirm before enroll", r.do("confirm before enroll", req{method: "POST", path: "/mfa/confirm", cookie: c, body: body("code", "123456")}), 400)
	enroll := func(step string) string {
		a := r.do(step, req{method: "POST", path: "/mfa/enroll", cookie: c, body: body("password", goodPass)})
		r.expect(step, a, 200)
		var e struct {
			Secret string `json:"secret"`
			URI    string `json:"otpauth_uri"`
		}
		a.json(t, &e)
		// The defaults an authenticator app assumes: SHA1, 6 digits, 30 s.
		u, err := url.Parse(e.URI)
		q := u.Query()
		if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || q.Get("secret") != e.Secret ||
			q.Get("algorithm") != "SHA1" && q.Get("algorithm") != "" || q.Get("digits") != "6" && q.Get("digits") != "" ||
			q.Get("period") != "30" && q.Get("period") != "" {
			t.Errorf("%s: %s: otpauth_uri %q, want totp with this secret, SHA1, 6 digits, 30 s", s.Name, step, e.URI)
		}
		return e.Secret
	}
	first := newTOTP(t, enroll("enroll"))
	second := newTOTP(t, enroll("enroll again"))
	now := mfa.DefaultParams.Step(time.Now())
	r.expect("confirm the replaced secret", r.do("confirm the replaced secret", req{method: "POST", path: "/mfa/confirm", cookie: c, body: body("code", first.at(now))}), 400)
	// The step before the server's is accepted (±1).
	now = second.settled()
	second.last = now - 1
	a := r.do("confirm with the previous step's code", req{method: "POST", path: "/mfa/confirm", cookie: c, body: body("code", second.at(now-1))})
	codes := r.recoveryCodes("confirm with the previous step's code", a)
	c = a.Cookie
	a = r.do("confirm again", req{method: "POST", path: "/mfa/confirm", cookie: c, body: body("code", second.at(now))})
	r.expect("confirm again", a, 400) // nothing is pending: MFA is on

	// Two steps off is a wrong code.
	now = second.settled()
	for _, off := range []int64{2, -2} {
		r.mfaRequiredToken("login two steps off", r.do("login two steps off", req{method: "POST", path: "/login", body: signIn("otp", second.at(now+off))}))
	}

	// Recovery codes: spaces, dashes and case do not matter; each works
	// once, however typed.
	a = r.do("login with a scrambled recovery code", req{method: "POST", path: "/login", body: signIn("recovery_code", scrambled(codes[0]))})
	r.expect("login with a scrambled recovery code", a, 200)
	r.mfaRequiredToken("the same code as issued", r.do("the same code as issued", req{method: "POST", path: "/login", body: signIn("recovery_code", codes[0])}))

	// The mfa_token: 5 minutes; with "refresh_cookie" /login/mfa answers
	// in cookie mode, as /login does.
	tok := r.mfaRequiredToken("login for an mfa_token", r.do("login for an mfa_token", req{method: "POST", path: "/login", body: signIn()}))
	if d := lifetime(t, tok); !about(d, 5*time.Minute) {
		t.Errorf("%s: the mfa_token lives %v, want 5m", s.Name, d)
	}
	a = r.do("login mfa in cookie mode", req{method: "POST", path: "/login/mfa", body: `{"mfa_token":"` + tok + `","recovery_code":"` + codes[3] + `","refresh_cookie":true}`})
	r.withCookieMode("login mfa in cookie mode", a)
	r.checkSessionCookie("login mfa in cookie mode", a, secureCookies)

	// New recovery codes: the password and a TOTP code; the old set dies.
	regen := func(step, pw, code string) reply {
		return r.do(step, req{method: "POST", path: "/mfa/recovery-codes", cookie: c, body: body("password", pw, "code", code)})
	}
	r.expect("new codes, wrong password", regen("new codes, wrong password", "Wrong-Horse-42", second.wrong()), 401)
	r.expect("new codes, wrong code", regen("new codes, wrong code", goodPass, second.wrong()), 400)
	r.expect("new codes, a recovery code", regen("new codes, a recovery code", goodPass, codes[1]), 400)
	fresh := r.recoveryCodes("new codes", regen("new codes", goodPass, second.next()))
	for _, old := range codes {
		if slices.Contains(fresh, old) {
			t.Errorf("%s: a new recovery code equals an old one", s.Name)
		}
	}
	r.mfaRequiredToken("an old code after renewal", r.do("an old code after renewal", req{method: "POST", path: "/login", body: signIn("recovery_code", codes[2])}))
	r.expect("a new code", r.do("a new code", req{method: "POST", path: "/login", body: signIn("recovery_code", fresh[0])}), 200)

	// Disable with a TOTP code; a wrong one is a 400.
	disable := func(step, code string) reply {
		return r.do(step, req{method: "POST", path: "/mfa/disable", cookie: c, body: body("password", goodPass, "code", code)})
	}
	r.expect("disable, wrong code", disable("disable, wrong code", second.wrong()), 400)
	a = disable("disable with a TOTP code", second.next())
	r.expect("disable with a TOTP code", a, 204)
	if a.Cookie != "" {
		c = a.Cookie
	}
	r.meAMR("me after disable", req{cookie: c}, []string{"pwd", "otp", "mfa"}, false)
	r.expect("confirm after disable", r.do("confirm after disable", req{method: "POST", path: "/mfa/confirm", cookie: c, body: body("code", "123456")}), 400)
	r.login("password alone after disable", "carol", "carol-device", "")
	return r.lines
}

// TestMFAContract runs mfaContractScenario on the four servers, on memory
// and on Redis.
func TestMFAContract(t *testing.T) {
	onEveryServer(t, func(string, string) []string { return []string{"-dev-fast-hash"} }, mfaContractScenario)
}
