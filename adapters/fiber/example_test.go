package authfiber_test

import (
	"fmt"
	"io"
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

// Log and limit by the address the guard believes, not fiber's c.IP().
// fiber's app.Test always reports the peer 0.0.0.0; here it stands for the
// proxy, which appended its own X-Forwarded-For line.
func ExampleClientIP() {
	g := guard.Must(guard.New(guard.WithTrustedProxies("0.0.0.0/32")))
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(authfiber.FromGuard(g))
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString(authfiber.ClientIP(g, c)) })
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Add("X-Forwarded-For", "192.0.2.1")    // forged by the client
	req.Header.Add("X-Forwarded-For", "198.51.100.7") // added by the proxy
	resp, err := app.Test(req, -1)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: 198.51.100.7
}

// Answers that fasthttp makes before any handler (431, 413, 408, 400) and
// errors that handlers return both reach the app's error handler; wrapped,
// they carry the security headers.
func ExampleErrorHandler() {
	g := guard.Must(guard.New())
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ErrorHandler: authfiber.ErrorHandler(g, nil)})
	app.Use(authfiber.FromGuard(g))
	app.Get("/teapot", func(*fiber.Ctx) error { return fiber.NewError(fiber.StatusTeapot, "short and stout") })
	resp, err := app.Test(httptest.NewRequest("GET", "/teapot", nil), -1)
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, resp.Header.Get("X-Frame-Options"))
	// Output: 418 DENY
}
