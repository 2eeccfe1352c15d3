package token_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/internal/testclock"
	"github.com/authkit-go/authkit/core/token"
)

// A revocation made under an issuer's clock must hold in the default store,
// whose expiry decisions have to read the same clock.
func TestDefaultStoreSharesIssuerClock(t *testing.T) {
	past := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	key, err := token.GenerateKey(token.ES256, "")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := token.NewKeySet(key)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := token.NewIssuer(keys, token.WithClock(testclock.At(past).Now))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := iss.IssuePair(ctx, token.Subject{ID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.Revoke(ctx, p.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Authenticate(ctx, p.AccessToken); !errors.Is(err, token.ErrRevoked) {
		t.Fatalf("Authenticate after Revoke: %v, want ErrRevoked", err)
	}
}
