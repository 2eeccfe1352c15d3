package token

import (
	"context"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/internal/testclock"
)

const benchClaims = `{"sub":"user-42","iss":"https://auth.example","aud":"api","iat":1764331200.123,"exp":1764332100,"jti":"Zm9vYmFyYmF6cXV4MTIzNA","roles":["admin"],"scope":"read write"}`

func BenchmarkSign(b *testing.B) {
	for _, alg := range Algorithms() {
		b.Run(string(alg), func(b *testing.B) {
			k := testKey(b, alg)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Sign(k, TypeAccess, []byte(benchClaims)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	for _, alg := range Algorithms() {
		b.Run(string(alg), func(b *testing.B) {
			k := testKey(b, alg)
			raw, err := Sign(k, TypeAccess, []byte(benchClaims))
			if err != nil {
				b.Fatal(err)
			}
			set, _ := NewVerifyKeySet(k.Public())
			v, _ := NewVerifier(set, WithClock(testclock.At(time.Unix(1764331300, 0)).Now), WithType(TypeAccess))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	f := newIssuerFixture(b, nil)
	ctx := context.Background()
	pair, err := f.iss.IssuePair(ctx, Subject{ID: "user-42", Roles: []string{"admin"}, Scope: "read write"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.iss.Authenticate(ctx, pair.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
}
