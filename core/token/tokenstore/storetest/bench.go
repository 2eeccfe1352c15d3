package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/token/tokenstore"
)

// Benchmark measures the two hot paths on a store made by newStore:
// "Revoked", the per-request check of an access token of a live family
// while the subject has a revoked jti and a raised generation, and
// "RotateFamily", one refresh.
func Benchmark(b *testing.B, newStore func(b *testing.B, now func() time.Time) tokenstore.Store) {
	ctx := context.Background()
	b.Run("Revoked", func(b *testing.B) {
		clk := testclock.At(t0)
		s := newStore(b, clk.Now)
		if err := s.RevokeToken(ctx, "user-42", "old-jti", clk.Now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		if err := s.RevokeSubject(ctx, "user-42", time.Hour); err != nil {
			b.Fatal(err)
		}
		gen, err := s.StartFamily(ctx, tokenstore.Family{ID: "fam-1", Subject: "user-42", JTI: "jti-a", Exp: clk.Now().Add(time.Hour)})
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
	b.Run("RotateFamily", func(b *testing.B) {
		clk := testclock.At(t0)
		s := newStore(b, clk.Now)
		exp := clk.Now().Add(14 * 24 * time.Hour)
		if _, err := s.StartFamily(ctx, tokenstore.Family{ID: "fam-1", Subject: "user-42", JTI: "jti-a", Exp: exp}); err != nil {
			b.Fatal(err)
		}
		r := tokenstore.Rotation{Subject: "user-42", Family: "fam-1", Used: "jti-a", Next: "jti-b", Exp: exp}
		b.ReportAllocs()
		for b.Loop() {
			if err := s.RotateFamily(ctx, r); err != nil {
				b.Fatal(err)
			}
			r.Used, r.Next = r.Next, r.Used
		}
	})
}
