package mfa_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/mfa"
)

// A locked factor is an authkit.ErrRateLimited whose RetryDelay (sent as
// Retry-After by guard.ProblemFor) is its rounded RetryAfter; the store
// errors are authkit.ErrUnavailable.
func TestLockedErrorSpeaksAuthkit(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	err := fmt.Errorf("verify: %w", mfa.NewLockedError(now.Add(90*time.Second+time.Millisecond), now))
	if !errors.Is(err, mfa.ErrLocked) || !errors.Is(err, authkit.ErrRateLimited) {
		t.Fatalf("%v: want ErrLocked and authkit.ErrRateLimited", err)
	}
	var re authkit.RetryError
	if !errors.As(err, &re) || re.RetryDelay() != 91*time.Second {
		t.Errorf("RetryError = %v, want a delay of 91s", re)
	}
	for _, e := range []error{mfa.ErrUnavailable, mfa.ErrFull, mfa.ErrUnsealable} {
		if !errors.Is(e, authkit.ErrUnavailable) {
			t.Errorf("%v is no authkit.ErrUnavailable", e)
		}
	}
}
