package token

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/token/tokenstore"
)

// pairWorks reports whether p's access token authenticates and its refresh
// token refreshes, and returns the refreshed pair.
func pairWorks(t *testing.T, iss *Issuer, p Pair) (Pair, bool) {
	t.Helper()
	ctx := context.Background()
	if _, err := iss.Authenticate(ctx, p.AccessToken); err != nil {
		if !errors.Is(err, ErrRevoked) {
			t.Fatalf("Authenticate: %v", err)
		}
		return p, false
	}
	next, err := iss.Refresh(ctx, p.RefreshToken)
	if err != nil {
		if !errors.Is(err, ErrRevoked) && !errors.Is(err, ErrReused) {
			t.Fatalf("Refresh: %v", err)
		}
		return p, false
	}
	return next, true
}

// RevokeSubjectExcept ends every sign-in of the subject but one: the kept
// one's access and refresh tokens go on working, refreshed again and
// again; the others, a pending purpose token and family-less tokens end;
// another subject is not touched.
func TestRevokeSubjectExceptKeepsOneSignIn(t *testing.T) {
	forEachStore(t, func(t *testing.T, store func(func() time.Time) tokenstore.Store) {
		f := newIssuerFixture(t, store)
		ctx := context.Background()
		issue := func(sub string) Pair {
			p, err := f.iss.IssuePair(ctx, Subject{ID: sub})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		current, other1, other2, bob := issue("alice"), issue("alice"), issue("alice"), issue("bob")
		reset, err := f.iss.IssuePurpose(ctx, "alice", PurposePasswordReset)
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Second)
		if err := f.iss.RevokeSubjectExcept(ctx, "alice", current.Family()); err != nil {
			t.Fatal(err)
		}
		p := current
		for round := range 3 {
			next, ok := pairWorks(t, f.iss, p)
			if !ok {
				t.Fatalf("round %d: the kept sign-in stopped working", round)
			}
			if next.Family() != current.Family() {
				t.Fatalf("the kept sign-in changed family")
			}
			p = next
			f.clock.Advance(time.Minute)
		}
		for name, o := range map[string]Pair{"other1": other1, "other2": other2} {
			if _, ok := pairWorks(t, f.iss, o); ok {
				t.Errorf("%s survived", name)
			}
		}
		if _, err := f.iss.ConsumePurpose(ctx, reset, PurposePasswordReset); !errors.Is(err, ErrRevoked) {
			t.Errorf("a password reset token from before: %v, want ErrRevoked", err)
		}
		if _, ok := pairWorks(t, f.iss, bob); !ok {
			t.Error("another subject's sign-in ended")
		}
		if n := f.sink.Count(audit.TokenRevoked); n == 0 {
			t.Error("no token.revoked event")
		}
		// Keeping a family that is not live ends every sign-in.
		if err := f.iss.RevokeSubjectExcept(ctx, "alice", "no-such-family"); !errors.Is(err, ErrRevoked) {
			t.Fatalf("keeping an unknown family: %v, want ErrRevoked", err)
		}
		if _, ok := pairWorks(t, f.iss, p); ok {
			t.Error("the sign-in kept before survived keeping an unknown family")
		}
		if err := f.iss.RevokeSubjectExcept(ctx, "", current.Family()); !errors.Is(err, ErrInvalidClaims) {
			t.Errorf("empty subject: %v, want ErrInvalidClaims", err)
		}
	})
}

// A thief refreshing a stolen sign-in in a loop while the victim signs out
// everywhere else (after a password change, say) is dead afterwards in
// every trial, and the victim's own sign-in works on.
func TestRevokeSubjectExceptBeatsAThiefRefreshingInALoop(t *testing.T) {
	forEachStore(t, func(t *testing.T, store func(func() time.Time) tokenstore.Store) {
		ctx := context.Background()
		iss, trials := loopTrials(t, store, 200)
		survived, victimLost := 0, 0
		for trial := range trials {
			sub, current := signIn(t, iss, trial)
			_, stolen := signIn(t, iss, trial) // another sign-in of the same victim
			stop := refreshInALoop(ctx, iss, stolen)
			if err := iss.RevokeSubjectExcept(ctx, sub, current.Family()); err != nil {
				t.Fatal(err)
			}
			thief := stop()
			if familyAlive(t, iss, thief) {
				survived++
			}
			if _, ok := pairWorks(t, iss, current); !ok {
				victimLost++
			}
		}
		if survived > 0 || victimLost > 0 {
			t.Errorf("of %d trials: the thief's family survived in %d, the victim's own sign-in ended in %d", trials, survived, victimLost)
		}
	})
}
