package oauthtest_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/oauth"
	"github.com/authkit-go/authkit/oauthtest"
)

// newClock returns the relying party's clock: the wall clock (the
// provider signs with it), moved ahead by Advance.
func newClock() *authtest.WallClock { return new(authtest.WallClock) }

// app is a relying party wired to core/oauth by hand, as an adapter would:
// GET /login begins, GET /callback completes and redirects to next.
type app struct {
	URL      string
	Redirect string
	Client   *oauth.Client
	Provider *oauth.Provider

	mu   sync.Mutex
	last *oauth.Result
}

type appConfig struct {
	client   oauthtest.Client      // ID, Secret and hostile knobs; RedirectURIs filled in
	provider func(*oauth.Provider) // edits the discovered provider
	opts     []oauth.Option
}

func newApp(t *testing.T, p *oauthtest.Provider, cfg appConfig) *app {
	t.Helper()
	a := &app{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(a.serve))
	a.URL = "https://" + srv.Listener.Addr().String()
	a.Redirect = a.URL + "/callback"
	c := cfg.client
	if c.ID == "" {
		c.ID, c.Secret = "app", "app-secret"
	}
	c.RedirectURIs = []string{a.Redirect}
	p.AddClient(c)

	ctx := context.Background()
	prov, err := oauth.Discover(ctx, p.Issuer, oauth.WithHTTPClient(p.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.provider != nil {
		cfg.provider(prov)
	}
	a.Provider = prov
	key := make([]byte, 32)
	rand.Read(key)
	opts := append([]oauth.Option{oauth.WithHTTPClient(p.HTTPClient())}, cfg.opts...)
	if c.Secret != "" {
		opts = append(opts, oauth.WithClientSecret(c.Secret))
	}
	a.Client, err = oauth.NewClient(prov, c.ID, []string{a.Redirect}, key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return a
}

// problem is the app's failure body.
type problem struct {
	Code         string `json:"code"`
	ProviderCode string `json:"provider_code"`
}

func (a *app) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/login":
		authURL, set, err := a.Client.Begin(r.Context(), r.URL.Query().Get("next"), r.Cookies())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for _, c := range set {
			http.SetCookie(w, c)
		}
		http.Redirect(w, r, authURL, http.StatusFound)
	case "/callback":
		res, clear, err := a.Client.Complete(r.Context(), r.URL.RawQuery, oauth.RequestCookies(r))
		if clear != nil {
			http.SetCookie(w, clear)
		}
		var oe *oauth.Error
		if errors.As(err, &oe) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(oe.Status())
			json.NewEncoder(w).Encode(problem{Code: oe.Code, ProviderCode: oe.ProviderCode})
			return
		}
		if err != nil {
			http.Error(w, "unexpected", http.StatusInternalServerError)
			return
		}
		a.mu.Lock()
		a.last = res
		a.mu.Unlock()
		http.Redirect(w, r, res.Next, http.StatusFound)
	default:
		w.Write([]byte("landed on " + r.URL.Path))
	}
}

func (a *app) result() *oauth.Result {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.last
	a.last = nil
	return r
}

// isCallback reports whether u is the app's callback.
func (a *app) isCallback(u *url.URL) bool { return u.Scheme+"://"+u.Host+u.Path == a.Redirect }

// signIn runs the whole flow in b and returns the final answer.
func (a *app) signIn(t *testing.T, b *oauthtest.Browser, next string) *oauthtest.Response {
	t.Helper()
	return b.Follow(t, a.URL+"/login?next="+url.QueryEscape(next), nil)
}

// untilCallback runs the flow in b up to the provider's redirect back and
// returns the callback URL without requesting it.
func (a *app) untilCallback(t *testing.T, b *oauthtest.Browser, next string, tamper func(*url.URL) *url.URL) *url.URL {
	t.Helper()
	return b.Until(t, a.URL+"/login?next="+url.QueryEscape(next), a.isCallback, tamper)
}

func wantProblem(t *testing.T, resp *oauthtest.Response, status int, code string) problem {
	t.Helper()
	var p problem
	if resp == nil || resp.StatusCode != status || json.Unmarshal(resp.Body, &p) != nil || p.Code != code {
		t.Fatalf("answer %v %s; want %d with code %s", status, bodyOf(resp), status, code)
	}
	return p
}

func bodyOf(r *oauthtest.Response) string {
	if r == nil {
		return "<none>"
	}
	return r.Status + " " + string(r.Body)
}

func attemptCookies(b *oauthtest.Browser, t *testing.T, a *app) int {
	n := 0
	for _, c := range b.Cookies(t, a.URL) {
		if strings.HasPrefix(c.Name, oauth.CookiePrefix) {
			n++
		}
	}
	return n
}

func TestSignIn(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA} {
		t.Run(string(alg), func(t *testing.T) {
			p := oauthtest.Start(t, oauthtest.WithAlgorithm(alg))
			a := newApp(t, p, appConfig{opts: []oauth.Option{oauth.WithScopes("email")}})
			b := oauthtest.NewBrowser(p.HTTPClient())
			resp := a.signIn(t, b, "/dashboard?tab=1")
			if resp.StatusCode != 200 || string(resp.Body) != "landed on /dashboard" || resp.Request.URL.RawQuery != "tab=1" {
				t.Fatalf("final answer %s at %s", bodyOf(resp), resp.Request.URL)
			}
			res := a.result()
			if res == nil || res.Issuer != p.Issuer || res.Subject != "user-1" || strings.Join(res.AMR, ",") != "pwd" || res.Next != "/dashboard?tab=1" {
				t.Fatalf("result %+v", res)
			}
			var extra struct {
				Email string `json:"email"`
				Nonce string `json:"nonce"`
			}
			if err := res.Claims.DecodeExtra(&extra); err != nil || extra.Email != "alice@example.com" || extra.Nonce == "" {
				t.Errorf("ID token claims %s (%v)", res.Claims.Raw, err)
			}
			if res.Tokens.AccessToken == "" || res.Tokens.IDToken == "" || res.Tokens.TokenType != "Bearer" || res.Tokens.Expiry.IsZero() {
				t.Errorf("tokens %s", res.Tokens)
			}
			// What crossed the browser: S256 only, and no token anywhere.
			authz := b.Hops[1].Query()
			if authz.Get("code_challenge_method") != "S256" || len(authz.Get("code_challenge")) != 43 || authz.Get("nonce") == "" {
				t.Errorf("authorization request %v", authz)
			}
			for _, h := range b.Hops {
				for _, secret := range []string{res.Tokens.AccessToken, res.Tokens.IDToken} {
					if strings.Contains(h.String(), secret) {
						t.Errorf("a token appeared in a URL: %s", h.Redacted())
					}
				}
			}
			if n := attemptCookies(b, t, a); n != 0 {
				t.Errorf("%d attempt cookies left after sign-in", n)
			}
		})
	}
}

func TestSignInUserinfo(t *testing.T) {
	p := oauthtest.Start(t)
	a := newApp(t, p, appConfig{opts: []oauth.Option{oauth.WithScopes("email", "profile"), oauth.WithUserinfo()}})
	b := oauthtest.NewBrowser(p.HTTPClient())
	if resp := a.signIn(t, b, "/"); resp.StatusCode != 200 {
		t.Fatal(bodyOf(resp))
	}
	res := a.result()
	var info map[string]any
	if err := json.Unmarshal(res.UserInfo, &info); err != nil || info["sub"] != "user-1" || info["email"] != "alice@example.com" || info["name"] != "Alice" {
		t.Fatalf("userinfo %s (%v)", res.UserInfo, err)
	}
}

// The provider's keys are fetched once for many sign-ins (core/token's
// remote JWKS cache), also when they run at the same time.
func TestSignInFetchesKeysOnce(t *testing.T) {
	p := oauthtest.Start(t, oauthtest.WithAlgorithm(jose.EdDSA))
	a := newApp(t, p, appConfig{})
	t.Run("sign-ins", func(t *testing.T) {
		for i := range 8 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				b := oauthtest.NewBrowser(p.HTTPClient())
				if resp := a.signIn(t, b, "/"); resp.StatusCode != 200 {
					t.Fatalf("sign-in: %s", bodyOf(resp))
				}
			})
		}
	})
	if n := p.Requests("/keys"); n != 1 {
		t.Fatalf("%d JWKS fetches for 8 sign-ins, want 1", n)
	}
}

// Two tabs start a sign-in each; both finish, in the opposite order.
func TestSignInParallelTabs(t *testing.T) {
	p := oauthtest.Start(t)
	a := newApp(t, p, appConfig{})
	b := oauthtest.NewBrowser(p.HTTPClient())
	first := a.untilCallback(t, b, "/first", nil)
	second := a.untilCallback(t, b, "/second", nil)
	if n := attemptCookies(b, t, a); n != 2 {
		t.Fatalf("%d attempt cookies, want 2", n)
	}
	for _, tc := range []struct {
		cb   *url.URL
		want string
	}{{second, "/second"}, {first, "/first"}} {
		resp := b.Follow(t, tc.cb.String(), nil)
		if resp.StatusCode != 200 || resp.Request.URL.Path != tc.want {
			t.Fatalf("tab %s: %s", tc.want, bodyOf(resp))
		}
		if res := a.result(); res == nil || res.Next != tc.want {
			t.Fatalf("tab %s: result %+v", tc.want, res)
		}
	}
	if n := attemptCookies(b, t, a); n != 0 {
		t.Errorf("%d attempt cookies left", n)
	}
}

// Fifty logins in a row in one browser (reloads, or a hostile page
// sending it to the login again and again) leave at most
// oauth.MaxAttempts attempt cookies, so its Cookie header stays far below
// the servers' limits; the newest attempts still sign in at the real
// provider, the oldest were cleared and are refused.
func TestSignInCapsAttempts(t *testing.T) {
	p := oauthtest.Start(t)
	a := newApp(t, p, appConfig{})
	b := oauthtest.NewBrowser(p.HTTPClient())
	var callbacks []*url.URL
	for i := range 50 {
		callbacks = append(callbacks, a.untilCallback(t, b, fmt.Sprintf("/tab%d", i), nil))
		if n := attemptCookies(b, t, a); n > oauth.MaxAttempts {
			t.Fatalf("after %d logins: %d attempt cookies, want at most %d", i+1, n, oauth.MaxAttempts)
		}
	}
	if n := attemptCookies(b, t, a); n != oauth.MaxAttempts {
		t.Fatalf("%d attempt cookies after 50 logins, want %d", n, oauth.MaxAttempts)
	}
	oldest := callbacks[len(callbacks)-oauth.MaxAttempts-1]
	wantProblem(t, b.Follow(t, oldest.String(), nil), http.StatusBadRequest, oauth.CodeStateMismatch)
	for i := len(callbacks) - 1; i >= len(callbacks)-oauth.MaxAttempts; i-- {
		want := fmt.Sprintf("/tab%d", i)
		if resp := b.Follow(t, callbacks[i].String(), nil); resp.StatusCode != 200 || resp.Request.URL.Path != want {
			t.Fatalf("attempt %d: %s", i+1, bodyOf(resp))
		}
		if res := a.result(); res == nil || res.Next != want {
			t.Fatalf("attempt %d: result %+v", i+1, res)
		}
	}
	if n := attemptCookies(b, t, a); n != 0 {
		t.Errorf("%d attempt cookies left", n)
	}
}

// The provider itself refuses a code redeemed with the wrong verifier (or
// none), and the right one still works after that.
func TestProviderRefusesWrongVerifier(t *testing.T) {
	p := oauthtest.Start(t)
	a := newApp(t, p, appConfig{})
	b := oauthtest.NewBrowser(p.HTTPClient())
	cb := a.untilCallback(t, b, "/", nil)
	code := cb.Query().Get("code")

	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, p.HTTPClient())
	conf := oauth2.Config{
		ClientID: "app", ClientSecret: "app-secret", RedirectURL: a.Redirect,
		Endpoint: oauth2.Endpoint{AuthURL: a.Provider.AuthorizationEndpoint, TokenURL: a.Provider.TokenEndpoint, AuthStyle: oauth2.AuthStyleInHeader},
	}
	for _, opts := range [][]oauth2.AuthCodeOption{{oauth2.VerifierOption(oauth2.GenerateVerifier())}, nil} {
		_, err := conf.Exchange(ctx, code, opts...)
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || (re.ErrorCode != "invalid_grant" && re.ErrorCode != "invalid_request") {
			t.Fatalf("exchange with a wrong or no verifier: %v", err)
		}
	}
	resp := b.Follow(t, cb.String(), nil)
	if resp.StatusCode != 200 || a.result() == nil {
		t.Fatalf("the right verifier after the wrong ones: %s", bodyOf(resp))
	}
}

func TestRefresh(t *testing.T) {
	p := oauthtest.Start(t, oauthtest.WithAlgorithm(jose.ES256))
	a := newApp(t, p, appConfig{opts: []oauth.Option{oauth.WithScopes("offline_access")}})
	b := oauthtest.NewBrowser(p.HTTPClient())
	if resp := a.signIn(t, b, "/"); resp.StatusCode != 200 {
		t.Fatal(bodyOf(resp))
	}
	res := a.result()
	if res.Tokens.RefreshToken == "" {
		t.Fatalf("no refresh token: %s", res.Tokens)
	}
	ctx := context.Background()
	fresh, err := a.Client.Refresh(ctx, res.Tokens.RefreshToken, res.Subject)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.AccessToken == "" || fresh.AccessToken == res.Tokens.AccessToken || fresh.RefreshToken == "" || fresh.RefreshToken == res.Tokens.RefreshToken {
		t.Fatalf("refreshed %s from %s", fresh, res.Tokens)
	}
	if p.TokenRequests("refresh_token") != 1 {
		t.Errorf("%d refresh requests", p.TokenRequests("refresh_token"))
	}
	// The provider rotates refresh tokens: the old one is dead.
	if _, err := a.Client.Refresh(ctx, res.Tokens.RefreshToken, res.Subject); !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Fatalf("old refresh token: %v, want invalid_grant", err)
	}
	// A refreshed ID token must name the same user.
	if _, err := a.Client.Refresh(ctx, fresh.RefreshToken, "someone-else"); !errors.Is(err, oauth.ErrIDTokenInvalid) {
		t.Fatalf("refresh for another subject: %v, want id_token_invalid", err)
	}
	if _, err := a.Client.Refresh(ctx, "not-a-refresh-token", res.Subject); !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Fatalf("made-up refresh token: %v", err)
	}
}

// A plain http provider on loopback works (tests, local development).
func TestPlainHTTPOnLoopback(t *testing.T) {
	p := oauthtest.Start(t, oauthtest.WithPlainHTTP())
	if !strings.HasPrefix(p.Issuer, "http://127.0.0.1:") {
		t.Fatalf("issuer %s", p.Issuer)
	}
	a := newApp(t, p, appConfig{})
	b := oauthtest.NewBrowser(p.HTTPClient())
	if resp := a.signIn(t, b, "/"); resp.StatusCode != 200 || a.result() == nil {
		t.Fatal(bodyOf(resp))
	}
}

// A provider configured by hand as plain OAuth 2.0 (no JWKS): no nonce, no
// ID token check, no subject; PKCE all the same.
func TestPlainOAuthProvider(t *testing.T) {
	p := oauthtest.Start(t)
	a := newApp(t, p, appConfig{
		provider: func(pr *oauth.Provider) { pr.JWKSURI, pr.CodeChallengeMethods = "", nil },
		opts:     []oauth.Option{oauth.WithScopes("profile")},
	})
	b := oauthtest.NewBrowser(p.HTTPClient())
	resp := a.signIn(t, b, "/")
	if resp.StatusCode != 200 {
		t.Fatal(bodyOf(resp))
	}
	res := a.result()
	if res.Subject != "" || res.Claims != nil || res.Tokens.AccessToken == "" || b.Hops[1].Query().Has("nonce") ||
		b.Hops[1].Query().Get("code_challenge_method") != "S256" {
		t.Fatalf("result %+v, authorization request %v", res, b.Hops[1].Query())
	}
}

func TestDiscoveryOfTheRealProvider(t *testing.T) {
	p := oauthtest.Start(t, oauthtest.WithIssParameter())
	prov, err := oauth.Discover(context.Background(), p.Issuer, oauth.WithHTTPClient(p.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	if prov.Issuer != p.Issuer || !prov.IssParameter || prov.UserinfoEndpoint == "" || !bytes.Contains([]byte(strings.Join(prov.CodeChallengeMethods, " ")), []byte("S256")) {
		t.Fatalf("discovered %+v", prov)
	}
	if _, err := oauth.Discover(context.Background(), p.Issuer+"/", oauth.WithHTTPClient(p.HTTPClient())); !errors.Is(err, oauth.ErrInvalidConfig) {
		t.Fatalf("issuer with a trailing slash: %v", err)
	}
}

// A provider's second factor counts for a step-up only with its time: with
// auth_time the principal's MFAAt is that time; without it the sign-in is
// the callback's and the factor's time is unknown (zero), so MFAWithin
// wants a fresh step-up (ASVS 6.8.4).
func TestSignInAuthTime(t *testing.T) {
	p := oauthtest.Start(t)
	p.AddUser(oauthtest.User{Subject: "with-time", AMR: []string{"pwd", "mfa"}})
	p.AddUser(oauthtest.User{Subject: "without-time", AMR: []string{"pwd", "mfa"}, OmitAuthTime: true})
	clock := newClock()
	clock.Advance(3 * time.Minute)
	a := newApp(t, p, appConfig{opts: []oauth.Option{oauth.WithClock(clock.Now)}})
	for _, tc := range []struct {
		user     string
		withTime bool
	}{{"with-time", true}, {"without-time", false}} {
		t.Run(tc.user, func(t *testing.T) {
			p.SignInAs(tc.user)
			before := time.Now()
			if resp := a.signIn(t, oauthtest.NewBrowser(p.HTTPClient()), "/"); resp.StatusCode != 200 {
				t.Fatal(bodyOf(resp))
			}
			res := a.result()
			pr := res.Principal()
			if !pr.HasMFA() {
				t.Fatalf("principal %+v: the provider's mfa is gone", pr)
			}
			if !tc.withTime {
				if !res.AuthTime.IsZero() || !res.Claims.AuthTime.IsZero() || !pr.MFAAt.IsZero() ||
					pr.AuthTime.Before(clock.Now().Add(-time.Minute)) || pr.AuthTime.After(clock.Now()) {
					t.Fatalf("without auth_time: result %v, principal AuthTime %v MFAAt %v; want the callback's time (on the client's clock) and no MFA time", res.AuthTime, pr.AuthTime, pr.MFAAt)
				}
				return
			}
			if res.AuthTime.Before(before.Truncate(time.Second)) || !pr.AuthTime.Equal(res.AuthTime) || !pr.MFAAt.Equal(res.AuthTime) {
				t.Fatalf("with auth_time: result %v, principal AuthTime %v MFAAt %v", res.AuthTime, pr.AuthTime, pr.MFAAt)
			}
		})
	}
}

// The provider reports a user's amr as configured, and lists every token
// it handed out (for the leak checks of the tests that use it).
func TestProviderReportsAMRAndIssuedTokens(t *testing.T) {
	p := oauthtest.Start(t)
	p.AddUser(oauthtest.User{Subject: "user-2", AMR: []string{"pwd", "hwk"}})
	p.SignInAs("user-2")
	a := newApp(t, p, appConfig{opts: []oauth.Option{oauth.WithScopes("offline_access")}})
	if resp := a.signIn(t, oauthtest.NewBrowser(p.HTTPClient()), "/"); resp.StatusCode != 200 {
		t.Fatal(bodyOf(resp))
	}
	res := a.result()
	if res.Subject != "user-2" || strings.Join(res.AMR, ",") != "pwd,hwk" {
		t.Fatalf("result %+v", res)
	}
	issued := strings.Join(p.IssuedTokens(), " ")
	for _, tok := range []string{res.Tokens.AccessToken, res.Tokens.RefreshToken, res.Tokens.IDToken} {
		if tok == "" || !strings.Contains(issued, tok) {
			t.Errorf("token %.12s… not among the issued ones", tok)
		}
	}
}
