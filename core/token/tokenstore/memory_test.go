package tokenstore_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/token/tokenstore"
	"github.com/authkit-go/authkit/core/token/tokenstore/internal/check"
)

func TestMemoryExpiry(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, m *tokenstore.MemoryStore, clk *testclock.Clock)
	}{
		{"revocation is forgotten when the token expires", func(t *testing.T, m *tokenstore.MemoryStore, clk *testclock.Clock) {
			check.Err(t, "revoke", m.RevokeToken(ctx, "alice", "j", clk.Now().Add(15*time.Minute)), nil)
			clk.Advance(15*time.Minute - time.Millisecond)
			check.Revoked(t, m, "alice", "j", 0, true)
			clk.Advance(time.Millisecond)
			check.Revoked(t, m, "alice", "j", 0, false)
		}},
		{"a generation is forgotten after its ttl when no family needs it", func(t *testing.T, m *tokenstore.MemoryStore, clk *testclock.Clock) {
			check.Err(t, "revoke", m.RevokeSubject(ctx, "alice", time.Hour), nil)
			clk.Advance(time.Hour - time.Millisecond)
			check.Revoked(t, m, "alice", "j", 0, true)
			clk.Advance(time.Millisecond)
			check.Revoked(t, m, "alice", "j", 0, false)
		}},
		{"a later, shorter ttl does not shorten the generation", func(t *testing.T, m *tokenstore.MemoryStore, clk *testclock.Clock) {
			check.Err(t, "long", m.RevokeSubject(ctx, "alice", time.Hour), nil)
			check.Err(t, "short", m.RevokeSubject(ctx, "alice", time.Minute), nil)
			clk.Advance(30 * time.Minute)
			check.Revoked(t, m, "alice", "j", 1, true)
		}},
		{"family is unknown after its exp", func(t *testing.T, m *tokenstore.MemoryStore, clk *testclock.Clock) {
			check.Err(t, "start", check.Start(m, "f", "alice", "a", clk.Now().Add(time.Hour)), nil)
			clk.Advance(time.Hour)
			check.Err(t, "rotate", check.Rotate(m, "f", "a", "b", clk.Now().Add(time.Hour)), tokenstore.ErrFamilyUnknown)
			check.Err(t, "start again", check.Start(m, "f", "alice", "a", clk.Now().Add(time.Hour)), nil)
		}},
		{"rotation extends the family to the new exp", func(t *testing.T, m *tokenstore.MemoryStore, clk *testclock.Clock) {
			check.Err(t, "start", check.Start(m, "f", "alice", "a", clk.Now().Add(time.Hour)), nil)
			check.Err(t, "rotate", check.Rotate(m, "f", "a", "b", clk.Now().Add(2*time.Hour)), nil)
			clk.Advance(90 * time.Minute)
			check.Err(t, "rotate later", check.Rotate(m, "f", "b", "c", clk.Now().Add(time.Minute)), nil)
			clk.Advance(time.Minute) // the earlier, longer exp still holds
			check.Err(t, "replay", check.Rotate(m, "f", "a", "x", clk.Now()), tokenstore.ErrReused)
		}},
		{"revoked family is kept until its exp", func(t *testing.T, m *tokenstore.MemoryStore, clk *testclock.Clock) {
			check.Err(t, "start", check.Start(m, "f", "alice", "a", clk.Now().Add(time.Hour)), nil)
			check.Err(t, "revoke", m.RevokeFamily(ctx, "alice", "f"), nil)
			clk.Advance(time.Hour - time.Millisecond)
			check.Err(t, "rotate", check.Rotate(m, "f", "a", "b", clk.Now().Add(time.Hour)), tokenstore.ErrFamilyRevoked)
		}},
		{"the generation outlives the subject's families", func(t *testing.T, m *tokenstore.MemoryStore, clk *testclock.Clock) {
			check.Err(t, "start", check.Start(m, "f", "alice", "a", clk.Now().Add(2*time.Hour)), nil)
			check.Err(t, "revoke", m.RevokeSubject(ctx, "alice", time.Minute), nil)
			clk.Advance(time.Hour)
			check.Revoked(t, m, "alice", "j", 0, true)
			check.Err(t, "rotate", check.Rotate(m, "f", "a", "b", clk.Now().Add(time.Hour)), tokenstore.ErrFamilyRevoked)
		}},
		{"writes sweep expired entries", func(t *testing.T, m *tokenstore.MemoryStore, clk *testclock.Clock) {
			for _, jti := range []string{"a", "b", "c"} {
				check.Err(t, "revoke", m.RevokeToken(ctx, "alice", jti, clk.Now().Add(time.Minute)), nil)
			}
			clk.Advance(time.Minute)
			check.Err(t, "revoke", m.RevokeToken(ctx, "alice", "d", clk.Now().Add(time.Minute)), nil)
			if n := m.Len(); n != 1 {
				t.Fatalf("Len = %d after expired entries were swept, want 1", n)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := testclock.At(t0)
			tc.run(t, tokenstore.NewMemoryStore(tokenstore.WithClock(clk.Now)), clk)
		})
	}
}

func TestMemoryMaxEntries(t *testing.T) {
	exp := t0.Add(time.Hour)
	// fill signs in n distinct subjects "u0".."u<n-1>" (two entries each:
	// the family and the subject record) until the store refuses.
	fill := func(t *testing.T, m *tokenstore.MemoryStore) int {
		t.Helper()
		for i := 0; ; i++ {
			err := check.Start(m, "f", fmt.Sprintf("u%d", i), "a", exp)
			if errors.Is(err, tokenstore.ErrFull) {
				if !errors.Is(err, tokenstore.ErrUnavailable) {
					t.Fatalf("tokenstore.ErrFull does not match tokenstore.ErrUnavailable")
				}
				return i
			}
			check.Err(t, "sign in", err, nil)
		}
	}
	t.Run("families fill nine tenths; revocations keep working when full", func(t *testing.T) {
		clk := testclock.At(t0)
		m := tokenstore.NewMemoryStore(tokenstore.WithClock(clk.Now), tokenstore.WithMaxEntries(100))
		if n := fill(t, m); n != 45 {
			t.Fatalf("%d sign-ins fit in 100 entries, want 45 (90 entries)", n)
		}
		// Logging out, logging out everywhere and revoking a family-less
		// token all still work.
		check.Err(t, "RevokeFamily", m.RevokeFamily(ctx, "u1", "f"), nil)
		if !check.FamilyRevoked(t, m, "u1", "f") {
			t.Error("logout on a full store did not revoke")
		}
		check.Err(t, "RevokeSubject (has a family)", m.RevokeSubject(ctx, "u2", time.Hour), nil)
		check.Revoked(t, m, "u2", "j", 0, true)
		for i := range 10 {
			check.Err(t, "reserve", m.RevokeToken(ctx, "legacy", fmt.Sprint(i), exp), nil)
		}
		// Every other user's sign-in survived.
		for i := 3; i < 45; i++ {
			if check.FamilyRevoked(t, m, fmt.Sprintf("u%d", i), "f") {
				t.Fatalf("u%d's sign-in was evicted", i)
			}
		}
		// Once the reserve is spent, a marker needing an entry is refused
		// rather than evicting anything.
		check.Err(t, "past the reserve", m.RevokeToken(ctx, "legacy", "x", exp), tokenstore.ErrFull)
		// Revocations that change what is held still need no room.
		check.Err(t, "RevokeFamily when everything is full", m.RevokeFamily(ctx, "u3", "f"), nil)
		check.Err(t, "RevokeSubject when everything is full", m.RevokeSubject(ctx, "u4", time.Hour), nil)
		check.Revoked(t, m, "u4", "j", 0, true)
		check.Err(t, "RevokeSubjectExcept when everything is full", m.RevokeSubjectExcept(ctx, "u5", "f", time.Hour), nil)
		check.Revoked(t, m, "u5", "j", 0, true)
		if check.FamilyRevoked(t, m, "u5", "f") {
			t.Error("the family kept on a full store ended")
		}
	})
	t.Run("only expired entries make room", func(t *testing.T) {
		clk := testclock.At(t0)
		m := tokenstore.NewMemoryStore(tokenstore.WithClock(clk.Now), tokenstore.WithMaxEntries(20))
		check.Err(t, "short", check.Start(m, "f", "short", "a", t0.Add(time.Minute)), nil)
		n := fill(t, m)
		clk.Advance(time.Minute)
		check.Err(t, "sign in after an expiry", check.Start(m, "f", "new", "a", exp), nil)
		for i := range n {
			if check.FamilyRevoked(t, m, fmt.Sprintf("u%d", i), "f") {
				t.Fatalf("u%d's live sign-in was evicted", i)
			}
		}
	})
	t.Run("a subject's oldest sign-in ends first; purpose tokens apart", func(t *testing.T) {
		clk := testclock.At(t0)
		m := tokenstore.NewMemoryStore(tokenstore.WithClock(clk.Now), tokenstore.WithMaxFamiliesPerSubject(3))
		check.Err(t, "bob", check.Start(m, "b", "bob", "a", exp), nil)
		purpose := func(id string) error {
			_, err := m.StartFamily(ctx, tokenstore.Family{ID: id, Subject: "alice", JTI: id, Exp: exp, Purpose: true})
			return err
		}
		check.Err(t, "reset link", purpose("p0"), nil)
		for i := range 10 {
			check.Err(t, "sign in", check.Start(m, fmt.Sprint("s", i), "alice", "a", exp), nil)
			clk.Advance(time.Second)
		}
		for i := range 10 {
			if got, want := check.FamilyRevoked(t, m, "alice", fmt.Sprint("s", i)), i < 7; got != want {
				t.Errorf("sign-in s%d revoked = %v, want %v (the three newest live)", i, got, want)
			}
		}
		check.Err(t, "oldest sign-in ended", check.Rotate(m, "s0", "a", "b", exp), tokenstore.ErrFamilyUnknown)
		if check.FamilyRevoked(t, m, "bob", "b") {
			t.Error("another subject's sign-in ended")
		}
		// The purpose token survived ten sign-ins; purpose tokens end their own oldest.
		check.Err(t, "reset link still usable", m.RotateFamily(ctx, tokenstore.Rotation{Subject: "alice", Family: "p0", Used: "p0", Next: "x", Exp: exp}), nil)
		for i := 1; i <= 3; i++ {
			check.Err(t, "more reset links", purpose(fmt.Sprint("p", i)), nil)
		}
		check.Err(t, "oldest reset link ended", m.RotateFamily(ctx, tokenstore.Rotation{Subject: "alice", Family: "p0", Used: "x", Next: "y", Exp: exp}), tokenstore.ErrFamilyUnknown)
		for i := 7; i < 10; i++ {
			if check.FamilyRevoked(t, m, "alice", fmt.Sprint("s", i)) {
				t.Errorf("a purpose token ended sign-in s%d", i)
			}
		}
	})
	t.Run("one subject signing in forever cannot fill the store", func(t *testing.T) {
		clk := testclock.At(t0)
		m := tokenstore.NewMemoryStore(tokenstore.WithClock(clk.Now), tokenstore.WithMaxEntries(100), tokenstore.WithMaxFamiliesPerSubject(5))
		for i := range 1000 {
			check.Err(t, "sign in", check.Start(m, fmt.Sprint("f", i), "mallory", "a", exp), nil)
		}
		if n := m.Len(); n != 6 {
			t.Fatalf("Len = %d, want 5 sign-ins and the subject record", n)
		}
		check.Err(t, "another user signs in", check.Start(m, "f", "alice", "a", exp), nil)
	})
}

func TestMemoryOptionsIgnoreInvalid(t *testing.T) {
	m := tokenstore.NewMemoryStore(tokenstore.WithMaxEntries(0), tokenstore.WithMaxFamiliesPerSubject(0), tokenstore.WithClock(nil), nil)
	if maxEntries, perSubject, hasClock := m.Limits(); maxEntries != 100_000 || perSubject != 32 || !hasClock {
		t.Fatalf("max = %d, per subject = %d, clock = %v; invalid options must keep the defaults", maxEntries, perSubject, hasClock)
	}
	if err := m.RevokeToken(ctx, "s", "j", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Revoked(ctx, "s", "j", "", 0); errors.Is(err, tokenstore.ErrInvalid) {
		t.Fatal(err)
	}
}
