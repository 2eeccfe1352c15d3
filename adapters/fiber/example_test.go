package authfiber_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/gofiber/fiber/v2"

	authfiber "github.com/authkit-go/authkit/adapters/fiber"
	"github.com/authkit-go/authkit/core/guard"
)

func ExampleMiddleware() {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(authfiber.Middleware())
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/admin", authfiber.Require(guard.Role("admin")), func(c *fiber.Ctx) error { return c.SendString("hi") })

	for _, path := range []string{"/healthz", "/admin"} {
		resp, err := app.Test(httptest.NewRequest("GET", path, nil), -1)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s %d %s %q\n", path, resp.StatusCode, resp.Header.Get("X-Frame-Options"), resp.Header.Get("WWW-Authenticate"))
	}
	// Output:
	// /healthz 200 DENY ""
	// /admin 401 DENY "Bearer"
}
