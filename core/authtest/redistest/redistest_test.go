package redistest_test

import (
	"context"
	"strings"
	"testing"

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
