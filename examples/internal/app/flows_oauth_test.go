package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/audit/audittest"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/oauth"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/oauthtest"
)

// oauthServer is the reference API over real HTTPS (the provider sends the
// browser back to it), signing in at an oauthtest provider.
type oauthServer struct {
	*testServer
	URL   string
	p     *oauthtest.Provider
	audit *audittest.Recorder
	clock *authtest.WallClock
}

// newOAuthServer starts the API with the four OAuth settings pointing at p
// (client "app"); mod edits the config first.
func newOAuthServer(t *testing.T, p *oauthtest.Provider, mod func(*Config)) *oauthServer {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	s := &oauthServer{URL: "https://" + srv.Listener.Addr().String(), p: p, audit: &audittest.Recorder{}, clock: &authtest.WallClock{}}
	p.AddClient(oauthtest.Client{ID: "app", Secret: "app-secret", RedirectURIs: []string{s.URL + "/oauth/callback"}})
	cfg := Config{Audit: s.audit, OAuth: OAuthConfig{
		Issuer: p.Issuer, ClientID: "app", ClientSecret: "app-secret", RedirectURL: s.URL + "/oauth/callback",
		HTTPClient: p.HTTPClient(), clock: s.clock.Now,
	}}
	if mod != nil {
		mod(&cfg)
	}
	s.testServer = newTestServer(t, cfg)
	srv.Config.Handler = s.h
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return s
}

// seen records everything that crossed a browser: URLs, response header
// fields and bodies.
type seen struct {
	base http.RoundTripper
	mu   sync.Mutex
	all  bytes.Buffer
}

func (s *seen) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all.WriteString(r.URL.String() + "\n")
	resp.Header.Write(&s.all)
	s.all.Write(body)
	return resp, nil
}

func (s *seen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.all.String()
}

type browser struct {
	*oauthtest.Browser
	seen *seen
}

func (s *oauthServer) browser() *browser {
	b := oauthtest.NewBrowser(s.p.HTTPClient())
	rec := &seen{base: b.Client.Transport}
	b.Client.Transport = rec
	return &browser{Browser: b, seen: rec}
}

// onServer reports whether u is a page of the server other than the
// sign-in's own two.
func (s *oauthServer) landing(u *url.URL) bool {
	return u.Scheme+"://"+u.Host == s.URL && u.Path != "/oauth/login" && u.Path != "/oauth/callback"
}

// signIn runs the whole flow in b and returns where the callback sent the
// browser (without requesting it).
func (s *oauthServer) signIn(t *testing.T, b *browser, next string) *url.URL {
	t.Helper()
	return b.Until(t, s.URL+"/oauth/login?next="+url.QueryEscape(next), s.landing, nil)
}

// untilCallback runs the flow in b up to the provider's redirect back and
// returns the callback URL, not requested; tamper may edit earlier hops.
func (s *oauthServer) untilCallback(t *testing.T, b *browser, tamper func(*url.URL) *url.URL) *url.URL {
	t.Helper()
	return b.Until(t, s.URL+"/oauth/login", func(u *url.URL) bool { return u.Scheme+"://"+u.Host+u.Path == s.URL+"/oauth/callback" }, tamper)
}

func bodyOf(r *oauthtest.Response) string {
	if r == nil {
		return "<none>"
	}
	return r.Status + " " + string(r.Body)
}

func (s *oauthServer) sessionCookie(t *testing.T, b *browser) string {
	t.Helper()
	for _, c := range b.Cookies(t, s.URL) {
		if c.Name == s.app.sessions.CookieName() {
			return c.Value
		}
	}
	return ""
}

type meBody struct {
	Sub   string   `json:"sub"`
	Roles []string `json:"roles"`
	AMR   []string `json:"amr"`
	Via   string   `json:"via"`
}

// me asks GET /me in b; ok is false for a 401.
func (s *oauthServer) me(t *testing.T, b *browser) (meBody, bool) {
	t.Helper()
	resp, err := b.Client.Get(s.URL + "/me")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m meBody
	if resp.StatusCode == http.StatusUnauthorized {
		return m, false
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&m) != nil {
		t.Fatalf("/me: %d", resp.StatusCode)
	}
	return m, true
}

func TestOAuthSignIn(t *testing.T) {
	p := oauthtest.Start(t)
	p.AddUser(oauthtest.User{Subject: "248289761001", Email: "alice@example.com", AMR: []string{"pwd", "hwk"}})
	p.SignInAs("248289761001")
	s := newOAuthServer(t, p, nil)
	s.register("bob", testPass)
	b := s.browser()

	// Bob is signed in with a password in this browser first: the OAuth
	// sign-in replaces his session with a fresh one.
	_, _, bobs := s.login("bob")
	u, _ := url.Parse(s.URL)
	b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: s.app.sessions.CookieName(), Value: bobs, Path: "/", Secure: true}})

	landed := s.signIn(t, b, "/dashboard?tab=1")
	if landed.Path != "/dashboard" || landed.RawQuery != "tab=1" {
		t.Fatalf("landed at %s, want /dashboard?tab=1", landed)
	}
	sess := s.sessionCookie(t, b)
	if sess == "" || sess == bobs {
		t.Fatalf("session cookie %q after the sign-in (bob's was %q): not rotated", sess, bobs)
	}
	m, ok := s.me(t, b)
	if !ok || m.Via != "session" || !strings.HasPrefix(m.Sub, "oidc:") || !strings.HasSuffix(m.Sub, ":248289761001") ||
		!slices.Equal(m.AMR, []string{"pwd", "hwk"}) || m.Roles == nil || len(m.Roles) != 0 {
		t.Fatalf("/me = %+v, want the provider's subject and amr by session", m)
	}
	if _, ok := CanonicalUsername(m.Sub); ok {
		t.Errorf("the local subject %q is a valid username", m.Sub)
	}
	// Bob's session is gone (another user's session is never carried over).
	if resp := s.call("GET", "/me", "", map[string]string{"Cookie": s.app.sessions.CookieName() + "=" + bobs}); resp.StatusCode != 401 {
		t.Errorf("bob's old session: %d, want 401", resp.StatusCode)
	}

	// The callback answered with a redirect to the clean URL at once.
	cb := b.Hops[len(b.Hops)-1]
	if cb.Path != "/oauth/callback" || cb.Query().Get("code") == "" {
		t.Fatalf("last hop %s is not the callback", cb.Redacted())
	}
	if strings.Contains(landed.String(), "code=") || strings.Contains(landed.String(), "state=") {
		t.Errorf("the landing URL %s carries the callback's parameters", landed)
	}

	// The provider's tokens are in the session, on the server — and in no
	// URL, header or body the browser saw, and no audit event.
	rec, err := s.app.sessions.Load(context.Background(), sess)
	if err != nil {
		t.Fatal(err)
	}
	kept, found := session.Get[oauth.Tokens](rec, sessionKeyOAuthTokens)
	issued := p.IssuedTokens()
	if !found || kept.AccessToken == "" || !slices.Contains(issued, kept.AccessToken) || !slices.Contains(issued, kept.IDToken) {
		t.Fatalf("session keeps %v (%v); issued %d tokens", kept, found, len(issued))
	}
	events, _ := json.Marshal(s.audit.Events())
	for _, tok := range issued {
		if strings.Contains(b.seen.String(), tok) || strings.Contains(string(events), tok) {
			t.Errorf("a provider token reached the browser or the audit log: %.16s…", tok)
		}
	}
	if evs := s.audit.Of(audit.LoginSucceeded); len(evs) != 2 || evs[1].Subject != m.Sub || evs[1].Reason != "oauth" {
		t.Errorf("login.succeeded events %+v", evs)
	}
}

// The first sign-in creates an account linked to (issuer, sub); later ones
// find it; a local account with the provider user's email stays apart.
func TestOAuthAccountLinking(t *testing.T) {
	p := oauthtest.Start(t)
	s := newOAuthServer(t, p, nil)
	// A local account named like the provider user's email
	// (alice@example.com, the provider's default user).
	s.register("alice@example.com", testPass)
	before, err := s.app.users.Get(context.Background(), "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}

	first := s.browser()
	s.signIn(t, first, "/")
	m1, _ := s.me(t, first)
	second := s.browser()
	s.signIn(t, second, "/")
	m2, _ := s.me(t, second)
	if m1.Sub == "" || m1.Sub != m2.Sub || m1.Sub == "alice@example.com" {
		t.Fatalf("two sign-ins of one provider user: %q and %q", m1.Sub, m2.Sub)
	}
	u, err := s.app.users.Get(context.Background(), m1.Sub)
	if err != nil || u.OAuthIssuer != p.Issuer || u.OAuthSubject != "user-1" || u.Hash != "" {
		t.Fatalf("linked account %+v, %v", u, err)
	}
	after, err := s.app.users.Get(context.Background(), "alice@example.com")
	if err != nil || after.Hash != before.Hash || after.OAuthIssuer != "" || after.OAuthSubject != "" {
		t.Fatalf("the local account changed: %+v", after)
	}
	if _, _, c := s.login("alice@example.com"); c == "" {
		t.Fatal("the local account no longer signs in")
	}

	// Another provider user is another account.
	p.AddUser(oauthtest.User{Subject: "user-2", Email: "alice@example.com"})
	p.SignInAs("user-2")
	third := s.browser()
	s.signIn(t, third, "/")
	if m3, _ := s.me(t, third); m3.Sub == m1.Sub || !strings.HasSuffix(m3.Sub, ":user-2") {
		t.Fatalf("another provider user signed in as %q", m3.Sub)
	}
	// The linked account has no password: it cannot sign in with one.
	b, _ := json.Marshal(map[string]string{"username": m1.Sub, "password": ""})
	if resp := s.call("POST", "/login", string(b), nil); resp.StatusCode == http.StatusOK {
		t.Fatal("a password login into the OAuth account")
	}
}

// TestUserStoresKeepOAuthLinks: both stores keep an account's link, and an
// account without a password exists.
func TestUserStoresKeepOAuthLinks(t *testing.T) {
	for name, s := range map[string]UserStore{"memory": NewMemoryUserStore(), "redis": func() UserStore {
		c, prefix := testRedis(t)
		return NewRedisUserStore(c, prefix+"user:")
	}()} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			want := User{Name: "oidc:0123456789abcdef:u1", OAuthIssuer: "https://op.example", OAuthSubject: "u1"}
			if err := s.Create(ctx, want); err != nil {
				t.Fatal(err)
			}
			if err := s.Create(ctx, want); !errors.Is(err, ErrUserExists) {
				t.Fatalf("second create: %v", err)
			}
			got, err := s.Get(ctx, want.Name)
			if err != nil || got.Name != want.Name || got.OAuthIssuer != want.OAuthIssuer || got.OAuthSubject != want.OAuthSubject || got.Hash != "" {
				t.Fatalf("Get = %+v, %v", got, err)
			}
			if err := s.Create(ctx, User{Name: "local", Hash: "h"}); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Get(ctx, "local"); err != nil || got.OAuthIssuer != "" || got.OAuthSubject != "" {
				t.Fatalf("local account %+v, %v", got, err)
			}
		})
	}
}

// Every callback attack ends in a 400 problem+json with its code word, no
// session and an oauth.failed event.
func TestOAuthCallbackAttacks(t *testing.T) {
	p := oauthtest.Start(t)
	s := newOAuthServer(t, p, nil)
	withQuery := func(u *url.URL, f func(url.Values)) string {
		v := *u
		q := v.Query()
		f(q)
		v.RawQuery = q.Encode()
		return v.String()
	}
	flip := func(v string) string {
		b := []byte(v)
		if b[len(b)/2] == 'a' {
			b[len(b)/2] = 'b'
		} else {
			b[len(b)/2] = 'a'
		}
		return string(b)
	}
	for _, tc := range []struct {
		name   string
		attack func(t *testing.T, b *browser, cb *url.URL) *oauthtest.Response
		code   string
	}{
		{"state removed", func(t *testing.T, b *browser, cb *url.URL) *oauthtest.Response {
			return b.Follow(t, withQuery(cb, func(q url.Values) { q.Del("state") }), nil)
		}, oauth.CodeStateMissing},
		{"state changed", func(t *testing.T, b *browser, cb *url.URL) *oauthtest.Response {
			return b.Follow(t, withQuery(cb, func(q url.Values) { q.Set("state", flip(q.Get("state"))) }), nil)
		}, oauth.CodeStateMismatch},
		{"the callback in another browser (login CSRF)", func(t *testing.T, _ *browser, cb *url.URL) *oauthtest.Response {
			return s.browser().Follow(t, cb.String(), nil)
		}, oauth.CodeStateMismatch},
		{"replayed callback", func(t *testing.T, b *browser, cb *url.URL) *oauthtest.Response {
			b.Until(t, cb.String(), s.landing, nil) // the genuine callback
			s.audit.Reset()
			b.Client.Jar.SetCookies(&url.URL{Scheme: "https", Host: cb.Host}, []*http.Cookie{{Name: s.app.sessions.CookieName(), MaxAge: -1}})
			return b.Follow(t, cb.String(), nil)
		}, oauth.CodeStateMismatch},
		{"replayed callback, attempt cookie kept", func(t *testing.T, b *browser, cb *url.URL) *oauthtest.Response {
			kept := b.Cookies(t, s.URL)
			other := s.browser() // the code is used in another browser holding the same cookies
			u, _ := url.Parse(s.URL)
			other.Client.Jar.SetCookies(u, kept)
			other.Until(t, cb.String(), s.landing, nil) // the genuine callback
			s.audit.Reset()
			return b.Follow(t, cb.String(), nil)
		}, oauth.CodeInvalidGrant},
		{"code removed", func(t *testing.T, b *browser, cb *url.URL) *oauthtest.Response {
			return b.Follow(t, withQuery(cb, func(q url.Values) { q.Del("code") }), nil)
		}, oauth.CodeCodeMissing},
		{"code forged", func(t *testing.T, b *browser, cb *url.URL) *oauthtest.Response {
			return b.Follow(t, withQuery(cb, func(q url.Values) { q.Set("code", flip(q.Get("code"))) }), nil)
		}, oauth.CodeInvalidGrant},
		{"code of another attempt (injection; PKCE refuses)", func(t *testing.T, b *browser, cb *url.URL) *oauthtest.Response {
			theirs := s.untilCallback(t, s.browser(), nil)
			return b.Follow(t, withQuery(cb, func(q url.Values) { q.Set("code", theirs.Query().Get("code")) }), nil)
		}, oauth.CodeInvalidGrant},
		{"iss of another provider (mix-up)", func(t *testing.T, b *browser, cb *url.URL) *oauthtest.Response {
			return b.Follow(t, withQuery(cb, func(q url.Values) { q.Set("iss", "https://evil.example") }), nil)
		}, oauth.CodeIssMismatch},
		{"provider error", func(t *testing.T, b *browser, cb *url.URL) *oauthtest.Response {
			return b.Follow(t, withQuery(cb, func(q url.Values) { q.Del("code"); q.Set("error", "access_denied") }), nil)
		}, oauth.CodeProviderError},
		{"parameter repeated", func(t *testing.T, b *browser, cb *url.URL) *oauthtest.Response {
			return b.Follow(t, withQuery(cb, func(q url.Values) { q.Add("state", q.Get("state")) }), nil)
		}, oauth.CodeCallbackMalformed},
		{"state expired", func(t *testing.T, b *browser, cb *url.URL) *oauthtest.Response {
			s.clock.Advance(oauth.DefaultAttemptTTL + time.Second)
			defer s.clock.Advance(-oauth.DefaultAttemptTTL - time.Second)
			return b.Follow(t, cb.String(), nil)
		}, oauth.CodeStateExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := s.browser()
			cb := s.untilCallback(t, b, nil)
			s.audit.Reset()
			resp := tc.attack(t, b, cb)
			wantRefused(t, s, b, resp, tc.code)
		})
	}
}

// wantRefused checks a refused callback: 400 problem+json with code, no
// session in b, one oauth.failed event with the word.
func wantRefused(t *testing.T, s *oauthServer, b *browser, resp *oauthtest.Response, code string) {
	t.Helper()
	var pr struct {
		Type string `json:"type"`
		Code string `json:"code"`
	}
	if resp == nil || resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/problem+json" ||
		json.Unmarshal(resp.Body, &pr) != nil || pr.Code != code || pr.Type != "urn:authkit:problem:invalid-request" {
		t.Fatalf("answer %s, want 400 problem+json with code %s", bodyOf(resp), code)
	}
	if _, ok := s.me(t, b); ok {
		t.Error("signed in anyway")
	}
	if evs := s.audit.Of(audit.OAuthFailed); len(evs) == 0 || !strings.HasPrefix(evs[len(evs)-1].Reason, code) {
		t.Errorf("oauth.failed events %+v", s.audit.Events())
	}
	if n := s.audit.Count(audit.LoginSucceeded); n != 0 {
		t.Errorf("%d login.succeeded events", n)
	}
}

// ID tokens the server must refuse, from a provider that misbehaves or an
// attacker who edits the authorization request.
func TestOAuthBadIDTokens(t *testing.T) {
	for _, tc := range []struct {
		name   string
		start  []oauthtest.Option
		client *oauthtest.Client
		tamper func(*url.URL) *url.URL
	}{
		{"nonce changed in the authorization request", nil, nil, func(u *url.URL) *url.URL {
			if u.Path == "/authorize" {
				q := u.Query()
				q.Set("nonce", "attacker-nonce")
				v := *u
				v.RawQuery = q.Encode()
				return &v
			}
			return u
		}},
		{"expired", nil, &oauthtest.Client{IDTokenLifetime: -time.Hour}, nil},
		{"signed by a key the JWKS does not hold", []oauthtest.Option{oauthtest.WithForeignJWKS()}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := oauthtest.Start(t, tc.start...)
			s := newOAuthServer(t, p, nil)
			if tc.client != nil {
				c := *tc.client
				c.ID, c.Secret, c.RedirectURIs = "app", "app-secret", []string{s.URL + "/oauth/callback"}
				p.AddClient(c)
			}
			b := s.browser()
			cb := s.untilCallback(t, b, tc.tamper)
			wantRefused(t, s, b, b.Follow(t, cb.String(), nil), oauth.CodeIDTokenInvalid)
		})
	}
}

// A provider that announces RFC 9207 must send iss.
func TestOAuthIssParameter(t *testing.T) {
	p := oauthtest.Start(t, oauthtest.WithIssParameter())
	s := newOAuthServer(t, p, nil)
	b := s.browser()
	s.signIn(t, b, "/")
	if _, ok := s.me(t, b); !ok {
		t.Fatal("sign-in with iss failed")
	}
	b = s.browser()
	cb := s.untilCallback(t, b, nil)
	s.audit.Reset()
	q := cb.Query()
	q.Del("iss")
	cb.RawQuery = q.Encode()
	wantRefused(t, s, b, b.Follow(t, cb.String(), nil), oauth.CodeIssMissing)
}

// Only a path on this server survives as next; every hostile payload
// sends the browser to "/".
func TestOAuthNext(t *testing.T) {
	p := oauthtest.Start(t)
	s := newOAuthServer(t, p, nil)
	hostile := []string{
		"//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "\\/evil.example",
		"/%2F%2Fevil.example", "/%2f/evil.example", "/%5Cevil.example", "/%252F%252Fevil.example",
		"https:evil.example", "https://evil.example", "HTTPS://evil.example", "//https://evil.example",
		"javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
		"java\tscript:alert(1)", "/\t/evil.example", "/%09/evil.example", "/\r\nLocation: https://evil.example",
		"/%0D%0ASet-Cookie:x=1", "/path\x00", "/%00", " /path", "/ /evil.example",
		"/\u2215\u2215evil.example", "/\uFF0F\uFF0Fevil.example", "/%E2%88%95%E2%88%95evil.example", "/%E2%80%8B/evil.example",
		"@evil.example", "evil.example", "//good.example@evil.example", "https://good.example@evil.example", "/\\@evil.example",
		"/..//evil.example", "/%2e%2e/%2e%2e/evil", "/%zz", "/" + strings.Repeat("a", 1100), "?next=/", "#/evil", "./evil",
	}
	for _, next := range hostile {
		t.Run(next, func(t *testing.T) {
			if landed := s.signIn(t, s.browser(), next); landed.String() != s.URL+"/" {
				t.Fatalf("next %q landed at %s, want /", next, landed)
			}
		})
	}
	for _, next := range []string{"/settings", "/search?q=a%20b&page=2", "/page#section", "/caf%C3%A9"} {
		if landed := s.signIn(t, s.browser(), next); landed.String() != s.URL+next {
			t.Errorf("next %q landed at %s", next, landed)
		}
	}
	// A repeated next is ignored too.
	if landed := s.browser().Until(t, s.URL+"/oauth/login?next=%2Fa&next=%2Fb", s.landing, nil); landed.Path != "/" {
		t.Errorf("repeated next landed at %v", landed)
	}
}

// Without the OAuth flags both paths answer 404; with them, another
// method is a 405.
func TestOAuthRoutes(t *testing.T) {
	plain := newTestServer(t, Config{})
	for _, path := range []string{"/oauth/login", "/oauth/callback"} {
		for _, m := range []string{"GET", "HEAD", "POST"} {
			if resp := plain.call(m, path, "", nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("unconfigured %s %s = %d, want 404", m, path, resp.StatusCode)
			}
		}
	}
	s := newOAuthServer(t, oauthtest.Start(t), nil)
	if resp := s.call("GET", "/oauth/login", "", nil); resp.StatusCode != http.StatusFound {
		t.Errorf("configured GET /oauth/login = %d, want 302", resp.StatusCode)
	}
	if resp := s.call("POST", "/oauth/callback", "", nil); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /oauth/callback = %d Allow %q, want 405 GET, HEAD", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// flakyTransport fails every request until up is set: a provider that is
// down.
type flakyTransport struct {
	base http.RoundTripper
	up   atomic.Bool
	hits atomic.Int32
}

func (f *flakyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.hits.Add(1)
	if !f.up.Load() {
		return nil, errors.New("connection refused")
	}
	return f.base.RoundTrip(r)
}

// A provider down at start: the server starts, sign-in answers 503 (asking
// the provider at most every 5s), then works once the provider is up.
func TestOAuthProviderDownAtStart(t *testing.T) {
	p := oauthtest.Start(t)
	flaky := &flakyTransport{base: p.HTTPClient().Transport}
	s := newOAuthServer(t, p, func(c *Config) { c.OAuth.HTTPClient = &http.Client{Transport: flaky, Timeout: 5 * time.Second} })
	resp := s.call("GET", "/oauth/login", "", nil)
	var pr struct {
		Code string `json:"code"`
	}
	if resp.StatusCode != http.StatusServiceUnavailable || json.NewDecoder(resp.Body).Decode(&pr) != nil || pr.Code != oauth.CodeProviderUnavailable {
		t.Fatalf("login while the provider is down: %d %+v", resp.StatusCode, pr)
	}
	hits := flaky.hits.Load()
	flaky.up.Store(true)
	if resp := s.call("GET", "/oauth/login", "", nil); resp.StatusCode != http.StatusServiceUnavailable || flaky.hits.Load() != hits {
		t.Fatalf("within the retry interval: %d, %d provider requests (want 503 and none)", resp.StatusCode, flaky.hits.Load()-hits)
	}
	s.clock.Advance(oauthRetry)
	b := s.browser()
	s.signIn(t, b, "/")
	if _, ok := s.me(t, b); !ok {
		t.Fatal("no sign-in once the provider is up")
	}
}

func TestOAuthConfigRefused(t *testing.T) {
	p := oauthtest.Start(t)
	for name, c := range map[string]OAuthConfig{
		"no client id":          {Issuer: p.Issuer, RedirectURL: "https://app.example/oauth/callback"},
		"no redirect":           {Issuer: p.Issuer, ClientID: "app"},
		"no issuer":             {ClientID: "app", ClientSecret: "s", RedirectURL: "https://app.example/oauth/callback"},
		"relative redirect":     {Issuer: p.Issuer, ClientID: "app", RedirectURL: "/oauth/callback"},
		"issuer not as served":  {Issuer: p.Issuer + "/", ClientID: "app", RedirectURL: "https://app.example/oauth/callback", HTTPClient: p.HTTPClient()},
		"plain http redirect":   {Issuer: p.Issuer, ClientID: "app", RedirectURL: "http://app.example/oauth/callback", HTTPClient: p.HTTPClient()},
		"provider not https":    {Issuer: "http://op.example", ClientID: "app", RedirectURL: "https://app.example/oauth/callback"},
		"secret alone, no flow": {ClientSecret: "s"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := Config{DevFastHash: true, Audit: audit.Discard, OAuth: c}
			if a, err := New(cfg); err == nil {
				a.Close()
				t.Fatal("accepted")
			} else if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
}

func TestOAuthFlags(t *testing.T) {
	env := map[string]string{EnvOAuthIssuer: "https://op.example", EnvOAuthClientID: "env-id", EnvOAuthClientSecret: "env-s3cret", EnvOAuthRedirect: "https://app.example/oauth/callback"}
	getenv := func(k string) string { return env[k] }
	cfg, err := ParseFlags("t", []string{"-oauth-client-id", "flag-id"}, io.Discard, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if o := cfg.OAuth; o.Issuer != "https://op.example" || o.ClientID != "flag-id" || o.ClientSecret != "env-s3cret" || o.RedirectURL != env[EnvOAuthRedirect] {
		t.Fatalf("OAuth config %+v", o)
	}
	cfg, err = ParseFlags("t", []string{"-oauth-issuer", "https://a.example", "-oauth-client-id", "i", "-oauth-client-secret", "s", "-oauth-redirect", "https://b.example/oauth/callback"}, io.Discard, func(string) string { return "" })
	if err != nil || cfg.OAuth.Issuer != "https://a.example" || cfg.OAuth.ClientID != "i" || cfg.OAuth.ClientSecret != "s" || cfg.OAuth.RedirectURL != "https://b.example/oauth/callback" {
		t.Fatalf("flags: %+v, %v", cfg.OAuth, err)
	}
	var usage strings.Builder
	ParseFlags("t", []string{"-h"}, &usage, getenv)
	if strings.Contains(usage.String(), "env-s3cret") || !strings.Contains(usage.String(), "-oauth-issuer") {
		t.Errorf("usage:\n%s", usage.String())
	}
}

// Under -insecure-cookies the attempt cookie drops Secure and "__Host-"
// too, as the session cookie does, and the sign-in still works.
func TestOAuthInsecureCookies(t *testing.T) {
	s := newOAuthServer(t, oauthtest.Start(t), func(c *Config) { c.InsecureCookies = true })
	resp := s.call("GET", "/oauth/login", "", nil)
	cs := resp.Cookies()
	if resp.StatusCode != http.StatusFound || len(cs) != 1 || !strings.HasPrefix(cs[0].Name, oauth.InsecureCookiePrefix) || cs[0].Secure || !cs[0].HttpOnly {
		t.Fatalf("login: %d, cookies %q", resp.StatusCode, resp.Header.Values("Set-Cookie"))
	}
	b := s.browser()
	s.signIn(t, b, "/")
	if m, ok := s.me(t, b); !ok || !strings.HasSuffix(m.Sub, ":user-1") {
		t.Fatalf("/me after an insecure-cookie sign-in: %+v", m)
	}
}

// A callback costs the server a token request to the provider, signed with
// its client secret, and a stranger can send as many as he likes: one
// /oauth/login gives him a state and its cookie, which he keeps however
// often the answers clear it. So GET (and HEAD) /oauth/callback are
// limited per client IP, on a bucket of their own ("oauth", -rate-ip per
// minute), and a refused callback reaches neither the provider nor the
// audit log.
func TestOAuthCallbackRateLimited(t *testing.T) {
	p := oauthtest.Start(t)
	const perIP = 3
	s := newOAuthServer(t, p, func(c *Config) { c.RateIP = perIP })
	b := s.browser()
	cb := s.untilCallback(t, b, nil)
	var cookie []string
	for _, c := range b.Cookies(t, s.URL) {
		cookie = append(cookie, c.Name+"="+c.Value)
	}
	q := cb.Query()
	q.Set("code", "forged-"+q.Get("code"))
	target := "/oauth/callback?" + q.Encode()
	before := p.TokenRequests("authorization_code")
	s.audit.Reset()
	var got []int
	for _, method := range []string{"GET", "GET", "HEAD", "GET", "HEAD"} {
		resp := s.call(method, target, "", map[string]string{"Cookie": strings.Join(cookie, "; ")})
		readAll(t, resp)
		got = append(got, resp.StatusCode)
	}
	if want := []int{400, 400, 400, 429, 429}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if n := p.TokenRequests("authorization_code") - before; n != perIP {
		t.Errorf("%d token requests reached the provider, want %d", n, perIP)
	}
	if n := s.audit.Count(audit.OAuthFailed); n != perIP {
		t.Errorf("%d oauth.failed events, want %d", n, perIP)
	}
	// The bucket is the callback's own: the sign-in endpoints' is untouched.
	if resp := s.call("POST", "/login", `{}`, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("/login from the same address: %d, want 400", resp.StatusCode)
	}
	// Another address signs in as usual.
	if u := s.signIn(t, s.browser(), "/"); u.Path != "/" {
		t.Errorf("a sign-in from another address landed on %v", u)
	}
}
