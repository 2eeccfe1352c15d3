package ratelimit

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/authkit-go/authkit/core/audit"
)

// Option configures a Limiter (New) or a LoginThrottle (NewLoginThrottle);
// each option's doc says which it applies to.
type Option func(*config)

type config struct {
	audit    audit.Sink
	auditKey []byte
	failOpen bool

	// LoginThrottle only.
	successCost, failureCost int
	knownLimit               *Limit
	knownFor                 time.Duration
}

func newConfig(opts []Option) (config, error) {
	c := config{
		audit:       audit.Default(),
		successCost: 1,
		failureCost: 1,
		knownFor:    30 * 24 * time.Hour,
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.audit == nil {
		return c, fmt.Errorf("%w: nil audit sink (use audit.Discard)", ErrInvalidConfig)
	}
	if c.auditKey == nil {
		c.auditKey = make([]byte, 32)
		_, _ = rand.Read(c.auditKey) // crypto/rand.Read never fails
	} else if len(c.auditKey) < 16 {
		return c, fmt.Errorf("%w: audit key of %d bytes, want at least 16", ErrInvalidConfig, len(c.auditKey))
	}
	return c, nil
}

// WithAudit sets where refusals are reported: coalesced audit.RateLimitHit
// events, one per key per window of the limit, with a count. Applies to
// New and NewLoginThrottle. Default: audit.Default() (log/slog).
func WithAudit(sink audit.Sink) Option { return func(c *config) { c.audit = sink } }

// WithAuditKey sets the HMAC key (at least 16 bytes) that hashes key values
// in audit events, so events of several instances can be correlated
// without logging a username. Applies to New and NewLoginThrottle.
// Default: a random key per limiter (hashes match within one limiter's
// life only).
func WithAuditKey(key []byte) Option {
	return func(c *config) { c.auditKey = append([]byte{}, key...) }
}

// WithFailOpen makes the limiter admit requests when its store cannot
// decide: the Decision says Unavailable and Allowed, and no error is
// returned. Use it only where availability matters more than the limit
// (a general per-IP limit on read-only pages); NEVER on sign-in, MFA or
// token endpoints, where an attacker who can slow Redis would get
// unlimited guesses. Applies to New and NewLoginThrottle. Default: fail
// closed (an error wrapping ErrUnavailable: the guard answers 503).
func WithFailOpen() Option { return func(c *config) { c.failOpen = true } }

// WithCosts sets what a sign-in attempt costs the account's bucket: the
// failure cost is charged when the attempt begins (so concurrent guesses
// cannot all slip in) and the difference is given back when the caller
// reports a success. 0 <= success <= failure, failure >= 1, and failure is
// at most the limits' bursts. Applies to NewLoginThrottle. Default: 1, 1.
func WithCosts(success, failure int) Option {
	return func(c *config) { c.successCost, c.failureCost = success, failure }
}

// WithKnownClientLimit sets the limit of a known client's own bucket: the
// attempts a client that has signed in to the account before may still
// make while the account's bucket is empty. Applies to NewLoginThrottle.
// Default: the account limit.
func WithKnownClientLimit(l Limit) Option { return func(c *config) { c.knownLimit = &l } }

// WithKnownFor sets how long a client stays known after it signed in
// successfully: between d/2 and d after its latest success. Applies to
// NewLoginThrottle. Default: 720h (30 days).
func WithKnownFor(d time.Duration) Option { return func(c *config) { c.knownFor = d } }
