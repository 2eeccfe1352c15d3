package tokenstore

import (
	"context"
	"errors"
	"fmt"
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
			wantRevoked(t, m, "alice", "j", 0, true)
			clk.Advance(time.Millisecond)
			wantRevoked(t, m, "alice", "j", 0, false)
		}},
		{"a generation is forgotten after its ttl when no family needs it", func(t *testing.T, m *Memory, clk *fakeClock) {
			wantErr(t, "revoke", m.RevokeSubject(ctx, "alice", time.Hour), nil)
			clk.Advance(time.Hour - time.Millisecond)
			wantRevoked(t, m, "alice", "j", 0, true)
			clk.Advance(time.Millisecond)
			wantRevoked(t, m, "alice", "j", 0, false)
		}},
		{"a later, shorter ttl does not shorten the generation", func(t *testing.T, m *Memory, clk *fakeClock) {
			wantErr(t, "long", m.RevokeSubject(ctx, "alice", time.Hour), nil)
			wantErr(t, "short", m.RevokeSubject(ctx, "alice", time.Minute), nil)
			clk.Advance(30 * time.Minute)
			wantRevoked(t, m, "alice", "j", 1, true)
		}},
		{"family is unknown after its exp", func(t *testing.T, m *Memory, clk *fakeClock) {
			wantErr(t, "start", start(m, "f", "alice", "a", clk.Now().Add(time.Hour)), nil)
			clk.Advance(time.Hour)
			wantErr(t, "rotate", rotate(m, "f", "a", "b", clk.Now().Add(time.Hour)), ErrFamilyUnknown)
			wantErr(t, "start again", start(m, "f", "alice", "a", clk.Now().Add(time.Hour)), nil)
		}},
		{"rotation extends the family to the new exp", func(t *testing.T, m *Memory, clk *fakeClock) {
			wantErr(t, "start", start(m, "f", "alice", "a", clk.Now().Add(time.Hour)), nil)
			wantErr(t, "rotate", rotate(m, "f", "a", "b", clk.Now().Add(2*time.Hour)), nil)
			clk.Advance(90 * time.Minute)
			wantErr(t, "rotate later", rotate(m, "f", "b", "c", clk.Now().Add(time.Minute)), nil)
			clk.Advance(time.Minute) // the earlier, longer exp still holds
			wantErr(t, "replay", rotate(m, "f", "a", "x", clk.Now()), ErrReused)
		}},
		{"revoked family is kept until its exp", func(t *testing.T, m *Memory, clk *fakeClock) {
			wantErr(t, "start", start(m, "f", "alice", "a", clk.Now().Add(time.Hour)), nil)
			wantErr(t, "revoke", m.RevokeFamily(ctx, "alice", "f"), nil)
			clk.Advance(time.Hour - time.Millisecond)
			wantErr(t, "rotate", rotate(m, "f", "a", "b", clk.Now().Add(time.Hour)), ErrFamilyRevoked)
		}},
		{"the generation outlives the subject's families", func(t *testing.T, m *Memory, clk *fakeClock) {
			wantErr(t, "start", start(m, "f", "alice", "a", clk.Now().Add(2*time.Hour)), nil)
			wantErr(t, "revoke", m.RevokeSubject(ctx, "alice", time.Minute), nil)
			clk.Advance(time.Hour)
			wantRevoked(t, m, "alice", "j", 0, true)
			wantErr(t, "rotate", rotate(m, "f", "a", "b", clk.Now().Add(time.Hour)), ErrFamilyRevoked)
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
	exp := t0.Add(time.Hour)
	// fill signs in n distinct subjects "u0".."u<n-1>" (two entries each:
	// the family and the subject record) until the store refuses.
	fill := func(t *testing.T, m *Memory) int {
		t.Helper()
		for i := 0; ; i++ {
			err := start(m, "f", fmt.Sprintf("u%d", i), "a", exp)
			if errors.Is(err, ErrFull) {
				if !errors.Is(err, ErrUnavailable) {
					t.Fatalf("ErrFull does not match ErrUnavailable")
				}
				return i
			}
			wantErr(t, "sign in", err, nil)
		}
	}
	t.Run("families fill nine tenths; revocations keep working when full", func(t *testing.T) {
		clk := newClock()
		m := NewMemory(WithClock(clk.Now), WithMaxEntries(100))
		if n := fill(t, m); n != 45 {
			t.Fatalf("%d sign-ins fit in 100 entries, want 45 (90 entries)", n)
		}
		// Logging out, logging out everywhere and revoking a family-less
		// token all still work.
		wantErr(t, "RevokeFamily", m.RevokeFamily(ctx, "u1", "f"), nil)
		if !familyRevoked(t, m, "u1", "f") {
			t.Error("logout on a full store did not revoke")
		}
		wantErr(t, "RevokeSubject (has a family)", m.RevokeSubject(ctx, "u2", time.Hour), nil)
		wantRevoked(t, m, "u2", "j", 0, true)
		for i := range 10 {
			wantErr(t, "reserve", m.RevokeToken(ctx, "legacy", fmt.Sprint(i), exp), nil)
		}
		// Every other user's sign-in survived.
		for i := 3; i < 45; i++ {
			if familyRevoked(t, m, fmt.Sprintf("u%d", i), "f") {
				t.Fatalf("u%d's sign-in was evicted", i)
			}
		}
		// Once the reserve is spent, a marker needing an entry is refused
		// rather than evicting anything.
		wantErr(t, "past the reserve", m.RevokeToken(ctx, "legacy", "x", exp), ErrFull)
		// Revocations that change what is held still need no room.
		wantErr(t, "RevokeFamily when everything is full", m.RevokeFamily(ctx, "u3", "f"), nil)
		wantErr(t, "RevokeSubject when everything is full", m.RevokeSubject(ctx, "u4", time.Hour), nil)
		wantRevoked(t, m, "u4", "j", 0, true)
	})
	t.Run("only expired entries make room", func(t *testing.T) {
		clk := newClock()
		m := NewMemory(WithClock(clk.Now), WithMaxEntries(20))
		wantErr(t, "short", start(m, "f", "short", "a", t0.Add(time.Minute)), nil)
		n := fill(t, m)
		clk.Advance(time.Minute)
		wantErr(t, "sign in after an expiry", start(m, "f", "new", "a", exp), nil)
		for i := range n {
			if familyRevoked(t, m, fmt.Sprintf("u%d", i), "f") {
				t.Fatalf("u%d's live sign-in was evicted", i)
			}
		}
	})
	t.Run("a subject's oldest sign-in ends first; purpose tokens apart", func(t *testing.T) {
		clk := newClock()
		m := NewMemory(WithClock(clk.Now), WithMaxFamiliesPerSubject(3))
		wantErr(t, "bob", start(m, "b", "bob", "a", exp), nil)
		purpose := func(id string) error {
			_, err := m.StartFamily(ctx, Family{ID: id, Subject: "alice", JTI: id, Exp: exp, Purpose: true})
			return err
		}
		wantErr(t, "reset link", purpose("p0"), nil)
		for i := range 10 {
			wantErr(t, "sign in", start(m, fmt.Sprint("s", i), "alice", "a", exp), nil)
			clk.Advance(time.Second)
		}
		for i := range 10 {
			if got, want := familyRevoked(t, m, "alice", fmt.Sprint("s", i)), i < 7; got != want {
				t.Errorf("sign-in s%d revoked = %v, want %v (the three newest live)", i, got, want)
			}
		}
		wantErr(t, "oldest sign-in ended", rotate(m, "s0", "a", "b", exp), ErrFamilyUnknown)
		if familyRevoked(t, m, "bob", "b") {
			t.Error("another subject's sign-in ended")
		}
		// The purpose token survived ten sign-ins; purpose tokens end their own oldest.
		wantErr(t, "reset link still usable", m.RotateFamily(ctx, Rotation{Subject: "alice", Family: "p0", Used: "p0", Next: "x", Exp: exp}), nil)
		for i := 1; i <= 3; i++ {
			wantErr(t, "more reset links", purpose(fmt.Sprint("p", i)), nil)
		}
		wantErr(t, "oldest reset link ended", m.RotateFamily(ctx, Rotation{Subject: "alice", Family: "p0", Used: "x", Next: "y", Exp: exp}), ErrFamilyUnknown)
		for i := 7; i < 10; i++ {
			if familyRevoked(t, m, "alice", fmt.Sprint("s", i)) {
				t.Errorf("a purpose token ended sign-in s%d", i)
			}
		}
	})
	t.Run("one subject signing in forever cannot fill the store", func(t *testing.T) {
		clk := newClock()
		m := NewMemory(WithClock(clk.Now), WithMaxEntries(100), WithMaxFamiliesPerSubject(5))
		for i := range 1000 {
			wantErr(t, "sign in", start(m, fmt.Sprint("f", i), "mallory", "a", exp), nil)
		}
		if n := m.Len(); n != 6 {
			t.Fatalf("Len = %d, want 5 sign-ins and the subject record", n)
		}
		wantErr(t, "another user signs in", start(m, "f", "alice", "a", exp), nil)
	})
}

func TestMemoryOptionsIgnoreInvalid(t *testing.T) {
	m := NewMemory(WithMaxEntries(0), WithMaxFamiliesPerSubject(0), WithClock(nil), nil)
	if m.max != defaultMaxEntries || m.perSubject != defaultPerSubject || m.now == nil {
		t.Fatalf("max = %d, now nil = %v; invalid options must keep the defaults", m.max, m.now == nil)
	}
	if err := m.RevokeToken(context.Background(), "s", "j", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Revoked(context.Background(), "s", "j", "", 0); errors.Is(err, ErrInvalid) {
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
