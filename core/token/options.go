package token

import (
	"fmt"
	"net/http"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/token/tokenstore"
)

// Option configures a Verifier, an Issuer or a RemoteKeySet. Each option's
// doc names what it applies to; giving an option to a constructor it does
// not apply to is an error (ErrInvalidOption), never silently ignored.
type Option func(*config) error

type target uint8

const (
	forVerifier target = 1 << iota
	forIssuer
	forRemote
)

// Defaults, in one place.
const (
	// DefaultLeeway tolerates clock skew between the issuer and verifiers.
	// 30 s covers NTP-synchronised hosts with margin while keeping the
	// window in which an expired token still passes short.
	DefaultLeeway               = 30 * time.Second
	DefaultMaxSize              = 8 << 10
	DefaultMaxLifetime          = 24 * time.Hour
	DefaultAccessTTL            = 15 * time.Minute
	DefaultRefreshTTL           = 14 * 24 * time.Hour
	DefaultRefreshMaxLifetime   = 30 * 24 * time.Hour
	DefaultPasswordResetTTL     = 15 * time.Minute
	DefaultEmailVerificationTTL = 24 * time.Hour
	DefaultRefreshInterval      = 30 * time.Second
	DefaultMinCacheTTL          = time.Minute
	DefaultMaxCacheTTL          = 24 * time.Hour
	DefaultCacheTTL             = 10 * time.Minute
	DefaultFetchTimeout         = 5 * time.Second
	DefaultMaxResponseSize      = 1 << 20
)

type config struct {
	target target

	now         func() time.Time
	leeway      time.Duration
	maxSize     int
	maxLifetime time.Duration // 0: unbounded
	issuer      string
	audience    []string
	typ         string

	store                 tokenstore.Store
	audit                 audit.Sink
	accessTTL, refreshTTL time.Duration
	refreshMaxLifetime    time.Duration // 0: none
	resetTTL, emailTTL    time.Duration

	httpClient       *http.Client
	refreshInterval  time.Duration
	minTTL, maxTTL   time.Duration
	fetchTimeout     time.Duration
	maxResponseBytes int64
}

func newConfig(t target, opts []Option) (config, error) {
	c := config{
		target:             t,
		now:                time.Now,
		leeway:             DefaultLeeway,
		maxSize:            DefaultMaxSize,
		maxLifetime:        DefaultMaxLifetime,
		accessTTL:          DefaultAccessTTL,
		refreshTTL:         DefaultRefreshTTL,
		refreshMaxLifetime: DefaultRefreshMaxLifetime,
		resetTTL:           DefaultPasswordResetTTL,
		emailTTL:           DefaultEmailVerificationTTL,
		refreshInterval:    DefaultRefreshInterval,
		minTTL:             DefaultMinCacheTTL,
		maxTTL:             DefaultMaxCacheTTL,
		fetchTimeout:       DefaultFetchTimeout,
		maxResponseBytes:   DefaultMaxResponseSize,
	}
	for _, o := range opts {
		if o == nil {
			return config{}, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o(&c); err != nil {
			return config{}, err
		}
	}
	if t == forIssuer {
		if c.store == nil {
			// The default store shares the issuer's clock, or a revocation
			// made under WithClock would look expired to the store.
			c.store = tokenstore.NewMemoryStore(tokenstore.WithClock(c.now))
		}
		if c.audit == nil {
			c.audit = audit.Default()
		}
	}
	if c.httpClient == nil {
		c.httpClient = &http.Client{Timeout: c.fetchTimeout}
	}
	return c, nil
}

// only rejects an option used on a constructor it does not apply to.
func (c *config) only(name string, allowed target) error {
	if c.target&allowed == 0 {
		return fmt.Errorf("%w: %s does not apply here", ErrInvalidOption, name)
	}
	return nil
}

func positive(name string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%w: %s must be positive", ErrInvalidOption, name)
	}
	return nil
}

// WithClock sets the time source, for tests. Applies to Verifier, Issuer
// and RemoteKeySet. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: WithClock(nil)", ErrInvalidOption)
		}
		c.now = now
		return nil
	}
}

// WithLeeway sets the clock-skew tolerance applied to exp, nbf and iat; at
// most 5 minutes. Applies to Verifier and Issuer. Default: 30s.
func WithLeeway(d time.Duration) Option {
	return func(c *config) error {
		if err := c.only("WithLeeway", forVerifier|forIssuer); err != nil {
			return err
		}
		if d < 0 || d > 5*time.Minute {
			return fmt.Errorf("%w: leeway must be within [0, 5m]", ErrInvalidOption)
		}
		c.leeway = d
		return nil
	}
}

// WithMaxSize caps the length of a token in bytes; longer tokens are
// refused before any decoding. Applies to Verifier and Issuer. Default: 8192.
func WithMaxSize(n int) Option {
	return func(c *config) error {
		if err := c.only("WithMaxSize", forVerifier|forIssuer); err != nil {
			return err
		}
		if n < 64 {
			return fmt.Errorf("%w: max size under 64 bytes", ErrInvalidOption)
		}
		c.maxSize = n
		return nil
	}
}

// WithMaxLifetime bounds exp − iat (or exp − now when a token has no iat).
// Applies to Verifier; an Issuer bounds each token kind by its own lifetime.
// Default: 24h.
func WithMaxLifetime(d time.Duration) Option {
	return func(c *config) error {
		if err := c.only("WithMaxLifetime", forVerifier); err != nil {
			return err
		}
		if err := positive("max lifetime", d); err != nil {
			return err
		}
		c.maxLifetime = d
		return nil
	}
}

// WithoutMaxLifetime removes the bound on exp − iat, for verifying
// foreign tokens whose lifetime is not known in advance. Applies to
// Verifier. Default: the 24h bound of WithMaxLifetime applies.
func WithoutMaxLifetime() Option {
	return func(c *config) error {
		if err := c.only("WithoutMaxLifetime", forVerifier); err != nil {
			return err
		}
		c.maxLifetime = 0
		return nil
	}
}

// WithIssuer sets the issuer name: an Issuer writes it as "iss", a Verifier
// requires "iss" to be present and equal. Default: none (no iss written or
// checked).
func WithIssuer(iss string) Option {
	return func(c *config) error {
		if err := c.only("WithIssuer", forVerifier|forIssuer); err != nil {
			return err
		}
		if iss == "" {
			return fmt.Errorf("%w: empty issuer", ErrInvalidOption)
		}
		c.issuer = iss
		return nil
	}
}

// WithAudience sets the audience: an Issuer writes all values as "aud", a
// Verifier requires "aud" to contain at least one of them. Default: none
// (no aud written or checked).
func WithAudience(aud ...string) Option {
	return func(c *config) error {
		if err := c.only("WithAudience", forVerifier|forIssuer); err != nil {
			return err
		}
		if len(aud) == 0 {
			return fmt.Errorf("%w: empty audience", ErrInvalidOption)
		}
		for _, a := range aud {
			if a == "" {
				return fmt.Errorf("%w: empty audience value", ErrInvalidOption)
			}
		}
		c.audience = append([]string(nil), aud...)
		return nil
	}
}

// WithType requires the typ header to equal typ, compared as a media type
// (case-insensitively, an "application/" prefix optional), e.g. "at+jwt"
// for RFC 9068 access tokens. Applies to Verifier. Default: any typ, except
// that authkit refresh and purpose tokens are always refused.
func WithType(typ string) Option {
	return func(c *config) error {
		if err := c.only("WithType", forVerifier); err != nil {
			return err
		}
		if typ == "" {
			return fmt.Errorf("%w: empty type", ErrInvalidOption)
		}
		c.typ = typ
		return nil
	}
}

// WithStore sets the revocation and refresh-family store, shared by every
// instance of a service (use the Redis store of tokenstore/redisstore for
// more than one). Applies to Issuer. Default: tokenstore.NewMemoryStore().
func WithStore(s tokenstore.Store) Option {
	return func(c *config) error {
		if err := c.only("WithStore", forIssuer); err != nil {
			return err
		}
		if s == nil {
			return fmt.Errorf("%w: WithStore(nil)", ErrInvalidOption)
		}
		c.store = s
		return nil
	}
}

// WithAudit sets where token events (issued, refreshed, revoked, reuse
// detected) go. Applies to Issuer. Default: audit.Default().
func WithAudit(sink audit.Sink) Option {
	return func(c *config) error {
		if err := c.only("WithAudit", forIssuer); err != nil {
			return err
		}
		if sink == nil {
			return fmt.Errorf("%w: WithAudit(nil)", ErrInvalidOption)
		}
		c.audit = sink
		return nil
	}
}

func ttlOption(name string, dst func(*config) *time.Duration, d time.Duration) Option {
	return func(c *config) error {
		if err := c.only(name, forIssuer); err != nil {
			return err
		}
		if err := positive(name, d); err != nil {
			return err
		}
		*dst(c) = d
		return nil
	}
}

// WithAccessTTL sets the access-token lifetime. Applies to Issuer.
// Default: 15m.
func WithAccessTTL(d time.Duration) Option {
	return ttlOption("WithAccessTTL", func(c *config) *time.Duration { return &c.accessTTL }, d)
}

// WithRefreshTTL sets the refresh-token lifetime; every refresh issues a
// new one. Applies to Issuer. Default: 336h (14 days).
func WithRefreshTTL(d time.Duration) Option {
	return ttlOption("WithRefreshTTL", func(c *config) *time.Duration { return &c.refreshTTL }, d)
}

// WithRefreshMaxLifetime bounds a refresh family: however often it is
// refreshed, no token of it outlives the user's authentication (auth_time)
// by more than d, and the user must sign in again. Without a bound a stolen
// refresh token that keeps being rotated lives for ever. Applies to Issuer.
// Default: 720h (30 days).
func WithRefreshMaxLifetime(d time.Duration) Option {
	return ttlOption("WithRefreshMaxLifetime", func(c *config) *time.Duration { return &c.refreshMaxLifetime }, d)
}

// WithoutRefreshMaxLifetime lets refresh families live for as long as they
// are refreshed within the refresh TTL. SECURITY WARNING: a refresh token
// that is stolen and kept in use then never expires. Applies to Issuer.
// Default: families end after 30 days (WithRefreshMaxLifetime).
func WithoutRefreshMaxLifetime() Option {
	return func(c *config) error {
		if err := c.only("WithoutRefreshMaxLifetime", forIssuer); err != nil {
			return err
		}
		c.refreshMaxLifetime = 0
		return nil
	}
}

// WithPasswordResetTTL sets the lifetime of password-reset tokens. Applies
// to Issuer. Default: 15m.
func WithPasswordResetTTL(d time.Duration) Option {
	return ttlOption("WithPasswordResetTTL", func(c *config) *time.Duration { return &c.resetTTL }, d)
}

// WithEmailVerificationTTL sets the lifetime of email-verification tokens.
// Applies to Issuer. Default: 24h.
func WithEmailVerificationTTL(d time.Duration) Option {
	return ttlOption("WithEmailVerificationTTL", func(c *config) *time.Duration { return &c.emailTTL }, d)
}

// WithHTTPClient sets the client used to fetch a remote JWKS. Its own
// Timeout, if any, still applies; its redirect policy runs after authkit's
// own, which follows at most 3 redirects and never leaves https. Applies to
// RemoteKeySet.
// Default: an http.Client with the fetch timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if err := c.only("WithHTTPClient", forRemote); err != nil {
			return err
		}
		if hc == nil {
			return fmt.Errorf("%w: WithHTTPClient(nil)", ErrInvalidOption)
		}
		c.httpClient = hc
		return nil
	}
}

// WithRefreshInterval sets the minimum time between two fetches of a remote
// JWKS triggered by an unknown kid or a failed fetch, so a flood of tokens
// with random kids causes at most one fetch per interval. Applies to
// RemoteKeySet. Default: 30s.
func WithRefreshInterval(d time.Duration) Option {
	return func(c *config) error {
		if err := c.only("WithRefreshInterval", forRemote); err != nil {
			return err
		}
		if err := positive("refresh interval", d); err != nil {
			return err
		}
		c.refreshInterval = d
		return nil
	}
}

// WithCacheTTLBounds bounds how long a fetched JWKS is used before it is
// fetched again: Cache-Control max-age is clamped into [min, max]; without
// max-age 10m (clamped) is used. Applies to RemoteKeySet.
// Default: 1m and 24h.
func WithCacheTTLBounds(minTTL, maxTTL time.Duration) Option {
	return func(c *config) error {
		if err := c.only("WithCacheTTLBounds", forRemote); err != nil {
			return err
		}
		if minTTL <= 0 || maxTTL < minTTL {
			return fmt.Errorf("%w: cache TTL bounds need 0 < min <= max", ErrInvalidOption)
		}
		c.minTTL, c.maxTTL = minTTL, maxTTL
		return nil
	}
}

// WithFetchTimeout bounds one JWKS fetch. Applies to RemoteKeySet.
// Default: 5s.
func WithFetchTimeout(d time.Duration) Option {
	return func(c *config) error {
		if err := c.only("WithFetchTimeout", forRemote); err != nil {
			return err
		}
		if err := positive("fetch timeout", d); err != nil {
			return err
		}
		c.fetchTimeout = d
		return nil
	}
}

// WithMaxResponseSize caps the size of a JWKS response body; larger
// responses are refused. Applies to RemoteKeySet. Default: 1 MiB.
func WithMaxResponseSize(n int64) Option {
	return func(c *config) error {
		if err := c.only("WithMaxResponseSize", forRemote); err != nil {
			return err
		}
		if n < 1024 {
			return fmt.Errorf("%w: max response size under 1 KiB", ErrInvalidOption)
		}
		c.maxResponseBytes = n
		return nil
	}
}
