package redisstore_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/authtest/faulttest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/session/redisstore"
	"github.com/authkit-go/authkit/core/session/storetest"
)

func newRedis(t *testing.T) (*redisstore.Store, *redis.Client, string) {
	t.Helper()
	c := redistest.Client(t)
	prefix := redistest.Prefix(t)
	return newStore(t, c, prefix), c, prefix
}

func TestRedisTTL(t *testing.T) {
	st, c, _ := newRedis(t)
	clk := testclock.New()
	m := storetest.NewManager(t, st, clk.Now)
	ctx := context.Background()
	pttl := func(s *session.Session) time.Duration {
		t.Helper()
		d, err := c.PTTL(ctx, st.SessionKey(s)).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	near := func(name string, got, want time.Duration) {
		t.Helper()
		if got > want || got < want-2*time.Second {
			t.Errorf("%s: PTTL = %v, want %v", name, got, want)
		}
	}
	tests := []struct {
		name    string
		advance time.Duration // before a Load
		want    time.Duration
	}{
		{"after create: the idle timeout", 0, 30 * time.Minute},
		{"a read-only load slides it", 10 * time.Minute, 30 * time.Minute},
		{"near the absolute end: what is left", 12*time.Hour - 10*time.Minute - 20*time.Minute, 20 * time.Minute},
	}
	s, err := m.Create(ctx, meta)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.advance > 0 {
				// Keep the session alive by the clock across a long advance.
				for left := tt.advance; left > 0; left -= 20 * time.Minute {
					clk.Advance(min(left, 20*time.Minute))
					if _, err := m.Load(ctx, s.ID().Secret()); err != nil {
						t.Fatal(err)
					}
				}
			}
			near(tt.name, pttl(s), tt.want)
		})
	}
	t.Run("save uses the same TTL", func(t *testing.T) {
		got, err := m.Load(ctx, s.ID().Secret())
		if err != nil {
			t.Fatal(err)
		}
		_ = got.Set("k", 1)
		if err := m.Save(ctx, got); err != nil {
			t.Fatal(err)
		}
		near("save", pttl(got), 20*time.Minute)
	})
}

// TestRedisHoldsNoID checks that a copy of Redis hands out no session id.
func TestRedisHoldsNoID(t *testing.T) {
	st, c, prefix := newRedis(t)
	m := storetest.NewManager(t, st, testclock.New().Now)
	ctx := context.Background()
	s, err := m.Create(ctx, session.Meta{UserID: "alice", ClientIP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	secret := s.ID().Secret()
	keys, err := c.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("keys = %v, want a session and a user index", keys)
	}
	for _, k := range keys {
		dump, err := c.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(k+dump, secret) || strings.Contains(k+dump, string(mustRaw(t, secret))) || strings.Contains(k, "alice") {
			t.Fatalf("key %q or its value holds the id or the raw user id", k)
		}
	}
}

func mustRaw(t *testing.T, secret string) []byte {
	t.Helper()
	id, err := session.ParseID(secret)
	if err != nil {
		t.Fatal(err)
	}
	h := id.Hash()
	return h[:] // not the id, but a cheap sanity check that binary hashes are not stored as keys
}

// operation is one Manager method, called once.
type operation struct {
	name string
	call func() error
}

// operations returns a call of each Manager method on s.
func operations(ctx context.Context, m *session.Manager, s *session.Session) []operation {
	return []operation{
		{"Create", func() error { _, err := m.Create(ctx, meta); return err }},
		{"Load", func() error { _, err := m.Load(ctx, s.ID().Secret()); return err }},
		{"Save", func() error { _ = s.Set("k", time.Now().UnixNano()); return m.Save(ctx, s) }},
		{"Rotate", func() error { return m.Rotate(ctx, s) }},
		{"List", func() error { _, err := m.List(ctx, "alice", s); return err }},
		{"DestroyAllExcept", func() error { _, err := m.DestroyAllExcept(ctx, "alice", s, ""); return err }},
		{"DestroyAll", func() error { _, err := m.DestroyAll(ctx, "alice"); return err }},
		{"Destroy", func() error { return m.Destroy(ctx, s) }},
	}
}

// everyOperation runs each Manager method once and returns its error.
func everyOperation(ctx context.Context, m *session.Manager, s *session.Session) map[string]error {
	errs := make(map[string]error)
	for _, op := range operations(ctx, m, s) {
		errs[op.name] = op.call()
	}
	return errs
}

func wantUnavailable(t *testing.T, errs map[string]error) {
	t.Helper()
	for op, err := range errs {
		if !errors.Is(err, session.ErrUnavailable) || !errors.Is(err, authkit.ErrUnavailable) {
			t.Errorf("%s: err = %v, want session.ErrUnavailable (an authkit.ErrUnavailable)", op, err)
		}
	}
}

func TestRedisUnreachable(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	t.Cleanup(func() { _ = c.Close() })
	st, err := redisstore.New(c)
	if err != nil {
		t.Fatal(err)
	}
	m := storetest.NewManager(t, st, testclock.New().Now)
	// A session value as if loaded earlier, from a working store.
	memStore, err := session.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	mem := storetest.NewManager(t, memStore, testclock.New().Now)
	s, err := mem.Create(context.Background(), session.Meta{UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	wantUnavailable(t, everyOperation(context.Background(), m, s))
}

// TestRedisRestart stops and restarts a private redis-server: operations
// fail with ErrUnavailable while it is down and work again once it is back.
func TestRedisRestart(t *testing.T) {
	srv := redistest.StartServer(t)
	c := srv.Client()
	st, err := redisstore.New(c)
	if err != nil {
		t.Fatal(err)
	}
	m := storetest.NewManager(t, st, testclock.New().Now)
	ctx := context.Background()
	working := func(phase string) {
		t.Helper()
		s, err := m.Create(ctx, session.Meta{UserID: "alice"})
		if err != nil {
			t.Fatalf("%s: Create: %v", phase, err)
		}
		for op, err := range everyOperation(ctx, m, s) {
			if err != nil {
				t.Errorf("%s: %s: %v", phase, op, err)
			}
		}
	}

	working("first start")
	s, err := m.Create(ctx, session.Meta{UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	wantUnavailable(t, everyOperation(ctx, m, s))
	if t.Failed() {
		return
	}
	srv.Start()
	working("after restart")
	if _, err := m.Load(ctx, s.ID().Secret()); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("a session from before the restart (no persistence): %v, want ErrNotFound", err)
	}
}

// TestFaults puts a proxy between the store and Redis and makes it
// misbehave: every operation fails with ErrUnavailable within the budget
// (never a hang, never a success), and the store works again soon after
// Redis heals; nothing leaks.
func TestFaults(t *testing.T) {
	p, c := faulttest.New(t)
	st := newStore(t, c, redistest.Prefix(t))
	m := storetest.NewManager(t, st, testclock.New().Now)
	s, err := m.Create(context.Background(), session.Meta{UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	faulttest.Run(t, p, faulttest.Cases, func(t *testing.T, ctx context.Context) {
		for _, op := range operations(ctx, m, s) {
			faulttest.Within(t, op.name, op.call)
		}
	}, func(ctx context.Context) error {
		_, err := m.Create(ctx, session.Meta{UserID: "alice"})
		return err
	})
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name   string
		client redis.UniversalClient
		opts   []redisstore.Option
	}{
		{"nil client", nil, nil},
		{"brace in prefix", redis.NewClient(&redis.Options{}), []redisstore.Option{redisstore.WithPrefix("app{1}:")}},
		{"close brace in prefix", redis.NewClient(&redis.Options{}), []redisstore.Option{redisstore.WithPrefix("app}:")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := redisstore.New(tt.client, tt.opts...)
			if !errors.Is(err, session.ErrInvalidConfig) || !errors.Is(err, authkit.ErrInvalidConfig) {
				t.Fatalf("err = %v, want session.ErrInvalidConfig (an authkit.ErrInvalidConfig)", err)
			}
		})
	}
	if redisstore.DefaultPrefix != "authkit:session:" {
		t.Errorf("DefaultPrefix = %q", redisstore.DefaultPrefix)
	}
}

// TestRedisCorruptRecord checks that a record something else wrote fails
// closed with ErrUnavailable instead of panicking or loading.
func TestRedisCorruptRecord(t *testing.T) {
	st, c, _ := newRedis(t)
	m := storetest.NewManager(t, st, testclock.New().Now)
	ctx := context.Background()
	tests := []struct {
		name, value string
	}{
		{"no header", "garbage"},
		{"non-numeric header", "x:y:{}"},
		{"bad JSON", strconv.FormatInt(t0.UnixMilli(), 10) + ":" + strconv.FormatInt(t0.UnixMilli(), 10) + ":{"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := m.Create(ctx, meta)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Set(ctx, st.SessionKey(s), tt.value, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Load(ctx, s.ID().Secret()); !errors.Is(err, session.ErrUnavailable) {
				t.Fatalf("Load of a corrupt record: %v, want ErrUnavailable", err)
			}
		})
	}
}

func FuzzDecodeRecord(f *testing.F) {
	for _, s := range []string{"1764000000000:1764000000000:{}", `1:2:{"u":"a","v":{"k":1}}`, "::", "1:2:", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		rec, err := redisstore.DecodeRecord(v)
		if err != nil {
			if !errors.Is(err, session.ErrUnavailable) {
				t.Fatalf("error %v is not ErrUnavailable", err)
			}
			return
		}
		if rec == nil {
			t.Fatal("nil record without an error")
		}
	})
}

// TestOldLayoutIsNotRead: a record under the key layout before this
// package (s:{hash}, indexed under a hex tag of the user) is not loaded,
// so a session from before the upgrade, which the new per-user index does
// not hold, cannot escape "log out everywhere": its user signs in again.
func TestOldLayoutIsNotRead(t *testing.T) {
	st, c, prefix := newRedis(t)
	m := storetest.NewManager(t, st, testclock.New().Now)
	ctx := context.Background()
	s, err := m.Create(ctx, session.Meta{UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	val, err := c.Get(ctx, st.SessionKey(s)).Result()
	if err != nil {
		t.Fatal(err)
	}
	old := prefix + "s:{" + s.ID().Hash().String() + "}"
	if err := c.Del(ctx, st.SessionKey(s)).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, old, val, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Load(ctx, s.ID().Secret()); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Load of a session under the old layout: %v, want ErrNotFound", err)
	}
}

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

var (
	t0   = testclock.Start
	meta = session.Meta{ClientIP: "192.0.2.7", UserAgent: "Mozilla/5.0 test"}
)
