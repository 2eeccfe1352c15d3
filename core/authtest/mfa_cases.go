package authtest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/token"
)

// stepUpWindow is how recent the second factor must be for /recent.
const stepUpWindow = 5 * time.Minute

// mfaApp is the app every MFA case runs against: tokens and sessions, a
// route for each rule, and sign-in routes that bind sessions as the MFA
// flows do (amr pwd; pwd otp mfa; pwd rcv mfa; a later step-up).
type mfaApp struct {
	t      *testing.T
	app    App
	issuer *token.Issuer
	mgr    *session.Manager
	clock  *Clock
}

func newMFAApp(t *testing.T, f Factory) *mfaApp {
	t.Helper()
	clock := NewClock()
	iss := NewIssuer(t, token.ES256, clock.Now)
	mgr, err := session.New(session.WithClock(clock.Now), session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(amr ...string) func(context.Context) Reply {
		return func(ctx context.Context) Reply {
			p := guard.Principal{Subject: "alice", Roles: []string{"admin"}, AMR: amr, AuthTime: clock.Now()}
			if p.HasMFA() {
				p.MFAAt = clock.Now()
			}
			if _, err := guard.SignIn(ctx, p); err != nil {
				return Reply{Status: http.StatusServiceUnavailable, Body: err.Error()}
			}
			return Reply{Status: http.StatusOK, Body: "signed in"}
		}
	}
	// A second factor passed later in a session's life (enabling MFA,
	// re-entering a code for a step-up): the flow binds the session again
	// with otp and mfa added and MFAAt now, which rotates its id.
	stepUp := func(ctx context.Context) Reply {
		p, _ := guard.PrincipalFrom(ctx)
		for _, m := range []string{"otp", "mfa"} {
			if !slices.Contains(p.AMR, m) {
				p.AMR = append(slices.Clip(p.AMR), m)
			}
		}
		p.MFAAt = clock.Now()
		if _, err := guard.SignIn(ctx, p); err != nil {
			return Reply{Status: http.StatusServiceUnavailable, Body: err.Error()}
		}
		return Reply{Status: http.StatusOK, Body: "stepped up"}
	}
	who := func(ctx context.Context) Reply {
		p, _ := guard.PrincipalFrom(ctx)
		return Reply{Status: http.StatusOK, Body: p.Subject + " " + p.Via + " " + strings.Join(p.AMR, ",")}
	}
	authed := []guard.Rule{guard.Authenticated()}
	routes := []Route{
		{Method: "POST", Path: "/login-pwd", Handle: signIn("pwd")},
		{Method: "POST", Path: "/login-otp", Handle: signIn("pwd", "otp", "mfa")},
		{Method: "POST", Path: "/login-rcv", Handle: signIn("pwd", "rcv", "mfa")},
		{Method: "POST", Path: "/step-up", Rules: authed, Handle: stepUp},
		{Method: "GET", Path: "/who", Rules: authed, Handle: who},
		{Method: "GET", Path: "/mfa", Rules: []guard.Rule{guard.MFA()}, Handle: who},
		{Method: "GET", Path: "/recent", Rules: []guard.Rule{guard.MFAWithin(stepUpWindow).WithClock(clock.Now)}, Handle: who},
		{Method: "GET", Path: "/admin", Rules: []guard.Rule{guard.Role("admin"), guard.MFA()}, Handle: who},
	}
	opts := []guard.Option{guard.WithTokens(iss), guard.WithSessions(mgr), guard.WithAudit(audit.Discard)}
	return &mfaApp{t: t, app: f(t, opts, routes), issuer: iss, mgr: mgr, clock: clock}
}

// credential is how one request authenticates: a bearer token or a
// session cookie.
type credential struct{ bearer, cookie string }

func (a *mfaApp) send(method, path string, c credential) (*http.Response, string) {
	a.t.Helper()
	req := httptest.NewRequest(method, "http://example.com"+path, nil)
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: a.mgr.CookieName(), Value: c.cookie})
	}
	return do(a.t, a.app, req)
}

func (a *mfaApp) token(roles []string, amr ...string) credential {
	a.t.Helper()
	p, err := a.issuer.IssuePair(context.Background(), token.Subject{ID: "alice", Roles: roles, AMR: amr})
	if err != nil {
		a.t.Fatal(err)
	}
	return credential{bearer: p.AccessToken}
}

// session signs in through path and returns the session cookie it set.
func (a *mfaApp) session(path string, c credential) credential {
	a.t.Helper()
	resp, body := a.send("POST", path, c)
	if resp.StatusCode != http.StatusOK {
		a.t.Fatalf("POST %s: %d %s", path, resp.StatusCode, body)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == a.mgr.CookieName() && ck.MaxAge > 0 {
			return credential{cookie: ck.Value}
		}
	}
	a.t.Fatalf("POST %s set no session cookie", path)
	return credential{}
}

// expect checks one answer: its status, and for a refusal its problem type
// (and for a step-up its max_age and challenge).
func (a *mfaApp) expect(name, path string, c credential, wantStatus int, wantType string) string {
	a.t.Helper()
	resp, body := a.send("GET", path, c)
	if resp.StatusCode != wantStatus {
		a.t.Fatalf("%s: GET %s = %d %s, want %d", name, path, resp.StatusCode, body, wantStatus)
	}
	if wantStatus < 400 {
		return body
	}
	var prob struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		MaxAge *int64 `json:"max_age"`
	}
	if ct := resp.Header.Get("Content-Type"); ct != guard.ProblemContentType {
		a.t.Errorf("%s: Content-Type %q, want problem+json", name, ct)
	}
	if err := json.Unmarshal([]byte(body), &prob); err != nil || prob.Type != wantType || prob.Status != wantStatus {
		a.t.Errorf("%s: body %s, want type %s", name, body, wantType)
	}
	wantChallenge := ""
	switch wantType {
	case guard.TypeStepUpRequired:
		wantChallenge = `Bearer error="insufficient_user_authentication", max_age=300`
		if prob.MaxAge == nil || *prob.MaxAge != 300 {
			a.t.Errorf("%s: max_age %v, want 300", name, prob.MaxAge)
		}
	case guard.TypeUnauthorized:
		wantChallenge = guard.BearerChallenge
	}
	if got := resp.Header.Get("WWW-Authenticate"); got != wantChallenge {
		a.t.Errorf("%s: WWW-Authenticate %q, want %q", name, got, wantChallenge)
	}
	return body
}

// runMFACases checks guard.MFA and the step-up rule guard.MFAWithin on
// tokens and sessions: a password alone is 403 mfa-required, a second
// factor (otp, or rcv with mfa) passes, a factor older than the window is
// 403 step-up-required with RFC 9470's challenge, and a session that
// passes a factor later is bound again (its id rotated) and passes.
func runMFACases(t *testing.T, f Factory) {
	admin := []string{"admin"}
	t.Run("tokens", func(t *testing.T) {
		a := newMFAApp(t, f)
		pwd, otp, rcv := a.token(admin, "pwd"), a.token(admin, "pwd", "otp", "mfa"), a.token(admin, "pwd", "rcv", "mfa")
		user := a.token([]string{"user"}, "pwd", "otp", "mfa")
		a.expect("password alone", "/mfa", pwd, 403, guard.TypeMFARequired)
		a.expect("totp", "/mfa", otp, 200, "")
		a.expect("recovery code", "/mfa", rcv, 200, "")
		a.expect("admin without a factor", "/admin", pwd, 403, guard.TypeMFARequired)
		a.expect("admin with a factor", "/admin", otp, 200, "")
		a.expect("a factor without the role", "/admin", user, 403, guard.TypeForbidden)
		a.expect("step-up, password alone", "/recent", pwd, 403, guard.TypeStepUpRequired)
		a.expect("step-up, fresh factor", "/recent", otp, 200, "")
		a.clock.Advance(stepUpWindow)
		a.expect("step-up at the window's end", "/recent", otp, 200, "")
		a.clock.Advance(time.Second)
		a.expect("step-up past the window", "/recent", otp, 403, guard.TypeStepUpRequired)
		a.expect("a stale factor still counts for MFA", "/mfa", otp, 200, "")
		a.expect("anonymous step-up", "/recent", credential{}, 401, guard.TypeUnauthorized)
		a.expect("anonymous MFA", "/mfa", credential{}, 401, guard.TypeUnauthorized)
	})
	t.Run("sessions", func(t *testing.T) {
		a := newMFAApp(t, f)
		pwd := a.session("/login-pwd", credential{})
		a.expect("password alone", "/mfa", pwd, 403, guard.TypeMFARequired)
		a.expect("admin without a factor", "/admin", pwd, 403, guard.TypeMFARequired)
		a.expect("step-up, password alone", "/recent", pwd, 403, guard.TypeStepUpRequired)
		for _, path := range []string{"/login-otp", "/login-rcv"} {
			s := a.session(path, credential{})
			a.expect(path+" passes MFA", "/mfa", s, 200, "")
			a.expect(path+" passes admin", "/admin", s, 200, "")
			a.expect(path+" passes step-up", "/recent", s, 200, "")
		}
		a.clock.Advance(stepUpWindow + time.Second)
		up := a.session("/step-up", pwd)
		if up.cookie == pwd.cookie {
			t.Fatal("a step-up did not rotate the session id")
		}
		a.expect("the id before the step-up", "/who", pwd, 401, guard.TypeUnauthorized)
		if got := a.expect("after the step-up", "/who", up, 200, ""); got != "alice session pwd,otp,mfa" {
			t.Errorf("after the step-up: %q, want amr pwd,otp,mfa", got)
		}
		a.expect("after the step-up: MFA", "/mfa", up, 200, "")
		a.expect("after the step-up: admin", "/admin", up, 200, "")
		a.expect("after the step-up: step-up", "/recent", up, 200, "")
		a.clock.Advance(stepUpWindow + time.Second)
		a.expect("the step-up aged", "/recent", up, 403, guard.TypeStepUpRequired)
		a.expect("an aged factor still counts for MFA", "/mfa", up, 200, "")
	})
}
