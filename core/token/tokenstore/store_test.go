package tokenstore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/authtest/redistest"
	"github.com/authkit-go/authkit/core/internal/testclock"
)

// t0 is the fake clock's start, on a millisecond boundary.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 6_000_000, time.UTC)

// farFuture is a RevokeFamily horizon well past every test's clock.
var farFuture = t0.Add(24 * time.Hour)

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
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil && err != nil || want != nil && !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func wantRevoked(t *testing.T, s Store, sub, jti string, iat time.Time, want bool) {
	t.Helper()
	got, err := s.Revoked(context.Background(), sub, jti, "", iat)
	if err != nil {
		t.Fatalf("Revoked(%.20q, %.20q): %v", sub, jti, err)
	}
	if got != want {
		t.Fatalf("Revoked(%.20q, %.20q, %v) = %v, want %v", sub, jti, iat, got, want)
	}
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
		wantRevoked(t, s, "alice", "j1", t0, true)
		wantRevoked(t, s, "alice", "j2", t0, false)
		wantRevoked(t, s, "bob", "j1", t0, false)
		// Revoking again (with a shorter exp) keeps it revoked.
		wantErr(t, "RevokeToken again", s.RevokeToken(ctx, "alice", "j1", clk.Now().Add(time.Minute)), nil)
		wantRevoked(t, s, "alice", "j1", t0, true)
	}},
	{"revoking with an exp already past is a no-op", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		wantErr(t, "past", s.RevokeToken(ctx, "alice", "j1", clk.Now().Add(-time.Second)), nil)
		wantErr(t, "now", s.RevokeToken(ctx, "alice", "j2", clk.Now()), nil)
		wantRevoked(t, s, "alice", "j1", t0, false)
		wantRevoked(t, s, "alice", "j2", t0, false)
	}},
	{"subject cut-off revokes tokens issued strictly before it", func(t *testing.T, s Store, clk *fakeClock) {
		cut := clk.Now()
		wantErr(t, "RevokeSubject", s.RevokeSubject(context.Background(), "alice", cut, time.Hour), nil)
		wantRevoked(t, s, "alice", "j", cut.Add(-time.Millisecond), true)
		wantRevoked(t, s, "alice", "j", cut.Add(-time.Hour), true)
		wantRevoked(t, s, "alice", "j", cut, false)
		wantRevoked(t, s, "alice", "j", cut.Add(time.Millisecond), false)
		wantRevoked(t, s, "bob", "j", cut.Add(-time.Millisecond), false)
	}},
	{"subject cut-off never moves backwards", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		late := clk.Now()
		early := late.Add(-time.Minute)
		wantErr(t, "late", s.RevokeSubject(ctx, "alice", late, time.Hour), nil)
		wantErr(t, "early", s.RevokeSubject(ctx, "alice", early, time.Hour), nil)
		wantRevoked(t, s, "alice", "j", late.Add(-time.Millisecond), true)
		later := late.Add(time.Minute)
		wantErr(t, "later", s.RevokeSubject(ctx, "alice", later, time.Hour), nil)
		wantRevoked(t, s, "alice", "j", later.Add(-time.Millisecond), true)
		wantRevoked(t, s, "alice", "j", later, false)
	}},
	{"family rotation and reuse detection", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		exp := clk.Now().Add(14 * 24 * time.Hour)
		wantErr(t, "start", s.StartFamily(ctx, "f1", "alice", "a", exp), nil)
		wantErr(t, "a→b", s.RotateFamily(ctx, "f1", "a", "b", exp), nil)
		wantErr(t, "b→c", s.RotateFamily(ctx, "f1", "b", "c", exp), nil)
		wantErr(t, "a→x (replay)", s.RotateFamily(ctx, "f1", "a", "x", exp), ErrReused)
		wantErr(t, "c→d (after reuse)", s.RotateFamily(ctx, "f1", "c", "d", exp), ErrFamilyRevoked)
		wantErr(t, "b→y (replay after revocation)", s.RotateFamily(ctx, "f1", "b", "y", exp), ErrReused)
	}},
	{"unknown family", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		wantErr(t, "rotate", s.RotateFamily(ctx, "nope", "a", "b", clk.Now().Add(time.Hour)), ErrFamilyUnknown)
		wantErr(t, "revoke", s.RevokeFamily(ctx, "alice", "nope", farFuture), nil)
		wantErr(t, "rotate after revoke", s.RotateFamily(ctx, "nope", "a", "b", clk.Now().Add(time.Hour)), ErrFamilyUnknown)
	}},
	{"revoking a family revokes every token of the subject that carries it", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		revoked := func(sub, family string) bool {
			t.Helper()
			got, err := s.Revoked(ctx, sub, "access-jti", family, t0)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if revoked("alice", "f1") {
			t.Fatal("a token of a live family is revoked")
		}
		wantErr(t, "revoke", s.RevokeFamily(ctx, "alice", "f1", clk.Now().Add(15*time.Minute)), nil)
		if !revoked("alice", "f1") {
			t.Error("a token of the revoked family still passes")
		}
		if revoked("alice", "f2") || revoked("alice", "") || revoked("bob", "f1") {
			t.Error("the family marker reached another family, a token without one, or another subject")
		}
		// A later, shorter revocation never shortens the marker.
		wantErr(t, "revoke shorter", s.RevokeFamily(ctx, "alice", "f1", clk.Now().Add(time.Minute)), nil)
		clk.Advance(2 * time.Minute)
		if st, ok := s.(*Redis); ok { // Redis expires by its own clock: read the TTL
			ttl, err := st.c.PTTL(ctx, st.famRevKey(st.subjectTag("alice"), "f1")).Result()
			if err != nil || ttl < 10*time.Minute {
				t.Errorf("marker TTL after a shorter revocation = %v, %v; want about 15m", ttl, err)
			}
		} else if !revoked("alice", "f1") {
			t.Error("a shorter revocation shortened the family marker")
		}
		wantErr(t, "past until", s.RevokeFamily(ctx, "alice", "f3", clk.Now().Add(-time.Second)), nil)
		if revoked("alice", "f3") {
			t.Error("a marker with an until already past was written")
		}
	}},
	{"revoked family refuses rotation", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		wantErr(t, "start", s.StartFamily(ctx, "f1", "alice", "a", exp), nil)
		wantErr(t, "revoke", s.RevokeFamily(ctx, "alice", "f1", farFuture), nil)
		wantErr(t, "revoke again", s.RevokeFamily(ctx, "alice", "f1", farFuture), nil)
		wantErr(t, "rotate", s.RotateFamily(ctx, "f1", "a", "b", exp), ErrFamilyRevoked)
	}},
	{"a recorded family cannot be started again", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		wantErr(t, "start", s.StartFamily(ctx, "f1", "alice", "a", exp), nil)
		wantErr(t, "restart", s.StartFamily(ctx, "f1", "alice", "z", exp), ErrFamilyExists)
		wantErr(t, "revoke", s.RevokeFamily(ctx, "alice", "f1", farFuture), nil)
		wantErr(t, "restart revoked", s.StartFamily(ctx, "f1", "alice", "z", exp), ErrFamilyExists)
		wantErr(t, "rotate z", s.RotateFamily(ctx, "f1", "z", "y", exp), ErrReused)
	}},
	{"starting a family with an exp already past records nothing", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		wantErr(t, "start", s.StartFamily(ctx, "f1", "alice", "a", clk.Now().Add(-time.Second)), nil)
		wantErr(t, "rotate", s.RotateFamily(ctx, "f1", "a", "b", clk.Now().Add(time.Hour)), ErrFamilyUnknown)
	}},
	{"invalid arguments", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		wantErr(t, "RevokeToken empty sub", s.RevokeToken(ctx, "", "j", exp), ErrInvalid)
		wantErr(t, "RevokeToken empty jti", s.RevokeToken(ctx, "s", "", exp), ErrInvalid)
		wantErr(t, "RevokeSubject empty sub", s.RevokeSubject(ctx, "", exp, time.Hour), ErrInvalid)
		wantErr(t, "RevokeSubject zero ttl", s.RevokeSubject(ctx, "s", exp, 0), ErrInvalid)
		wantErr(t, "RevokeSubject negative ttl", s.RevokeSubject(ctx, "s", exp, -time.Hour), ErrInvalid)
		for _, c := range [][2]string{{"", "j"}, {"s", ""}} {
			revoked, err := s.Revoked(ctx, c[0], c[1], "", t0)
			wantErr(t, "Revoked empty", err, ErrInvalid)
			if !revoked {
				t.Fatalf("Revoked(%q, %q) with an error answered false", c[0], c[1])
			}
		}
		wantErr(t, "StartFamily empty family", s.StartFamily(ctx, "", "s", "a", exp), ErrInvalid)
		wantErr(t, "StartFamily empty sub", s.StartFamily(ctx, "f", "", "a", exp), ErrInvalid)
		wantErr(t, "StartFamily empty jti", s.StartFamily(ctx, "f", "s", "", exp), ErrInvalid)
		wantErr(t, "RotateFamily empty family", s.RotateFamily(ctx, "", "a", "b", exp), ErrInvalid)
		wantErr(t, "RotateFamily empty used", s.RotateFamily(ctx, "f", "", "b", exp), ErrInvalid)
		wantErr(t, "RotateFamily empty next", s.RotateFamily(ctx, "f", "a", "", exp), ErrInvalid)
		wantErr(t, "RotateFamily next == used", s.RotateFamily(ctx, "f", "a", "a", exp), ErrInvalid)
		wantErr(t, "RevokeFamily empty", s.RevokeFamily(ctx, "alice", "", farFuture), ErrInvalid)
	}},
	{"hostile ids are opaque", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		for _, h := range hostileIDs {
			id := h.id
			wantErr(t, h.name+": RevokeToken", s.RevokeToken(ctx, id, id, exp), nil)
			wantRevoked(t, s, id, id, t0, true)
			wantRevoked(t, s, id, id+"x", t0, false)
			wantRevoked(t, s, id+"x", id, t0, false)
			wantErr(t, h.name+": RevokeSubject", s.RevokeSubject(ctx, "sub"+id, t0, time.Hour), nil)
			wantRevoked(t, s, "sub"+id, "j", t0.Add(-time.Millisecond), true)
			wantErr(t, h.name+": StartFamily", s.StartFamily(ctx, id, id, id, exp), nil)
			wantErr(t, h.name+": rotate", s.RotateFamily(ctx, id, id, id+"2", exp), nil)
			wantErr(t, h.name+": replay", s.RotateFamily(ctx, id, id, id+"3", exp), ErrReused)
		}
		// Distinct hostile ids did not collide.
		wantRevoked(t, s, "{", "}", t0, false)
		wantRevoked(t, s, "}", "{", t0, false)
	}},
	{"hostile times are clamped", func(t *testing.T, s Store, clk *fakeClock) {
		ctx := context.Background()
		far := time.Date(999_999, 1, 1, 0, 0, 0, 0, time.UTC)
		past := time.Date(-999_999, 1, 1, 0, 0, 0, 0, time.UTC)
		wantErr(t, "RevokeToken far", s.RevokeToken(ctx, "alice", "j", far), nil)
		wantRevoked(t, s, "alice", "j", past, true)
		wantErr(t, "RevokeSubject far", s.RevokeSubject(ctx, "bob", far, time.Hour), nil)
		wantRevoked(t, s, "bob", "j", clk.Now(), true)
		wantErr(t, "RevokeSubject past", s.RevokeSubject(ctx, "carol", past, time.Hour), nil)
		wantRevoked(t, s, "carol", "j", clk.Now(), false)
		wantErr(t, "StartFamily far", s.StartFamily(ctx, "f", "alice", "a", far), nil)
		wantErr(t, "rotate far", s.RotateFamily(ctx, "f", "a", "b", far), nil)
		wantErr(t, "rotate past", s.RotateFamily(ctx, "f", "b", "c", past), nil)
	}},
	{"concurrent rotations of one token: exactly one wins", func(t *testing.T, s Store, clk *fakeClock) {
		const rounds, n = 5, 50
		ctx := context.Background()
		exp := clk.Now().Add(time.Hour)
		for round := range rounds {
			family := "f" + string(rune('a'+round))
			wantErr(t, "start", s.StartFamily(ctx, family, "alice", "r0", exp), nil)
			start := make(chan struct{})
			errs := make(chan error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					errs <- s.RotateFamily(ctx, family, "r0", "r1-"+string(rune('A'+i)), exp)
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
