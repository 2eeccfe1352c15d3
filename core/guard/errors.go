package guard

import (
	"errors"
	"fmt"

	"github.com/authkit-go/authkit/core/authkit"
)

var (
	// ErrInvalidConfig is returned by New for an option that cannot be
	// applied. It wraps authkit.ErrInvalidConfig.
	ErrInvalidConfig = fmt.Errorf("guard: %w", authkit.ErrInvalidConfig)

	// ErrInvalidOption is ErrInvalidConfig under its former name.
	//
	// Deprecated: use ErrInvalidConfig (or authkit.ErrInvalidConfig).
	ErrInvalidOption = ErrInvalidConfig

	// ErrNoSessions is returned by StartSession, SignIn and SignOut when ctx
	// carries no session state: it is not the context of a request that
	// passed through a Guard built WithSessions. Most often the caller passed
	// context.Background() or a context made outside the handler instead of
	// the request's own.
	ErrNoSessions = errors.New("guard: no session state in this context: pass the request's own context (r.Context(), c.Request.Context(), c.UserContext()) of a request that went through a guard built WithSessions")
)

// invalidConfig returns an ErrInvalidConfig saying what is wrong.
func invalidConfig(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}
