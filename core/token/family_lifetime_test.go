package token

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A refresh family ends its maximum lifetime after the user authenticated,
// however often it is refreshed; auth_time travels unchanged through it.
func TestRefreshFamilyMaximumLifetime(t *testing.T) {
	ctx := context.Background()
	f := newIssuerFixture(t, nil)
	start := f.clock.Now()
	pair, err := f.iss.IssuePair(ctx, Subject{ID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	for day := 1; day < 30; day++ {
		f.clock.Advance(24 * time.Hour)
		if pair, err = f.iss.Refresh(ctx, pair.RefreshToken); err != nil {
			t.Fatalf("refresh on day %d: %v", day, err)
		}
		c, err := f.iss.Authenticate(ctx, pair.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if !c.AuthTime.Equal(start.Truncate(time.Second)) {
			t.Fatalf("day %d: auth_time = %v, want %v", day, c.AuthTime, start.Truncate(time.Second))
		}
	}
	// On day 29 the new refresh token may live only until day 30.
	rc, err := f.iss.verifyKind(ctx, pair.RefreshToken, TypeRefresh, useRefresh, f.iss.cfg.refreshTTL)
	if err != nil {
		t.Fatal(err)
	}
	if end := start.Truncate(time.Second).Add(DefaultRefreshMaxLifetime); rc.ExpiresAt.After(end) {
		t.Errorf("last refresh token expires %v, after the family's end %v", rc.ExpiresAt, end)
	}
	f.clock.Advance(24 * time.Hour)
	if _, err := f.iss.Refresh(ctx, pair.RefreshToken); !errors.Is(err, ErrExpired) {
		t.Fatalf("refresh after 30 days: %v, want ErrExpired", err)
	}
}

func TestWithoutRefreshMaxLifetime(t *testing.T) {
	ctx := context.Background()
	f := newIssuerFixture(t, nil)
	keys, err := NewKeySet(testKey(t, ES256))
	if err != nil {
		t.Fatal(err)
	}
	iss, err := NewIssuer(keys, WithClock(f.clock.Now), WithoutRefreshMaxLifetime())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := iss.IssuePair(ctx, Subject{ID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	for day := 1; day <= 40; day++ {
		f.clock.Advance(24 * time.Hour)
		if pair, err = iss.Refresh(ctx, pair.RefreshToken); err != nil {
			t.Fatalf("refresh on day %d: %v", day, err)
		}
	}
	if _, err := NewIssuer(keys, WithRefreshMaxLifetime(0)); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("WithRefreshMaxLifetime(0): %v, want ErrInvalidOption", err)
	}
}
