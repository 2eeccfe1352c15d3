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
	c, err := i.Authenticate(ctx, raw)
	if err != nil {
		return port.Principal{}, err
	}
	return c.Principal(), nil
}

// AuthenticatePrincipal implements port.Authenticator (what
// guard.WithTokens takes) for a service that only verifies: Verify, then
// the claims' Principal. Nothing is checked against a revocation store.
func (v *Verifier) AuthenticatePrincipal(ctx context.Context, raw string) (port.Principal, error) {
	c, err := v.Verify(ctx, raw)
	if err != nil {
		return port.Principal{}, err
	}
	return c.Principal(), nil
}
