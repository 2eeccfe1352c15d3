package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/authtest/faulttest"
	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/internal/rediskey"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/token/tokenstore"
	"github.com/authkit-go/authkit/core/token/tokenstore/internal/check"
	"github.com/authkit-go/authkit/core/token/tokenstore/storetest"
)

func TestNew(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { c.Close() })
	tests := []struct {
		name    string
		client  redis.UniversalClient
		opts    []Option
		wantErr error
	}{
		{"defaults", c, nil, nil},
		{"custom prefix", c, []Option{WithPrefix("app:")}, nil},
		{"empty prefix", c, []Option{WithPrefix("")}, nil},
		{"nil client", nil, nil, tokenstore.ErrInvalidConfig},
		{"prefix with open brace", c, []Option{WithPrefix("app{")}, tokenstore.ErrInvalidConfig},
		{"prefix with close brace", c, []Option{WithPrefix("app}")}, tokenstore.ErrInvalidConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.client, tc.opts...)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, authkit.ErrInvalidConfig) {
				t.Fatalf("err = %v does not wrap authkit.ErrInvalidConfig", err)
			}
			if err == nil && r == nil {
				t.Fatal("nil store without error")
			}
		})
	}
	r, _ := New(c)
	if r.prefix != DefaultPrefix {
		t.Fatalf("default prefix %q, want %q", r.prefix, DefaultPrefix)
	}
}

// hashTag returns what Redis Cluster hashes for key.
func hashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

func TestRedisKeysShareHashTag(t *testing.T) {
	r, err := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), WithPrefix("p:"))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range append(storetest.HostileIDs, storetest.HostileID{Name: "plain", ID: "alice"}) {
		t.Run(h.Name, func(t *testing.T) {
			st := r.subjectTag(h.ID)
			if st != rediskey.Tag("token", h.ID) {
				t.Fatalf("subject tag %q is not rediskey.Tag(\"token\", id)", st)
			}
			inner := st[1 : len(st)-1]
			jk, gk, fk := r.jtiKey(st, h.ID), r.genKey(st), r.familyKey(st, h.ID)
			if hashTag(jk) != inner || hashTag(gk) != inner || hashTag(fk) != inner {
				t.Fatalf("keys %q, %q and %q do not share the hash tag %q", jk, gk, fk, st)
			}
			if len(inner) != 22 || strings.ContainsAny(inner, "{}") {
				t.Fatalf("bad tag %q", st)
			}
			if len(jk) > 100 || len(fk) > 100 {
				t.Fatalf("key length depends on the id: %d, %d", len(jk), len(fk))
			}
		})
	}
}

// pttl reads a key's remaining lifetime.
func pttl(t *testing.T, r *Store, key string) time.Duration {
	t.Helper()
	d, err := r.c.PTTL(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func wantTTL(t *testing.T, what string, got, want time.Duration) {
	t.Helper()
	// Redis counts down in real time between the write and PTTL.
	if got > want || got < want-2*time.Second {
		t.Fatalf("%s: PTTL = %v, want about %v", what, got, want)
	}
}

func TestRedisTTL(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, r *Store, clk *testclock.Clock)
	}{
		{"revocation lives for the token's remaining lifetime", func(t *testing.T, r *Store, clk *testclock.Clock) {
			check.Err(t, "revoke", r.RevokeToken(ctx, "alice", "j", clk.Now().Add(10*time.Minute)), nil)
			wantTTL(t, "jti", pttl(t, r, r.jtiKey(r.subjectTag("alice"), "j")), 10*time.Minute)
		}},
		{"the generation lives for ttl and never shortens", func(t *testing.T, r *Store, clk *testclock.Clock) {
			key := r.genKey(r.subjectTag("alice"))
			check.Err(t, "long", r.RevokeSubject(ctx, "alice", time.Hour), nil)
			wantTTL(t, "after long", pttl(t, r, key), time.Hour)
			check.Err(t, "short", r.RevokeSubject(ctx, "alice", time.Minute), nil)
			wantTTL(t, "after short", pttl(t, r, key), time.Hour)
			check.Err(t, "longer", r.RevokeSubject(ctx, "alice", 2*time.Hour), nil)
			wantTTL(t, "after longer", pttl(t, r, key), 2*time.Hour)
		}},
		{"the generation outlives every family of the subject", func(t *testing.T, r *Store, clk *testclock.Clock) {
			key := r.genKey(r.subjectTag("alice"))
			check.Err(t, "start", check.Start(r, "f", "alice", "a", clk.Now().Add(2*time.Hour)), nil)
			wantTTL(t, "after start", pttl(t, r, key), 2*time.Hour)
			check.Err(t, "revoke with a short ttl", r.RevokeSubject(ctx, "alice", time.Minute), nil)
			wantTTL(t, "after RevokeSubject", pttl(t, r, key), 2*time.Hour)
			check.Err(t, "start in generation 1", check.Start(r, "g", "alice", "a", clk.Now().Add(3*time.Hour)), nil)
			wantTTL(t, "after a longer family", pttl(t, r, key), 3*time.Hour)
			rot := tokenstore.Rotation{Subject: "alice", Family: "g", Used: "a", Next: "b", Gen: 1, Exp: clk.Now().Add(4 * time.Hour)}
			check.Err(t, "rotate", r.RotateFamily(ctx, rot), nil)
			wantTTL(t, "after a rotation", pttl(t, r, key), 4*time.Hour)
		}},
		{"family lives until its latest exp, revoked too", func(t *testing.T, r *Store, clk *testclock.Clock) {
			key := r.familyKey(r.subjectTag("alice"), "f")
			check.Err(t, "start", check.Start(r, "f", "alice", "a", clk.Now().Add(time.Hour)), nil)
			wantTTL(t, "start", pttl(t, r, key), time.Hour)
			check.Err(t, "rotate", check.Rotate(r, "f", "a", "b", clk.Now().Add(2*time.Hour)), nil)
			wantTTL(t, "rotate", pttl(t, r, key), 2*time.Hour)
			check.Err(t, "rotate shorter", check.Rotate(r, "f", "b", "c", clk.Now().Add(time.Minute)), nil)
			wantTTL(t, "rotate shorter", pttl(t, r, key), 2*time.Hour)
			check.Err(t, "revoke", r.RevokeFamily(ctx, "alice", "f"), nil)
			wantTTL(t, "revoke", pttl(t, r, key), 2*time.Hour)
			check.Err(t, "replay", check.Rotate(r, "f", "a", "x", clk.Now()), tokenstore.ErrReused)
			wantTTL(t, "replay", pttl(t, r, key), 2*time.Hour)
		}},
		{"signing out everywhere else keeps the TTLs", func(t *testing.T, r *Store, clk *testclock.Clock) {
			tag := r.subjectTag("alice")
			check.Err(t, "start", check.Start(r, "keep", "alice", "a", clk.Now().Add(2*time.Hour)), nil)
			check.Err(t, "RevokeSubjectExcept", r.RevokeSubjectExcept(ctx, "alice", "keep", time.Minute), nil)
			wantTTL(t, "kept family", pttl(t, r, r.familyKey(tag, "keep")), 2*time.Hour)
			wantTTL(t, "generation", pttl(t, r, r.genKey(tag)), 2*time.Hour)
			check.Err(t, "RevokeSubjectExcept, longer", r.RevokeSubjectExcept(ctx, "alice", "keep", 3*time.Hour), nil)
			wantTTL(t, "generation after a longer ttl", pttl(t, r, r.genKey(tag)), 3*time.Hour)
		}},
		{"a corrupted family denies", func(t *testing.T, r *Store, clk *testclock.Clock) {
			tag := r.subjectTag("alice")
			check.Err(t, "start", check.Start(r, "f", "alice", "a", clk.Now().Add(time.Hour)), nil)
			check.Err(t, "RevokeSubject", r.RevokeSubject(ctx, "alice", time.Hour), nil)
			if err := r.c.Set(ctx, r.familyKey(tag, "f"), "a"+famJTI("a")+":x", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			revoked, err := r.Revoked(ctx, "alice", "j", "f", 0)
			if !revoked || !errors.Is(err, tokenstore.ErrUnavailable) {
				t.Fatalf("Revoked = %v, %v; want true, tokenstore.ErrUnavailable", revoked, err)
			}
			check.Err(t, "rotate", check.Rotate(r, "f", "a", "b", clk.Now().Add(time.Hour)), tokenstore.ErrUnavailable)
			check.Err(t, "keep", r.RevokeSubjectExcept(ctx, "alice", "f", time.Hour), tokenstore.ErrUnavailable)
		}},
		{"a corrupted generation denies", func(t *testing.T, r *Store, clk *testclock.Clock) {
			if err := r.c.Set(ctx, r.genKey(r.subjectTag("alice")), "garbage", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			revoked, err := r.Revoked(ctx, "alice", "j", "", 0)
			if !revoked || !errors.Is(err, tokenstore.ErrUnavailable) {
				t.Fatalf("Revoked = %v, %v; want true, tokenstore.ErrUnavailable", revoked, err)
			}
			check.Err(t, "start", check.Start(r, "f", "alice", "a", clk.Now().Add(time.Hour)), tokenstore.ErrUnavailable)
		}},
		{"the old key layouts are not read", func(t *testing.T, r *Store, clk *testclock.Clock) {
			// Before the generation, families were keyed by their own tag;
			// until redisstore, the subject's tag was the store's own
			// (base64url of SHA-256 of 's' || len || sub, 22 characters).
			// Such a family is refused: its user signs in again.
			for _, old := range []string{
				r.prefix + "{" + hashed(kindFamily, "f")[:22] + "}:fam",
				r.prefix + "{" + hashed('s', "alice")[:22] + "}:fam:" + hashed(kindFamily, "f"),
			} {
				if err := r.c.Set(ctx, old, "a"+famJTI("a"), time.Minute).Err(); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.c.Set(ctx, r.prefix+"{"+hashed('s', "alice")[:22]+"}:gen", "0", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			check.Err(t, "rotate", check.Rotate(r, "f", "a", "b", clk.Now().Add(time.Hour)), tokenstore.ErrFamilyUnknown)
			if revoked, err := r.Revoked(ctx, "alice", "j", "f", 0); err != nil || !revoked {
				t.Fatalf("a token of the old-layout family: revoked = %v, %v; want true", revoked, err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := testclock.At(t0)
			tc.run(t, newTestStore(t, clk), clk)
		})
	}
}

func TestRedisRoundTrips(t *testing.T) {
	shared := redistest.Client(t)
	opts := *shared.Options()
	c := redis.NewClient(&opts)
	t.Cleanup(func() { c.Close() })
	hook := redistest.CountRoundTrips(c)
	clk := testclock.At(t0)
	r, err := New(c, WithPrefix(redistest.Prefix(t)), WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	exp := clk.Now().Add(time.Hour)
	// Warm up: the connection, and the scripts in Redis's script cache.
	for _, err := range []error{
		c.Ping(ctx).Err(),
		check.Start(r, "warm", "alice", "a", exp),
		check.Rotate(r, "warm", "a", "b", exp),
		r.RevokeSubject(ctx, "warm", time.Hour),
		r.RevokeFamily(ctx, "alice", "warm"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"Revoked (not revoked)", func() error { _, err := r.Revoked(ctx, "alice", "j", "", 0); return err }},
		{"RevokeToken", func() error { return r.RevokeToken(ctx, "alice", "j", exp) }},
		{"Revoked (revoked)", func() error { _, err := r.Revoked(ctx, "alice", "j", "", 0); return err }},
		{"StartFamily", func() error { return check.Start(r, "f", "alice", "a", exp) }},
		{"Revoked (with a family)", func() error { _, err := r.Revoked(ctx, "alice", "k", "f", 0); return err }},
		{"RotateFamily", func() error { return check.Rotate(r, "f", "a", "b", exp) }},
		{"RevokeSubject", func() error { return r.RevokeSubject(ctx, "alice", time.Hour) }},
		{"Revoked (by generation)", func() error { _, err := r.Revoked(ctx, "alice", "k", "f", 0); return err }},
		{"RotateFamily (earlier generation)", func() error {
			if err := check.Rotate(r, "f", "b", "c", exp); !errors.Is(err, tokenstore.ErrFamilyRevoked) {
				return err
			}
			return nil
		}},
		{"RotateFamily (reuse)", func() error {
			if err := check.Rotate(r, "f", "a", "c", exp); !errors.Is(err, tokenstore.ErrReused) {
				return err
			}
			return nil
		}},
		{"RevokeFamily", func() error { return r.RevokeFamily(ctx, "alice", "f") }},
		{"StartFamily (to keep)", func() error { return check.Start(r, "keep", "alice", "k0", exp) }},
		{"RevokeSubjectExcept", func() error { return r.RevokeSubjectExcept(ctx, "alice", "keep", time.Hour) }},
		{"Revoked (kept family, earlier generation)", func() error {
			if revoked, err := r.Revoked(ctx, "alice", "k", "keep", 1); err != nil || revoked {
				return fmt.Errorf("revoked = %v, %v", revoked, err)
			}
			return nil
		}},
		{"RotateFamily (kept family)", func() error {
			return r.RotateFamily(ctx, tokenstore.Rotation{Subject: "alice", Family: "keep", Used: "k0", Next: "k1", Gen: 1, Exp: exp})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := hook.Count()
			if err := tc.call(); err != nil {
				t.Fatal(err)
			}
			if n := hook.Count() - before; n != 1 {
				t.Fatalf("%d round trips, want 1", n)
			}
		})
	}
}

// storeCall is one Store method, called once.
type storeCall struct {
	name string
	call func() error
}

// everyCall returns a call of each Store method on r; Revoked must answer
// true whenever it fails.
func everyCall(t *testing.T, ctx context.Context, r *Store) []storeCall {
	exp := time.Now().Add(time.Hour)
	return []storeCall{
		{"RevokeToken", func() error { return r.RevokeToken(ctx, "alice", "j", exp) }},
		{"RevokeSubject", func() error { return r.RevokeSubject(ctx, "alice", time.Hour) }},
		{"Revoked", func() error {
			revoked, err := r.Revoked(ctx, "alice", "j", "", 0)
			if err != nil && !revoked {
				t.Error("Revoked answered false on an unavailable store")
			}
			return err
		}},
		{"StartFamily", func() error {
			_, err := r.StartFamily(ctx, tokenstore.Family{ID: "f", Subject: "alice", JTI: "a", Exp: exp})
			return err
		}},
		{"RotateFamily", func() error {
			return r.RotateFamily(ctx, tokenstore.Rotation{Subject: "alice", Family: "f", Used: "a", Next: "b", Exp: exp})
		}},
		{"RevokeFamily", func() error { return r.RevokeFamily(ctx, "alice", "f") }},
		{"RevokeSubjectExcept", func() error { return r.RevokeSubjectExcept(ctx, "alice", "keep", time.Hour) }},
	}
}

// TestFaults puts a proxy between the store and Redis and makes it
// misbehave: every call fails with ErrUnavailable within the budget
// (Revoked answering "revoked"), and the store works again soon after
// Redis heals; nothing leaks.
func TestFaults(t *testing.T) {
	p, c := faulttest.New(t)
	r := mustNew(t, c, redistest.Prefix(t), time.Now)
	faulttest.Run(t, p, faulttest.Cases, func(t *testing.T, ctx context.Context) {
		for _, call := range everyCall(t, ctx, r) {
			faulttest.Within(t, call.name, call.call)
		}
	}, func(ctx context.Context) error {
		_, err := r.Revoked(ctx, "alice", "j", "", 0)
		return err
	})
}

func TestRedisUnavailable(t *testing.T) {
	// Nothing listens on port 1: every call fails fast.
	c := redis.NewClient(&redis.Options{
		Addr:               "127.0.0.1:1",
		DialTimeout:        200 * time.Millisecond,
		DialerRetries:      1,
		DialerRetryTimeout: time.Millisecond,
		MaxRetries:         -1,
	})
	t.Cleanup(func() { c.Close() })
	r, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	tests := everyCall(t, context.Background(), r)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tokenstore.ErrUnavailable) {
				t.Fatalf("err = %v, want tokenstore.ErrUnavailable", err)
			}
			var opErr *net.OpError
			if !errors.As(err, &opErr) {
				t.Fatalf("err = %v does not keep the network error", err)
			}
		})
	}
}
func TestTimeConversions(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		want int64
	}{
		{"sub-millisecond rounds up", time.Microsecond, 1},
		{"whole milliseconds stay", 15 * time.Millisecond, 15},
		{"fraction rounds up", 15*time.Millisecond + 1, 16},
		{"zero becomes 1", 0, 1},
		{"largest duration does not overflow", math.MaxInt64, math.MaxInt64 / int64(time.Millisecond)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ceilMilli(tc.d); got != tc.want {
				t.Fatalf("ceilMilli(%v) = %d, want %d", tc.d, got, tc.want)
			}
			if px(tc.d) <= 0 {
				t.Fatalf("px(%v) = %v overflowed", tc.d, px(tc.d))
			}
		})
	}
}

// TestConformance runs the store suite on a single server and on Cluster.
func TestConformance(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, b redistest.Backend) {
		storetest.Run(t, func(t *testing.T, now func() time.Time) tokenstore.Store {
			return mustNew(t, b.Client, redistest.PrefixFor(t, b.Client), now)
		})
	})
}

// BenchmarkStore measures the hot paths on a single server and on Cluster.
func BenchmarkStore(b *testing.B) {
	for name, client := range map[string]func(testing.TB) redis.UniversalClient{
		"redis":   func(tb testing.TB) redis.UniversalClient { return redistest.Client(tb) },
		"cluster": func(tb testing.TB) redis.UniversalClient { return redistest.ClusterClient(tb) },
	} {
		b.Run(name, func(b *testing.B) {
			storetest.Benchmark(b, func(b *testing.B, now func() time.Time) tokenstore.Store {
				c := client(b)
				return mustNew(b, c, redistest.PrefixFor(b, c), now)
			})
		})
	}
}

func mustNew(t testing.TB, c redis.UniversalClient, prefix string, now func() time.Time) *Store {
	t.Helper()
	s, err := New(c, WithPrefix(prefix), WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newTestStore returns a store on the test Redis reading clk.
func newTestStore(t testing.TB, clk interface{ Now() time.Time }) *Store {
	t.Helper()
	return mustNew(t, redistest.Client(t), redistest.Prefix(t), clk.Now)
}

var t0 = check.T0

// TestRedisRotationSentTwice: a client that re-sends a command whose reply
// timed out (go-redis's default, and every ClusterClient under
// MaxRedirects) runs the rotation twice, though Redis may have run the
// first sending. The second run must recognise its own first — the family
// already names this call's next jti as current — and succeed, not read it
// as a reuse that ends the family and signs the user out.
func TestRedisRotationSentTwice(t *testing.T) {
	p, opts := redistest.NewTestProxy(t)
	const readTimeout = 200 * time.Millisecond
	clk := testclock.At(t0)
	r := mustNew(t, p.ResendingClient(t, opts, readTimeout), redistest.Prefix(t), clk.Now)
	exp := clk.Now().Add(time.Hour)
	check.Err(t, "start", check.Start(r, "f1", "alice", "a", exp), nil)
	check.Err(t, "a→b", check.Rotate(r, "f1", "a", "b", exp), nil) // the script is loaded
	err := p.SendTwice(t, readTimeout+400*time.Millisecond, func() error { return check.Rotate(r, "f1", "b", "c", exp) })
	check.Err(t, "b→c sent twice", err, nil)
	if check.FamilyRevoked(t, r, "alice", "f1") {
		t.Fatal("the rotation sent twice ended the family")
	}
	check.Err(t, "c→d", check.Rotate(r, "f1", "c", "d", exp), nil)
	check.Err(t, "b→x (a real second use)", check.Rotate(r, "f1", "b", "x", exp), tokenstore.ErrReused)
}
