package headers

import "errors"

// ErrInvalidOption is returned by New for an option that cannot be applied:
// an invalid header name, an empty value, a CR or LF in a value.
var ErrInvalidOption = errors.New("headers: invalid option")
