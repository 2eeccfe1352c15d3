package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/mfa"
)

// mfaServer is a testServer whose MFA manager reads a clock the test
// moves, so TOTP steps, replay and the lock are decided without sleeping.
type mfaServer struct {
	*testServer
	clock *authtest.Clock
}

func newMFAServer(t *testing.T, cfg Config) *mfaServer {
	t.Helper()
	clock := authtest.NewClock()
	cfg.MFAOptions = append(cfg.MFAOptions, mfa.WithClock(clock.Now))
	return &mfaServer{testServer: newTestServer(t, cfg), clock: clock}
}

// cred is how a request authenticates: a bearer token, a session cookie,
// or neither.
type cred struct{ bearer, cookie string }

func (c cred) header(s *testServer) map[string]string {
	h := map[string]string{}
	if c.bearer != "" {
		h["Authorization"] = "Bearer " + c.bearer
	}
	if c.cookie != "" {
		h["Cookie"] = s.app.sessions.CookieName() + "=" + c.cookie
	}
	return h
}

// answer is one response, read.
type answerOf struct {
	status int
	header http.Header
	body   string
	cookie string // the session cookie set, "" when none
}

func (a answerOf) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(a.body), &m); err != nil {
		t.Fatalf("decoding %q: %v", a.body, err)
	}
	return m
}

func (s *mfaServer) send(method, path string, body any, c cred) answerOf {
	s.t.Helper()
	var raw string
	if body != nil {
		b, _ := json.Marshal(body)
		raw = string(b)
	}
	resp := s.call(method, path, raw, c.header(s.testServer))
	out := answerOf{status: resp.StatusCode, header: resp.Header, body: readAll(s.t, resp)}
	for _, ck := range resp.Cookies() {
		if ck.Name == s.app.sessions.CookieName() && ck.MaxAge >= 0 {
			out.cookie = ck.Value
		}
	}
	return out
}

func (s *mfaServer) expect(what string, a answerOf, status int) answerOf {
	s.t.Helper()
	if a.status != status {
		s.t.Fatalf("%s: %d %s, want %d", what, a.status, a.body, status)
	}
	return a
}

// signIn logs name in with an optional second factor and returns its
// bearer token and session cookie.
func (s *mfaServer) signIn(name string, factor map[string]string) (tok, ses cred) {
	s.t.Helper()
	body := map[string]string{"username": name, "password": testPass}
	for k, v := range factor {
		body[k] = v
	}
	a := s.expect("login "+name, s.send("POST", "/login", body, cred{}), 200)
	return cred{bearer: a.json(s.t)["access_token"].(string)}, cred{cookie: a.cookie}
}

// code is the TOTP code of secret at the server's clock, offset steps
// away.
func (s *mfaServer) code(secret string, offset int) string {
	s.t.Helper()
	b, err := mfa.ParseSecret(secret)
	if err != nil {
		s.t.Fatal(err)
	}
	p := s.app.mfa.Params()
	c, err := p.Code(b, s.clock.Now().Add(time.Duration(offset)*p.Period))
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// nextStep moves the clock to the next TOTP step, so the next code is one
// not accepted yet.
func (s *mfaServer) nextStep() { s.clock.Advance(s.app.mfa.Params().Period) }

// enrol turns MFA on for the user behind c and returns the secret, the
// recovery codes and the answer to the confirmation.
func (s *mfaServer) enrol(c cred) (secret string, codes []string, confirm answerOf) {
	s.t.Helper()
	e := s.expect("enroll", s.send("POST", "/mfa/enroll", map[string]string{"password": testPass}, c), 200).json(s.t)
	secret = e["secret"].(string)
	confirm = s.expect("confirm", s.send("POST", "/mfa/confirm", map[string]string{"code": s.code(secret, 0)}, c), 200)
	var out struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	if err := json.Unmarshal([]byte(confirm.body), &out); err != nil {
		s.t.Fatal(err)
	}
	s.nextStep()
	return secret, out.RecoveryCodes, confirm
}

type meInfo struct {
	Sub        string   `json:"sub"`
	AMR        []string `json:"amr"`
	Via        string   `json:"via"`
	MFAEnabled *bool    `json:"mfa_enabled"`
}

// me returns /me for c, or fails unless it is 200.
func (s *mfaServer) me(what string, c cred) meInfo {
	s.t.Helper()
	a := s.expect(what, s.send("GET", "/me", nil, c), 200)
	var m meInfo
	if err := json.Unmarshal([]byte(a.body), &m); err != nil || m.MFAEnabled == nil {
		s.t.Fatalf("%s: /me = %s, want mfa_enabled", what, a.body)
	}
	return m
}

// mfaRequired checks the answer to a sign-in whose second factor is due
// and returns its mfa_token.
func mfaRequired(t *testing.T, what string, a answerOf) string {
	t.Helper()
	m := map[string]any{}
	if a.status == 401 {
		m = a.json(t)
	}
	tok, _ := m["mfa_token"].(string)
	if a.status != 401 || m["mfa_required"] != true || tok == "" || a.header.Get("Content-Type") != "application/problem+json" ||
		a.header.Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("%s: %d %s %v, want 401 problem+json with mfa_required and an mfa_token", what, a.status, a.body, a.header)
	}
	return tok
}

func problemType(t *testing.T, a answerOf) string {
	t.Helper()
	typ, _ := a.json(t)["type"].(string)
	return typ
}

// TestMFASignIn: enrolment needs the password and a code; then a sign-in
// without a code is 401 mfa_required with an mfa_token that /login/mfa
// exchanges once; a code's step works once; a recovery code works once;
// amr says how the user signed in.
func TestMFASignIn(t *testing.T) {
	s := newMFAServer(t, Config{})
	s.register("alice", testPass)
	tok, ses := s.signIn("alice", nil)
	if m := s.me("before MFA", ses); *m.MFAEnabled || !slices.Equal(m.AMR, []string{"pwd"}) {
		t.Fatalf("before MFA: %+v", m)
	}
	// Without MFA a code is ignored, whatever its shape.
	for _, f := range []map[string]string{{"otp": "123456"}, {"otp": "abc"}, {"otp": "12345"}, {"recovery_code": "nope"}, {"recovery_code": "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01"}} {
		if m := s.me("a code without MFA", func() cred { c, _ := s.signIn("alice", f); return c }()); !slices.Equal(m.AMR, []string{"pwd"}) {
			t.Errorf("login with %v without MFA: amr %v, want pwd", f, m.AMR)
		}
	}

	s.expect("enroll with a wrong password", s.send("POST", "/mfa/enroll", map[string]string{"password": "Wrong-Horse-42"}, ses), 401)
	s.expect("enroll without a password", s.send("POST", "/mfa/enroll", map[string]string{}, ses), 400)
	s.expect("enroll anonymously", s.send("POST", "/mfa/enroll", map[string]string{"password": testPass}, cred{}), 401)
	s.expect("confirm with nothing pending", s.send("POST", "/mfa/confirm", map[string]string{"code": "123456"}, ses), 400)
	e := s.expect("enroll", s.send("POST", "/mfa/enroll", map[string]string{"password": testPass}, ses), 200).json(t)
	secret, uri := e["secret"].(string), e["otpauth_uri"].(string)
	png, err := base64.StdEncoding.DecodeString(e["qr_png_base64"].(string))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) || !strings.Contains(uri, "secret="+secret) || !strings.HasPrefix(uri, "otpauth://totp/authkit%20example:alice?") {
		t.Fatalf("enroll: %v", e)
	}
	if s.me("pending", ses).MFAEnabled == nil || *s.me("pending", ses).MFAEnabled {
		t.Fatal("MFA is on before the confirmation")
	}
	a := s.expect("confirm with a wrong code", s.send("POST", "/mfa/confirm", map[string]string{"code": s.code(secret, 5)}, ses), 400)
	if problemType(t, a) != "urn:authkit:problem:invalid-request" {
		t.Errorf("wrong code on confirm: %s", a.body)
	}
	a = s.expect("confirm", s.send("POST", "/mfa/confirm", map[string]string{"code": s.code(secret, 0)}, ses), 200)
	var conf struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	if err := json.Unmarshal([]byte(a.body), &conf); err != nil || len(conf.RecoveryCodes) != 10 {
		t.Fatalf("confirm: %s", a.body)
	}
	// The session is rotated and marked otp; the old id is dead.
	if a.cookie == "" || a.cookie == ses.cookie {
		t.Fatalf("confirm did not rotate the session (cookie %q)", a.cookie)
	}
	s.expect("the session id before the confirmation", s.send("GET", "/me", nil, ses), 401)
	ses = cred{cookie: a.cookie}
	if m := s.me("after confirm (session)", ses); !*m.MFAEnabled || !slices.Equal(m.AMR, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("after confirm, session: %+v, want amr pwd otp mfa", m)
	}
	// The bearer token of the same sign-in lives on, still a password sign-in.
	if m := s.me("after confirm (token)", tok); !*m.MFAEnabled || !slices.Equal(m.AMR, []string{"pwd"}) {
		t.Errorf("after confirm, token: %+v, want amr pwd", m)
	}
	s.expect("enroll when enrolled", s.send("POST", "/mfa/enroll", map[string]string{"password": testPass}, ses), 409)

	// A sign-in without a code, with a wrong one, with a malformed one.
	pw := map[string]string{"username": "alice", "password": testPass}
	mfaTok := mfaRequired(t, "login without a code", s.send("POST", "/login", pw, cred{}))
	mfaRequired(t, "login with a wrong code", s.send("POST", "/login", map[string]string{"username": "alice", "password": testPass, "otp": s.code(secret, 4)}, cred{}))
	mfaRequired(t, "login with a malformed code", s.send("POST", "/login", map[string]string{"username": "alice", "password": testPass, "otp": "12ab56"}, cred{}))
	s.expect("login with a wrong password and a code", s.send("POST", "/login", map[string]string{"username": "alice", "password": "Wrong-Horse-42", "otp": s.code(secret, 0)}, cred{}), 401)
	s.expect("login with both kinds of code", s.send("POST", "/login", map[string]string{"username": "alice", "password": testPass, "otp": "123456", "recovery_code": conf.RecoveryCodes[0]}, cred{}), 400)
	s.expect("the confirming code at sign-in", s.send("POST", "/login/mfa", map[string]string{"mfa_token": mfaTok, "otp": s.code(secret, 0)}, cred{}), 401)

	// /login/mfa: the token works once, whatever the outcome.
	s.nextStep()
	mfaTok = mfaRequired(t, "login without a code", s.send("POST", "/login", pw, cred{}))
	a = s.expect("login/mfa", s.send("POST", "/login/mfa", map[string]string{"mfa_token": mfaTok, "otp": s.code(secret, 0)}, cred{}), 200)
	if m := s.me("after login/mfa", cred{bearer: a.json(t)["access_token"].(string)}); !slices.Equal(m.AMR, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("after /login/mfa: %+v", m)
	}
	if m := s.me("after login/mfa (session)", cred{cookie: a.cookie}); !slices.Equal(m.AMR, []string{"pwd", "otp", "mfa"}) || m.Via != "session" {
		t.Errorf("after /login/mfa, session: %+v", m)
	}
	s.nextStep()
	a = s.expect("an mfa_token twice", s.send("POST", "/login/mfa", map[string]string{"mfa_token": mfaTok, "otp": s.code(secret, 0)}, cred{}), 401)
	if a.header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
		t.Errorf("a used mfa_token: %v", a.header)
	}
	s.expect("an access token as mfa_token", s.send("POST", "/login/mfa", map[string]string{"mfa_token": tok.bearer, "otp": s.code(secret, 0)}, cred{}), 401)
	s.expect("login/mfa without a code", s.send("POST", "/login/mfa", map[string]string{"mfa_token": mfaTok}, cred{}), 400)
	mfaTok = mfaRequired(t, "login without a code", s.send("POST", "/login", pw, cred{}))
	mfaTok = mfaRequired(t, "login/mfa with a wrong code", s.send("POST", "/login/mfa", map[string]string{"mfa_token": mfaTok, "otp": s.code(secret, 3)}, cred{}))
	s.expect("login/mfa with the new token", s.send("POST", "/login/mfa", map[string]string{"mfa_token": mfaTok, "otp": s.code(secret, 0)}, cred{}), 200)

	// Replay: the step just accepted, and the ones before it, are refused.
	s.nextStep()
	code := s.code(secret, 0)
	otpTok, _ := s.signIn("alice", map[string]string{"otp": code})
	if m := s.me("after login with otp", otpTok); !slices.Equal(m.AMR, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("after /login with otp: %+v", m)
	}
	mfaRequired(t, "the same code again", s.send("POST", "/login", map[string]string{"username": "alice", "password": testPass, "otp": code}, cred{}))
	mfaRequired(t, "the previous step's code", s.send("POST", "/login", map[string]string{"username": "alice", "password": testPass, "otp": s.code(secret, -1)}, cred{}))

	// A recovery code works once, in either kind of sign-in, in any case
	// and with or without its dashes.
	rc := conf.RecoveryCodes[0]
	rcvTok, _ := s.signIn("alice", map[string]string{"recovery_code": strings.ToLower(strings.ReplaceAll(rc, "-", " "))})
	if m := s.me("after a recovery code", rcvTok); !slices.Equal(m.AMR, []string{"pwd", "rcv", "mfa"}) {
		t.Errorf("after a recovery code: %+v", m)
	}
	mfaRequired(t, "a recovery code twice", s.send("POST", "/login", map[string]string{"username": "alice", "password": testPass, "recovery_code": rc}, cred{}))
	mfaTok = mfaRequired(t, "login without a code", s.send("POST", "/login", pw, cred{}))
	s.expect("login/mfa with a recovery code", s.send("POST", "/login/mfa", map[string]string{"mfa_token": mfaTok, "recovery_code": conf.RecoveryCodes[1]}, cred{}), 200)
}

// TestMFALock: five wrong codes lock the factor for the account, not the
// connection: the right code is then 429 with Retry-After, on /login and
// /login/mfa alike, until the lock ends on its own.
func TestMFALock(t *testing.T) {
	s := newMFAServer(t, Config{})
	s.register("alice", testPass)
	_, ses := s.signIn("alice", nil)
	secret, codes, _ := s.enrol(ses)
	wrong := map[string]string{"username": "alice", "password": testPass, "otp": s.code(secret, 5)}
	for i := range 5 {
		mfaRequired(t, "wrong code", s.send("POST", "/login", wrong, cred{}))
		_ = i
	}
	right := map[string]string{"username": "alice", "password": testPass, "otp": s.code(secret, 0)}
	for _, try := range []struct {
		path string
		body map[string]string
	}{
		{"/login", right},
		{"/login", map[string]string{"username": "alice", "password": testPass, "recovery_code": codes[0]}},
		{"/login/mfa", map[string]string{"mfa_token": mfaRequired(t, "no code", s.send("POST", "/login", map[string]string{"username": "alice", "password": testPass}, cred{})), "otp": s.code(secret, 0)}},
	} {
		a := s.expect("the right code during the lock", s.send("POST", try.path, try.body, cred{}), 429)
		if a.header.Get("Retry-After") != "60" || problemType(t, a) != "urn:authkit:problem:too-many-requests" {
			t.Errorf("%s during the lock: Retry-After %q, %s", try.path, a.header.Get("Retry-After"), a.body)
		}
	}
	// A wrong password is refused before any code is checked: it neither
	// reaches the factor nor reveals the lock.
	s.expect("a wrong password during the lock", s.send("POST", "/login", map[string]string{"username": "alice", "password": "Wrong-Horse-42", "otp": s.code(secret, 0)}, cred{}), 401)
	s.clock.Advance(61 * time.Second)
	s.signIn("alice", map[string]string{"otp": s.code(secret, 0)})
}

// TestMFAStrangerCannotBurnAttempts: the endpoints that change the factor
// check the password before the code, so a stolen session alone can
// neither change the factor nor lock it.
func TestMFAStrangerCannotBurnAttempts(t *testing.T) {
	s := newMFAServer(t, Config{})
	s.register("alice", testPass)
	_, ses := s.signIn("alice", nil)
	secret, codes, confirm := s.enrol(ses)
	ses = cred{cookie: confirm.cookie}
	bad := testPass + "x"
	for range 10 {
		s.expect("disable with a wrong password", s.send("POST", "/mfa/disable", map[string]string{"password": bad, "code": s.code(secret, 0)}, ses), 401)
		s.expect("regenerate with a wrong password", s.send("POST", "/mfa/recovery-codes", map[string]string{"password": bad, "code": "000000"}, ses), 401)
		s.expect("login with a wrong password", s.send("POST", "/login", map[string]string{"username": "alice", "password": bad, "otp": "000000"}, cred{}), 401)
	}
	s.expect("disable without a password", s.send("POST", "/mfa/disable", map[string]string{"code": s.code(secret, 0)}, ses), 400)
	if !*s.me("still on", ses).MFAEnabled {
		t.Fatal("MFA went off without the password")
	}
	s.signIn("alice", map[string]string{"otp": s.code(secret, 0)}) // not locked
	s.nextStep()

	// Regeneration wants a TOTP code; the old set dies.
	s.expect("regenerate with a recovery code", s.send("POST", "/mfa/recovery-codes", map[string]string{"password": testPass, "code": codes[0]}, ses), 400)
	s.expect("regenerate with a wrong code", s.send("POST", "/mfa/recovery-codes", map[string]string{"password": testPass, "code": s.code(secret, 4)}, ses), 400)
	a := s.expect("regenerate", s.send("POST", "/mfa/recovery-codes", map[string]string{"password": testPass, "code": s.code(secret, 0)}, ses), 200)
	var fresh struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	if err := json.Unmarshal([]byte(a.body), &fresh); err != nil || len(fresh.RecoveryCodes) != 10 || slices.Contains(fresh.RecoveryCodes, codes[0]) {
		t.Fatalf("regenerate: %s", a.body)
	}
	mfaRequired(t, "an old recovery code", s.send("POST", "/login", map[string]string{"username": "alice", "password": testPass, "recovery_code": codes[1]}, cred{}))
	s.signIn("alice", map[string]string{"recovery_code": fresh.RecoveryCodes[0]})

	// Disable with a recovery code; then a sign-in needs no code.
	s.expect("disable with a wrong code", s.send("POST", "/mfa/disable", map[string]string{"password": testPass, "code": fresh.RecoveryCodes[0]}, ses), 400)
	a = s.expect("disable", s.send("POST", "/mfa/disable", map[string]string{"password": testPass, "code": fresh.RecoveryCodes[1]}, ses), 204)
	if a.cookie == "" || a.cookie == ses.cookie {
		t.Fatalf("disable did not rotate the session")
	}
	if m := s.me("after disable", cred{cookie: a.cookie}); *m.MFAEnabled {
		t.Errorf("after disable: %+v", m)
	}
	s.expect("disable when off", s.send("POST", "/mfa/disable", map[string]string{"password": testPass, "code": s.code(secret, 0)}, cred{cookie: a.cookie}), 400)
	s.signIn("alice", nil)
}

// notices records SecurityChanged calls.
type notices struct {
	mu  sync.Mutex
	got []string
}

func (n *notices) SecurityChanged(_ context.Context, user string, c SecurityChange) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, user+":"+string(c))
}

// TestMFAChangeEndsOtherSignIns: turning MFA on or off ends the user's
// other sessions, refresh families and pending purpose tokens, while the
// sign-in that made the change continues; the notifier hears of it.
// KeepOtherSignInsOnMFAChange keeps them.
func TestMFAChangeEndsOtherSignIns(t *testing.T) {
	n := &notices{}
	s := newMFAServer(t, Config{SecurityNotifier: n})
	s.register("alice", testPass)
	s.register("bob", testPass)
	tokA, sesA := s.signIn("alice", nil)
	refreshOf := func(login answerOf) string { return login.json(t)["refresh_token"].(string) }
	loginB := s.expect("login B", s.send("POST", "/login", map[string]string{"username": "alice", "password": testPass}, cred{}), 200)
	tokB, sesB := cred{bearer: loginB.json(t)["access_token"].(string)}, cred{cookie: loginB.cookie}
	bobTok, _ := s.signIn("bob", nil)

	secret, _, confirm := s.enrol(sesA)
	sesA = cred{cookie: confirm.cookie}
	for what, c := range map[string]cred{"B's token": tokB, "B's session": sesB} {
		s.expect(what+" after MFA on", s.send("GET", "/me", nil, c), 401)
	}
	s.expect("B's refresh token after MFA on", s.send("POST", "/token/refresh", map[string]string{"refresh_token": refreshOf(loginB)}, cred{}), 401)
	s.me("A's session after MFA on", sesA)
	s.me("A's token after MFA on", tokA)
	s.me("another user", bobTok)

	// A sign-in half done (an mfa_token) on another device dies with the
	// change, and so does a full one.
	otherTok, _ := s.signIn("alice", map[string]string{"otp": s.code(secret, 0)})
	s.nextStep()
	pending := mfaRequired(t, "login without a code", s.send("POST", "/login", map[string]string{"username": "alice", "password": testPass}, cred{}))
	s.expect("disable by token", s.send("POST", "/mfa/disable", map[string]string{"password": testPass, "code": s.code(secret, 0)}, tokA), 204)
	s.expect("another sign-in after MFA off", s.send("GET", "/me", nil, otherTok), 401)
	s.expect("a pending mfa_token after MFA off", s.send("POST", "/login/mfa", map[string]string{"mfa_token": pending, "otp": s.code(secret, 1)}, cred{}), 401)
	s.me("A's token after MFA off", tokA)
	s.me("A's session after MFA off", sesA) // linked to A's token family
	n.mu.Lock()
	if want := []string{"alice:mfa_enabled", "alice:mfa_disabled"}; !slices.Equal(n.got, want) {
		t.Errorf("notices %q, want %q", n.got, want)
	}
	n.mu.Unlock()

	keep := newMFAServer(t, Config{KeepOtherSignInsOnMFAChange: true})
	keep.register("alice", testPass)
	_, ses := keep.signIn("alice", nil)
	other, _ := keep.signIn("alice", nil)
	keep.enrol(ses)
	keep.me("another sign-in kept", other)
}

// TestMFABearerConfirm: a bearer client turns MFA on too; its token stays
// a password sign-in (it signs in again for tokens that carry otp), and no
// session is made for it.
func TestMFABearerConfirm(t *testing.T) {
	s := newMFAServer(t, Config{Admins: []string{"root"}})
	s.register("root", testPass)
	tok, _ := s.signIn("root", nil)
	a := s.expect("admin without MFA", s.send("GET", "/admin", nil, tok), 403)
	if problemType(t, a) != "urn:authkit:problem:mfa-required" {
		t.Errorf("admin without MFA: %s", a.body)
	}
	secret, _, confirm := s.enrol(tok)
	if confirm.cookie != "" {
		t.Error("a bearer confirmation started a session")
	}
	if m := s.me("token after confirm", tok); !slices.Equal(m.AMR, []string{"pwd"}) || !*m.MFAEnabled {
		t.Errorf("token after confirm: %+v", m)
	}
	s.expect("admin, token from before MFA", s.send("GET", "/admin", nil, tok), 403)
	otpTok, otpSes := s.signIn("root", map[string]string{"otp": s.code(secret, 0)})
	s.expect("admin with MFA (token)", s.send("GET", "/admin", nil, otpTok), 200)
	s.expect("admin with MFA (session)", s.send("GET", "/admin", nil, otpSes), 200)
}

// TestMFASecretsSealedWithAppKey: on Redis the MFA state lives under the
// server's prefix, sealed under the application key: no secret in the
// raw store, a restart with the same key signs in, another key fails
// closed (503, never a pass).
func TestMFASecretsSealedWithAppKey(t *testing.T) {
	rdb, prefix := testRedis(t)
	key := NewAppKey().String()
	cfg := Config{RedisURL: redistest.URL(), RedisPrefix: prefix, AppKeyEnv: key}
	s := newMFAServer(t, cfg)
	s.register("alice", testPass)
	_, ses := s.signIn("alice", nil)
	secret, codes, _ := s.enrol(ses)
	raw, err := mfa.ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := rdb.Keys(t.Context(), prefix+"mfa:*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("no MFA keys under %smfa: (%v)", prefix, err)
	}
	for _, k := range keys {
		dump, err := rdb.Dump(t.Context(), k).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{secret, string(raw), strings.ReplaceAll(codes[0], "-", "")} {
			if strings.Contains(dump, leak) {
				t.Fatalf("key %s holds a secret in clear", k)
			}
		}
	}

	again := newMFAServer(t, cfg)
	again.clock.Set(s.clock.Now())
	again.signIn("alice", map[string]string{"otp": again.code(secret, 0)})

	cfg.AppKeyEnv = NewAppKey().String()
	other := newMFAServer(t, cfg)
	other.clock.Set(s.clock.Now().Add(time.Minute))
	a := other.expect("another app key", other.send("POST", "/login", map[string]string{"username": "alice", "password": testPass, "otp": other.code(secret, 0)}, cred{}), 503)
	if problemType(t, a) != "urn:authkit:problem:unavailable" {
		t.Errorf("another app key: %s", a.body)
	}
}

// mfaPaths are the endpoints that read a code, in the order the hostile
// table and the fuzz target address them.
var mfaPaths = []string{"/login", "/login/mfa", "/mfa/enroll", "/mfa/confirm", "/mfa/disable", "/mfa/recovery-codes"}

// hostileMFABodies are bodies no MFA endpoint may answer with a 5xx: bad
// JSON shapes, duplicate and case-variant members, codes of every wrong
// kind (Unicode digits, NUL, huge, control characters, look-alikes).
var hostileMFABodies = []string{
	``, `null`, `[]`, `"123456"`, `{`, `{}`, `{"code":null}`, `{"code":123456}`, `{"code":["123456"]}`, `{"code":{"a":1}}`,
	`{"code":"123456","code":"654321"}`, `{"code":"123456","CODE":"654321"}`, `{"Code":"123456"}`, `{"c\u006fde":"1","code":"2"}`,
	`{"code":""}`, `{"code":"      "}`, `{"code":"١٢٣٤٥٦"}`, `{"code":"１２３４５６"}`, `{"code":"12345\u0000"}`, `{"code":"123456\n"}`,
	`{"code":"12-34-56-78-90"}`, `{"code":"` + strings.Repeat("9", 60<<10) + `"}`, `{"code":"\ud800"}`, `{"code":"OOOO-IIII-LLLL-UUUU-0000-1111"}`,
	`{"password":"` + testPass + `","code":"0000-0000-0000-0000-0000-000\u00e9"}`, `{"password":1,"code":"123456"}`,
	`{"mfa_token":"a.b.c","otp":"123456"}`, `{"mfa_token":"","otp":""}`, `{"mfa_token":"x","otp":"1","recovery_code":"2"}`,
	`{"mfa_token":"` + strings.Repeat("A", 9000) + `","otp":"123456"}`, `{"username":"alice","password":"` + testPass + `","otp":"\u202e123456"}`,
	`{"username":"alice","password":"` + testPass + `","otp":123456}`, `{"username":"alice","password":"` + testPass + `","recovery_code":"` + strings.Repeat("Z", 5000) + `"}`,
	`{"username":"alice","password":"` + testPass + `","otp":"123456","otp":"654321"}`,
}

// hostileServer is an MFA server with alice enrolled and signed in (a
// session), for the hostile table and the fuzz target.
func hostileServer(t *testing.T) (*mfaServer, cred) {
	t.Helper()
	s := newMFAServer(t, Config{})
	s.register("alice", testPass)
	_, ses := s.signIn("alice", nil)
	_, _, confirm := s.enrol(ses)
	return s, cred{cookie: confirm.cookie}
}

// checkNoServerError sends body to path and fails on an answer of 500 or
// more, or a refusal that is not problem+json.
func (s *mfaServer) checkNoServerError(t *testing.T, path, body string, c cred) {
	t.Helper()
	resp := s.call("POST", path, body, c.header(s.testServer))
	got := readAll(t, resp)
	if resp.StatusCode >= 500 || resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("POST %s %.80q: %d %s %.200s", path, body, resp.StatusCode, resp.Header.Get("Content-Type"), got)
	}
}

func TestMFAHostileBodies(t *testing.T) {
	s, ses := hostileServer(t)
	for _, path := range mfaPaths {
		for _, body := range hostileMFABodies {
			s.checkNoServerError(t, path, body, ses)
		}
	}
}

func FuzzMFAEndpoints(f *testing.F) {
	for i, body := range hostileMFABodies {
		f.Add(uint8(i), body)
	}
	f.Add(uint8(1), `{"mfa_token":"x","recovery_code":"ABCD-EFGH-JKMN-PQRS-TVWX-YZ01"}`)
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		s, ses := hostileServer(t) // a few milliseconds: fast hashing, memory stores
		s.checkNoServerError(t, mfaPaths[int(which)%len(mfaPaths)], body, ses)
	})
}
