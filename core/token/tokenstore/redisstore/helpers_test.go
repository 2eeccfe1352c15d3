package redisstore

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/token/tokenstore"
	"github.com/authkit-go/authkit/core/token/tokenstore/internal/check"
	"github.com/authkit-go/authkit/core/token/tokenstore/storetest"
)

// TestConformance runs the store suite on a single server and on Cluster.
func TestConformance(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, b redistest.Backend) {
		storetest.Run(t, func(t *testing.T, now func() time.Time) tokenstore.Store {
			return mustNew(t, b.Client, redistest.PrefixFor(t, b.Client), now)
		})
	})
}

// BenchmarkStore measures the hot paths on a single server and on Cluster.
func BenchmarkStore(b *testing.B) {
	for name, client := range map[string]func(testing.TB) redis.UniversalClient{
		"redis":   func(tb testing.TB) redis.UniversalClient { return redistest.Client(tb) },
		"cluster": func(tb testing.TB) redis.UniversalClient { return redistest.ClusterClient(tb) },
	} {
		b.Run(name, func(b *testing.B) {
			storetest.Benchmark(b, func(b *testing.B, now func() time.Time) tokenstore.Store {
				c := client(b)
				return mustNew(b, c, redistest.PrefixFor(b, c), now)
			})
		})
	}
}

func mustNew(t testing.TB, c redis.UniversalClient, prefix string, now func() time.Time) *Store {
	t.Helper()
	s, err := New(c, WithPrefix(prefix), WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newTestStore returns a store on the test Redis reading clk.
func newTestStore(t testing.TB, clk interface{ Now() time.Time }) *Store {
	t.Helper()
	return mustNew(t, redistest.Client(t), redistest.Prefix(t), clk.Now)
}

var t0 = check.T0
