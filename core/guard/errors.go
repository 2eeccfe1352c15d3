package guard

import "errors"

// ErrInvalidOption is returned by New for an option that cannot be applied.
var ErrInvalidOption = errors.New("guard: invalid option")

// ErrNoSessions is returned by StartSession, SignIn and SignOut when the
// request did not pass through a Guard built WithSessions.
var ErrNoSessions = errors.New("guard: sessions are not configured")
