// Package guard is the framework-neutral request pipeline that authkit's
// adapters drive: the port between the core and gin, echo, fiber and
// net/http.
//
// An adapter wraps the framework's request in an Exchange, calls
// (*Guard).Before, and either writes the returned Denial or stores the
// returned context (principal, nonce, session) in the framework's context and
// calls the next handler. Route guards call Authorize with Rules. Errors turn
// into HTTP answers in one place, this package: RFC 9457 problem+json bodies
// and RFC 6750 WWW-Authenticate challenges.
//
//	g, err := guard.New(guard.WithHeaders(headers.WithNonce()))
//	if err != nil { ... }
//	handler := authhttp.FromGuard(g)(mux)
package guard
