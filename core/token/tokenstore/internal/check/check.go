// Package check holds the small assertions the token store tests share:
// the conformance suite (storetest) and the memory and Redis stores' own
// tests.
package check

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/token/tokenstore"
)

// T0 is where the tests' clocks start, on a millisecond boundary.
var T0 = time.Date(2030, 1, 2, 3, 4, 5, 6_000_000, time.UTC)

// Err fails t unless err matches want (errors.Is), or both are nil.
func Err(t testing.TB, what string, err, want error) {
	t.Helper()
	if (want == nil) != (err == nil) || !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

// Revoked fails t unless s answers want for token jti of sub, without a
// family, minted in gen.
func Revoked(t testing.TB, s tokenstore.Store, sub, jti string, gen uint64, want bool) {
	t.Helper()
	got, err := s.Revoked(context.Background(), sub, jti, "", gen)
	if err != nil {
		t.Fatalf("Revoked(%.20q, %.20q): %v", sub, jti, err)
	}
	if got != want {
		t.Fatalf("Revoked(%.20q, %.20q, gen %d) = %v, want %v", sub, jti, gen, got, want)
	}
}

// FamilyRevoked reports whether a token of sub carrying family (gen 0) is
// revoked.
func FamilyRevoked(t testing.TB, s tokenstore.Store, sub, family string) bool {
	t.Helper()
	got, err := s.Revoked(context.Background(), sub, "access-jti", family, 0)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Start starts family of sub with current jti and returns the error.
func Start(s tokenstore.Store, family, sub, jti string, exp time.Time) error {
	_, err := s.StartFamily(context.Background(), tokenstore.Family{ID: family, Subject: sub, JTI: jti, Exp: exp})
	return err
}

// StartGen is Start returning the generation, failing t on an error.
func StartGen(t testing.TB, s tokenstore.Store, family, sub, jti string, exp time.Time) uint64 {
	t.Helper()
	gen, err := s.StartFamily(context.Background(), tokenstore.Family{ID: family, Subject: sub, JTI: jti, Exp: exp})
	if err != nil {
		t.Fatalf("StartFamily(%q): %v", family, err)
	}
	return gen
}

// Rotate rotates alice's family in generation 0.
func Rotate(s tokenstore.Store, family, used, next string, exp time.Time) error {
	return s.RotateFamily(context.Background(), tokenstore.Rotation{Subject: "alice", Family: family, Used: used, Next: next, Exp: exp})
}
