package redistest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/authtest/faulttest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
)

func proxied(t *testing.T) (*redistest.Proxy, *redis.Client) {
	t.Helper()
	opts, err := redis.ParseURL(redistest.URL())
	if err != nil {
		t.Fatal(err)
	}
	redistest.Client(t) // skip (or fail under REQUIRE_REDIS=1) without Redis
	p := redistest.NewProxy(t, opts.Addr)
	c := redis.NewClient(&redis.Options{Addr: p.Addr(), DB: opts.DB, MaxRetries: -1,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = c.Close() })
	return p, c
}

func TestProxyFaults(t *testing.T) {
	redistest.Client(t)
	faulttest.CheckLeaks(t) // after the proxy and client are closed, even when the test fails
	p, c := proxied(t)
	ctx := context.Background()
	sent := p.Requests()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("through a passing proxy: %v", err)
	}
	if p.Requests() <= sent {
		t.Fatalf("Requests() = %d after a PING, was %d", p.Requests(), sent)
	}

	p.Set(redistest.Freeze)
	start := time.Now()
	err := c.Ping(ctx).Err()
	if err == nil {
		t.Fatal("a frozen proxy answered")
	}
	var ne interface{ Timeout() bool }
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("frozen: want a timeout, got %v", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("the client's 200ms read timeout took %v", waited)
	}

	p.Set(redistest.Pass)
	if err := poll(func() error { return c.Ping(ctx).Err() }); err != nil {
		t.Fatalf("healed proxy: %v", err)
	}

	p.Reset()
	if p.Conns() != 0 {
		t.Fatalf("%d connections survived Reset", p.Conns())
	}
	if err := poll(func() error { return c.Ping(ctx).Err() }); err != nil {
		t.Fatalf("after a reset the client did not reconnect: %v", err)
	}

	p.Set(redistest.Refuse)
	p.Reset()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("a refusing proxy answered")
	}
	p.Set(redistest.Pass)
	if err := poll(func() error { return c.Ping(ctx).Err() }); err != nil {
		t.Fatalf("after refusing: %v", err)
	}

	p.SetLatency(50 * time.Millisecond)
	start = time.Now()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Fatalf("a round trip through 50ms of latency each way took %v", took)
	}
}

// poll waits for the client to reconnect.
func poll(fn func() error) error {
	_, err := redistest.Poll(5*time.Second, fn)
	return err
}
