package blackbox

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/oauthtest"
)

// The OAuth scenario: the four servers sign users in at an OpenID provider
// (oauthtest: zitadel/oidc's op in this test process), each started with
// the four -oauth-… flags as an operator would. On memory stores the
// provider speaks plain http on loopback; on Redis it speaks https, and the
// servers trust its certificate through SSL_CERT_FILE, as they would a
// private CA's.

// oauthBrowser follows redirects one hop at a time with a cookie jar per
// host that sends every cookie, Secure ones included — as a browser does
// for http://127.0.0.1, a secure context — and keeps all it saw.
type oauthBrowser struct {
	t      *testing.T
	client *http.Client
	jar    map[string]map[string]string // host → cookie name → value
	seen   strings.Builder
}

func newOAuthBrowser(t *testing.T, p *oauthtest.Provider) *oauthBrowser {
	return &oauthBrowser{t: t, jar: map[string]map[string]string{}, client: &http.Client{
		Transport:     p.HTTPClient().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// get requests u with the jar's cookies for its host and stores the
// answer's.
func (b *oauthBrowser) get(u string) (*http.Response, string) {
	b.t.Helper()
	r, err := http.NewRequest("GET", u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	for name, v := range b.jar[r.URL.Host] {
		r.AddCookie(&http.Cookie{Name: name, Value: v})
	}
	r.Header.Set("User-Agent", "e2e-oauth")
	resp, err := b.client.Do(r)
	if err != nil {
		b.t.Fatalf("GET %s: %v", r.URL.Redacted(), err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if b.jar[r.URL.Host] == nil {
		b.jar[r.URL.Host] = map[string]string{}
	}
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 {
			delete(b.jar[r.URL.Host], c.Name)
		} else {
			b.jar[r.URL.Host][c.Name] = c.Value
		}
	}
	fmt.Fprintf(&b.seen, "%s\n", u)
	resp.Header.Write(&b.seen)
	b.seen.Write(body)
	return resp, string(body)
}

// toServer follows redirects from u until the next request would go to
// the server s (returned, not requested) or an answer is no redirect
// (then nil).
func (b *oauthBrowser) toServer(u string, s *Server) *url.URL {
	b.t.Helper()
	for range 10 {
		resp, _ := b.get(u)
		if resp.StatusCode < 300 || resp.StatusCode > 399 {
			return nil
		}
		next, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
		if err != nil {
			b.t.Fatal(err)
		}
		if next.Scheme+"://"+next.Host == s.URL {
			return next
		}
		u = next.String()
	}
	b.t.Fatal("more than 10 redirects")
	return nil
}

// oauthRun drives one server through the OAuth scenario.
type oauthRun struct {
	*run
	p *oauthtest.Provider
}

var (
	volatileParam = regexp.MustCompile(`((?:state|nonce|code_challenge|code)=)[^&\s]+`)
	attemptName   = regexp.MustCompile(`(__Host-oauth-)[A-Za-z0-9_-]+=[^;]*`)
	sessionValue  = regexp.MustCompile(`(__Host-session=)[^;]+`)
	localPort     = regexp.MustCompile(`127\.0\.0\.1(:|%3A)[0-9]+`)
)

// hop sends one request of the flow from b to the server, checks the
// security headers and records the answer with the volatile parts
// replaced.
func (r *oauthRun) hop(step string, b *oauthBrowser, u string) (*http.Response, string) {
	r.t.Helper()
	resp, body := b.get(u)
	checkSecurityHeaders(r.t, r.s.Name+" "+step, resp.Header)
	cookies := resp.Header.Values("Set-Cookie")
	slices.Sort(cookies)
	loc := resp.Header.Get("Location")
	if strings.HasPrefix(loc, r.p.Issuer) {
		loc = "<provider>" + strings.TrimPrefix(loc, r.p.Issuer)
	}
	line := fmt.Sprintf("%-30s -> %d ct=%q cache=%q loc=%s cookies=%q %s", step, resp.StatusCode, resp.Header.Get("Content-Type"),
		resp.Header.Get("Cache-Control"), loc, strings.Join(cookies, " | "), normalize(body))
	for _, re := range []*regexp.Regexp{volatileParam, attemptName, sessionValue} {
		line = re.ReplaceAllString(line, "$1<v>")
	}
	r.note(localPort.ReplaceAllString(line, "<addr>"))
	return resp, body
}

// callback runs a sign-in in b up to the provider's redirect back.
func (r *oauthRun) callback(step string, b *oauthBrowser, next string) *url.URL {
	r.t.Helper()
	resp, _ := r.hop(step+": login", b, r.s.URL+"/oauth/login?next="+url.QueryEscape(next))
	if resp.StatusCode != http.StatusFound {
		r.t.Fatalf("%s: %s: login answered %d", r.s.Name, step, resp.StatusCode)
	}
	r.checkAuthRequest(step, resp.Header.Get("Location"))
	cb := b.toServer(resp.Header.Get("Location"), r.s)
	if cb == nil || cb.Path != "/oauth/callback" {
		r.t.Fatalf("%s: %s: the provider did not send the browser back: %v", r.s.Name, step, cb)
	}
	return cb
}

// pkceChallenge is an S256 code challenge: base64url of 32 bytes.
var pkceChallenge = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// checkAuthRequest checks the authorization request /oauth/login
// redirects to: the provider's endpoint, the authorization code flow with
// PKCE S256, a state and a nonce, for this client and its redirect URI.
func (r *oauthRun) checkAuthRequest(step, location string) {
	r.t.Helper()
	u, err := url.Parse(location)
	if err != nil || !strings.HasPrefix(location, r.p.Issuer) {
		r.t.Fatalf("%s: %s: login redirected to %q, want the provider %s", r.s.Name, step, location, r.p.Issuer)
	}
	q := u.Query()
	if q.Get("response_type") != "code" || q.Get("client_id") != "authkit-e2e" || q.Get("redirect_uri") != r.s.URL+"/oauth/callback" ||
		q.Get("code_challenge_method") != "S256" || !pkceChallenge.MatchString(q.Get("code_challenge")) ||
		len(q.Get("state")) < 16 || len(q.Get("nonce")) < 16 || !slices.Contains(strings.Fields(q.Get("scope")), "openid") {
		r.t.Errorf("%s: %s: the authorization request %s, want code, PKCE S256, state, nonce, openid, this client and redirect URI", r.s.Name, step, location)
	}
}

func (r *oauthRun) refused(step string, b *oauthBrowser, u, code string) {
	r.t.Helper()
	resp, body := r.hop(step, b, u)
	var pr struct {
		Code string `json:"code"`
	}
	if resp.StatusCode != 400 || json.Unmarshal([]byte(body), &pr) != nil || pr.Code != code {
		r.t.Errorf("%s: %s: %d %s, want 400 with code %s", r.s.Name, step, resp.StatusCode, body, code)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-session" {
			r.t.Errorf("%s: %s: a refused callback set the session cookie", r.s.Name, step)
		}
	}
}

func (r *oauthRun) hostOf() string { return strings.TrimPrefix(r.s.URL, "http://") }

func edit(u *url.URL, f func(url.Values)) string {
	v := *u
	q := v.Query()
	f(q)
	v.RawQuery = q.Encode()
	return v.String()
}

// oauthScenario is the OAuth sign-in on one server, its transcript
// returned.
func oauthScenario(t *testing.T, s *Server, p *oauthtest.Provider) []string {
	r := &oauthRun{run: &run{t: t, s: s}, p: p}

	// A local account named like the provider user's email is never linked.
	r.expect("register alice@", r.do("register alice@", req{method: "POST", path: "/register", body: creds("alice@example.com", goodPass)}), 201)

	// The sign-in: login → provider → callback → a clean redirect to next.
	b := newOAuthBrowser(t, p)
	cb := r.callback("sign in", b, "/me")
	resp, _ := r.hop("sign in: callback", b, cb.String())
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/me" {
		t.Fatalf("%s: callback answered %d to %q, want 302 to /me", s.Name, resp.StatusCode, resp.Header.Get("Location"))
	}
	sess := b.jar[r.hostOf()]["__Host-session"]
	if sess == "" {
		t.Fatalf("%s: no session cookie after the callback", s.Name)
	}
	_, body := r.hop("sign in: /me", b, s.URL+"/me")
	var m struct {
		Sub string   `json:"sub"`
		AMR []string `json:"amr"`
		Via string   `json:"via"`
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil || !strings.HasPrefix(m.Sub, "oidc:") || !strings.HasSuffix(m.Sub, ":user-1") ||
		!slices.Equal(m.AMR, []string{"pwd", "otp"}) || m.Via != "session" {
		t.Fatalf("%s: /me = %s, want the provider's user and amr by session", s.Name, body)
	}

	// Replayed: the attempt is gone.
	r.refused("replayed callback", b, cb.String(), "state_mismatch")
	// The local account stays its own.
	r.whoami("alice@ by password", req{bearer: func() string {
		a := r.do("login alice@", req{method: "POST", path: "/login", body: creds("alice@example.com", goodPass)})
		var pr pair
		a.json(t, &pr)
		return pr.AccessToken
	}()}, "alice@example.com", "token")

	// A second browser, the same provider user: the same linked account,
	// another session.
	b2 := newOAuthBrowser(t, p)
	r.hop("again: callback", b2, r.callback("again", b2, "/").String())
	if s2 := b2.jar[r.hostOf()]["__Host-session"]; s2 == "" || s2 == sess {
		t.Errorf("%s: second sign-in session %q", s.Name, s2)
	}
	if _, body := r.hop("again: /me", b2, s.URL+"/me"); !strings.Contains(body, `"sub":"`+m.Sub+`"`) {
		t.Errorf("%s: second sign-in /me = %s, want sub %s", s.Name, body, m.Sub)
	}

	// Attacks, each in a fresh browser.
	flip := func(v string) string { return strings.Repeat("A", len(v)) }
	for _, a := range []struct {
		name string
		url  func(cb *url.URL) string
		code string
	}{
		{"state removed", func(cb *url.URL) string { return edit(cb, func(q url.Values) { q.Del("state") }) }, "state_missing"},
		{"state changed", func(cb *url.URL) string { return edit(cb, func(q url.Values) { q.Set("state", flip(q.Get("state"))) }) }, "state_mismatch"},
		{"code removed", func(cb *url.URL) string { return edit(cb, func(q url.Values) { q.Del("code") }) }, "code_missing"},
		{"code forged", func(cb *url.URL) string { return edit(cb, func(q url.Values) { q.Set("code", "forged") }) }, "invalid_grant"},
		{"provider error", func(cb *url.URL) string {
			return edit(cb, func(q url.Values) { q.Del("code"); q.Set("error", "access_denied") })
		}, "provider_error"},
		{"mix-up iss", func(cb *url.URL) string { return edit(cb, func(q url.Values) { q.Set("iss", "https://evil.example") }) }, "iss_mismatch"},
	} {
		ab := newOAuthBrowser(t, p)
		r.refused("attack: "+a.name, ab, a.url(r.callback("attack: "+a.name, ab, "/")), a.code)
		if resp, _ := r.hop("attack: "+a.name+": /me", ab, s.URL+"/me"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: after %s: /me %d, want 401", s.Name, a.name, resp.StatusCode)
		}
	}
	// Login CSRF: the attacker's callback in the victim's browser.
	attacker := newOAuthBrowser(t, p)
	r.refused("attack: another browser's callback", newOAuthBrowser(t, p), r.callback("attacker", attacker, "/").String(), "state_mismatch")

	// A hostile next ends at "/" (or the login refuses it with 400), each
	// form REFERENCE-API.md names; a path on this server is kept.
	hb := newOAuthBrowser(t, p)
	for _, next := range []string{
		"//evil.example/x", "/\\evil.example/x", "/a\\b", "https://evil.example/", "javascript:alert(1)",
		"evil.example/x", "%2F%2Fevil.example", "%2f/evil.example", "%5C%5Cevil.example", "/%2F/evil.example",
		"/%5Cevil.example", "/%252F%252Fevil.example", "/a\tb", "/a\r\nSet-Cookie: x=1", "/a\x00b", "",
	} {
		resp, _ := r.hop("hostile next: login", hb, s.URL+"/oauth/login?next="+url.QueryEscape(next))
		if resp.StatusCode == http.StatusBadRequest {
			continue // refused outright: as good as ignored
		}
		cb := hb.toServer(resp.Header.Get("Location"), s)
		if cb == nil {
			t.Fatalf("%s: next %q: the provider did not send the browser back", s.Name, next)
		}
		if resp, _ := r.hop("hostile next: callback", hb, cb.String()); resp.Header.Get("Location") != "/" {
			t.Errorf("%s: next %q redirected to %q, want /", s.Name, next, resp.Header.Get("Location"))
		}
	}
	for _, next := range []string{"/sessions", "/a/b?x=1&y=%2F"} {
		if resp, _ := r.hop("next kept: callback", hb, r.callback("next kept", hb, next).String()); resp.Header.Get("Location") != next {
			t.Errorf("%s: next %q redirected to %q", s.Name, next, resp.Header.Get("Location"))
		}
	}

	// No provider token reached a browser or the server's log.
	seen := b.seen.String() + b2.seen.String() + hb.seen.String() + s.Logs()
	for _, tok := range p.IssuedTokens() {
		if strings.Contains(seen, tok) {
			t.Errorf("%s: a provider token reached a browser or the log: %.16s…", s.Name, tok)
		}
	}
	return r.lines
}

// freeAddr returns a loopback address with a port that was free a moment
// ago: the redirect URI names the server's address before it starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// trustFile writes the provider's certificate as PEM for SSL_CERT_FILE.
func trustFile(t *testing.T, p *oauthtest.Provider) string {
	t.Helper()
	cert := p.Certificate()
	path := filepath.Join(t.TempDir(), "provider.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestOAuthScenario signs in at a provider through the four servers, on
// memory stores and on Redis, and compares their transcripts.
func TestOAuthScenario(t *testing.T) {
	providers := map[string]*oauthtest.Provider{"memory": oauthtest.Start(t, oauthtest.WithPlainHTTP()), "redis": oauthtest.Start(t)}
	addrs := map[string]string{} // store+fw → the server's address
	trust := trustFile(t, providers["redis"])
	for store, p := range providers {
		p.AddUser(oauthtest.User{Subject: "user-1", Email: "alice@example.com", EmailVerified: true, AMR: []string{"pwd", "otp"}})
		var redirects []string
		for _, fw := range Frameworks {
			addrs[store+fw] = freeAddr(t)
			redirects = append(redirects, "http://"+addrs[store+fw]+"/oauth/callback")
		}
		p.AddClient(oauthtest.Client{ID: "authkit-e2e", Secret: "e2e-s3cret-value", RedirectURIs: redirects})
	}
	onEveryServerWith(t, func(store, fw string) (env, flags []string) {
		// The secret from the environment, the rest as flags.
		env = []string{"OAUTH_CLIENT_SECRET=e2e-s3cret-value"}
		if store == "redis" {
			env = append(env, "SSL_CERT_FILE="+trust)
		}
		return env, []string{"-dev-fast-hash", "-addr", addrs[store+fw], "-oauth-issuer", providers[store].Issuer,
			"-oauth-client-id", "authkit-e2e", "-oauth-redirect", "http://" + addrs[store+fw] + "/oauth/callback"}
	}, func(t *testing.T, store string, s *Server) []string {
		lines := oauthScenario(t, s, providers[store])
		if strings.Contains(s.Logs(), "e2e-s3cret-value") {
			t.Errorf("%s logged the client secret", s.Name)
		}
		return lines
	})
}

// Without the OAuth flags both paths answer 404 on every server.
func TestOAuthUnconfigured(t *testing.T) {
	for _, fw := range Frameworks {
		t.Run(fw, func(t *testing.T) {
			t.Parallel()
			s := start(t, fw, memoryEnv, "-dev-fast-hash")
			for _, path := range []string{"/oauth/login", "/oauth/callback?code=c&state=s"} {
				a := s.get(t, path)
				if a.Status != 404 || !strings.Contains(a.Body, "urn:authkit:problem:not-found") {
					t.Errorf("%s: %d %s, want 404", path, a.Status, a.Body)
				}
				checkSecurityHeaders(t, path, a.Header)
			}
		})
	}
}

// oauthClients registers the client id at p with a redirect URI for each
// framework's server, on an address of its own, and returns the
// addresses.
func oauthClients(t *testing.T, p *oauthtest.Provider, id string) map[string]string {
	t.Helper()
	addrs := map[string]string{}
	var redirects []string
	for _, fw := range Frameworks {
		addrs[fw] = freeAddr(t)
		redirects = append(redirects, "http://"+addrs[fw]+"/oauth/callback")
	}
	p.AddClient(oauthtest.Client{ID: id, Secret: id + "-s3cret", RedirectURIs: redirects})
	return addrs
}

// startOAuthByEnv starts fw on addr, a client id of p's configured by
// OAUTH_ISSUER, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET and OAUTH_REDIRECT_URL
// alone.
func startOAuthByEnv(t *testing.T, p *oauthtest.Provider, fw, addr, id string) *Server {
	t.Helper()
	return start(t, fw, append(slices.Clone(memoryEnv), "OAUTH_ISSUER="+p.Issuer, "OAUTH_CLIENT_ID="+id,
		"OAUTH_CLIENT_SECRET="+id+"-s3cret", "OAUTH_REDIRECT_URL=http://"+addr+"/oauth/callback"), "-dev-fast-hash", "-addr", addr)
}

// TestOAuthFromEnvironment: the four OAuth settings read from
// OAUTH_ISSUER, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET and
// OAUTH_REDIRECT_URL, without flags: /oauth/login sends the browser to
// that provider for that client and redirect URI.
func TestOAuthFromEnvironment(t *testing.T) {
	p := oauthtest.Start(t, oauthtest.WithPlainHTTP())
	addrs := oauthClients(t, p, "authkit-env")
	for _, fw := range Frameworks {
		t.Run(fw, func(t *testing.T) {
			t.Parallel()
			s := startOAuthByEnv(t, p, fw, addrs[fw], "authkit-env")
			redirect := "http://" + addrs[fw] + "/oauth/callback"
			b := newOAuthBrowser(t, p)
			resp, _ := b.get(s.URL + "/oauth/login")
			u, err := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(u.String(), p.Issuer) ||
				u.Query().Get("client_id") != "authkit-env" || u.Query().Get("redirect_uri") != redirect {
				t.Errorf("/oauth/login: %d to %q, want 302 to %s for client authkit-env and %s", resp.StatusCode, u, p.Issuer, redirect)
			}
			checkSecurityHeaders(t, "/oauth/login", resp.Header)
			if strings.Contains(s.Logs(), "authkit-env-s3cret") {
				t.Error("the client secret reached the log")
			}
		})
	}
}

// TestOAuthIDTokenInvalid: an ID token signed with a key the provider's
// JWKS does not hold is refused at the callback: 400 with the code
// id_token_invalid, and no session.
func TestOAuthIDTokenInvalid(t *testing.T) {
	p := oauthtest.Start(t, oauthtest.WithPlainHTTP(), oauthtest.WithForeignJWKS())
	p.AddUser(oauthtest.User{Subject: "user-1", Email: "alice@example.com", EmailVerified: true})
	addrs := oauthClients(t, p, "authkit-e2e")
	for _, fw := range Frameworks {
		t.Run(fw, func(t *testing.T) {
			t.Parallel()
			s := startOAuthByEnv(t, p, fw, addrs[fw], "authkit-e2e")
			r := &oauthRun{run: &run{t: t, s: s}, p: p}
			b := newOAuthBrowser(t, p)
			r.refused("foreign key", b, r.callback("foreign key", b, "/").String(), "id_token_invalid")
		})
	}
}
