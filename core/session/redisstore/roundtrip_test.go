package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/session"
	"github.com/authkit-go/authkit/core/session/redisstore"
	"github.com/authkit-go/authkit/core/session/storetest"
)

func TestRedisRoundTrips(t *testing.T) {
	redistest.Client(t) // skip when no Redis
	opts, err := redis.ParseURL(redistest.URL())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	hook := redistest.CountRoundTrips(c)
	st, err := redisstore.New(c, redisstore.WithPrefix(redistest.Prefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	clk := testclock.New()
	m := storetest.NewManager(t, st, clk.Now)
	ctx := context.Background()
	s, err := m.Create(ctx, session.Meta{UserID: "alice"}) // also loads the scripts
	if err != nil {
		t.Fatal(err)
	}
	_, _ = m.Load(ctx, s.ID().Secret())
	_ = m.Rotate(ctx, s)

	tests := []struct {
		name string
		op   func() error
		want int64
	}{
		{"Create", func() error { _, err := m.Create(ctx, session.Meta{UserID: "alice"}); return err }, 1},
		{"Load read-only", func() error { _, err := m.Load(ctx, s.ID().Secret()); return err }, 1},
		{"Load that touches last seen", func() error {
			clk.Advance(2 * time.Minute)
			_, err := m.Load(ctx, s.ID().Secret())
			return err
		}, 1},
		{"Save", func() error { _ = s.Set("k", 1); return m.Save(ctx, s) }, 1},
		{"Save when clean", func() error { return m.Save(ctx, s) }, 0},
		{"Rotate", func() error { return m.Rotate(ctx, s) }, 1},
		{"List", func() error { _, err := m.List(ctx, "alice", s); return err }, 2},
		{"Destroy", func() error { return m.Destroy(ctx, s) }, 1},
		{"DestroyAll", func() error { _, err := m.DestroyAll(ctx, "alice"); return err }, 3},
		{"Load of a malformed id", func() error { _, _ = m.Load(ctx, "x"); return nil }, 0},
		{"Create two", func() error {
			if s, err = m.Create(ctx, session.Meta{UserID: "alice"}); err != nil {
				return err
			}
			_, err := m.Create(ctx, session.Meta{UserID: "alice"})
			return err
		}, 2},
		// DestroyUserExcept: a batch (ZRANGE, then DEL and ZREM) and the
		// ZRANGE that finds only the kept session.
		{"DestroyAllExcept", func() error { _, err := m.DestroyAllExcept(ctx, "alice", s, ""); return err }, 3},
		{"Link the kept session", func() error { s.SetLink("fam"); return m.Save(ctx, s) }, 1},
		// A linked session adds the List (2) that finds its sign-in; nothing
		// is left to destroy (1 ZRANGE).
		{"DestroyAllExcept, linked", func() error { _, err := m.DestroyAllExcept(ctx, "alice", s, ""); return err }, 3},
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
