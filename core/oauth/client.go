package oauth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	"golang.org/x/oauth2"

	"github.com/authkit-go/authkit/core/internal/random"
	"github.com/authkit-go/authkit/core/token"
)

// Client signs users in at one provider with the authorization code flow
// and PKCE (S256, always). It keeps nothing per attempt: Begin seals the
// attempt into a cookie and Complete opens it. A Client is safe for
// concurrent use.
type Client struct {
	provider     Provider
	clientID     string
	redirectURIs []string
	cfg          config
	oauth        oauth2.Config
	sealer       *sealer
	verifier     *token.Verifier // nil for a plain OAuth 2.0 provider
}

// NewClient returns a Client for provider p (from Discover or written by
// hand) and the client registered there as clientID.
//
// redirectURIs lists every callback URL this client may use, each an
// absolute https URL (http only on loopback) without fragment, as
// registered at the provider; Begin uses the first, BeginAt any of them by
// exact match. key (at least 32 random bytes, e.g. the app's secret key)
// seals the attempt cookies; see WithPreviousKeys for rotation.
//
// Options: WithClientSecret, WithScopes, WithAuthParam, WithUserinfo,
// WithPreviousKeys, WithAttemptTTL, WithLeeway, WithInsecureCookies,
// WithHTTPClient, WithClock. Errors wrap ErrInvalidConfig.
func NewClient(p *Provider, clientID string, redirectURIs []string, key []byte, opts ...Option) (*Client, error) {
	cfg, err := newConfig(forClient, opts)
	if err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	if !vschars(clientID, 256) {
		return nil, fmt.Errorf("%w: client id must be 1-256 printable ASCII characters", ErrInvalidConfig)
	}
	if len(redirectURIs) == 0 {
		return nil, fmt.Errorf("%w: no redirect URI", ErrInvalidConfig)
	}
	for _, r := range redirectURIs {
		u, err := url.Parse(r)
		if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil || u.Fragment != "" || len(r) > 512 {
			return nil, fmt.Errorf("%w: redirect URI %q must be an absolute URL without fragment, at most 512 bytes", ErrInvalidConfig, r)
		}
		if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u)) {
			return nil, fmt.Errorf("%w: redirect URI %q must be https (http only on loopback)", ErrInvalidConfig, r)
		}
	}
	if cfg.userinfo && p.UserinfoEndpoint == "" {
		return nil, fmt.Errorf("%w: WithUserinfo needs a provider with a userinfo endpoint", ErrInvalidConfig)
	}
	s, err := newSealer(key, cfg.previousKeys, p.Issuer, clientID, cfg.insecure)
	if err != nil {
		return nil, err
	}
	c := &Client{
		provider:     *p,
		clientID:     clientID,
		redirectURIs: slices.Clone(redirectURIs),
		cfg:          cfg,
		sealer:       s,
	}
	scopes := cfg.scopes
	if c.oidc() && !slices.Contains(scopes, "openid") {
		scopes = append([]string{"openid"}, scopes...)
	}
	c.oauth = oauth2.Config{
		ClientID:     clientID,
		ClientSecret: cfg.secret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   p.AuthorizationEndpoint,
			TokenURL:  p.TokenEndpoint,
			AuthStyle: authStyle(p.TokenAuthMethods, cfg.secret),
		},
		Scopes: scopes,
	}
	if c.oidc() {
		keys, err := token.NewRemoteKeySet(p.JWKSURI, token.WithHTTPClient(cfg.httpClient), token.WithClock(cfg.now))
		if err != nil {
			return nil, fmt.Errorf("%w: jwks_uri: %v", ErrInvalidConfig, err)
		}
		c.verifier, err = token.NewVerifier(keys,
			token.WithIssuer(p.Issuer), token.WithAudience(clientID),
			token.WithLeeway(cfg.leeway), token.WithClock(cfg.now))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
		}
	}
	return c, nil
}

// authStyle picks how the client authenticates at the token endpoint: a
// public client sends only client_id in the form (RFC 6749 §3.2.1); a
// secret goes in the form only when the provider lists client_secret_post
// and not client_secret_basic (RFC 8414 makes basic the default when it
// lists nothing).
func authStyle(methods []string, secret string) oauth2.AuthStyle {
	if secret == "" || slices.Contains(methods, "client_secret_post") && !slices.Contains(methods, "client_secret_basic") {
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

func (c *Client) oidc() bool { return c.provider.JWKSURI != "" }

// Provider returns the provider the client signs in at.
func (c *Client) Provider() Provider { return c.provider }

// String describes the client without its secret or keys.
func (c *Client) String() string {
	return fmt.Sprintf("oauth.Client{issuer=%s client_id=%s}", c.provider.Issuer, c.clientID)
}

// Format makes every fmt verb print String, so no secret is ever printed.
func (c *Client) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// LogValue makes log/slog print String.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Begin starts a sign-in that returns to the first redirect URI: it
// returns the provider URL to send the browser to (302) and the cookies
// to set on that response: set[0] is the new attempt's cookie, any others
// clear the oldest attempts. next is where the browser goes after signing
// in; an unsafe next (see SafeReturnPath) becomes "/". cookies are the
// request's cookies (r.Cookies()).
//
// Each call makes a fresh state (256 bits), nonce (256 bits, OpenID
// providers) and PKCE verifier, sealed into a cookie of its own named after
// the state, so attempts in several tabs do not disturb each other. At
// most MaxAttempts are kept: when the request carries that many of this
// client's attempts already, the oldest are cleared, so repeated visits
// of the login page cannot grow the browser's cookies without bound.
func (c *Client) Begin(ctx context.Context, next string, cookies []*http.Cookie) (authURL string, set []*http.Cookie, err error) {
	return c.BeginAt(ctx, c.redirectURIs[0], next, cookies)
}

// BeginAt is Begin returning to redirectURI, which must equal one of the
// configured redirect URIs exactly (else an error wrapping
// ErrInvalidConfig).
func (c *Client) BeginAt(_ context.Context, redirectURI, next string, cookies []*http.Cookie) (authURL string, set []*http.Cookie, err error) {
	if !slices.Contains(c.redirectURIs, redirectURI) {
		return "", nil, fmt.Errorf("%w: redirect URI %q is not configured", ErrInvalidConfig, redirectURI)
	}
	next, _ = SafeReturnPath(next)
	a := &attempt{
		State:       random.Base64URL(stateBytes),
		Verifier:    oauth2.GenerateVerifier(),
		RedirectURI: redirectURI,
		Next:        next,
		Expires:     c.cfg.now().Add(c.cfg.attemptTTL).Unix(),
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(a.Verifier)}
	if c.oidc() {
		a.Nonce = random.Base64URL(stateBytes)
		opts = append(opts, oauth2.SetAuthURLParam("nonce", a.Nonce))
	}
	for _, p := range c.cfg.authParams {
		opts = append(opts, oauth2.SetAuthURLParam(p[0], p[1]))
	}
	cookie, err := c.sealer.seal(a, c.cfg.attemptTTL)
	if err != nil {
		return "", nil, err
	}
	conf := c.oauth
	conf.RedirectURL = redirectURI
	return conf.AuthCodeURL(a.State, opts...), append([]*http.Cookie{cookie}, c.sealer.crowded(cookies)...), nil
}

// Result is a completed sign-in. Issuer and Subject identify the user at
// the provider; derive the local account from both, never from an email.
type Result struct {
	// Issuer is the provider's issuer identifier.
	Issuer string
	// Subject is the ID token's sub; empty for a plain OAuth 2.0 provider.
	Subject string
	// AMR is the ID token's amr (RFC 8176): how the provider authenticated
	// the user, as it reported it.
	AMR []string
	// Claims are the verified ID token's claims; nil for a plain OAuth 2.0
	// provider. Claims.DecodeExtra reads email, name and the like.
	Claims *token.Claims
	// UserInfo is the userinfo response, one strict JSON object (no
	// duplicate or case-variant member names), under WithUserinfo; nil
	// otherwise.
	UserInfo json.RawMessage
	// AuthTime is the ID token's auth_time: when the user authenticated
	// at the provider. Zero when the token has none, or names a time after
	// the callback.
	AuthTime time.Time
	// Tokens are the provider's tokens, for the server side only.
	Tokens *Tokens
	// Next is the validated return path given to Begin ("/" by default):
	// redirect there at once, so the code leaves the address bar.
	Next string

	completed time.Time // when the callback finished, on the client's clock
}

// LogValue makes log/slog print a Result without the provider's tokens.
func (r Result) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("issuer", r.Issuer), slog.String("subject", r.Subject), slog.Any("amr", r.AMR), slog.String("next", r.Next)}
	if r.Tokens != nil {
		attrs = append(attrs, slog.String("tokens", r.Tokens.String()))
	}
	return slog.GroupValue(attrs...)
}

// Complete finishes a sign-in at the callback. rawQuery is the callback
// request's raw query string; cookie reads a request cookie by name (a
// guard.Exchange's Cookie method fits; RequestCookies makes one from an
// *http.Request). It returns the Result, or an
// *Error whose Code says why the callback was refused, and the cookie to
// set on the response to clear the attempt (nil when there was none):
// set it whatever the outcome, since an attempt is used once.
//
// In order: the query parses; the state is present, names an attempt
// cookie that opens under the client's keys, matches it (compared in
// constant time) and is not expired; iss equals the issuer when present,
// and is present when the provider announces RFC 9207; no error is
// reported; a code is present; the code is exchanged with the attempt's
// verifier and redirect URI; the ID token is verified (signature through
// the provider's JWKS, iss, aud, azp, exp, iat, nonce, at_hash, sub);
// userinfo is fetched under WithUserinfo.
func (c *Client) Complete(ctx context.Context, rawQuery string, cookie func(name string) (string, bool)) (*Result, *http.Cookie, error) {
	cb, err := parseCallback(rawQuery)
	if err != nil {
		return nil, nil, err
	}
	if cb.State == "" {
		return nil, nil, fail(CodeStateMissing, nil)
	}
	if !stateOK(cb.State) {
		return nil, nil, fail(CodeStateMismatch, errors.New("state is not one authkit made"))
	}
	a, found, err := c.sealer.open(cb.State, cookie, c.cfg.now())
	var clear *http.Cookie
	if found {
		clear = c.sealer.clearCookie(c.sealer.cookieName(cb.State))
	}
	if err != nil {
		return nil, clear, err
	}
	if !slices.Contains(c.redirectURIs, a.RedirectURI) {
		return nil, clear, fail(CodeStateMismatch, errors.New("attempt's redirect URI is no longer configured"))
	}
	if c.oidc() && a.Nonce == "" {
		return nil, clear, fail(CodeStateMismatch, errors.New("attempt has no nonce"))
	}
	if cb.HasIss && subtle.ConstantTimeCompare([]byte(cb.Iss), []byte(c.provider.Issuer)) != 1 {
		return nil, clear, fail(CodeIssMismatch, nil)
	}
	if !cb.HasIss && c.provider.IssParameter {
		return nil, clear, fail(CodeIssMissing, nil)
	}
	if cb.Error != "" {
		return nil, clear, &Error{Code: CodeProviderError, ProviderCode: cb.Error, Description: cb.Description}
	}
	if cb.Code == "" {
		return nil, clear, fail(CodeCodeMissing, nil)
	}
	res, err := c.finish(ctx, a, cb.Code)
	if err != nil {
		return nil, clear, err
	}
	return res, clear, nil
}

// RequestCookies returns the cookie lookup Complete takes, over a
// net/http request.
func RequestCookies(r *http.Request) func(name string) (string, bool) {
	return func(name string) (string, bool) {
		c, err := r.Cookie(name)
		if err != nil {
			return "", false
		}
		return c.Value, true
	}
}

// finish exchanges the code and checks what comes back.
func (c *Client) finish(ctx context.Context, a *attempt, code string) (*Result, error) {
	conf := c.oauth
	conf.RedirectURL = a.RedirectURI
	tok, err := conf.Exchange(c.httpContext(ctx), code, oauth2.VerifierOption(a.Verifier))
	if err != nil {
		return nil, tokenEndpointError(err)
	}
	tokens, err := checkTokenResponse(tok)
	if err != nil {
		return nil, err
	}
	next, _ := SafeReturnPath(a.Next)
	res := &Result{Issuer: c.provider.Issuer, Tokens: tokens, Next: next, completed: c.cfg.now()}
	if c.oidc() {
		if tokens.IDToken == "" {
			return nil, fail(CodeIDTokenMissing, nil)
		}
		claims, err := c.verifyIDToken(ctx, tokens.IDToken, a.Nonce, tokens.AccessToken)
		if err != nil {
			return nil, err
		}
		res.Claims, res.Subject, res.AMR = claims, claims.Subject, claims.AMR
		if !claims.AuthTime.After(c.cfg.now()) {
			res.AuthTime = claims.AuthTime
		}
	}
	if c.cfg.userinfo {
		if res.UserInfo, err = c.fetchUserinfo(ctx, tokens, res.Subject); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Refresh exchanges a refresh token for new tokens. When the provider also
// returns an ID token it is verified like the first one (without a nonce)
// and its sub must equal subject (OpenID Connect Core §12.2). When the
// provider returns no new refresh token, the old one is kept. Errors are
// *Error (CodeInvalidGrant for a dead refresh token).
func (c *Client) Refresh(ctx context.Context, refreshToken, subject string) (*Tokens, error) {
	if refreshToken == "" {
		return nil, fail(CodeInvalidGrant, errors.New("no refresh token"))
	}
	tok, err := c.oauth.TokenSource(c.httpContext(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, tokenEndpointError(err)
	}
	tokens, err := checkTokenResponse(tok)
	if err != nil {
		return nil, err
	}
	if c.oidc() && tokens.IDToken != "" {
		claims, err := c.verifyIDToken(ctx, tokens.IDToken, "", tokens.AccessToken)
		if err != nil {
			return nil, err
		}
		if subtle.ConstantTimeCompare([]byte(claims.Subject), []byte(subject)) != 1 {
			return nil, fail(CodeIDTokenInvalid, errors.New("refreshed ID token names another subject"))
		}
	}
	return tokens, nil
}

// httpContext hands the client's HTTP client to x/oauth2.
func (c *Client) httpContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.cfg.httpClient)
}

// checkTokenResponse requires a Bearer access token (RFC 6750; OpenID
// Connect Core §3.1.3.3).
func checkTokenResponse(tok *oauth2.Token) (*Tokens, error) {
	t := tokensFrom(tok)
	if t.AccessToken == "" {
		return nil, fail(CodeTokenError, errors.New("token response without access_token"))
	}
	if t.TokenType != "Bearer" {
		return nil, fail(CodeTokenError, fmt.Errorf("token_type %q is not Bearer", cleanDescription(t.TokenType)))
	}
	return t, nil
}

// tokenEndpointError turns an x/oauth2 token request failure into an
// *Error. A RetrieveError's response body is dropped: only its RFC 6749
// error code (checked) and description (cleaned) are kept.
func tokenEndpointError(err error) *Error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		e := &Error{Code: CodeTokenError, Description: cleanDescription(re.ErrorDescription)}
		if errorCodeOK(re.ErrorCode) {
			e.ProviderCode = re.ErrorCode
		}
		switch {
		case e.ProviderCode == "invalid_grant":
			e.Code = CodeInvalidGrant
		case e.ProviderCode == "" && status >= 500, e.ProviderCode == "temporarily_unavailable":
			e.Code = CodeProviderUnavailable
		}
		if status != 0 {
			e.Err = fmt.Errorf("token endpoint status %d", status)
		}
		return e
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fail(CodeProviderUnavailable, errors.New("token endpoint unreachable"))
	}
	// x/oauth2's own complaints about a response it cannot read.
	return fail(CodeTokenError, errors.New("token response unusable"))
}
