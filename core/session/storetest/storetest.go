// Package storetest is the conformance suite for session.Store
// implementations, as testing/slogtest is for slog handlers: the memory
// store and the Redis store both pass it, and so must a third-party store.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) session.Store { return newMyStore(t) })
//	}
//
// newStore must return an empty store for each call. The suite drives the
// store through a session.Manager on a test clock (every time a store sees
// comes in a session.Policy) and through the Store methods themselves; times
// are whole milliseconds, the precision a store must keep.
package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/session"
)

// Run runs every conformance test against stores made by newStore, each
// test on a fresh store.
func Run(t *testing.T, newStore func(t *testing.T) session.Store) {
	t.Helper()
	for _, tt := range behaviours {
		t.Run(tt.name, func(t *testing.T) {
			clk := testclock.New()
			cs := &countingStore{Store: newStore(t)}
			e := &env{m: NewManager(t, cs, clk.Now), clk: clk, store: cs, ctx: context.Background()}
			tt.run(t, e)
		})
	}
	for _, tt := range concurrency {
		t.Run(tt.name, func(t *testing.T) {
			for range rounds {
				tt.run(t, NewManager(t, newStore(t), testclock.New().Now))
			}
		})
	}
}

// t0 is the suite clock's start, on a millisecond boundary.
var t0 = testclock.Start

var ctx = context.Background()

var meta = session.Meta{ClientIP: "192.0.2.7", UserAgent: "Mozilla/5.0 test"}

// NewManager returns a Manager over st reading the clock now, with audit
// events discarded: the Manager the suite drives, for a store's own tests
// beside Run.
func NewManager(t testing.TB, st session.Store, now func() time.Time) *session.Manager {
	t.Helper()
	m, err := session.New(session.WithStore(st), session.WithClock(now), session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// countingStore counts calls to the store it wraps.
type countingStore struct {
	session.Store
	calls atomic.Int64
}

func (c *countingStore) Create(ctx context.Context, h session.Hash, r *session.Record, p session.Policy) error {
	c.calls.Add(1)
	return c.Store.Create(ctx, h, r, p)
}

func (c *countingStore) Load(ctx context.Context, h session.Hash, p session.Policy) (*session.Record, error) {
	c.calls.Add(1)
	return c.Store.Load(ctx, h, p)
}

func (c *countingStore) Save(ctx context.Context, h session.Hash, r *session.Record, p session.Policy) error {
	c.calls.Add(1)
	return c.Store.Save(ctx, h, r, p)
}

type env struct {
	m     *session.Manager
	clk   *testclock.Clock
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
	{"a touched session that is saved is not touched on the next load", func(t *testing.T, e *env) {
		s := e.create(t, "")
		e.clk.Advance(61 * time.Second)
		got := e.load(t, s)
		if !got.Touched() {
			t.Fatal("no touch after 61s")
		}
		if err := got.Set("n", 1); err != nil {
			t.Fatal(err)
		}
		if err := e.m.Save(e.ctx, got); err != nil {
			t.Fatal(err)
		}
		if again := e.load(t, s); again.Touched() {
			t.Fatal("the load after saving a touched session reported a touch: Touched was stored")
		}
	}},
	{"a loaded session's changes reach no other load before Save", func(t *testing.T, e *env) {
		s := e.create(t, "")
		if err := s.Set("theme", "dark"); err != nil {
			t.Fatal(err)
		}
		if err := s.Set("cart", []string{"apple"}); err != nil {
			t.Fatal(err)
		}
		if err := e.m.Save(e.ctx, s); err != nil {
			t.Fatal(err)
		}
		a, b := e.load(t, s), e.load(t, s)
		if err := a.Set("theme", "light"); err != nil {
			t.Fatal(err)
		}
		a.Delete("cart")
		a.SetLink("fam")
		a.SetUser("mallory")
		unchanged := func(what string, got *session.Session) {
			t.Helper()
			theme, _ := session.Get[string](got, "theme")
			_, cart := session.Get[[]string](got, "cart")
			if theme != "dark" || !cart || got.Link() != "" || got.UserID() != "" || got.Dirty() {
				t.Fatalf("%s: theme %q, cart %v, link %q, user %q, dirty %v; want the stored session", what, theme, cart, got.Link(), got.UserID(), got.Dirty())
			}
		}
		unchanged("another load of the same time", b)
		unchanged("a later load", e.load(t, s))
		a.SetUser("") // saved without rotation
		if err := e.m.Save(e.ctx, a); err != nil {
			t.Fatal(err)
		}
		unchanged("a load from before the save", b)
		got := e.load(t, s)
		if theme, _ := session.Get[string](got, "theme"); theme != "light" || got.Link() != "fam" {
			t.Fatalf("after Save: theme %q, link %q; want light, fam", theme, got.Link())
		}
		if _, ok := session.Get[[]string](got, "cart"); ok {
			t.Fatal("after Save: the deleted cart is back")
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
	{"destroy all except keeps the caller's session", func(t *testing.T, e *env) {
		a1, a2, a3 := e.create(t, "alice"), e.create(t, "alice"), e.create(t, "alice")
		b := e.create(t, "bob")
		n, err := e.m.DestroyAllExcept(e.ctx, "alice", a2, "")
		if err != nil || n != 2 {
			t.Fatalf("DestroyAllExcept = %d, %v; want 2", n, err)
		}
		e.wantGone(t, a1.ID())
		e.wantGone(t, a3.ID())
		e.load(t, a2)
		e.load(t, b)
		list, err := e.m.List(e.ctx, "alice", a2)
		if err != nil || len(list) != 1 || !list[0].Current {
			t.Fatalf("List after DestroyAllExcept = %+v, %v", list, err)
		}
		// Again: nothing more to do.
		if n, err := e.m.DestroyAllExcept(e.ctx, "alice", a2, ""); err != nil || n != 0 {
			t.Fatalf("DestroyAllExcept again = %d, %v; want 0", n, err)
		}
		e.load(t, a2)
	}},
	{"destroy all except keeps the sessions of the kept sign-in", func(t *testing.T, e *env) {
		linked := func(family string) *session.Session {
			s := e.create(t, "alice")
			if family != "" {
				s.SetLink(family)
				if err := e.m.Save(e.ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			return s
		}
		mine, mineToo, theirs, unlinked := linked("fam-1"), linked("fam-1"), linked("fam-2"), linked("")
		// A request authenticated by fam-1's bearer token, without a cookie.
		if n, err := e.m.DestroyAllExcept(e.ctx, "alice", nil, "fam-1"); err != nil || n != 2 {
			t.Fatalf("DestroyAllExcept by family = %d, %v; want 2", n, err)
		}
		e.load(t, mine)
		e.load(t, mineToo)
		e.wantGone(t, theirs.ID())
		e.wantGone(t, unlinked.ID())
		// A request with mine's cookie keeps mine's sign-in: its link too.
		other := linked("fam-3")
		if n, err := e.m.DestroyAllExcept(e.ctx, "alice", mine, ""); err != nil || n != 1 {
			t.Fatalf("DestroyAllExcept by session = %d, %v; want 1", n, err)
		}
		e.load(t, mine)
		e.load(t, mineToo)
		e.wantGone(t, other.ID())
	}},
	{"destroy all except with nothing to keep destroys all", func(t *testing.T, e *env) {
		a1, a2 := e.create(t, "alice"), e.create(t, "alice")
		b := e.create(t, "bob")
		// Neither no session nor another user's session keeps anything.
		for _, keep := range []*session.Session{nil, b} {
			if _, err := e.m.DestroyAllExcept(e.ctx, "alice", keep, ""); err != nil {
				t.Fatal(err)
			}
		}
		e.wantGone(t, a1.ID())
		e.wantGone(t, a2.ID())
		e.load(t, b)
		if n, err := e.m.DestroyAllExcept(e.ctx, "", nil, ""); err != nil || n != 0 {
			t.Fatalf("DestroyAllExcept of no user = %d, %v", n, err)
		}
	}},
	{"destroy user except on the store", func(t *testing.T, e *env) {
		var all []session.Hash
		for range 7 {
			all = append(all, e.create(t, "alice").ID().Hash())
		}
		n, err := e.store.DestroyUserExcept(e.ctx, "alice", all[2:4])
		if err != nil || n != 5 {
			t.Fatalf("DestroyUserExcept = %d, %v; want 5", n, err)
		}
		p := session.Policy{Now: e.clk.Now(), Idle: 30 * time.Minute, Absolute: 12 * time.Hour, TouchEvery: time.Minute}
		for i, h := range all {
			_, err := e.store.Load(e.ctx, h, p)
			if kept := i == 2 || i == 3; kept != (err == nil) {
				t.Errorf("session %d: Load = %v, kept %v", i, err, kept)
			}
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

// rounds and writers size the concurrency tests: each runs rounds times on
// a fresh store, with writers concurrent copies of one session.
const rounds, writers = 15, 4

var concurrency = []struct {
	name string
	run  func(t *testing.T, m *session.Manager)
}{
	{"two rotations: exactly one wins", func(t *testing.T, m *session.Manager) {
		s, err := m.Create(ctx, session.Meta{UserID: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := m.Load(ctx, s.ID().Secret())
		b, _ := m.Load(ctx, s.ID().Secret())
		var errA, errB error
		race(func() { errA = m.Rotate(ctx, a) }, func() { errB = m.Rotate(ctx, b) })
		if (errA == nil) == (errB == nil) {
			t.Fatalf("Rotate results %v, %v: want exactly one success", errA, errB)
		}
		winner, loserErr := a, errB
		if errA != nil {
			winner, loserErr = b, errA
		}
		if !errors.Is(loserErr, session.ErrNotFound) {
			t.Fatalf("losing Rotate: %v", loserErr)
		}
		if _, err := m.Load(ctx, winner.ID().Secret()); err != nil {
			t.Fatalf("winner's id: %v", err)
		}
		for _, dead := range []*session.Session{s, loserOf(a, b, winner)} {
			if _, err := m.Load(ctx, dead.ID().Secret()); !errors.Is(err, session.ErrNotFound) {
				t.Fatalf("old id still loads: %v", err)
			}
		}
		if list, err := m.List(ctx, "alice", nil); err != nil || len(list) != 1 || list[0].Hint != winner.Hint() {
			t.Fatalf("List = %+v, %v", list, err)
		}
	}},
	{"a rotation is never lost to concurrent saves", func(t *testing.T, m *session.Manager) {
		s, copies := withCopies(t, m)
		var unexpected atomic.Value
		fns := []func(){func() {
			if err := m.Rotate(ctx, s); err != nil {
				unexpected.Store(err)
			}
		}}
		for i, c := range copies {
			fns = append(fns, func() {
				for j := range 3 {
					_ = c.Set("w", i*10+j)
					if err := m.Save(ctx, c); err != nil && !errors.Is(err, session.ErrNotFound) {
						unexpected.Store(err)
					}
				}
			})
		}
		race(fns...)
		if err := unexpected.Load(); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Load(ctx, copies[0].ID().Secret()); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("the rotated-away id came back: %v", err)
		}
		if _, err := m.Load(ctx, s.ID().Secret()); err != nil {
			t.Fatalf("the rotated id was lost: %v", err)
		}
		if list, err := m.List(ctx, "alice", nil); err != nil || len(list) != 1 {
			t.Fatalf("List = %+v, %v", list, err)
		}
	}},
	{"a session rotated in a loop does not survive destroy all", func(t *testing.T, m *session.Manager) {
		rotatedDuring(t, m, nil, func(keep *session.Session) (int, error) { return m.DestroyAll(ctx, "alice") })
	}},
	{"a session rotated in a loop does not survive destroy all except", func(t *testing.T, m *session.Manager) {
		keep, err := m.Create(ctx, session.Meta{UserID: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		rotatedDuring(t, m, keep, func(keep *session.Session) (int, error) { return m.DestroyAllExcept(ctx, "alice", keep, "") })
	}},
	{"a destroyed session never comes back", func(t *testing.T, m *session.Manager) {
		s, copies := withCopies(t, m)
		fns := []func(){func() { _ = m.Destroy(ctx, s) }}
		for i, c := range copies {
			fns = append(fns, func() {
				for j := range 3 {
					_ = c.Set("w", i*10+j)
					_ = m.Save(ctx, c)
				}
				if i == 0 {
					_ = m.Rotate(ctx, c)
				}
			})
		}
		race(fns...)
		if _, err := m.Load(ctx, s.ID().Secret()); !errors.Is(err, session.ErrNotFound) {
			t.Fatalf("destroyed id loads: %v", err)
		}
		// A rotation that won the race against Destroy is a new session; one
		// that lost must have created nothing.
		list, err := m.List(ctx, "alice", nil)
		if err != nil {
			t.Fatal(err)
		}
		live := 0
		if copies[0].Rotated() {
			live = 1
		}
		if len(list) != live {
			t.Fatalf("List has %d sessions, want %d", len(list), live)
		}
	}},
}

// withCopies creates a session of alice and loads writers copies of it, as
// concurrent requests would.
func withCopies(t *testing.T, m *session.Manager) (*session.Session, []*session.Session) {
	t.Helper()
	s, err := m.Create(ctx, session.Meta{UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	copies := make([]*session.Session, writers)
	for i := range copies {
		if copies[i], err = m.Load(ctx, s.ID().Secret()); err != nil {
			t.Fatal(err)
		}
	}
	return s, copies
}

// rotatedDuring runs destroy while another of alice's sessions (a thief's
// copy, say) is rotated in a loop, and checks that it did not survive and
// that keep (nil for none) did.
func rotatedDuring(t *testing.T, m *session.Manager, keep *session.Session, destroy func(keep *session.Session) (int, error)) {
	t.Helper()
	thief, err := m.Create(ctx, session.Meta{UserID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	rotated, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for n := 0; ; n++ {
			err := m.Rotate(ctx, thief)
			if n == 0 {
				close(rotated)
			}
			if err != nil || stop.Load() {
				return
			}
		}
	}()
	<-rotated
	if _, err := destroy(keep); err != nil {
		t.Fatal(err)
	}
	stop.Store(true)
	<-done
	if _, err := m.Load(ctx, thief.ID().Secret()); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("the session rotated meanwhile survived: %v", err)
	}
	want := 0
	if keep != nil {
		want = 1
		if _, err := m.Load(ctx, keep.ID().Secret()); err != nil {
			t.Fatalf("the kept session: %v", err)
		}
	}
	if list, err := m.List(ctx, "alice", nil); err != nil || len(list) != want {
		t.Fatalf("List = %d sessions, %v; want %d", len(list), err, want)
	}
}

// race runs fns at once, after a common start signal.
func race(fns ...func()) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, fn := range fns {
		wg.Go(func() {
			<-start
			fn()
		})
	}
	close(start)
	wg.Wait()
}

func loserOf(a, b, winner *session.Session) *session.Session {
	if winner == a {
		return b
	}
	return a
}
