// Package authecho is authkit's adapter for echo v4: a middleware that runs
// the guard on every request, route guards, and accessors for what the guard
// put into the request context.
//
//	e := echo.New()
//	e.Use(authecho.Middleware())
//	e.GET("/admin", admin, authecho.Require(guard.Role("admin")))
//
// Register the middleware with e.Use, so echo also runs it for its own 404
// and 405 answers.
package authecho

import (
	"github.com/labstack/echo/v4"

	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/headers"
	"github.com/authkit-go/authkit/core/session"
)

// Middleware returns an echo middleware running a Guard built from opts.
// With no options it applies authkit's secure headers. It panics at
// start-up, never per request, when an option is invalid; use FromGuard with
// guard.New to handle that error yourself.
func Middleware(opts ...guard.Option) echo.MiddlewareFunc {
	return FromGuard(guard.Must(guard.New(opts...)))
}

// FromGuard returns an echo middleware running g.
func FromGuard(g *guard.Guard) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			x := guard.HTTPExchange{W: c.Response(), R: r}
			ctx, denial := g.BeforeHTTP(x.W, r)
			if denial != nil {
				return write(c, denial)
			}
			if ctx != r.Context() {
				c.SetRequest(r.WithContext(ctx))
			}
			if !g.Stateful() {
				return next(c)
			}
			var ex guard.Exchange = x // boxed once, not on every commit call
			commit := func() { g.Commit(ctx, ex) }
			// Wrapping the writer, not Response.Before, also catches
			// Response.Flush, which skips echo's Before hooks.
			res := c.Response()
			res.Writer = guard.CommitWriter(res.Writer, commit)
			err := next(c)
			commit() // no-op when the header went out; else before echo's error handler writes
			return err
		}
	}
}

// Require returns a route guard that lets a request through only when every
// rule passes (see guard.Authenticated, guard.Role, guard.Scope, guard.MFA).
func Require(rules ...guard.Rule) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if denial := guard.Authorize(guard.HTTPExchange{W: c.Response(), R: c.Request()}, rules...); denial != nil {
				return write(c, denial)
			}
			return next(c)
		}
	}
}

// Serve returns an echo handler serving h, a handler written against the
// port (guard.Handler) that answers alike on every framework — the OAuth
// sign-in's login and callback (core/oauth), for one. Register it behind
// the middleware, like any handler.
func Serve(h guard.Handler) echo.HandlerFunc {
	return func(c echo.Context) error {
		rep := guard.Serve(guard.HTTPExchange{W: c.Response(), R: c.Request()}, h)
		return send(c, rep.Status, rep.Body)
	}
}

func write(c echo.Context, d *guard.Denial) error { return send(c, d.Status, d.Body) }

// send writes status and body; Content-Type is already set.
func send(c echo.Context, status int, body []byte) error {
	res := c.Response()
	res.WriteHeader(status)
	if len(body) == 0 {
		return nil
	}
	_, err := res.Write(body)
	return err
}

// Session returns the request's session, if it has one (see
// guard.SessionFrom).
func Session(c echo.Context) (*session.Session, bool) {
	return guard.SessionFrom(c.Request().Context())
}

// Principal returns the authenticated principal of the request, if any.
func Principal(c echo.Context) (guard.Principal, bool) {
	return guard.PrincipalFrom(c.Request().Context())
}

// ClientIP returns the client's address as g determines it: the peer, or the
// address a trusted proxy reports (guard.WithTrustedProxies,
// guard.WithForwardedHeader). Use it, not echo's c.RealIP(), which follows
// echo's own IPExtractor, wherever the client's address matters, so that
// logs, limits and the guard agree.
func ClientIP(g *guard.Guard, c echo.Context) string {
	return g.ClientIP(guard.HTTPExchange{W: c.Response(), R: c.Request()})
}

// Nonce returns the request's CSP nonce, or "" when nonces are off.
func Nonce(c echo.Context) string {
	n, _ := headers.NonceFrom(c.Request().Context())
	return n
}
