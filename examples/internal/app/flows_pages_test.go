package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/audit/audittest"
)

// verdict reads a /password/check answer.
func (s *testServer) verdict(body string, header map[string]string) PasswordVerdict {
	s.t.Helper()
	resp := s.call("POST", "/password/check", body, header)
	var v PasswordVerdict
	if err := json.Unmarshal([]byte(readAll(s.t, resp)), &v); err != nil || resp.StatusCode != http.StatusOK {
		s.t.Fatalf("check %s: %d %v", body, resp.StatusCode, err)
	}
	return v
}

// refusals reads the "errors" of a 400.
func refusals(t *testing.T, resp *http.Response) []FieldError {
	t.Helper()
	var p struct {
		Errors []FieldError `json:"errors"`
	}
	if err := json.Unmarshal([]byte(readAll(t, resp)), &p); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("%d %v, want a 400 with errors", resp.StatusCode, err)
	}
	return p.Errors
}

// TestPasswordCheck: POST /password/check answers what /register would
// refuse — the same codes and messages, the username and email rules
// included — and, signed in without a username, what /password/change
// would refuse; it stores and audits nothing.
func TestPasswordCheck(t *testing.T) {
	sink := &audittest.Recorder{}
	s := newTestServer(t, Config{Audit: sink})
	for _, tt := range []struct{ name, body string }{
		{"short", `{"username":"carol","password":"Ab1"}`},
		{"common", `{"username":"carol","password":"Password123"}`},
		{"contains the username", `{"username":"carol","password":"Carol-Tr0ub4dor-Blue"}`},
		{"bad username and email", `{"username":"c","email":"not an address","password":"abc"}`},
		{"no case, no digit", `{"username":"carol","password":"aaaaaaaaaaaaaaa"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := s.verdict(tt.body, nil)
			sink.Reset()
			want := refusals(t, s.call("POST", "/register", tt.body, nil))
			if v.OK || !slices.Equal(v.Errors, want) {
				t.Fatalf("check %+v, /register refused with %+v", v, want)
			}
		})
	}
	sink.Reset()
	if v := s.verdict(`{"username":"carol","password":"`+testPass+`"}`, nil); !v.OK || v.Errors == nil || len(v.Errors) != 0 {
		t.Fatalf("a good password: %+v, want ok and errors []", v)
	}
	if v := s.verdict(`{"password":"`+testPass+`"}`, nil); !v.OK {
		t.Fatalf("no username yet: %+v, want ok", v)
	}
	if n := sink.Count(audit.PasswordRejected); n != 0 {
		t.Errorf("%d password.rejected events from checks, want none", n)
	}
	if resp := s.call("POST", "/register", `{"username":"carol","password":"`+testPass+`"}`, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("checking took the name: /register %d", resp.StatusCode)
	}

	// Signed in, no username: the account's own name counts, as at
	// /password/change.
	s.register("dave", testPass)
	_, _, cookie := s.login("dave")
	withCookie := map[string]string{"Cookie": s.app.sessions.CookieName() + "=" + cookie}
	const weak = "Dave-Tr0ub4dor-Blue"
	v := s.verdict(`{"password":"`+weak+`"}`, withCookie)
	want := refusals(t, s.call("POST", "/password/change", `{"current_password":"`+testPass+`","new_password":"`+weak+`"}`, withCookie))
	if v.OK || !slices.Equal(v.Errors, want) {
		t.Fatalf("signed-in check %+v, /password/change refused with %+v", v, want)
	}
	if v := s.verdict(`{"password":"`+weak+`"}`, nil); !v.OK {
		t.Fatalf("signed out, the same password: %+v, want ok (no account to contain)", v)
	}
	for _, body := range []string{`{}`, `{"password":""}`, `{"password":"x","Password":"y"}`, `{"password":"x","extra":1}`} {
		if resp := s.call("POST", "/password/check", body, nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", body, resp.StatusCode)
		}
	}
}

// TestSessionOnlySignIn: a sign-in with SessionOnly (the demo's pages)
// answers 200 with the session cookie and issues no token, where the same
// sign-in through the JSON API issues a pair; the session works and ends
// with Logout.
func TestSessionOnlySignIn(t *testing.T) {
	sink := &audittest.Recorder{}
	s := newTestServer(t, Config{Audit: sink})
	s.register("alice", testPass)
	login := authhttp.FromGuard(s.app.Guard())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteHTTP(w, s.app.Login(Request{Ctx: r.Context(), Header: r.Header.Get}, Credentials{Username: "alice", Password: testPass, SessionOnly: true}))
	}))
	sink.Reset()
	rec := httptest.NewRecorder()
	login.ServeHTTP(rec, httptest.NewRequest("POST", "/signin", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != `{"sub":"alice","amr":["pwd"]}` {
		t.Fatalf("session-only sign-in: %d %q, want 200 with sub and amr only", rec.Code, rec.Body)
	}
	if n := sink.Count(audit.TokenIssued); n != 0 {
		t.Fatalf("a session-only sign-in issued %d tokens", n)
	}
	var cookie string
	for _, c := range rec.Result().Cookies() {
		if c.Name == s.app.sessions.CookieName() {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		t.Fatal("no session cookie")
	}
	resp := s.call("GET", "/me", "", map[string]string{"Cookie": cookie})
	if body := readAll(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"via":"session"`) || !strings.Contains(body, `"amr":["pwd"]`) {
		t.Fatalf("/me with the session: %d %s", resp.StatusCode, body)
	}
	s.login("alice") // the JSON API's sign-in issues a pair, counted the same way
	if sink.Count(audit.TokenIssued) == 0 {
		t.Fatal("the count of issued tokens does not see a JSON sign-in: the check above proves nothing")
	}
	if resp := s.call("POST", "/logout", "", map[string]string{"Cookie": cookie}); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp := s.call("GET", "/me", "", map[string]string{"Cookie": cookie}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/me after logout: %d", resp.StatusCode)
	}
}

// TestSessionOnlySignInThrottle: a session-only sign-in is a success to the
// per-account throttle, as the JSON API's is: as many sign-ins pass in a
// row before the account's bucket runs dry (a failure costs more).
func TestSessionOnlySignInThrottle(t *testing.T) {
	passes := func(sessionOnly bool) int {
		s := newTestServer(t, Config{RateLogin: 3})
		s.register("alice", testPass)
		login := authhttp.FromGuard(s.app.Guard())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			WriteHTTP(w, s.app.Login(Request{Ctx: r.Context(), Header: r.Header.Get, ClientIP: "192.0.2.1"}, Credentials{Username: "alice", Password: testPass, SessionOnly: sessionOnly}))
		}))
		for i := range 20 {
			rec := httptest.NewRecorder()
			login.ServeHTTP(rec, httptest.NewRequest("POST", "/signin", nil))
			if rec.Code != http.StatusOK {
				return i
			}
		}
		return 20
	}
	if json, session := passes(false), passes(true); session != json || json <= 3 {
		t.Fatalf("%d session-only sign-ins passed in a row, %d of the JSON API's; want the same, above the burst of 3", session, json)
	}
}

// TestExtraRateLimitedRoutes: Config.RateLimitedRoutes share the per-IP
// bucket of the sign-in endpoints.
func TestExtraRateLimitedRoutes(t *testing.T) {
	s := newTestServer(t, Config{RateIP: 2, RateLimitedRoutes: []string{"POST /signin"}})
	h := authhttp.FromGuard(s.app.Guard())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	codes := []int{}
	for _, path := range []string{"/signin", "/login", "/signin", "/elsewhere"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", path, nil))
		codes = append(codes, rec.Code)
	}
	if !slices.Equal(codes, []int{http.StatusTeapot, http.StatusTeapot, http.StatusTooManyRequests, http.StatusTeapot}) {
		t.Fatalf("answers %v: /signin and /login share a bucket of 2, /elsewhere is not limited", codes)
	}
}
