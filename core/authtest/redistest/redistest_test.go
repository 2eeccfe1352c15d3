package redistest_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/authtest/redistest"
)

func TestPrefixIsolatesAndCleansUp(t *testing.T) {
	c := redistest.Client(t)
	var prefix string
	t.Run("inner", func(t *testing.T) {
		prefix = redistest.Prefix(t)
		if !strings.HasPrefix(prefix, "authkit-test:") {
			t.Fatalf("prefix %q", prefix)
		}
		if err := c.Set(context.Background(), prefix+"k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	})
	n, err := c.Exists(context.Background(), prefix+"k").Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("key under %q survived the test's cleanup", prefix)
	}
}

func TestForEachBackendDeletesKeysOfEverySlot(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		// Keys in many slots, as a store's keys are.
		for i := range 50 {
			if err := b.Client.Set(ctx, b.Prefix+"{"+strconv.Itoa(i)+"}:k", "v", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
		redistest.DeletePrefix(t, b.Client, b.Prefix)
		for i := range 50 {
			n, err := b.Client.Exists(ctx, b.Prefix+"{"+strconv.Itoa(i)+"}:k").Result()
			if err != nil || n != 0 {
				t.Fatalf("key %d left after DeletePrefix on %s: n=%d err=%v", i, b.Name, n, err)
			}
		}
	})
}

// A private server forgets everything when it is killed, unless it is
// durable: then every acknowledged write is back after the restart.
func TestServerRestart(t *testing.T) {
	for _, tt := range []struct {
		name  string
		start func(testing.TB) *redistest.Server
		kept  int64
	}{
		{"StartServer", redistest.StartServer, 0},
		{"StartDurableServer", redistest.StartDurableServer, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := tt.start(t)
			c := srv.Client()
			ctx := context.Background()
			if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			srv.Stop()
			srv.Start()
			n, err := c.Exists(ctx, "k").Result()
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.kept {
				t.Fatalf("%d keys after the restart, want %d", n, tt.kept)
			}
		})
	}
}
