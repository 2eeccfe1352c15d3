package tokenstore

import (
	"context"
	"testing"
	"time"
)

func benchStores(b *testing.B, run func(b *testing.B, s Store, clk *fakeClock)) {
	for _, f := range factories {
		b.Run(f.name, func(b *testing.B) {
			clk := newClock()
			run(b, f.new(b, clk), clk)
		})
	}
}

// BenchmarkRevoked is the per-request hot path: a token that is not revoked
// while the subject has both a revoked jti and a cut-off.
func BenchmarkRevoked(b *testing.B) {
	benchStores(b, func(b *testing.B, s Store, clk *fakeClock) {
		ctx := context.Background()
		if err := s.RevokeToken(ctx, "user-42", "old-jti", clk.Now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		if err := s.RevokeSubject(ctx, "user-42", t0.Add(-time.Hour), time.Hour); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			revoked, err := s.Revoked(ctx, "user-42", "0f8fad5b-d9cb-469f-a165-70867728950e", "", t0)
			if err != nil || revoked {
				b.Fatal(revoked, err)
			}
		}
	})
}

func BenchmarkRotateFamily(b *testing.B) {
	benchStores(b, func(b *testing.B, s Store, clk *fakeClock) {
		ctx := context.Background()
		exp := clk.Now().Add(14 * 24 * time.Hour)
		if err := s.StartFamily(ctx, "fam-1", "user-42", "jti-a", exp); err != nil {
			b.Fatal(err)
		}
		used, next := "jti-a", "jti-b"
		b.ReportAllocs()
		for b.Loop() {
			if err := s.RotateFamily(ctx, "fam-1", used, next, exp); err != nil {
				b.Fatal(err)
			}
			used, next = next, used
		}
	})
}
