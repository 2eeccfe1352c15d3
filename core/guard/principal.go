package guard

import (
	"context"
	"slices"
)

// Principal is who a request acts for, as established by a token or a
// session. Its slices must be treated as read-only.
type Principal struct {
	// Subject is the user (or client) identifier.
	Subject string
	// Roles are the application roles granted to the subject.
	Roles []string
	// Scopes are the OAuth scopes the credential carries.
	Scopes []string
	// AMR lists the authentication methods used (RFC 8176), e.g. "pwd", "otp".
	AMR []string
	// Via says how the request was authenticated: ViaToken or ViaSession.
	Via string
	// Family is the sign-in (refresh-token family) the credential belongs
	// to: a token's "fam" claim, or the family the session is linked to.
	// Give SignIn the Family of the login's token.Pair to link the session
	// and the tokens, so that revoking either ends both.
	Family string
}

// How a principal was authenticated.
const (
	ViaToken   = "token"
	ViaSession = "session"
)

// HasRole reports whether p holds role.
func (p Principal) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

// HasScope reports whether p's credential carries scope.
func (p Principal) HasScope(scope string) bool { return slices.Contains(p.Scopes, scope) }

// HasMFA reports whether p authenticated with a second factor (AMR "mfa",
// "otp" or "hwk").
func (p Principal) HasMFA() bool {
	return slices.ContainsFunc(p.AMR, func(m string) bool { return m == "mfa" || m == "otp" || m == "hwk" })
}

type principalKey struct{}

// authn is what the context holds about the request's authentication: the
// principal and, when a bearer token established it, that token.
type authn struct {
	p     Principal
	token string
}

// WithPrincipal returns a copy of ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, authn{p: p})
}

// withToken is WithPrincipal for a principal established by the bearer
// token raw.
func withToken(ctx context.Context, p Principal, raw string) context.Context {
	return context.WithValue(ctx, principalKey{}, authn{p: p, token: raw})
}

// PrincipalFrom returns the principal the Guard authenticated for this
// request, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	a, ok := ctx.Value(principalKey{}).(authn)
	return a.p, ok
}

// BearerToken returns the access token that authenticated the request (from
// the Authorization header or the token cookie), for flows that act on it,
// such as revoking it at logout. It is a credential: never log it. Like
// every request value it is valid only during the request (fiber reuses its
// buffers).
func BearerToken(ctx context.Context) (string, bool) {
	a, ok := ctx.Value(principalKey{}).(authn)
	return a.token, ok && a.token != ""
}
