package password

import (
	"errors"
	"fmt"

	"github.com/authkit-go/authkit/core/authkit"
)

// Sentinel errors. Callers branch on them with errors.Is; messages never
// contain a password or a hash.
var (
	// ErrMismatch means the password does not match the stored hash.
	ErrMismatch = errors.New("password: mismatch")

	// ErrMalformedHash means the stored hash is not a well-formed encoding of
	// any supported format.
	ErrMalformedHash = errors.New("password: malformed hash")

	// ErrUnsupportedHash means the stored hash is well formed but uses an
	// algorithm, version or feature this package does not implement (for
	// example argon2d, argon2 v1.0, or argon2 with associated data).
	ErrUnsupportedHash = errors.New("password: unsupported hash")

	// ErrHashLimits means the stored hash asks for more memory, time,
	// parallelism or bytes than the Hasher's configured maxima; it is refused
	// before any work is done.
	ErrHashLimits = errors.New("password: hash parameters exceed limits")

	// ErrPasswordTooLong means the password is longer than the algorithm or the
	// Hasher accepts (bcrypt: 72 bytes). It is never silently truncated.
	ErrPasswordTooLong = errors.New("password: too long")

	// ErrEmptyPassword means Hash was given an empty password.
	ErrEmptyPassword = errors.New("password: empty")

	// ErrInvalidConfig means an option was given an unusable value. It
	// wraps authkit.ErrInvalidConfig.
	ErrInvalidConfig = fmt.Errorf("password: invalid configuration: %w", authkit.ErrInvalidConfig)

	// ErrPolicy is matched (errors.Is) by every *PolicyError.
	ErrPolicy = errors.New("password: rejected by policy")

	// ErrBreachCheck means a breach checker could not give an answer (for
	// example the Pwned Passwords API was unreachable and the checker fails
	// closed).
	ErrBreachCheck = errors.New("password: breach check unavailable")
)
