package tokenstore

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/authtest/redistest"
)

func TestNewRedis(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { c.Close() })
	tests := []struct {
		name    string
		client  redis.UniversalClient
		opts    []RedisOption
		wantErr error
	}{
		{"defaults", c, nil, nil},
		{"custom prefix", c, []RedisOption{WithPrefix("app:")}, nil},
		{"empty prefix", c, []RedisOption{WithPrefix("")}, nil},
		{"nil client", nil, nil, ErrInvalid},
		{"prefix with open brace", c, []RedisOption{WithPrefix("app{")}, ErrInvalid},
		{"prefix with close brace", c, []RedisOption{WithPrefix("app}")}, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewRedis(tc.client, tc.opts...)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err == nil && r == nil {
				t.Fatal("nil store without error")
			}
		})
	}
	r, _ := NewRedis(c)
	if r.prefix != defaultPrefix {
		t.Fatalf("default prefix %q, want %q", r.prefix, defaultPrefix)
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
	r, err := NewRedis(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), WithPrefix("p:"))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range append(hostileIDs, struct{ name, id string }{"plain", "alice"}) {
		t.Run(h.name, func(t *testing.T) {
			st := r.subjectTag(h.id)
			jk, gk, fk := r.jtiKey(st, h.id), r.genKey(st), r.familyKey(st, h.id)
			if hashTag(jk) != st || hashTag(gk) != st || hashTag(fk) != st {
				t.Fatalf("keys %q, %q and %q do not share the hash tag %q", jk, gk, fk, st)
			}
			if len(st) != 22 || strings.ContainsAny(st, "{}") {
				t.Fatalf("bad tag %q", st)
			}
			if len(jk) > 100 || len(fk) > 100 {
				t.Fatalf("key length depends on the id: %d, %d", len(jk), len(fk))
			}
		})
	}
}

// pttl reads a key's remaining lifetime.
func pttl(t *testing.T, r *Redis, key string) time.Duration {
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
		run  func(t *testing.T, r *Redis, clk *fakeClock)
	}{
		{"revocation lives for the token's remaining lifetime", func(t *testing.T, r *Redis, clk *fakeClock) {
			wantErr(t, "revoke", r.RevokeToken(ctx, "alice", "j", clk.Now().Add(10*time.Minute)), nil)
			wantTTL(t, "jti", pttl(t, r, r.jtiKey(r.subjectTag("alice"), "j")), 10*time.Minute)
		}},
		{"the generation lives for ttl and never shortens", func(t *testing.T, r *Redis, clk *fakeClock) {
			key := r.genKey(r.subjectTag("alice"))
			wantErr(t, "long", r.RevokeSubject(ctx, "alice", time.Hour), nil)
			wantTTL(t, "after long", pttl(t, r, key), time.Hour)
			wantErr(t, "short", r.RevokeSubject(ctx, "alice", time.Minute), nil)
			wantTTL(t, "after short", pttl(t, r, key), time.Hour)
			wantErr(t, "longer", r.RevokeSubject(ctx, "alice", 2*time.Hour), nil)
			wantTTL(t, "after longer", pttl(t, r, key), 2*time.Hour)
		}},
		{"the generation outlives every family of the subject", func(t *testing.T, r *Redis, clk *fakeClock) {
			key := r.genKey(r.subjectTag("alice"))
			wantErr(t, "start", start(r, "f", "alice", "a", clk.Now().Add(2*time.Hour)), nil)
			wantTTL(t, "after start", pttl(t, r, key), 2*time.Hour)
			wantErr(t, "revoke with a short ttl", r.RevokeSubject(ctx, "alice", time.Minute), nil)
			wantTTL(t, "after RevokeSubject", pttl(t, r, key), 2*time.Hour)
			wantErr(t, "start in generation 1", start(r, "g", "alice", "a", clk.Now().Add(3*time.Hour)), nil)
			wantTTL(t, "after a longer family", pttl(t, r, key), 3*time.Hour)
			rot := Rotation{Subject: "alice", Family: "g", Used: "a", Next: "b", Gen: 1, Exp: clk.Now().Add(4 * time.Hour)}
			wantErr(t, "rotate", r.RotateFamily(ctx, rot), nil)
			wantTTL(t, "after a rotation", pttl(t, r, key), 4*time.Hour)
		}},
		{"family lives until its latest exp, revoked too", func(t *testing.T, r *Redis, clk *fakeClock) {
			key := r.familyKey(r.subjectTag("alice"), "f")
			wantErr(t, "start", start(r, "f", "alice", "a", clk.Now().Add(time.Hour)), nil)
			wantTTL(t, "start", pttl(t, r, key), time.Hour)
			wantErr(t, "rotate", rotate(r, "f", "a", "b", clk.Now().Add(2*time.Hour)), nil)
			wantTTL(t, "rotate", pttl(t, r, key), 2*time.Hour)
			wantErr(t, "rotate shorter", rotate(r, "f", "b", "c", clk.Now().Add(time.Minute)), nil)
			wantTTL(t, "rotate shorter", pttl(t, r, key), 2*time.Hour)
			wantErr(t, "revoke", r.RevokeFamily(ctx, "alice", "f"), nil)
			wantTTL(t, "revoke", pttl(t, r, key), 2*time.Hour)
			wantErr(t, "replay", rotate(r, "f", "a", "x", clk.Now()), ErrReused)
			wantTTL(t, "replay", pttl(t, r, key), 2*time.Hour)
		}},
		{"a corrupted generation denies", func(t *testing.T, r *Redis, clk *fakeClock) {
			if err := r.c.Set(ctx, r.genKey(r.subjectTag("alice")), "garbage", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			revoked, err := r.Revoked(ctx, "alice", "j", "", 0)
			if !revoked || !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Revoked = %v, %v; want true, ErrUnavailable", revoked, err)
			}
			wantErr(t, "start", start(r, "f", "alice", "a", clk.Now().Add(time.Hour)), ErrUnavailable)
		}},
		{"the old key layout is not read", func(t *testing.T, r *Redis, clk *fakeClock) {
			// Before the generation, families were keyed by their own tag;
			// such a family is refused (its user signs in again).
			old := r.prefix + "{" + tag(kindFamily, "f") + "}:fam"
			if err := r.c.Set(ctx, old, "a"+famJTI("a"), time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			wantErr(t, "rotate", rotate(r, "f", "a", "b", clk.Now().Add(time.Hour)), ErrFamilyUnknown)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			tc.run(t, newTestRedis(t, clk), clk)
		})
	}
}

func TestRedisRoundTrips(t *testing.T) {
	shared := redistest.Client(t)
	opts := *shared.Options()
	c := redis.NewClient(&opts)
	t.Cleanup(func() { c.Close() })
	hook := redistest.CountRoundTrips(c)
	clk := newClock()
	r, err := NewRedis(c, WithPrefix(redistest.Prefix(t)), WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	exp := clk.Now().Add(time.Hour)
	// Warm up: the connection, and the scripts in Redis's script cache.
	for _, err := range []error{
		c.Ping(ctx).Err(),
		start(r, "warm", "alice", "a", exp),
		rotate(r, "warm", "a", "b", exp),
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
		{"StartFamily", func() error { return start(r, "f", "alice", "a", exp) }},
		{"Revoked (with a family)", func() error { _, err := r.Revoked(ctx, "alice", "k", "f", 0); return err }},
		{"RotateFamily", func() error { return rotate(r, "f", "a", "b", exp) }},
		{"RevokeSubject", func() error { return r.RevokeSubject(ctx, "alice", time.Hour) }},
		{"Revoked (by generation)", func() error { _, err := r.Revoked(ctx, "alice", "k", "f", 0); return err }},
		{"RotateFamily (earlier generation)", func() error {
			if err := rotate(r, "f", "b", "c", exp); !errors.Is(err, ErrFamilyRevoked) {
				return err
			}
			return nil
		}},
		{"RotateFamily (reuse)", func() error {
			if err := rotate(r, "f", "a", "c", exp); !errors.Is(err, ErrReused) {
				return err
			}
			return nil
		}},
		{"RevokeFamily", func() error { return r.RevokeFamily(ctx, "alice", "f") }},
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
	r, err := NewRedis(c)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	tests := []struct {
		name string
		call func() error
	}{
		{"RevokeToken", func() error { return r.RevokeToken(ctx, "alice", "j", exp) }},
		{"RevokeSubject", func() error { return r.RevokeSubject(ctx, "alice", time.Hour) }},
		{"Revoked", func() error {
			revoked, err := r.Revoked(ctx, "alice", "j", "", 0)
			if !revoked {
				t.Error("Revoked answered false on an unavailable store")
			}
			return err
		}},
		{"StartFamily", func() error { return start(r, "f", "alice", "a", exp) }},
		{"RotateFamily", func() error { return rotate(r, "f", "a", "b", exp) }},
		{"RevokeFamily", func() error { return r.RevokeFamily(ctx, "alice", "f") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			var opErr *net.OpError
			if !errors.As(err, &opErr) {
				t.Fatalf("err = %v does not keep the network error", err)
			}
		})
	}
}
