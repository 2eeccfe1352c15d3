package token

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// A bound purpose token works only with its value; the check comes before
// the token is spent, so a refused attempt leaves it usable.
func TestPurposeBinding(t *testing.T) {
	ctx := context.Background()
	f := newIssuerFixture(t, nil)
	bound, err := f.iss.IssuePurpose(ctx, "u1", PurposePasswordReset, BoundTo("a@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	unbound := mustPurpose(t, f.iss, PurposePasswordReset)
	if strings.Contains(string(mustClaims(t, f.iss, bound, BoundTo("a@example.com")).Raw), "a@example.com") {
		t.Error("the bound value is written into the token in clear")
	}
	for _, tt := range []struct {
		name string
		raw  string
		opts []PurposeOption
	}{
		{"another value", bound, []PurposeOption{BoundTo("b@example.com")}},
		{"a case variant", bound, []PurposeOption{BoundTo("A@example.com")}},
		{"no value for a bound token", bound, nil},
		{"a value for an unbound token", unbound, []PurposeOption{BoundTo("a@example.com")}},
		{"the empty value for an unbound token", unbound, []PurposeOption{BoundTo("")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.iss.VerifyPurpose(ctx, tt.raw, PurposePasswordReset, tt.opts...); !errors.Is(err, ErrBinding) || !errors.Is(err, ErrInvalid) {
				t.Errorf("VerifyPurpose: %v, want ErrBinding", err)
			}
			if _, err := f.iss.ConsumePurpose(ctx, tt.raw, PurposePasswordReset, tt.opts...); !errors.Is(err, ErrBinding) {
				t.Errorf("ConsumePurpose: %v, want ErrBinding", err)
			}
		})
	}
	// None of the refusals spent the tokens.
	if c, err := f.iss.ConsumePurpose(ctx, bound, PurposePasswordReset, BoundTo("a@example.com")); err != nil || c.Subject != "u1" {
		t.Fatalf("bound token with its value: %v %v", c, err)
	}
	if _, err := f.iss.ConsumePurpose(ctx, unbound, PurposePasswordReset); err != nil {
		t.Fatalf("unbound token: %v", err)
	}
	if _, err := f.iss.ConsumePurpose(ctx, bound, PurposePasswordReset, BoundTo("a@example.com")); !errors.Is(err, ErrReused) {
		t.Errorf("second use: %v, want ErrReused", err)
	}
}

func mustClaims(t *testing.T, iss *Issuer, raw string, opts ...PurposeOption) *Claims {
	t.Helper()
	c, err := iss.VerifyPurpose(context.Background(), raw, PurposePasswordReset, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// VerifyPurpose checks what ConsumePurpose checks but spends nothing and
// asks no store: it accepts a token any number of times, and the kinds
// still do not mix.
func TestVerifyPurposeDoesNotConsume(t *testing.T) {
	ctx := context.Background()
	f := newIssuerFixture(t, nil)
	raw := mustPurpose(t, f.iss, PurposePasswordReset)
	for range 3 {
		if c, err := f.iss.VerifyPurpose(ctx, raw, PurposePasswordReset); err != nil || c.Subject != "u1" {
			t.Fatalf("VerifyPurpose: %v %v", c, err)
		}
	}
	if _, err := f.iss.VerifyPurpose(ctx, raw, PurposeEmailVerification); !errors.Is(err, ErrType) {
		t.Errorf("reset token as email verification: %v, want ErrType", err)
	}
	pair, err := f.iss.IssuePair(ctx, Subject{ID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{pair.AccessToken, pair.RefreshToken} {
		if _, err := f.iss.VerifyPurpose(ctx, other, PurposePasswordReset); !errors.Is(err, ErrType) {
			t.Errorf("pair token as purpose token: %v, want ErrType", err)
		}
	}
	if _, err := f.iss.VerifyPurpose(ctx, raw, Purpose("other")); !errors.Is(err, ErrInvalidClaims) {
		t.Errorf("unknown purpose: %v, want ErrInvalidClaims", err)
	}
	if _, err := f.iss.ConsumePurpose(ctx, raw, PurposePasswordReset); err != nil {
		t.Fatalf("consume after verifying: %v", err)
	}
	f.clock.Advance(DefaultPasswordResetTTL + DefaultLeeway + time.Second)
	if _, err := f.iss.VerifyPurpose(ctx, mustPurposeAt(t, f), PurposePasswordReset); err != nil {
		t.Errorf("a fresh token: %v", err)
	}
	if _, err := f.iss.VerifyPurpose(ctx, raw, PurposePasswordReset); !errors.Is(err, ErrExpired) {
		t.Errorf("expired token: %v, want ErrExpired", err)
	}
}

// A pair says how long its refresh token lives, for a cookie's Max-Age:
// the refresh TTL, and less once the family's maximum lifetime is near.
func TestPairRefreshExpiresIn(t *testing.T) {
	ctx := context.Background()
	f := newIssuerFixture(t, nil)
	pair, err := f.iss.IssuePair(ctx, Subject{ID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	// exp is whole seconds, iat milliseconds: the lifetime ends at exp.
	if got := pair.RefreshExpiresIn(); got > DefaultRefreshTTL || got <= DefaultRefreshTTL-time.Second {
		t.Errorf("RefreshExpiresIn = %v, want within a second below %v", got, DefaultRefreshTTL)
	}
	rc, err := f.iss.verifyKind(ctx, pair.RefreshToken, TypeRefresh, useRefresh, DefaultRefreshTTL)
	if err != nil {
		t.Fatal(err)
	}
	if want := rc.ExpiresAt.Sub(f.clock.Now()); pair.RefreshExpiresIn() != want {
		t.Errorf("RefreshExpiresIn = %v, want exp - now = %v", pair.RefreshExpiresIn(), want)
	}
	for _, d := range []time.Duration{13 * 24 * time.Hour, 13 * 24 * time.Hour, 3 * 24 * time.Hour} { // to day 29 of 30
		f.clock.Advance(d)
		if pair, err = f.iss.Refresh(ctx, pair.RefreshToken); err != nil {
			t.Fatal(err)
		}
	}
	if got := pair.RefreshExpiresIn(); got > 24*time.Hour || got < 24*time.Hour-time.Second {
		t.Errorf("RefreshExpiresIn a day before the family ends = %v, want about 24h", got)
	}
}

// BoundToLookup binds to whatever the account holds when the token is
// checked, learnt from the verified token's subject; a failed lookup
// spends nothing, and a forged token is refused before any lookup.
func TestPurposeBindingLookup(t *testing.T) {
	ctx := context.Background()
	f := newIssuerFixture(t, nil)
	email := map[string]string{"u1": "a@example.com"}
	var asked []string
	lookupErr := error(nil)
	lookup := BoundToLookup(func(_ context.Context, sub string) (string, error) {
		asked = append(asked, sub)
		return email[sub], lookupErr
	})
	raw, err := f.iss.IssuePurpose(ctx, "u1", PurposeEmailVerification, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.iss.VerifyPurpose(ctx, raw, PurposeEmailVerification, BoundTo("a@example.com")); err != nil {
		t.Fatalf("issued with the lookup, checked with the value: %v", err)
	}
	lookupErr = errors.New("store down")
	if _, err := f.iss.ConsumePurpose(ctx, raw, PurposeEmailVerification, lookup); err != lookupErr {
		t.Fatalf("a failed lookup: %v, want its error as it is", err)
	}
	lookupErr = nil
	email["u1"] = "b@example.com" // the address changed: the token is dead
	if _, err := f.iss.ConsumePurpose(ctx, raw, PurposeEmailVerification, lookup); !errors.Is(err, ErrBinding) {
		t.Fatalf("after the address changed: %v, want ErrBinding", err)
	}
	email["u1"] = "a@example.com"
	if _, err := f.iss.ConsumePurpose(ctx, raw, PurposeEmailVerification, lookup); err != nil {
		t.Fatalf("with the address back: %v (the refusals must not spend it)", err)
	}
	asked = nil
	if _, err := f.iss.VerifyPurpose(ctx, tamperSig(raw), PurposeEmailVerification, lookup); !errors.Is(err, ErrSignature) || len(asked) != 0 {
		t.Errorf("a forged token: %v, lookups %q; want ErrSignature and no lookup", err, asked)
	}
}

func tamperSig(raw string) string {
	i := strings.LastIndexByte(raw, '.') + 3
	c := byte('A')
	if raw[i] == 'A' {
		c = 'B'
	}
	return raw[:i] + string(c) + raw[i+1:]
}
