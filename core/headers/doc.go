// Package headers compiles the security response headers authkit puts on
// every response: Strict-Transport-Security, Content-Security-Policy,
// X-Content-Type-Options, X-Frame-Options, Referrer-Policy,
// Permissions-Policy, Cross-Origin-Opener-Policy and
// Cross-Origin-Resource-Policy, each with a secure default that can be
// overridden or removed, and an optional per-request CSP nonce.
//
// The guard applies the policy before anything else runs, so the headers are
// also on denials, on the framework's 404 and 405 answers and on responses the
// handler writes itself. Applications normally configure it through the
// guard:
//
//	authgin.Middleware(guard.WithHeaders(
//		headers.WithHeader(headers.ContentSecurityPolicy, "default-src 'self'; img-src 'self' data:"),
//		headers.WithNonce(),
//	))
//
// A handler reads the nonce with headers.NonceFrom(ctx).
package headers
