package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authkit-go/authkit/core/oauth"
	"github.com/authkit-go/authkit/examples/internal/app"
	"github.com/authkit-go/authkit/oauthtest"
)

// TestBrowserOAuth: with the -oauth settings, the sign-in page offers
// "Sign in with <provider>", and the button signs the browser in at a real
// OpenID provider (oauthtest: zitadel/oidc's op, in this process, plain
// HTTP on loopback): authorization code with PKCE, back to the demo's
// home signed in by the session cookie as the account linked to the
// provider's user, with the provider's amr. Signing out and in again
// lands in the same account.
func TestBrowserOAuth(t *testing.T) {
	b := newBrowser(t)
	p := oauthtest.Start(t, oauthtest.WithPlainHTTP())
	p.AddUser(oauthtest.User{Subject: "u-7", Email: "olivia@example.com", EmailVerified: true, AMR: []string{"pwd", "otp"}})
	p.SignInAs("u-7")
	srv := startDemoWith(t, func(cfg *app.Config) {
		redirect := "http://" + cfg.Addr + "/oauth/callback"
		p.AddClient(oauthtest.Client{ID: "demo", Secret: "demo-secret", RedirectURIs: []string{redirect}})
		cfg.OAuth = app.OAuthConfig{Issuer: p.Issuer, ClientID: "demo", ClientSecret: "demo-secret", RedirectURL: redirect}
	})
	o := b.newDemoTab("o", srv)
	provider := strings.TrimPrefix(p.Issuer, "http://")

	var first string
	for round := range 2 {
		o.open("signin-oauth", pathSignIn)
		if got := o.text("#oauth"); got != "Sign in with "+provider {
			t.Fatalf("the provider's button says %q", got)
		}
		o.submit("oauth-home", "#oauth")
		o.wantPath(pathHome)
		sub, amr := o.text("#sub"), o.text("#amr")
		if !strings.HasPrefix(sub, oauth.LocalSubjectPrefix) || !strings.HasSuffix(sub, ":u-7") || !strings.Contains(amr, "(pwd)") || !strings.Contains(amr, "(otp)") {
			t.Fatalf("after the provider: %q signed in by %q", sub, amr)
		}
		if got := o.text("#provider"); got != provider {
			t.Fatalf("home names the provider %q, want %q", got, provider)
		}
		if round == 0 {
			first = sub
			o.submit("signed-out", "#sign-out")
			o.wantPath(pathSignIn + "?done=signed-out")
		} else if sub != first {
			t.Fatalf("the second sign-in is %q, the first was %q", sub, first)
		}
	}
	if n := p.TokenRequests("authorization_code"); n != 2 {
		t.Fatalf("%d code exchanges at the provider, want 2", n)
	}
	// The user declines at the provider: the callback's refusal is a
	// readable page, and the browser is still signed in as before.
	p.Deny(true)
	o.expect("/oauth/callback")
	o.open("signin-oauth", pathSignIn)
	if status := o.submit("oauth-declined", "#oauth"); status != http.StatusBadRequest || o.text("h1") != "Bad Request" || !strings.Contains(o.text("#problem"), "The provider did not sign you in") {
		t.Fatalf("declined at the provider: %d %q %q, want 400 and a page that says so", status, o.text("h1"), o.text("#problem"))
	}
	p.Deny(false)
	o.open("home-after-declined", pathHome)
	if o.path() != pathHome || o.text("#sub") != first {
		t.Fatalf("after declining at the provider: at %s, want still signed in as %s", o.path(), first)
	}
	o.open("two-factor-oauth", pathTwoFactor)
	if !strings.Contains(o.text("main"), provider) {
		t.Fatalf("the two-factor page of a provider's account does not send the user to the provider: %q", o.text("main"))
	}
	o.open("password-oauth", pathPassword)
	if !strings.Contains(o.text("main"), provider) {
		t.Fatalf("the password page of a provider's account does not send the user to the provider: %q", o.text("main"))
	}
	if p := b.takeProblems(); len(p) > 0 {
		t.Fatalf("console errors or CSP violations:\n%s", strings.Join(p, "\n"))
	}
	if reps := srv.cspReports(); len(reps) > 0 {
		t.Fatalf("CSP violations reported: %+v", reps)
	}
}
