package session_test

import (
	"context"
	"testing"

	"github.com/authkit-go/authkit/core/session"
)

var benchStores = []storeKind{{"memory", memoryStore}, {"redis", redisStore}}

func benchSession(b *testing.B, kind storeKind) (*session.Manager, string) {
	b.Helper()
	m := newManager(b, kind.new(b), newClock())
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

// BenchmarkLoad is a read-only request: parse, load, slide the expiry.
func BenchmarkLoad(b *testing.B) {
	for _, kind := range benchStores {
		b.Run(kind.name, func(b *testing.B) {
			m, id := benchSession(b, kind)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Load(ctx, id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoadSave is a request that changes the session.
func BenchmarkLoadSave(b *testing.B) {
	for _, kind := range benchStores {
		b.Run(kind.name, func(b *testing.B) {
			m, id := benchSession(b, kind)
			ctx := context.Background()
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
}

// BenchmarkParseID is the cost of refusing or accepting a cookie value.
func BenchmarkParseID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := session.ParseID(validID); err != nil {
			b.Fatal(err)
		}
	}
}
