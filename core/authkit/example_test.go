package authkit_test

import (
	"errors"
	"fmt"

	"github.com/authkit-go/authkit/core/authkit"
)

// A package's own sentinel wraps the root one, so one errors.Is covers every
// store.
func Example_errorChecking() {
	errSessionsDown := fmt.Errorf("session: store unavailable: %w", authkit.ErrUnavailable)
	err := fmt.Errorf("load: %w", errSessionsDown)
	fmt.Println(errors.Is(err, authkit.ErrUnavailable))
	// Output: true
}
