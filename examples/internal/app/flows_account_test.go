package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/account"
	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/audit/audittest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/token"
)

// mailbox is a Mailer that keeps what it is sent.
type mailbox struct {
	mu   sync.Mutex
	msgs []account.Message
	hold chan struct{} // when set, Send waits for it to close
}

func (m *mailbox) Send(ctx context.Context, msg account.Message) error {
	if m.hold != nil {
		select {
		case <-m.hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, msg)
	return nil
}

// accountServer is a test server whose mail lands in a mailbox and whose
// audit events in a recorder.
type accountServer struct {
	*testServer
	box  *mailbox
	sink *audittest.Recorder
}

func newAccountServer(t *testing.T, cfg Config) *accountServer {
	t.Helper()
	box := &mailbox{}
	sink := &audittest.Recorder{}
	cfg.Mailer, cfg.Audit = box, sink
	return &accountServer{testServer: newTestServer(t, cfg), box: box, sink: sink}
}

// mails waits for the outbox and returns the messages sent so far and
// forgets them.
func (s *accountServer) mails() []account.Message {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.app.outbox.Flush(ctx); err != nil {
		s.t.Fatal(err)
	}
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	out := s.box.msgs
	s.box.msgs = nil
	return out
}

// mailOf returns the one message of kind in msgs, failing unless there is
// exactly one.
func (s *accountServer) mailOf(msgs []account.Message, kind account.Kind) account.Message {
	s.t.Helper()
	var found []account.Message
	for _, m := range msgs {
		if m.Kind == kind {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		s.t.Fatalf("%d %s messages in %+v, want 1", len(found), kind, msgs)
	}
	return found[0]
}

// lifetime reports whether c lives ttl: exp is whole seconds, iat
// milliseconds.
func lifetime(c *token.Claims, ttl time.Duration) bool {
	d := c.ExpiresAt.Sub(c.IssuedAt)
	return d <= ttl && d > ttl-time.Second
}

// accessFor signs name in with pw and returns the access token.
func (s *accountServer) accessFor(name, pw string) string {
	s.t.Helper()
	resp, body := s.post("/login", map[string]string{"username": name, "password": pw}, nil)
	var p struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil || resp.StatusCode != http.StatusOK {
		s.t.Fatalf("login %s: %d %s", name, resp.StatusCode, body)
	}
	return p.AccessToken
}

var tokenLine = regexp.MustCompile(`(?m)^Token: (\S+)\r?$`)

// tokenIn returns the token a message's body carries on its Token: line.
func (s *accountServer) tokenIn(m account.Message) string {
	s.t.Helper()
	sub := tokenLine.FindStringSubmatch(m.Text)
	if sub == nil || sub[1] != m.Token {
		s.t.Fatalf("no Token: line holding the token in %q", m.Text)
	}
	return sub[1]
}

func (s *accountServer) registerEmail(name, pw, email string) {
	s.t.Helper()
	b, _ := json.Marshal(map[string]string{"username": name, "password": pw, "email": email})
	if resp := s.call("POST", "/register", string(b), nil); resp.StatusCode != http.StatusCreated {
		s.t.Fatalf("register %s: %d %s", name, resp.StatusCode, readAll(s.t, resp))
	}
}

func (s *accountServer) post(path string, body any, header map[string]string) (*http.Response, string) {
	s.t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	resp := s.call("POST", path, string(b), header)
	return resp, readAll(s.t, resp)
}

// forgotToken asks for a reset of name and returns the token mailed.
func (s *accountServer) forgotToken(name string) string {
	s.t.Helper()
	if resp, body := s.post("/password/forgot", map[string]string{"username": name}, nil); resp.StatusCode != http.StatusAccepted {
		s.t.Fatalf("forgot %s: %d %s", name, resp.StatusCode, body)
	}
	return s.tokenIn(s.mailOf(s.mails(), account.KindPasswordReset))
}

// wantCodes checks a 400 problem+json whose "errors" hold exactly codes.
func wantCodes(t *testing.T, step string, resp *http.Response, body string, codes ...string) {
	t.Helper()
	var p struct {
		Type   string `json:"type"`
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	_ = json.Unmarshal([]byte(body), &p)
	var got []string
	for _, e := range p.Errors {
		got = append(got, e.Code)
		if e.Message == "" {
			t.Errorf("%s: code %s without a message", step, e.Code)
		}
	}
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "application/problem+json" ||
		p.Type != "urn:authkit:problem:invalid-request" || !slices.Equal(got, codes) {
		t.Errorf("%s: %d %s %s, want 400 problem+json with codes %v", step, resp.StatusCode, resp.Header.Get("Content-Type"), body, codes)
	}
}

func (s *accountServer) me(h map[string]string) map[string]any {
	s.t.Helper()
	resp := s.call("GET", "/me", "", h)
	body := readAll(s.t, resp)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("/me: %d %s", resp.StatusCode, body)
	}
	var m map[string]any
	_ = json.Unmarshal([]byte(body), &m)
	return m
}

func (s *accountServer) wantStatus(step, method, path string, h map[string]string, want int) {
	s.t.Helper()
	resp := s.call(method, path, "", h)
	if body := readAll(s.t, resp); resp.StatusCode != want {
		s.t.Errorf("%s: %s %s = %d %s, want %d", step, method, path, resp.StatusCode, body, want)
	}
}

// noSecrets fails when an audit event carries one of secrets.
func (s *accountServer) noSecrets(secrets ...string) {
	s.t.Helper()
	for _, e := range s.sink.Events() {
		b, _ := json.Marshal(e)
		for _, sec := range secrets {
			if sec != "" && strings.Contains(string(b), sec) {
				s.t.Errorf("audit event %s carries a secret: %s", e.Kind, b)
			}
		}
	}
}

// /password/forgot answers alike for every username, and mails only an
// existing account with an address.
func TestForgotPassword(t *testing.T) {
	s := newAccountServer(t, Config{})
	s.registerEmail("alice", testPass, "alice@example.com")
	s.register("bob", testPass) // no email
	var answers []string
	for _, name := range []string{"alice", "ALICE", "bob", "nobody", "not a name!"} {
		resp, body := s.post("/password/forgot", map[string]string{"username": name}, nil)
		answers = append(answers, resp.Status+" "+resp.Header.Get("Content-Type")+" "+resp.Header.Get("Cache-Control")+" "+body)
		if resp.StatusCode != http.StatusAccepted {
			t.Errorf("forgot %q: %d %s", name, resp.StatusCode, body)
		}
	}
	for _, a := range answers[1:] {
		if a != answers[0] {
			t.Errorf("answers differ:\n%s\n%s", answers[0], a)
		}
	}
	msgs := s.mails()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2 (alice twice, nobody else): %+v", len(msgs), msgs)
	}
	for _, m := range msgs {
		if m.Kind != account.KindPasswordReset || m.To != "alice@example.com" || m.Username != "alice" {
			t.Errorf("message %+v", m)
		}
		c, err := s.app.issuer.VerifyPurpose(t.Context(), s.tokenIn(m), token.PurposePasswordReset, token.BoundTo("alice@example.com"))
		if err != nil || c.Subject != "alice" || !lifetime(c, 15*time.Minute) {
			t.Errorf("mailed token: %+v %v, want a 15-minute reset token for alice", c, err)
		}
	}
	events := s.sink.Of(audit.PasswordResetRequested)
	if len(events) != 5 || events[0].Subject != "alice" || events[2].Reason != "no_email" || events[3].Reason != "unknown_user" || !strings.HasPrefix(events[3].Subject, "hmac:") {
		t.Errorf("events %+v", events)
	}
	s.noSecrets(msgs[0].Token, msgs[1].Token)
	for _, bad := range []string{`{}`, `{"username":""}`, `{"username":"alice","email":"x"}`, ``} {
		if resp := s.call("POST", "/password/forgot", bad, nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("forgot %q: %d, want 400", bad, resp.StatusCode)
		}
	}
}

// Nobody can make the server flood an account's address with reset mail:
// /password/forgot needs no sign-in, so its mail is charged, in the
// background, to the account's mail budget (MailPerHour) that the
// endpoints that mail on request share. Beyond it nothing is sent, and the
// answer stays the same 202 (a 429 would tell that the account exists).
func TestForgotPasswordMailLimited(t *testing.T) {
	s := newAccountServer(t, Config{})
	s.registerEmail("alice", testPass, "alice@example.com")
	first := ""
	for i := range MailPerHour + 5 {
		resp, body := s.post("/password/forgot", map[string]string{"username": "alice"}, nil)
		got := resp.Status + " " + body
		if first == "" {
			first = got
		}
		if resp.StatusCode != http.StatusAccepted || got != first {
			t.Fatalf("forgot %d: %s, want %s", i, got, first)
		}
	}
	if n := len(s.mails()); n != MailPerHour {
		t.Errorf("%d reset messages for %d requests, want %d (the account's mail budget)", n, MailPerHour+5, MailPerHour)
	}
	// The budget is the account's: /email/verify/request shares it.
	if resp, body := s.post("/email/verify/request", nil, bearer(s.accessFor("alice", testPass))); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("/email/verify/request after the budget went on resets: %d %s, want 429", resp.StatusCode, body)
	}
}

// Accounts are cheap, so the per-user mail budget alone does not stop a
// stranger from flooding somebody else's address: each of many accounts
// of his names it at /email/change (or at /register, when a verified
// email is required). An address that a request names gets MailPerHour
// verification messages an hour, whatever the accounts; beyond that the
// change is a 429 that changes nothing.
func TestNamedAddressMailLimited(t *testing.T) {
	s := newAccountServer(t, Config{})
	const victim = "Victim@example.org"
	for i := range MailPerHour + 2 {
		name := fmt.Sprintf("mallory%d", i)
		s.register(name, testPass)
		resp, body := s.post("/email/change", map[string]string{"password": testPass, "email": victim}, bearer(s.accessFor(name, testPass)))
		want := http.StatusAccepted
		if i >= MailPerHour {
			want = http.StatusTooManyRequests
		}
		if resp.StatusCode != want || want == http.StatusTooManyRequests && (resp.Header.Get("Retry-After") == "" || !strings.Contains(resp.Header.Get("RateLimit-Policy"), `"mail-to"`)) {
			t.Fatalf("account %d names the address: %d %s %v, want %d", i, resp.StatusCode, body, resp.Header, want)
		}
		if u, _ := s.app.users.Get(t.Context(), name); want != http.StatusAccepted && u.Email != "" {
			t.Errorf("a refused change stored the address: %+v", u)
		}
	}
	if n := len(s.mails()); n != MailPerHour {
		t.Errorf("%d messages to the address, want %d", n, MailPerHour)
	}

	r := newAccountServer(t, Config{RequireVerifiedEmail: true})
	for i := range MailPerHour + 2 {
		r.registerEmail(fmt.Sprintf("mallory%d", i), testPass, strings.ToLower(victim))
	}
	if n := len(r.mails()); n != MailPerHour {
		t.Errorf("%d verification messages from /register to one address, want %d", n, MailPerHour)
	}
}

// The answer to /password/forgot never waits for the token or the mail:
// what only an existing account costs happens in the background.
func TestForgotPasswordDoesNotWait(t *testing.T) {
	s := newAccountServer(t, Config{})
	s.registerEmail("alice", testPass, "alice@example.com")
	s.box.hold = make(chan struct{})
	done := make(chan int, 1)
	go func() {
		resp := s.call("POST", "/password/forgot", `{"username":"alice"}`, nil)
		done <- resp.StatusCode
	}()
	select {
	case code := <-done:
		if code != http.StatusAccepted {
			t.Fatalf("forgot: %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the answer waited for the mailer")
	}
	close(s.box.hold)
	s.mailOf(s.mails(), account.KindPasswordReset)
}

func TestResetPassword(t *testing.T) {
	s := newAccountServer(t, Config{})
	s.registerEmail("alice", testPass, "alice@example.com")
	access, refresh, cookie := s.login("alice")
	tok := s.forgotToken("alice")

	// A weak password is refused with the policy's codes and spends nothing.
	resp, body := s.post("/password/reset", map[string]string{"token": tok, "password": "alice"}, nil)
	wantCodes(t, "weak password", resp, body, "too_short", "missing_upper", "missing_digit", "contains_user", "common")
	const newPass = "Fresh-Staple-Horse-9"
	if resp, body := s.post("/password/reset", map[string]string{"token": tok, "password": newPass}, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("reset: %d %s", resp.StatusCode, body)
	}
	resp, body = s.post("/password/reset", map[string]string{"token": tok, "password": "Another-Staple-7"}, nil)
	wantCodes(t, "second use", resp, body, CodeInvalidToken)

	// Every sign-in of alice has ended; the new password works, the old not.
	s.wantStatus("old access token", "GET", "/me", bearer(access), 401)
	s.wantStatus("old session", "GET", "/me", map[string]string{"Cookie": s.app.sessions.CookieName() + "=" + cookie}, 401)
	if resp, _ := s.post("/token/refresh", map[string]string{"refresh_token": refresh}, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("old refresh token: %d", resp.StatusCode)
	}
	if resp, _ := s.post("/login", map[string]string{"username": "alice", "password": testPass}, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("login with the old password: %d", resp.StatusCode)
	}
	if resp, body := s.post("/login", map[string]string{"username": "alice", "password": newPass}, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("login with the new password: %d %s", resp.StatusCode, body)
	}
	notice := s.mailOf(s.mails(), account.KindPasswordWasReset)
	if notice.Token != "" || strings.Contains(notice.Text, tok) || notice.To != "alice@example.com" {
		t.Errorf("notice %+v", notice)
	}
	if len(s.sink.Of(audit.PasswordReset)) != 1 {
		t.Errorf("password.reset events: %+v", s.sink.Of(audit.PasswordReset))
	}
	s.noSecrets(tok, newPass, testPass)
	for _, bad := range []string{`{"token":"x"}`, `{"password":"x"}`, `{"token":"","password":""}`} {
		if resp := s.call("POST", "/password/reset", bad, nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("reset %s: %d, want 400", bad, resp.StatusCode)
		}
	}
}

// newMFAMailServer is an MFA server with a mailbox and, on it, alice with
// an address, as the flows that mail and need a second factor use them.
func newMFAMailServer(t *testing.T) (*mfaServer, *accountServer) {
	t.Helper()
	box := &mailbox{}
	s := newMFAServer(t, Config{Mailer: box})
	a := &accountServer{testServer: s.testServer, box: box}
	a.registerEmail("alice", testPass, "alice@example.com")
	return s, a
}

// A password reset sets the password and ends every sign-in, but leaves
// the second factor on: the next sign-in with the new password still
// needs the code (ASVS 5.0 6.4.3).
func TestResetPasswordKeepsMFA(t *testing.T) {
	s, a := newMFAMailServer(t)
	_, ses := s.signIn("alice", nil)
	secret, _, confirm := s.enrol(ses)
	tok := a.forgotToken("alice")
	const newPass = "Fresh-Staple-Horse-9"
	s.expect("reset", s.send("POST", "/password/reset", map[string]string{"token": tok, "password": newPass}, cred{}), 204)
	s.expect("the session after the reset", s.send("GET", "/me", nil, cred{cookie: confirm.cookie}), 401)
	pw := map[string]string{"username": "alice", "password": newPass}
	mfaTok := mfaRequired(t, "sign-in with the new password and no code", s.send("POST", "/login", pw, cred{}))
	done := s.expect("the code step", s.send("POST", "/login/mfa", map[string]string{"mfa_token": mfaTok, "otp": s.code(secret, 0)}, cred{}), 200)
	if m := s.me("after the reset", cred{cookie: done.cookie}); !*m.MFAEnabled || !slices.Equal(m.AMR, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("after the reset: %+v, want MFA on and amr pwd otp mfa", m)
	}
}

// One kind of token never works as another.
func TestAccountTokensDoNotMix(t *testing.T) {
	s := newAccountServer(t, Config{})
	s.registerEmail("alice", testPass, "alice@example.com")
	access, refresh, _ := s.login("alice")
	reset := s.forgotToken("alice")
	if resp, _ := s.post("/email/verify/request", nil, bearer(access)); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("verification request: %d", resp.StatusCode)
	}
	verify := s.tokenIn(s.mailOf(s.mails(), account.KindEmailVerification))
	mfa, err := s.app.issuer.IssuePurpose(t.Context(), "alice", token.PurposeMFA)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, path, tok string }{
		{"reset token as verification", "/email/verify", reset},
		{"verification token as reset", "/password/reset", verify},
		{"mfa token as reset", "/password/reset", mfa},
		{"mfa token as verification", "/email/verify", mfa},
		{"access token as reset", "/password/reset", access},
		{"refresh token as verification", "/email/verify", refresh},
		{"garbage", "/password/reset", "x.y.z"},
		{"tampered reset token", "/password/reset", reset[:len(reset)-3] + "AAA"},
	} {
		b := map[string]string{"token": tt.tok}
		if tt.path == "/password/reset" {
			b["password"] = "Fresh-Staple-Horse-9"
		}
		resp, body := s.post(tt.path, b, nil)
		wantCodes(t, tt.name, resp, body, CodeInvalidToken)
	}
	s.wantStatus("reset token as bearer", "GET", "/me", bearer(reset), 401)
	s.wantStatus("verification token as bearer", "GET", "/me", bearer(verify), 401)
	for _, tok := range []string{reset, verify} {
		if resp, _ := s.post("/token/refresh", map[string]string{"refresh_token": tok}, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("purpose token at /token/refresh: %d, want 401", resp.StatusCode)
		}
	}
	// The refusals spent nothing: both still work for what they are.
	if resp, body := s.post("/email/verify", map[string]string{"token": verify}, nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("verification token for its purpose: %d %s", resp.StatusCode, body)
	}
	if resp, body := s.post("/password/reset", map[string]string{"token": reset, "password": "Fresh-Staple-Horse-9"}, nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("reset token for its purpose: %d %s", resp.StatusCode, body)
	}
}

func TestEmailVerification(t *testing.T) {
	s := newAccountServer(t, Config{})
	s.registerEmail("alice", testPass, "Alice@Example.COM")
	s.register("bob", testPass)
	access, _, _ := s.login("alice")
	if m := s.me(bearer(access)); m["email"] != "Alice@example.com" || m["email_verified"] != false {
		t.Errorf("/me before verification: %v", m)
	}
	bobAccess, _, _ := s.login("bob")
	if m := s.me(bearer(bobAccess)); m["email"] != nil || m["email_verified"] != nil {
		t.Errorf("/me of an account without email: %v", m)
	}
	resp, body := s.post("/email/verify/request", nil, bearer(bobAccess))
	wantCodes(t, "no email", resp, body, CodeNoEmail)
	s.wantStatus("unauthenticated request", "POST", "/email/verify/request", nil, 401)

	if resp := s.call("POST", "/email/verify/request", "", bearer(access)); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("verification request: %d", resp.StatusCode)
	}
	m := s.mailOf(s.mails(), account.KindEmailVerification)
	tok := s.tokenIn(m)
	if c, err := s.app.issuer.VerifyPurpose(t.Context(), tok, token.PurposeEmailVerification, token.BoundTo("Alice@example.com")); err != nil || !lifetime(c, 24*time.Hour) {
		t.Errorf("mailed token: %v %v, want a 24-hour verification token", c, err)
	}
	if m.To != "Alice@example.com" {
		t.Errorf("mailed to %q", m.To)
	}
	if resp, body := s.post("/email/verify", map[string]string{"token": tok}, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("verify: %d %s", resp.StatusCode, body)
	}
	if m := s.me(bearer(access)); m["email_verified"] != true {
		t.Errorf("/me after verification: %v", m)
	}
	resp, body = s.post("/email/verify", map[string]string{"token": tok}, nil)
	wantCodes(t, "second use", resp, body, CodeInvalidToken)
	if len(s.sink.Of(audit.EmailVerified)) != 1 || len(s.sink.Of(audit.EmailVerificationSent)) != 1 {
		t.Errorf("events: %+v", s.sink.Events())
	}
	s.noSecrets(tok, access)
	resp, body = s.post("/register", map[string]string{"username": "carol", "password": testPass, "email": "carol@[192.0.2.1]"}, nil)
	wantCodes(t, "bad email at register", resp, body, CodeInvalidEmail)
}

func TestEmailChange(t *testing.T) {
	s := newAccountServer(t, Config{})
	s.registerEmail("alice", testPass, "alice@example.com")
	access, _, _ := s.login("alice")
	// Tokens mailed to the old address, pending when it changes.
	reset := s.forgotToken("alice")
	s.post("/email/verify/request", nil, bearer(access))
	oldVerify := s.tokenIn(s.mailOf(s.mails(), account.KindEmailVerification))

	if resp, _ := s.post("/email/change", map[string]string{"password": "Wrong-Horse-42", "email": "new@example.org"}, bearer(access)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", resp.StatusCode)
	}
	resp, body := s.post("/email/change", map[string]string{"password": testPass, "email": "Eve <eve@evil.example>"}, bearer(access))
	wantCodes(t, "invalid email", resp, body, CodeInvalidEmail)
	if len(s.mails()) != 0 {
		t.Error("a refused change sent mail")
	}
	if resp, body := s.post("/email/change", map[string]string{"password": testPass, "email": "new@Example.org"}, bearer(access)); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("email change: %d %s", resp.StatusCode, body)
	}
	if m := s.me(bearer(access)); m["email"] != "new@example.org" || m["email_verified"] != false {
		t.Errorf("/me after the change: %v", m)
	}
	msgs := s.mails()
	verify := s.mailOf(msgs, account.KindEmailVerification)
	notice := s.mailOf(msgs, account.KindEmailChanged)
	if verify.To != "new@example.org" || notice.To != "alice@example.com" || notice.Token != "" || strings.Contains(notice.Text, "new@example.org") {
		t.Errorf("verification to %q, notice to %q: %q", verify.To, notice.To, notice.Text)
	}
	// What was mailed to the old address is dead.
	resp, body = s.post("/email/verify", map[string]string{"token": oldVerify}, nil)
	wantCodes(t, "old verification token", resp, body, CodeInvalidToken)
	resp, body = s.post("/password/reset", map[string]string{"token": reset, "password": "Fresh-Staple-Horse-9"}, nil)
	wantCodes(t, "reset token mailed to the old address", resp, body, CodeInvalidToken)
	if resp, body := s.post("/email/verify", map[string]string{"token": s.tokenIn(verify)}, nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("the new address's token: %d %s", resp.StatusCode, body)
	}
	if m := s.me(bearer(access)); m["email_verified"] != true {
		t.Errorf("/me after verifying the new address: %v", m)
	}
	s.noSecrets(testPass, reset)
}

func TestPasswordChange(t *testing.T) {
	s := newAccountServer(t, Config{})
	s.registerEmail("alice", testPass, "alice@example.com")
	_, _, cookie := s.login("alice")
	otherAccess, otherRefresh, otherCookie := s.login("alice")
	reset := s.forgotToken("alice")
	withCookie := func(c string) map[string]string {
		return map[string]string{"Cookie": s.app.sessions.CookieName() + "=" + c}
	}
	const newPass = "Fresh-Staple-Horse-9"
	for _, tt := range []struct {
		name  string
		body  map[string]string
		want  int
		codes []string
	}{
		{"wrong current password", map[string]string{"current_password": "Wrong-Horse-42", "new_password": newPass}, 401, nil},
		{"the same password", map[string]string{"current_password": testPass, "new_password": testPass}, 400, []string{CodeSamePassword}},
		{"a weak password", map[string]string{"current_password": testPass, "new_password": "password"}, 400, []string{"too_short", "missing_upper", "missing_digit", "common"}},
		{"missing field", map[string]string{"current_password": testPass}, 400, nil},
	} {
		resp, body := s.post("/password/change", tt.body, withCookie(cookie))
		if tt.codes != nil {
			wantCodes(t, tt.name, resp, body, tt.codes...)
		} else if resp.StatusCode != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, resp.StatusCode, body, tt.want)
		}
	}
	s.mails()
	resp, body := s.post("/password/change", map[string]string{"current_password": testPass, "new_password": newPass}, withCookie(cookie))
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("password change: %d %s", resp.StatusCode, body)
	}
	// This sign-in continues on a new session id; every other one ended.
	var rotated string
	for _, c := range resp.Cookies() {
		if c.Name == s.app.sessions.CookieName() && c.MaxAge > 0 {
			rotated = c.Value
		}
	}
	if rotated == "" || rotated == cookie {
		t.Fatalf("the session was not rotated: %q", resp.Header.Values("Set-Cookie"))
	}
	s.wantStatus("rotated session", "GET", "/me", withCookie(rotated), 200)
	s.wantStatus("old session id", "GET", "/me", withCookie(cookie), 401)
	s.wantStatus("other session", "GET", "/me", withCookie(otherCookie), 401)
	s.wantStatus("other access token", "GET", "/me", bearer(otherAccess), 401)
	if resp, _ := s.post("/token/refresh", map[string]string{"refresh_token": otherRefresh}, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("other refresh token: %d", resp.StatusCode)
	}
	resp, body = s.post("/password/reset", map[string]string{"token": reset, "password": "Another-Staple-7"}, nil)
	wantCodes(t, "pending reset token after the change", resp, body, CodeInvalidToken)
	if resp, _ := s.post("/login", map[string]string{"username": "alice", "password": newPass}, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("login with the new password: %d", resp.StatusCode)
	}
	notice := s.mailOf(s.mails(), account.KindPasswordChanged)
	if notice.Token != "" || strings.Contains(notice.Text, newPass) {
		t.Errorf("notice %+v", notice)
	}
	if len(s.sink.Of(audit.PasswordChanged)) != 1 {
		t.Errorf("password.changed events: %+v", s.sink.Of(audit.PasswordChanged))
	}
	s.noSecrets(testPass, newPass, reset)

	// By bearer token: that sign-in's token keeps working.
	access := s.accessFor("alice", newPass)
	other := s.accessFor("alice", newPass)
	if resp, body := s.post("/password/change", map[string]string{"current_password": newPass, "new_password": testPass}, bearer(access)); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("password change by bearer: %d %s", resp.StatusCode, body)
	}
	s.wantStatus("own access token", "GET", "/me", bearer(access), 200)
	s.wantStatus("another sign-in's token", "GET", "/me", bearer(other), 401)
}

func TestRevokeSession(t *testing.T) {
	s := newAccountServer(t, Config{})
	s.register("alice", testPass)
	s.register("bob", testPass)
	access, _, cookie := s.login("alice")
	otherAccess, otherRefresh, otherCookie := s.login("alice")
	_, _, bobCookie := s.login("bob")
	hints := func(h map[string]string) (current, other string) {
		resp := s.call("GET", "/sessions", "", h)
		var list []SessionInfo
		_ = json.Unmarshal([]byte(readAll(t, resp)), &list)
		for _, e := range list {
			if e.Current {
				current = e.IDHint
			} else {
				other = e.IDHint
			}
		}
		return current, other
	}
	withCookie := func(c string) map[string]string {
		return map[string]string{"Cookie": s.app.sessions.CookieName() + "=" + c}
	}
	_, otherHint := hints(withCookie(cookie))
	bobHint, _ := hints(withCookie(bobCookie))
	for _, tt := range []struct {
		name string
		hint string
		want int
	}{
		{"unknown hint", "00000000", 404},
		{"malformed hint", "not-a-hint", 404},
		{"another user's session", bobHint, 404},
	} {
		if resp, body := s.post("/sessions/revoke", map[string]string{"id_hint": tt.hint}, bearer(access)); resp.StatusCode != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, resp.StatusCode, body, tt.want)
		}
	}
	if resp := s.call("POST", "/sessions/revoke", `{}`, bearer(access)); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no hint: %d, want 400", resp.StatusCode)
	}
	s.wantStatus("unauthenticated", "POST", "/sessions/revoke", nil, 401)
	s.wantStatus("bob's session untouched", "GET", "/me", withCookie(bobCookie), 200)

	if resp, body := s.post("/sessions/revoke", map[string]string{"id_hint": otherHint}, bearer(access)); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", resp.StatusCode, body)
	}
	s.wantStatus("revoked session", "GET", "/me", withCookie(otherCookie), 401)
	s.wantStatus("its access token", "GET", "/me", bearer(otherAccess), 401)
	if resp, _ := s.post("/token/refresh", map[string]string{"refresh_token": otherRefresh}, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("its refresh token: %d, want 401 (the linked family ends)", resp.StatusCode)
	}
	s.wantStatus("this session", "GET", "/me", withCookie(cookie), 200)
	s.wantStatus("this token", "GET", "/me", bearer(access), 200)
	if resp, _ := s.post("/sessions/revoke", map[string]string{"id_hint": otherHint}, bearer(access)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoking it again: %d, want 404", resp.StatusCode)
	}
}

func TestRequireVerifiedEmail(t *testing.T) {
	s := newAccountServer(t, Config{RequireVerifiedEmail: true})
	resp, body := s.post("/register", map[string]string{"username": "bob", "password": testPass}, nil)
	wantCodes(t, "no email", resp, body, CodeEmailRequired)
	s.registerEmail("alice", testPass, "alice@example.com")
	first := s.mailOf(s.mails(), account.KindEmailVerification)
	if resp, _ := s.post("/login", map[string]string{"username": "alice", "password": "Wrong-Horse-42"}, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401 before anything is said about the address", resp.StatusCode)
	}
	resp, body = s.post("/login", map[string]string{"username": "alice", "password": testPass}, nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, TypeEmailUnverified) || strings.Contains(body, "access_token") {
		t.Fatalf("unverified login: %d %s, want 403 %s", resp.StatusCode, body, TypeEmailUnverified)
	}
	again := s.mailOf(s.mails(), account.KindEmailVerification) // the refused attempt mailed a fresh token
	if again.Token == first.Token {
		t.Error("no fresh token")
	}
	if resp, body := s.post("/email/verify", map[string]string{"token": s.tokenIn(first)}, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("verify: %d %s", resp.StatusCode, body)
	}
	if resp, body := s.post("/login", map[string]string{"username": "alice", "password": testPass}, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("verified login: %d %s", resp.StatusCode, body)
	}

	// Off by default: no email needed, no verification needed.
	d := newAccountServer(t, Config{})
	d.registerEmail("alice", testPass, "alice@example.com")
	d.login("alice")
	if len(d.mails()) != 0 {
		t.Error("registration mailed something with the option off")
	}
}

// A sign-in from a device the account has not used before mails a
// notice; the first sign-in ever and known devices do not.
func TestNewDeviceNotice(t *testing.T) {
	s := newAccountServer(t, Config{})
	s.registerEmail("alice", testPass, "alice@example.com")
	login := func(ua string) {
		t.Helper()
		if resp, _ := s.post("/login", map[string]string{"username": "alice", "password": testPass}, map[string]string{"User-Agent": ua}); resp.StatusCode != http.StatusOK {
			t.Fatalf("login: %d", resp.StatusCode)
		}
	}
	login("laptop")
	if msgs := s.mails(); len(msgs) != 0 {
		t.Errorf("the first sign-in mailed %+v", msgs)
	}
	login("laptop")
	if msgs := s.mails(); len(msgs) != 0 {
		t.Errorf("a known device mailed %+v", msgs)
	}
	login("phone")
	n := s.mailOf(s.mails(), account.KindNewDevice)
	if n.Token != "" || !strings.Contains(n.Text, "phone") || n.To != "alice@example.com" {
		t.Errorf("notice %+v", n)
	}
}

// With the store down every account flow answers 503 and changes nothing:
// once it is back, the tokens mailed before still work and the password is
// the old one.
func TestAccountFlowsStoreDown(t *testing.T) {
	c, prefix := testRedis(t)
	proxy := redistest.NewProxy(t, c.Options().Addr)
	s := newAccountServer(t, Config{RedisURL: "redis://" + proxy.Addr() + "/0?dial_timeout=200ms&read_timeout=500ms&max_retries=-1", RedisPrefix: prefix})
	s.registerEmail("alice", testPass, "alice@example.com")
	access, _, cookie := s.login("alice")
	reset := s.forgotToken("alice")
	s.post("/email/verify/request", nil, bearer(access))
	verify := s.tokenIn(s.mailOf(s.mails(), account.KindEmailVerification))
	withCookie := map[string]string{"Cookie": s.app.sessions.CookieName() + "=" + cookie}

	proxy.Set(redistest.Refuse)
	proxy.Reset()
	const newPass = "Fresh-Staple-Horse-9"
	for _, tt := range []struct {
		path   string
		body   any
		header map[string]string
	}{
		{"/password/forgot", map[string]string{"username": "alice"}, nil},
		{"/password/forgot", map[string]string{"username": "nobody"}, nil},
		{"/password/reset", map[string]string{"token": reset, "password": newPass}, nil},
		{"/email/verify", map[string]string{"token": verify}, nil},
		{"/email/verify/request", nil, bearer(access)},
		{"/password/change", map[string]string{"current_password": testPass, "new_password": newPass}, withCookie},
		{"/email/change", map[string]string{"password": testPass, "email": "new@example.org"}, withCookie},
		{"/sessions/revoke", map[string]string{"id_hint": "00000000"}, withCookie},
	} {
		resp, body := s.post(tt.path, tt.body, tt.header)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, guardUnavailable) {
			t.Errorf("%s with the store down: %d %s, want 503", tt.path, resp.StatusCode, body)
		}
	}
	proxy.Set(redistest.Pass)
	if len(s.mails()) != 0 {
		t.Error("mail went out while the store was down")
	}
	if m := s.me(bearer(access)); m["email"] != "alice@example.com" || m["email_verified"] != false {
		t.Errorf("/me after the outage: %v", m)
	}
	if resp, body := s.post("/email/verify", map[string]string{"token": verify}, nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("the verification token after the outage: %d %s", resp.StatusCode, body)
	}
	if resp, body := s.post("/password/reset", map[string]string{"token": reset, "password": newPass}, nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("the reset token after the outage: %d %s", resp.StatusCode, body)
	}
}

const guardUnavailable = `"type":"urn:authkit:problem:unavailable"`

// The account store's new operations, on memory and on Redis.
func TestUserStoreAccounts(t *testing.T) {
	for name, mk := range userStores {
		t.Run(name, func(t *testing.T) {
			s := mk(t)
			ctx := t.Context()
			if err := s.Create(ctx, User{Name: "alice", Hash: "h1", Email: "a@example.com"}); err != nil {
				t.Fatal(err)
			}
			if err := s.Create(ctx, User{Name: "bob", Hash: "h1"}); err != nil {
				t.Fatal(err)
			}
			if u, _ := s.Get(ctx, "alice"); u.Email != "a@example.com" || u.EmailVerified {
				t.Fatalf("Get = %+v", u)
			}
			if u, _ := s.Get(ctx, "bob"); u.Email != "" || u.EmailVerified {
				t.Fatalf("Get = %+v", u)
			}
			if err := s.ChangeHash(ctx, "alice", "stale", "h2"); !errors.Is(err, ErrStale) {
				t.Errorf("ChangeHash with a stale hash: %v", err)
			}
			if err := s.ChangeHash(ctx, "alice", "h1", "h2"); err != nil {
				t.Errorf("ChangeHash: %v", err)
			}
			if err := s.ChangeHash(ctx, "nobody", "h1", "h2"); !errors.Is(err, ErrNoUser) {
				t.Errorf("ChangeHash of nobody: %v", err)
			}
			if err := s.VerifyEmail(ctx, "alice", "other@example.com"); !errors.Is(err, ErrStale) {
				t.Errorf("VerifyEmail of another address: %v", err)
			}
			if err := s.VerifyEmail(ctx, "bob", ""); !errors.Is(err, ErrStale) {
				t.Errorf("VerifyEmail of no address: %v", err)
			}
			if err := s.VerifyEmail(ctx, "alice", "a@example.com"); err != nil {
				t.Errorf("VerifyEmail: %v", err)
			}
			if u, _ := s.Get(ctx, "alice"); !u.EmailVerified || u.Hash != "h2" {
				t.Errorf("after VerifyEmail: %+v", u)
			}
			if err := s.SetEmail(ctx, "alice", "b@example.com"); err != nil {
				t.Fatal(err)
			}
			if u, _ := s.Get(ctx, "alice"); u.Email != "b@example.com" || u.EmailVerified {
				t.Errorf("after SetEmail: %+v, want the new address unverified", u)
			}
			if err := s.SetEmail(ctx, "nobody", "b@example.com"); !errors.Is(err, ErrNoUser) {
				t.Errorf("SetEmail of nobody: %v", err)
			}
			if err := s.VerifyEmail(ctx, "nobody", "b@example.com"); !errors.Is(err, ErrNoUser) {
				t.Errorf("VerifyEmail of nobody: %v", err)
			}
			now := time.Unix(1_800_000_000, 0)
			seen := func(device string) (bool, bool) {
				t.Helper()
				now = now.Add(time.Second)
				known, first, err := s.SeenDevice(ctx, "alice", device, now)
				if err != nil {
					t.Fatal(err)
				}
				return known, first
			}
			if known, first := seen("d0"); known || !first {
				t.Errorf("first device: known %v first %v", known, first)
			}
			if known, first := seen("d0"); !known || first {
				t.Errorf("same device again: known %v first %v", known, first)
			}
			for i := 1; i <= maxDevices; i++ {
				if known, first := seen("d" + strconv.Itoa(i)); known || first {
					t.Fatalf("device %d: known %v first %v", i, known, first)
				}
			}
			// d0 was the least recently seen of maxDevices+1: forgotten.
			if known, _ := seen("d0"); known {
				t.Error("the oldest device was kept beyond the cap")
			}
			if known, _ := seen(strconv.Itoa(maxDevices)); known {
				t.Error("an unknown device reads as known")
			}
			if known, first := seen("d" + strconv.Itoa(maxDevices)); !known || first {
				t.Error("a recent device was forgotten")
			}
		})
	}
}

// -mail-dir writes each message as DIR/<unix-nanos>-<username>.eml with a
// Token: line; without it the log gets the message, token redacted.
func TestMailers(t *testing.T) {
	dir := t.TempDir()
	s := newTestServer(t, Config{MailDir: dir})
	s.call("POST", "/register", `{"username":"alice","password":"`+testPass+`","email":"alice@example.com"}`, nil)
	s.call("POST", "/password/forgot", `{"username":"alice"}`, nil)
	if err := s.app.outbox.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 || !regexp.MustCompile(`^\d{19}-alice\.eml$`).MatchString(entries[0].Name()) {
		t.Fatalf("mail dir: %v %v", entries, err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	if err != nil || !tokenLine.Match(raw) || !strings.Contains(string(raw), "\r\nTo: alice@example.com\r\n") {
		t.Fatalf("mail file %v:\n%s", err, raw)
	}
	if _, err := New(Config{MailDir: filepath.Join(dir, "missing"), DevFastHash: true}); err == nil {
		t.Error("New accepted a -mail-dir that does not exist")
	}
	if _, err := New(Config{ResetLink: "https://app.example/reset?x=1", DevFastHash: true}); err == nil {
		t.Error("New accepted a -reset-link with a query")
	}
	if _, err := New(Config{SMTPAddr: "smtp.example.com", DevFastHash: true}); err == nil {
		t.Error("New accepted an -smtp-addr without a port")
	}

	var logs strings.Builder
	var mu sync.Mutex
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logs.Write(p) }), nil)))
	defer slog.SetDefault(prev)
	l := newTestServer(t, Config{})
	l.call("POST", "/register", `{"username":"alice","password":"`+testPass+`","email":"alice@example.com"}`, nil)
	l.call("POST", "/password/forgot", `{"username":"alice"}`, nil)
	if err := l.app.outbox.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "Token: [REDACTED]") || strings.Contains(logs.String(), "eyJ") {
		t.Errorf("log mailer output:\n%s", logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Turning MFA on or off, and replacing the recovery codes, mails the
// account's address a notice without a secret in it.
func TestMFANotices(t *testing.T) {
	s, a := newMFAMailServer(t)
	_, ses := s.signIn("alice", nil)
	secret, codes, confirm := s.enrol(ses)
	ses = cred{cookie: confirm.cookie}
	s.nextStep()
	s.expect("recovery codes", s.send("POST", "/mfa/recovery-codes", map[string]string{"password": testPass, "code": s.code(secret, 0)}, ses), 200)
	s.nextStep()
	s.expect("disable", s.send("POST", "/mfa/disable", map[string]string{"password": testPass, "code": s.code(secret, 0)}, ses), 204)
	msgs := a.mails()
	for _, k := range []account.Kind{account.KindMFAEnabled, account.KindRecoveryCodesReplaced, account.KindMFADisabled} {
		m := a.mailOf(msgs, k)
		if m.Token != "" || m.To != "alice@example.com" || strings.Contains(m.Text, secret) || strings.Contains(m.Text, codes[0]) {
			t.Errorf("%s notice: %+v", k, m)
		}
	}
}

// accountPaths are the account flows' endpoints, in the order the hostile
// table and the fuzz target address them.
var accountPaths = []string{"/register", "/password/forgot", "/password/reset", "/password/change", "/email/verify/request", "/email/verify", "/email/change", "/sessions/revoke", "/token/refresh"}

// hostileAccountBodies are bodies no account endpoint may answer with a
// 5xx: bad JSON shapes, duplicate and case-variant members, tokens,
// addresses and hints of every wrong kind.
var hostileAccountBodies = []string{
	``, `null`, `[]`, `"x"`, `{`, `{}`, `{"token":null}`, `{"token":1}`, `{"token":["a"]}`, `{"token":{"a":1}}`,
	`{"token":"a","token":"b"}`, `{"token":"a","TOKEN":"b"}`, `{"Token":"a"}`, `{"t\u006fken":"a","token":"b"}`,
	`{"token":""}`, `{"token":"a.b.c"}`, `{"token":"` + strings.Repeat("A", 9000) + `"}`, `{"token":"eyJ\u0000.eyJ.x"}`,
	`{"token":"a.b.c","password":"` + testPass + `"}`, `{"token":"a.b.c","password":"` + strings.Repeat("x", 60<<10) + `"}`,
	`{"username":"alice"}`, `{"username":"ALICE","username":"bob"}`, `{"username":"` + strings.Repeat("a", 60<<10) + `"}`,
	`{"username":"\u202ealice"}`, `{"username":"alice\u0000"}`, `{"username":1}`,
	`{"username":"carol","password":"` + testPass + `","email":"a@b.c\r\nBcc: eve@evil.example"}`,
	`{"username":"carol","password":"` + testPass + `","email":"` + strings.Repeat("a", 300) + `@example.com"}`,
	`{"username":"carol","password":"` + testPass + `","email":["a@example.com"]}`,
	`{"password":"` + testPass + `","email":"Eve <eve@evil.example>"}`, `{"password":"` + testPass + `","email":"ＡＢ@example.com"}`,
	`{"password":"` + testPass + `","email":"a@example.com","email":"b@example.com"}`, `{"password":"x","email":""}`,
	`{"current_password":"` + testPass + `","new_password":""}`, `{"current_password":"","new_password":"Fresh-Staple-Horse-9"}`,
	`{"current_password":"` + testPass + `","new_password":"` + strings.Repeat("Aa1", 20000) + `"}`,
	`{"current_password":"` + testPass + `","new_password":"\ud800\udfff-Fresh-9"}`, `{"current_password":1,"new_password":2}`,
	`{"id_hint":""}`, `{"id_hint":"../../x"}`, `{"id_hint":"ABCDEF01"}`, `{"id_hint":"%00%00%00%00"}`, `{"id_hint":7}`,
	`{"id_hint":"` + strings.Repeat("0", 5000) + `"}`, `{"refresh_token":"a.b.c"}`,
}

func TestAccountHostileBodies(t *testing.T) {
	s, ses := hostileServer(t)
	for _, path := range accountPaths {
		for _, body := range hostileAccountBodies {
			s.checkNoServerError(t, path, body, ses)
		}
	}
	// None of it changed alice's password or signed her out.
	s.expect("the session after the hostile bodies", s.send("GET", "/me", nil, ses), 200)
	if u, err := s.app.users.Get(t.Context(), "alice"); err != nil || u.Email != "" {
		t.Errorf("alice after the hostile bodies: %+v %v", u, err)
	}
}

func FuzzAccountEndpoints(f *testing.F) {
	for i, body := range hostileAccountBodies {
		f.Add(uint8(i), body)
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		s, ses := hostileServer(t) // a few milliseconds: fast hashing, memory stores
		s.checkNoServerError(t, accountPaths[int(which)%len(accountPaths)], body, ses)
	})
}

// The password checks of /password/change and /email/change are attempts
// on the account's sign-in budget, as /login's are: a stolen session is no
// password oracle.
func TestReauthenticationThrottled(t *testing.T) {
	s := newAccountServer(t, Config{RateLogin: 3, GuardOptions: []guard.Option{guard.WithTrustedProxies("192.0.2.1")}}) // httptest's peer
	s.registerEmail("alice", testPass, "alice@example.com")
	access := s.accessFor("alice", testPass)
	// The session is used from another network than the one that signed
	// in (a stolen one): no known-client allowance there.
	from := func(h map[string]string) map[string]string { h["X-Forwarded-For"] = "198.51.100.7"; return h }
	wrong := map[string]string{"current_password": "Wrong-Horse-42", "new_password": "Fresh-Staple-Horse-9"}
	for i := range 2 { // with the sign-in, three units of three
		if resp, body := s.post("/password/change", wrong, from(bearer(access))); resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("RateLimit") == "" {
			t.Fatalf("wrong current password %d: %d %s %v", i, resp.StatusCode, body, resp.Header)
		}
	}
	resp, body := s.post("/email/change", map[string]string{"password": testPass, "email": "new@example.org"}, from(bearer(access)))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("the next attempt on the account, with the right password: %d %s, want 429", resp.StatusCode, body)
	}
	if resp, _ := s.post("/login", map[string]string{"username": "alice", "password": testPass}, from(map[string]string{})); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("/login from that network after the re-authentications emptied the bucket: %d, want 429 (one budget)", resp.StatusCode)
	}
	if u, _ := s.app.users.Get(t.Context(), "alice"); u.Email != "alice@example.com" {
		t.Errorf("a refused change changed the address: %+v", u)
	}
}

// An account cannot make the server flood an address with mail: the
// endpoints that mail on request allow MailPerHour per user.
func TestMailLimit(t *testing.T) {
	s := newAccountServer(t, Config{})
	s.registerEmail("alice", testPass, "alice@example.com")
	s.registerEmail("bob", testPass, "bob@example.com")
	alice, bob := s.accessFor("alice", testPass), s.accessFor("bob", testPass)
	for i := range MailPerHour {
		if resp, body := s.post("/email/verify/request", nil, bearer(alice)); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
	}
	resp, body := s.post("/email/verify/request", nil, bearer(alice))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(resp.Header.Get("RateLimit-Policy"), `"mail";q=10;w=3600`) {
		t.Fatalf("request %d: %d %s %v, want 429 with the mail policy", MailPerHour+1, resp.StatusCode, body, resp.Header)
	}
	if resp, _ := s.post("/email/change", map[string]string{"password": testPass, "email": "victim@example.org"}, bearer(alice)); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("/email/change on the same budget: %d, want 429", resp.StatusCode)
	}
	if resp, _ := s.post("/email/verify/request", nil, bearer(bob)); resp.StatusCode != http.StatusAccepted {
		t.Errorf("another user: %d, want 202", resp.StatusCode)
	}
	if n := len(s.mails()); n != MailPerHour+1 {
		t.Errorf("%d messages, want %d", n, MailPerHour+1)
	}
}
