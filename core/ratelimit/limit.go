package ratelimit

import (
	"fmt"
	"time"
)

// Limit is "Rate per Period with burst Burst": a key may spend Burst units
// at once, and units come back at a steady Rate per Period (one every
// Period/Rate). A request usually costs one unit; a caller may charge more
// (a failed sign-in costing more than a good one).
//
// Period is a whole number of seconds, so that it can be advertised in the
// RateLimit-Policy header field; Burst 0 means Burst = Rate. Units come
// back at most once a microsecond (a million a second per key).
type Limit struct {
	// Rate is how many units come back per Period. At least 1.
	Rate int
	// Period is the time Rate units take to come back: at least one
	// second, in whole seconds.
	Period time.Duration
	// Burst is how many units a key that has been idle for long enough
	// may spend at once. 0 means Rate.
	Burst int
}

// PerSecond returns n per second with burst n.
func PerSecond(n int) Limit { return Limit{Rate: n, Period: time.Second, Burst: n} }

// PerMinute returns n per minute with burst n.
func PerMinute(n int) Limit { return Limit{Rate: n, Period: time.Minute, Burst: n} }

// PerHour returns n per hour with burst n.
func PerHour(n int) Limit { return Limit{Rate: n, Period: time.Hour, Burst: n} }

// WithBurst returns l with burst b.
func (l Limit) WithBurst(b int) Limit { l.Burst = b; return l }

// String returns, e.g., "60/1m0s burst 10".
func (l Limit) String() string {
	return fmt.Sprintf("%d/%v burst %d", l.Rate, l.Period, l.burst())
}

func (l Limit) burst() int {
	if l.Burst == 0 {
		return l.Rate
	}
	return l.Burst
}

// maxTolerance bounds Burst × interval. It keeps every instant a store
// computes (now + tolerance + cost × interval, in microseconds since 1970)
// far below 2^53, so Redis's Lua doubles hold them exactly.
const maxTolerance = 20 * 365 * 24 * time.Hour

// maxUnits bounds Rate, Burst and costs.
const maxUnits = 1 << 30

// interval is the emission interval, Period/Rate rounded up to a whole
// microsecond (rounding up never admits more than the limit says).
func (l Limit) interval() time.Duration {
	us := (l.Period.Microseconds() + int64(l.Rate) - 1) / int64(l.Rate)
	return time.Duration(us) * time.Microsecond
}

func (l Limit) validate() error {
	switch {
	case l.Rate < 1 || l.Rate > maxUnits:
		return fmt.Errorf("%w: limit rate %d must be between 1 and %d", ErrInvalidConfig, l.Rate, maxUnits)
	case l.Period < time.Second || l.Period%time.Second != 0:
		return fmt.Errorf("%w: limit period %v must be whole seconds, at least 1s", ErrInvalidConfig, l.Period)
	case l.Burst < 0 || l.Burst > maxUnits:
		return fmt.Errorf("%w: limit burst %d must be between 0 and %d", ErrInvalidConfig, l.Burst, maxUnits)
	case l.Period > maxTolerance || int64(l.burst()) > int64(maxTolerance/l.interval()):
		return fmt.Errorf("%w: limit %v spans more than %v", ErrInvalidConfig, l, maxTolerance)
	}
	return nil
}
