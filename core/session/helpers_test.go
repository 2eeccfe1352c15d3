package session_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/session"
)

// fakeClock is a settable clock; t0 is millisecond-aligned because Redis
// keeps milliseconds.
type fakeClock = testclock.Clock

var t0 = testclock.Start

func newClock() *fakeClock { return testclock.New() }

// countingStore counts calls to the store it wraps.
type countingStore struct {
	session.Store
	calls atomic.Int64
}

func (c *countingStore) Create(ctx context.Context, h session.Hash, r *session.Record, p session.Policy) error {
	c.calls.Add(1)
	return c.Store.Create(ctx, h, r, p)
}

func (c *countingStore) Load(ctx context.Context, h session.Hash, p session.Policy) (*session.Record, error) {
	c.calls.Add(1)
	return c.Store.Load(ctx, h, p)
}

func (c *countingStore) Save(ctx context.Context, h session.Hash, r *session.Record, p session.Policy) error {
	c.calls.Add(1)
	return c.Store.Save(ctx, h, r, p)
}

type storeKind struct {
	name string
	new  func(t testing.TB) session.Store
}

func memoryStore(t testing.TB) session.Store {
	s, err := session.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func redisStore(t testing.TB) session.Store {
	s, err := session.NewRedisStore(redistest.Client(t), session.WithKeyPrefix(redistest.Prefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// storeKinds is every Store the behaviour table runs against. "redis-cluster-steps"
// runs the Cluster code paths (no Lua across slots) on a single server.
var storeKinds = []storeKind{
	{"memory", memoryStore},
	{"redis", redisStore},
	{"redis-cluster-steps", func(t testing.TB) session.Store {
		s := redisStore(t).(*session.RedisStore)
		session.ForceClusterSteps(s)
		return s
	}},
}

// events collects audit events.
type events struct {
	mu  sync.Mutex
	all []audit.Event
}

func (e *events) Emit(_ context.Context, ev audit.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) list() []audit.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]audit.Event(nil), e.all...)
}

func newManager(t testing.TB, st session.Store, clk *fakeClock, opts ...session.Option) *session.Manager {
	t.Helper()
	opts = append([]session.Option{session.WithStore(st), session.WithClock(clk.Now), session.WithAudit(audit.Discard)}, opts...)
	m, err := session.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var meta = session.Meta{ClientIP: "192.0.2.7", UserAgent: "Mozilla/5.0 test"}
