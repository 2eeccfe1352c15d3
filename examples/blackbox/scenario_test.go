package blackbox

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/authkit-go/authkit/core/password"
)

const (
	cookieName        = "__Host-session"
	refreshCookieName = "__Secure-refresh"
	goodPass          = "Tr0ub4dor-Blue-Staple"
	adminName         = "root"
)

// req is one request of the scenario.
type req struct {
	method, path string
	body         string
	bearer       string   // access token for Authorization: Bearer
	auth         string   // a raw Authorization header, when bearer is not enough
	cookie       string   // session cookie value, sent as a browser would
	refresh      string   // refresh cookie value, sent as a browser would to /token/refresh
	ua           string   // User-Agent: the "device"
	header       []string // more request header fields, as name, value pairs
}

// reply is one answer, reduced to what the scenario reads.
type reply struct {
	Status int
	Header http.Header
	Body   string
	// Cookie is the session cookie the answer set ("" when none);
	// Cleared says it told the client to drop it.
	Cookie  string
	Cleared bool
	// Refresh is the refresh cookie the answer set or cleared, nil when
	// none.
	Refresh *http.Cookie
}

func (r reply) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("decoding %q: %v", r.Body, err)
	}
}

// run drives one server through the scenario and keeps its transcript.
type run struct {
	t     *testing.T
	s     *Server
	mu    sync.Mutex
	lines []string
}

// do sends q, checks the security headers and records the answer, with
// volatile values replaced by placeholders, under step.
func (r *run) do(step string, q req) reply {
	r.t.Helper()
	a := r.send(q)
	r.record(step, q, a)
	return a
}

func (r *run) send(q req) reply {
	r.t.Helper()
	a, err := sendReq(r.s, q)
	if err != nil {
		r.t.Fatalf("%s %s %s: %v", r.s.Name, q.method, q.path, err)
	}
	who := fmt.Sprintf("%s %s %s", r.s.Name, q.method, q.path)
	checkSecurityHeaders(r.t, who, a.Header)
	checkProblem(r.t, who, q.method, a)
	return a
}

// checkProblem checks that an error answer is an RFC 9457 problem, as the
// reference API says of every one: application/problem+json with the
// members type, title, status (the answer's) and detail. A HEAD answer has
// no body to check.
func checkProblem(t *testing.T, who, method string, a reply) {
	t.Helper()
	if a.Status < 400 || method == http.MethodHead {
		return
	}
	var p map[string]any
	if ct := a.Header.Get("Content-Type"); ct != "application/problem+json" || json.Unmarshal([]byte(a.Body), &p) != nil {
		t.Errorf("%s: a %d answer that is no problem+json: Content-Type %q, body %.200s", who, a.Status, ct, a.Body)
		return
	}
	typ, _ := p["type"].(string)
	title, _ := p["title"].(string)
	status, _ := p["status"].(float64)
	detail, _ := p["detail"].(string)
	if typ == "" || title == "" || int(status) != a.Status || detail == "" {
		t.Errorf("%s: problem %s, want type, title, status %d and detail", who, a.Body, a.Status)
	}
}

// sendReq sends q to s without a test to fail, so that it can run on a
// goroutine of its own.
func sendReq(s *Server, q req) (reply, error) {
	hr, err := http.NewRequest(q.method, s.URL+q.path, strings.NewReader(q.body))
	if err != nil {
		return reply{}, err
	}
	if q.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	if q.bearer != "" {
		hr.Header.Set("Authorization", "Bearer "+q.bearer)
	}
	if q.auth != "" {
		hr.Header.Set("Authorization", q.auth)
	}
	// A cookie jar would not send a Secure cookie to http://127.0.0.1.
	var cookies []string
	if q.cookie != "" {
		cookies = append(cookies, cookieName+"="+q.cookie)
	}
	if q.refresh != "" {
		cookies = append(cookies, refreshCookieName+"="+q.refresh)
	}
	if len(cookies) > 0 {
		hr.Header.Set("Cookie", strings.Join(cookies, "; "))
	}
	for i := 0; i+1 < len(q.header); i += 2 {
		hr.Header.Set(q.header[i], q.header[i+1])
	}
	ua := q.ua
	if ua == "" {
		ua = "e2e"
	}
	hr.Header.Set("User-Agent", ua)
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	out := reply{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
	for _, c := range resp.Cookies() {
		if c.Name == cookieName {
			if c.MaxAge < 0 {
				out.Cleared = true
			} else {
				out.Cookie = c.Value
			}
		}
		if c.Name == refreshCookieName {
			out.Refresh = c
		}
	}
	return out, nil
}

func (r *run) record(step string, q req, a reply) {
	cookie := "-"
	switch {
	case a.Cleared:
		cookie = "cleared"
	case a.Cookie != "" && q.path == "/login":
		// Elsewhere a re-sent cookie is a timing-dependent touch (the
		// sliding Max-Age), not an answer to compare.
		cookie = "set"
	}
	switch {
	case a.Refresh == nil:
	case a.Refresh.MaxAge < 0:
		cookie += " refresh=cleared"
	default:
		cookie += " refresh=set"
	}
	line := fmt.Sprintf("%-28s %s %s -> %d ct=%q www=%q allow=%q cache=%q cookie=%s %s",
		step, q.method, q.path, a.Status, a.Header.Get("Content-Type"), a.Header.Get("WWW-Authenticate"),
		a.Header.Get("Allow"), a.Header.Get("Cache-Control"), cookie, normalize(a.Body))
	r.mu.Lock()
	r.lines = append(r.lines, line)
	r.mu.Unlock()
}

func (r *run) note(line string) {
	r.mu.Lock()
	r.lines = append(r.lines, line)
	r.mu.Unlock()
}

// expect fails unless a has status want.
func (r *run) expect(step string, a reply, want int) {
	r.t.Helper()
	if a.Status != want {
		r.t.Fatalf("%s: %s: status %d, want %d; body %s", r.s.Name, step, a.Status, want, a.Body)
	}
}

// volatile are JSON members whose values differ between runs.
var volatile = map[string]bool{
	"access_token": true, "refresh_token": true, "id_hint": true, "created": true,
	"last_seen": true, "kid": true, "x": true, "y": true, "n": true,
	"mfa_token": true, "secret": true, "otpauth_uri": true, "qr_png_base64": true, "recovery_codes": true,
}

// normalize replaces volatile values by placeholders and orders arrays of
// objects, so transcripts of different servers compare equal when they
// answered alike.
func normalize(body string) string {
	if body == "" {
		return "<empty>"
	}
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return "<non-json> " + body
	}
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(scrub(v))
	return strings.TrimSpace(sb.String())
}

func scrub(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if volatile[k] {
				x[k] = "<" + k + ">"
			} else {
				x[k] = scrub(e)
			}
		}
		return x
	case []any:
		for i := range x {
			x[i] = scrub(x[i])
		}
		sort.SliceStable(x, func(i, j int) bool {
			a, _ := json.Marshal(x[i])
			b, _ := json.Marshal(x[j])
			return string(a) < string(b)
		})
		return x
	}
	return v
}

type pair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

func creds(user, pw string) string {
	b, _ := json.Marshal(map[string]string{"username": user, "password": pw})
	return string(b)
}

// login logs user in from device ua (sending cookie, if any) and returns
// the token pair and the new session cookie.
func (r *run) login(step, user, ua, cookie string) (pair, string) {
	r.t.Helper()
	a := r.do(step, req{method: "POST", path: "/login", body: creds(user, goodPass), ua: ua, cookie: cookie})
	r.expect(step, a, 200)
	var p pair
	a.json(r.t, &p)
	if p.AccessToken == "" || p.RefreshToken == "" || p.TokenType != "Bearer" || p.ExpiresIn <= 0 {
		r.t.Fatalf("%s: %s: bad token pair %s", r.s.Name, step, a.Body)
	}
	if a.Cookie == "" {
		r.t.Fatalf("%s: %s: no session cookie set", r.s.Name, step)
	}
	if a.Cookie == cookie {
		r.t.Fatalf("%s: %s: the session id was not rotated at login", r.s.Name, step)
	}
	return p, a.Cookie
}

type me struct {
	Sub   string   `json:"sub"`
	Roles []string `json:"roles"`
	AMR   []string `json:"amr"`
	Via   string   `json:"via"`
}

// whoami checks that credentials (bearer or cookie) authenticate as sub via
// how, or (sub == "") that they are refused with 401.
func (r *run) whoami(step string, q req, sub, via string) {
	r.t.Helper()
	q.method, q.path = "GET", "/me"
	a := r.do(step, q)
	if sub == "" {
		r.expect(step, a, 401)
		if a.Header.Get("WWW-Authenticate") == "" {
			r.t.Errorf("%s: %s: 401 without WWW-Authenticate", r.s.Name, step)
		}
		return
	}
	r.expect(step, a, 200)
	var m me
	a.json(r.t, &m)
	if m.Sub != sub || m.Via != via || m.Roles == nil || !slices.Equal(m.AMR, []string{"pwd"}) {
		r.t.Errorf("%s: %s: /me = %s, want sub %q via %q with roles [] and amr [pwd]", r.s.Name, step, a.Body, sub, via)
	}
}

// plantedID is a well-formed session id no server issued.
func plantedID() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// tamper changes one character in the middle of a token's signature.
func tamper(tok string) string {
	i := strings.LastIndexByte(tok, '.') + (len(tok)-strings.LastIndexByte(tok, '.'))/2
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// scenario is the one script every server runs. It fails at the first
// answer that is wrong on its own; the transcript lets the caller compare
// the servers with one another.
func scenario(t *testing.T, s *Server) []string {
	r := &run{t: t, s: s}
	ctx := context.Background()

	// Health, JWKS and the framework's own answers.
	a := r.do("healthz", req{method: "GET", path: "/healthz"})
	r.expect("healthz", a, 200)
	a = r.do("jwks", req{method: "GET", path: "/.well-known/jwks.json"})
	r.expect("jwks", a, 200)
	if !strings.Contains(a.Body, `"keys":[{`) || a.Header.Get("Cache-Control") != "public, max-age=300" {
		t.Errorf("%s: jwks = %s, Cache-Control %q", s.Name, a.Body, a.Header.Get("Cache-Control"))
	}
	for _, q := range []req{
		{method: "GET", path: "/no/such/path"}, {method: "GET", path: "/me/"}, {method: "GET", path: "/ME"},
		{method: "POST", path: "/healthz"},
	} {
		a := r.do("unknown path or method", q)
		want := 404
		if q.path == "/healthz" {
			want = 405
		}
		r.expect("unknown path or method", a, want)
	}
	a = r.do("wrong method", req{method: "GET", path: "/login"})
	r.expect("wrong method", a, 405)
	if a.Header.Get("Allow") != "POST" {
		t.Errorf("%s: GET /login Allow = %q, want POST", s.Name, a.Header.Get("Allow"))
	}
	r.expect("wrong method", r.do("wrong method", req{method: "DELETE", path: "/logout/all"}), 405)
	// Edges where frameworks differ unless configured alike: encoded paths
	// route as their decoded form, HEAD follows GET, OPTIONS is a 405.
	r.expect("encoded path", r.do("encoded path", req{method: "GET", path: "/%68ealthz"}), 200)
	r.expect("encoded slash", r.do("encoded slash", req{method: "GET", path: "/.well-known%2Fjwks.json"}), 200)
	if a = r.do("head", req{method: "HEAD", path: "/healthz"}); a.Status != 200 || a.Body != "" {
		t.Errorf("%s: HEAD /healthz = %d %q, want 200 with no body", s.Name, a.Status, a.Body)
	}
	r.expect("head guarded", r.do("head guarded", req{method: "HEAD", path: "/me"}), 401)
	a = r.do("options", req{method: "OPTIONS", path: "/me"})
	r.expect("options", a, 405)
	if a.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("%s: OPTIONS /me Allow = %q, want \"GET, HEAD\"", s.Name, a.Header.Get("Allow"))
	}

	// Register: every failed rule named, bad input refused, then success and conflict.
	weak := "alice"
	a = r.do("register weak", req{method: "POST", path: "/register", body: creds("alice", weak)})
	r.expect("register weak", a, 400)
	var prob struct {
		Errors []struct{ Code, Message string } `json:"errors"`
	}
	a.json(t, &prob)
	policy, err := password.NewPolicy()
	if err != nil {
		t.Fatal(err)
	}
	var pe *password.PolicyError
	if !errors.As(policy.Check(ctx, weak, password.User{Name: "alice"}), &pe) {
		t.Fatal("the policy accepted the weak password")
	}
	var got, want []string
	for _, e := range prob.Errors {
		got = append(got, e.Code)
		if e.Message == "" {
			t.Errorf("%s: violation %s has no message", s.Name, e.Code)
		}
	}
	for _, v := range pe.Violations {
		want = append(want, v.Code)
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: weak password violations = %v, want every failed rule %v", s.Name, got, want)
	}
	for _, bad := range []struct{ step, body string }{
		{"register malformed json", `{"username":"alice",`},
		{"register not an object", `["alice"]`},
		{"register unknown field", `{"username":"alice","password":"` + goodPass + `","admin":true}`},
		{"register wrong type", `{"username":42,"password":"` + goodPass + `"}`},
		{"register missing password", `{"username":"alice"}`},
		{"register empty body", ``},
		{"register trailing data", `{"username":"alice","password":"` + goodPass + `"} {}`},
		{"register bad username", creds("a b", goodPass)},
		{"register too large", `{"username":"alice","password":"` + strings.Repeat("x", 70<<10) + `"}`},
	} {
		a := r.do(bad.step, req{method: "POST", path: "/register", body: bad.body})
		want := 400
		if bad.step == "register too large" {
			want = 413
		}
		r.expect(bad.step, a, want)
	}
	a = r.do("register alice", req{method: "POST", path: "/register", body: creds("Alice", goodPass)})
	r.expect("register alice", a, 201)
	if a.Body != `{"username":"alice"}` {
		t.Errorf("%s: register body %s", s.Name, a.Body)
	}
	r.expect("register duplicate", r.do("register duplicate", req{method: "POST", path: "/register", body: creds("alice", goodPass)}), 409)
	for _, u := range []string{"bob", adminName} {
		r.expect("register "+u, r.do("register "+u, req{method: "POST", path: "/register", body: creds(u, goodPass)}), 201)
	}
	// Two registrations of one name at once: one wins.
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = r.send(req{method: "POST", path: "/register", body: creds("dave", goodPass)}).Status
		}()
	}
	wg.Wait()
	slices.Sort(statuses)
	if !slices.Equal(statuses, []int{201, 409}) {
		t.Errorf("%s: concurrent registrations = %v, want one 201 and one 409", s.Name, statuses)
	}
	r.note(fmt.Sprintf("concurrent register dave -> %v", statuses))

	// Login failures: unknown user and wrong password are indistinguishable.
	unknown := r.do("login unknown user", req{method: "POST", path: "/login", body: creds("mallory", goodPass)})
	wrong := r.do("login wrong password", req{method: "POST", path: "/login", body: creds("alice", "Wrong-Horse-42")})
	r.expect("login unknown user", unknown, 401)
	if wrong.Status != unknown.Status || wrong.Body != unknown.Body || wrong.Header.Get("WWW-Authenticate") != unknown.Header.Get("WWW-Authenticate") {
		t.Errorf("%s: unknown user answered %d %s, wrong password %d %s: they must be identical", s.Name, unknown.Status, unknown.Body, wrong.Status, wrong.Body)
	}
	r.expect("login otp ignored", r.do("login otp ignored", req{method: "POST", path: "/login", body: `{"username":"alice","password":"nope","otp":"123456","recovery_code":""}`}), 401)
	r.expect("login missing field", r.do("login missing field", req{method: "POST", path: "/login", body: `{"username":"alice"}`}), 400)

	// Session fixation: a planted id is not adopted, and the id changes at login.
	planted := plantedID()
	pA, cA1 := r.login("login alice (planted id)", "alice", "device-A", planted)
	r.whoami("me planted cookie", req{cookie: planted}, "", "")
	// An attacker's own live session planted in the victim's browser is
	// rotated away when the victim logs in.
	_, bobCookie := r.login("login bob", "bob", "attacker", "")
	_, rootCookie := r.login("login root over bob's cookie", adminName, "victim", bobCookie)
	r.whoami("me bob's old cookie", req{cookie: bobCookie}, "", "")
	r.whoami("me root by cookie", req{cookie: rootCookie}, adminName, "session")

	// /me by bearer and by cookie; no credentials; a tampered token.
	r.whoami("me by bearer", req{bearer: pA.AccessToken}, "alice", "token")
	r.whoami("me by cookie", req{cookie: cA1}, "alice", "session")
	r.whoami("me anonymous", req{}, "", "")
	a = r.do("me tampered token", req{method: "GET", path: "/me", bearer: tamper(pA.AccessToken)})
	r.expect("me tampered token", a, 401)
	if a.Header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
		t.Errorf("%s: tampered token WWW-Authenticate = %q", s.Name, a.Header.Get("WWW-Authenticate"))
	}
	r.expect("me refresh token as access", r.do("me refresh token as access", req{method: "GET", path: "/me", bearer: pA.RefreshToken}), 401)
	r.expect("me bad authorization", r.do("me bad authorization", req{method: "GET", path: "/me", auth: "Bearer a b"}), 400)

	// Refresh: a new pair, the old refresh token dead; reuse kills the family.
	a = r.do("refresh", req{method: "POST", path: "/token/refresh", body: `{"refresh_token":"` + pA.RefreshToken + `"}`})
	r.expect("refresh", a, 200)
	var pA2 pair
	a.json(t, &pA2)
	if pA2.RefreshToken == pA.RefreshToken || pA2.AccessToken == "" {
		t.Fatalf("%s: refresh returned %s", s.Name, a.Body)
	}
	r.whoami("me refreshed token", req{bearer: pA2.AccessToken}, "alice", "token")
	a = r.do("refresh reuse", req{method: "POST", path: "/token/refresh", body: `{"refresh_token":"` + pA.RefreshToken + `"}`})
	r.expect("refresh reuse", a, 401)
	if a.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("%s: refresh 401 without WWW-Authenticate", s.Name)
	}
	r.expect("refresh newest after reuse", r.do("refresh newest after reuse", req{method: "POST", path: "/token/refresh", body: `{"refresh_token":"` + pA2.RefreshToken + `"}`}), 401)
	r.expect("me newest access token after reuse", r.do("me newest access token after reuse", req{method: "GET", path: "/me", bearer: pA2.AccessToken}), 401)
	r.expect("me first access token after reuse", r.do("me first access token after reuse", req{method: "GET", path: "/me", bearer: pA.AccessToken}), 401)
	r.expect("refresh garbage", r.do("refresh garbage", req{method: "POST", path: "/token/refresh", body: `{"refresh_token":"not-a-token"}`}), 401)
	r.expect("refresh access token", r.do("refresh access token", req{method: "POST", path: "/token/refresh", body: `{"refresh_token":"` + pA2.AccessToken + `"}`}), 401)
	r.expect("refresh missing field", r.do("refresh missing field", req{method: "POST", path: "/token/refresh", body: `{}`}), 400)

	// Two devices; the login on device A rotates its session.
	pA, cA := r.login("login alice device A", "alice", "device-A", cA1)
	r.whoami("me device A old cookie", req{cookie: cA1}, "", "")
	pB, cB := r.login("login alice device B", "alice", "device-B", "")
	a = r.do("sessions by cookie", req{method: "GET", path: "/sessions", cookie: cA, ua: "device-A"})
	r.expect("sessions by cookie", a, 200)
	var list []struct {
		IDHint    string `json:"id_hint"`
		Created   string `json:"created"`
		LastSeen  string `json:"last_seen"`
		IP        string `json:"ip"`
		UserAgent string `json:"user_agent"`
		Current   bool   `json:"current"`
	}
	a.json(t, &list)
	var uas []string
	current := 0
	for _, e := range list {
		uas = append(uas, e.UserAgent)
		if e.Current {
			current++
			if e.UserAgent != "device-A" {
				t.Errorf("%s: the current session is %q, want device-A", s.Name, e.UserAgent)
			}
		}
		if len(e.IDHint) != 8 || e.IP != "127.0.0.1" || e.Created == "" || e.LastSeen == "" {
			t.Errorf("%s: session entry %+v", s.Name, e)
		}
	}
	slices.Sort(uas)
	if !slices.Equal(uas, []string{"device-A", "device-B"}) || current != 1 {
		t.Errorf("%s: /sessions = %s, want device-A (current) and device-B", s.Name, a.Body)
	}
	r.expect("sessions by bearer", r.do("sessions by bearer", req{method: "GET", path: "/sessions", bearer: pB.AccessToken}), 200)

	// Roles.
	a = r.do("admin as alice", req{method: "GET", path: "/admin", bearer: pA.AccessToken})
	r.expect("admin as alice", a, 403)
	r.expect("admin as alice cookie", r.do("admin as alice cookie", req{method: "GET", path: "/admin", cookie: cA}), 403)
	r.expect("admin anonymous", r.do("admin anonymous", req{method: "GET", path: "/admin"}), 401)
	// /admin wants the role and MFA: root signed in with a password only,
	// so only the factor is missing (the MFA scenario signs in with it).
	pRoot, _ := r.login("login root", adminName, "admin-device", "")
	a = r.do("admin as root", req{method: "GET", path: "/admin", bearer: pRoot.AccessToken})
	r.expect("admin as root", a, 403)
	if !strings.Contains(a.Body, `"type":"urn:authkit:problem:mfa-required"`) {
		t.Errorf("%s: /admin without MFA = %s, want type mfa-required", s.Name, a.Body)
	}
	r.expect("admin as root cookie", r.do("admin as root cookie", req{method: "GET", path: "/admin", cookie: rootCookie}), 403)

	// Logout on device A: its token, refresh token and session die; B lives.
	r.expect("logout anonymous", r.do("logout anonymous", req{method: "POST", path: "/logout"}), 401)
	a = r.do("logout device A", req{method: "POST", path: "/logout", bearer: pA.AccessToken, cookie: cA,
		body: `{"refresh_token":"` + pA.RefreshToken + `"}`})
	r.expect("logout device A", a, 204)
	if !a.Cleared {
		t.Errorf("%s: logout did not clear the session cookie", s.Name)
	}
	r.whoami("me after logout (token)", req{bearer: pA.AccessToken}, "", "")
	r.whoami("me after logout (cookie)", req{cookie: cA}, "", "")
	r.expect("refresh after logout", r.do("refresh after logout", req{method: "POST", path: "/token/refresh", body: `{"refresh_token":"` + pA.RefreshToken + `"}`}), 401)
	r.whoami("me device B still in", req{bearer: pB.AccessToken}, "alice", "token")

	// Logout everywhere from device B: B and C both die, tokens and sessions.
	pC, cC := r.login("login alice device C", "alice", "device-C", "")
	r.expect("logout all", r.do("logout all", req{method: "POST", path: "/logout/all", bearer: pB.AccessToken, cookie: cB}), 204)
	for _, c := range []struct {
		step string
		q    req
	}{
		{"after logout all: B token", req{bearer: pB.AccessToken}},
		{"after logout all: B cookie", req{cookie: cB}},
		{"after logout all: C token", req{bearer: pC.AccessToken}},
		{"after logout all: C cookie", req{cookie: cC}},
	} {
		r.whoami(c.step, c.q, "", "")
	}
	for _, rt := range []string{pB.RefreshToken, pC.RefreshToken} {
		r.expect("refresh after logout all", r.do("refresh after logout all", req{method: "POST", path: "/token/refresh", body: `{"refresh_token":"` + rt + `"}`}), 401)
	}
	pD, cD := r.login("login again after logout all", "alice", "device-D", "")
	r.whoami("me new login token", req{bearer: pD.AccessToken}, "alice", "token")
	r.whoami("me new login cookie", req{cookie: cD}, "alice", "session")
	return r.lines
}

// compareTranscripts fails with a diff for every server whose transcript
// differs from the reference one.
func compareTranscripts(t *testing.T, ref string, all map[string][]string) {
	t.Helper()
	want, ok := all[ref]
	if !ok {
		return // the reference run failed or was skipped; it said why
	}
	if testing.Verbose() {
		t.Logf("%s transcript:\n%s", ref, strings.Join(want, "\n"))
	}
	for name, got := range all {
		if name == ref {
			continue
		}
		if d := diffLines(want, got); d != "" {
			t.Errorf("%s answered differently from %s (- %s, + %s):\n%s", name, ref, ref, name, d)
		}
	}
}

// diffLines is a small line diff: the lines that differ, position by
// position, plus any extra lines at the end.
func diffLines(a, b []string) string {
	var sb strings.Builder
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			fmt.Fprintf(&sb, "- %s\n+ %s\n", x, y)
		}
	}
	return sb.String()
}

// TestScenario runs the scenario on the four servers, on memory stores and
// on Redis, and compares every server's transcript with net/http's.
func TestScenario(t *testing.T) {
	onEveryServer(t, func(store, fw string) []string {
		flags := []string{"-admin", adminName}
		// Cheap hashing keeps the suite fast; net/http on memory keeps the
		// real argon2id defaults covered.
		if store == "redis" || fw != "nethttp" {
			flags = append(flags, "-dev-fast-hash")
		}
		return flags
	}, scenario)
}

// onEveryServer runs script on the four servers, on memory stores and on
// Redis (each server with flags(store, framework)), all in parallel, and
// compares every server's transcript with net/http's.
func onEveryServer(t *testing.T, flags func(store, fw string) []string, script func(*testing.T, *Server) []string) {
	onEveryServerWith(t,
		func(store, fw string) ([]string, []string) { return nil, flags(store, fw) },
		func(t *testing.T, _ string, s *Server) []string { return script(t, s) })
}

// onEveryServerWith is onEveryServer for scripts that need more: each
// server also gets the environment args returns, and script learns the
// store.
func onEveryServerWith(t *testing.T, args func(store, fw string) (env, flags []string), script func(t *testing.T, store string, s *Server) []string) {
	for _, store := range []string{"memory", "redis"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			transcripts := make(map[string][]string)
			t.Run("servers", func(t *testing.T) {
				for _, fw := range Frameworks {
					t.Run(fw, func(t *testing.T) {
						t.Parallel()
						env := memoryEnv
						if store == "redis" {
							env, _ = redisEnv(t)
						}
						extra, flags := args(store, fw)
						lines := script(t, store, start(t, fw, append(env, extra...), flags...))
						mu.Lock()
						transcripts[fw] = lines
						mu.Unlock()
					})
				}
			})
			compareTranscripts(t, "nethttp", transcripts)
		})
	}
}
