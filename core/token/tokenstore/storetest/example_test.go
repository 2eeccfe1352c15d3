package storetest_test

import (
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/token/tokenstore"
	"github.com/authkit-go/authkit/core/token/tokenstore/storetest"
)

// A store proves itself from its own test, with a fresh store per subtest
// that reads the suite's clock.
func ExampleRun() {
	_ = func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, now func() time.Time) tokenstore.Store {
			return tokenstore.NewMemoryStore(tokenstore.WithClock(now))
		})
	}
}
