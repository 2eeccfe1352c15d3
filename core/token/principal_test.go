package token

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/port"
)

// The Issuer and the Verifier are what guard.WithTokens takes: both
// authenticate a bearer token as a port.Principal.
var (
	_ port.Authenticator = (*Issuer)(nil)
	_ port.Authenticator = (*Verifier)(nil)
)

func TestAuthenticatePrincipal(t *testing.T) {
	ctx := context.Background()
	f := newIssuerFixture(t, nil)
	signedIn := f.clock.Now()
	mfa, err := f.iss.IssuePair(ctx, Subject{ID: "alice", Roles: []string{"user"}, Scope: "read write", AMR: []string{"pwd", "otp"}})
	if err != nil {
		t.Fatal(err)
	}
	pwd, err := f.iss.IssuePair(ctx, Subject{ID: "bob", AMR: []string{"pwd"}})
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := NewVerifier(f.iss.keys, WithIssuer("https://auth.example"), WithAudience("api"), WithType(TypeAccess), WithClock(f.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Minute) // later requests carry the sign-in's time, not their own

	for name, a := range map[string]port.Authenticator{"issuer": f.iss, "verifier": verifier} {
		t.Run(name, func(t *testing.T) {
			p, err := a.AuthenticatePrincipal(ctx, mfa.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			want := port.Principal{
				Subject: "alice", Roles: []string{"user"}, Scopes: []string{"read", "write"}, AMR: []string{"pwd", "otp"},
				Via: port.ViaToken, Family: mfa.Family(), AuthTime: p.AuthTime, MFAAt: p.AuthTime,
			}
			if !reflect.DeepEqual(p, want) {
				t.Errorf("principal = %+v\nwant        %+v", p, want)
			}
			if !p.AuthTime.Equal(signedIn.Truncate(time.Second)) { // auth_time is in whole seconds
				t.Errorf("AuthTime = %v, want the sign-in at %v", p.AuthTime, signedIn)
			}
			p, err = a.AuthenticatePrincipal(ctx, pwd.AccessToken)
			if err != nil || !p.MFAAt.IsZero() || p.AuthTime.IsZero() {
				t.Errorf("password-only principal = %+v, %v: want an AuthTime and no MFAAt", p, err)
			}
			_, err = a.AuthenticatePrincipal(ctx, mfa.RefreshToken)
			if !errors.Is(err, ErrInvalid) || !errors.Is(err, authkit.ErrInvalidToken) {
				t.Errorf("a refresh token as access token: %v, want ErrInvalid and authkit.ErrInvalidToken", err)
			}
		})
	}

	if err := f.iss.Revoke(ctx, pwd.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := f.iss.AuthenticatePrincipal(ctx, pwd.AccessToken); !errors.Is(err, ErrRevoked) {
		t.Errorf("issuer, revoked token: %v, want ErrRevoked", err)
	}
	if _, err := verifier.AuthenticatePrincipal(ctx, pwd.AccessToken); err != nil {
		t.Errorf("verifier, revoked token: %v (a Verifier has no revocation store)", err)
	}
}

// Each sentinel of a kind core/authkit has a root for wraps that root, so
// guard.ProblemFor answers it without importing this package.
func TestSentinelsWrapTheRoots(t *testing.T) {
	for _, tc := range []struct {
		err, root error
	}{
		{ErrInvalid, authkit.ErrInvalidToken},
		{reject(ErrExpired, "exp"), authkit.ErrInvalidToken},
		{fmt.Errorf("%w: revocation store", ErrUnavailable), authkit.ErrUnavailable},
	} {
		if !errors.Is(tc.err, tc.root) {
			t.Errorf("errors.Is(%v, %v) = false", tc.err, tc.root)
		}
	}
	if errors.Is(ErrUnavailable, ErrInvalid) || errors.Is(ErrUnavailable, authkit.ErrInvalidToken) {
		t.Error("ErrUnavailable reads as an invalid token: a store outage would be a 401")
	}
	if got := ErrInvalid.Error(); got != "token: invalid" {
		t.Errorf("ErrInvalid says %q, want the message it always had", got)
	}
}
