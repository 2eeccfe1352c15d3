package authfiber_test

import (
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"

	authfiber "github.com/authkit-go/authkit/adapters/fiber"
	"github.com/authkit-go/authkit/core/authtest"
	"github.com/authkit-go/authkit/core/guard"
)

func TestConformance(t *testing.T) { authtest.Run(t, factory) }

// factory builds the app that both TestConformance and BenchmarkMiddleware
// run against.
func factory(t testing.TB, opts []guard.Option, routes []authtest.Route) authtest.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(authfiber.Middleware(opts...))
	for _, rt := range routes {
		if rt.Serve != nil {
			app.Add(rt.Method, rt.Path, authfiber.Require(rt.Rules...), authfiber.Serve(rt.Serve))
			continue
		}
		app.Add(rt.Method, rt.Path, authfiber.Require(rt.Rules...), func(c *fiber.Ctx) error {
			reply := rt.Handle(c.UserContext())
			return c.Status(reply.Status).SendString(reply.Body)
		})
	}
	return func(r *http.Request) *http.Response {
		resp, err := app.Test(r, -1)
		if err != nil {
			t.Fatalf("app.Test: %v", err)
		}
		return resp
	}
}
