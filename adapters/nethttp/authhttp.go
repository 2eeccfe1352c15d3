// Package authhttp is authkit's adapter for net/http: a middleware that runs
// the guard around any http.Handler, route guards, and accessors for what the
// guard put into the request context.
//
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /healthz", healthz)
//	mux.Handle("GET /admin", authhttp.Require(guard.Role("admin"))(adminHandler))
//	http.ListenAndServe(addr, authhttp.Middleware()(mux))
//
// Wrap the mux, not single handlers, so the secure headers are also on the
// mux's own 404 and 405 answers.
package authhttp

import (
	"net/http"

	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/headers"
	"github.com/authkit-go/authkit/core/session"
)

// Middleware returns a middleware running a Guard built from opts. With no
// options it applies authkit's secure headers. It panics at start-up, never
// per request, when an option is invalid; use FromGuard with guard.New to
// handle that error yourself.
func Middleware(opts ...guard.Option) func(http.Handler) http.Handler {
	return FromGuard(guard.Must(guard.New(opts...)))
}

// FromGuard returns a middleware running g.
func FromGuard(g *guard.Guard) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			x := guard.HTTPExchange{W: w, R: r}
			ctx, denial := g.BeforeHTTP(w, r)
			if denial != nil {
				guard.WriteDenial(w, denial)
				return
			}
			if ctx != r.Context() {
				r = r.WithContext(ctx)
			}
			if !g.Stateful() {
				next.ServeHTTP(w, r)
				return
			}
			var ex guard.Exchange = x // boxed once, not on every commit call
			commit := func() { g.Commit(ctx, ex) }
			next.ServeHTTP(guard.CommitWriter(w, commit), r)
			commit() // the handler wrote nothing: net/http sends 200 after this
		})
	}
}

// Require returns a route guard that lets a request through only when every
// rule passes (see guard.Authenticated, guard.Role, guard.Scope, guard.MFA).
func Require(rules ...guard.Rule) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if denial := guard.Authorize(guard.HTTPExchange{W: w, R: r}, rules...); denial != nil {
				guard.WriteDenial(w, denial)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Serve returns an http.Handler serving h, a handler written against the
// port (guard.Handler) that answers alike on every framework — the OAuth
// sign-in's login and callback (core/oauth), for one. Register it behind
// the middleware, like any handler.
func Serve(h guard.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := guard.Serve(guard.HTTPExchange{W: w, R: r}, h)
		w.WriteHeader(rep.Status)
		if len(rep.Body) > 0 {
			_, _ = w.Write(rep.Body)
		}
	})
}

// Session returns r's session, if it has one (see guard.SessionFrom).
func Session(r *http.Request) (*session.Session, bool) { return guard.SessionFrom(r.Context()) }

// Principal returns the authenticated principal of r, if any.
func Principal(r *http.Request) (guard.Principal, bool) { return guard.PrincipalFrom(r.Context()) }

// ClientIP returns the client's address as g determines it: the peer, or the
// address a trusted proxy reports (guard.WithTrustedProxies,
// guard.WithForwardedHeader). Use it, not r.RemoteAddr or a header, wherever
// the client's address matters, so that logs, limits and the guard agree.
func ClientIP(g *guard.Guard, r *http.Request) string { return g.ClientIP(guard.HTTPExchange{R: r}) }

// Nonce returns r's CSP nonce, or "" when nonces are off.
func Nonce(r *http.Request) string {
	n, _ := headers.NonceFrom(r.Context())
	return n
}
