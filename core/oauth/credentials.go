package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/sync/singleflight"
)

// noExpiryTTL is how long a token whose response gave no expires_in is
// reused before a new one is fetched.
const noExpiryTTL = 5 * time.Minute

// retryAfter is how long a failed replacement of a still-valid token
// waits before the next attempt, so a failing token endpoint is not asked
// once per call.
const retryAfter = 5 * time.Second

// minValidity is how much life a cached token must have left to be handed
// out at all, covering the request it is about to be sent with.
const minValidity = 10 * time.Second

// ClientCredentials gets tokens for service-to-service calls with the
// client credentials grant (RFC 6749 §4.4) through
// golang.org/x/oauth2/clientcredentials. It caches the token, replaces it
// WithEarlyRefresh before it expires, and lets only one token request run
// at a time however many callers ask: the others wait for its answer. It
// is safe for concurrent use. The secret is never printed or logged.
type ClientCredentials struct {
	conf  clientcredentials.Config
	cfg   config
	group singleflight.Group

	mu       sync.Mutex
	current  *oauth2.Token
	expires  time.Time // when current stops being handed out
	failedAt time.Time // last failed token request
}

// NewClientCredentials returns a token source for the client clientID
// with secret at tokenURL (https; http only on loopback). Options:
// WithScopes, WithTokenParam, WithEarlyRefresh, WithHTTPClient, WithClock.
// Errors wrap ErrInvalidConfig.
func NewClientCredentials(tokenURL, clientID, secret string, opts ...Option) (*ClientCredentials, error) {
	cfg, err := newConfig(forCredentials, opts)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(tokenURL)
	if err != nil {
		return nil, fmt.Errorf("%w: token URL", ErrInvalidConfig)
	}
	if _, err := checkEndpoint("token URL", tokenURL, loopback(u)); err != nil {
		return nil, err
	}
	if !vschars(clientID, 256) || secret == "" {
		return nil, fmt.Errorf("%w: client id and secret are required", ErrInvalidConfig)
	}
	params := url.Values{}
	for _, p := range cfg.tokenParams {
		params.Add(p[0], p[1])
	}
	return &ClientCredentials{
		conf: clientcredentials.Config{
			ClientID:       clientID,
			ClientSecret:   secret,
			TokenURL:       tokenURL,
			Scopes:         cfg.scopes,
			EndpointParams: params,
			AuthStyle:      oauth2.AuthStyleInHeader,
		},
		cfg: cfg,
	}, nil
}

// String describes the source without its secret.
func (c *ClientCredentials) String() string {
	return fmt.Sprintf("oauth.ClientCredentials{token_url=%s client_id=%s}", c.conf.TokenURL, c.conf.ClientID)
}

// Format makes every fmt verb print String.
func (c *ClientCredentials) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// LogValue makes log/slog print String.
func (c *ClientCredentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Token returns a valid access token: the cached one while it has more
// than the early-refresh margin left, else a new one. While a replacement
// fails, the cached token is returned as long as it is still valid. ctx
// bounds only this caller's wait; the token request itself runs with the
// HTTP client's timeout so other waiters are not cut short. Errors are
// *Error (CodeTokenError with ProviderCode, e.g. invalid_client; or
// CodeProviderUnavailable).
func (c *ClientCredentials) Token(ctx context.Context) (*Tokens, error) {
	t, err := c.token(ctx)
	if err != nil {
		return nil, err
	}
	return tokensFrom(t), nil
}

func (c *ClientCredentials) token(ctx context.Context) (*oauth2.Token, error) {
	now := c.cfg.now()
	c.mu.Lock()
	cur, exp, failedAt := c.current, c.expires, c.failedAt
	c.mu.Unlock()
	if cur != nil && now.Before(exp.Add(-c.cfg.earlyRefresh)) {
		return cur, nil
	}
	if cur != nil && now.Before(exp.Add(-minValidity)) && now.Before(failedAt.Add(retryAfter)) {
		return cur, nil
	}
	ch := c.group.DoChan("token", func() (any, error) {
		return c.fetch(context.WithoutCancel(ctx))
	})
	select {
	case r := <-ch:
		if r.Err == nil {
			return r.Val.(*oauth2.Token), nil
		}
		if cur != nil && c.cfg.now().Before(exp.Add(-minValidity)) {
			return cur, nil
		}
		return nil, r.Err
	case <-ctx.Done():
		return nil, fail(CodeProviderUnavailable, ctx.Err())
	}
}

// fetch runs one token request and caches its answer.
func (c *ClientCredentials) fetch(ctx context.Context) (*oauth2.Token, error) {
	// A caller that got here just after another request finished finds
	// the new token already cached.
	c.mu.Lock()
	if c.current != nil && c.cfg.now().Before(c.expires.Add(-c.cfg.earlyRefresh)) {
		t := c.current
		c.mu.Unlock()
		return t, nil
	}
	c.mu.Unlock()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.cfg.httpClient)
	t, err := c.conf.Token(ctx)
	if err == nil {
		_, err = checkTokenResponse(t)
	} else {
		err = tokenEndpointError(err)
	}
	if err != nil {
		c.mu.Lock()
		c.failedAt = c.cfg.now()
		c.mu.Unlock()
		return nil, err
	}
	// x/oauth2 set Expiry to time.Now() + expires_in as the answer arrived;
	// carry the time left over to our clock.
	now := c.cfg.now()
	exp := now.Add(noExpiryTTL)
	if !t.Expiry.IsZero() {
		exp = now.Add(time.Until(t.Expiry))
	}
	c.mu.Lock()
	c.current, c.expires = t, exp
	c.mu.Unlock()
	return t, nil
}

// TokenSource returns the cached, single-flight source as an
// oauth2.TokenSource, for libraries that take one. Its Token calls use
// ctx.
func (c *ClientCredentials) TokenSource(ctx context.Context) oauth2.TokenSource {
	return tokenSourceFunc(func() (*oauth2.Token, error) { return c.token(ctx) })
}

type tokenSourceFunc func() (*oauth2.Token, error)

func (f tokenSourceFunc) Token() (*oauth2.Token, error) { return f() }

// Transport returns an http.RoundTripper that sends each request through
// base (http.DefaultTransport when nil) with "Authorization: Bearer"
// and the current token, fetched with the request's context. It refuses
// to send a token over plain http to a host that is not loopback.
func (c *ClientCredentials) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &bearerTransport{src: c, base: base}
}

// Client returns an *http.Client that uses Transport(nil), with the
// default timeout.
func (c *ClientCredentials) Client() *http.Client {
	return &http.Client{Transport: c.Transport(nil), Timeout: DefaultTimeout}
}

type bearerTransport struct {
	src  *ClientCredentials
	base http.RoundTripper
}

var errPlainHTTP = errors.New("oauth: refusing to send a bearer token over plain http to a non-loopback host")

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	closeBody := func() {
		if req.Body != nil {
			req.Body.Close()
		}
	}
	if req.URL.Scheme != "https" && !loopback(req.URL) {
		closeBody()
		return nil, errPlainHTTP
	}
	tok, err := t.src.token(req.Context())
	if err != nil {
		closeBody()
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return t.base.RoundTrip(r)
}
