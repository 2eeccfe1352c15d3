package app

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/audit/audittest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
)

// testServer is the reference API behind the net/http adapter, as the
// nethttp example serves it, on memory stores.
type testServer struct {
	t   *testing.T
	app *App
	h   http.Handler
}

func newTestServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	cfg.DevFastHash = true
	// Tests send many requests from one address: the limits are lifted
	// unless the test sets its own.
	if cfg.RateIP == 0 {
		cfg.RateIP = maxRate
	}
	if cfg.RateLogin == 0 {
		cfg.RateLogin = maxRate
	}
	if cfg.Audit == nil {
		cfg.Audit = audit.Discard
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	mux := NewMux(a)
	for _, rt := range a.Routes() {
		h := rt.Handle
		var serve http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			WriteHTTP(w, h(Request{Ctx: r.Context(), Body: ReadBody(r.Body), Header: r.Header.Get, ClientIP: authhttp.ClientIP(a.Guard(), r)}))
		})
		if rt.Serve != nil {
			serve = authhttp.Serve(rt.Serve)
		}
		mux.Handle(rt.Method, rt.Path, authhttp.Require(rt.Rules...)(serve))
	}
	return &testServer{t: t, app: a, h: authhttp.FromGuard(a.Guard())(mux)}
}

// call sends one request; header holds extra request headers. A body is
// sent as application/json unless header sets a Content-Type ("" for
// none).
func (s *testServer) call(method, path, body string, header map[string]string) *http.Response {
	s.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec.Result()
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (s *testServer) register(name, pw string) {
	s.t.Helper()
	b, _ := json.Marshal(map[string]string{"username": name, "password": pw})
	if resp := s.call("POST", "/register", string(b), nil); resp.StatusCode != http.StatusCreated {
		s.t.Fatalf("register %s: %d %s", name, resp.StatusCode, readAll(s.t, resp))
	}
}

const testPass = "Tr0ub4dor-Blue-Staple"

// TestStrictBodies: a duplicate or case-variant member is a 400
// problem+json, and a request refused that way changes nothing.
func TestStrictBodies(t *testing.T) {
	s := newTestServer(t, Config{})
	s.register("alice", testPass)
	for _, tt := range []struct {
		name, path, body string
	}{
		{"duplicate username", "/register", `{"username":"first","username":"last","password":"` + testPass + `"}`},
		{"case-variant duplicate", "/login", `{"username":"nosuchuser","USERNAME":"alice","password":"` + testPass + `"}`},
		{"case variant alone", "/login", `{"USERNAME":"alice","password":"` + testPass + `"}`},
		{"escaped duplicate", "/login", `{"username":"alice","password":"x","p\u0061ssword":"` + testPass + `"}`},
		{"Title-case member", "/login", `{"Username":"alice","Password":"` + testPass + `"}`},
		{"duplicate refresh token", "/token/refresh", `{"refresh_token":"a","refresh_token":"b"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.call("POST", tt.path, tt.body, nil)
			body := readAll(t, resp)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%s: %d %s %.100s, want 400 problem+json", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			if !strings.Contains(body, `"type":"urn:authkit:problem:invalid-request"`) {
				t.Fatalf("body %s", body)
			}
		})
	}
	for _, name := range []string{"first", "last"} {
		if _, err := s.app.users.Get(t.Context(), name); err == nil {
			t.Errorf("user %q was registered from a body with a duplicate member", name)
		}
	}
}

// TestContentType: a body must come as application/json (parameters
// allowed), else 415 problem+json; a request without a body needs none.
func TestContentType(t *testing.T) {
	s := newTestServer(t, Config{})
	s.register("alice", testPass)
	creds := `{"username":"alice","password":"` + testPass + `"}`
	for _, tt := range []struct {
		name, path, body, ct string
		want                 int
	}{
		{"text/plain", "/login", creds, "text/plain", 415},
		{"none", "/login", creds, "", 415},
		{"form", "/register", `{"username":"bob","password":"` + testPass + `"}`, "application/x-www-form-urlencoded", 415},
		{"json suffix type", "/login", creds, "application/problem+json", 415},
		{"prefix of json", "/login", creds, "application/jsonx", 415},
		{"malformed", "/login", creds, "application/json; charset", 415},
		{"refresh as text", "/token/refresh", `{"refresh_token":"x"}`, "text/plain", 415},
		{"json", "/login", creds, "application/json", 200},
		{"json with charset", "/login", creds, "application/json; charset=utf-8", 200},
		{"upper case", "/login", creds, "Application/JSON", 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.call("POST", tt.path, tt.body, map[string]string{"Content-Type": tt.ct})
			body := readAll(t, resp)
			if resp.StatusCode != tt.want {
				t.Fatalf("%s with Content-Type %q: %d %.100s, want %d", tt.path, tt.ct, resp.StatusCode, body, tt.want)
			}
			if tt.want == 415 && (resp.Header.Get("Content-Type") != "application/problem+json" ||
				!strings.Contains(body, `"status":415`)) {
				t.Fatalf("415 answer: %s %s", resp.Header.Get("Content-Type"), body)
			}
		})
	}
	// Without a body no Content-Type is needed.
	resp := s.call("POST", "/login", creds, nil)
	var pair struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(readAll(t, resp)), &pair); err != nil || pair.AccessToken == "" {
		t.Fatalf("login: %v", err)
	}
	bearer := map[string]string{"Authorization": "Bearer " + pair.AccessToken}
	if resp := s.call("POST", "/logout/all", "", bearer); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("/logout/all without a body: %d %s", resp.StatusCode, readAll(t, resp))
	}
}

// TestLoginFailedHidesTypedName: a login.failed event names an existing
// account, but never repeats a username that matched none (it may be a
// password typed into the wrong field): that one is a keyed hash.
func TestLoginFailedHidesTypedName(t *testing.T) {
	sink := &audittest.Recorder{}
	s := newTestServer(t, Config{Audit: sink})
	s.register("alice", testPass)
	attempts := []struct{ user, pw string }{
		{"Correct-Horse-42", "x"},                      // a password in the username field
		{"correct-horse-42", "y"},                      // the same name again
		{"Other-Secret-7", "x"},                        // another one
		{"pass word!", "x"},                            // not even a valid username
		{"Too-Long-Secret", strings.Repeat("a", 5000)}, // refused before any lookup
		{"alice", "Wrong-Horse-42"},                    // an existing account
	}
	for _, at := range attempts {
		b, _ := json.Marshal(map[string]string{"username": at.user, "password": at.pw})
		if resp := s.call("POST", "/login", string(b), nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("login %q: %d", at.user, resp.StatusCode)
		}
	}
	failed := sink.Of(audit.LoginFailed)
	if len(failed) != len(attempts) {
		t.Fatalf("%d login.failed events, want %d", len(failed), len(attempts))
	}
	for i, e := range failed[:5] {
		typed := strings.ToLower(attempts[i].user)
		if strings.Contains(strings.ToLower(e.Subject), typed) || !strings.HasPrefix(e.Subject, "hmac:") || len(e.Subject) != len("hmac:")+16 {
			t.Errorf("attempt %q: subject %q, want hmac: and 16 hex digits", attempts[i].user, e.Subject)
		}
	}
	if failed[0].Subject != failed[1].Subject || failed[0].Subject == failed[2].Subject {
		t.Errorf("subjects %q, %q, %q: the same name must hash alike, another name differently", failed[0].Subject, failed[1].Subject, failed[2].Subject)
	}
	if e := failed[5]; e.Subject != "alice" || e.Reason != "bad_password" {
		t.Errorf("wrong password for alice: subject %q reason %q, want alice, bad_password", e.Subject, e.Reason)
	}
	// Another process (another key) hashes the same name differently.
	other := newTestServer(t, Config{Audit: sink})
	other.call("POST", "/login", `{"username":"Correct-Horse-42","password":"x"}`, nil)
	failed = sink.Of(audit.LoginFailed)
	if got := failed[len(failed)-1].Subject; got == failed[0].Subject {
		t.Errorf("two processes hashed a name alike (%q): the key must be per process", got)
	}
}

func (s *testServer) login(name string) (access, refresh, cookie string) {
	s.t.Helper()
	b, _ := json.Marshal(map[string]string{"username": name, "password": testPass})
	resp := s.call("POST", "/login", string(b), nil)
	var pair struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal([]byte(readAll(s.t, resp)), &pair); err != nil || resp.StatusCode != http.StatusOK {
		s.t.Fatalf("login %s: %d %v", name, resp.StatusCode, err)
	}
	for _, c := range resp.Cookies() {
		if c.Name == s.app.sessions.CookieName() {
			cookie = c.Value
		}
	}
	return pair.AccessToken, pair.RefreshToken, cookie
}

// TestLogoutRefreshTokenAlone: a refresh token alone suffices to log out
// (RFC 7009; a client whose access token expired), and revokes its sign-in;
// nothing valid presented is a 401.
func TestLogoutRefreshTokenAlone(t *testing.T) {
	s := newTestServer(t, Config{})
	s.register("alice", testPass)
	access, refresh, cookie := s.login("alice")
	other, _, otherCookie := s.login("alice")

	resp := s.call("POST", "/logout", `{"refresh_token":"`+refresh+`"}`, nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout with the refresh token alone: %d %s, want 204", resp.StatusCode, readAll(t, resp))
	}
	if resp := s.call("POST", "/token/refresh", `{"refresh_token":"`+refresh+`"}`, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("refresh after logout: %d, want 401", resp.StatusCode)
	}
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	if resp := s.call("GET", "/me", "", bearer(access)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/me with the access token of the logged-out sign-in: %d, want 401", resp.StatusCode)
	}
	if resp := s.call("GET", "/me", "", bearer(other)); resp.StatusCode != http.StatusOK {
		t.Errorf("/me with another sign-in's token: %d, want 200", resp.StatusCode)
	}
	withCookie := func(c string) map[string]string {
		return map[string]string{"Cookie": s.app.sessions.CookieName() + "=" + c}
	}
	if resp := s.call("GET", "/me", "", withCookie(cookie)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/me with the session cookie of the logged-out sign-in: %d, want 401 (the linked session ends too)", resp.StatusCode)
	}
	if resp := s.call("GET", "/me", "", withCookie(otherCookie)); resp.StatusCode != http.StatusOK {
		t.Errorf("/me with another sign-in's cookie: %d, want 200", resp.StatusCode)
	}

	forged := refresh[:strings.LastIndexByte(refresh, '.')+1] + "AAAA"
	for _, tt := range []struct{ name, body, ct string }{
		{"nothing", "", ""},
		{"empty object", `{}`, "application/json"},
		{"garbage refresh token", `{"refresh_token":"not-a-token"}`, "application/json"},
		{"forged refresh token", `{"refresh_token":"` + forged + `"}`, "application/json"},
	} {
		resp := s.call("POST", "/logout", tt.body, map[string]string{"Content-Type": tt.ct})
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != "Bearer" ||
			!strings.Contains(body, `"type":"urn:authkit:problem:unauthorized"`) {
			t.Errorf("logout with %s: %d %q %s, want 401 with a Bearer challenge", tt.name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
		}
	}
	if resp := s.call("POST", "/logout", `{"refresh_token":"`+refresh+`"}`, map[string]string{"Content-Type": "text/plain"}); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("logout with a text/plain body: %d, want 415", resp.StatusCode)
	}
}

// TestLogoutSessionStoreDown: with the session store down, a logout that
// presents only the session cookie is a 503 (the client may well be signed
// in), not a 401.
func TestLogoutSessionStoreDown(t *testing.T) {
	srv := redistest.StartServer(t)
	s := newTestServer(t, Config{RedisURL: "redis://" + srv.Addr() + "/0?dial_timeout=200ms&max_retries=-1", RedisPrefix: "t:"})
	s.register("alice", testPass)
	_, _, cookie := s.login("alice")
	srv.Stop()
	resp := s.call("POST", "/logout", "", map[string]string{"Cookie": s.app.sessions.CookieName() + "=" + cookie})
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("logout with the cookie while Redis is down: %d %s, want 503", resp.StatusCode, readAll(t, resp))
	}
}

// TestAdminFlag: -admin NAME gives the role at sign-in while the flag is
// given; it is not written into the account, so a server started without
// the flag does not keep the role. A named account that does not exist yet
// is warned about at start-up: whoever registers it first becomes admin.
func TestAdminFlag(t *testing.T) {
	_, prefix := testRedis(t)
	var logs strings.Builder
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(prev)

	cfg := Config{RedisURL: redistest.URL(), RedisPrefix: prefix, Admins: []string{"Root"}}
	s := newTestServer(t, cfg)
	if l := logs.String(); !strings.Contains(l, "WHOEVER REGISTERS IT FIRST") || !strings.Contains(l, "username=root") {
		t.Errorf("no start-up warning about the missing admin account; logs:\n%s", logs.String())
	}
	s.register("root", testPass)
	if u, err := s.app.users.Get(t.Context(), "root"); err != nil || slices.Contains(u.Roles, "admin") {
		t.Errorf("stored account = %+v, %v; want no admin role written", u, err)
	}
	// /admin also needs MFA, which root has not: with the role, the 403
	// says only the factor is missing; without it, that the role is.
	access, _, _ := s.login("root")
	if resp := s.call("GET", "/admin", "", map[string]string{"Authorization": "Bearer " + access}); resp.StatusCode != http.StatusForbidden || !strings.Contains(readAll(t, resp), `"type":"urn:authkit:problem:mfa-required"`) {
		t.Errorf("/admin with -admin root: %d, want 403 mfa-required", resp.StatusCode)
	}

	logs.Reset()
	cfg.Admins = nil
	s2 := newTestServer(t, cfg)
	access, _, _ = s2.login("root")
	if resp := s2.call("GET", "/admin", "", map[string]string{"Authorization": "Bearer " + access}); resp.StatusCode != http.StatusForbidden || !strings.Contains(readAll(t, resp), `"type":"urn:authkit:problem:forbidden"`) {
		t.Errorf("/admin after a restart without -admin: %d, want 403 forbidden", resp.StatusCode)
	}
	cfg.Admins = []string{"root"}
	logs.Reset()
	newTestServer(t, cfg)
	if strings.Contains(logs.String(), "-admin") {
		t.Errorf("a warning although the account exists:\n%s", logs.String())
	}
}

// GET /me's body is a struct that encodes to the bytes its map did (the
// members sorted), with and without an address.
func TestMeAnswerEncodesAsItsMap(t *testing.T) {
	verified := true
	for _, tc := range []struct {
		answer meAnswer
		asMap  map[string]any
	}{
		{meAnswer{AMR: []string{"pwd"}, Roles: []string{}, Sub: "alice", Via: "token"},
			map[string]any{"amr": []string{"pwd"}, "roles": []string{}, "sub": "alice", "via": "token", "mfa_enabled": false}},
		{meAnswer{AMR: []string{"pwd", "otp"}, Email: "a@example.com", EmailVerified: &verified, MFAEnabled: true, Roles: []string{"admin"}, Sub: "alice", Via: "session"},
			map[string]any{"amr": []string{"pwd", "otp"}, "email": "a@example.com", "email_verified": true, "mfa_enabled": true, "roles": []string{"admin"}, "sub": "alice", "via": "session"}},
	} {
		got, err := json.Marshal(&tc.answer)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(tc.asMap)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("struct %s\nmap    %s", got, want)
		}
	}
}
