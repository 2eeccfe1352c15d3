package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/oauth"
	"github.com/authkit-go/authkit/core/port"
)

// OAuthConfig is the sign-in at an OpenID provider: GET /oauth/login and
// GET /oauth/callback are served only when Issuer is set.
type OAuthConfig struct {
	// Issuer is the provider's issuer URL (-oauth-issuer, OAUTH_ISSUER);
	// its discovery document is read from it.
	Issuer string
	// ClientID is this server's client at the provider (-oauth-client-id,
	// OAUTH_CLIENT_ID).
	ClientID string
	// ClientSecret authenticates the client (-oauth-client-secret,
	// OAUTH_CLIENT_SECRET — prefer the variable: a flag shows in ps);
	// empty makes it a public client, protected by PKCE alone.
	ClientSecret string
	// RedirectURL is this server's /oauth/callback as registered at the
	// provider (-oauth-redirect, OAUTH_REDIRECT_URL).
	RedirectURL string
	// HTTPClient, when set, makes every request to the provider (tests
	// use one that trusts their provider's certificate).
	HTTPClient *http.Client

	clock func() time.Time // tests; nil means time.Now
}

func (c OAuthConfig) now() time.Time {
	if c.clock != nil {
		return c.clock()
	}
	return time.Now()
}

// The environment variables the OAuth flags default to.
const (
	EnvOAuthIssuer       = "OAUTH_ISSUER"
	EnvOAuthClientID     = "OAUTH_CLIENT_ID"
	EnvOAuthClientSecret = "OAUTH_CLIENT_SECRET"
	EnvOAuthRedirect     = "OAUTH_REDIRECT_URL"
)

// sessionKeyOAuthTokens is the session value that keeps the provider's
// tokens of an OAuth sign-in: on the server, never in a cookie or a URL.
const sessionKeyOAuthTokens = "oauth.tokens"

// oauthCallbackPath is where the provider sends the browser back.
const oauthCallbackPath = "/oauth/callback"

// oauthRetry is how long the server waits between two discoveries of a
// provider that could not be reached.
const oauthRetry = 5 * time.Second

// oauthFlags defines the OAuth flags on fs.
func oauthFlags(fs *flag.FlagSet, c *OAuthConfig) {
	fs.StringVar(&c.Issuer, "oauth-issuer", "", "OpenID provider's issuer URL: serves GET /oauth/login and /oauth/callback (env "+EnvOAuthIssuer+")")
	fs.StringVar(&c.ClientID, "oauth-client-id", "", "client id at the OpenID provider (env "+EnvOAuthClientID+")")
	fs.StringVar(&c.ClientSecret, "oauth-client-secret", "", "client secret at the OpenID provider; prefer the environment, a flag shows in ps (env "+EnvOAuthClientSecret+"); none: a public client")
	fs.StringVar(&c.RedirectURL, "oauth-redirect", "", "this server's /oauth/callback URL as registered at the provider (env "+EnvOAuthRedirect+")")
}

// oauthFromEnv fills what no flag set from the environment. It runs after
// the flags are parsed, so -h never prints a secret as a default.
func oauthFromEnv(c *OAuthConfig, getenv func(string) string) {
	for _, f := range []struct {
		v   *string
		env string
	}{{&c.Issuer, EnvOAuthIssuer}, {&c.ClientID, EnvOAuthClientID}, {&c.ClientSecret, EnvOAuthClientSecret}, {&c.RedirectURL, EnvOAuthRedirect}} {
		if *f.v == "" {
			*f.v = getenv(f.env)
		}
	}
}

// oauthFlow is the sign-in at the provider. The provider is discovered at
// start; when it cannot be reached then, the server starts anyway and
// discovers it at the first sign-in (at most every oauthRetry, 503 until
// it answers), so a provider down at boot does not keep the API down.
type oauthFlow struct {
	a   *App
	cfg OAuthConfig

	mu   sync.Mutex
	h    *oauth.Handlers
	next time.Time // no discovery before then
}

// newOAuthFlow returns the flow for cfg, or nil when no OAuth flag is set.
// A configuration that cannot work (a flag missing, a provider whose
// discovery document is refused) is an error at start.
func newOAuthFlow(a *App, cfg OAuthConfig) (*oauthFlow, error) {
	if cfg.Issuer == "" && cfg.ClientID == "" && cfg.ClientSecret == "" && cfg.RedirectURL == "" {
		return nil, nil
	}
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("OAuth sign-in needs -oauth-issuer, -oauth-client-id and -oauth-redirect (or " +
			EnvOAuthIssuer + ", " + EnvOAuthClientID + " and " + EnvOAuthRedirect + ")")
	}
	if u, err := url.Parse(cfg.RedirectURL); err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("-oauth-redirect %q: not an absolute URL", cfg.RedirectURL)
	} else if u.Path != oauthCallbackPath {
		slog.Warn("-oauth-redirect does not end in /oauth/callback, where this server takes the provider's answer", "redirect", cfg.RedirectURL)
	}
	f := &oauthFlow{a: a, cfg: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := f.handlers(ctx); err != nil {
		if !errors.Is(err, authkit.ErrUnavailable) {
			return nil, fmt.Errorf("OAuth provider %s: %w", cfg.Issuer, err)
		}
		slog.Warn("the OAuth provider cannot be reached; sign-in answers 503 until it can", "issuer", cfg.Issuer, "error", err)
	}
	return f, nil
}

// handlers returns the sign-in handlers, discovering the provider first
// if that has not succeeded yet.
func (f *oauthFlow) handlers(ctx context.Context) (*oauth.Handlers, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.h != nil {
		return f.h, nil
	}
	if f.cfg.now().Before(f.next) {
		return nil, &oauth.Error{Code: oauth.CodeProviderUnavailable}
	}
	h, err := f.setup(ctx)
	if errors.Is(err, authkit.ErrUnavailable) {
		f.next = f.cfg.now().Add(oauthRetry)
		return nil, &oauth.Error{Code: oauth.CodeProviderUnavailable, Err: err}
	}
	if err != nil {
		return nil, err
	}
	f.h = h
	return h, nil
}

func (f *oauthFlow) setup(ctx context.Context) (*oauth.Handlers, error) {
	var httpOpts []oauth.Option
	if f.cfg.HTTPClient != nil {
		httpOpts = append(httpOpts, oauth.WithHTTPClient(f.cfg.HTTPClient))
	}
	p, err := oauth.Discover(ctx, f.cfg.Issuer, httpOpts...)
	if err != nil {
		return nil, err
	}
	opts := httpOpts
	if f.cfg.clock != nil {
		opts = append(opts, oauth.WithClock(f.cfg.clock))
	}
	if f.cfg.ClientSecret != "" {
		opts = append(opts, oauth.WithClientSecret(f.cfg.ClientSecret))
	}
	if f.a.cfg.InsecureCookies {
		opts = append(opts, oauth.WithInsecureCookies())
	}
	client, err := oauth.NewClient(p, f.cfg.ClientID, []string{f.cfg.RedirectURL}, f.a.appKey.Derive(PurposeOAuthState), opts...)
	if err != nil {
		return nil, err
	}
	return oauth.NewHandlers(client, f.a.oauthSignIn, oauth.WithAudit(f.a.audit), oauth.WithClientIP(f.a.guard.ClientIP))
}

// serve is a port handler that runs the sign-in handler pick returns.
func (f *oauthFlow) serve(pick func(*oauth.Handlers) port.Handler) guard.Handler {
	return guard.HandlerFunc(func(x guard.Exchange) (guard.Reply, error) {
		h, err := f.handlers(x.Context())
		if err != nil {
			return guard.Reply{}, err
		}
		return pick(h).ServeExchange(x)
	})
}

// oauthRoutes are GET /oauth/login and GET /oauth/callback, served through
// each framework adapter's Serve; none without the OAuth flags (both
// paths answer 404).
func (a *App) oauthRoutes() []Route {
	if a.oauth == nil {
		return nil
	}
	return []Route{
		{Method: http.MethodGet, Path: "/oauth/login", Serve: a.oauth.serve((*oauth.Handlers).Login)},
		{Method: http.MethodGet, Path: oauthCallbackPath, Serve: a.oauth.serve((*oauth.Handlers).Callback)},
	}
}

// oauthSignIn signs in the user of a completed OAuth sign-in: as the local
// account linked to (issuer, provider sub), created at the first sign-in.
// The account's name is res.LocalSubject() ("oidc:…:<sub>"), which holds
// ":" and so can never be a username; an existing account is never linked
// by a matching email. The provider's tokens stay in the session, on the
// server.
func (a *App) oauthSignIn(ctx context.Context, res *oauth.Result) (string, error) {
	p := res.Principal()
	if p.Subject == "" { // Discover only finds OpenID providers, which name the user
		return "", fmt.Errorf("%w: the provider named no subject", authkit.ErrInvalidRequest)
	}
	u, err := a.linkedAccount(ctx, p.Subject, res.Issuer, res.Subject)
	if err != nil {
		return "", err
	}
	p.Roles = u.Roles
	s, err := guard.SignIn(ctx, p)
	if err != nil {
		return "", err
	}
	if err := s.Set(sessionKeyOAuthTokens, res.Tokens); err != nil {
		return "", err
	}
	return p.Subject, nil
}

// linkedAccount returns the account name, linked to (issuer, sub),
// creating it when this is the pair's first sign-in.
func (a *App) linkedAccount(ctx context.Context, name, issuer, sub string) (User, error) {
	u, err := a.users.Get(ctx, name)
	if errors.Is(err, ErrNoUser) {
		u = User{Name: name, OAuthIssuer: issuer, OAuthSubject: sub}
		err = a.users.Create(ctx, u)
		if errors.Is(err, ErrUserExists) { // a concurrent first sign-in won
			u, err = a.users.Get(ctx, name)
		}
	}
	switch {
	case err != nil:
		slog.WarnContext(ctx, "reading or creating an OAuth account failed", "error", err)
		return User{}, fmt.Errorf("%w: %w", authkit.ErrUnavailable, err)
	case u.OAuthIssuer != issuer || u.OAuthSubject != sub:
		// Only a name collision could get here, and names hash the issuer.
		return User{}, fmt.Errorf("account %q is not linked to this provider account", name)
	}
	return u, nil
}
