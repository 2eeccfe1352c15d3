// Package authfiber is authkit's adapter for fiber v2: a middleware that runs
// the guard on every request, route guards, and accessors for what the guard
// put into the request's user context.
//
//	app := fiber.New()
//	app.Use(authfiber.Middleware())
//	app.Get("/admin", authfiber.Require(guard.Role("admin")), admin)
//
// Register the middleware with app.Use before any route, so it also runs for
// fiber's own 404 and 405 answers.
package authfiber

import (
	"bytes"
	"context"
	"net/http"
	"net/netip"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/headers"
	"github.com/authkit-go/authkit/core/port"
	"github.com/authkit-go/authkit/core/session"
)

// Middleware returns a fiber middleware running a Guard built from opts.
// With no options it applies authkit's secure headers. It panics at
// start-up, never per request, when an option is invalid; use FromGuard with
// guard.New to handle that error yourself.
func Middleware(opts ...guard.Option) fiber.Handler {
	return FromGuard(guard.Must(guard.New(opts...)))
}

// FromGuard returns a fiber middleware running g.
func FromGuard(g *guard.Guard) fiber.Handler {
	return func(c *fiber.Ctx) error {
		x := exchange{c}
		ctx, denial := g.Before(x)
		if denial != nil {
			return write(c, denial)
		}
		c.SetUserContext(ctx)
		// fasthttp sends the response after the handler chain returns, so
		// headers and the session cookie can still be set afterwards; a
		// handler that reset the response (NotModified, Error) lost the
		// headers. Deferred, so a panic that a recover middleware turns
		// into a 500 still carries them, as on the other frameworks.
		defer func() {
			g.RestoreHeaders(ctx, x)
			g.Commit(ctx, x)
		}()
		return c.Next()
	}
}

// ErrorHandler wraps h, the app's fiber.Config.ErrorHandler, so that its
// answers carry g's security headers too. fasthttp hands the requests it
// refuses before any handler runs — a header over ReadBufferSize (431), a
// body over BodyLimit (413), a read timeout (408), a malformed request
// (400) — straight to the error handler, past every middleware; the other
// frameworks' servers write such answers themselves, and no application
// code can add headers to them. Pass the guard the middleware runs
// (FromGuard(g)). A nil h is fiber.DefaultErrorHandler. This is fiber's
// only adapter identifier the other three lack: only fasthttp lets the
// application write these answers.
func ErrorHandler(g *guard.Guard, h fiber.ErrorHandler) fiber.ErrorHandler {
	if h == nil {
		h = fiber.DefaultErrorHandler
	}
	return func(c *fiber.Ctx, err error) error {
		herr := h(c, err)
		g.RestoreHeaders(c.UserContext(), exchange{c})
		return herr
	}
}

// Require returns a route guard that lets a request through only when every
// rule passes (see guard.Authenticated, guard.Role, guard.Scope, guard.MFA).
func Require(rules ...guard.Rule) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if denial := guard.Authorize(exchange{c}, rules...); denial != nil {
			return write(c, denial)
		}
		return c.Next()
	}
}

// Serve returns a fiber handler serving h, a handler written against the
// port (guard.Handler) that answers alike on every framework — the OAuth
// sign-in's login and callback (core/oauth), for one. Register it behind
// the middleware, like any handler.
func Serve(h guard.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rep := guard.Serve(exchange{c}, h)
		return c.Status(rep.Status).Send(rep.Body)
	}
}

func write(c *fiber.Ctx, d *guard.Denial) error {
	return c.Status(d.Status).Send(d.Body)
}

// Session returns the request's session, if it has one (see
// guard.SessionFrom).
func Session(c *fiber.Ctx) (*session.Session, bool) {
	return guard.SessionFrom(c.UserContext())
}

// Principal returns the authenticated principal of the request, if any.
func Principal(c *fiber.Ctx) (guard.Principal, bool) {
	return guard.PrincipalFrom(c.UserContext())
}

// ClientIP returns the client's address as g determines it: the peer, or the
// address a trusted proxy reports (guard.WithTrustedProxies,
// guard.WithForwardedHeader). Use it, not fiber's c.IP(), which follows
// fiber's own proxy settings, wherever the client's address matters, so that
// logs, limits and the guard agree.
func ClientIP(g *guard.Guard, c *fiber.Ctx) string { return g.ClientIP(exchange{c}) }

// Nonce returns the request's CSP nonce, or "" when nonces are off.
func Nonce(c *fiber.Ctx) string {
	n, _ := headers.NonceFrom(c.UserContext())
	return n
}

// exchange is guard.Exchange over a fiber context. The strings it returns
// point into fasthttp's reused buffers and are valid only during the
// handler; the guard copies what it keeps.
type exchange struct{ c *fiber.Ctx }

func (x exchange) Method() string            { return x.c.Method() }
func (x exchange) Path() string              { return x.c.Path() }
func (x exchange) RawQuery() string          { return string(x.c.Request().URI().QueryString()) }
func (x exchange) Host() string              { return string(x.c.Request().Host()) }
func (x exchange) Header(name string) string { return x.c.Get(name) }
func (x exchange) RemoteAddr() string        { return x.c.Context().RemoteAddr().String() }
func (x exchange) RemoteAddrPort() (netip.AddrPort, bool) {
	return port.TCPAddrPort(x.c.Context().RemoteAddr()) // no string to format and parse back
}
func (x exchange) TLS() bool                { return x.c.Context().IsTLS() }
func (x exchange) Context() context.Context { return x.c.UserContext() }
func (x exchange) SetHeader(name, v string) { x.c.Set(name, v) }
func (x exchange) ResponseHeaderValue(name string) string {
	return utils.UnsafeString(x.c.Response().Header.Peek(name)) // read at once, never kept
}

// SetHeaderBytes sets the guard's fields from the bytes it prepared once:
// SetCanonical copies them without the conversion and normalization that
// Set does per call, which port.HeaderBytesExchange's contract makes
// needless (TestSetHeaderBytesAsSet: the same fields as Set). A value with
// CR or LF, which headers.New never prepares, still goes through Set, so
// no caller can split the response through a value. Names are not
// checked here: a policy's are RFC 9110 tokens (headers.WithHeader), and
// Set would not catch a line break in a name either.
func (x exchange) SetHeaderBytes(name, value []byte) {
	// Two IndexByte, not ContainsAny: its byte-by-byte loop over the
	// fields took 1.8% of the example server's CPU under wrk.
	if bytes.IndexByte(value, '\r') >= 0 || bytes.IndexByte(value, '\n') >= 0 {
		x.c.Set(string(name), string(value))
		return
	}
	x.c.Response().Header.SetCanonical(name, value)
}

func (x exchange) SetCookie(ck *http.Cookie) { x.c.Response().Header.Add("Set-Cookie", ck.String()) }

func (x exchange) HeaderValues(name string) []string {
	lines := x.c.Request().Header.PeekAll(name)
	if len(lines) == 0 {
		return nil
	}
	vs := make([]string, len(lines)) // PeekAll reuses its slice; the bytes stay
	for i, l := range lines {
		vs[i] = utils.UnsafeString(l)
	}
	return vs
}

func (x exchange) Cookie(name string) (string, bool) {
	v := x.c.Request().Header.Cookie(name)
	if v == nil {
		return "", false
	}
	return string(v), true
}
