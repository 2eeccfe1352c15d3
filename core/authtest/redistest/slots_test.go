package redistest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authkit-go/authkit/core/authtest/redistest"
)

// Slot agrees with the cluster's own CLUSTER KEYSLOT, hash tags included.
func TestSlotMatchesTheCluster(t *testing.T) {
	c := redistest.ClusterClient(t)
	ctx := context.Background()
	for _, k := range []string{"", "a", "foo", "{user1000}.following", "foo{}{bar}", "foo{{bar}}zap", "foo{bar}{zap}", "{}", "}{", "authkit:tok:{Zm9v}:gen", "\xff\x00{\x01}"} {
		want, err := c.ClusterKeySlot(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got := redistest.Slot(k); int64(got) != want {
			t.Errorf("Slot(%q) = %d, the cluster says %d", k, got, want)
		}
	}
}

// The slot check refuses and counts a command or a transaction whose keys
// lie in several slots, and lets single-slot ones through.
func TestSlotCheckCatchesCrossSlot(t *testing.T) {
	c := redistest.NewClusterClient(t)
	prefix := redistest.PrefixFor(t, c)
	ctx := context.Background()
	a, b := prefix+"{a}:k", prefix+"{b}:k"
	if redistest.Slot(a) == redistest.Slot(b) {
		t.Fatal("the test's keys share a slot")
	}
	same := prefix + "{a}:other"
	script := redis.NewScript(`return #KEYS`)
	tests := []struct {
		name  string
		cross bool
		run   func() error
	}{
		{"MGET of one slot", false, func() error { return c.MGet(ctx, a, same).Err() }},
		{"MGET across slots", true, func() error { return c.MGet(ctx, a, b).Err() }},
		{"DEL across slots", true, func() error { return c.Del(ctx, a, b).Err() }},
		{"script of one slot", false, func() error { return script.Run(ctx, c, []string{a, same}).Err() }},
		{"script across slots", true, func() error { return script.Run(ctx, c, []string{a, b}).Err() }},
		{"transaction of one slot", false, func() error {
			_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, a, "1", time.Minute)
				p.Set(ctx, same, "1", time.Minute)
				return nil
			})
			return err
		}},
		{"transaction across slots", true, func() error {
			_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, a, "1", time.Minute)
				p.Set(ctx, b, "1", time.Minute)
				return nil
			})
			return err
		}},
		{"pipeline of single-slot commands across slots", false, func() error {
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, a, "1", time.Minute)
				p.Set(ctx, b, "1", time.Minute)
				return nil
			})
			return err
		}},
		{"pipeline holding a cross-slot command", true, func() error {
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, a, "1", time.Minute)
				p.MGet(ctx, a, b)
				return nil
			})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := redistest.CrossSlotCount()
			err := tt.run()
			counted := redistest.CrossSlotCount() - before
			if !tt.cross {
				if err != nil || counted != 0 {
					t.Fatalf("err = %v, counted %d; want it through", err, counted)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "CROSSSLOT") || counted != 1 {
				t.Fatalf("err = %v, counted %d; want one CROSSSLOT refusal", err, counted)
			}
		})
	}
}
