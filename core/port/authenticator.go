package port

import "context"

// Authenticator verifies a bearer access token and says whom it
// authenticates. *token.Issuer (signature, claims and revocation) and
// *token.Verifier (signature and claims only) implement it; the guard
// depends on this interface alone, so an application that does not use
// tokens does not link a JWT library.
type Authenticator interface {
	// AuthenticatePrincipal verifies raw and returns its principal, with
	// Via ViaToken. Errors wrap authkit.ErrInvalidToken (the guard answers
	// 401 with an invalid_token challenge) or authkit.ErrUnavailable (503);
	// the guard answers any other error as an invalid token.
	AuthenticatePrincipal(ctx context.Context, raw string) (Principal, error)
}

// AuthenticatorFunc adapts a function to an Authenticator.
type AuthenticatorFunc func(ctx context.Context, raw string) (Principal, error)

// AuthenticatePrincipal calls f.
func (f AuthenticatorFunc) AuthenticatePrincipal(ctx context.Context, raw string) (Principal, error) {
	return f(ctx, raw)
}

// SessionLink destroys the server-side sessions linked to a refresh-token
// family. *session.Manager implements it. The guard, given both tokens and
// sessions, hands it to an Authenticator that has a LinkSessions(SessionLink)
// method (*token.Issuer), so that revoking a family also ends its sessions.
type SessionLink interface {
	// DestroyLinked destroys userID's sessions linked to family without
	// revoking tokens in turn (the caller is doing that).
	DestroyLinked(ctx context.Context, userID, family string) (int, error)
}
