package token

import (
	"context"
	"errors"
	"testing"
)

// The verifier accepts a token until exp + leeway, so a revocation must
// hold that long too: a revoked token never becomes valid again.
func TestRevocationOutlivesTheLeeway(t *testing.T) {
	ctx := context.Background()
	f := newIssuerFixture(t, nil)
	p, err := f.iss.IssuePair(ctx, Subject{ID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.iss.Revoke(ctx, p.AccessToken); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(DefaultAccessTTL + DefaultLeeway/2) // past exp, inside the leeway
	if _, err := f.iss.Authenticate(ctx, p.AccessToken); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked token inside the leeway: %v, want ErrRevoked", err)
	}
	f.clock.Advance(DefaultLeeway)
	if _, err := f.iss.Authenticate(ctx, p.AccessToken); !errors.Is(err, ErrExpired) {
		t.Fatalf("after exp + leeway: %v, want ErrExpired", err)
	}
}
