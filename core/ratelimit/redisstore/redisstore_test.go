package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/authtest/faulttest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/ratelimit"
	"github.com/authkit-go/authkit/core/ratelimit/redisstore"
	"github.com/authkit-go/authkit/core/ratelimit/storetest"
)

// The conformance suite on a single server and on a Redis Cluster, where
// a batch spans hash slots and goes out as one pipeline.
func TestConformance(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, b redistest.Backend) {
		storetest.Run(t, func(t *testing.T, now func() time.Time) ratelimit.Store {
			s, err := redisstore.New(b.Client, redisstore.WithPrefix(b.Prefix+t.Name()+":"), redisstore.WithClock(now))
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
}

// ownClient is a client of the test's own, so hooks count only its traffic.
func ownClient(t *testing.T) *redis.Client {
	t.Helper()
	redistest.Client(t) // skip or fail when there is no Redis
	opts, err := redis.ParseURL(redistest.URL())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newLimiter(t *testing.T, name string, l ratelimit.Limit, s ratelimit.Store, opts ...ratelimit.Option) *ratelimit.Limiter {
	t.Helper()
	lim, err := ratelimit.New(name, l, s, append([]ratelimit.Option{ratelimit.WithAudit(audit.Discard)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return lim
}

func TestRoundTrips(t *testing.T) {
	c := ownClient(t)
	hook := redistest.CountRoundTrips(c)
	s, err := redisstore.New(c, redisstore.WithPrefix(redistest.Prefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ip := newLimiter(t, "ip", ratelimit.PerMinute(60), s)
	acct := newLimiter(t, "account", ratelimit.PerMinute(5), s)
	route := newLimiter(t, "route", ratelimit.PerSecond(100), s)
	throttle, err := ratelimit.NewLoginThrottle(s, ratelimit.PerMinute(5), ratelimit.WithCosts(1, 2), ratelimit.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ip.Allow(ctx, ratelimit.Key{Kind: "ip", Value: "warm-up"}, 1); err != nil { // loads the script
		t.Fatal(err)
	}
	ipKey := ratelimit.Key{Kind: ratelimit.KindIP, Value: "192.0.2.0/24"}
	tests := []struct {
		name string
		op   func() error
		want int64
	}{
		{"Allow", func() error { _, err := ip.Allow(ctx, ipKey, 1); return err }, 1},
		{"Allow refused", func() error {
			_, err := acct.Allow(ctx, ratelimit.AccountKey("bob"), 5)
			if err == nil {
				_, err = acct.Allow(ctx, ratelimit.AccountKey("bob"), 1)
			}
			return err
		}, 2},
		{"Decide of three limits", func() error {
			_, err := ratelimit.Decide(ctx, ip.Check(ipKey, 1), acct.Check(ratelimit.AccountKey("alice"), 1), route.Check(ratelimit.RouteKey("POST", "/login"), 1))
			return err
		}, 1},
		{"LoginThrottle.Begin and Succeeded", func() error {
			a, err := throttle.Begin(ctx, "carol", "client-1")
			if err != nil || !a.Allowed() {
				return fmt.Errorf("begin: %v", err)
			}
			return a.Succeeded(ctx)
		}, 2},
		{"LoginThrottle.Begin of a failure", func() error { _, err := throttle.Begin(ctx, "carol", "client-2"); return err }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := hook.Count()
			if err := tt.op(); err != nil {
				t.Fatal(err)
			}
			if got := hook.Count() - before; got != tt.want {
				t.Fatalf("%d round trips, want %d", got, tt.want)
			}
		})
	}
}

// Without WithClock the decision runs on the Redis server's TIME.
func TestServerTime(t *testing.T) {
	c := ownClient(t)
	s, err := redisstore.New(c, redisstore.WithPrefix(redistest.Prefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	server, err := c.Time(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	res := make([]ratelimit.Result, 1)
	if err := s.Take(ctx, []ratelimit.Request{{Key: "k", Interval: time.Minute, Burst: 1, Cost: 1}}, res); err != nil {
		t.Fatal(err)
	}
	if d := res[0].Now.Sub(server); d < 0 || d > 5*time.Second {
		t.Fatalf("decided at %v, server time %v: not the server's clock", res[0].Now, server)
	}
	if !res[0].TAT.Equal(res[0].Now.Add(time.Minute)) {
		t.Fatalf("tat %v, want now + 1m", res[0].TAT)
	}
}

// Concurrent decisions on the server's clock admit exactly the burst.
func TestConcurrentOnServerTime(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, b redistest.Backend) {
		s, err := redisstore.New(b.Client, redisstore.WithPrefix(b.Prefix))
		if err != nil {
			t.Fatal(err)
		}
		lim := newLimiter(t, "hot", ratelimit.PerHour(30), s) // a unit comes back every 2 minutes
		var admitted atomic.Int64
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				for range 10 {
					d, err := lim.Allow(context.Background(), ratelimit.UserKey("u"), 1)
					if err != nil {
						t.Error(err)
						return
					}
					if d.Allowed {
						admitted.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if got := admitted.Load(); got != 30 {
			t.Fatalf("100 concurrent attempts admitted %d, want exactly 30", got)
		}
	})
}

// Keys carry the prefix and a hash tag, never a username, and expire when
// the bucket is full again.
func TestKeyLayout(t *testing.T) {
	c := redistest.Client(t)
	prefix := redistest.Prefix(t)
	s, err := redisstore.New(c, redisstore.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	throttle, err := ratelimit.NewLoginThrottle(s, ratelimit.PerMinute(5), ratelimit.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := throttle.Begin(ctx, "Alice@example.com", "203.0.113.9")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Succeeded(ctx); err != nil {
		t.Fatal(err)
	}
	keys, err := c.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 { // the account's bucket and the client's mark
		t.Fatalf("keys %q, want 2", keys)
	}
	tag := ""
	for _, k := range keys {
		rest := strings.TrimPrefix(k, prefix)
		if !strings.HasPrefix(rest, "{") || strings.Index(rest, "}") != 23 {
			t.Errorf("key %q: want prefix + a 22-character hash tag", k)
		}
		if strings.Contains(strings.ToLower(k), "alice") || strings.Contains(k, "203.0.113") {
			t.Errorf("key %q holds the username or address", k)
		}
		if tag == "" {
			tag = rest[:24]
		} else if rest[:24] != tag {
			t.Errorf("an account's keys have different hash tags: %q", keys)
		}
		ttl, err := c.PTTL(ctx, k).Result()
		if err != nil || ttl <= 0 || ttl > 30*24*time.Hour {
			t.Errorf("key %q: PTTL %v, %v; want an expiry", k, ttl, err)
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	if _, err := redisstore.New(nil); !errors.Is(err, authkit.ErrInvalidConfig) {
		t.Errorf("nil client: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, p := range []string{"a{b", "}"} {
		if _, err := redisstore.New(c, redisstore.WithPrefix(p)); !errors.Is(err, ratelimit.ErrInvalidConfig) {
			t.Errorf("prefix %q: %v", p, err)
		}
	}
}

// A Redis that cannot be reached is ErrUnavailable: a limiter that fails
// closed refuses with an error, one that fails open admits and says so.
func TestUnreachableRedis(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: closedAddr(t), MaxRetries: -1, DialTimeout: 200 * time.Millisecond, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	defer c.Close()
	s, err := redisstore.New(c)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	closed := newLimiter(t, "login", ratelimit.PerMinute(5), s)
	d, err := closed.Allow(ctx, ratelimit.AccountKey("alice"), 1)
	if !errors.Is(err, authkit.ErrUnavailable) || !errors.Is(err, ratelimit.ErrUnavailable) || d.Allowed || !d.Unavailable {
		t.Fatalf("fail-closed limiter: %+v, %v; want refused, unavailable", d, err)
	}
	open := newLimiter(t, "pages", ratelimit.PerMinute(600), s, ratelimit.WithFailOpen())
	d, err = open.Allow(ctx, ratelimit.UserKey("alice"), 1)
	if err != nil || !d.Allowed || !d.Unavailable {
		t.Fatalf("fail-open limiter: %+v, %v; want admitted, unavailable, no error", d, err)
	}
	throttle, err := ratelimit.NewLoginThrottle(s, ratelimit.PerMinute(5), ratelimit.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	a, err := throttle.Begin(ctx, "alice", "c")
	if !errors.Is(err, authkit.ErrUnavailable) || a.Allowed() || throttle.FailsOpen() {
		t.Fatalf("login throttle: allowed %v, %v; want refused with ErrUnavailable", a.Allowed(), err)
	}
}

// closedAddr is a loopback address nothing listens on: a port just freed
// (a fixed port such as 1 may be taken on a shared machine).
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// A single-shard Ring takes the Cluster path: one script per hash slot
// group, pipelined. Decisions must be those of the single-server path.
func TestClusterPath(t *testing.T) {
	redistest.Client(t)
	opts, err := redis.ParseURL(redistest.URL())
	if err != nil {
		t.Fatal(err)
	}
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": opts.Addr}, DB: opts.DB, Password: opts.Password})
	t.Cleanup(func() { ring.Close() })
	storetest.Run(t, func(t *testing.T, now func() time.Time) ratelimit.Store {
		s, err := redisstore.New(ring, redisstore.WithPrefix(redistest.Prefix(t)), redisstore.WithClock(now))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// A private server starts without the script: a pipelined Cluster batch
// gets NOSCRIPT, loads it and still decides every group. During an outage
// the store is unavailable; after a restart (script cache empty again) it
// decides again.
func TestScriptLoadAndOutage(t *testing.T) {
	srv := redistest.StartServer(t)
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": srv.Addr()}, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { ring.Close() })
	ctx := context.Background()
	stores := map[string]*redisstore.Store{}
	for name, c := range map[string]redis.UniversalClient{"ring": ring, "client": srv.Client()} {
		s, err := redisstore.New(c, redisstore.WithPrefix("t:"+name+":"))
		if err != nil {
			t.Fatal(err)
		}
		stores[name] = s
	}
	batch := func(s *redisstore.Store, key string) ([]ratelimit.Result, error) {
		reqs := []ratelimit.Request{
			{Key: key + "a", Interval: time.Hour, Burst: 1, Cost: 1},
			{Key: key + "b", Interval: time.Hour, Burst: 1, Cost: 1},
			{Key: key + "a", Interval: time.Hour, Burst: 1, Cost: 1},
		}
		res := make([]ratelimit.Result, len(reqs))
		return res, s.Take(ctx, reqs, res)
	}
	check := func(round string) {
		t.Helper()
		for name, s := range stores {
			res, err := batch(s, round)
			if err != nil {
				t.Fatalf("%s, %s: %v", round, name, err)
			}
			if !res[0].Allowed || !res[1].Allowed || res[2].Allowed {
				t.Fatalf("%s, %s: results %+v, want admitted, admitted, refused", round, name, res)
			}
		}
	}
	check("fresh server")
	srv.Stop()
	for name, s := range stores {
		if _, err := batch(s, "outage"); !errors.Is(err, ratelimit.ErrUnavailable) {
			t.Fatalf("%s during the outage: %v, want ErrUnavailable", name, err)
		}
	}
	srv.Start()
	check("restarted server")
}

// Through a proxy that misbehaves, every limiter fails as it says it does
// (closed: refused with ErrUnavailable; open: admitted, marked
// Unavailable), never by admitting silently, within the budget, and
// decides again once Redis is back; nothing leaks.
func TestFaults(t *testing.T) {
	p, c := faulttest.New(t)
	s, err := redisstore.New(c, redisstore.WithPrefix(redistest.Prefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	closed := newLimiter(t, "login", ratelimit.PerMinute(5), s)
	open := newLimiter(t, "pages", ratelimit.PerMinute(600), s, ratelimit.WithFailOpen())
	throttle, err := ratelimit.NewLoginThrottle(s, ratelimit.PerMinute(5), ratelimit.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	key := ratelimit.UserKey("alice")
	faulttest.Run(t, p, faulttest.Cases, func(t *testing.T, ctx context.Context) {
		faulttest.Within(t, "fail-closed limiter", func() error {
			d, err := closed.Allow(ctx, key, 1)
			if d.Allowed || !d.Unavailable {
				t.Errorf("fail-closed limiter: %+v, want refused, unavailable", d)
			}
			return err
		})
		faulttest.Within(t, "fail-open limiter", func() error {
			d, err := open.Allow(ctx, key, 1)
			if err != nil || !d.Allowed || !d.Unavailable {
				t.Errorf("fail-open limiter: %+v, %v; want admitted, unavailable, no error", d, err)
			}
			return authkit.ErrUnavailable // it says so in the decision, not in an error
		})
		faulttest.Within(t, "login throttle", func() error {
			a, err := throttle.Begin(ctx, "alice", "device")
			if a.Allowed() {
				t.Error("login throttle: allowed")
			}
			return err
		})
	}, func(ctx context.Context) error {
		d, err := closed.Allow(ctx, ratelimit.UserKey(fmt.Sprint("probe-", time.Now().UnixNano())), 1)
		if err == nil && (!d.Allowed || d.Unavailable) {
			err = fmt.Errorf("decision %+v", d)
		}
		return err
	})
}
