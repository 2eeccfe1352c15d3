package bench

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/sethvargo/go-limiter/memorystore"
	ulule "github.com/ulule/limiter/v3"
	ulmemory "github.com/ulule/limiter/v3/drivers/store/memory"
	ulredis "github.com/ulule/limiter/v3/drivers/store/redis"
	"golang.org/x/time/rate"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/ratelimit"
	"github.com/authkit-go/authkit/core/ratelimit/redisstore"
)

// Every limiter here admits everything (a billion a second): the
// benchmarks measure what a healthy server mostly does, one admission per
// request, with each library's own bookkeeping.
const generous = 1_000_000_000

// manyKeys are the client keys of the parallel benchmarks.
var manyKeys = func() []string {
	ks := make([]string, 10_000)
	for i := range ks {
		ks[i] = "user-" + strconv.Itoa(i)
	}
	return ks
}()

// allower is one library's "is this key allowed one more request?".
type allower func(ctx context.Context, key string) bool

// memoryPeers are the in-process limiters compared, each as its users
// would set it up for per-key limits.
func memoryPeers(b *testing.B) []struct {
	name  string
	allow allower
} {
	b.Helper()
	store, err := ratelimit.NewMemoryStore()
	if err != nil {
		b.Fatal(err)
	}
	ak, err := ratelimit.New("bench", ratelimit.PerSecond(generous), store, ratelimit.WithAudit(audit.Discard))
	if err != nil {
		b.Fatal(err)
	}

	// x/time/rate limits one thing; per-key limiting is a map of them.
	var xt sync.Map
	ul := ulule.New(ulmemory.NewStore(), ulule.Rate{Period: time.Second, Limit: generous})
	// go-limiter refills delta×interval/tokens tokens per tick: an hour's
	// interval starts the bucket full and never ticks during a run.
	sv, err := memorystore.New(&memorystore.Config{Tokens: generous, Interval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sv.Close(context.Background()) })

	return []struct {
		name  string
		allow allower
	}{
		{"authkit", func(ctx context.Context, key string) bool {
			d, err := ak.Allow(ctx, ratelimit.UserKey(key), 1)
			return err == nil && d.Allowed
		}},
		{"x-time-rate", func(_ context.Context, key string) bool {
			l, ok := xt.Load(key)
			if !ok {
				l, _ = xt.LoadOrStore(key, rate.NewLimiter(rate.Limit(generous), generous))
			}
			return l.(*rate.Limiter).Allow()
		}},
		{"ulule-limiter", func(ctx context.Context, key string) bool {
			c, err := ul.Get(ctx, key)
			return err == nil && !c.Reached
		}},
		{"sethvargo-go-limiter", func(ctx context.Context, key string) bool {
			_, _, _, ok, err := sv.Take(ctx, key)
			return err == nil && ok
		}},
	}
}

// BenchmarkMemoryOneKey is one client hammering one key.
func BenchmarkMemoryOneKey(b *testing.B) {
	for _, p := range memoryPeers(b) {
		b.Run(p.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			start := cpuTime(b)
			for b.Loop() {
				if !p.allow(ctx, "alice") {
					b.Fatal("refused")
				}
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkMemoryManyKeysParallel is many clients (10,000 keys) from
// GOMAXPROCS goroutines at once.
func BenchmarkMemoryManyKeysParallel(b *testing.B) {
	for _, p := range memoryPeers(b) {
		b.Run(p.name, func(b *testing.B) {
			ctx := context.Background()
			for _, k := range manyKeys { // every key known: measure steady state
				p.allow(ctx, k)
			}
			var seed atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			start := cpuTime(b)
			b.RunParallel(func(pb *testing.PB) {
				i := int(seed.Add(7919))
				for pb.Next() {
					if !p.allow(ctx, manyKeys[i%len(manyKeys)]) {
						b.Error("refused")
						return
					}
					i++
				}
			})
			reportCPU(b, start)
		})
	}
}

// redisClient is a client of the benchmark's own, with a round-trip
// counter, on the test Redis (REDIS_URL).
func redisClient(b testing.TB) (*redis.Client, *redistest.RoundTrips) {
	b.Helper()
	c := redistest.NewClient(b) // skips loudly when there is no Redis
	return c, redistest.CountRoundTrips(c)
}

// BenchmarkRedis is one decision per request on Redis. roundtrips/op is
// counted by redistest.CountRoundTrips on the benchmark's own client.
func BenchmarkRedis(b *testing.B) {
	c, rt := redisClient(b)
	prefix := redistest.Prefix(b)
	store, err := redisstore.New(c, redisstore.WithPrefix(prefix+"ak:"))
	if err != nil {
		b.Fatal(err)
	}
	ip, err := ratelimit.New("ip", ratelimit.PerSecond(generous), store, ratelimit.WithAudit(audit.Discard))
	if err != nil {
		b.Fatal(err)
	}
	acct, err := ratelimit.New("account", ratelimit.PerSecond(generous), store, ratelimit.WithAudit(audit.Discard))
	if err != nil {
		b.Fatal(err)
	}
	rr := redis_rate.NewLimiter(c)
	rrLimit := redis_rate.PerSecond(generous)
	ul, err := ulredis.NewStoreWithOptions(c, ulule.StoreOptions{Prefix: prefix + "ul", MaxRetry: 3})
	if err != nil {
		b.Fatal(err)
	}
	ulLimiter := ulule.New(ul, ulule.Rate{Period: time.Second, Limit: generous})
	ipKey := ratelimit.Key{Kind: ratelimit.KindIP, Value: "192.0.2.7/32"}
	acctKey := ratelimit.AccountKey("alice")

	cases := []struct {
		name string
		op   func(ctx context.Context) error
	}{
		{"authkit", func(ctx context.Context) error {
			_, err := ip.Allow(ctx, ipKey, 1)
			return err
		}},
		{"redis_rate", func(ctx context.Context) error {
			_, err := rr.Allow(ctx, prefix+"rr:ip", rrLimit)
			return err
		}},
		{"ulule-limiter", func(ctx context.Context) error {
			_, err := ulLimiter.Get(ctx, "ip")
			return err
		}},
		// Two limits at one point of a request (per IP and per account).
		{"two-limits/authkit-Decide", func(ctx context.Context) error {
			_, err := ratelimit.Decide(ctx, ip.Check(ipKey, 1), acct.Check(acctKey, 1))
			return err
		}},
		{"two-limits/redis_rate", func(ctx context.Context) error {
			if _, err := rr.Allow(ctx, prefix+"rr:ip", rrLimit); err != nil {
				return err
			}
			_, err := rr.Allow(ctx, prefix+"rr:account", rrLimit)
			return err
		}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			if err := tc.op(ctx); err != nil { // loads scripts
				b.Fatal(err)
			}
			rt.Reset()
			b.ReportAllocs()
			start := cpuTime(b)
			for b.Loop() {
				if err := tc.op(ctx); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
			b.ReportMetric(float64(rt.Count())/float64(b.N), "roundtrips/op")
		})
	}
}
