package storetest_test

import (
	"testing"

	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/session/storetest"
)

// A store proves itself from its own test, with a fresh store per subtest.
func ExampleRun() {
	_ = func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) session.Store {
			s, err := session.NewMemoryStore()
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	}
}
