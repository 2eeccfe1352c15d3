package redisstore_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/session/redisstore"
	"github.com/authkit-go/authkit/core/session/storetest"
)

// TestConformance runs the store suite on a single server, on a Cluster,
// and with the Cluster code paths (ordered single-slot steps instead of Lua
// across slots) forced on a single server.
func TestConformance(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, b redistest.Backend) {
		storetest.Run(t, func(t *testing.T) session.Store { return newStore(t, b.Client, redistest.PrefixFor(t, b.Client)) })
	})
	t.Run("cluster-steps", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) session.Store {
			s := newStore(t, redistest.Client(t), redistest.Prefix(t))
			redisstore.ForceClusterSteps(s)
			return s
		})
	})
}

// BenchmarkStore is a request's session work on Redis.
func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) session.Store { return newStore(b, redistest.Client(b), redistest.Prefix(b)) })
}

func newStore(t testing.TB, c redis.UniversalClient, prefix string) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(c, redisstore.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newManager returns a Manager over st on clk.
func newManager(t testing.TB, st session.Store, clk *testclock.Clock) *session.Manager {
	t.Helper()
	m, err := session.New(session.WithStore(st), session.WithClock(clk.Now), session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var (
	t0   = testclock.Start
	meta = session.Meta{ClientIP: "192.0.2.7", UserAgent: "Mozilla/5.0 test"}
)
