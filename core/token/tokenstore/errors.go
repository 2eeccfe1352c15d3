package tokenstore

import (
	"errors"
	"fmt"

	"github.com/authkit-go/authkit/core/authkit"
)

// Sentinel errors. Branch on them with errors.Is: the stores wrap them with
// context (and, for ErrUnavailable, with the underlying Redis error).
var (
	// ErrReused reports that a refresh token that was already rotated away was
	// presented again. The family is revoked as a consequence. RotateFamily
	// returns it as a *ReuseError, which counts the replays.
	ErrReused = errors.New("tokenstore: refresh token already used")

	// ErrFamilyRevoked reports that the refresh-token family was revoked
	// earlier (by RevokeFamily, by reuse detection, or by RevokeSubject).
	ErrFamilyRevoked = errors.New("tokenstore: token family revoked")

	// ErrFamilyUnknown reports that the family was never started or has
	// expired.
	ErrFamilyUnknown = errors.New("tokenstore: unknown token family")

	// ErrFamilyExists reports that StartFamily was called for a family id
	// that is still recorded. Starting it again would silently un-revoke it.
	ErrFamilyExists = errors.New("tokenstore: token family already exists")

	// ErrUnavailable wraps Redis and network errors. Callers map it to 503
	// and must never treat it as "not revoked" or "allowed". It wraps
	// authkit.ErrUnavailable.
	ErrUnavailable = fmt.Errorf("tokenstore: store unavailable: %w", authkit.ErrUnavailable)

	// ErrFull reports that a MemoryStore holds its maximum number of live
	// entries and will not evict one. It matches ErrUnavailable too, so
	// callers answer 503 rather than allow anything.
	ErrFull error = fullError{}

	// ErrInvalid reports an unusable argument to a Store method: an empty
	// subject, jti or family id, a non-positive generation ttl, or next ==
	// used.
	ErrInvalid = errors.New("tokenstore: invalid argument")

	// ErrInvalidConfig reports a constructor or option that cannot be
	// applied: a nil Redis client, a key prefix holding a brace. It wraps
	// authkit.ErrInvalidConfig.
	ErrInvalidConfig = fmt.Errorf("tokenstore: %w", authkit.ErrInvalidConfig)
)

// ReuseError is the ErrReused that RotateFamily returns. Count is how many
// times a rotated-away token of the family has been presented, this one
// included: 1 for the first replay, which is the one worth an alert.
type ReuseError struct {
	Count int64
}

func (e *ReuseError) Error() string { return ErrReused.Error() }

// Unwrap makes errors.Is(err, ErrReused) hold.
func (e *ReuseError) Unwrap() error { return ErrReused }

// fullError is ErrFull: a kind of ErrUnavailable.
type fullError struct{}

func (fullError) Error() string { return "tokenstore: memory store full" }

func (fullError) Unwrap() error { return ErrUnavailable }
