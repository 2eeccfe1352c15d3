// Package port holds the types that authkit's parts meet on: the neutral
// view of one HTTP exchange that adapters implement (Exchange, and
// HTTPExchange for net/http, gin and echo), who a request acts for
// (Principal), how a refusal is answered (Problem, Denial), what a route
// requires (Rule), what verifies a bearer token (Authenticator) and what
// limits request rates (RequestLimiter).
//
// An adapter may also implement optional interfaces where its framework
// does a thing more cheaply than Exchange can (AddrPortExchange: the peer
// as a netip.AddrPort, from fasthttp's *net.TCPAddr without formatting and
// parsing a string; HeaderBytesExchange: header fields from bytes prepared
// once, for fasthttp's SetCanonical). The guard checks for them with a
// type assertion, as it does for HTTPExchange's ResponseHeader; Exchange
// itself does not change, and an adapter without them works as before.
//
// It imports only the standard library and core/authkit, so every feature
// package (token, ratelimit, oauth, mfa) can implement or return these
// types without importing core/guard, which orchestrates them and imports
// the features for its options. Package guard re-exports each name
// (guard.Principal is port.Principal, and so on).
//
//	func (r myRule) Check(x port.Exchange, p port.Principal, ok bool) *port.Problem {
//		if x.Method() == http.MethodDelete && !p.HasRole("admin") {
//			return port.NewProblem(http.StatusForbidden, port.TypeForbidden, "only admins delete")
//		}
//		return nil
//	}
package port
