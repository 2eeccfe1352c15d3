package guard

import (
	"context"
	"errors"
	"fmt"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/session"
)

// ErrNotSignedIn is returned by SignOutOthers for a request that no
// session or token authenticates. It wraps authkit.ErrUnauthenticated.
var ErrNotSignedIn = fmt.Errorf("guard: the request is not signed in: %w", authkit.ErrUnauthenticated)

// SubjectRevoker ends every token sign-in of a subject but one.
// *token.Issuer implements it (RevokeSubjectExcept); SignOutOthers uses it
// when the Guard's token authenticator has it.
type SubjectRevoker interface {
	// RevokeSubjectExcept revokes every token of sub except those of the
	// refresh family keep ("" keeps none).
	RevokeSubjectExcept(ctx context.Context, sub, keep string) error
}

// SignOutOthers ends every sign-in of the request's user but the
// request's own — "sign out everywhere else" — for the flows that change
// what protects an account and keep the user signed in: turning a second
// factor on or off, changing the password. The request's sign-in is its
// session (and the refresh family it is linked to) or, for a request
// authenticated by a bearer token, the token's family (and the session
// linked to it). Afterwards the request's session cookie, access token and
// refresh token keep working, while every other session and every other
// token of the user is refused — a refresh racing this call on another
// sign-in included (token.Issuer.RevokeSubjectExcept is one atomic store
// operation) — and so is any pending password reset or email verification
// token.
//
// It needs the request's own context of a Guard built WithSessions
// (ErrNoSessions otherwise; with tokens alone, call the Issuer's
// RevokeSubjectExcept). Tokens are revoked first, then the other sessions
// are destroyed (session.Manager.DestroyAllExcept). Errors: ErrNotSignedIn
// (401) for an anonymous request; an error wrapping authkit.ErrUnavailable
// (503) when a store could not be asked — nothing or part was done, and
// calling again is safe; one wrapping token.ErrRevoked when the request's
// own sign-in was revoked meanwhile (all sign-ins have ended then).
// guard.ProblemFor maps each.
func SignOutOthers(ctx context.Context) error {
	st := stateFrom(ctx)
	if st == nil || st.g.sessions == nil {
		return ErrNoSessions
	}
	p, ok := PrincipalFrom(ctx)
	if !ok {
		if SessionUnavailable(ctx) {
			return fmt.Errorf("guard: the request's session could not be loaded: %w", session.ErrUnavailable)
		}
		return ErrNotSignedIn
	}
	// A bearer-token request loads its session cookie only now. It is the
	// request's sign-in when the token authenticated it through that
	// session's own family.
	s, _ := SessionFrom(ctx)
	if s != nil && (s.Destroyed() || s.UserID() != p.Subject ||
		p.Via != ViaSession && (s.Link() == "" || s.Link() != p.Family)) {
		s = nil
	}
	var own error
	if r, ok := st.g.tokens.(SubjectRevoker); ok {
		if err := r.RevokeSubjectExcept(ctx, p.Subject, p.Family); err != nil {
			if errors.Is(err, authkit.ErrUnavailable) || !errors.Is(err, authkit.ErrInvalidToken) {
				return err
			}
			own = err // the request's own sign-in had ended: every one has now
		}
	}
	if _, err := st.g.sessions.DestroyAllExcept(ctx, p.Subject, s, p.Family); err != nil {
		return err
	}
	return own
}
