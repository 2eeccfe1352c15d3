package port

// Rule is a route-level authorization requirement. The guard checks a
// route's rules after it authenticated the request (guard.Authorize, which
// adapters run through Require). Check returns nil to let the request
// through, or the problem to answer; its Header carries the answer's extra
// fields (a WWW-Authenticate challenge, Retry-After).
//
// A rule sees the request, so it can decide on more than the principal
// (the method, a header, the client's address); it must not change the
// response itself: the guard writes the problem. (One exception:
// guard.RateLimit's RequestLimiter sets the RateLimit fields of an
// admitted request.) guard.Authenticated,
// Role, Scope, MFA and MFAWithin build the common ones; a feature package
// implements Rule with its own type, an application with RuleFunc.
type Rule interface {
	Check(x Exchange, p Principal, authenticated bool) *Problem
}

// RuleFunc adapts a function to a Rule.
type RuleFunc func(x Exchange, p Principal, authenticated bool) *Problem

// Check calls f.
func (f RuleFunc) Check(x Exchange, p Principal, authenticated bool) *Problem {
	return f(x, p, authenticated)
}
