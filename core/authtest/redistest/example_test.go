package redistest_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

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

// A store's suite runs against a single server and a Cluster with one call;
// each subtest skips loudly (or fails under REQUIRE_REDIS=1 and
// REQUIRE_REDIS_CLUSTER=1) when its deployment is missing.
func ExampleForEachBackend() {
	_ = func(t *testing.T) {
		redistest.ForEachBackend(t, func(t *testing.T, b redistest.Backend) {
			if err := b.Client.Set(context.Background(), b.Prefix+"{user}:greeting", "hello", 0).Err(); err != nil {
				t.Fatalf("%s: %v", b.Name, err)
			}
		})
	}
}

// A fault test puts a proxy between the store and Redis and freezes it.
func ExampleNewProxy() {
	_ = func(t *testing.T) {
		p := redistest.NewProxy(t, "127.0.0.1:6379")
		c := redis.NewClient(&redis.Options{Addr: p.Addr(), ReadTimeout: 200 * time.Millisecond})
		defer c.Close()
		p.Set(redistest.Freeze) // accepts, never answers
		if c.Ping(context.Background()).Err() == nil {
			t.Fatal("a frozen Redis answered")
		}
		p.Set(redistest.Pass)
	}
}
