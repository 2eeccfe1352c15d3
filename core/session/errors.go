package session

import (
	"errors"

	"github.com/authkit-go/authkit/core/authkit"
)

// Sentinel errors. Match them with errors.Is; a store error always wraps one
// of them.
var (
	// ErrMalformedID reports a session id of the wrong length or alphabet.
	// It is returned before any store is asked, so a hostile cookie costs
	// nothing.
	ErrMalformedID = errors.New("session: malformed id")

	// ErrNotFound reports that no live session has the id: it never existed,
	// expired, was destroyed, or was rotated away. The guard treats it as
	// "no session".
	ErrNotFound = errors.New("session: not found")

	// ErrExpired reports a session found past its idle timeout or absolute
	// lifetime. It matches ErrNotFound too.
	ErrExpired error = &childError{"session: expired", ErrNotFound}

	// ErrDestroyed reports an operation on a Session value that was already
	// destroyed through this Manager. It matches ErrNotFound too.
	ErrDestroyed error = &childError{"session: destroyed", ErrNotFound}

	// ErrUnavailable reports that the store could not be reached or failed.
	// The guard maps it to 503; it never means "allowed". It wraps
	// authkit.ErrUnavailable.
	ErrUnavailable error = &childError{"session: store unavailable", authkit.ErrUnavailable}

	// ErrFull reports that the memory store holds its maximum number of live
	// sessions. It matches ErrUnavailable too.
	ErrFull error = &childError{"session: store full", ErrUnavailable}

	// ErrNilSession reports a nil *Session passed to a Manager method.
	ErrNilSession = errors.New("session: nil session")

	// ErrInvalidConfig reports a bad option or argument to a constructor
	// (New, NewMemoryStore, redisstore.New). It wraps
	// authkit.ErrInvalidConfig.
	ErrInvalidConfig error = &childError{"session: invalid configuration", authkit.ErrInvalidConfig}

	// ErrInvalidValue reports a session value that cannot be JSON-encoded or
	// an empty key.
	ErrInvalidValue = errors.New("session: invalid value")
)

// childError is a sentinel that is also a kind of a broader sentinel.
type childError struct {
	msg    string
	parent error
}

func (e *childError) Error() string { return e.msg }
func (e *childError) Unwrap() error { return e.parent }
