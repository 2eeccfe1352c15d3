package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/port"
	"github.com/authkit-go/authkit/core/ratelimit"
)

// exampleClock is a clock that moves only when told, so the output below
// does not depend on when the example runs.
type exampleClock struct{ now time.Time }

func (c *exampleClock) Now() time.Time { return c.now }

func ExampleLimiter_Allow() {
	clock := &exampleClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	store, err := ratelimit.NewMemoryStore(ratelimit.WithClock(clock.Now))
	if err != nil {
		panic(err)
	}
	// 3 per minute with burst 3: a unit comes back every 20 seconds.
	perUser, err := ratelimit.New("user", ratelimit.PerMinute(3), store, ratelimit.WithAudit(audit.Discard))
	if err != nil {
		panic(err)
	}
	for range 4 {
		d, err := perUser.Allow(context.Background(), ratelimit.UserKey("alice"), 1)
		if err != nil {
			panic(err)
		}
		fmt.Printf("allowed=%v remaining=%d reset=%v retry=%v\n", d.Allowed, d.Remaining, d.ResetAfter, d.RetryAfter)
	}
	clock.now = clock.now.Add(20 * time.Second)
	d, _ := perUser.Allow(context.Background(), ratelimit.UserKey("alice"), 1)
	fmt.Println("20s later:", d.Allowed)
	// Output:
	// allowed=true remaining=2 reset=20s retry=0s
	// allowed=true remaining=1 reset=40s retry=0s
	// allowed=true remaining=0 reset=1m0s retry=0s
	// allowed=false remaining=0 reset=1m0s retry=20s
	// 20s later: true
}

// Two limits at one point of the request, and the header fields that
// report them.
func ExampleDecide() {
	clock := &exampleClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	store, _ := ratelimit.NewMemoryStore(ratelimit.WithClock(clock.Now))
	perIP, _ := ratelimit.New("ip", ratelimit.PerMinute(60), store, ratelimit.WithAudit(audit.Discard))
	perAccount, _ := ratelimit.New("account", ratelimit.PerMinute(2), store, ratelimit.WithAudit(audit.Discard))
	ip, _ := ratelimit.IPKey(netip.MustParseAddr("2001:db8:1:2::7"))
	for range 3 {
		ds, err := ratelimit.Decide(context.Background(),
			perIP.Check(ip, 1), perAccount.Check(ratelimit.AccountKey("Alice"), 1))
		if err != nil {
			panic(err) // a store that fails closed is down: answer 503
		}
		f := ds.Fields()
		fmt.Printf("%v\n  RateLimit-Policy: %s\n  RateLimit: %s\n  Retry-After: %q\n", ds.Allowed(), f.Policy, f.RateLimit, f.RetryAfter)
	}
	// Output:
	// true
	//   RateLimit-Policy: "ip";q=60;w=60, "account";q=2;w=60
	//   RateLimit: "account";r=1;t=30
	//   Retry-After: ""
	// true
	//   RateLimit-Policy: "ip";q=60;w=60, "account";q=2;w=60
	//   RateLimit: "account";r=0;t=60
	//   Retry-After: ""
	// false
	//   RateLimit-Policy: "ip";q=60;w=60, "account";q=2;w=60
	//   RateLimit: "account";r=0;t=30
	//   Retry-After: "30"
}

// A stranger empties the account's bucket; the owner's device, which has
// signed in before, still gets in.
func ExampleLoginThrottle() {
	clock := &exampleClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	store, _ := ratelimit.NewMemoryStore(ratelimit.WithClock(clock.Now))
	logins, err := ratelimit.NewLoginThrottle(store, ratelimit.PerMinute(3), ratelimit.WithAudit(audit.Discard))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	a, _ := logins.Begin(ctx, "alice", "device-cookie-of-alice")
	_ = a.Succeeded(ctx) // the password matched
	clock.now = clock.now.Add(time.Hour)

	for i := range 4 {
		a, _ := logins.Begin(ctx, "ALICE ", "attacker") // wrong passwords: nothing to report
		fmt.Println("attacker attempt", i+1, a.Allowed())
	}
	a, _ = logins.Begin(ctx, "alice", "device-cookie-of-alice")
	fmt.Println("owner's device:", a.Allowed())
	a, _ = logins.Begin(ctx, "alice", "a-new-device")
	fmt.Println("unknown device:", a.Allowed())
	// Output:
	// attacker attempt 1 true
	// attacker attempt 2 true
	// attacker attempt 3 true
	// attacker attempt 4 false
	// owner's device: true
	// unknown device: false
}

func ExampleNormalizeUsername() {
	for _, name := range []string{"Alice", "alice ", "ａｌｉｃｅ", "ALICE\u200b", "Straße"} {
		fmt.Printf("%q\n", ratelimit.NormalizeUsername(name))
	}
	// Output:
	// "alice"
	// "alice"
	// "alice"
	// "alice"
	// "strasse"
}

func ExampleIPKey() {
	for _, s := range []string{"192.0.2.7", "2001:db8:1:2:aaaa::1", "2001:db8:1:2:bbbb::2", "::ffff:192.0.2.7"} {
		k, err := ratelimit.IPKey(netip.MustParseAddr(s))
		if err != nil {
			panic(err)
		}
		fmt.Println(k.Value)
	}
	// Output:
	// 192.0.2.7/32
	// 2001:db8:1:2::/64
	// 2001:db8:1:2::/64
	// 192.0.2.7/32
}

// How a caller tells "over the limit" (429) from "store down" (503).
func Example_errorChecking() {
	store, _ := ratelimit.NewMemoryStore()
	perUser, _ := ratelimit.New("user", ratelimit.PerHour(1), store, ratelimit.WithAudit(audit.Discard))
	for range 2 {
		ds, err := ratelimit.Decide(context.Background(), perUser.Check(ratelimit.UserKey("bob"), 1))
		if err == nil {
			err = ds.Err()
		}
		var exceeded *ratelimit.Exceeded
		switch {
		case err == nil:
			fmt.Println("go on")
		case errors.As(err, &exceeded):
			fmt.Println("429, Retry-After:", ds.Fields().RetryAfter)
		case errors.Is(err, ratelimit.ErrUnavailable):
			fmt.Println("503")
		}
	}
	// Output:
	// go on
	// 429, Retry-After: 3600
}

// A limit per client address on the sign-in routes, at the guard's
// rate-limit step, through the request's exchange as an adapter hands it
// over.
func ExampleRequestLimit() {
	clock := &exampleClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	store, _ := ratelimit.NewMemoryStore(ratelimit.WithClock(clock.Now))
	perIP, _ := ratelimit.New("ip", ratelimit.PerMinute(2), store, ratelimit.WithAudit(audit.Discard))
	signIn, err := ratelimit.NewRequestLimit(perIP, ratelimit.ByIP(), ratelimit.OnRoutes("POST /login", "POST /register"))
	if err != nil {
		panic(err)
	}
	// guard.New(guard.WithRateLimit(signIn)) asks it about every request;
	// here we ask it by hand.
	client := netip.MustParseAddr("198.51.100.7")
	for range 3 {
		w := httptest.NewRecorder()
		x := port.HTTPExchange{W: w, R: httptest.NewRequest("POST", "/login", nil)}
		_, err := signIn.LimitRequest(context.Background(), x, client, port.Principal{}, false)
		var ex *ratelimit.Exceeded
		if errors.As(err, &ex) { // the guard answers 429 with these fields
			f := ex.Decisions.Fields()
			fmt.Printf("429 Retry-After: %s, RateLimit: %s\n", f.RetryAfter, f.RateLimit)
			continue
		}
		fmt.Printf("admitted, RateLimit-Policy: %s, RateLimit: %s\n", w.Header().Get("RateLimit-Policy"), w.Header().Get("RateLimit"))
	}
	// Output:
	// admitted, RateLimit-Policy: "ip";q=2;w=60, RateLimit: "ip";r=1;t=30
	// admitted, RateLimit-Policy: "ip";q=2;w=60, RateLimit: "ip";r=0;t=60
	// 429 Retry-After: 30, RateLimit: "ip";r=0;t=30
}
