// Package authgin is authkit's adapter for gin: a middleware that runs the
// guard on every request, route guards, and accessors for what the guard put
// into the request context.
//
//	r := gin.New()
//	r.HandleMethodNotAllowed = true // answer 405, with the headers, not 404
//	r.Use(authgin.Middleware())
//	r.GET("/admin", authgin.Require(guard.Role("admin")), admin)
//
// Register the middleware with r.Use before any route, so gin also runs it
// for its own 404 and 405 answers.
package authgin

import (
	"bufio"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/headers"
	"github.com/authkit-go/authkit/core/session"
)

// Middleware returns a gin middleware running a Guard built from opts. With
// no options it applies authkit's secure headers. It panics at start-up,
// never per request, when an option is invalid; use FromGuard with guard.New
// to handle that error yourself.
func Middleware(opts ...guard.Option) gin.HandlerFunc {
	return FromGuard(guard.Must(guard.New(opts...)))
}

// FromGuard returns a gin middleware running g.
func FromGuard(g *guard.Guard) gin.HandlerFunc {
	return func(c *gin.Context) {
		x := guard.HTTPExchange{W: c.Writer, R: c.Request}
		ctx, denial := g.BeforeHTTP(c.Writer, c.Request)
		if denial != nil {
			abort(c, denial)
			return
		}
		if ctx != c.Request.Context() {
			c.Request = c.Request.WithContext(ctx)
		}
		if !g.Stateful() {
			c.Next()
			return
		}
		var ex guard.Exchange = x // boxed once, not on every commit call
		commit := func() { g.Commit(ctx, ex) }
		c.Writer = &commitWriter{ResponseWriter: c.Writer, commit: commit}
		c.Next()
		commit() // the handler wrote nothing: gin writes the header after this
	}
}

// Require returns a route guard that lets a request through only when every
// rule passes (see guard.Authenticated, guard.Role, guard.Scope, guard.MFA).
func Require(rules ...guard.Rule) gin.HandlerFunc {
	return func(c *gin.Context) {
		if denial := guard.Authorize(guard.HTTPExchange{W: c.Writer, R: c.Request}, rules...); denial != nil {
			abort(c, denial)
			return
		}
		c.Next()
	}
}

// Serve returns a gin handler serving h, a handler written against the
// port (guard.Handler) that answers alike on every framework — the OAuth
// sign-in's login and callback (core/oauth), for one. Register it behind
// the middleware, like any handler.
func Serve(h guard.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		rep := guard.Serve(guard.HTTPExchange{W: c.Writer, R: c.Request}, h)
		send(c, rep.Status, rep.Body)
	}
}

func abort(c *gin.Context, d *guard.Denial) { send(c, d.Status, d.Body) }

// send writes status and body and stops the chain.
func send(c *gin.Context, status int, body []byte) {
	c.AbortWithStatus(status)
	if len(body) > 0 {
		_, _ = c.Writer.Write(body)
	}
}

// commitWriter runs the guard's Commit (itself run-once) right before gin
// writes the response header. gin's WriteHeader only records the status;
// the header goes out in WriteHeaderNow, Write, WriteString or Flush.
type commitWriter struct {
	gin.ResponseWriter
	commit func()
}

func (w *commitWriter) WriteHeaderNow() { w.commit(); w.ResponseWriter.WriteHeaderNow() }

func (w *commitWriter) Write(b []byte) (int, error) { w.commit(); return w.ResponseWriter.Write(b) }

func (w *commitWriter) WriteString(s string) (int, error) {
	w.commit()
	return w.ResponseWriter.WriteString(s)
}

func (w *commitWriter) Flush() { w.commit(); w.ResponseWriter.Flush() }

// Hijack commits, then hands over the connection, as the net/http and echo
// adapters do.
func (w *commitWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.commit()
	return w.ResponseWriter.Hijack()
}

// Unwrap lets http.ResponseController reach gin's writer (deadlines,
// hijacking, full-duplex).
func (w *commitWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Session returns the request's session, if it has one (see
// guard.SessionFrom).
func Session(c *gin.Context) (*session.Session, bool) {
	return guard.SessionFrom(c.Request.Context())
}

// Principal returns the authenticated principal of the request, if any.
func Principal(c *gin.Context) (guard.Principal, bool) {
	return guard.PrincipalFrom(c.Request.Context())
}

// ClientIP returns the client's address as g determines it: the peer, or the
// address a trusted proxy reports (guard.WithTrustedProxies,
// guard.WithForwardedHeader). Use it, not gin's c.ClientIP(), which follows
// gin's own proxy settings, wherever the client's address matters, so that
// logs, limits and the guard agree.
func ClientIP(g *guard.Guard, c *gin.Context) string {
	return g.ClientIP(guard.HTTPExchange{W: c.Writer, R: c.Request})
}

// Nonce returns the request's CSP nonce, or "" when nonces are off.
func Nonce(c *gin.Context) string {
	n, _ := headers.NonceFrom(c.Request.Context())
	return n
}
