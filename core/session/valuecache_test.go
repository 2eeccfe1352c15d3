package session_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/session"
)

type cachedValue struct {
	Roles []string `json:"roles"`
}

// storedSession returns a session loaded from m whose value "p" holds v.
func storedSession(t *testing.T, m *session.Manager, v any) *session.Session {
	t.Helper()
	ctx := context.Background()
	s, err := m.Create(ctx, meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set("p", v); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	got, err := m.Load(ctx, s.ID().Secret())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestValueCache(t *testing.T) {
	m := newManager(t, memoryStore(t), testclock.New())
	c := session.NewValueCache[cachedValue](2, 1<<20)
	get := func(s *session.Session) string {
		t.Helper()
		v, ok := c.Get(s, "p")
		if !ok {
			return "<none>"
		}
		return strings.Join(v.Roles, ",")
	}
	user := storedSession(t, m, cachedValue{Roles: []string{"user"}})
	if got := get(user); got != "user" {
		t.Fatalf("first Get = %q", got)
	}
	if got := get(user); got != "user" || c.Len() != 1 {
		t.Fatalf("second Get = %q, Len %d; want user from the one entry", got, c.Len())
	}
	// The same session with another value: other bytes, never the old one.
	if err := user.Set("p", cachedValue{Roles: []string{"admin"}}); err != nil {
		t.Fatal(err)
	}
	if got := get(user); got != "admin" {
		t.Fatalf("Get after the value changed = %q, want admin", got)
	}
	for i := range 5 {
		s := storedSession(t, m, cachedValue{Roles: []string{fmt.Sprint("r", i)}})
		if got := get(s); got != fmt.Sprint("r", i) {
			t.Fatalf("Get %d = %q", i, got)
		}
	}
	if n := c.Len(); n != 2 {
		t.Fatalf("Len = %d, want the bound 2", n)
	}
	if got := get(storedSession(t, m, "not an object")); got != "<none>" {
		t.Fatalf("Get of a value that is no cachedValue = %q", got)
	}
	if got := get(storedSession(t, m, nil)); got != "" {
		t.Fatalf("Get of null = %q, want the zero value", got) // as Get[T]
	}
	if _, ok := c.Get(nil, "p"); ok {
		t.Fatal("Get of a nil session found a value")
	}
	if _, ok := c.Get(user, "missing"); ok {
		t.Fatal("Get of a missing key found a value")
	}
}

// Values over 1 KiB and caches with no room are decoded every time, never
// kept.
func TestValueCacheBounds(t *testing.T) {
	m := newManager(t, memoryStore(t), testclock.New())
	big := storedSession(t, m, cachedValue{Roles: []string{strings.Repeat("r", 2000)}})
	small := storedSession(t, m, cachedValue{Roles: []string{"user"}})
	for _, tc := range []struct {
		name    string
		c       *session.ValueCache[cachedValue]
		s       *session.Session
		wantLen int
	}{
		{"large value", session.NewValueCache[cachedValue](10, 1<<20), big, 0},
		{"no entries", session.NewValueCache[cachedValue](0, 1<<20), small, 0},
		{"no bytes", session.NewValueCache[cachedValue](10, 100), small, 0},
		{"room", session.NewValueCache[cachedValue](10, 1<<20), small, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, _ := session.Get[cachedValue](tc.s, "p")
			for range 2 {
				if v, ok := tc.c.Get(tc.s, "p"); !ok || strings.Join(v.Roles, ",") != strings.Join(want.Roles, ",") {
					t.Fatalf("Get = %v, %v", v, ok)
				}
			}
			if n := tc.c.Len(); n != tc.wantLen {
				t.Fatalf("Len = %d, want %d", n, tc.wantLen)
			}
		})
	}
}

// Concurrent Gets, hits and misses, with evictions, under -race.
func TestValueCacheConcurrent(t *testing.T) {
	m := newManager(t, memoryStore(t), testclock.New())
	c := session.NewValueCache[cachedValue](4, 1<<20)
	var ss []*session.Session
	for i := range 8 {
		ss = append(ss, storedSession(t, m, cachedValue{Roles: []string{fmt.Sprint("r", i)}}))
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				k := (g + i) % len(ss)
				if v, ok := c.Get(ss[k], "p"); !ok || len(v.Roles) != 1 || v.Roles[0] != fmt.Sprint("r", k) {
					t.Errorf("Get %d = %v, %v", k, v, ok)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestValueCacheBoundsDecodedMemory: the byte bound covers what the values
// hold once decoded, not only their encodings. Values of many empty strings
// are the worst case: 3 bytes of JSON each ("",), 16 bytes of string header
// once decoded. Counting each encoding twice, as the cache first did, let
// such values hold over twice the bound.
func TestValueCacheBoundsDecodedMemory(t *testing.T) {
	m := newManager(t, memoryStore(t), testclock.New())
	const maxBytes = 40_000
	c := session.NewValueCache[cachedValue](100, maxBytes)
	held := 0
	for i := range 20 {
		roles := make([]string, 330)
		roles[0] = fmt.Sprint(i) // distinct encodings, ~1000 bytes each
		s := storedSession(t, m, cachedValue{Roles: roles})
		if _, ok := c.Get(s, "p"); !ok {
			t.Fatal("Get missed a stored value")
		}
		held = 1000 + 16*len(roles) // the key and the decoded slice's headers
	}
	if got := c.Len() * held; got > maxBytes {
		t.Fatalf("the cache holds %d values of ~%d bytes each (%d bytes), over its bound of %d", c.Len(), held, got, maxBytes)
	}
	if c.Len() == 0 {
		t.Fatal("the cache kept nothing")
	}
}
