package storetest_test

import (
	"testing"

	"github.com/authkit-go/authkit/core/mfa"
	"github.com/authkit-go/authkit/core/mfa/storetest"
)

// A store proves itself from its own test, with a fresh store per subtest.
func ExampleRun() {
	_ = func(t *testing.T) {
		storetest.Run(t, func(*testing.T) mfa.Store { return mfa.NewMemoryStore() })
	}
}
