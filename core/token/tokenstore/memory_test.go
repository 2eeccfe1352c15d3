package tokenstore

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

func TestMemoryExpiry(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, m *Memory, clk *fakeClock)
	}{
		{"revocation is forgotten when the token expires", func(t *testing.T, m *Memory, clk *fakeClock) {
			wantErr(t, "revoke", m.RevokeToken(ctx, "alice", "j", clk.Now().Add(15*time.Minute)), nil)
			clk.Advance(15*time.Minute - time.Millisecond)
			wantRevoked(t, m, "alice", "j", t0, true)
			clk.Advance(time.Millisecond)
			wantRevoked(t, m, "alice", "j", t0, false)
		}},
		{"family marker is forgotten after until", func(t *testing.T, m *Memory, clk *fakeClock) {
			wantErr(t, "revoke", m.RevokeFamily(ctx, "alice", "f", clk.Now().Add(time.Hour)), nil)
			clk.Advance(time.Hour - time.Millisecond)
			if got, _ := m.Revoked(ctx, "alice", "j", "f", t0); !got {
				t.Fatal("family marker gone before until")
			}
			clk.Advance(time.Millisecond)
			if got, _ := m.Revoked(ctx, "alice", "j", "f", t0); got {
				t.Fatal("family marker outlived until")
			}
		}},
		{"subject marker is forgotten after its ttl", func(t *testing.T, m *Memory, clk *fakeClock) {
			wantErr(t, "revoke", m.RevokeSubject(ctx, "alice", clk.Now(), time.Hour), nil)
			clk.Advance(time.Hour - time.Millisecond)
			wantRevoked(t, m, "alice", "j", t0.Add(-time.Millisecond), true)
			clk.Advance(time.Millisecond)
			wantRevoked(t, m, "alice", "j", t0.Add(-time.Millisecond), false)
		}},
		{"a later, shorter subject marker does not shorten the marker", func(t *testing.T, m *Memory, clk *fakeClock) {
			wantErr(t, "long", m.RevokeSubject(ctx, "alice", clk.Now(), time.Hour), nil)
			wantErr(t, "short", m.RevokeSubject(ctx, "alice", clk.Now(), time.Minute), nil)
			clk.Advance(30 * time.Minute)
			wantRevoked(t, m, "alice", "j", t0.Add(-time.Millisecond), true)
		}},
		{"family is unknown after its exp", func(t *testing.T, m *Memory, clk *fakeClock) {
			wantErr(t, "start", m.StartFamily(ctx, "f", "alice", "a", clk.Now().Add(time.Hour)), nil)
			clk.Advance(time.Hour)
			wantErr(t, "rotate", m.RotateFamily(ctx, "f", "a", "b", clk.Now().Add(time.Hour)), ErrFamilyUnknown)
			wantErr(t, "start again", m.StartFamily(ctx, "f", "alice", "a", clk.Now().Add(time.Hour)), nil)
		}},
		{"rotation extends the family to the new exp", func(t *testing.T, m *Memory, clk *fakeClock) {
			wantErr(t, "start", m.StartFamily(ctx, "f", "alice", "a", clk.Now().Add(time.Hour)), nil)
			wantErr(t, "rotate", m.RotateFamily(ctx, "f", "a", "b", clk.Now().Add(2*time.Hour)), nil)
			clk.Advance(90 * time.Minute)
			wantErr(t, "rotate later", m.RotateFamily(ctx, "f", "b", "c", clk.Now().Add(time.Minute)), nil)
			clk.Advance(time.Minute) // the earlier, longer exp still holds
			wantErr(t, "replay", m.RotateFamily(ctx, "f", "a", "x", clk.Now()), ErrReused)
		}},
		{"revoked family is kept until its exp", func(t *testing.T, m *Memory, clk *fakeClock) {
			wantErr(t, "start", m.StartFamily(ctx, "f", "alice", "a", clk.Now().Add(time.Hour)), nil)
			wantErr(t, "revoke", m.RevokeFamily(ctx, "alice", "f", farFuture), nil)
			clk.Advance(time.Hour - time.Millisecond)
			wantErr(t, "rotate", m.RotateFamily(ctx, "f", "a", "b", clk.Now().Add(time.Hour)), ErrFamilyRevoked)
		}},
		{"writes sweep expired entries", func(t *testing.T, m *Memory, clk *fakeClock) {
			for _, jti := range []string{"a", "b", "c"} {
				wantErr(t, "revoke", m.RevokeToken(ctx, "alice", jti, clk.Now().Add(time.Minute)), nil)
			}
			clk.Advance(time.Minute)
			wantErr(t, "revoke", m.RevokeToken(ctx, "alice", "d", clk.Now().Add(time.Minute)), nil)
			if n := m.Len(); n != 1 {
				t.Fatalf("Len = %d after expired entries were swept, want 1", n)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			tc.run(t, NewMemory(WithClock(clk.Now)), clk)
		})
	}
}

func TestMemoryMaxEntries(t *testing.T) {
	ctx := context.Background()
	t.Run("a full store refuses rather than evict a live revocation", func(t *testing.T) {
		clk := newClock()
		m := NewMemory(WithClock(clk.Now), WithMaxEntries(3))
		for i, d := range []time.Duration{3 * time.Hour, time.Hour, 2 * time.Hour} {
			wantErr(t, "revoke", m.RevokeToken(ctx, "alice", string(rune('0'+i)), clk.Now().Add(d)), nil)
		}
		err := m.RevokeToken(ctx, "alice", "extra", clk.Now().Add(time.Hour))
		if !errors.Is(err, ErrFull) || !errors.Is(err, ErrUnavailable) {
			t.Fatalf("revoke into a full store: %v, want ErrFull matching ErrUnavailable", err)
		}
		wantErr(t, "start family", m.StartFamily(ctx, "f", "alice", "j", clk.Now().Add(time.Hour)), ErrFull)
		for _, jti := range []string{"0", "1", "2"} {
			wantRevoked(t, m, "alice", jti, t0, true)
		}
		// Extending an entry already held needs no room.
		wantErr(t, "extend", m.RevokeToken(ctx, "alice", "1", clk.Now().Add(4*time.Hour)), nil)
	})
	t.Run("expired entries make room", func(t *testing.T) {
		clk := newClock()
		m := NewMemory(WithClock(clk.Now), WithMaxEntries(3))
		for i, d := range []time.Duration{time.Minute, 3 * time.Hour, 2 * time.Hour} {
			wantErr(t, "revoke", m.RevokeToken(ctx, "alice", string(rune('0'+i)), clk.Now().Add(d)), nil)
		}
		clk.Advance(time.Minute)
		wantErr(t, "revoke extra", m.RevokeToken(ctx, "alice", "extra", clk.Now().Add(time.Hour)), nil)
		if n := m.Len(); n != 3 {
			t.Fatalf("Len = %d, want the bound 3", n)
		}
		wantRevoked(t, m, "alice", "extra", t0, true)
		wantRevoked(t, m, "alice", "0", t0, false)
		wantRevoked(t, m, "alice", "1", t0, true)
		wantRevoked(t, m, "alice", "2", t0, true)
	})
}

func TestMemoryOptionsIgnoreInvalid(t *testing.T) {
	m := NewMemory(WithMaxEntries(0), WithClock(nil), nil)
	if m.max != defaultMaxEntries || m.now == nil {
		t.Fatalf("max = %d, now nil = %v; invalid options must keep the defaults", m.max, m.now == nil)
	}
	if err := m.RevokeToken(context.Background(), "s", "j", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Revoked(context.Background(), "s", "j", "", time.Now()); errors.Is(err, ErrInvalid) {
		t.Fatal(err)
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
