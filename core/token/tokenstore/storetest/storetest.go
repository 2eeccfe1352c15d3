// Package storetest is the conformance suite for tokenstore.Store
// implementations, as testing/slogtest is for slog handlers: the memory
// store and the Redis store both pass it, and so must a third-party store.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, now func() time.Time) tokenstore.Store {
//			return newMyStore(t, now)
//		})
//	}
//
// newStore must return an empty store for each call that reads the current
// time from now (a test clock the suite moves). Times the suite passes are
// whole milliseconds.
package storetest

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/token/tokenstore"
	"github.com/authkit-go/authkit/core/token/tokenstore/internal/check"
)

// t0 is the suite clock's start.
var t0 = check.T0

// Run runs every conformance test against stores made by newStore, each
// test on a fresh store whose clock starts at the same instant.
func Run(t *testing.T, newStore func(t *testing.T, now func() time.Time) tokenstore.Store) {
	t.Helper()
	for _, tc := range behaviour {
		t.Run(tc.name, func(t *testing.T) {
			clk := testclock.At(t0)
			tc.run(t, newStore(t, clk.Now), clk)
		})
	}
}

// HostileIDs are subject, family and jti ids every Store must treat as
// opaque bytes: braces that would break Cluster hash tags, NUL, invalid
// UTF-8, a megabyte. A store's own tests may reuse them, for a key layout
// check say.
var HostileIDs = []HostileID{
	{"open brace", "{"},
	{"close brace", "}"},
	{"braces", "{}"},
	{"inverted braces", "a}b{c"},
	{"NUL", "\x00"},
	{"non-UTF-8", "\xff\xfe\xfd"},
	{"1 MB", strings.Repeat("x{", 1<<19)},
}

// HostileID is one entry of HostileIDs.
type HostileID struct {
	// Name says what is hostile about ID.
	Name string
	// ID is the id.
	ID string
}

var behaviour = []struct {
	name string
	run  func(t *testing.T, s tokenstore.Store, clk *testclock.Clock)
}{
	{"revoking a jti revokes only that jti", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		ctx := context.Background()
		check.Err(t, "RevokeToken", s.RevokeToken(ctx, "alice", "j1", clk.Now().Add(15*time.Minute)), nil)
		check.Revoked(t, s, "alice", "j1", 0, true)
		check.Revoked(t, s, "alice", "j1", 7, true)
		check.Revoked(t, s, "alice", "j2", 0, false)
		check.Revoked(t, s, "bob", "j1", 0, false)
		// Revoking again (with a shorter exp) keeps it revoked.
		check.Err(t, "RevokeToken again", s.RevokeToken(ctx, "alice", "j1", clk.Now().Add(time.Minute)), nil)
		check.Revoked(t, s, "alice", "j1", 0, true)
	}},
	{"revoking with an exp already past is a no-op", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		ctx := context.Background()
		check.Err(t, "past", s.RevokeToken(ctx, "alice", "j1", clk.Now().Add(-time.Second)), nil)
		check.Err(t, "now", s.RevokeToken(ctx, "alice", "j2", clk.Now()), nil)
		check.Revoked(t, s, "alice", "j1", 0, false)
		check.Revoked(t, s, "alice", "j2", 0, false)
	}},
	{"log-out-everywhere raises the generation", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		if g := check.StartGen(t, s, "f1", "alice", "a", exp); g != 0 {
			t.Fatalf("first generation = %d, want 0", g)
		}
		check.Err(t, "RevokeSubject", s.RevokeSubject(ctx, "alice", time.Hour), nil)
		check.Revoked(t, s, "alice", "j", 0, true)
		check.Revoked(t, s, "alice", "j", 1, false)
		check.Revoked(t, s, "bob", "j", 0, false)
		if !check.FamilyRevoked(t, s, "alice", "f1") {
			t.Error("a token of a family of the earlier generation passes")
		}
		if g := check.StartGen(t, s, "f2", "alice", "b", exp); g != 1 {
			t.Fatalf("generation after RevokeSubject = %d, want 1", g)
		}
		check.Err(t, "RevokeSubject again", s.RevokeSubject(ctx, "alice", time.Minute), nil)
		check.Revoked(t, s, "alice", "j", 1, true)
		check.Revoked(t, s, "alice", "j", 2, false)
	}},
	{"rotation refuses a family of an earlier generation, atomically", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		gen := check.StartGen(t, s, "f1", "alice", "a", exp)
		check.Err(t, "RevokeSubject", s.RevokeSubject(ctx, "alice", time.Hour), nil)
		r := tokenstore.Rotation{Subject: "alice", Family: "f1", Used: "a", Next: "b", Gen: gen, Exp: exp}
		check.Err(t, "rotate", s.RotateFamily(ctx, r), tokenstore.ErrFamilyRevoked)
		r.Gen = gen + 1 // even a token claiming the new generation: the family is revoked now
		check.Err(t, "rotate again", s.RotateFamily(ctx, r), tokenstore.ErrFamilyRevoked)
		// A stale token of the family is still reported as reuse.
		r.Used = "old"
		check.Err(t, "replay", s.RotateFamily(ctx, r), tokenstore.ErrReused)
	}},
	{"family rotation and reuse detection", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		exp := clk.Now().Add(14 * 24 * time.Hour)
		check.Err(t, "start", check.Start(s, "f1", "alice", "a", exp), nil)
		check.Err(t, "a→b", check.Rotate(s, "f1", "a", "b", exp), nil)
		check.Err(t, "b→c", check.Rotate(s, "f1", "b", "c", exp), nil)
		check.Err(t, "a→x (replay)", check.Rotate(s, "f1", "a", "x", exp), tokenstore.ErrReused)
		check.Err(t, "c→d (after reuse)", check.Rotate(s, "f1", "c", "d", exp), tokenstore.ErrFamilyRevoked)
		check.Err(t, "b→y (replay after revocation)", check.Rotate(s, "f1", "b", "y", exp), tokenstore.ErrReused)
	}},
	{"replays are counted", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		exp := clk.Now().Add(time.Hour)
		check.Err(t, "start", check.Start(s, "f1", "alice", "a", exp), nil)
		check.Err(t, "a→b", check.Rotate(s, "f1", "a", "b", exp), nil)
		for want := int64(1); want <= 3; want++ {
			var reuse *tokenstore.ReuseError
			if err := check.Rotate(s, "f1", "a", "x", exp); !errors.As(err, &reuse) || reuse.Count != want {
				t.Fatalf("replay %d: %v, want a *tokenstore.ReuseError counting %d", want, err, want)
			}
		}
		check.Err(t, "the current token of the revoked family", check.Rotate(s, "f1", "b", "c", exp), tokenstore.ErrFamilyRevoked)
	}},
	{"unknown family", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		ctx := context.Background()
		check.Err(t, "rotate", check.Rotate(s, "nope", "a", "b", clk.Now().Add(time.Hour)), tokenstore.ErrFamilyUnknown)
		check.Err(t, "revoke", s.RevokeFamily(ctx, "alice", "nope"), nil)
		check.Err(t, "rotate after revoke", check.Rotate(s, "nope", "a", "b", clk.Now().Add(time.Hour)), tokenstore.ErrFamilyUnknown)
	}},
	{"revoking a family revokes every token of the subject that carries it", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		check.Err(t, "start alice f1", check.Start(s, "f1", "alice", "a", exp), nil)
		check.Err(t, "start alice f2", check.Start(s, "f2", "alice", "b", exp), nil)
		check.Err(t, "start bob f1", check.Start(s, "f1", "bob", "c", exp), nil)
		if check.FamilyRevoked(t, s, "alice", "f1") || check.FamilyRevoked(t, s, "alice", "f2") {
			t.Fatal("a token of a live family is revoked")
		}
		if !check.FamilyRevoked(t, s, "alice", "f9") {
			t.Error("a token of a family the store does not hold passes")
		}
		check.Err(t, "revoke", s.RevokeFamily(ctx, "alice", "f1"), nil)
		if !check.FamilyRevoked(t, s, "alice", "f1") {
			t.Error("a token of the revoked family still passes")
		}
		if check.FamilyRevoked(t, s, "alice", "f2") || check.FamilyRevoked(t, s, "alice", "") || check.FamilyRevoked(t, s, "bob", "f1") {
			t.Error("the revocation reached another family, a token without one, or another subject's family")
		}
		// Kept until its exp (a Redis store keeps its TTL: redisstore's own
		// tests read it).
		clk.Advance(time.Hour - time.Second)
		if !check.FamilyRevoked(t, s, "alice", "f1") {
			t.Error("the revoked family was forgotten before its exp")
		}
	}},
	{"revoked family refuses rotation", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		check.Err(t, "start", check.Start(s, "f1", "alice", "a", exp), nil)
		check.Err(t, "revoke", s.RevokeFamily(ctx, "alice", "f1"), nil)
		check.Err(t, "revoke again", s.RevokeFamily(ctx, "alice", "f1"), nil)
		check.Err(t, "rotate", check.Rotate(s, "f1", "a", "b", exp), tokenstore.ErrFamilyRevoked)
	}},
	{"a recorded family cannot be started again", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		check.Err(t, "start", check.Start(s, "f1", "alice", "a", exp), nil)
		check.Err(t, "restart", check.Start(s, "f1", "alice", "z", exp), tokenstore.ErrFamilyExists)
		check.Err(t, "revoke", s.RevokeFamily(ctx, "alice", "f1"), nil)
		check.Err(t, "restart revoked", check.Start(s, "f1", "alice", "z", exp), tokenstore.ErrFamilyExists)
		check.Err(t, "rotate z", check.Rotate(s, "f1", "z", "y", exp), tokenstore.ErrReused)
	}},
	{"starting a family with an exp already past records nothing", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		check.Err(t, "start", check.Start(s, "f1", "alice", "a", clk.Now().Add(-time.Second)), nil)
		check.Err(t, "rotate", check.Rotate(s, "f1", "a", "b", clk.Now().Add(time.Hour)), tokenstore.ErrFamilyUnknown)
	}},
	{"invalid arguments", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		check.Err(t, "RevokeToken empty sub", s.RevokeToken(ctx, "", "j", exp), tokenstore.ErrInvalid)
		check.Err(t, "RevokeToken empty jti", s.RevokeToken(ctx, "s", "", exp), tokenstore.ErrInvalid)
		check.Err(t, "RevokeSubject empty sub", s.RevokeSubject(ctx, "", time.Hour), tokenstore.ErrInvalid)
		check.Err(t, "RevokeSubject zero ttl", s.RevokeSubject(ctx, "s", 0), tokenstore.ErrInvalid)
		check.Err(t, "RevokeSubject negative ttl", s.RevokeSubject(ctx, "s", -time.Hour), tokenstore.ErrInvalid)
		for _, c := range [][2]string{{"", "j"}, {"s", ""}} {
			revoked, err := s.Revoked(ctx, c[0], c[1], "", 0)
			check.Err(t, "Revoked empty", err, tokenstore.ErrInvalid)
			if !revoked {
				t.Fatalf("Revoked(%q, %q) with an error answered false", c[0], c[1])
			}
		}
		check.Err(t, "StartFamily empty family", check.Start(s, "", "s", "a", exp), tokenstore.ErrInvalid)
		check.Err(t, "StartFamily empty sub", check.Start(s, "f", "", "a", exp), tokenstore.ErrInvalid)
		check.Err(t, "StartFamily empty jti", check.Start(s, "f", "s", "", exp), tokenstore.ErrInvalid)
		check.Err(t, "RotateFamily empty family", check.Rotate(s, "", "a", "b", exp), tokenstore.ErrInvalid)
		check.Err(t, "RotateFamily empty used", check.Rotate(s, "f", "", "b", exp), tokenstore.ErrInvalid)
		check.Err(t, "RotateFamily empty next", check.Rotate(s, "f", "a", "", exp), tokenstore.ErrInvalid)
		check.Err(t, "RotateFamily next == used", check.Rotate(s, "f", "a", "a", exp), tokenstore.ErrInvalid)
		check.Err(t, "RevokeFamily empty", s.RevokeFamily(ctx, "alice", ""), tokenstore.ErrInvalid)
	}},
	{"hostile ids are opaque", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		for _, h := range HostileIDs {
			id := h.ID
			check.Err(t, h.Name+": RevokeToken", s.RevokeToken(ctx, id, id, exp), nil)
			check.Revoked(t, s, id, id, 0, true)
			check.Revoked(t, s, id, id+"x", 0, false)
			check.Revoked(t, s, id+"x", id, 0, false)
			check.Err(t, h.Name+": RevokeSubject", s.RevokeSubject(ctx, "sub"+id, time.Hour), nil)
			check.Revoked(t, s, "sub"+id, "j", 0, true)
			check.Revoked(t, s, id, "j", 0, false)
			check.Err(t, h.Name+": StartFamily", check.Start(s, id, id, id, exp), nil)
			r := tokenstore.Rotation{Subject: id, Family: id, Used: id, Next: id + "2", Exp: exp}
			check.Err(t, h.Name+": rotate", s.RotateFamily(ctx, r), nil)
			r.Next = id + "3"
			check.Err(t, h.Name+": replay", s.RotateFamily(ctx, r), tokenstore.ErrReused)
			if !check.FamilyRevoked(t, s, id+"x", id) {
				t.Errorf("%s: another subject's token passes with this family", h.Name)
			}
		}
		// Distinct hostile ids did not collide.
		check.Revoked(t, s, "{", "}", 0, false)
		check.Revoked(t, s, "}", "{", 0, false)
	}},
	{"hostile times are clamped", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		ctx := context.Background()
		far := time.Date(999_999, 1, 1, 0, 0, 0, 0, time.UTC)
		past := time.Date(-999_999, 1, 1, 0, 0, 0, 0, time.UTC)
		check.Err(t, "RevokeToken far", s.RevokeToken(ctx, "alice", "j", far), nil)
		check.Revoked(t, s, "alice", "j", 0, true)
		check.Err(t, "RevokeSubject long", s.RevokeSubject(ctx, "bob", time.Duration(math.MaxInt64)), nil)
		check.Revoked(t, s, "bob", "j", 0, true)
		check.Err(t, "StartFamily far", check.Start(s, "f", "alice", "a", far), nil)
		check.Err(t, "rotate far", check.Rotate(s, "f", "a", "b", far), nil)
		check.Err(t, "rotate past", check.Rotate(s, "f", "b", "c", past), nil)
	}},
	{"concurrent rotations of one token: exactly one wins", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		const rounds, n = 5, 50
		exp := clk.Now().Add(time.Hour)
		for round := range rounds {
			family := "f" + string(rune('a'+round))
			check.Err(t, "start", check.Start(s, family, "alice", "r0", exp), nil)
			start := make(chan struct{})
			errs := make(chan error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					errs <- check.Rotate(s, family, "r0", "r1-"+string(rune('A'+i)), exp)
				})
			}
			close(start)
			wg.Wait()
			close(errs)
			var ok, reused int
			for err := range errs {
				switch {
				case err == nil:
					ok++
				case errors.Is(err, tokenstore.ErrReused):
					reused++
				default:
					t.Fatalf("round %d: unexpected error %v", round, err)
				}
			}
			if ok != 1 || reused != n-1 {
				t.Fatalf("round %d: %d succeeded and %d got tokenstore.ErrReused, want 1 and %d", round, ok, reused, n-1)
			}
		}
	}},
}
