// Command fiber serves authkit's reference API with fiber v2.
package main

import (
	"errors"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/valyala/fasthttp"

	authfiber "github.com/authkit-go/authkit/adapters/fiber"
	"github.com/authkit-go/authkit/examples/internal/app"
)

func main() {
	os.Exit(app.Main("fiber", os.Args[1:], os.Stderr, func(a *app.App, ln net.Listener) error {
		f := fiber.New(fiber.Config{
			DisableStartupMessage: true,
			// app decides about sizes up to here, so its 413 is the same as
			// on the other servers; fasthttp refuses anything bigger, and
			// the error handler answers with the same 413.
			BodyLimit: 16 * app.MaxBodyBytes,
			// The request line and header must fit in the read buffer: the
			// same limit as net/http's MaxHeaderBytes (plus its slop), 431
			// beyond.
			ReadBufferSize: app.MaxHeaderBytes + app.HeaderSlack,
			// fasthttp has no header timeout of its own: its ReadTimeout
			// covers the header, and HeaderReceived (below) gives the body
			// app.ReadTimeout once the header is in — as on net/http for a
			// header that comes at once, at most ReadHeaderTimeout more for
			// one that crawls.
			ReadTimeout:  app.ReadHeaderTimeout,
			WriteTimeout: app.WriteTimeout,
			IdleTimeout:  app.IdleTimeout,
			// The methods fiber knows, and unrouted for the others (below).
			RequestMethods: append(slices.Clone(fiber.DefaultMethods), unrouted),
			StrictRouting:  true, // "/me/" is not "/me" on any of the four
			CaseSensitive:  true,
			UnescapePath:   true, // route "/%68ealthz" as "/healthz", as net/http and gin do
			// fasthttp's own refusals (431, 413, 408, 400) reach this
			// handler past the middleware; authfiber.ErrorHandler adds the
			// security headers to them.
			ErrorHandler: authfiber.ErrorHandler(a.Guard(), func(c *fiber.Ctx, err error) error {
				var fe *fiber.Error
				resp := app.Internal()
				switch {
				case errors.As(err, &fe) && (fe.Code == fiber.StatusNotFound || fe.Code == fiber.StatusMethodNotAllowed):
					resp = a.Fallback(c.Path())
				case errors.As(err, &fe) && fe.Code == fiber.StatusRequestEntityTooLarge:
					resp = app.TooLarge()
				case errors.As(err, &fe) && fe.Code == fiber.StatusRequestHeaderFieldsTooLarge:
					resp = app.HeaderTooLarge()
				case errors.As(err, &fe) && fe.Code == fiber.StatusRequestTimeout:
					resp = app.Timeout()
				case errors.As(err, &fe) && (fe.Code == fiber.StatusBadRequest || fe.Code == fiber.StatusBadGateway):
					// fasthttp could not read the request (fiber says 502 for
					// a broken connection); its message may quote the request.
					resp = app.Malformed()
				default:
					slog.ErrorContext(c.UserContext(), "handler failed", "error", err)
				}
				return write(c, resp)
			}),
		})
		f.Server().HeaderReceived = func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
			return fasthttp.RequestConfig{ReadTimeout: app.ReadTimeout}
		}
		f.Use(recover.New(), authfiber.FromGuard(a.Guard()), refuseAsNetHTTP)
		for _, rt := range a.Routes() {
			h := handle(a, rt.Handle)
			if rt.Serve != nil { // a port handler: the OAuth sign-in
				h = authfiber.Serve(rt.Serve)
			}
			f.Add(rt.Method, rt.Path, authfiber.Require(rt.Rules...), h)
		}
		prelude(f)
		return app.ServeUntilSignal(func() error { return f.Listener(app.CloseGently(ln)) }, f.ShutdownWithContext)
	}))
}

// unrouted stands in for a request method fiber does not know ("FOO", a
// lower-case "get"): fiber would answer such a request itself, "400 Invalid
// http method" in plain text without the security headers, before any
// handler. Under unrouted it goes through the middleware to the fallback
// instead, which answers 405 with Allow, or 404, as the other servers do.
const unrouted = "X-AUTHKIT-UNROUTED"

// refusalKey is the user value under which prelude leaves the status of a
// request net/http would refuse before any handler.
type refusalKey struct{}

// prelude makes f's server hand every request whose method is not one of
// fiber's to f under the method unrouted, and mark the requests net/http
// refuses before any handler and fasthttp takes (app.Refusal: a malformed
// or unsupported version, not one Host, a transfer coding other than
// chunked, an Expect other than 100-continue) for refuseAsNetHTTP.
func prelude(f *fiber.App) {
	serve := f.Server().Handler
	f.Server().Handler = func(ctx *fasthttp.RequestCtx) {
		if m := ctx.Method(); !slices.ContainsFunc(fiber.DefaultMethods, func(k string) bool { return string(m) == k }) {
			ctx.Request.Header.SetMethod(unrouted)
		}
		h := &ctx.Request.Header
		if status := app.Refusal(string(h.RequestURI()), string(h.Protocol()), h.RawHeaders()); status != 0 {
			ctx.SetUserValue(refusalKey{}, status)
		}
		serve(ctx)
	}
}

// refuseAsNetHTTP answers a request prelude marked as the other servers
// do: app.OwnAnswer, after the guard has set the security headers.
func refuseAsNetHTTP(c *fiber.Ctx) error {
	if status, ok := c.Context().UserValue(refusalKey{}).(int); ok {
		c.Set(fiber.HeaderConnection, "close")
		return write(c, app.OwnAnswer(status))
	}
	return c.Next()
}

func handle(a *app.App, h app.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		// fasthttp reuses its buffers after the handler: copy what app keeps.
		// The body as sent: c.Body() would inflate a gzip, deflate or br
		// body, without a limit, where net/http hands over the bytes; app
		// refuses a body in a content coding (415) on every server.
		return write(c, h(app.Request{
			Ctx:  c.UserContext(),
			Body: append([]byte(nil), c.Request().Body()...),
			// Every field line of name, as app.HeaderOf reads them on the
			// others (fasthttp keeps one Content-Type: the last).
			Header: func(name string) string {
				return strings.Join(app.HeaderFields(c.Request().Header.RawHeaders(), name), ", ")
			},
			ClientIP: authfiber.ClientIP(a.Guard(), c),
		}))
	}
}

func write(c *fiber.Ctx, resp app.Response) error {
	status, body := app.EncodeTo(resp, c.Set)
	return c.Status(status).Send(body)
}
