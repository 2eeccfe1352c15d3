package mfa

import (
	"fmt"
	"time"

	"github.com/authkit-go/authkit/core/audit"
)

// Option configures a Manager. An option with a value out of range makes
// New fail with ErrInvalidConfig; nothing is silently ignored.
type Option func(*config) error

// Defaults, in one place.
const (
	DefaultSkew          = 1
	DefaultMaxFailures   = 5
	DefaultFirstLockout  = time.Minute
	DefaultMaxLockout    = time.Hour
	DefaultPendingTTL    = 10 * time.Minute
	DefaultRecoveryCodes = 10
	DefaultQRSize        = 256
)

type config struct {
	params        Params
	skew          int
	limits        Limits
	pendingTTL    time.Duration
	recoveryCodes int
	qrSize        int
	audit         audit.Sink
	now           func() time.Time
}

func newConfig(opts []Option) (config, error) {
	c := config{
		params:        DefaultParams,
		skew:          DefaultSkew,
		limits:        Limits{MaxFailures: DefaultMaxFailures, Lockouts: lockouts(DefaultFirstLockout, DefaultMaxLockout)},
		pendingTTL:    DefaultPendingTTL,
		recoveryCodes: DefaultRecoveryCodes,
		qrSize:        DefaultQRSize,
		audit:         audit.Default(),
		now:           time.Now,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return config{}, err
		}
	}
	return c, nil
}

// lockouts lists the doubling lock durations from first up to max.
func lockouts(first, max time.Duration) []time.Duration {
	var l []time.Duration
	for d := first; d < max; d *= 2 {
		l = append(l, d)
	}
	return append(l, max)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}

// WithAlgorithm sets the HMAC hash of new enrolments: SHA1, SHA256 or
// SHA512. Many authenticator apps ignore the algorithm in the URI and
// always use SHA1, so change it only for apps known to honour it. Existing
// factors keep the parameters they were enrolled with. Default: SHA1.
func WithAlgorithm(a Algorithm) Option {
	return func(c *config) error {
		if _, ok := a.otp(); !ok {
			return invalid("unknown TOTP algorithm %q", a)
		}
		c.params.Algorithm = a
		return nil
	}
}

// WithDigits sets the code length of new enrolments: 6 or 8. Default: 6.
func WithDigits(n int) Option {
	return func(c *config) error {
		if n != 6 && n != 8 {
			return invalid("TOTP digits %d (want 6 or 8)", n)
		}
		c.params.Digits = n
		return nil
	}
}

// WithPeriod sets the time step of new enrolments: 30 or 60 seconds.
// Default: 30s.
func WithPeriod(d time.Duration) Option {
	return func(c *config) error {
		if d != 30*time.Second && d != 60*time.Second {
			return invalid("TOTP period %v (want 30s or 60s)", d)
		}
		c.params.Period = d
		return nil
	}
}

// WithSkew sets how many time steps before and after the current one a
// code is accepted at, for clocks that drift: 0 or 1. A wider window gives
// guessers more codes per attempt and is refused. Default: 1.
func WithSkew(steps int) Option {
	return func(c *config) error {
		if steps != 0 && steps != 1 {
			return invalid("TOTP skew %d (want 0 or 1)", steps)
		}
		c.skew = steps
		return nil
	}
}

// WithLockout sets the lock rule: after maxFailures consecutive failed
// codes (TOTP and recovery codes together, per user) the factor locks, the
// first time for first, each further time for twice as long as the last,
// up to max. A success ends the count and resets the growth. maxFailures
// is 1 to 100; first is 1 s or more and at most max. Default: 5, 1m, 1h.
func WithLockout(maxFailures int, first, max time.Duration) Option {
	return func(c *config) error {
		if maxFailures < 1 || maxFailures > 100 {
			return invalid("lockout after %d failures (want 1 to 100)", maxFailures)
		}
		if first < time.Second || max < first {
			return invalid("lockout durations %v to %v (want 1s <= first <= max)", first, max)
		}
		c.limits = Limits{MaxFailures: maxFailures, Lockouts: lockouts(first, max)}
		return nil
	}
}

// WithPendingTTL sets how long an enrolment waits for its confirming code,
// 1 minute to 1 hour. Default: 10m.
func WithPendingTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Minute || d > time.Hour {
			return invalid("pending enrolment lifetime %v (want 1m to 1h)", d)
		}
		c.pendingTTL = d
		return nil
	}
}

// WithRecoveryCodes sets how many recovery codes Confirm and
// RegenerateRecoveryCodes hand out, 1 to 100. Default: 10.
func WithRecoveryCodes(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 100 {
			return invalid("%d recovery codes (want 1 to 100)", n)
		}
		c.recoveryCodes = n
		return nil
	}
}

// WithQRSize sets the width and height of the enrolment QR code PNG, 128
// to 1024 pixels. Default: 256.
func WithQRSize(px int) Option {
	return func(c *config) error {
		if px < minQRSize || px > maxQRSize {
			return invalid("QR code size %d (want %d to %d)", px, minQRSize, maxQRSize)
		}
		c.qrSize = px
		return nil
	}
}

// WithAudit sets the sink for MFA events (enrolment, success, failure,
// lock, recovery-code use, disable). Events carry the user id and a reason,
// never a code or secret. A nil sink is refused. Default: audit.Default().
func WithAudit(s audit.Sink) Option {
	return func(c *config) error {
		if s == nil {
			return invalid("nil audit sink")
		}
		c.audit = s
		return nil
	}
}

// WithClock sets the clock codes are checked against and locks and
// enrolments expire by. Tests pass a fake clock. A nil clock is refused.
// A store may decide locks on a clock of its own: the Redis store uses the
// server's TIME unless given its own WithClock. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return invalid("nil clock")
		}
		c.now = now
		return nil
	}
}
