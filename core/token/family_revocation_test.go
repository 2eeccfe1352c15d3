package token

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/token/tokenstore"
)

// Revoking a family - by refresh-token reuse or by logging out with one of
// its tokens - ends every token of that sign-in, access tokens included,
// and nothing of another sign-in.
func TestFamilyRevocationEndsTheSignIn(t *testing.T) {
	forEachStore(t, func(t *testing.T, store func(func() time.Time) tokenstore.Store) {
		ctx := context.Background()
		alive := func(f issuerFixture, access string) bool {
			t.Helper()
			_, err := f.iss.Authenticate(ctx, access)
			if err != nil && !errors.Is(err, ErrRevoked) {
				t.Fatalf("Authenticate: %v", err)
			}
			return err == nil
		}

		t.Run("reuse", func(t *testing.T) {
			f := newIssuerFixture(t, store)
			first, _ := f.iss.IssuePair(ctx, Subject{ID: "alice"})
			other, _ := f.iss.IssuePair(ctx, Subject{ID: "alice"}) // another device
			second, err := f.iss.Refresh(ctx, first.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.iss.Refresh(ctx, first.RefreshToken); !errors.Is(err, ErrReused) {
				t.Fatalf("replay: %v, want ErrReused", err)
			}
			if alive(f, first.AccessToken) || alive(f, second.AccessToken) {
				t.Error("an access token of the reused family still authenticates")
			}
			if _, err := f.iss.Refresh(ctx, second.RefreshToken); err == nil {
				t.Error("the family's newest refresh token still refreshes")
			}
			if !alive(f, other.AccessToken) {
				t.Error("the other device's sign-in was revoked too")
			}
		})

		t.Run("logout with the access token", func(t *testing.T) {
			f := newIssuerFixture(t, store)
			p, _ := f.iss.IssuePair(ctx, Subject{ID: "alice"})
			other, _ := f.iss.IssuePair(ctx, Subject{ID: "alice"})
			if err := f.iss.Revoke(ctx, p.AccessToken); err != nil {
				t.Fatal(err)
			}
			if alive(f, p.AccessToken) {
				t.Error("the revoked access token authenticates")
			}
			if _, err := f.iss.Refresh(ctx, p.RefreshToken); !errors.Is(err, ErrRevoked) {
				t.Errorf("the sign-in's refresh token: %v, want ErrRevoked", err)
			}
			if !alive(f, other.AccessToken) {
				t.Error("the other sign-in was revoked too")
			}
			if _, err := f.iss.Refresh(ctx, other.RefreshToken); err != nil {
				t.Errorf("the other sign-in cannot refresh: %v", err)
			}
		})
	})
}
