package ratelimit_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/ratelimit"
)

// benchKeys are the keys of the many-keys benchmarks: more than fit one
// shard's cache lines, fewer than the store's cap.
var benchKeys = func() []ratelimit.Key {
	ks := make([]ratelimit.Key, 10_000)
	for i := range ks {
		ks[i] = ratelimit.UserKey("user-" + strconv.Itoa(i))
	}
	return ks
}()

func benchStore(b *testing.B) *ratelimit.MemoryStore {
	b.Helper()
	s, err := ratelimit.NewMemoryStore()
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchLimiter(b *testing.B, s ratelimit.Store) *ratelimit.Limiter {
	b.Helper()
	// Generous enough that the benchmark measures admissions, as a healthy
	// server mostly sees.
	l, err := ratelimit.New("bench", ratelimit.PerSecond(1_000_000_000), s, ratelimit.WithAudit(audit.Discard))
	if err != nil {
		b.Fatal(err)
	}
	return l
}

func BenchmarkMemoryAllowOneKey(b *testing.B) {
	l := benchLimiter(b, benchStore(b))
	ctx := context.Background()
	k := ratelimit.UserKey("alice")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Allow(ctx, k, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMemoryAllowManyKeysParallel(b *testing.B) {
	l := benchLimiter(b, benchStore(b))
	ctx := context.Background()
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(7919))
		for pb.Next() {
			if _, err := l.Allow(ctx, benchKeys[i%len(benchKeys)], 1); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

func BenchmarkMemoryDecideTwoLimits(b *testing.B) {
	s := benchStore(b)
	l := benchLimiter(b, s)
	l2, err := ratelimit.New("bench2", ratelimit.PerSecond(1_000_000_000), s, ratelimit.WithAudit(audit.Discard))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ip := ratelimit.Key{Kind: ratelimit.KindIP, Value: "192.0.2.7/32"}
	acct := ratelimit.AccountKey("alice")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ratelimit.Decide(ctx, l.Check(ip, 1), l2.Check(acct, 1)); err != nil {
			b.Fatal(err)
		}
	}
}
