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

// BenchmarkRevoked is the per-request hot path: an access token of a live
// family that is not revoked while the subject has a revoked jti and a
// raised generation.
func BenchmarkRevoked(b *testing.B) {
	benchStores(b, func(b *testing.B, s Store, clk *fakeClock) {
		ctx := context.Background()
		if err := s.RevokeToken(ctx, "user-42", "old-jti", clk.Now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		if err := s.RevokeSubject(ctx, "user-42", time.Hour); err != nil {
			b.Fatal(err)
		}
		gen, err := s.StartFamily(ctx, Family{ID: "fam-1", Subject: "user-42", JTI: "jti-a", Exp: clk.Now().Add(time.Hour)})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			revoked, err := s.Revoked(ctx, "user-42", "0f8fad5b-d9cb-469f-a165-70867728950e", "fam-1", gen)
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
		if _, err := s.StartFamily(ctx, Family{ID: "fam-1", Subject: "user-42", JTI: "jti-a", Exp: exp}); err != nil {
			b.Fatal(err)
		}
		r := Rotation{Subject: "user-42", Family: "fam-1", Used: "jti-a", Next: "jti-b", Exp: exp}
		b.ReportAllocs()
		for b.Loop() {
			if err := s.RotateFamily(ctx, r); err != nil {
				b.Fatal(err)
			}
			r.Used, r.Next = r.Next, r.Used
		}
	})
}
