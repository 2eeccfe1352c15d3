package authkit

import "errors"

// Root errors. Every package's own sentinel of the same kind wraps one of
// these (session.ErrUnavailable, tokenstore.ErrUnavailable, ...), so
// errors.Is(err, authkit.ErrUnavailable) holds for all of them.
var (
	// ErrUnavailable reports that a store (Redis, a remote JWKS, a provider)
	// could not be reached or failed. It never means "allowed" or "not
	// revoked": the guard answers 503.
	ErrUnavailable = errors.New("authkit: unavailable")

	// ErrInvalidConfig reports a constructor or option that cannot be
	// applied: a nil dependency, a bad prefix, a value out of range. It is
	// returned at start-up, never per request.
	ErrInvalidConfig = errors.New("authkit: invalid configuration")
)
