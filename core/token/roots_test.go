package token

import (
	"errors"
	"fmt"
	"testing"

	"github.com/authkit-go/authkit/core/authkit"
)

// Each sentinel of a kind core/authkit has a root for wraps that root, so
// guard.ProblemFor answers it without importing this package.
func TestSentinelsWrapTheRoots(t *testing.T) {
	for _, tc := range []struct {
		err, root error
	}{
		{ErrInvalid, authkit.ErrInvalidToken},
		{reject(ErrExpired, "exp"), authkit.ErrInvalidToken},
		{fmt.Errorf("%w: revocation store", ErrUnavailable), authkit.ErrUnavailable},
	} {
		if !errors.Is(tc.err, tc.root) {
			t.Errorf("errors.Is(%v, %v) = false", tc.err, tc.root)
		}
	}
	if errors.Is(ErrUnavailable, ErrInvalid) || errors.Is(ErrUnavailable, authkit.ErrInvalidToken) {
		t.Error("ErrUnavailable reads as an invalid token: a store outage would be a 401")
	}
	if got := ErrInvalid.Error(); got != "token: invalid" {
		t.Errorf("ErrInvalid says %q, want the message it always had", got)
	}
}
