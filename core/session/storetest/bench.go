package storetest

import (
	"context"
	"testing"

	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/session"
)

// Benchmark measures the two operations of every request that carries a
// session cookie, on a store made by newStore: "Load" (parse, load, slide
// the expiry: a read-only request) and "LoadSave" (a request that changes
// the session).
func Benchmark(b *testing.B, newStore func(b *testing.B) session.Store) {
	b.Run("Load", func(b *testing.B) {
		m, id := benchSession(b, newStore(b))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.Load(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("LoadSave", func(b *testing.B) {
		m, id := benchSession(b, newStore(b))
		n := 0
		b.ReportAllocs()
		for b.Loop() {
			s, err := m.Load(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			n++
			if err := s.Set("n", n); err != nil {
				b.Fatal(err)
			}
			if err := m.Save(ctx, s); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchSession returns a Manager over st holding one signed-in session with
// two values, and that session's cookie value.
func benchSession(b *testing.B, st session.Store) (*session.Manager, string) {
	b.Helper()
	m := NewManager(b, st, testclock.New().Now)
	s, err := m.Create(context.Background(), session.Meta{UserID: "alice", ClientIP: "192.0.2.1", UserAgent: "Mozilla/5.0"})
	if err != nil {
		b.Fatal(err)
	}
	_ = s.Set("cart", []string{"apple", "pear"})
	_ = s.Set("theme", "dark")
	if err := m.Save(context.Background(), s); err != nil {
		b.Fatal(err)
	}
	return m, s.ID().Secret()
}
