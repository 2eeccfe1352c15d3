package oauth_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/oauth"
)

var (
	testKey     = bytes.Repeat([]byte{7}, 32)
	otherKey    = bytes.Repeat([]byte{9}, 32)
	testRedir   = "https://app.example/oauth/callback"
	testRedir2  = "https://other.app.example/oauth/callback"
	testIssuer  = "https://op.example"
	testProvide = oauth.Provider{
		Issuer:                testIssuer,
		AuthorizationEndpoint: "https://op.example/authorize",
		TokenEndpoint:         "https://op.example/token",
		JWKSURI:               "https://op.example/keys",
		CodeChallengeMethods:  []string{"S256"},
	}
)

func newClient(t testing.TB, p oauth.Provider, clientID string, key []byte, opts ...oauth.Option) *oauth.Client {
	t.Helper()
	c, err := oauth.NewClient(&p, clientID, []string{testRedir, testRedir2}, key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// attempt is one Begin: the authorization URL's parameters and the cookie.
type attempt struct {
	params url.Values
	cookie *http.Cookie
}

func begin(t *testing.T, c *oauth.Client, next string) attempt {
	t.Helper()
	authURL, set, err := c.Begin(context.Background(), next, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(set) != 1 {
		t.Fatalf("Begin without other attempts set %d cookies", len(set))
	}
	cookie := set[0]
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	return attempt{params: u.Query(), cookie: cookie}
}

// jar is the browser's cookies, as a lookup.
type jar map[string]string

func (j jar) get(name string) (string, bool) { v, ok := j[name]; return v, ok }

func (j jar) set(c *http.Cookie) {
	if c.MaxAge < 0 {
		delete(j, c.Name)
	} else {
		j[c.Name] = c.Value
	}
}

func TestBeginAuthorizationRequest(t *testing.T) {
	c := newClient(t, testProvide, "app", testKey, oauth.WithScopes("email"), oauth.WithAuthParam("prompt", "consent"))
	a := begin(t, c, "/settings")
	p := a.params
	for k, want := range map[string]string{
		"response_type": "code", "client_id": "app", "redirect_uri": testRedir,
		"scope": "openid email", "code_challenge_method": "S256", "prompt": "consent",
	} {
		if got := p.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if len(p.Get(k)) != 43 {
			t.Errorf("%s = %q, want 43 base64url characters (256 bits)", k, p.Get(k))
		}
	}
	if p.Has("code_verifier") || p.Has("client_secret") {
		t.Errorf("authorization URL leaks a secret: %v", p)
	}
	ck := a.cookie
	if !strings.HasPrefix(ck.Name, oauth.CookiePrefix) || !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode ||
		ck.Path != "/" || ck.Domain != "" || ck.MaxAge != int(oauth.DefaultAttemptTTL/time.Second) {
		t.Errorf("attempt cookie %+v", ck)
	}
	if err := ck.Valid(); err != nil {
		t.Errorf("attempt cookie invalid: %v", err)
	}
	for _, secret := range []string{p.Get("state"), p.Get("nonce"), "/settings"} {
		if strings.Contains(ck.Value, secret) || strings.Contains(ck.Name, secret) {
			t.Errorf("cookie shows %q in clear", secret)
		}
	}
	b := begin(t, c, "/settings")
	if b.params.Get("state") == p.Get("state") || b.params.Get("nonce") == p.Get("nonce") ||
		b.params.Get("code_challenge") == p.Get("code_challenge") || b.cookie.Name == ck.Name {
		t.Error("two attempts share a state, nonce, challenge or cookie name")
	}
}

func TestBeginPlainOAuthSendsNoNonce(t *testing.T) {
	p := testProvide
	p.JWKSURI = ""
	c := newClient(t, p, "app", testKey, oauth.WithScopes("read:user"))
	a := begin(t, c, "")
	if a.params.Has("nonce") || a.params.Get("scope") != "read:user" || a.params.Get("code_challenge_method") != "S256" {
		t.Errorf("plain OAuth request: %v", a.params)
	}
}

func TestBeginAtRedirectURIs(t *testing.T) {
	c := newClient(t, testProvide, "app", testKey)
	authURL, _, err := c.BeginAt(context.Background(), testRedir2, "/", nil)
	if err != nil || !strings.Contains(authURL, url.QueryEscape(testRedir2)) {
		t.Fatalf("BeginAt(listed) = %q, %v", authURL, err)
	}
	for _, r := range []string{"https://app.example/oauth/callback/", "https://APP.example/oauth/callback", "https://evil.example/oauth/callback", testRedir + "?x=1", ""} {
		if _, _, err := c.BeginAt(context.Background(), r, "/", nil); !errors.Is(err, oauth.ErrInvalidConfig) {
			t.Errorf("BeginAt(%q) err = %v, want ErrInvalidConfig", r, err)
		}
	}
}

func TestBeginSealsOnlySafeNext(t *testing.T) {
	c := newClient(t, testProvide, "app", testKey)
	for next, want := range map[string]string{"/settings?tab=2": "/settings?tab=2", "//evil.example": "/", "": "/", "https://evil.example": "/"} {
		a := begin(t, c, next)
		got, err := oauth.OpenAttemptNext(c, a.params.Get("state"), a.cookie.Value)
		if err != nil || got != want {
			t.Errorf("next %q sealed as %q (%v), want %q", next, got, err, want)
		}
	}
}

func callbackQuery(kv ...string) string {
	q := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return q.Encode()
}

func TestCompleteRefusals(t *testing.T) {
	clock := testclock.New()
	c := newClient(t, testProvide, "app", testKey, oauth.WithClock(clock.Now))
	announcing := testProvide
	announcing.IssParameter = true
	ci := newClient(t, announcing, "app", testKey, oauth.WithClock(clock.Now))
	other := newClient(t, testProvide, "other-app", testKey, oauth.WithClock(clock.Now))

	type tc struct {
		name   string
		client *oauth.Client
		query  func(a attempt) string
		jar    func(a, b attempt) jar
		want   string
		clear  bool
	}
	own := func(a, _ attempt) jar { return jar{a.cookie.Name: a.cookie.Value} }
	state := func(a attempt) string { return a.params.Get("state") }
	cases := []tc{
		{"query does not parse", c, func(a attempt) string { return "state=" + state(a) + "&code=%zz" }, own, oauth.CodeCallbackMalformed, false},
		{"state repeated", c, func(a attempt) string { return callbackQuery("state", state(a), "state", state(a), "code", "c") }, own, oauth.CodeCallbackMalformed, false},
		{"code repeated", c, func(a attempt) string { return callbackQuery("state", state(a), "code", "a", "code", "b") }, own, oauth.CodeCallbackMalformed, false},
		{"code with a control character", c, func(a attempt) string { return callbackQuery("state", state(a), "code", "a\nb") }, own, oauth.CodeCallbackMalformed, false},
		{"query too long", c, func(a attempt) string { return callbackQuery("state", state(a), "x", strings.Repeat("a", 9000)) }, own, oauth.CodeCallbackMalformed, false},
		{"no state", c, func(attempt) string { return callbackQuery("code", "c") }, own, oauth.CodeStateMissing, false},
		{"empty state", c, func(attempt) string { return callbackQuery("state", "", "code", "c") }, own, oauth.CodeStateMissing, false},
		{"state not one authkit made", c, func(attempt) string { return callbackQuery("state", "abc", "code", "c") }, own, oauth.CodeStateMismatch, false},
		{"no attempt cookie (login CSRF, other browser)", c, func(a attempt) string { return callbackQuery("state", state(a), "code", "c") },
			func(attempt, attempt) jar { return jar{} }, oauth.CodeStateMismatch, false},
		{"another attempt's state", c, func(a attempt) string { return callbackQuery("state", strings.Repeat("A", 43), "code", "c") }, own, oauth.CodeStateMismatch, false},
		{"tampered cookie", c, func(a attempt) string { return callbackQuery("state", state(a), "code", "c") },
			func(a, _ attempt) jar { return jar{a.cookie.Name: flip(a.cookie.Value)} }, oauth.CodeStateMismatch, true},
		{"truncated cookie", c, func(a attempt) string { return callbackQuery("state", state(a), "code", "c") },
			func(a, _ attempt) jar { return jar{a.cookie.Name: a.cookie.Value[:20]} }, oauth.CodeStateMismatch, true},
		{"cookie not base64url", c, func(a attempt) string { return callbackQuery("state", state(a), "code", "c") },
			func(a, _ attempt) jar { return jar{a.cookie.Name: "!!!" + a.cookie.Value} }, oauth.CodeStateMismatch, true},
		{"cookie moved to another attempt's name", c, func(a attempt) string { return callbackQuery("state", state(a), "code", "c") },
			func(a, b attempt) jar { return jar{a.cookie.Name: b.cookie.Value} }, oauth.CodeStateMismatch, true},
		{"cookie sealed for another client", other, func(a attempt) string { return callbackQuery("state", state(a), "code", "c") }, own, oauth.CodeStateMismatch, true},
		{"wrong iss (mix-up)", c, func(a attempt) string {
			return callbackQuery("state", state(a), "code", "c", "iss", "https://evil.example")
		}, own, oauth.CodeIssMismatch, true},
		{"iss differs by a trailing slash", c, func(a attempt) string { return callbackQuery("state", state(a), "code", "c", "iss", testIssuer+"/") }, own, oauth.CodeIssMismatch, true},
		{"empty iss", c, func(a attempt) string { return callbackQuery("state", state(a), "code", "c", "iss", "") }, own, oauth.CodeIssMismatch, true},
		{"iss missing where announced", ci, func(a attempt) string { return callbackQuery("state", state(a), "code", "c") }, own, oauth.CodeIssMissing, true},
		{"provider error", c, func(a attempt) string {
			return callbackQuery("state", state(a), "error", "access_denied", "error_description", "user said no")
		}, own, oauth.CodeProviderError, true},
		{"provider error with a bad error code", c, func(a attempt) string { return callbackQuery("state", state(a), "error", "<script>") }, own, oauth.CodeCallbackMalformed, false},
		{"provider error with forged state", c, func(a attempt) string {
			return callbackQuery("state", strings.Repeat("B", 43), "error", "access_denied")
		}, own, oauth.CodeStateMismatch, false},
		{"no code", c, func(a attempt) string { return callbackQuery("state", state(a)) }, own, oauth.CodeCodeMissing, true},
		{"no code, right iss", ci, func(a attempt) string { return callbackQuery("state", state(a), "iss", testIssuer) }, own, oauth.CodeCodeMissing, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := begin(t, c, "/"), begin(t, c, "/")
			if tc.client == ci {
				a, b = begin(t, ci, "/"), begin(t, ci, "/")
			}
			res, clear, err := tc.client.Complete(context.Background(), tc.query(a), tc.jar(a, b).get)
			var oe *oauth.Error
			if res != nil || !errors.As(err, &oe) || oe.Code != tc.want {
				t.Fatalf("Complete = %v, %v; want code %s", res, err, tc.want)
			}
			if !errors.Is(err, &oauth.Error{Code: tc.want}) || oe.Status() != http.StatusBadRequest {
				t.Errorf("errors.Is or Status() wrong for %v", err)
			}
			if (clear != nil) != tc.clear {
				t.Fatalf("clear cookie = %v, want one: %v", clear, tc.clear)
			}
			if clear != nil && (clear.Name != a.cookie.Name || clear.MaxAge >= 0 || !clear.Secure || !clear.HttpOnly || clear.Path != "/") {
				t.Errorf("clear cookie %+v", clear)
			}
			if strings.Contains(err.Error(), state(a)) {
				t.Errorf("error text %q shows the state", err)
			}
		})
	}
}

func TestCompleteProviderErrorDetails(t *testing.T) {
	c := newClient(t, testProvide, "app", testKey)
	a := begin(t, c, "/")
	q := callbackQuery("state", a.params.Get("state"), "error", "access_denied", "error_description", "no\x00 <b>thanks</b>"+strings.Repeat("x", 300))
	_, _, err := c.Complete(context.Background(), q, jar{a.cookie.Name: a.cookie.Value}.get)
	var oe *oauth.Error
	if !errors.As(err, &oe) || !errors.Is(err, oauth.ErrProviderError) || oe.ProviderCode != "access_denied" ||
		!strings.HasPrefix(oe.Description, "no <b>thanks</b>") || len(oe.Description) != 200 {
		t.Fatalf("err = %#v", err)
	}
}

func TestCompleteExpiredAttempt(t *testing.T) {
	clock := testclock.New()
	c := newClient(t, testProvide, "app", testKey, oauth.WithClock(clock.Now), oauth.WithAttemptTTL(5*time.Minute))
	a := begin(t, c, "/")
	j := jar{a.cookie.Name: a.cookie.Value}
	q := callbackQuery("state", a.params.Get("state"))
	clock.Advance(5*time.Minute - time.Second)
	if _, _, err := c.Complete(context.Background(), q, j.get); !errors.Is(err, oauth.ErrCodeMissing) {
		t.Fatalf("just before expiry: %v, want code_missing (state accepted)", err)
	}
	clock.Advance(time.Second)
	_, clear, err := c.Complete(context.Background(), q, j.get)
	if !errors.Is(err, oauth.ErrStateExpired) || clear == nil {
		t.Fatalf("at expiry: %v (clear %v), want state_expired and a clear cookie", err, clear)
	}
}

// A browser that honours the clear cookie cannot use an attempt twice.
func TestCompleteClearsAttempt(t *testing.T) {
	c := newClient(t, testProvide, "app", testKey)
	a := begin(t, c, "/")
	j := jar{a.cookie.Name: a.cookie.Value}
	q := callbackQuery("state", a.params.Get("state"), "error", "access_denied")
	_, clear, err := c.Complete(context.Background(), q, j.get)
	if !errors.Is(err, oauth.ErrProviderError) || clear == nil {
		t.Fatalf("first: %v, %v", err, clear)
	}
	j.set(clear)
	if _, _, err := c.Complete(context.Background(), q, j.get); !errors.Is(err, oauth.ErrStateMismatch) {
		t.Fatalf("replay: %v, want state_mismatch", err)
	}
}

// Two tabs: each attempt completes with its own cookie, in any order.
func TestCompleteParallelAttempts(t *testing.T) {
	c := newClient(t, testProvide, "app", testKey)
	j := jar{}
	var atts []attempt
	for range 3 {
		a := begin(t, c, "/")
		j.set(a.cookie)
		atts = append(atts, a)
	}
	for _, i := range []int{1, 0, 2} {
		_, clear, err := c.Complete(context.Background(), callbackQuery("state", atts[i].params.Get("state")), j.get)
		if !errors.Is(err, oauth.ErrCodeMissing) || clear == nil || clear.Name != atts[i].cookie.Name {
			t.Fatalf("attempt %d: %v, %v", i, err, clear)
		}
		j.set(clear)
	}
	if len(j) != 0 {
		t.Errorf("cookies left: %v", j)
	}
}

func TestCompleteKeyRotation(t *testing.T) {
	old := newClient(t, testProvide, "app", testKey)
	rotated := newClient(t, testProvide, "app", otherKey, oauth.WithPreviousKeys(testKey))
	a := begin(t, old, "/")
	q := callbackQuery("state", a.params.Get("state"))
	if _, _, err := rotated.Complete(context.Background(), q, jar{a.cookie.Name: a.cookie.Value}.get); !errors.Is(err, oauth.ErrCodeMissing) {
		t.Fatalf("attempt under the previous key: %v, want it opened (code_missing)", err)
	}
	b := begin(t, rotated, "/")
	q = callbackQuery("state", b.params.Get("state"))
	if _, _, err := old.Complete(context.Background(), q, jar{b.cookie.Name: b.cookie.Value}.get); !errors.Is(err, oauth.ErrStateMismatch) {
		t.Fatalf("attempt under the new key opened with the old one: %v", err)
	}
}

func TestCompleteInsecureCookies(t *testing.T) {
	c := newClient(t, testProvide, "app", testKey, oauth.WithInsecureCookies())
	a := begin(t, c, "/")
	if a.cookie.Secure || !strings.HasPrefix(a.cookie.Name, oauth.InsecureCookiePrefix) || strings.HasPrefix(a.cookie.Name, "__") {
		t.Fatalf("insecure attempt cookie %+v", a.cookie)
	}
	_, clear, err := c.Complete(context.Background(), callbackQuery("state", a.params.Get("state")), jar{a.cookie.Name: a.cookie.Value}.get)
	if !errors.Is(err, oauth.ErrCodeMissing) || clear == nil || clear.Secure {
		t.Fatalf("%v, %+v", err, clear)
	}
}

// A token endpoint that cannot be reached is a 503, not a 400.
func TestCompleteTokenEndpointUnreachable(t *testing.T) {
	dead := deadServer(t)
	p := oauth.Provider{
		Issuer:                dead,
		AuthorizationEndpoint: dead + "/authorize",
		TokenEndpoint:         dead + "/token",
		JWKSURI:               dead + "/keys",
	}
	c := newClient(t, p, "app", testKey, oauth.WithClientSecret("s3cret-value"))
	a := begin(t, c, "/")
	_, clear, err := c.Complete(context.Background(), callbackQuery("state", a.params.Get("state"), "code", "abc"), jar{a.cookie.Name: a.cookie.Value}.get)
	var oe *oauth.Error
	if !errors.As(err, &oe) || oe.Code != oauth.CodeProviderUnavailable || oe.Status() != http.StatusServiceUnavailable ||
		!errors.Is(err, authkit.ErrUnavailable) || !errors.Is(err, oauth.ErrUnavailable) || clear == nil {
		t.Fatalf("err = %v, clear %v", err, clear)
	}
	if strings.Contains(err.Error(), "s3cret-value") || strings.Contains(err.Error(), "abc") {
		t.Errorf("error text leaks: %v", err)
	}
}

// deadServer returns the URL of a loopback server that hangs up on every
// connection: a provider that cannot be reached.
func deadServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return "http://" + l.Addr().String()
}

func flip(s string) string {
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// FuzzComplete drives the whole callback with an arbitrary query and an
// arbitrary cookie under every name: without a cookie that Begin sealed,
// nothing may get past the state check, and every refusal is an *Error.
func FuzzComplete(f *testing.F) {
	seedClient, _ := oauth.NewClient(&testProvide, "app", []string{testRedir}, testKey)
	authURL, set, _ := seedClient.Begin(context.Background(), "/", nil)
	cookie := set[0]
	u, _ := url.Parse(authURL)
	state := u.Query().Get("state")
	f.Add(callbackQuery("state", state, "code", "c"), flip(cookie.Value))
	f.Add(callbackQuery("state", state, "error", "access_denied"), cookie.Value[:40])
	f.Add("state=%zz", "")
	f.Add(callbackQuery("state", strings.Repeat("A", 43), "code", "c", "iss", testIssuer), cookie.Value)
	f.Fuzz(func(t *testing.T, q, value string) {
		c, err := oauth.NewClient(&testProvide, "app", []string{testRedir}, testKey)
		if err != nil {
			t.Fatal(err)
		}
		res, clear, err := c.Complete(context.Background(), q, func(string) (string, bool) { return value, true })
		var oe *oauth.Error
		if res != nil || !errors.As(err, &oe) {
			t.Fatalf("Complete(%q) = %v, %v", q, res, err)
		}
		switch oe.Code {
		case oauth.CodeCallbackMalformed, oauth.CodeStateMissing, oauth.CodeStateMismatch:
		default:
			t.Fatalf("Complete(%q) got past the state check: %v", q, err)
		}
		if clear != nil && !strings.HasPrefix(clear.Name, oauth.CookiePrefix) {
			t.Fatalf("clears %q", clear.Name)
		}
	})
}

// How the client authenticates at the token endpoint: a confidential
// client with HTTP Basic (or the form when the provider offers only
// client_secret_post), a public client with client_id in the form alone.
func TestTokenEndpointClientAuthentication(t *testing.T) {
	type seen struct{ basicUser, basicPass, formID, formSecret, verifier string }
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		u, pw, _ := r.BasicAuth()
		got <- seen{u, pw, r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"), r.PostForm.Get("code_verifier")}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"invalid_grant"}`))
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name    string
		methods []string
		secret  string
		want    seen
	}{
		{"confidential, basic by default", nil, "s3cret", seen{basicUser: "app", basicPass: "s3cret"}},
		{"confidential, post only", []string{"client_secret_post"}, "s3cret", seen{formID: "app", formSecret: "s3cret"}},
		{"confidential, both offered", []string{"client_secret_post", "client_secret_basic"}, "s3cret", seen{basicUser: "app", basicPass: "s3cret"}},
		{"public", []string{"client_secret_basic"}, "", seen{formID: "app"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := oauth.Provider{Issuer: srv.URL, AuthorizationEndpoint: srv.URL + "/authorize", TokenEndpoint: srv.URL + "/token", TokenAuthMethods: tc.methods}
			var opts []oauth.Option
			if tc.secret != "" {
				opts = append(opts, oauth.WithClientSecret(tc.secret))
			}
			c := newClient(t, p, "app", testKey, opts...)
			a := begin(t, c, "/")
			_, _, err := c.Complete(context.Background(), callbackQuery("state", a.params.Get("state"), "code", "c"), jar{a.cookie.Name: a.cookie.Value}.get)
			if !errors.Is(err, oauth.ErrInvalidGrant) {
				t.Fatalf("err = %v", err)
			}
			s := <-got
			if len(s.verifier) != 43 {
				t.Errorf("code_verifier %q", s.verifier)
			}
			s.verifier = ""
			if s != tc.want {
				t.Errorf("token request authenticated as %+v, want %+v", s, tc.want)
			}
		})
	}
}
