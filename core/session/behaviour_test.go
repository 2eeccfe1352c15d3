package session_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/session"
)

type env struct {
	m     *session.Manager
	clk   *fakeClock
	store *countingStore
	ctx   context.Context
}

func (e *env) create(t *testing.T, user string) *session.Session {
	t.Helper()
	md := meta
	md.UserID = user
	s, err := e.m.Create(e.ctx, md)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return s
}

func (e *env) load(t *testing.T, s *session.Session) *session.Session {
	t.Helper()
	got, err := e.m.Load(e.ctx, s.ID().Secret())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return got
}

func (e *env) wantGone(t *testing.T, id session.ID) {
	t.Helper()
	if _, err := e.m.Load(e.ctx, id.Secret()); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Load of a dead id: err = %v, want ErrNotFound", err)
	}
}

// behaviours is the one table every Store runs.
var behaviours = []struct {
	name string
	run  func(t *testing.T, e *env)
}{
	{"create then load returns data and metadata", func(t *testing.T, e *env) {
		s := e.create(t, "")
		if !s.Fresh() || s.UserID() != "" || s.IP() != meta.ClientIP || s.UserAgent() != meta.UserAgent {
			t.Fatalf("fresh session: %v %q %q %q", s.Fresh(), s.UserID(), s.IP(), s.UserAgent())
		}
		if err := s.Set("cart", []string{"a", "b"}); err != nil {
			t.Fatal(err)
		}
		if !s.Dirty() {
			t.Fatal("Set did not make the session dirty")
		}
		if err := e.m.Save(e.ctx, s); err != nil {
			t.Fatal(err)
		}
		got := e.load(t, s)
		cart, ok := session.Get[[]string](got, "cart")
		if !ok || len(cart) != 2 || cart[1] != "b" {
			t.Fatalf("cart = %v, %v", cart, ok)
		}
		if got.Fresh() || got.Dirty() || !got.CreatedAt().Equal(t0) || got.IP() != meta.ClientIP || got.UserAgent() != meta.UserAgent {
			t.Fatalf("loaded session: fresh %v dirty %v created %v", got.Fresh(), got.Dirty(), got.CreatedAt())
		}
		if _, ok := session.Get[int](got, "cart"); ok {
			t.Fatal("Get of the wrong type succeeded")
		}
		if _, ok := session.Get[string](got, "missing"); ok {
			t.Fatal("Get of a missing key succeeded")
		}
	}},
	{"unknown id is not found", func(t *testing.T, e *env) {
		e.create(t, "")
		var zero session.ID
		e.wantGone(t, zero)
	}},
	{"malformed id is refused before the store", func(t *testing.T, e *env) {
		before := e.store.calls.Load()
		for _, raw := range []string{"", "short", strings.Repeat("A", 42), strings.Repeat("A", 44), strings.Repeat("+", 43), strings.Repeat("A", 1<<20)} {
			if _, err := e.m.Load(e.ctx, raw); !errors.Is(err, session.ErrMalformedID) {
				t.Errorf("Load(%.10q…): err = %v, want ErrMalformedID", raw, err)
			}
		}
		if n := e.store.calls.Load() - before; n != 0 {
			t.Fatalf("store called %d times for malformed ids", n)
		}
	}},
	{"idle timeout slides and then expires", func(t *testing.T, e *env) {
		s := e.create(t, "")
		for range 3 { // 87 minutes of use, never 30 idle
			e.clk.Advance(29 * time.Minute)
			e.load(t, s)
		}
		e.clk.Advance(32 * time.Minute)
		e.wantGone(t, s.ID())
	}},
	{"absolute lifetime ends a busy session", func(t *testing.T, e *env) {
		s := e.create(t, "")
		for e.clk.Now().Before(t0.Add(12*time.Hour - 25*time.Minute)) {
			e.clk.Advance(20 * time.Minute)
			e.load(t, s)
		}
		e.clk.Advance(26 * time.Minute)
		e.wantGone(t, s.ID())
	}},
	{"last seen is refreshed at most once per touch interval", func(t *testing.T, e *env) {
		s := e.create(t, "")
		e.clk.Advance(30 * time.Second)
		got := e.load(t, s)
		if !got.LastSeen().Equal(t0) || got.Touched() {
			t.Fatalf("after 30s: last seen %v touched %v, want unchanged", got.LastSeen(), got.Touched())
		}
		e.clk.Advance(31 * time.Second)
		got = e.load(t, s)
		if !got.LastSeen().Equal(e.clk.Now()) || !got.Touched() {
			t.Fatalf("after 61s: last seen %v touched %v, want now", got.LastSeen(), got.Touched())
		}
	}},
	{"a load in the millisecond of a save or create is not a touch", func(t *testing.T, e *env) {
		s := e.create(t, "")
		if got := e.load(t, s); got.Touched() {
			t.Fatal("a load right after create reported a touch")
		}
		got := e.load(t, s)
		if err := got.Set("n", 1); err != nil {
			t.Fatal(err)
		}
		if err := e.m.Save(e.ctx, got); err != nil {
			t.Fatal(err)
		}
		if again := e.load(t, s); again.Touched() {
			t.Fatal("a load right after save reported a touch, so the guard would resend the cookie")
		}
	}},
	{"save without changes does not touch the store", func(t *testing.T, e *env) {
		s := e.load(t, e.create(t, ""))
		before := e.store.calls.Load()
		if err := e.m.Save(e.ctx, s); err != nil {
			t.Fatal(err)
		}
		if n := e.store.calls.Load() - before; n != 0 {
			t.Fatalf("clean Save made %d store calls", n)
		}
	}},
	{"rotate kills the old id and keeps the data", func(t *testing.T, e *env) {
		s := e.create(t, "")
		if err := s.Set("k", 7); err != nil {
			t.Fatal(err)
		}
		old := s.ID()
		e.clk.Advance(time.Minute)
		if err := e.m.Rotate(e.ctx, s); err != nil {
			t.Fatal(err)
		}
		if !s.Rotated() || s.ID() == old || s.Dirty() {
			t.Fatalf("after Rotate: rotated %v same id %v dirty %v", s.Rotated(), s.ID() == old, s.Dirty())
		}
		e.wantGone(t, old)
		got := e.load(t, s)
		if v, _ := session.Get[int](got, "k"); v != 7 || !got.CreatedAt().Equal(t0) {
			t.Fatalf("rotated session: k=%d created %v", v, got.CreatedAt())
		}
	}},
	{"binding a user rotates on save and indexes the session", func(t *testing.T, e *env) {
		s := e.create(t, "")
		old := s.ID()
		s.SetUser("alice")
		if !s.Dirty() {
			t.Fatal("SetUser did not make the session dirty")
		}
		if err := e.m.Save(e.ctx, s); err != nil {
			t.Fatal(err)
		}
		if !s.Rotated() || s.ID() == old {
			t.Fatal("Save after SetUser did not rotate")
		}
		e.wantGone(t, old)
		list, err := e.m.List(e.ctx, "alice", s)
		if err != nil || len(list) != 1 || !list[0].Current {
			t.Fatalf("List = %+v, %v", list, err)
		}
		if got := e.load(t, s); got.UserID() != "alice" {
			t.Fatalf("user = %q", got.UserID())
		}
	}},
	{"switching user moves the index entry", func(t *testing.T, e *env) {
		s := e.create(t, "alice")
		s.SetUser("bob")
		if err := e.m.Rotate(e.ctx, s); err != nil {
			t.Fatal(err)
		}
		a, err := e.m.List(e.ctx, "alice", nil)
		if err != nil || len(a) != 0 {
			t.Fatalf("alice's list = %+v, %v", a, err)
		}
		b, err := e.m.List(e.ctx, "bob", nil)
		if err != nil || len(b) != 1 {
			t.Fatalf("bob's list = %+v, %v", b, err)
		}
	}},
	{"destroy is final", func(t *testing.T, e *env) {
		s := e.create(t, "alice")
		other := e.load(t, s) // a concurrent request's copy
		if err := e.m.Destroy(e.ctx, s); err != nil {
			t.Fatal(err)
		}
		if err := e.m.Destroy(e.ctx, s); err != nil {
			t.Fatalf("second Destroy: %v", err)
		}
		e.wantGone(t, s.ID())
		if err := s.Set("x", 1); err != nil {
			t.Fatal(err)
		}
		if err := e.m.Save(e.ctx, s); !errors.Is(err, session.ErrDestroyed) {
			t.Fatalf("Save of destroyed session: %v", err)
		}
		if err := other.Set("x", 1); err != nil {
			t.Fatal(err)
		}
		if err := e.m.Save(e.ctx, other); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("Save of a copy after Destroy: %v, want ErrNotFound", err)
		}
		if err := e.m.Rotate(e.ctx, other); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("Rotate of a copy after Destroy: %v, want ErrNotFound", err)
		}
		e.wantGone(t, s.ID())
		if list, err := e.m.List(e.ctx, "alice", nil); err != nil || len(list) != 0 {
			t.Fatalf("List after Destroy = %+v, %v", list, err)
		}
	}},
	{"a stale copy cannot write under a rotated-away id", func(t *testing.T, e *env) {
		s := e.create(t, "")
		stale := e.load(t, s)
		if err := e.m.Rotate(e.ctx, s); err != nil {
			t.Fatal(err)
		}
		if err := stale.Set("x", 1); err != nil {
			t.Fatal(err)
		}
		if err := e.m.Save(e.ctx, stale); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("Save under rotated-away id: %v, want ErrNotFound", err)
		}
		if err := e.m.Rotate(e.ctx, stale); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("second Rotate of the old id: %v, want ErrNotFound", err)
		}
		e.wantGone(t, stale.ID())
		e.load(t, s)
	}},
	{"list and destroy all", func(t *testing.T, e *env) {
		a1, a2, a3 := e.create(t, "alice"), e.create(t, "alice"), e.create(t, "alice")
		b := e.create(t, "bob")
		e.clk.Advance(2 * time.Minute)
		e.load(t, a2) // most recently seen
		list, err := e.m.List(e.ctx, "alice", a3)
		if err != nil || len(list) != 3 {
			t.Fatalf("List = %+v, %v", list, err)
		}
		if list[0].Hint != a2.Hint() {
			t.Errorf("first entry %s, want the most recently seen %s", list[0].Hint, a2.Hint())
		}
		current := 0
		for _, in := range list {
			if len(in.Hint) != 8 || strings.Contains(a1.ID().Secret()+a2.ID().Secret()+a3.ID().Secret(), in.Hint) {
				t.Errorf("hint %q leaks or is malformed", in.Hint)
			}
			if in.IP != meta.ClientIP || in.UserAgent != meta.UserAgent || !in.CreatedAt.Equal(t0) {
				t.Errorf("entry %+v", in)
			}
			if in.Current {
				current++
				if in.Hint != a3.Hint() {
					t.Errorf("current is %s, want %s", in.Hint, a3.Hint())
				}
			}
		}
		if current != 1 {
			t.Errorf("%d entries marked current", current)
		}
		n, err := e.m.DestroyAll(e.ctx, "alice")
		if err != nil || n != 3 {
			t.Fatalf("DestroyAll = %d, %v", n, err)
		}
		for _, s := range []*session.Session{a1, a2, a3} {
			e.wantGone(t, s.ID())
		}
		e.load(t, b)
		if list, err := e.m.List(e.ctx, "alice", nil); err != nil || len(list) != 0 {
			t.Fatalf("List after DestroyAll = %+v, %v", list, err)
		}
	}},
	{"destroy by hint logs out one device of that user only", func(t *testing.T, e *env) {
		phone, laptop := e.create(t, "alice"), e.create(t, "alice")
		if n, err := e.m.DestroyByHint(e.ctx, "bob", phone.Hint()); err != nil || n != 0 {
			t.Fatalf("another user's hint: %d, %v", n, err)
		}
		for _, bad := range []string{"", "ABCDEF01", "abc", phone.Hint() + "0", "zzzzzzzz"} {
			if _, err := e.m.DestroyByHint(e.ctx, "alice", bad); !errors.Is(err, session.ErrInvalidValue) {
				t.Errorf("hint %q: %v, want ErrInvalidValue", bad, err)
			}
		}
		if n, err := e.m.DestroyByHint(e.ctx, "alice", phone.Hint()); err != nil || n != 1 {
			t.Fatalf("DestroyByHint = %d, %v", n, err)
		}
		e.wantGone(t, phone.ID())
		e.load(t, laptop)
	}},
	{"list prunes expired sessions", func(t *testing.T, e *env) {
		e.create(t, "alice")
		e.clk.Advance(31 * time.Minute)
		keep := e.create(t, "alice")
		e.clk.Advance(2 * time.Minute)
		list, err := e.m.List(e.ctx, "alice", nil)
		if err != nil || len(list) != 1 || list[0].Hint != keep.Hint() {
			t.Fatalf("List = %+v, %v", list, err)
		}
	}},
	{"nil session is refused", func(t *testing.T, e *env) {
		for name, err := range map[string]error{
			"Save": e.m.Save(e.ctx, nil), "Rotate": e.m.Rotate(e.ctx, nil), "Destroy": e.m.Destroy(e.ctx, nil),
		} {
			if !errors.Is(err, session.ErrNilSession) {
				t.Errorf("%s(nil) = %v", name, err)
			}
		}
	}},
}

func TestBehaviour(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			for _, tt := range behaviours {
				t.Run(tt.name, func(t *testing.T) {
					clk := newClock()
					cs := &countingStore{Store: kind.new(t)}
					e := &env{m: newManager(t, cs, clk), clk: clk, store: cs, ctx: context.Background()}
					tt.run(t, e)
				})
			}
		})
	}
}
