package headers

import (
	"fmt"

	"github.com/authkit-go/authkit/core/authkit"
)

// ErrInvalidOption is returned by New for an option that cannot be applied:
// an invalid header name, an empty value, a CR or LF in a value. It wraps
// authkit.ErrInvalidConfig.
var ErrInvalidOption = fmt.Errorf("headers: invalid option: %w", authkit.ErrInvalidConfig)
