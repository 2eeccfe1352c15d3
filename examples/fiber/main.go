// Command fiber serves authkit's reference API with fiber v2.
package main

import (
	"errors"
	"log/slog"
	"net"
	"os"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	authfiber "github.com/authkit-go/authkit/adapters/fiber"
	"github.com/authkit-go/authkit/examples/internal/app"
)

func main() {
	os.Exit(app.Main("fiber", os.Args[1:], os.Stderr, func(a *app.App, ln net.Listener) error {
		f := fiber.New(fiber.Config{
			DisableStartupMessage: true,
			// app decides about sizes up to here, so its 413 is the same as
			// on the other servers; fasthttp refuses anything bigger.
			BodyLimit:     16 * app.MaxBodyBytes,
			StrictRouting: true, // "/me/" is not "/me" on any of the four
			CaseSensitive: true,
			UnescapePath:  true, // route "/%68ealthz" as "/healthz", as net/http and gin do
			ErrorHandler: func(c *fiber.Ctx, err error) error {
				var fe *fiber.Error
				resp := app.Internal()
				switch {
				case errors.As(err, &fe) && (fe.Code == fiber.StatusNotFound || fe.Code == fiber.StatusMethodNotAllowed):
					resp = a.Fallback(c.Path())
				case errors.As(err, &fe) && fe.Code == fiber.StatusRequestEntityTooLarge:
					resp = app.TooLarge()
				default:
					slog.ErrorContext(c.UserContext(), "handler failed", "error", err)
				}
				return write(c, resp)
			},
		})
		f.Use(recover.New(), authfiber.FromGuard(a.Guard()))
		for _, rt := range a.Routes() {
			f.Add(rt.Method, rt.Path, authfiber.Require(rt.Rules...), handle(a, rt.Handle))
		}
		app.OnSignal(f.Shutdown)
		return f.Listener(ln)
	}))
}

func handle(a *app.App, h app.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		// fasthttp reuses its buffers after the handler: copy what app keeps.
		return write(c, h(app.Request{
			Ctx:      c.UserContext(),
			Body:     append([]byte(nil), c.Body()...),
			Header:   func(name string) string { return string([]byte(c.Get(name))) },
			ClientIP: authfiber.ClientIP(a.Guard(), c),
		}))
	}
}

func write(c *fiber.Ctx, resp app.Response) error {
	status, header, body := app.Encode(resp)
	for k, v := range header {
		c.Set(k, v)
	}
	return c.Status(status).Send(body)
}
