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
	"strconv"
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
	{"the same rotation twice succeeds both times with the same result; a different successor is reuse", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		// A client that re-sends a call whose answer it never got (go-redis
		// after a read timeout) must not sign its user out.
		exp := clk.Now().Add(time.Hour)
		check.Err(t, "start", check.Start(s, "f1", "alice", "a", exp), nil)
		check.Err(t, "a→b", check.Rotate(s, "f1", "a", "b", exp), nil)
		check.Err(t, "a→b again", check.Rotate(s, "f1", "a", "b", exp), nil)
		if check.FamilyRevoked(t, s, "alice", "f1") {
			t.Fatal("the rotation sent again revoked the family")
		}
		check.Err(t, "b→c", check.Rotate(s, "f1", "b", "c", exp), nil)
		check.Err(t, "a→b once b was rotated away", check.Rotate(s, "f1", "a", "b", exp), tokenstore.ErrReused)
		check.Err(t, "start f2", check.Start(s, "f2", "alice", "p", exp), nil)
		check.Err(t, "p→q", check.Rotate(s, "f2", "p", "q", exp), nil)
		check.Err(t, "p→r (a second use)", check.Rotate(s, "f2", "p", "r", exp), tokenstore.ErrReused)
		check.Err(t, "p→q after the reuse", check.Rotate(s, "f2", "p", "q", exp), tokenstore.ErrFamilyRevoked)
		check.Err(t, "q→s", check.Rotate(s, "f2", "q", "s", exp), tokenstore.ErrFamilyRevoked)
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
		check.Err(t, "RevokeSubjectExcept empty sub", s.RevokeSubjectExcept(ctx, "", "f", time.Hour), tokenstore.ErrInvalid)
		check.Err(t, "RevokeSubjectExcept zero ttl", s.RevokeSubjectExcept(ctx, "s", "f", 0), tokenstore.ErrInvalid)
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
	{"signing out everywhere else keeps one family", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		for _, f := range []string{"keep", "f2", "f3"} {
			check.Err(t, "start "+f, check.Start(s, f, "alice", f+"-r0", exp), nil)
		}
		check.Err(t, "start bob's", check.Start(s, "keep", "bob", "b-r0", exp), nil)
		check.Err(t, "RevokeSubjectExcept", s.RevokeSubjectExcept(ctx, "alice", "keep", time.Hour), nil)
		// The kept sign-in: its access tokens (gen 0) pass and its refresh
		// token rotates, in its old generation, again and again.
		if check.FamilyRevoked(t, s, "alice", "keep") {
			t.Fatal("an access token of the kept family is revoked")
		}
		check.Err(t, "refresh the kept family", check.Rotate(s, "keep", "keep-r0", "keep-r1", exp), nil)
		check.Err(t, "and again", check.Rotate(s, "keep", "keep-r1", "keep-r2", exp), nil)
		if check.FamilyRevoked(t, s, "alice", "keep") {
			t.Fatal("the kept family's tokens are revoked after its refreshes")
		}
		// Every other sign-in of alice ends, access and refresh tokens.
		for _, f := range []string{"f2", "f3"} {
			if !check.FamilyRevoked(t, s, "alice", f) {
				t.Errorf("an access token of %s still passes", f)
			}
			check.Err(t, "refresh "+f, check.Rotate(s, f, f+"-r0", f+"-r1", exp), tokenstore.ErrFamilyRevoked)
		}
		check.Revoked(t, s, "alice", "family-less", 0, true)
		// A replay of the kept family's old refresh token is still reuse.
		check.Err(t, "replay", check.Rotate(s, "keep", "keep-r0", "x", exp), tokenstore.ErrReused)
		// Nobody else is touched; a new sign-in lives in the new generation.
		if check.FamilyRevoked(t, s, "bob", "keep") {
			t.Error("another subject's family ended")
		}
		if g := check.StartGen(t, s, "f4", "alice", "f4-r0", exp); g != 1 {
			t.Fatalf("generation of a new sign-in = %d, want 1", g)
		}
		if revoked, err := s.Revoked(ctx, "alice", "j", "f4", 1); err != nil || revoked {
			t.Fatalf("a new sign-in's token: revoked = %v, %v", revoked, err)
		}
	}},
	{"the kept family ends with the next log-out-everywhere", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		check.Err(t, "start", check.Start(s, "keep", "alice", "r0", exp), nil)
		check.Err(t, "RevokeSubjectExcept", s.RevokeSubjectExcept(ctx, "alice", "keep", time.Hour), nil)
		check.Err(t, "RevokeSubject", s.RevokeSubject(ctx, "alice", time.Hour), nil)
		if !check.FamilyRevoked(t, s, "alice", "keep") {
			t.Error("the kept family survived a later RevokeSubject")
		}
		check.Err(t, "refresh", check.Rotate(s, "keep", "r0", "r1", exp), tokenstore.ErrFamilyRevoked)
	}},
	{"keeping another family ends the one kept before", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		check.Err(t, "start first", check.Start(s, "first", "alice", "a0", exp), nil)
		check.Err(t, "keep first", s.RevokeSubjectExcept(ctx, "alice", "first", time.Hour), nil)
		gen := check.StartGen(t, s, "second", "alice", "b0", exp)
		check.Err(t, "keep second", s.RevokeSubjectExcept(ctx, "alice", "second", time.Hour), nil)
		if !check.FamilyRevoked(t, s, "alice", "first") {
			t.Error("the family kept first survived keeping another")
		}
		if revoked, err := s.Revoked(ctx, "alice", "j", "second", gen); err != nil || revoked {
			t.Errorf("the family kept second: revoked = %v, %v", revoked, err)
		}
		r := tokenstore.Rotation{Subject: "alice", Family: "second", Used: "b0", Next: "b1", Gen: gen, Exp: exp}
		check.Err(t, "refresh second", s.RotateFamily(ctx, r), nil)
		r = tokenstore.Rotation{Subject: "alice", Family: "first", Used: "a0", Next: "a1", Exp: exp}
		check.Err(t, "refresh first", s.RotateFamily(ctx, r), tokenstore.ErrFamilyRevoked)
	}},
	{"a family that is not live cannot be kept", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		for _, tc := range []struct {
			name  string
			setup func(sub string)
			want  error
		}{
			{"unknown", func(string) {}, tokenstore.ErrFamilyUnknown},
			{"another subject's", func(string) {
				check.Err(t, "start bob's", check.Start(s, "keep", "bob", "b0", exp), nil)
			}, tokenstore.ErrFamilyUnknown},
			{"revoked", func(sub string) {
				check.Err(t, "start", check.Start(s, "keep", sub, "r0", exp), nil)
				check.Err(t, "revoke", s.RevokeFamily(ctx, sub, "keep"), nil)
			}, tokenstore.ErrFamilyRevoked},
			{"ended by an earlier log-out-everywhere", func(sub string) {
				check.Err(t, "start", check.Start(s, "keep", sub, "r0", exp), nil)
				check.Err(t, "RevokeSubject", s.RevokeSubject(ctx, sub, time.Hour), nil)
			}, tokenstore.ErrFamilyRevoked},
		} {
			sub := "user " + tc.name
			check.Err(t, tc.name+": other", check.Start(s, "other", sub, "o0", exp), nil)
			tc.setup(sub)
			check.Err(t, tc.name, s.RevokeSubjectExcept(ctx, sub, "keep", time.Hour), tc.want)
			// Every sign-in ended, the one asked for too.
			for _, f := range []string{"other", "keep"} {
				if !check.FamilyRevoked(t, s, sub, f) {
					t.Errorf("%s: family %s passes", tc.name, f)
				}
			}
			r := tokenstore.Rotation{Subject: sub, Family: "keep", Used: "r0", Next: "r1", Exp: exp}
			if err := s.RotateFamily(ctx, r); err == nil {
				t.Errorf("%s: the family asked for refreshes", tc.name)
			}
		}
		if check.FamilyRevoked(t, s, "bob", "keep") {
			t.Error("naming another subject's family ended it")
		}
	}},
	{"hostile ids can be kept", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		for _, h := range HostileIDs {
			id := h.ID
			check.Err(t, h.Name+": start", check.Start(s, id, id, id, exp), nil)
			check.Err(t, h.Name+": start other", check.Start(s, id+"2", id, id+"2", exp), nil)
			check.Err(t, h.Name+": RevokeSubjectExcept", s.RevokeSubjectExcept(ctx, id, id, time.Hour), nil)
			if check.FamilyRevoked(t, s, id, id) || !check.FamilyRevoked(t, s, id, id+"2") {
				t.Errorf("%s: the kept family ended or the other survived", h.Name)
			}
		}
	}},
	{"a refresh racing sign-out-others on another family dies", func(t *testing.T, s tokenstore.Store, clk *testclock.Clock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		const rounds = 20
		for round := range rounds {
			sub := "victim " + strconv.Itoa(round)
			check.Err(t, "start", check.Start(s, "keep", sub, "k0", exp), nil)
			check.Err(t, "start thief's", check.Start(s, "stolen", sub, "t0", exp), nil)
			var stop sync.WaitGroup
			done := make(chan struct{})
			last := "t0"
			stop.Go(func() {
				for i := 1; ; i++ {
					select {
					case <-done:
						return
					default:
					}
					next := "t" + strconv.Itoa(i)
					if s.RotateFamily(ctx, tokenstore.Rotation{Subject: sub, Family: "stolen", Used: last, Next: next, Exp: exp}) != nil {
						return
					}
					last = next
				}
			})
			check.Err(t, "RevokeSubjectExcept", s.RevokeSubjectExcept(ctx, sub, "keep", time.Hour), nil)
			close(done)
			stop.Wait()
			if !check.FamilyRevoked(t, s, sub, "stolen") {
				t.Fatalf("round %d: the thief's access tokens pass", round)
			}
			r := tokenstore.Rotation{Subject: sub, Family: "stolen", Used: last, Next: "after", Exp: exp}
			check.Err(t, "the thief's newest refresh token", s.RotateFamily(ctx, r), tokenstore.ErrFamilyRevoked)
			if check.FamilyRevoked(t, s, sub, "keep") {
				t.Fatalf("round %d: the kept family ended", round)
			}
			r = tokenstore.Rotation{Subject: sub, Family: "keep", Used: "k0", Next: "k1", Exp: exp}
			check.Err(t, "the kept refresh token", s.RotateFamily(ctx, r), nil)
		}
	}},
}
