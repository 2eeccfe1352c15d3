package token

import (
	"context"
	"strings"

	"github.com/authkit-go/authkit/core/port"
)

// Principal returns who c authenticates, as the guard sees it: subject,
// roles, scopes (Scope split at spaces), AMR, family and AuthTime, Via
// port.ViaToken. Its MFAAt is the AuthTime when the AMR holds a second
// factor: the AMR of authkit's tokens is fixed at sign-in and carried
// unchanged through the family.
func (c *Claims) Principal() port.Principal {
	p := port.Principal{
		Subject:  c.Subject,
		Roles:    c.Roles,
		Scopes:   strings.Fields(c.Scope),
		AMR:      c.AMR,
		Via:      port.ViaToken,
		Family:   c.family,
		AuthTime: c.AuthTime,
	}
	if p.HasMFA() {
		p.MFAAt = p.AuthTime
	}
	return p
}

// AuthenticatePrincipal implements port.Authenticator (what
// guard.WithTokens takes): Authenticate, then the claims' Principal.
// Errors wrap ErrInvalid (401) or ErrUnavailable (503).
func (i *Issuer) AuthenticatePrincipal(ctx context.Context, raw string) (port.Principal, error) {
	c, e, err := i.authenticate(ctx, raw)
	return principalOf(c, e, err)
}

// AuthenticatePrincipal implements port.Authenticator (what
// guard.WithTokens takes) for a service that only verifies: Verify, then
// the claims' Principal. Nothing is checked against a revocation store.
func (v *Verifier) AuthenticatePrincipal(ctx context.Context, raw string) (port.Principal, error) {
	c, e, err := v.verify(ctx, raw)
	return principalOf(c, e, err)
}

// principalOf is the principal of verified claims c, from their cache
// entry e when there is one (computed once, copied per request).
func principalOf(c *Claims, e *cacheEntry, err error) (port.Principal, error) {
	switch {
	case err != nil:
		return port.Principal{}, err
	case e != nil:
		return e.principalCopy(), nil
	default:
		return c.Principal(), nil
	}
}
