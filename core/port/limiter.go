package port

import (
	"context"
	"net/netip"
)

// RequestLimiter limits how fast requests may come. The guard asks it at
// its rate-limit step (guard.WithRateLimit), before the origin check, the
// session and the bearer token, and so before anything reads a body; and
// from a route rule (guard.RateLimit), after authentication, for limits by
// user or route. *ratelimit.RequestLimit implements it. The guard depends on
// this interface alone, so a program that limits nothing links no
// rate-limit code.
type RequestLimiter interface {
	// LimitRequest charges the request x, made from client (the address
	// the guard's trusted-proxy logic found: the peer, or what the
	// configured forwarding header of a trusted proxy reports; invalid when
	// the peer's address did not parse) for p (authenticated is false at
	// the step, which runs before authentication).
	//
	// It returns the context the request goes on with: ctx, or one
	// carrying what was decided, so that later limits of the same request
	// (a rule, the handler's own) can report every policy together. On an
	// admitted request it may set its response header fields on x
	// (RateLimit-Policy, RateLimit); it sets nothing else. A non-nil error
	// refuses the request, and the guard answers it with ProblemFor: an
	// error wrapping authkit.ErrRateLimited is a 429 with its Retry-After
	// and header fields, authkit.ErrUnavailable a 503.
	LimitRequest(ctx context.Context, x Exchange, client netip.Addr, p Principal, authenticated bool) (context.Context, error)
}
