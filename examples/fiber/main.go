// Command fiber serves authkit's reference API with fiber v2.
package main

import (
	"net"
	"os"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	authfiber "github.com/authkit-go/authkit/adapters/fiber"
	"github.com/authkit-go/authkit/examples/internal/app"
)

func main() {
	os.Exit(app.Main("fiber", os.Args[1:], os.Stderr, func(a *app.App, ln net.Listener) error {
		f := fiber.New(fiber.Config{DisableStartupMessage: true, BodyLimit: app.MaxBodyBytes})
		f.Use(recover.New(), authfiber.FromGuard(a.Guard()))
		for _, rt := range a.Routes() {
			f.Add(rt.Method, rt.Path, authfiber.Require(rt.Rules...), handle(rt.Handle))
		}
		app.OnSignal(f.Shutdown)
		return f.Listener(ln)
	}))
}

func handle(h app.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		// fasthttp reuses the body buffer after the handler: copy it.
		body := append([]byte(nil), c.Body()...)
		resp := h(app.Request{Ctx: c.UserContext(), Body: body, Header: func(name string) string { return c.Get(name) }})
		status, contentType, out := app.Encode(resp)
		for k, v := range resp.Header {
			c.Set(k, v)
		}
		if contentType != "" {
			c.Set(fiber.HeaderContentType, contentType)
		}
		return c.Status(status).Send(out)
	}
}
