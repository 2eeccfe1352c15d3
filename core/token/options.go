package token

import (
	"fmt"
	"net/http"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/token/tokenstore"
)

// The options of NewVerifier, NewIssuer and NewRemoteKeySet. Each
// constructor takes its own option type, so an option given to a
// constructor it does not apply to is a compile-time error. An option that
// several constructors share returns a type that is all of theirs: Option
// (Verifier and Issuer: the checks both make on a token) or ClockOption
// (all three).
type (
	// VerifierOption configures NewVerifier.
	VerifierOption interface{ applyVerifier(*config) error }
	// IssuerOption configures NewIssuer.
	IssuerOption interface{ applyIssuer(*config) error }
	// RemoteOption configures NewRemoteKeySet.
	RemoteOption interface{ applyRemote(*config) error }
	// Option configures a Verifier and an Issuer alike: WithLeeway,
	// WithMaxSize, WithIssuer, WithAudience.
	Option interface {
		VerifierOption
		IssuerOption
	}
	// ClockOption configures all three constructors: WithClock.
	ClockOption interface {
		VerifierOption
		IssuerOption
		RemoteOption
	}
)

// option is every option's implementation; the type a constructor of
// options returns says where it applies.
type option func(*config) error

func (o option) applyVerifier(c *config) error { return o(c) }
func (o option) applyIssuer(c *config) error   { return o(c) }
func (o option) applyRemote(c *config) error   { return o(c) }

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
	DefaultMFATokenTTL          = 5 * time.Minute
	DefaultRefreshInterval      = 30 * time.Second
	DefaultMinCacheTTL          = time.Minute
	DefaultMaxCacheTTL          = 24 * time.Hour
	DefaultCacheTTL             = 10 * time.Minute
	DefaultFetchTimeout         = 5 * time.Second
	DefaultMaxResponseSize      = 1 << 20
)

type config struct {
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
	mfaTTL                time.Duration

	httpClient       *http.Client
	refreshInterval  time.Duration
	minTTL, maxTTL   time.Duration
	fetchTimeout     time.Duration
	maxResponseBytes int64

	cacheEntries, cacheBytes int // verified-token cache; 0 entries: off
}

// configure applies opts over the defaults with apply, the constructor's
// own method.
func configure[O comparable](opts []O, apply func(O, *config) error) (config, error) {
	c := config{
		now:                time.Now,
		leeway:             DefaultLeeway,
		maxSize:            DefaultMaxSize,
		maxLifetime:        DefaultMaxLifetime,
		accessTTL:          DefaultAccessTTL,
		refreshTTL:         DefaultRefreshTTL,
		refreshMaxLifetime: DefaultRefreshMaxLifetime,
		resetTTL:           DefaultPasswordResetTTL,
		emailTTL:           DefaultEmailVerificationTTL,
		mfaTTL:             DefaultMFATokenTTL,
		refreshInterval:    DefaultRefreshInterval,
		minTTL:             DefaultMinCacheTTL,
		maxTTL:             DefaultMaxCacheTTL,
		fetchTimeout:       DefaultFetchTimeout,
		maxResponseBytes:   DefaultMaxResponseSize,
		cacheEntries:       DefaultVerifiedCacheEntries,
		cacheBytes:         DefaultVerifiedCacheBytes,
	}
	var none O
	for _, o := range opts {
		if o == none {
			return config{}, fmt.Errorf("%w: nil option", ErrInvalidConfig)
		}
		if err := apply(o, &c); err != nil {
			return config{}, err
		}
	}
	if c.httpClient == nil {
		c.httpClient = &http.Client{Timeout: c.fetchTimeout}
	}
	return c, nil
}

func positive(name string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%w: %s must be positive", ErrInvalidConfig, name)
	}
	return nil
}

// WithClock sets the time source, for tests. Applies to Verifier, Issuer
// and RemoteKeySet. Default: time.Now.
func WithClock(now func() time.Time) ClockOption {
	return option(func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: WithClock(nil)", ErrInvalidConfig)
		}
		c.now = now
		return nil
	})
}

// WithLeeway sets the clock-skew tolerance applied to exp, nbf and iat; at
// most 5 minutes. Applies to Verifier and Issuer. Default: 30s.
func WithLeeway(d time.Duration) Option {
	return option(func(c *config) error {
		if d < 0 || d > 5*time.Minute {
			return fmt.Errorf("%w: leeway must be within [0, 5m]", ErrInvalidConfig)
		}
		c.leeway = d
		return nil
	})
}

// WithMaxSize caps the length of a token in bytes; longer tokens are
// refused before any decoding. Applies to Verifier and Issuer. Default: 8192.
func WithMaxSize(n int) Option {
	return option(func(c *config) error {
		if n < 64 {
			return fmt.Errorf("%w: max size under 64 bytes", ErrInvalidConfig)
		}
		c.maxSize = n
		return nil
	})
}

// WithMaxLifetime bounds exp − iat (or exp − now when a token has no iat).
// Applies to Verifier; an Issuer bounds each token kind by its own lifetime.
// Default: 24h.
func WithMaxLifetime(d time.Duration) VerifierOption {
	return option(func(c *config) error {
		if err := positive("max lifetime", d); err != nil {
			return err
		}
		c.maxLifetime = d
		return nil
	})
}

// WithoutMaxLifetime removes the bound on exp − iat, for verifying
// foreign tokens whose lifetime is not known in advance. Applies to
// Verifier. Default: the 24h bound of WithMaxLifetime applies.
func WithoutMaxLifetime() VerifierOption {
	return option(func(c *config) error {
		c.maxLifetime = 0
		return nil
	})
}

// WithIssuer sets the issuer name: an Issuer writes it as "iss", a Verifier
// requires "iss" to be present and equal. Default: none (no iss written or
// checked).
func WithIssuer(iss string) Option {
	return option(func(c *config) error {
		if iss == "" {
			return fmt.Errorf("%w: empty issuer", ErrInvalidConfig)
		}
		c.issuer = iss
		return nil
	})
}

// WithAudience sets the audience: an Issuer writes all values as "aud", a
// Verifier requires "aud" to contain at least one of them. Default: none
// (no aud written or checked).
func WithAudience(aud ...string) Option {
	return option(func(c *config) error {
		if len(aud) == 0 {
			return fmt.Errorf("%w: empty audience", ErrInvalidConfig)
		}
		for _, a := range aud {
			if a == "" {
				return fmt.Errorf("%w: empty audience value", ErrInvalidConfig)
			}
		}
		c.audience = append([]string(nil), aud...)
		return nil
	})
}

// WithType requires the typ header to equal typ, compared as a media type
// (case-insensitively, an "application/" prefix optional), e.g. "at+jwt"
// for RFC 9068 access tokens. Applies to Verifier. Default: any typ, except
// that authkit refresh and purpose tokens are always refused.
func WithType(typ string) VerifierOption {
	return option(func(c *config) error {
		if typ == "" {
			return fmt.Errorf("%w: empty type", ErrInvalidConfig)
		}
		c.typ = typ
		return nil
	})
}

// WithStore sets the revocation and refresh-family store, shared by every
// instance of a service (use the Redis store of tokenstore/redisstore for
// more than one). Applies to Issuer. Default: tokenstore.NewMemoryStore().
func WithStore(s tokenstore.Store) IssuerOption {
	return option(func(c *config) error {
		if s == nil {
			return fmt.Errorf("%w: WithStore(nil)", ErrInvalidConfig)
		}
		c.store = s
		return nil
	})
}

// WithAudit sets where token events (issued, refreshed, revoked, reuse
// detected) go. Applies to Issuer. Default: audit.Default().
func WithAudit(sink audit.Sink) IssuerOption {
	return option(func(c *config) error {
		if sink == nil {
			return fmt.Errorf("%w: WithAudit(nil)", ErrInvalidConfig)
		}
		c.audit = sink
		return nil
	})
}

func ttlOption(name string, dst func(*config) *time.Duration, d time.Duration) IssuerOption {
	return option(func(c *config) error {
		if err := positive(name, d); err != nil {
			return err
		}
		*dst(c) = d
		return nil
	})
}

// WithAccessTTL sets the access-token lifetime. Applies to Issuer.
// Default: 15m.
func WithAccessTTL(d time.Duration) IssuerOption {
	return ttlOption("WithAccessTTL", func(c *config) *time.Duration { return &c.accessTTL }, d)
}

// WithRefreshTTL sets the refresh-token lifetime; every refresh issues a
// new one. Applies to Issuer. Default: 336h (14 days).
func WithRefreshTTL(d time.Duration) IssuerOption {
	return ttlOption("WithRefreshTTL", func(c *config) *time.Duration { return &c.refreshTTL }, d)
}

// WithRefreshMaxLifetime bounds a refresh family: however often it is
// refreshed, no token of it outlives the user's authentication (auth_time)
// by more than d, and the user must sign in again. Without a bound a stolen
// refresh token that keeps being rotated lives for ever. Applies to Issuer.
// Default: 720h (30 days).
func WithRefreshMaxLifetime(d time.Duration) IssuerOption {
	return ttlOption("WithRefreshMaxLifetime", func(c *config) *time.Duration { return &c.refreshMaxLifetime }, d)
}

// WithoutRefreshMaxLifetime lets refresh families live for as long as they
// are refreshed within the refresh TTL. SECURITY WARNING: a refresh token
// that is stolen and kept in use then never expires. Applies to Issuer.
// Default: families end after 30 days (WithRefreshMaxLifetime).
func WithoutRefreshMaxLifetime() IssuerOption {
	return option(func(c *config) error {
		c.refreshMaxLifetime = 0
		return nil
	})
}

// WithPasswordResetTTL sets the lifetime of password-reset tokens. Applies
// to Issuer. Default: 15m.
func WithPasswordResetTTL(d time.Duration) IssuerOption {
	return ttlOption("WithPasswordResetTTL", func(c *config) *time.Duration { return &c.resetTTL }, d)
}

// WithEmailVerificationTTL sets the lifetime of email-verification tokens.
// Applies to Issuer. Default: 24h.
func WithEmailVerificationTTL(d time.Duration) IssuerOption {
	return ttlOption("WithEmailVerificationTTL", func(c *config) *time.Duration { return &c.emailTTL }, d)
}

// WithMFATokenTTL sets the lifetime of the tokens that carry a sign-in
// from its password to its second factor (PurposeMFA). Applies to Issuer.
// Default: 5m.
func WithMFATokenTTL(d time.Duration) IssuerOption {
	return ttlOption("WithMFATokenTTL", func(c *config) *time.Duration { return &c.mfaTTL }, d)
}

// WithHTTPClient sets the client used to fetch a remote JWKS. Its own
// Timeout, if any, still applies; its redirect policy runs after authkit's
// own, which follows at most 3 redirects and never leaves https. Applies to
// RemoteKeySet.
// Default: an http.Client with the fetch timeout.
func WithHTTPClient(hc *http.Client) RemoteOption {
	return option(func(c *config) error {
		if hc == nil {
			return fmt.Errorf("%w: WithHTTPClient(nil)", ErrInvalidConfig)
		}
		c.httpClient = hc
		return nil
	})
}

// WithRefreshInterval sets the minimum time between two fetches of a remote
// JWKS triggered by an unknown kid or a failed fetch, so a flood of tokens
// with random kids causes at most one fetch per interval. Applies to
// RemoteKeySet. Default: 30s.
func WithRefreshInterval(d time.Duration) RemoteOption {
	return option(func(c *config) error {
		if err := positive("refresh interval", d); err != nil {
			return err
		}
		c.refreshInterval = d
		return nil
	})
}

// WithCacheTTLBounds bounds how long a fetched JWKS is used before it is
// fetched again: Cache-Control max-age is clamped into [min, max]; without
// max-age 10m (clamped) is used. Applies to RemoteKeySet.
// Default: 1m and 24h.
func WithCacheTTLBounds(minTTL, maxTTL time.Duration) RemoteOption {
	return option(func(c *config) error {
		if minTTL <= 0 || maxTTL < minTTL {
			return fmt.Errorf("%w: cache TTL bounds need 0 < min <= max", ErrInvalidConfig)
		}
		c.minTTL, c.maxTTL = minTTL, maxTTL
		return nil
	})
}

// WithFetchTimeout bounds one JWKS fetch. Applies to RemoteKeySet.
// Default: 5s.
func WithFetchTimeout(d time.Duration) RemoteOption {
	return option(func(c *config) error {
		if err := positive("fetch timeout", d); err != nil {
			return err
		}
		c.fetchTimeout = d
		return nil
	})
}

// WithMaxResponseSize caps the size of a JWKS response body; larger
// responses are refused. Applies to RemoteKeySet. Default: 1 MiB.
func WithMaxResponseSize(n int64) RemoteOption {
	return option(func(c *config) error {
		if n < 1024 {
			return fmt.Errorf("%w: max response size under 1 KiB", ErrInvalidConfig)
		}
		c.maxResponseBytes = n
		return nil
	})
}
