package redistest_test

import (
	"context"
	"testing"

	"github.com/authkit-go/authkit/core/authtest/redistest"
)

// A test gets the shared client and a key prefix of its own; the prefix's
// keys are deleted when the test ends.
func ExampleClient() {
	_ = func(t *testing.T) {
		c := redistest.Client(t) // skips (or fails under REQUIRE_REDIS=1) without Redis
		prefix := redistest.Prefix(t)
		if err := c.Set(context.Background(), prefix+"greeting", "hello", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// An outage test stops and restarts a private server on the same port.
func ExampleStartServer() {
	_ = func(t *testing.T) {
		srv := redistest.StartServer(t)
		c := srv.Client()
		srv.Stop()
		if c.Ping(context.Background()).Err() == nil {
			t.Fatal("the server answered while stopped")
		}
		srv.Start()
	}
}
