package guard

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authkit-go/authkit/core/authkit"
	"github.com/authkit-go/authkit/core/port"
)

// Authorize checks the route rules against the request and its principal,
// in order, and returns the first denial, or nil when every rule passes.
// Adapters call it from Require.
func Authorize(x Exchange, rules ...Rule) *Denial {
	ctx := x.Context()
	p, ok := PrincipalFrom(ctx)
	if !ok && len(rules) > 0 && sessionUnavailable(ctx) {
		// The request may well be authenticated; we cannot tell.
		return port.Deny(x, ProblemFor(authkit.ErrUnavailable))
	}
	for _, r := range rules {
		if prob := r.Check(x, p, ok); prob != nil {
			return port.Deny(x, prob)
		}
	}
	return nil
}

// Authenticated requires a principal: 401 with a Bearer challenge otherwise.
func Authenticated() Rule {
	return RuleFunc(func(_ Exchange, _ Principal, ok bool) *Problem {
		if !ok {
			return unauthenticatedProblem()
		}
		return nil
	})
}

// Role requires a principal holding at least one of roles: 401 when
// unauthenticated, 403 otherwise.
func Role(roles ...string) Rule {
	return RuleFunc(func(_ Exchange, p Principal, ok bool) *Problem {
		if !ok {
			return unauthenticatedProblem()
		}
		for _, r := range roles {
			if p.HasRole(r) {
				return nil
			}
		}
		return port.NewProblem(http.StatusForbidden, port.TypeForbidden, "a required role is missing")
	})
}

// Scope requires a principal whose credential carries every one of scopes:
// 401 when unauthenticated, 403 with an RFC 6750 insufficient_scope
// challenge otherwise.
func Scope(scopes ...string) Rule {
	challenge := `Bearer error="insufficient_scope", scope="` + strings.Join(scopes, " ") + `"`
	return RuleFunc(func(_ Exchange, p Principal, ok bool) *Problem {
		if !ok {
			return unauthenticatedProblem()
		}
		for _, s := range scopes {
			if !p.HasScope(s) {
				return port.NewProblem(http.StatusForbidden, port.TypeInsufficientScope, "the access token lacks a required scope").
					WithHeader("WWW-Authenticate", challenge)
			}
		}
		return nil
	})
}

// MFA requires a principal that signed in with a second factor: 401 when
// unauthenticated, 403 otherwise.
func MFA() Rule {
	return RuleFunc(func(_ Exchange, p Principal, ok bool) *Problem {
		if !ok {
			return unauthenticatedProblem()
		}
		if !p.HasMFA() {
			return port.NewProblem(http.StatusForbidden, port.TypeMFARequired, "this resource requires multi-factor authentication")
		}
		return nil
	})
}

// MFAWithin requires a principal that passed a second factor at most d
// ago (Principal.MFAAt), for actions that want a fresh proof, such as
// changing a password or deleting an account: 401 when unauthenticated,
// 403 step-up-required otherwise, with an RFC 9470
// insufficient_user_authentication challenge and a "max_age" member (d in
// seconds), so the client knows to ask the user for a code again. A
// principal whose MFAAt lies in the future (clock skew between hosts)
// passes only when it is no more than d ahead. The rule reads time.Now
// unless WithClock gives it a clock.
func MFAWithin(d time.Duration) StepUpRule {
	return StepUpRule{within: d, now: time.Now}
}

// StepUpRule is the Rule MFAWithin returns.
type StepUpRule struct {
	within time.Duration
	now    func() time.Time
}

// WithClock returns r reading now instead of time.Now. A nil now keeps
// time.Now.
func (r StepUpRule) WithClock(now func() time.Time) StepUpRule {
	if now != nil {
		r.now = now
	}
	return r
}

// Check implements Rule.
func (r StepUpRule) Check(_ Exchange, p Principal, ok bool) *Problem {
	if !ok {
		return unauthenticatedProblem()
	}
	if !p.MFAAt.IsZero() {
		if age := r.now().Sub(p.MFAAt); age <= r.within && age >= -r.within {
			return nil
		}
	}
	maxAge := int64(r.within / time.Second)
	return port.NewProblem(http.StatusForbidden, port.TypeStepUpRequired, "this action requires a recent second factor").
		With("max_age", maxAge).
		WithHeader("WWW-Authenticate", `Bearer error="insufficient_user_authentication", max_age=`+strconv.FormatInt(maxAge, 10))
}

// RateLimit is the route rule that charges each request to l after
// authentication: for limits by user (ratelimit.ByUser) or by route
// (ratelimit.ByRoute), or by client address on some routes only. l gets
// the principal and the client's address as g's ClientIP finds it (a rule
// sees only the Exchange, hence g). A refusal is a 429 with Retry-After
// and l's header fields, or a 503 when l fails closed and cannot reach its
// store; on an admitted request l may set its RateLimit fields. Put it
// after Authenticated when anonymous requests must not get through at all.
// A nil g believes no forwarding header; a nil l answers 500, a
// configuration error that shows at once.
func RateLimit(g *Guard, l RequestLimiter) Rule {
	if g == nil {
		g = &Guard{}
	}
	return rateLimitRule{g: g, l: l}
}

type rateLimitRule struct {
	g *Guard
	l RequestLimiter
}

// Check implements Rule.
func (r rateLimitRule) Check(x Exchange, p Principal, ok bool) *Problem {
	if r.l == nil {
		return internalProblem()
	}
	_, err := r.l.LimitRequest(x.Context(), x, r.g.clientAddr(x), p, ok)
	return ProblemFor(err)
}
