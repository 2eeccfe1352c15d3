// Package storetest is the conformance suite for ratelimit.Store
// implementations, as testing/slogtest is for slog handlers. The memory and
// Redis stores run it; a third-party store proves itself the same way:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, now func() time.Time) ratelimit.Store {
//			return mystore.New(..., mystore.WithClock(now))
//		})
//	}
//
// newStore must return an empty store (a fresh key prefix will do) that
// reads the time from now: the suite moves that clock to hit exact
// boundaries, to the microsecond.
package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/ratelimit"
)

// Run runs every conformance test against stores made by newStore.
func Run(t *testing.T, newStore func(t *testing.T, now func() time.Time) ratelimit.Store) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := testclock.New()
			s := newStore(t, clock.Now)
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			tc.run(t, &env{t: t, s: s, clock: clock})
		})
	}
}

type env struct {
	t     *testing.T
	s     ratelimit.Store
	clock *testclock.Clock
}

const sec = time.Second

// take runs one request and fails the test on a store error.
func (e *env) take(r ratelimit.Request) ratelimit.Result {
	e.t.Helper()
	res := make([]ratelimit.Result, 1)
	if err := e.s.Take(context.Background(), []ratelimit.Request{r}, res); err != nil {
		e.t.Fatalf("Take(%q): %v", r.Key, err)
	}
	return res[0]
}

// want checks one request's outcome: admitted or not, and the TAT as an
// offset from the clock.
func (e *env) want(r ratelimit.Request, allowed bool, tat time.Duration) {
	e.t.Helper()
	got := e.take(r)
	now := e.clock.Now()
	if got.Allowed != allowed || !got.Now.Equal(now) || !got.TAT.Equal(now.Add(tat)) {
		e.t.Fatalf("Take(%q cost %d) at %v = {allowed %v, now %v, tat now%+v}, want {allowed %v, now %v, tat now%+v}",
			r.Key, r.Cost, now.Format(time.RFC3339Nano), got.Allowed, got.Now.Format(time.RFC3339Nano), got.TAT.Sub(now), allowed, now.Format(time.RFC3339Nano), tat)
	}
}

func req(key string, interval time.Duration, burst, cost int) ratelimit.Request {
	return ratelimit.Request{Key: key, Interval: interval, Burst: burst, Cost: cost}
}

var cases = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"FreshKeySpendsItsBurst", func(t *testing.T, e *env) {
		for i := 1; i <= 3; i++ {
			e.want(req("k", sec, 3, 1), true, time.Duration(i)*sec)
		}
		e.want(req("k", sec, 3, 1), false, 3*sec)
	}},
	{"ExactBoundary", func(t *testing.T, e *env) {
		for range 2 {
			e.take(req("k", 6*sec, 2, 1))
		}
		e.want(req("k", 6*sec, 2, 1), false, 12*sec)
		e.clock.Advance(6*sec - time.Microsecond)
		e.want(req("k", 6*sec, 2, 1), false, 6*sec+time.Microsecond)
		e.clock.Advance(time.Microsecond)
		e.want(req("k", 6*sec, 2, 1), true, 12*sec)
		e.want(req("k", 6*sec, 2, 1), false, 12*sec)
	}},
	{"RefusalChangesNothing", func(t *testing.T, e *env) {
		e.want(req("k", sec, 1, 1), true, sec)
		for range 5 {
			e.want(req("k", sec, 1, 1), false, sec)
		}
		e.clock.Advance(sec)
		e.want(req("k", sec, 1, 1), true, sec)
	}},
	{"CostsOtherThanOne", func(t *testing.T, e *env) {
		e.want(req("k", sec, 5, 3), true, 3*sec)
		e.want(req("k", sec, 5, 3), false, 3*sec)
		e.want(req("k", sec, 5, 2), true, 5*sec)
		e.clock.Advance(2 * sec)
		e.want(req("k", sec, 5, 3), false, 3*sec)
		e.want(req("k", sec, 5, 2), true, 5*sec)
	}},
	{"CostZeroReadsWithoutWriting", func(t *testing.T, e *env) {
		e.want(req("k", sec, 2, 0), true, 0)
		e.want(req("k", sec, 2, 1), true, sec)
		e.want(req("k", sec, 2, 0), true, sec)
		e.want(req("k", sec, 2, 0), true, sec)
		e.want(req("k", sec, 2, 1), true, 2*sec)
		e.want(req("k", sec, 2, 0), true, 2*sec)
	}},
	{"RefundGivesUnitsBack", func(t *testing.T, e *env) {
		e.want(req("k", sec, 3, 3), true, 3*sec)
		e.want(req("k", sec, 3, -2), true, sec)
		e.want(req("k", sec, 3, -5), true, 0)
		for i := 1; i <= 3; i++ {
			e.want(req("k", sec, 3, 1), true, time.Duration(i)*sec)
		}
		e.want(req("k", sec, 3, 1), false, 3*sec)
		e.want(req("fresh", sec, 3, -1), true, 0) // nothing to give back
		e.want(req("fresh", sec, 3, 3), true, 3*sec)
	}},
	{"PassedStateIsForgotten", func(t *testing.T, e *env) {
		e.want(req("k", sec, 2, 2), true, 2*sec)
		e.clock.Advance(time.Hour)
		e.want(req("k", sec, 2, 2), true, 2*sec)
	}},
	{"KeysAreIndependent", func(t *testing.T, e *env) {
		keys := []string{"a", "b", "A", "a\x00", "", "{tag}", "{", "}x{", "ключ", "\xff\xfe", strings.Repeat("long", 500)}
		for _, k := range keys {
			e.want(req(k, sec, 1, 1), true, sec)
		}
		for _, k := range keys {
			e.want(req(k, sec, 1, 1), false, sec)
		}
	}},
	{"GroupDoesNotMergeBuckets", func(t *testing.T, e *env) {
		a := req("a", sec, 1, 1)
		a.Group = "g"
		b := req("b", sec, 1, 1)
		b.Group = "g"
		e.want(a, true, sec)
		e.want(b, true, sec)
		e.want(a, false, sec)
		e.want(b, false, sec)
	}},
	{"BatchInOrder", func(t *testing.T, e *env) {
		reqs := []ratelimit.Request{
			req("x", sec, 2, 1), req("y", 2*sec, 1, 1), req("x", sec, 2, 1), req("x", sec, 2, 1), req("y", 2*sec, 1, 0),
		}
		reqs[1].Group, reqs[4].Group = "g", "g"
		res := make([]ratelimit.Result, len(reqs))
		if err := e.s.Take(context.Background(), reqs, res); err != nil {
			t.Fatal(err)
		}
		now := e.clock.Now()
		want := []struct {
			allowed bool
			tat     time.Duration
		}{{true, sec}, {true, 2 * sec}, {true, 2 * sec}, {false, 2 * sec}, {true, 2 * sec}}
		for i, w := range want {
			if res[i].Allowed != w.allowed || !res[i].TAT.Equal(now.Add(w.tat)) || !res[i].Now.Equal(now) {
				t.Errorf("result %d = {%v, tat now%+v}, want {%v, now%+v}", i, res[i].Allowed, res[i].TAT.Sub(now), w.allowed, w.tat)
			}
		}
	}},
	{"MicrosecondClock", func(t *testing.T, e *env) {
		e.clock.Advance(1500 * time.Nanosecond)
		got := e.take(req("k", time.Microsecond, 1, 1))
		now := e.clock.Now().Truncate(time.Microsecond)
		if !got.Now.Equal(now) || !got.TAT.Equal(now.Add(time.Microsecond)) {
			t.Fatalf("now %v, tat %v; want now %v truncated to the microsecond", got.Now, got.TAT, e.clock.Now())
		}
	}},
	{"LongIntervals", func(t *testing.T, e *env) {
		const half = 15 * 24 * time.Hour
		e.want(req("k", half, 2, 1), true, half)
		e.want(req("k", half, 2, 1), true, 2*half)
		e.want(req("k", half, 2, 1), false, 2*half)
		e.clock.Advance(half + time.Second)
		e.want(req("k", half, 2, 0), true, half-time.Second)
		big := req("big", 10*365*24*time.Hour, 2, 2)
		e.want(big, true, 20*365*24*time.Hour)
	}},
	{"ConcurrentTakesAdmitExactlyTheBurst", func(t *testing.T, e *env) {
		const burst, workers, tries = 50, 8, 20
		var admitted atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Go(func() {
				res := make([]ratelimit.Result, 1)
				for range tries {
					if err := e.s.Take(context.Background(), []ratelimit.Request{req("hot", time.Minute, burst, 1)}, res); err != nil {
						errs <- err
						return
					}
					if res[0].Allowed {
						admitted.Add(1)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if got := admitted.Load(); got != burst {
			t.Fatalf("%d goroutines × %d tries admitted %d, want exactly the burst %d", workers, tries, got, burst)
		}
		e.want(req("hot", time.Minute, burst, 0), true, burst*time.Minute)
	}},
	{"ThroughLimiters", func(t *testing.T, e *env) {
		ip, err := ratelimit.New("ip", ratelimit.PerMinute(10), e.s, ratelimit.WithAudit(audit.Discard))
		if err != nil {
			t.Fatal(err)
		}
		acct, err := ratelimit.New("account", ratelimit.PerMinute(2), e.s, ratelimit.WithAudit(audit.Discard))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		ipKey := ratelimit.Key{Kind: ratelimit.KindIP, Value: "192.0.2.0/24"}
		for i := range 3 {
			ds, err := ratelimit.Decide(ctx, ip.Check(ipKey, 1), acct.Check(ratelimit.AccountKey("Alice"), 1))
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("%v %d %v | %v %d %v %v", ds[0].Allowed, ds[0].Remaining, ds[0].ResetAfter, ds[1].Allowed, ds[1].Remaining, ds[1].ResetAfter, ds[1].RetryAfter)
			want := [...]string{
				"true 9 6s | true 1 30s 0s",
				"true 8 12s | true 0 1m0s 0s",
				"true 7 18s | false 0 1m0s 30s",
			}[i]
			if got != want {
				t.Fatalf("decision %d: %s, want %s", i, got, want)
			}
		}
		e.clock.Advance(30 * sec)
		d, err := acct.Allow(ctx, ratelimit.AccountKey("ａｌｉｃｅ "), 1)
		if err != nil || !d.Allowed || d.Remaining != 0 || d.ResetAfter != time.Minute {
			t.Fatalf("after 30s: %+v, %v; want admitted, 0 left, full in 1m", d, err)
		}
	}},
	{"ThroughLoginThrottle", func(t *testing.T, e *env) {
		// Grouped keys, refunds and zero-cost reads, as a LoginThrottle
		// sends them.
		lt, err := ratelimit.NewLoginThrottle(e.s, ratelimit.PerMinute(3), ratelimit.WithCosts(1, 2), ratelimit.WithAudit(audit.Discard))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		try := func(name, client string, good bool) bool {
			t.Helper()
			a, err := lt.Begin(ctx, name, client)
			if err != nil {
				t.Fatal(err)
			}
			if a.Allowed() && good {
				if err := a.Succeeded(ctx); err != nil {
					t.Fatal(err)
				}
			}
			return a.Allowed()
		}
		if !try("Owner", "device", true) || !try("owner", "stranger", false) { // 1 + 2 of 3 units
			t.Fatal("refused within the burst")
		}
		if try("OWNER ", "stranger", false) {
			t.Fatal("admitted past the account's burst")
		}
		if !try("owner", "device", true) {
			t.Fatal("the owner's known device was locked out")
		}
		e.clock.Advance(time.Minute)
		if !try("owner", "stranger", false) {
			t.Fatal("refused after the bucket refilled")
		}
	}},
}
