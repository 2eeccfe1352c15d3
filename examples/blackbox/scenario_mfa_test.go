package blackbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/mfa"
)

// mfaFlags are the flags the MFA scenario's servers run with.
var mfaFlags = []string{"-admin", adminName, "-dev-fast-hash"}

// totp computes the codes of one enrolled secret on the real clock, as
// the user's authenticator app does. The servers accept the steps
// before, at and after their own (±1) and each step once per user, so a
// sign-in right after the confirming one takes the next step's code,
// which the server accepts at once: used() says which step to take next,
// and no code in this scenario ever waits for the clock.
type totp struct {
	t      *testing.T
	secret []byte
	last   int64 // the last step used, 0 for none
}

func newTOTP(t *testing.T, secret string) *totp {
	t.Helper()
	b, err := mfa.ParseSecret(secret)
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	return &totp{t: t, secret: b}
}

func (c *totp) at(step int64) string {
	c.t.Helper()
	p := mfa.DefaultParams
	code, err := p.Code(c.secret, time.Unix(step*int64(p.Period/time.Second), 0))
	if err != nil {
		c.t.Fatal(err)
	}
	return code
}

// next returns the code of the earliest step not used yet that the server
// accepts now (the current one, or the one after the last used), and
// marks it used. It fails rather than sleep when two steps ahead would be
// needed: the scenario is written so that it never is.
func (c *totp) next() string {
	c.t.Helper()
	now := mfa.DefaultParams.Step(time.Now())
	step := max(now, c.last+1)
	if step > now+1 {
		c.t.Fatalf("the scenario needs a code two steps ahead (last used %d, now %d)", c.last, now)
	}
	c.last = step
	return c.at(step)
}

// stepMargin is how much of the current step settled wants left: more
// than a check's few requests take on a loaded machine.
const stepMargin = 5 * time.Second

// settled returns the current step once at least stepMargin of it is
// left, waiting for the next step to begin when less is, so that a check
// naming steps relative to the client's (the one before, two off) names
// the same steps at the server when its requests arrive.
func (c *totp) settled() int64 {
	p := mfa.DefaultParams
	step := p.Step(time.Now())
	if end := time.Unix((step+1)*int64(p.Period/time.Second), 0); time.Until(end) < stepMargin {
		time.Sleep(time.Until(end)) // the clock's step, not a wait for the code under test
		step = p.Step(time.Now())
	}
	return step
}

// wrong returns a code that no step near now has.
func (c *totp) wrong() string {
	now := mfa.DefaultParams.Step(time.Now())
	for _, cand := range []string{"000000", "111111", "222222"} {
		clash := false
		for s := now - 3; s <= now+3; s++ {
			clash = clash || c.at(s) == cand
		}
		if !clash {
			return cand
		}
	}
	c.t.Fatal("no wrong code found")
	return ""
}

func body(kv ...string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// mfaRequiredToken checks a /login or /login/mfa answer that says a second
// factor is due and returns its mfa_token.
func (r *run) mfaRequiredToken(step string, a reply) string {
	r.t.Helper()
	r.expect(step, a, 401)
	var m struct {
		Required bool   `json:"mfa_required"`
		Token    string `json:"mfa_token"`
	}
	a.json(r.t, &m)
	if !m.Required || m.Token == "" || a.Header.Get("Content-Type") != "application/problem+json" {
		r.t.Fatalf("%s: %s: %s, want mfa_required and an mfa_token", r.s.Name, step, a.Body)
	}
	return m.Token
}

// meAMR checks /me for q: 200 with amr and mfa_enabled as given.
func (r *run) meAMR(step string, q req, amr []string, enabled bool) {
	r.t.Helper()
	q.method, q.path = "GET", "/me"
	a := r.do(step, q)
	r.expect(step, a, 200)
	var m struct {
		AMR        []string `json:"amr"`
		MFAEnabled *bool    `json:"mfa_enabled"`
	}
	a.json(r.t, &m)
	if !slices.Equal(m.AMR, amr) || m.MFAEnabled == nil || *m.MFAEnabled != enabled {
		r.t.Errorf("%s: %s: /me = %s, want amr %v and mfa_enabled %v", r.s.Name, step, a.Body, amr, enabled)
	}
}

// enrol enrols the user behind q (a session cookie or bearer token) and
// returns the TOTP generator, the recovery codes and the confirmation.
func (r *run) enrol(who string, q req) (*totp, []string, reply) {
	r.t.Helper()
	q.method, q.path = "POST", "/mfa/enroll"
	q.body = body("password", goodPass)
	a := r.do("enroll "+who, q)
	r.expect("enroll "+who, a, 200)
	var e struct {
		Secret string `json:"secret"`
		URI    string `json:"otpauth_uri"`
		QR     string `json:"qr_png_base64"`
	}
	a.json(r.t, &e)
	png, err := base64.StdEncoding.DecodeString(e.QR)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n")) || !strings.HasPrefix(e.URI, "otpauth://totp/") || !strings.Contains(e.URI, "secret="+e.Secret) {
		r.t.Fatalf("%s: enroll %s: %s", r.s.Name, who, a.Body)
	}
	c := newTOTP(r.t, e.Secret)
	q.path, q.body = "/mfa/confirm", body("code", c.wrong())
	r.expect("confirm wrong code "+who, r.do("confirm wrong code "+who, q), 400)
	q.body = body("code", c.next())
	a = r.do("confirm "+who, q)
	r.expect("confirm "+who, a, 200)
	var rc struct {
		Codes []string `json:"recovery_codes"`
	}
	a.json(r.t, &rc)
	if len(rc.Codes) != 10 {
		r.t.Fatalf("%s: confirm %s: %s, want 10 recovery codes", r.s.Name, who, a.Body)
	}
	return c, rc.Codes, a
}

// mfaScenario: enrol → confirm → sign in with a code → replay refused →
// a recovery code works once → /admin only with MFA → five wrong codes
// lock the factor. No step waits for the clock (see totp).
func mfaScenario(t *testing.T, s *Server) []string {
	r := &run{t: t, s: s}
	for _, u := range []string{"carol", "erin", adminName} {
		r.expect("register "+u, r.do("register "+u, req{method: "POST", path: "/register", body: creds(u, goodPass)}), 201)
	}
	signIn := func(extra ...string) string {
		return body(append([]string{"username", "carol", "password", goodPass}, extra...)...)
	}

	// Enrolment: the password again, then a code; the session is rotated
	// and marked otp, and every other sign-in of carol ends.
	_, cC := r.login("login carol", "carol", "carol-device", "")
	pOther, cOther := r.login("login carol elsewhere", "carol", "other-device", "")
	r.meAMR("me before MFA", req{cookie: cC}, []string{"pwd"}, false)
	r.expect("enroll wrong password", r.do("enroll wrong password", req{method: "POST", path: "/mfa/enroll", cookie: cC, body: body("password", "Wrong-Horse-42")}), 401)
	r.expect("enroll anonymous", r.do("enroll anonymous", req{method: "POST", path: "/mfa/enroll", body: body("password", goodPass)}), 401)
	carol, codes, conf := r.enrol("carol", req{cookie: cC})
	if conf.Cookie == "" || conf.Cookie == cC {
		t.Fatalf("%s: confirm did not rotate the session", s.Name)
	}
	r.meAMR("me after confirm", req{cookie: conf.Cookie}, []string{"pwd", "otp", "mfa"}, true)
	r.whoami("me old session id after confirm", req{cookie: cC}, "", "")
	r.whoami("me other session after confirm", req{cookie: cOther}, "", "")
	r.whoami("me other token after confirm", req{bearer: pOther.AccessToken}, "", "")
	r.expect("refresh other after confirm", r.do("refresh other after confirm", req{method: "POST", path: "/token/refresh", body: body("refresh_token", pOther.RefreshToken)}), 401)
	r.expect("enroll when enrolled", r.do("enroll when enrolled", req{method: "POST", path: "/mfa/enroll", cookie: conf.Cookie, body: body("password", goodPass)}), 409)

	// Sign-in: the password alone asks for the factor; /login/mfa takes
	// the mfa_token and a code, once.
	mfaTok := r.mfaRequiredToken("login without code", r.do("login without code", req{method: "POST", path: "/login", body: signIn()}))
	code := carol.next()
	a := r.do("login mfa", req{method: "POST", path: "/login/mfa", body: body("mfa_token", mfaTok, "otp", code)})
	r.expect("login mfa", a, 200)
	var p pair
	a.json(t, &p)
	r.meAMR("me after login mfa", req{bearer: p.AccessToken}, []string{"pwd", "otp", "mfa"}, true)
	r.meAMR("me after login mfa (cookie)", req{cookie: a.Cookie}, []string{"pwd", "otp", "mfa"}, true)
	r.mfaRequiredToken("login replayed code", r.do("login replayed code", req{method: "POST", path: "/login", body: signIn("otp", code)}))
	r.expect("login mfa token reused", r.do("login mfa token reused", req{method: "POST", path: "/login/mfa", body: body("mfa_token", mfaTok, "otp", carol.at(carol.last+1))}), 401)

	// A recovery code works once.
	a = r.do("login recovery code", req{method: "POST", path: "/login", body: signIn("recovery_code", codes[0])})
	r.expect("login recovery code", a, 200)
	a.json(t, &p)
	r.meAMR("me after recovery code", req{bearer: p.AccessToken}, []string{"pwd", "rcv", "mfa"}, true)
	r.mfaRequiredToken("login recovery code again", r.do("login recovery code again", req{method: "POST", path: "/login", body: signIn("recovery_code", codes[0])}))
	mfaTok = r.mfaRequiredToken("login without code (rcv)", r.do("login without code (rcv)", req{method: "POST", path: "/login", body: signIn()}))
	r.expect("login mfa recovery code again", r.do("login mfa recovery code again", req{method: "POST", path: "/login/mfa", body: body("mfa_token", mfaTok, "recovery_code", codes[0])}), 401)

	// /admin: the role and MFA. A password sign-in is refused (only the
	// factor is missing); confirming MFA marks the session; a bearer
	// client signs in again with a code for tokens that carry it.
	pRoot, cRoot := r.login("login root", adminName, "root-device", "")
	a = r.do("admin root without MFA", req{method: "GET", path: "/admin", bearer: pRoot.AccessToken})
	r.expect("admin root without MFA", a, 403)
	if !strings.Contains(a.Body, `"type":"urn:authkit:problem:mfa-required"`) {
		t.Errorf("%s: /admin without MFA: %s, want type mfa-required", s.Name, a.Body)
	}
	root, rootCodes, rootConf := r.enrol("root", req{cookie: cRoot})
	a = r.do("admin root session with MFA", req{method: "GET", path: "/admin", cookie: rootConf.Cookie})
	r.expect("admin root session with MFA", a, 200)
	if a.Body != `{"ok":true}` {
		t.Errorf("%s: /admin = %s", s.Name, a.Body)
	}
	r.expect("admin root token from before MFA", r.do("admin root token from before MFA", req{method: "GET", path: "/admin", bearer: pRoot.AccessToken}), 403)
	a = r.do("login root with code", req{method: "POST", path: "/login", body: body("username", adminName, "password", goodPass, "otp", root.next())})
	r.expect("login root with code", a, 200)
	a.json(t, &p)
	r.expect("admin root token with MFA", r.do("admin root token with MFA", req{method: "GET", path: "/admin", bearer: p.AccessToken}), 200)
	a = r.do("login carol with code", req{method: "POST", path: "/login/mfa", body: body("mfa_token",
		r.mfaRequiredToken("login carol for admin", r.do("login carol for admin", req{method: "POST", path: "/login", body: signIn()})),
		"recovery_code", codes[1])})
	r.expect("login carol with code", a, 200)
	a.json(t, &p)
	a = r.do("admin carol with MFA", req{method: "GET", path: "/admin", bearer: p.AccessToken})
	r.expect("admin carol with MFA", a, 403)
	if !strings.Contains(a.Body, `"type":"urn:authkit:problem:forbidden"`) {
		t.Errorf("%s: /admin without the role: %s, want type forbidden", s.Name, a.Body)
	}

	// Disable: the password and a code (a recovery code will do); then
	// the password alone signs in.
	r.expect("disable wrong password", r.do("disable wrong password", req{method: "POST", path: "/mfa/disable", cookie: rootConf.Cookie, body: body("password", "Wrong-Horse-42", "code", rootCodes[0])}), 401)
	a = r.do("disable", req{method: "POST", path: "/mfa/disable", cookie: rootConf.Cookie, body: body("password", goodPass, "code", rootCodes[0])})
	r.expect("disable", a, 204)
	r.meAMR("me after disable", req{cookie: a.Cookie}, []string{"pwd", "otp", "mfa"}, false)
	r.login("login root after disable", adminName, "root-device", "")

	// Five wrong codes lock a factor: the right code (one never used) is
	// then 429 with Retry-After, on /login and on /login/mfa.
	_, cE := r.login("login erin", "erin", "erin-device", "")
	erin, _, _ := r.enrol("erin", req{cookie: cE})
	erinIn := func(extra ...string) string {
		return body(append([]string{"username", "erin", "password", goodPass}, extra...)...)
	}
	wrong := erin.wrong()
	for i := 1; i <= 5; i++ {
		step := "login wrong code " + strconv.Itoa(i)
		r.mfaRequiredToken(step, r.do(step, req{method: "POST", path: "/login", body: erinIn("otp", wrong)}))
	}
	mfaTok = r.mfaRequiredToken("login without code (locked)", r.do("login without code (locked)", req{method: "POST", path: "/login", body: erinIn()}))
	right := erin.next()
	for _, q := range []req{
		{method: "POST", path: "/login", body: erinIn("otp", right)},
		{method: "POST", path: "/login/mfa", body: body("mfa_token", mfaTok, "otp", right)},
	} {
		a := r.do("locked "+q.path, q)
		r.expect("locked "+q.path, a, 429)
		if ra, err := strconv.Atoi(a.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
			t.Errorf("%s: locked %s: Retry-After %q, want 1 to 60 seconds", s.Name, q.path, a.Header.Get("Retry-After"))
		}
	}
	return r.lines
}

// TestMFAScenario runs the MFA scenario on the four servers, on memory
// stores and on Redis, and compares every transcript with net/http's.
func TestMFAScenario(t *testing.T) {
	onEveryServer(t, func(string, string) []string { return mfaFlags }, mfaScenario)
}
