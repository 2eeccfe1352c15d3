package blackbox

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// concurrently sends qs all at once and returns the answers in order,
// noting their statuses, sorted, under step.
func (r *run) concurrently(step string, qs []req) []reply {
	r.t.Helper()
	out := r.sendAll(step, qs)
	statuses := make([]int, len(out))
	for i, a := range out {
		statuses[i] = a.Status
	}
	slices.Sort(statuses)
	r.note(fmt.Sprintf("%-28s %d at once -> %v", step, len(qs), statuses))
	return out
}

// sendAll sends qs all at once and returns the answers in order, each
// checked as send checks it.
func (r *run) sendAll(step string, qs []req) []reply {
	r.t.Helper()
	out := make([]reply, len(qs))
	errs := make([]error, len(qs))
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for i, q := range qs {
		wg.Go(func() {
			<-ready
			out[i], errs[i] = sendReq(r.s, q)
		})
	}
	close(ready)
	wg.Wait()
	for i, a := range out {
		if errs[i] != nil {
			r.t.Fatalf("%s: %s: %v", r.s.Name, step, errs[i])
		}
		checkSecurityHeaders(r.t, r.s.Name+" "+step, a.Header)
		checkProblem(r.t, r.s.Name+" "+step, qs[i].method, a)
	}
	return out
}

// exactlyOne fails unless one answer of as has status win and every other
// one lose.
func (r *run) exactlyOne(step string, as []reply, win, lose int) {
	r.t.Helper()
	var wins, losses int
	var got []int
	for _, a := range as {
		got = append(got, a.Status)
		switch a.Status {
		case win:
			wins++
		case lose:
			losses++
		}
	}
	if wins != 1 || losses != len(as)-1 {
		r.t.Fatalf("%s: %s: statuses %v, want one %d and the rest %d", r.s.Name, step, got, win, lose)
	}
}

// winner is the answer of as with status win.
func winner(as []reply, win int) reply {
	for _, a := range as {
		if a.Status == win {
			return a
		}
	}
	return reply{}
}

// many is n copies of q, each changed by f (nil: none) with its index.
func many(n int, q req, f func(int, *req)) []req {
	qs := make([]req, n)
	for i := range qs {
		qs[i] = q
		if f != nil {
			f(i, &qs[i])
		}
	}
	return qs
}

// singleUseScenario sends, at once, several requests that spend one
// single-use thing each — a username, a refresh token, a reset or
// verification token, a recovery code, a TOTP step, an mfa_token — and
// checks that exactly one of them wins, on memory and on Redis alike; and
// revokes one session several times at once.
func singleUseScenario(t *testing.T, s *Server) []string {
	r := &run{t: t, s: s}
	box := mailDirOf(t, s)
	const n = 4
	reg := body("username", "dana", "password", goodPass, "email", "dana@example.com")
	r.exactlyOne("register", r.concurrently("register", many(n, req{method: "POST", path: "/register", body: reg}, nil)), 201, 409)

	// A refresh token: one new pair; the others are reuse, which kills
	// the family, the winner's new token too.
	p, _ := r.login("login", "dana", "device", "")
	as := r.concurrently("refresh", many(n, req{method: "POST", path: "/token/refresh", body: body("refresh_token", p.RefreshToken)}, nil))
	r.exactlyOne("refresh", as, 200, 401)
	var won pair
	winner(as, 200).json(t, &won)
	r.expect("the winner after the reuse", r.do("the winner after the reuse", req{method: "POST", path: "/token/refresh", body: body("refresh_token", won.RefreshToken)}), 401)

	// A reset token: one new password.
	r.expect("forgot", r.do("forgot", req{method: "POST", path: "/password/forgot", body: body("username", "dana")}), 202)
	reset := box.next("dana", "password_reset")
	if d := lifetime(t, reset.Token); !about(d, 15*time.Minute) {
		t.Errorf("%s: the reset token lives %v, want 15m", s.Name, d)
	}
	newPass := func(i int) string { return "Fresh-Staple-Horse-" + strconv.Itoa(i) }
	r.exactlyOne("reset", r.concurrently("reset", many(n, req{method: "POST", path: "/password/reset"}, func(i int, q *req) {
		q.body = body("token", reset.Token, "password", newPass(i))
	})), 204, 400)
	var pw string
	for i := range n {
		if a := r.send(req{method: "POST", path: "/login", body: creds("dana", newPass(i))}); a.Status == 200 {
			if pw != "" {
				t.Errorf("%s: two passwords of the concurrent resets sign in", s.Name)
			}
			pw = newPass(i)
		}
	}
	if pw == "" {
		t.Fatalf("%s: no password of the concurrent resets signs in", s.Name)
	}

	// A verification token: verified once.
	a := r.do("login with the new password", req{method: "POST", path: "/login", body: creds("dana", pw)})
	r.expect("login with the new password", a, 200)
	a.json(t, &p)
	c := a.Cookie
	r.expect("verify request", r.do("verify request", req{method: "POST", path: "/email/verify/request", bearer: p.AccessToken}), 202)
	verify := box.next("dana", "email_verification")
	if d := lifetime(t, verify.Token); !about(d, 24*time.Hour) {
		t.Errorf("%s: the verification token lives %v, want 24h", s.Name, d)
	}
	r.exactlyOne("verify", r.concurrently("verify", many(n, req{method: "POST", path: "/email/verify", body: body("token", verify.Token)}, nil)), 204, 400)

	// The second factor's single-use things. The losers are failed
	// attempts (a replayed code is a wrong one); a sign-in in between
	// starts the count of consecutive failures anew, far from the lock.
	enroll := r.do("enroll", req{method: "POST", path: "/mfa/enroll", cookie: c, body: body("password", pw)})
	r.expect("enroll", enroll, 200)
	var e struct {
		Secret string `json:"secret"`
	}
	enroll.json(t, &e)
	code := newTOTP(t, e.Secret)
	a = r.do("confirm", req{method: "POST", path: "/mfa/confirm", cookie: c, body: body("code", code.next())})
	codes := r.recoveryCodes("confirm", a)
	c = a.Cookie // rotated
	signIn := func(extra ...string) string {
		return body(append([]string{"username", "dana", "password", pw}, extra...)...)
	}
	r.exactlyOne("recovery code", r.concurrently("recovery code", many(n, req{method: "POST", path: "/login", body: signIn("recovery_code", codes[0])}, nil)), 200, 401)
	r.expect("a fresh recovery code", r.do("a fresh recovery code", req{method: "POST", path: "/login", body: signIn("recovery_code", codes[1])}), 200)
	r.exactlyOne("totp code", r.concurrently("totp code", many(n, req{method: "POST", path: "/login", body: signIn("otp", code.next())}, nil)), 200, 401)
	r.expect("another fresh recovery code", r.do("another fresh recovery code", req{method: "POST", path: "/login", body: signIn("recovery_code", codes[2])}), 200)
	tok := r.mfaRequiredToken("login for an mfa_token", r.do("login for an mfa_token", req{method: "POST", path: "/login", body: signIn()}))
	r.exactlyOne("mfa_token", r.concurrently("mfa_token", many(n, req{method: "POST", path: "/login/mfa"}, func(i int, q *req) {
		q.body = body("mfa_token", tok, "recovery_code", codes[3+i])
	})), 200, 401)

	// A session, revoked by its hint.
	a = r.do("login on another device", req{method: "POST", path: "/login", body: signIn("recovery_code", codes[8]), ua: "other-device"})
	r.expect("login on another device", a, 200)
	other := a.Cookie
	hint := r.hintOf(req{cookie: c}, "other-device")
	// Ending a session is idempotent, and the stores do not say which of
	// the requests that found the session ended it: some 204s, then 404s
	// (the memory store tends to one 204, Redis to several).
	as = r.sendAll("revoke", many(n, req{method: "POST", path: "/sessions/revoke", bearer: p.AccessToken, body: body("id_hint", hint)}, nil))
	for i, a := range as {
		if a.Status != 204 && a.Status != 404 || i == 0 && winner(as, 204).Status == 0 {
			t.Errorf("%s: concurrent revokes of one session: %d, want 204 or 404 and at least one 204", s.Name, a.Status)
		}
	}
	r.whoami("the revoked device", req{cookie: other}, "", "")
	r.expect("revoke it again", r.do("revoke it again", req{method: "POST", path: "/sessions/revoke", bearer: p.AccessToken, body: body("id_hint", hint)}), 404)
	return r.lines
}

// TestSingleUseContract runs singleUseScenario on the four servers, on
// memory and on Redis.
func TestSingleUseContract(t *testing.T) {
	onEveryServer(t, accountFlags(t), singleUseScenario)
}
