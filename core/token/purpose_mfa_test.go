package token

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/token/tokenstore"
)

// The token that carries a sign-in from its password to its second factor
// lives 5 minutes, works once and only as itself.
func TestMFAPurposeToken(t *testing.T) {
	forEachStore(t, func(t *testing.T, store func(func() time.Time) tokenstore.Store) {
		f := newIssuerFixture(t, store)
		ctx := context.Background()
		early, late := mustPurpose(t, f.iss, PurposeMFA), mustPurpose(t, f.iss, PurposeMFA)
		reset := mustPurpose(t, f.iss, PurposePasswordReset)
		if _, err := f.iss.ConsumePurpose(ctx, reset, PurposeMFA); !errors.Is(err, ErrType) {
			t.Errorf("a reset token as an MFA token: %v, want ErrType", err)
		}
		if _, err := f.iss.ConsumePurpose(ctx, early, PurposePasswordReset); !errors.Is(err, ErrType) {
			t.Errorf("an MFA token as a reset token: %v, want ErrType", err)
		}
		f.clock.Advance(5*time.Minute - time.Second)
		if c, err := f.iss.ConsumePurpose(ctx, early, PurposeMFA); err != nil || c.Subject != "u1" {
			t.Fatalf("MFA token at 4m59s: %v", err)
		}
		if _, err := f.iss.ConsumePurpose(ctx, early, PurposeMFA); !errors.Is(err, ErrReused) {
			t.Errorf("MFA token twice: %v, want ErrReused", err)
		}
		f.clock.Advance(time.Second + DefaultLeeway + time.Second)
		if _, err := f.iss.ConsumePurpose(ctx, late, PurposeMFA); !errors.Is(err, ErrExpired) {
			t.Errorf("MFA token after 5m and the leeway: %v, want ErrExpired", err)
		}
	})
}

func TestWithMFATokenTTL(t *testing.T) {
	keys, err := NewKeySet(testKey(t, ES256))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewIssuer(keys, WithMFATokenTTL(0)); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("WithMFATokenTTL(0): %v, want ErrInvalidConfig", err)
	}
	iss, err := NewIssuer(keys, WithMFATokenTTL(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	raw := mustPurpose(t, iss, PurposeMFA)
	c, err := iss.ConsumePurpose(context.Background(), raw, PurposeMFA)
	if err != nil {
		t.Fatal(err)
	}
	// exp is whole seconds, iat milliseconds.
	if got := c.ExpiresAt.Sub(c.IssuedAt); got > time.Minute || got <= time.Minute-time.Second {
		t.Errorf("lifetime %v, want 1m (to the second)", got)
	}
}
