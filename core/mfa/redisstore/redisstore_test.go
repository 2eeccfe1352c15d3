package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/internal/rediskey"
	"github.com/authkit-go/authkit/core/internal/testclock"

	"github.com/authkit-go/authkit/core/authtest/faulttest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/mfa"
	"github.com/authkit-go/authkit/core/mfa/redisstore"
	"github.com/authkit-go/authkit/core/mfa/storetest"
)

// TestConformance runs the store suite on a single server and on Cluster.
// The suite passes every time to the store; the store's lock clock
// (WithClock) is set to the time of each call, so locks are checked at the
// suite's exact boundaries.
func TestConformance(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, b redistest.Backend) {
		storetest.Run(t, func(t *testing.T) mfa.Store {
			c := &callerClock{clock: testclock.New()}
			s, err := redisstore.New(b.Client, redisstore.WithPrefix(redistest.PrefixFor(t, b.Client)), redisstore.WithClock(c.clock.Now))
			if err != nil {
				t.Fatal(err)
			}
			c.Store = s
			return c
		})
	})
}

// callerClock sets the clock of the store it wraps to the time each call
// passes, before the call.
type callerClock struct {
	mfa.Store
	clock *testclock.Clock
}

func (c *callerClock) Begin(ctx context.Context, userID string, target mfa.Target, lim mfa.Limits, now time.Time) (mfa.Attempt, error) {
	c.clock.Set(now)
	return c.Store.Begin(ctx, userID, target, lim, now)
}

func (c *callerClock) UseRecoveryCode(ctx context.Context, userID string, code mfa.CodeHash, lim mfa.Limits, now time.Time) (mfa.RecoveryUse, error) {
	c.clock.Set(now)
	return c.Store.UseRecoveryCode(ctx, userID, code, lim, now)
}

// Without WithClock a lock runs on the Redis server's TIME: two instances
// whose clocks are 10 minutes apart — more than the lock — still see each
// other's locks, for as long as the lock was set for. On the instances'
// own clocks, the one behind would see a lock set by the one ahead last 11
// minutes, and the one ahead would not see the other's at all. TOTP codes
// are still checked against each instance's own clock.
func TestLockOnServerTime(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, b redistest.Backend) {
		behind, ahead := new(testclock.Wall), new(testclock.Wall)
		ahead.Advance(10 * time.Minute)
		manager := func(clock *testclock.Wall) *mfa.Manager {
			s, err := redisstore.New(b.Client, redisstore.WithPrefix(b.Prefix))
			if err != nil {
				t.Fatal(err)
			}
			m, err := mfa.New("Example", s, testKeys, mfa.WithClock(clock.Now), mfa.WithAudit(audit.Discard), mfa.WithLockout(3, time.Minute, time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		instances := map[string]*mfa.Manager{"behind": manager(behind), "ahead": manager(ahead)}
		clocks := map[string]*testclock.Wall{"behind": behind, "ahead": ahead}
		for _, tc := range []struct{ locks, checks string }{{"behind", "ahead"}, {"ahead", "behind"}} {
			t.Run("locked through the one "+tc.locks, func(t *testing.T) {
				ctx := context.Background()
				user := "user-locked-" + tc.locks
				m, clock := instances[tc.locks], clocks[tc.locks]
				e, err := m.Enroll(ctx, user, "account")
				if err != nil {
					t.Fatal(err)
				}
				secret, _ := mfa.ParseSecret(e.Secret)
				code, _ := m.Params().Code(secret, clock.Now())
				if _, err := m.Confirm(ctx, user, code); err != nil {
					t.Fatal(err)
				}
				wrong, _ := m.Params().Code(secret, clock.Now().Add(time.Hour))
				for range 3 {
					if err := m.Verify(ctx, user, wrong); !errors.Is(err, mfa.ErrInvalidCode) {
						t.Fatalf("wrong code: %v", err)
					}
				}
				other, otherClock := instances[tc.checks], clocks[tc.checks]
				right, _ := other.Params().Code(secret, otherClock.Now())
				err = other.Verify(ctx, user, right)
				var le *mfa.LockedError
				if !errors.As(err, &le) {
					t.Fatalf("the right code through the instance %s: %v, want the lock", tc.checks, err)
				}
				if le.RetryAfter > time.Minute || le.RetryAfter < 50*time.Second {
					t.Fatalf("locked for another %v through the instance %s, want the lock's minute", le.RetryAfter, tc.checks)
				}
			})
		}
	})
}

func TestNewRefusesBadConfig(t *testing.T) {
	if _, err := redisstore.New(nil); !errors.Is(err, authkit.ErrInvalidConfig) {
		t.Errorf("nil client: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, p := range []string{"a{b", "a}b", "{x}:"} {
		if _, err := redisstore.New(c, redisstore.WithPrefix(p)); !errors.Is(err, mfa.ErrInvalidConfig) {
			t.Errorf("prefix %q: %v", p, err)
		}
	}
	if redisstore.DefaultPrefix != "authkit:mfa:" {
		t.Errorf("DefaultPrefix = %q", redisstore.DefaultPrefix)
	}
}

var testKeys = func() *mfa.Keyring {
	k, err := mfa.NewKeyring(mfa.Key{ID: "k", Secret: make([]byte, mfa.KeySize)})
	if err != nil {
		panic(err)
	}
	return k
}()

// newManager returns a Manager on a Redis store over c with a fake clock,
// which the store's locks run on too.
func newManager(t *testing.T, c redis.UniversalClient, prefix string) (*mfa.Manager, *testclock.Clock) {
	t.Helper()
	clk := testclock.New()
	s, err := redisstore.New(c, redisstore.WithPrefix(prefix), redisstore.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mfa.New("Example", s, testKeys, mfa.WithClock(clk.Now), mfa.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	return m, clk
}

// enrol enrols user on m and returns the secret and recovery codes.
func enrol(t *testing.T, m *mfa.Manager, clk *testclock.Clock, user string) ([]byte, []string) {
	t.Helper()
	e, err := m.Enroll(context.Background(), user, "account")
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := mfa.ParseSecret(e.Secret)
	code, _ := m.Params().Code(secret, clk.Now())
	codes, err := m.Confirm(context.Background(), user, code)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(m.Params().Period)
	return secret, codes
}

// TestOneHashTagPerUser: every key of a user carries the user's one hash
// tag, so Lua scripts over them work on Cluster.
func TestOneHashTagPerUser(t *testing.T) {
	prefix := redistest.Prefix(t)
	m, clk := newManager(t, redistest.Client(t), prefix)
	user := "alice{evil}\x00"
	secret, _ := enrol(t, m, clk, user)
	wrong, _ := m.Params().Code(secret, clk.Now().Add(time.Hour))
	m.Verify(context.Background(), user, wrong) // leaves an attempt counter
	keys, err := redistest.Client(t).Keys(context.Background(), prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	tag := rediskey.Tag("mfa", user)
	if len(keys) != 3 { // factor, attempts, recovery codes
		t.Fatalf("keys %q, want 3", keys)
	}
	for _, k := range keys {
		rest := strings.TrimPrefix(k, prefix)
		if strings.Count(rest, "{") != 1 || !strings.HasSuffix(rest, tag) {
			t.Fatalf("key %q does not end in the user's tag %s", k, tag)
		}
	}
}

// TestRoundTrips counts Redis round trips per operation: a successful
// verification is two (read the sealed factor and charge the attempt; then
// the step check-and-set), a wrong code and a recovery code are one.
func TestRoundTrips(t *testing.T) {
	c := redistest.NewClient(t) // our own, so the count is ours
	m, clk := newManager(t, c, redistest.Prefix(t))
	secret, codes := enrol(t, m, clk, "alice")
	ctx := context.Background()
	code := func(offset time.Duration) string { c, _ := m.Params().Code(secret, clk.Now().Add(offset)); return c }
	// Warm the script cache, so that no EVALSHA falls back to EVAL below.
	m.Verify(ctx, "alice", code(0))
	m.UseRecoveryCode(ctx, "alice", codes[0])
	// Every script once, so that a Redis that has not run them yet (the
	// first EVALSHA answers NOSCRIPT, then go-redis sends the EVAL) does
	// not count twice below.
	if _, err := m.RemainingRecoveryCodes(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	rt := redistest.CountRoundTrips(c)
	for _, tt := range []struct {
		name string
		op   func() error
		want int64
	}{
		{"Verify, right code", func() error { return m.Verify(ctx, "alice", code(0)) }, 2},
		{"Verify, replayed code", func() error { return expect(m.Verify(ctx, "alice", code(0)), mfa.ErrReplayed) }, 1},
		{"Verify, wrong code", func() error { return expect(m.Verify(ctx, "alice", code(time.Hour)), mfa.ErrInvalidCode) }, 1},
		{"Verify, malformed code", func() error { return expect(m.Verify(ctx, "alice", "12"), mfa.ErrMalformedCode) }, 0},
		{"UseRecoveryCode", func() error { _, err := m.UseRecoveryCode(ctx, "alice", codes[1]); return err }, 1},
		{"UseRecoveryCode, wrong", func() error {
			_, err := m.UseRecoveryCode(ctx, "alice", codes[1])
			return expect(err, mfa.ErrInvalidCode)
		}, 1},
		{"Enabled", func() error { _, err := m.Enabled(ctx, "alice"); return err }, 1},
		{"RemainingRecoveryCodes", func() error { _, err := m.RemainingRecoveryCodes(ctx, "alice"); return err }, 1},
	} {
		rt.Reset()
		if err := tt.op(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if n := rt.Count(); n != tt.want {
			t.Errorf("%s: %d round trips, want %d", tt.name, n, tt.want)
		}
	}
}

func expect(err, want error) error {
	if errors.Is(err, want) {
		return nil
	}
	return fmt.Errorf("err = %v, want %v", err, want)
}

// TestUnavailable: with Redis down every operation fails with
// ErrUnavailable, which is never read as success.
func TestUnavailable(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: closedAddr(t), DialTimeout: 100 * time.Millisecond, MaxRetries: -1, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	defer c.Close()
	s, err := redisstore.New(c)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mfa.New("Example", s, testKeys, mfa.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, errEnroll := m.Enroll(ctx, "alice", "alice")
	_, errConfirm := m.Confirm(ctx, "alice", "123456")
	_, errUse := m.UseRecoveryCode(ctx, "alice", "0000-0000-0000-0000-0000-0000")
	_, errRegen := m.RegenerateRecoveryCodes(ctx, "alice")
	_, errEnabled := m.Enabled(ctx, "alice")
	_, errLeft := m.RemainingRecoveryCodes(ctx, "alice")
	for name, err := range map[string]error{
		"Enroll": errEnroll, "Confirm": errConfirm, "Verify": m.Verify(ctx, "alice", "123456"),
		"UseRecoveryCode": errUse, "RegenerateRecoveryCodes": errRegen, "Disable": m.Disable(ctx, "alice"),
		"Enabled": errEnabled, "RemainingRecoveryCodes": errLeft,
		"CommitStep": s.CommitStep(ctx, "alice", "id", 1, nil),
	} {
		if !errors.Is(err, mfa.ErrUnavailable) || !errors.Is(err, authkit.ErrUnavailable) {
			t.Errorf("%s: %v, want ErrUnavailable", name, err)
		}
	}
}

// TestFaults puts a proxy between the store and Redis and makes it
// misbehave: every Manager operation fails with ErrUnavailable within the
// budget (a code is never accepted), and MFA works again soon after Redis
// heals; nothing leaks.
func TestFaults(t *testing.T) {
	p, c := faulttest.New(t)
	m, clk := newManager(t, c, redistest.Prefix(t))
	secret, codes := enrol(t, m, clk, "alice")
	code := func() string { c, _ := m.Params().Code(secret, clk.Now()); return c }
	faulttest.Run(t, p, faulttest.Cases, func(t *testing.T, ctx context.Context) {
		clk.Advance(m.Params().Period) // a fresh step, so that a code is not a replay
		for _, op := range []struct {
			name string
			call func() error
		}{
			{"Verify", func() error { return m.Verify(ctx, "alice", code()) }},
			{"UseRecoveryCode", func() error { _, err := m.UseRecoveryCode(ctx, "alice", codes[0]); return err }},
			{"Enabled", func() error { _, err := m.Enabled(ctx, "alice"); return err }},
			{"RemainingRecoveryCodes", func() error { _, err := m.RemainingRecoveryCodes(ctx, "alice"); return err }},
			{"Enroll", func() error { _, err := m.Enroll(ctx, "bob", "bob"); return err }},
			{"Confirm", func() error { _, err := m.Confirm(ctx, "bob", "123456"); return err }},
			{"RegenerateRecoveryCodes", func() error { _, err := m.RegenerateRecoveryCodes(ctx, "alice"); return err }},
			{"Disable", func() error { return m.Disable(ctx, "bob") }},
		} {
			faulttest.Within(t, op.name, op.call)
		}
	}, func(ctx context.Context) error {
		switch on, err := m.Enabled(ctx, "alice"); {
		case err != nil:
			return err
		case !on:
			return errors.New("alice's factor is gone")
		}
		return nil
	})
}

// closedAddr returns a loopback address nothing listens on: a port the
// kernel just handed out and that was closed again (a fixed port such as 1
// may be taken on a shared machine).
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestSentTwice: a client that re-sends a command whose reply timed out
// (go-redis's default, and every ClusterClient under MaxRedirects) runs a
// spending call twice, though Redis may have run the first sending. The
// second run must answer as the first did: the user's correct TOTP code is
// not ErrReplayed, their recovery code not ErrInvalidCode (nor a charged
// failure), their confirmed enrolment not ErrAlreadyEnrolled. A real
// second call is still refused.
func TestSentTwice(t *testing.T) {
	p, opts := redistest.NewTestProxy(t)
	const readTimeout = 200 * time.Millisecond
	late := readTimeout + 400*time.Millisecond
	s, err := redisstore.New(p.ResendingClient(t, opts, readTimeout), redisstore.WithPrefix(redistest.Prefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	lim := mfa.Limits{MaxFailures: 3, Lockouts: []time.Duration{time.Minute}}
	rec := mfa.Record{ID: "f1", Sealed: []byte("sealed"), Params: mfa.Params{Algorithm: mfa.SHA1, Digits: 6, Period: 30 * time.Second},
		LastStep: -1, Created: now, Expires: now.Add(10 * time.Minute)}
	var codeA, codeB mfa.CodeHash
	copy(codeA[:], "code A")
	copy(codeB[:], "code B")
	// Load every script first, so that each call below is one command.
	if err := s.SetPending(ctx, "warm", rec, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Activate(ctx, "warm", rec, []mfa.CodeHash{codeA}, now); err != nil {
		t.Fatal(err)
	}
	if err := s.CommitStep(ctx, "warm", "f1", 1, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UseRecoveryCode(ctx, "warm", codeA, lim, now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPending(ctx, "alice", rec, now); err != nil {
		t.Fatal(err)
	}

	err = p.SendTwice(t, late, func() error { return s.Activate(ctx, "alice", rec, []mfa.CodeHash{codeA, codeB}, now) })
	if err != nil {
		t.Fatalf("Activate sent twice: %v, want nil", err)
	}
	if err := s.Activate(ctx, "alice", rec, nil, now); !errors.Is(err, mfa.ErrAlreadyEnrolled) {
		t.Fatalf("Activate again: %v, want ErrAlreadyEnrolled", err)
	}

	err = p.SendTwice(t, late, func() error { return s.CommitStep(ctx, "alice", "f1", 7, nil) })
	if err != nil {
		t.Fatalf("CommitStep sent twice: %v, want nil", err)
	}
	if err := s.CommitStep(ctx, "alice", "f1", 7, nil); !errors.Is(err, mfa.ErrReplayed) {
		t.Fatalf("CommitStep of the same step again: %v, want ErrReplayed", err)
	}

	var use mfa.RecoveryUse
	err = p.SendTwice(t, late, func() (err error) { use, err = s.UseRecoveryCode(ctx, "alice", codeA, lim, now); return err })
	if err != nil || use.Left != 1 {
		t.Fatalf("UseRecoveryCode sent twice: %+v, %v; want 1 left, nil", use, err)
	}
	if use, err := s.UseRecoveryCode(ctx, "alice", codeA, lim, now); !errors.Is(err, mfa.ErrInvalidCode) || use.Left != 1 {
		t.Fatalf("the spent code again: %+v, %v; want ErrInvalidCode, 1 left", use, err)
	}
	// The failure just charged is the only one: two more lock, not one.
	for i := range 2 {
		if use, _ := s.UseRecoveryCode(ctx, "alice", mfa.CodeHash{}, lim, now); use.Locks != (i == 1) {
			t.Fatalf("failure %d: Locks = %v", i+2, use.Locks)
		}
	}
}
