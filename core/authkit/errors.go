package authkit

import (
	"errors"
	"time"
)

// Root errors. Every package's own sentinel of the same kind wraps one of
// these (session.ErrUnavailable, tokenstore.ErrUnavailable, ...), so
// errors.Is(err, authkit.ErrUnavailable) holds for all of them, and
// guard.ProblemFor turns each kind into its HTTP answer without knowing the
// package that returned it.

// ErrUnavailable reports that a store (Redis, a remote JWKS, a provider)
// could not be reached or failed. It never means "allowed" or "not
// revoked": the guard answers 503.
var ErrUnavailable = errors.New("authkit: unavailable")

// ErrInvalidConfig reports a constructor or option that cannot be
// applied: a nil dependency, a bad prefix, a value out of range. It is
// returned at start-up, never per request.
var ErrInvalidConfig = errors.New("authkit: invalid configuration")

// ErrInvalidToken reports a presented token (access, refresh, purpose)
// that is malformed, forged, expired, revoked or of the wrong kind. The
// guard answers 401 with an RFC 6750 invalid_token challenge and never
// says which.
var ErrInvalidToken = errors.New("authkit: invalid token")

// ErrInvalidCredentials reports a password, code or other secret the
// client presented that does not match. The guard answers 401, the same
// for every cause.
var ErrInvalidCredentials = errors.New("authkit: invalid credentials")

// ErrUnauthenticated reports a request that presented no credentials
// where some are needed. The guard answers 401 with a Bearer challenge.
var ErrUnauthenticated = errors.New("authkit: authentication required")

// ErrRateLimited reports a request refused because a limit was reached
// (a rate limit, a factor's lockout). The guard answers 429, with
// Retry-After when the error is a RetryError and the fields of a
// FieldsError.
var ErrRateLimited = errors.New("authkit: rate limited")

// ErrInvalidRequest reports client input that cannot be used: malformed,
// missing or out of range. The guard answers 400.
var ErrInvalidRequest = errors.New("authkit: invalid request")

// ErrConflict reports a request that the current state of what it acts on
// refuses: a name already taken, a factor already enrolled. The guard
// answers 409.
var ErrConflict = errors.New("authkit: conflict")

// RetryError is implemented by errors that know when the refused client
// may try again (a rate limit's refusal, a locked factor). guard.ProblemFor
// sends the delay as Retry-After, in whole seconds rounded up.
type RetryError interface {
	error
	// RetryDelay is how long the client must wait; zero or less when it
	// is not known.
	RetryDelay() time.Duration
}

// FieldsError is implemented by errors whose answer carries response
// header fields of their own (a rate limit's RateLimit-Policy and
// RateLimit). guard.ProblemFor sets each field HeaderFields names, after
// Retry-After, so a field named here wins.
type FieldsError interface {
	error
	// HeaderFields calls set once for each field; an empty value sends
	// nothing.
	HeaderFields(set func(name, value string))
}

// CodeError is implemented by errors that name their cause with a stable
// word a client may branch on (an OAuth callback's "state_mismatch").
// guard.ProblemFor sends it as the problem's "code" member when the error
// also wraps one of the roots above; a word that is not 1 to 64 of a-z,
// 0-9, "_", "." and "-" is left out. The word is part of the feature's
// API and never carries input.
type CodeError interface {
	error
	// ErrorCode is the stable reason word.
	ErrorCode() string
}
