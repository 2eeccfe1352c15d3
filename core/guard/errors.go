package guard

import "errors"

// ErrInvalidOption is returned by New for an option that cannot be applied.
var ErrInvalidOption = errors.New("guard: invalid option")

// ErrNoSessions is returned by StartSession, SignIn and SignOut when ctx
// carries no session state: it is not the context of a request that passed
// through a Guard built WithSessions. Most often the caller passed
// context.Background() or a context made outside the handler instead of the
// request's own.
var ErrNoSessions = errors.New("guard: no session state in this context: pass the request's own context (r.Context(), c.Request.Context(), c.UserContext()) of a request that went through a guard built WithSessions")
