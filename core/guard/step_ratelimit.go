package guard

import "github.com/authkit-go/authkit/core/port"

// RequestLimiter is port.RequestLimiter: what WithRateLimit and RateLimit
// ask whether a request may go on (*ratelimit.RequestLimit).
type RequestLimiter = port.RequestLimiter

// WithRateLimit charges every request to limiters at the guard's
// rate-limit step: after the security headers and Vary, so a 429 carries
// them, and before the origin check, the session and the bearer token, so
// before anything reads a cookie, a token or the body or costs a store round
// trip of its own. A cross-origin request is charged, then refused. Each
// limiter chooses the requests it applies to (ratelimit.OnRoutes) and is
// given the client's address as ClientIP finds it, so a forwarding header
// counts only from a trusted proxy (WithTrustedProxies) and only the one
// WithForwardedHeader names. Limiters are asked in order; the first refusal
// is the answer (429, or 503 when a limiter that fails closed cannot reach
// its store). When the limiters' store, the session store and the token
// store share a Redis client, their calls go out together, in one round
// trip (see the batch step): every limiter is then charged, even when an
// earlier one refuses. Limits by user or by route belong on the route, after
// authentication: see RateLimit. Given more than once, the limiters add
// up. Default: none.
func WithRateLimit(limiters ...RequestLimiter) Option {
	return func(c *config) error {
		for _, l := range limiters {
			if l == nil {
				return invalidConfig("nil rate limiter")
			}
		}
		c.limiters = append(c.limiters, limiters...)
		return nil
	}
}

// rateLimitStep asks the configured limiters about every request, with
// nobody authenticated yet.
type rateLimitStep struct {
	g        *Guard
	limiters []RequestLimiter
}

func newRateLimitStep(g *Guard, c *config) (step, error) {
	if len(c.limiters) == 0 {
		return nil, nil
	}
	return rateLimitStep{g: g, limiters: c.limiters}, nil
}

func (s rateLimitStep) before(x Exchange, st state) (state, *Denial) {
	client := st.clientAddr(s.g, x)
	for _, l := range s.limiters {
		ctx, err := l.LimitRequest(st.ctx, x, client, Principal{}, false)
		if err != nil {
			return st, port.Deny(x, ProblemFor(err))
		}
		st.ctx = ctx
	}
	return st, nil
}
