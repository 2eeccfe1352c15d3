// Package oauthtest runs a real OpenID provider in the test process —
// github.com/zitadel/oidc/v3's op package, a certified OpenID Connect
// implementation, over a compact in-memory storage — so authkit's OAuth
// client is tested against a provider it did not write: discovery, the
// authorization code flow with PKCE, refresh tokens, client credentials and
// userinfo, plus knobs that make the provider misbehave (foreign keys,
// wrong audiences, expired ID tokens, RFC 9207 iss).
//
// It is a module of its own so that zitadel/oidc and its dependencies stay
// out of the core's go.mod: nothing but tests imports it.
//
//	p := oauthtest.Start(t, oauthtest.WithAlgorithm(jose.ES256))
//	p.AddClient(oauthtest.Client{ID: "app", Secret: "s", RedirectURIs: []string{rp.URL + "/callback"}})
//	provider, err := oauth.Discover(ctx, p.Issuer, oauth.WithHTTPClient(p.HTTPClient()))
//	b := oauthtest.NewBrowser(p.HTTPClient())
//	resp := b.Follow(t, rp.URL+"/login", nil) // login, provider, callback
package oauthtest
