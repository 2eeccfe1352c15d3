package faulttest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/authtest/redistest"
)

// Timeout is the read, write and dial timeout of the client New returns;
// it makes no retries, so against a frozen Redis one command fails after
// about Timeout.
const Timeout = 200 * time.Millisecond

// Budget bounds how long one store operation may take against a
// misbehaving Redis (Within): many times Timeout, so that a loaded machine
// does not fail the test, yet far below a hang (go-redis's default client
// waits 5 s for one reply).
const Budget = 3 * time.Second

// RecoveryDeadline bounds how long Run waits for a store to work again
// once Redis heals. The time it took is logged.
const RecoveryDeadline = 15 * time.Second

// New starts a redistest.Proxy in front of the test Redis and returns it
// with a client through it that gives up after Timeout and never retries
// (ContextTimeoutEnabled, so a caller's earlier deadline ends the wait
// too). Both are closed when the test ends; then the test fails if a
// goroutine it started is still running (go.uber.org/goleak), so fault
// tests also prove that nothing leaks. Without Redis the test skips, or
// fails under REQUIRE_REDIS=1.
func New(tb testing.TB) (*redistest.Proxy, *redis.Client) {
	tb.Helper()
	redistest.Client(tb) // skip or fail without Redis, before the leak check's snapshot
	CheckLeaks(tb)
	p, opts := redistest.NewTestProxy(tb)
	c := redis.NewClient(Options(p.Addr(), opts))
	tb.Cleanup(func() { _ = c.Close() })
	return p, c
}

// CheckLeaks fails the test if, once it has ended and every cleanup
// registered after this call has run, a goroutine started since is still
// running (go.uber.org/goleak). Call it first.
func CheckLeaks(tb testing.TB) {
	tb.Helper()
	// Registered first, so it runs last: after the clients, proxies and
	// servers the test built are closed.
	before := goleak.IgnoreCurrent()
	tb.Cleanup(func() {
		if err := goleak.Find(before); err != nil {
			tb.Errorf("goroutines left behind: %v", err)
		}
	})
}

// Options are the client options of New's client for the server at addr,
// keeping base's database and credentials.
func Options(addr string, base *redis.Options) *redis.Options {
	return &redis.Options{Addr: addr, DB: base.DB, Username: base.Username, Password: base.Password,
		MaxRetries: -1, ContextTimeoutEnabled: true, DialerRetries: 1,
		DialTimeout: Timeout, ReadTimeout: Timeout, WriteTimeout: Timeout, PoolTimeout: Timeout}
}

// Case is one way a Redis misbehaves.
type Case struct {
	// Name names the subtest.
	Name string
	// Inject makes the proxy misbehave.
	Inject func(p *redistest.Proxy)
	// Deadline, when not zero, is the deadline of the context the calls
	// under the fault get (a caller's own budget, shorter than the
	// client's timeouts).
	Deadline time.Duration
}

// Cases are the faults a fault test injects: a Redis that accepts and
// never answers, connections reset and new ones refused, answers slower
// than the client waits, and answers slower than the caller's deadline.
var Cases = []Case{
	{Name: "frozen", Inject: func(p *redistest.Proxy) { p.Set(redistest.Freeze) }},
	{Name: "reset and refused", Inject: func(p *redistest.Proxy) { p.Set(redistest.Refuse); p.Reset() }},
	{Name: "slower than the client waits", Inject: func(p *redistest.Proxy) { p.SetLatency(2 * Timeout) }},
	{Name: "slower than the caller's deadline", Inject: func(p *redistest.Proxy) { p.SetLatency(Timeout / 2) }, Deadline: Timeout / 10},
}

// Run runs one subtest per case of cases (Cases, or those of them that
// suit the test): it injects the fault, calls during with the case's
// context (during checks what each operation does then, timing each with
// Within), heals the proxy and polls recovered until it succeeds, at most
// RecoveryDeadline, logging how long the calls under the fault and the
// recovery took. It returns the longest recovery.
func Run(t *testing.T, p *redistest.Proxy, cases []Case, during func(t *testing.T, ctx context.Context), recovered func(ctx context.Context) error) time.Duration {
	t.Helper()
	if err := recovered(context.Background()); err != nil {
		t.Fatalf("before any fault: %v", err)
	}
	var longest time.Duration
	for _, fc := range cases {
		t.Run(fc.Name, func(t *testing.T) {
			fc.Inject(p)
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if fc.Deadline > 0 {
				ctx, cancel = context.WithTimeout(ctx, fc.Deadline)
			}
			start := time.Now()
			during(t, ctx)
			spent := time.Since(start)
			cancel()
			p.Heal()
			took, err := redistest.Poll(RecoveryDeadline, func() error { return recovered(context.Background()) })
			if err != nil {
				t.Fatalf("not working %v after Redis healed: %v", took, err)
			}
			t.Logf("the calls under the fault took %v in all; working again %v after Redis healed", spent.Round(time.Millisecond), took.Round(time.Millisecond))
			longest = max(longest, took)
		})
	}
	return longest
}

// Within runs op and fails the test unless it returns within Budget with
// an error that is authkit.ErrUnavailable (a store failure, a 503). It
// returns how long op took.
func Within(t *testing.T, name string, op func() error) time.Duration {
	t.Helper()
	start := time.Now()
	err := op()
	took := time.Since(start)
	if !errors.Is(err, authkit.ErrUnavailable) {
		t.Errorf("%s: %v, want an authkit.ErrUnavailable", name, err)
	}
	if took > Budget {
		t.Errorf("%s took %v against a misbehaving Redis, over the %v budget", name, took, Budget)
	}
	return took
}
