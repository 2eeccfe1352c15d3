package oauthtest_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/oauth"
	"github.com/authkit-go/authkit/oauthtest"
)

// withQuery returns u with its query edited by f.
func withQuery(u *url.URL, f func(q url.Values)) *url.URL {
	v := *u
	q := v.Query()
	f(q)
	v.RawQuery = q.Encode()
	return &v
}

// Every callback attack against a real provider ends in a 400 with its
// code word, no sign-in, and (where the attempt was found) a cleared
// attempt cookie.
func TestCallbackAttacks(t *testing.T) {
	p := oauthtest.Start(t)
	a := newApp(t, p, appConfig{})
	for _, tc := range []struct {
		name string
		// attack turns the genuine callback URL into what arrives at the
		// app, in the victim's browser b.
		attack func(t *testing.T, b *oauthtest.Browser, cb *url.URL) *oauthtest.Response
		want   string
	}{
		{"state removed", func(t *testing.T, b *oauthtest.Browser, cb *url.URL) *oauthtest.Response {
			return b.Follow(t, withQuery(cb, func(q url.Values) { q.Del("state") }).String(), nil)
		}, oauth.CodeStateMissing},
		{"state changed", func(t *testing.T, b *oauthtest.Browser, cb *url.URL) *oauthtest.Response {
			return b.Follow(t, withQuery(cb, func(q url.Values) { q.Set("state", flipChar(q.Get("state"))) }).String(), nil)
		}, oauth.CodeStateMismatch},
		{"callback in another browser (login CSRF)", func(t *testing.T, _ *oauthtest.Browser, cb *url.URL) *oauthtest.Response {
			return oauthtest.NewBrowser(p.HTTPClient()).Follow(t, cb.String(), nil)
		}, oauth.CodeStateMismatch},
		{"replayed callback", func(t *testing.T, b *oauthtest.Browser, cb *url.URL) *oauthtest.Response {
			if resp := b.Follow(t, cb.String(), nil); resp.StatusCode != 200 || a.result() == nil {
				t.Fatalf("genuine callback: %s", bodyOf(resp))
			}
			return b.Follow(t, cb.String(), nil)
		}, oauth.CodeStateMismatch},
		{"replayed callback with the attempt cookie kept", func(t *testing.T, b *oauthtest.Browser, cb *url.URL) *oauthtest.Response {
			kept := b.Cookies(t, a.URL)
			if resp := b.Follow(t, cb.String(), nil); resp.StatusCode != 200 || a.result() == nil {
				t.Fatalf("genuine callback: %s", bodyOf(resp))
			}
			u, _ := url.Parse(a.URL)
			b.Client.Jar.SetCookies(u, kept)
			return b.Follow(t, cb.String(), nil) // the provider's code is single use
		}, oauth.CodeInvalidGrant},
		{"code removed", func(t *testing.T, b *oauthtest.Browser, cb *url.URL) *oauthtest.Response {
			return b.Follow(t, withQuery(cb, func(q url.Values) { q.Del("code") }).String(), nil)
		}, oauth.CodeCodeMissing},
		{"code forged", func(t *testing.T, b *oauthtest.Browser, cb *url.URL) *oauthtest.Response {
			return b.Follow(t, withQuery(cb, func(q url.Values) { q.Set("code", flipChar(q.Get("code"))) }).String(), nil)
		}, oauth.CodeInvalidGrant},
		{"code of another attempt (code injection; PKCE refuses)", func(t *testing.T, b *oauthtest.Browser, cb *url.URL) *oauthtest.Response {
			other := a.untilCallback(t, oauthtest.NewBrowser(p.HTTPClient()), "/", nil)
			return b.Follow(t, withQuery(cb, func(q url.Values) { q.Set("code", other.Query().Get("code")) }).String(), nil)
		}, oauth.CodeInvalidGrant},
		{"iss of another provider (mix-up)", func(t *testing.T, b *oauthtest.Browser, cb *url.URL) *oauthtest.Response {
			return b.Follow(t, withQuery(cb, func(q url.Values) { q.Set("iss", "https://evil.example") }).String(), nil)
		}, oauth.CodeIssMismatch},
		{"parameter repeated", func(t *testing.T, b *oauthtest.Browser, cb *url.URL) *oauthtest.Response {
			return b.Follow(t, withQuery(cb, func(q url.Values) { q.Add("code", "second") }).String(), nil)
		}, oauth.CodeCallbackMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := oauthtest.NewBrowser(p.HTTPClient())
			cb := a.untilCallback(t, b, "/", nil)
			resp := tc.attack(t, b, cb)
			wantProblem(t, resp, http.StatusBadRequest, tc.want)
			if a.result() != nil {
				t.Fatal("signed in anyway")
			}
			if n := attemptCookies(b, t, a); n != 0 && tc.want != oauth.CodeCallbackMalformed && tc.want != oauth.CodeStateMissing && tc.want != oauth.CodeStateMismatch {
				t.Errorf("%d attempt cookies left after a refused callback", n)
			}
		})
	}
}

func TestCallbackProviderError(t *testing.T) {
	p := oauthtest.Start(t)
	a := newApp(t, p, appConfig{})
	p.Deny(true)
	b := oauthtest.NewBrowser(p.HTTPClient())
	pr := wantProblem(t, a.signIn(t, b, "/"), http.StatusBadRequest, oauth.CodeProviderError)
	if pr.ProviderCode != "access_denied" {
		t.Errorf("provider code %q", pr.ProviderCode)
	}
	if n := attemptCookies(b, t, a); n != 0 {
		t.Errorf("%d attempt cookies left", n)
	}
}

func TestCallbackExpiredAttempt(t *testing.T) {
	p := oauthtest.Start(t)
	c := newClock()
	a := newApp(t, p, appConfig{opts: []oauth.Option{oauth.WithClock(c.Now)}})
	b := oauthtest.NewBrowser(p.HTTPClient())
	cb := a.untilCallback(t, b, "/", nil)
	c.Advance(oauth.DefaultAttemptTTL + time.Second)
	wantProblem(t, b.Follow(t, cb.String(), nil), http.StatusBadRequest, oauth.CodeStateExpired)
}

// RFC 9207: a provider that announces iss must send it, and it must match.
func TestCallbackIssParameter(t *testing.T) {
	p := oauthtest.Start(t, oauthtest.WithIssParameter())
	a := newApp(t, p, appConfig{})
	if !a.Provider.IssParameter {
		t.Fatal("the announcement was not discovered")
	}
	b := oauthtest.NewBrowser(p.HTTPClient())
	if resp := a.signIn(t, b, "/"); resp.StatusCode != 200 || a.result() == nil {
		t.Fatalf("genuine callback with iss: %s", bodyOf(resp))
	}
	cb := a.untilCallback(t, b, "/", nil)
	if cb.Query().Get("iss") != p.Issuer {
		t.Fatalf("callback %s carries no iss", cb.Redacted())
	}
	wantProblem(t, b.Follow(t, withQuery(cb, func(q url.Values) { q.Del("iss") }).String(), nil), http.StatusBadRequest, oauth.CodeIssMissing)
	cb = a.untilCallback(t, b, "/", nil)
	wantProblem(t, b.Follow(t, withQuery(cb, func(q url.Values) { q.Set("iss", p.Issuer+"/") }).String(), nil), http.StatusBadRequest, oauth.CodeIssMismatch)
}

// ID tokens the client must refuse, from a provider that misbehaves or an
// attacker who edits the authorization request. (zitadel always adds the
// client to aud, so a wrong audience is tested in core/oauth with tokens
// signed there.)
func TestCallbackBadIDTokens(t *testing.T) {
	for _, tc := range []struct {
		name   string
		start  []oauthtest.Option
		cfg    appConfig
		tamper func(*url.URL) *url.URL
	}{
		{"nonce changed in the authorization request", nil, appConfig{}, func(u *url.URL) *url.URL {
			if u.Path == "/authorize" {
				return withQuery(u, func(q url.Values) { q.Set("nonce", "attacker-nonce") })
			}
			return u
		}},
		{"expired", nil, appConfig{client: oauthtest.Client{ID: "app", Secret: "s", IDTokenLifetime: -time.Hour}}, nil},
		{"signature by a key the JWKS does not hold", []oauthtest.Option{oauthtest.WithForeignJWKS()}, appConfig{}, nil},
		{"issuer other than configured", nil, appConfig{provider: func(pr *oauth.Provider) { pr.Issuer = "https://login.example" }}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := oauthtest.Start(t, tc.start...)
			a := newApp(t, p, tc.cfg)
			b := oauthtest.NewBrowser(p.HTTPClient())
			cb := a.untilCallback(t, b, "/", tc.tamper)
			wantProblem(t, b.Follow(t, cb.String(), nil), http.StatusBadRequest, oauth.CodeIDTokenInvalid)
			if a.result() != nil {
				t.Fatal("signed in anyway")
			}
		})
	}
}

// Several audiences are fine when azp names this client: zitadel adds the
// client to the configured audience and sets azp to it.
func TestSignInSeveralAudiences(t *testing.T) {
	p := oauthtest.Start(t)
	a := newApp(t, p, appConfig{client: oauthtest.Client{ID: "app", Secret: "s", Audience: []string{"api"}}})
	b := oauthtest.NewBrowser(p.HTTPClient())
	if resp := a.signIn(t, b, "/"); resp.StatusCode != 200 {
		t.Fatal(bodyOf(resp))
	}
	if res := a.result(); res == nil || len(res.Claims.Audience) != 2 {
		t.Fatalf("result %+v", res)
	}
}

// A public client (no secret) signs in with PKCE alone.
func TestSignInPublicClient(t *testing.T) {
	p := oauthtest.Start(t)
	a := newApp(t, p, appConfig{client: oauthtest.Client{ID: "spa"}})
	b := oauthtest.NewBrowser(p.HTTPClient())
	if resp := a.signIn(t, b, "/"); resp.StatusCode != 200 || a.result() == nil {
		t.Fatal(bodyOf(resp))
	}
}

func flipChar(s string) string {
	if s == "" {
		return "x"
	}
	b := []byte(s)
	if b[len(b)/2] == 'a' {
		b[len(b)/2] = 'b'
	} else {
		b[len(b)/2] = 'a'
	}
	return string(b)
}
