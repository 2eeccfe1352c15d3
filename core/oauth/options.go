package oauth

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/port"
)

// Defaults, in one place.
const (
	// DefaultAttemptTTL is how long a sign-in attempt (its state cookie)
	// stays valid: long enough for a user to sign in at the provider, short
	// enough that a leaked cookie is soon useless.
	DefaultAttemptTTL = 10 * time.Minute
	// DefaultTimeout bounds every request to the provider.
	DefaultTimeout = 10 * time.Second
	// DefaultEarlyRefresh is how long before its expiry a client
	// credentials token is replaced.
	DefaultEarlyRefresh = time.Minute
	// DefaultLeeway tolerates clock skew when checking an ID token's exp
	// and iat.
	DefaultLeeway = 30 * time.Second
	// MaxNextLength bounds a return path: the sealed attempt must fit in one
	// cookie.
	MaxNextLength = 1024

	maxResponseBytes = 1 << 20
	maxKeys          = 5
	minKeyBytes      = 32
)

// Option configures Discover, NewClient, NewClientCredentials or
// NewHandlers. Each option's doc names what it applies to; an option given
// where it does not apply is an error wrapping ErrInvalidConfig, never
// silently ignored.
type Option func(*config) error

type target uint8

const (
	forDiscover target = 1 << iota
	forClient
	forCredentials
	forHandlers
)

type config struct {
	target target

	httpClient   *http.Client
	now          func() time.Time
	secret       string
	scopes       []string
	authParams   [][2]string
	tokenParams  [][2]string
	previousKeys [][]byte
	attemptTTL   time.Duration
	leeway       time.Duration
	earlyRefresh time.Duration
	insecure     bool
	userinfo     bool
	audit        audit.Sink
	clientIP     func(port.Exchange) string
}

func newConfig(t target, opts []Option) (config, error) {
	c := config{
		target:       t,
		now:          time.Now,
		attemptTTL:   DefaultAttemptTTL,
		leeway:       DefaultLeeway,
		earlyRefresh: DefaultEarlyRefresh,
		audit:        audit.Default(),
		clientIP:     peerIP,
	}
	for _, o := range opts {
		if o == nil {
			return config{}, fmt.Errorf("%w: nil option", ErrInvalidConfig)
		}
		if err := o(&c); err != nil {
			return config{}, err
		}
	}
	if c.httpClient == nil {
		c.httpClient = defaultHTTPClient()
	}
	return c, nil
}

// defaultHTTPClient bounds every provider request in time and follows no
// redirect: a discovery document, token, JWKS or userinfo response comes
// from the URL configured, or not at all.
func defaultHTTPClient() *http.Client {
	return &http.Client{
		Timeout: DefaultTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return errors.New("oauth: provider redirects are not followed")
		},
	}
}

// appliesTo returns the option name, which set applies to a config of the
// constructors in allowed; passed to any other it is an error wrapping
// ErrInvalidConfig.
func appliesTo(allowed target, name string, set func(*config) error) Option {
	return func(c *config) error {
		if c.target&allowed == 0 {
			return fmt.Errorf("%w: %s does not apply here", ErrInvalidConfig, name)
		}
		return set(c)
	}
}

// WithHTTPClient sets the client for every request to the provider. Its
// Timeout and redirect policy are its own: keep both strict. Applies to
// Discover, NewClient and NewClientCredentials.
// Default: a client with a 10s timeout that follows no redirects.
func WithHTTPClient(hc *http.Client) Option {
	return appliesTo(forDiscover|forClient|forCredentials, "WithHTTPClient", func(c *config) error {
		if hc == nil {
			return fmt.Errorf("%w: WithHTTPClient(nil)", ErrInvalidConfig)
		}
		c.httpClient = hc
		return nil
	})
}

// WithClock sets the time source, for tests. Applies to NewClient and
// NewClientCredentials. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return appliesTo(forClient|forCredentials, "WithClock", func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: WithClock(nil)", ErrInvalidConfig)
		}
		c.now = now
		return nil
	})
}

// WithClientSecret makes the client confidential: the secret authenticates
// it at the token endpoint (HTTP Basic when the provider lists
// client_secret_basic or lists nothing, else form parameters). It is never
// logged or printed. Applies to NewClient.
// Default: none (a public client, protected by PKCE alone).
func WithClientSecret(secret string) Option {
	return appliesTo(forClient, "WithClientSecret", func(c *config) error {
		if secret == "" {
			return fmt.Errorf("%w: empty client secret", ErrInvalidConfig)
		}
		c.secret = secret
		return nil
	})
}

// WithScopes sets the scopes to request. For an OpenID provider "openid"
// is always added. Applies to NewClient and NewClientCredentials.
// Default: "openid" alone for an OpenID provider, none otherwise.
func WithScopes(scopes ...string) Option {
	return appliesTo(forClient|forCredentials, "WithScopes", func(c *config) error {
		for _, s := range scopes {
			if !nqchars(s, 256) {
				return fmt.Errorf("%w: scope %q", ErrInvalidConfig, s)
			}
		}
		c.scopes = slices.Clone(scopes)
		return nil
	})
}

// reservedParams are set by the flow itself and cannot be overridden.
var reservedParams = []string{
	"client_id", "client_secret", "redirect_uri", "response_type", "response_mode", "scope", "state",
	"nonce", "code_challenge", "code_challenge_method", "code_verifier", "code", "grant_type",
	"request", "request_uri",
}

// WithAuthParam adds a parameter to every authorization request, such as
// prompt=consent, login_hint, acr_values or access_type=offline. The flow's
// own parameters (state, nonce, PKCE, redirect_uri, scope, response_type,
// response_mode, client_id, request objects) cannot be set this way.
// Applies to NewClient. Default: none.
func WithAuthParam(key, value string) Option {
	return appliesTo(forClient, "WithAuthParam", func(c *config) error {
		if key == "" || slices.Contains(reservedParams, key) {
			return fmt.Errorf("%w: authorization parameter %q is reserved", ErrInvalidConfig, key)
		}
		c.authParams = append(c.authParams, [2]string{key, value})
		return nil
	})
}

// WithTokenParam adds a parameter to every client credentials token
// request, such as audience or resource. Applies to NewClientCredentials.
// Default: none.
func WithTokenParam(key, value string) Option {
	return appliesTo(forCredentials, "WithTokenParam", func(c *config) error {
		if key == "" || slices.Contains(reservedParams, key) {
			return fmt.Errorf("%w: token parameter %q is reserved", ErrInvalidConfig, key)
		}
		c.tokenParams = append(c.tokenParams, [2]string{key, value})
		return nil
	})
}

// WithPreviousKeys lets attempts sealed under older keys still complete
// during a key rotation: new attempts are sealed with the key given to
// NewClient, callbacks are opened with it and then with these, in order.
// Each key must have at least 32 bytes; at most 4. Applies to NewClient.
// Default: none.
func WithPreviousKeys(keys ...[]byte) Option {
	return appliesTo(forClient, "WithPreviousKeys", func(c *config) error {
		if len(keys) > maxKeys-1 {
			return fmt.Errorf("%w: at most %d previous keys", ErrInvalidConfig, maxKeys-1)
		}
		for _, k := range keys {
			if len(k) < minKeyBytes {
				return fmt.Errorf("%w: a state key needs at least %d bytes", ErrInvalidConfig, minKeyBytes)
			}
		}
		c.previousKeys = keys
		return nil
	})
}

// WithAttemptTTL sets how long a sign-in attempt may take from Begin to the
// callback, within [1m, 1h]. Applies to NewClient. Default: 10m.
func WithAttemptTTL(d time.Duration) Option {
	return appliesTo(forClient, "WithAttemptTTL", func(c *config) error {
		if d < time.Minute || d > time.Hour {
			return fmt.Errorf("%w: attempt TTL must be within [1m, 1h]", ErrInvalidConfig)
		}
		c.attemptTTL = d
		return nil
	})
}

// WithLeeway sets the clock skew tolerated on an ID token's exp and iat,
// within [0, 5m]. Applies to NewClient. Default: 30s.
func WithLeeway(d time.Duration) Option {
	return appliesTo(forClient, "WithLeeway", func(c *config) error {
		if d < 0 || d > 5*time.Minute {
			return fmt.Errorf("%w: leeway must be within [0, 5m]", ErrInvalidConfig)
		}
		c.leeway = d
		return nil
	})
}

// WithUserinfo makes Complete fetch the provider's userinfo endpoint with
// the new access token and put the answer in Result.UserInfo; its "sub"
// must equal the ID token's. Applies to NewClient.
// Default: off (claims come from the ID token alone).
func WithUserinfo() Option {
	return appliesTo(forClient, "WithUserinfo", func(c *config) error {
		c.userinfo = true
		return nil
	})
}

// WithInsecureCookies drops the Secure attribute and the "__Host-" prefix
// from attempt cookies, so sign-in works over plain HTTP. SECURITY WARNING:
// for local development only. Applies to NewClient.
// Default: Secure "__Host-" cookies.
func WithInsecureCookies() Option {
	return appliesTo(forClient, "WithInsecureCookies", func(c *config) error {
		c.insecure = true
		return nil
	})
}

// WithEarlyRefresh sets how long before expiry a client credentials token
// is replaced, within [0, 1h]. While the replacement fails the old token is
// used until it expires. Applies to NewClientCredentials. Default: 1m.
func WithEarlyRefresh(d time.Duration) Option {
	return appliesTo(forCredentials, "WithEarlyRefresh", func(c *config) error {
		if d < 0 || d > time.Hour {
			return fmt.Errorf("%w: early refresh must be within [0, 1h]", ErrInvalidConfig)
		}
		c.earlyRefresh = d
		return nil
	})
}

// WithAudit sets the sink that the sign-in handlers send their events to:
// oauth.failed for every refused callback (Reason the Code word, with the
// provider's error code after a colon for provider_error) and
// login.succeeded (Reason "oauth") for every sign-in. Applies to
// NewHandlers. Default: audit.Default().
func WithAudit(s audit.Sink) Option {
	return appliesTo(forHandlers, "WithAudit", func(c *config) error {
		if s == nil {
			return fmt.Errorf("%w: WithAudit(nil)", ErrInvalidConfig)
		}
		c.audit = s
		return nil
	})
}

// WithClientIP sets how the sign-in handlers learn the client's address
// for their audit events; pass the guard's, (*guard.Guard).ClientIP, so
// that the address behind a trusted proxy is the one logged. Applies to
// NewHandlers. Default: the peer's address (no forwarding header is
// believed).
func WithClientIP(ip func(port.Exchange) string) Option {
	return appliesTo(forHandlers, "WithClientIP", func(c *config) error {
		if ip == nil {
			return fmt.Errorf("%w: WithClientIP(nil)", ErrInvalidConfig)
		}
		c.clientIP = ip
		return nil
	})
}

// peerIP is the peer's address without its port.
func peerIP(x port.Exchange) string {
	addr := x.RemoteAddr()
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
