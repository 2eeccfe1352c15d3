package ratelimit

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/authkit-go/authkit/core/authkit"
)

// Sentinel errors. Match them with errors.Is.
var (
	// ErrInvalidConfig reports a constructor or option that cannot be
	// applied (a bad Limit, a nil store, a short audit key). It wraps
	// authkit.ErrInvalidConfig and is returned at start-up only.
	ErrInvalidConfig error = &childError{"ratelimit: invalid configuration", authkit.ErrInvalidConfig}

	// ErrUnavailable reports that a store could not decide (Redis down, a
	// timeout). It wraps authkit.ErrUnavailable: the guard answers 503. It
	// never means "allowed": a limiter that fails open says so in its
	// Decision (Unavailable and Allowed both set) and returns no error.
	ErrUnavailable error = &childError{"ratelimit: store unavailable", authkit.ErrUnavailable}

	// ErrInvalidKey reports a Key without a kind, or an IP key asked for
	// an invalid address.
	ErrInvalidKey = errors.New("ratelimit: invalid key")

	// ErrInvalidCost reports a cost below 0 or above the limit's burst: such
	// a request could never be admitted, so it is a caller's bug rather than
	// a denial.
	ErrInvalidCost = errors.New("ratelimit: invalid cost")

	// ErrLimited is what every *Exceeded matches: some limit refused the
	// request. It wraps authkit.ErrRateLimited: guard.ProblemFor answers
	// 429.
	ErrLimited error = &childError{"ratelimit: limit exceeded", authkit.ErrRateLimited}
)

// Exceeded is the error for a refused request. It carries every decision
// taken for the request, so the caller can still write the header fields
// (see Decisions.Fields). Its message names the policies, never a key.
type Exceeded struct {
	// RetryAfter is how long the client must wait before every refusing
	// limit admits the request again.
	RetryAfter time.Duration
	// Decisions are all the decisions taken for the request, the admitting
	// ones included.
	Decisions Decisions
}

// Error implements error.
func (e *Exceeded) Error() string {
	var b strings.Builder
	b.WriteString("ratelimit: limit exceeded (")
	n := 0
	for _, d := range e.Decisions {
		if d.Allowed {
			continue
		}
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(d.Policy))
		n++
	}
	b.WriteString("), retry after ")
	b.WriteString(e.RetryAfter.String())
	return b.String()
}

// Unwrap returns ErrLimited.
func (e *Exceeded) Unwrap() error { return ErrLimited }

// RetryDelay implements authkit.RetryError: guard.ProblemFor sends it as
// Retry-After.
func (e *Exceeded) RetryDelay() time.Duration { return e.RetryAfter }

// HeaderFields implements authkit.FieldsError: guard.ProblemFor sends the
// decisions' RateLimit-Policy, RateLimit and Retry-After fields
// (Decisions.Fields) with the 429.
func (e *Exceeded) HeaderFields(set func(name, value string)) {
	f := e.Decisions.Fields()
	set(HeaderPolicy, f.Policy)
	set(HeaderRateLimit, f.RateLimit)
	set(HeaderRetryAfter, f.RetryAfter)
}

// childError is a sentinel that is also a kind of a broader sentinel.
type childError struct {
	msg    string
	parent error
}

func (e *childError) Error() string { return e.msg }
func (e *childError) Unwrap() error { return e.parent }
