package guard

import "errors"

// ErrInvalidOption is returned by New for an option that cannot be applied.
var ErrInvalidOption = errors.New("guard: invalid option")
