package guard

import "context"

type principalKey struct{}

// authn is what the context holds about the request's authentication: the
// principal and, when a bearer token established it, that token. The
// context holds a pointer, so storing it costs one allocation.
type authn struct {
	p     Principal
	token string
}

// WithPrincipal returns a copy of ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, &authn{p: p})
}

// PrincipalFrom returns the principal the Guard authenticated for this
// request, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	a, ok := ctx.Value(principalKey{}).(*authn)
	if !ok {
		return Principal{}, false
	}
	return a.p, true
}

// BearerToken returns the access token that authenticated the request (from
// the Authorization header or the token cookie), for flows that act on it,
// such as revoking it at logout. It is a credential: never log it. Like
// every request value it is valid only during the request (fiber reuses its
// buffers).
func BearerToken(ctx context.Context) (string, bool) {
	a, ok := ctx.Value(principalKey{}).(*authn)
	if !ok || a.token == "" {
		return "", false
	}
	return a.token, true
}
