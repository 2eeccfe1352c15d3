package tokenstore

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/internal/testclock"
)

// t0 is the fake clock's start, on a millisecond boundary.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 6_000_000, time.UTC)

type fakeClock = testclock.Clock

func newClock() *fakeClock {
	c := testclock.New()
	c.Set(t0)
	return c
}

type factory struct {
	name string
	new  func(t testing.TB, clk *fakeClock) Store
}

func newTestRedis(t testing.TB, clk *fakeClock) *Redis {
	t.Helper()
	c := redistest.Client(t)
	r, err := NewRedis(c, WithPrefix(redistest.Prefix(t)), WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// factories is the one list every behaviour test runs against.
var factories = []factory{
	{"memory", func(_ testing.TB, clk *fakeClock) Store { return NewMemory(WithClock(clk.Now)) }},
	{"redis", func(t testing.TB, clk *fakeClock) Store { return newTestRedis(t, clk) }},
	{"cluster", func(t testing.TB, clk *fakeClock) Store {
		c := redistest.ClusterClient(t)
		r, err := NewRedis(c, WithPrefix(redistest.PrefixFor(t, c)), WithClock(clk.Now))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}},
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil && err != nil || want != nil && !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func wantRevoked(t *testing.T, s Store, sub, jti string, gen uint64, want bool) {
	t.Helper()
	got, err := s.Revoked(context.Background(), sub, jti, "", gen)
	if err != nil {
		t.Fatalf("Revoked(%.20q, %.20q): %v", sub, jti, err)
	}
	if got != want {
		t.Fatalf("Revoked(%.20q, %.20q, gen %d) = %v, want %v", sub, jti, gen, got, want)
	}
}

// start starts family of sub with current jti and returns the error.
func start(s Store, family, sub, jti string, exp time.Time) error {
	_, err := s.StartFamily(context.Background(), Family{ID: family, Subject: sub, JTI: jti, Exp: exp})
	return err
}

// startGen is start returning the generation too.
func startGen(t *testing.T, s Store, family, sub, jti string, exp time.Time) uint64 {
	t.Helper()
	gen, err := s.StartFamily(context.Background(), Family{ID: family, Subject: sub, JTI: jti, Exp: exp})
	if err != nil {
		t.Fatalf("StartFamily(%q): %v", family, err)
	}
	return gen
}

// rotate rotates alice's family in generation 0.
func rotate(s Store, family, used, next string, exp time.Time) error {
	return s.RotateFamily(context.Background(), Rotation{Subject: "alice", Family: family, Used: used, Next: next, Exp: exp})
}

// familyRevoked reports whether a token of sub carrying family (gen 0) is revoked.
func familyRevoked(t *testing.T, s Store, sub, family string) bool {
	t.Helper()
	got, err := s.Revoked(context.Background(), sub, "access-jti", family, 0)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

var hostileIDs = []struct {
	name string
	id   string
}{
	{"open brace", "{"},
	{"close brace", "}"},
	{"braces", "{}"},
	{"inverted braces", "a}b{c"},
	{"NUL", "\x00"},
	{"non-UTF-8", "\xff\xfe\xfd"},
	{"1 MB", strings.Repeat("x{", 1<<19)},
}

var behaviour = []struct {
	name string
	run  func(t *testing.T, s Store, clk *fakeClock)
}{
	{"revoking a jti revokes only that jti", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		wantErr(t, "RevokeToken", s.RevokeToken(ctx, "alice", "j1", clk.Now().Add(15*time.Minute)), nil)
		wantRevoked(t, s, "alice", "j1", 0, true)
		wantRevoked(t, s, "alice", "j1", 7, true)
		wantRevoked(t, s, "alice", "j2", 0, false)
		wantRevoked(t, s, "bob", "j1", 0, false)
		// Revoking again (with a shorter exp) keeps it revoked.
		wantErr(t, "RevokeToken again", s.RevokeToken(ctx, "alice", "j1", clk.Now().Add(time.Minute)), nil)
		wantRevoked(t, s, "alice", "j1", 0, true)
	}},
	{"revoking with an exp already past is a no-op", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		wantErr(t, "past", s.RevokeToken(ctx, "alice", "j1", clk.Now().Add(-time.Second)), nil)
		wantErr(t, "now", s.RevokeToken(ctx, "alice", "j2", clk.Now()), nil)
		wantRevoked(t, s, "alice", "j1", 0, false)
		wantRevoked(t, s, "alice", "j2", 0, false)
	}},
	{"log-out-everywhere raises the generation", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		if g := startGen(t, s, "f1", "alice", "a", exp); g != 0 {
			t.Fatalf("first generation = %d, want 0", g)
		}
		wantErr(t, "RevokeSubject", s.RevokeSubject(ctx, "alice", time.Hour), nil)
		wantRevoked(t, s, "alice", "j", 0, true)
		wantRevoked(t, s, "alice", "j", 1, false)
		wantRevoked(t, s, "bob", "j", 0, false)
		if !familyRevoked(t, s, "alice", "f1") {
			t.Error("a token of a family of the earlier generation passes")
		}
		if g := startGen(t, s, "f2", "alice", "b", exp); g != 1 {
			t.Fatalf("generation after RevokeSubject = %d, want 1", g)
		}
		wantErr(t, "RevokeSubject again", s.RevokeSubject(ctx, "alice", time.Minute), nil)
		wantRevoked(t, s, "alice", "j", 1, true)
		wantRevoked(t, s, "alice", "j", 2, false)
	}},
	{"rotation refuses a family of an earlier generation, atomically", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		gen := startGen(t, s, "f1", "alice", "a", exp)
		wantErr(t, "RevokeSubject", s.RevokeSubject(ctx, "alice", time.Hour), nil)
		r := Rotation{Subject: "alice", Family: "f1", Used: "a", Next: "b", Gen: gen, Exp: exp}
		wantErr(t, "rotate", s.RotateFamily(ctx, r), ErrFamilyRevoked)
		r.Gen = gen + 1 // even a token claiming the new generation: the family is revoked now
		wantErr(t, "rotate again", s.RotateFamily(ctx, r), ErrFamilyRevoked)
		// A stale token of the family is still reported as reuse.
		r.Used = "old"
		wantErr(t, "replay", s.RotateFamily(ctx, r), ErrReused)
	}},
	{"family rotation and reuse detection", func(t *testing.T, s Store, clk *fakeClock) {
		exp := clk.Now().Add(14 * 24 * time.Hour)
		wantErr(t, "start", start(s, "f1", "alice", "a", exp), nil)
		wantErr(t, "a→b", rotate(s, "f1", "a", "b", exp), nil)
		wantErr(t, "b→c", rotate(s, "f1", "b", "c", exp), nil)
		wantErr(t, "a→x (replay)", rotate(s, "f1", "a", "x", exp), ErrReused)
		wantErr(t, "c→d (after reuse)", rotate(s, "f1", "c", "d", exp), ErrFamilyRevoked)
		wantErr(t, "b→y (replay after revocation)", rotate(s, "f1", "b", "y", exp), ErrReused)
	}},
	{"replays are counted", func(t *testing.T, s Store, clk *fakeClock) {
		exp := clk.Now().Add(time.Hour)
		wantErr(t, "start", start(s, "f1", "alice", "a", exp), nil)
		wantErr(t, "a→b", rotate(s, "f1", "a", "b", exp), nil)
		for want := int64(1); want <= 3; want++ {
			var reuse *ReuseError
			if err := rotate(s, "f1", "a", "x", exp); !errors.As(err, &reuse) || reuse.Count != want {
				t.Fatalf("replay %d: %v, want a *ReuseError counting %d", want, err, want)
			}
		}
		wantErr(t, "the current token of the revoked family", rotate(s, "f1", "b", "c", exp), ErrFamilyRevoked)
	}},
	{"unknown family", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		wantErr(t, "rotate", rotate(s, "nope", "a", "b", clk.Now().Add(time.Hour)), ErrFamilyUnknown)
		wantErr(t, "revoke", s.RevokeFamily(ctx, "alice", "nope"), nil)
		wantErr(t, "rotate after revoke", rotate(s, "nope", "a", "b", clk.Now().Add(time.Hour)), ErrFamilyUnknown)
	}},
	{"revoking a family revokes every token of the subject that carries it", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		wantErr(t, "start alice f1", start(s, "f1", "alice", "a", exp), nil)
		wantErr(t, "start alice f2", start(s, "f2", "alice", "b", exp), nil)
		wantErr(t, "start bob f1", start(s, "f1", "bob", "c", exp), nil)
		if familyRevoked(t, s, "alice", "f1") || familyRevoked(t, s, "alice", "f2") {
			t.Fatal("a token of a live family is revoked")
		}
		if !familyRevoked(t, s, "alice", "f9") {
			t.Error("a token of a family the store does not hold passes")
		}
		wantErr(t, "revoke", s.RevokeFamily(ctx, "alice", "f1"), nil)
		if !familyRevoked(t, s, "alice", "f1") {
			t.Error("a token of the revoked family still passes")
		}
		if familyRevoked(t, s, "alice", "f2") || familyRevoked(t, s, "alice", "") || familyRevoked(t, s, "bob", "f1") {
			t.Error("the revocation reached another family, a token without one, or another subject's family")
		}
		clk.Advance(time.Hour - time.Second)
		if st, ok := s.(*Redis); ok { // Redis expires by its own clock: read the TTL
			ttl, err := st.c.PTTL(ctx, st.familyKey(st.subjectTag("alice"), "f1")).Result()
			if err != nil || ttl < 59*time.Minute {
				t.Errorf("revoked family TTL = %v, %v; want the family's, about 1h", ttl, err)
			}
		} else if !familyRevoked(t, s, "alice", "f1") {
			t.Error("the revoked family was forgotten before its exp")
		}
	}},
	{"revoked family refuses rotation", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		wantErr(t, "start", start(s, "f1", "alice", "a", exp), nil)
		wantErr(t, "revoke", s.RevokeFamily(ctx, "alice", "f1"), nil)
		wantErr(t, "revoke again", s.RevokeFamily(ctx, "alice", "f1"), nil)
		wantErr(t, "rotate", rotate(s, "f1", "a", "b", exp), ErrFamilyRevoked)
	}},
	{"a recorded family cannot be started again", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		wantErr(t, "start", start(s, "f1", "alice", "a", exp), nil)
		wantErr(t, "restart", start(s, "f1", "alice", "z", exp), ErrFamilyExists)
		wantErr(t, "revoke", s.RevokeFamily(ctx, "alice", "f1"), nil)
		wantErr(t, "restart revoked", start(s, "f1", "alice", "z", exp), ErrFamilyExists)
		wantErr(t, "rotate z", rotate(s, "f1", "z", "y", exp), ErrReused)
	}},
	{"starting a family with an exp already past records nothing", func(t *testing.T, s Store, clk *fakeClock) {
		wantErr(t, "start", start(s, "f1", "alice", "a", clk.Now().Add(-time.Second)), nil)
		wantErr(t, "rotate", rotate(s, "f1", "a", "b", clk.Now().Add(time.Hour)), ErrFamilyUnknown)
	}},
	{"invalid arguments", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		wantErr(t, "RevokeToken empty sub", s.RevokeToken(ctx, "", "j", exp), ErrInvalid)
		wantErr(t, "RevokeToken empty jti", s.RevokeToken(ctx, "s", "", exp), ErrInvalid)
		wantErr(t, "RevokeSubject empty sub", s.RevokeSubject(ctx, "", time.Hour), ErrInvalid)
		wantErr(t, "RevokeSubject zero ttl", s.RevokeSubject(ctx, "s", 0), ErrInvalid)
		wantErr(t, "RevokeSubject negative ttl", s.RevokeSubject(ctx, "s", -time.Hour), ErrInvalid)
		for _, c := range [][2]string{{"", "j"}, {"s", ""}} {
			revoked, err := s.Revoked(ctx, c[0], c[1], "", 0)
			wantErr(t, "Revoked empty", err, ErrInvalid)
			if !revoked {
				t.Fatalf("Revoked(%q, %q) with an error answered false", c[0], c[1])
			}
		}
		wantErr(t, "StartFamily empty family", start(s, "", "s", "a", exp), ErrInvalid)
		wantErr(t, "StartFamily empty sub", start(s, "f", "", "a", exp), ErrInvalid)
		wantErr(t, "StartFamily empty jti", start(s, "f", "s", "", exp), ErrInvalid)
		wantErr(t, "RotateFamily empty family", rotate(s, "", "a", "b", exp), ErrInvalid)
		wantErr(t, "RotateFamily empty used", rotate(s, "f", "", "b", exp), ErrInvalid)
		wantErr(t, "RotateFamily empty next", rotate(s, "f", "a", "", exp), ErrInvalid)
		wantErr(t, "RotateFamily next == used", rotate(s, "f", "a", "a", exp), ErrInvalid)
		wantErr(t, "RevokeFamily empty", s.RevokeFamily(ctx, "alice", ""), ErrInvalid)
	}},
	{"hostile ids are opaque", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		for _, h := range hostileIDs {
			id := h.id
			wantErr(t, h.name+": RevokeToken", s.RevokeToken(ctx, id, id, exp), nil)
			wantRevoked(t, s, id, id, 0, true)
			wantRevoked(t, s, id, id+"x", 0, false)
			wantRevoked(t, s, id+"x", id, 0, false)
			wantErr(t, h.name+": RevokeSubject", s.RevokeSubject(ctx, "sub"+id, time.Hour), nil)
			wantRevoked(t, s, "sub"+id, "j", 0, true)
			wantRevoked(t, s, id, "j", 0, false)
			wantErr(t, h.name+": StartFamily", start(s, id, id, id, exp), nil)
			r := Rotation{Subject: id, Family: id, Used: id, Next: id + "2", Exp: exp}
			wantErr(t, h.name+": rotate", s.RotateFamily(ctx, r), nil)
			r.Next = id + "3"
			wantErr(t, h.name+": replay", s.RotateFamily(ctx, r), ErrReused)
			if familyRevoked(t, s, id+"x", id) == false {
				t.Errorf("%s: another subject's token passes with this family", h.name)
			}
		}
		// Distinct hostile ids did not collide.
		wantRevoked(t, s, "{", "}", 0, false)
		wantRevoked(t, s, "}", "{", 0, false)
	}},
	{"hostile times are clamped", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		far := time.Date(999_999, 1, 1, 0, 0, 0, 0, time.UTC)
		past := time.Date(-999_999, 1, 1, 0, 0, 0, 0, time.UTC)
		wantErr(t, "RevokeToken far", s.RevokeToken(ctx, "alice", "j", far), nil)
		wantRevoked(t, s, "alice", "j", 0, true)
		wantErr(t, "RevokeSubject long", s.RevokeSubject(ctx, "bob", time.Duration(math.MaxInt64)), nil)
		wantRevoked(t, s, "bob", "j", 0, true)
		wantErr(t, "StartFamily far", start(s, "f", "alice", "a", far), nil)
		wantErr(t, "rotate far", rotate(s, "f", "a", "b", far), nil)
		wantErr(t, "rotate past", rotate(s, "f", "b", "c", past), nil)
	}},
	{"concurrent rotations of one token: exactly one wins", func(t *testing.T, s Store, clk *fakeClock) {
		const rounds, n = 5, 50
		exp := clk.Now().Add(time.Hour)
		for round := range rounds {
			family := "f" + string(rune('a'+round))
			wantErr(t, "start", start(s, family, "alice", "r0", exp), nil)
			start := make(chan struct{})
			errs := make(chan error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					errs <- rotate(s, family, "r0", "r1-"+string(rune('A'+i)), exp)
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
				case errors.Is(err, ErrReused):
					reused++
				default:
					t.Fatalf("round %d: unexpected error %v", round, err)
				}
			}
			if ok != 1 || reused != n-1 {
				t.Fatalf("round %d: %d succeeded and %d got ErrReused, want 1 and %d", round, ok, reused, n-1)
			}
		}
	}},
}

func TestStore(t *testing.T) {
	for _, f := range factories {
		t.Run(f.name, func(t *testing.T) {
			for _, tc := range behaviour {
				t.Run(tc.name, func(t *testing.T) {
					clk := newClock()
					tc.run(t, f.new(t, clk), clk)
				})
			}
		})
	}
}
