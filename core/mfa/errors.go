package mfa

import (
	"fmt"
	"strconv"
	"time"

	"github.com/authkit-go/authkit/core/authkit"
)

// Sentinel errors. Branch on them with errors.Is; the Manager and the
// stores wrap them with context.
var (
	// ErrInvalidCode reports a TOTP or recovery code that is wrong,
	// malformed or already used. It wraps authkit.ErrInvalidCredentials:
	// guard.ProblemFor answers 401, the same for every cause. A flow that
	// takes the code as a field of a request already authenticated (an
	// MFA settings endpoint) may answer 400 instead, so that the client
	// does not read it as a dead session.
	ErrInvalidCode = rooted("mfa: invalid code", authkit.ErrInvalidCredentials)

	// ErrMalformedCode reports a code that cannot be right whatever the
	// secret: wrong length or characters other than digits (TOTP), or
	// characters outside the recovery-code alphabet. It wraps
	// ErrInvalidCode. A malformed code is refused before the store is
	// asked and costs no attempt.
	ErrMalformedCode = fmt.Errorf("%w: malformed", ErrInvalidCode)

	// ErrReplayed reports a TOTP code for a time step at or before the
	// last step accepted for the user. It wraps ErrInvalidCode, and it
	// counts as a failed attempt.
	ErrReplayed = fmt.Errorf("%w: already used", ErrInvalidCode)

	// ErrLocked is matched by every *LockedError. It wraps
	// authkit.ErrRateLimited: guard.ProblemFor answers 429 with the
	// error's Retry-After.
	ErrLocked = fmt.Errorf("mfa: factor locked: %w", authkit.ErrRateLimited)

	// ErrNotEnrolled reports that the user has no active factor. It wraps
	// authkit.ErrInvalidRequest (400).
	ErrNotEnrolled = rooted("mfa: not enrolled", authkit.ErrInvalidRequest)

	// ErrAlreadyEnrolled reports an Enroll or Confirm for a user whose
	// factor is already active; Disable it first. It wraps
	// authkit.ErrConflict (409).
	ErrAlreadyEnrolled = rooted("mfa: already enrolled", authkit.ErrConflict)

	// ErrNothingPending reports a Confirm without a pending enrolment:
	// none was started, it expired, or another Enroll replaced it. It
	// wraps authkit.ErrInvalidRequest (400).
	ErrNothingPending = rooted("mfa: no pending enrolment", authkit.ErrInvalidRequest)

	// ErrInvalidInput reports an unusable user id or account name: empty,
	// too long, not UTF-8 or holding control characters. It wraps
	// authkit.ErrInvalidRequest (400).
	ErrInvalidInput = rooted("mfa: invalid input", authkit.ErrInvalidRequest)

	// ErrUnavailable wraps store and network errors. It wraps
	// authkit.ErrUnavailable: the guard answers 503, and a caller must
	// never read it as "verified".
	ErrUnavailable = fmt.Errorf("mfa: store unavailable: %w", authkit.ErrUnavailable)

	// ErrFull reports that a MemoryStore holds its maximum number of users
	// and will not drop an enrolled one. It wraps ErrUnavailable.
	ErrFull = fmt.Errorf("mfa: memory store full: %w", ErrUnavailable)

	// ErrUnsealable reports a stored secret that no key of the Keyring
	// opens: its key id is not configured any more, or the record was
	// altered or moved to another user. It wraps ErrUnavailable, so the
	// factor fails closed with 503 until the key is configured again.
	ErrUnsealable = fmt.Errorf("mfa: stored secret cannot be opened: %w", ErrUnavailable)

	// ErrInvalidConfig reports a constructor or option that cannot be
	// applied. It wraps authkit.ErrInvalidConfig.
	ErrInvalidConfig = fmt.Errorf("mfa: %w", authkit.ErrInvalidConfig)
)

// rootedError is a sentinel that reads as its own message and wraps an
// authkit root, so guard.ProblemFor answers it without the root's text
// reaching err.Error().
type rootedError struct {
	msg  string
	root error
}

func rooted(msg string, root error) error { return &rootedError{msg: msg, root: root} }

func (e *rootedError) Error() string { return e.msg }
func (e *rootedError) Unwrap() error { return e.root }

// LockedError reports that the user's factor is locked after too many
// consecutive failed attempts. Every code, a correct one included, is
// refused until Until; the guard answers 429 with a Retry-After of
// RetryAfter. It matches ErrLocked.
type LockedError struct {
	// Until is when the lock ends.
	Until time.Time
	// RetryAfter is Until minus the time of the refused attempt, rounded up
	// to a whole second and at least one second, ready for a Retry-After
	// header.
	RetryAfter time.Duration
}

// NewLockedError returns the error for an attempt at now while the lock
// lasts until until. Stores report locks with it, so RetryAfter is rounded
// the same way everywhere.
func NewLockedError(until, now time.Time) *LockedError {
	d := until.Sub(now)
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return &LockedError{Until: until, RetryAfter: max(d, time.Second)}
}

// Error implements error.
func (e *LockedError) Error() string {
	return "mfa: factor locked, retry after " + strconv.FormatInt(int64(e.RetryAfter/time.Second), 10) + "s"
}

// Unwrap makes errors.Is(err, ErrLocked) hold.
func (e *LockedError) Unwrap() error { return ErrLocked }

// RetryDelay implements authkit.RetryError: guard.ProblemFor sends it as
// Retry-After.
func (e *LockedError) RetryDelay() time.Duration { return e.RetryAfter }
